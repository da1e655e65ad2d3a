/*
 * aws_http: the one place that talks HTTP (libcurl).
 *
 * One struct aws_http per thread: it owns a CURL easy handle whose
 * connection cache is reused from request to request. CURLcode is
 * translated to -errno here and nowhere else; the curl detail is logged
 * with the URL cut before its query string.
 *
 * Transport policy, not configurable:
 *   - https always, with peer and host verification on;
 *   - plain http only when the URL's host is a loopback address
 *     (127.0.0.0/8, ::1, "localhost") or the EC2 instance metadata
 *     service (169.254.169.254, fd00:ec2::254), which are http by design;
 *     such requests never go through a proxy;
 *   - the CA certificates that verify https peers are the system's, or
 *     exactly those of the file named by the environment variable
 *     AWS_CA_BUNDLE (the AWS CLI's name for it), for a private CA: a VPC
 *     endpoint behind a TLS-inspecting proxy, a test peer;
 *   - redirects are never followed;
 *   - response bodies are capped (AWS_HTTP_DEFAULT_MAX_BODY unless the
 *     request says otherwise).
 */
#ifndef AWS_HTTP_H
#define AWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define AWS_HTTP_DEFAULT_MAX_BODY (8 * 1024 * 1024)
#define AWS_HTTP_DEFAULT_TIMEOUT_MS 30000
#define AWS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define AWS_HTTP_HOST_SIZE 280
#define AWS_HTTP_PATH_SIZE 2048
#define AWS_HTTP_REQUEST_ID_SIZE 128
#define AWS_HTTP_ETAG_SIZE 160

struct aws_http {
    void *curl; /* CURL *, kept opaque so users need no curl headers */
};

/*
 * A request. Only @url is required.
 * @method: "GET" (default when NULL), "POST", "PUT", "HEAD", "DELETE".
 * @headers: NULL-terminated "Name: value" lines, or NULL. Unless one of
 *           them sets Content-Type, none is sent (curl would otherwise add
 *           a form type that a signature did not cover).
 * @body, @body_len: sent for any method but GET and HEAD (may be empty).
 * @timeout_ms: whole request; 0 = AWS_HTTP_DEFAULT_TIMEOUT_MS.
 * @connect_timeout_ms: 0 = AWS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS.
 * @max_body: response body cap in bytes; 0 = AWS_HTTP_DEFAULT_MAX_BODY.
 * @check: NULL, or called on a 200 answer each time the body grows, with
 *         all of it so far (@resp holds the status and headers, not the
 *         body); it returns 0 to be called again, 1 to be called no more,
 *         or < 0 to stop the transfer at once: the request then fails
 *         with -ECANCELED. It lets a caller refuse a body by its first
 *         bytes instead of downloading all of it.
 */
struct aws_http_response;

struct aws_http_request {
    const char *method;
    const char *url;
    const char *const *headers;
    const void *body;
    size_t body_len;
    long timeout_ms;
    long connect_timeout_ms;
    size_t max_body;
    int (*check)(const char *body, size_t len,
                 const struct aws_http_response *resp, void *arg);
    void *check_arg;
};

/*
 * A response. @body is malloc'ed with a NUL after the last byte (so JSON
 * parsers can take it as a string; the body itself may hold NULs, trust
 * @body_len). Never NULL after a successful request.
 * @date: the Date header (0 if absent or unparseable), to detect clock
 *        skew: SigV4 fails beyond 5 minutes of skew.
 * @request_id: x-amzn-RequestId or x-amz-request-id, "" if absent (for
 *        logs and support cases).
 * @etag: the ETag header as sent, quotes included, "" if absent, longer
 *        than AWS_HTTP_ETAG_SIZE - 2 or not all visible ASCII (it is sent
 *        back in If-None-Match).
 */
struct aws_http_response {
    long status;
    char *body;
    size_t body_len;
    time_t date;
    char request_id[AWS_HTTP_REQUEST_ID_SIZE];
    char etag[AWS_HTTP_ETAG_SIZE];
};

/*
 * The parts of a URL a signer needs.
 * @host: what curl sends as Host: the host, bracketed for IPv6, with
 *        ":port" only when the port is not the scheme's default.
 * @path: the path, "/" when empty. @query: without '?', "" when none.
 * @https: scheme is https (otherwise http).
 * @plain_ok: the host is one where plain http is allowed (see above).
 */
struct aws_http_url {
    char host[AWS_HTTP_HOST_SIZE];
    char path[AWS_HTTP_PATH_SIZE];
    char *query;
    bool https;
    bool plain_ok;
};

/*
 * aws_http_global_init - curl_global_init(), and a check of AWS_CA_BUNDLE
 * (when set, it must name a readable regular file). Call once from main()
 * before any thread starts (libcurl's rule, not thread-safe).
 * Returns 0, -EINVAL (AWS_CA_BUNDLE unusable) or -EIO; logged.
 */
int
aws_http_global_init(void);

/* aws_http_global_cleanup - curl_global_cleanup(); after all threads end. */
void
aws_http_global_cleanup(void);

/*
 * aws_http_init - create the easy handle of @ret.
 * Returns 0, or -ENOMEM. Release with aws_http_destroy().
 */
int
aws_http_init(struct aws_http *ret);

/* aws_http_destroy - close connections and free. NULL-safe, idempotent. */
void
aws_http_destroy(struct aws_http *h);

/*
 * aws_http_url_split - parse @url (http or https only).
 * @ret: filled on success; ret->query is malloc'ed (free it with
 *       aws_http_url_free()). Cleared on entry.
 * Returns 0, or
 *   -EINVAL           not a URL, no host, user:password in it, or a part
 *                     too long;
 *   -EPROTONOSUPPORT  scheme other than https, or http to a host where
 *                     plain http is not allowed;
 *   -ENOMEM.
 */
int
aws_http_url_split(const char *url, struct aws_http_url *ret);

/* aws_http_url_free - free ret->query; NULL-safe. */
void
aws_http_url_free(struct aws_http_url *u);

/*
 * aws_http_request - perform @req on @h and wait for the answer.
 * @ret: cleared on entry; on success holds the status (any status: a 4xx
 *       or 5xx answer is a success here) and the body; free it with
 *       aws_http_response_free(). On failure it holds nothing to free.
 * Returns 0, or
 *   -EINVAL           @req incomplete, a header line with CR or LF, or a
 *                     malformed URL;
 *   -EPROTONOSUPPORT  the URL is not allowed (see the top of this file);
 *   -ETIMEDOUT        connect or total timeout;
 *   -ECONNREFUSED     could not connect (refused, unreachable);
 *   -ECONNRESET       connection dropped while sending or receiving, or
 *                     closed without an answer;
 *   -EHOSTUNREACH     the host name (or proxy) did not resolve;
 *   -EFBIG            the body is larger than the cap;
 *   -ECANCELED        @req->check stopped the transfer;
 *   -ENOMEM           out of memory;
 *   -EKEYREJECTED     TLS: the server's certificate was not verified
 *                     (unknown issuer, wrong host name, expired) or the
 *                     CA bundle could not be used; worth no retry;
 *   -EIO              anything else (TLS handshake, protocol errors).
 * Thread-safe for distinct @h.
 */
int
aws_http_request(struct aws_http *h, const struct aws_http_request *req,
                 struct aws_http_response *ret);

/*
 * aws_http_response_free - wipe and free the body (it may hold
 * credentials) and clear @r. NULL-safe.
 */
void
aws_http_response_free(struct aws_http_response *r);

#endif
