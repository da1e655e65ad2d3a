/*
 * The per-process snapshot handle of libnss_iam.so.2, and the one place
 * that turns lib's -errno codes into NSS statuses.
 *
 * One handle per process, opened on first use and kept, because opening
 * (open + mmap + schema check) costs far more than a lookup. Each call
 * stat()s the path: a new inode means iam-sync published a new snapshot,
 * and the old handle is closed so the old file is not pinned on disk. A
 * fork child sees a different pid and opens its own handle (an LMDB env
 * must not be used across fork()). A fork is noticed through the atfork
 * child handler rather than a getpid() per lookup: that is one system
 * call less on every getpwnam of every process.
 *
 * A snapshot made on another EC2 instance (an image's, until the first
 * sync here replaces it) is kept open but served as no snapshot at all:
 * UNAVAIL, ENOENT, as before the first sync.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <syslog.h>

#include "nss_iam.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iam_db *cache_db;
static bool cache_inherited; /* set in a fork child: reopen first */
static bool cache_elsewhere; /* cache_db was made on another instance */
/* Conditions already logged by this process (log once each). */
static int logged_eacces, logged_eio, logged_elsewhere;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/*
 * fork() while another thread holds a lock would leave the child with a
 * lock nobody releases: take every lock around fork (lock order: the
 * enumeration locks, then the cache lock, as in every other path).
 */
static void
fork_prepare(void)
{
    nss_iam_enum_lock();
    pthread_mutex_lock(&cache_lock);
}

static void
fork_parent(void)
{
    pthread_mutex_unlock(&cache_lock);
    nss_iam_enum_unlock();
}

static void
fork_child(void)
{
    cache_inherited = cache_db != NULL;
    pthread_mutex_unlock(&cache_lock);
    nss_iam_enum_reset();
    nss_iam_enum_unlock();
}

static void
register_atfork(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Logs an unexpected state once per process; the caller holds the lock. */
static void
log_open_error(int r)
{
    if (r == -EACCES && !logged_eacces) {
        logged_eacces = 1;
        syslog(LOG_AUTHPRIV | LOG_WARNING,
               "nss_iam: %s: not readable, or not owned by root or "
               "writable by others; ignored",
               IAM_DB_PATH);
    } else if (r == -EIO && !logged_eio) {
        logged_eio = 1;
        syslog(LOG_AUTHPRIV | LOG_WARNING,
               "nss_iam: %s: corrupt, truncated or of an unknown format; "
               "ignored",
               IAM_DB_PATH);
    }
}

/*
 * True when @db was made on another instance than this one (logged once):
 * one sysfs read per snapshot opened, none when it names no instance.
 */
static bool
made_elsewhere(const struct iam_db *db)
{
    char here[IAM_INSTANCE_ID_SIZE];

    if (!iam_db_made_elsewhere(db, here))
        return false;
    if (!logged_elsewhere) {
        logged_elsewhere = 1;
        syslog(LOG_AUTHPRIV | LOG_WARNING,
               "nss_iam: %s: made on instance %s, this is %s (an image's "
               "snapshot?): ignored until iam-sync replaces it",
               IAM_DB_PATH, iam_db_instance(db), here);
    }
    return true;
}

/*
 * Makes cache_db the current snapshot; the caller holds the lock. With
 * @recheck false an open snapshot is used without a stat() (enumeration
 * continues on the snapshot it started with).
 */
static int
refresh_locked(bool recheck)
{
    int r;

    if (cache_db && (cache_inherited ||
                     (recheck && !iam_db_is_current(cache_db, IAM_DB_PATH)))) {
        iam_db_close(cache_db);
        cache_db = NULL;
        cache_inherited = false;
    }
    if (!cache_db) {
        r = iam_db_open(IAM_DB_PATH, &cache_db);
        if (r < 0) {
            log_open_error(r);
            return r;
        }
        cache_elsewhere = made_elsewhere(cache_db);
    }
    return cache_elsewhere ? -ENOENT : 0;
}

int
nss_iam_run(int (*fn)(struct iam_db_txn *, void *), void *arg, bool recheck)
{
    struct iam_db_txn t;
    int r;

    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&cache_lock);
    r = refresh_locked(recheck);
    if (r >= 0)
        r = iam_db_begin(cache_db, &t);
    if (r >= 0) {
        r = fn(&t, arg);
        iam_db_end(&t);
    }
    pthread_mutex_unlock(&cache_lock);
    return r;
}

enum nss_status
nss_iam_status(int r, int *errnop)
{
    switch (r) {
    case 0:
        return NSS_STATUS_SUCCESS;
    case -ESRCH:
        *errnop = ENOENT;
        return NSS_STATUS_NOTFOUND;
    case -ERANGE:
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    case -ENOMEM:
        *errnop = ENOMEM;
        return NSS_STATUS_TRYAGAIN;
    case -ENOENT:
        *errnop = ENOENT;
        return NSS_STATUS_UNAVAIL;
    case -EACCES:
        *errnop = EACCES;
        return NSS_STATUS_UNAVAIL;
    default:
        *errnop = EIO;
        return NSS_STATUS_UNAVAIL;
    }
}
