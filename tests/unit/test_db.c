/*
 * The snapshot: write, publish, reopen, read back; readers keep reading an
 * old snapshot while a new one is published; every kind of bad file is
 * refused with the documented error, and so is a file whose indexes
 * disagree with its records.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "iam_db.h"
#include "iam_db_write.h"
#include "iam_seal.h"

#define NUSERS 5000

struct ctx {
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    if (!c)
        return -1;
    snprintf(c->dir, sizeof(c->dir), "/tmp/iam-db-test.XXXXXX");
    if (!mkdtemp(c->dir))
        return -1;
    snprintf(c->path, sizeof(c->path), "%s/passwd.mdb", c->dir);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;
    struct dirent *de;
    char p[512];
    DIR *d = opendir(c->dir);

    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' &&
            (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        snprintf(p, sizeof(p), "%s/%s", c->dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(c->dir);
    free(c);
    return 0;
}

/* Number of entries in the directory besides . and .. */
static int
dir_entries(const char *dir)
{
    struct dirent *de;
    DIR *d = opendir(dir);
    int n = 0;

    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void
test_publish_and_read_back(void **state)
{
    struct ctx *c = *state;
    struct iam_db *db;
    struct iam_db_txn t;
    struct iam_user_rec u;
    struct iam_group_rec g;
    struct iam_meta_rec m;
    struct iam_rec_iter it;
    struct iam_key_rec k;
    struct stat st;
    char name[16];
    uint32_t gid, next;
    unsigned i, n;

    assert_int_equal(fixture_snapshot(c->path, NUSERS, 1), 0);
    /* Only the file: no lock file, no temporary left behind. */
    assert_int_equal(dir_entries(c->dir), 1);
    assert_int_equal(stat(c->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_int_equal(iam_db_uid_min(db), FIXTURE_UID_MIN);
    assert_int_equal(iam_db_begin(db, &t), 0);
    for (i = 0; i < NUSERS; i++) {
        fixture_name(i, name);
        assert_int_equal(iam_db_user_by_name(&t, name, &u), 0);
        assert_int_equal(u.uid, fixture_uid(i));
        assert_int_equal(iam_db_user_by_uid(&t, fixture_uid(i), &u), 0);
        assert_true(iam_str_eq(u.name, name));
        assert_int_equal(iam_db_group_by_gid(&t, u.uid, &g), 0);
        assert_true(iam_str_eq(g.name, name));
    }
    /* Enumeration visits every user once, in uid order. */
    for (n = 0, next = 0; iam_db_user_next(&t, next, &u) == 0; n++)
        next = u.uid + 1;
    assert_int_equal(n, NUSERS);
    assert_int_equal(iam_db_group_by_name(&t, "admins", &g), 0);
    assert_int_equal(g.nmem, (NUSERS + 2) / 3);
    assert_int_equal(iam_db_user_gids(&t, "user00003", &it), 0);
    assert_int_equal(iam_rec_gid_next(&it, &gid), 1);
    assert_int_equal(gid, FIXTURE_GID_ADMINS);
    assert_int_equal(iam_db_user_keys(&t, "user00003", &it), 0);
    assert_int_equal(iam_rec_key_next(&it, &k), 1);
    assert_int_equal(k.status, IAM_KEY_ACTIVE);
    assert_int_equal(iam_db_meta(&t, &m), 0);
    assert_int_equal(m.users, NUSERS);
    assert_int_equal(m.digest.len, 64);
    /* Misses. */
    assert_int_equal(iam_db_user_by_name(&t, "nobody-here", &u), -ESRCH);
    assert_int_equal(iam_db_user_by_name(&t, "", &u), -ESRCH);
    assert_int_equal(iam_db_user_by_uid(&t, 0, &u), -ESRCH);
    assert_int_equal(iam_db_user_by_uid(&t, 1000, &u), -ESRCH);
    assert_int_equal(iam_db_user_by_uid(&t, fixture_uid(0) + 1, &u), -ESRCH);
    assert_int_equal(iam_db_user_keys(&t, "nobody-here", &it), -ESRCH);
    iam_db_end(&t);
    iam_db_close(db);
}

/*
 * The instance record: absent when none was given (nothing to compare),
 * read back beside meta when given, and a file made on another instance
 * says so only when both ids are known.
 */
static void
test_instance_record(void **state)
{
    struct ctx *c = *state;
    char here[IAM_INSTANCE_ID_SIZE];
    struct iam_meta_rec m;
    struct iam_db_txn t;
    struct iam_db *db;

    assert_int_equal(fixture_snapshot(c->path, 3, 1), 0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_string_equal(iam_db_instance(db), "");
    assert_false(iam_db_made_elsewhere(db, here));
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_meta(&t, &m), 0);
    assert_int_equal(m.instance.len, 0);
    iam_db_end(&t);
    iam_db_close(db);
    assert_int_equal(fixture_snapshot_on(c->path, 3, 1, "i-0aaaaaaaaaaaaaaaa"),
                     0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_string_equal(iam_db_instance(db), "i-0aaaaaaaaaaaaaaaa");
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_meta(&t, &m), 0);
    assert_true(iam_str_eq(m.instance, "i-0aaaaaaaaaaaaaaaa"));
    assert_int_equal(m.users, 3);
    iam_db_end(&t);
    iam_db_close(db);
}

static void
test_instance_compare(void **state)
{
    struct iam_str a = iam_str_of("i-0aaaaaaaaaaaaaaaa");

    (void)state;
    assert_true(iam_instance_id_valid("i-0123abcd", 10));
    assert_true(iam_instance_id_valid("i-0123456789abcdef0", 19));
    assert_false(iam_instance_id_valid("i-0123abc", 9));
    assert_false(iam_instance_id_valid("i-0123ABCD", 10));
    assert_false(iam_instance_id_valid("iid-datasource-none", 19));
    assert_false(iam_instance_id_valid("", 0));
    assert_true(iam_instance_other(a, "i-0bbbbbbbbbbbbbbbb"));
    assert_false(iam_instance_other(a, "i-0aaaaaaaaaaaaaaaa"));
    /* Unknown on either side: nothing compared. */
    assert_false(iam_instance_other(a, ""));
    assert_false(iam_instance_other(iam_str_of(""), "i-0bbbbbbbbbbbbbbbb"));
    assert_false(iam_instance_other(a, "Default string"));
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode);
#define write_tag(path, text, mode) write_file(path, text, strlen(text), mode)

/* The local id: as sysfs shows it (a newline after it), trusted only
 * from root, and only when it is an instance id. */
static void
test_instance_local(void **state)
{
    struct ctx *c = *state;
    char id[IAM_INSTANCE_ID_SIZE], p[192];

    snprintf(p, sizeof(p), "%s/board_asset_tag", c->dir);
    assert_int_equal(iam_instance_id_local(p, id), -ENOENT);
    assert_string_equal(id, "");
    write_tag(p, "Default string\n", 0444);
    assert_int_equal(iam_instance_id_local(p, id), -ENOENT);
    write_tag(p, "i-0aaaaaaaaaaaaaaaa\n", 0444);
    if (geteuid() != 0) {
        /* Not root's file: never trusted. */
        assert_int_equal(iam_instance_id_local(p, id), -ENOENT);
        return;
    }
    assert_int_equal(iam_instance_id_local(p, id), 0);
    assert_string_equal(id, "i-0aaaaaaaaaaaaaaaa");
    write_tag(p, "i-0aaaaaaaaaaaaaaaa\n", 0666);
    assert_int_equal(iam_instance_id_local(p, id), -ENOENT);
    write_tag(p, "i-0aaaaaaaaaaaaaaaa\n\n", 0444);
    assert_int_equal(iam_instance_id_local(p, id), -ENOENT);
    assert_string_equal(id, "");
}

/* A reader holding the old file reads it unchanged after a publish. */
static void
test_old_reader_survives_publish(void **state)
{
    struct ctx *c = *state;
    struct iam_db *old, *cur;
    struct iam_db_txn t;
    struct iam_user_rec u;

    assert_int_equal(fixture_snapshot(c->path, 100, 1), 0);
    assert_int_equal(iam_db_open(c->path, &old), 0);
    assert_true(iam_db_is_current(old, c->path));
    assert_int_equal(fixture_snapshot(c->path, 50, 2), 0);
    assert_false(iam_db_is_current(old, c->path));
    assert_int_equal(iam_db_begin(old, &t), 0);
    assert_int_equal(iam_db_user_by_name(&t, "user00099", &u), 0);
    assert_true(iam_str_eq(u.gecos, "user00099@example.com,gen1"));
    iam_db_end(&t);
    assert_int_equal(iam_db_open(c->path, &cur), 0);
    assert_int_equal(iam_db_begin(cur, &t), 0);
    assert_int_equal(iam_db_user_by_name(&t, "user00099", &u), -ESRCH);
    assert_int_equal(iam_db_user_by_name(&t, "user00049", &u), 0);
    assert_true(iam_str_eq(u.gecos, "user00049@example.com,gen2"));
    iam_db_end(&t);
    iam_db_close(cur);
    iam_db_close(old);
    assert_int_equal(dir_entries(c->dir), 1);
}

/* The digest depends on content only, not on time or put order. */
static void
test_digest(void **state)
{
    struct ctx *c = *state;
    struct iam_db *db;
    struct iam_db_txn t;
    struct iam_meta_rec m;
    char d1[65], d2[65], d3[65];

    assert_int_equal(fixture_snapshot(c->path, 30, 1), 0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_meta(&t, &m), 0);
    snprintf(d1, sizeof(d1), "%.*s", (int)m.digest.len, m.digest.p);
    iam_db_end(&t);
    iam_db_close(db);
    sleep(1); /* a different creation time must not change the digest */
    assert_int_equal(fixture_snapshot(c->path, 30, 1), 0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_meta(&t, &m), 0);
    snprintf(d2, sizeof(d2), "%.*s", (int)m.digest.len, m.digest.p);
    iam_db_end(&t);
    iam_db_close(db);
    assert_string_equal(d1, d2);
    assert_int_equal(fixture_snapshot(c->path, 30, 2), 0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_meta(&t, &m), 0);
    snprintf(d3, sizeof(d3), "%.*s", (int)m.digest.len, m.digest.p);
    iam_db_end(&t);
    iam_db_close(db);
    assert_string_not_equal(d1, d3);
}

static void
test_writer_refuses_duplicates_and_abort_cleans(void **state)
{
    struct ctx *c = *state;
    struct iam_db_writer *w;
    struct iam_user_rec u;

    memset(&u, 0, sizeof(u));
    u.uid = u.gid = FIXTURE_UID_MIN + 5;
    u.name = iam_str_of("dup");
    assert_int_equal(iam_db_writer_open(c->path, &w), 0);
    assert_int_equal(dir_entries(c->dir), 1);
    assert_int_equal(iam_db_writer_put_user(w, &u), 0);
    assert_int_equal(iam_db_writer_put_user(w, &u), -EEXIST);
    u.uid = FIXTURE_UID_MIN + 6; /* same name, other uid */
    assert_int_equal(iam_db_writer_put_user(w, &u), -EEXIST);
    iam_db_writer_abort(w);
    assert_int_equal(dir_entries(c->dir), 0);
    assert_int_equal(iam_db_writer_open("/nonexistent-dir/passwd.mdb", &w),
                     -ENOENT);
    assert_null(w);
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    assert_true(fd >= 0);
    if (n)
        assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void
assert_open_fails(const char *path, int want)
{
    struct iam_db *db = (struct iam_db *)1;

    assert_int_equal(iam_db_open(path, &db), want);
    assert_null(db);
}

static void
test_bad_files(void **state)
{
    struct ctx *c = *state;
    static char junk[65536];
    struct stat st;
    size_t i;
    int fd;

    assert_open_fails(c->path, -ENOENT);
    write_file(c->path, "", 0, 0644);
    assert_open_fails(c->path, -EIO);
    srand(7);
    for (i = 0; i < sizeof(junk); i++)
        junk[i] = (char)rand();
    write_file(c->path, junk, sizeof(junk), 0644);
    assert_open_fails(c->path, -EIO);
    /* A good file, then truncated to half: its data is not all there. */
    assert_int_equal(fixture_snapshot(c->path, 2000, 1), 0);
    assert_int_equal(stat(c->path, &st), 0);
    fd = open(c->path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, st.st_size / 2), 0);
    close(fd);
    assert_open_fails(c->path, -EIO);
    /* Trusted only when root-owned and not writable by group or others. */
    assert_int_equal(fixture_snapshot(c->path, 10, 1), 0);
    assert_int_equal(chmod(c->path, 0666), 0);
    assert_open_fails(c->path, -EACCES);
    assert_int_equal(chmod(c->path, 0664), 0);
    assert_open_fails(c->path, -EACCES);
    assert_int_equal(chmod(c->path, 0644), 0);
    assert_int_equal(chown(c->path, 65534, 65534), 0);
    assert_open_fails(c->path, -EACCES);
    assert_int_equal(chown(c->path, 0, 0), 0);
    /* A directory is not a snapshot. */
    assert_open_fails(c->dir, -EACCES);
}

/* Leftovers of dead writers are removed; nothing else is. */
static void
test_sweep(void **state)
{
    struct ctx *c = *state;
    char p[256];

    assert_int_equal(fixture_snapshot(c->path, 10, 1), 0);
    snprintf(p, sizeof(p), "%s/.passwd.mdb.Ab3dEf", c->dir);
    write_file(p, "x", 1, 0600);
    snprintf(p, sizeof(p), "%s/.passwd.mdb.keep", c->dir); /* not 6 */
    write_file(p, "x", 1, 0600);
    snprintf(p, sizeof(p), "%s/.other.mdb.Ab3dEf", c->dir);
    write_file(p, "x", 1, 0600);
    snprintf(p, sizeof(p), "%s/.passwd.mdb.Zz9Zz9", c->dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(iam_db_writer_sweep(c->path), 1);
    assert_int_equal(dir_entries(c->dir), 4);
    assert_int_equal(access(c->path, R_OK), 0);
    assert_int_equal(iam_db_writer_sweep("/nonexistent-dir/passwd.mdb"),
                     -ENOENT);
}

/*
 * Ids outside the snapshot's range are never served, whatever the file
 * says: not by id (-ESRCH), not by name (-EIO: the name index points at
 * a record the reader refuses), not in an enumeration.
 */
static void
test_outlaws_never_served(void **state)
{
    struct ctx *c = *state;
    const struct fixture_outlaw *o;
    struct iam_user_rec u;
    struct iam_group_rec g;
    struct iam_db_txn t;
    struct iam_db *db;
    unsigned i;

    assert_int_equal(fixture_outlaws(c->path), 0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_user_by_name(&t, FIXTURE_GOOD_NAME, &u), 0);
    assert_int_equal(u.uid, FIXTURE_GOOD_UID);
    for (i = 0; i < fixture_n_outlaw_users; i++) {
        o = &fixture_outlaw_users[i];
        assert_int_equal(iam_db_user_by_uid(&t, o->uid, &u), -ESRCH);
        assert_int_equal(iam_db_user_by_name(&t, o->name, &u), -EIO);
    }
    for (i = 0; i < fixture_n_outlaw_groups; i++) {
        o = &fixture_outlaw_groups[i];
        assert_int_equal(iam_db_group_by_gid(&t, o->gid, &g), -ESRCH);
        assert_int_equal(iam_db_group_by_name(&t, o->name, &g), -EIO);
    }
    /* From 0, an enumeration meets the good entry only. */
    assert_int_equal(iam_db_user_next(&t, 0, &u), 0);
    assert_int_equal(u.uid, FIXTURE_GOOD_UID);
    assert_int_equal(iam_db_user_next(&t, u.uid + 1, &u), -ESRCH);
    assert_int_equal(iam_db_group_next(&t, 0, &g), 0);
    assert_int_equal(g.gid, FIXTURE_GOOD_UID);
    assert_int_equal(iam_db_group_next(&t, g.gid + 1, &g), -ESRCH);
    iam_db_end(&t);
    iam_db_close(db);
}

/* The seal's trailer of @path, cut off (LMDB may then write the file). */
static void
unseal(const char *path)
{
    uint8_t t[IAM_SEAL_SIZE];
    uint64_t covered, sum;
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(pread(fd, t, sizeof(t), st.st_size - IAM_SEAL_SIZE),
                     IAM_SEAL_SIZE);
    assert_int_equal(iam_seal_decode(t, &covered, &sum), 0);
    assert_int_equal(covered, st.st_size - IAM_SEAL_SIZE);
    assert_int_equal(ftruncate(fd, (off_t)covered), 0);
    close(fd);
}

/* Seals @path as the writer does (after an edit, for a test's sake). */
static void
seal(const char *path)
{
    uint8_t t[IAM_SEAL_SIZE];
    struct stat st;
    char *buf;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    buf = malloc((size_t)st.st_size);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
    iam_seal_encode((uint64_t)st.st_size,
                    iam_seal_xxh64(buf, (size_t)st.st_size), t);
    assert_int_equal(pwrite(fd, t, sizeof(t), st.st_size), IAM_SEAL_SIZE);
    free(buf);
    close(fd);
}

/* XXH64 against the reference implementation (xxhsum -H1). */
static void
test_seal_xxh64(void **state)
{
    static const struct {
        size_t n;
        uint64_t want;
    } v[] = {
        { 1, 0x1f25c8d0bc1f4bb6ULL },    { 3, 0x31d2363f52e564c9ULL },
        { 4, 0x9bb64b7d66ee9fdaULL },    { 7, 0x9a7b149959ce60d8ULL },
        { 8, 0xdab99d95c6f90092ULL },    { 31, 0xa2aa5f33cc4a6119ULL },
        { 32, 0x23c3c17ef790fd97ULL },   { 33, 0x50a7cfc7ba588784ULL },
        { 63, 0x5e3e54b431c7493cULL },   { 64, 0x0eb64b3ef6eeb01fULL },
        { 65, 0xa383b724b2bd12f1ULL },   { 100, 0xa61f8d4c170fe531ULL },
        { 4096, 0x796398cd432797ccULL }, { 4101, 0xf678a0ad38b23825ULL },
    };
    static const char spam[] = "Nobody inspects the spammish repetition";
    struct iam_seal_state st;
    uint8_t buf[4101];
    size_t i, a, b;

    (void)state;
    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    assert_true(iam_seal_xxh64("", 0) == 0xef46db3751d8e999ULL);
    assert_true(iam_seal_xxh64(spam, sizeof(spam) - 1) ==
                0xfbcea83c8a378bf1ULL);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_true(iam_seal_xxh64(buf, v[i].n) == v[i].want);
    /* In parts, split anywhere, the same sum. */
    for (a = 0; a <= 100; a++)
        for (b = a; b <= 100; b += 3) {
            iam_seal_init(&st);
            iam_seal_update(&st, buf, a);
            iam_seal_update(&st, buf + a, b - a);
            iam_seal_update(&st, buf + b, 100 - b);
            assert_true(iam_seal_final(&st) == 0xa61f8d4c170fe531ULL);
        }
}

/* Flips byte @off of @fd (xor @x); returns the old byte. */
static uint8_t
flip_byte(int fd, off_t off, uint8_t x)
{
    uint8_t b, nb;

    assert_int_equal(pread(fd, &b, 1, off), 1);
    nb = b ^ x;
    assert_int_equal(pwrite(fd, &nb, 1, off), 1);
    return b;
}

/*
 * A flipped byte anywhere - LMDB page headers, nodes, records, the seal
 * itself - is refused at open (-EIO): LMDB never reads it.
 */
static void
test_flipped_byte_refused(void **state)
{
    static const struct timespec past[2] = { { 1000000000, 0 },
                                             { 1000000000, 0 } };
    struct ctx *c = *state;
    struct iam_db *db;
    struct stat st;
    off_t off;
    uint8_t old;
    int fd;

    assert_int_equal(fixture_snapshot(c->path, 20, 1), 0);
    assert_int_equal(stat(c->path, &st), 0);
    /* An mtime in the past: the write below changes it, even within the
     * kernel's timestamp granularity. */
    assert_int_equal(utimensat(AT_FDCWD, c->path, past, 0), 0);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    fd = open(c->path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    /* Written in place: an open handle is no longer current. */
    old = flip_byte(fd, 4096 * 2 + 12, 0x80);
    assert_false(iam_db_is_current(db, c->path));
    iam_db_close(db);
    assert_int_equal(pwrite(fd, &old, 1, 4096 * 2 + 12), 1);
    for (off = 0; off < st.st_size; off += off < 64 ? 1 : 61) {
        old = flip_byte(fd, off, (uint8_t)(1u << (off % 8)));
        assert_open_fails(c->path, -EIO);
        assert_int_equal(pwrite(fd, &old, 1, off), 1);
    }
    /* Every byte of the last page and of the seal. */
    for (off = st.st_size - 4096 - IAM_SEAL_SIZE; off < st.st_size; off++) {
        old = flip_byte(fd, off, 0x80);
        assert_open_fails(c->path, -EIO);
        assert_int_equal(pwrite(fd, &old, 1, off), 1);
    }
    close(fd);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    iam_db_close(db);
}

/* No seal, a seal of another length, a byte more or less: refused. */
static void
test_seal_must_close_the_file(void **state)
{
    struct ctx *c = *state;
    struct iam_db *db;
    int fd;

    assert_int_equal(fixture_snapshot(c->path, 10, 1), 0);
    unseal(c->path);
    assert_open_fails(c->path, -EIO);
    seal(c->path);
    assert_int_equal(iam_db_open(c->path, &db), 0);
    iam_db_close(db);
    fd = open(c->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "", 1), 1);
    close(fd);
    assert_open_fails(c->path, -EIO);
}

/* A file from a newer format is refused, not misread. */
static void
test_unknown_format(void **state)
{
    struct ctx *c = *state;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t v3[4] = { IAM_DB_FORMAT + 1, 0, 0, 0 };
    MDB_val k = { 6, "format" }, v = { 4, v3 };

    assert_int_equal(fixture_snapshot(c->path, 10, 1), 0);
    unseal(c->path);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, IAM_DB_MAXDBS), 0);
    assert_int_equal(
        mdb_env_open(env, c->path, MDB_NOSUBDIR | MDB_NOLOCK, 0644), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, IAM_DB_META, 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    seal(c->path); /* the seal holds: the format alone is refused */
    assert_open_fails(c->path, -EIO);
}

/* Puts @k -> @v into sub-database @name of the file at @path, behind the
 * writer's back, to make a file the writer would never make. */
static void
raw_put(const char *path, const char *name, unsigned flags, MDB_val *k,
        MDB_val *v)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;

    /* Written behind the writer's back, then sealed again: what is
     * tested is the reader's own checks, not the seal's. */
    unseal(path);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, IAM_DB_MAXDBS), 0);
    assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644),
                     0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, name, flags, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, k, v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    seal(path);
}

/* A copy of the user record stored under @uid. */
static void *
user_record(const char *path, uint32_t uid, size_t *ret_len)
{
    struct iam_db *db;
    struct iam_db_txn t;
    struct iam_user_rec u;
    struct iam_buf b = { NULL, 0, 0 };

    assert_int_equal(iam_db_open(path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_user_by_uid(&t, uid, &u), 0);
    assert_int_equal(iam_rec_encode_user(&b, &u), 0);
    iam_db_end(&t);
    iam_db_close(db);
    *ret_len = b.len;
    return b.p;
}

/*
 * The by-name indexes and the by-id records must agree: a name that leads
 * to a record of another name, or an id key holding a record of another
 * id, is a corrupt file (-EIO), never another user's entry.
 */
static void
test_indexes_disagree(void **state)
{
    struct ctx *c = *state;
    struct iam_buf other = { NULL, 0, 0 };
    struct iam_db *db;
    struct iam_db_txn t;
    struct iam_user_rec u;
    struct iam_group_rec g;
    unsigned int key = fixture_uid(4);
    MDB_val k, v;
    char name[16];
    size_t len;
    void *rec;

    assert_int_equal(fixture_snapshot(c->path, 10, 1), 0);
    rec = user_record(c->path, fixture_uid(3), &len);
    assert_int_equal(iam_rec_encode_u32(&other, fixture_uid(2)), 0);
    fixture_name(1, name);
    k.mv_size = strlen(name);
    k.mv_data = name;
    v.mv_size = other.len;
    v.mv_data = other.p;
    raw_put(c->path, IAM_DB_PW_NAME, 0, &k, &v);
    raw_put(c->path, IAM_DB_GR_NAME, 0, &k, &v);
    k.mv_size = sizeof(key);
    k.mv_data = &key;
    v.mv_size = len;
    v.mv_data = rec;
    raw_put(c->path, IAM_DB_PW_UID, MDB_INTEGERKEY, &k, &v);

    assert_int_equal(iam_db_open(c->path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_user_by_name(&t, name, &u), -EIO);
    assert_int_equal(iam_db_group_by_name(&t, name, &g), -EIO);
    assert_int_equal(iam_db_user_by_uid(&t, fixture_uid(4), &u), -EIO);
    fixture_name(5, name);
    assert_int_equal(iam_db_user_by_name(&t, name, &u), 0);
    assert_int_equal(u.uid, fixture_uid(5));
    iam_db_end(&t);
    iam_db_close(db);
    iam_buf_free(&other);
    free(rec);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_and_read_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_old_reader_survives_publish, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instance_record, setup, teardown),
        cmocka_unit_test(test_instance_compare),
        cmocka_unit_test_setup_teardown(test_instance_local, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_writer_refuses_duplicates_and_abort_cleans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indexes_disagree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outlaws_never_served, setup,
                                        teardown),
        cmocka_unit_test(test_seal_xxh64),
        cmocka_unit_test_setup_teardown(test_flipped_byte_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seal_must_close_the_file, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
