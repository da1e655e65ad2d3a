/*
 * Unit tests for lib/iam_id.c: the uid/gid hash and the collision-aware
 * placement. Every expected id below was computed independently with
 * python3's hashlib (see docs/uid-examples.md for the one-liners), not
 * with this code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "iam_id.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define MIN IAM_ID_DEFAULT_MIN
#define MAX IAM_ID_DEFAULT_MAX

static uint32_t
hash(const char *prefix, const char *key, unsigned n, uint32_t min,
     uint32_t max)
{
    uint32_t id = 1;

    assert_int_equal(iam_id_hash(prefix, key, n, min, max, &id), 0);
    return id;
}

/* The worked examples of docs/uid-examples.md. */
static void
test_readme_examples(void **state)
{
    (void)state;
    assert_int_equal(hash("uid:", "AIDACKCEVSQ6C2EXAMPLE", 0, MIN, MAX),
                     2092916082u);
    assert_int_equal(hash("uid:", "AIDAJQABLZS4A3QDU576Q", 0, MIN, MAX),
                     2113918184u);
    assert_int_equal(hash("gid:", "AGPACKCEVSQ6C2EXAMPLE", 0, MIN, MAX),
                     2106335975u);
    /* Second try of a user whose first id was taken. */
    assert_int_equal(hash("uid:", "AIDACKCEVSQ6C2EXAMPLE", 1, MIN, MAX),
                     2090348005u);
    assert_int_equal(hash("uid:", "AIDAJQABLZS4A3QDU576Q", 1, MIN, MAX),
                     2029962076u);
    /* A synthesized group is hashed by its name. */
    assert_int_equal(hash("gid:", "iam-sudo", 0, MIN, MAX), 2106229339u);
    assert_int_equal(hash("gid:", "iam-users", 0, MIN, MAX), 2015322112u);
}

static void
test_hash_tiny_ranges(void **state)
{
    (void)state;
    /* Tries of AIDATINY1 in [100, 101]: 100, 100, 101, 101, 100, 101. */
    assert_int_equal(hash("uid:", "AIDATINY1", 0, 100, 101), 100);
    assert_int_equal(hash("uid:", "AIDATINY1", 1, 100, 101), 100);
    assert_int_equal(hash("uid:", "AIDATINY1", 2, 100, 101), 101);
    assert_int_equal(hash("uid:", "AIDATINY1", 5, 100, 101), 101);
    /* A one-id range has one answer. */
    assert_int_equal(hash("uid:", "anything", 7, 4242, 4242), 4242);
    /* The widest range allowed. */
    assert_true(hash("uid:", "AIDACKCEVSQ6C2EXAMPLE", 0, 1, UINT32_MAX - 1) >=
                1);
}

static void
test_hash_bad_arguments(void **state)
{
    uint32_t id = 77;

    (void)state;
    assert_int_equal(iam_id_hash(NULL, "k", 0, MIN, MAX, &id), -EINVAL);
    assert_int_equal(id, 0);
    id = 77;
    assert_int_equal(iam_id_hash("uid:", NULL, 0, MIN, MAX, &id), -EINVAL);
    assert_int_equal(id, 0);
    assert_int_equal(iam_id_hash("uid:", "k", 0, MIN, MAX, NULL), -EINVAL);
    /* uid 0 is root, 4294967295 is (uid_t)-1, and min must not pass max. */
    assert_int_equal(iam_id_hash("uid:", "k", 0, 0, MAX, &id), -EINVAL);
    assert_int_equal(iam_id_hash("uid:", "k", 0, MIN, UINT32_MAX, &id),
                     -EINVAL);
    assert_int_equal(iam_id_hash("uid:", "k", 0, 200, 100, &id), -EINVAL);
}

static void
test_taken_init(void **state)
{
    struct iam_id_taken t;

    (void)state;
    memset(&t, 0xff, sizeof(t));
    assert_int_equal(iam_id_taken_init(0, 10, 1, &t), -EINVAL);
    assert_null(t.cells);
    assert_int_equal(iam_id_taken_init(10, UINT32_MAX, 1, &t), -EINVAL);
    assert_int_equal(iam_id_taken_init(11, 10, 1, &t), -EINVAL);
    assert_int_equal(iam_id_taken_init(1, 10, 1, NULL), -EINVAL);
    assert_int_equal(iam_id_taken_init(1, 10, SIZE_MAX, &t), -ENOMEM);
    assert_int_equal(iam_id_taken_init(MIN, MAX, 100000, &t), 0);
    assert_int_equal(t.count, 0);
    assert_true(t.cap >= 200000);
    assert_false(iam_id_taken_has(&t, MIN));
    assert_false(iam_id_taken_has(&t, 0));
    assert_false(iam_id_taken_has(NULL, MIN));
    iam_id_taken_free(&t);
    assert_null(t.cells);
    iam_id_taken_free(&t);
    iam_id_taken_free(NULL);
}

static void
slot(struct iam_id_slot *s, const char *key, int64_t date)
{
    memset(s, 0, sizeof(*s));
    s->key = key;
    s->create_date = date;
    s->id = 12345;
    s->collisions = 99;
}

static const struct iam_id_slot *
find(const struct iam_id_slot *v, size_t n, const char *key)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(v[i].key, key) == 0)
            return &v[i];
    }
    fail_msg("no slot %s", key);
    return NULL;
}

/*
 * AIDATINY1 and AIDATINY2 both hash to 100 in [100, 101]. The one created
 * first keeps 100; the other rehashes. AIDATINY2 is older here, so sorting
 * by UserId alone would give the opposite answer.
 */
static void
test_collision_created_order(void **state)
{
    struct iam_id_slot v[2];
    struct iam_id_taken t;
    int round;

    (void)state;
    for (round = 0; round < 2; round++) {
        /* Same users, both input orders: same result. */
        slot(&v[round], "AIDATINY1", 2000);
        slot(&v[1 - round], "AIDATINY2", 1000);
        assert_int_equal(iam_id_taken_init(100, 101, 2, &t), 0);
        assert_int_equal(iam_id_place("uid:", v, 2, IAM_ID_ORDER_CREATED, &t),
                         0);
        assert_int_equal(find(v, 2, "AIDATINY2")->id, 100);
        assert_int_equal(find(v, 2, "AIDATINY2")->collisions, 0);
        /* Tries 0 and 1 give 100 (taken), try 2 gives 101. */
        assert_int_equal(find(v, 2, "AIDATINY1")->id, 101);
        assert_int_equal(find(v, 2, "AIDATINY1")->collisions, 2);
        assert_int_equal(t.count, 2);
        assert_true(iam_id_taken_has(&t, 100));
        assert_true(iam_id_taken_has(&t, 101));
        iam_id_taken_free(&t);
    }
}

/* Same CreateDate: UserId decides (strcmp), whatever the input order. */
static void
test_collision_same_date(void **state)
{
    struct iam_id_slot v[2];
    struct iam_id_taken t;
    int round;

    (void)state;
    for (round = 0; round < 2; round++) {
        slot(&v[round], "AIDATINY2", 1000);
        slot(&v[1 - round], "AIDATINY1", 1000);
        assert_int_equal(iam_id_taken_init(100, 101, 2, &t), 0);
        assert_int_equal(iam_id_place("uid:", v, 2, IAM_ID_ORDER_CREATED, &t),
                         0);
        assert_int_equal(find(v, 2, "AIDATINY1")->id, 100);
        assert_int_equal(find(v, 2, "AIDATINY1")->collisions, 0);
        assert_int_equal(find(v, 2, "AIDATINY2")->id, 101);
        assert_int_equal(find(v, 2, "AIDATINY2")->collisions, 1);
        iam_id_taken_free(&t);
    }
}

static void
test_range_full(void **state)
{
    struct iam_id_slot v[3];
    struct iam_id_taken t;

    (void)state;
    slot(&v[0], "AIDATINY1", 1000);
    slot(&v[1], "AIDATINY2", 2000);
    slot(&v[2], "AIDATINY3", 3000);
    assert_int_equal(iam_id_taken_init(100, 101, 3, &t), 0);
    assert_int_equal(iam_id_place("uid:", v, 3, IAM_ID_ORDER_CREATED, &t),
                     -ENOSPC);
    /* Refused before anything was placed. */
    assert_int_equal(t.count, 0);
    assert_int_equal(v[0].id, 0);
    assert_int_equal(v[0].collisions, 0);
    assert_int_equal(v[2].id, 0);

    /* Two fit; then no group fits. */
    assert_int_equal(iam_id_place("uid:", v, 2, IAM_ID_ORDER_CREATED, &t), 0);
    slot(&v[2], "AGPATINY1", 0);
    assert_int_equal(iam_id_place("gid:", &v[2], 1, IAM_ID_ORDER_CREATED, &t),
                     -ENOSPC);
    assert_int_equal(v[2].id, 0);
    assert_int_equal(t.count, 2);
    iam_id_taken_free(&t);
}

/*
 * The three passes in [100, 105]: users, IAM groups by CreateDate, then
 * synthesized groups in the order given.
 */
static void
place_groups(const char *first, const char *second, struct iam_id_slot *s,
             struct iam_id_taken *t)
{
    struct iam_id_slot u[2];
    struct iam_id_slot g[2];

    slot(&u[0], "AIDATINY1", 2000);
    slot(&u[1], "AIDATINY2", 1000);
    assert_int_equal(iam_id_taken_init(100, 105, 6, t), 0);
    assert_int_equal(iam_id_place("uid:", u, 2, IAM_ID_ORDER_CREATED, t), 0);
    assert_int_equal(u[1].id, 100);
    assert_int_equal(u[1].collisions, 0);
    assert_int_equal(u[0].id, 104);
    assert_int_equal(u[0].collisions, 0);

    slot(&g[0], "AGPATINY1", 1700000000);
    slot(&g[1], "AGPATINY2", 1600000000);
    assert_int_equal(iam_id_place("gid:", g, 2, IAM_ID_ORDER_CREATED, t), 0);
    assert_int_equal(g[1].id, 103);
    assert_int_equal(g[1].collisions, 0);
    /* AGPATINY1 tries 100 (AIDATINY2's uid, so its private gid), 100,
     * then 105: a group never takes a user's id. */
    assert_int_equal(g[0].id, 105);
    assert_int_equal(g[0].collisions, 2);

    slot(&s[0], first, 0);
    slot(&s[1], second, 0);
    assert_int_equal(iam_id_place("gid:", s, 2, IAM_ID_ORDER_GIVEN, t), 0);
}

static void
test_groups_after_users(void **state)
{
    struct iam_id_slot s[2];
    struct iam_id_slot extra;
    struct iam_id_taken t;
    uint32_t id;

    (void)state;
    place_groups("members-x", "sudo-x", s, &t);
    /* members-x tries 105 105 104 103 101; sudo-x tries 101 105 104 102. */
    assert_int_equal(s[0].id, 101);
    assert_int_equal(s[0].collisions, 4);
    assert_int_equal(s[1].id, 102);
    assert_int_equal(s[1].collisions, 3);
    assert_int_equal(t.count, 6);
    for (id = 100; id <= 105; id++)
        assert_true(iam_id_taken_has(&t, id));
    slot(&extra, "iam-sudo", 0);
    assert_int_equal(iam_id_place("gid:", &extra, 1, IAM_ID_ORDER_GIVEN, &t),
                     -ENOSPC);
    iam_id_taken_free(&t);

    /* The given order is the placement order. */
    place_groups("sudo-x", "members-x", s, &t);
    assert_int_equal(s[0].id, 101);
    assert_int_equal(s[0].collisions, 0);
    assert_int_equal(s[1].id, 102);
    assert_int_equal(s[1].collisions, 5);
    iam_id_taken_free(&t);
}

/* Filling a range completely: every id used exactly once. */
static void
test_fill_whole_range(void **state)
{
    enum { N = 1000 };
    static char keys[N][24];
    struct iam_id_slot *v;
    struct iam_id_slot extra;
    struct iam_id_taken t;
    char *seen;
    size_t i;

    (void)state;
    v = calloc(N, sizeof(*v));
    seen = calloc(N, 1);
    assert_non_null(v);
    assert_non_null(seen);
    for (i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "AIDAFILL%05zu", i);
        slot(&v[i], keys[i], (int64_t)(i % 7));
    }
    /* A table sized for nothing must grow. */
    assert_int_equal(iam_id_taken_init(5000, 5000 + N - 1, 0, &t), 0);
    assert_int_equal(iam_id_place("uid:", v, N, IAM_ID_ORDER_CREATED, &t), 0);
    for (i = 0; i < N; i++) {
        assert_in_range(v[i].id, 5000, 5000 + N - 1);
        assert_int_equal(seen[v[i].id - 5000], 0);
        seen[v[i].id - 5000] = 1;
    }
    assert_int_equal(t.count, N);
    slot(&extra, "AIDAONEMORE", 0);
    assert_int_equal(iam_id_place("uid:", &extra, 1, IAM_ID_ORDER_CREATED, &t),
                     -ENOSPC);
    iam_id_taken_free(&t);
    free(seen);
    free(v);
}

static void
test_place_bad_arguments(void **state)
{
    struct iam_id_slot v[2];
    struct iam_id_taken t;
    struct iam_id_taken empty;

    (void)state;
    memset(&empty, 0, sizeof(empty));
    assert_int_equal(iam_id_taken_init(100, 200, 2, &t), 0);
    slot(&v[0], "AIDAOK", 1);
    slot(&v[1], NULL, 1);
    assert_int_equal(iam_id_place("uid:", v, 2, IAM_ID_ORDER_CREATED, &t),
                     -EINVAL);
    assert_int_equal(t.count, 0);
    assert_int_equal(iam_id_place(NULL, v, 1, IAM_ID_ORDER_CREATED, &t),
                     -EINVAL);
    assert_int_equal(iam_id_place("uid:", NULL, 1, IAM_ID_ORDER_CREATED, &t),
                     -EINVAL);
    assert_int_equal(iam_id_place("uid:", v, 1, IAM_ID_ORDER_CREATED, NULL),
                     -EINVAL);
    assert_int_equal(iam_id_place("uid:", v, 1, IAM_ID_ORDER_CREATED, &empty),
                     -EINVAL);
    assert_int_equal(iam_id_place("uid:", NULL, 0, IAM_ID_ORDER_CREATED, &t),
                     0);
    assert_int_equal(iam_id_place("uid:", v, 1, IAM_ID_ORDER_CREATED, &t), 0);
    assert_int_equal(t.count, 1);
    iam_id_taken_free(&t);
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * 100k users in the default range, fed in a shuffled order. The sums and
 * the rehashed users were computed with a python3 reference placement.
 */
/* An IAM user id, in an array of them. */
typedef char key24[24];

static void
test_100k_users(void **state)
{
    enum { N = 100000 };
    struct iam_id_slot *v;
    struct iam_id_slot tmp;
    struct iam_id_taken t;
    key24 *keys;
    uint64_t sum = 0;
    uint64_t state64 = 42;
    unsigned collisions = 0;
    unsigned collided = 0;
    double t0;
    double elapsed;
    size_t i;
    size_t j;

    (void)state;
    v = calloc(N, sizeof(*v));
    keys = calloc(N, sizeof(*keys));
    assert_non_null(v);
    assert_non_null(keys);
    for (i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "AIDA%017zu", i);
        slot(&v[i], keys[i], 1500000000 + (int64_t)((i * 7919) % 100000));
    }
    for (i = N - 1; i > 0; i--) {
        state64 = state64 * 6364136223846793005ull + 1442695040888963407ull;
        j = (size_t)(state64 >> 33) % (i + 1);
        tmp = v[i];
        v[i] = v[j];
        v[j] = tmp;
    }
    assert_int_equal(iam_id_taken_init(MIN, MAX, N, &t), 0);
    t0 = now();
    assert_int_equal(iam_id_place("uid:", v, N, IAM_ID_ORDER_CREATED, &t), 0);
    elapsed = now() - t0;
    for (i = 0; i < N; i++) {
        sum += v[i].id;
        collisions += v[i].collisions;
        collided += v[i].collisions > 0;
        assert_true(iam_id_taken_has(&t, v[i].id));
    }
    assert_int_equal(t.count, N);
    assert_int_equal(sum, 207380345395396ull);
    assert_int_equal(collisions, 45);
    assert_int_equal(collided, 45);
    assert_int_equal(find(v, N, "AIDA00000000000000000")->id, 2129067146u);
    assert_int_equal(find(v, N, "AIDA00000000000099999")->id, 2098479845u);
    assert_int_equal(find(v, N, "AIDA00000000000093485")->id, 2014231842u);
    assert_int_equal(find(v, N, "AIDA00000000000093485")->collisions, 1);
    assert_int_equal(find(v, N, "AIDA00000000000014827")->id, 2077871542u);
    print_message("placed %d users in %.3f s\n", N, elapsed);
    /* Valgrind runs this many times slower; the bound is for real runs. */
    if (!RUNNING_ON_VALGRIND)
        assert_true(elapsed < 1.0);
    iam_id_taken_free(&t);
    free(keys);
    free(v);
}

/*
 * Ids of local accounts taken before placement: a user whose hash lands
 * on one moves to its next try. Expected ids from python3's hashlib:
 * AIDACKCEVSQ6C2EXAMPLE tries 2092916082, 2090348005, 2135530675 in the
 * default range and 65534, 65537, 65540 in [65530, 65540].
 */
static void
test_taken_add(void **state)
{
    struct iam_id_taken t;
    struct iam_id_slot s = { "AIDACKCEVSQ6C2EXAMPLE", 0, 0, 0 };

    (void)state;
    assert_int_equal(iam_id_taken_init(MIN, MAX, 1, &t), 0);
    assert_int_equal(iam_id_taken_add(&t, 2092916082u), 0);
    assert_int_equal(iam_id_taken_add(&t, 2092916082u), 0); /* twice */
    assert_int_equal(iam_id_taken_add(&t, 1000), 0);        /* out of range */
    assert_int_equal(iam_id_taken_add(&t, 0), 0);
    assert_int_equal(t.count, 1);
    assert_true(iam_id_taken_has(&t, 2092916082u));
    assert_false(iam_id_taken_has(&t, 1000));
    assert_int_equal(iam_id_place("uid:", &s, 1, IAM_ID_ORDER_CREATED, &t), 0);
    assert_int_equal(s.id, 2090348005u);
    assert_int_equal(s.collisions, 1);
    iam_id_taken_free(&t);

    /* nobody (65534) in a low range: the next try, 65537. */
    assert_int_equal(iam_id_taken_init(65530, 65540, 1, &t), 0);
    assert_int_equal(iam_id_taken_add(&t, 65534), 0);
    assert_int_equal(iam_id_place("uid:", &s, 1, IAM_ID_ORDER_CREATED, &t), 0);
    assert_int_equal(s.id, 65537);
    iam_id_taken_free(&t);

    /* Many adds grow the table past its first size. */
    assert_int_equal(iam_id_taken_init(MIN, MAX, 1, &t), 0);
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(iam_id_taken_add(&t, MIN + i), 0);
    assert_int_equal(t.count, 1000);
    assert_true(iam_id_taken_has(&t, MIN + 999));
    iam_id_taken_free(&t);
    assert_int_equal(iam_id_taken_add(&t, MIN), -EINVAL);
    assert_int_equal(iam_id_taken_add(NULL, MIN), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_examples),
        cmocka_unit_test(test_hash_tiny_ranges),
        cmocka_unit_test(test_hash_bad_arguments),
        cmocka_unit_test(test_taken_init),
        cmocka_unit_test(test_taken_add),
        cmocka_unit_test(test_collision_created_order),
        cmocka_unit_test(test_collision_same_date),
        cmocka_unit_test(test_range_full),
        cmocka_unit_test(test_groups_after_users),
        cmocka_unit_test(test_fill_whole_range),
        cmocka_unit_test(test_place_bad_arguments),
        cmocka_unit_test(test_100k_users),
    };

    return cmocka_run_group_tests_name("id", tests, NULL, NULL);
}
