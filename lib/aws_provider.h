/*
 * aws_provider: where AWS credentials come from, in this order
 * (aws_provider_resolve()):
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optional
 *      AWS_SESSION_TOKEN (read with secure_getenv());
 *   2. otherwise the EC2 instance role through IMDSv2 (aws_imds);
 *   3. then, when an ASSUMEROLE ARN is configured, STS AssumeRole called
 *      with the credentials of step 1 or 2; its result is returned.
 *
 * STS is called through aws_client like IAM, EC2 and S3: the same SigV4
 * signing, retries with backoff on throttling, 5xx and transport errors,
 * rate limit and deadline (struct aws_provider_source's @sts).
 *
 * Secrets are never logged; the STS answer is wiped once read. Nothing
 * here keeps global state; one thread at a time per struct passed.
 */
#ifndef AWS_PROVIDER_H
#define AWS_PROVIDER_H

#include <stddef.h>
#include <time.h>

#include "aws_client.h"
#include "aws_creds.h"
#include "aws_imds.h"

#define AWS_PROVIDER_DEFAULT_STS "https://sts.amazonaws.com"
#define AWS_PROVIDER_DEFAULT_REGION "us-east-1"
#define AWS_PROVIDER_STS_VERSION "2011-06-15"
/* Without caller options: per request, and attempts per AssumeRole. */
#define AWS_PROVIDER_STS_TIMEOUT_MS 10000
#define AWS_PROVIDER_STS_ATTEMPTS 4
#define AWS_PROVIDER_DEFAULT_DURATION 3600

/*
 * Where the chain looks. Every pointer may be NULL (or 0) for the default.
 * @imds_endpoint: "http://169.254.169.254" (IMDS_ENDPOINT in the config).
 * @sts_endpoint: "https://sts.amazonaws.com" (STS_ENDPOINT).
 * @region: signing region for STS, "us-east-1" (AWS_REGION).
 * @assume_role_arn: ASSUMEROLE; NULL or "" for none.
 * @session_name: RoleSessionName; default "nss-iam-<hostname>" (or
 *                "nss-iam-<pid>" without a usable hostname).
 * @imds_timeout_ms: total time per IMDS request.
 * @duration_seconds: AssumeRole DurationSeconds (900..43200).
 * @sts: how STS is called: its timeout_ms, max_attempts, calls_per_sec,
 *       deadline_ms, backoff_base_ms, backoff_cap_ms and io are used as
 *       they are (give the ones the caller's other AWS calls get); the
 *       endpoint, region, service, version and json are set here. NULL:
 *       AWS_PROVIDER_STS_ATTEMPTS attempts of AWS_PROVIDER_STS_TIMEOUT_MS,
 *       no deadline.
 */
struct aws_provider_source {
    const char *imds_endpoint;
    const char *sts_endpoint;
    const char *region;
    const char *assume_role_arn;
    const char *session_name;
    long imds_timeout_ms;
    int duration_seconds;
    const struct aws_client_opts *sts;
};

/*
 * aws_provider_env - step 1 of the chain.
 * Returns 0 with origin AWS_CREDS_ENV, -ENOENT when AWS_ACCESS_KEY_ID or
 * AWS_SECRET_ACCESS_KEY is unset or empty, -EINVAL when a value is
 * malformed (logged without the value), -ENOMEM.
 */
int
aws_provider_env(struct aws_creds *ret);

/*
 * aws_provider_parse_imds - parse the IMDS security-credentials document
 * {"Code":"Success","AccessKeyId","SecretAccessKey","Token","Expiration"}.
 * A missing "Code" is accepted (moto omits it); any other Code is refused.
 * @body, @len: the document (need not be NUL-terminated).
 * Returns 0 (origin AWS_CREDS_IMDS), -EBADMSG (not JSON, too deep, a field
 * missing or of the wrong type, Code not "Success", bad Expiration),
 * -EINVAL (a value aws_creds_set() refuses), -ENOMEM.
 */
int
aws_provider_parse_imds(const char *body, size_t len, struct aws_creds *ret);

/*
 * aws_provider_parse_sts - parse an STS AssumeRole JSON answer:
 * {"AssumeRoleResponse":{"AssumeRoleResult":{"Credentials":{AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration}}}}; Expiration may be an
 * ISO-8601 string or epoch seconds.
 * Returns 0 (origin AWS_CREDS_ASSUMED_ROLE), -EBADMSG, -EINVAL, -ENOMEM as
 * aws_provider_parse_imds().
 */
int
aws_provider_parse_sts(const char *body, size_t len, struct aws_creds *ret);

/*
 * aws_provider_imds - step 2: role name from
 * /latest/meta-data/iam/security-credentials/ (first line), then its
 * credentials document.
 * Returns 0 (origin AWS_CREDS_IMDS), -ENOENT (no role attached, or an
 * empty role list), -EBADMSG (bad role name or document), or an error of
 * aws_imds_get().
 */
int
aws_provider_imds(struct aws_imds *imds, struct aws_http *h, time_t now,
                  struct aws_creds *ret);

/*
 * aws_provider_assume_role - step 3: STS AssumeRole of
 * @src->assume_role_arn with @base, through aws_client_call() (see
 * @src->sts for its retries and deadline). The reason of a failure is
 * logged ("aws_creds: STS AssumeRole: HTTP 403 AccessDenied: ...").
 * Returns 0 (origin AWS_CREDS_ASSUMED_ROLE), or
 *   -EINVAL     no ARN, or a bad endpoint (one with a query), duration or
 *               session name: nothing was sent;
 *   -EACCES     STS refused the caller's credentials or the role
 *               (AccessDenied, InvalidClientTokenId, ExpiredToken, ...);
 *   -EBADMSG    a 200 answer that is not the expected JSON;
 *   -EREMOTEIO, -ETIMEDOUT, -EPROTO, -EPROTONOSUPPORT (endpoint not
 *               https outside loopback), a transport error, -ENOMEM: as
 *               aws_client_call() returns them.
 */
int
aws_provider_assume_role(const struct aws_provider_source *src,
                         struct aws_http *h, const struct aws_creds *base,
                         struct aws_creds *ret);

/*
 * aws_provider_resolve - the whole chain (see the top of this file).
 * @src: may be NULL (all defaults, no AssumeRole).
 * @h: HTTP handle of the calling thread.
 * @now: current time (for IMDS token caching).
 * @ret: reset on entry, filled on success.
 * Returns 0, or
 *   -ENOENT  no environment keys and IMDS has no instance role (404);
 *   -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ECONNRESET
 *            no environment keys and IMDS unreachable (not on EC2, or a
 *            transient fault: worth a retry); logged with a hint;
 *   -EINVAL  malformed environment keys or configuration;
 *   any other error of aws_provider_imds() or aws_provider_assume_role().
 */
int
aws_provider_resolve(const struct aws_provider_source *src, struct aws_http *h,
                     time_t now, struct aws_creds *ret);

#endif
