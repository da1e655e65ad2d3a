#include "iam_shellword.h"
#include "iam_ctype.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Where the message of a refused line goes. */
struct why {
    char *buf;
    size_t len;
};

/* Writes the message and returns -EINVAL, so that every check can end in
 * "return fail()". */
static int
fail(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct why *w, const char *fmt, ...)
{
    va_list ap;

    if (w->buf && w->len > 0) {
        va_start(ap, fmt);
        vsnprintf(w->buf, w->len, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static char *
skip_blanks(char *s)
{
    while (iam_is_blank(*s))
        s++;
    return s;
}

/* Rejects what bash would have expanded: the file used to be sourced,
 * and a value meaning something else here than there is worse than an
 * error. */
static int
check_expansion(struct why *w, const char *key, const char *s)
{
    if (*s == '`' || (s[0] == '$' && s[1] == '('))
        return fail(w,
                    "%s: command substitution is not supported; put a "
                    "literal $ or ` in single quotes",
                    key);
    if (*s == '$')
        return fail(w,
                    "%s: variable expansion ($) is not supported; put "
                    "a literal $ in single quotes",
                    key);
    if (*s == '\\')
        return fail(w,
                    "%s: backslash escapes are not supported; put a "
                    "literal \\ in single quotes",
                    key);
    return 0;
}

/* Finds the closing @quote; on success terminates the value there and
 * sets *ret_rest to what follows it. */
static int
lex_quoted(struct why *w, const char *key, char *s, char **ret_val,
           char **ret_rest)
{
    char q = *s;
    char *close = strchr(s + 1, q);
    char *c;
    int r;

    *ret_val = NULL;
    *ret_rest = NULL;
    if (!close)
        return fail(w, "%s: unterminated %s quote", key,
                    q == '"' ? "double" : "single");
    for (c = s + 1; c < close; c++) {
        r = q == '"' ? check_expansion(w, key, c) : 0;
        if (r < 0)
            return r;
        if (*c == '\t')
            return fail(w, "%s: tab inside the value", key);
    }
    /* "a"b and "a"#b are one word to bash: not a comment, not two
     * values */
    if (close[1] != '\0' && !iam_is_blank(close[1]))
        return fail(w, "%s: unexpected text right after the closing quote",
                    key);
    *close = '\0';
    *ret_val = s + 1;
    *ret_rest = close + 1;
    return 0;
}

static int
lex_bare(struct why *w, const char *key, char *s, char **ret_val,
         char **ret_rest)
{
    char *c;
    int r;

    *ret_val = NULL;
    *ret_rest = NULL;
    for (c = s; *c && !iam_is_blank(*c); c++) {
        r = check_expansion(w, key, c);
        if (r < 0)
            return r;
        if (*c == '"' || *c == '\'')
            return fail(w,
                        "%s: quote inside an unquoted value; quote the "
                        "whole value",
                        key);
        if (strchr(";&|<>()~", *c))
            return fail(w,
                        "%s: shell character '%c' in an unquoted value; "
                        "quote the value",
                        key, *c);
    }
    *ret_val = s;
    *ret_rest = c;
    if (*c) {
        *c = '\0';
        *ret_rest = c + 1;
    }
    return 0;
}

static int
lex_value(struct why *w, const char *key, char *s, char **ret_val)
{
    char *val = NULL;
    char *rest = NULL;
    int r;

    *ret_val = NULL;
    if (*s == '"' || *s == '\'')
        r = lex_quoted(w, key, s, &val, &rest);
    else
        r = lex_bare(w, key, s, &val, &rest);
    if (r < 0)
        return r;
    rest = skip_blanks(rest);
    if (*rest != '\0' && *rest != '#')
        return fail(w,
                    "%s: unexpected text after the value (quote a value "
                    "that contains spaces)",
                    key);
    *ret_val = val;
    return 0;
}

/* Why a key is not followed by '='; @key is not terminated. */
static int
bad_assignment(struct why *w, const char *key, char *s)
{
    int n = (int)(s - key) < 64 ? (int)(s - key) : 64;

    if (iam_is_blank(*s) && *skip_blanks(s) == '=')
        return fail(w, "%.*s: no spaces allowed around '='", n, key);
    if (*s == '\0' || iam_is_blank(*s))
        return fail(w, "missing '=' after %.*s", n, key);
    if ((unsigned char)*s >= 0x80)
        return fail(w, "byte 0x%02x in key name %.*s", (unsigned char)*s, n,
                    key);
    return fail(w, "invalid character '%c' in key name %.*s", *s, n, key);
}

/* Returns 0 for a blank or comment line, 1 with *ret_key and *ret_val
 * pointing into @s for an assignment, or -EINVAL. */
static int
lex_line(struct why *w, char *s, char **ret_key, char **ret_val)
{
    char *key;
    int r;

    *ret_key = NULL;
    *ret_val = NULL;
    s = skip_blanks(s);
    if (*s == '\0' || *s == '#')
        return 0;
    if (strncmp(s, "export", 6) == 0 && iam_is_blank(s[6])) {
        s = skip_blanks(s + 6);
        if (*s == '\0' || *s == '#')
            return fail(w, "\"export\" without KEY=value");
    }
    if (!iam_is_alpha(*s) && *s != '_')
        return fail(w, "expected KEY=value");
    key = s;
    while (iam_is_alnum(*s) || *s == '_')
        s++;
    if (*s != '=')
        return bad_assignment(w, key, s);
    *s = '\0';
    r = lex_value(w, key, s + 1, ret_val);
    if (r < 0)
        return r;
    *ret_key = key;
    return 1;
}

/* NUL bytes and control characters other than tab are never intended
 * and would confuse both this parser and anyone reading the file. */
static int
check_bytes(struct why *w, const char *s, size_t n)
{
    size_t i;
    unsigned char c;

    for (i = 0; i < n; i++) {
        c = (unsigned char)s[i];
        if (c == 0)
            return fail(w, "NUL byte in the line");
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(w, "control character 0x%02x in the line", c);
    }
    return 0;
}

int
iam_shellword_line(char *line, size_t len, char **ret_key, char **ret_val,
                   char *why, size_t whylen)
{
    struct why w = { why, whylen };
    int r;

    *ret_key = NULL;
    *ret_val = NULL;
    r = check_bytes(&w, line, len);
    if (r < 0)
        return r;
    return lex_line(&w, line, ret_key, ret_val);
}
