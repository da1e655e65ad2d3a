/*
 * Internal interface between the files of libnss_iam.so.2. Nothing here is
 * exported: the version script (nss_iam.map) exports _nss_iam_* only.
 */
#ifndef NSS_IAM_H
#define NSS_IAM_H

#include <grp.h>
#include <nss.h>
#include <stdbool.h>
#include <pwd.h>

#include "iam_db.h"

/* The exported entry points (glibc manual, "NSS Module Function Internals"). */
enum nss_status
_nss_iam_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                    size_t buflen, int *errnop);
enum nss_status
_nss_iam_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                    int *errnop);
enum nss_status
_nss_iam_setpwent(int stayopen);
enum nss_status
_nss_iam_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status
_nss_iam_endpwent(void);
enum nss_status
_nss_iam_getgrnam_r(const char *name, struct group *gr, char *buf,
                    size_t buflen, int *errnop);
enum nss_status
_nss_iam_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                    int *errnop);
enum nss_status
_nss_iam_setgrent(int stayopen);
enum nss_status
_nss_iam_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status
_nss_iam_endgrent(void);
enum nss_status
_nss_iam_initgroups_dyn(const char *user, gid_t group, long int *start,
                        long int *size, gid_t **groupsp, long int limit,
                        int *errnop);

/*
 * nss_iam_run - run @fn on a read transaction of the current snapshot,
 * under the module's lock. Opens the snapshot on first use, reopens it in
 * a fork child, and, when @recheck, when a new one was published (one
 * stat() of the path). Returns what @fn returns, or the -errno of opening
 * the snapshot (-ENOENT, -EACCES, -EIO, -ENOMEM).
 */
int
nss_iam_run(int (*fn)(struct iam_db_txn *, void *), void *arg, bool recheck);

/*
 * nss_iam_status - the one mapping from -errno to an NSS status, writing
 * *errnop last (glibc passes &errno). 0 is SUCCESS.
 */
enum nss_status
nss_iam_status(int r, int *errnop);

/* The enumeration states' locks, taken around fork(). */
void
nss_iam_enum_lock(void);
void
nss_iam_enum_unlock(void);
void
nss_iam_enum_reset(void);

#endif
