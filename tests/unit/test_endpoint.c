/*
 * Unit tests for lib/aws/aws_endpoint.c: the IAM endpoint and signing region
 * of each partition (as in the AWS SDKs' endpoints.json), the override
 * (IAM_ENDPOINT: FIPS, VPC endpoints), and regions that must not reach
 * another partition's IAM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "aws_endpoint.h"

static void
assert_iam(const char *region, const char *override, const char *want_url,
           const char *want_region)
{
    const char *url = "x", *signing = "x";

    assert_int_equal(aws_endpoint_iam(region, override, &url, &signing), 0);
    assert_string_equal(url, want_url);
    assert_string_equal(signing, want_region);
}

static void
assert_refused(const char *region, const char *override)
{
    const char *url = "x", *signing = "x";

    assert_int_equal(aws_endpoint_iam(region, override, &url, &signing),
                     -EINVAL);
    assert_null(url);
    assert_null(signing);
}

static void
test_aws(void **state)
{
    (void)state;
    assert_iam(NULL, NULL, "https://iam.amazonaws.com", "us-east-1");
    assert_iam("us-east-1", NULL, "https://iam.amazonaws.com", "us-east-1");
    assert_iam("eu-west-3", NULL, "https://iam.amazonaws.com", "us-east-1");
    assert_iam("ap-southeast-4", NULL, "https://iam.amazonaws.com",
               "us-east-1");
    assert_iam("il-central-1", NULL, "https://iam.amazonaws.com", "us-east-1");
    /* A prefix nobody lists yet: the commercial partition, as the SDKs
     * do for a region they do not know. */
    assert_iam("xy-north-1", NULL, "https://iam.amazonaws.com", "us-east-1");
}

static void
test_aws_cn(void **state)
{
    (void)state;
    assert_iam("cn-north-1", NULL, "https://iam.cn-north-1.amazonaws.com.cn",
               "cn-north-1");
    assert_iam("cn-northwest-1", NULL,
               "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1");
}

static void
test_aws_us_gov(void **state)
{
    (void)state;
    /* The GovCloud endpoint is FIPS already. */
    assert_iam("us-gov-west-1", NULL, "https://iam.us-gov.amazonaws.com",
               "us-gov-west-1");
    assert_iam("us-gov-east-1", NULL, "https://iam.us-gov.amazonaws.com",
               "us-gov-west-1");
}

/* "us-iso-east-1" starts with "us-": it must not go to the commercial
 * partition (it did before the partition table). */
static void
test_aws_iso(void **state)
{
    (void)state;
    assert_iam("us-iso-east-1", NULL, "https://iam.us-iso-east-1.c2s.ic.gov",
               "us-iso-east-1");
    assert_iam("us-iso-west-1", NULL, "https://iam.us-iso-east-1.c2s.ic.gov",
               "us-iso-east-1");
    assert_iam("us-isob-east-1", NULL,
               "https://iam.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1");
    assert_iam("us-isof-south-1", NULL,
               "https://iam.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1");
}

/* Partitions whose IAM endpoint is not known here: only with an explicit
 * endpoint, signed for the region given. */
static void
test_unknown_partitions(void **state)
{
    (void)state;
    assert_refused("eu-isoe-west-1", NULL);
    assert_refused("eusc-de-east-1", NULL);
    assert_iam("eu-isoe-west-1", "https://iam.example.internal",
               "https://iam.example.internal", "eu-isoe-west-1");
}

/* IAM_ENDPOINT: the URL changes, the signing region stays the
 * partition's. */
static void
test_override_fips(void **state)
{
    (void)state;
    assert_iam("us-east-1", "https://iam-fips.amazonaws.com",
               "https://iam-fips.amazonaws.com", "us-east-1");
    assert_iam(NULL, "https://iam-fips.amazonaws.com",
               "https://iam-fips.amazonaws.com", "us-east-1");
    assert_iam("us-gov-east-1", "https://vpce-1.iam.us-gov.example",
               "https://vpce-1.iam.us-gov.example", "us-gov-west-1");
    assert_iam("cn-northwest-1", "http://127.0.0.1:5000",
               "http://127.0.0.1:5000", "cn-north-1");
}

static void
test_bad_regions(void **state)
{
    (void)state;
    assert_refused("", NULL);
    assert_refused("us", NULL);
    assert_refused("US-EAST-1", NULL);
    assert_refused("us-east-1 ", NULL);
    assert_refused("-us-east-1", NULL);
    assert_refused("us-east-", NULL);
    assert_refused("us--east-1", NULL);
    assert_refused("1us-east-1", NULL);
    assert_refused("us-east-1/../x", NULL);
    assert_refused("us-east-1.evil.example", NULL);
    assert_refused("cn-north-1\n", NULL);
    assert_refused("a-very-long-region-name-of-more-than-32", NULL);
    /* Even with an override: a bad region is a bad signing scope. */
    assert_refused("us east 1", "https://iam.amazonaws.com");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws),
        cmocka_unit_test(test_aws_cn),
        cmocka_unit_test(test_aws_us_gov),
        cmocka_unit_test(test_aws_iso),
        cmocka_unit_test(test_unknown_partitions),
        cmocka_unit_test(test_override_fips),
        cmocka_unit_test(test_bad_regions),
    };

    return cmocka_run_group_tests_name("endpoint", tests, NULL, NULL);
}
