/*
 * metrics: after each run, a Prometheus text file for node_exporter's
 * textfile collector (TEXTFILE_DIR), so that a fleet's monitoring sees a
 * sync that stopped succeeding long before a user reports a failed login.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

struct metrics {
    int exit_status;
    int64_t run_time;      /* when the run ended */
    int64_t snapshot_time; /* created time of the current snapshot, or 0 */
    unsigned long users;
    unsigned long keys;
    unsigned long api_calls;
    unsigned long retries;
    unsigned long throttled;
    unsigned refused_names;
    unsigned invalid_keys;
    unsigned long ended_users; /* removed users whose processes ended */
    unsigned ended_sessions;
    unsigned ended_processes;
    unsigned end_failures; /* signals that could not be sent */
    double duration;
};

/*
 * metrics_write - write "<dir>/nss_iam.prom" atomically (iam_file:
 * temporary file, fsync, rename, so the collector never reads half a
 * file). The last success time is carried over from the previous file
 * when this run failed.
 * Returns 0 or -errno (logged; a metrics failure never fails the sync).
 */
int
metrics_write(const char *dir, const struct metrics *m);

struct follow_stats;

/*
 * metrics_follow_write - "<dir>/nss_iam_publisher.prom": what a publisher
 * following IAM's events did since it started (follow.h), written as
 * metrics_write() writes. Returns 0 or -errno (logged).
 */
int
metrics_follow_write(const char *dir, const struct follow_stats *s);

#endif
