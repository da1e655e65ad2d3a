/*
 * Unit tests for lib/iam_sha256.c: the NIST example vectors (FIPS 180-4
 * examples, SHA256.pdf of the CSRC "Examples with intermediate values"
 * and the one-million-'a' message), then OpenSSL's SHA-256 on pseudo-
 * random input of every length around the padding boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "iam_sha256.h"

static void
hex(const uint8_t md[IAM_SHA256_LEN], char out[2 * IAM_SHA256_LEN + 1])
{
    size_t i;

    for (i = 0; i < IAM_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
assert_sha256(const void *data, size_t len, const char *want)
{
    uint8_t md[IAM_SHA256_LEN];
    char got[2 * IAM_SHA256_LEN + 1];

    iam_sha256(data, len, md);
    hex(md, got);
    assert_string_equal(got, want);
}

static void
test_nist_vectors(void **state)
{
    (void)state;
    assert_sha256("", 0,
                  "e3b0c44298fc1c149afbf4c8996fb924"
                  "27ae41e4649b934ca495991b7852b855");
    assert_sha256("abc", 3,
                  "ba7816bf8f01cfea414140de5dae2223"
                  "b00361a396177a9cb410ff61f20015ad");
    assert_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  56,
                  "248d6a61d20638b8e5c026930c3e6039"
                  "a33ce45964ff2167f6ecedd419db06c1");
    assert_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                  112,
                  "cf5b16a778af8380036ce59e7b049237"
                  "0b249b11e8f07a51afac45037afee9d1");
}

static void
test_million_a(void **state)
{
    size_t n = 1000000;
    char *a = malloc(n);

    (void)state;
    assert_non_null(a);
    memset(a, 'a', n);
    assert_sha256(a, n,
                  "cdc76e5c9914fb9281a1c7e284d73e67"
                  "f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/*
 * Every length from 0 to 1000 bytes: each padding case (room for the
 * length in the last block or not, exact block multiples) many times
 * over, on bytes that are not all alike.
 */
static void
test_matches_openssl(void **state)
{
    uint8_t buf[1000];
    uint8_t want[EVP_MAX_MD_SIZE], got[IAM_SHA256_LEN];
    unsigned int want_len;
    uint32_t x = 0x9e3779b9;
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(buf); i++) {
        x = x * 1664525 + 1013904223; /* Numerical Recipes LCG */
        buf[i] = (uint8_t)(x >> 24);
    }
    for (len = 0; len <= sizeof(buf); len++) {
        assert_int_equal(
            EVP_Digest(buf, len, want, &want_len, EVP_sha256(), NULL), 1);
        assert_int_equal(want_len, IAM_SHA256_LEN);
        iam_sha256(buf, len, got);
        assert_memory_equal(got, want, IAM_SHA256_LEN);
    }
}

/*
 * The same bytes fed in pieces: every length up to 300 bytes, cut at
 * pseudo-random points (pieces of 0 to 70 bytes, so that pieces cross,
 * end at and fill block boundaries), give OpenSSL's digest.
 */
static void
test_pieces(void **state)
{
    uint8_t buf[300];
    uint8_t want[EVP_MAX_MD_SIZE], got[IAM_SHA256_LEN];
    struct iam_sha256_ctx c;
    unsigned int want_len;
    uint32_t x = 12345;
    size_t i, len, off, piece;

    (void)state;
    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (len = 0; len <= sizeof(buf); len++) {
        assert_int_equal(
            EVP_Digest(buf, len, want, &want_len, EVP_sha256(), NULL), 1);
        iam_sha256_init(&c);
        for (off = 0; off < len; off += piece) {
            x = x * 1664525 + 1013904223;
            piece = (x >> 24) % 71;
            if (piece > len - off)
                piece = len - off;
            iam_sha256_update(&c, buf + off, piece);
        }
        iam_sha256_update(&c, NULL, 0);
        iam_sha256_final(&c, got);
        assert_memory_equal(got, want, IAM_SHA256_LEN);
    }
}

/* Lowercase hex, NUL-terminated: the form S3, SigV4 and our files use. */
static void
test_hex(void **state)
{
    char hex[IAM_SHA256_HEX_SIZE];

    (void)state;
    memset(hex, 'X', sizeof(hex));
    iam_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    iam_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                             "27ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_matches_openssl),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_hex),
    };

    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
