#include "aws_creds.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "aws_http.h"
#include "aws_sigv4.h"
#include "iam_log.h"

/* Credential documents are flat; a deeper one is not what we asked for. */
#define JSON_MAX_DEPTH 16
#define ROLE_NAME_MAX 64
#define SESSION_NAME_MAX 64
#define ARN_MAX 2048
#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"
/* Renew the IMDS token this long before it runs out. */
#define IMDS_TOKEN_SLACK 60
#define STS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define LOG_TEXT_MAX 200
#define STR_(x) #x
#define STR(x) STR_(x)

void
aws_creds_init(struct aws_creds *creds)
{
    memset(creds, 0, sizeof(*creds));
}

void
aws_creds_reset(struct aws_creds *creds)
{
    if (!creds)
        return;
    if (creds->session_token) {
        explicit_bzero(creds->session_token, strlen(creds->session_token));
        free(creds->session_token);
    }
    explicit_bzero(creds, sizeof(*creds));
    aws_creds_init(creds);
}

/* Values go into HTTP headers and the signature: printable ASCII only. */
static bool
printable(const char *s, size_t max)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        if (i >= max || (unsigned char)s[i] <= 0x20 ||
            (unsigned char)s[i] >= 0x7f)
            return false;
    }
    return i > 0;
}

int
aws_creds_set(const char *access_key_id, const char *secret_access_key,
              const char *session_token, time_t expiration,
              enum aws_creds_origin origin, struct aws_creds *ret)
{
    aws_creds_reset(ret);
    if (!access_key_id || !secret_access_key ||
        !printable(access_key_id, AWS_CREDS_KEY_ID_SIZE - 1) ||
        !printable(secret_access_key, AWS_CREDS_SECRET_SIZE - 1))
        return -EINVAL;
    if (session_token && *session_token &&
        !printable(session_token, AWS_CREDS_TOKEN_MAX))
        return -EINVAL;
    if (session_token && *session_token) {
        ret->session_token = strdup(session_token);
        if (!ret->session_token)
            return -ENOMEM;
    }
    /* Lengths were checked by printable(). */
    memcpy(ret->access_key_id, access_key_id, strlen(access_key_id) + 1);
    memcpy(ret->secret_access_key, secret_access_key,
           strlen(secret_access_key) + 1);
    ret->expiration = expiration;
    ret->origin = origin;
    return 0;
}

int
aws_creds_copy(const struct aws_creds *src, struct aws_creds *ret)
{
    return aws_creds_set(src->access_key_id, src->secret_access_key,
                         src->session_token, src->expiration, src->origin,
                         ret);
}

/* Hand @src's contents to @dst and leave @src empty, without copies of
 * the secrets lying around. */
static void
creds_move(struct aws_creds *src, struct aws_creds *dst)
{
    aws_creds_reset(dst);
    memcpy(dst, src, sizeof(*dst));
    explicit_bzero(src, sizeof(*src));
    aws_creds_init(src);
}

bool
aws_creds_need_refresh(const struct aws_creds *creds, time_t now)
{
    if (!creds || !creds->access_key_id[0])
        return true;
    if (creds->expiration == 0)
        return false;
    return creds->expiration - now < AWS_CREDS_REFRESH_MARGIN;
}

/* Parse exactly @n digits at @s. */
static bool
digits(const char *s, int n, int *ret)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return true;
}

/* "Z", or "+HH:MM" / "-HH:MM" as seconds east of UTC. */
static bool
zone_offset(const char *s, long *ret)
{
    int hh, mm;

    if (strcmp(s, "Z") == 0) {
        *ret = 0;
        return true;
    }
    if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
        !digits(s + 1, 2, &hh) || !digits(s + 4, 2, &mm) || hh > 23 ||
        mm > 59)
        return false;
    *ret = (hh * 3600L + mm * 60L) * (s[0] == '-' ? -1 : 1);
    return true;
}

static int
parse_iso8601(const char *s, time_t *ret_time)
{
    struct tm tm;
    int y, mo, d, h, mi, sec;
    long off;
    time_t t;

    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return -EINVAL;
    s += 19;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (!zone_offset(s, &off))
        return -EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *ret_time = t - off;
    return 0;
}

static int
parse_epoch(const char *s, time_t *ret_time)
{
    char *end = NULL;
    long long v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s)
        return -EINVAL;
    if (*end == '.') {
        end++;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if (*end != '\0')
        return -EINVAL;
    *ret_time = (time_t)v;
    return 0;
}

int
aws_time_parse(const char *s, time_t *ret_time)
{
    size_t i;

    *ret_time = 0;
    if (!s || !*s)
        return -EINVAL;
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
        ;
    if (s[i] == '\0' || s[i] == '.')
        return parse_epoch(s, ret_time);
    return parse_iso8601(s, ret_time);
}

int
aws_creds_from_env(struct aws_creds *ret)
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
aws_creds_parse_imds(const char *body, size_t len, struct aws_creds *ret)
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
aws_creds_parse_sts(const char *body, size_t len, struct aws_creds *ret)
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

/* Copy @n bytes of @s for a log line: printable ASCII only, bounded. */
static void
log_text(const char *s, size_t n, char *out, size_t out_size)
{
    size_t i, j = 0;

    for (i = 0; i < n && j + 1 < out_size && j < LOG_TEXT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];

        out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[j] = '\0';
}

/* Text between <tag> and </tag> in the @len bytes at @body, for logging
 * only. */
static void
xml_text(const char *body, size_t len, const char *tag, char *out,
         size_t out_size)
{
    char open[32], close[32];
    const char *a, *b;
    int no, nc;

    out[0] = '\0';
    no = snprintf(open, sizeof(open), "<%s>", tag);
    nc = snprintf(close, sizeof(close), "</%s>", tag);
    if (no < 0 || (size_t)no >= sizeof(open) || nc < 0 ||
        (size_t)nc >= sizeof(close))
        return;
    a = memmem(body, len, open, (size_t)no);
    if (!a)
        return;
    a += no;
    b = memmem(a, len - (size_t)(a - body), close, (size_t)nc);
    if (b)
        log_text(a, (size_t)(b - a), out, out_size);
}

/* Code and Message of an error answer, JSON first, then XML. */
static void
error_fields(const char *body, size_t len, char *code, size_t code_size,
             char *msg, size_t msg_size)
{
    struct json_object *root = NULL, *err;
    const char *c, *m;

    code[0] = '\0';
    msg[0] = '\0';
    if (!body)
        return;
    if (json_parse(body, len, &root) == 0) {
        err = json_obj(root, "Error");
        c = json_str(err, "Code");
        m = json_str(err, "Message");
        if (c)
            log_text(c, strlen(c), code, code_size);
        if (m)
            log_text(m, strlen(m), msg, msg_size);
        json_object_put(root);
        return;
    }
    xml_text(body, len, "Code", code, code_size);
    xml_text(body, len, "Message", msg, msg_size);
}

static bool
code_in(const char *code, const char *const *list)
{
    size_t i;

    for (i = 0; list[i]; i++) {
        if (strcmp(code, list[i]) == 0)
            return true;
    }
    return false;
}

int
aws_creds_sts_error(long status, const char *body, size_t len)
{
    static const char *const denied[] = {
        "AccessDenied", "AccessDeniedException", "InvalidClientTokenId",
        "SignatureDoesNotMatch", "ExpiredToken", "IncompleteSignature",
        "MissingAuthenticationToken", "UnrecognizedClient",
        "RegionDisabledException", NULL,
    };
    static const char *const transient[] = {
        "Throttling", "ThrottlingException", "RequestTimeout",
        "ServiceUnavailable", "InternalFailure", NULL,
    };
    char code[LOG_TEXT_MAX + 1], msg[LOG_TEXT_MAX + 1];

    error_fields(body, len, code, sizeof(code), msg, sizeof(msg));
    iam_log(LOG_ERR, "aws_creds: STS AssumeRole failed: HTTP %ld: %s: %s",
            status, code[0] ? code : "(no error code)",
            msg[0] ? msg : "(no message)");
    if (status == 401 || status == 403 || code_in(code, denied))
        return -EACCES;
    if (status >= 500 || code_in(code, transient))
        return -EAGAIN;
    if (status >= 400 && status < 500)
        return -EINVAL;
    return -EIO;
}

int
aws_imds_init(const char *endpoint, long timeout_ms, struct aws_imds *ret)
{
    size_t n;

    memset(ret, 0, sizeof(*ret));
    if (!endpoint)
        endpoint = AWS_CREDS_DEFAULT_IMDS;
    n = strlen(endpoint);
    while (n > 0 && endpoint[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof(ret->endpoint))
        return -EINVAL;
    memcpy(ret->endpoint, endpoint, n);
    ret->endpoint[n] = '\0';
    ret->timeout_ms =
        timeout_ms > 0 ? timeout_ms : AWS_CREDS_DEFAULT_IMDS_TIMEOUT_MS;
    return 0;
}

void
aws_imds_reset(struct aws_imds *imds)
{
    if (!imds)
        return;
    explicit_bzero(imds->token, sizeof(imds->token));
    imds->token_expires = 0;
}

/* Strip trailing blanks and newlines in place. */
static size_t
rtrim(char *s, size_t len)
{
    while (len > 0 && strchr(" \t\r\n", s[len - 1]) && s[len - 1])
        s[--len] = '\0';
    return len;
}

static int
imds_token(struct aws_imds *imds, struct aws_http *h, time_t now)
{
    static const char *const hdrs[] = {
        "X-aws-ec2-metadata-token-ttl-seconds: " STR(AWS_IMDS_TOKEN_TTL),
        NULL,
    };
    struct aws_http_response resp = { 0 };
    struct aws_http_request req = { 0 };
    char url[AWS_IMDS_ENDPOINT_SIZE + 32];
    size_t n;
    int r;

    aws_imds_reset(imds);
    snprintf(url, sizeof(url), "%s/latest/api/token", imds->endpoint);
    req.method = "PUT";
    req.url = url;
    req.headers = hdrs;
    req.timeout_ms = imds->timeout_ms;
    req.connect_timeout_ms = imds->timeout_ms;
    req.max_body = AWS_IMDS_TOKEN_SIZE;
    r = aws_http_request(h, &req, &resp);
    if (r < 0)
        return r;
    if (resp.status != 200) {
        iam_log(LOG_WARNING, "aws_creds: IMDS token: HTTP %ld", resp.status);
        r = resp.status == 403 ? -EACCES : -EIO;
        goto out;
    }
    n = rtrim(resp.body, resp.body_len);
    if (n == 0 || n >= sizeof(imds->token) ||
        !printable(resp.body, sizeof(imds->token) - 1)) {
        iam_log(LOG_WARNING, "aws_creds: IMDS token: malformed");
        r = -EIO;
        goto out;
    }
    memcpy(imds->token, resp.body, n + 1);
    imds->token_expires = now + AWS_IMDS_TOKEN_TTL;
out:
    aws_http_response_free(&resp);
    return r;
}

/* One GET with the cached token; the status decides the rest. */
static int
imds_get_once(struct aws_imds *imds, struct aws_http *h, const char *path,
              struct aws_http_response *ret)
{
    char url[AWS_IMDS_ENDPOINT_SIZE + 512];
    char tok_hdr[AWS_IMDS_TOKEN_SIZE + 64];
    const char *hdrs[2];
    struct aws_http_request req = { 0 };
    int n, r;

    n = snprintf(url, sizeof(url), "%s%s", imds->endpoint, path);
    if (n < 0 || (size_t)n >= sizeof(url))
        return -EINVAL;
    snprintf(tok_hdr, sizeof(tok_hdr), "X-aws-ec2-metadata-token: %s",
             imds->token);
    hdrs[0] = tok_hdr;
    hdrs[1] = NULL;
    req.method = "GET";
    req.url = url;
    req.headers = hdrs;
    req.timeout_ms = imds->timeout_ms;
    req.connect_timeout_ms = imds->timeout_ms;
    req.max_body = AWS_CREDS_MAX_RESPONSE;
    r = aws_http_request(h, &req, ret);
    explicit_bzero(tok_hdr, sizeof(tok_hdr));
    return r;
}

int
aws_imds_get(struct aws_imds *imds, struct aws_http *h, const char *path,
             time_t now, char **ret_body, size_t *ret_len)
{
    struct aws_http_response resp = { 0 };
    int attempt, r = -EIO;

    *ret_body = NULL;
    *ret_len = 0;
    if (!path || path[0] != '/')
        return -EINVAL;
    for (attempt = 0; attempt < 2; attempt++) {
        if (!imds->token[0] || now >= imds->token_expires - IMDS_TOKEN_SLACK) {
            r = imds_token(imds, h, now);
            if (r < 0)
                return r;
        }
        r = imds_get_once(imds, h, path, &resp);
        if (r < 0)
            return r;
        if (resp.status != 401)
            break;
        /* The token expired or IMDS restarted: one fresh token. */
        aws_http_response_free(&resp);
        aws_imds_reset(imds);
    }
    if (resp.status == 200) {
        *ret_body = resp.body;
        *ret_len = resp.body_len;
        return 0;
    }
    if (resp.status == 404)
        r = -ENOENT;
    else if (resp.status == 401 || resp.status == 403)
        r = -EACCES;
    else
        r = -EIO;
    if (r != -ENOENT)
        iam_log(LOG_WARNING, "aws_creds: IMDS %s: HTTP %ld", path,
                resp.status);
    aws_http_response_free(&resp);
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
aws_creds_from_imds(struct aws_imds *imds, struct aws_http *h, time_t now,
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
    /* One role per instance profile; take the first line. */
    body[strcspn(body, "\r\n")] = '\0';
    len = rtrim(body, strlen(body));
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
    r = aws_creds_parse_imds(body, len, ret);
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
session_name(const struct aws_creds_source *src, char *out, size_t size)
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

/* The AssumeRole form body (parameters only in the body: moto ignores a
 * POST body when the URL has a query). */
static int
assume_role_body(const struct aws_creds_source *src, char **ret_body)
{
    char name[SESSION_NAME_MAX + 1];
    char *arn = NULL, *sname = NULL;
    int dur, n, r;
    size_t size;

    *ret_body = NULL;
    dur = src->duration_seconds ? src->duration_seconds
                                : AWS_CREDS_DEFAULT_DURATION;
    if (!src->assume_role_arn || !printable(src->assume_role_arn, ARN_MAX) ||
        dur < 900 || dur > 43200)
        return -EINVAL;
    r = session_name(src, name, sizeof(name));
    if (r < 0)
        return r;
    r = aws_sigv4_uri_encode(src->assume_role_arn,
                             strlen(src->assume_role_arn), false, &arn);
    if (r == 0)
        r = aws_sigv4_uri_encode(name, strlen(name), false, &sname);
    if (r < 0)
        goto out;
    size = strlen(arn) + strlen(sname) + 160;
    *ret_body = malloc(size);
    if (!*ret_body) {
        r = -ENOMEM;
        goto out;
    }
    n = snprintf(*ret_body, size,
                 "Action=AssumeRole&Version=2011-06-15&RoleArn=%s"
                 "&RoleSessionName=%s&DurationSeconds=%d&ContentType=JSON",
                 arn, sname, dur);
    if (n < 0 || (size_t)n >= size) {
        free(*ret_body);
        *ret_body = NULL;
        r = -EINVAL;
    }
out:
    free(arn);
    free(sname);
    return r;
}

/* Header lines for a signed STS POST; @ret_lines[2] is malloc'ed when a
 * session token is sent (free with sts_headers_free). */
struct sts_headers {
    char date[AWS_SIGV4_AMZ_DATE_SIZE + 16];
    char authz[AWS_SIGV4_AUTHZ_SIZE + 32];
    char *token;
    const char *lines[5];
};

static void
sts_headers_free(struct sts_headers *sh)
{
    if (sh->token)
        wipe_free(sh->token, strlen(sh->token));
    sh->token = NULL;
}

static int
sts_sign(const struct aws_creds_source *src, const struct aws_http_url *u,
         const struct aws_creds *base, const char *body, time_t now,
         struct sts_headers *sh)
{
    struct aws_sigv4_header ctype = { "Content-Type", STS_CONTENT_TYPE };
    struct aws_sigv4_request sreq = { 0 };
    char authz[AWS_SIGV4_AUTHZ_SIZE];
    char amz_date[AWS_SIGV4_AMZ_DATE_SIZE];
    size_t n = 0, tlen;
    int r;

    memset(sh, 0, sizeof(*sh));
    sreq.method = "POST";
    sreq.host = u->host;
    sreq.path = u->path;
    sreq.query = u->query;
    sreq.headers = &ctype;
    sreq.n_headers = 1;
    sreq.body = body;
    sreq.body_len = strlen(body);
    r = aws_sigv4_sign(&sreq, base,
                       src->region ? src->region : AWS_CREDS_DEFAULT_REGION,
                       "sts", now, authz, sizeof(authz), amz_date);
    if (r < 0)
        return r;
    snprintf(sh->date, sizeof(sh->date), "X-Amz-Date: %s", amz_date);
    snprintf(sh->authz, sizeof(sh->authz), "Authorization: %s", authz);
    sh->lines[n++] = "Content-Type: " STS_CONTENT_TYPE;
    sh->lines[n++] = sh->date;
    sh->lines[n++] = sh->authz;
    if (base->session_token) {
        tlen = strlen(base->session_token) + 32;
        sh->token = malloc(tlen);
        if (!sh->token)
            return -ENOMEM;
        snprintf(sh->token, tlen, "X-Amz-Security-Token: %s",
                 base->session_token);
        sh->lines[n++] = sh->token;
    }
    sh->lines[n] = NULL;
    return 0;
}

int
aws_creds_assume_role(const struct aws_creds_source *src,
                      struct aws_http *h, const struct aws_creds *base,
                      time_t now, struct aws_creds *ret)
{
    struct aws_http_url u = { .query = NULL };
    struct aws_http_response resp = { 0 };
    struct aws_http_request req = { 0 };
    struct sts_headers sh = { .token = NULL };
    const char *endpoint;
    char *body = NULL;
    int r;

    aws_creds_reset(ret);
    endpoint = src->sts_endpoint ? src->sts_endpoint
                                 : AWS_CREDS_DEFAULT_STS;
    r = assume_role_body(src, &body);
    if (r < 0)
        goto out;
    r = aws_http_url_split(endpoint, &u);
    if (r == 0 && u.query[0])
        r = -EINVAL;
    if (r < 0) {
        iam_log(LOG_ERR, "aws_creds: STS endpoint is not usable");
        goto out;
    }
    r = sts_sign(src, &u, base, body, now, &sh);
    if (r < 0)
        goto out;
    req.method = "POST";
    req.url = endpoint;
    req.headers = sh.lines;
    req.body = body;
    req.body_len = strlen(body);
    req.timeout_ms = src->sts_timeout_ms > 0
                         ? src->sts_timeout_ms
                         : AWS_CREDS_DEFAULT_STS_TIMEOUT_MS;
    req.max_body = AWS_CREDS_MAX_RESPONSE;
    r = aws_http_request(h, &req, &resp);
    if (r < 0)
        goto out;
    if (resp.status != 200) {
        r = aws_creds_sts_error(resp.status, resp.body, resp.body_len);
        goto out;
    }
    r = aws_creds_parse_sts(resp.body, resp.body_len, ret);
    if (r < 0)
        iam_log(LOG_ERR, "aws_creds: STS AssumeRole answer is not the "
                         "expected JSON");
out:
    sts_headers_free(&sh);
    aws_http_response_free(&resp);
    aws_http_url_free(&u);
    free(body);
    return r;
}

static bool
is_connect_error(int r)
{
    return r == -ETIMEDOUT || r == -ECONNREFUSED || r == -EHOSTUNREACH ||
           r == -ECONNRESET;
}

int
aws_creds_resolve(const struct aws_creds_source *src, struct aws_http *h,
                  time_t now, struct aws_creds *ret)
{
    static const struct aws_creds_source defaults = { 0 };
    struct aws_creds base;
    struct aws_imds imds;
    int r;

    aws_creds_reset(ret);
    aws_creds_init(&base);
    memset(&imds, 0, sizeof(imds));
    if (!src)
        src = &defaults;
    r = aws_creds_from_env(&base);
    if (r == -ENOENT) {
        r = aws_imds_init(src->imds_endpoint, src->imds_timeout_ms, &imds);
        if (r == 0)
            r = aws_creds_from_imds(&imds, h, now, &base);
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
        r = aws_creds_assume_role(src, h, &base, now, ret);
        goto out;
    }
    creds_move(&base, ret);
out:
    aws_creds_reset(&base);
    aws_imds_reset(&imds);
    return r;
}
