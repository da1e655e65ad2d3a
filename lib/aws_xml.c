#include "aws_xml.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Room for "</" + tag + ">" and the NUL. */
#define TAG_BUF 32

bool
aws_xml_element(struct aws_xml_span in, const char *tag,
                struct aws_xml_span *ret, struct aws_xml_span *ret_after)
{
    char open[TAG_BUF], close[TAG_BUF], empty[TAG_BUF];
    const char *s, *e;
    size_t n;
    int no, nc, ne;

    no = snprintf(open, sizeof(open), "<%s>", tag);
    nc = snprintf(close, sizeof(close), "</%s>", tag);
    ne = snprintf(empty, sizeof(empty), "<%s/>", tag);
    if (no < 0 || nc < 0 || ne < 0 || (size_t)nc >= sizeof(close))
        return false;
    s = memmem(in.p, in.len, open, (size_t)no);
    e = memmem(in.p, in.len, empty, (size_t)ne);
    if (e && (!s || e < s)) {
        ret->p = e;
        ret->len = 0;
        n = (size_t)(e - in.p) + (size_t)ne;
    } else {
        if (!s)
            return false;
        s += no;
        e = memmem(s, in.len - (size_t)(s - in.p), close, (size_t)nc);
        if (!e)
            return false;
        ret->p = s;
        ret->len = (size_t)(e - s);
        n = (size_t)(e - in.p) + (size_t)nc;
    }
    if (ret_after) {
        ret_after->p = in.p + n;
        ret_after->len = in.len - n;
    }
    return true;
}

int
aws_xml_text(struct aws_xml_span s, char *ret, size_t size)
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
    if (size == 0)
        return -ERANGE;
    ret[o] = '\0';
    return 0;
}
