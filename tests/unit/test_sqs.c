/*
 * Unit tests for lib/aws/aws_sqs.c: the queue URLs taken and the endpoint
 * and region each gives; the exact ReceiveMessage and DeleteMessageBatch
 * requests (SQS's JSON protocol: POST "/", the target header, a JSON
 * body, signed); and how every answer is read: messages, an empty poll,
 * SQS's error documents, entries that failed to delete, and answers that
 * are garbage, too many or too large.
 *
 * The client runs on a scripted transport (struct aws_client_io): each
 * request is recorded and gets the next scripted answer.
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
#include "aws_sqs.h"

#define QUEUE "https://sqs.us-east-1.amazonaws.com/123456789012/iam-events"
#define MAX_CALLS 8

struct answer {
    int r;
    long status;
    const char *body; /* NULL: the fake's big body */
};

struct sent {
    char *url;
    char *method;
    char *body;
    char headers[2048]; /* every line, '\n'-separated */
    size_t max_body;
    long timeout_ms;
};

struct fake {
    const struct answer *script;
    size_t n_script;
    size_t calls;
    struct sent sent[MAX_CALLS];
    char *big; /* an answer built by a test */
};

static int
fake_request(void *ctx, struct aws_http *h, const struct aws_http_request *req,
             struct aws_http_response *ret)
{
    struct fake *f = ctx;
    const struct answer *a;
    struct sent *s;
    const char *const *l;
    size_t n;

    (void)h;
    memset(ret, 0, sizeof(*ret));
    assert_true(f->calls < MAX_CALLS && f->calls < f->n_script);
    a = &f->script[f->calls];
    s = &f->sent[f->calls++];
    s->url = strdup(req->url);
    s->method = strdup(req->method ? req->method : "GET");
    s->body = strndup(req->body, req->body_len);
    assert_non_null(s->url);
    assert_non_null(s->body);
    for (l = req->headers; l && *l; l++) {
        n = strlen(s->headers);
        snprintf(s->headers + n, sizeof(s->headers) - n, "%s\n", *l);
    }
    s->max_body = req->max_body;
    s->timeout_ms = req->timeout_ms;
    if (a->r < 0)
        return a->r;
    ret->status = a->status;
    ret->body = strdup(a->body ? a->body : f->big);
    assert_non_null(ret->body);
    ret->body_len = strlen(ret->body);
    return 0;
}

struct setup {
    struct fake f;
    struct aws_client_io io;
    struct aws_client c;
    struct aws_http h;
    char err[512];
};

static void
start_ex(struct setup *s, const struct answer *script, size_t n,
         long timeout_ms)
{
    struct aws_client_opts o;
    struct aws_creds creds;

    memset(s, 0, sizeof(*s));
    s->f.script = script;
    s->f.n_script = n;
    s->io.request = fake_request;
    s->io.ctx = &s->f;
    memset(&o, 0, sizeof(o));
    o.endpoint = "https://sqs.us-east-1.amazonaws.com";
    o.region = "us-east-1";
    o.service = "sqs";
    o.timeout_ms = timeout_ms;
    o.max_attempts = 1;
    o.io = &s->io;
    aws_creds_init(&creds);
    assert_int_equal(aws_creds_set("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", NULL,
                                   0, AWS_CREDS_ENV, &creds),
                     0);
    assert_int_equal(aws_client_init(&s->c, &o, &creds), 0);
    aws_creds_reset(&creds);
}

#define START(s, script)                                                       \
    start_ex(s, script, sizeof(script) / sizeof(script[0]), 25000)

static void
stop(struct setup *s)
{
    size_t i;

    for (i = 0; i < s->f.calls; i++) {
        free(s->f.sent[i].url);
        free(s->f.sent[i].method);
        free(s->f.sent[i].body);
    }
    free(s->f.big);
    aws_client_destroy(&s->c);
}

static int
receive(struct setup *s, unsigned max, struct aws_sqs_batch *b)
{
    return aws_sqs_receive(&s->c, &s->h, QUEUE, max, 20, 60, b, s->err,
                           sizeof(s->err));
}

/* ---- the queue URL ---- */

static void
endpoint_ok(const char *url, const char *fallback, const char *want_ep,
            const char *want_region)
{
    char ep[AWS_SQS_ENDPOINT_SIZE], region[AWS_SQS_REGION_SIZE];
    int r = aws_sqs_endpoint(url, fallback, ep, region);

    if (r != 0)
        fail_msg("%s: refused (%d)", url, r);
    assert_string_equal(ep, want_ep);
    assert_string_equal(region, want_region);
}

static void
test_endpoint(void **state)
{
    char url[256], name[81];

    (void)state;
    endpoint_ok(QUEUE, "eu-west-1", "https://sqs.us-east-1.amazonaws.com",
                "us-east-1");
    endpoint_ok("https://sqs.eu-central-2.amazonaws.com/111122223333/q_1-x",
                NULL, "https://sqs.eu-central-2.amazonaws.com", "eu-central-2");
    endpoint_ok("https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q", NULL,
                "https://sqs.cn-north-1.amazonaws.com.cn", "cn-north-1");
    endpoint_ok("https://sqs.us-gov-west-1.amazonaws.com/111122223333/q.fifo",
                NULL, "https://sqs.us-gov-west-1.amazonaws.com",
                "us-gov-west-1");
    /* The legacy names. */
    endpoint_ok("https://eu-west-1.queue.amazonaws.com/111122223333/q", NULL,
                "https://eu-west-1.queue.amazonaws.com", "eu-west-1");
    endpoint_ok("https://queue.amazonaws.com/111122223333/q", "eu-west-1",
                "https://queue.amazonaws.com", "us-east-1");
    /* DNS ignores case; the signing region is lower case. */
    endpoint_ok("https://SQS.EU-WEST-1.AMAZONAWS.COM/111122223333/q", NULL,
                "https://SQS.EU-WEST-1.AMAZONAWS.COM", "eu-west-1");
    /* Any other host signs for the fallback region. */
    endpoint_ok("https://vpce-0a1b2c3d-4e5f6a7b.sqs.eu-west-1.vpce."
                "amazonaws.com/111122223333/q",
                "eu-west-1",
                "https://vpce-0a1b2c3d-4e5f6a7b.sqs.eu-west-1.vpce."
                "amazonaws.com",
                "eu-west-1");
    endpoint_ok("http://127.0.0.1:4566/000000000000/iam-events", "us-east-1",
                "http://127.0.0.1:4566", "us-east-1");
    endpoint_ok("http://localhost/123456789012/q", "ap-southeast-2",
                "http://localhost", "ap-southeast-2");
    endpoint_ok("http://[::1]:9324/123456789012/q", "us-east-1",
                "http://[::1]:9324", "us-east-1");
    endpoint_ok("https://sqs.example.com:65535/123456789012/q", "us-east-1",
                "https://sqs.example.com:65535", "us-east-1");
    /* The longest names: 80 characters, ".fifo" included. */
    memset(name, 'n', 80);
    name[80] = '\0';
    snprintf(url, sizeof(url), "https://h/123456789012/%s", name);
    endpoint_ok(url, "us-east-1", "https://h", "us-east-1");
    memcpy(name + 75, ".fifo", 6);
    snprintf(url, sizeof(url), "https://h/123456789012/%s", name);
    endpoint_ok(url, "us-east-1", "https://h", "us-east-1");
}

static void
test_endpoint_bad(void **state)
{
    static const char *const bad[] = {
        "",
        "sqs.us-east-1.amazonaws.com/123456789012/q",
        "ftp://sqs.us-east-1.amazonaws.com/123456789012/q",
        "HTTPS://sqs.us-east-1.amazonaws.com/123456789012/q",
        "https:///123456789012/q",
        "https://user@h/123456789012/q",
        "https://user:pw@h/123456789012/q",
        "https://h_x/123456789012/q",
        "https://-h/123456789012/q",
        "https://h-/123456789012/q",
        "https://a..b/123456789012/q",
        "https://.h/123456789012/q",
        "https://h./123456789012/q",
        "https://h:/123456789012/q",
        "https://h:0/123456789012/q",
        "https://h:080/123456789012/q",
        "https://h:65536/123456789012/q",
        "https://h:12a/123456789012/q",
        "https://[::1/123456789012/q",
        "https://[::g]/123456789012/q",
        "https://[::1]x/123456789012/q",
        "https://h",
        "https://h/",
        "https://h/123456789012",
        "https://h/123456789012/",
        "https://h/12345678901/q",
        "https://h/1234567890123/q",
        "https://h/12345678901a/q",
        "https://h/123456789012/q/",
        "https://h/123456789012/q?Action=x",
        "https://h/123456789012/q#x",
        "https://h/123456789012/a b",
        "https://h/123456789012/a.b",
        "https://h/123456789012/.fifo",
        "https://h/123456789012/q%2F",
        "https://h/123456789012/caf\xc3\xa9",
        "https://h//123456789012/q",
        "https://h/123456789012/q\n",
    };
    char ep[AWS_SQS_ENDPOINT_SIZE], region[AWS_SQS_REGION_SIZE];
    char url[256], name[82];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(ep, sizeof(ep), "x");
        snprintf(region, sizeof(region), "x");
        if (aws_sqs_endpoint(bad[i], "us-east-1", ep, region) != -EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_string_equal(ep, "");
        assert_string_equal(region, "");
    }
    assert_int_equal(aws_sqs_endpoint(NULL, "us-east-1", ep, region), -EINVAL);
    /* 81 characters. */
    memset(name, 'n', 81);
    name[81] = '\0';
    snprintf(url, sizeof(url), "https://h/123456789012/%s", name);
    assert_int_equal(aws_sqs_endpoint(url, "us-east-1", ep, region), -EINVAL);
    memcpy(name + 76, ".fifo", 6);
    snprintf(url, sizeof(url), "https://h/123456789012/%s", name);
    assert_int_equal(aws_sqs_endpoint(url, "us-east-1", ep, region), -EINVAL);
}

/* A host that is not AWS's needs a usable fallback region; an AWS host
 * whose region part is no region name is such a host. */
static void
test_endpoint_fallback(void **state)
{
    static const char *const bad_region[] = {
        NULL,
        "",
        "US-EAST-1",
        "us_east_1",
        "us-east-1.evil",
        "-us",
        "us-",
        "x",
        "eu",
        "a-very-long-region-name-of-40-characters",
    };
    char ep[AWS_SQS_ENDPOINT_SIZE], region[AWS_SQS_REGION_SIZE];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_region) / sizeof(bad_region[0]); i++)
        assert_int_equal(aws_sqs_endpoint("https://h/123456789012/q",
                                          bad_region[i], ep, region),
                         -EINVAL);
    /* An AWS host needs none. */
    assert_int_equal(aws_sqs_endpoint(QUEUE, NULL, ep, region), 0);
    endpoint_ok("https://sqs.x.y.amazonaws.com/123456789012/q", "us-east-1",
                "https://sqs.x.y.amazonaws.com", "us-east-1");
    endpoint_ok("https://sqs.amazonaws.com/123456789012/q", "eu-west-3",
                "https://sqs.amazonaws.com", "eu-west-3");
}

/* ---- ReceiveMessage ---- */

/* The exact request: what SQS's JSON protocol asks, all of it signed. */
static void
test_receive_request(void **state)
{
    static const struct answer script[] = { { 0, 200, "{}" } };
    struct aws_sqs_batch b;
    struct setup s;
    struct sent *q;

    (void)state;
    START(&s, script);
    assert_int_equal(receive(&s, 10, &b), 0);
    assert_int_equal(s.f.calls, 1);
    q = &s.f.sent[0];
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->url, "https://sqs.us-east-1.amazonaws.com/");
    assert_string_equal(q->body,
                        "{\"QueueUrl\":\"" QUEUE "\","
                        "\"MaxNumberOfMessages\":10,\"WaitTimeSeconds\":20,"
                        "\"VisibilityTimeout\":60}");
    assert_non_null(
        strstr(q->headers, "Content-Type: application/x-amz-json-1.0\n"));
    assert_non_null(
        strstr(q->headers, "X-Amz-Target: AmazonSQS.ReceiveMessage\n"));
    assert_non_null(strstr(q->headers, "Authorization: AWS4-HMAC-SHA256 "
                                       "Credential=AKIDEXAMPLE/"));
    assert_non_null(strstr(q->headers, "/us-east-1/sqs/aws4_request"));
    assert_non_null(strstr(q->headers,
                           "SignedHeaders=content-type;host;"
                           "x-amz-content-sha256;x-amz-date;x-amz-target,"));
    /* Long enough for ten of the largest bodies, not unbounded. */
    assert_true(q->max_body >= 10 * 6 * (size_t)AWS_SQS_BODY_MAX);
    assert_true(q->max_body <= 16 * 1024 * 1024);
    assert_int_equal(q->timeout_ms, 25000);
    stop(&s);
}

static void
test_receive_messages(void **state)
{
    static const struct answer script[] = {
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"6d1e4b0e-3c1f-4f7a-9a6e-"
          "2b0c1d2e3f40\",\"ReceiptHandle\":\"AQEBzWwaftRI0KuVm4tP+/7q1rGg"
          "NqicHq==\",\"MD5OfBody\":\"x\",\"Body\":\"{\\\"source\\\":"
          "\\\"aws.iam\\\",\\n\\\"n\\\":\\\"caf\\u00e9\\\"}\","
          "\"Attributes\":{\"ApproximateReceiveCount\":\"1\"}},"
          "{\"MessageId\":\"m_2\",\"ReceiptHandle\":\"h2\",\"Body\":"
          "\"a\\u0000b\"}]}" },
    };
    static const char want[] =
        "{\"source\":\"aws.iam\",\n\"n\":\"caf\xc3\xa9\"}";
    struct aws_sqs_batch b;
    struct setup s;

    (void)state;
    START(&s, script);
    assert_int_equal(receive(&s, 10, &b), 0);
    assert_string_equal(s.err, "");
    assert_int_equal(b.n, 2);
    assert_string_equal(b.v[0].message_id,
                        "6d1e4b0e-3c1f-4f7a-9a6e-2b0c1d2e3f40");
    assert_string_equal(b.v[0].receipt_handle,
                        "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq==");
    assert_int_equal(b.v[0].body_len, strlen(want));
    assert_memory_equal(b.v[0].body, want, sizeof(want));
    /* A NUL inside stays inside: the length is what counts. */
    assert_int_equal(b.v[1].body_len, 3);
    assert_memory_equal(b.v[1].body, "a\0b", 4);
    aws_sqs_batch_free(&b);
    assert_int_equal(b.n, 0);
    aws_sqs_batch_free(&b);
    stop(&s);
}

/* A quiet poll: SQS leaves Messages out; an empty list is the same. */
static void
test_receive_empty(void **state)
{
    static const struct answer script[] = {
        { 0, 200, "{}" },
        { 0, 200, "{\"Messages\":[]}" },
        { 0, 200, " {\"Messages\":null}\n" },
    };
    struct aws_sqs_batch b;
    struct setup s;
    size_t i;

    (void)state;
    START(&s, script);
    for (i = 0; i < 3; i++) {
        assert_int_equal(receive(&s, 10, &b), 0);
        assert_int_equal(b.n, 0);
        assert_string_equal(s.err, "");
    }
    stop(&s);
}

static void
expect_error(const struct answer *a, int want_r, const char *want_in_err)
{
    struct aws_sqs_batch b;
    struct setup s;
    int r;

    start_ex(&s, a, 1, 25000);
    memset(&b, 'x', sizeof(b));
    r = receive(&s, 10, &b);
    if (r != want_r)
        fail_msg("answer %s: got %d, want %d (%s)", a->body, r, want_r, s.err);
    if (!strstr(s.err, want_in_err))
        fail_msg("answer %s: \"%s\" lacks \"%s\"", a->body, s.err, want_in_err);
    assert_int_equal(b.n, 0);
    stop(&s);
}

/* SQS's error documents, as AWS documents them and moto sends them. */
static void
test_receive_error_answers(void **state)
{
    static const struct answer answers[] = {
        { 0, 400,
          "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\","
          "\"message\":\"The specified queue does not exist.\"}" },
        { 0, 400,
          "{\"__type\":\"AWS.SimpleQueueService.NonExistentQueue\","
          "\"message\":\"The specified queue does not exist.\"}" },
        { 0, 400,
          "{\"__type\":\"com.amazonaws.sqs#InvalidParameterValue\","
          "\"Message\":\"bad\\nvalue\"}" },
        { 0, 403,
          "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\","
          "\"Message\":\"User: arn:aws:iam::1:user/x is not authorized\"}" },
        { 0, 403,
          "{\"__type\":\"com.amazon.coral.service#"
          "InvalidClientTokenId\"}" },
    };
    static const char *const want[] = {
        "SQS ReceiveMessage: HTTP 400 QueueDoesNotExist: The specified "
        "queue does not exist.",
        "SQS ReceiveMessage: HTTP 400 QueueDoesNotExist: The specified "
        "queue does not exist.",
        "HTTP 400 InvalidParameterValue: bad?value",
        "HTTP 403 AccessDeniedException: User: arn:aws:iam::1:user/x",
        "HTTP 403 InvalidClientTokenId",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
        expect_error(&answers[i], -EREMOTEIO, want[i]);
}

/* Answers that cannot be read, and transport failures. */
static void
test_receive_garbage(void **state)
{
    static const struct answer answers[] = {
        { 0, 400, "<html>Bad Request</html>" },
        { 0, 404, "" },
        { 0, 200, "" },
        { 0, 200, "not json" },
        { 0, 200, "{\"Messages\":[" },
        { 0, 200, "[]" },
        { 0, 200, "\"Messages\"" },
        { 0, 200, "{} {}" },
        { 0, 200, "{\"Messages\":{}}" },
        { 0, 200, "{\"Messages\":[7]}" },
        { 0, 200, "{\"Messages\":[{\"ReceiptHandle\":\"h\",\"Body\":\"b\"}]}" },
        { 0, 200, "{\"Messages\":[{\"MessageId\":\"m\",\"Body\":\"b\"}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":"
          "\"h\"}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":"
          "\"h\",\"Body\":7}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"\",\"ReceiptHandle\":"
          "\"h\",\"Body\":\"b\"}]}" },
        /* An id is logged: only a narrow alphabet is taken. */
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"a b\",\"ReceiptHandle\":"
          "\"h\",\"Body\":\"b\"}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"m\\n\",\"ReceiptHandle\":"
          "\"h\",\"Body\":\"b\"}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":"
          "\"h h\",\"Body\":\"b\"}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":"
          "\"\",\"Body\":\"b\"}]}" },
        /* A good message, then a bad one: nothing is returned. */
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":"
          "\"h\",\"Body\":\"b\"},{\"MessageId\":\"m2\"}]}" },
    };
    static const struct answer transport[] = {
        { -ETIMEDOUT, 0, "" },
        { -ECONNREFUSED, 0, "" },
        { -EFBIG, 0, "" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++)
        expect_error(&answers[i], -EPROTO, "without an AWS error document");
    for (; i < sizeof(answers) / sizeof(answers[0]); i++)
        expect_error(&answers[i], -EPROTO, "SQS ReceiveMessage: ");
    for (i = 0; i < sizeof(transport) / sizeof(transport[0]); i++)
        expect_error(&transport[i], transport[i].r, "SQS ReceiveMessage: ");
    /* 5xx: retried by the client, then given up. */
    {
        static const struct answer down = { 0, 503, "" };

        expect_error(&down, -EREMOTEIO, "SQS ReceiveMessage: HTTP 503");
    }
}

/* An answer holds at most the messages asked for. */
static void
test_receive_too_many(void **state)
{
    static const struct answer two[] = {
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"a\",\"ReceiptHandle\":\"h\","
          "\"Body\":\"b\"},{\"MessageId\":\"b\",\"ReceiptHandle\":\"h\","
          "\"Body\":\"b\"}]}" },
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"a\",\"ReceiptHandle\":\"h\","
          "\"Body\":\"b\"},{\"MessageId\":\"b\",\"ReceiptHandle\":\"h\","
          "\"Body\":\"b\"}]}" },
    };
    struct answer eleven = { 0, 200, NULL };
    struct aws_sqs_batch b;
    struct setup s;
    size_t i, len;

    (void)state;
    START(&s, two);
    assert_int_equal(receive(&s, 1, &b), -EPROTO);
    assert_non_null(strstr(s.err, "2 messages, more than the 1 asked for"));
    assert_int_equal(receive(&s, 2, &b), 0);
    assert_int_equal(b.n, 2);
    aws_sqs_batch_free(&b);
    stop(&s);

    start_ex(&s, &eleven, 1, 25000);
    s.f.big = malloc(2048);
    assert_non_null(s.f.big);
    len = (size_t)snprintf(s.f.big, 2048, "{\"Messages\":[");
    for (i = 0; i < 11; i++)
        len += (size_t)snprintf(s.f.big + len, 2048 - len,
                                "%s{\"MessageId\":\"m%zu\",\"ReceiptHandle\":"
                                "\"h\",\"Body\":\"b\"}",
                                i ? "," : "", i);
    snprintf(s.f.big + len, 2048 - len, "]}");
    assert_int_equal(receive(&s, 10, &b), -EPROTO);
    assert_int_equal(b.n, 0);
    stop(&s);
}

/* A body over AWS_SQS_BODY_MAX (a queue set to take 1 MiB) comes back
 * empty, so that it is read as malformed and deleted, not stuck. */
static void
test_receive_oversized_body(void **state)
{
    struct answer big = { 0, 200, NULL };
    struct aws_sqs_batch b;
    struct setup s;
    size_t len = AWS_SQS_BODY_MAX + 1, n;
    char *p;

    (void)state;
    start_ex(&s, &big, 1, 25000);
    s.f.big = malloc(len + 256);
    assert_non_null(s.f.big);
    p = s.f.big;
    n = (size_t)snprintf(p, 256,
                         "{\"Messages\":[{\"MessageId\":\"big\","
                         "\"ReceiptHandle\":\"h\",\"Body\":\"");
    memset(p + n, 'x', len);
    n += len;
    snprintf(p + n, 256,
             "\"},{\"MessageId\":\"small\",\"ReceiptHandle\":"
             "\"h2\",\"Body\":\"ok\"}]}");
    assert_int_equal(receive(&s, 10, &b), 0);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.v[0].message_id, "big");
    assert_int_equal(b.v[0].body_len, 0);
    assert_string_equal(b.v[0].body, "");
    assert_string_equal(b.v[0].receipt_handle, "h");
    assert_int_equal(b.v[1].body_len, 2);
    aws_sqs_batch_free(&b);
    stop(&s);

    /* Exactly the limit is taken. */
    start_ex(&s, &big, 1, 25000);
    s.f.big = malloc(AWS_SQS_BODY_MAX + 256);
    assert_non_null(s.f.big);
    n = (size_t)snprintf(s.f.big, 256,
                         "{\"Messages\":[{\"MessageId\":"
                         "\"m\",\"ReceiptHandle\":\"h\","
                         "\"Body\":\"");
    memset(s.f.big + n, 'y', AWS_SQS_BODY_MAX);
    snprintf(s.f.big + n + AWS_SQS_BODY_MAX, 8, "\"}]}");
    assert_int_equal(receive(&s, 10, &b), 0);
    assert_int_equal(b.v[0].body_len, AWS_SQS_BODY_MAX);
    aws_sqs_batch_free(&b);
    stop(&s);
}

/* Out of SQS's range: refused before anything is sent. */
static void
test_receive_arguments(void **state)
{
    static const struct answer script[] = { { 0, 200, "{}" } };
    struct aws_sqs_batch b;
    struct setup s;

    (void)state;
    START(&s, script);
    assert_int_equal(
        aws_sqs_receive(&s.c, &s.h, QUEUE, 0, 20, 60, &b, s.err, sizeof(s.err)),
        -EINVAL);
    assert_int_equal(aws_sqs_receive(&s.c, &s.h, QUEUE, 11, 20, 60, &b, s.err,
                                     sizeof(s.err)),
                     -EINVAL);
    assert_int_equal(aws_sqs_receive(&s.c, &s.h, QUEUE, 10, 21, 60, &b, s.err,
                                     sizeof(s.err)),
                     -EINVAL);
    assert_int_equal(aws_sqs_receive(&s.c, &s.h, QUEUE, 10, 20, 43201, &b,
                                     s.err, sizeof(s.err)),
                     -EINVAL);
    assert_int_equal(s.f.calls, 0);
    assert_int_equal(aws_sqs_receive(&s.c, &s.h, QUEUE, 1, 0, 43200, &b, s.err,
                                     sizeof(s.err)),
                     0);
    assert_int_equal(s.f.calls, 1);
    stop(&s);

    /* A request timeout within the long poll would fail every quiet
     * poll. */
    start_ex(&s, script, 1, 20000);
    assert_int_equal(receive(&s, 10, &b), -EINVAL);
    assert_non_null(strstr(s.err, "not longer than the wait of 20 s"));
    assert_int_equal(aws_sqs_receive(&s.c, &s.h, QUEUE, 10, 19, 60, &b, s.err,
                                     sizeof(s.err)),
                     0);
    stop(&s);
}

/* ---- DeleteMessageBatch ---- */

struct msgs {
    struct aws_sqs_message m[24];
    const struct aws_sqs_message *v[24];
    char id[24][32];
    char handle[24][32];
};

static void
make_msgs(struct msgs *ms, size_t n)
{
    size_t i;

    memset(ms, 0, sizeof(*ms));
    for (i = 0; i < n; i++) {
        snprintf(ms->id[i], sizeof(ms->id[i]), "id-%zu", i);
        snprintf(ms->handle[i], sizeof(ms->handle[i]), "rh-%zu", i);
        ms->m[i].message_id = ms->id[i];
        ms->m[i].receipt_handle = ms->handle[i];
        ms->v[i] = &ms->m[i];
    }
}

#define OK10                                                                   \
    "{\"Successful\":[{\"Id\":\"0\"},{\"Id\":\"1\"},{\"Id\":\"2\"},"           \
    "{\"Id\":\"3\"},{\"Id\":\"4\"},{\"Id\":\"5\"},{\"Id\":\"6\"},"             \
    "{\"Id\":\"7\"},{\"Id\":\"8\"},{\"Id\":\"9\"}],\"Failed\":[]}"

/* Sent in batches of ten, each entry's Id its index in the batch. */
static void
test_delete_batches(void **state)
{
    static const struct answer script[] = {
        { 0, 200, OK10 },
        { 0, 200, "{\"Successful\":[{\"Id\":\"1\"},{\"Id\":\"0\"}]}" },
    };
    struct msgs ms;
    struct setup s;
    char want[1024];
    size_t i, n;

    (void)state;
    make_msgs(&ms, 12);
    START(&s, script);
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 12, s.err, sizeof(s.err)), 12);
    assert_string_equal(s.err, "");
    assert_int_equal(s.f.calls, 2);
    n = (size_t)snprintf(want, sizeof(want),
                         "{\"QueueUrl\":\"" QUEUE "\",\"Entries\":[");
    for (i = 0; i < 10; i++)
        n += (size_t)snprintf(want + n, sizeof(want) - n,
                              "%s{\"Id\":\"%zu\",\"ReceiptHandle\":\"rh-%zu\"}",
                              i ? "," : "", i, i);
    snprintf(want + n, sizeof(want) - n, "]}");
    assert_string_equal(s.f.sent[0].body, want);
    assert_string_equal(s.f.sent[1].body,
                        "{\"QueueUrl\":\"" QUEUE "\",\"Entries\":["
                        "{\"Id\":\"0\",\"ReceiptHandle\":\"rh-10\"},"
                        "{\"Id\":\"1\",\"ReceiptHandle\":\"rh-11\"}]}");
    assert_non_null(strstr(s.f.sent[0].headers,
                           "X-Amz-Target: AmazonSQS.DeleteMessageBatch\n"));
    assert_non_null(strstr(s.f.sent[0].headers,
                           "Content-Type: application/x-amz-json-1.0\n"));
    assert_string_equal(s.f.sent[1].url,
                        "https://sqs.us-east-1.amazonaws.com/");
    stop(&s);

    /* Nothing to delete: nothing sent. */
    START(&s, script);
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 0, s.err, sizeof(s.err)), 0);
    assert_int_equal(s.f.calls, 0);
    stop(&s);
}

/* Entries SQS could not delete are not counted; the first is named. */
static void
test_delete_failed_entries(void **state)
{
    static const struct answer script[] = {
        { 0, 200,
          "{\"Successful\":[{\"Id\":\"0\"},{\"Id\":\"2\"}],\"Failed\":["
          "{\"Id\":\"1\",\"SenderFault\":true,\"Code\":"
          "\"ReceiptHandleIsInvalid\",\"Message\":\"The input receipt "
          "handle \\\"rh-1\\\"\\n is not valid.\"}]}" },
        { 0, 200,
          "{\"Successful\":[],\"Failed\":[{\"Id\":\"0\",\"SenderFault\":"
          "false,\"Code\":\"InternalError\"}]}" },
    };
    struct msgs ms;
    struct setup s;

    (void)state;
    make_msgs(&ms, 11);
    START(&s, script);
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 3, s.err, sizeof(s.err)), 2);
    assert_string_equal(s.err,
                        "SQS DeleteMessageBatch: 1 of 3 messages not "
                        "deleted; the first: message id-1: "
                        "ReceiptHandleIsInvalid: The input receipt handle "
                        "\"rh-1\"? is not valid.");
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 1, s.err, sizeof(s.err)), 0);
    assert_string_equal(s.err, "SQS DeleteMessageBatch: 1 of 1 messages not "
                               "deleted; the first: message id-0: "
                               "InternalError");
    stop(&s);
}

/* An answer about entries that were not sent, or about one twice. */
static void
test_delete_garbage(void **state)
{
    static const char *const bodies[] = {
        "{\"Successful\":[{\"Id\":\"2\"}]}",
        "{\"Successful\":[{\"Id\":\"0\"},{\"Id\":\"0\"}]}",
        "{\"Successful\":[{\"Id\":\"0\"}],\"Failed\":[{\"Id\":\"0\"}]}",
        "{\"Successful\":[{\"Id\":\"00\"}]}",
        "{\"Successful\":[{\"Id\":\"1x\"}]}",
        "{\"Successful\":[{\"Id\":\"\"}]}",
        "{\"Successful\":[{\"Id\":0}]}",
        "{\"Successful\":[{}]}",
        "{\"Successful\":{}}",
        "{\"Failed\":\"x\"}",
        "{\"Failed\":[{\"Id\":\"-1\"}]}",
        "[]",
        "nope",
    };
    struct answer a = { 0, 200, NULL };
    struct msgs ms;
    struct setup s;
    size_t i;
    int r;

    (void)state;
    make_msgs(&ms, 2);
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        a.body = bodies[i];
        start_ex(&s, &a, 1, 25000);
        r = aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 2, s.err, sizeof(s.err));
        if (r != -EPROTO)
            fail_msg("%s: got %d, want -EPROTO", bodies[i], r);
        assert_non_null(strstr(s.err, "SQS DeleteMessageBatch: "));
        stop(&s);
    }
}

static void
test_delete_errors(void **state)
{
    static const struct answer script[] = {
        { 0, 400,
          "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\","
          "\"message\":\"The specified queue does not exist.\"}" },
        { 0, 200, OK10 },
        { -ECONNRESET, 0, "" },
    };
    struct msgs ms;
    struct setup s;

    (void)state;
    make_msgs(&ms, 12);
    START(&s, script);
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 2, s.err, sizeof(s.err)),
        -EREMOTEIO);
    assert_string_equal(s.err,
                        "SQS DeleteMessageBatch: HTTP 400 "
                        "QueueDoesNotExist: The specified queue does not "
                        "exist.");
    /* The second batch fails: the call fails. */
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 12, s.err, sizeof(s.err)),
        -ECONNRESET);
    stop(&s);

    /* A message without a handle: refused before anything is sent. */
    START(&s, script);
    ms.m[1].receipt_handle = NULL;
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 2, s.err, sizeof(s.err)),
        -EINVAL);
    ms.v[1] = NULL;
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, ms.v, 2, s.err, sizeof(s.err)),
        -EINVAL);
    assert_int_equal(s.f.calls, 0);
    stop(&s);
}

/* What one receive gives, the delete takes as it is. */
static void
test_receive_then_delete(void **state)
{
    static const struct answer script[] = {
        { 0, 200,
          "{\"Messages\":[{\"MessageId\":\"a\",\"ReceiptHandle\":\"h/a+=\","
          "\"Body\":\"x\"}]}" },
        { 0, 200, "{\"Successful\":[{\"Id\":\"0\"}],\"Failed\":[]}" },
    };
    const struct aws_sqs_message *v[1];
    struct aws_sqs_batch b;
    struct setup s;

    (void)state;
    START(&s, script);
    assert_int_equal(receive(&s, 10, &b), 0);
    v[0] = &b.v[0];
    assert_int_equal(
        aws_sqs_delete(&s.c, &s.h, QUEUE, v, 1, s.err, sizeof(s.err)), 1);
    assert_string_equal(s.f.sent[1].body,
                        "{\"QueueUrl\":\"" QUEUE "\",\"Entries\":["
                        "{\"Id\":\"0\",\"ReceiptHandle\":\"h/a+=\"}]}");
    aws_sqs_batch_free(&b);
    stop(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_endpoint_bad),
        cmocka_unit_test(test_endpoint_fallback),
        cmocka_unit_test(test_receive_request),
        cmocka_unit_test(test_receive_messages),
        cmocka_unit_test(test_receive_empty),
        cmocka_unit_test(test_receive_error_answers),
        cmocka_unit_test(test_receive_garbage),
        cmocka_unit_test(test_receive_too_many),
        cmocka_unit_test(test_receive_oversized_body),
        cmocka_unit_test(test_receive_arguments),
        cmocka_unit_test(test_delete_batches),
        cmocka_unit_test(test_delete_failed_entries),
        cmocka_unit_test(test_delete_garbage),
        cmocka_unit_test(test_delete_errors),
        cmocka_unit_test(test_receive_then_delete),
    };

    return cmocka_run_group_tests_name("sqs", tests, NULL, NULL);
}
