/*
 * aws_time: the timestamps AWS writes, as seconds since the epoch.
 *
 * Text: ISO-8601 "YYYY-MM-DDTHH:MM:SS[.frac]" ('T', 't' or ' ' between
 * date and time) followed by "Z", "+HH:MM", "+HHMM" or "+HH" (or '-'); a
 * missing zone is refused rather than guessed. Or epoch seconds written
 * out: "1704164645", "1704164645.9", or the Java form some AWS services
 * send, "1.498901165E9". JSON numbers (the same epoch seconds, integer or
 * float) go through aws_time_from_number(). Fractions are dropped.
 *
 * Only 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z is accepted.
 * Pure functions: no locale, no time zone, no global state.
 */
#ifndef AWS_TIME_H
#define AWS_TIME_H

#include <stddef.h>
#include <time.h>

/* 9999-12-31T23:59:59Z: the last instant a timestamp may name. */
#define AWS_TIME_LAST 253402300799LL

/*
 * aws_time_parse - a timestamp text to seconds since the epoch.
 * @s, @len: the text; need not be NUL-terminated (NULL with @len 0 is
 *           refused).
 * @ret_time: cleared on entry, set on 0.
 * Returns 0, or -EINVAL when the text is not such a timestamp or lies
 * outside the accepted range.
 */
int
aws_time_parse(const char *s, size_t len, time_t *ret_time);

/*
 * aws_time_from_number - epoch seconds as a JSON number gives them.
 * @ret_time: cleared on entry, set on 0.
 * Returns 0, or -EINVAL (not finite, negative or past AWS_TIME_LAST).
 */
int
aws_time_from_number(double d, time_t *ret_time);

#endif
