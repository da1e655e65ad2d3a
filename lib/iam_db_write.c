#include "iam_db_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "iam_db.h"
#include "iam_file.h"
#include "iam_log.h"
#include "iam_seal.h"
#include "iam_sha256.h"

/*
 * Address space reserved for the map; the file only grows as data is
 * written. 1 GiB holds far more than the largest IAM account (IAM caps an
 * account at 5000 users by default).
 */
#define WRITER_MAPSIZE ((size_t)1 << 30)
#define NAME_MAX_BYTES 255
/*
 * Puts per write transaction. LMDB keeps every page a transaction dirties
 * in the heap until it commits, so one transaction for a 5000-user account
 * held the whole file (8 MB) in memory. The file is private until it is
 * published, so committing it in parts changes nothing a reader can see;
 * this bounds the dirty pages to what about 170 users' records touch.
 */
#define WRITER_TXN_PUTS 1024
/*
 * Puts, or records hashed, between two drops of the mapped pages (see
 * drop_mapped): inserts in an order other than the key order read pages
 * all over the file, up to all of it per transaction.
 */
#define WRITER_DROP_EVERY 128
/* Bytes read per pread() while sealing. */
#define SEAL_CHUNK (64 * 1024)

struct iam_db_writer {
    struct iam_file_temp file; /* LMDB writes through its name */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi[9];
    unsigned puts; /* in the current transaction */
    struct iam_buf buf;
    char digest[IAM_SHA256_HEX_SIZE];
    int sealed;
};

/* Order of dbi[]; meta is last so the digest can skip it. */
static const struct {
    const char *name;
    unsigned flags;
} schema[] = {
    { IAM_DB_PW_UID, MDB_INTEGERKEY },
    { IAM_DB_PW_NAME, 0 },
    { IAM_DB_GR_GID, MDB_INTEGERKEY },
    { IAM_DB_GR_NAME, 0 },
    { IAM_DB_USER_GIDS, 0 },
    { IAM_DB_USER_KEYS, 0 },
    { IAM_DB_SHARED_ACCT, 0 },
    { IAM_DB_SHARED_KEY, 0 },
    { IAM_DB_META, 0 },
};
enum {
    PW_UID,
    PW_NAME,
    GR_GID,
    GR_NAME,
    USER_GIDS,
    USER_KEYS,
    SHARED_ACCT,
    SHARED_KEY,
    META,
    NDBI
};

_Static_assert(NDBI <= IAM_DB_MAXDBS, "IAM_DB_MAXDBS is too small");

static int
writer_errno(int mdb_rc)
{
    if (mdb_rc == MDB_KEYEXIST)
        return -EEXIST;
    if (mdb_rc == MDB_MAP_FULL || mdb_rc == ENOSPC)
        return -ENOSPC;
    return iam_db_errno(mdb_rc);
}

static int
open_env(struct iam_db_writer *w)
{
    size_t i;
    int r;

    r = writer_errno(mdb_env_create(&w->env));
    if (r < 0)
        return r;
    r = writer_errno(mdb_env_set_maxdbs(w->env, IAM_DB_MAXDBS));
    if (r >= 0)
        r = writer_errno(mdb_env_set_mapsize(w->env, WRITER_MAPSIZE));
    /*
     * A private file with one writer needs no lock file; and no sync per
     * commit, as the seal syncs once (mdb_env_sync with force) and a file
     * cut short by a crash is never published but swept.
     */
    if (r >= 0)
        r = writer_errno(mdb_env_open(
            w->env, w->file.tmp, MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0600));
    if (r >= 0)
        r = writer_errno(mdb_txn_begin(w->env, NULL, 0, &w->txn));
    for (i = 0; r >= 0 && i < NDBI; i++)
        r = writer_errno(mdb_dbi_open(
            w->txn, schema[i].name, schema[i].flags | MDB_CREATE, &w->dbi[i]));
    return r;
}

int
iam_db_writer_open(const char *path, struct iam_db_writer **ret_w)
{
    struct iam_db_writer *w;
    int r;

    *ret_w = NULL;
    w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    r = iam_file_temp_open(path, &w->file);
    if (r < 0) {
        free(w);
        return r;
    }
    r = open_env(w);
    if (r < 0) {
        iam_db_writer_abort(w);
        return r;
    }
    *ret_w = w;
    return 0;
}

/* Skips one field and the blanks after it. */
static const char *
next_field(const char *p)
{
    while (*p && *p != ' ')
        p++;
    while (*p == ' ')
        p++;
    return p;
}

/*
 * One /proc/self/maps line: "START-END PERMS OFFSET MAJ:MIN INODE PATH".
 * Returns true and the range, device and inode when it parses.
 */
static bool
parse_map_line(const char *line, unsigned long *ret_start,
               unsigned long *ret_end, dev_t *ret_dev, unsigned long *ret_ino)
{
    unsigned long maj, min;
    const char *p;
    char *e;

    *ret_start = strtoul(line, &e, 16);
    if (*e != '-')
        return false;
    *ret_end = strtoul(e + 1, &e, 16);
    if (*e != ' ')
        return false;
    p = next_field(next_field(e + 1)); /* past PERMS and OFFSET */
    maj = strtoul(p, &e, 16);
    if (*e != ':')
        return false;
    min = strtoul(e + 1, &e, 16);
    if (*e != ' ')
        return false;
    *ret_ino = strtoul(e + 1, &e, 10);
    *ret_dev = makedev(maj, min);
    return *ret_end > *ret_start;
}

/*
 * Unmaps the pages of the file this process has read so far; they stay in
 * the page cache and come back on the next access. Reads go through
 * LMDB's read-only shared map, so the pages of every committed part and
 * of the digest pass would otherwise all end up in the resident set (as
 * much as the file). LMDB 0.9 does not tell where its map is
 * (mdb_env_info gives it only for MDB_FIXEDMAP), so the mapping of our
 * file is found in /proc/self/maps. Advice only: when it fails, the cost
 * is memory, never correctness.
 */
static void
drop_mapped(const struct iam_db_writer *w)
{
    unsigned long start, end, ino;
    char line[512];
    struct stat st;
    dev_t dev;
    FILE *f;

    if (fstat(w->file.fd, &st) < 0)
        return;
    f = fopen("/proc/self/maps", "re");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (!parse_map_line(line, &start, &end, &dev, &ino))
            continue;
        if (ino == st.st_ino && dev == st.st_dev)
            (void)madvise((void *)start, end - start, MADV_DONTNEED);
    }
    fclose(f);
}

/* Commits the current part of the file and starts the next one. */
static int
next_txn(struct iam_db_writer *w)
{
    int r;

    r = writer_errno(mdb_txn_commit(w->txn));
    w->txn = NULL;
    w->puts = 0;
    if (r < 0)
        return r;
    drop_mapped(w);
    return writer_errno(mdb_txn_begin(w->env, NULL, 0, &w->txn));
}

static int
put(struct iam_db_writer *w, int db, MDB_val *k, MDB_val *v)
{
    int r;

    if (!w->txn)
        return -EIO; /* a commit of an earlier part failed */
    r = writer_errno(mdb_put(w->txn, w->dbi[db], k, v, MDB_NOOVERWRITE));
    if (r < 0)
        return r;
    if (++w->puts >= WRITER_TXN_PUTS)
        return next_txn(w);
    if (w->puts % WRITER_DROP_EVERY == 0)
        drop_mapped(w);
    return 0;
}

static int
put_id(struct iam_db_writer *w, int db, uint32_t id)
{
    unsigned int key = id;
    MDB_val k = { sizeof(key), &key };
    MDB_val v = { w->buf.len, w->buf.p };

    return put(w, db, &k, &v);
}

static int
name_val(const char *name, MDB_val *ret)
{
    size_t n = strlen(name);

    if (n == 0 || n > NAME_MAX_BYTES)
        return -EINVAL;
    ret->mv_size = n;
    ret->mv_data = (void *)name;
    return 0;
}

/* Puts the current buffer under @name in @db. */
static int
put_named(struct iam_db_writer *w, int db, const char *name)
{
    MDB_val k, v = { w->buf.len, w->buf.p };
    int r = name_val(name, &k);

    if (r < 0)
        return r;
    return put(w, db, &k, &v);
}

/* Indexes @name -> @id in a by-name database. */
static int
put_index(struct iam_db_writer *w, int db, const char *name, uint32_t id)
{
    int r;

    w->buf.len = 0;
    r = iam_rec_encode_u32(&w->buf, id);
    if (r < 0)
        return r;
    return put_named(w, db, name);
}

int
iam_db_writer_put_user(struct iam_db_writer *w, const struct iam_user_rec *u)
{
    char name[NAME_MAX_BYTES + 1];
    int r;

    if (w->sealed || u->name.len == 0 || u->name.len > NAME_MAX_BYTES)
        return -EINVAL;
    memcpy(name, u->name.p, u->name.len);
    name[u->name.len] = '\0';
    w->buf.len = 0;
    r = iam_rec_encode_user(&w->buf, u);
    if (r >= 0)
        r = put_id(w, PW_UID, u->uid);
    if (r >= 0)
        r = put_index(w, PW_NAME, name, u->uid);
    return r;
}

int
iam_db_writer_put_group(struct iam_db_writer *w, uint32_t gid, const char *name,
                        uint8_t kind, const struct iam_str *members,
                        uint32_t nmem)
{
    int r;

    if (w->sealed)
        return -EINVAL;
    w->buf.len = 0;
    r = iam_rec_encode_group(&w->buf, gid, iam_str_of(name), kind, members,
                             nmem);
    if (r >= 0)
        r = put_id(w, GR_GID, gid);
    if (r >= 0)
        r = put_index(w, GR_NAME, name, gid);
    return r;
}

int
iam_db_writer_put_user_gids(struct iam_db_writer *w, const char *name,
                            const uint32_t *gids, uint32_t n)
{
    int r;

    if (w->sealed)
        return -EINVAL;
    w->buf.len = 0;
    r = iam_rec_encode_gids(&w->buf, gids, n);
    if (r < 0)
        return r;
    return put_named(w, USER_GIDS, name);
}

int
iam_db_writer_put_user_keys(struct iam_db_writer *w, const char *name,
                            const struct iam_key_rec *keys, uint32_t n)
{
    int r;

    if (w->sealed)
        return -EINVAL;
    w->buf.len = 0;
    r = iam_rec_encode_keys(&w->buf, keys, n);
    if (r < 0)
        return r;
    return put_named(w, USER_KEYS, name);
}

int
iam_db_writer_put_shared_acct(struct iam_db_writer *w, const char *account,
                              uint32_t uid, const struct iam_str *groups,
                              uint32_t n)
{
    int r;

    if (w->sealed)
        return -EINVAL;
    w->buf.len = 0;
    r = iam_rec_encode_shared_acct(&w->buf, uid, groups, n);
    if (r < 0)
        return r;
    return put_named(w, SHARED_ACCT, account);
}

int
iam_db_writer_put_shared_key(struct iam_db_writer *w,
                             const struct iam_shared_key_rec *k,
                             const struct iam_str *groups, uint32_t n)
{
    MDB_val key = { k->fingerprint.len, (void *)k->fingerprint.p };
    MDB_val v;
    int r;

    if (w->sealed || k->fingerprint.len == 0 ||
        k->fingerprint.len > NAME_MAX_BYTES)
        return -EINVAL;
    w->buf.len = 0;
    r = iam_rec_encode_shared_key(&w->buf, k, groups, n);
    if (r < 0)
        return r;
    v.mv_size = w->buf.len;
    v.mv_data = w->buf.p;
    return put(w, SHARED_KEY, &key, &v);
}

static void
hash_len(struct iam_sha256_ctx *md, size_t n)
{
    uint8_t b[8];
    int i;

    for (i = 0; i < 8; i++)
        b[i] = (uint8_t)(n >> (8 * i));
    iam_sha256_update(md, b, sizeof(b));
}

/* Feeds one database, in key order, into @md. */
static int
hash_db(struct iam_db_writer *w, int db, struct iam_sha256_ctx *md)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t n = 0;
    int r;

    MDB_stat st;

    /* Empty shared databases stay out of the digest: a snapshot without
     * SHARED_ACCOUNTS hashes as it did before they existed, so an
     * upgrade alone publishes nothing new. */
    if (db == SHARED_ACCT || db == SHARED_KEY) {
        r = writer_errno(mdb_stat(w->txn, w->dbi[db], &st));
        if (r < 0 || st.ms_entries == 0)
            return r;
    }
    r = writer_errno(mdb_cursor_open(w->txn, w->dbi[db], &cur));
    if (r < 0)
        return r;
    hash_len(md, strlen(schema[db].name));
    iam_sha256_update(md, schema[db].name, strlen(schema[db].name));
    while ((r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
        hash_len(md, k.mv_size);
        iam_sha256_update(md, k.mv_data, k.mv_size);
        hash_len(md, v.mv_size);
        iam_sha256_update(md, v.mv_data, v.mv_size);
        if (++n % WRITER_DROP_EVERY == 0)
            drop_mapped(w);
    }
    mdb_cursor_close(cur);
    return r == MDB_NOTFOUND ? 0 : writer_errno(r);
}

static int
compute_digest(struct iam_db_writer *w)
{
    uint8_t d[IAM_SHA256_LEN];
    struct iam_sha256_ctx md;
    int db, r = 0;

    iam_sha256_init(&md);
    for (db = 0; r >= 0 && db < META; db++)
        r = hash_db(w, db, &md);
    iam_sha256_final(&md, d);
    if (r < 0)
        return r;
    iam_sha256_hex_of(d, w->digest);
    return 0;
}

/*
 * Appends the seal (iam_seal.h) to the closed LMDB file: readers check
 * it before LMDB reads a byte. Reads the file back through @w->file.fd, in
 * parts, so the writer's memory stays small.
 */
static int
append_seal(struct iam_db_writer *w)
{
    uint8_t trailer[IAM_SEAL_SIZE];
    struct iam_seal_state s;
    uint64_t off = 0;
    struct stat st;
    ssize_t n = 0;
    char *buf;

    if (fstat(w->file.fd, &st) < 0)
        return -errno;
    buf = malloc(SEAL_CHUNK);
    if (!buf)
        return -ENOMEM;
    iam_seal_init(&s);
    while (off < (uint64_t)st.st_size) {
        n = pread(w->file.fd, buf, SEAL_CHUNK, (off_t)off);
        if (n <= 0)
            break;
        iam_seal_update(&s, buf, (size_t)n);
        off += (uint64_t)n;
    }
    free(buf);
    if (n < 0)
        return -errno;
    if (off != (uint64_t)st.st_size)
        return -EIO;
    iam_seal_encode(off, iam_seal_final(&s), trailer);
    n = pwrite(w->file.fd, trailer, sizeof(trailer), (off_t)off);
    if (n < 0)
        return -errno;
    return n == (ssize_t)sizeof(trailer) ? 0 : -EIO;
}

int
iam_db_writer_seal(struct iam_db_writer *w, struct iam_meta_rec *meta)
{
    int r;

    if (w->sealed)
        return -EINVAL;
    if (!w->txn)
        return -EIO;
    r = compute_digest(w);
    if (r < 0)
        return r;
    meta->digest = iam_str_of(w->digest);
    w->buf.len = 0;
    r = iam_rec_encode_u32(&w->buf, IAM_DB_FORMAT);
    if (r >= 0)
        r = put_named(w, META, "format");
    w->buf.len = 0;
    if (r >= 0)
        r = iam_rec_encode_meta(&w->buf, meta);
    if (r >= 0)
        r = put_named(w, META, "meta");
    w->buf.len = 0;
    if (r >= 0 && meta->instance.len) {
        r = iam_rec_encode_instance(&w->buf, meta->instance);
        if (r >= 0)
            r = put_named(w, META, "instance");
    }
    if (r < 0)
        return r;
    r = writer_errno(mdb_txn_commit(w->txn));
    w->txn = NULL;
    if (r >= 0)
        r = writer_errno(mdb_env_sync(w->env, 1));
    mdb_env_close(w->env);
    w->env = NULL;
    /* Only a whole, synced LMDB file is sealed; publish syncs the seal. */
    if (r >= 0)
        r = append_seal(w);
    if (r >= 0)
        w->sealed = 1;
    return r;
}

int
iam_db_writer_publish(struct iam_db_writer *w)
{
    int r = 0;

    if (!w->sealed) {
        iam_db_writer_abort(w);
        return -EINVAL;
    }
    /* Owner and mode are fixed before the name appears (never after). */
    if (geteuid() == 0 && fchown(w->file.fd, 0, 0) < 0)
        r = -errno;
    if (r >= 0)
        r = iam_file_temp_commit(&w->file, NULL, 0, 0644);
    iam_db_writer_abort(w); /* the temporary file is gone or renamed */
    return r;
}

void
iam_db_writer_abort(struct iam_db_writer *w)
{
    if (!w)
        return;
    if (w->txn)
        mdb_txn_abort(w->txn);
    if (w->env)
        mdb_env_close(w->env);
    iam_file_temp_abort(&w->file);
    iam_buf_free(&w->buf);
    free(w);
}

/* Is @name a temporary file of ours for @base: ".<base>." + 6 chars? */
static bool
is_temp_name(const char *name, const char *base)
{
    size_t n = strlen(base);

    return name[0] == '.' && strncmp(name + 1, base, n) == 0 &&
           name[n + 1] == '.' && strlen(name + n + 2) == 6;
}

int
iam_db_writer_sweep(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    struct dirent *de;
    struct stat st;
    int dfd, removed = 0;
    DIR *d;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s",
                 slash == path ? 1 : (int)(slash - path), path);
    d = opendir(dir);
    if (!d)
        return -errno;
    dfd = dirfd(d);
    while ((de = readdir(d))) {
        if (!is_temp_name(de->d_name, base) ||
            fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (unlinkat(dfd, de->d_name, 0) == 0) {
            iam_log(LOG_NOTICE,
                    "%s/%s: removed the temporary file of a "
                    "sync that did not finish",
                    dir, de->d_name);
            removed++;
        }
    }
    closedir(d);
    return removed;
}
