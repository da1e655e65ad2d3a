/*
 * reap: the processes of removed users' uids, found in /proc and ended
 * through pidfds, so that a pid reused by someone else is never signalled.
 *
 * A process belongs to a uid when its real, effective or saved uid is that
 * uid. Real: it was started by the user, even when a set-uid program
 * (sudo, su, passwd) changed what it acts as. Effective: it acts as the
 * user. Saved: it can become the user again at any moment with
 * setresuid(). Any one of the three keeps the user's access alive, so any
 * one of them is enough. (The filesystem uid follows the effective one.)
 * A process also belongs to a uid when it runs in that uid's logind slice
 * (cgroup /user.slice/user-UID.slice/...: the user's login sessions and
 * user manager), whatever its uids: a root shell the user opened with
 * sudo -i is still the user's access. This is what logind's TerminateUser
 * would end, found without D-Bus; hosts without logind have no such slice.
 *
 * Not thread-safe (one caller, after the publish); uses no global state.
 */
#ifndef REAP_H
#define REAP_H

#include <stddef.h>
#include <stdint.h>

#include "terminate.h"

/*
 * reap_count - for --dry-run: the live processes and sessions of each
 * victim, into its sessions and processes (nothing is signalled).
 * Returns 0, or -ENOSYS (no pidfd_open: Linux before 5.3), -ENOMEM, or
 * the -errno of opening /proc.
 */
int
reap_count(struct terminate_victim *v, size_t n);

/*
 * reap_end - end every process of each victim's uid: SIGTERM to all of
 * them, up to @grace_ms for them to exit, then SIGKILL to whatever is
 * left or was started meanwhile, pass after pass until a pass finds
 * nothing (at most a fixed number of passes, a second each at most).
 * Fills each victim's sessions, processes and failed; a process that
 * cannot be signalled is logged and each failed signal counted, never
 * fatal.
 * Returns as reap_count().
 */
int
reap_end(struct terminate_victim *v, size_t n, int64_t grace_ms);

#endif
