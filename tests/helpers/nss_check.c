/*
 * The NSS module in-process. Runs inside a private mount namespace whose
 * /var/lib is a tmpfs (tests/integration/test_nss.sh), so it may publish
 * snapshots at the module's real path, IAM_DB_PATH.
 *
 * Calls the _nss_iam_* entry points directly (the module's objects are
 * linked in, also in the sanitizer build), and through glibc when the
 * namespace's nsswitch.conf says "passwd: iam" / "group: iam".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "nss_iam.h"

#define NUSERS 5000

static void
publish(unsigned n, unsigned gen)
{
    assert_int_equal(fixture_snapshot(IAM_DB_PATH, n, gen), 0);
}

static int
setup(void **state)
{
    (void)state;
    return fixture_snapshot(IAM_DB_PATH, NUSERS, 1) < 0 ? -1 : 0;
}

static void
test_lookups(void **state)
{
    struct passwd pw;
    struct group gr;
    char buf[4096];
    int err = 0;

    (void)state;
    assert_int_equal(
        _nss_iam_getpwnam_r("user00003", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
    assert_int_equal(pw.pw_uid, fixture_uid(3));
    assert_string_equal(pw.pw_passwd, "*");
    assert_string_equal(pw.pw_dir, "/home/user00003");
    assert_int_equal(
        _nss_iam_getpwuid_r(fixture_uid(7), &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, "user00007");
    assert_int_equal(_nss_iam_getgrgid_r(FIXTURE_GID_ADMINS, &gr, buf,
                                         sizeof(buf) / 4, &err),
                     NSS_STATUS_TRYAGAIN);
    assert_int_equal(err, ERANGE);
    assert_int_equal(
        _nss_iam_getgrnam_r("iam-users", &gr, buf, sizeof(buf), &err),
        NSS_STATUS_TRYAGAIN);
    /* Misses: NOTFOUND with ENOENT; errno itself is left alone. */
    errno = 4242;
    err = 0;
    assert_int_equal(
        _nss_iam_getpwnam_r("nosuchuser", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(errno, 4242);
    assert_int_equal(_nss_iam_getpwuid_r(0, &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(
        _nss_iam_getpwuid_r(FIXTURE_UID_MIN - 1, &pw, buf, sizeof(buf), &err),
        NSS_STATUS_NOTFOUND);
    assert_int_equal(
        _nss_iam_getgrgid_r(FIXTURE_GID_LOCAL, &gr, buf, sizeof(buf), &err),
        NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_iam_getpwnam_r("", &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(
        _nss_iam_getpwnam_r("a-name-that-is-much-longer-than-32-characters",
                            &pw, buf, sizeof(buf), &err),
        NSS_STATUS_NOTFOUND);
}

/*
 * Every buffer size: each NSS call, directly and through glibc, answers
 * TRYAGAIN/ERANGE (glibc: ERANGE) below the exact size of the entry and
 * the entry at exactly that size and above. Buffers are allocated to the
 * byte, so that a write one past the end is seen by ASan and valgrind.
 */
enum call {
    PWNAM,
    PWUID,
    GRNAM,
    GRGID,
    PWENT, /* the next entry of an enumeration started by the caller */
    GRENT,
};

struct sweep {
    enum call call;
    bool glibc;       /* through glibc's *_r, else the module directly */
    const char *name; /* the entry's name, checked on success */
    uint32_t id;
};

/* Bytes an entry needs: its strings, and a group's pointer array. */
static size_t
passwd_size(const struct passwd *pw)
{
    return strlen(pw->pw_name) + strlen(pw->pw_passwd) + strlen(pw->pw_gecos) +
           strlen(pw->pw_dir) + strlen(pw->pw_shell) + 5;
}

static size_t
group_size(const struct group *gr)
{
    size_t n = strlen(gr->gr_name) + strlen(gr->gr_passwd) + 2, i;

    for (i = 0; gr->gr_mem[i]; i++)
        n += strlen(gr->gr_mem[i]) + 1;
    return n + (i + 1) * sizeof(char *);
}

/*
 * One call with a buffer of exactly @len bytes. Returns 0 on success
 * (the entry checked, its size in *ret_size), ERANGE, or fails the test.
 */
static int
call_once(const struct sweep *w, size_t len, size_t *ret_size)
{
    struct passwd pw, *pres = NULL;
    struct group gr, *gres = NULL;
    char *buf = malloc(len);
    int err = 0, st = 0, rc;
    bool is_pw = w->call == PWNAM || w->call == PWUID || w->call == PWENT;

    assert_non_null(buf);
    memset(&pw, 0, sizeof(pw));
    memset(&gr, 0, sizeof(gr));
    switch (w->call) {
    case PWNAM:
        st = w->glibc ? 0 : _nss_iam_getpwnam_r(w->name, &pw, buf, len, &err);
        rc = w->glibc ? getpwnam_r(w->name, &pw, buf, len, &pres) : 0;
        break;
    case PWUID:
        st = w->glibc ? 0 : _nss_iam_getpwuid_r(w->id, &pw, buf, len, &err);
        rc = w->glibc ? getpwuid_r(w->id, &pw, buf, len, &pres) : 0;
        break;
    case GRNAM:
        st = w->glibc ? 0 : _nss_iam_getgrnam_r(w->name, &gr, buf, len, &err);
        rc = w->glibc ? getgrnam_r(w->name, &gr, buf, len, &gres) : 0;
        break;
    case GRGID:
        st = w->glibc ? 0 : _nss_iam_getgrgid_r(w->id, &gr, buf, len, &err);
        rc = w->glibc ? getgrgid_r(w->id, &gr, buf, len, &gres) : 0;
        break;
    case PWENT:
        st = _nss_iam_getpwent_r(&pw, buf, len, &err);
        rc = 0;
        break;
    default:
        st = _nss_iam_getgrent_r(&gr, buf, len, &err);
        rc = 0;
        break;
    }
    if (!w->glibc) {
        if (st == NSS_STATUS_TRYAGAIN && err == ERANGE)
            rc = ERANGE;
        else
            assert_int_equal(st, NSS_STATUS_SUCCESS);
        pres = is_pw && rc == 0 ? &pw : NULL;
        gres = !is_pw && rc == 0 ? &gr : NULL;
    }
    if (rc == 0) {
        if (is_pw) {
            assert_ptr_equal(pres, &pw);
            assert_string_equal(pw.pw_name, w->name);
            assert_int_equal(pw.pw_uid, w->id);
            assert_true(pw.pw_name >= buf && pw.pw_shell < buf + len);
            *ret_size = passwd_size(&pw);
        } else {
            assert_ptr_equal(gres, &gr);
            assert_string_equal(gr.gr_name, w->name);
            assert_int_equal(gr.gr_gid, w->id);
            assert_true((char *)gr.gr_mem >= buf && gr.gr_name < buf + len);
            *ret_size = group_size(&gr);
        }
    } else {
        assert_int_equal(rc, ERANGE);
        assert_null(is_pw ? (void *)pres : (void *)gres);
    }
    free(buf);
    return rc;
}

/*
 * The exact size of @w's entry, found directly from the module: steps
 * up until a size works, then byte by byte over the last step. A
 * passwd entry needs exactly its strings; a group at most the alignment
 * padding more than its strings and pointers.
 */
static size_t
find_need(const struct sweep *w)
{
    size_t len = 1, prev = 0, need = 0, size = 0;

    while (call_once(w, len, &size) == ERANGE) {
        assert_true(len < 1000000);
        prev = len;
        len += 1 + len / 64;
    }
    for (len = prev + 1; !need; len++)
        if (call_once(w, len, &size) == 0)
            need = len;
    if (w->call == PWNAM || w->call == PWUID)
        assert_int_equal(need, size);
    else
        assert_true(need >= size && need < size + sizeof(char *));
    return need;
}

/*
 * Below @need (1, half, and every size of the last 64 bytes): ERANGE;
 * at @need and a few bytes above: the entry. An enumeration is called
 * once at @need only, as a success moves it on.
 */
static void
check_around(const struct sweep *w, size_t need)
{
    size_t len, size, top;

    assert_int_equal(call_once(w, 1, &size), ERANGE);
    assert_int_equal(call_once(w, need / 2, &size), ERANGE);
    for (len = need > 64 ? need - 64 : 1; len < need; len++)
        assert_int_equal(call_once(w, len, &size), ERANGE);
    top = w->call == PWENT || w->call == GRENT ? need : need + 8;
    for (len = need; len <= top; len++)
        assert_int_equal(call_once(w, len, &size), 0);
}

/* Every point lookup of an entry, directly and through glibc. */
static void
sweep_lookups(enum call by_name, enum call by_id, const char *name, uint32_t id)
{
    struct sweep w = { by_name, false, name, id };
    size_t need = find_need(&w);

    check_around(&w, need);
    w.glibc = true;
    check_around(&w, need);
    w.call = by_id;
    w.glibc = false;
    assert_int_equal(find_need(&w), need);
    check_around(&w, need);
    w.glibc = true;
    check_around(&w, need);
}

static void
test_every_buffer_size(void **state)
{
    char name[16];

    (void)state;
    fixture_name(42, name);
    sweep_lookups(PWNAM, PWUID, name, fixture_uid(42));
    /* A private group, and the largest (a third of the users). */
    sweep_lookups(GRNAM, GRGID, name, fixture_uid(42));
    sweep_lookups(GRNAM, GRGID, "admins", FIXTURE_GID_ADMINS);
}

/* Enumeration: each entry swept at its own exact size. */
static void
test_every_buffer_size_enum(void **state)
{
    struct sweep w = { PWENT, false, NULL, 0 };
    struct group gr;
    char name[16], buf[1024];
    size_t need;
    int err = 0;
    unsigned i;

    (void)state;
    fixture_name(0, name);
    w.name = name;
    w.id = fixture_uid(0);
    assert_int_equal(_nss_iam_setpwent(0), NSS_STATUS_SUCCESS);
    need = find_need(&(struct sweep){ PWNAM, false, name, w.id });
    check_around(&w, need);
    fixture_name(1, name);
    w.id = fixture_uid(1);
    check_around(&w, need); /* the next entry, of the same size */
    assert_int_equal(_nss_iam_endpwent(), NSS_STATUS_SUCCESS);

    fixture_name(0, name);
    w.call = GRENT;
    w.id = fixture_uid(0);
    assert_int_equal(_nss_iam_setgrent(0), NSS_STATUS_SUCCESS);
    need = find_need(&(struct sweep){ GRNAM, false, name, w.id });
    check_around(&w, need);
    /* On to the shared groups, after every private one. */
    for (i = 1; i < NUSERS; i++)
        assert_int_equal(_nss_iam_getgrent_r(&gr, buf, sizeof(buf), &err),
                         NSS_STATUS_SUCCESS);
    w.name = "admins";
    w.id = FIXTURE_GID_ADMINS;
    need = find_need(&(struct sweep){ GRNAM, false, "admins", w.id });
    check_around(&w, need);
    assert_int_equal(_nss_iam_endgrent(), NSS_STATUS_SUCCESS);
}

static void
test_initgroups(void **state)
{
    long int start = 1, size = 1;
    gid_t *groups = malloc(sizeof(gid_t));
    int err = 0;

    (void)state;
    assert_non_null(groups);
    groups[0] = fixture_uid(3);
    assert_int_equal(_nss_iam_initgroups_dyn("user00003", fixture_uid(3),
                                             &start, &size, &groups, 0, &err),
                     NSS_STATUS_SUCCESS);
    /* primary (skipped) + admins, sudo, members, the local group */
    assert_int_equal(start, 5);
    assert_int_equal(groups[1], FIXTURE_GID_ADMINS);
    assert_int_equal(groups[4], FIXTURE_GID_LOCAL);
    assert_true(size >= start);
    /* A limit stops the growth there, quietly. */
    start = 1;
    size = 1;
    assert_int_equal(_nss_iam_initgroups_dyn("user00003", fixture_uid(3),
                                             &start, &size, &groups, 3, &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(start, 3);
    assert_int_equal(size, 3);
    start = 1;
    assert_int_equal(_nss_iam_initgroups_dyn("nosuchuser", 5, &start, &size,
                                             &groups, 0, &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 1);
    /* A local account shadowing the name has another primary gid: it
     * gets none of the IAM user's groups. */
    assert_int_equal(_nss_iam_initgroups_dyn("user00003", 4242, &start, &size,
                                             &groups, 0, &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 1);
    /* getgrouplist()'s "no primary group" still gets them (the private
     * group is groups[0] already, and not added twice). */
    assert_int_equal(_nss_iam_initgroups_dyn("user00003", (gid_t)-1, &start,
                                             &size, &groups, 0, &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(start, 5);
    free(groups);
}

static void
test_enumeration(void **state)
{
    struct passwd pw;
    char small[16], buf[1024];
    int err = 0, n = 0, rc;

    (void)state;
    assert_int_equal(_nss_iam_setpwent(0), NSS_STATUS_SUCCESS);
    for (;;) {
        /* A too-small buffer must not move the position. */
        rc = _nss_iam_getpwent_r(&pw, small, sizeof(small), &err);
        if (rc == NSS_STATUS_NOTFOUND)
            break;
        assert_int_equal(rc, NSS_STATUS_TRYAGAIN);
        assert_int_equal(err, ERANGE);
        assert_int_equal(_nss_iam_getpwent_r(&pw, buf, sizeof(buf), &err),
                         NSS_STATUS_SUCCESS);
        assert_int_equal(pw.pw_uid, fixture_uid((unsigned)n));
        n++;
    }
    assert_int_equal(n, NUSERS);
    /* The end stays the end, with errno untouched. */
    errno = 0;
    assert_int_equal(_nss_iam_getpwent_r(&pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(errno, 0);
    assert_int_equal(_nss_iam_endpwent(), NSS_STATUS_SUCCESS);
}

static void
assert_unavail(int want_err)
{
    struct passwd pw;
    char buf[1024];
    int err = 0;

    assert_int_equal(
        _nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_UNAVAIL);
    assert_int_equal(err, want_err);
    assert_int_equal(
        _nss_iam_getpwuid_r(fixture_uid(1), &pw, buf, sizeof(buf), &err),
        NSS_STATUS_UNAVAIL);
}

static void
write_junk(size_t n, unsigned seed)
{
    char *p = malloc(n ? n : 1);
    size_t i;
    int fd;

    assert_non_null(p);
    srand(seed);
    for (i = 0; i < n; i++)
        p[i] = (char)rand();
    unlink(IAM_DB_PATH);
    fd = open(IAM_DB_PATH, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    free(p);
}

static void
test_bad_files(void **state)
{
    static const struct timespec past[2] = { { 1000000000, 0 },
                                             { 1000000000, 0 } };
    struct passwd pw;
    struct stat st;
    char buf[1024];
    int err = 0, fd;

    (void)state;
    assert_int_equal(unlink(IAM_DB_PATH), 0);
    assert_unavail(ENOENT);
    write_junk(0, 1);
    assert_unavail(EIO);
    write_junk(100000, 2);
    assert_unavail(EIO);
    publish(3000, 1);
    assert_int_equal(stat(IAM_DB_PATH, &st), 0);
    fd = open(IAM_DB_PATH, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, st.st_size / 3), 0);
    close(fd);
    /* A new inode, truncated before the module saw it: refused. */
    assert_unavail(EIO);
    /* A new inode with one byte flipped in an LMDB page header. */
    publish(3000, 1);
    fd = open(IAM_DB_PATH, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "\xff", 1, 4096 * 3 + 12), 1);
    close(fd);
    assert_unavail(EIO);
    /* The same, in place, in a snapshot the module has open: a written
     * file is checked again, not read on trust. */
    publish(3000, 1);
    /* An mtime in the past: the write below changes it, even within the
     * kernel's timestamp granularity. */
    assert_int_equal(utimensat(AT_FDCWD, IAM_DB_PATH, past, 0), 0);
    assert_int_equal(
        _nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
    fd = open(IAM_DB_PATH, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "\xff", 1, 4096 * 3 + 12), 1);
    close(fd);
    assert_unavail(EIO);
    publish(10, 1);
    assert_int_equal(stat(IAM_DB_PATH, &st), 0);
    assert_int_equal(chmod(IAM_DB_PATH, 0666), 0);
    publish(10, 2);
    assert_int_equal(chmod(IAM_DB_PATH, 0666), 0);
    assert_unavail(EACCES);
    publish(10, 3);
    assert_int_equal(chown(IAM_DB_PATH, 65534, 0), 0);
    assert_unavail(EACCES);
    publish(NUSERS, 1);
}

/*
 * A snapshot holding ids outside its range (uid 0, gid 0, system ids,
 * just below and above the range): whatever the file says, none is
 * served, by name, by id or in an enumeration, and the good user is.
 */
static void
test_outlaws_never_served(void **state)
{
    const struct fixture_outlaw *o;
    struct passwd pw, *pres;
    struct group gr, *gres;
    char buf[1024];
    int err = 0, n;
    unsigned i;

    (void)state;
    assert_int_equal(fixture_outlaws(IAM_DB_PATH), 0);
    assert_int_equal(
        _nss_iam_getpwnam_r(FIXTURE_GOOD_NAME, &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
    assert_int_equal(pw.pw_uid, FIXTURE_GOOD_UID);
    for (i = 0; i < fixture_n_outlaw_users; i++) {
        o = &fixture_outlaw_users[i];
        assert_int_not_equal(
            _nss_iam_getpwnam_r(o->name, &pw, buf, sizeof(buf), &err),
            NSS_STATUS_SUCCESS);
        assert_int_equal(
            _nss_iam_getpwuid_r(o->uid, &pw, buf, sizeof(buf), &err),
            NSS_STATUS_NOTFOUND);
        pres = &pw;
        assert_int_equal(getpwuid_r(o->uid, &pw, buf, sizeof(buf), &pres), 0);
        assert_null(pres);
        pres = &pw;
        (void)getpwnam_r(o->name, &pw, buf, sizeof(buf), &pres);
        assert_null(pres);
    }
    for (i = 0; i < fixture_n_outlaw_groups; i++) {
        o = &fixture_outlaw_groups[i];
        assert_int_not_equal(
            _nss_iam_getgrnam_r(o->name, &gr, buf, sizeof(buf), &err),
            NSS_STATUS_SUCCESS);
        assert_int_equal(
            _nss_iam_getgrgid_r(o->gid, &gr, buf, sizeof(buf), &err),
            NSS_STATUS_NOTFOUND);
        gres = &gr;
        assert_int_equal(getgrgid_r(o->gid, &gr, buf, sizeof(buf), &gres), 0);
        assert_null(gres);
    }
    assert_int_equal(_nss_iam_setpwent(0), NSS_STATUS_SUCCESS);
    for (n = 0;
         _nss_iam_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS;
         n++)
        assert_string_equal(pw.pw_name, FIXTURE_GOOD_NAME);
    assert_int_equal(n, 1);
    assert_int_equal(_nss_iam_endpwent(), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_iam_setgrent(0), NSS_STATUS_SUCCESS);
    for (n = 0;
         _nss_iam_getgrent_r(&gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS;
         n++)
        assert_string_equal(gr.gr_name, FIXTURE_GOOD_NAME);
    assert_int_equal(n, 1);
    assert_int_equal(_nss_iam_endgrent(), NSS_STATUS_SUCCESS);
    publish(NUSERS, 1);
}

/* Lookups in 8 threads while the snapshot is replaced 200 times. */
struct stress {
    volatile int stop;
    int errors;
    long lookups;
};

static void *
lookup_loop(void *arg)
{
    struct stress *s = arg;
    struct passwd pw;
    char buf[1024], name[16], want1[64], want2[64];
    unsigned i = 0;
    int err, rc;

    while (!s->stop) {
        i = (i * 7 + 13) % 100;
        fixture_name(i, name);
        rc = _nss_iam_getpwnam_r(name, &pw, buf, sizeof(buf), &err);
        snprintf(want1, sizeof(want1), "%s@example.com,gen1", name);
        snprintf(want2, sizeof(want2), "%s@example.com,gen2", name);
        if (rc != NSS_STATUS_SUCCESS || pw.pw_uid != fixture_uid(i) ||
            strcmp(pw.pw_name, name) ||
            (strcmp(pw.pw_gecos, want1) && strcmp(pw.pw_gecos, want2)))
            __atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&s->lookups, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Mappings of snapshot files (current or replaced) in this process. */
static int
count_snapshot_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[1024];
    int n = 0;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, "/var/lib/nss-iam/") != NULL;
    fclose(f);
    return n;
}

static int
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    while (d && (de = readdir(d)))
        n++;
    if (d)
        closedir(d);
    return n;
}

/*
 * One lookup in each copy of the module in this process (the linked-in
 * one and the one glibc loaded): opens its handle, or drops a replaced
 * one.
 */
static void
lookup_once(void)
{
    struct passwd pw, *res;
    char buf[512];
    int err;

    assert_int_equal(
        _nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
    assert_int_equal(getpwnam_r("user00001", &pw, buf, sizeof(buf), &res), 0);
    assert_non_null(res);
}

static void
test_threads_and_replacement(void **state)
{
    struct stress s = { 0, 0, 0 };
    pthread_t th[8];
    int i, fds, maps;

    (void)state;
    publish(100, 1);
    lookup_once();
    fds = count_fds();
    maps = count_snapshot_maps();
    assert_int_equal(maps, 2);
    for (i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, lookup_loop, &s), 0);
    for (i = 0; i < 200; i++)
        publish(100, 1 + i % 2);
    s.stop = 1;
    for (i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(s.errors, 0);
    assert_true(s.lookups > 0);
    lookup_once();
    assert_int_equal(count_fds(), fds);
    assert_int_equal(count_snapshot_maps(), maps);
    publish(NUSERS, 1);
}

static void
test_fork_child(void **state)
{
    struct passwd pw;
    char buf[1024];
    int err, status;
    pid_t pid;

    (void)state;
    assert_int_equal(
        _nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int ok = _nss_iam_getpwnam_r("user00002", &pw, buf, sizeof(buf),
                                     &err) == NSS_STATUS_SUCCESS &&
                 pw.pw_uid == fixture_uid(2);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(
        _nss_iam_getpwnam_r("user00003", &pw, buf, sizeof(buf), &err),
        NSS_STATUS_SUCCESS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_every_buffer_size),
        cmocka_unit_test(test_every_buffer_size_enum),
        cmocka_unit_test(test_initgroups),
        cmocka_unit_test(test_enumeration),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_outlaws_never_served),
        cmocka_unit_test(test_threads_and_replacement),
        cmocka_unit_test(test_fork_child),
    };

    return cmocka_run_group_tests_name("nss", tests, setup, NULL);
}
