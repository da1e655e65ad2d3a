#include "aws_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "aws_error.h"
#include "aws_sigv4.h"
#include "iam_log.h"

#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define DEFAULT_BASE_MS 200
#define DEFAULT_CAP_MS 10000

int64_t
aws_client_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
real_sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The clock and the transport, through opts.io when a test gives one. */
static int64_t
now_ms(const struct aws_client *c)
{
    const struct aws_client_io *io = c->opts.io;

    return io && io->now_ms ? io->now_ms(io->ctx) : aws_client_now_ms();
}

static void
sleep_ms(const struct aws_client *c, int64_t ms)
{
    const struct aws_client_io *io = c->opts.io;

    if (ms <= 0)
        return;
    if (io && io->sleep_ms)
        io->sleep_ms(io->ctx, ms);
    else
        real_sleep_ms(ms);
}

static int
transport(const struct aws_client *c, struct aws_http *h,
          const struct aws_http_request *req, struct aws_http_response *ret)
{
    const struct aws_client_io *io = c->opts.io;

    if (io && io->request)
        return io->request(io->ctx, h, req, ret);
    return aws_http_request(h, req, ret);
}

int
aws_client_init(struct aws_client *c, const struct aws_client_opts *opts,
                const struct aws_creds *creds)
{
    int r;

    memset(c, 0, sizeof(*c));
    c->opts = *opts;
    if (!c->opts.backoff_base_ms)
        c->opts.backoff_base_ms = DEFAULT_BASE_MS;
    if (!c->opts.backoff_cap_ms)
        c->opts.backoff_cap_ms = DEFAULT_CAP_MS;
    if (!c->opts.max_attempts)
        c->opts.max_attempts = 1;
    r = aws_http_url_split(opts->endpoint, &c->url);
    if (r < 0)
        return r;
    if (c->url.query && c->url.query[0]) {
        aws_http_url_free(&c->url);
        return -EINVAL;
    }
    aws_creds_init(&c->creds);
    r = aws_creds_copy(creds, &c->creds);
    if (r < 0) {
        aws_http_url_free(&c->url);
        return r;
    }
    pthread_mutex_init(&c->lock, NULL);
    return 0;
}

void
aws_client_destroy(struct aws_client *c)
{
    aws_creds_reset(&c->creds);
    aws_http_url_free(&c->url);
    pthread_mutex_destroy(&c->lock);
}

/* Time left before the deadline, or @timeout when there is none. */
static long
time_left(const struct aws_client *c, long timeout)
{
    int64_t left;

    if (!c->opts.deadline_ms)
        return timeout;
    left = c->opts.deadline_ms - now_ms(c);
    if (left <= 0)
        return 0;
    return left < timeout ? (long)left : timeout;
}

/*
 * The rate limit: each request takes the next free slot, slots spaced
 * 1/rate apart, and waits for it outside the lock, but never past the
 * deadline (the caller then finds no time left).
 */
static void
take_slot(struct aws_client *c)
{
    int64_t now_us, slot;

    if (!c->opts.calls_per_sec)
        return;
    now_us = now_ms(c) * 1000;
    pthread_mutex_lock(&c->lock);
    slot = c->next_slot_us > now_us ? c->next_slot_us : now_us;
    c->next_slot_us = slot + 1000000 / c->opts.calls_per_sec;
    pthread_mutex_unlock(&c->lock);
    sleep_ms(c, time_left(c, (long)((slot - now_us) / 1000)));
}

static void
count(struct aws_client *c, unsigned attempt, bool throttled)
{
    unsigned long calls, retries;

    pthread_mutex_lock(&c->lock);
    c->calls++;
    c->retries += attempt > 0;
    c->throttled += throttled;
    calls = c->calls;
    retries = c->retries;
    pthread_mutex_unlock(&c->lock);
    if (c->opts.on_call)
        c->opts.on_call(c->opts.on_call_arg, calls, retries);
}

/* "Action=A&Version=V&ContentType=JSON&k=v..." with values encoded. */
static int
form_body(const struct aws_client *c, const char *action,
          const char *const *params, char **ret)
{
    size_t len = 0, cap = 256, n;
    char *buf, *enc, *grown;
    const char *const head[] = { "Action",
                                 action,
                                 "Version",
                                 c->opts.version,
                                 c->opts.json ? "ContentType" : NULL,
                                 "JSON",
                                 NULL };
    const char *const *lists[2] = { head, params };
    int i, j, r;

    *ret = NULL;
    buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    buf[0] = '\0';
    for (i = 0; i < 2; i++) {
        for (j = 0; lists[i] && lists[i][j] && lists[i][j + 1]; j += 2) {
            r = aws_sigv4_uri_encode(lists[i][j + 1], strlen(lists[i][j + 1]),
                                     false, &enc);
            if (r < 0) {
                free(buf);
                return r;
            }
            n = strlen(lists[i][j]) + strlen(enc) + 3;
            if (len + n >= cap) {
                cap = 2 * (len + n);
                grown = realloc(buf, cap);
                if (!grown) {
                    free(enc);
                    free(buf);
                    return -ENOMEM;
                }
                buf = grown;
            }
            len += (size_t)snprintf(buf + len, cap - len, "%s%s=%s",
                                    len ? "&" : "", lists[i][j], enc);
            free(enc);
        }
    }
    *ret = buf;
    return 0;
}

/*
 * One request as the retry loop sends it: what is signed and sent, and
 * how a non-200 answer is read.
 */
struct wire {
    const char *method;
    const char *url;
    const char *path; /* as signed */
    struct aws_sigv4_header hdr[AWS_SIGV4_MAX_HEADERS - 3];
    size_t n_hdr; /* signed and sent */
    const void *body;
    size_t body_len;
    size_t max_body; /* 0 = aws_http's default */
    int (*check)(const char *body, size_t len,
                 const struct aws_http_response *resp, void *arg);
    void *check_arg;
    const char *what; /* action, or "S3 GET" */
    bool rest;        /* S3 style: see classify_rest */
};

/* Header lines of one signed attempt; token line malloc'ed. */
struct signed_headers {
    char date[AWS_SIGV4_AMZ_DATE_SIZE + 16];
    char authz[AWS_SIGV4_AUTHZ_SIZE + 32];
    char *token;
    char *own[AWS_SIGV4_MAX_HEADERS]; /* the wire's, as lines */
    const char *lines[AWS_SIGV4_MAX_HEADERS + 4];
};

static void
signed_headers_free(struct signed_headers *sh)
{
    size_t i;

    if (sh->token) {
        explicit_bzero(sh->token, strlen(sh->token));
        free(sh->token);
    }
    for (i = 0; i < AWS_SIGV4_MAX_HEADERS; i++)
        free(sh->own[i]);
    explicit_bzero(sh->authz, sizeof(sh->authz));
    memset(sh->own, 0, sizeof(sh->own));
    sh->token = NULL;
}

static int
sign(const struct aws_client *c, const struct wire *w,
     struct signed_headers *sh)
{
    struct aws_sigv4_request sreq;
    char authz[AWS_SIGV4_AUTHZ_SIZE];
    char amz_date[AWS_SIGV4_AMZ_DATE_SIZE];
    size_t n = 0, i, len;
    int r;

    memset(sh, 0, sizeof(*sh));
    memset(&sreq, 0, sizeof(sreq));
    sreq.method = w->method;
    sreq.host = c->url.host;
    sreq.path = w->path;
    sreq.query = "";
    sreq.headers = w->hdr;
    sreq.n_headers = w->n_hdr;
    sreq.body = w->body;
    sreq.body_len = w->body_len;
    r = aws_sigv4_sign(&sreq, &c->creds, c->opts.region, c->opts.service,
                       time(NULL), authz, sizeof(authz), amz_date);
    if (r < 0)
        return r;
    for (i = 0; i < w->n_hdr; i++) {
        len = strlen(w->hdr[i].name) + strlen(w->hdr[i].value) + 3;
        sh->own[i] = malloc(len);
        if (!sh->own[i])
            return -ENOMEM;
        snprintf(sh->own[i], len, "%s: %s", w->hdr[i].name, w->hdr[i].value);
        sh->lines[n++] = sh->own[i];
    }
    snprintf(sh->date, sizeof(sh->date), "X-Amz-Date: %s", amz_date);
    snprintf(sh->authz, sizeof(sh->authz), "Authorization: %s", authz);
    sh->lines[n++] = sh->date;
    sh->lines[n++] = sh->authz;
    if (c->creds.session_token) {
        len = strlen(c->creds.session_token) + 32;
        sh->token = malloc(len);
        if (!sh->token)
            return -ENOMEM;
        snprintf(sh->token, len, "X-Amz-Security-Token: %s",
                 c->creds.session_token);
        sh->lines[n++] = sh->token;
    }
    sh->lines[n] = NULL;
    return 0;
}

/* Transport errors worth another attempt. */
static bool
transport_retryable(int r)
{
    return r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET ||
           r == -EHOSTUNREACH || r == -EIO;
}

struct attempt {
    int r;
    bool retry;
    bool throttled;
};

/*
 * Classifies a non-200 answer: an AWS error document gives its code; a
 * body that is not one (a load balancer's HTML page) is retried on 5xx.
 */
static struct attempt
classify(const char *action, struct aws_http_response *resp, char *errbuf,
         size_t errlen, char *ret_code, size_t code_len)
{
    struct aws_error *e = NULL;
    struct attempt a = { -EREMOTEIO, false, false };

    if (aws_error_parse(resp->body, resp->body_len, &e) < 0) {
        snprintf(errbuf, errlen,
                 "%s: HTTP %ld without an AWS error "
                 "document",
                 action, resp->status);
        a.r = -EPROTO;
        a.retry = resp->status >= 500;
        return a;
    }
    snprintf(errbuf, errlen, "%s: HTTP %ld %s: %s", action, resp->status,
             e->code, e->message ? e->message : "");
    if (ret_code)
        snprintf(ret_code, code_len, "%s", e->code);
    a.retry = aws_error_retryable(e->code, resp->status);
    a.throttled = aws_error_throttling(e->code);
    aws_error_free(e);
    return a;
}

/*
 * S3 (REST) answers: 5xx and 429 are retried (503 is S3's "SlowDown"),
 * any other status is the caller's to read (304, 403, 404 mean
 * something there).
 */
static struct attempt
classify_rest(const char *what, const struct aws_http_response *resp,
              char *errbuf, size_t errlen)
{
    struct attempt a = { 0, false, false };

    if (resp->status < 500 && resp->status != 429)
        return a;
    snprintf(errbuf, errlen, "%s: HTTP %ld", what, resp->status);
    a.r = -EREMOTEIO;
    a.retry = true;
    a.throttled = resp->status == 503 || resp->status == 429;
    return a;
}

/* One request; fills *resp on HTTP 200 (any answer for REST). */
static struct attempt
attempt_once(struct aws_client *c, struct aws_http *h, const struct wire *w,
             long timeout_ms, struct aws_http_response *resp, char *errbuf,
             size_t errlen, char *ret_code, size_t code_len)
{
    struct aws_http_request req;
    struct signed_headers sh;
    struct attempt a = { 0, false, false };

    a.r = sign(c, w, &sh);
    if (a.r < 0) {
        snprintf(errbuf, errlen, "%s: cannot sign the request", w->what);
        signed_headers_free(&sh);
        return a;
    }
    memset(&req, 0, sizeof(req));
    req.method = w->method;
    req.url = w->url;
    req.headers = sh.lines;
    req.body = w->body;
    req.body_len = w->body_len;
    req.max_body = w->max_body;
    req.check = w->check;
    req.check_arg = w->check_arg;
    req.timeout_ms = timeout_ms;
    a.r = transport(c, h, &req, resp);
    signed_headers_free(&sh);
    if (a.r < 0) {
        snprintf(errbuf, errlen, "%s: %s", w->what,
                 a.r == -EKEYREJECTED ? "TLS certificate verification failed"
                                      : strerrordesc_np(-a.r));
        a.retry = transport_retryable(a.r);
        return a;
    }
    if (w->rest)
        a = classify_rest(w->what, resp, errbuf, errlen);
    else if (resp->status != 200)
        a = classify(w->what, resp, errbuf, errlen, ret_code, code_len);
    if (a.r < 0)
        aws_http_response_free(resp);
    return a;
}

/*
 * A uniform random number in [0, @n), for backoff jitter: it needs no
 * secrecy, only to differ between processes so that a fleet does not
 * retry in step. getrandom(2) is in glibc since 2.25; arc4random needs
 * 2.36, which RHEL 9 and Amazon Linux 2023 (2.34) do not have. Values
 * below 2^32 mod @n are drawn again, so that every result is equally
 * likely. Should getrandom fail (the kernel's pool not yet ready at
 * boot), the clock's nanoseconds still spread the retries.
 */
static uint32_t
random_below(uint32_t n)
{
    uint32_t threshold, v;
    struct timespec ts;

    if (n <= 1)
        return 0;
    threshold = (uint32_t)(0u - n) % n;
    do {
        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            return (uint32_t)ts.tv_nsec % n;
        }
    } while (v < threshold);
    return v % n;
}

/* Full jitter: a random wait in [0, min(cap, base * 2^attempt)]. */
static int64_t
backoff_ms(const struct aws_client *c, unsigned attempt)
{
    int64_t ceiling = c->opts.backoff_base_ms;

    while (attempt-- > 0 && ceiling < c->opts.backoff_cap_ms)
        ceiling *= 2;
    if (ceiling > c->opts.backoff_cap_ms)
        ceiling = c->opts.backoff_cap_ms;
    return (int64_t)random_below((uint32_t)ceiling + 1);
}

/* The retry loop every call goes through. */
static int
send_wire(struct aws_client *c, struct aws_http *h, const struct wire *w,
          struct aws_http_response *ret, char *errbuf, size_t errlen,
          char *ret_code, size_t code_len)
{
    struct attempt a = { -ETIMEDOUT, false, false };
    unsigned i;
    long t;

    snprintf(errbuf, errlen, "%s: deadline reached", w->what);
    for (i = 0; i < c->opts.max_attempts; i++) {
        /* A backoff never sleeps past the deadline. */
        if (i > 0)
            sleep_ms(c, time_left(c, (long)backoff_ms(c, i - 1)));
        take_slot(c);
        t = time_left(c, c->opts.timeout_ms);
        if (t <= 0) {
            a.r = -ETIMEDOUT;
            snprintf(errbuf, errlen, "%s: deadline reached", w->what);
            break;
        }
        a = attempt_once(c, h, w, t, ret, errbuf, errlen, ret_code, code_len);
        count(c, i, a.throttled);
        if (a.r == 0 || !a.retry)
            break;
        iam_log(LOG_DEBUG, "%s (attempt %u of %u)", errbuf, i + 1,
                c->opts.max_attempts);
    }
    return a.r;
}

int
aws_client_call(struct aws_client *c, struct aws_http *h, const char *action,
                const char *const *params, struct aws_http_response *ret,
                char *errbuf, size_t errlen, char *ret_code, size_t code_len)
{
    struct wire w;
    char *body = NULL;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (ret_code && code_len)
        ret_code[0] = '\0';
    r = form_body(c, action, params, &body);
    if (r < 0) {
        snprintf(errbuf, errlen, "%s: %s", action, strerrordesc_np(-r));
        return r;
    }
    memset(&w, 0, sizeof(w));
    w.method = "POST";
    w.url = c->opts.endpoint;
    w.path = c->url.path;
    w.hdr[w.n_hdr++] = (struct aws_sigv4_header){ "Content-Type", FORM_TYPE };
    /* ContentType=JSON in the form is what IAM and STS honour; the
     * header is what some of their front ends look at. Both, always. */
    if (c->opts.json)
        w.hdr[w.n_hdr++] =
            (struct aws_sigv4_header){ "Accept", "application/json" };
    w.body = body;
    w.body_len = strlen(body);
    w.what = action;
    r = send_wire(c, h, &w, ret, errbuf, errlen, ret_code, code_len);
    free(body);
    return r;
}

int
aws_client_rest(struct aws_client *c, struct aws_http *h,
                const struct aws_client_rest *req,
                struct aws_http_response *ret, char *errbuf, size_t errlen)
{
    char hash[AWS_SIGV4_HEX_SIZE];
    struct wire w;
    char *url;
    size_t i, len;
    int r;

    memset(ret, 0, sizeof(*ret));
    memset(&w, 0, sizeof(w));
    /* S3_ENDPOINT has no path (iam_config checks it): nothing to join. */
    snprintf(errbuf, errlen, "%s: an endpoint with a path", req->what);
    if (strcmp(c->url.path, "/") != 0 || req->path[0] != '/')
        return -EINVAL;
    snprintf(errbuf, errlen, "%s: out of memory", req->what);
    r = aws_sigv4_payload_hash(req->body, req->body_len, hash);
    if (r < 0)
        return r;
    w.hdr[w.n_hdr++] =
        (struct aws_sigv4_header){ "x-amz-content-sha256", hash };
    for (i = 0; req->headers && req->headers[i].name; i++) {
        if (w.n_hdr == sizeof(w.hdr) / sizeof(w.hdr[0]))
            return -EINVAL;
        w.hdr[w.n_hdr++] = req->headers[i];
    }
    /* The endpoint is "scheme://host" (path "/"): append the path. */
    len = strlen(c->opts.endpoint);
    while (len > 0 && c->opts.endpoint[len - 1] == '/')
        len--;
    if (asprintf(&url, "%.*s%s", (int)len, c->opts.endpoint, req->path) < 0)
        return -ENOMEM;
    w.url = url;
    w.method = req->method;
    w.path = req->path;
    w.body = req->body;
    w.body_len = req->body_len;
    w.max_body = req->max_body;
    w.check = req->check;
    w.check_arg = req->check_arg;
    w.what = req->what;
    w.rest = true;
    r = send_wire(c, h, &w, ret, errbuf, errlen, NULL, 0);
    free(url);
    return r;
}
