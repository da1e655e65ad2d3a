/*
 * exectime - wall time of a command run many times, as sshd runs an
 * AuthorizedKeysCommand: fork, exec, read its stdout through a pipe to
 * the end, wait. Timed with CLOCK_MONOTONIC from just before fork() to
 * just after wait4(), so the figure includes everything a caller pays.
 *
 *   exectime [-n COUNT] [-w WARMUP] [-a ARGFILE] [-o OUTFILE] -- CMD [ARG...]
 *
 * -n COUNT   timed runs (default 100)
 * -w WARMUP  untimed runs first (default 3), to fault in the page cache
 * -a ARGFILE each run appends the words of one line of ARGFILE to the
 *            command (lines taken in order, wrapping around)
 * -o OUTFILE the stdout of the first timed run is saved there
 *
 * Prints one line of key=value pairs:
 *   runs=N failed=N median_us=F p99_us=F mean_us=F min_us=F max_us=F
 *   lines_min=N lines_max=N maxrss_kib=N first_fail_status=N
 * failed counts runs that did not exit 0 (the first one's exit status,
 * or 128 + signal, is first_fail_status; 0 when none failed); lines_* are the
 * fewest and most stdout lines a run printed; maxrss_kib is the largest peak
 * RSS of a run (wait4 rusage). Exit status 0, or 1 when the runs could not be
 * made; 2 for usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXTRA_ARGS 16

struct arglines {
    char **lines;
    size_t n;
};

struct run_result {
    double us;
    long lines;
    long maxrss_kib;
    int status; /* exit status, or 128 + signal */
};

static double
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
read_arglines(const char *path, struct arglines *ret)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    char **grown;

    if (!f)
        return -errno;
    memset(ret, 0, sizeof(*ret));
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        grown = realloc(ret->lines, (ret->n + 1) * sizeof(*grown));
        if (!grown)
            break;
        ret->lines = grown;
        ret->lines[ret->n] = strdup(line);
        if (!ret->lines[ret->n])
            break;
        ret->n++;
    }
    free(line);
    fclose(f);
    return ret->n ? 0 : -ENODATA;
}

/* argv for one run: the fixed command, then the words of @extra. */
static void
build_argv(char **argv, char **cmd, int ncmd, char *extra, char *scratch,
           size_t size)
{
    char *save = NULL, *w;
    int n = 0, i;

    for (i = 0; i < ncmd; i++)
        argv[n++] = cmd[i];
    if (extra) {
        snprintf(scratch, size, "%s", extra);
        for (w = strtok_r(scratch, " \t", &save);
             w && n < ncmd + MAX_EXTRA_ARGS; w = strtok_r(NULL, " \t", &save))
            argv[n++] = w;
    }
    argv[n] = NULL;
}

/* Reads the child's stdout to EOF; counts lines, copies to @save. */
static long
drain(int fd, FILE *save)
{
    char buf[65536];
    long lines = 0;
    ssize_t got, i;

    for (;;) {
        got = read(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        for (i = 0; i < got; i++)
            lines += buf[i] == '\n';
        if (save)
            fwrite(buf, 1, (size_t)got, save);
    }
    return lines;
}

static int
run_once(char **argv, FILE *save, struct run_result *ret)
{
    struct rusage ru;
    int pfd[2], status, devnull;
    double t0;
    pid_t pid;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -errno;
    t0 = now_us();
    pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -errno;
    }
    if (pid == 0) {
        devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    ret->lines = drain(pfd[0], save);
    close(pfd[0]);
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            return -errno;
    ret->us = now_us() - t0;
    ret->maxrss_kib = ru.ru_maxrss;
    ret->status =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The value at quantile @q of sorted @v (nearest rank). */
static double
quantile(const double *v, size_t n, double q)
{
    size_t rank = (size_t)(q * (double)n + 0.999999);

    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

static void
report(double *us, size_t n, size_t failed, int fail_status, long lmin,
       long lmax, long rss)
{
    double sum = 0;
    size_t i;

    for (i = 0; i < n; i++)
        sum += us[i];
    qsort(us, n, sizeof(*us), cmp_double);
    printf("runs=%zu failed=%zu median_us=%.1f p99_us=%.1f mean_us=%.1f "
           "min_us=%.1f max_us=%.1f lines_min=%ld lines_max=%ld "
           "maxrss_kib=%ld first_fail_status=%d\n",
           n, failed, quantile(us, n, 0.5), quantile(us, n, 0.99),
           sum / (double)n, us[0], us[n - 1], lmin, lmax, rss, fail_status);
}

static int
usage(void)
{
    fprintf(stderr, "usage: exectime [-n COUNT] [-w WARMUP] [-a ARGFILE] "
                    "[-o OUTFILE] -- CMD [ARG...]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    struct arglines al = { NULL, 0 };
    const char *argfile = NULL, *outfile = NULL;
    long count = 100, warmup = 3, lmin = -1, lmax = 0, rss = 0, i;
    struct run_result rr = { 0, 0, 0, 0 };
    char scratch[8192];
    size_t failed = 0;
    int fail_status = 0;
    char **av;
    FILE *save;
    double *us;
    int c, r;

    while ((c = getopt(argc, argv, "+n:w:a:o:")) != -1) {
        switch (c) {
        case 'n':
            count = strtol(optarg, NULL, 10);
            break;
        case 'w':
            warmup = strtol(optarg, NULL, 10);
            break;
        case 'a':
            argfile = optarg;
            break;
        case 'o':
            outfile = optarg;
            break;
        default:
            return usage();
        }
    }
    if (optind >= argc || count < 1 || warmup < 0)
        return usage();
    if (argfile && (r = read_arglines(argfile, &al)) < 0) {
        fprintf(stderr, "exectime: %s: %s\n", argfile, strerrordesc_np(-r));
        return 1;
    }
    us = calloc((size_t)count, sizeof(*us));
    av = calloc((size_t)(argc - optind + MAX_EXTRA_ARGS + 1), sizeof(*av));
    if (!us || !av)
        return 1;
    for (i = -warmup; i < count; i++) {
        char *extra = al.n ? al.lines[(size_t)(i + warmup) % al.n] : NULL;

        build_argv(av, argv + optind, argc - optind, extra, scratch,
                   sizeof(scratch));
        save = (i == 0 && outfile) ? fopen(outfile, "we") : NULL;
        r = run_once(av, save, &rr);
        if (save)
            fclose(save);
        if (r < 0) {
            fprintf(stderr, "exectime: %s: %s\n", av[0], strerrordesc_np(-r));
            return 1;
        }
        if (i < 0)
            continue;
        us[i] = rr.us;
        if (rr.status != 0 && failed++ == 0)
            fail_status = rr.status;
        if (lmin < 0 || rr.lines < lmin)
            lmin = rr.lines;
        if (rr.lines > lmax)
            lmax = rr.lines;
        if (rr.maxrss_kib > rss)
            rss = rr.maxrss_kib;
    }
    report(us, (size_t)count, failed, fail_status, lmin, lmax, rss);
    free(us);
    free(av);
    return 0;
}
