/*
 * aws_s3: where one S3 object lives, from an "s3://BUCKET/KEY" URL.
 *
 * Object keys are held to a narrow alphabet (letters, digits, and
 * "-._~/", no empty, "." or ".." segment) so that the path is the same
 * before and after percent-encoding: what is sent is what is signed,
 * whatever SigV4's S3 rules for paths. Bucket names follow S3's rules for
 * new buckets (3 to 63 of a-z 0-9 . -, a letter or digit at each end).
 *
 * Pure functions: no I/O, no allocation. (S3's error documents are read by
 * aws_error.)
 */
#ifndef AWS_S3_H
#define AWS_S3_H

#include <stddef.h>

#define AWS_S3_BUCKET_MAX 63
#define AWS_S3_KEY_MAX 1024
/* "https://" + bucket + ".s3." + region + ".amazonaws.com.cn" + NUL */
#define AWS_S3_ENDPOINT_SIZE 256
/* "/" + bucket + "/" + key + NUL */
#define AWS_S3_PATH_SIZE (AWS_S3_BUCKET_MAX + AWS_S3_KEY_MAX + 3)

struct aws_s3_location {
    char bucket[AWS_S3_BUCKET_MAX + 1];
    char key[AWS_S3_KEY_MAX + 1];
};

/*
 * aws_s3_parse_url - split "s3://BUCKET/KEY" into @ret.
 * Returns 0, or -EINVAL with the reason in @errbuf ("" on success).
 */
int
aws_s3_parse_url(const char *url, struct aws_s3_location *ret, char *errbuf,
                 size_t errlen);

/*
 * aws_s3_endpoint - the endpoint URL and the request path for @loc.
 * @region: the bucket's region (signs the request too).
 * @override: S3_ENDPOINT ("http://127.0.0.1:9000", a VPC interface
 *            endpoint) or NULL. With it, or with a bucket name holding a
 *            dot (which a *.s3 wildcard certificate does not cover), the
 *            request is path-style: @override or "https://s3.REGION.
 *            amazonaws.com" and "/BUCKET/KEY". Otherwise virtual-hosted:
 *            "https://BUCKET.s3.REGION.amazonaws.com" and "/KEY".
 * Returns 0, or -EINVAL when @region is not a region name or a result
 * does not fit.
 */
int
aws_s3_endpoint(const struct aws_s3_location *loc, const char *region,
                const char *override,
                char ret_endpoint[AWS_S3_ENDPOINT_SIZE],
                char ret_path[AWS_S3_PATH_SIZE]);

#endif
