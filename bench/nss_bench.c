/*
 * nss_bench - per-call cost of passwd/group lookups through glibc, for
 * whatever /etc/nsswitch.conf names (the benchmark script switches it
 * between "iam" and "files" inside a private mount namespace).
 *
 *   nss_bench [-n CALLS] [-r RUNS] [-t SECONDS] [-e ENUM_RUNS] USERS_FILE
 *   nss_bench -m [-n CALLS] USERS_FILE
 *
 * USERS_FILE holds the users to look up as passwd lines (name:x:uid:gid:...),
 * e.g. the output of `getent passwd`. The same fixed-seed random sequence
 * of users is used whatever the backend, so two runs compare like with
 * like. Every lookup's answer is checked (right uid, right name): a
 * failed lookup ends the program with status 1 instead of being timed.
 *
 * Timing mode prints, per operation, one line
 *   op=NAME calls=N runs=N median_ns=F min_ns=F max_ns=F
 * where a run is CALLS lookups or SECONDS of them, whichever ends first,
 * and ns is per call. Operations: getpwnam, getpwuid, getgrgid (the
 * user's private group), initgroups (getgrouplist), getpwnam_miss (a name
 * nobody has) and enum (setpwent/getpwent/endpwent over every entry; ns
 * per whole enumeration).
 *
 * -m (memory) prints one line
 *   rss before_kib=N after_one_kib=N after_all_kib=N anon_before_kib=N
 *       anon_after_one_kib=N anon_after_all_kib=N map_module_kib=N
 *       map_lmdb_kib=N map_snapshot_kib=N
 * VmRSS and RssAnon before any NSS call, after one getpwnam, and after
 * looking up every user once with each kind of lookup (each kind stops
 * after SECONDS) and one enumeration; then the resident KiB of the
 * mappings of libnss_iam, liblmdb and the snapshot file (from
 * /proc/self/smaps).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_LEN 64
#define SEED 0x9e3779b97f4a7c15ull

struct users {
    char (*name)[NAME_MAX_LEN];
    char (*miss)[NAME_MAX_LEN];
    uid_t *uid;
    gid_t *gid;
    size_t n;
};

struct opts {
    long calls;
    int runs;
    double seconds;
    int enum_runs;
    int memory;
};

typedef int (*op_fn)(const struct users *u, size_t i);

static int
op_getpwnam(const struct users *u, size_t i)
{
    struct passwd *p = getpwnam(u->name[i]);

    return p && p->pw_uid == u->uid[i];
}

static int
op_getpwuid(const struct users *u, size_t i)
{
    struct passwd *p = getpwuid(u->uid[i]);

    return p && strcmp(p->pw_name, u->name[i]) == 0;
}

static int
op_getgrgid(const struct users *u, size_t i)
{
    struct group *g = getgrgid(u->gid[i]);

    return g && g->gr_gid == u->gid[i];
}

static int
op_initgroups(const struct users *u, size_t i)
{
    gid_t groups[256];
    int n = 256;

    /* The primary group plus at least one supplementary group. */
    return getgrouplist(u->name[i], u->gid[i], groups, &n) >= 0 && n >= 2;
}

static int
op_getpwnam_miss(const struct users *u, size_t i)
{
    return getpwnam(u->miss[i]) == NULL;
}

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    { "getpwnam", op_getpwnam },           { "getpwuid", op_getpwuid },
    { "getgrgid", op_getgrgid },           { "initgroups", op_initgroups },
    { "getpwnam_miss", op_getpwnam_miss },
};

static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
add_user(struct users *u, size_t *cap, const char *line)
{
    char name[NAME_MAX_LEN];
    unsigned long uid, gid;
    void *p;

    if (sscanf(line, "%63[^:]:%*[^:]:%lu:%lu:", name, &uid, &gid) != 3)
        return 0; /* not a passwd line: skipped */
    if (u->n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        if (!(p = realloc(u->name, *cap * sizeof(*u->name))))
            return -ENOMEM;
        u->name = p;
        if (!(p = realloc(u->uid, *cap * sizeof(*u->uid))))
            return -ENOMEM;
        u->uid = p;
        if (!(p = realloc(u->gid, *cap * sizeof(*u->gid))))
            return -ENOMEM;
        u->gid = p;
    }
    snprintf(u->name[u->n], NAME_MAX_LEN, "%s", name);
    u->uid[u->n] = (uid_t)uid;
    u->gid[u->n] = (gid_t)gid;
    u->n++;
    return 0;
}

static int
read_users(const char *path, struct users *u)
{
    FILE *f = fopen(path, "re");
    char line[4096];
    size_t cap = 0, i;
    int r = 0;

    if (!f)
        return -errno;
    memset(u, 0, sizeof(*u));
    while (r == 0 && fgets(line, sizeof(line), f))
        r = add_user(u, &cap, line);
    fclose(f);
    if (r == 0 && u->n == 0)
        r = -ENODATA;
    if (r == 0 && !(u->miss = calloc(u->n, sizeof(*u->miss))))
        r = -ENOMEM;
    for (i = 0; r == 0 && i < u->n; i++)
        snprintf(u->miss[i], NAME_MAX_LEN, "nosuch%zu", i);
    return r;
}

/* xorshift64*: a fixed sequence, the same for every backend. */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* One run: up to @calls lookups, stopping after @seconds. ns per call. */
static double
time_run(op_fn fn, const struct users *u, const size_t *idx, long calls,
         double seconds, long *done)
{
    double t0 = now_ns(), limit = t0 + seconds * 1e9, t = t0;
    long k;

    for (k = 0; k < calls; k++) {
        if (!fn(u, idx[k])) {
            fprintf(stderr, "nss_bench: lookup %ld (%s, uid %u) failed\n", k,
                    u->name[idx[k]], (unsigned)u->uid[idx[k]]);
            exit(1);
        }
        if ((k & 15) == 15 && (t = now_ns()) > limit) {
            k++;
            break;
        }
    }
    t = now_ns();
    *done = k;
    return (t - t0) / (double)k;
}

static void
print_stats(const char *name, double *v, int n, long calls)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    printf("op=%s calls=%ld runs=%d median_ns=%.1f min_ns=%.1f max_ns=%.1f\n",
           name, calls, n, v[n / 2], v[0], v[n - 1]);
    fflush(stdout);
}

static double
time_enum(size_t want)
{
    double t0 = now_ns();
    size_t n = 0;

    setpwent();
    while (getpwent())
        n++;
    endpwent();
    if (n < want) {
        fprintf(stderr,
                "nss_bench: enumeration gave %zu entries, want "
                "at least %zu\n",
                n, want);
        exit(1);
    }
    return now_ns() - t0;
}

static void
bench_all(const struct users *u, const size_t *idx, const struct opts *o)
{
    double *v = calloc(
        (size_t)(o->runs > o->enum_runs ? o->runs : o->enum_runs), sizeof(*v));
    long done, least;
    size_t op;
    int r;

    if (!v)
        exit(1);
    for (op = 0; op < sizeof(ops) / sizeof(ops[0]); op++) {
        /* One untimed pass warms caches and loads the module. */
        time_run(ops[op].fn, u, idx, 1000, o->seconds, &done);
        least = o->calls;
        for (r = 0; r < o->runs; r++) {
            v[r] = time_run(ops[op].fn, u, idx, o->calls, o->seconds, &done);
            if (done < least)
                least = done;
        }
        print_stats(ops[op].name, v, o->runs, least);
    }
    time_enum(u->n);
    for (r = 0; r < o->enum_runs; r++)
        v[r] = time_enum(u->n);
    print_stats("enum", v, o->enum_runs, 1);
    free(v);
}

/* VmRSS and RssAnon of this process, in KiB. */
static void
rss_kib(long *rss, long *anon)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];

    *rss = *anon = -1;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", rss) != 1)
            sscanf(line, "RssAnon: %ld kB", anon);
    fclose(f);
}

/* Resident KiB of the mappings whose path contains each of @pats. */
static void
smaps_rss(const char *const *pats, long *kib, size_t npats)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    unsigned long start, end, off, inode;
    unsigned maj, min;
    char line[4096], perms[8];
    int cur = -1;
    size_t i;
    long v;

    memset(kib, 0, npats * sizeof(*kib));
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        /* A mapping header: "start-end perms offset dev inode [path]". */
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &off,
                   &maj, &min, &inode) == 7) {
            cur = -1;
            for (i = 0; i < npats; i++)
                if (strstr(line, pats[i]))
                    cur = (int)i;
        } else if (cur >= 0 && sscanf(line, "Rss: %ld kB", &v) == 1) {
            kib[cur] += v;
        }
    }
    fclose(f);
}

static void
memory(const struct users *u, const size_t *idx, const struct opts *o)
{
    static const char *const pats[] = { "libnss_iam", "liblmdb", "passwd.mdb" };
    long rss[3], anon[3], maps[3], done;
    size_t op;

    rss_kib(&rss[0], &anon[0]);
    if (!op_getpwnam(u, idx[0]))
        exit(1);
    rss_kib(&rss[1], &anon[1]);
    for (op = 0; op < sizeof(ops) / sizeof(ops[0]); op++)
        time_run(ops[op].fn, u, idx, (long)u->n, o->seconds, &done);
    time_enum(u->n);
    rss_kib(&rss[2], &anon[2]);
    smaps_rss(pats, maps, 3);
    printf("rss before_kib=%ld after_one_kib=%ld after_all_kib=%ld "
           "anon_before_kib=%ld anon_after_one_kib=%ld "
           "anon_after_all_kib=%ld map_module_kib=%ld map_lmdb_kib=%ld "
           "map_snapshot_kib=%ld\n",
           rss[0], rss[1], rss[2], anon[0], anon[1], anon[2], maps[0], maps[1],
           maps[2]);
}

static int
usage(void)
{
    fprintf(stderr, "usage: nss_bench [-m] [-n CALLS] [-r RUNS] "
                    "[-t SECONDS] [-e ENUM_RUNS] USERS_FILE\n");
    return 2;
}

int
main(int argc, char **argv)
{
    struct opts o = { 200000, 5, 2.0, 20, 0 };
    uint64_t seed = SEED;
    struct users u;
    size_t *idx;
    long k;
    int c, r;

    while ((c = getopt(argc, argv, "mn:r:t:e:")) != -1) {
        switch (c) {
        case 'm':
            o.memory = 1;
            break;
        case 'n':
            o.calls = strtol(optarg, NULL, 10);
            break;
        case 'r':
            o.runs = (int)strtol(optarg, NULL, 10);
            break;
        case 't':
            o.seconds = strtod(optarg, NULL);
            break;
        case 'e':
            o.enum_runs = (int)strtol(optarg, NULL, 10);
            break;
        default:
            return usage();
        }
    }
    if (optind != argc - 1 || o.calls < 1000 || o.runs < 1 || o.enum_runs < 1 ||
        !(o.seconds > 0))
        return usage();
    r = read_users(argv[optind], &u);
    if (r < 0) {
        fprintf(stderr, "nss_bench: %s: %s\n", argv[optind],
                strerrordesc_np(-r));
        return 1;
    }
    if (o.memory && (size_t)o.calls < u.n)
        o.calls = (long)u.n;
    idx = calloc((size_t)o.calls, sizeof(*idx));
    if (!idx)
        return 1;
    /* Memory: every user once, in order; timing: random users. */
    for (k = 0; k < o.calls; k++)
        idx[k] = o.memory ? (size_t)k % u.n : (size_t)(next_rand(&seed) % u.n);
    if (o.memory)
        memory(&u, idx, &o);
    else
        bench_all(&u, idx, &o);
    return 0;
}
