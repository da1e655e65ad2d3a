#include "aws_ec2_tags.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A view of the text between <tag> and </tag>. */
struct span {
    const char *p;
    size_t len;
};

/* The first <@tag>...</@tag> (or <@tag/>) in @in; false if none. */
static bool
element(struct span in, const char *tag, struct span *ret,
        struct span *ret_after)
{
    char open[32], close[32], empty[32];
    const char *s, *e;
    size_t n;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    snprintf(empty, sizeof(empty), "<%s/>", tag);
    s = memmem(in.p, in.len, open, strlen(open));
    e = memmem(in.p, in.len, empty, strlen(empty));
    if (e && (!s || e < s)) {
        ret->p = e;
        ret->len = 0;
        n = (size_t)(e - in.p) + strlen(empty);
    } else {
        if (!s)
            return false;
        s += strlen(open);
        e = memmem(s, in.len - (size_t)(s - in.p), close, strlen(close));
        if (!e)
            return false;
        ret->p = s;
        ret->len = (size_t)(e - s);
        n = (size_t)(e - in.p) + strlen(close);
    }
    if (ret_after) {
        ret_after->p = in.p + n;
        ret_after->len = in.len - n;
    }
    return true;
}

/* Decodes the five XML entities of @s into @ret; markup is refused. */
static int
decode(struct span s, char *ret, size_t size)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
                 { "&quot;", '"' }, { "&apos;", '\'' } };
    size_t i = 0, o = 0, k, n;

    while (i < s.len) {
        char c = s.p[i];

        if (c == '<' || c == '\0')
            return -EPROTO;
        if (c == '&') {
            for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
                n = strlen(ents[k].ent);
                if (s.len - i >= n && memcmp(s.p + i, ents[k].ent, n) == 0)
                    break;
            }
            if (k == sizeof(ents) / sizeof(ents[0]))
                return -EPROTO;
            c = ents[k].c;
            i += strlen(ents[k].ent);
        } else {
            i++;
        }
        if (o + 1 >= size)
            return -ERANGE;
        ret[o++] = c;
    }
    ret[o] = '\0';
    return 0;
}

int
aws_ec2_tags_value(const char *body, size_t len, const char *key, char *ret,
                   size_t size)
{
    struct span all = { body, len }, set, rest, item, k, v;
    char name[AWS_EC2_TAG_VALUE_MAX + 1];
    int r;

    if (size)
        ret[0] = '\0';
    if (!memmem(body, len, "DescribeTagsResponse", 20) ||
        !element(all, "tagSet", &set, NULL))
        return -EPROTO;
    rest = set;
    while (element(rest, "item", &item, &rest)) {
        if (!element(item, "key", &k, NULL) ||
            !element(item, "value", &v, NULL))
            return -EPROTO;
        r = decode(k, name, sizeof(name));
        if (r < 0)
            return -EPROTO;
        if (strcmp(name, key) != 0)
            continue;
        return decode(v, ret, size);
    }
    return -ESRCH;
}
