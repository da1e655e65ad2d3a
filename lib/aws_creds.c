#include "aws_creds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
aws_creds_init(struct aws_creds *creds)
{
    memset(creds, 0, sizeof(*creds));
}

/* Wipe and free what @creds holds; @creds is not NULL. */
static void
wipe(struct aws_creds *creds)
{
    if (creds->session_token) {
        explicit_bzero(creds->session_token, strlen(creds->session_token));
        free(creds->session_token);
    }
    explicit_bzero(creds, sizeof(*creds));
    aws_creds_init(creds);
}

void
aws_creds_reset(struct aws_creds *creds)
{
    if (creds)
        wipe(creds);
}

/* Values go into HTTP headers and the signature: printable ASCII only. */
bool
aws_creds_printable(const char *s, size_t max)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        if (i >= max || (unsigned char)s[i] <= 0x20 ||
            (unsigned char)s[i] >= 0x7f)
            return false;
    }
    return i > 0;
}

int
aws_creds_set(const char *access_key_id, const char *secret_access_key,
              const char *session_token, time_t expiration,
              enum aws_creds_origin origin, struct aws_creds *ret)
{
    wipe(ret);
    if (!access_key_id || !secret_access_key ||
        !aws_creds_printable(access_key_id, AWS_CREDS_KEY_ID_SIZE - 1) ||
        !aws_creds_printable(secret_access_key, AWS_CREDS_SECRET_SIZE - 1))
        return -EINVAL;
    if (session_token && *session_token &&
        !aws_creds_printable(session_token, AWS_CREDS_TOKEN_MAX))
        return -EINVAL;
    if (session_token && *session_token) {
        ret->session_token = strdup(session_token);
        if (!ret->session_token)
            return -ENOMEM;
    }
    /* Lengths were checked by printable(). */
    memcpy(ret->access_key_id, access_key_id, strlen(access_key_id) + 1);
    memcpy(ret->secret_access_key, secret_access_key,
           strlen(secret_access_key) + 1);
    ret->expiration = expiration;
    ret->origin = origin;
    return 0;
}

int
aws_creds_copy(const struct aws_creds *src, struct aws_creds *ret)
{
    return aws_creds_set(src->access_key_id, src->secret_access_key,
                         src->session_token, src->expiration, src->origin,
                         ret);
}

void
aws_creds_move(struct aws_creds *src, struct aws_creds *dst)
{
    wipe(dst);
    memcpy(dst, src, sizeof(*dst));
    explicit_bzero(src, sizeof(*src));
    aws_creds_init(src);
}

bool
aws_creds_need_refresh(const struct aws_creds *creds, time_t now)
{
    if (!creds || !creds->access_key_id[0])
        return true;
    if (creds->expiration == 0)
        return false;
    return creds->expiration - now < AWS_CREDS_REFRESH_MARGIN;
}
