#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iam_trust.h"
#include "iam_log.h"

#define HELPER "iam-verify-key"
/* Time the helper gets beyond its own network timeout. */
#define GRACE_MS 1000

extern char **environ;

/* Runs only a program root owns and nobody else may replace. */
static bool
trusted(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && iam_trust_check(&st, 0, UINT64_MAX) == 0;
}

/* The helper beside /proc/self/exe, else the installed one. */
static int
helper_path(char *ret, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash &&
            snprintf(ret, len, "%.*s/%s", (int)(slash - self), self, HELPER) <
                (int)len &&
            trusted(ret))
            return 0;
    }
    snprintf(ret, len, "%s/%s", IAM_LIBEXECDIR, HELPER);
    return trusted(ret) ? 0 : -ENOENT;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Waits for @pid up to @ms; kills it past that. Its exit status or -1. */
static int
wait_bounded(pid_t pid, long ms)
{
    int status;
    long waited = 0;
    pid_t r;

    for (;;) {
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (waited >= ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -2;
        }
        sleep_ms(10);
        waited += 10;
    }
}

int
verify_key(const struct iam_config *cfg, const char *config_path,
           const char *iam_name, const char *key_id)
{
    posix_spawn_file_actions_t fa;
    char path[PATH_MAX];
    char *argv[6];
    int n = 0, r, status;
    pid_t pid;

    r = helper_path(path, sizeof(path));
    if (r < 0) {
        iam_log(LOG_ERR, "VERIFY_ONLINE: %s not found (or not root-owned)",
                path);
        return r;
    }
    argv[n++] = path;
    if (config_path) {
        argv[n++] = "--config";
        argv[n++] = (char *)config_path;
    }
    argv[n++] = (char *)iam_name;
    argv[n++] = (char *)key_id;
    argv[n] = NULL;
    /* Its stdout must never reach sshd: it goes to /dev/null. */
    r = posix_spawn_file_actions_init(&fa);
    if (r)
        return -r;
    r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!r)
        r = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (!r)
        r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r)
        return -r;
    status = wait_bounded(pid, (long)cfg->verify_online_timeout_ms + GRACE_MS);
    if (status == 0 || status == 1)
        return status == 0 ? 1 : 0;
    if (status == -2)
        return -ETIMEDOUT;
    return -EIO;
}
