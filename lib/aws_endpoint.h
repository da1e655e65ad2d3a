/*
 * aws_endpoint: where IAM lives. IAM is a global service with one
 * endpoint per partition, signed for that partition's home region.
 */
#ifndef AWS_ENDPOINT_H
#define AWS_ENDPOINT_H

/*
 * aws_endpoint_iam - the IAM endpoint URL and signing region for
 * @region ("us-east-1", "cn-northwest-1", "us-gov-east-1", or NULL for the
 * commercial partition). @override (IAM_ENDPOINT, for FIPS endpoints and
 * tests) replaces the URL when not NULL. Both results are static strings
 * or @override.
 */
void
aws_endpoint_iam(const char *region, const char *override,
                 const char **ret_url, const char **ret_signing_region);

#endif
