#include "aws_provider.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_error.h"
#include "aws_http.h"
#include "aws_json.h"
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

/* The document as a JSON object; anything else is -EBADMSG. */
static int
json_doc(const char *body, size_t len, json_object **ret)
{
    int r;

    r = aws_json_parse(body, len, JSON_MAX_DEPTH, NULL, 0, ret);
    if (r == 0 && !json_object_is_type(*ret, json_type_object)) {
        json_object_put(*ret);
        *ret = NULL;
        r = -EBADMSG;
    }
    return r == -EPROTO || r == -EFBIG ? -EBADMSG : r;
}

/* Build @ret from a credentials object with the given token field name. */
static int
creds_from_json(json_object *c, const char *token_key,
                enum aws_creds_origin origin, struct aws_creds *ret)
{
    const char *id, *secret, *token;
    time_t exp;
    int r;

    id = aws_json_string(c, "AccessKeyId");
    secret = aws_json_string(c, "SecretAccessKey");
    token = aws_json_string(c, token_key);
    if (!id || !secret || !token)
        return -EBADMSG;
    /* An expiration of 0 would mean "never": not for these. */
    r = aws_json_time(aws_json_member(c, "Expiration"), &exp);
    if (r < 0 || exp <= 0)
        return -EBADMSG;
    return aws_creds_set(id, secret, token, exp, origin, ret);
}

int
aws_provider_parse_imds(const char *body, size_t len, struct aws_creds *ret)
{
    json_object *root = NULL;
    const char *code;
    int r;

    aws_creds_reset(ret);
    r = json_doc(body, len, &root);
    if (r < 0)
        goto out;
    code = aws_json_string(root, "Code");
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
    json_object *root = NULL, *c;
    int r;

    aws_creds_reset(ret);
    r = json_doc(body, len, &root);
    if (r < 0)
        goto out;
    c = aws_json_object(aws_json_object(aws_json_object(root,
                                                        "AssumeRoleResponse"),
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
        if (r == -EREMOTEIO && aws_error_denied(code))
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
