/*
 * Unit tests for lib/iam_shellword.c: one KEY=value line as bash would
 * read it, or an error saying why not.
 *
 * Error cases compare the whole message. The file name and line in front
 * of it are iam_config's, tested in test_config.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iam_shellword.h"

#define LINE_MAX_TEST 256

/* Splits a copy of @text; @line keeps what the pointers point into. */
static int
split(const char *text, char *line, char **key, char **val, char *why,
      size_t whylen)
{
    size_t n = strlen(text);

    assert_true(n < LINE_MAX_TEST);
    memcpy(line, text, n + 1);
    return iam_shellword_line(line, n, key, val, why, whylen);
}

/* Every quoting form aws-ec2-ssh's files use, and what bash makes of it. */
static void
test_quoting_forms(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        { "SHELL=\"/bin/zsh\"", "/bin/zsh" },
        { "SHELL='/bin/zsh'", "/bin/zsh" },
        { "SHELL=/bin/zsh", "/bin/zsh" },
        { "export SHELL=\"/bin/zsh\"", "/bin/zsh" },
        { "export\tSHELL=/bin/zsh", "/bin/zsh" },
        { "   \tSHELL=\"/bin/zsh\"", "/bin/zsh" },
        { "SHELL=\"/bin/zsh\"   ", "/bin/zsh" },
        { "SHELL=\"/bin/zsh\" # the Z shell", "/bin/zsh" },
        { "SHELL=\"/bin/zsh\"\t#tab", "/bin/zsh" },
        { "SHELL='/bin/zsh' # single", "/bin/zsh" },
        { "SHELL=/bin/zsh # bare", "/bin/zsh" },
        /* '#' inside a word is not a comment, to bash either */
        { "SHELL=/bin/z#sh", "/bin/z#sh" },
        { "SHELL=\"/bin/z#sh\"", "/bin/z#sh" },
        /* single quotes: everything literal, as in bash */
        { "SHELL='/opt/$HOME/`x`/\\n'", "/opt/$HOME/`x`/\\n" },
        { "SHELL=\"/bin/it's\"", "/bin/it's" },
        { "SHELL='/bin/say \"hi\"'", "/bin/say \"hi\"" },
        { "SHELL=\"/opt/my shell\"", "/opt/my shell" },
        { "SHELL=\"\"", "" },
        { "SHELL=", "" },
    };
    char line[LINE_MAX_TEST];
    char why[LINE_MAX_TEST + 128];
    char *key;
    char *val;
    size_t i;
    int r;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = split(cases[i].text, line, &key, &val, why, sizeof(why));
        if (r != 1) {
            print_error("case %zu [%s]: %d %s\n", i, cases[i].text, r, why);
            fail();
        }
        assert_string_equal(key, "SHELL");
        assert_string_equal(val, cases[i].want);
    }
}

/* Blank and comment lines are no assignment, and no error. */
static void
test_blank_and_comment(void **state)
{
    static const char *const cases[] = {
        "", "   ", "\t", "# x", "  # SHELL=\"$(id)\"", "#",
    };
    char line[LINE_MAX_TEST];
    char why[8] = "unset";
    char *key;
    char *val;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(split(cases[i], line, &key, &val, why, sizeof(why)),
                         0);
        assert_null(key);
        assert_null(val);
        assert_string_equal(why, "unset");
    }
}

/* ---- refused lines: every case checks the exact message ---- */

static const struct {
    const char *text;
    const char *want;
} bad_cases[] = {
    /* malformed lines */
    { "UID_MIN", "missing '=' after UID_MIN" },
    { "UID_MIN 1000", "missing '=' after UID_MIN" },
    { "UID_MIN = 1000", "UID_MIN: no spaces allowed around '='" },
    { "UID_MIN\t=1000", "UID_MIN: no spaces allowed around '='" },
    { "UID_MIN= 1000",
      "UID_MIN: unexpected text after the value (quote a value "
      "that contains spaces)" },
    { "SHELL=/opt/my shell",
      "SHELL: unexpected text after the value (quote a value "
      "that contains spaces)" },
    { "SHELL=\"/bin/bash\" x",
      "SHELL: unexpected text after the value (quote a value "
      "that contains spaces)" },
    { "=1", "expected KEY=value" },
    { "1KEY=1", "expected KEY=value" },
    { "\"SHELL\"=/bin/sh", "expected KEY=value" },
    { "UID-MIN=1", "invalid character '-' in key name UID" },
    { "SHELL\xc3\xa9=1", "byte 0xc3 in key name SHELL" },
    { "export  ", "\"export\" without KEY=value" },
    { "export # x", "\"export\" without KEY=value" },
    { "SHELL=\"/bin/bash", "SHELL: unterminated double quote" },
    { "SHELL=\"/bin/bash\"x",
      "SHELL: unexpected text right after the closing quote" },
    { "SHELL=\"/bin/bash\"#c",
      "SHELL: unexpected text right after the closing quote" },
    { "SHELL=\"/bin/\"'bash'",
      "SHELL: unexpected text right after the closing quote" },
    { "SHELL='/bin/bash'\"\"",
      "SHELL: unexpected text right after the closing quote" },
    { "SHELL=/bin/ba\"sh\"",
      "SHELL: quote inside an unquoted value; quote the whole "
      "value" },
    { "SHELL=/bin/it's",
      "SHELL: quote inside an unquoted value; quote the whole "
      "value" },
    /* shell expansion */
    { "SHELL=\"$(id)\"", "SHELL: command substitution is not supported; put a "
                         "literal $ or ` in single quotes" },
    { "SHELL=$(id)", "SHELL: command substitution is not supported; put a "
                     "literal $ or ` in single quotes" },
    { "SHELL=\"/bin/`id`\"",
      "SHELL: command substitution is not supported; put a "
      "literal $ or ` in single quotes" },
    { "SHELL=/bin/`id`", "SHELL: command substitution is not supported; put a "
                         "literal $ or ` in single quotes" },
    { "IAM_AUTHORIZED_GROUPS=\"$GROUPS\"",
      "IAM_AUTHORIZED_GROUPS: variable expansion ($) is not "
      "supported; put a literal $ in single quotes" },
    { "SHELL=${X}/sh", "SHELL: variable expansion ($) is not supported; put a "
                       "literal $ in single quotes" },
    { "SHELL=\"/bin/sh$\"",
      "SHELL: variable expansion ($) is not supported; put a "
      "literal $ in single quotes" },
    { "SHELL=\"/bin/\\bash\"",
      "SHELL: backslash escapes are not supported; put a literal "
      "\\ in single quotes" },
    { "SHELL=/bin/\\bash",
      "SHELL: backslash escapes are not supported; put a literal "
      "\\ in single quotes" },
    { "SHELL=/bin/bash;id",
      "SHELL: shell character ';' in an unquoted value; quote the "
      "value" },
    { "SHELL=/bin/bash&&id",
      "SHELL: shell character '&' in an unquoted value; quote the "
      "value" },
    { "HOME_DIR=~/%u",
      "HOME_DIR: shell character '~' in an unquoted value; quote "
      "the value" },
    { "SHELL=\"/bin/\tbash\"", "SHELL: tab inside the value" },
    /* bytes */
    { "SHELL=/bin/bash\x01", "control character 0x01 in the line" },
    { "#\x1b[31m", "control character 0x1b in the line" },
    { "SHELL=\r/bin/bash", "control character 0x0d in the line" },
};

static void
test_refused(void **state)
{
    char line[LINE_MAX_TEST];
    char why[LINE_MAX_TEST + 128];
    char *key;
    char *val;
    size_t i;
    int r;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        r = split(bad_cases[i].text, line, &key, &val, why, sizeof(why));
        if (r != -EINVAL || strcmp(why, bad_cases[i].want) != 0) {
            print_error("case %zu [%s]\n got  %d [%s]\n want %d [%s]\n", i,
                        bad_cases[i].text, r, why, -EINVAL, bad_cases[i].want);
            fail();
        }
        assert_null(key);
        assert_null(val);
    }
}

/* A NUL byte among @len bytes is refused, though C would stop there. */
static void
test_nul_byte(void **state)
{
    char line[] = "SHELL=/bin/bash\0x";
    char why[64];
    char *key;
    char *val;

    (void)state;
    assert_int_equal(iam_shellword_line(line, sizeof(line) - 1, &key, &val, why,
                                        sizeof(why)),
                     -EINVAL);
    assert_string_equal(why, "NUL byte in the line");
}

/* A short @why gets the start of the message, terminated; none at all
 * is allowed. */
static void
test_why_sizes(void **state)
{
    char line[LINE_MAX_TEST];
    char why[8];
    char *key;
    char *val;

    (void)state;
    assert_int_equal(split("SHELL=\"x", line, &key, &val, why, sizeof(why)),
                     -EINVAL);
    assert_string_equal(why, "SHELL: ");
    assert_int_equal(split("SHELL=\"x", line, &key, &val, NULL, 0), -EINVAL);
}

/* The longest message fits IAM_SHELLWORD_WHY_MAX(len) whole: the key
 * fills the line. */
static void
test_why_max(void **state)
{
    char line[LINE_MAX_TEST];
    char text[LINE_MAX_TEST];
    char why[IAM_SHELLWORD_WHY_MAX(LINE_MAX_TEST - 1)];
    char want[LINE_MAX_TEST + 128];
    char *key;
    char *val;
    size_t k = LINE_MAX_TEST - 5;

    (void)state;
    memset(text, 'K', k);
    memcpy(text + k, "=$(x", 5);
    snprintf(want, sizeof(want),
             "%.*s: command substitution is not supported; put a literal $ "
             "or ` in single quotes",
             (int)k, text);
    assert_int_equal(split(text, line, &key, &val, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting_forms),
        cmocka_unit_test(test_blank_and_comment),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_why_sizes),
        cmocka_unit_test(test_why_max),
    };

    return cmocka_run_group_tests_name("shellword", tests, NULL, NULL);
}
