#include "chain.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "iam_log.h"

/* Most words a chained command line may have, before our arguments. */
#define CHAIN_MAX_WORDS 16

extern char **environ;

/* Splits @copy in place on spaces into @words; returns the count. */
static int
split_words(char *copy, char **words, int max)
{
    int n = 0;
    char *p = copy;

    while (*p) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max)
            return -E2BIG;
        words[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

static int
spawn_and_wait(char **cmd)
{
    posix_spawn_file_actions_t fa;
    int status, r;
    pid_t pid;

    r = posix_spawn_file_actions_init(&fa);
    if (r)
        return -r;
    r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!r)
        r = posix_spawn(&pid, cmd[0], &fa, NULL, cmd, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r) {
        iam_log(LOG_ERR, "chained command %s: cannot run: %s", cmd[0],
                strerrordesc_np(r));
        return -r;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        iam_log(LOG_WARNING, "chained command %s: exit status %d", cmd[0],
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

int
chain_run(const char *command, int argc, char **argv)
{
    char *words[CHAIN_MAX_WORDS + 4];
    char *copy;
    int n, i, r;

    if (command[0] != '/') {
        iam_log(LOG_ERR, "chained command %s: not an absolute path",
                command);
        return -EINVAL;
    }
    copy = strdup(command);
    if (!copy)
        return -ENOMEM;
    n = split_words(copy, words, CHAIN_MAX_WORDS);
    if (n < 0) {
        iam_log(LOG_ERR, "chained command: more than %d words",
                CHAIN_MAX_WORDS);
        free(copy);
        return n;
    }
    for (i = 0; i < argc && i < 3; i++)
        words[n++] = argv[i];
    words[n] = NULL;
    /* Our keys first, in order, then theirs. */
    fflush(stdout);
    r = spawn_and_wait(words);
    free(copy);
    return r;
}
