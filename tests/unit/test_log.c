/*
 * Unit tests for lib/iam_log.c: a logged string cannot forge a line or
 * reach the reader's terminal (newlines, carriage returns, escape
 * sequences, C1 controls and the backslash are written as \xHH), the
 * priority filter, and the facility names.
 *
 * Without iam_log_init() the messages go to stderr only; the tests point
 * stderr at a temporary file and read it back. The syslog copy is the same
 * escaped buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "iam_log.h"

/* What iam_log(@priority, "%s", @arg) writes to stderr; malloc'ed. */
static char *
logged(int priority, const char *arg)
{
    FILE *f = tmpfile();
    int saved = dup(STDERR_FILENO);
    char *out;
    long n;

    assert_non_null(f);
    assert_true(saved >= 0);
    fflush(stderr);
    assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
    iam_log(priority, "%s", arg);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    n = ftell(f);
    assert_true(n >= 0);
    out = calloc(1, (size_t)n + 1);
    assert_non_null(out);
    rewind(f);
    assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return out;
}

/* Exactly one line, ending in '\n', with printable ASCII only. */
static void
assert_one_clean_line(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    assert_true(n > 0);
    assert_int_equal(s[n - 1], '\n');
    for (i = 0; i + 1 < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            fail_msg("byte 0x%02x at %zu in \"%s\"", (unsigned char)s[i], i, s);
    }
}

static void
test_plain_text_unchanged(void **state)
{
    char *out = logged(LOG_ERR, "IAM user alice.smith@x-1 refused");

    (void)state;
    assert_string_equal(out, "error: IAM user alice.smith@x-1 refused\n");
    free(out);
}

/* An IAM name with a newline must not start a line of its own: journald
 * and log files split there, and the second half would look like a line
 * from iam-sync. */
static void
test_newline_cannot_forge_a_line(void **state)
{
    char *out = logged(LOG_WARNING, "IAM user x\niam-sync: info: "
                                    "published, 1 user\r\nroot refused");

    (void)state;
    assert_one_clean_line(out);
    assert_string_equal(out, "warning: IAM user x\\x0aiam-sync: info: "
                             "published, 1 user\\x0d\\x0aroot refused\n");
    free(out);
}

/* Escape sequences would recolour, retitle or clear the terminal of the
 * operator reading the log (CSI, OSC, the C1 form of CSI). */
static void
test_escape_sequences_neutralised(void **state)
{
    char *out = logged(LOG_ERR, "key body "
                                "\x1b[2J\x1b]0;owned\x07\x9b"
                                "31m\x7f\t");

    (void)state;
    assert_one_clean_line(out);
    assert_null(strchr(out, '\x1b'));
    assert_string_equal(out, "error: key body \\x1b[2J\\x1b]0;owned\\x07"
                             "\\x9b31m\\x7f\\x09\n");
    free(out);
}

/* A literal "\x0a" in a name must not read as an escaped newline. */
static void
test_backslash_escaped(void **state)
{
    char *out = logged(LOG_ERR, "name a\\x0ab");

    (void)state;
    assert_string_equal(out, "error: name a\\x5cx0ab\n");
    free(out);
}

/* UTF-8 is written byte by byte: no bidi override reaches the reader. */
static void
test_non_ascii_escaped(void **state)
{
    char *out = logged(LOG_ERR, "tag \xe2\x80\xae"
                                "abc");

    (void)state;
    assert_one_clean_line(out);
    assert_string_equal(out, "error: tag \\xe2\\x80\\xaeabc\n");
    free(out);
}

/* A message that is all control bytes, longer than the message buffer:
 * cut, but every escape whole and still one line. */
static void
test_long_message_cut_cleanly(void **state)
{
    char *arg = malloc(5000);
    char *out;
    size_t n;

    (void)state;
    assert_non_null(arg);
    memset(arg, '\n', 4999);
    arg[4999] = '\0';
    out = logged(LOG_ERR, arg);
    assert_one_clean_line(out);
    n = strlen(out) - strlen("error: ") - 1;
    assert_int_equal(n % 4, 0);
    assert_int_equal(n / 4, 1023);
    free(out);
    free(arg);
}

static void
test_priority_filter(void **state)
{
    char *out;

    (void)state;
    /* The default sink keeps LOG_INFO and more urgent. */
    out = logged(LOG_DEBUG, "detail");
    assert_string_equal(out, "");
    free(out);
    out = logged(LOG_INFO, "summary");
    assert_string_equal(out, "info: summary\n");
    free(out);
    out = logged(LOG_NOTICE, "n");
    assert_string_equal(out, "notice: n\n");
    free(out);
}

static void
test_facility_parse(void **state)
{
    int f = -1;

    (void)state;
    assert_int_equal(iam_log_facility_parse("authpriv", &f), 0);
    assert_int_equal(f, LOG_AUTHPRIV);
    assert_int_equal(iam_log_facility_parse("local7", &f), 0);
    assert_int_equal(f, LOG_LOCAL7);
    f = -1;
    assert_int_equal(iam_log_facility_parse("AUTHPRIV", &f), -EINVAL);
    assert_int_equal(iam_log_facility_parse("local8", &f), -EINVAL);
    assert_int_equal(iam_log_facility_parse("", &f), -EINVAL);
    assert_int_equal(f, -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_newline_cannot_forge_a_line),
        cmocka_unit_test(test_escape_sequences_neutralised),
        cmocka_unit_test(test_backslash_escaped),
        cmocka_unit_test(test_non_ascii_escaped),
        cmocka_unit_test(test_long_message_cut_cleanly),
        cmocka_unit_test(test_priority_filter),
        cmocka_unit_test(test_facility_parse),
    };

    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
