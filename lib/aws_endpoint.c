#include "aws_endpoint.h"

#include <string.h>

void
aws_endpoint_iam(const char *region, const char *override,
                 const char **ret_url, const char **ret_signing_region)
{
    if (region && strncmp(region, "cn-", 3) == 0) {
        *ret_url = "https://iam.cn-north-1.amazonaws.com.cn";
        *ret_signing_region = "cn-north-1";
    } else if (region && strncmp(region, "us-gov-", 7) == 0) {
        *ret_url = "https://iam.us-gov.amazonaws.com";
        *ret_signing_region = "us-gov-west-1";
    } else {
        *ret_url = "https://iam.amazonaws.com";
        *ret_signing_region = "us-east-1";
    }
    if (override)
        *ret_url = override;
}
