#include "aws_json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "aws_time.h"

static size_t
skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
                       s[i] == '\n'))
        i++;
    return i;
}

static int
refuse(char *why, size_t why_size, const char *reason)
{
    if (why_size > 0)
        snprintf(why, why_size, "%s", reason);
    return -EPROTO;
}

int
aws_json_parse(const char *body, size_t len, int max_depth, char *why,
               size_t why_size, json_object **ret_root)
{
    struct json_tokener *tok;
    enum json_tokener_error jerr;
    json_object *root;
    char deep[64];
    int r = 0;

    *ret_root = NULL;
    if (len > INT_MAX)
        return -EFBIG;
    if (!body || skip_space(body, len, 0) == len)
        return refuse(why, why_size, "response is not JSON (empty)");
    /* json-c would stop at a NUL and ignore what follows. */
    if (memchr(body, '\0', len))
        return refuse(why, why_size, "response is not JSON");
    tok = json_tokener_new_ex(max_depth);
    if (!tok)
        return -ENOMEM;
    /* Trailing data is allowed here only to be reported precisely below. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                    JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                    JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, body, (int)len);
    jerr = json_tokener_get_error(tok);
    snprintf(deep, sizeof(deep), "response is not JSON (nested deeper than "
             "%d)", max_depth);
    if (jerr == json_tokener_continue)
        r = refuse(why, why_size, "response is not JSON (truncated)");
    else if (jerr == json_tokener_error_depth)
        r = refuse(why, why_size, deep);
    else if (jerr != json_tokener_success)
        r = refuse(why, why_size, "response is not JSON");
    else if (skip_space(body, len, json_tokener_get_parse_end(tok)) != len)
        r = refuse(why, why_size, "response is not JSON (trailing data)");
    json_tokener_free(tok);
    if (r < 0) {
        json_object_put(root);
        return r;
    }
    *ret_root = root;
    return 0;
}

json_object *
aws_json_member(json_object *obj, const char *key)
{
    json_object *v = NULL;

    if (!json_object_is_type(obj, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

const char *
aws_json_string(json_object *obj, const char *key)
{
    json_object *v = aws_json_member(obj, key);

    if (!json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

json_object *
aws_json_object(json_object *obj, const char *key)
{
    json_object *v = aws_json_member(obj, key);

    return json_object_is_type(v, json_type_object) ? v : NULL;
}

int
aws_json_time(json_object *v, time_t *ret_time)
{
    *ret_time = 0;
    if (json_object_is_type(v, json_type_string))
        return aws_time_parse(json_object_get_string(v),
                              (size_t)json_object_get_string_len(v),
                              ret_time);
    /* json-c clamps out-of-range integers to INT64_MIN/MAX, which the
     * range check refuses; below 2^53 the double is exact. */
    if (json_object_is_type(v, json_type_int) ||
        json_object_is_type(v, json_type_double))
        return aws_time_from_number(json_object_get_double(v), ret_time);
    return -EMEDIUMTYPE;
}
