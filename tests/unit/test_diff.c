/*
 * The MAX_REMOVE_PERCENT rule at its edges: exactly the percentage is
 * allowed, one user more is refused; 0 refuses any removal, 100 none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "diff.h"

static void
test_boundary(void **state)
{
    (void)state;
    /* 50% of 10 users: 5 may go, 6 may not. */
    assert_false(diff_too_many_removed(5, 10, 50));
    assert_true(diff_too_many_removed(6, 10, 50));
    /* 50% of 9 users is 4.5: 4 may go, 5 may not. */
    assert_false(diff_too_many_removed(4, 9, 50));
    assert_true(diff_too_many_removed(5, 9, 50));
    /* 1% of 5000: 50 may go, 51 may not. */
    assert_false(diff_too_many_removed(50, 5000, 1));
    assert_true(diff_too_many_removed(51, 5000, 1));
}

static void
test_zero_and_hundred(void **state)
{
    (void)state;
    assert_false(diff_too_many_removed(0, 10, 0));
    assert_true(diff_too_many_removed(1, 10, 0));
    assert_true(diff_too_many_removed(1, 5000, 0));
    assert_false(diff_too_many_removed(10, 10, 100));
    assert_false(diff_too_many_removed(5000, 5000, 100));
}

static void
test_no_users_before(void **state)
{
    (void)state;
    /* Nobody to remove: never refused, whatever the percentage. */
    assert_false(diff_too_many_removed(0, 0, 0));
    assert_false(diff_too_many_removed(0, 0, 50));
}

static void
test_large_counts(void **state)
{
    (void)state;
    /* No wrap-around in the products. */
    assert_false(diff_too_many_removed(UINT32_MAX / 2, UINT32_MAX, 50));
    assert_true(diff_too_many_removed(UINT32_MAX / 2 + 1, UINT32_MAX, 50));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_zero_and_hundred),
        cmocka_unit_test(test_no_users_before),
        cmocka_unit_test(test_large_counts),
    };
    return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
