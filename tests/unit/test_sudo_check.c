/*
 * sudo's group_source as sudo.conf(5) sets it: whether a user removed
 * from SUDOERS_GROUPS loses sudo in the sessions already open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sudo_check.h"

static struct sudo_check
read_text(const char *text)
{
    struct sudo_check c;
    FILE *f = fmemopen((void *)text, strlen(text), "r");

    assert_non_null(f);
    assert_int_equal(sudo_check_read(f, &c), 0);
    fclose(f);
    return c;
}

static void
expect(const char *text, bool dynamic, const char *value, unsigned line)
{
    struct sudo_check c = read_text(text);

    assert_int_equal(c.dynamic, dynamic);
    assert_string_equal(c.value, value);
    assert_int_equal(c.line, line);
}

static void
test_default_is_adaptive(void **state)
{
    struct sudo_check c;

    (void)state;
    assert_int_equal(sudo_check_read(NULL, &c), 0);
    assert_false(c.dynamic);
    assert_string_equal(c.value, "adaptive");
    assert_int_equal(c.line, 0);
    expect("", false, "adaptive", 0);
    expect("# Set group_source dynamic\n", false, "adaptive", 0);
    expect("Set disable_coredump false\n", false, "adaptive", 0);
}

static void
test_dynamic(void **state)
{
    (void)state;
    expect("Set group_source dynamic\n", true, "dynamic", 1);
    expect("# x\n  set\tgroup_source   DYNAMIC  # ours\r\n", true, "dynamic",
           2);
    /* What the packages append after a file without a final newline. */
    expect("Path askpass /usr/bin/x\n\n# Added by nss-iam\n"
           "Set group_source dynamic\n",
           true, "dynamic", 4);
}

static void
test_last_line_wins(void **state)
{
    (void)state;
    expect("Set group_source dynamic\nSet group_source static\n", false,
           "static", 2);
    expect("Set group_source static\nSet group_source dynamic\n", true,
           "dynamic", 2);
}

static void
test_not_group_source(void **state)
{
    (void)state;
    /* The name is matched exactly, the keyword needs a blank after it. */
    expect("Set Group_Source dynamic\n", false, "adaptive", 0);
    expect("Setgroup_source dynamic\n", false, "adaptive", 0);
    expect("Set group_sourcex dynamic\n", false, "adaptive", 0);
    expect("Set group_source\n", false, "adaptive", 0);
    expect("Set group_source # dynamic\n", false, "adaptive", 0);
    /* A value longer than any sudo knows is never taken for dynamic. */
    expect("Set group_source dynamicdynamicdynamic\n", false, "dynamicdynamicd",
           1);
    /* Only letters are kept: the value goes into JSON as it is. */
    expect("Set group_source dyn\"amic\n", false, "dyn", 1);
    expect("Set group_source dynamic\\\n", false, "dynamic", 1);
}

static void
test_root(void **state)
{
    char root[] = "/tmp/sudo-check-XXXXXX", path[128];
    struct sudo_check c;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(root));
    assert_int_equal(sudo_check(root, &c), 0);
    assert_string_equal(c.value, "adaptive");
    snprintf(path, sizeof(path), "%s/etc", root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/etc/sudo.conf", root);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("Set group_source dynamic\n", f);
    fclose(f);
    assert_int_equal(sudo_check(root, &c), 0);
    assert_true(c.dynamic);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/etc", root);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(root), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_adaptive),
        cmocka_unit_test(test_dynamic),
        cmocka_unit_test(test_last_line_wins),
        cmocka_unit_test(test_not_group_source),
        cmocka_unit_test(test_root),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
