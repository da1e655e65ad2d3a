/*
 * libnss_iam.so.2: enumeration (getpwent, getgrent).
 *
 * The position is an id, not an open transaction or cursor: each get*ent
 * call opens its own read transaction and seeks to the first id >= next.
 * So a new snapshot published in the middle of an enumeration is simply
 * continued from the same id, and nothing is held between calls. The
 * position moves only after a record was packed: on ERANGE glibc calls
 * again with a bigger buffer and must get the same entry.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iam_pack.h"
#include "nss_iam.h"

#define EXPORT __attribute__((visibility("default")))

struct ent_state {
    pthread_mutex_t lock;
    uint64_t next; /* the next id to look at; > UINT32_MAX at the end */
};

static struct ent_state pw_ent = { PTHREAD_MUTEX_INITIALIZER, 0 };
static struct ent_state gr_ent = { PTHREAD_MUTEX_INITIALIZER, 0 };

struct ent_query {
    uint64_t next;
    void *result; /* struct passwd or struct group */
    char *buf;
    size_t buflen;
};

void
nss_iam_enum_lock(void)
{
    pthread_mutex_lock(&pw_ent.lock);
    pthread_mutex_lock(&gr_ent.lock);
}

void
nss_iam_enum_unlock(void)
{
    pthread_mutex_unlock(&gr_ent.lock);
    pthread_mutex_unlock(&pw_ent.lock);
}

void
nss_iam_enum_reset(void)
{
    pw_ent.next = 0;
    gr_ent.next = 0;
}

static int
pw_next(struct iam_db_txn *t, void *arg)
{
    struct ent_query *q = arg;
    struct iam_user_rec u;
    int r = iam_db_user_next(t, (uint32_t)q->next, &u);

    if (r >= 0)
        r = iam_pack_passwd(&u, q->result, q->buf, q->buflen);
    if (r >= 0)
        q->next = (uint64_t)u.uid + 1;
    return r;
}

static int
gr_next(struct iam_db_txn *t, void *arg)
{
    struct ent_query *q = arg;
    struct iam_group_rec g;
    int r = iam_db_group_next(t, (uint32_t)q->next, &g);

    if (r >= 0)
        r = iam_pack_group(&g, q->result, q->buf, q->buflen);
    if (r >= 0)
        q->next = (uint64_t)g.gid + 1;
    return r;
}

static enum nss_status
ent_set(struct ent_state *s)
{
    pthread_mutex_lock(&s->lock);
    s->next = 0;
    pthread_mutex_unlock(&s->lock);
    return NSS_STATUS_SUCCESS;
}

/* One step of an enumeration; the end is NOTFOUND with errno untouched. */
static enum nss_status
ent_get(struct ent_state *s, int (*step)(struct iam_db_txn *, void *),
        void *result, char *buf, size_t buflen, int *errnop)
{
    struct ent_query q = { 0, result, buf, buflen };
    int saved = errno;
    int r = -ESRCH;

    pthread_mutex_lock(&s->lock);
    q.next = s->next;
    /* The snapshot is checked for a new one when an enumeration starts;
     * the rest of it reads on from the same file. */
    if (q.next <= UINT32_MAX)
        r = nss_iam_run(step, &q, q.next == 0);
    if (r >= 0)
        s->next = q.next;
    pthread_mutex_unlock(&s->lock);
    errno = saved;
    if (r == -ESRCH)
        return NSS_STATUS_NOTFOUND;
    return nss_iam_status(r, errnop);
}

EXPORT enum nss_status
_nss_iam_setpwent(int stayopen)
{
    (void)stayopen;
    return ent_set(&pw_ent);
}

EXPORT enum nss_status
_nss_iam_endpwent(void)
{
    return ent_set(&pw_ent);
}

EXPORT enum nss_status
_nss_iam_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
    return ent_get(&pw_ent, pw_next, pw, buf, buflen, errnop);
}

EXPORT enum nss_status
_nss_iam_setgrent(int stayopen)
{
    (void)stayopen;
    return ent_set(&gr_ent);
}

EXPORT enum nss_status
_nss_iam_endgrent(void)
{
    return ent_set(&gr_ent);
}

EXPORT enum nss_status
_nss_iam_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
    return ent_get(&gr_ent, gr_next, gr, buf, buflen, errnop);
}
