#include "reap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "iam_log.h"

/* After each SIGKILL pass, how long to wait for the dead to go. */
#define KILL_WAIT_MS 1000
/* A user forking as fast as we kill gets this many passes, no more. */
#define KILL_PASSES 10

/* One process signalled: counted once, whatever the passes. */
struct hit {
    pid_t pid;
    pid_t sid;
    size_t victim;
};

struct reaper {
    struct terminate_victim *v;
    size_t n;
    struct hit *hits; /* every process signalled, for the counts */
    size_t n_hits;
    struct pollfd *wait; /* pidfds signalled in this pass */
    size_t n_wait;
    unsigned signalled; /* in this pass */
};

/* glibc before 2.36 has no wrappers; the syscalls are Linux 5.1/5.3. */
static int
pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int
pidfd_signal(int fd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* "Uid:\treal\teffective\tsaved\tfs" and "State:\tZ (zombie)". */
struct status {
    unsigned long uid[3];
    bool have_uid;
    bool dead; /* a zombie: nothing left to signal */
};

/* "\t1000\t1000\t1000\t1000": the first three numbers, or -EIO. */
static int
parse_ids(const char *p, unsigned long ret[3])
{
    char *end;
    int k;

    for (k = 0; k < 3; k++) {
        errno = 0;
        ret[k] = strtoul(p, &end, 10);
        if (errno || end == p)
            return -EIO;
        p = end;
    }
    return 0;
}

static int
read_status(pid_t pid, struct status *ret)
{
    char path[64], line[256];
    FILE *f;

    memset(ret, 0, sizeof(*ret));
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "State:", 6) == 0)
            ret->dead = strpbrk(line + 6, "ZX") != NULL;
        else if (strncmp(line, "Uid:", 4) == 0)
            ret->have_uid = parse_ids(line + 4, ret->uid) == 0;
    }
    fclose(f);
    return ret->have_uid ? 0 : -EIO;
}

/* The kernel session (field 6 of /proc/PID/stat), or 0 if unknown. */
static pid_t
read_sid(pid_t pid)
{
    char path[64], buf[512], *p, *end;
    int fd, i;
    long sid;
    ssize_t len;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return 0;
    buf[len] = '\0';
    /* The command name may hold ") ": the fields start after the last:
     * " S PPID PGRP SID ..." */
    p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    for (i = 0; i < 3; i++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return 0;
    }
    errno = 0;
    sid = strtol(p, &end, 10);
    if (errno || end == p || sid <= 0 || sid > INT32_MAX)
        return 0;
    return (pid_t)sid;
}

/*
 * The uid of the logind slice holding @pid, from its systemd cgroup:
 * "0::/user.slice/user-UID.slice/session-N.scope" (cgroup v2), or the
 * "name=systemd" hierarchy's line on a v1 host. Returns 0 (and the uid)
 * or -ESRCH when the process is in no user's slice.
 */
static int
read_slice_uid(pid_t pid, unsigned long *ret_uid)
{
    static const char slice[] = "/user.slice/user-";
    char path[64], line[512], *p, *end;
    int r = -ESRCH;
    FILE *f;

    *ret_uid = 0;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return -errno;
    while (r < 0 && fgets(line, sizeof(line), f)) {
        /* "ID:CONTROLLERS:PATH": only the hierarchy systemd places in. */
        p = strchr(line, ':');
        if (!p ||
            (strncmp(p, "::", 2) != 0 && strncmp(p, ":name=systemd:", 14) != 0))
            continue;
        p = strchr(p + 1, ':');
        if (!p || strncmp(p + 1, slice, sizeof(slice) - 1) != 0)
            continue;
        p += sizeof(slice);
        errno = 0;
        *ret_uid = strtoul(p, &end, 10);
        if (errno == 0 && end != p && strncmp(end, ".slice/", 7) == 0)
            r = 0;
    }
    fclose(f);
    return r;
}

static size_t
victim_of(const struct reaper *rp, unsigned long uid)
{
    size_t i;

    for (i = 0; i < rp->n; i++)
        if (uid == rp->v[i].uid)
            return i;
    return rp->n;
}

/*
 * The victim @pid belongs to, or n: by any of its three uids, else by the
 * logind slice it runs in. A removed user's slice holds their sessions
 * and user manager, and also what they started there as root (sudo -i):
 * their access too, which no uid of theirs marks.
 */
static size_t
owner(const struct reaper *rp, pid_t pid, const struct status *st)
{
    unsigned long slice_uid;
    size_t k, v;

    for (k = 0; k < 3; k++) {
        v = victim_of(rp, st->uid[k]);
        if (v < rp->n)
            return v;
    }
    if (read_slice_uid(pid, &slice_uid) < 0)
        return rp->n;
    return victim_of(rp, slice_uid);
}

/* Count @pid once for its victim, its session once too. */
static int
record(struct reaper *rp, pid_t pid, size_t victim)
{
    struct hit *h;
    size_t i;

    for (i = 0; i < rp->n_hits; i++)
        if (rp->hits[i].pid == pid && rp->hits[i].victim == victim)
            return 0;
    h = reallocarray(rp->hits, rp->n_hits + 1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    rp->hits = h;
    h[rp->n_hits].pid = pid;
    h[rp->n_hits].sid = read_sid(pid);
    h[rp->n_hits].victim = victim;
    rp->n_hits++;
    rp->v[victim].processes++;
    return 0;
}

/* Keep @fd to wait for the process's exit (poll says POLLIN then). */
static int
keep_fd(struct reaper *rp, int fd)
{
    struct pollfd *w;

    w = reallocarray(rp->wait, rp->n_wait + 1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    rp->wait = w;
    w[rp->n_wait].fd = fd;
    w[rp->n_wait].events = POLLIN;
    w[rp->n_wait].revents = 0;
    rp->n_wait++;
    return 0;
}

static void
failed(struct reaper *rp, size_t victim, pid_t pid, int sig, int err)
{
    struct terminate_victim *v = &rp->v[victim];

    /* The first failure per user says why; the rest are counted. */
    if (v->failed++ == 0)
        iam_log(LOG_WARNING,
                "cannot send signal %d to process %d of %s "
                "(uid %u): %s",
                sig, (int)pid, v->name, v->uid, strerrordesc_np(err));
}

/*
 * One process: is it a victim's, and if so, signal it (0: only count).
 *
 * Why this never reaches a reused pid: the pidfd, opened first, names one
 * process for good. The status read next may be of another process only
 * if ours was reaped in between and its pid reused; but then the signal
 * sent through the pidfd fails with ESRCH. So a signal that is delivered
 * went to a process that was alive, holding its pid, when its uids were
 * read: the one we meant. (A zombie still holds its pid.) The same holds
 * for its cgroup, read in between too.
 */
static int
visit(struct reaper *rp, pid_t pid, int sig)
{
    struct status st;
    size_t victim;
    int fd, r = 0;

    fd = pidfd_open_(pid);
    if (fd < 0)
        return errno == ENOSYS ? -ENOSYS : 0; /* gone already: fine */
    if (read_status(pid, &st) < 0 || st.dead)
        goto out;
    victim = owner(rp, pid, &st);
    if (victim == rp->n)
        goto out;
    if (pidfd_signal(fd, sig) < 0) {
        if (errno != ESRCH)
            failed(rp, victim, pid, sig, errno);
        goto out;
    }
    rp->signalled++;
    r = record(rp, pid, victim);
    if (r >= 0 && sig != 0) {
        r = keep_fd(rp, fd);
        if (r >= 0)
            return 0;
    }
out:
    close(fd);
    return r;
}

/* One pass over /proc; returns how many processes were signalled. */
static int
pass(struct reaper *rp, int sig)
{
    pid_t self = getpid();
    struct dirent *e;
    char *end;
    long pid;
    DIR *d;
    int r = 0;

    rp->signalled = 0;
    d = opendir("/proc");
    if (!d)
        return -errno;
    while (r >= 0 && (e = readdir(d))) {
        errno = 0;
        pid = strtol(e->d_name, &end, 10);
        if (errno || *end || pid <= 0 || pid == self)
            continue;
        r = visit(rp, (pid_t)pid, sig);
    }
    closedir(d);
    if (r < 0)
        return r;
    return (int)rp->signalled;
}

static int64_t
now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait up to @ms for the processes of this pass to exit; close them. */
static void
wait_exit(struct reaper *rp, int64_t ms)
{
    int64_t end = now_ms() + ms, left;
    size_t i, alive = rp->n_wait;

    while (alive > 0 && (left = end - now_ms()) > 0) {
        if (poll(rp->wait, rp->n_wait, (int)left) <= 0)
            continue; /* EINTR, or time is up: the loop decides */
        for (i = 0; i < rp->n_wait; i++) {
            if (rp->wait[i].fd >= 0 && rp->wait[i].revents) {
                close(rp->wait[i].fd);
                rp->wait[i].fd = -1; /* poll skips it from now on */
                alive--;
            }
        }
    }
    for (i = 0; i < rp->n_wait; i++)
        if (rp->wait[i].fd >= 0)
            close(rp->wait[i].fd);
    rp->n_wait = 0;
}

static int
cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;

    if (x->victim != y->victim)
        return x->victim < y->victim ? -1 : 1;
    return (x->sid > y->sid) - (x->sid < y->sid);
}

/* Each victim's distinct sessions among the processes signalled. */
static void
count_sessions(struct reaper *rp)
{
    size_t i;

    if (rp->n_hits == 0)
        return;
    qsort(rp->hits, rp->n_hits, sizeof(*rp->hits), cmp_hit);
    for (i = 0; i < rp->n_hits; i++)
        if (i == 0 || cmp_hit(&rp->hits[i - 1], &rp->hits[i]) != 0)
            rp->v[rp->hits[i].victim].sessions++;
}

static void
reaper_init(struct reaper *rp, struct terminate_victim *v, size_t n)
{
    size_t i;

    memset(rp, 0, sizeof(*rp));
    rp->v = v;
    rp->n = n;
    for (i = 0; i < n; i++)
        v[i].sessions = v[i].processes = v[i].failed = 0;
}

static int
reaper_done(struct reaper *rp, int r)
{
    count_sessions(rp);
    wait_exit(rp, 0);
    free(rp->wait);
    free(rp->hits);
    return r < 0 ? r : 0;
}

int
reap_count(struct terminate_victim *v, size_t n)
{
    struct reaper rp;

    reaper_init(&rp, v, n);
    if (n == 0)
        return 0;
    return reaper_done(&rp, pass(&rp, 0));
}

int
reap_end(struct terminate_victim *v, size_t n, int64_t grace_ms)
{
    struct reaper rp;
    int r, i;

    reaper_init(&rp, v, n);
    if (n == 0)
        return 0;
    r = pass(&rp, SIGTERM);
    if (r > 0)
        wait_exit(&rp, grace_ms > 0 ? grace_ms : 0);
    /* What ignored SIGTERM, or was forked before it landed. */
    for (i = 0; r >= 0 && i < KILL_PASSES; i++) {
        r = pass(&rp, SIGKILL);
        if (r <= 0)
            break;
        wait_exit(&rp, KILL_WAIT_MS);
    }
    return reaper_done(&rp, r);
}
