/*
 * iam_ctype: ASCII character classes. <ctype.h> would answer by the
 * locale (in some, isalpha() takes bytes >= 0x80), and a name or value
 * must mean the same thing whatever locale the program runs in.
 *
 * Pure functions of one char; any byte >= 0x80 is in no class.
 */
#ifndef IAM_CTYPE_H
#define IAM_CTYPE_H

#include <stdbool.h>

/* ' ' or '\t': what separates words on a configuration or key line. */
static inline bool
iam_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* '0' to '9'. */
static inline bool
iam_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 'a' to 'z' and 'A' to 'Z'. */
static inline bool
iam_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
iam_is_alnum(char c)
{
    return iam_is_alpha(c) || iam_is_digit(c);
}

#endif
