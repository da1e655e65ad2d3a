#include "fleet_obj.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "iam_log.h"
#include "iam_sha256.h"

#define SIG_FIELD " ed25519="
/* Nesting of the payload: root, list, item, list, item, value. */
#define MAX_DEPTH 8
#define STR_MAX 2048   /* a name, id, ARN or path */
#define BODY_MAX 16384 /* a key body, as IAM_KEYLINE_MAX */

static int
fail(char *errbuf, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *errbuf, size_t errlen, int r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- building ---- */

static int
cmp_user_index(const void *a, const void *b, void *arg)
{
    const struct aws_iam_json_user *u = ((const struct fetch *)arg)->users;

    return strcmp(u[*(const size_t *)a].user_id, u[*(const size_t *)b].user_id);
}

static int
cmp_key(const void *a, const void *b, void *arg)
{
    const struct fetch_key *v = ((const struct fetch_user_keys *)arg)->v;

    return strcmp(v[*(const size_t *)a].key_id, v[*(const size_t *)b].key_id);
}

/* Adds @v under @name, taking it; false when out of memory. */
static bool
put(json_object *o, const char *name, json_object *v)
{
    if (!v || json_object_object_add(o, name, v) < 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

static bool
append(json_object *a, json_object *v)
{
    if (!v || json_object_array_add(a, v) < 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

static json_object *
key_json(const struct fetch_key *k)
{
    json_object *o = json_object_new_object();

    if (o && put(o, "id", json_object_new_string(k->key_id)) &&
        put(o, "status",
            json_object_new_string(k->status == AWS_IAM_JSON_KEY_ACTIVE
                                       ? "Active"
                                       : "Inactive")) &&
        put(o, "uploaded", json_object_new_int64(k->upload_date)) &&
        put(o, "body", json_object_new_string(k->body)))
        return o;
    json_object_put(o);
    return NULL;
}

static json_object *
keys_json(const struct fetch_user_keys *uk)
{
    json_object *a = json_object_new_array();
    size_t *order = calloc(uk->n + 1, sizeof(*order));
    size_t i, n = 0;

    if (!a || !order)
        goto fail;
    /* A key deleted between its listing and GetSSHPublicKey has no body:
     * it is gone, as in a direct sync. */
    for (i = 0; i < uk->n; i++)
        if (uk->v[i].body)
            order[n++] = i;
    qsort_r(order, n, sizeof(*order), cmp_key, (void *)uk);
    for (i = 0; i < n; i++)
        if (!append(a, key_json(&uk->v[order[i]])))
            goto fail;
    free(order);
    return a;
fail:
    free(order);
    json_object_put(a);
    return NULL;
}

static json_object *
user_json(const struct fetch *f, size_t i)
{
    const struct aws_iam_json_user *u = &f->users[i];
    json_object *o = json_object_new_object();

    if (!o || !put(o, "name", json_object_new_string(u->user_name)) ||
        !put(o, "id", json_object_new_string(u->user_id)) ||
        !put(o, "path", json_object_new_string(u->path ? u->path : "/")) ||
        !put(o, "created", json_object_new_int64(u->create_date)))
        goto fail;
    if (u->arn && !put(o, "arn", json_object_new_string(u->arn)))
        goto fail;
    /* "keys" only where they were fetched: absent is not "none". */
    if (f->wanted[i] && !put(o, "keys", keys_json(&f->keys[i])))
        goto fail;
    return o;
fail:
    json_object_put(o);
    return NULL;
}

static int
cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

static json_object *
group_json(const struct fetch_group *g, const size_t *pos)
{
    json_object *o = json_object_new_object();
    json_object *m = json_object_new_array();
    size_t *idx = calloc(g->n_members + 1, sizeof(*idx));
    size_t k;
    bool ok;

    if (!o || !m || !idx)
        goto fail;
    for (k = 0; k < g->n_members; k++)
        idx[k] = pos[g->members[k]];
    qsort(idx, g->n_members, sizeof(*idx), cmp_size);
    for (k = 0; k < g->n_members; k++)
        if (!append(m, json_object_new_int64((int64_t)idx[k])))
            goto fail;
    free(idx);
    idx = NULL;
    /* put() takes @m even when it fails. */
    ok = put(o, "members", m);
    m = NULL;
    if (ok && put(o, "name", json_object_new_string(g->name)) &&
        (g->group_id ? put(o, "id", json_object_new_string(g->group_id))
                     : json_object_object_add(o, "id", NULL) == 0) &&
        put(o, "authorized", json_object_new_boolean(g->authorized)))
        return o;
fail:
    free(idx);
    json_object_put(m);
    json_object_put(o);
    return NULL;
}

/* The payload JSON, users in user id order. */
static json_object *
payload_json(const struct fetch *f, bool all_keys)
{
    json_object *root = json_object_new_object();
    json_object *users = json_object_new_array();
    json_object *groups = json_object_new_array();
    size_t *order = calloc(f->n_users + 1, sizeof(*order));
    size_t *pos = calloc(f->n_users + 1, sizeof(*pos));
    size_t i;
    bool ok = root && users && groups && order && pos;

    for (i = 0; ok && i < f->n_users; i++)
        order[i] = i;
    if (ok)
        qsort_r(order, f->n_users, sizeof(*order), cmp_user_index, (void *)f);
    for (i = 0; ok && i < f->n_users; i++) {
        pos[order[i]] = i;
        ok = append(users, user_json(f, order[i]));
    }
    for (i = 0; ok && i < f->n_groups; i++)
        ok = append(groups, group_json(&f->groups[i], pos));
    free(order);
    free(pos);
    /* put() takes the list even when it fails. */
    if (ok) {
        ok = put(root, "users", users);
        users = NULL;
    }
    if (ok) {
        ok = put(root, "groups", groups);
        groups = NULL;
    }
    if (ok && put(root, "all_keys", json_object_new_boolean(all_keys)))
        return root;
    json_object_put(users);
    json_object_put(groups);
    json_object_put(root);
    return NULL;
}

int
fleet_obj_build(const struct fetch *f, bool all_keys, int64_t created,
                const char *source, const struct fleet_signer *s,
                char **ret_obj, size_t *ret_len, char ret_sha256[65])
{
    char sig[FLEET_SIG_B64_SIZE];
    char head[FLEET_HEADER_MAX];
    json_object *root;
    const char *payload;
    size_t plen;
    int hlen, n, r;

    *ret_obj = NULL;
    *ret_len = 0;
    root = payload_json(f, all_keys);
    if (!root)
        return -ENOMEM;
    payload =
        json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &plen);
    if (!payload) {
        r = -ENOMEM;
        goto out;
    }
    iam_sha256_hex(payload, plen, ret_sha256);
    hlen = snprintf(
        head, sizeof(head), "%s %u created=%" PRId64 " sha256=%s source=%s\n",
        FLEET_OBJ_MAGIC, FLEET_OBJ_VERSION, created, ret_sha256, source);
    if (hlen < 0 || (size_t)hlen >= sizeof(head) - FLEET_SIG_B64_SIZE - 16) {
        r = -EINVAL;
        goto out;
    }
    r = fleet_sign(s, head, (size_t)hlen, sig);
    if (r < 0)
        goto out;
    /* The signed line loses its '\n' to the signature field. */
    n = snprintf(head + hlen - 1, sizeof(head) - (size_t)hlen + 1, "%s%s\n",
                 SIG_FIELD, sig);
    hlen = hlen - 1 + n;
    *ret_len = (size_t)hlen + plen;
    *ret_obj = malloc(*ret_len + 1);
    if (!*ret_obj) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(*ret_obj, head, (size_t)hlen);
    memcpy(*ret_obj + hlen, payload, plen);
    (*ret_obj)[*ret_len] = '\0';
out:
    json_object_put(root);
    if (r < 0)
        *ret_len = 0;
    return r;
}

/* ---- reading ---- */

/* Consumes @lit at *@p; false (and *@p unchanged) when it is not there. */
static bool
expect(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Decimal digits at *@p (no sign, no leading zero), at most @max. */
static bool
number(const char **p, const char *end, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;
    const char *s = *p;

    if (s == end || *s < '0' || *s > '9' ||
        (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (v > (max - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *ret = v;
    return true;
}

/* Exactly @n characters of @set at *@p, copied to @out with a NUL. */
static bool
field(const char **p, const char *end, size_t n, bool (*ok)(char), char *out)
{
    size_t i;

    if ((size_t)(end - *p) < n)
        return false;
    for (i = 0; i < n; i++)
        if (!ok((*p)[i]))
            return false;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return true;
}

static bool
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool
is_source_char(char c)
{
    return c > ' ' && c < 0x7f;
}

static bool
is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

bool
fleet_obj_header_complete(const char *obj, size_t len)
{
    return len >= FLEET_HEADER_MAX || memchr(obj, '\n', len) != NULL;
}

int
fleet_obj_header(const char *obj, size_t len, struct fleet_header *ret,
                 char *errbuf, size_t errlen)
{
    const char *p = obj, *nl, *src;
    uint64_t version, created;
    size_t n;

    memset(ret, 0, sizeof(*ret));
    nl = memchr(obj, '\n', len < FLEET_HEADER_MAX ? len : FLEET_HEADER_MAX);
    if (!nl)
        return fail(errbuf, errlen, -EBADMSG,
                    "not an nss-iam fleet object "
                    "(no header line in its first %zu bytes)",
                    len < FLEET_HEADER_MAX ? len : (size_t)FLEET_HEADER_MAX);
    if (!expect(&p, nl, FLEET_OBJ_MAGIC " ") ||
        !number(&p, nl, UINT32_MAX, &version) || !expect(&p, nl, " "))
        return fail(errbuf, errlen, -EBADMSG, "not an nss-iam fleet object");
    if (version != FLEET_OBJ_VERSION)
        return fail(errbuf, errlen, -EPROTONOSUPPORT,
                    "fleet object format "
                    "%" PRIu64 "; this iam-sync reads format %u (upgrade "
                    "nss-iam)",
                    version, FLEET_OBJ_VERSION);
    if (!expect(&p, nl, "created=") || !number(&p, nl, INT64_MAX, &created) ||
        created == 0 || !expect(&p, nl, " sha256=") ||
        !field(&p, nl, 64, is_hex, ret->sha256) || !expect(&p, nl, " source="))
        return fail(errbuf, errlen, -EBADMSG,
                    "malformed fleet object "
                    "header");
    /* The source is judged against SOURCE, not here: just one word. */
    src = p;
    while (p < nl && is_source_char(*p))
        p++;
    n = (size_t)(p - src);
    if (n == 0 || n >= sizeof(ret->source) ||
        !field(&src, p, n, is_source_char, ret->source) ||
        !expect(&p, nl, SIG_FIELD) ||
        !field(&p, nl, FLEET_SIG_B64_SIZE - 1, is_b64, ret->sig) || p != nl)
        return fail(errbuf, errlen, -EBADMSG,
                    "malformed fleet object "
                    "header");
    ret->version = (unsigned)version;
    ret->created = (int64_t)created;
    ret->len = (size_t)(nl - obj) + 1;
    return 0;
}

int
fleet_obj_verify_header(const char *obj, const struct fleet_header *h,
                        const struct iam_strlist *keys, char *errbuf,
                        size_t errlen)
{
    char signed_part[FLEET_HEADER_MAX];
    const char *sig_at;
    size_t n;
    int who;

    sig_at = memmem(obj, h->len, SIG_FIELD, strlen(SIG_FIELD));
    n = sig_at ? (size_t)(sig_at - obj) : 0;
    if (n == 0 || n + 1 >= sizeof(signed_part))
        return fail(errbuf, errlen, -EBADMSG,
                    "malformed fleet object "
                    "header");
    memcpy(signed_part, obj, n);
    signed_part[n] = '\n';
    who = fleet_verify(keys, signed_part, n + 1, h->sig);
    if (who == -EBADMSG)
        return fail(errbuf, errlen, who,
                    "the signature is not by any "
                    "SIGNING_PUBLIC_KEY");
    if (who < 0)
        return fail(errbuf, errlen, who, "cannot check the signature");
    return who;
}

int
fleet_obj_check_payload(const char *obj, size_t len,
                        const struct fleet_header *h, char *errbuf,
                        size_t errlen)
{
    char sha[IAM_SHA256_HEX_SIZE];

    iam_sha256_hex(obj + h->len, len - h->len, sha);
    if (strcmp(sha, h->sha256) != 0)
        return fail(errbuf, errlen, -EBADMSG,
                    "the payload is not the one "
                    "signed (sha256 differs)");
    return 0;
}

int
fleet_obj_verify(const char *obj, size_t len, const struct fleet_header *h,
                 const struct iam_strlist *keys, char *errbuf, size_t errlen)
{
    int who, r;

    who = fleet_obj_verify_header(obj, h, keys, errbuf, errlen);
    if (who < 0)
        return who;
    r = fleet_obj_check_payload(obj, len, h, errbuf, errlen);
    return r < 0 ? r : who;
}

/* A string member of at most @max bytes; NULL (and *ok false) if not. */
static const char *
str_of(json_object *o, const char *name, size_t max, bool optional, bool *ok)
{
    json_object *v;
    const char *s;

    if (!json_object_object_get_ex(o, name, &v) ||
        json_object_is_type(v, json_type_null)) {
        *ok = *ok && optional;
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string) ||
        (size_t)json_object_get_string_len(v) > max ||
        json_object_get_string_len(v) == 0) {
        *ok = false;
        return NULL;
    }
    s = json_object_get_string(v);
    return s;
}

static int64_t
int_of(json_object *o, const char *name, bool *ok)
{
    json_object *v;

    if (!json_object_object_get_ex(o, name, &v) ||
        !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0) {
        *ok = false;
        return 0;
    }
    return json_object_get_int64(v);
}

static char *
dup_or_fail(const char *s, bool *ok)
{
    char *d;

    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static bool
decode_key(json_object *o, struct fetch_key *k)
{
    const char *status;
    bool ok = json_object_is_type(o, json_type_object);

    if (!ok)
        return false;
    status = str_of(o, "status", 16, false, &ok);
    k->upload_date = (time_t)int_of(o, "uploaded", &ok);
    k->key_id = dup_or_fail(str_of(o, "id", 128, false, &ok), &ok);
    k->body = dup_or_fail(str_of(o, "body", BODY_MAX, false, &ok), &ok);
    if (!ok || !status)
        return false;
    if (strcmp(status, "Active") == 0)
        k->status = AWS_IAM_JSON_KEY_ACTIVE;
    else if (strcmp(status, "Inactive") == 0)
        k->status = AWS_IAM_JSON_KEY_INACTIVE;
    else
        return false;
    return true;
}

/* One user; *has_keys when the object carries its keys. */
static bool
decode_user(json_object *o, struct aws_iam_json_user *u,
            struct fetch_user_keys *uk, bool *has_keys)
{
    json_object *keys;
    size_t i, n;
    bool ok = json_object_is_type(o, json_type_object);

    if (!ok)
        return false;
    u->user_name = dup_or_fail(str_of(o, "name", 64, false, &ok), &ok);
    u->user_id = dup_or_fail(str_of(o, "id", 128, false, &ok), &ok);
    u->path = dup_or_fail(str_of(o, "path", 512, false, &ok), &ok);
    u->arn = dup_or_fail(str_of(o, "arn", STR_MAX, true, &ok), &ok);
    u->create_date = (time_t)int_of(o, "created", &ok);
    *has_keys = json_object_object_get_ex(o, "keys", &keys);
    if (!ok || !*has_keys)
        return ok;
    if (!json_object_is_type(keys, json_type_array))
        return false;
    n = json_object_array_length(keys);
    uk->v = calloc(n + 1, sizeof(*uk->v));
    if (!uk->v)
        return false;
    for (i = 0; i < n; i++) {
        uk->n++;
        if (!decode_key(json_object_array_get_idx(keys, i), &uk->v[i]))
            return false;
    }
    return true;
}

static bool
decode_group(json_object *o, size_t n_users, struct fetch_group *g)
{
    json_object *m, *a;
    size_t i, n;
    int64_t idx;
    bool ok = json_object_is_type(o, json_type_object);

    if (!ok)
        return false;
    g->name = dup_or_fail(str_of(o, "name", 128, false, &ok), &ok);
    g->group_id = dup_or_fail(str_of(o, "id", 128, true, &ok), &ok);
    if (!ok || !json_object_object_get_ex(o, "authorized", &a) ||
        !json_object_is_type(a, json_type_boolean) ||
        !json_object_object_get_ex(o, "members", &m) ||
        !json_object_is_type(m, json_type_array))
        return false;
    g->authorized = json_object_get_boolean(a);
    n = json_object_array_length(m);
    g->members = calloc(n + 1, sizeof(*g->members));
    if (!g->members)
        return false;
    for (i = 0; i < n; i++) {
        a = json_object_array_get_idx(m, i);
        if (!json_object_is_type(a, json_type_int))
            return false;
        idx = json_object_get_int64(a);
        if (idx < 0 || (uint64_t)idx >= n_users)
            return false;
        g->members[g->n_members++] = (size_t)idx;
    }
    return true;
}

static json_object *
parse_payload(const char *p, size_t len, char *errbuf, size_t errlen)
{
    struct json_tokener *tok;
    json_object *root;

    if (len > INT32_MAX || memchr(p, '\0', len)) {
        fail(errbuf, errlen, -EBADMSG, "the payload is not JSON");
        return NULL;
    }
    tok = json_tokener_new_ex(MAX_DEPTH);
    if (!tok)
        return NULL;
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, p, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len ||
        !json_object_is_type(root, json_type_object)) {
        fail(errbuf, errlen, -EBADMSG,
             "the payload is not JSON of the "
             "expected shape");
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    return root;
}

static int
decode_lists(json_object *root, struct fetch *f, bool *ret_all_keys)
{
    json_object *users, *groups, *all;
    size_t i, n;
    bool has_keys;

    if (!json_object_object_get_ex(root, "users", &users) ||
        !json_object_is_type(users, json_type_array) ||
        !json_object_object_get_ex(root, "groups", &groups) ||
        !json_object_is_type(groups, json_type_array) ||
        !json_object_object_get_ex(root, "all_keys", &all) ||
        !json_object_is_type(all, json_type_boolean))
        return -EBADMSG;
    *ret_all_keys = json_object_get_boolean(all);
    n = json_object_array_length(users);
    f->users = calloc(n + 1, sizeof(*f->users));
    f->keys = calloc(n + 1, sizeof(*f->keys));
    f->authorized = calloc(n + 1, sizeof(*f->authorized));
    f->wanted = calloc(n + 1, sizeof(*f->wanted));
    if (!f->users || !f->keys || !f->authorized || !f->wanted)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        f->n_users++;
        if (!decode_user(json_object_array_get_idx(users, i), &f->users[i],
                         &f->keys[i], &has_keys))
            return -EBADMSG;
        f->wanted[i] = has_keys;
        /* Copied: its JSON goes now, so the tree shrinks as the fetch
         * grows (a 5000-user object's tree is about 20 MB). */
        json_object_array_put_idx(users, i, NULL);
    }
    n = json_object_array_length(groups);
    f->groups = calloc(n + 1, sizeof(*f->groups));
    if (!f->groups)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        f->n_groups++;
        if (!decode_group(json_object_array_get_idx(groups, i), f->n_users,
                          &f->groups[i]))
            return -EBADMSG;
    }
    return 0;
}

int
fleet_obj_decode(const char *obj, size_t len, const struct fleet_header *h,
                 struct fetch *ret, bool *ret_all_keys, char *errbuf,
                 size_t errlen)
{
    json_object *root;
    int r;

    memset(ret, 0, sizeof(*ret));
    *ret_all_keys = false;
    root = parse_payload(obj + h->len, len - h->len, errbuf, errlen);
    if (!root)
        return -EBADMSG;
    r = decode_lists(root, ret, ret_all_keys);
    json_object_put(root);
    if (r < 0) {
        fetch_free(ret);
        return fail(errbuf, errlen, r, "%s",
                    r == -ENOMEM ? "out of memory"
                                 : "the payload is not of the "
                                   "expected shape");
    }
    return 0;
}

/* ---- choosing this instance's part ---- */

static struct fetch_group *
find_group(struct fetch_group *v, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i].name && strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

static void
group_free(struct fetch_group *g)
{
    free(g->name);
    free(g->group_id);
    free(g->members);
}

int
fleet_obj_select(struct fetch *f, bool all_keys, const struct iam_config *cfg,
                 char *errbuf, size_t errlen)
{
    const struct iam_strlist *lists[2] = { &cfg->iam_authorized_groups,
                                           &cfg->sudoers_groups };
    struct fetch_group *mine, *g;
    size_t i, j, n = 0;
    bool *had_keys;
    int r;

    if (lists[0]->n == 0 && !all_keys)
        return fail(errbuf, errlen, -ENOENT,
                    "IAM_AUTHORIZED_GROUPS is "
                    "empty here (every IAM user) but the publisher "
                    "fetched keys only for its IAM_AUTHORIZED_GROUPS");
    mine = calloc(lists[0]->n + lists[1]->n + 1, sizeof(*mine));
    if (!mine)
        return -ENOMEM;
    for (i = 0; i < 2; i++) {
        for (j = 0; j < lists[i]->n; j++) {
            if (find_group(mine, n, lists[i]->v[j]))
                continue;
            g = find_group(f->groups, f->n_groups, lists[i]->v[j]);
            if (!g || (i == 0 && !g->authorized && !all_keys)) {
                r = fail(errbuf, errlen, -ENOENT,
                         "group %s is not among "
                         "the publisher's %s",
                         lists[i]->v[j],
                         i == 0 && !all_keys
                             ? "IAM_AUTHORIZED_GROUPS"
                             : "IAM_AUTHORIZED_GROUPS or SUDOERS_GROUPS");
                goto out;
            }
            mine[n] = *g;
            mine[n].authorized = i == 0;
            memset(g, 0, sizeof(*g));
            n++;
        }
    }
    for (i = 0; i < f->n_groups; i++)
        group_free(&f->groups[i]);
    free(f->groups);
    f->groups = mine;
    f->n_groups = n;
    mine = NULL;
    had_keys = f->wanted;
    f->wanted = NULL;
    r = fetch_mark_authorized(f, lists[0]);
    /* Users whose keys the publisher skipped (names refused everywhere)
     * stay authorized and keyless, as after a direct fetch. */
    for (i = 0; r >= 0 && i < f->n_users; i++)
        f->wanted[i] = f->wanted[i] && had_keys[i];
    free(had_keys);
out:
    if (mine) {
        for (i = 0; i < n; i++)
            group_free(&mine[i]);
        free(mine);
    }
    return r;
}
