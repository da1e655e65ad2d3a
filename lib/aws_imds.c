#include "aws_imds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "aws_http.h"
#include "iam_log.h"

/* Renew the IMDS token this long before it runs out. */
#define TOKEN_SLACK 60
#define STR_(x) #x
#define STR(x) STR_(x)

int
aws_imds_init(const char *endpoint, long timeout_ms, struct aws_imds *ret)
{
    size_t n;

    memset(ret, 0, sizeof(*ret));
    if (!endpoint)
        endpoint = AWS_IMDS_DEFAULT_ENDPOINT;
    n = strlen(endpoint);
    while (n > 0 && endpoint[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof(ret->endpoint))
        return -EINVAL;
    memcpy(ret->endpoint, endpoint, n);
    ret->endpoint[n] = '\0';
    ret->timeout_ms =
        timeout_ms > 0 ? timeout_ms : AWS_IMDS_DEFAULT_TIMEOUT_MS;
    return 0;
}

void
aws_imds_reset(struct aws_imds *imds)
{
    if (!imds)
        return;
    explicit_bzero(imds->token, sizeof(imds->token));
    imds->token_expires = 0;
}

/* Strip trailing blanks and newlines in place. */
static size_t
rtrim(char *s, size_t len)
{
    while (len > 0 && strchr(" \t\r\n", s[len - 1]) && s[len - 1])
        s[--len] = '\0';
    return len;
}

static int
imds_token(struct aws_imds *imds, struct aws_http *h, time_t now)
{
    static const char *const hdrs[] = {
        "X-aws-ec2-metadata-token-ttl-seconds: " STR(AWS_IMDS_TOKEN_TTL),
        NULL,
    };
    struct aws_http_response resp = { 0 };
    struct aws_http_request req = { 0 };
    char url[AWS_IMDS_ENDPOINT_SIZE + 32];
    size_t n;
    int r;

    aws_imds_reset(imds);
    snprintf(url, sizeof(url), "%s/latest/api/token", imds->endpoint);
    req.method = "PUT";
    req.url = url;
    req.headers = hdrs;
    req.timeout_ms = imds->timeout_ms;
    req.connect_timeout_ms = imds->timeout_ms;
    req.max_body = AWS_IMDS_TOKEN_SIZE;
    r = aws_http_request(h, &req, &resp);
    if (r < 0)
        return r;
    if (resp.status != 200) {
        iam_log(LOG_WARNING, "aws_imds: IMDS token: HTTP %ld", resp.status);
        r = resp.status == 403 ? -EACCES : -EIO;
        goto out;
    }
    n = rtrim(resp.body, resp.body_len);
    if (n == 0 || n >= sizeof(imds->token) ||
        !aws_creds_printable(resp.body, sizeof(imds->token) - 1)) {
        iam_log(LOG_WARNING, "aws_imds: IMDS token: malformed");
        r = -EIO;
        goto out;
    }
    memcpy(imds->token, resp.body, n + 1);
    imds->token_expires = now + AWS_IMDS_TOKEN_TTL;
out:
    aws_http_response_free(&resp);
    return r;
}

/* One GET with the cached token; the status decides the rest. */
static int
imds_get_once(struct aws_imds *imds, struct aws_http *h, const char *path,
              struct aws_http_response *ret)
{
    char url[AWS_IMDS_ENDPOINT_SIZE + 512];
    char tok_hdr[AWS_IMDS_TOKEN_SIZE + 64];
    const char *hdrs[2];
    struct aws_http_request req = { 0 };
    int n, r;

    n = snprintf(url, sizeof(url), "%s%s", imds->endpoint, path);
    if (n < 0 || (size_t)n >= sizeof(url))
        return -EINVAL;
    snprintf(tok_hdr, sizeof(tok_hdr), "X-aws-ec2-metadata-token: %s",
             imds->token);
    hdrs[0] = tok_hdr;
    hdrs[1] = NULL;
    req.method = "GET";
    req.url = url;
    req.headers = hdrs;
    req.timeout_ms = imds->timeout_ms;
    req.connect_timeout_ms = imds->timeout_ms;
    req.max_body = AWS_IMDS_MAX_RESPONSE;
    r = aws_http_request(h, &req, ret);
    explicit_bzero(tok_hdr, sizeof(tok_hdr));
    return r;
}

int
aws_imds_get(struct aws_imds *imds, struct aws_http *h, const char *path,
             time_t now, char **ret_body, size_t *ret_len)
{
    struct aws_http_response resp = { 0 };
    int attempt, r = -EIO;

    *ret_body = NULL;
    *ret_len = 0;
    if (!path || path[0] != '/')
        return -EINVAL;
    for (attempt = 0; attempt < 2; attempt++) {
        if (!imds->token[0] || now >= imds->token_expires - TOKEN_SLACK) {
            r = imds_token(imds, h, now);
            if (r < 0)
                return r;
        }
        r = imds_get_once(imds, h, path, &resp);
        if (r < 0)
            return r;
        if (resp.status != 401)
            break;
        /* The token expired or IMDS restarted: one fresh token. */
        aws_http_response_free(&resp);
        aws_imds_reset(imds);
    }
    if (resp.status == 200) {
        *ret_body = resp.body;
        *ret_len = resp.body_len;
        return 0;
    }
    if (resp.status == 404)
        r = -ENOENT;
    else if (resp.status == 401 || resp.status == 403)
        r = -EACCES;
    else
        r = -EIO;
    if (r != -ENOENT)
        iam_log(LOG_WARNING, "aws_imds: IMDS %s: HTTP %ld", path,
                resp.status);
    aws_http_response_free(&resp);
    return r;
}
