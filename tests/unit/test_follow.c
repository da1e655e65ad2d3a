/*
 * The rules of the publisher that follows IAM's events, against a
 * scripted world (queue, IAM, S3, clock): a message is deleted only once
 * the object holds what it announced; what a batch names is read again
 * later; a queue error, a malformed message, a signal and the interval
 * each bring a full read, whose drift is counted; an old object is put
 * again; a start that cannot publish fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "follow.h"

#define MAX_STEPS 16
#define MAX_MSGS 4

/* One receive: an error, or up to MAX_MSGS bodies. */
struct step {
    int error;
    const char *bodies[MAX_MSGS];
    int signal; /* returned by ops->signal() before this receive */
};

struct world {
    const struct step *steps;
    size_t n_steps, next;
    time_t now;
    int64_t now_ms;
    unsigned long calls;
    unsigned users_in_iam; /* what a full read or a delta finds */
    unsigned grow;         /* users added, unannounced, after the start */
    int full_fails;        /* how many of the next full reads fail */
    unsigned put_calls;    /* publish() calls so far */
    unsigned fail_put;     /* the put_calls-th fails (0: none) */
    unsigned fulls, deltas, publishes, refreshes, removed, receives;
    time_t created;        /* of the object in place */
    char delta_hints[512]; /* the hints of the last delta */
    int64_t slept_ms;
    unsigned last_wait;
    unsigned msg_seq;
    size_t signalled; /* the step whose signal was given, + 1 */
};

/* A fetch of @n users, user i named "u<i>", with one key each. */
static void
make_fetch(unsigned n, struct fetch *ret)
{
    unsigned i;

    memset(ret, 0, sizeof(*ret));
    ret->users = calloc(n + 1, sizeof(*ret->users));
    ret->authorized = calloc(n + 1, sizeof(bool));
    ret->wanted = calloc(n + 1, sizeof(bool));
    ret->keys = calloc(n + 1, sizeof(*ret->keys));
    assert_non_null(ret->users);
    assert_non_null(ret->keys);
    for (i = 0; i < n; i++) {
        char name[16], id[32];

        snprintf(name, sizeof(name), "u%u", i);
        snprintf(id, sizeof(id), "AIDA%016u", i);
        ret->users[i].user_name = strdup(name);
        ret->users[i].user_id = strdup(id);
        ret->users[i].path = strdup("/");
        ret->authorized[i] = ret->wanted[i] = true;
        ret->keys[i].v = calloc(1, sizeof(*ret->keys[i].v));
        ret->keys[i].n = 1;
        snprintf(id, sizeof(id), "APKA%016u", i);
        ret->keys[i].v[0].key_id = strdup(id);
        ret->keys[i].v[0].body = strdup("ssh-ed25519 AAAA");
    }
    ret->n_users = n;
}

static int
w_full(void *ctx, struct fetch *ret)
{
    struct world *w = ctx;

    w->fulls++;
    w->calls += 10;
    memset(ret, 0, sizeof(*ret));
    if (w->full_fails > 0) {
        w->full_fails--;
        return -ETIMEDOUT;
    }
    make_fetch(w->users_in_iam + (w->fulls > 1 ? w->grow : 0), ret);
    return 0;
}

static int
w_delta(void *ctx, const struct fetch *prev, const struct event_hints *h,
        struct fetch *ret)
{
    struct world *w = ctx;
    size_t i, len = 0;

    (void)prev;
    w->deltas++;
    w->calls += h->n;
    w->delta_hints[0] = '\0';
    for (i = 0; i < h->n; i++)
        len += (size_t)snprintf(
            w->delta_hints + len, sizeof(w->delta_hints) - len, "%s%s:%s",
            i ? " " : "", event_hint_kind_name(h->v[i].kind), h->v[i].name);
    make_fetch(w->users_in_iam, ret);
    return 0;
}

static int
w_publish(void *ctx, const struct fetch *f, time_t started, const char **result)
{
    struct world *w = ctx;

    (void)f;
    if (++w->put_calls == w->fail_put) {
        *result = "failed";
        return -EIO;
    }
    w->publishes++;
    w->created = started;
    *result = "published";
    return 0;
}

static int
w_refresh(void *ctx, const struct fetch *f, time_t started)
{
    struct world *w = ctx;

    (void)f;
    w->refreshes++;
    w->created = started;
    return 0;
}

static time_t
w_created(void *ctx)
{
    return ((struct world *)ctx)->created;
}

static int
w_receive(void *ctx, unsigned wait_s, struct aws_sqs_batch *ret, char *err,
          size_t errlen)
{
    struct world *w = ctx;
    const struct step *s;
    size_t i;

    memset(ret, 0, sizeof(*ret));
    w->receives++;
    w->last_wait = wait_s;
    if (w->next >= w->n_steps) {
        /* The script is over: a quiet queue, its wait passing. */
        w->now += wait_s;
        w->now_ms += (int64_t)wait_s * 1000;
        return 0;
    }
    s = &w->steps[w->next++];
    w->now += 1;
    w->now_ms += 1000;
    if (s->error) {
        snprintf(err, errlen, "scripted");
        return s->error;
    }
    for (i = 0; i < MAX_MSGS && s->bodies[i]; i++) {
        char id[16];

        snprintf(id, sizeof(id), "m%u", ++w->msg_seq);
        ret->v[i].message_id = strdup(id);
        ret->v[i].receipt_handle = strdup(id);
        ret->v[i].body = strdup(s->bodies[i]);
        ret->v[i].body_len = strlen(s->bodies[i]);
    }
    ret->n = i;
    return 0;
}

static int
w_remove(void *ctx, const struct aws_sqs_message *const *v, size_t n)
{
    struct world *w = ctx;

    (void)v;
    w->removed += (unsigned)n;
    return (int)n;
}

static unsigned long
w_calls(void *ctx)
{
    return ((struct world *)ctx)->calls;
}

static time_t
w_now(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static int64_t
w_now_ms(void *ctx)
{
    return ((struct world *)ctx)->now_ms;
}

static void
w_sleep(void *ctx, int64_t ms)
{
    struct world *w = ctx;

    w->slept_ms += ms;
    w->now += ms / 1000;
    w->now_ms += ms;
}

/* Stops once the script is over and @stop_after receives followed. */
static unsigned stop_after;

static int
w_signal(void *ctx)
{
    struct world *w = ctx;

    if (w->next < w->n_steps && w->signalled != w->next + 1) {
        w->signalled = w->next + 1; /* once per step */
        return w->steps[w->next].signal;
    }
    if (w->next < w->n_steps)
        return FOLLOW_RUN;
    return w->receives >= w->n_steps + stop_after ? FOLLOW_STOP : FOLLOW_RUN;
}

static const struct follow_ops ops = {
    .full = w_full,
    .delta = w_delta,
    .publish = w_publish,
    .refresh = w_refresh,
    .object_created = w_created,
    .receive = w_receive,
    .remove = w_remove,
    .iam_calls = w_calls,
    .now = w_now,
    .now_ms = w_now_ms,
    .sleep_ms = w_sleep,
    .signal = w_signal,
};

static const struct follow_opts opts = {
    .queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    .full_interval = 3600,
    .refresh_age = 900,
    .tags = false,
};

#define EVENT(name, params)                                                    \
    "{\"version\":\"0\",\"id\":\"e\",\"detail-type\":\"AWS API Call via "      \
    "CloudTrail\",\"source\":\"aws.iam\",\"account\":\"123456789012\","        \
    "\"time\":\"2026-12-06T01:00:00Z\",\"region\":\"us-east-1\","              \
    "\"resources\":[],\"detail\":{\"eventVersion\":\"1.08\","                  \
    "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"" name "\","        \
    "\"awsRegion\":\"us-east-1\",\"requestParameters\":" params "}}"

#define DELETE_KEY(user)                                                       \
    EVENT("DeleteSSHPublicKey",                                                \
          "{\"userName\":\"" user "\",\"sSHPublicKeyId\":"                     \
          "\"APKAEIBAERJR2EXAMPLE\"}")

static struct world *
world(const struct step *steps, size_t n, unsigned users, unsigned after)
{
    static struct world w;

    memset(&w, 0, sizeof(w));
    w.steps = steps;
    w.n_steps = n;
    w.now = 1800000000;
    w.now_ms = 1000000;
    w.users_in_iam = users;
    stop_after = after;
    return &w;
}

static void
run(struct world *w, struct follow_stats *st)
{
    assert_int_equal(follow_run(&opts, &ops, w, st), 0);
}

/* One key deletion: one delta naming that user's keys, one put, and the
 * message deleted after it. */
static void
test_event_applied_then_deleted(void **state)
{
    static const struct step steps[] = { { 0, { DELETE_KEY("alice") }, 0 } };
    struct world *w = world(steps, 1, 3, 1);
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->fulls, 1); /* the start only */
    assert_int_equal(w->deltas, 1);
    assert_string_equal(w->delta_hints, "keys:alice");
    assert_int_equal(w->publishes, 2);
    assert_int_equal(w->removed, 1);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.batches, 1);
}

/* The put fails: the message stays in the queue (it comes back), and
 * the object is put again FOLLOW_RETRY_S later without reading IAM. */
static void
test_failed_put_keeps_message(void **state)
{
    static const struct step steps[] = { { 0, { DELETE_KEY("alice") }, 0 } };
    struct world *w = world(steps, 1, 3, 5);
    struct follow_stats st;

    (void)state;
    w->fail_put = 2; /* the batch's */
    run(w, &st);
    assert_int_equal(w->deltas, 1);
    assert_int_equal(w->removed, 0);
    assert_int_equal(st.publish_failures, 1);
    /* Put again once due, with no other IAM read. */
    assert_int_equal(w->put_calls, 3);
    assert_int_equal(w->publishes, 2);
    assert_int_equal(w->fulls, 1);
}

/* A message that cannot be read brings a full read at once; it is
 * deleted once that read is put. */
static void
test_malformed_reconciles(void **state)
{
    static const struct step steps[] = { { 0, { "{not json" }, 0 } };
    struct world *w = world(steps, 1, 3, 1);
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->fulls, 2);
    assert_int_equal(w->deltas, 0);
    assert_int_equal(st.malformed, 1);
    assert_int_equal(w->removed, 1);
}

/* A message of another kind costs nothing but its deletion. */
static void
test_ignored_costs_nothing(void **state)
{
    static const struct step steps[] = {
        { 0, { EVENT("AttachUserPolicy", "{\"userName\":\"alice\"}") }, 0 },
    };
    struct world *w = world(steps, 1, 3, 1);
    struct follow_stats st;
    unsigned long calls;

    (void)state;
    run(w, &st);
    calls = w->calls;
    assert_int_equal(w->deltas, 0);
    assert_int_equal(w->fulls, 1);
    assert_int_equal(w->publishes, 1);
    assert_int_equal(w->removed, 1);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(calls, 10); /* the start's */
}

/* Messages arriving together are one batch: one delta, hints merged and
 * without duplicates. */
static void
test_coalesced(void **state)
{
    static const struct step steps[] = {
        { 0, { DELETE_KEY("bob"), DELETE_KEY("alice") }, 0 },
        { 0, { DELETE_KEY("alice") }, 0 },
    };
    struct world *w = world(steps, 2, 3, 1);
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->deltas, 1);
    assert_string_equal(w->delta_hints, "keys:alice keys:bob");
    assert_int_equal(w->removed, 3);
    assert_int_equal(st.batches, 1);
}

/* What a batch named is read again FOLLOW_SETTLE_S later: IAM may have
 * answered the first read from before the change. */
static void
test_settle_reads_again(void **state)
{
    static const struct step steps[] = { { 0, { DELETE_KEY("alice") }, 0 } };
    struct world *w = world(steps, 1, 3, 4);
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->deltas, 2);
    assert_string_equal(w->delta_hints, "keys:alice");
}

/* The first queue error brings a full read at once (events may be lost
 * meanwhile); the next ones back off, doubling, with no more full reads. */
static void
test_queue_error(void **state)
{
    static const struct step steps[] = {
        { -ECONNREFUSED, { NULL }, 0 },
        { -ECONNREFUSED, { NULL }, 0 },
        { -ECONNREFUSED, { NULL }, 0 },
    };
    struct world *w = world(steps, 3, 3, 1);
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->fulls, 2);
    assert_int_equal(st.queue_errors, 3);
    assert_int_equal(w->slept_ms, (10 + 20) * 1000);
}

/* While the queue is down, IAM is read in full every refresh_age: the
 * object must not grow stale waiting for FULL_SYNC_INTERVAL. */
static void
test_queue_down_reads_often(void **state)
{
    static const struct step steps[] = {
        { -ECONNREFUSED, { NULL }, 0 },
        { -ECONNREFUSED, { NULL }, 0 },
    };
    struct world *w = world(steps, 2, 3, 60); /* then 1200 s of polls */
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->fulls, 3); /* start, the outage, 900 s later */
}

/* The interval brings a full read; what it finds that events missed is
 * the drift. A quiet queue meanwhile: the object is put again as it
 * grows old, with no IAM read. */
static void
test_interval_drift(void **state)
{
    struct world *w = world(NULL, 0, 3, 200); /* 200 quiet polls: 4000 s */
    struct follow_stats st;

    (void)state;
    w->grow = 1; /* a user created with no event */
    run(w, &st);
    assert_int_equal(w->fulls, 2);
    assert_int_equal(st.reconciles, 2);
    /* The user and the key events never announced. */
    assert_int_equal(st.drift_last, 2);
    assert_int_equal(st.drift_total, 2);
    assert_int_equal(w->deltas, 0);
    assert_true(w->refreshes >= 3);
    /* The long poll never waits past the reconcile that is due. */
    assert_true(w->last_wait <= AWS_SQS_WAIT_MAX);
}

/* SIGHUP: a full read at once. */
static void
test_signal_reconciles(void **state)
{
    static const struct step steps[] = { { 0, { NULL }, FOLLOW_RECONCILE } };
    struct world *w = world(steps, 1, 3, 1);
    struct follow_stats st;

    (void)state;
    run(w, &st);
    assert_int_equal(w->fulls, 2);
}

/* A start that cannot read IAM fails: no service that publishes
 * nothing. */
static void
test_start_fails(void **state)
{
    struct world *w = world(NULL, 0, 3, 1);
    struct follow_stats st;

    (void)state;
    w->full_fails = 1;
    assert_int_equal(follow_run(&opts, &ops, w, &st), -ETIMEDOUT);
    w = world(NULL, 0, 3, 1);
    w->fail_put = 1;
    assert_true(follow_run(&opts, &ops, w, &st) < 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_applied_then_deleted),
        cmocka_unit_test(test_failed_put_keeps_message),
        cmocka_unit_test(test_malformed_reconciles),
        cmocka_unit_test(test_ignored_costs_nothing),
        cmocka_unit_test(test_coalesced),
        cmocka_unit_test(test_settle_reads_again),
        cmocka_unit_test(test_queue_error),
        cmocka_unit_test(test_queue_down_reads_often),
        cmocka_unit_test(test_interval_drift),
        cmocka_unit_test(test_signal_reconciles),
        cmocka_unit_test(test_start_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
