/*
 * aws_ec2_tags: the one EC2 answer nss-iam reads, DescribeTags. EC2's
 * Query API answers in XML only; the answer needed is one tag value of one
 * instance, so this extracts <tagSet><item><key/><value/></item> strictly
 * rather than bringing in an XML library.
 */
#ifndef AWS_EC2_TAGS_H
#define AWS_EC2_TAGS_H

#include <stddef.h>

/* Longest tag value EC2 allows is 256 characters. */
#define AWS_EC2_TAG_VALUE_MAX 256

/*
 * aws_ec2_tags_value - find the value of tag @key in a DescribeTags
 * response @body (@len bytes). XML entities (&amp; &lt; &gt; &quot;
 * &apos;) are decoded. Returns 0 with the value in @ret (NUL-terminated),
 * -ESRCH when the tag set has no such key, -EPROTO when the body is not a
 * DescribeTags response or an item is malformed, -ERANGE when the value
 * does not fit @size.
 */
int
aws_ec2_tags_value(const char *body, size_t len, const char *key, char *ret,
                   size_t size);

#endif
