/*
 * aws_json: the json-c helpers every AWS JSON reader here uses (IAM
 * answers, STS and IMDS credential documents, error documents): one
 * strict, depth-capped parse of a whole body, and typed member lookups
 * that treat a missing member, JSON null and a member of another type
 * alike.
 *
 * Pure functions; json-c's errors are translated here.
 */
#ifndef AWS_JSON_H
#define AWS_JSON_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

/*
 * aws_json_parse - parse all of @body (@len bytes, need not be
 * NUL-terminated) as one JSON value: strict JSON, valid UTF-8, nested at
 * most @max_depth deep, nothing but blanks after it, no NUL byte in it.
 * @why, @why_size: on -EPROTO, the reason ("response is not JSON
 *           (truncated)"); may be NULL, 0.
 * @ret_root: cleared on entry; on 0 the value (any JSON type), which the
 *           caller releases with json_object_put().
 * Returns 0, -EPROTO (not such a value; also an empty body), -ENOMEM, or
 * -EFBIG (@len over INT_MAX).
 */
int
aws_json_parse(const char *body, size_t len, int max_depth, char *why,
               size_t why_size, json_object **ret_root);

/*
 * aws_json_member - the member @key of @obj: NULL when @obj is no object,
 * or the member is absent or JSON null. Valid while @obj lives.
 */
json_object *
aws_json_member(json_object *obj, const char *key);

/* aws_json_string - the string member @key of @obj, or NULL. */
const char *
aws_json_string(json_object *obj, const char *key);

/* aws_json_object - the object member @key of @obj, or NULL. */
json_object *
aws_json_object(json_object *obj, const char *key);

/*
 * aws_json_time - a timestamp value @v: a string (aws_time_parse()) or a
 * number of epoch seconds, integer or float (aws_time_from_number()).
 * @ret_time: cleared on entry, set on 0.
 * Returns 0, -EINVAL (an invalid timestamp) or -EMEDIUMTYPE (@v is NULL or
 * of another JSON type).
 */
int
aws_json_time(json_object *v, time_t *ret_time);

#endif
