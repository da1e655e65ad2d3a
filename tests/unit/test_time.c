/*
 * Unit tests for lib/aws_time.c: the timestamps of IAM answers (ISO-8601
 * with offsets and fractions), of credential documents (the same, and
 * epoch seconds), and the Java-style epoch numbers some AWS services
 * write ("1.498901165E9").
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aws_time.h"

/* 2024-01-02T03:04:05Z */
#define T_2024 1704164645
/* 2026-11-25T15:07:37Z */
#define T_2026 1795619257

static void
time_ok(const char *s, time_t want)
{
    time_t t = -1;
    int r = aws_time_parse(s, strlen(s), &t);

    if (r != 0)
        fail_msg("%s: r=%d", s, r);
    if (t != want)
        fail_msg("%s: got %lld, want %lld", s, (long long)t, (long long)want);
}

/* Refused, and the out-param cleared. */
static void
time_bad(const char *s)
{
    time_t t = 12345;

    if (aws_time_parse(s, strlen(s), &t) != -EINVAL)
        fail_msg("%s: accepted", s);
    assert_int_equal(t, 0);
}

static void
test_iso8601(void **state)
{
    (void)state;
    time_ok("2024-01-02T03:04:05Z", T_2024);
    time_ok("2024-01-02T03:04:05.999999999Z", T_2024);
    time_ok("2024-01-02T03:04:05+00:00", T_2024);
    time_ok("2024-01-02T04:04:05+01", T_2024);
    time_ok("2024-01-02T03:04:05-00:00", T_2024);
    time_ok("2024-01-01T23:04:05-0400", T_2024);
    time_ok("2024-01-02 03:04:05Z", T_2024);
    time_ok("2024-01-02t03:04:05z", T_2024);
    time_ok("1970-01-01T00:00:00Z", 0);
    time_ok("2000-02-29T00:00:00Z", 951782400);
    time_ok("2038-01-19T03:14:08Z", 2147483648LL);
    time_ok("9999-12-31T23:59:59Z", 253402300799LL);
    time_ok("2016-12-31T23:59:60Z", 1483228800);
    /* Credential documents (IMDS, STS). */
    time_ok("2026-11-25T15:07:37.134979Z", T_2026);
    time_ok("2026-11-25T15:07:37Z", T_2026);
    time_ok("2026-11-25T17:07:37+02:00", T_2026);
    time_ok("2026-11-25T14:37:37-00:30", T_2026);
}

static void
test_epoch_text(void **state)
{
    (void)state;
    time_ok("1704164645", T_2024);
    time_ok("1704164645.9", T_2024);
    time_ok("1795619257.75", T_2026);
    time_ok("0", 0);
    time_ok("253402300799", 253402300799LL);
    /* What Java's Double.toString writes for epoch seconds. */
    time_ok("1.498901165E9", 1498901165);
    time_ok("1.4989011659E9", 1498901165);
    time_ok("1.49890116E9", 1498901160);
    time_ok("1.795619257e+9", T_2026);
    time_ok("1704164645E0", T_2024);
    time_ok("2.53402300799E11", 253402300799LL);
}

static void
test_refused(void **state)
{
    static const char *const bad[] = {
        "", "abc", "2024-01-02T03:04:05", "2024-01-02", "2024-01-02T03:04Z",
        "2024-1-02T03:04:05Z", "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05ZZ", "2024-01-02T03:04:05Zjunk",
        "2024-01-02T03:04:05+1:00", "2024-01-02T03:04:05+01:0",
        "2024-01-02T03:04:05+24:00", "2024-13-02T03:04:05Z",
        "2024-00-02T03:04:05Z", "2023-02-29T03:04:05Z",
        "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
        "2024-01-02T24:00:00Z", "2024-01-02T23:60:00Z",
        "2024-01-02T23:59:61Z", "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+00:01", "+2024-01-02T03:04:05Z",
        "253402300800", "9999999999999", "99999999999999999999999", "-1",
        "-5", "12a", "1.2.3", "1704164645.", "17041 64645",
        /* Exponents: only a plain, non-negative one. */
        "1.498901165E", "1.498901165E-9", "1.498901165E+", "1E100",
        "2.53402300800E11", ".5E9", "1.5E9.5",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        time_bad(bad[i]);
}

static void
test_bounded(void **state)
{
    /* Only @len bytes are read: the text need not be NUL-terminated. */
    static const char s[] = "2024-01-02T03:04:05Zjunk";
    time_t t = 0;

    (void)state;
    assert_int_equal(aws_time_parse(s, 20, &t), 0);
    assert_int_equal(t, T_2024);
    assert_int_equal(aws_time_parse(s, 19, &t), -EINVAL);
    assert_int_equal(aws_time_parse(s, 21, &t), -EINVAL);
    assert_int_equal(aws_time_parse(NULL, 0, &t), -EINVAL);
}

static void
test_number(void **state)
{
    time_t t = 5;

    (void)state;
    assert_int_equal(aws_time_from_number(1.498901165E9, &t), 0);
    assert_int_equal(t, 1498901165);
    assert_int_equal(aws_time_from_number(1795619257.75, &t), 0);
    assert_int_equal(t, T_2026);
    assert_int_equal(aws_time_from_number(0, &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(aws_time_from_number(253402300799.0, &t), 0);
    assert_int_equal(aws_time_from_number(253402300800.0, &t), -EINVAL);
    assert_int_equal(t, 0);
    assert_int_equal(aws_time_from_number(-1, &t), -EINVAL);
    assert_int_equal(aws_time_from_number(NAN, &t), -EINVAL);
    assert_int_equal(aws_time_from_number(INFINITY, &t), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_epoch_text),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_number),
    };

    return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
