#include "aws_endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <strings.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Region prefixes of partitions other than aws, longest match not
 * needed: no prefix here is a prefix of another ("us-iso-" is not one of
 * "us-isob-"). @url NULL: IAM's endpoint there is not known. */
static const struct partition {
    const char *prefix;
    const char *url;
    const char *signing_region;
} partitions[] = {
    { "cn-", "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1" },
    { "us-gov-", "https://iam.us-gov.amazonaws.com", "us-gov-west-1" },
    { "us-iso-", "https://iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1" },
    { "us-isob-", "https://iam.us-isob-east-1.sc2s.sgov.gov",
      "us-isob-east-1" },
    { "us-isof-", "https://iam.us-isof-south-1.csp.hci.ic.gov",
      "us-isof-south-1" },
    { "eu-isoe-", NULL, NULL },
    { "eusc-", NULL, NULL },
};

bool
aws_endpoint_is_region(const char *s)
{
    size_t n = strlen(s), i;
    bool dash = false;

    if (n == 0 || n > 32 || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
        return false;
    for (i = 1; i < n; i++) {
        if (s[i] == '-') {
            if (s[i - 1] == '-')
                return false;
            dash = true;
        } else if (!(s[i] >= 'a' && s[i] <= 'z') &&
                   !(s[i] >= '0' && s[i] <= '9')) {
            return false;
        }
    }
    return dash;
}

int
aws_endpoint_iam(const char *region, const char *override, const char **ret_url,
                 const char **ret_signing_region)
{
    const struct partition *p = NULL;
    size_t i;

    *ret_url = NULL;
    *ret_signing_region = NULL;
    if (region && !aws_endpoint_is_region(region))
        return -EINVAL;
    for (i = 0; region && i < sizeof(partitions) / sizeof(partitions[0]); i++) {
        if (strncmp(region, partitions[i].prefix,
                    strlen(partitions[i].prefix)) == 0) {
            p = &partitions[i];
            break;
        }
    }
    if (p && !p->url) {
        /* Unknown here: only an explicit endpoint, signed for @region. */
        if (!override)
            return -EINVAL;
        *ret_url = override;
        *ret_signing_region = region;
        return 0;
    }
    *ret_url = override ? override : p ? p->url : "https://iam.amazonaws.com";
    *ret_signing_region = p ? p->signing_region : "us-east-1";
    return 0;
}

/* Hosts where plain http is acceptable: loopback (tests, local emulators)
 * and the link-local instance metadata service. @host is as curl gives it:
 * IPv6 literals in brackets. */
bool
aws_endpoint_plain_ok(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6, imds6;
    char v6[INET6_ADDRSTRLEN + 1];
    size_t n;

    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        uint32_t a = ntohl(a4.s_addr);

        return (a >> 24) == 127 || a == 0xa9fea9feU; /* 169.254.169.254 */
    }
    n = strlen(host);
    if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(v6))
        return false;
    memcpy(v6, host + 1, n - 2);
    v6[n - 2] = '\0';
    if (inet_pton(AF_INET6, v6, &a6) != 1)
        return false;
    if (inet_pton(AF_INET6, "fd00:ec2::254", &imds6) != 1)
        return false;
    return IN6_IS_ADDR_LOOPBACK(&a6) || memcmp(&a6, &imds6, sizeof(a6)) == 0;
}
