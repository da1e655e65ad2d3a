/*
 * aws_creds: AWS credentials and the chain that finds them.
 *
 * Order (aws_creds_resolve()):
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optional
 *      AWS_SESSION_TOKEN (read with secure_getenv());
 *   2. otherwise the EC2 instance role through IMDSv2;
 *   3. then, when an ASSUMEROLE ARN is configured, STS AssumeRole called
 *      with the credentials of step 1 or 2; its result is returned.
 *
 * Secrets are wiped (explicit_bzero) when a struct aws_creds is reset and
 * are never logged. Nothing here keeps global state; a struct aws_creds
 * belongs to one thread at a time (copy it with aws_creds_copy()).
 */
#ifndef AWS_CREDS_H
#define AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct aws_http;

/* AccessKeyId is at most 128 characters (IAM API reference). */
#define AWS_CREDS_KEY_ID_SIZE 129
/* Secret keys are 40 characters today; leave room. */
#define AWS_CREDS_SECRET_SIZE 129
/* STS does not fix the token length; refuse anything absurd. */
#define AWS_CREDS_TOKEN_MAX 16384
/* EC2 puts new role credentials in IMDS at least 5 minutes before the old
 * ones expire, and SDKs refresh 15 minutes ahead: do the same, so that a
 * sync that starts with fresh credentials never ends with expired ones. */
#define AWS_CREDS_REFRESH_MARGIN 900

#define AWS_CREDS_DEFAULT_IMDS "http://169.254.169.254"
#define AWS_CREDS_DEFAULT_STS "https://sts.amazonaws.com"
#define AWS_CREDS_DEFAULT_REGION "us-east-1"
/* IMDS answers in milliseconds; off EC2 nothing answers at all, so keep the
 * wait short. */
#define AWS_CREDS_DEFAULT_IMDS_TIMEOUT_MS 2000
#define AWS_CREDS_DEFAULT_STS_TIMEOUT_MS 10000
#define AWS_CREDS_DEFAULT_DURATION 3600
/* Credential documents are < 4 KiB; anything much larger is not one. */
#define AWS_CREDS_MAX_RESPONSE (64 * 1024)
/* IMDSv2 session token lifetime asked for (the maximum, 6 hours). */
#define AWS_IMDS_TOKEN_TTL 21600
#define AWS_IMDS_TOKEN_SIZE 512
#define AWS_IMDS_ENDPOINT_SIZE 256

enum aws_creds_origin {
    AWS_CREDS_NONE = 0,
    AWS_CREDS_ENV,
    AWS_CREDS_IMDS,
    AWS_CREDS_ASSUMED_ROLE,
};

struct aws_creds {
    char access_key_id[AWS_CREDS_KEY_ID_SIZE];
    char secret_access_key[AWS_CREDS_SECRET_SIZE];
    char *session_token;  /* malloc'ed; NULL when there is none */
    time_t expiration;    /* 0: does not expire (environment keys) */
    enum aws_creds_origin origin;
};

/*
 * Where the chain looks. Every pointer may be NULL (or 0) for the default.
 * @imds_endpoint: "http://169.254.169.254" (IMDS_ENDPOINT in the config).
 * @sts_endpoint: "https://sts.amazonaws.com" (STS_ENDPOINT).
 * @region: signing region for STS, "us-east-1" (AWS_REGION).
 * @assume_role_arn: ASSUMEROLE; NULL or "" for none.
 * @session_name: RoleSessionName; default "nss-iam-<hostname>" (or
 *                "nss-iam-<pid>" without a usable hostname).
 * @imds_timeout_ms, @sts_timeout_ms: total time per HTTP request.
 * @duration_seconds: AssumeRole DurationSeconds (900..43200).
 */
struct aws_creds_source {
    const char *imds_endpoint;
    const char *sts_endpoint;
    const char *region;
    const char *assume_role_arn;
    const char *session_name;
    long imds_timeout_ms;
    long sts_timeout_ms;
    int duration_seconds;
};

/*
 * IMDSv2 session: the endpoint and the cached token. Initialise with
 * aws_imds_init(), release with aws_imds_reset() (wipes the token).
 * One thread at a time.
 */
struct aws_imds {
    char endpoint[AWS_IMDS_ENDPOINT_SIZE];
    char token[AWS_IMDS_TOKEN_SIZE];
    time_t token_expires;
    long timeout_ms;
};

/* aws_creds_init - set every field to empty; @creds holds nothing to free. */
void
aws_creds_init(struct aws_creds *creds);

/*
 * aws_creds_reset - wipe the secrets, free the session token and leave
 * @creds as after aws_creds_init(). NULL is allowed.
 */
void
aws_creds_reset(struct aws_creds *creds);

/*
 * aws_creds_set - fill @ret (reset first) from strings.
 * @session_token: NULL or "" for none.
 * @expiration: 0 for never.
 * Returns 0, or -EINVAL (empty key id or secret, a value too long, or a
 * byte outside printable ASCII: these go into HTTP headers), -ENOMEM.
 * On failure @ret is empty.
 */
int
aws_creds_set(const char *access_key_id, const char *secret_access_key,
              const char *session_token, time_t expiration,
              enum aws_creds_origin origin, struct aws_creds *ret);

/*
 * aws_creds_copy - deep copy of @src into @ret (reset first).
 * Returns 0, -EINVAL (@src empty) or -ENOMEM.
 */
int
aws_creds_copy(const struct aws_creds *src, struct aws_creds *ret);

/*
 * aws_creds_need_refresh - true when @creds is empty, or expires within
 * AWS_CREDS_REFRESH_MARGIN seconds of @now. Environment keys (expiration
 * 0) never need a refresh.
 */
bool
aws_creds_need_refresh(const struct aws_creds *creds, time_t now);

/*
 * aws_time_parse - an AWS timestamp: ISO-8601 UTC "2026-11-25T15:07:37Z",
 * with optional fractional seconds and a "Z", "+00:00" or "+HH:MM"/"-HH:MM"
 * offset, or epoch seconds as a decimal number (fraction ignored).
 * Returns 0 and sets *ret_time, or -EINVAL (*ret_time is then 0).
 */
int
aws_time_parse(const char *s, time_t *ret_time);

/*
 * aws_creds_from_env - step 1 of the chain.
 * Returns 0 with origin AWS_CREDS_ENV, -ENOENT when AWS_ACCESS_KEY_ID or
 * AWS_SECRET_ACCESS_KEY is unset or empty, -EINVAL when a value is
 * malformed (logged without the value), -ENOMEM.
 */
int
aws_creds_from_env(struct aws_creds *ret);

/*
 * aws_creds_parse_imds - parse the IMDS security-credentials document
 * {"Code":"Success","AccessKeyId","SecretAccessKey","Token","Expiration"}.
 * A missing "Code" is accepted (moto omits it); any other Code is refused.
 * @body, @len: the document (need not be NUL-terminated).
 * Returns 0 (origin AWS_CREDS_IMDS), -EBADMSG (not JSON, too deep, a field
 * missing or of the wrong type, Code not "Success", bad Expiration),
 * -EINVAL (a value aws_creds_set() refuses), -ENOMEM.
 */
int
aws_creds_parse_imds(const char *body, size_t len, struct aws_creds *ret);

/*
 * aws_creds_parse_sts - parse an STS AssumeRole JSON answer:
 * {"AssumeRoleResponse":{"AssumeRoleResult":{"Credentials":{AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration}}}}; Expiration may be an
 * ISO-8601 string or epoch seconds.
 * Returns 0 (origin AWS_CREDS_ASSUMED_ROLE), -EBADMSG, -EINVAL, -ENOMEM as
 * aws_creds_parse_imds().
 */
int
aws_creds_parse_sts(const char *body, size_t len, struct aws_creds *ret);

/*
 * aws_creds_sts_error - map an STS error answer to -errno and log it.
 * @status: HTTP status; @body, @len: the answer: JSON {"Error":{"Code",
 * "Message"}}, or the XML <ErrorResponse> that STS (and moto) send for
 * authentication failures even when JSON was asked for.
 * Returns -EACCES (HTTP 401/403, or codes AccessDenied,
 * InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken,
 * IncompleteSignature, MissingAuthenticationToken, UnrecognizedClient,
 * RegionDisabledException), -EAGAIN (HTTP 5xx, Throttling,
 * RequestTimeout, ServiceUnavailable, InternalFailure: worth retrying
 * later), -EINVAL (other 4xx: the request or the role ARN is wrong), -EIO
 * (anything else).
 */
int
aws_creds_sts_error(long status, const char *body, size_t len);

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

/*
 * aws_creds_from_imds - step 2: role name from
 * /latest/meta-data/iam/security-credentials/ (first line), then its
 * credentials document.
 * Returns 0 (origin AWS_CREDS_IMDS), -ENOENT (no role attached, or an
 * empty role list), -EBADMSG (bad role name or document), or an error of
 * aws_imds_get().
 */
int
aws_creds_from_imds(struct aws_imds *imds, struct aws_http *h, time_t now,
                    struct aws_creds *ret);

/*
 * aws_creds_assume_role - step 3: STS AssumeRole of @src->assume_role_arn
 * with @base, POSTed as a SigV4-signed form with ContentType=JSON.
 * Returns 0 (origin AWS_CREDS_ASSUMED_ROLE), -EINVAL (no ARN, or a bad
 * endpoint, region, duration or session name, or an endpoint with a query),
 * -EPROTONOSUPPORT (endpoint not https, outside loopback), an error of
 * aws_creds_sts_error() for
 * a non-200 answer, -EBADMSG (a 200 answer that is not the expected
 * JSON), or an error of aws_http_request().
 */
int
aws_creds_assume_role(const struct aws_creds_source *src,
                      struct aws_http *h, const struct aws_creds *base,
                      time_t now, struct aws_creds *ret);

/*
 * aws_creds_resolve - the whole chain (see the top of this file).
 * @src: may be NULL (all defaults, no AssumeRole).
 * @h: HTTP handle of the calling thread.
 * @now: current time (for IMDS token caching and SigV4).
 * @ret: reset on entry, filled on success.
 * Returns 0, or
 *   -ENOENT  no environment keys and IMDS has no instance role (404);
 *   -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ECONNRESET
 *            no environment keys and IMDS unreachable (not on EC2, or a
 *            transient fault: worth a retry); logged with a hint;
 *   -EINVAL  malformed environment keys or configuration;
 *   any other error of aws_creds_from_imds() or aws_creds_assume_role().
 */
int
aws_creds_resolve(const struct aws_creds_source *src, struct aws_http *h,
                  time_t now, struct aws_creds *ret);

#endif
