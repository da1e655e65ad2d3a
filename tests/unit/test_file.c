/*
 * iam_file: the atomic writer leaves the old file or the new one and
 * never a temporary file, on every failure path; the trusted reader
 * refuses what others than root could have written, what is not a
 * regular file, a symbolic link and an oversize file.
 *
 * Each test works in its own mkdtemp directory under /tmp. The
 * unwritable-directory and file-size cases run in a child (setuid
 * nobody, or RLIMIT_FSIZE), since root writes anywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "iam_file.h"

#define NOBODY 65534

struct dir {
    char path[64];
    char file[96];
};

static int
setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));

    assert_non_null(d);
    snprintf(d->path, sizeof(d->path), "/tmp/iam-file.XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->file, sizeof(d->file), "%s/state", d->path);
    *state = d;
    return 0;
}

/* rm -r of the test's directory (one level of subdirectories). */
static void
remove_tree(const char *path)
{
    char sub[PATH_MAX];
    struct dirent *de;
    struct stat st;
    DIR *dir = opendir(path);

    if (!dir)
        return;
    while ((de = readdir(dir))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(dir);
    rmdir(path);
}

static int
teardown(void **state)
{
    struct dir *d = *state;

    remove_tree(d->path);
    free(d);
    return 0;
}

/* How many entries @path holds (besides . and ..). */
static int
entries(const char *path)
{
    struct dirent *de;
    DIR *dir = opendir(path);
    int n = 0;

    assert_non_null(dir);
    while ((de = readdir(dir)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(dir);
    return n;
}

static void
assert_content(const char *path, const char *want)
{
    char buf[256];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* A file of @text with @mode (chmod after creation: no umask). */
static void
put(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Runs @fn(@d) in a child; returns what it returned (as exit status). */
static int
in_child(int (*fn)(struct dir *), struct dir *d)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn(d) & 0xff);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* ---- the writer ---- */

/* New and replaced, with the mode asked for, and nothing else beside. */
static void
test_write_replaces(void **state)
{
    struct dir *d = *state;
    struct stat st;

    assert_int_equal(iam_file_write(d->file, "one\n", 4, 0644), 0);
    assert_content(d->file, "one\n");
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(iam_file_write(d->file, "two\n", 4, 0600), 0);
    assert_content(d->file, "two\n");
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* An empty file is a file too. */
    assert_int_equal(iam_file_write(d->file, NULL, 0, 0644), 0);
    assert_content(d->file, "");
    assert_int_equal(entries(d->path), 1);
}

/* The temporary file is ".<base>.XXXXXX" beside the target, 0600. */
static void
test_temp_name(void **state)
{
    struct dir *d = *state;
    struct iam_file_temp t;
    char want[128];
    struct stat st;

    assert_int_equal(iam_file_temp_open(d->file, &t), 0);
    snprintf(want, sizeof(want), "%s/.state.", d->path);
    assert_memory_equal(t.tmp, want, strlen(want));
    assert_int_equal(strlen(t.tmp), strlen(want) + 6);
    assert_int_equal(fstat(t.fd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(fcntl(t.fd, F_GETFD) & FD_CLOEXEC);
    iam_file_temp_abort(&t);
    assert_int_equal(t.fd, -1);
    assert_int_equal(entries(d->path), 0);
    iam_file_temp_abort(&t); /* twice is harmless */
    /* Committing a closed temporary file is refused. */
    assert_int_equal(iam_file_temp_commit(&t, "x", 1, 0644), -EBADF);
    assert_int_equal(access(d->file, F_OK), -1);
}

static void
test_bad_paths(void **state)
{
    struct dir *d = *state;
    char path[PATH_MAX + 16];

    (void)d;
    assert_int_equal(iam_file_write("/tmp/", "x", 1, 0644), -EINVAL);
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(iam_file_write(path, "x", 1, 0644), -ENAMETOOLONG);
}

/* A missing directory: -ENOENT, and nothing is created. */
static void
test_missing_dir(void **state)
{
    struct dir *d = *state;
    char path[128];

    snprintf(path, sizeof(path), "%s/nodir/state", d->path);
    assert_int_equal(iam_file_write(path, "x", 1, 0644), -ENOENT);
    assert_int_equal(entries(d->path), 0);
}

static int
write_as_nobody(struct dir *d)
{
    if (setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0)
        return 100;
    return -iam_file_write(d->file, "new\n", 4, 0644);
}

/* A directory the writer may not write: -EACCES, the old file stays. */
static void
test_unwritable_dir(void **state)
{
    struct dir *d = *state;

    if (geteuid() != 0)
        skip();
    put(d->file, "old\n", 0644);
    assert_int_equal(chmod(d->path, 0755), 0);
    assert_int_equal(in_child(write_as_nobody, d), EACCES);
    assert_content(d->file, "old\n");
    assert_int_equal(entries(d->path), 1);
}

static int
write_past_limit(struct dir *d)
{
    static const char big[4096] = "x";
    struct rlimit rl = { 100, 100 };

    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
        return 100;
    return -iam_file_write(d->file, big, sizeof(big), 0644);
}

/* A write that fails half-way: the old file stays, no temporary file. */
static void
test_write_fails(void **state)
{
    struct dir *d = *state;

    put(d->file, "old\n", 0644);
    assert_int_equal(in_child(write_past_limit, d), EFBIG);
    assert_content(d->file, "old\n");
    assert_int_equal(entries(d->path), 1);
}

/* The rename fails (a directory holds the name): no temporary file. */
static void
test_rename_fails(void **state)
{
    struct dir *d = *state;
    char inside[128];

    assert_int_equal(mkdir(d->file, 0755), 0);
    snprintf(inside, sizeof(inside), "%s/keep", d->file);
    put(inside, "kept\n", 0644);
    assert_true(iam_file_write(d->file, "x", 1, 0644) < 0);
    assert_int_equal(entries(d->path), 1);
    assert_content(inside, "kept\n");
}

/* A symbolic link at the target is replaced, never written through. */
static void
test_symlink_target(void **state)
{
    struct dir *d = *state;
    char victim[128];
    struct stat st;

    snprintf(victim, sizeof(victim), "%s/victim", d->path);
    put(victim, "victim\n", 0644);
    assert_int_equal(symlink(victim, d->file), 0);
    assert_int_equal(iam_file_write(d->file, "new\n", 4, 0644), 0);
    assert_content(victim, "victim\n");
    assert_int_equal(lstat(d->file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_content(d->file, "new\n");
    assert_int_equal(entries(d->path), 2);
}

static void
test_fsync_dir(void **state)
{
    struct dir *d = *state;
    char path[128];

    assert_int_equal(iam_file_fsync_dir(d->file), 0);
    assert_int_equal(iam_file_fsync_dir("state"), 0);  /* "." */
    assert_int_equal(iam_file_fsync_dir("/state"), 0); /* "/" */
    snprintf(path, sizeof(path), "%s/nodir/state", d->path);
    assert_int_equal(iam_file_fsync_dir(path), -ENOENT);
}

/* ---- the trusted reader ---- */

static void
test_read_trusted(void **state)
{
    struct dir *d = *state;
    char buf[16];

    put(d->file, "hello\n", 0644);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "hello\n");
    /* Read-only for everyone is fine too. */
    put(d->file, "hello\n", 0444);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), 6);
    /* Exactly size - 1 bytes fit; one more does not. */
    put(d->file, "0123456789abcde", 0644);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), 15);
    assert_string_equal(buf, "0123456789abcde");
    put(d->file, "0123456789abcdef", 0644);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EFBIG);
    assert_string_equal(buf, "");
    assert_int_equal(iam_file_read_trusted(d->file, buf, 0), -EINVAL);
}

static void
test_read_refuses_writable(void **state)
{
    struct dir *d = *state;
    char buf[16];

    put(d->file, "x\n", 0664);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EACCES);
    assert_string_equal(buf, "");
    put(d->file, "x\n", 0646);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EACCES);
    put(d->file, "x\n", 0620);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EACCES);
}

/* Owned by another user than root and the caller: refused. */
static void
test_read_refuses_owner(void **state)
{
    struct dir *d = *state;
    char buf[16];

    if (geteuid() != 0)
        skip();
    put(d->file, "x\n", 0644);
    assert_int_equal(chown(d->file, NOBODY, NOBODY), 0);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EPERM);
    /* Group root, owner root: only the owner counts. */
    assert_int_equal(chown(d->file, 0, NOBODY), 0);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), 2);
}

/* A symbolic link, even to a good file, is not followed. */
static void
test_read_refuses_symlink(void **state)
{
    struct dir *d = *state;
    char good[128], buf[16];

    snprintf(good, sizeof(good), "%s/good", d->path);
    put(good, "x\n", 0644);
    assert_int_equal(symlink(good, d->file), 0);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -ELOOP);
}

/* A FIFO (which would block a plain open) and a directory: refused. */
static void
test_read_refuses_special(void **state)
{
    struct dir *d = *state;
    char buf[16];

    assert_int_equal(mkfifo(d->file, 0644), 0);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EINVAL);
    assert_int_equal(unlink(d->file), 0);
    assert_int_equal(mkdir(d->file, 0755), 0);
    assert_int_equal(iam_file_read_trusted(d->file, buf, sizeof(buf)), -EINVAL);
    assert_int_equal(iam_file_read_trusted("/nonexistent/x", buf, sizeof(buf)),
                     -ENOENT);
}

/* The rule itself: the order of the checks and who may own the file. */
static void
test_check_trusted(void **state)
{
    struct stat st;

    (void)state;
    memset(&st, 0, sizeof(st));
    st.st_mode = S_IFREG | 0644;
    st.st_uid = 1000;
    st.st_size = 10;
    assert_int_equal(iam_trust_check(&st, 1000, 10), 0);
    assert_int_equal(iam_trust_check(&st, 0, 10), -EPERM);
    assert_int_equal(iam_trust_check(&st, 1000, 9), -EFBIG);
    st.st_uid = 0;
    assert_int_equal(iam_trust_check(&st, 1000, 10), 0);
    st.st_uid = 1000;
    st.st_mode = S_IFREG | 0664;
    assert_int_equal(iam_trust_check(&st, 0, 10), -EACCES);
    st.st_mode = S_IFDIR | 0664;
    assert_int_equal(iam_trust_check(&st, 0, 10), -EINVAL);
    st.st_mode = S_IFLNK | 0777;
    assert_int_equal(iam_trust_check(&st, 0, 10), -EINVAL);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_write_replaces),
        T(test_temp_name),
        T(test_bad_paths),
        T(test_missing_dir),
        T(test_unwritable_dir),
        T(test_write_fails),
        T(test_rename_fails),
        T(test_symlink_target),
        T(test_fsync_dir),
        T(test_read_trusted),
        T(test_read_refuses_writable),
        T(test_read_refuses_owner),
        T(test_read_refuses_symlink),
        T(test_read_refuses_special),
        T(test_check_trusted),
    };
#undef T

    return cmocka_run_group_tests_name("file", tests, NULL, NULL);
}
