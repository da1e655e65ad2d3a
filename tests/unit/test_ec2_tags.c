/* DescribeTags answers: the value of one tag, strictly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aws_ec2_tags.h"

static const char answer[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeTagsResponse xmlns=\"http://ec2.amazonaws.com/doc/"
    "2016-11-15/\">\n"
    "  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>\n"
    "  <tagSet>\n"
    "    <item><resourceId>i-0123456789abcdef0</resourceId>"
    "<resourceType>instance</resourceType><key>empty</key><value/></item>\n"
    "    <item><resourceId>i-0123456789abcdef0</resourceId>"
    "<resourceType>instance</resourceType><key>nss-iam-groups</key>"
    "<value>ssh-users, data&amp;science</value></item>\n"
    "  </tagSet>\n"
    "</DescribeTagsResponse>\n";

static int
value(const char *body, const char *key, char *out, size_t size)
{
    return aws_ec2_tags_value(body, strlen(body), key, out, size);
}

static void
test_found(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(value(answer, "nss-iam-groups", out, sizeof(out)), 0);
    assert_string_equal(out, "ssh-users, data&science");
    assert_int_equal(value(answer, "empty", out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static void
test_missing_and_small(void **state)
{
    char out[8];

    (void)state;
    assert_int_equal(value(answer, "other", out, sizeof(out)), -ESRCH);
    assert_int_equal(value(answer, "nss-iam-groups", out, sizeof(out)),
                     -ERANGE);
    assert_int_equal(value("<DescribeTagsResponse><tagSet></tagSet>"
                           "</DescribeTagsResponse>",
                           "k", out, sizeof(out)),
                     -ESRCH);
}

static void
test_malformed(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(value("<html>503</html>", "k", out, sizeof(out)), -EPROTO);
    assert_int_equal(value("<DescribeTagsResponse><tagSet><item><key>k"
                           "</key></item></tagSet></DescribeTagsResponse>",
                           "k", out, sizeof(out)),
                     -EPROTO);
    assert_int_equal(value("<DescribeTagsResponse><tagSet><item><key>k"
                           "</key><value>a&bogus;</value></item></tagSet>"
                           "</DescribeTagsResponse>",
                           "k", out, sizeof(out)),
                     -EPROTO);
    assert_int_equal(value("<DescribeTagsResponse><tagSet><item><key>k"
                           "</key><value>a<b>x</b></value></item></tagSet>"
                           "</DescribeTagsResponse>",
                           "k", out, sizeof(out)),
                     -EPROTO);
    /* Truncated in the middle of the tag set. */
    assert_int_equal(aws_ec2_tags_value(answer, strlen(answer) / 2,
                                        "nss-iam-groups", out, sizeof(out)),
                     -EPROTO);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found),
        cmocka_unit_test(test_missing_and_small),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests_name("ec2_tags", tests, NULL, NULL);
}
