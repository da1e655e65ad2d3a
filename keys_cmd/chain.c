#include "chain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tokens of sshd's AuthorizedKeysCommand that we can expand. %h, %C
 * and %D are sshd's too, but sshd does not pass them on to us. */
#define CHAIN_TOKENS "%%u %%U %%k %%t %%f %%%%"

struct expansion {
    size_t len;   /* bytes of the expanded word, NUL excluded */
    char missing; /* first token without a value, or 0 */
};

/* The value of token @c, NULL when it has none; sets *ret_known. */
static const char *
token_value(char c, const struct chain_tokens *t, bool *ret_known)
{
    *ret_known = true;
    switch (c) {
    case 'u':
        return t->user;
    case 'U':
        return t->uid;
    case 'k':
        return t->key;
    case 't':
        return t->type;
    case 'f':
        return t->fingerprint;
    case '%':
        return "%";
    default:
        *ret_known = false;
        return NULL;
    }
}

/*
 * Expands @word into @out (@size bytes, may be 0 to measure only), in one
 * pass. Returns 0 with *ret filled, or -EINVAL for an unknown token or a
 * '%' at the end (with the reason in @err).
 */
static int
expand_word(const char *word, const struct chain_tokens *t, char *out,
            size_t size, struct expansion *ret, char *err, size_t errlen)
{
    const char *v, *p;
    bool known;
    size_t n;

    memset(ret, 0, sizeof(*ret));
    for (p = word; *p; p++) {
        v = p;
        n = 1;
        if (*p == '%') {
            p++;
            if (!*p) {
                snprintf(err, errlen,
                         "\"%s\" ends with %%; write %%%% for "
                         "a %% (tokens: " CHAIN_TOKENS ")",
                         word);
                return -EINVAL;
            }
            v = token_value(*p, t, &known);
            if (!known) {
                snprintf(err, errlen,
                         "unknown token %%%c in \"%s\" "
                         "(tokens: " CHAIN_TOKENS ")",
                         *p, word);
                return -EINVAL;
            }
            if (!v && !ret->missing)
                ret->missing = *p;
            n = v ? strlen(v) : 0;
        }
        if (v && ret->len + n < size)
            memcpy(out + ret->len, v, n);
        ret->len += n;
    }
    if (size)
        out[ret->len < size ? ret->len : size - 1] = '\0';
    return 0;
}

/* Splits @copy in place on spaces and tabs into @words; the count. */
static int
split_words(char *copy, char **words, int max)
{
    int n = 0;
    char *p = copy;

    while (*p) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max)
            return -E2BIG;
        words[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    return n;
}

/* The checks that do not depend on the call. */
static int
check_words(char **words, int n, char *err, size_t errlen)
{
    int i;

    if (n < 1 || words[0][0] != '/') {
        snprintf(err, errlen, "the program is not an absolute path");
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        /* sshd would read these as quoting; we do not, so refuse them
         * rather than run something else than the operator wrote. */
        if (strpbrk(words[i], "\"'\\")) {
            snprintf(err, errlen,
                     "quotes and backslashes are not "
                     "supported: \"%s\"",
                     words[i]);
            return -EINVAL;
        }
    }
    return 0;
}

/* Expands words[1..n-1] into @ret; words[0], the program, as is. */
static int
expand_all(char **words, int n, const struct chain_tokens *t,
           struct chain_cmd *ret, char *err, size_t errlen)
{
    struct expansion e;
    char missing = 0;
    int i, r;

    for (i = 1; i < n; i++) {
        r = expand_word(words[i], t, NULL, 0, &e, err, errlen);
        if (r < 0)
            return r;
        if (e.missing && !missing)
            missing = e.missing;
    }
    if (missing) {
        snprintf(err, errlen, "%%%c has no value in this call", missing);
        return -ENODATA;
    }
    ret->argv[0] = strdup(words[0]);
    if (!ret->argv[0])
        return -ENOMEM;
    for (i = 1; i < n; i++) {
        expand_word(words[i], t, NULL, 0, &e, err, errlen);
        ret->argv[i] = malloc(e.len + 1);
        if (!ret->argv[i])
            return -ENOMEM;
        expand_word(words[i], t, ret->argv[i], e.len + 1, &e, err, errlen);
    }
    return 0;
}

int
chain_prepare(const char *command, const struct chain_tokens *t,
              struct chain_cmd *ret, char *err, size_t errlen)
{
    char *words[CHAIN_MAX_WORDS];
    char *copy;
    int n, r;

    memset(ret, 0, sizeof(*ret));
    err[0] = '\0';
    copy = strdup(command);
    if (!copy)
        return -ENOMEM;
    n = split_words(copy, words, CHAIN_MAX_WORDS);
    if (n < 0) {
        snprintf(err, errlen, "more than %d words", CHAIN_MAX_WORDS);
        r = -EINVAL;
        goto out;
    }
    r = check_words(words, n, err, errlen);
    if (r == 0)
        r = expand_all(words, n, t, ret, err, errlen);
out:
    if (r < 0)
        chain_cmd_free(ret);
    free(copy);
    return r;
}

void
chain_cmd_free(struct chain_cmd *cmd)
{
    size_t i;

    if (!cmd)
        return;
    for (i = 0; i < CHAIN_MAX_WORDS + 1; i++) {
        free(cmd->argv[i]);
        cmd->argv[i] = NULL;
    }
}
