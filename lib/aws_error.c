#include "aws_error.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws_json.h"
#include "aws_xml.h"

/* A piece of text, not NUL-terminated; p is NULL when it is absent. */
struct text {
    const char *p;
    size_t len;
};

/*
 * A heap copy of at most @max bytes of @t, control bytes (NUL included)
 * turned into '?': the texts are logged.
 */
static char *
text_dup(struct text t, size_t max)
{
    size_t n = t.len < max ? t.len : max, i;
    char *out = malloc(n + 1);

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t.p[i];

        out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    out[n] = '\0';
    return out;
}

/* *ret = a copy of @t, or NULL when @t is absent. */
static int
set_text(struct text t, size_t max, char **ret)
{
    *ret = NULL;
    if (!t.p)
        return 0;
    *ret = text_dup(t, max);
    return *ret ? 0 : -ENOMEM;
}

/* Build the error; only @code must be present. */
static int
error_new(struct text code, struct text type, struct text message,
          struct text request_id, struct aws_error **ret_error)
{
    struct aws_error *e = calloc(1, sizeof(*e));
    int r = -ENOMEM;

    *ret_error = NULL;
    if (!e)
        return -ENOMEM;
    if (set_text(code, AWS_ERROR_CODE_MAX, &e->code) < 0 ||
        set_text(type, AWS_ERROR_TEXT_MAX, &e->type) < 0 ||
        set_text(message, AWS_ERROR_TEXT_MAX, &e->message) < 0 ||
        set_text(request_id, AWS_ERROR_TEXT_MAX, &e->request_id) < 0)
        goto out;
    *ret_error = e;
    e = NULL;
    r = 0;
out:
    aws_error_free(e);
    return r;
}

/* A string member as text; absent unless it is a non-empty string. */
static struct text
json_text(json_object *obj, const char *key)
{
    json_object *v = aws_json_member(obj, key);
    struct text t = { NULL, 0 };

    if (json_object_is_type(v, json_type_string) &&
        json_object_get_string_len(v) > 0) {
        t.p = json_object_get_string(v);
        t.len = (size_t)json_object_get_string_len(v);
    }
    return t;
}

/* An object, or the first item of an array when that is an object. */
static json_object *
first_object(json_object *v)
{
    if (json_object_is_type(v, json_type_array) &&
        json_object_array_length(v) > 0)
        v = json_object_array_get_idx(v, 0);
    return json_object_is_type(v, json_type_object) ? v : NULL;
}

/* The Error object of {"Error": ...} or {"Errors": {"Error": ...}}. */
static json_object *
find_json_error(json_object *doc)
{
    json_object *v = aws_json_member(doc, "Error");

    if (v)
        return first_object(v);
    v = aws_json_member(doc, "Errors");
    if (json_object_is_type(v, json_type_object))
        v = aws_json_member(v, "Error");
    return first_object(v);
}

/*
 * The JSON protocol's {"__type": "com.amazon...#ThrottlingException",
 * "message": ...}: the code is what follows the last '#', up to a ':'.
 */
static int
type_error(json_object *root, struct aws_error **ret_error)
{
    struct text t = json_text(root, "__type"), code, msg, none = { 0 };
    const char *hash, *colon;

    if (!t.p)
        return -ENOMSG;
    hash = memrchr(t.p, '#', t.len);
    code.p = hash ? hash + 1 : t.p;
    code.len = t.len - (size_t)(code.p - t.p);
    colon = memchr(code.p, ':', code.len);
    if (colon)
        code.len = (size_t)(colon - code.p);
    if (code.len == 0 || code.len > AWS_ERROR_CODE_MAX)
        return -EPROTO;
    msg = json_text(root, "message");
    if (!msg.p)
        msg = json_text(root, "Message");
    return error_new(code, none, msg, none, ret_error);
}

int
aws_error_from_json(json_object *root, struct aws_error **ret_error)
{
    json_object *doc = root, *err = find_json_error(root);
    struct text code, type, msg, rid;

    *ret_error = NULL;
    if (!err) {
        doc = aws_json_member(root, "ErrorResponse");
        err = find_json_error(doc);
    }
    if (!err)
        return type_error(root, ret_error);
    code = json_text(err, "Code");
    if (!code.p || code.len > AWS_ERROR_CODE_MAX)
        return -EPROTO;
    type = json_text(err, "Type");
    msg = json_text(err, "Message");
    if (!msg.p)
        msg = json_text(err, "message");
    rid = json_text(doc, "RequestId");
    if (!rid.p)
        rid = json_text(aws_json_member(doc, "ResponseMetadata"),
                        "RequestId");
    if (!rid.p)
        rid = json_text(err, "RequestId");
    return error_new(code, type, msg, rid, ret_error);
}

/*
 * The decoded text of the leaf <@tag> in @in, cut at @max, into *ret;
 * NULL when it is absent, empty or holds markup.
 */
static int
xml_field(struct aws_xml_span in, const char *tag, size_t max, char **ret)
{
    struct aws_xml_span v;
    struct text t;
    char *buf;

    *ret = NULL;
    if (!aws_xml_element(in, tag, &v, NULL) || v.len == 0)
        return 0;
    buf = malloc(v.len + 1);
    if (!buf)
        return -ENOMEM;
    if (aws_xml_text(v, buf, v.len + 1) == 0 && buf[0]) {
        t.p = buf;
        t.len = strlen(buf);
        *ret = text_dup(t, max);
        if (!*ret) {
            free(buf);
            return -ENOMEM;
        }
    }
    free(buf);
    return 0;
}

int
aws_error_from_xml(const char *body, size_t len,
                   struct aws_error **ret_error)
{
    struct aws_xml_span all = { body, len }, err;
    const char *p = body ? memmem(body, len, "<Error>", 7) : NULL;
    struct aws_error *e;
    int r;

    *ret_error = NULL;
    if (!p)
        return -ENOMSG;
    err.p = p;
    err.len = len - (size_t)(p - body);
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    r = xml_field(err, "Code", AWS_ERROR_CODE_MAX + 1, &e->code);
    if (r == 0 && (!e->code || strlen(e->code) > AWS_ERROR_CODE_MAX))
        r = -EPROTO;
    if (r == 0)
        r = xml_field(err, "Type", AWS_ERROR_TEXT_MAX, &e->type);
    if (r == 0)
        r = xml_field(err, "Message", AWS_ERROR_TEXT_MAX, &e->message);
    if (r == 0)
        r = xml_field(all, "RequestId", AWS_ERROR_TEXT_MAX, &e->request_id);
    if (r < 0) {
        aws_error_free(e);
        return r;
    }
    *ret_error = e;
    return 0;
}

int
aws_error_parse(const char *body, size_t len, struct aws_error **ret_error)
{
    json_object *root = NULL;
    size_t i = 0;
    int r;

    *ret_error = NULL;
    if (!body)
        return -ENOMSG;
    while (i < len && strchr(" \t\r\n", body[i]) && body[i])
        i++;
    if (i < len && body[i] == '<')
        return aws_error_from_xml(body, len, ret_error);
    r = aws_json_parse(body, len, AWS_ERROR_MAX_DEPTH, NULL, 0, &root);
    if (r == -EPROTO)
        return -ENOMSG;
    if (r < 0)
        return r;
    r = aws_error_from_json(root, ret_error);
    json_object_put(root);
    return r;
}

void
aws_error_free(struct aws_error *error)
{
    if (!error)
        return;
    free(error->code);
    free(error->type);
    free(error->message);
    free(error->request_id);
    free(error);
}

enum kind {
    KIND_OTHER = 0,
    KIND_THROTTLING, /* slow down: retried, counted apart */
    KIND_TRANSIENT,  /* server-side trouble: retried */
    KIND_DENIED,     /* credentials or permissions refused: final */
    KIND_REFUSED,    /* the request itself is wrong: final */
};

/* The one table of AWS error codes this code acts on. Exact match. */
static enum kind
kind_of(const char *code)
{
    static const struct {
        const char *code;
        enum kind kind;
    } codes[] = {
        { "Throttling", KIND_THROTTLING },
        { "ThrottlingException", KIND_THROTTLING },
        { "RequestLimitExceeded", KIND_THROTTLING },
        { "TooManyRequestsException", KIND_THROTTLING },
        { "RequestTimeout", KIND_TRANSIENT },
        { "RequestTimeoutException", KIND_TRANSIENT },
        { "ServiceUnavailable", KIND_TRANSIENT },
        { "ServiceUnavailableException", KIND_TRANSIENT },
        { "InternalFailure", KIND_TRANSIENT },
        { "InternalError", KIND_TRANSIENT },
        { "AccessDenied", KIND_DENIED },
        { "AccessDeniedException", KIND_DENIED },
        { "InvalidClientTokenId", KIND_DENIED },
        { "SignatureDoesNotMatch", KIND_DENIED },
        { "IncompleteSignature", KIND_DENIED },
        { "MissingAuthenticationToken", KIND_DENIED },
        { "ExpiredToken", KIND_DENIED },
        { "UnrecognizedClient", KIND_DENIED },
        { "UnrecognizedClientException", KIND_DENIED },
        { "RegionDisabledException", KIND_DENIED },
        { "LimitExceeded", KIND_REFUSED },
        { "NoSuchEntity", KIND_REFUSED },
        { "InvalidAction", KIND_REFUSED },
        { "InvalidParameterValue", KIND_REFUSED },
        { "MissingParameter", KIND_REFUSED },
        { "ValidationError", KIND_REFUSED },
        { "OptInRequired", KIND_REFUSED },
    };
    size_t i;

    for (i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(code, codes[i].code) == 0)
            return codes[i].kind;
    }
    return KIND_OTHER;
}

bool
aws_error_retryable(const char *code, long http_status)
{
    switch (kind_of(code)) {
    case KIND_THROTTLING:
    case KIND_TRANSIENT:
        return true;
    case KIND_DENIED:
    case KIND_REFUSED:
        return false;
    case KIND_OTHER:
        break;
    }
    switch (http_status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return true;
    default:
        return false;
    }
}

bool
aws_error_throttling(const char *code)
{
    return kind_of(code) == KIND_THROTTLING;
}

bool
aws_error_denied(const char *code)
{
    return kind_of(code) == KIND_DENIED;
}
