#include "aws_provider.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "aws_http.h"
#include "iam_log.h"

/* Credential documents are flat; a deeper one is not what we asked for. */
#define JSON_MAX_DEPTH 16
#define ROLE_NAME_MAX 64
#define SESSION_NAME_MAX 64
#define ARN_MAX 2048
#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"
#define ERRLEN 512
#define CODE_LEN 128
/* Messages begin "aws_creds:", the name operators know them by. */

int
aws_provider_env(struct aws_creds *ret)
{
    const char *id, *secret, *token;
    int r;

    aws_creds_reset(ret);
    /* iam-sync is not setuid; secure_getenv() keeps it that way should a
     * future binary be. */
    id = secure_getenv("AWS_ACCESS_KEY_ID");
    secret = secure_getenv("AWS_SECRET_ACCESS_KEY");
    token = secure_getenv("AWS_SESSION_TOKEN");
    if (!id || !*id || !secret || !*secret)
        return -ENOENT;
    r = aws_creds_set(id, secret, token, 0, AWS_CREDS_ENV, ret);
    if (r == -EINVAL)
        iam_log(LOG_ERR, "aws_creds: AWS_ACCESS_KEY_ID, "
                         "AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN is "
                         "malformed (empty, too long or not printable "
                         "ASCII)");
    return r;
}

/* Parse @body as one JSON value, depth-limited, with nothing but blanks
 * after it. json-c errors stop here. */
static int
json_parse(const char *body, size_t len, struct json_object **ret)
{
    struct json_tokener *tok;
    struct json_object *obj;
    enum json_tokener_error err;
    size_t end;

    *ret = NULL;
    if (!body || len == 0 || len > INT_MAX)
        return -EBADMSG;
    tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok)
        return -ENOMEM;
    obj = json_tokener_parse_ex(tok, body, (int)len);
    err = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!obj || err != json_tokener_success) {
        json_object_put(obj);
        return -EBADMSG;
    }
    while (end < len && strchr(" \t\r\n", body[end]) && body[end])
        end++;
    if (end != len || !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return -EBADMSG;
    }
    *ret = obj;
    return 0;
}

static const char *
json_str(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *
json_obj(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

/* Expiration as an ISO-8601 string or epoch seconds (int or double). */
static int
json_time(struct json_object *obj, const char *key, time_t *ret_time)
{
    struct json_object *v;
    double d;

    *ret_time = 0;
    if (!json_object_object_get_ex(obj, key, &v) || !v)
        return -EBADMSG;
    if (json_object_is_type(v, json_type_string))
        return aws_time_parse(json_object_get_string(v), ret_time) < 0
                   ? -EBADMSG
                   : 0;
    if (json_object_is_type(v, json_type_int)) {
        *ret_time = (time_t)json_object_get_int64(v);
        return *ret_time > 0 ? 0 : -EBADMSG;
    }
    if (json_object_is_type(v, json_type_double)) {
        d = json_object_get_double(v);
        if (!(d > 0 && d < 253402300800.0))
            return -EBADMSG;
        *ret_time = (time_t)d;
        return 0;
    }
    return -EBADMSG;
}

/* Build @ret from a credentials object with the given token field name. */
static int
creds_from_json(struct json_object *c, const char *token_key,
                enum aws_creds_origin origin, struct aws_creds *ret)
{
    const char *id, *secret, *token;
    time_t exp;
    int r;

    id = json_str(c, "AccessKeyId");
    secret = json_str(c, "SecretAccessKey");
    token = json_str(c, token_key);
    if (!id || !secret || !token)
        return -EBADMSG;
    r = json_time(c, "Expiration", &exp);
    if (r < 0)
        return r;
    return aws_creds_set(id, secret, token, exp, origin, ret);
}

int
aws_provider_parse_imds(const char *body, size_t len, struct aws_creds *ret)
{
    struct json_object *root = NULL;
    const char *code;
    int r;

    aws_creds_reset(ret);
    r = json_parse(body, len, &root);
    if (r < 0)
        goto out;
    code = json_str(root, "Code");
    if (json_object_object_get_ex(root, "Code", NULL) &&
        (!code || strcmp(code, "Success") != 0)) {
        iam_log(LOG_WARNING, "aws_creds: IMDS credentials Code is not "
                             "Success");
        r = -EBADMSG;
        goto out;
    }
    r = creds_from_json(root, "Token", AWS_CREDS_IMDS, ret);
out:
    json_object_put(root);
    return r;
}

int
aws_provider_parse_sts(const char *body, size_t len, struct aws_creds *ret)
{
    struct json_object *root = NULL, *c;
    int r;

    aws_creds_reset(ret);
    r = json_parse(body, len, &root);
    if (r < 0)
        goto out;
    c = json_obj(json_obj(json_obj(root, "AssumeRoleResponse"),
                          "AssumeRoleResult"),
                 "Credentials");
    if (!c) {
        r = -EBADMSG;
        goto out;
    }
    r = creds_from_json(c, "SessionToken", AWS_CREDS_ASSUMED_ROLE, ret);
out:
    json_object_put(root);
    return r;
}

static bool
name_chars_ok(const char *s, size_t min, size_t max)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        if (i >= max ||
            !(strchr("+=,.@_-", s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    }
    return i >= min;
}

static void
wipe_free(char *p, size_t len)
{
    if (!p)
        return;
    explicit_bzero(p, len);
    free(p);
}

int
aws_provider_imds(struct aws_imds *imds, struct aws_http *h, time_t now,
                  struct aws_creds *ret)
{
    char path[sizeof(IMDS_CREDS_PATH) + ROLE_NAME_MAX + 1];
    char *body = NULL;
    size_t len = 0;
    int r;

    aws_creds_reset(ret);
    r = aws_imds_get(imds, h, IMDS_CREDS_PATH, now, &body, &len);
    if (r < 0)
        goto out;
    /* One role per instance profile; take the first line, without
     * trailing blanks. */
    len = strcspn(body, "\r\n");
    while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\t'))
        len--;
    body[len] = '\0';
    if (len == 0) {
        r = -ENOENT;
        goto out;
    }
    if (!name_chars_ok(body, 1, ROLE_NAME_MAX)) {
        iam_log(LOG_WARNING, "aws_creds: IMDS role name is malformed");
        r = -EBADMSG;
        goto out;
    }
    snprintf(path, sizeof(path), "%s%s", IMDS_CREDS_PATH, body);
    wipe_free(body, len);
    body = NULL;
    r = aws_imds_get(imds, h, path, now, &body, &len);
    if (r < 0)
        goto out;
    r = aws_provider_parse_imds(body, len, ret);
    if (r < 0)
        iam_log(LOG_WARNING, "aws_creds: IMDS credentials document is "
                             "malformed");
out:
    wipe_free(body, len);
    return r;
}

/* RoleSessionName: given, or "nss-iam-<hostname>" cut to the limit, or
 * "nss-iam-<pid>" when the hostname has characters STS refuses. */
static int
session_name(const struct aws_provider_source *src, char *out, size_t size)
{
    char host[256];
    int n;

    if (src->session_name) {
        if (!name_chars_ok(src->session_name, 2, SESSION_NAME_MAX))
            return -EINVAL;
        snprintf(out, size, "%s", src->session_name);
        return 0;
    }
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        n = snprintf(out, size, "nss-iam-%.*s", SESSION_NAME_MAX - 8, host);
        if (n > 0 && name_chars_ok(out, 2, SESSION_NAME_MAX))
            return 0;
    }
    snprintf(out, size, "nss-iam-%ld", (long)getpid());
    return 0;
}

/*
 * Codes by which STS refuses the caller's keys or the role's trust: a
 * setup to fix, told apart from an outage by the caller (-EACCES).
 */
static bool
denied_code(const char *code)
{
    static const char *const denied[] = {
        "AccessDenied", "AccessDeniedException", "InvalidClientTokenId",
        "SignatureDoesNotMatch", "ExpiredToken", "IncompleteSignature",
        "MissingAuthenticationToken", "UnrecognizedClient",
        "RegionDisabledException", NULL,
    };
    size_t i;

    for (i = 0; denied[i]; i++) {
        if (strcmp(code, denied[i]) == 0)
            return true;
    }
    return false;
}

/* RoleArn and DurationSeconds, checked before anything is sent. */
static int
assume_params(const struct aws_provider_source *src, char *name,
              size_t name_size, char *dur, size_t dur_size)
{
    int d = src->duration_seconds ? src->duration_seconds
                                  : AWS_PROVIDER_DEFAULT_DURATION;

    if (!src->assume_role_arn ||
        !aws_creds_printable(src->assume_role_arn, ARN_MAX) || d < 900 ||
        d > 43200)
        return -EINVAL;
    snprintf(dur, dur_size, "%d", d);
    return session_name(src, name, name_size);
}

/* The STS client, with the caller's retries, rate limit and deadline. */
static int
sts_client(const struct aws_provider_source *src,
           const struct aws_creds *base, struct aws_client *ret)
{
    struct aws_client_opts o;
    int r;

    memset(&o, 0, sizeof(o));
    if (src->sts) {
        o = *src->sts;
    } else {
        o.max_attempts = AWS_PROVIDER_STS_ATTEMPTS;
    }
    if (o.timeout_ms <= 0)
        o.timeout_ms = AWS_PROVIDER_STS_TIMEOUT_MS;
    o.endpoint = src->sts_endpoint ? src->sts_endpoint
                                   : AWS_PROVIDER_DEFAULT_STS;
    o.region = src->region ? src->region : AWS_PROVIDER_DEFAULT_REGION;
    o.service = "sts";
    o.version = AWS_PROVIDER_STS_VERSION;
    o.json = true;
    r = aws_client_init(ret, &o, base);
    if (r < 0)
        iam_log(LOG_ERR, "aws_creds: STS endpoint is not usable");
    return r;
}

int
aws_provider_assume_role(const struct aws_provider_source *src,
                         struct aws_http *h, const struct aws_creds *base,
                         struct aws_creds *ret)
{
    char name[SESSION_NAME_MAX + 1], dur[16], err[ERRLEN], code[CODE_LEN];
    const char *params[] = { "RoleArn", src->assume_role_arn,
                             "RoleSessionName", name,
                             "DurationSeconds", dur, NULL };
    struct aws_http_response resp;
    struct aws_client c;
    bool ready = false;
    int r;

    aws_creds_reset(ret);
    memset(&resp, 0, sizeof(resp));
    r = assume_params(src, name, sizeof(name), dur, sizeof(dur));
    if (r < 0)
        goto out;
    r = sts_client(src, base, &c);
    if (r < 0)
        goto out;
    ready = true;
    r = aws_client_call(&c, h, "AssumeRole", params, &resp, err,
                        sizeof(err), code, sizeof(code));
    if (r < 0) {
        iam_log(LOG_ERR, "aws_creds: STS %s", err);
        if (r == -EREMOTEIO && denied_code(code))
            r = -EACCES;
        goto out;
    }
    r = aws_provider_parse_sts(resp.body, resp.body_len, ret);
    if (r < 0)
        iam_log(LOG_ERR, "aws_creds: STS AssumeRole answer is not the "
                         "expected JSON");
out:
    /* The answer holds the role's secret. */
    if (resp.body)
        explicit_bzero(resp.body, resp.body_len);
    aws_http_response_free(&resp);
    if (ready)
        aws_client_destroy(&c);
    return r;
}

static bool
is_connect_error(int r)
{
    return r == -ETIMEDOUT || r == -ECONNREFUSED || r == -EHOSTUNREACH ||
           r == -ECONNRESET;
}

int
aws_provider_resolve(const struct aws_provider_source *src, struct aws_http *h,
                     time_t now, struct aws_creds *ret)
{
    static const struct aws_provider_source defaults = { 0 };
    struct aws_creds base;
    struct aws_imds imds;
    int r;

    aws_creds_reset(ret);
    aws_creds_init(&base);
    memset(&imds, 0, sizeof(imds));
    if (!src)
        src = &defaults;
    r = aws_provider_env(&base);
    if (r == -ENOENT) {
        r = aws_imds_init(src->imds_endpoint, src->imds_timeout_ms, &imds);
        if (r == 0)
            r = aws_provider_imds(&imds, h, now, &base);
        if (r == -ENOENT)
            iam_log(LOG_ERR, "aws_creds: no credentials: AWS_ACCESS_KEY_ID "
                             "is not set and the instance has no role");
        else if (is_connect_error(r))
            iam_log(LOG_ERR, "aws_creds: no credentials: AWS_ACCESS_KEY_ID "
                             "is not set and IMDS at %s is unreachable "
                             "(not on EC2?)",
                    imds.endpoint);
    }
    if (r < 0)
        goto out;
    if (src->assume_role_arn && *src->assume_role_arn) {
        r = aws_provider_assume_role(src, h, &base, ret);
        goto out;
    }
    aws_creds_move(&base, ret);
out:
    aws_creds_reset(&base);
    aws_imds_reset(&imds);
    return r;
}
