/*
 * iam_trust: when a file may be believed. A file that decides something
 * (the snapshot, a configuration, a rollback record, a helper program)
 * is trusted only when nobody but root could have written it. One rule,
 * shared by the readers (lib/snapshot, the NSS module) and the programs
 * (iam_file.h, iam_config, the keys command).
 */
#ifndef IAM_TRUST_H
#define IAM_TRUST_H

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * iam_trust_check - the rule for a file others rely on, on its
 * stat (from fstat of the descriptor that is then read, so that the
 * file checked is the file read). @owner: who besides root may own it
 * (0: root only; geteuid(): root or the caller). @max: largest size.
 * Returns 0, or (checked in this order):
 *   -EINVAL  not a regular file
 *   -EACCES  writable by group or others
 *   -EPERM   owned by another user than root and @owner
 *   -EFBIG   larger than @max bytes
 * Inline, so that the NSS module (which links only lib/snapshot, and
 * must not carry code that writes files) shares the rule too.
 */
static inline int
iam_trust_check(const struct stat *st, uid_t owner, uint64_t max)
{
    if (!S_ISREG(st->st_mode))
        return -EINVAL;
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return -EACCES;
    if (st->st_uid != 0 && st->st_uid != owner)
        return -EPERM;
    if ((uint64_t)st->st_size > max)
        return -EFBIG;
    return 0;
}

#endif
