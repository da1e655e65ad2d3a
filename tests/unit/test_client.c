/*
 * Unit tests for lib/aws/aws_client.c: which answers are retried (throttling,
 * 5xx, broken connections) and which are not (authentication and request
 * errors, a refused TLS certificate), the capped exponential backoff with
 * full jitter, the rate limit, and the overall deadline, which no request
 * timeout, backoff or rate-limit wait may pass.
 *
 * The client runs on a scripted transport and a fake clock (struct
 * aws_client_io): a request returns the next scripted answer and may cost
 * fake time; a sleep only moves the clock. No real time passes and no
 * assertion depends on the machine's speed.
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

#include "aws_client.h"

#define MAX_EVENTS 64

/* One scripted answer: a transport error (r < 0) or an HTTP answer. */
struct answer {
    int r;
    long status;
    const char *body;
};

struct fake {
    int64_t now;                 /* the fake CLOCK_MONOTONIC, ms */
    int64_t cost_ms;             /* what a request costs; a timed-out
                                    one costs its whole timeout */
    const struct answer *script; /* the last answer repeats */
    size_t n_script;
    size_t calls;
    long timeout[MAX_EVENTS]; /* each request's timeout_ms */
    int64_t at[MAX_EVENTS];   /* and when it was sent */
    size_t n_sleeps;
    int64_t sleep[MAX_EVENTS];
    size_t sleep_after[MAX_EVENTS]; /* requests sent before that sleep */
    int64_t latest;                 /* the latest the clock ever read */
    bool saw_token;                 /* X-Amz-Security-Token was sent */
    bool saw_signature;             /* Authorization: AWS4-HMAC-SHA256 */
};

static const char OK_BODY[] =
    "{\"ListUsersResponse\":{\"ListUsersResult\":{\"Users\":[],"
    "\"IsTruncated\":false}}}";

#define ERR(code)                                                              \
    "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"" code "\",\"Message\":"       \
    "\"m\"},\"RequestId\":\"r\"}"

static void
advance(struct fake *f, int64_t ms)
{
    f->now += ms;
    if (f->now > f->latest)
        f->latest = f->now;
}

static void
scan_headers(struct fake *f, const char *const *h)
{
    for (; h && *h; h++) {
        if (strncmp(*h, "X-Amz-Security-Token: ", 22) == 0)
            f->saw_token = true;
        if (strncmp(*h, "Authorization: AWS4-HMAC-SHA256 ", 32) == 0)
            f->saw_signature = true;
    }
}

static int
fake_request(void *ctx, struct aws_http *h, const struct aws_http_request *req,
             struct aws_http_response *ret)
{
    struct fake *f = ctx;
    const struct answer *a;
    size_t i = f->calls < f->n_script ? f->calls : f->n_script - 1;

    (void)h;
    memset(ret, 0, sizeof(*ret));
    a = &f->script[i];
    assert_true(f->calls < MAX_EVENTS);
    f->timeout[f->calls] = req->timeout_ms;
    f->at[f->calls] = f->now;
    f->calls++;
    scan_headers(f, req->headers);
    if (a->r == -ETIMEDOUT) {
        advance(f, req->timeout_ms);
        return a->r;
    }
    advance(f, f->cost_ms);
    if (a->r < 0)
        return a->r;
    ret->status = a->status;
    ret->body_len = strlen(a->body);
    ret->body = strdup(a->body);
    assert_non_null(ret->body);
    return 0;
}

static int64_t
fake_now(void *ctx)
{
    return ((struct fake *)ctx)->now;
}

static void
fake_sleep(void *ctx, int64_t ms)
{
    struct fake *f = ctx;

    assert_true(ms > 0);
    assert_true(f->n_sleeps < MAX_EVENTS);
    f->sleep_after[f->n_sleeps] = f->calls;
    f->sleep[f->n_sleeps++] = ms;
    advance(f, ms);
}

/* A test's client: opts from @o (endpoint and io filled here). */
struct setup {
    struct fake f;
    struct aws_client_io io;
    struct aws_client c;
    struct aws_http h;
    char err[256];
    char code[64];
};

static void
start(struct setup *s, struct aws_client_opts o, const struct answer *script,
      size_t n, const char *token)
{
    struct aws_creds creds;

    memset(s, 0, sizeof(*s));
    s->f.script = script;
    s->f.n_script = n;
    s->io.request = fake_request;
    s->io.now_ms = fake_now;
    s->io.sleep_ms = fake_sleep;
    s->io.ctx = &s->f;
    if (!o.endpoint)
        o.endpoint = "https://iam.amazonaws.com";
    o.region = "us-east-1";
    o.service = "iam";
    o.version = "2010-05-08";
    o.json = true;
    if (!o.timeout_ms)
        o.timeout_ms = 2000;
    o.io = &s->io;
    aws_creds_init(&creds);
    assert_int_equal(aws_creds_set("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG",
                                   token, 0, AWS_CREDS_ENV, &creds),
                     0);
    assert_int_equal(aws_client_init(&s->c, &o, &creds), 0);
    aws_creds_reset(&creds);
}

static int
call(struct setup *s, struct aws_http_response *resp)
{
    return aws_client_call(&s->c, &s->h, "ListUsers", NULL, resp, s->err,
                           sizeof(s->err), s->code, sizeof(s->code));
}

#define START(s, o, script, token)                                             \
    start(s, o, script, sizeof(script) / sizeof(script[0]), token)

static void
test_throttling_retried(void **state)
{
    static const struct answer script[] = {
        { 0, 400, ERR("Throttling") },
        { 0, 400, ERR("ThrottlingException") },
        { 0, 200, OK_BODY },
    };
    struct aws_client_opts o = { .max_attempts = 5 };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, script, NULL);
    assert_int_equal(call(&s, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, OK_BODY);
    assert_int_equal(s.f.calls, 3);
    assert_int_equal(s.c.calls, 3);
    assert_int_equal(s.c.retries, 2);
    assert_int_equal(s.c.throttled, 2);
    assert_true(s.f.saw_signature);
    assert_false(s.f.saw_token);
    aws_http_response_free(&resp);
    aws_client_destroy(&s.c);
}

/* 5xx with an AWS error document, and a load balancer's page without
 * one: both retried. */
static void
test_5xx_retried(void **state)
{
    static const struct answer script[] = {
        { 0, 500, ERR("InternalFailure") },
        { 0, 503, "<html>Service Unavailable</html>" },
        { 0, 502, "" },
        { 0, 200, OK_BODY },
    };
    struct aws_client_opts o = { .max_attempts = 5 };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, script, "session-token");
    assert_int_equal(call(&s, &resp), 0);
    assert_int_equal(s.f.calls, 4);
    assert_int_equal(s.c.retries, 3);
    assert_int_equal(s.c.throttled, 0);
    assert_true(s.f.saw_token);
    aws_http_response_free(&resp);
    aws_client_destroy(&s.c);
}

/* The request itself is refused: sending it again changes nothing. */
static void
test_4xx_not_retried(void **state)
{
    static const struct {
        long status;
        const char *body;
        const char *code;
    } cases[] = {
        { 403, ERR("AccessDenied"), "AccessDenied" },
        { 403, ERR("InvalidClientTokenId"), "InvalidClientTokenId" },
        { 403, ERR("SignatureDoesNotMatch"), "SignatureDoesNotMatch" },
        { 403, ERR("ExpiredToken"), "ExpiredToken" },
        { 400, ERR("ValidationError"), "ValidationError" },
        { 404, ERR("NoSuchEntity"), "NoSuchEntity" },
    };
    struct aws_client_opts o = { .max_attempts = 5 };
    struct aws_http_response resp;
    struct answer script[1];
    struct setup s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        script[0] = (struct answer){ 0, cases[i].status, cases[i].body };
        START(&s, o, script, NULL);
        assert_int_equal(call(&s, &resp), -EREMOTEIO);
        assert_int_equal(s.f.calls, 1);
        assert_int_equal(s.f.n_sleeps, 0);
        assert_string_equal(s.code, cases[i].code);
        assert_non_null(strstr(s.err, cases[i].code));
        assert_null(resp.body);
        aws_client_destroy(&s.c);
    }
}

static void
test_throttling_until_attempts_run_out(void **state)
{
    static const struct answer script[] = {
        { 0, 400, ERR("Throttling") },
    };
    struct aws_client_opts o = { .max_attempts = 4 };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, script, NULL);
    assert_int_equal(call(&s, &resp), -EREMOTEIO);
    assert_int_equal(s.f.calls, 4);
    assert_string_equal(s.code, "Throttling");
    assert_int_equal(s.c.throttled, 4);
    assert_null(resp.body);
    aws_client_destroy(&s.c);
}

static void
test_transport_errors(void **state)
{
    static const struct answer reset[] = {
        { -ECONNRESET, 0, NULL },
        { -ECONNREFUSED, 0, NULL },
        { -EIO, 0, NULL },
        { 0, 200, OK_BODY },
    };
    static const struct answer tls[] = {
        { -EKEYREJECTED, 0, NULL },
        { 0, 200, OK_BODY },
    };
    struct aws_client_opts o = { .max_attempts = 5 };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, reset, NULL);
    assert_int_equal(call(&s, &resp), 0);
    assert_int_equal(s.f.calls, 4);
    aws_http_response_free(&resp);
    aws_client_destroy(&s.c);

    /* A refused certificate stays refused: one attempt, said plainly. */
    START(&s, o, tls, NULL);
    assert_int_equal(call(&s, &resp), -EKEYREJECTED);
    assert_int_equal(s.f.calls, 1);
    assert_non_null(strstr(s.err, "TLS certificate"));
    aws_client_destroy(&s.c);
}

/* Full jitter: the wait before attempt k+1 is in [0, min(cap, base*2^k)]
 * (k from 0). A wait of 0 is no sleep at all. */
static void
test_backoff_capped(void **state)
{
    static const struct answer script[] = {
        { 0, 400, ERR("Throttling") },
    };
    struct aws_client_opts o = { .max_attempts = 9,
                                 .backoff_base_ms = 100,
                                 .backoff_cap_ms = 1000 };
    struct aws_http_response resp;
    struct setup s;
    int64_t bound;
    size_t i, k, run;

    (void)state;
    for (run = 0; run < 20; run++) {
        START(&s, o, script, NULL);
        assert_int_equal(call(&s, &resp), -EREMOTEIO);
        assert_int_equal(s.f.calls, 9);
        for (i = 0; i < s.f.n_sleeps; i++) {
            k = s.f.sleep_after[i] - 1;
            bound = k >= 4 ? 1000 : 100 << k;
            assert_true(s.f.sleep[i] <= bound);
        }
        aws_client_destroy(&s.c);
    }
}

/* The waits are random, not fixed: over 200 draws in [0, 1000] some fall
 * in each half (all on one side has probability 2^-199). */
static void
test_backoff_jitter(void **state)
{
    static const struct answer script[] = {
        { 0, 503, ERR("ServiceUnavailable") },
    };
    struct aws_client_opts o = { .max_attempts = 2,
                                 .backoff_base_ms = 1000,
                                 .backoff_cap_ms = 1000 };
    struct aws_http_response resp;
    struct setup s;
    unsigned low = 0, high = 0, run;

    (void)state;
    for (run = 0; run < 200; run++) {
        START(&s, o, script, NULL);
        assert_int_equal(call(&s, &resp), -EREMOTEIO);
        assert_int_equal(s.f.calls, 2);
        if (s.f.n_sleeps == 1) {
            assert_true(s.f.sleep[0] <= 1000);
            if (s.f.sleep[0] < 500)
                low++;
            else
                high++;
        } else {
            low++; /* a wait of 0 */
        }
        aws_client_destroy(&s.c);
    }
    assert_true(low > 0);
    assert_true(high > 0);
}

/* Requests that time out, retried until the deadline: every request's
 * timeout fits in what is left, no sleep goes past the deadline, and the
 * clock never reads later than the deadline. */
static void
test_deadline_never_exceeded(void **state)
{
    static const struct answer script[] = {
        { -ETIMEDOUT, 0, NULL },
    };
    struct aws_client_opts o = { .max_attempts = 50,
                                 .timeout_ms = 2000,
                                 .deadline_ms = 5000,
                                 .backoff_base_ms = 300 };
    struct aws_http_response resp;
    struct setup s;
    size_t i, run;

    (void)state;
    for (run = 0; run < 20; run++) {
        START(&s, o, script, NULL);
        assert_int_equal(call(&s, &resp), -ETIMEDOUT);
        assert_true(s.f.calls >= 3);
        for (i = 0; i < s.f.calls; i++) {
            assert_true(s.f.timeout[i] > 0);
            assert_true(s.f.timeout[i] <= 2000);
            assert_true(s.f.at[i] + s.f.timeout[i] <= 5000);
        }
        assert_true(s.f.latest <= 5000);
        aws_client_destroy(&s.c);
    }
}

/* A rate-limit slot beyond the deadline is not waited for. */
static void
test_rate_limit_wait_stops_at_deadline(void **state)
{
    static const struct answer script[] = {
        { 0, 400, ERR("Throttling") },
        { 0, 200, OK_BODY },
    };
    struct aws_client_opts o = { .max_attempts = 3,
                                 .calls_per_sec = 1,
                                 .deadline_ms = 500,
                                 .backoff_base_ms = 1,
                                 .backoff_cap_ms = 1 };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, script, NULL);
    assert_int_equal(call(&s, &resp), -ETIMEDOUT);
    assert_int_equal(s.f.calls, 1);
    assert_true(s.f.latest <= 500);
    assert_non_null(strstr(s.err, "deadline"));
    aws_client_destroy(&s.c);
}

static void
test_deadline_already_passed(void **state)
{
    static const struct answer script[] = {
        { 0, 200, OK_BODY },
    };
    struct aws_client_opts o = { .max_attempts = 3, .deadline_ms = 10 };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, script, NULL);
    s.f.now = 10;
    assert_int_equal(call(&s, &resp), -ETIMEDOUT);
    assert_int_equal(s.f.calls, 0);
    assert_null(resp.body);
    aws_client_destroy(&s.c);
}

/* Without a deadline each request gets the configured timeout. */
static void
test_timeout_without_deadline(void **state)
{
    static const struct answer script[] = {
        { -ETIMEDOUT, 0, NULL },
    };
    struct aws_client_opts o = { .max_attempts = 3, .timeout_ms = 1234 };
    struct aws_http_response resp;
    struct setup s;
    size_t i;

    (void)state;
    START(&s, o, script, NULL);
    assert_int_equal(call(&s, &resp), -ETIMEDOUT);
    assert_int_equal(s.f.calls, 3);
    for (i = 0; i < 3; i++)
        assert_int_equal(s.f.timeout[i], 1234);
    aws_client_destroy(&s.c);
}

/* calls_per_sec = 10: requests 100 ms apart. */
static void
test_rate_limit_spacing(void **state)
{
    static const struct answer script[] = {
        { 0, 200, OK_BODY },
    };
    struct aws_client_opts o = { .max_attempts = 1, .calls_per_sec = 10 };
    struct aws_http_response resp;
    struct setup s;
    size_t i;

    (void)state;
    START(&s, o, script, NULL);
    for (i = 0; i < 5; i++) {
        assert_int_equal(call(&s, &resp), 0);
        aws_http_response_free(&resp);
    }
    for (i = 0; i < 5; i++)
        assert_int_equal(s.f.at[i], (int64_t)(100 * i));
    aws_client_destroy(&s.c);
}

/* REST (S3): any answer below 500 but 429 is the caller's; 5xx and 429
 * are retried. */
static void
test_rest(void **state)
{
    static const struct answer not_found[] = {
        { 0, 404, "<Error><Code>NoSuchKey</Code></Error>" },
    };
    static const struct answer slow[] = {
        { 0, 503, "<Error><Code>SlowDown</Code></Error>" },
        { 0, 429, "" },
        { 0, 200, "object" },
    };
    static const struct answer down[] = {
        { 0, 500, "" },
    };
    struct aws_client_opts o = { .endpoint =
                                     "https://b.s3.us-east-1.amazonaws.com",
                                 .max_attempts = 4 };
    struct aws_client_rest req = { .method = "GET",
                                   .path = "/k",
                                   .what = "S3 GET s3://b/k" };
    struct aws_http_response resp;
    struct setup s;

    (void)state;
    START(&s, o, not_found, NULL);
    assert_int_equal(
        aws_client_rest(&s.c, &s.h, &req, &resp, s.err, sizeof(s.err)), 0);
    assert_int_equal(resp.status, 404);
    assert_int_equal(s.f.calls, 1);
    aws_http_response_free(&resp);
    aws_client_destroy(&s.c);

    START(&s, o, slow, NULL);
    assert_int_equal(
        aws_client_rest(&s.c, &s.h, &req, &resp, s.err, sizeof(s.err)), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(s.f.calls, 3);
    assert_int_equal(s.c.throttled, 2);
    aws_http_response_free(&resp);
    aws_client_destroy(&s.c);

    START(&s, o, down, NULL);
    assert_int_equal(
        aws_client_rest(&s.c, &s.h, &req, &resp, s.err, sizeof(s.err)),
        -EREMOTEIO);
    assert_int_equal(s.f.calls, 4);
    assert_null(resp.body);
    aws_client_destroy(&s.c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttling_retried),
        cmocka_unit_test(test_5xx_retried),
        cmocka_unit_test(test_4xx_not_retried),
        cmocka_unit_test(test_throttling_until_attempts_run_out),
        cmocka_unit_test(test_transport_errors),
        cmocka_unit_test(test_backoff_capped),
        cmocka_unit_test(test_backoff_jitter),
        cmocka_unit_test(test_deadline_never_exceeded),
        cmocka_unit_test(test_rate_limit_wait_stops_at_deadline),
        cmocka_unit_test(test_deadline_already_passed),
        cmocka_unit_test(test_timeout_without_deadline),
        cmocka_unit_test(test_rate_limit_spacing),
        cmocka_unit_test(test_rest),
    };

    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
