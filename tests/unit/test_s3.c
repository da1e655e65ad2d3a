/*
 * Unit tests for lib/aws_s3.c: which s3:// URLs are taken (the key
 * alphabet is narrow so that the signed path is the sent path), the
 * endpoint and path each addressing style gives, and the <Code> read
 * out of an S3 error document.
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

#include "aws_s3.h"

static void
parse_ok(const char *url, const char *bucket, const char *key)
{
    struct aws_s3_location loc;
    char err[128] = "x";

    assert_int_equal(aws_s3_parse_url(url, &loc, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_string_equal(loc.bucket, bucket);
    assert_string_equal(loc.key, key);
}

static void
parse_bad(const char *url)
{
    struct aws_s3_location loc;
    char err[128] = "";
    int r;

    r = aws_s3_parse_url(url, &loc, err, sizeof(err));
    if (r != -EINVAL)
        fail_msg("%s: got %d, want -EINVAL", url, r);
    if (err[0] == '\0')
        fail_msg("%s: no reason given", url);
}

/* "s3://" + @bucket + "/" + a key of @key_len 'k's, malloc'ed. */
static char *
url_with_key(const char *bucket, size_t key_len)
{
    size_t blen = strlen(bucket);
    char *u = malloc(5 + blen + 1 + key_len + 1);

    assert_non_null(u);
    memcpy(u, "s3://", 5);
    memcpy(u + 5, bucket, blen);
    u[5 + blen] = '/';
    memset(u + 6 + blen, 'k', key_len);
    u[6 + blen + key_len] = '\0';
    return u;
}

static void
test_parse_valid(void **state)
{
    char b63[64], url[128], *u;

    (void)state;
    parse_ok("s3://my-bucket/nss-iam/fleet.obj", "my-bucket",
             "nss-iam/fleet.obj");
    parse_ok("s3://my.dotted.bucket/fleet.obj", "my.dotted.bucket",
             "fleet.obj");
    parse_ok("s3://abc/k", "abc", "k");
    parse_ok("s3://a-b/K_e~y-1.2/x", "a-b", "K_e~y-1.2/x");
    memset(b63, 'b', 63);
    b63[63] = '\0';
    snprintf(url, sizeof(url), "s3://%s/key", b63);
    parse_ok(url, b63, "key");

    u = url_with_key("bucket", AWS_S3_KEY_MAX);
    parse_ok(u, "bucket", u + strlen("s3://bucket/"));
    free(u);
}

static void
test_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "my-bucket/key",                /* no scheme */
        "http://my-bucket/key",
        "S3://my-bucket/key",
        "s3://my-bucket",               /* no key */
        "s3://my-bucket/",
        "s3:///key",                    /* no bucket */
        "s3://bucket/a//b",
        "s3://bucket/a/",               /* empty last segment */
        "s3://bucket/.",
        "s3://bucket/..",
        "s3://bucket/a/./b",
        "s3://bucket/a/../b",
        "s3://bucket/..//x",
        "s3://bucket//key",             /* key starting with '/' */
        "s3://bucket/a b",
        "s3://bucket/a+b",
        "s3://bucket/a%2Fb",
        "s3://bucket/a?b",
        "s3://bucket/a#b",
        "s3://bucket/caf\xc3\xa9",
        "s3://Bucket/key",
        "s3://my_bucket/key",
        "s3://ab/key",                  /* 2 characters */
        "s3://-bucket/key",
        "s3://bucket-/key",
        "s3://.bucket/key",
        "s3://bucket./key",
        "s3://my..bucket/key",
        "",
    };
    char b64[65], url[128], *u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_bad(bad[i]);
    memset(b64, 'b', 64);
    b64[64] = '\0';
    snprintf(url, sizeof(url), "s3://%s/key", b64);
    parse_bad(url);

    u = url_with_key("bucket", AWS_S3_KEY_MAX + 1);
    parse_bad(u);
    free(u);
}

/* A failed parse leaves nothing of the URL behind. */
static void
test_parse_clears(void **state)
{
    struct aws_s3_location loc;
    char err[128];

    (void)state;
    memset(&loc, 'x', sizeof(loc));
    assert_int_equal(aws_s3_parse_url("s3://bucket/a b", &loc, err,
                                      sizeof(err)), -EINVAL);
    assert_string_equal(loc.bucket, "");
    assert_string_equal(loc.key, "");
    /* A short buffer still gets a terminated message. */
    assert_int_equal(aws_s3_parse_url("nope", &loc, err, 4), -EINVAL);
    assert_int_equal(strlen(err), 3);
}

/* @loc is filled by hand: aws_s3_endpoint() takes any location. */
static void
endpoint(const char *bucket, const char *key, const char *region,
         const char *override, const char *want_endpoint,
         const char *want_path)
{
    char ep[AWS_S3_ENDPOINT_SIZE], path[AWS_S3_PATH_SIZE];
    struct aws_s3_location loc;

    memset(&loc, 0, sizeof(loc));
    snprintf(loc.bucket, sizeof(loc.bucket), "%s", bucket);
    snprintf(loc.key, sizeof(loc.key), "%s", key);
    assert_int_equal(aws_s3_endpoint(&loc, region, override, ep, path), 0);
    assert_string_equal(ep, want_endpoint);
    assert_string_equal(path, want_path);
}

static void
test_endpoint(void **state)
{
    (void)state;
    endpoint("b", "key", "eu-west-1", NULL,
             "https://b.s3.eu-west-1.amazonaws.com", "/key");
    endpoint("my-bucket", "nss-iam/fleet.obj", "us-east-1", NULL,
             "https://my-bucket.s3.us-east-1.amazonaws.com",
             "/nss-iam/fleet.obj");
    /* A dotted bucket is outside the *.s3 wildcard certificate. */
    endpoint("my.bucket", "key", "eu-west-1", NULL,
             "https://s3.eu-west-1.amazonaws.com", "/my.bucket/key");
    endpoint("bucket", "key", "eu-west-1", "http://127.0.0.1:9000",
             "http://127.0.0.1:9000", "/bucket/key");
    endpoint("bucket", "key", "cn-north-1", NULL,
             "https://bucket.s3.cn-north-1.amazonaws.com.cn", "/key");
    endpoint("my.bucket", "key", "cn-northwest-1", NULL,
             "https://s3.cn-northwest-1.amazonaws.com.cn",
             "/my.bucket/key");
}

static void
test_endpoint_bad_region(void **state)
{
    static const char *const bad[] = {
        "EU-WEST-1", "", "eu_west_1", "eu-west-1.evil.com", "eu west",
        "eu-west-1/x",
    };
    char ep[AWS_S3_ENDPOINT_SIZE], path[AWS_S3_PATH_SIZE], err[128];
    struct aws_s3_location loc;
    size_t i;

    (void)state;
    assert_int_equal(aws_s3_parse_url("s3://bucket/key", &loc, err,
                                      sizeof(err)), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(ep, AWS_S3_ENDPOINT_SIZE, "x");
        snprintf(path, AWS_S3_PATH_SIZE, "x");
        if (aws_s3_endpoint(&loc, bad[i], NULL, ep, path) != -EINVAL)
            fail_msg("region \"%s\" accepted", bad[i]);
        assert_string_equal(ep, "");
        assert_string_equal(path, "");
    }
    assert_int_equal(aws_s3_endpoint(&loc, NULL, NULL, ep, path), -EINVAL);
}

/* The longest bucket and key still fit the documented buffers. */
static void
test_endpoint_longest(void **state)
{
    char ep[AWS_S3_ENDPOINT_SIZE], path[AWS_S3_PATH_SIZE], err[128];
    char region[64], b63[64];
    struct aws_s3_location loc;
    char *u;

    (void)state;
    memset(b63, 'b', 63);
    b63[63] = '\0';
    memset(region, 'r', 63);
    region[63] = '\0';
    u = malloc(5 + 63 + 1 + AWS_S3_KEY_MAX + 1);
    assert_non_null(u);
    snprintf(u, 5 + 63 + 2, "s3://%s/", b63);
    memset(u + 5 + 63 + 1, 'k', AWS_S3_KEY_MAX);
    u[5 + 63 + 1 + AWS_S3_KEY_MAX] = '\0';
    assert_int_equal(aws_s3_parse_url(u, &loc, err, sizeof(err)), 0);
    free(u);
    assert_int_equal(aws_s3_endpoint(&loc, region, NULL, ep, path), 0);
    assert_int_equal(strlen(path), 1 + AWS_S3_KEY_MAX);
    assert_int_equal(aws_s3_endpoint(&loc, region, "http://127.0.0.1:9000",
                                     ep, path), 0);
    assert_int_equal(strlen(path), 1 + 63 + 1 + AWS_S3_KEY_MAX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_clears),
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_endpoint_bad_region),
        cmocka_unit_test(test_endpoint_longest),
    };

    return cmocka_run_group_tests_name("s3", tests, NULL, NULL);
}
