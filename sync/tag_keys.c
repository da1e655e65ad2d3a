#include "tag_keys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iam_config_check.h"

/* IAM's floor for its own RSA keys; a tag key is held to no less. */
#define RSA_MIN_BITS 2048

bool
tag_keys_name_matches(const char *prefix, const char *tag_key)
{
    size_t n = strlen(prefix);

    if (n == 0 || strncmp(tag_key, prefix, n) != 0)
        return false;
    return tag_key[n] == '\0' || tag_key[n] == '-';
}

bool
tag_keys_is_id(const char *key_id)
{
    return strncmp(key_id, TAG_KEYS_ID_PREFIX, TAG_KEYS_ID_PREFIX_LEN) == 0;
}

bool
tag_keys_looks_like_key(const char *value)
{
    char word[64];
    size_t n = strcspn(value, " \t");

    if (n == 0 || n >= sizeof(word))
        return false;
    memcpy(word, value, n);
    word[n] = '\0';
    return iam_config_rule_key_type.ok(word);
}

static bool
type_allowed(const struct iam_strlist *types, const char *type)
{
    size_t i;

    for (i = 0; i < types->n; i++)
        if (strcmp(types->v[i], type) == 0)
            return true;
    return false;
}

int
tag_keys_check(const char *value, const struct iam_strlist *types, char *line,
               size_t size, struct iam_keyline *ret_key, const char **ret_why)
{
    int reason = 0, r;

    *ret_why = NULL;
    r = iam_keyline_parse(value, strlen(value), line, size, ret_key, &reason);
    if (r == -EINVAL)
        *ret_why = iam_keyline_strerror(reason);
    if (r < 0)
        return r;
    if (!type_allowed(types, ret_key->type))
        *ret_why = "its key type is not in TAG_KEY_TYPES";
    else if (strcmp(ret_key->type, "ssh-rsa") == 0 &&
             ret_key->bits < RSA_MIN_BITS)
        *ret_why = "an RSA key under 2048 bits";
    else if (ret_key->key_len != ret_key->line_len || ret_key->comment_dropped)
        *ret_why = "a tag holds \"TYPE BASE64\" alone, with no comment";
    if (!*ret_why)
        return 0;
    if (size > 0)
        line[0] = '\0';
    return -EINVAL;
}

/* ---- first seen ---- */

static int
cmp_seen(const void *a, const void *b)
{
    const struct tag_seen *x = a, *y = b;
    int c = strcmp(x->user_id, y->user_id);

    if (c == 0)
        c = strcmp(x->fingerprint, y->fingerprint);
    if (c == 0)
        c = (x->first > y->first) - (x->first < y->first);
    return c;
}

int
tag_seen_add(struct tag_seen_set *s, const char *user_id,
             const char *fingerprint, int64_t first)
{
    struct tag_seen *grown;
    size_t cap;

    if (strlen(fingerprint) >= IAM_KEYLINE_FP_SIZE)
        return -EINVAL;
    if (s->n == s->cap) {
        cap = s->cap ? s->cap * 2 : 16;
        grown = realloc(s->v, cap * sizeof(*s->v));
        if (!grown)
            return -ENOMEM;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n].user_id = strdup(user_id);
    if (!s->v[s->n].user_id)
        return -ENOMEM;
    memcpy(s->v[s->n].fingerprint, fingerprint, strlen(fingerprint) + 1);
    s->v[s->n].first = first;
    s->n++;
    return 0;
}

int
tag_seen_add_line(struct tag_seen_set *s, const char *user_id, const char *line,
                  int64_t first)
{
    struct iam_keyline parsed;
    size_t len = strlen(line);
    char *canon;
    int reason = 0, r;

    canon = malloc(len + 1);
    if (!canon)
        return -ENOMEM;
    r = iam_keyline_parse(line, len, canon, len + 1, &parsed, &reason);
    free(canon);
    if (r < 0)
        return 0; /* no key: nothing to remember */
    return tag_seen_add(s, user_id, parsed.fingerprint, first);
}

void
tag_seen_sort(struct tag_seen_set *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), cmp_seen);
}

bool
tag_seen_first(const struct tag_seen_set *s, const char *user_id,
               const char *fingerprint, int64_t *ret_first)
{
    size_t lo = 0, hi = s->n, mid;
    int c;

    /* The first entry not below (user_id, fingerprint): the earliest. */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(s->v[mid].user_id, user_id);
        if (c == 0)
            c = strcmp(s->v[mid].fingerprint, fingerprint);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->n || strcmp(s->v[lo].user_id, user_id) != 0 ||
        strcmp(s->v[lo].fingerprint, fingerprint) != 0)
        return false;
    *ret_first = s->v[lo].first;
    return true;
}

void
tag_seen_free(struct tag_seen_set *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i].user_id);
    free(s->v);
    memset(s, 0, sizeof(*s));
}
