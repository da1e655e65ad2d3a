/*
 * libnss_iam.so.2: the glibc NSS entry points for point lookups.
 *
 * Each entry point saves errno, validates its input, runs one lookup on a
 * read transaction of the snapshot (nss_iam_cache.c), packs the record into
 * the caller's buffer (lib/snapshot/iam_pack.c), restores errno and maps the
 * result through nss_iam_status(). No output, no environment, no network, no
 * allocation except the groups array initgroups must grow.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "iam_pack.h"
#include "nss_iam.h"

#define EXPORT __attribute__((visibility("default")))

/* Longest POSIX name nss-iam writes (docs/design.md, Namespace and ids). */
#define NAME_MAX_LEN 32

struct pw_query {
    const char *name;
    uint32_t id;
    struct passwd *pw;
    char *buf;
    size_t buflen;
};

struct gr_query {
    const char *name;
    uint32_t id;
    struct group *gr;
    char *buf;
    size_t buflen;
};

/* Names longer than any nss-iam name are not looked up at all. */
static int
check_name(const char *name)
{
    if (!name || !name[0] || strnlen(name, NAME_MAX_LEN + 1) > NAME_MAX_LEN)
        return -ESRCH;
    return 0;
}

static int
pw_by_name(struct iam_db_txn *t, void *arg)
{
    struct pw_query *q = arg;
    struct iam_user_rec u;
    int r = iam_db_user_by_name(t, q->name, &u);

    if (r < 0)
        return r;
    return iam_pack_passwd(&u, q->pw, q->buf, q->buflen);
}

static int
pw_by_uid(struct iam_db_txn *t, void *arg)
{
    struct pw_query *q = arg;
    struct iam_user_rec u;
    int r = iam_db_user_by_uid(t, q->id, &u);

    if (r < 0)
        return r;
    return iam_pack_passwd(&u, q->pw, q->buf, q->buflen);
}

static int
gr_by_name(struct iam_db_txn *t, void *arg)
{
    struct gr_query *q = arg;
    struct iam_group_rec g;
    int r = iam_db_group_by_name(t, q->name, &g);

    if (r < 0)
        return r;
    return iam_pack_group(&g, q->gr, q->buf, q->buflen);
}

static int
gr_by_gid(struct iam_db_txn *t, void *arg)
{
    struct gr_query *q = arg;
    struct iam_group_rec g;
    int r = iam_db_group_by_gid(t, q->id, &g);

    if (r < 0)
        return r;
    return iam_pack_group(&g, q->gr, q->buf, q->buflen);
}

EXPORT enum nss_status
_nss_iam_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                    size_t buflen, int *errnop)
{
    struct pw_query q = { name, 0, pw, buf, buflen };
    int saved = errno;
    int r = check_name(name);

    if (r >= 0)
        r = nss_iam_run(pw_by_name, &q, true);
    errno = saved;
    return nss_iam_status(r, errnop);
}

EXPORT enum nss_status
_nss_iam_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                    int *errnop)
{
    struct pw_query q = { NULL, uid, pw, buf, buflen };
    int saved = errno;
    int r = nss_iam_run(pw_by_uid, &q, true);

    errno = saved;
    return nss_iam_status(r, errnop);
}

EXPORT enum nss_status
_nss_iam_getgrnam_r(const char *name, struct group *gr, char *buf,
                    size_t buflen, int *errnop)
{
    struct gr_query q = { name, 0, gr, buf, buflen };
    int saved = errno;
    int r = check_name(name);

    if (r >= 0)
        r = nss_iam_run(gr_by_name, &q, true);
    errno = saved;
    return nss_iam_status(r, errnop);
}

EXPORT enum nss_status
_nss_iam_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                    int *errnop)
{
    struct gr_query q = { NULL, gid, gr, buf, buflen };
    int saved = errno;
    int r = nss_iam_run(gr_by_gid, &q, true);

    errno = saved;
    return nss_iam_status(r, errnop);
}

struct init_query {
    const char *user;
    gid_t skip;
    long int *start;
    long int *size;
    gid_t **groupsp;
    long int limit;
    int added;
};

/*
 * Appends @gid unless it is the primary group, root's, or already there,
 * growing the array as glibc's own modules do (nss/nss_files/files-initgroups
 * and compat): double it, never past @limit when @limit > 0, and stop
 * quietly at the limit.
 */
static int
add_gid(struct init_query *q, gid_t gid)
{
    long int i, newsize;
    gid_t *groups = *q->groupsp;

    if (gid == q->skip || gid == 0)
        return 0;
    for (i = 0; i < *q->start; i++)
        if (groups[i] == gid)
            return 0;
    if (*q->start == *q->size) {
        if (q->limit > 0 && *q->size >= q->limit)
            return 0;
        newsize = *q->size > 0 ? 2 * *q->size : 8;
        if (q->limit > 0 && newsize > q->limit)
            newsize = q->limit;
        groups = reallocarray(groups, (size_t)newsize, sizeof(*groups));
        if (!groups)
            return -ENOMEM;
        *q->groupsp = groups;
        *q->size = newsize;
    }
    groups[(*q->start)++] = gid;
    q->added = 1;
    return 0;
}

static int
user_groups(struct iam_db_txn *t, void *arg)
{
    struct init_query *q = arg;
    struct iam_user_rec u;
    struct iam_rec_iter it;
    uint32_t gid;
    int r;

    r = iam_db_user_by_name(t, q->user, &u);
    if (r < 0)
        return r;
    /*
     * glibc passes the primary gid of the passwd entry that won. If it is
     * not ours, a local account of the same name shadows the IAM user
     * (files comes first): it must not inherit the IAM user's groups,
     * iam-sudo above all. -1 is getgrouplist()'s "no primary group".
     */
    if (q->skip != (gid_t)-1 && q->skip != u.gid)
        return -ESRCH;
    r = add_gid(q, u.gid);
    if (r < 0)
        return r;
    r = iam_db_user_gids(t, q->user, &it);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return r;
    while ((r = iam_rec_gid_next(&it, &gid)) == 1) {
        r = add_gid(q, gid);
        if (r < 0)
            return r;
    }
    return r;
}

EXPORT enum nss_status
_nss_iam_initgroups_dyn(const char *user, gid_t group, long int *start,
                        long int *size, gid_t **groupsp, long int limit,
                        int *errnop)
{
    struct init_query q = { user, group, start, size, groupsp, limit, 0 };
    int saved = errno;
    int r = check_name(user);

    if (r >= 0)
        r = nss_iam_run(user_groups, &q, true);
    if (r >= 0 && !q.added)
        r = -ESRCH;
    errno = saved;
    return nss_iam_status(r, errnop);
}
