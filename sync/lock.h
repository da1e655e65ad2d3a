/*
 * lock: one iam-sync at a time. An flock() on "<dir>/.iam-sync.lock" in
 * the snapshot's directory (the only place iam-sync writes); the kernel
 * drops it when the process dies, so a crash never leaves it held.
 */
#ifndef LOCK_H
#define LOCK_H

/*
 * lock_take - take the lock for the snapshot at @db_path, waiting up to
 * @timeout_s seconds for another run to finish. Returns the lock's file
 * descriptor (keep it open while running), -EWOULDBLOCK when the wait ran
 * out, or another -errno.
 */
int
lock_take(const char *db_path, unsigned timeout_s);

#endif
