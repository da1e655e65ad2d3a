#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "aws_json.h"
#include "iam_name.h"

/* The most an EventBridge event can be; a longer body is no event. */
#define BODY_MAX (256 * 1024)
/* CloudTrail nests a few levels (detail.userIdentity.sessionContext.
 * sessionIssuer); deeper is no event of IAM's. */
#define BODY_DEPTH 32
/* What of a foreign string a reason quotes. */
#define QUOTE_MAX 64

#define SOURCE "aws.iam"
#define DETAIL_TYPE "AWS API Call via CloudTrail"
#define EVENT_SOURCE "iam.amazonaws.com"

/*
 * The IAM calls followed, sorted by name (looked up by bsearch). @param
 * and @renamed are detail.requestParameters members as CloudTrail
 * records them: the API's parameter names with a lower-case first
 * letter. @renamed, when the call has it, names the second hint.
 */
struct rule {
    const char *event;
    enum event_kind kind;
    const char *param;
    const char *renamed;
};

static const struct rule rules[] = {
    { "AddUserToGroup", EVENT_GROUP, "groupName", NULL },
    { "CreateUser", EVENT_USER, "userName", NULL },
    { "DeleteGroup", EVENT_GROUP, "groupName", NULL },
    { "DeleteSSHPublicKey", EVENT_USER_KEYS, "userName", NULL },
    { "DeleteUser", EVENT_USER, "userName", NULL },
    { "RemoveUserFromGroup", EVENT_GROUP, "groupName", NULL },
    { "TagUser", EVENT_USER_TAGS, "userName", NULL },
    { "UntagUser", EVENT_USER_TAGS, "userName", NULL },
    { "UpdateGroup", EVENT_GROUP, "groupName", "newGroupName" },
    { "UpdateSSHPublicKey", EVENT_USER_KEYS, "userName", NULL },
    { "UpdateUser", EVENT_USER, "userName", "newUserName" },
    { "UploadSSHPublicKey", EVENT_USER_KEYS, "userName", NULL },
};

static int
rule_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct rule *)elem)->event);
}

/* @s as a reason may quote it: cut, control and non-ASCII bytes '?'. */
static void
quote(char *buf, size_t size, const char *s)
{
    size_t i;

    snprintf(buf, size, "%.*s", QUOTE_MAX, s);
    for (i = 0; buf[i]; i++)
        if (buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
}

static int
say(char *why, size_t why_len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the reason; returns @r. */
static int
say(char *why, size_t why_len, int r, const char *fmt, ...)
{
    va_list ap;

    if (why_len > 0) {
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return r;
}

/* ---- the set ---- */

static int
hint_cmp(enum event_kind kind, const char *name, const struct event_hint *b)
{
    if (kind != b->kind)
        return kind < b->kind ? -1 : 1;
    return strcmp(name, b->name);
}

/* Where (@kind, @name) is or would go in the sorted set; *ret_found. */
static size_t
hint_find(const struct event_hints *h, enum event_kind kind, const char *name,
          bool *ret_found)
{
    size_t lo = 0, hi = h->n, mid;
    int c;

    *ret_found = false;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = hint_cmp(kind, name, &h->v[mid]);
        if (c == 0) {
            *ret_found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The entries the array of a set of @n holds: 16, or the power of two
 * at or above @n. */
static size_t
capacity(size_t n)
{
    size_t c = 16;

    while (c < n)
        c *= 2;
    return c;
}

/*
 * Adds (@kind, @name) unless it is there. Past EVENT_HINTS_MAX distinct
 * hints, nothing more is added and @h->full says a full read is due.
 */
static int
hint_add(struct event_hints *h, enum event_kind kind, const char *name)
{
    struct event_hint *grown;
    size_t at;
    bool found;
    char *copy;

    at = hint_find(h, kind, name, &found);
    if (found)
        return 0;
    if (h->n >= EVENT_HINTS_MAX) {
        h->full = true;
        return 0;
    }
    if (h->n == 0 || h->n == capacity(h->n)) {
        grown = realloc(h->v, capacity(h->n + 1) * sizeof(*h->v));
        if (!grown)
            return -ENOMEM;
        h->v = grown;
    }
    copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    memmove(&h->v[at + 1], &h->v[at], (h->n - at) * sizeof(*h->v));
    h->v[at].kind = kind;
    h->v[at].name = copy;
    h->n++;
    return 0;
}

/* ---- one event ---- */

static size_t
name_max(enum event_kind kind)
{
    return kind == EVENT_GROUP ? IAM_NAME_IAM_GROUP_MAX : IAM_NAME_IAM_USER_MAX;
}

/*
 * The name in detail.requestParameters.@key into *ret (NULL when
 * absent and @optional). Returns 0, or -EBADMSG with @why set.
 */
static int
param_name(json_object *params, const char *key, enum event_kind kind,
           bool optional, const char **ret, char *why, size_t why_len)
{
    json_object *v = aws_json_member(params, key);
    const char *s;
    size_t len;

    *ret = NULL;
    if (!v && optional)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return say(why, why_len, -EBADMSG, "no detail.requestParameters.%s",
                   key);
    s = json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    if (!iam_name_is_valid_iam(s, len, name_max(kind)))
        return say(why, why_len, -EBADMSG,
                   "detail.requestParameters.%s is not an IAM %s name", key,
                   kind == EVENT_GROUP ? "group" : "user");
    *ret = s;
    return 0;
}

/* The hints of a call followed: one name, or two for a rename. */
static int
add_call(struct event_hints *h, const struct rule *rule, json_object *detail,
         char *why, size_t why_len)
{
    json_object *params = aws_json_object(detail, "requestParameters");
    const char *name, *renamed = NULL;
    int r;

    if (!params)
        return say(why, why_len, -EBADMSG,
                   "%s without detail.requestParameters", rule->event);
    r = param_name(params, rule->param, rule->kind, false, &name, why, why_len);
    if (r >= 0 && rule->renamed)
        r = param_name(params, rule->renamed, rule->kind, true, &renamed, why,
                       why_len);
    if (r >= 0)
        r = hint_add(h, rule->kind, name);
    if (r >= 0 && renamed)
        r = hint_add(h, rule->kind, renamed);
    return r;
}

/*
 * Is this IAM's event, and which call? Returns 0 with *ret_rule (NULL:
 * a call not followed) and *ret_detail, 1 (not IAM's, or a failed call)
 * or -EBADMSG, with @why set but on 0 with a rule.
 */
static int
classify(json_object *root, bool tags, const struct rule **ret_rule,
         json_object **ret_detail, char *why, size_t why_len)
{
    const char *source = aws_json_string(root, "source");
    const char *type = aws_json_string(root, "detail-type");
    json_object *detail = aws_json_object(root, "detail");
    const char *event_source, *name;
    char q[QUOTE_MAX + 1];

    *ret_rule = NULL;
    *ret_detail = detail;
    if (!source || !type)
        return say(why, why_len, -EBADMSG, "no source or detail-type");
    if (strcmp(source, SOURCE) != 0) {
        quote(q, sizeof(q), source);
        return say(why, why_len, 1, "source %s, not " SOURCE, q);
    }
    if (strcmp(type, DETAIL_TYPE) != 0) {
        quote(q, sizeof(q), type);
        return say(why, why_len, 1, "detail-type \"%s\"", q);
    }
    event_source = aws_json_string(detail, "eventSource");
    name = aws_json_string(detail, "eventName");
    if (!event_source || !name)
        return say(why, why_len, -EBADMSG,
                   "no detail.eventSource or detail.eventName");
    quote(q, sizeof(q), name);
    if (strcmp(event_source, EVENT_SOURCE) != 0)
        return say(why, why_len, 1, "%s is not a call to " EVENT_SOURCE, q);
    /* A failed call changed nothing (its parameters may be anything). */
    if (aws_json_member(detail, "errorCode"))
        return say(why, why_len, 1, "%s failed", q);
    *ret_rule = bsearch(name, rules, sizeof(rules) / sizeof(rules[0]),
                        sizeof(rules[0]), rule_cmp);
    if (!*ret_rule)
        return say(why, why_len, 1, "%s changes nothing served", q);
    if ((*ret_rule)->kind == EVENT_USER_TAGS && !tags) {
        *ret_rule = NULL;
        return say(why, why_len, 1, "%s, and TAG_KEYS is off", q);
    }
    return 0;
}

static int
read_event(struct event_hints *h, const char *body, size_t len, bool tags,
           char *why, size_t why_len)
{
    const struct rule *rule = NULL;
    json_object *root = NULL, *detail = NULL;
    char jwhy[96];
    int r;

    if (len > BODY_MAX)
        return say(why, why_len, -EBADMSG,
                   "%zu bytes, more than an event can be", len);
    r = aws_json_parse(body, len, BODY_DEPTH, jwhy, sizeof(jwhy), &root);
    /* aws_json speaks of a "response ..."; here it is the body. */
    if (r == -EPROTO || r == -EFBIG)
        return say(why, why_len, -EBADMSG, "body %s",
                   r == -EFBIG                          ? "too large"
                   : strncmp(jwhy, "response ", 9) == 0 ? jwhy + 9
                                                        : jwhy);
    if (r < 0)
        return r;
    if (!json_object_is_type(root, json_type_object))
        r = say(why, why_len, -EBADMSG, "not a JSON object");
    else
        r = classify(root, tags, &rule, &detail, why, why_len);
    /* classify() gives a rule with every 0. */
    if (r == 0 && rule)
        r = add_call(h, rule, detail, why, why_len);
    json_object_put(root);
    return r;
}

int
event_hints_add(struct event_hints *h, const char *body, size_t len, bool tags,
                char *why, size_t why_len)
{
    int r;

    if (why_len > 0)
        why[0] = '\0';
    r = read_event(h, body, len, tags, why, why_len);
    if (r == 0)
        h->events++;
    else if (r == 1)
        h->ignored++;
    else if (r == -EBADMSG)
        h->malformed++;
    /* A hint that could not be kept is read in full instead. */
    if (r < 0)
        h->full = true;
    return r;
}

int
event_hints_merge(struct event_hints *into, const struct event_hints *from)
{
    size_t i;
    int r;

    for (i = 0; i < from->n; i++) {
        r = hint_add(into, from->v[i].kind, from->v[i].name);
        if (r < 0) {
            into->full = true;
            return r;
        }
    }
    into->full = into->full || from->full;
    into->events += from->events;
    into->ignored += from->ignored;
    into->malformed += from->malformed;
    return 0;
}

const char *
event_hint_kind_name(enum event_kind kind)
{
    switch (kind) {
    case EVENT_USER:
        return "user";
    case EVENT_USER_KEYS:
        return "keys";
    case EVENT_USER_TAGS:
        return "tags";
    case EVENT_GROUP:
        return "group";
    }
    return "?";
}

void
event_hints_free(struct event_hints *h)
{
    size_t i;

    if (!h)
        return;
    for (i = 0; i < h->n; i++)
        free(h->v[i].name);
    free(h->v);
    memset(h, 0, sizeof(*h));
}
