#include "chain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iam_log.h"

extern char **environ;

struct child {
    pid_t pid;
    int fd;           /* read end of its stdout */
    int64_t deadline; /* CLOCK_MONOTONIC, ms */
};

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Root-owned and writable by nobody else? Logs why not. */
static bool
safe_node(const char *path, const struct stat *st)
{
    if (st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH)))
        return true;
    iam_log(LOG_ERR, "chained command: %s is %s: not run", path,
            st->st_uid != 0 ? "not owned by root"
                            : "writable by group or others");
    return false;
}

/*
 * sshd's rule for its own AuthorizedKeysCommand (auth_secure_path): a
 * regular file, and it and every directory above it root-owned and not
 * writable by group or others. Whoever could replace the program could
 * print a key for any user. @ret_path (PATH_MAX bytes) receives the
 * resolved path, the one that is then run: no symbolic link is followed
 * after the check.
 */
static int
check_trusted(const char *program, char *ret_path)
{
    char path[PATH_MAX], *slash;
    struct stat st;

    if (!realpath(program, ret_path) || stat(ret_path, &st) < 0) {
        iam_log(LOG_ERR, "chained command %s: %s", program,
                strerrordesc_np(errno));
        return -errno;
    }
    if (!S_ISREG(st.st_mode)) {
        iam_log(LOG_ERR, "chained command %s: not a regular file", program);
        return -EPERM;
    }
    memcpy(path, ret_path, sizeof(path));
    for (;;) {
        if (!safe_node(path, &st))
            return -EPERM;
        if (strcmp(path, "/") == 0)
            return 0;
        slash = strrchr(path, '/');
        slash[slash == path ? 1 : 0] = '\0';
        if (stat(path, &st) < 0)
            return -errno;
    }
}

/* Starts @file with @argv in its own process group, stdout into a pipe. */
static int
spawn(const char *file, char *const *argv, struct child *ret)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int p[2], r;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    r = posix_spawn_file_actions_init(&fa);
    if (!r) {
        r = posix_spawnattr_init(&attr);
        if (r)
            posix_spawn_file_actions_destroy(&fa);
    }
    if (r) {
        close(p[0]);
        close(p[1]);
        return -r;
    }
    r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!r)
        r = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    /* Its own group, so that a timeout also ends what it started. */
    if (!r)
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    if (!r)
        r = posix_spawnattr_setpgroup(&attr, 0);
    if (!r)
        r = posix_spawn(&ret->pid, file, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (r) {
        close(p[0]);
        return -r;
    }
    ret->fd = p[0];
    return 0;
}

/* Reads its output until EOF; -ETIMEDOUT past the deadline, -EFBIG. */
static int
collect(const struct child *c, char *buf, size_t size, size_t *ret_len)
{
    struct pollfd pfd = { c->fd, POLLIN, 0 };
    int64_t left;
    ssize_t n;
    int r;

    *ret_len = 0;
    for (;;) {
        left = c->deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r <= 0)
            continue;
        n = read(c->fd, buf + *ret_len, size - *ret_len);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n == 0)
            return 0;
        if (n > 0)
            *ret_len += (size_t)n;
        if (*ret_len == size)
            return -EFBIG;
    }
}

/*
 * Its exit status once it has exited, -ETIMEDOUT past the deadline. Its
 * output has ended, so it is exiting: poll from 1 ms, doubling up to 50
 * ms, rather than making every login wait a fixed tick.
 */
static int
reap(const struct child *c)
{
    struct timespec tick = { 0, 1000000L };
    int status;
    pid_t r;

    for (;; tick.tv_nsec = tick.tv_nsec < 25000000L ? tick.tv_nsec * 2
                                                    : 50000000L) {
        r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        if (r < 0 && errno != EINTR)
            return -errno;
        if (now_ms() >= c->deadline)
            return -ETIMEDOUT;
        nanosleep(&tick, NULL);
    }
}

static int
forward(const char *buf, size_t len)
{
    if (len && fwrite(buf, 1, len, stdout) != len)
        return -EIO;
    return fflush(stdout) == 0 ? 0 : -EIO;
}

int
chain_run(const struct chain_cmd *cmd)
{
    const char *prog = cmd->argv[0];
    struct child c = { -1, -1, now_ms() + CHAIN_TIMEOUT_MS };
    char file[PATH_MAX];
    size_t len = 0;
    char *buf;
    int r, status = -1;

    r = check_trusted(prog, file);
    if (r < 0)
        return r;
    /* One byte more than may be passed on, to see that it was exceeded. */
    buf = malloc(CHAIN_OUTPUT_MAX + 1);
    if (!buf)
        return -ENOMEM;
    /* Our keys before its, in this order, whatever it writes. */
    fflush(stdout);
    r = spawn(file, cmd->argv, &c);
    if (r < 0) {
        iam_log(LOG_ERR, "chained command %s: cannot run: %s", prog,
                strerrordesc_np(-r));
        goto out;
    }
    r = collect(&c, buf, CHAIN_OUTPUT_MAX + 1, &len);
    close(c.fd);
    if (r == 0)
        status = reap(&c);
    if (r < 0 || status < 0) {
        /* Ends it and whatever it started; waits so no zombie is left. */
        kill(-c.pid, SIGKILL);
        waitpid(c.pid, NULL, 0);
        r = r < 0 ? r : status;
        iam_log(LOG_WARNING, "chained command %s: %s: output dropped", prog,
                r == -EFBIG ? "too much output" : strerrordesc_np(-r));
        goto out;
    }
    if (status != 0) {
        /* sshd ignores the output of a command that fails: so do we. */
        iam_log(LOG_WARNING,
                "chained command %s: exit status %d: output "
                "dropped",
                prog, status);
        r = -EIO;
        goto out;
    }
    r = forward(buf, len);
out:
    free(buf);
    return r;
}
