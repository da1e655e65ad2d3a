#include "aws_sqs.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "aws_endpoint.h"
#include "aws_error.h"
#include "aws_json.h"
#include "aws_sigv4.h"
#include "iam_ctype.h"
#include "iam_log.h"

#define JSON_TYPE "application/x-amz-json-1.0"
/* SQS's own bounds on what is asked. */
#define VISIBILITY_MAX 43200
#define QUEUE_NAME_MAX 80
#define ACCOUNT_DIGITS 12
#define HOST_MAX 253
/* A MessageId is a UUID; it is logged, so it is held to a narrow
 * alphabet. A receipt handle is only sent back. */
#define MESSAGE_ID_MAX 128
#define RECEIPT_HANDLE_MAX 8192
/* Ten bodies of AWS_SQS_BODY_MAX, each escaped at most six-fold (a
 * control character is "\u00XX"), fit; a larger answer is refused
 * before it is all read. */
#define ANSWER_MAX (10 * 6 * AWS_SQS_BODY_MAX + 64 * 1024)
/* An answer is an object of an array of objects of strings. */
#define ANSWER_DEPTH 8
/* What an SQS error message is cut to in @err. */
#define TEXT_MAX 200

/* ---- the queue URL ---- */

/* A region name that fits the caller's buffer. */
static bool
region_ok(const char *r)
{
    return r && strlen(r) < AWS_SQS_REGION_SIZE && aws_endpoint_is_region(r);
}

/* Host names: labels of letters, digits and '-', dot-separated. */
static bool
dns_host_ok(const char *h, size_t len)
{
    size_t i, label = 0;

    if (len == 0 || len > HOST_MAX)
        return false;
    for (i = 0; i < len; i++) {
        if (h[i] == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!iam_is_alnum(h[i]) && h[i] != '-')
            return false;
        if (label == 0 && h[i] == '-')
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && h[len - 1] != '-';
}

/* "[v6 address]": hex digits, ':' and '.' between the brackets. */
static bool
ipv6_host_ok(const char *h, size_t len)
{
    size_t i;

    if (len < 4 || len > 47 || h[0] != '[' || h[len - 1] != ']')
        return false;
    for (i = 1; i + 1 < len; i++)
        if (!iam_is_digit(h[i]) && !strchr("abcdefABCDEF:.", h[i]))
            return false;
    return true;
}

/* ":PORT", 1 to 65535, no leading zero. */
static bool
port_ok(const char *p, size_t len)
{
    unsigned long v = 0;
    size_t i;

    if (len < 2 || len > 6 || p[0] != ':' || p[1] == '0')
        return false;
    for (i = 1; i < len; i++) {
        if (!iam_is_digit(p[i]))
            return false;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    return v <= 65535;
}

/* "/ACCOUNT/NAME", the whole rest of the URL. */
static bool
queue_path_ok(const char *p)
{
    size_t i, n;

    if (p[0] != '/')
        return false;
    for (i = 1; i <= ACCOUNT_DIGITS; i++)
        if (!iam_is_digit(p[i]))
            return false;
    if (p[i] != '/')
        return false;
    p += i + 1;
    n = strlen(p);
    if (n > 5 && strcmp(p + n - 5, ".fifo") == 0)
        n -= 5;
    if (n == 0 || strlen(p) > QUEUE_NAME_MAX)
        return false;
    for (i = 0; i < n; i++)
        if (!iam_is_alnum(p[i]) && p[i] != '_' && p[i] != '-')
            return false;
    return true;
}

/* Does @host end with @suffix, ignoring case? Sets *ret_len to what is
 * before it. */
static bool
ends_with(const char *host, size_t len, const char *suffix, size_t *ret_len)
{
    size_t n = strlen(suffix);

    if (len <= n || strncasecmp(host + len - n, suffix, n) != 0)
        return false;
    *ret_len = len - n;
    return true;
}

/*
 * The region of an AWS queue host, in lower case: sqs.REGION.amazonaws.com
 * (.cn), the legacy REGION.queue.amazonaws.com, and queue.amazonaws.com,
 * the legacy us-east-1. Returns false for any other host.
 */
static bool
region_of_host(const char *host, size_t len, char region[AWS_SQS_REGION_SIZE])
{
    const char *r = NULL;
    size_t rlen = 0, i;

    if (len == strlen("queue.amazonaws.com") &&
        strncasecmp(host, "queue.amazonaws.com", len) == 0) {
        snprintf(region, AWS_SQS_REGION_SIZE, "us-east-1");
        return true;
    }
    if (ends_with(host, len, ".amazonaws.com.cn", &rlen) ||
        ends_with(host, len, ".amazonaws.com", &rlen)) {
        if (rlen > 4 && strncasecmp(host, "sqs.", 4) == 0) {
            r = host + 4;
            rlen -= 4;
        } else if (ends_with(host, rlen, ".queue", &rlen)) {
            r = host;
        }
    }
    if (!r || rlen >= AWS_SQS_REGION_SIZE)
        return false;
    for (i = 0; i < rlen; i++)
        region[i] = (r[i] >= 'A' && r[i] <= 'Z') ? (char)(r[i] + 32) : r[i];
    region[rlen] = '\0';
    return region_ok(region);
}

int
aws_sqs_endpoint(const char *queue_url, const char *fallback_region,
                 char endpoint[AWS_SQS_ENDPOINT_SIZE],
                 char region[AWS_SQS_REGION_SIZE])
{
    const char *host, *rest;
    size_t scheme, hlen, plen;

    endpoint[0] = region[0] = '\0';
    if (!queue_url)
        return -EINVAL;
    if (strncmp(queue_url, "https://", 8) == 0)
        scheme = 8;
    else if (strncmp(queue_url, "http://", 7) == 0)
        scheme = 7;
    else
        return -EINVAL;
    host = queue_url + scheme;
    hlen = strcspn(host, host[0] == '[' ? "]" : ":/");
    if (host[0] == '[') {
        if (host[hlen] != ']')
            return -EINVAL;
        hlen++;
    }
    rest = host + hlen;
    plen = rest[0] == ':' ? strcspn(rest, "/") : 0;
    if (!(dns_host_ok(host, hlen) || ipv6_host_ok(host, hlen)) ||
        (plen && !port_ok(rest, plen)) || !queue_path_ok(rest + plen))
        return -EINVAL;
    if (!region_of_host(host, hlen, region)) {
        region[0] = '\0';
        if (!region_ok(fallback_region))
            return -EINVAL;
        snprintf(region, AWS_SQS_REGION_SIZE, "%s", fallback_region);
    }
    /* Fits: scheme 8 + host 253 + port 6 < AWS_SQS_ENDPOINT_SIZE. */
    snprintf(endpoint, AWS_SQS_ENDPOINT_SIZE, "%.*s",
             (int)(scheme + hlen + plen), queue_url);
    return 0;
}

/* ---- requests ---- */

/* Adds @v (NULL when json-c ran out of memory) to @o as @key. */
static int
add(json_object *o, const char *key, json_object *v)
{
    if (!v)
        return -ENOMEM;
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

/* @o as compact JSON, malloc'ed, into *ret; @o is released. */
static int
finish(json_object *o, char **ret)
{
    const char *s;

    *ret = NULL;
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s)
        *ret = strdup(s);
    json_object_put(o);
    return *ret ? 0 : -ENOMEM;
}

static int
receive_body(const char *queue_url, unsigned max, unsigned wait_s,
             unsigned visibility_s, char **ret)
{
    json_object *o = json_object_new_object();
    int r;

    *ret = NULL;
    if (!o)
        return -ENOMEM;
    r = add(o, "QueueUrl", json_object_new_string(queue_url));
    if (r >= 0)
        r = add(o, "MaxNumberOfMessages", json_object_new_int((int)max));
    if (r >= 0)
        r = add(o, "WaitTimeSeconds", json_object_new_int((int)wait_s));
    if (r >= 0)
        r = add(o, "VisibilityTimeout", json_object_new_int((int)visibility_s));
    if (r < 0) {
        json_object_put(o);
        return r;
    }
    return finish(o, ret);
}

/* One entry {"Id": "@i", "ReceiptHandle": ...} of a delete batch. */
static json_object *
delete_entry(size_t i, const char *handle)
{
    json_object *e = json_object_new_object();
    char id[8];

    if (!e)
        return NULL;
    snprintf(id, sizeof(id), "%zu", i);
    if (add(e, "Id", json_object_new_string(id)) < 0 ||
        add(e, "ReceiptHandle", json_object_new_string(handle)) < 0) {
        json_object_put(e);
        return NULL;
    }
    return e;
}

static int
delete_body(const char *queue_url, const struct aws_sqs_message *const *v,
            size_t n, char **ret)
{
    json_object *o = json_object_new_object(), *a = NULL, *e;
    size_t i;
    int r;

    *ret = NULL;
    if (!o)
        return -ENOMEM;
    r = add(o, "QueueUrl", json_object_new_string(queue_url));
    if (r >= 0) {
        a = json_object_new_array();
        r = add(o, "Entries", a);
    }
    for (i = 0; r >= 0 && i < n; i++) {
        e = delete_entry(i, v[i]->receipt_handle);
        r = e ? json_object_array_add(a, e) : -ENOMEM;
        if (r != 0) {
            json_object_put(e);
            r = -ENOMEM;
        }
    }
    if (r < 0) {
        json_object_put(o);
        return r;
    }
    return finish(o, ret);
}

/* @s (NULL: "") into @buf, cut, with its control characters as '?'. */
static void
clean(char *buf, size_t size, const char *s)
{
    size_t i;

    snprintf(buf, size, "%s", s ? s : "");
    for (i = 0; buf[i]; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
}

/*
 * The short code of an SQS error: the JSON protocol's "QueueDoesNotExist"
 * is also what the query protocol's "AWS.SimpleQueueService.
 * NonExistentQueue" means; other "AWS.SimpleQueueService." codes lose the
 * prefix.
 */
static const char *
short_code(const char *code)
{
    static const char prefix[] = "AWS.SimpleQueueService.";

    if (strncmp(code, prefix, sizeof(prefix) - 1) == 0)
        code += sizeof(prefix) - 1;
    if (strcmp(code, "NonExistentQueue") == 0)
        return "QueueDoesNotExist";
    return code;
}

/* A non-200 answer: SQS's error, or -EPROTO when it holds none. */
static int
refused(const char *what, const struct aws_http_response *resp, char *err,
        size_t errlen)
{
    struct aws_error *e = NULL;
    char text[TEXT_MAX];

    if (aws_error_parse(resp->body, resp->body_len, &e) < 0) {
        snprintf(err, errlen, "%s: HTTP %ld without an AWS error document",
                 what, resp->status);
        return -EPROTO;
    }
    clean(text, sizeof(text), e->message);
    snprintf(err, errlen, "%s: HTTP %ld %s%s%s", what, resp->status,
             short_code(e->code), text[0] ? ": " : "", text);
    aws_error_free(e);
    return -EREMOTEIO;
}

/* POSTs @body as @action; on 0, *ret_root is the answer's JSON object. */
static int
sqs_call(struct aws_client *c, struct aws_http *h, const char *action,
         const char *body, json_object **ret_root, char *err, size_t errlen)
{
    char target[64], what[64], why[128];
    struct aws_sigv4_header hdr[3] = {
        { "Content-Type", JSON_TYPE },
        { "X-Amz-Target", target },
        { NULL, NULL },
    };
    struct aws_http_response resp;
    struct aws_client_rest req;
    int r;

    *ret_root = NULL;
    snprintf(target, sizeof(target), "AmazonSQS.%s", action);
    snprintf(what, sizeof(what), "SQS %s", action);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/";
    req.headers = hdr;
    req.body = body;
    req.body_len = strlen(body);
    req.max_body = ANSWER_MAX;
    req.what = what;
    r = aws_client_rest(c, h, &req, &resp, err, errlen);
    if (r < 0)
        return r;
    if (resp.status != 200) {
        r = refused(what, &resp, err, errlen);
    } else {
        r = aws_json_parse(resp.body, resp.body_len, ANSWER_DEPTH, why,
                           sizeof(why), ret_root);
        if (r >= 0 && !json_object_is_type(*ret_root, json_type_object)) {
            json_object_put(*ret_root);
            *ret_root = NULL;
            snprintf(why, sizeof(why), "the answer is not a JSON object");
            r = -EPROTO;
        }
        if (r < 0)
            snprintf(err, errlen, "%s: %s", what,
                     r == -EPROTO ? why : strerrordesc_np(-r));
    }
    aws_http_response_free(&resp);
    return r;
}

/* ---- ReceiveMessage ---- */

static bool
message_id_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > MESSAGE_ID_MAX)
        return false;
    for (i = 0; i < len; i++)
        if (!iam_is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

static bool
receipt_handle_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > RECEIPT_HANDLE_MAX)
        return false;
    for (i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    return true;
}

/* The string member @key of @o and its length; NULL when absent. */
static const char *
string_of(json_object *o, const char *key, size_t *ret_len)
{
    json_object *v = aws_json_member(o, key);

    *ret_len = 0;
    if (!json_object_is_type(v, json_type_string))
        return NULL;
    *ret_len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static char *
dup_len(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* One item of Messages into @m; on failure @m holds what to free. */
static int
take_message(json_object *item, struct aws_sqs_message *m, char *err,
             size_t errlen)
{
    const char *id, *handle, *body;
    size_t id_len, handle_len, body_len;

    id = string_of(item, "MessageId", &id_len);
    handle = string_of(item, "ReceiptHandle", &handle_len);
    body = string_of(item, "Body", &body_len);
    if (!id || !message_id_ok(id, id_len) || !handle ||
        !receipt_handle_ok(handle, handle_len) || !body) {
        snprintf(err, errlen,
                 "SQS ReceiveMessage: a message without a "
                 "usable MessageId, ReceiptHandle or Body");
        return -EPROTO;
    }
    if (body_len > AWS_SQS_BODY_MAX) {
        iam_log(LOG_WARNING,
                "SQS message %.*s: a body of %zu bytes, over %d: "
                "read as empty",
                (int)id_len, id, body_len, AWS_SQS_BODY_MAX);
        body_len = 0;
    }
    m->message_id = dup_len(id, id_len);
    m->receipt_handle = dup_len(handle, handle_len);
    m->body = dup_len(body, body_len);
    m->body_len = body_len;
    if (!m->message_id || !m->receipt_handle || !m->body) {
        snprintf(err, errlen, "SQS ReceiveMessage: out of memory");
        return -ENOMEM;
    }
    return 0;
}

static int
take_messages(json_object *root, unsigned max, struct aws_sqs_batch *ret,
              char *err, size_t errlen)
{
    json_object *msgs = aws_json_member(root, "Messages");
    size_t i, n;
    int r;

    /* No message: SQS leaves Messages out (or sends it empty). */
    if (!msgs)
        return 0;
    if (!json_object_is_type(msgs, json_type_array)) {
        snprintf(err, errlen, "SQS ReceiveMessage: Messages is no list");
        return -EPROTO;
    }
    n = json_object_array_length(msgs);
    if (n > max) {
        snprintf(err, errlen,
                 "SQS ReceiveMessage: %zu messages, more "
                 "than the %u asked for",
                 n, max);
        return -EPROTO;
    }
    for (i = 0; i < n; i++) {
        ret->n++;
        r = take_message(json_object_array_get_idx(msgs, i), &ret->v[i], err,
                         errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

int
aws_sqs_receive(struct aws_client *c, struct aws_http *h, const char *queue_url,
                unsigned max, unsigned wait_s, unsigned visibility_s,
                struct aws_sqs_batch *ret, char *err, size_t errlen)
{
    json_object *root = NULL;
    char *body = NULL;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (errlen)
        err[0] = '\0';
    if (max < 1 || max > AWS_SQS_BATCH_MAX || wait_s > AWS_SQS_WAIT_MAX ||
        visibility_s > VISIBILITY_MAX) {
        snprintf(err, errlen, "SQS ReceiveMessage: an argument out of range");
        return -EINVAL;
    }
    /* A timeout within the long poll would time out every quiet poll. */
    if (c->opts.timeout_ms <= (long)wait_s * 1000) {
        snprintf(err, errlen,
                 "SQS ReceiveMessage: a request timeout of %ld "
                 "ms is not longer than the wait of %u s",
                 c->opts.timeout_ms, wait_s);
        return -EINVAL;
    }
    r = receive_body(queue_url, max, wait_s, visibility_s, &body);
    if (r >= 0)
        r = sqs_call(c, h, "ReceiveMessage", body, &root, err, errlen);
    if (r >= 0)
        r = take_messages(root, max, ret, err, errlen);
    if (r == -ENOMEM && errlen && !err[0])
        snprintf(err, errlen, "SQS ReceiveMessage: out of memory");
    if (r < 0)
        aws_sqs_batch_free(ret);
    else if (errlen)
        err[0] = '\0'; /* aws_client_rest() wrote its default there */
    json_object_put(root);
    free(body);
    return r;
}

/* ---- DeleteMessageBatch ---- */

/* What the answers to the batches said, summed. */
struct deleted {
    size_t ok;
    size_t failed;
    char first[AWS_ERROR_CODE_MAX + TEXT_MAX + MESSAGE_ID_MAX + 32];
};

/* The entry index of an "Id" of the answer; -1 when it names none of
 * the @n sent or was already answered. */
static int
entry_index(json_object *e, size_t n, uint32_t *seen)
{
    const char *id = aws_json_string(e, "Id");
    size_t i;

    /* The ids sent: "0" to "9". */
    if (!id || !iam_is_digit(id[0]) || id[1] != '\0')
        return -1;
    i = (size_t)(id[0] - '0');
    if (i >= n || (*seen & (1u << i)))
        return -1;
    *seen |= 1u << i;
    return (int)i;
}

/* Failed[] of one answer: counted, the first one described. */
static int
take_failed(json_object *failed, const struct aws_sqs_message *const *v,
            size_t n, uint32_t *seen, struct deleted *d)
{
    char code[AWS_ERROR_CODE_MAX], text[TEXT_MAX];
    json_object *e;
    size_t i, len;
    int k;

    if (failed && !json_object_is_type(failed, json_type_array))
        return -EPROTO;
    len = failed ? json_object_array_length(failed) : 0;
    for (i = 0; i < len; i++) {
        e = json_object_array_get_idx(failed, i);
        k = entry_index(e, n, seen);
        if (k < 0)
            return -EPROTO;
        if (d->failed++ > 0)
            continue;
        clean(code, sizeof(code), aws_json_string(e, "Code"));
        clean(text, sizeof(text), aws_json_string(e, "Message"));
        snprintf(d->first, sizeof(d->first), "message %s: %s%s%s",
                 v[k]->message_id ? v[k]->message_id : "?",
                 code[0] ? code : "no code", text[0] ? ": " : "", text);
    }
    return 0;
}

static int
take_deleted(json_object *root, const struct aws_sqs_message *const *v,
             size_t n, struct deleted *d)
{
    json_object *ok = aws_json_member(root, "Successful");
    uint32_t seen = 0;
    size_t i, len;

    if (ok && !json_object_is_type(ok, json_type_array))
        return -EPROTO;
    len = ok ? json_object_array_length(ok) : 0;
    for (i = 0; i < len; i++) {
        if (entry_index(json_object_array_get_idx(ok, i), n, &seen) < 0)
            return -EPROTO;
        d->ok++;
    }
    return take_failed(aws_json_member(root, "Failed"), v, n, &seen, d);
}

static int
delete_batch(struct aws_client *c, struct aws_http *h, const char *queue_url,
             const struct aws_sqs_message *const *v, size_t n,
             struct deleted *d, char *err, size_t errlen)
{
    json_object *root = NULL;
    char *body = NULL;
    int r;

    r = delete_body(queue_url, v, n, &body);
    if (r >= 0)
        r = sqs_call(c, h, "DeleteMessageBatch", body, &root, err, errlen);
    if (r >= 0) {
        r = take_deleted(root, v, n, d);
        if (r == -EPROTO)
            snprintf(err, errlen,
                     "SQS DeleteMessageBatch: an answer "
                     "that names entries not sent, or names one twice");
    }
    if (r == -ENOMEM)
        snprintf(err, errlen, "SQS DeleteMessageBatch: out of memory");
    json_object_put(root);
    free(body);
    return r;
}

int
aws_sqs_delete(struct aws_client *c, struct aws_http *h, const char *queue_url,
               const struct aws_sqs_message *const *v, size_t n, char *err,
               size_t errlen)
{
    struct deleted d;
    size_t i, k;
    int r;

    memset(&d, 0, sizeof(d));
    if (errlen)
        err[0] = '\0';
    if (n > INT_MAX) {
        snprintf(err, errlen, "SQS DeleteMessageBatch: too many messages");
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (!v[i] || !v[i]->receipt_handle) {
            snprintf(err, errlen,
                     "SQS DeleteMessageBatch: a message "
                     "without a receipt handle");
            return -EINVAL;
        }
    }
    for (i = 0; i < n; i += k) {
        k = n - i < AWS_SQS_BATCH_MAX ? n - i : AWS_SQS_BATCH_MAX;
        r = delete_batch(c, h, queue_url, v + i, k, &d, err, errlen);
        if (r < 0)
            return r;
    }
    if (errlen)
        err[0] = '\0';
    if (d.failed)
        snprintf(err, errlen,
                 "SQS DeleteMessageBatch: %zu of %zu messages "
                 "not deleted; the first: %s",
                 d.failed, n, d.first);
    return (int)d.ok;
}

void
aws_sqs_batch_free(struct aws_sqs_batch *b)
{
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->n && i < AWS_SQS_BATCH_MAX; i++) {
        free(b->v[i].message_id);
        free(b->v[i].receipt_handle);
        free(b->v[i].body);
    }
    memset(b, 0, sizeof(*b));
}
