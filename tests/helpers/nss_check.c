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
    assert_int_equal(_nss_iam_getpwnam_r("user00003", &pw, buf, sizeof(buf),
                                         &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pw.pw_uid, fixture_uid(3));
    assert_string_equal(pw.pw_passwd, "*");
    assert_string_equal(pw.pw_dir, "/home/user00003");
    assert_int_equal(_nss_iam_getpwuid_r(fixture_uid(7), &pw, buf,
                                         sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, "user00007");
    assert_int_equal(_nss_iam_getgrgid_r(FIXTURE_GID_ADMINS, &gr, buf,
                                         sizeof(buf) / 4, &err),
                     NSS_STATUS_TRYAGAIN);
    assert_int_equal(err, ERANGE);
    assert_int_equal(_nss_iam_getgrnam_r("iam-users", &gr, buf, sizeof(buf),
                                         &err), NSS_STATUS_TRYAGAIN);
    /* Misses: NOTFOUND with ENOENT; errno itself is left alone. */
    errno = 4242;
    err = 0;
    assert_int_equal(_nss_iam_getpwnam_r("nosuchuser", &pw, buf,
                                         sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(errno, 4242);
    assert_int_equal(_nss_iam_getpwuid_r(0, &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_iam_getpwuid_r(FIXTURE_UID_MIN - 1, &pw, buf,
                                         sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_iam_getgrgid_r(FIXTURE_GID_LOCAL, &gr, buf,
                                         sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_iam_getpwnam_r("", &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_iam_getpwnam_r(
                         "a-name-that-is-much-longer-than-32-characters",
                         &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
}

/* Every buffer size, both directly and through glibc's getpwnam_r. */
static void
test_every_buffer_size(void **state)
{
    struct passwd pw, *res;
    struct group gr, *gres;
    size_t len, need = 0, gneed = 0;
    char *buf;
    int err, rc;

    (void)state;
    for (len = 1; len < 256 && !need; len++) {
        buf = malloc(len);
        assert_non_null(buf);
        err = 0;
        rc = _nss_iam_getpwnam_r("user00042", &pw, buf, len, &err);
        if (rc == NSS_STATUS_SUCCESS) {
            need = len;
            assert_string_equal(pw.pw_name, "user00042");
        } else {
            assert_int_equal(rc, NSS_STATUS_TRYAGAIN);
            assert_int_equal(err, ERANGE);
        }
        res = &pw;
        rc = getpwnam_r("user00042", &pw, buf, len, &res);
        assert_int_equal(rc, need ? 0 : ERANGE);
        if (need)
            assert_ptr_equal(res, &pw);
        else
            assert_null(res);
        free(buf);
    }
    assert_true(need > 0);
    for (len = 1; len < 200000 && !gneed; len += 1 + len / 64) {
        buf = malloc(len);
        assert_non_null(buf);
        rc = getgrgid_r(FIXTURE_GID_ADMINS, &gr, buf, len, &gres);
        if (rc == 0) {
            gneed = len;
            assert_ptr_equal(gres, &gr);
            assert_string_equal(gr.gr_mem[1], "user00003");
        } else {
            assert_int_equal(rc, ERANGE);
        }
        free(buf);
    }
    assert_true(gneed > 0);
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
                                             &start, &size, &groups, 0,
                                             &err),
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
                                             &start, &size, &groups, 3,
                                             &err),
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
    assert_int_equal(_nss_iam_initgroups_dyn("user00003", 4242, &start,
                                             &size, &groups, 0, &err),
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

    assert_int_equal(_nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf),
                                         &err), NSS_STATUS_UNAVAIL);
    assert_int_equal(err, want_err);
    assert_int_equal(_nss_iam_getpwuid_r(fixture_uid(1), &pw, buf,
                                         sizeof(buf), &err),
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
    struct stat st;
    int fd;

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
    /* Same inode, truncated in place: a held handle would fault; the
     * reopen refuses it. Make it a new inode so the module reopens. */
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

    assert_int_equal(_nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf),
                                         &err), NSS_STATUS_SUCCESS);
    assert_int_equal(getpwnam_r("user00001", &pw, buf, sizeof(buf), &res),
                     0);
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
    assert_int_equal(_nss_iam_getpwnam_r("user00001", &pw, buf, sizeof(buf),
                                         &err), NSS_STATUS_SUCCESS);
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
    assert_int_equal(_nss_iam_getpwnam_r("user00003", &pw, buf, sizeof(buf),
                                         &err), NSS_STATUS_SUCCESS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_every_buffer_size),
        cmocka_unit_test(test_initgroups),
        cmocka_unit_test(test_enumeration),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_threads_and_replacement),
        cmocka_unit_test(test_fork_child),
    };

    return cmocka_run_group_tests_name("nss", tests, setup, NULL);
}
