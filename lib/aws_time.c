#include "aws_time.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Digits of epoch seconds up to AWS_TIME_LAST: more are junk. */
#define EPOCH_DIGITS_MAX 12

static bool
take_digits(const char *s, size_t len, size_t *pos, size_t n, int *ret)
{
    int v = 0;
    size_t i;

    if (*pos > len || len - *pos < n)
        return false;
    for (i = 0; i < n; i++) {
        char ch = s[*pos + i];

        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *pos += n;
    *ret = v;
    return true;
}

/* Consume one character of @set at *pos. */
static bool
take_char(const char *s, size_t len, size_t *pos, const char *set)
{
    if (*pos >= len || s[*pos] == '\0' || !strchr(set, s[*pos]))
        return false;
    (*pos)++;
    return true;
}

/* Consume a run of digits; false when there is none. */
static bool
skip_digits(const char *s, size_t len, size_t *pos)
{
    size_t start = *pos;

    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9')
        (*pos)++;
    return *pos > start;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (y >= 1). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
    static const int days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* "Z", "+HH:MM", "+HHMM" or "+HH" (or '-') at *pos, in seconds east of
 * UTC. */
static bool
take_zone(const char *s, size_t len, size_t *pos, int64_t *ret_offset)
{
    int sign, oh, om;

    if (take_char(s, len, pos, "Zz")) {
        *ret_offset = 0;
        return true;
    }
    if (*pos >= len || (s[*pos] != '+' && s[*pos] != '-'))
        return false;
    sign = s[*pos] == '-' ? -1 : 1;
    (*pos)++;
    if (!take_digits(s, len, pos, 2, &oh))
        return false;
    om = 0;
    if (take_char(s, len, pos, ":")) {
        if (!take_digits(s, len, pos, 2, &om))
            return false;
    } else if (*pos < len) {
        /* "+HHMM"; a lone "+HH" is complete as it is. */
        if (!take_digits(s, len, pos, 2, &om))
            return false;
    }
    if (oh > 23 || om > 59)
        return false;
    *ret_offset = sign * (int64_t)(oh * 3600 + om * 60);
    return true;
}

/* "YYYY-MM-DDTHH:MM:SS[.frac](zone)" */
static int
parse_iso8601(const char *s, size_t len, int64_t *ret_t)
{
    int y, mo, d, h, mi, sec;
    int64_t offset;
    size_t i = 0;
    bool ok;

    ok = take_digits(s, len, &i, 4, &y) && take_char(s, len, &i, "-") &&
         take_digits(s, len, &i, 2, &mo) && take_char(s, len, &i, "-") &&
         take_digits(s, len, &i, 2, &d) && take_char(s, len, &i, "Tt ") &&
         take_digits(s, len, &i, 2, &h) && take_char(s, len, &i, ":") &&
         take_digits(s, len, &i, 2, &mi) && take_char(s, len, &i, ":") &&
         take_digits(s, len, &i, 2, &sec);
    if (ok && take_char(s, len, &i, "."))
        ok = skip_digits(s, len, &i);
    /* No zone means local time somewhere: refuse rather than guess. */
    ok = ok && take_zone(s, len, &i, &offset) && i == len;
    if (!ok || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
        d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return -EINVAL;
    *ret_t =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

/*
 * Epoch seconds written as text: "digits[.digits]", or with an exponent,
 * "1.498901165E9" (Java's Double.toString of a large number). The value
 * is exact: the decimal point moves right by the exponent and whatever is
 * left after it is dropped, with no floating point on the way.
 */
static int
parse_epoch_text(const char *s, size_t len, int64_t *ret_t)
{
    size_t i = 0, int_end, frac_start, frac_end, exp_start, point, k;
    int shift = 0;
    int64_t t = 0;

    if (!skip_digits(s, len, &i))
        return -EINVAL;
    int_end = i;
    frac_start = frac_end = i;
    if (take_char(s, len, &i, ".")) {
        frac_start = i;
        if (!skip_digits(s, len, &i))
            return -EINVAL;
        frac_end = i;
    }
    if (take_char(s, len, &i, "Ee")) {
        take_char(s, len, &i, "+");
        exp_start = i;
        if (!skip_digits(s, len, &i) || i - exp_start > 2)
            return -EINVAL;
        for (k = exp_start; k < i; k++)
            shift = shift * 10 + (s[k] - '0');
    }
    if (i != len)
        return -EINVAL;
    /* The digits before the moved point: int part, then fraction. */
    point = int_end + (size_t)shift;
    if (point > EPOCH_DIGITS_MAX)
        return -EINVAL;
    for (k = 0; k < point; k++) {
        char ch = '0';

        if (k < int_end)
            ch = s[k];
        else if (frac_start + (k - int_end) < frac_end)
            ch = s[frac_start + (k - int_end)];
        t = t * 10 + (ch - '0');
    }
    *ret_t = t;
    return 0;
}

int
aws_time_parse(const char *s, size_t len, time_t *ret_time)
{
    int64_t t = 0;
    int r;

    *ret_time = 0;
    if (!s || len == 0)
        return -EINVAL;
    if (len > 4 && s[4] == '-')
        r = parse_iso8601(s, len, &t);
    else
        r = parse_epoch_text(s, len, &t);
    if (r < 0 || t < 0 || t > AWS_TIME_LAST)
        return -EINVAL;
    *ret_time = (time_t)t;
    return 0;
}

int
aws_time_from_number(double d, time_t *ret_time)
{
    *ret_time = 0;
    if (!isfinite(d) || d < 0 || d >= (double)AWS_TIME_LAST + 1)
        return -EINVAL;
    /* d >= 0, so truncation is floor(). */
    *ret_time = (time_t)d;
    return 0;
}
