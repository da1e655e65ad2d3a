/*
 * aws_creds: the credential value SigV4 signs with: an access key id, its
 * secret, an optional session token and an expiry. Where credentials come
 * from (environment, IMDSv2, STS AssumeRole) is aws_provider's job.
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
 * aws_creds_move - hand @src's contents to @dst (reset first) and leave
 * @src empty, without a copy of the secrets left behind.
 */
void
aws_creds_move(struct aws_creds *src, struct aws_creds *dst);

/*
 * aws_creds_need_refresh - true when @creds is empty, or expires within
 * AWS_CREDS_REFRESH_MARGIN seconds of @now. Environment keys (expiration
 * 0) never need a refresh.
 */
bool
aws_creds_need_refresh(const struct aws_creds *creds, time_t now);

/*
 * aws_creds_printable - whether @s is fit for an HTTP header value as the
 * credentials are: 1 to @max bytes of printable ASCII, no space.
 */
bool
aws_creds_printable(const char *s, size_t max);

#endif
