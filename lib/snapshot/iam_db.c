#include "iam_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iam_trust.h"
#include "iam_seal.h"

/* Longest name key looked up; longer input cannot be in the file. */
#define NAME_KEY_MAX 256
/* Smallest possible LMDB file: its two meta pages. */
#define MIN_FILE_SIZE 8192
/* Bytes read per pread() while verifying the seal. */
#define SEAL_CHUNK (64 * 1024)

struct iam_db {
    MDB_env *env;
    dev_t dev;
    ino_t ino;
    off_t size; /* with mtime: the file as it was verified */
    struct timespec mtime;
    uint32_t uid_min;
    uint32_t uid_max;
    char instance[IAM_INSTANCE_ID_SIZE]; /* made on; "" when unknown */
    MDB_dbi meta;
    MDB_dbi pw_uid;
    MDB_dbi pw_name;
    MDB_dbi gr_gid;
    MDB_dbi gr_name;
    MDB_dbi user_gids;
    MDB_dbi user_keys;
    /* absent from snapshots written before SHARED_ACCOUNTS */
    bool has_shared;
    MDB_dbi shared_acct;
    MDB_dbi shared_key;
};

int
iam_db_errno(int mdb_rc)
{
    switch (mdb_rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return -ESRCH;
    case ENOENT:
        return -ENOENT;
    case EACCES:
    case EPERM:
        return -EACCES;
    case ENOMEM:
        return -ENOMEM;
    default:
        /* MDB_INVALID, MDB_VERSION_MISMATCH, MDB_CORRUPTED, ... */
        return -EIO;
    }
}

/* Only root may have written what every process on the box believes. */
static int
check_trusted(const struct stat *st)
{
    if (iam_trust_check(st, 0, UINT64_MAX) < 0)
        return -EACCES;
    if (st->st_size < MIN_FILE_SIZE)
        return -EIO;
    return 0;
}

/*
 * LMDB maps as much as the file's meta page claims. A truncated file
 * would then fault on access, so the claim must fit in the file.
 */
static int
check_mapped_size(MDB_env *env, const struct stat *st)
{
    MDB_envinfo info;
    MDB_stat ms;

    if (mdb_env_info(env, &info) || mdb_env_stat(env, &ms))
        return -EIO;
    if ((uint64_t)info.me_last_pgno + 1 > (uint64_t)st->st_size / ms.ms_psize)
        return -EIO;
    return 0;
}

/*
 * XXH64 of the first @len bytes of @fd. Read, not mapped, so that a file
 * that shrinks under the pass cannot raise SIGBUS; into a heap buffer,
 * the fastest way measured (2.4 MB: 0.3 ms, against 0.6 ms into a buffer
 * mapped for the pass and 0.4-0.7 ms through a mapping of the file). Its
 * 64 KiB go back to the process's heap, for the process to reuse.
 */
static int
sum_file(int fd, uint64_t len, uint64_t *ret_sum)
{
    struct iam_seal_state s;
    uint64_t off = 0;
    ssize_t n;
    char *buf;

    buf = malloc(SEAL_CHUNK);
    if (!buf)
        return -ENOMEM;
    iam_seal_init(&s);
    while (off < len) {
        n = pread(fd, buf, len - off < SEAL_CHUNK ? len - off : SEAL_CHUNK,
                  (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        iam_seal_update(&s, buf, (size_t)n);
        off += (uint64_t)n;
    }
    free(buf);
    if (off != len)
        return -EIO;
    *ret_sum = iam_seal_final(&s);
    return 0;
}

/*
 * The seal (iam_seal.h): the trailer must close the file exactly and its
 * checksum match every byte before it. Checked before LMDB reads any
 * byte, since LMDB trusts its pages and dies on a corrupt one.
 */
static int
verify_seal(int fd, const struct stat *st)
{
    uint8_t t[IAM_SEAL_SIZE];
    uint64_t covered, want, got;
    ssize_t n;
    int r;

    if (st->st_size < MIN_FILE_SIZE + IAM_SEAL_SIZE)
        return -EIO;
    n = pread(fd, t, sizeof(t), st->st_size - IAM_SEAL_SIZE);
    if (n != (ssize_t)sizeof(t))
        return -EIO;
    r = iam_seal_decode(t, &covered, &want);
    if (r < 0)
        return r;
    if (covered != (uint64_t)st->st_size - IAM_SEAL_SIZE)
        return -EIO;
    r = sum_file(fd, covered, &got);
    if (r < 0)
        return r;
    return got == want ? 0 : -EIO;
}

/*
 * The identity (device, inode, size, mtime) of the file whose seal was
 * last verified, folded into 64 bits, and the process that verified it. A
 * fork child inherits both, so reopening the same unchanged file (a child
 * of a daemon, after the fork handler dropped the parent's handle) takes
 * no second pass over it. The verifying process itself always checks
 * again: a file it reopens is one it saw change. Atomics, not a lock: a
 * lock held by another thread at fork() would stay held in the child.
 */
static _Atomic uint64_t verified_id;
static _Atomic pid_t verified_by;

static uint64_t
file_id(const struct stat *st)
{
    const uint64_t parts[] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino,
                               (uint64_t)st->st_size,
                               (uint64_t)st->st_mtim.tv_sec,
                               (uint64_t)st->st_mtim.tv_nsec };

    return iam_seal_xxh64(parts, sizeof(parts)) | 1; /* never 0 */
}

/*
 * Opens @path and verifies its seal, unless this process (or its parent)
 * already verified this very file unchanged. -EAGAIN when @path no longer
 * names the file @st describes (a publish in between).
 */
static int
check_sealed(const char *path, const struct stat *st)
{
    struct stat fst;
    int fd, r;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -EAGAIN : -EACCES;
    if (fstat(fd, &fst) < 0)
        r = -EIO;
    else if (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino)
        r = -EAGAIN;
    else if (atomic_load(&verified_id) == file_id(&fst) &&
             atomic_load(&verified_by) != getpid())
        r = 0; /* an ancestor verified this very file */
    else if ((r = verify_seal(fd, &fst)) == 0) {
        atomic_store(&verified_by, getpid());
        atomic_store(&verified_id, file_id(&fst));
    }
    close(fd);
    return r;
}

static int
open_dbi(MDB_txn *txn, const char *name, unsigned flags, MDB_dbi *ret)
{
    return iam_db_errno(mdb_dbi_open(txn, name, flags, ret));
}

/*
 * The "instance" record, when there is one (-ESRCH when not: a writer
 * that knew no instance, or one older than the record). Format 2 readers
 * that predate it look up "format" and "meta" by key and never see it.
 */
static int
read_instance(MDB_txn *txn, MDB_dbi meta, struct iam_str *ret)
{
    MDB_val k = { 8, (void *)"instance" }, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = iam_db_errno(mdb_get(txn, meta, &k, &v));
    if (r < 0)
        return r;
    return iam_rec_decode_instance(v.mv_data, v.mv_size, ret);
}

static int
read_format(struct iam_db *db, MDB_txn *txn)
{
    struct iam_str instance;
    MDB_val k = { 6, (void *)"format" }, v;
    struct iam_meta_rec m;
    uint32_t format;
    int r;

    r = iam_db_errno(mdb_get(txn, db->meta, &k, &v));
    if (r < 0)
        return r == -ESRCH ? -EIO : r;
    if (iam_rec_decode_u32(v.mv_data, v.mv_size, &format) < 0 ||
        format != IAM_DB_FORMAT)
        return -EIO;
    k.mv_size = 4;
    k.mv_data = (void *)"meta";
    r = iam_db_errno(mdb_get(txn, db->meta, &k, &v));
    if (r < 0)
        return r == -ESRCH ? -EIO : r;
    r = iam_rec_decode_meta(v.mv_data, v.mv_size, &m);
    if (r < 0)
        return r;
    db->uid_min = m.uid_min;
    db->uid_max = m.uid_max;
    r = read_instance(txn, db->meta, &instance);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return r;
    /* Longer than any instance id: kept as unknown. */
    if (instance.len < sizeof(db->instance))
        memcpy(db->instance, instance.p, instance.len);
    return 0;
}

/* The shared databases, when the writer made them. */
static int
open_shared(struct iam_db *db, MDB_txn *txn)
{
    int r;

    r = open_dbi(txn, IAM_DB_SHARED_ACCT, 0, &db->shared_acct);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_SHARED_KEY, 0, &db->shared_key);
    if (r == -ESRCH)
        return 0;
    db->has_shared = r >= 0;
    return r;
}

/* Opens every sub-database once; the handles then serve all threads. */
static int
open_schema(struct iam_db *db)
{
    MDB_txn *txn = NULL;
    int r;

    r = iam_db_errno(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn));
    if (r < 0)
        return r;
    r = open_dbi(txn, IAM_DB_META, 0, &db->meta);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_PW_UID, MDB_INTEGERKEY, &db->pw_uid);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_PW_NAME, 0, &db->pw_name);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_GR_GID, MDB_INTEGERKEY, &db->gr_gid);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_GR_NAME, 0, &db->gr_name);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_USER_GIDS, 0, &db->user_gids);
    if (r >= 0)
        r = open_dbi(txn, IAM_DB_USER_KEYS, 0, &db->user_keys);
    if (r >= 0)
        r = open_shared(db, txn);
    if (r >= 0)
        r = read_format(db, txn);
    if (r < 0) {
        mdb_txn_abort(txn);
        return r == -ESRCH ? -EIO : r;
    }
    /* Committing, not aborting, keeps the dbi handles open. */
    return iam_db_errno(mdb_txn_commit(txn));
}

static int
open_env(struct iam_db *db, const char *path, const struct stat *st)
{
    struct stat fst;
    int fd, r;

    r = iam_db_errno(mdb_env_create(&db->env));
    if (r < 0)
        return r;
    r = iam_db_errno(mdb_env_set_maxdbs(db->env, IAM_DB_MAXDBS));
    if (r < 0)
        return r;
    /* Map the file, not the writer's (much larger) map size. */
    r = iam_db_errno(mdb_env_set_mapsize(db->env, (size_t)st->st_size));
    if (r < 0)
        return r;
    r = iam_db_errno(
        mdb_env_open(db->env, path, MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR, 0));
    if (r < 0)
        return r;
    /* LMDB does not set FD_CLOEXEC; exec'd children must not inherit. */
    if (mdb_env_get_fd(db->env, &fd) || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -EIO;
    if (fstat(fd, &fst) < 0)
        return -EIO;
    /* The file checked must be the file opened. */
    if (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino)
        return -EAGAIN;
    r = check_trusted(&fst);
    if (r < 0)
        return r;
    db->dev = fst.st_dev;
    db->ino = fst.st_ino;
    db->size = fst.st_size;
    db->mtime = fst.st_mtim;
    r = check_mapped_size(db->env, &fst);
    if (r < 0)
        return r;
    return open_schema(db);
}

int
iam_db_open(const char *path, struct iam_db **ret_db)
{
    struct iam_db *db = NULL;
    struct stat st;
    int r, tries;

    *ret_db = NULL;
    /* A publish between stat() and open retries; a few suffice. */
    for (tries = 0; tries < 3; tries++) {
        if (stat(path, &st) < 0)
            return errno == ENOENT ? -ENOENT : -EACCES;
        r = check_trusted(&st);
        if (r < 0)
            return r;
        r = check_sealed(path, &st);
        if (r == -EAGAIN)
            continue;
        if (r < 0)
            return r;
        db = calloc(1, sizeof(*db));
        if (!db)
            return -ENOMEM;
        r = open_env(db, path, &st);
        if (r >= 0) {
            *ret_db = db;
            return 0;
        }
        iam_db_close(db);
        db = NULL;
        if (r != -EAGAIN)
            return r;
    }
    return -EIO;
}

void
iam_db_close(struct iam_db *db)
{
    if (!db)
        return;
    /* Still required after a failed mdb_env_open (mdb_stat.c). */
    if (db->env)
        mdb_env_close(db->env);
    free(db);
}

bool
iam_db_is_current(const struct iam_db *db, const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return false;
    /* Written in place (never by iam-sync): the seal must be checked
     * again, so the file counts as a new one. */
    return st.st_dev == db->dev && st.st_ino == db->ino &&
           st.st_size == db->size && st.st_mtim.tv_sec == db->mtime.tv_sec &&
           st.st_mtim.tv_nsec == db->mtime.tv_nsec;
}

uint32_t
iam_db_uid_min(const struct iam_db *db)
{
    return db->uid_min;
}

uint32_t
iam_db_uid_max(const struct iam_db *db)
{
    return db->uid_max;
}

int
iam_db_begin(const struct iam_db *db, struct iam_db_txn *ret)
{
    int r;

    ret->db = db;
    ret->txn = NULL;
    r = iam_db_errno(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &ret->txn));
    if (r < 0) {
        ret->txn = NULL;
        return r == -ESRCH ? -EIO : r;
    }
    return 0;
}

void
iam_db_end(struct iam_db_txn *t)
{
    if (t->txn)
        mdb_txn_abort(t->txn);
    t->txn = NULL;
}

static bool
in_range(const struct iam_db *db, uint32_t id)
{
    return id != 0 && id >= db->uid_min && id <= db->uid_max;
}

/* A name key; refuses what cannot be a name in the file. */
static bool
name_key(const char *name, MDB_val *ret)
{
    size_t n = strnlen(name, NAME_KEY_MAX + 1);

    if (n == 0 || n > NAME_KEY_MAX)
        return false;
    ret->mv_size = n;
    ret->mv_data = (void *)name;
    return true;
}

static int
get(struct iam_db_txn *t, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
    return iam_db_errno(mdb_get(t->txn, dbi, k, v));
}

/* Decodes a user and refuses one whose key, ids or range disagree. */
static int
decode_user(const struct iam_db *db, uint32_t key, const MDB_val *v,
            struct iam_user_rec *ret)
{
    int r = iam_rec_decode_user(v->mv_data, v->mv_size, ret);

    if (r < 0)
        return r;
    if (ret->uid != key)
        return -EIO;
    if (!in_range(db, ret->uid) || !in_range(db, ret->gid))
        return -ESRCH;
    return 0;
}

static int
decode_group(const struct iam_db *db, uint32_t key, const MDB_val *v,
             struct iam_group_rec *ret)
{
    int r = iam_rec_decode_group(v->mv_data, v->mv_size, ret);

    if (r < 0)
        return r;
    if (ret->gid != key)
        return -EIO;
    if (!in_range(db, ret->gid))
        return -ESRCH;
    return 0;
}

int
iam_db_user_by_uid(struct iam_db_txn *t, uint32_t uid, struct iam_user_rec *ret)
{
    unsigned int key = uid;
    MDB_val k = { sizeof(key), &key }, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!in_range(t->db, uid))
        return -ESRCH;
    r = get(t, t->db->pw_uid, &k, &v);
    if (r < 0)
        return r;
    return decode_user(t->db, uid, &v, ret);
}

/* Resolves a name index entry to its id. */
static int
id_by_name(struct iam_db_txn *t, MDB_dbi dbi, const char *name,
           uint32_t *ret_id)
{
    MDB_val k, v;
    int r;

    if (!name_key(name, &k))
        return -ESRCH;
    r = get(t, dbi, &k, &v);
    if (r < 0)
        return r;
    return iam_rec_decode_u32(v.mv_data, v.mv_size, ret_id);
}

int
iam_db_user_by_name(struct iam_db_txn *t, const char *name,
                    struct iam_user_rec *ret)
{
    uint32_t uid;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = id_by_name(t, t->db->pw_name, name, &uid);
    if (r < 0)
        return r;
    r = iam_db_user_by_uid(t, uid, ret);
    if (r == 0 && !iam_str_eq(ret->name, name))
        return -EIO; /* the two indexes disagree */
    return r == -ESRCH ? -EIO : r;
}

int
iam_db_group_by_gid(struct iam_db_txn *t, uint32_t gid,
                    struct iam_group_rec *ret)
{
    unsigned int key = gid;
    MDB_val k = { sizeof(key), &key }, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!in_range(t->db, gid))
        return -ESRCH;
    r = get(t, t->db->gr_gid, &k, &v);
    if (r < 0)
        return r;
    return decode_group(t->db, gid, &v, ret);
}

int
iam_db_group_by_name(struct iam_db_txn *t, const char *name,
                     struct iam_group_rec *ret)
{
    uint32_t gid;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = id_by_name(t, t->db->gr_name, name, &gid);
    if (r < 0)
        return r;
    r = iam_db_group_by_gid(t, gid, ret);
    if (r == 0 && !iam_str_eq(ret->name, name))
        return -EIO;
    return r == -ESRCH ? -EIO : r;
}

/*
 * Positions a cursor on the first integer key >= @from and hands each
 * entry to @decode until one is in range. Entries out of range are
 * skipped, never served.
 */
static int
next_by_id(struct iam_db_txn *t, MDB_dbi dbi, uint32_t from,
           int (*decode)(const struct iam_db *, uint32_t, const MDB_val *,
                         void *),
           void *ret)
{
    MDB_cursor *cur = NULL;
    unsigned int key = from;
    MDB_val k = { sizeof(key), &key }, v;
    MDB_cursor_op op = MDB_SET_RANGE;
    int r;

    r = iam_db_errno(mdb_cursor_open(t->txn, dbi, &cur));
    if (r < 0)
        return r == -ESRCH ? -EIO : r;
    for (;;) {
        r = iam_db_errno(mdb_cursor_get(cur, &k, &v, op));
        if (r < 0)
            break;
        op = MDB_NEXT;
        if (k.mv_size != sizeof(unsigned int)) {
            r = -EIO;
            break;
        }
        memcpy(&key, k.mv_data, sizeof(key));
        r = decode(t->db, key, &v, ret);
        if (r != -ESRCH)
            break;
    }
    mdb_cursor_close(cur);
    return r;
}

static int
decode_user_any(const struct iam_db *db, uint32_t key, const MDB_val *v,
                void *ret)
{
    return decode_user(db, key, v, ret);
}

static int
decode_group_any(const struct iam_db *db, uint32_t key, const MDB_val *v,
                 void *ret)
{
    return decode_group(db, key, v, ret);
}

int
iam_db_user_next(struct iam_db_txn *t, uint32_t from, struct iam_user_rec *ret)
{
    memset(ret, 0, sizeof(*ret));
    return next_by_id(t, t->db->pw_uid, from, decode_user_any, ret);
}

int
iam_db_group_next(struct iam_db_txn *t, uint32_t from,
                  struct iam_group_rec *ret)
{
    memset(ret, 0, sizeof(*ret));
    return next_by_id(t, t->db->gr_gid, from, decode_group_any, ret);
}

/* A by-name record of @dbi, decoded into a sequence by @decode. */
static int
user_seq(struct iam_db_txn *t, MDB_dbi dbi, const char *name,
         int (*decode)(const void *, size_t, struct iam_rec_iter *),
         struct iam_rec_iter *ret)
{
    MDB_val k, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!name_key(name, &k))
        return -ESRCH;
    r = get(t, dbi, &k, &v);
    if (r < 0)
        return r;
    return decode(v.mv_data, v.mv_size, ret);
}

int
iam_db_user_gids(struct iam_db_txn *t, const char *name,
                 struct iam_rec_iter *ret)
{
    return user_seq(t, t->db->user_gids, name, iam_rec_decode_gids, ret);
}

int
iam_db_user_keys(struct iam_db_txn *t, const char *name,
                 struct iam_rec_iter *ret)
{
    return user_seq(t, t->db->user_keys, name, iam_rec_decode_keys, ret);
}

int
iam_db_shared_acct(struct iam_db_txn *t, const char *name,
                   struct iam_shared_acct_rec *ret)
{
    MDB_val k, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!t->db->has_shared || !name_key(name, &k))
        return -ESRCH;
    r = get(t, t->db->shared_acct, &k, &v);
    if (r < 0)
        return r;
    return iam_rec_decode_shared_acct(v.mv_data, v.mv_size, ret);
}

int
iam_db_shared_key(struct iam_db_txn *t, const char *fp,
                  struct iam_shared_key_rec *ret)
{
    MDB_val k, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!t->db->has_shared || !name_key(fp, &k))
        return -ESRCH;
    r = get(t, t->db->shared_key, &k, &v);
    if (r < 0)
        return r;
    return iam_rec_decode_shared_key(v.mv_data, v.mv_size, ret);
}

int
iam_db_shared_key_next(struct iam_db_txn *t, const char *after,
                       struct iam_shared_key_rec *ret)
{
    size_t n = strnlen(after, NAME_KEY_MAX + 1);
    MDB_val k = { n, (void *)after }, v;
    MDB_cursor *cur = NULL;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!t->db->has_shared || n > NAME_KEY_MAX)
        return -ESRCH;
    r = iam_db_errno(mdb_cursor_open(t->txn, t->db->shared_key, &cur));
    if (r < 0)
        return r == -ESRCH ? -EIO : r;
    r = iam_db_errno(
        mdb_cursor_get(cur, &k, &v, n ? MDB_SET_RANGE : MDB_FIRST));
    /* SET_RANGE stops at @after itself when it is there */
    if (r >= 0 && n && k.mv_size == n && memcmp(k.mv_data, after, n) == 0)
        r = iam_db_errno(mdb_cursor_get(cur, &k, &v, MDB_NEXT));
    if (r >= 0)
        r = iam_rec_decode_shared_key(v.mv_data, v.mv_size, ret);
    mdb_cursor_close(cur);
    return r;
}

int
iam_db_meta(struct iam_db_txn *t, struct iam_meta_rec *ret)
{
    MDB_val k = { 4, (void *)"meta" }, v;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = get(t, t->db->meta, &k, &v);
    if (r < 0)
        return r == -ESRCH ? -EIO : r;
    r = iam_rec_decode_meta(v.mv_data, v.mv_size, ret);
    if (r >= 0)
        r = read_instance(t->txn, t->db->meta, &ret->instance);
    if (r == -ESRCH)
        r = 0;
    if (r < 0)
        memset(ret, 0, sizeof(*ret));
    return r;
}

const char *
iam_db_instance(const struct iam_db *db)
{
    return db->instance;
}

bool
iam_db_made_elsewhere(const struct iam_db *db,
                      char ret_here[IAM_INSTANCE_ID_SIZE])
{
    ret_here[0] = '\0';
    /* Off EC2 (no instance recorded) nothing is read. */
    if (!db->instance[0])
        return false;
    iam_instance_id_local(IAM_INSTANCE_ID_PATH, ret_here);
    return iam_instance_other(iam_str_of(db->instance), ret_here);
}
