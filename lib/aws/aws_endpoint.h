/*
 * aws_endpoint: where IAM lives. IAM is a global service with one
 * endpoint per partition, signed for that partition's home region.
 */
#ifndef AWS_ENDPOINT_H
#define AWS_ENDPOINT_H

#include <stdbool.h>

/*
 * aws_endpoint_is_region - whether @s is spelled as a region name:
 * lower-case letters and digits in dash-separated parts, at least two,
 * starting with a letter, at most 32 bytes ("us-east-1", "us-gov-west-1",
 * "cn-north-1"). It says nothing of whether AWS has such a region.
 * iam_config checks AWS_REGION with it, so a region the configuration
 * accepts is one this file can place. Pure; thread-safe.
 */
bool
aws_endpoint_is_region(const char *s);

/*
 * aws_endpoint_iam - the IAM endpoint URL and signing region for @region,
 * by partition (the region prefixes of the AWS SDKs' endpoints.json):
 *   aws         "us-east-1", "eu-west-3", ... or NULL: iam.amazonaws.com,
 *               signed for us-east-1 (also any region of a prefix not
 *               listed here, as the SDKs do);
 *   aws-cn      "cn-*": iam.cn-north-1.amazonaws.com.cn, cn-north-1;
 *   aws-us-gov  "us-gov-*": iam.us-gov.amazonaws.com (FIPS), us-gov-west-1;
 *   aws-iso     "us-iso-*", aws-iso-b "us-isob-*", aws-iso-f "us-isof-*":
 *               their global endpoints.
 * @override (IAM_ENDPOINT: a VPC endpoint, the commercial FIPS endpoint
 * https://iam-fips.amazonaws.com, tests) replaces the URL when not NULL;
 * the signing region stays the partition's.
 * Results are static strings, @override or @region.
 * Returns 0, or -EINVAL (both results NULL) when @region is not a region
 * name, or is in a partition whose IAM endpoint is not known here
 * ("eu-isoe-*", "eusc-*") and no @override is given: a request must never
 * go to another partition's IAM.
 */
int
aws_endpoint_iam(const char *region, const char *override, const char **ret_url,
                 const char **ret_signing_region);

/*
 * aws_endpoint_plain_ok - whether plain http may go to @host (no port;
 * IPv6 literals in brackets): loopback (tests, local emulators) and the
 * link-local instance metadata service, nothing else.
 */
bool
aws_endpoint_plain_ok(const char *host);

#endif
