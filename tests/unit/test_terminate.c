/*
 * Who loses their running processes when a sync removes users
 * (sync/terminate.c): only users gone from the new snapshot, and only
 * uids that are IAM's alone and nobody's any more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "terminate.h"

#define LO 2000000000u
#define HI 2147483646u

static struct state_key alice_old_key[] = { { "AKEYOLD", 0, "SHA256:a" } };
static struct state_key alice_new_key[] = { { "AKEYNEW", 0, "SHA256:b" } };

/* A user as the states hold them (sorted by name by the caller). */
static struct state_user
user(const char *name, uint32_t uid, struct state_key *keys, size_t n_keys)
{
    struct state_user u;

    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "%s", name);
    u.uid = uid;
    u.keys = keys;
    u.n_keys = n_keys;
    return u;
}

static struct state
state_of(struct state_user *users, size_t n)
{
    struct state s;

    memset(&s, 0, sizeof(s));
    s.exists = true;
    s.users = users;
    s.n_users = n;
    return s;
}

/* The local files hold uid/gid 0, 1000 and LO + 7 (an id inside the IAM
 * range that a local account took). */
static uint32_t local_ids[] = { 0, 1000, LO + 7 };
static const struct iam_name_set local = { .ids = local_ids, .n_ids = 3 };

static struct terminate_rules
rules(void)
{
    struct terminate_rules r;

    memset(&r, 0, sizeof(r));
    r.enabled = true;
    r.uid_min = LO;
    r.uid_max = HI;
    r.local = &local;
    return r;
}

/* Runs the choice and returns how many; names into @names. */
static size_t
choose(struct state_user *old, size_t n_old, struct state_user *new,
       size_t n_new, const struct terminate_rules *r, char names[][40])
{
    struct state a = state_of(old, n_old), b = state_of(new, n_new);
    struct terminate_list l;
    size_t i, n;

    assert_int_equal(terminate_choose(&a, &b, r, &l), 0);
    for (i = 0; i < l.n && names; i++)
        snprintf(names[i], 40, "%s:%u", l.v[i].name, l.v[i].uid);
    n = l.n;
    terminate_list_free(&l);
    return n;
}

static void
test_removed_user_chosen(void **state)
{
    struct state_user old[] = { user("alice", LO + 1, NULL, 0),
                                user("bob", LO + 2, NULL, 0) };
    struct state_user new[] = { user("alice", LO + 1, NULL, 0) };
    struct terminate_rules r = rules();
    char names[2][40];

    (void)state;
    assert_int_equal(choose(old, 2, new, 1, &r, names), 1);
    assert_string_equal(names[0], "bob:2000000002");
}

static void
test_rotated_key_keeps(void **state)
{
    struct state_user old[] = { user("alice", LO + 1, alice_old_key, 1) };
    struct state_user new[] = { user("alice", LO + 1, alice_new_key, 1) };
    struct terminate_rules r = rules();

    (void)state;
    assert_int_equal(choose(old, 1, new, 1, &r, NULL), 0);
}

static void
test_lost_all_keys_keeps(void **state)
{
    struct state_user old[] = { user("alice", LO + 1, alice_old_key, 1) };
    struct state_user new[] = { user("alice", LO + 1, NULL, 0) };
    struct terminate_rules r = rules();

    (void)state;
    assert_int_equal(choose(old, 1, new, 1, &r, NULL), 0);
}

/* Renamed in IAM: the old name is gone, its uid is still served. */
static void
test_uid_still_served_never(void **state)
{
    struct state_user old[] = { user("carol", LO + 3, NULL, 0) };
    struct state_user new[] = { user("carol2", LO + 3, NULL, 0) };
    struct terminate_rules r = rules();

    (void)state;
    assert_int_equal(choose(old, 1, new, 1, &r, NULL), 0);
}

static void
test_local_uid_never(void **state)
{
    struct state_user old[] = { user("dave", LO + 7, NULL, 0) };
    struct terminate_rules r = rules();

    (void)state;
    assert_int_equal(choose(old, 1, NULL, 0, &r, NULL), 0);
    /* The same user on an id no local line holds is chosen. */
    old[0].uid = LO + 8;
    assert_int_equal(choose(old, 1, NULL, 0, &r, NULL), 1);
}

static void
test_uid_zero_never(void **state)
{
    struct state_user old[] = { user("eve", 0, NULL, 0) };
    struct terminate_rules r = rules();
    static const struct iam_name_set nobody_local = { 0 };

    (void)state;
    /* Even with a range from 0 and no local files to say so. */
    r.uid_min = 0;
    r.local = &nobody_local;
    assert_int_equal(choose(old, 1, NULL, 0, &r, NULL), 0);
}

static void
test_out_of_range_never(void **state)
{
    struct state_user old[] = { user("frank", LO - 1, NULL, 0),
                                user("gina", 1001, NULL, 0),
                                user("hank", HI + 1, NULL, 0),
                                user("ivy", LO, NULL, 0),
                                user("jack", HI, NULL, 0) };
    struct terminate_rules r = rules();
    char names[5][40];

    (void)state;
    /* The range's ends are IAM's, one past either end is not. */
    assert_int_equal(choose(old, 5, NULL, 0, &r, names), 2);
    assert_string_equal(names[0], "ivy:2000000000");
    assert_string_equal(names[1], "jack:2147483646");
}

static void
test_refused_run_chooses_none(void **state)
{
    struct state_user old[] = { user("alice", LO + 1, NULL, 0),
                                user("bob", LO + 2, NULL, 0) };
    struct terminate_rules r = rules();

    (void)state;
    r.refused = true;
    assert_int_equal(choose(old, 2, NULL, 0, &r, NULL), 0);
}

static void
test_disabled_chooses_none(void **state)
{
    struct state_user old[] = { user("alice", LO + 1, NULL, 0) };
    struct terminate_rules r = rules();

    (void)state;
    r.enabled = false;
    assert_int_equal(choose(old, 1, NULL, 0, &r, NULL), 0);
}

/* No snapshot before (a first sync), or an unusable one: nobody. */
static void
test_no_previous_snapshot(void **state)
{
    struct state_user new[] = { user("alice", LO + 1, NULL, 0) };
    struct terminate_rules r = rules();

    (void)state;
    assert_int_equal(choose(NULL, 0, new, 1, &r, NULL), 0);
}

static void
test_several_removed(void **state)
{
    struct state_user old[] = { user("a", LO + 10, NULL, 0),
                                user("b", LO + 11, NULL, 0),
                                user("c", LO + 12, NULL, 0),
                                user("d", LO + 13, NULL, 0) };
    struct state_user new[] = { user("b", LO + 11, NULL, 0),
                                user("e", LO + 13, NULL, 0) };
    struct terminate_rules r = rules();
    char names[4][40];

    (void)state;
    /* d's uid went to e: d is left alone. */
    assert_int_equal(choose(old, 4, new, 2, &r, names), 2);
    assert_string_equal(names[0], "a:2000000010");
    assert_string_equal(names[1], "c:2000000012");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_removed_user_chosen),
        cmocka_unit_test(test_rotated_key_keeps),
        cmocka_unit_test(test_lost_all_keys_keeps),
        cmocka_unit_test(test_uid_still_served_never),
        cmocka_unit_test(test_local_uid_never),
        cmocka_unit_test(test_uid_zero_never),
        cmocka_unit_test(test_out_of_range_never),
        cmocka_unit_test(test_refused_run_chooses_none),
        cmocka_unit_test(test_disabled_chooses_none),
        cmocka_unit_test(test_no_previous_snapshot),
        cmocka_unit_test(test_several_removed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
