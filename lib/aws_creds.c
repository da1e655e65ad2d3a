#include "aws_creds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
aws_creds_init(struct aws_creds *creds)
{
    memset(creds, 0, sizeof(*creds));
}

void
aws_creds_reset(struct aws_creds *creds)
{
    if (!creds)
        return;
    if (creds->session_token) {
        explicit_bzero(creds->session_token, strlen(creds->session_token));
        free(creds->session_token);
    }
    explicit_bzero(creds, sizeof(*creds));
    aws_creds_init(creds);
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
    aws_creds_reset(ret);
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
    aws_creds_reset(dst);
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

/* Parse exactly @n digits at @s. */
static bool
digits(const char *s, int n, int *ret)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return true;
}

/* "Z", or "+HH:MM" / "-HH:MM" as seconds east of UTC. */
static bool
zone_offset(const char *s, long *ret)
{
    int hh, mm;

    if (strcmp(s, "Z") == 0) {
        *ret = 0;
        return true;
    }
    if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
        !digits(s + 1, 2, &hh) || !digits(s + 4, 2, &mm) || hh > 23 ||
        mm > 59)
        return false;
    *ret = (hh * 3600L + mm * 60L) * (s[0] == '-' ? -1 : 1);
    return true;
}

static int
parse_iso8601(const char *s, time_t *ret_time)
{
    struct tm tm;
    int y, mo, d, h, mi, sec;
    long off;
    time_t t;

    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return -EINVAL;
    s += 19;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (!zone_offset(s, &off))
        return -EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *ret_time = t - off;
    return 0;
}

static int
parse_epoch(const char *s, time_t *ret_time)
{
    char *end = NULL;
    long long v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s)
        return -EINVAL;
    if (*end == '.') {
        end++;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if (*end != '\0')
        return -EINVAL;
    *ret_time = (time_t)v;
    return 0;
}

int
aws_time_parse(const char *s, time_t *ret_time)
{
    size_t i;

    *ret_time = 0;
    if (!s || !*s)
        return -EINVAL;
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
        ;
    if (s[i] == '\0' || s[i] == '.')
        return parse_epoch(s, ret_time);
    return parse_iso8601(s, ret_time);
}
