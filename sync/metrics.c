#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "follow.h"
#include "iam_file.h"
#include "iam_log.h"

#define FILE_NAME "nss_iam.prom"
#define LAST_SUCCESS "nss_iam_sync_last_success_timestamp_seconds "

/* The previous file's last success time, or 0. */
static int64_t
previous_success(const char *path)
{
    char line[256];
    long long v = 0;
    FILE *f = fopen(path, "re");

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, LAST_SUCCESS, strlen(LAST_SUCCESS)) == 0)
            v = strtoll(line + strlen(LAST_SUCCESS), NULL, 10);
    fclose(f);
    return v > 0 ? (int64_t)v : 0;
}

static void
gauge(FILE *f, const char *name, const char *help, double v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.10g\n", name, help, name,
            name, v);
}

static void
write_all(FILE *f, const struct metrics *m, int64_t success)
{
    gauge(f, "nss_iam_sync_last_run_timestamp_seconds",
          "When iam-sync last ran.", (double)m->run_time);
    gauge(f, "nss_iam_sync_last_success_timestamp_seconds",
          "When iam-sync last succeeded (published or unchanged).",
          (double)success);
    gauge(f, "nss_iam_sync_exit_status",
          "Exit status of the last run (0 ok, 1 AWS/local, 2 config, "
          "3 safety refusal).",
          m->exit_status);
    gauge(f, "nss_iam_snapshot_age_seconds",
          "Age of the snapshot being served.",
          m->snapshot_time ? (double)(m->run_time - m->snapshot_time) : -1);
    gauge(f, "nss_iam_users", "IAM users in the last result.",
          (double)m->users);
    gauge(f, "nss_iam_keys", "SSH keys in the last result.", (double)m->keys);
    gauge(f, "nss_iam_sync_api_calls", "AWS API requests of the last run.",
          (double)m->api_calls);
    gauge(f, "nss_iam_sync_api_retries", "Retried requests of the last run.",
          (double)m->retries);
    gauge(f, "nss_iam_sync_api_throttled",
          "Requests IAM throttled in the last run.", (double)m->throttled);
    gauge(f, "nss_iam_sync_refused_names",
          "IAM users refused for their name in the last run.",
          (double)m->refused_names);
    gauge(f, "nss_iam_sync_invalid_keys",
          "SSH keys refused by validation in the last run.",
          (double)m->invalid_keys);
    gauge(f, "nss_iam_sync_ended_users",
          "Removed users whose processes the last run ended.",
          (double)m->ended_users);
    gauge(f, "nss_iam_sync_ended_sessions",
          "Sessions of removed users the last run ended.",
          (double)m->ended_sessions);
    gauge(f, "nss_iam_sync_ended_processes",
          "Processes of removed users the last run signalled.",
          (double)m->ended_processes);
    gauge(f, "nss_iam_sync_end_failures",
          "Signals to removed users' processes that failed in the last run.",
          (double)m->end_failures);
    gauge(f, "nss_iam_sync_duration_seconds", "Duration of the last run.",
          m->duration);
}

/* Writes @text as "<dir>/<name>" atomically, readable by all. */
static int
write_file(const char *dir, const char *name,
           void (*body)(FILE *f, const void *arg), const void *arg)
{
    struct iam_file_temp t;
    char path[PATH_MAX];
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    int r;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    r = iam_file_temp_open(path, &t);
    if (r < 0) {
        iam_log(LOG_WARNING, "%s: cannot write metrics: %s", dir,
                strerrordesc_np(-r));
        return r;
    }
    f = open_memstream(&text, &len);
    if (!f) {
        iam_file_temp_abort(&t);
        return -ENOMEM;
    }
    body(f, arg);
    if (fclose(f) != 0) {
        r = -ENOMEM;
        iam_file_temp_abort(&t);
    }
    /* node_exporter runs as another user: the file must be readable. */
    if (r == 0)
        r = iam_file_temp_commit(&t, text, len, 0644);
    free(text);
    if (r < 0)
        iam_log(LOG_WARNING, "%s: cannot write metrics: %s", path,
                strerrordesc_np(-r));
    return r;
}

struct sync_file {
    const struct metrics *m;
    int64_t success;
};

static void
sync_body(FILE *f, const void *arg)
{
    const struct sync_file *sf = arg;

    write_all(f, sf->m, sf->success);
}

int
metrics_write(const char *dir, const struct metrics *m)
{
    struct sync_file sf = { m, 0 };
    char path[PATH_MAX];

    if (snprintf(path, sizeof(path), "%s/%s", dir, FILE_NAME) >=
        (int)sizeof(path))
        return -ENAMETOOLONG;
    sf.success = m->exit_status == 0 ? m->run_time : previous_success(path);
    return write_file(dir, FILE_NAME, sync_body, &sf);
}

static void
counter(FILE *f, const char *name, const char *help, unsigned long v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help, name,
            name, v);
}

static void
follow_body(FILE *f, const void *arg)
{
    const struct follow_stats *s = arg;

    gauge(f, "nss_iam_publisher_up", "The publisher follows the queue.", 1);
    counter(f, "nss_iam_publisher_messages_total", "Event messages received.",
            s->messages);
    counter(f, "nss_iam_publisher_messages_ignored_total",
            "Messages that named nothing to read again.", s->ignored);
    counter(f, "nss_iam_publisher_messages_malformed_total",
            "Messages that could not be read.", s->malformed);
    counter(f, "nss_iam_publisher_event_batches_total",
            "Batches of messages applied.", s->batches);
    counter(f, "nss_iam_publisher_reconciles_total", "Full reads of IAM.",
            s->reconciles);
    gauge(f, "nss_iam_publisher_reconcile_drift",
          "Users, memberships and keys the last full read found that "
          "events had missed.",
          (double)s->drift_last);
    counter(f, "nss_iam_publisher_reconcile_drift_total",
            "All the differences full reads found that events had missed.",
            s->drift_total);
    counter(f, "nss_iam_publisher_iam_calls_total", "IAM requests.",
            s->iam_calls);
    counter(f, "nss_iam_publisher_publishes_total", "Objects put.",
            s->publishes);
    counter(f, "nss_iam_publisher_publish_failures_total", "Puts that failed.",
            s->publish_failures);
    counter(f, "nss_iam_publisher_queue_errors_total",
            "Receives from the queue that failed.", s->queue_errors);
    gauge(f, "nss_iam_publisher_last_publish_timestamp_seconds",
          "When the object was last put or found current.",
          (double)s->last_publish);
}

int
metrics_follow_write(const char *dir, const struct follow_stats *s)
{
    return write_file(dir, "nss_iam_publisher.prom", follow_body, s);
}
