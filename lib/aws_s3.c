#include "aws_s3.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SCHEME "s3://"

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_key_char(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

static const char *
bucket_error(const char *b, size_t len)
{
    size_t i;

    if (len < 3 || len > AWS_S3_BUCKET_MAX)
        return "a bucket name has 3 to 63 characters";
    for (i = 0; i < len; i++)
        if (!is_lower_alnum(b[i]) && b[i] != '.' && b[i] != '-')
            return "a bucket name has only a-z, 0-9, '.' and '-'";
    if (!is_lower_alnum(b[0]) || !is_lower_alnum(b[len - 1]))
        return "a bucket name starts and ends with a letter or digit";
    if (memmem(b, len, "..", 2))
        return "a bucket name has no '..'";
    return NULL;
}

/* Each '/'-separated segment: not empty, not "." or "..". */
static const char *
key_error(const char *k)
{
    size_t len = strlen(k), i, seg;

    if (len == 0 || len > AWS_S3_KEY_MAX)
        return "the object key has 1 to 1024 characters";
    for (i = 0; i < len; i++)
        if (!is_key_char(k[i]))
            return "the object key has only letters, digits and -._~/";
    for (i = 0; i <= len; i += seg + 1) {
        seg = strcspn(k + i, "/");
        if (seg == 0 || (seg == 1 && k[i] == '.') ||
            (seg == 2 && k[i] == '.' && k[i + 1] == '.'))
            return "the object key has an empty, '.' or '..' part";
    }
    return NULL;
}

int
aws_s3_parse_url(const char *url, struct aws_s3_location *ret, char *errbuf,
                 size_t errlen)
{
    const char *b, *slash, *why;
    size_t blen;

    memset(ret, 0, sizeof(*ret));
    if (errlen)
        errbuf[0] = '\0';
    if (strncmp(url, SCHEME, strlen(SCHEME)) != 0) {
        why = "not an s3://BUCKET/KEY URL";
        goto bad;
    }
    b = url + strlen(SCHEME);
    slash = strchr(b, '/');
    if (!slash || !slash[1]) {
        why = "no object key after the bucket (s3://BUCKET/KEY)";
        goto bad;
    }
    blen = (size_t)(slash - b);
    why = bucket_error(b, blen);
    if (!why)
        why = key_error(slash + 1);
    if (why)
        goto bad;
    memcpy(ret->bucket, b, blen);
    snprintf(ret->key, sizeof(ret->key), "%s", slash + 1);
    return 0;
bad:
    snprintf(errbuf, errlen, "%s", why);
    return -EINVAL;
}

static bool
region_ok(const char *r)
{
    size_t i, n = r ? strlen(r) : 0;

    if (n == 0 || n > 63)
        return false;
    for (i = 0; i < n; i++)
        if (!is_lower_alnum(r[i]) && r[i] != '-')
            return false;
    return true;
}

int
aws_s3_endpoint(const struct aws_s3_location *loc, const char *region,
                const char *override,
                char ret_endpoint[AWS_S3_ENDPOINT_SIZE],
                char ret_path[AWS_S3_PATH_SIZE])
{
    const char *suffix;
    int n, m;

    ret_endpoint[0] = ret_path[0] = '\0';
    if (!region_ok(region))
        return -EINVAL;
    suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn"
                                            : "amazonaws.com";
    if (override || strchr(loc->bucket, '.')) {
        if (override)
            n = snprintf(ret_endpoint, AWS_S3_ENDPOINT_SIZE, "%s", override);
        else
            n = snprintf(ret_endpoint, AWS_S3_ENDPOINT_SIZE,
                         "https://s3.%s.%s", region, suffix);
        m = snprintf(ret_path, AWS_S3_PATH_SIZE, "/%s/%s", loc->bucket,
                     loc->key);
    } else {
        n = snprintf(ret_endpoint, AWS_S3_ENDPOINT_SIZE,
                     "https://%s.s3.%s.%s", loc->bucket, region, suffix);
        m = snprintf(ret_path, AWS_S3_PATH_SIZE, "/%s", loc->key);
    }
    if (n < 0 || n >= AWS_S3_ENDPOINT_SIZE || m < 0 ||
        m >= AWS_S3_PATH_SIZE) {
        ret_endpoint[0] = ret_path[0] = '\0';
        return -EINVAL;
    }
    return 0;
}
