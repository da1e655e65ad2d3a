/*
 * aws_imds: GET from the EC2 instance metadata service, IMDSv2 style (a
 * session token fetched with a PUT, then sent with every GET). Used for
 * the instance role's credentials (aws_provider), the instance id and the
 * instance tags (sync).
 *
 * A struct aws_imds holds the endpoint and the cached token; one thread
 * at a time. Nothing is logged but the HTTP status of a refusal.
 */
#ifndef AWS_IMDS_H
#define AWS_IMDS_H

#include <stddef.h>
#include <time.h>

struct aws_http;

#define AWS_IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
/* IMDS answers in milliseconds; off EC2 nothing answers at all, so keep the
 * wait short. */
#define AWS_IMDS_DEFAULT_TIMEOUT_MS 2000
/* IMDSv2 session token lifetime asked for (the maximum, 6 hours). */
#define AWS_IMDS_TOKEN_TTL 21600
#define AWS_IMDS_TOKEN_SIZE 512
#define AWS_IMDS_ENDPOINT_SIZE 256
/* Metadata items are small (a credentials document is < 4 KiB). */
#define AWS_IMDS_MAX_RESPONSE (64 * 1024)

/*
 * IMDSv2 session: the endpoint and the cached token. Initialise with
 * aws_imds_init(), release with aws_imds_reset() (wipes the token).
 */
struct aws_imds {
    char endpoint[AWS_IMDS_ENDPOINT_SIZE];
    char token[AWS_IMDS_TOKEN_SIZE];
    time_t token_expires;
    long timeout_ms;
};

/*
 * aws_imds_init - prepare @ret for @endpoint (NULL: the default; trailing
 * slashes are dropped), with @timeout_ms per request (0: the default).
 * Returns 0, or -EINVAL (endpoint empty or too long).
 */
int
aws_imds_init(const char *endpoint, long timeout_ms, struct aws_imds *ret);

/* aws_imds_reset - wipe the cached token. NULL is allowed. */
void
aws_imds_reset(struct aws_imds *imds);

/*
 * aws_imds_get - GET @path (e.g. "/latest/meta-data/instance-id") from
 * IMDSv2. A session token is fetched (PUT /latest/api/token, TTL
 * AWS_IMDS_TOKEN_TTL) when none is cached or it expires within a minute,
 * and fetched again once if IMDS answers 401.
 * @h: the caller's HTTP handle; @now: current time.
 * @ret_body: malloc'ed, NUL-terminated body (caller frees, wiping it if it
 * holds credentials); @ret_len: its length. Both cleared on entry.
 * Returns 0, or
 *   -EINVAL  @path does not start with '/';
 *   -ENOENT  IMDS answered 404 (no such item, e.g. no role attached);
 *   -EACCES  IMDS refused the token (401/403 after a fresh token);
 *   -EIO     any other status, or an empty token;
 *   -ETIMEDOUT, -ECONNREFUSED, ... from aws_http_request() (not on EC2,
 *            or IMDS disabled).
 */
int
aws_imds_get(struct aws_imds *imds, struct aws_http *h, const char *path,
             time_t now, char **ret_body, size_t *ret_len);

#endif
