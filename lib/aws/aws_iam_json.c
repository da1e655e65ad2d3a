#include "aws_iam_json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_error.h"
#include "aws_json.h"

/* Longest Status value looked at; longer ones cannot be known values. */
#define STATUS_MAX 16

/* get_view()/get_string() flags. */
#define STR_REQUIRED 0x1u
/* Keep control characters: the key body is validated by the key-line
 * code, which reports them better than a parser can. */
#define STR_CTRL_OK 0x2u

/* Which call is being parsed, and where its reason goes. */
struct pctx {
    const char *action;
    char *errbuf;
    size_t errbuf_size;
};

/* A list in one of its accepted shapes: an array, one object, or none. */
struct list {
    json_object *array; /* or NULL */
    json_object *one;   /* the single {"member": {...}} item, or NULL */
    size_t n;
};

static int
fail(struct pctx *c, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Write "<action>: <reason>" to the caller's errbuf and return @r, so a
 * failure is reported and returned in one statement.
 */
static int
fail(struct pctx *c, int r, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (c->errbuf_size == 0)
        return r;
    n = snprintf(c->errbuf, c->errbuf_size, "%s: ", c->action);
    if (n < 0 || (size_t)n >= c->errbuf_size)
        return r;
    va_start(ap, fmt);
    vsnprintf(c->errbuf + n, c->errbuf_size - (size_t)n, fmt, ap);
    va_end(ap);
    return r;
}

static const char *
type_name(json_object *o)
{
    return json_type_to_name(json_object_get_type(o));
}

/* aws_json_member(), under the short name the parsers below use. */
static json_object *
member(json_object *obj, const char *key)
{
    return aws_json_member(obj, key);
}

static bool
has_ctrl(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch == 0x7f)
            return true;
    }
    return false;
}

static char *
dup_mem(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/*
 * Check the string member @key of @obj and point *ret_s and *ret_len at it
 * (valid while @obj lives). @where names @obj in reasons. An absent, null
 * or empty member is -EPROTO with STR_REQUIRED, else 0 with *ret_s NULL:
 * AWS omits empty optional fields, so "" means the same as absent.
 */
static int
get_view(struct pctx *c, json_object *obj, const char *where, const char *key,
         size_t max, unsigned flags, const char **ret_s, size_t *ret_len)
{
    json_object *v = member(obj, key);
    const char *s;
    size_t len;

    *ret_s = NULL;
    *ret_len = 0;
    if (v && !json_object_is_type(v, json_type_string))
        return fail(c, -EPROTO, "%s.%s: expected string, got %s", where, key,
                    type_name(v));
    len = v ? (size_t)json_object_get_string_len(v) : 0;
    if (len == 0) {
        if (!(flags & STR_REQUIRED))
            return 0;
        if (v)
            return fail(c, -EPROTO, "%s.%s: empty", where, key);
        return fail(c, -EPROTO, "missing %s.%s", where, key);
    }
    s = json_object_get_string(v);
    if (len > max)
        return fail(c, -EPROTO, "%s.%s: longer than %zu bytes", where, key,
                    max);
    /* A NUL inside would silently cut the C string short. */
    if (memchr(s, '\0', len))
        return fail(c, -EPROTO, "%s.%s: contains a NUL byte", where, key);
    if (!(flags & STR_CTRL_OK) && has_ctrl(s, len))
        return fail(c, -EPROTO, "%s.%s: contains control characters", where,
                    key);
    *ret_s = s;
    *ret_len = len;
    return 0;
}

/* get_view(), then a heap copy the caller frees. */
static int
get_string(struct pctx *c, json_object *obj, const char *where, const char *key,
           size_t max, unsigned flags, char **ret_s)
{
    const char *s;
    size_t len;
    int r;

    *ret_s = NULL;
    r = get_view(c, obj, where, key, max, flags, &s, &len);
    if (r < 0 || !s)
        return r;
    *ret_s = dup_mem(s, len);
    if (!*ret_s)
        return fail(c, -ENOMEM, "out of memory");
    return 0;
}

/*
 * The timestamp member @key of @obj into *ret_time. Absent or null:
 * -EPROTO when @required, else 0 with *ret_time 0.
 */
static int
get_time(struct pctx *c, json_object *obj, const char *where, const char *key,
         bool required, time_t *ret_time)
{
    json_object *v = member(obj, key);
    int r;

    *ret_time = 0;
    if (!v) {
        if (required)
            return fail(c, -EPROTO, "missing %s.%s", where, key);
        return 0;
    }
    r = aws_json_time(v, ret_time);
    if (r == -EMEDIUMTYPE)
        return fail(c, -EPROTO, "%s.%s: expected timestamp, got %s", where, key,
                    type_name(v));
    if (r < 0)
        return fail(c, -EPROTO, "%s.%s: invalid timestamp", where, key);
    return 0;
}

static int
get_status(struct pctx *c, json_object *obj, const char *where, const char *key,
           enum aws_iam_json_key_status *ret_status)
{
    const char *s;
    size_t len;
    int r;

    *ret_status = AWS_IAM_JSON_KEY_INACTIVE;
    r = get_view(c, obj, where, key, STATUS_MAX, STR_REQUIRED, &s, &len);
    if (r < 0)
        return r;
    if (strcasecmp(s, "Active") == 0)
        *ret_status = AWS_IAM_JSON_KEY_ACTIVE;
    else if (strcasecmp(s, "Inactive") != 0)
        return fail(c, -EPROTO, "%s.%s: unknown status \"%s\"", where, key, s);
    return 0;
}

/* A list that is an object: {"member": [...]}, {"member": {...}} or {}. */
static int
get_member_list(struct pctx *c, json_object *v, const char *where,
                const char *key, struct list *l)
{
    json_object *m;

    if (!json_object_object_get_ex(v, "member", &m)) {
        if (json_object_object_length(v) == 0)
            return 0;
        return fail(c, -EPROTO, "%s.%s: expected list, got object", where, key);
    }
    if (!m)
        return 0;
    if (json_object_is_type(m, json_type_array)) {
        l->array = m;
        l->n = json_object_array_length(m);
    } else if (json_object_is_type(m, json_type_object)) {
        l->one = m;
        l->n = 1;
    } else {
        return fail(c, -EPROTO, "%s.%s.member: expected list, got %s", where,
                    key, type_name(m));
    }
    return 0;
}

/*
 * The list member @key of @obj. Absent is -EPROTO (the call always sends
 * it, so a body without it is not this call's answer); null, {} and ""
 * are an empty list.
 */
static int
get_list(struct pctx *c, json_object *obj, const char *where, const char *key,
         struct list *ret_list)
{
    json_object *v;
    int r = 0;

    memset(ret_list, 0, sizeof(*ret_list));
    if (!json_object_object_get_ex(obj, key, &v))
        return fail(c, -EPROTO, "missing %s.%s", where, key);
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_array)) {
        ret_list->array = v;
        ret_list->n = json_object_array_length(v);
    } else if (json_object_is_type(v, json_type_object)) {
        r = get_member_list(c, v, where, key, ret_list);
    } else if (!json_object_is_type(v, json_type_string) ||
               json_object_get_string_len(v) != 0) {
        r = fail(c, -EPROTO, "%s.%s: expected list, got %s", where, key,
                 type_name(v));
    }
    if (r == 0 && ret_list->n > AWS_IAM_JSON_MAX_ITEMS)
        r = fail(c, -EPROTO, "%s.%s: more than %u items", where, key,
                 AWS_IAM_JSON_MAX_ITEMS);
    if (r < 0)
        memset(ret_list, 0, sizeof(*ret_list));
    return r;
}

static json_object *
list_at(const struct list *l, size_t i)
{
    if (l->one)
        return l->one;
    return json_object_array_get_idx(l->array, i);
}

/*
 * IsTruncated and Marker. A truncated page without a Marker would make the
 * caller fetch the first page again forever, so it is refused here.
 */
static int
get_pagination(struct pctx *c, json_object *result, const char *where,
               bool *ret_truncated, char **ret_marker)
{
    json_object *v = member(result, "IsTruncated");
    const char *s;

    *ret_truncated = false;
    *ret_marker = NULL;
    if (json_object_is_type(v, json_type_boolean)) {
        *ret_truncated = json_object_get_boolean(v);
    } else if (json_object_is_type(v, json_type_string)) {
        /* XML-derived JSON carries booleans as text. */
        s = json_object_get_string(v);
        if (strcmp(s, "true") == 0)
            *ret_truncated = true;
        else if (strcmp(s, "false") != 0)
            return fail(c, -EPROTO,
                        "%s.IsTruncated: expected boolean, "
                        "got string",
                        where);
    } else if (v) {
        return fail(c, -EPROTO, "%s.IsTruncated: expected boolean, got %s",
                    where, type_name(v));
    }
    if (!*ret_truncated)
        return 0;
    v = member(result, "Marker");
    if (!v || (json_object_is_type(v, json_type_string) &&
               json_object_get_string_len(v) == 0)) {
        *ret_truncated = false;
        return fail(c, -EPROTO, "IsTruncated without Marker");
    }
    return get_string(c, result, where, "Marker", AWS_IAM_JSON_MARKER_MAX,
                      STR_REQUIRED, ret_marker);
}

static bool
is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static size_t
skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && is_space(s[i]))
        i++;
    return i;
}

/* Parse the whole body as one JSON value, within the depth cap. */
static int
tokenize(struct pctx *c, const char *body, size_t len, json_object **ret_root)
{
    char why[96];
    int r;

    r = aws_json_parse(body, len, AWS_IAM_JSON_MAX_DEPTH, why, sizeof(why),
                       ret_root);
    if (r == -EPROTO)
        return fail(c, r, "%s", why);
    if (r < 0)
        return fail(c, r, "out of memory");
    return 0;
}

/*
 * The error document in @root, if it is one: -EREMOTEIO with *ret_error
 * set, -EPROTO with @what_else as the reason when it is not one.
 */
static int
json_error(struct pctx *c, json_object *root, const char *what_else,
           struct aws_error **ret_error)
{
    int r = aws_error_from_json(root, ret_error);

    if (r == -ENOMSG)
        return fail(c, -EPROTO, "%s", what_else);
    if (r == -EPROTO)
        return fail(c, r, "error response without a valid Error.Code");
    if (r < 0)
        return fail(c, r, "out of memory");
    return -EREMOTEIO;
}

/*
 * Not an error document: a successful answer in XML (<ActionResponse>)
 * means the endpoint did not honour ContentType=JSON. Say that, not
 * "malformed": it is a setup issue, not a broken answer.
 */
static int
xml_answer(struct pctx *c, const char *body, size_t len)
{
    char tag[80];

    snprintf(tag, sizeof(tag), "<%sResponse", c->action);
    if (!memmem(body, len, tag, strlen(tag)))
        return fail(c, -EPROTO, "response is not JSON");
    return fail(c, -EPROTO,
                "the answer is XML, not JSON: this endpoint "
                "ignores ContentType=JSON and Accept: application/json (a "
                "proxy in between, or not an AWS endpoint?)");
}

/*
 * An XML error document: AWS and moto answer in XML when a request fails
 * before ContentType is read (signature, unknown access key).
 */
static int
xml_error(struct pctx *c, const char *body, size_t len,
          struct aws_error **ret_error)
{
    int r = aws_error_from_xml(body, len, ret_error);

    if (r == -ENOMSG)
        return xml_answer(c, body, len);
    if (r == -EPROTO)
        return fail(c, r, "response is not JSON");
    if (r < 0)
        return fail(c, r, "out of memory");
    return -EREMOTEIO;
}

/* Report an AWS error in errbuf and hand it to the caller if wanted. */
static int
report_error(struct pctx *c, struct aws_error *e, struct aws_error **ret_error)
{
    fail(c, -EREMOTEIO, "AWS error %s: %s", e->code,
         e->message ? e->message : "(no message)");
    if (ret_error)
        *ret_error = e;
    else
        aws_error_free(e);
    return -EREMOTEIO;
}

static int
check_args(struct pctx *c, const char *body, size_t len)
{
    if (!c->errbuf) {
        if (c->errbuf_size > 0) {
            c->errbuf_size = 0;
            return -EINVAL;
        }
    }
    if (!body)
        return fail(c, -EINVAL, "no response body");
    if (len > AWS_IAM_JSON_MAX_BODY)
        return fail(c, -EFBIG, "response larger than %u bytes",
                    AWS_IAM_JSON_MAX_BODY);
    if (skip_space(body, len, 0) == len)
        return fail(c, -EPROTO, "response is not JSON (empty)");
    return 0;
}

/*
 * Parse @body down to {"<Action>Response": {"<Action>Result": <result>}}.
 * On 0, *ret_root owns the tree and *ret_result points into it. An error
 * document is -EREMOTEIO with *ret_error set (or freed when NULL).
 */
static int
parse_doc(struct pctx *c, const char *body, size_t len,
          struct aws_error **ret_error, json_object **ret_root,
          json_object **ret_result)
{
    struct aws_error *e = NULL;
    json_object *root = NULL, *resp, *result;
    char key[64], missing[160];
    int r;

    *ret_root = NULL;
    *ret_result = NULL;
    r = check_args(c, body, len);
    if (r < 0)
        goto out;
    if (body[skip_space(body, len, 0)] == '<') {
        r = xml_error(c, body, len, &e);
        goto out;
    }
    r = tokenize(c, body, len, &root);
    if (r < 0)
        goto out;
    if (!json_object_is_type(root, json_type_object)) {
        r = fail(c, -EPROTO, "response is not a JSON object");
        goto out;
    }
    snprintf(key, sizeof(key), "%sResponse", c->action);
    resp = member(root, key);
    if (!resp) {
        snprintf(missing, sizeof(missing), "missing %s", key);
        r = json_error(c, root, missing, &e);
        goto out;
    }
    snprintf(key, sizeof(key), "%sResult", c->action);
    result = member(resp, key);
    if (!json_object_is_type(result, json_type_object)) {
        r = fail(c, -EPROTO, "missing %sResponse.%s", c->action, key);
        goto out;
    }
    *ret_root = root;
    *ret_result = result;
    root = NULL;
out:
    if (r == -EREMOTEIO)
        r = report_error(c, e, ret_error);
    json_object_put(root);
    return r;
}

/* ---- list pages: ListUsers, GetGroup, ListSSHPublicKeys, ListUserTags ---- */

/* One member of an item object, read into the item struct at @off. */
struct field {
    const char *key;
    enum { FIELD_STRING, FIELD_STATUS, FIELD_TIME } type;
    size_t off;
    size_t max;      /* FIELD_STRING: the length cap */
    bool required;   /* FIELD_STRING, FIELD_TIME */
    const char *def; /* FIELD_STRING: the value when absent, or NULL */
};

#define USER(m) offsetof(struct aws_iam_json_user, m)
#define KEY(m) offsetof(struct aws_iam_json_key_meta, m)
#define GROUP(m) offsetof(struct aws_iam_json_group, m)
#define TAG(m) offsetof(struct aws_iam_json_tag, m)

/* Each list ends with an entry whose key is NULL. */
static const struct field user_fields[] = {
    { "UserName", FIELD_STRING, USER(user_name), AWS_IAM_JSON_USER_NAME_MAX,
      true, NULL },
    { "UserId", FIELD_STRING, USER(user_id), AWS_IAM_JSON_ID_MAX, true, NULL },
    { "Arn", FIELD_STRING, USER(arn), AWS_IAM_JSON_ARN_MAX, false, NULL },
    { "Path", FIELD_STRING, USER(path), AWS_IAM_JSON_PATH_MAX, false, "/" },
    { "CreateDate", FIELD_TIME, USER(create_date), 0, true, NULL },
    { NULL, FIELD_STRING, 0, 0, false, NULL },
};
static const struct field key_fields[] = {
    { "UserName", FIELD_STRING, KEY(user_name), AWS_IAM_JSON_USER_NAME_MAX,
      true, NULL },
    { "SSHPublicKeyId", FIELD_STRING, KEY(ssh_public_key_id),
      AWS_IAM_JSON_ID_MAX, true, NULL },
    { "Status", FIELD_STATUS, KEY(status), 0, true, NULL },
    { "UploadDate", FIELD_TIME, KEY(upload_date), 0, true, NULL },
    { NULL, FIELD_STRING, 0, 0, false, NULL },
};
static const struct field group_fields[] = {
    { "GroupName", FIELD_STRING, GROUP(group_name), AWS_IAM_JSON_GROUP_NAME_MAX,
      true, NULL },
    { "GroupId", FIELD_STRING, GROUP(group_id), AWS_IAM_JSON_ID_MAX, true,
      NULL },
    { "Arn", FIELD_STRING, GROUP(arn), AWS_IAM_JSON_ARN_MAX, false, NULL },
    { NULL, FIELD_STRING, 0, 0, false, NULL },
};

/* IAM allows an empty tag value, which arrives as "" or not at all. */
static const struct field tag_fields[] = {
    { "Key", FIELD_STRING, TAG(key), AWS_IAM_JSON_TAG_KEY_MAX, true, NULL },
    { "Value", FIELD_STRING, TAG(value), AWS_IAM_JSON_TAG_VALUE_MAX, false,
      "" },
    { NULL, FIELD_STRING, 0, 0, false, NULL },
};

/* One typed list: the member of <Action>Result that holds it, the size
 * and the fields of one item. */
struct list_type {
    const char *member;
    size_t size;
    const struct field *fields;
};

static const struct list_type users_list = { "Users",
                                             sizeof(struct aws_iam_json_user),
                                             user_fields };
static const struct list_type keys_list = {
    "SSHPublicKeys", sizeof(struct aws_iam_json_key_meta), key_fields
};

static const struct list_type tags_list = { "Tags",
                                            sizeof(struct aws_iam_json_tag),
                                            tag_fields };

/* What one page of any list call holds. */
struct page {
    void *items; /* n items of the list type's size; NULL when 0 */
    size_t n;
    bool is_truncated;
    char *marker;
};

/* The object @o into @item (zeroed by the caller, who releases it with
 * fields_clear() on failure too). @where names @o in reasons. */
static int
parse_fields(struct pctx *c, json_object *o, const char *where,
             const struct field *f, void *item)
{
    void *dst;
    char **s;
    int r = 0;

    if (!json_object_is_type(o, json_type_object))
        return fail(c, -EPROTO, "%s: expected object, got %s", where,
                    type_name(o));
    for (; r == 0 && f->key; f++) {
        dst = (char *)item + f->off;
        if (f->type == FIELD_STATUS)
            r = get_status(c, o, where, f->key, dst);
        else if (f->type == FIELD_TIME)
            r = get_time(c, o, where, f->key, f->required, dst);
        else
            r = get_string(c, o, where, f->key, f->max,
                           f->required ? STR_REQUIRED : 0, dst);
        s = dst;
        if (r == 0 && f->def && !*s) {
            *s = dup_mem(f->def, strlen(f->def));
            if (!*s)
                r = fail(c, -ENOMEM, "out of memory");
        }
    }
    return r;
}

/* Frees the strings of @item and sets them to NULL. */
static void
fields_clear(const struct field *f, void *item)
{
    char **s;

    for (; f->key; f++) {
        s = (char **)((char *)item + f->off);
        if (f->type == FIELD_STRING) {
            free(*s);
            *s = NULL;
        }
    }
}

static void
items_free(const struct list_type *t, void *items, size_t n)
{
    size_t i;

    for (i = 0; items && i < n; i++)
        fields_clear(t->fields, (char *)items + i * t->size);
    free(items);
}

/* The list @t of @result into pg->items and pg->n, which stay empty on
 * failure. @where names @result in reasons. */
static int
parse_items(struct pctx *c, json_object *result, const char *where,
            const struct list_type *t, struct page *pg)
{
    struct list l;
    char item[96];
    char *items;
    size_t i;
    int r;

    r = get_list(c, result, where, t->member, &l);
    if (r < 0 || l.n == 0)
        return r;
    items = calloc(l.n, t->size);
    if (!items)
        return fail(c, -ENOMEM, "out of memory");
    for (i = 0; i < l.n; i++) {
        snprintf(item, sizeof(item), "%s.%s[%zu]", where, t->member, i);
        r = parse_fields(c, list_at(&l, i), item, t->fields,
                         items + i * t->size);
        if (r < 0) {
            items_free(t, items, l.n);
            return r;
        }
    }
    pg->items = items;
    pg->n = l.n;
    return 0;
}

/* GetGroup's Group, before its list of members; @g is zeroed. */
static int
parse_group(struct pctx *c, json_object *result, struct aws_iam_json_group *g)
{
    const char *where = "GetGroupResult.Group";
    json_object *o = member(result, "Group");

    if (!o)
        return fail(c, -EPROTO, "missing %s", where);
    return parse_fields(c, o, where, group_fields, g);
}

/*
 * One page of a list call: the envelope of c->action, then (with @group)
 * GetGroup's Group, then the list @t, then IsTruncated and Marker. On 0
 * *pg owns its items and marker, and *group its strings; on failure
 * neither holds anything.
 */
static int
parse_page(struct pctx *c, const char *body, size_t len,
           const struct list_type *t, struct aws_error **ret_error,
           struct aws_iam_json_group *group, struct page *pg)
{
    json_object *root = NULL, *result = NULL;
    char where[64];
    int r;

    memset(pg, 0, sizeof(*pg));
    if (ret_error)
        *ret_error = NULL;
    snprintf(where, sizeof(where), "%sResult", c->action);
    r = parse_doc(c, body, len, ret_error, &root, &result);
    if (r == 0 && group)
        r = parse_group(c, result, group);
    if (r == 0)
        r = parse_items(c, result, where, t, pg);
    if (r == 0)
        r = get_pagination(c, result, where, &pg->is_truncated, &pg->marker);
    if (r < 0) {
        items_free(t, pg->items, pg->n);
        free(pg->marker);
        memset(pg, 0, sizeof(*pg));
        if (group)
            fields_clear(group_fields, group);
    }
    json_object_put(root);
    return r;
}

/* A parsed page whose page struct could not be allocated: releases @pg
 * and @group (may be NULL) and fails with -ENOMEM. */
static int
no_page(struct pctx *c, const struct list_type *t, struct page *pg,
        struct aws_iam_json_group *group)
{
    items_free(t, pg->items, pg->n);
    free(pg->marker);
    if (group)
        fields_clear(group_fields, group);
    return fail(c, -ENOMEM, "out of memory");
}

int
aws_iam_json_list_users(const char *body, size_t len, char *errbuf,
                        size_t errbuf_size, struct aws_error **ret_error,
                        struct aws_iam_json_user_page **ret_page)
{
    struct pctx c = { "ListUsers", errbuf, errbuf_size };
    struct aws_iam_json_user_page *page;
    struct page pg;
    int r;

    *ret_page = NULL;
    r = parse_page(&c, body, len, &users_list, ret_error, NULL, &pg);
    if (r < 0)
        return r;
    page = calloc(1, sizeof(*page));
    if (!page)
        return no_page(&c, &users_list, &pg, NULL);
    page->users = pg.items;
    page->n_users = pg.n;
    page->is_truncated = pg.is_truncated;
    page->marker = pg.marker;
    *ret_page = page;
    return 0;
}

void
aws_iam_json_user_page_free(struct aws_iam_json_user_page *page)
{
    if (!page)
        return;
    items_free(&users_list, page->users, page->n_users);
    free(page->marker);
    free(page);
}

int
aws_iam_json_get_group(const char *body, size_t len, char *errbuf,
                       size_t errbuf_size, struct aws_error **ret_error,
                       struct aws_iam_json_group_page **ret_page)
{
    struct pctx c = { "GetGroup", errbuf, errbuf_size };
    struct aws_iam_json_group group = { NULL, NULL, NULL };
    struct aws_iam_json_group_page *page;
    struct page pg;
    int r;

    *ret_page = NULL;
    r = parse_page(&c, body, len, &users_list, ret_error, &group, &pg);
    if (r < 0)
        return r;
    page = calloc(1, sizeof(*page));
    if (!page)
        return no_page(&c, &users_list, &pg, &group);
    page->group = group;
    page->users = pg.items;
    page->n_users = pg.n;
    page->is_truncated = pg.is_truncated;
    page->marker = pg.marker;
    *ret_page = page;
    return 0;
}

void
aws_iam_json_group_page_free(struct aws_iam_json_group_page *page)
{
    if (!page)
        return;
    fields_clear(group_fields, &page->group);
    items_free(&users_list, page->users, page->n_users);
    free(page->marker);
    free(page);
}

int
aws_iam_json_list_ssh_public_keys(const char *body, size_t len, char *errbuf,
                                  size_t errbuf_size,
                                  struct aws_error **ret_error,
                                  struct aws_iam_json_key_page **ret_page)
{
    struct pctx c = { "ListSSHPublicKeys", errbuf, errbuf_size };
    struct aws_iam_json_key_page *page;
    struct page pg;
    int r;

    *ret_page = NULL;
    r = parse_page(&c, body, len, &keys_list, ret_error, NULL, &pg);
    if (r < 0)
        return r;
    page = calloc(1, sizeof(*page));
    if (!page)
        return no_page(&c, &keys_list, &pg, NULL);
    page->keys = pg.items;
    page->n_keys = pg.n;
    page->is_truncated = pg.is_truncated;
    page->marker = pg.marker;
    *ret_page = page;
    return 0;
}

void
aws_iam_json_key_page_free(struct aws_iam_json_key_page *page)
{
    if (!page)
        return;
    items_free(&keys_list, page->keys, page->n_keys);
    free(page->marker);
    free(page);
}

int
aws_iam_json_list_user_tags(const char *body, size_t len, char *errbuf,
                            size_t errbuf_size, struct aws_error **ret_error,
                            struct aws_iam_json_tag_page **ret_page)
{
    struct pctx c = { "ListUserTags", errbuf, errbuf_size };
    struct aws_iam_json_tag_page *page;
    struct page pg;
    int r;

    *ret_page = NULL;
    r = parse_page(&c, body, len, &tags_list, ret_error, NULL, &pg);
    if (r < 0)
        return r;
    page = calloc(1, sizeof(*page));
    if (!page)
        return no_page(&c, &tags_list, &pg, NULL);
    page->tags = pg.items;
    page->n_tags = pg.n;
    page->is_truncated = pg.is_truncated;
    page->marker = pg.marker;
    *ret_page = page;
    return 0;
}

void
aws_iam_json_tag_page_free(struct aws_iam_json_tag_page *page)
{
    if (!page)
        return;
    items_free(&tags_list, page->tags, page->n_tags);
    free(page->marker);
    free(page);
}

/* ---- GetAccountAuthorizationDetails: only the tags asked for ---- */

static void
gaad_user_clear(struct aws_iam_json_gaad_user *u)
{
    items_free(&tags_list, u->tags, u->n_tags);
    free(u->user_name);
    free(u->user_id);
    memset(u, 0, sizeof(*u));
}

/*
 * The tags of the user @o that @flt keeps, into @u, which owns them on
 * failure too. Absent or null Tags: none (IAM omits an empty list).
 */
static int
gaad_tags(struct pctx *c, json_object *o, const char *where,
          const struct aws_iam_json_gaad_filter *flt,
          struct aws_iam_json_gaad_user *u)
{
    struct aws_iam_json_tag t;
    struct list l;
    char item[160];
    size_t i;
    int r;

    if (!member(o, "Tags"))
        return 0;
    r = get_list(c, o, where, "Tags", &l);
    if (r < 0 || l.n == 0)
        return r;
    u->tags = calloc(l.n, sizeof(*u->tags));
    if (!u->tags)
        return fail(c, -ENOMEM, "out of memory");
    for (i = 0; i < l.n; i++) {
        memset(&t, 0, sizeof(t));
        snprintf(item, sizeof(item), "%s.Tags[%zu]", where, i);
        r = parse_fields(c, list_at(&l, i), item, tag_fields, &t);
        if (r == 0 && (!flt->keep_tag ||
                       flt->keep_tag(flt->arg, u->user_name, t.key, t.value))) {
            u->tags[u->n_tags++] = t;
            continue;
        }
        fields_clear(tag_fields, &t);
        if (r < 0)
            return r;
    }
    return 0;
}

/*
 * One UserDetailList entry into @u (zeroed; owned by @u on failure too).
 * UserName and UserId are checked for every entry, so that a page that
 * is not what it claims fails whoever it names; the rest only for the
 * users @flt keeps.
 */
static int
gaad_user(struct pctx *c, json_object *o, const char *where,
          const struct aws_iam_json_gaad_filter *flt,
          struct aws_iam_json_gaad_user *u)
{
    const char *name = NULL, *id = NULL;
    size_t name_len = 0, id_len = 0;
    int r;

    if (!json_object_is_type(o, json_type_object))
        return fail(c, -EPROTO, "%s: expected object, got %s", where,
                    type_name(o));
    r = get_view(c, o, where, "UserName", AWS_IAM_JSON_USER_NAME_MAX,
                 STR_REQUIRED, &name, &name_len);
    if (r < 0)
        return r;
    r = get_view(c, o, where, "UserId", AWS_IAM_JSON_ID_MAX, STR_REQUIRED, &id,
                 &id_len);
    if (r < 0)
        return r;
    /* json-c ends each string with a NUL, and get_view() refused one
     * inside: the views are C strings. */
    if (flt->keep_user && !flt->keep_user(flt->arg, id))
        return 0;
    u->user_name = dup_mem(name, name_len);
    u->user_id = dup_mem(id, id_len);
    if (!u->user_name || !u->user_id)
        return fail(c, -ENOMEM, "out of memory");
    return gaad_tags(c, o, where, flt, u);
}

/* UserDetailList into @page, keeping only users left with a tag. */
static int
gaad_users(struct pctx *c, json_object *result, const char *where,
           const struct aws_iam_json_gaad_filter *flt,
           struct aws_iam_json_gaad_page *page)
{
    struct aws_iam_json_gaad_user *u;
    struct list l;
    char item[128];
    size_t i;
    int r;

    r = get_list(c, result, where, "UserDetailList", &l);
    if (r < 0 || l.n == 0)
        return r;
    page->users = calloc(l.n, sizeof(*page->users));
    if (!page->users)
        return fail(c, -ENOMEM, "out of memory");
    for (i = 0; i < l.n; i++) {
        u = &page->users[page->n_users];
        snprintf(item, sizeof(item), "%s.UserDetailList[%zu]", where, i);
        r = gaad_user(c, list_at(&l, i), item, flt, u);
        if (r < 0 || u->n_tags == 0)
            gaad_user_clear(u);
        if (r < 0)
            return r;
        if (u->user_id)
            page->n_users++;
    }
    /* As every list here: no items, no array. */
    if (page->n_users == 0) {
        free(page->users);
        page->users = NULL;
    }
    return 0;
}

int
aws_iam_json_get_account_authorization_details(
    const char *body, size_t len, const struct aws_iam_json_gaad_filter *filter,
    char *errbuf, size_t errbuf_size, struct aws_error **ret_error,
    struct aws_iam_json_gaad_page **ret_page)
{
    static const struct aws_iam_json_gaad_filter keep_all = { NULL, NULL,
                                                              NULL };
    struct pctx c = { "GetAccountAuthorizationDetails", errbuf, errbuf_size };
    const char *where = "GetAccountAuthorizationDetailsResult";
    struct aws_iam_json_gaad_page *page = NULL;
    json_object *root = NULL, *result;
    int r;

    if (ret_error)
        *ret_error = NULL;
    *ret_page = NULL;
    r = parse_doc(&c, body, len, ret_error, &root, &result);
    if (r < 0)
        goto out;
    page = calloc(1, sizeof(*page));
    if (!page) {
        r = fail(&c, -ENOMEM, "out of memory");
        goto out;
    }
    r = gaad_users(&c, result, where, filter ? filter : &keep_all, page);
    if (r == 0)
        r = get_pagination(&c, result, where, &page->is_truncated,
                           &page->marker);
    if (r == 0) {
        *ret_page = page;
        page = NULL;
    }
out:
    aws_iam_json_gaad_page_free(page);
    json_object_put(root);
    return r;
}

void
aws_iam_json_gaad_page_free(struct aws_iam_json_gaad_page *page)
{
    size_t i;

    if (!page)
        return;
    for (i = 0; i < page->n_users; i++)
        gaad_user_clear(&page->users[i]);
    free(page->users);
    free(page->marker);
    free(page);
}

/* ---- GetUser ---- */

int
aws_iam_json_get_user(const char *body, size_t len, char *errbuf,
                      size_t errbuf_size, struct aws_error **ret_error,
                      struct aws_iam_json_user **ret_user)
{
    struct pctx c = { "GetUser", errbuf, errbuf_size };
    struct aws_iam_json_user *user = NULL;
    json_object *root = NULL, *result, *o;
    int r;

    if (ret_error)
        *ret_error = NULL;
    *ret_user = NULL;
    r = parse_doc(&c, body, len, ret_error, &root, &result);
    if (r < 0)
        goto out;
    o = member(result, "User");
    if (!o) {
        r = fail(&c, -EPROTO, "missing GetUserResult.User");
        goto out;
    }
    user = calloc(1, sizeof(*user));
    if (!user) {
        r = fail(&c, -ENOMEM, "out of memory");
        goto out;
    }
    /* The same fields, checked the same way, as a ListUsers item. */
    r = parse_fields(&c, o, "GetUserResult.User", user_fields, user);
    if (r < 0)
        goto out;
    *ret_user = user;
    user = NULL;
out:
    aws_iam_json_user_free(user);
    json_object_put(root);
    return r;
}

void
aws_iam_json_user_free(struct aws_iam_json_user *user)
{
    if (!user)
        return;
    fields_clear(user_fields, user);
    free(user);
}

static int
parse_ssh_key(struct pctx *c, json_object *o, struct aws_iam_json_ssh_key *k)
{
    const char *where = "GetSSHPublicKeyResult.SSHPublicKey";
    int r;

    if (!o)
        return fail(c, -EPROTO, "missing %s", where);
    if (!json_object_is_type(o, json_type_object))
        return fail(c, -EPROTO, "%s: expected object, got %s", where,
                    type_name(o));
    r = get_string(c, o, where, "UserName", AWS_IAM_JSON_USER_NAME_MAX,
                   STR_REQUIRED, &k->user_name);
    if (r < 0)
        return r;
    r = get_string(c, o, where, "SSHPublicKeyId", AWS_IAM_JSON_ID_MAX,
                   STR_REQUIRED, &k->ssh_public_key_id);
    if (r < 0)
        return r;
    r = get_string(c, o, where, "Fingerprint", AWS_IAM_JSON_FINGERPRINT_MAX, 0,
                   &k->fingerprint);
    if (r < 0)
        return r;
    r = get_string(c, o, where, "SSHPublicKeyBody", AWS_IAM_JSON_KEY_BODY_MAX,
                   STR_REQUIRED | STR_CTRL_OK, &k->ssh_public_key_body);
    if (r < 0)
        return r;
    r = get_status(c, o, where, "Status", &k->status);
    if (r < 0)
        return r;
    return get_time(c, o, where, "UploadDate", false, &k->upload_date);
}

int
aws_iam_json_get_ssh_public_key(const char *body, size_t len, char *errbuf,
                                size_t errbuf_size,
                                struct aws_error **ret_error,
                                struct aws_iam_json_ssh_key **ret_key)
{
    struct pctx c = { "GetSSHPublicKey", errbuf, errbuf_size };
    struct aws_iam_json_ssh_key *key = NULL;
    json_object *root = NULL, *result;
    int r;

    if (ret_error)
        *ret_error = NULL;
    *ret_key = NULL;
    r = parse_doc(&c, body, len, ret_error, &root, &result);
    if (r < 0)
        goto out;
    key = calloc(1, sizeof(*key));
    if (!key) {
        r = fail(&c, -ENOMEM, "out of memory");
        goto out;
    }
    r = parse_ssh_key(&c, member(result, "SSHPublicKey"), key);
    if (r < 0)
        goto out;
    *ret_key = key;
    key = NULL;
out:
    aws_iam_json_ssh_key_free(key);
    json_object_put(root);
    return r;
}

void
aws_iam_json_ssh_key_free(struct aws_iam_json_ssh_key *key)
{
    if (!key)
        return;
    free(key->user_name);
    free(key->ssh_public_key_id);
    free(key->fingerprint);
    free(key->ssh_public_key_body);
    free(key);
}
