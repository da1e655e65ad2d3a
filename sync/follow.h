/*
 * follow: a publisher that follows IAM's change events (EVENT_QUEUE_URL).
 *
 * It publishes in full at start, then long-polls the queue. Messages that
 * arrive together (until the queue is quiet, FOLLOW_COALESCE_MS at most)
 * are read into one set of hints (events.h); exactly what they name is
 * read again from IAM (fetch_delta.h) and the object is put again. The
 * messages are deleted only once the object holds what they announced
 * (put, or found identical): a message whose put failed comes back when
 * its visibility timeout ends, and is applied again.
 *
 * Events are best effort, so IAM is read in full every
 * FULL_SYNC_INTERVAL, and at once when the queue cannot be read, a
 * message cannot be, there are too many hints, or on SIGHUP. The drift
 * of the state kept from events against that full read is logged and
 * counted: it is what events missed.
 *
 * IAM is eventually consistent: a read right after a change may see the
 * state before it. What a batch named is read once more FOLLOW_SETTLE_S
 * later, so that a stale first read lasts seconds, not until the next
 * full read.
 *
 * The loop reaches IAM, S3 and SQS only through struct follow_ops, so
 * that its rules are tested with scripted answers and a scripted clock.
 */
#ifndef FOLLOW_H
#define FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "aws_sqs.h"
#include "events.h"
#include "fetch.h"
#include "fetch_delta.h"

/* The longest a batch waits for more messages after its first. */
#define FOLLOW_COALESCE_MS 2000
/* When what a batch named is read again. */
#define FOLLOW_SETTLE_S 30
/* How long a received message stays hidden from other receivers. */
#define FOLLOW_VISIBILITY_S 60
/* Retries of a failed put, and the longest wait after a queue error. */
#define FOLLOW_RETRY_S 30
#define FOLLOW_QUEUE_BACKOFF_MAX_S 300

/* Since the start, for the log and the metrics. */
struct follow_stats {
    unsigned long messages;  /* received */
    unsigned long ignored;   /* well formed, nothing to re-read */
    unsigned long malformed; /* could not be read */
    unsigned long batches;   /* sets of hints applied */
    unsigned long reconciles;
    unsigned long drift_last; /* the last reconcile's drift total */
    unsigned long drift_total;
    unsigned long iam_calls;
    unsigned long publishes; /* objects put */
    unsigned long publish_failures;
    unsigned long queue_errors;
    time_t last_publish; /* when an object was last put or confirmed */
};

/* What the loop asks of the world. Every int return is 0 or -errno. */
struct follow_ops {
    /* Read IAM in full into *ret. */
    int (*full)(void *ctx, struct fetch *ret);
    /* fetch_delta() of @prev with @hints. */
    int (*delta)(void *ctx, const struct fetch *prev,
                 const struct event_hints *hints, struct fetch *ret);
    /* Sign @f, created @started, and put it unless the object in place
     * says the same and is young; *@result "published" or "unchanged". */
    int (*publish)(void *ctx, const struct fetch *f, time_t started,
                   const char **result);
    /* Put @f again, created @started, even though it is unchanged: the
     * object in place is growing old. */
    int (*refresh)(void *ctx, const struct fetch *f, time_t started);
    /* When the object in place was created (0: none of ours). */
    time_t (*object_created)(void *ctx);
    /* Up to 10 messages, waiting @wait_s for the first; @err says why
     * not. */
    int (*receive)(void *ctx, unsigned wait_s, struct aws_sqs_batch *ret,
                   char *err, size_t errlen);
    /* Delete @n messages; returns how many were, or -errno. */
    int (*remove)(void *ctx, const struct aws_sqs_message *const *v, size_t n);
    unsigned long (*iam_calls)(void *ctx); /* since the start */
    time_t (*now)(void *ctx);
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    /* FOLLOW_RUN, FOLLOW_RECONCILE (SIGHUP), FOLLOW_STOP (tests). */
    int (*signal)(void *ctx);
    /* After each batch, reconcile and put (may be NULL). */
    void (*report)(void *ctx, const struct follow_stats *s);
};

enum { FOLLOW_RUN = 0, FOLLOW_RECONCILE = 1, FOLLOW_STOP = 2 };

struct follow_opts {
    const char *queue_url;  /* for the log */
    unsigned full_interval; /* FULL_SYNC_INTERVAL, seconds */
    unsigned refresh_age;   /* put the object again at this age */
    bool tags;              /* TAG_KEYS: Tag/UntagUser are followed */
};

/*
 * follow_run - the loop; returns only when ops->signal() says
 * FOLLOW_STOP (0), or -errno when the first full read and put fail (an
 * unreachable IAM or bucket at start is a failed start, not a service
 * that publishes nothing).
 */
int
follow_run(const struct follow_opts *o, const struct follow_ops *ops, void *ctx,
           struct follow_stats *ret);

/* follow_signals - SIGHUP asks for a reconcile: install the handler. */
int
follow_signals(void);

/* follow_signal_take - FOLLOW_RECONCILE once after each SIGHUP. */
int
follow_signal_take(void);

#endif
