#include "follow.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_log.h"

/* A batch is applied once this many messages wait, quiet queue or not. */
#define BATCH_MESSAGES_MAX 100

/* Messages received and not yet applied, and what they name. */
struct pending {
    struct aws_sqs_message *v;
    size_t n, cap;
    struct event_hints hints;
    int64_t first_ms; /* when the first arrived */
};

struct follower {
    const struct follow_opts *o;
    const struct follow_ops *ops;
    void *ctx;
    struct follow_stats st;
    struct fetch kept; /* IAM as the events say it is */
    bool have;
    time_t kept_as_of; /* when the reads behind @kept began */
    bool dirty;        /* @kept is not in the object yet */
    time_t retry_at;   /* when a failed put is tried again */
    time_t next_full;
    time_t last_full;          /* when the last full read began */
    const char *full_reason;   /* a full read is due now, and why */
    const char *due_reason;    /* why the one at @next_full comes early */
    struct event_hints settle; /* read again at @settle_at */
    time_t settle_at;
    struct pending p;
    bool quiet;         /* the last receive found the queue empty */
    time_t quiet_as_of; /* when that receive began */
    unsigned backoff_s; /* after a queue error; 0 while it answers */
};

static volatile sig_atomic_t hup;

static void
on_hup(int sig)
{
    (void)sig;
    hup = 1;
}

int
follow_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    /* A long poll in progress finishes (20 s at most) before it acts. */
    sa.sa_flags = SA_RESTART;
    return sigaction(SIGHUP, &sa, NULL) < 0 ? -errno : 0;
}

int
follow_signal_take(void)
{
    if (!hup)
        return FOLLOW_RUN;
    hup = 0;
    return FOLLOW_RECONCILE;
}

static void
pending_free(struct pending *p)
{
    struct aws_sqs_batch b;
    size_t i = 0;

    /* Freed through aws_sqs_batch_free, ten at a time. */
    while (i < p->n) {
        memset(&b, 0, sizeof(b));
        for (b.n = 0; b.n < AWS_SQS_BATCH_MAX && i < p->n; b.n++, i++)
            b.v[b.n] = p->v[i];
        aws_sqs_batch_free(&b);
    }
    free(p->v);
    event_hints_free(&p->hints);
    memset(p, 0, sizeof(*p));
}

static void
report(struct follower *f)
{
    if (f->ops->report)
        f->ops->report(f->ctx, &f->st);
}

/* Deletes every pending message: the object holds what they said. */
static void
remove_pending(struct follower *f)
{
    const struct aws_sqs_message **v;
    size_t i;
    int r;

    if (f->p.n == 0)
        return;
    v = calloc(f->p.n, sizeof(const struct aws_sqs_message *));
    if (!v) {
        iam_log(LOG_WARNING,
                "cannot delete %zu messages (no memory): "
                "they come back and are read again",
                f->p.n);
        return;
    }
    for (i = 0; i < f->p.n; i++)
        v[i] = &f->p.v[i];
    r = f->ops->remove(f->ctx, v, f->p.n);
    if (r >= 0 && (size_t)r < f->p.n)
        iam_log(LOG_WARNING,
                "%zu of %zu messages could not be deleted: they "
                "come back and are read again",
                f->p.n - (size_t)r, f->p.n);
    free(v);
}

/* Puts @kept; a failure leaves it dirty, tried again FOLLOW_RETRY_S on. */
static const char *
put(struct follower *f, time_t started)
{
    const char *result = "failed";
    int r;

    r = f->ops->publish(f->ctx, &f->kept, started, &result);
    f->dirty = r < 0;
    if (r < 0) {
        f->st.publish_failures++;
        f->retry_at = f->ops->now(f->ctx) + FOLLOW_RETRY_S;
        return "failed";
    }
    if (strcmp(result, "published") == 0)
        f->st.publishes++;
    f->st.last_publish = f->ops->now(f->ctx);
    return result;
}

static void
keep(struct follower *f, struct fetch *next, time_t as_of)
{
    if (f->have)
        fetch_free(&f->kept);
    f->kept = *next;
    memset(next, 0, sizeof(*next));
    f->have = true;
    f->kept_as_of = as_of;
}

/*
 * IAM read whole, compared with what the events made of it, and put.
 * The messages pending were received before it began: it holds them.
 */
static int
reconcile(struct follower *f, const char *reason)
{
    time_t started = f->ops->now(f->ctx);
    unsigned long calls = f->ops->iam_calls(f->ctx);
    struct fetch_drift d;
    struct fetch full;
    const char *result;
    int r;

    memset(&d, 0, sizeof(d));
    f->due_reason = NULL;
    f->last_full = started;
    f->next_full = started + f->o->full_interval;
    f->st.reconciles++;
    r = f->ops->full(f->ctx, &full);
    if (r >= 0 && f->have) {
        r = fetch_drift(&f->kept, &full, &d);
        if (r < 0)
            fetch_free(&full);
    }
    if (r < 0) {
        iam_log(LOG_ERR, "reconcile (%s): failed: %s; tried again in %d s",
                reason, strerrordesc_np(-r), FOLLOW_RETRY_S);
        f->next_full = started + FOLLOW_RETRY_S;
        f->st.iam_calls += f->ops->iam_calls(f->ctx) - calls;
        pending_free(&f->p);
        report(f);
        return r;
    }
    keep(f, &full, started);
    result = put(f, started);
    f->st.iam_calls += f->ops->iam_calls(f->ctx) - calls;
    f->st.drift_last = fetch_drift_total(&d);
    f->st.drift_total += f->st.drift_last;
    iam_log(f->st.drift_last ? LOG_WARNING : LOG_INFO,
            "reconcile (%s): %lu IAM calls, %s; missed by events: %lu "
            "users, %lu memberships, %lu keys",
            reason, f->ops->iam_calls(f->ctx) - calls, result, d.users,
            d.members, d.keys);
    if (!f->dirty)
        remove_pending(f);
    pending_free(&f->p);
    report(f);
    return f->dirty ? -EIO : 0;
}

/* Reads what @hints name again; 0, or -errno with @kept as it was. */
static int
apply(struct follower *f, const struct event_hints *hints, time_t started,
      const char **result)
{
    struct fetch next;
    int r;

    *result = "failed";
    r = f->ops->delta(f->ctx, &f->kept, hints, &next);
    if (r < 0)
        return r;
    keep(f, &next, started);
    *result = put(f, started);
    return f->dirty ? -EIO : 0;
}

/* The hints of a batch, read again FOLLOW_SETTLE_S later. */
static void
settle_later(struct follower *f, const struct event_hints *hints)
{
    if (event_hints_merge(&f->settle, hints) < 0) {
        /* Not read again: the next full read repairs a stale first. */
        event_hints_free(&f->settle);
        return;
    }
    f->settle_at = f->ops->now(f->ctx) + FOLLOW_SETTLE_S;
}

/*
 * A batch that asks for a full read (a malformed message, a flood): one
 * now, unless one began less than FOLLOW_FORCED_FULL_MIN_S ago; then it
 * is due at that distance, and the messages are deleted now (that read
 * covers them; a restart reads in full too).
 */
static void
forced_full(struct follower *f)
{
    const char *why = f->p.hints.malformed ? "malformed" : "flood";
    time_t at = f->last_full + FOLLOW_FORCED_FULL_MIN_S;

    if (f->ops->now(f->ctx) >= at) {
        reconcile(f, why);
        return;
    }
    if (f->next_full > at)
        f->next_full = at;
    f->due_reason = why;
    iam_log(LOG_WARNING,
            "%zu messages ask for a full reconcile (%s); the last began "
            "less than %d s ago: the next is in %lld s",
            f->p.n, why, FOLLOW_FORCED_FULL_MIN_S,
            (long long)(f->next_full - f->ops->now(f->ctx)));
    remove_pending(f);
    pending_free(&f->p);
    report(f);
}

static void
apply_batch(struct follower *f)
{
    int64_t t0 = f->ops->now_ms(f->ctx);
    unsigned long calls = f->ops->iam_calls(f->ctx);
    const char *result = "unchanged";
    int r = 0;

    if (f->p.hints.full) {
        forced_full(f);
        return;
    }
    f->st.batches++;
    if (f->p.hints.n > 0)
        r = apply(f, &f->p.hints, f->ops->now(f->ctx), &result);
    f->st.iam_calls += f->ops->iam_calls(f->ctx) - calls;
    iam_log(r < 0 ? LOG_ERR : LOG_INFO,
            "event batch: %zu messages, %zu hints, %lu ignored, %lu "
            "malformed: %lu IAM calls, %s, %.2f s",
            f->p.n, f->p.hints.n, f->p.hints.ignored, f->p.hints.malformed,
            f->ops->iam_calls(f->ctx) - calls, r < 0 ? "failed" : result,
            (double)(f->ops->now_ms(f->ctx) - t0) / 1000.0);
    if (r >= 0) {
        remove_pending(f);
        if (f->p.hints.n > 0)
            settle_later(f, &f->p.hints);
    }
    pending_free(&f->p);
    report(f);
}

static void
settle(struct follower *f)
{
    unsigned long calls = f->ops->iam_calls(f->ctx);
    const char *result;
    int r;

    r = apply(f, &f->settle, f->ops->now(f->ctx), &result);
    f->st.iam_calls += f->ops->iam_calls(f->ctx) - calls;
    iam_log(r < 0 ? LOG_ERR : LOG_INFO,
            "read again after %d s: %zu hints: %lu IAM calls, %s",
            FOLLOW_SETTLE_S, f->settle.n, f->ops->iam_calls(f->ctx) - calls,
            result);
    if (r < 0 && !f->dirty) {
        f->settle_at = f->ops->now(f->ctx) + FOLLOW_RETRY_S;
        return;
    }
    event_hints_free(&f->settle);
    report(f);
}

/* One message into the batch: its hints, or why it names none. */
static int
take_message(struct follower *f, struct aws_sqs_message *m)
{
    struct pending *p = &f->p;
    char why[256];
    int r;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct aws_sqs_message *v = reallocarray(p->v, cap, sizeof(*v));

        if (!v)
            return -ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    if (p->n == 0)
        p->first_ms = f->ops->now_ms(f->ctx);
    p->v[p->n++] = *m;
    memset(m, 0, sizeof(*m));
    f->st.messages++;
    why[0] = '\0';
    r = event_hints_add(&p->hints, p->v[p->n - 1].body, p->v[p->n - 1].body_len,
                        f->o->tags, why, sizeof(why));
    if (r == 1) {
        f->st.ignored++;
        iam_log(LOG_INFO, "ignored message %s: %s", p->v[p->n - 1].message_id,
                why);
    } else if (r == -EBADMSG) {
        f->st.malformed++;
        iam_log(LOG_WARNING,
                "malformed message %s: %s; a full reconcile "
                "follows",
                p->v[p->n - 1].message_id, why);
    }
    return r == -ENOMEM ? r : 0;
}

/* Seconds the long poll may wait: until the next thing that is due. */
static unsigned
poll_wait(const struct follower *f, time_t now)
{
    time_t until = f->next_full;
    unsigned wait;

    if (f->p.n > 0)
        return 1;
    if (f->settle.n > 0 && f->settle_at < until)
        until = f->settle_at;
    if (f->dirty && f->retry_at < until)
        until = f->retry_at;
    if (until <= now)
        return 0;
    wait = until - now < AWS_SQS_WAIT_MAX ? (unsigned)(until - now)
                                          : AWS_SQS_WAIT_MAX;
    return wait;
}

static void
receive(struct follower *f)
{
    time_t now = f->ops->now(f->ctx);
    struct aws_sqs_batch b;
    char err[512];
    size_t i;
    int r;

    memset(&b, 0, sizeof(b));
    err[0] = '\0';
    r = f->ops->receive(f->ctx, poll_wait(f, now), &b, err, sizeof(err));
    if (r < 0) {
        f->st.queue_errors++;
        if (!err[0])
            snprintf(err, sizeof(err), "%s", strerrordesc_np(-r));
        /* The first error of an outage: events may be lost meanwhile. */
        if (f->backoff_s == 0)
            f->full_reason = "queue";
        /* While the queue is down, changes arrive through full reads,
         * often enough that the object never looks stale. */
        if (f->next_full > now + (time_t)f->o->refresh_age)
            f->next_full = now + (time_t)f->o->refresh_age;
        f->backoff_s = f->backoff_s ? f->backoff_s * 2 : 5;
        if (f->backoff_s > FOLLOW_QUEUE_BACKOFF_MAX_S)
            f->backoff_s = FOLLOW_QUEUE_BACKOFF_MAX_S;
        if (f->full_reason)
            iam_log(LOG_ERR,
                    "cannot receive from the event queue: %s; a full "
                    "reconcile follows, then the queue is tried again",
                    err);
        else
            iam_log(LOG_ERR,
                    "cannot receive from the event queue: %s; retrying in "
                    "%u s",
                    err, f->backoff_s);
        report(f);
        if (!f->full_reason)
            f->ops->sleep_ms(f->ctx, (int64_t)f->backoff_s * 1000);
        return;
    }
    f->backoff_s = 0;
    f->quiet = b.n == 0;
    if (f->quiet)
        f->quiet_as_of = now;
    for (i = 0; i < b.n; i++)
        if (take_message(f, &b.v[i]) < 0)
            iam_log(LOG_ERR, "no memory for a message: it comes back later");
    aws_sqs_batch_free(&b);
}

/* The object in place is growing old and nothing changed: sign it anew,
 * as of the last time the queue was seen empty. */
static void
refresh_if_old(struct follower *f, time_t now)
{
    time_t created = f->ops->object_created(f->ctx);

    if (f->dirty || !f->have || !f->quiet || created == 0 ||
        now - created < (time_t)f->o->refresh_age || f->quiet_as_of <= created)
        return;
    if (f->ops->refresh(f->ctx, &f->kept, f->quiet_as_of) < 0) {
        f->st.publish_failures++;
        return;
    }
    f->st.publishes++;
    f->st.last_publish = now;
    report(f);
}

/* One turn of the loop: what is due, then one receive. */
static void
turn(struct follower *f)
{
    time_t now = f->ops->now(f->ctx);
    const char *result;

    if (!f->full_reason && now >= f->next_full)
        f->full_reason = f->due_reason ? f->due_reason : "interval";
    if (f->full_reason) {
        const char *why = f->full_reason;

        f->full_reason = NULL;
        reconcile(f, why);
        return;
    }
    if (f->dirty && now >= f->retry_at) {
        result = put(f, f->kept_as_of);
        iam_log(f->dirty ? LOG_ERR : LOG_INFO, "put again: %s", result);
        report(f);
    }
    if (f->settle.n > 0 && now >= f->settle_at)
        settle(f);
    refresh_if_old(f, now);
    receive(f);
    if (f->p.n > 0 &&
        (f->quiet || f->p.hints.full || f->p.n >= BATCH_MESSAGES_MAX ||
         f->ops->now_ms(f->ctx) - f->p.first_ms >= FOLLOW_COALESCE_MS))
        apply_batch(f);
}

int
follow_run(const struct follow_opts *o, const struct follow_ops *ops, void *ctx,
           struct follow_stats *ret)
{
    struct follower f;
    int r, sig;

    memset(&f, 0, sizeof(f));
    f.o = o;
    f.ops = ops;
    f.ctx = ctx;
    iam_log(LOG_INFO,
            "following EVENT_QUEUE_URL %s: a full reconcile every %u s",
            o->queue_url, o->full_interval);
    r = reconcile(&f, "start");
    while (r >= 0) {
        sig = ops->signal(ctx);
        if (sig == FOLLOW_STOP)
            break;
        if (sig == FOLLOW_RECONCILE)
            f.full_reason = "signal";
        turn(&f);
    }
    pending_free(&f.p);
    event_hints_free(&f.settle);
    if (f.have)
        fetch_free(&f.kept);
    if (ret)
        *ret = f.st;
    return r;
}
