#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_client.h"
#include "aws_error.h"
#include "aws_s3.h"
#include "aws_sigv4.h"
#include "fleet_obj.h"
#include "fleet_sign.h"
#include "iam_log.h"
#include "iam_sha256.h"

#define MAX_ATTEMPTS 6
/* A publisher's clock this far ahead of ours is wrong, not early. */
#define MAX_CLOCK_AHEAD 600
#define ERRLEN (FLEET_SOURCE_SIZE + 512)

/* An S3 client for @url's bucket. */
static int
s3_client(const struct iam_config *cfg, const struct aws_creds *creds,
          int64_t deadline_ms, const char *url, struct aws_client *ret,
          char endpoint[AWS_S3_ENDPOINT_SIZE], char path[AWS_S3_PATH_SIZE])
{
    struct aws_s3_location loc;
    struct aws_client_opts o;
    char why[128];
    int r;

    if (aws_s3_parse_url(url, &loc, why, sizeof(why)) < 0) {
        iam_log(LOG_ERR, "%s: %s", url, why);
        return -EINVAL;
    }
    r = aws_s3_endpoint(&loc, cfg->aws_region, cfg->s3_endpoint, endpoint,
                        path);
    if (r < 0) {
        iam_log(LOG_ERR, "%s: no S3 endpoint for region %s%s%s", url,
                cfg->aws_region, cfg->s3_endpoint ? " and S3_ENDPOINT " : "",
                cfg->s3_endpoint ? cfg->s3_endpoint : "");
        return r;
    }
    memset(&o, 0, sizeof(o));
    o.endpoint = endpoint;
    o.region = cfg->aws_region;
    o.service = "s3";
    o.timeout_ms = cfg->http_timeout_ms;
    o.max_attempts = MAX_ATTEMPTS;
    o.deadline_ms = deadline_ms;
    r = aws_client_init(ret, &o, creds);
    if (r < 0)
        iam_log(LOG_ERR, "S3 endpoint %s: %s", endpoint, strerrordesc_np(-r));
    return r;
}

/* Logs an S3 answer the caller did not expect; returns -errno for it. */
static int
s3_refused(const char *what, const struct aws_http_response *resp)
{
    struct aws_error *e = NULL;

    /* S3's <Error><Code>, when the answer has one. */
    (void)aws_error_from_xml(resp->body, resp->body_len, &e);
    iam_log(LOG_ERR, "%s: HTTP %ld%s%s%s", what, resp->status, e ? " " : "",
            e ? e->code : "",
            resp->status == 403   ? " (check the bucket policy and the "
                                    "instance role's s3 permissions)"
            : resp->status == 404 ? " (nothing published there yet?)"
                                  : "");
    aws_error_free(e);
    return resp->status == 404   ? -ENOENT
           : resp->status == 403 ? -EACCES
                                 : -EREMOTEIO;
}

/* One request through @c; returns 0 with *resp, or -errno (logged). */
static int
s3_call(struct aws_client *c, const struct aws_client_rest *req,
        struct aws_http_response *resp, struct fleet_stats *stats)
{
    struct aws_http h;
    char err[ERRLEN];
    unsigned long before = c->calls;
    int r;

    r = aws_http_init(&h);
    if (r < 0)
        return r;
    r = aws_client_rest(c, &h, req, resp, err, sizeof(err));
    aws_http_destroy(&h);
    stats->s3_calls += c->calls - before;
    if (r < 0) {
        iam_log(LOG_ERR, "%s", err);
        return r;
    }
    stats->bytes += resp->body_len + req->body_len;
    return 0;
}

/* ---- instances ---- */

/* What judging an object found. */
struct verdict {
    char why[FLEET_WHY_SIZE];
    bool lasting; /* true of these bytes whatever the clock says */
};

static int
verdict(struct verdict *v, bool lasting, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the reason of a refusal; returns -EPERM. */
static int
verdict(struct verdict *v, bool lasting, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v->why, sizeof(v->why), fmt, ap);
    va_end(ap);
    v->lasting = lasting;
    return -EPERM;
}

/* A refusal, logged: the reason, and -EPERM. */
static int
refuse(const struct iam_config *cfg, const char *why)
{
    iam_log(LOG_ERR, "refused %s: %s; the previous snapshot is kept",
            cfg->source, why);
    return -EPERM;
}

/*
 * What the header alone decides, in order of cost: its shape, its
 * signature, then what the signed header says (source, times). Returns
 * 0, -EPERM (@v says why), or another -errno (logged).
 */
static int
judge_header(const struct iam_config *cfg, const char *obj, size_t len,
             const struct fleet_seen *seen, time_t now, struct fleet_header *h,
             struct verdict *v)
{
    char err[ERRLEN];
    int r;

    r = fleet_obj_header(obj, len, h, err, sizeof(err));
    if (r >= 0)
        r = fleet_obj_verify_header(obj, h, &cfg->signing_public_keys, err,
                                    sizeof(err));
    if (r == -EBADMSG || r == -EPROTONOSUPPORT)
        return verdict(v, true, "%s", err);
    if (r < 0) {
        iam_log(LOG_ERR, "%s: %s", cfg->source, err);
        return r;
    }
    if (strcmp(h->source, cfg->source) != 0)
        return verdict(v, true, "it was published for %s", h->source);
    /* Not lasting: the publisher's clock, or ours, may be set right. */
    if (h->created > (int64_t)now + MAX_CLOCK_AHEAD)
        return verdict(v, false,
                       "created %" PRId64 " s in the future (is "
                       "the publisher's clock right?)",
                       h->created - (int64_t)now);
    if (h->created < seen->newest)
        return verdict(v, true,
                       "created at %" PRId64 ", before the newest "
                       "object already applied (%" PRId64 "): a rollback",
                       h->created, seen->newest);
    if ((int64_t)now - h->created > (int64_t)cfg->max_snapshot_age)
        return verdict(v, true,
                       "%" PRId64 " s old, more than "
                       "MAX_SNAPSHOT_AGE (%u s): is the publisher running?",
                       (int64_t)now - h->created, cfg->max_snapshot_age);
    return 0;
}

/*
 * The body check of the GET (aws_http's): the header is judged as soon
 * as its line is complete, or as soon as FLEET_HEADER_MAX bytes came
 * without one, and a refused object's transfer stops there. A bucket
 * writer's 64 MiB of garbage then costs each instance a few KiB.
 */
struct head_check {
    const struct iam_config *cfg;
    const struct fleet_seen *seen;
    time_t now;
    int r;     /* judge_header's */
    size_t at; /* bytes received when judged */
    char etag[AWS_HTTP_ETAG_SIZE];
    struct verdict v;
};

static int
head_check(const char *body, size_t len, const struct aws_http_response *resp,
           void *arg)
{
    struct head_check *c = arg;
    struct fleet_header h;

    if (!fleet_obj_header_complete(body, len))
        return 0;
    c->at = len;
    snprintf(c->etag, sizeof(c->etag), "%s", resp->etag);
    c->r = judge_header(c->cfg, body, len, c->seen, c->now, &h, &c->v);
    return c->r < 0 ? c->r : 1;
}

/* Records the refusal of the object @etag, or clears the record. */
static void
remember(struct fleet_refused *refused, const char *etag,
         const struct verdict *v)
{
    if (!v || !v->lasting || !etag[0]) {
        refused->etag[0] = '\0';
        refused->why[0] = '\0';
        return;
    }
    snprintf(refused->etag, sizeof(refused->etag), "%s", etag);
    snprintf(refused->why, sizeof(refused->why), "%s", v->why);
}

static int
take(const struct iam_config *cfg, const struct aws_http_response *resp,
     const struct fleet_seen *seen, time_t now, struct fleet_got *ret,
     struct verdict *v)
{
    struct fleet_header h;
    char err[ERRLEN];
    bool all_keys;
    int r;

    r = judge_header(cfg, resp->body, resp->body_len, seen, now, &h, v);
    if (r < 0)
        return r;
    r = fleet_obj_check_payload(resp->body, resp->body_len, &h, err,
                                sizeof(err));
    if (r == -EBADMSG)
        return verdict(v, true, "%s", err);
    if (r >= 0)
        r = fleet_obj_decode(resp->body, resp->body_len, &h, &ret->fetch,
                             &all_keys, err, sizeof(err));
    if (r >= 0)
        r = fleet_obj_select(&ret->fetch, all_keys, cfg, err, sizeof(err));
    if (r == -ENOMEM || r == -EIO)
        return r;
    if (r < 0)
        return verdict(v, true, "%s", err);
    ret->created = h.created;
    snprintf(ret->etag, sizeof(ret->etag), "%s", resp->etag);
    return 0;
}

/*
 * 304: the object applied last is still the one in place. It is still
 * held to MAX_SNAPSHOT_AGE: a publisher that stopped, or a bucket writer
 * who put those same bytes back, must not keep it alive forever.
 */
static int
not_modified(const struct iam_config *cfg, const struct fleet_seen *seen,
             time_t now, struct fleet_got *ret)
{
    char err[ERRLEN];

    if ((int64_t)now - seen->newest > (int64_t)cfg->max_snapshot_age) {
        snprintf(err, sizeof(err),
                 "not modified, and %" PRId64 " s old, "
                 "more than MAX_SNAPSHOT_AGE (%u s): is the publisher "
                 "running?",
                 (int64_t)now - seen->newest, cfg->max_snapshot_age);
        return refuse(cfg, err);
    }
    ret->not_modified = true;
    return 0;
}

/* What the answer to the GET means. */
static int
answer(const struct iam_config *cfg, const char *what,
       const struct aws_http_response *resp, const struct fleet_seen *seen,
       struct fleet_refused *refused, time_t now, struct fleet_got *ret)
{
    char err[ERRLEN];
    struct verdict v;
    int r;

    /* Asked with the refused object's ETag: it is still the one there. */
    if (resp->status == 304 && refused->etag[0]) {
        snprintf(err, sizeof(err),
                 "the object in place (ETag %s) is the "
                 "one refused earlier: %s",
                 refused->etag, refused->why);
        return refuse(cfg, err);
    }
    if (resp->status == 304 && seen->etag[0])
        return not_modified(cfg, seen, now, ret);
    if (resp->status != 200)
        return s3_refused(what, resp);
    memset(&v, 0, sizeof(v));
    r = take(cfg, resp, seen, now, ret, &v);
    if (r == -EPERM) {
        remember(refused, resp->etag, &v);
        return refuse(cfg, v.why);
    }
    if (r >= 0)
        remember(refused, "", NULL);
    return r;
}

/* The header check stopped the transfer: why, and how early. */
static int
stopped(const struct iam_config *cfg, const struct head_check *hc,
        struct fleet_refused *refused)
{
    char err[ERRLEN + 64];

    if (hc->r != -EPERM)
        return hc->r < 0 ? hc->r : -EIO;
    remember(refused, hc->etag, &hc->v);
    snprintf(err, sizeof(err),
             "%s (read the first %zu bytes of it, not "
             "the rest)",
             hc->v.why, hc->at);
    return refuse(cfg, err);
}

int
fleet_get(const struct iam_config *cfg, const struct aws_creds *creds,
          int64_t deadline_ms, const struct fleet_seen *seen,
          struct fleet_refused *refused, time_t now, struct fleet_got *ret,
          struct fleet_stats *stats)
{
    char endpoint[AWS_S3_ENDPOINT_SIZE], path[AWS_S3_PATH_SIZE];
    char what[AWS_S3_PATH_SIZE + 16];
    struct aws_sigv4_header hdr[2] = { { NULL, NULL }, { NULL, NULL } };
    struct head_check hc = { cfg, seen, now, 0, 0, "", { "", false } };
    struct aws_http_response resp;
    struct aws_client_rest req;
    struct aws_client c;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (cfg->signing_public_keys.n == 0) {
        iam_log(LOG_ERR, "SOURCE is set but SIGNING_PUBLIC_KEY is not: "
                         "an unsigned object is never used");
        return -EPERM;
    }
    r = s3_client(cfg, creds, deadline_ms, cfg->source, &c, endpoint, path);
    if (r < 0)
        return r;
    snprintf(what, sizeof(what), "S3 GET %s", cfg->source);
    /* The refused object first: while it is there, a 304 says so. */
    if (refused->etag[0])
        hdr[0] = (struct aws_sigv4_header){ "If-None-Match", refused->etag };
    else if (seen->etag[0])
        hdr[0] = (struct aws_sigv4_header){ "If-None-Match", seen->etag };
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    req.headers = hdr;
    req.max_body = FLEET_OBJ_MAX;
    req.check = head_check;
    req.check_arg = &hc;
    req.what = what;
    r = s3_call(&c, &req, &resp, stats);
    aws_client_destroy(&c);
    if (r == -ECANCELED) {
        stats->bytes += hc.at;
        return stopped(cfg, &hc, refused);
    }
    if (r < 0)
        return r;
    r = answer(cfg, what, &resp, seen, refused, now, ret);
    aws_http_response_free(&resp);
    if (r < 0)
        fleet_got_free(ret);
    return r;
}

/*
 * What a refusal depended on besides the object's bytes: the local
 * settings and keys (@local, sync's digest), SOURCE, MAX_SNAPSHOT_AGE and
 * the format this build reads. When any changes, the object is judged
 * again.
 */
int
fleet_refusal_context(const struct iam_config *cfg, const char *local,
                      char ret[65])
{
    char text[FLEET_SOURCE_SIZE + 160];
    int n;

    n = snprintf(text, sizeof(text), "%s\n%s\n%u\n%u\n", local, cfg->source,
                 cfg->max_snapshot_age, (unsigned)FLEET_OBJ_VERSION);
    if (n < 0 || (size_t)n >= sizeof(text))
        return -EINVAL;
    iam_sha256_hex(text, (size_t)n, ret);
    return 0;
}

void
fleet_got_free(struct fleet_got *g)
{
    fetch_free(&g->fetch);
    memset(g, 0, sizeof(*g));
}

/* ---- the publisher ---- */

/* Moves the key bodies of @f into @ret (sorted by key id), and notes
 * when its keys from tags were first seen. */
static int
known_from(struct fetch *f, struct known_keys *ret)
{
    size_t i, k, n = 0;

    for (i = 0; i < f->n_users; i++)
        n += f->keys[i].n;
    ret->v = calloc(n + 1, sizeof(*ret->v));
    if (!ret->v)
        return -ENOMEM;
    for (i = 0; i < f->n_users; i++) {
        for (k = 0; k < f->keys[i].n; k++) {
            /* A key from a tag: its date is when it was first seen. */
            if (tag_keys_is_id(f->keys[i].v[k].key_id)) {
                if (tag_seen_add_line(&ret->seen, f->users[i].user_id,
                                      f->keys[i].v[k].body,
                                      f->keys[i].v[k].upload_date) < 0)
                    return -ENOMEM;
                continue;
            }
            ret->v[ret->n].key_id = f->keys[i].v[k].key_id;
            ret->v[ret->n].line = f->keys[i].v[k].body;
            f->keys[i].v[k].key_id = NULL;
            f->keys[i].v[k].body = NULL;
            ret->n++;
        }
    }
    known_keys_sort(ret);
    return 0;
}

int
fleet_pub_open(const struct iam_config *cfg, const struct aws_creds *creds,
               int64_t deadline_ms, const char *url, struct fleet_pub *ret)
{
    int r;

    memset(ret, 0, sizeof(*ret));
    ret->cfg = cfg;
    ret->url = url;
    if (!cfg->signing_key) {
        iam_log(LOG_ERR, "--publish needs SIGNING_KEY (the Ed25519 "
                         "private key) in the configuration");
        return -EINVAL;
    }
    r = fleet_signer_load(cfg->signing_key, &ret->signer);
    if (r >= 0)
        r = fleet_signer_public(&ret->signer, ret->pub);
    if (r >= 0)
        r = s3_client(cfg, creds, deadline_ms, url, &ret->s3, ret->endpoint,
                      ret->path);
    if (r < 0) {
        fleet_pub_close(ret);
        return r;
    }
    ret->s3_ready = true;
    return 0;
}

void
fleet_pub_close(struct fleet_pub *p)
{
    fleet_signer_free(&p->signer);
    if (p->s3_ready)
        aws_client_destroy(&p->s3);
    p->s3_ready = false;
}

/*
 * The object in place, when our own key signed it: its key bodies save
 * the GetSSHPublicKey calls (a key id's body never changes), and its
 * sha256 and age say whether a new PUT is needed. Any doubt (missing,
 * unreadable, signed by another key) only costs those calls.
 */
/*
 * The publisher's look at the object in place as it arrives: when its
 * header is not one our key signed, the rest is not worth reading (a
 * bucket writer's 64 MiB would otherwise cost every publisher run).
 */
struct own_check {
    const struct iam_strlist *mine;
    char etag[AWS_HTTP_ETAG_SIZE];
    char err[ERRLEN];
};

static int
own_check(const char *body, size_t len, const struct aws_http_response *resp,
          void *arg)
{
    struct own_check *c = arg;
    struct fleet_header h;
    int r;

    if (!fleet_obj_header_complete(body, len))
        return 0;
    snprintf(c->etag, sizeof(c->etag), "%s", resp->etag);
    r = fleet_obj_header(body, len, &h, c->err, sizeof(c->err));
    if (r >= 0)
        r = fleet_obj_verify_header(body, &h, c->mine, c->err, sizeof(c->err));
    return r < 0 ? -1 : 1;
}

int
fleet_pub_known(struct fleet_pub *p, struct known_keys *ret,
                struct fleet_stats *stats)
{
    char what[AWS_S3_PATH_SIZE + 16], err[ERRLEN];
    char *pub = p->pub;
    struct iam_strlist mine = { .v = &pub, .n = 1 };
    struct own_check oc = { &mine, "", "" };
    struct aws_http_response resp;
    struct aws_client_rest req;
    struct fleet_header h;
    struct fetch f;
    bool all_keys;
    int r;

    memset(ret, 0, sizeof(*ret));
    /* What an earlier put left here is forgotten: this GET says. */
    p->have_current = false;
    p->put_if[0] = '\0';
    p->put_if_absent = false;
    snprintf(what, sizeof(what), "S3 GET %s", p->url);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = p->path;
    req.max_body = FLEET_OBJ_MAX;
    req.check = own_check;
    req.check_arg = &oc;
    req.what = what;
    r = s3_call(&p->s3, &req, &resp, stats);
    if (r == -ECANCELED) {
        /* Not ours: replaced, but only if it is still the one read. */
        snprintf(p->put_if, sizeof(p->put_if), "%s", oc.etag);
        iam_log(LOG_WARNING,
                "%s: the object in place is not ours to "
                "reuse (%s): publishing a new one",
                p->url, oc.err);
        return 0;
    }
    if (r < 0)
        return r;
    p->put_if_absent = resp.status == 404;
    if (resp.status == 200)
        snprintf(p->put_if, sizeof(p->put_if), "%s", resp.etag);
    if (resp.status != 200) {
        if (resp.status != 404)
            s3_refused(what, &resp);
        aws_http_response_free(&resp);
        return 0;
    }
    r = fleet_obj_header(resp.body, resp.body_len, &h, err, sizeof(err));
    if (r >= 0)
        r = fleet_obj_verify(resp.body, resp.body_len, &h, &mine, err,
                             sizeof(err));
    if (r >= 0)
        r = fleet_obj_decode(resp.body, resp.body_len, &h, &f, &all_keys, err,
                             sizeof(err));
    aws_http_response_free(&resp);
    if (r < 0) {
        iam_log(LOG_WARNING,
                "%s: the object in place is not ours to "
                "reuse (%s): publishing a new one",
                p->url, err);
        return 0;
    }
    p->have_current = true;
    p->current_created = h.created;
    memcpy(p->current_sha256, h.sha256, sizeof(p->current_sha256));
    r = known_from(&f, ret);
    fetch_free(&f);
    return r;
}

int
fleet_pub_renew(struct fleet_pub *p, const struct aws_creds *creds,
                int64_t deadline_ms)
{
    int r;

    if (p->s3_ready)
        aws_client_destroy(&p->s3);
    p->s3_ready = false;
    r = s3_client(p->cfg, creds, deadline_ms, p->url, &p->s3, p->endpoint,
                  p->path);
    p->s3_ready = r >= 0;
    return r;
}

/* What was just put is what is in place: the next put is conditional on
 * it, and compared with it. */
static void
put_done(struct fleet_pub *p, const struct aws_http_response *resp,
         time_t started, const char *sha256)
{
    p->have_current = true;
    p->current_created = (int64_t)started;
    snprintf(p->current_sha256, sizeof(p->current_sha256), "%s", sha256);
    p->put_if_absent = false;
    /* Without an ETag the next put is unconditional, as after a GET
     * that could not be read. */
    snprintf(p->put_if, sizeof(p->put_if), "%s", resp->etag);
}

static int
put_object(struct fleet_pub *p, const struct fetch *f, bool all_keys,
           time_t started, time_t now, bool force, bool dry_run,
           const char **ret_result, struct fleet_stats *stats)
{
    char what[AWS_S3_PATH_SIZE + 16], sha256[65];
    struct aws_sigv4_header hdr[3] = {
        { "Content-Type", "application/vnd.nss-iam.fleet" },
        { NULL, NULL },
        { NULL, NULL },
    };
    struct aws_http_response resp;
    struct aws_client_rest req;
    char *obj = NULL;
    size_t len = 0;
    int r;

    *ret_result = "failed";
    /* Another run put a newer object while this one read IAM: ours would
     * undo it, and instances would rightly take ours as newer. */
    if (p->have_current && p->current_created > (int64_t)started) {
        iam_log(LOG_WARNING,
                "%s: an object created after this run "
                "started is in place; not replacing it",
                p->url);
        p->raced = true;
        *ret_result = "unchanged";
        return 0;
    }
    /* Created when the IAM reads began: no later change is in it. */
    r = fleet_obj_build(f, all_keys, (int64_t)started, p->url, &p->signer, &obj,
                        &len, sha256);
    if (r < 0) {
        iam_log(LOG_ERR, "cannot build the fleet object: %s",
                strerrordesc_np(-r));
        return r;
    }
    /* Same content, still young: leave it, instances keep their 304s. */
    if (!force && p->have_current && strcmp(p->current_sha256, sha256) == 0 &&
        (int64_t)now - p->current_created <
            (int64_t)p->cfg->max_snapshot_age / 4) {
        *ret_result = "unchanged";
        goto out;
    }
    if (dry_run) {
        *ret_result = "dry-run";
        goto out;
    }
    /* Only over the object read: a publisher that put a newer one since
     * (S3 answers 412) is not undone. */
    if (p->put_if_absent)
        hdr[1] = (struct aws_sigv4_header){ "If-None-Match", "*" };
    else if (p->put_if[0])
        hdr[1] = (struct aws_sigv4_header){ "If-Match", p->put_if };
    snprintf(what, sizeof(what), "S3 PUT %s", p->url);
    memset(&req, 0, sizeof(req));
    req.method = "PUT";
    req.path = p->path;
    req.headers = hdr;
    req.body = obj;
    req.body_len = len;
    req.what = what;
    r = s3_call(&p->s3, &req, &resp, stats);
    if (r >= 0) {
        if (resp.status == 200) {
            *ret_result = "published";
            put_done(p, &resp, started, sha256);
        } else if (resp.status == 412) {
            iam_log(LOG_WARNING,
                    "%s: another publisher put an object "
                    "while this run read IAM; not replacing it",
                    p->url);
            p->raced = true;
            *ret_result = "unchanged";
        } else {
            r = s3_refused(what, &resp);
        }
        aws_http_response_free(&resp);
    }
out:
    free(obj);
    return r;
}

int
fleet_pub_put(struct fleet_pub *p, const struct fetch *f, bool all_keys,
              time_t started, time_t now, bool dry_run, const char **ret_result,
              struct fleet_stats *stats)
{
    return put_object(p, f, all_keys, started, now, false, dry_run, ret_result,
                      stats);
}

int
fleet_pub_put_again(struct fleet_pub *p, const struct fetch *f, bool all_keys,
                    time_t started, struct fleet_stats *stats)
{
    const char *result;
    int r;

    r = put_object(p, f, all_keys, started, started, true, false, &result,
                   stats);
    if (r >= 0 && strcmp(result, "published") != 0)
        r = -EAGAIN; /* another publisher's object is in place */
    return r;
}

int
fleet_public_key(const struct iam_config *cfg)
{
    char pub[FLEET_PUB_B64_SIZE];
    struct fleet_signer s;
    int r;

    if (!cfg->signing_key) {
        iam_log(LOG_ERR, "SIGNING_KEY is not set in the configuration");
        return -EINVAL;
    }
    r = fleet_signer_load(cfg->signing_key, &s);
    if (r < 0)
        return r;
    r = fleet_signer_public(&s, pub);
    fleet_signer_free(&s);
    if (r >= 0)
        printf("SIGNING_PUBLIC_KEY=\"%s\"\n", pub);
    return r;
}
