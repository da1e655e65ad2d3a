/*
 * aws_client: one signed AWS Query API call (IAM, STS, EC2), with the
 * behaviour every caller needs around it: a client-side rate limit shared
 * by all threads, capped exponential backoff with full jitter on
 * throttling, 5xx and transport errors, and one overall deadline.
 *
 * Requests are POSTs of "Action=...&Version=...[&ContentType=JSON]&..." as
 * an application/x-www-form-urlencoded body (all parameters in the body,
 * none in the URL), signed with SigV4 for the configured region and
 * service.
 *
 * Thread safety: one struct aws_client is shared by the worker threads;
 * each thread passes its own struct aws_http (one connection each).
 */
#ifndef AWS_CLIENT_H
#define AWS_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws_creds.h"
#include "aws_http.h"
#include "aws_sigv4.h"

/*
 * The transport and the clock a client uses. Tests give their own to
 * script answers and time; NULL (or a NULL member) means the real one:
 * aws_http_request(), aws_client_now_ms(), nanosleep().
 */
struct aws_client_io {
    int (*request)(void *ctx, struct aws_http *h,
                   const struct aws_http_request *req,
                   struct aws_http_response *ret);
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *ctx;
};

struct aws_client_opts {
    const char *endpoint;           /* "https://iam.amazonaws.com" */
    const char *region;             /* signing region, "us-east-1" for IAM */
    const char *service;            /* "iam", "sts", "ec2" */
    const char *version;            /* API version, "2010-05-08" for IAM */
    bool json;                      /* ask for ContentType=JSON (IAM, STS; EC2
                                       answers in XML only) */
    long timeout_ms;                /* per request */
    unsigned max_attempts;          /* 1 = no retry */
    unsigned calls_per_sec;         /* 0 = no rate limit */
    int64_t deadline_ms;            /* CLOCK_MONOTONIC ms; 0 = none */
    long backoff_base_ms;           /* first retry waits up to this; 0 = 200 */
    long backoff_cap_ms;            /* no wait longer than this; 0 = 10000 */
    const struct aws_client_io *io; /* NULL = the real ones; must
                                       outlive the client */
    /* Told after each request with the counts so far (calls, retries),
     * from whichever thread sent it, outside the client's lock; NULL =
     * nobody. For a progress display: keep it short. */
    void (*on_call)(void *arg, unsigned long calls, unsigned long retries);
    void *on_call_arg;
};

struct aws_client {
    struct aws_client_opts opts;
    struct aws_http_url url;
    struct aws_creds creds;
    pthread_mutex_t lock; /* guards next_slot_us and the counters */
    int64_t next_slot_us;
    unsigned long calls;   /* HTTP requests sent */
    unsigned long retries; /* of which were retries */
    unsigned long throttled;
};

/*
 * aws_client_init - copy @opts (strings must outlive the client) and
 * @creds. Returns 0, -EINVAL for a bad endpoint URL, -ENOMEM.
 */
int
aws_client_init(struct aws_client *c, const struct aws_client_opts *opts,
                const struct aws_creds *creds);

/* aws_client_destroy - wipe the credentials and free. */
void
aws_client_destroy(struct aws_client *c);

/*
 * aws_client_call - perform @action with the parameters @params
 * (name, value, name, value, ..., NULL), retrying as described above.
 * On 0, *ret holds the HTTP 200 response (free with
 * aws_http_response_free). Otherwise *ret is empty, @errbuf says why
 * ("ListUsers: AccessDenied: ..."), and the return is:
 *   -EREMOTEIO  AWS answered with an error that is not retried, or kept
 *               answering a retryable one until the attempts ran out;
 *               *ret_code (if not NULL) gets the error code;
 *   -ETIMEDOUT  the deadline passed, or the last attempt timed out;
 *   -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -EIO  transport errors
 *               that outlasted the retries;
 *   -EKEYREJECTED  the server's TLS certificate was not verified (never
 *               retried);
 *   -EPROTO     an error response that is not an AWS error document;
 *   -EFBIG      a response over the size cap; -ENOMEM; -EINVAL.
 */
int
aws_client_call(struct aws_client *c, struct aws_http *h, const char *action,
                const char *const *params, struct aws_http_response *ret,
                char *errbuf, size_t errlen, char *ret_code, size_t code_len);

/*
 * A REST request (S3): @path is percent-encoded and appended to the
 * endpoint, which must have no path of its own. @headers are signed and
 * sent (an array ended by a NULL name; may be NULL); x-amz-content-sha256
 * is added. @what names the request in messages ("S3 GET s3://b/k").
 */
struct aws_client_rest {
    const char *method;
    const char *path;
    const struct aws_sigv4_header *headers;
    const void *body;
    size_t body_len;
    size_t max_body; /* response cap; 0 = aws_http's default */
    /* aws_http_request's body check (NULL: none); -ECANCELED when it
     * stops a transfer, which is never retried. */
    int (*check)(const char *body, size_t len,
                 const struct aws_http_response *resp, void *arg);
    void *check_arg;
    const char *what;
};

/*
 * aws_client_rest - perform @req with the same rate limit, retries and
 * deadline as aws_client_call(). Any answer below 500 (but 429) is
 * returned as it is, 0 with *ret set: the caller reads 200, 304, 403,
 * 404. 5xx and 429 are retried; when they outlast the attempts the
 * return is -EREMOTEIO. Transport errors as for aws_client_call(),
 * -ECANCELED when @req->check stopped the transfer, and -EINVAL for a
 * request this client cannot send (see above).
 */
int
aws_client_rest(struct aws_client *c, struct aws_http *h,
                const struct aws_client_rest *req,
                struct aws_http_response *ret, char *errbuf, size_t errlen);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t
aws_client_now_ms(void);

#endif
