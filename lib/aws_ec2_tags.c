#include "aws_ec2_tags.h"

#include <errno.h>
#include <string.h>

#include "aws_xml.h"

int
aws_ec2_tags_value(const char *body, size_t len, const char *key, char *ret,
                   size_t size)
{
    struct aws_xml_span all = { body, len }, set, rest, item, k, v;
    char name[AWS_EC2_TAG_VALUE_MAX + 1];
    int r;

    if (size)
        ret[0] = '\0';
    if (!memmem(body, len, "DescribeTagsResponse", 20) ||
        !aws_xml_element(all, "tagSet", &set, NULL))
        return -EPROTO;
    rest = set;
    while (aws_xml_element(rest, "item", &item, &rest)) {
        if (!aws_xml_element(item, "key", &k, NULL) ||
            !aws_xml_element(item, "value", &v, NULL))
            return -EPROTO;
        r = aws_xml_text(k, name, sizeof(name));
        if (r < 0)
            return -EPROTO;
        if (strcmp(name, key) != 0)
            continue;
        return aws_xml_text(v, ret, size);
    }
    return -ESRCH;
}
