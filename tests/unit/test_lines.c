/* iam_lines: every line once, numbered, of any length; NUL lines skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iam_lines.h"

struct seen {
    char text[8192];
    size_t last_lineno;
    int stop_at;
};

static int
collect(void *arg, char *line, size_t lineno)
{
    struct seen *s = arg;
    size_t n = strlen(s->text);

    snprintf(s->text + n, sizeof(s->text) - n, "%zu:%.20s|", lineno, line);
    s->last_lineno = lineno;
    return s->stop_at && (size_t)s->stop_at == lineno ? 7 : 0;
}

static int
read_buf(const char *buf, size_t len, struct seen *s, size_t *nul)
{
    FILE *f = fmemopen((void *)buf, len, "r");
    int r;

    assert_non_null(f);
    r = iam_lines_read(f, collect, s, nul);
    fclose(f);
    return r;
}

static void
test_lines(void **state)
{
    static const char buf[] = "a\nbb\n\nlast";
    struct seen s = { "", 0, 0 };
    size_t nul = 9;

    (void)state;
    assert_int_equal(read_buf(buf, sizeof(buf) - 1, &s, &nul), 0);
    assert_string_equal(s.text, "1:a|2:bb|3:|4:last|");
    assert_int_equal(nul, 0);
}

static void
test_nul_line_skipped_and_counted(void **state)
{
    static const char buf[] = "a\nb\0c\nd\n";
    struct seen s = { "", 0, 0 };
    size_t nul = 0;

    (void)state;
    assert_int_equal(read_buf(buf, sizeof(buf) - 1, &s, &nul), 0);
    assert_string_equal(s.text, "1:a|3:d|");
    assert_int_equal(nul, 1);
}

static void
test_long_line_is_one_line(void **state)
{
    static char buf[20000];
    struct seen s = { "", 0, 0 };

    (void)state;
    memset(buf, 'x', sizeof(buf) - 3);
    memcpy(buf + sizeof(buf) - 3, "\ny", 2);
    assert_int_equal(read_buf(buf, sizeof(buf) - 1, &s, NULL), 0);
    assert_int_equal(s.last_lineno, 2);
}

static void
test_callback_stops(void **state)
{
    static const char buf[] = "a\nb\nc\n";
    struct seen s = { "", 0, 2 };

    (void)state;
    assert_int_equal(read_buf(buf, sizeof(buf) - 1, &s, NULL), 7);
    assert_string_equal(s.text, "1:a|2:b|");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_nul_line_skipped_and_counted),
        cmocka_unit_test(test_long_line_is_one_line),
        cmocka_unit_test(test_callback_stops),
    };
    return cmocka_run_group_tests_name("lines", tests, NULL, NULL);
}
