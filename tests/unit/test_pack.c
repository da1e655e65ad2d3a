/*
 * Packing into the caller's buffer: every size from 0 up gives -ERANGE
 * with nothing written below the need, and the exact record at and above
 * it. Each buffer is a heap block of exactly that size at varying
 * alignments, so ASan and valgrind see any write past it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iam_pack.h"

static struct iam_user_rec
user(void)
{
    struct iam_user_rec u = {
        .uid = 2000000123,
        .gid = 2000000124,
        .name = iam_str_of("first.last.at.example.com"),
        .gecos = iam_str_of("first.last@example.com"),
        .home = iam_str_of("/home/first.last.at.example.com"),
        .shell = iam_str_of("/bin/bash"),
    };
    return u;
}

static void
test_passwd_every_size(void **state)
{
    struct iam_user_rec u = user();
    size_t need = 26 + 2 + 23 + 32 + 10, len, off;
    struct passwd pw, zero;
    char *block, *buf;

    (void)state;
    memset(&zero, 0, sizeof(zero));
    for (off = 0; off < 3; off++) {
        for (len = 0; len <= need + 8; len++) {
            block = malloc(len + off);
            assert_non_null(block);
            buf = block + off;
            memset(buf, 'Z', len);
            memset(&pw, 0, sizeof(pw));
            if (len < need) {
                assert_int_equal(iam_pack_passwd(&u, &pw, buf, len), -ERANGE);
                assert_memory_equal(&pw, &zero, sizeof(pw));
                free(block);
                continue;
            }
            assert_int_equal(iam_pack_passwd(&u, &pw, buf, len), 0);
            assert_string_equal(pw.pw_name, "first.last.at.example.com");
            assert_string_equal(pw.pw_passwd, "*");
            assert_int_equal(pw.pw_uid, 2000000123);
            assert_int_equal(pw.pw_gid, 2000000124);
            assert_string_equal(pw.pw_gecos, "first.last@example.com");
            assert_string_equal(pw.pw_dir, "/home/first.last.at.example.com");
            assert_string_equal(pw.pw_shell, "/bin/bash");
            assert_true(pw.pw_name >= buf && pw.pw_shell < buf + len);
            free(block);
        }
    }
}

static void
check_group(const struct group *gr, char *buf, size_t len, uint32_t n)
{
    char want[24];
    uint32_t i;

    assert_string_equal(gr->gr_name, "admins");
    assert_string_equal(gr->gr_passwd, "*");
    assert_int_equal(gr->gr_gid, 2000000500);
    assert_int_equal((uintptr_t)gr->gr_mem % sizeof(char *), 0);
    assert_true((char *)gr->gr_mem >= buf &&
                (char *)(gr->gr_mem + n + 1) <= buf + len);
    for (i = 0; i < n; i++) {
        snprintf(want, sizeof(want), "member%u", i);
        assert_string_equal(gr->gr_mem[i], want);
        assert_true(gr->gr_mem[i] >= buf && gr->gr_mem[i] < buf + len);
    }
    assert_null(gr->gr_mem[n]);
}

/* Encodes a group of @n members "member0".. and decodes it into *g. */
static void
make_group(uint32_t n, struct iam_buf *b, struct iam_group_rec *g)
{
    static char names[64][24];
    struct iam_str mem[64];
    uint32_t i;

    for (i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "member%u", i);
        mem[i] = iam_str_of(names[i]);
    }
    b->len = 0;
    assert_int_equal(iam_rec_encode_group(b, 2000000500, iam_str_of("admins"),
                                          IAM_GROUP_IAM, mem, n),
                     0);
    assert_int_equal(iam_rec_decode_group(b->p, b->len, g), 0);
}

/* Bytes of the strings of make_group(@n): name, "*", members. */
static size_t
group_strings(uint32_t n)
{
    char m[24];
    size_t sum = sizeof("admins") + sizeof("*");
    uint32_t i;

    for (i = 0; i < n; i++)
        sum += (size_t)snprintf(m, sizeof(m), "member%u", i) + 1;
    return sum;
}

static void
test_group_every_size(void **state)
{
    uint32_t counts[] = { 0, 1, 5, 64 }, n;
    struct iam_buf b = { 0 };
    struct iam_group_rec g;
    struct group gr;
    size_t len, off, ok_at;
    char *block;
    int i;

    (void)state;
    for (i = 0; i < 4; i++) {
        n = counts[i];
        make_group(n, &b, &g);
        for (off = 0; off < sizeof(char *); off++) {
            ok_at = 0;
            for (len = 0; len < 2048 && !ok_at; len++) {
                /* To the byte: one past the end is ASan's to see. */
                block = malloc(len + off);
                assert_non_null(block);
                memset(&gr, 0, sizeof(gr));
                if (iam_pack_group(&g, &gr, block + off, len) == 0) {
                    check_group(&gr, block + off, len, n);
                    ok_at = len;
                } else {
                    assert_null(gr.gr_name);
                }
                free(block);
            }
            assert_true(ok_at > 0);
            /* The smallest size that works is exact: strings, pointers,
             * and at most the alignment padding. */
            assert_true(ok_at >= (n + 1) * sizeof(char *) + 7 + 2);
            assert_true(ok_at <= group_strings(n) + (n + 1) * sizeof(char *) +
                                     sizeof(char *) - 1);
            /* And every size above works too. */
            for (len = ok_at; len < ok_at + 2 * sizeof(char *); len++) {
                block = malloc(len + off);
                assert_non_null(block);
                assert_int_equal(iam_pack_group(&g, &gr, block + off, len), 0);
                check_group(&gr, block + off, len, n);
                free(block);
            }
        }
    }
    iam_buf_free(&b);
}

/* A buffer of SIZE_MAX-ish claims must not overflow the size sum. */
static void
test_group_huge_count_refused(void **state)
{
    struct iam_group_rec g;
    struct group gr;
    char buf[64];

    (void)state;
    memset(&g, 0, sizeof(g));
    g.gid = 2000000500;
    g.name = iam_str_of("g");
    g.nmem = UINT32_MAX;
    g.members.remaining = 0;
    assert_int_equal(iam_pack_group(&g, &gr, buf, sizeof(buf)), -ERANGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passwd_every_size),
        cmocka_unit_test(test_group_every_size),
        cmocka_unit_test(test_group_huge_count_refused),
    };

    return cmocka_run_group_tests_name("pack", tests, NULL, NULL);
}
