/* Record encoding: round trips and refusal of every malformed shape. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iam_rec.h"

static struct iam_user_rec
sample_user(void)
{
    struct iam_user_rec u = {
        .uid = 2000000123,
        .gid = 2000000123,
        .name = iam_str_of("first.last.at.example.com"),
        .gecos = iam_str_of("first.last@example.com"),
        .home = iam_str_of("/home/first.last.at.example.com"),
        .shell = iam_str_of("/bin/bash"),
        .iam_name = iam_str_of("first.last@example.com"),
        .iam_id = iam_str_of("AIDAEXAMPLE000000001"),
    };
    return u;
}

static void
assert_str(struct iam_str s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

static void
test_user_round_trip(void **state)
{
    struct iam_user_rec u = sample_user(), d;
    struct iam_buf b = { 0 };

    (void)state;
    assert_int_equal(iam_rec_encode_user(&b, &u), 0);
    assert_int_equal(iam_rec_decode_user(b.p, b.len, &d), 0);
    assert_int_equal(d.uid, u.uid);
    assert_int_equal(d.gid, u.gid);
    assert_str(d.name, "first.last.at.example.com");
    assert_str(d.gecos, "first.last@example.com");
    assert_str(d.home, "/home/first.last.at.example.com");
    assert_str(d.shell, "/bin/bash");
    assert_str(d.iam_id, "AIDAEXAMPLE000000001");
    iam_buf_free(&b);
}

/* Every strict prefix of a record, and any extra byte, is refused. */
static void
test_user_truncated_and_trailing(void **state)
{
    struct iam_user_rec u = sample_user(), d;
    struct iam_buf b = { 0 };
    size_t n;

    (void)state;
    assert_int_equal(iam_rec_encode_user(&b, &u), 0);
    for (n = 0; n < b.len; n++)
        assert_int_equal(iam_rec_decode_user(b.p, n, &d), -EIO);
    assert_int_equal(iam_rec_encode_u32(&b, 7), 0);
    assert_int_equal(iam_rec_decode_user(b.p, b.len, &d), -EIO);
    iam_buf_free(&b);
}

static void
test_user_bad_layout_and_nul(void **state)
{
    struct iam_user_rec u = sample_user(), d;
    struct iam_buf b = { 0 };
    char bad[] = { 'a', '\0', 'b' };

    (void)state;
    assert_int_equal(iam_rec_encode_user(&b, &u), 0);
    b.p[0] = 2; /* a layout this reader does not know */
    assert_int_equal(iam_rec_decode_user(b.p, b.len, &d), -EIO);
    b.len = 0;
    u.gecos.p = bad;
    u.gecos.len = sizeof(bad);
    assert_int_equal(iam_rec_encode_user(&b, &u), -EINVAL);
    u = sample_user();
    u.name = iam_str_of("");
    b.len = 0;
    assert_int_equal(iam_rec_encode_user(&b, &u), -EINVAL);
    iam_buf_free(&b);
}

static void
test_group_round_trip(void **state)
{
    struct iam_str mem[3] = { iam_str_of("a"), iam_str_of("bb"),
                              iam_str_of("ccc") };
    struct iam_group_rec g;
    struct iam_buf b = { 0 };
    struct iam_str s;
    const char *want[] = { "a", "bb", "ccc" };
    int i;

    (void)state;
    assert_int_equal(iam_rec_encode_group(&b, 2000000500, iam_str_of("admins"),
                                          IAM_GROUP_IAM, mem, 3),
                     0);
    assert_int_equal(iam_rec_decode_group(b.p, b.len, &g), 0);
    assert_int_equal(g.gid, 2000000500);
    assert_int_equal(g.kind, IAM_GROUP_IAM);
    assert_int_equal(g.nmem, 3);
    assert_str(g.name, "admins");
    for (i = 0; i < 3; i++) {
        assert_int_equal(iam_rec_str_next(&g.members, &s), 1);
        assert_str(s, want[i]);
    }
    assert_int_equal(iam_rec_str_next(&g.members, &s), 0);
    iam_buf_free(&b);
}

/* A member count larger than the bytes could hold is refused up front. */
static void
test_group_lying_count(void **state)
{
    struct iam_str mem[1] = { iam_str_of("a") };
    struct iam_group_rec g;
    struct iam_buf b = { 0 };
    size_t count_at;

    (void)state;
    assert_int_equal(iam_rec_encode_group(&b, 2000000500, iam_str_of("g"),
                                          IAM_GROUP_IAM, mem, 1),
                     0);
    /* layout(1) gid(4) name(2+1) kind(1) -> count at offset 9 */
    count_at = 9;
    b.p[count_at] = 0xff;
    b.p[count_at + 1] = 0xff;
    b.p[count_at + 2] = 0xff;
    b.p[count_at + 3] = 0x7f;
    assert_int_equal(iam_rec_decode_group(b.p, b.len, &g), -EIO);
    b.p[count_at] = 0;
    b.p[count_at + 1] = 0;
    b.p[count_at + 2] = 0;
    b.p[count_at + 3] = 0;
    /* count 0 but one member's bytes follow: trailing bytes */
    assert_int_equal(iam_rec_decode_group(b.p, b.len, &g), -EIO);
    b.p[8] = 9; /* unknown kind */
    b.p[count_at] = 1;
    assert_int_equal(iam_rec_decode_group(b.p, b.len, &g), -EIO);
    iam_buf_free(&b);
}

static void
test_keys_round_trip(void **state)
{
    struct iam_key_rec k[2] = {
        { iam_str_of("APKAEXAMPLE1"), iam_str_of("ssh-ed25519 AAAA x"),
          iam_str_of("SHA256:abc"), IAM_KEY_ACTIVE, 1700000000 },
        { iam_str_of("APKAEXAMPLE2"), iam_str_of("ssh-rsa AAAA"),
          iam_str_of("SHA256:def"), IAM_KEY_EXPIRED, -5 },
    };
    struct iam_rec_iter it;
    struct iam_key_rec d;
    struct iam_buf b = { 0 };

    (void)state;
    assert_int_equal(iam_rec_encode_keys(&b, k, 2), 0);
    assert_int_equal(iam_rec_decode_keys(b.p, b.len, &it), 0);
    assert_int_equal(iam_rec_key_next(&it, &d), 1);
    assert_str(d.key_id, "APKAEXAMPLE1");
    assert_int_equal(d.status, IAM_KEY_ACTIVE);
    assert_int_equal(d.upload_date, 1700000000);
    assert_int_equal(iam_rec_key_next(&it, &d), 1);
    assert_str(d.line, "ssh-rsa AAAA");
    assert_int_equal(d.status, IAM_KEY_EXPIRED);
    assert_int_equal(d.upload_date, -5);
    assert_int_equal(iam_rec_key_next(&it, &d), 0);
    /* a status byte out of range is refused by the decoder */
    b.p[b.len - 9] = 7;
    assert_int_equal(iam_rec_decode_keys(b.p, b.len, &it), -EIO);
    k[0].status = 3;
    b.len = 0;
    assert_int_equal(iam_rec_encode_keys(&b, k, 1), -EINVAL);
    iam_buf_free(&b);
}

static void
test_gids_and_meta(void **state)
{
    uint32_t gids[3] = { 27, 2000000001, 4294967294u }, g;
    struct iam_meta_rec m = { .created = 1764000000,
                              .uid_min = 2000000000,
                              .uid_max = 2147483646,
                              .users = 5,
                              .groups = 7,
                              .keys = 9,
                              .account = iam_str_of("123456789012"),
                              .source = iam_str_of("iam"),
                              .digest = iam_str_of("00ff") };
    struct iam_meta_rec d;
    struct iam_rec_iter it;
    struct iam_buf b = { 0 };
    int i;

    (void)state;
    assert_int_equal(iam_rec_encode_gids(&b, gids, 3), 0);
    assert_int_equal(iam_rec_decode_gids(b.p, b.len, &it), 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(iam_rec_gid_next(&it, &g), 1);
        assert_int_equal(g, gids[i]);
    }
    assert_int_equal(iam_rec_gid_next(&it, &g), 0);
    assert_int_equal(iam_rec_decode_gids(b.p, b.len - 1, &it), -EIO);
    b.len = 0;
    assert_int_equal(iam_rec_encode_meta(&b, &m), 0);
    assert_int_equal(iam_rec_decode_meta(b.p, b.len, &d), 0);
    assert_int_equal(d.created, 1764000000);
    assert_int_equal(d.uid_min, 2000000000);
    assert_int_equal(d.uid_max, 2147483646);
    assert_int_equal(d.keys, 9);
    assert_str(d.account, "123456789012");
    m.uid_min = 0;
    b.len = 0;
    assert_int_equal(iam_rec_encode_meta(&b, &m), -EINVAL);
    iam_buf_free(&b);
}

/* The instance record: one non-empty string, refused otherwise. */
static void
test_instance(void **state)
{
    static const uint8_t empty[] = { 1, 0, 0 }, layout2[] = { 2, 1, 0, 'i' };
    struct iam_buf b = { 0 };
    struct iam_str id;

    (void)state;
    assert_int_equal(
        iam_rec_encode_instance(&b, iam_str_of("i-0123456789abcdef0")), 0);
    assert_int_equal(iam_rec_decode_instance(b.p, b.len, &id), 0);
    assert_str(id, "i-0123456789abcdef0");
    assert_int_equal(iam_rec_decode_instance(b.p, b.len - 1, &id), -EIO);
    assert_int_equal(id.len, 0);
    assert_int_equal(iam_rec_decode_instance(empty, sizeof(empty), &id), -EIO);
    assert_int_equal(iam_rec_decode_instance(layout2, sizeof(layout2), &id),
                     -EIO);
    b.len = 0;
    assert_int_equal(iam_rec_encode_instance(&b, iam_str_of("")), -EINVAL);
    iam_buf_free(&b);
}

/* Random bytes never crash a decoder (the suite also runs under ASan,
 * UBSan and valgrind, which catch any read past the input). */
static void
test_random_bytes(void **state)
{
    uint8_t buf[96];
    struct iam_user_rec u;
    struct iam_group_rec g;
    struct iam_meta_rec m;
    struct iam_rec_iter it;
    struct iam_key_rec k;
    uint32_t v;
    int i, j;

    (void)state;
    srand(12345);
    for (i = 0; i < 200000; i++) {
        size_t n = (size_t)rand() % sizeof(buf);

        for (j = 0; j < (int)n; j++)
            buf[j] = (uint8_t)(rand() % 4 ? rand() % 8 : rand());
        if (n)
            buf[0] = 1;
        (void)iam_rec_decode_user(buf, n, &u);
        if (iam_rec_decode_group(buf, n, &g) == 0)
            while (iam_rec_str_next(&g.members, &u.name) == 1)
                ;
        if (iam_rec_decode_keys(buf, n, &it) == 0)
            while (iam_rec_key_next(&it, &k) == 1)
                ;
        if (iam_rec_decode_gids(buf, n, &it) == 0)
            while (iam_rec_gid_next(&it, &v) == 1)
                ;
        (void)iam_rec_decode_meta(buf, n, &m);
        (void)iam_rec_decode_instance(buf, n, &m.instance);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_round_trip),
        cmocka_unit_test(test_user_truncated_and_trailing),
        cmocka_unit_test(test_user_bad_layout_and_nul),
        cmocka_unit_test(test_group_round_trip),
        cmocka_unit_test(test_group_lying_count),
        cmocka_unit_test(test_keys_round_trip),
        cmocka_unit_test(test_gids_and_meta),
        cmocka_unit_test(test_instance),
        cmocka_unit_test(test_random_bytes),
    };

    return cmocka_run_group_tests_name("rec", tests, NULL, NULL);
}
