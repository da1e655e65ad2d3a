#include "aws_sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "iam_log.h"
#include "iam_sha256.h"

/* Longest secret key accepted ("AWS4" is prepended on the stack). */
#define SECRET_MAX 256
#define SERVICE_MAX 63

/* A growable string. Growth copies and wipes instead of realloc(), because
 * canonical requests can hold a session token. */
struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    int err;
};

/* One header after canonicalisation; name and value are malloc'ed. */
struct canon_header {
    char *name;
    char *value;
};

/* One query parameter, both halves already SigV4-encoded. */
struct canon_param {
    char *key;
    char *value;
};

static void
sbuf_free(struct sbuf *b)
{
    if (b->p) {
        explicit_bzero(b->p, b->cap);
        free(b->p);
    }
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    char *np;
    size_t ncap;

    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1) {
            if (ncap > SIZE_MAX / 2) {
                b->err = -ENOMEM;
                return;
            }
            ncap *= 2;
        }
        np = malloc(ncap);
        if (!np) {
            b->err = -ENOMEM;
            return;
        }
        if (b->p) {
            memcpy(np, b->p, b->len);
            explicit_bzero(b->p, b->cap);
            free(b->p);
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sbuf_str(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

/* Hand the string over to the caller; an empty buffer becomes "". */
static int
sbuf_take(struct sbuf *b, char **ret)
{
    *ret = NULL;
    sbuf_add(b, "", 0);
    if (b->err) {
        sbuf_free(b);
        return b->err;
    }
    *ret = b->p;
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    return 0;
}

static bool
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

static void
sbuf_encode(struct sbuf *b, const char *in, size_t len, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[3];
    size_t i;
    unsigned char c;

    for (i = 0; i < len; i++) {
        c = (unsigned char)in[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            sbuf_add(b, in + i, 1);
            continue;
        }
        esc[0] = '%';
        esc[1] = hex[c >> 4];
        esc[2] = hex[c & 0x0f];
        sbuf_add(b, esc, 3);
    }
}

int
aws_sigv4_uri_encode(const char *in, size_t len, bool keep_slash,
                     char **ret_out)
{
    struct sbuf b = { NULL, 0, 0, 0 };

    *ret_out = NULL;
    sbuf_encode(&b, in, len, keep_slash);
    return sbuf_take(&b, ret_out);
}

/* Log the OpenSSL error queue once and translate it: OpenSSL errors stop
 * here. */
static int
openssl_error(const char *what)
{
    unsigned long e;
    char buf[256];

    e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    else
        snprintf(buf, sizeof(buf), "no detail");
    ERR_clear_error();
    iam_log(LOG_WARNING, "aws_sigv4: %s failed: %s", what, buf);
    return -EIO;
}

static int
hmac256(const void *key, size_t key_len, const void *data, size_t len,
        unsigned char out[32])
{
    unsigned int mdlen = 0;

    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &mdlen) ||
        mdlen != 32)
        return openssl_error("HMAC-SHA256");
    return 0;
}

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode %XX escapes of @in[0..len) and re-encode the SigV4 way into a new
 * string. */
static int
reencode(const char *in, size_t len, char **ret)
{
    struct sbuf dec = { NULL, 0, 0, 0 };
    size_t i;
    int hi, lo;
    char c;
    int r;

    *ret = NULL;
    for (i = 0; i < len; i++) {
        c = in[i];
        if (c == '%') {
            if (i + 2 >= len) {
                sbuf_free(&dec);
                return -EINVAL;
            }
            hi = hexval((unsigned char)in[i + 1]);
            lo = hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) {
                sbuf_free(&dec);
                return -EINVAL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        sbuf_add(&dec, &c, 1);
    }
    sbuf_add(&dec, "", 0);
    if (dec.err) {
        sbuf_free(&dec);
        return dec.err;
    }
    r = aws_sigv4_uri_encode(dec.p, dec.len, false, ret);
    sbuf_free(&dec);
    return r;
}

static int
param_cmp(const void *a, const void *b)
{
    const struct canon_param *pa = a;
    const struct canon_param *pb = b;
    int c;

    c = strcmp(pa->key, pb->key);
    if (c != 0)
        return c;
    return strcmp(pa->value, pb->value);
}

static void
params_free(struct canon_param *params, size_t n)
{
    size_t i;

    if (!params)
        return;
    for (i = 0; i < n; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
}

/* Split @query on '&' and the first '=' of each part, re-encode, sort. */
static int
canonical_query(const char *query, struct sbuf *out)
{
    struct canon_param *params = NULL;
    const char *p, *amp, *eq;
    size_t n = 0, max = 1, i;
    int r = 0;

    if (!query || !*query)
        return 0;
    for (p = query; *p; p++) {
        if (*p == '&')
            max++;
    }
    params = calloc(max, sizeof(*params));
    if (!params)
        return -ENOMEM;
    p = query;
    while (p) {
        amp = strchr(p, '&');
        if (!amp)
            amp = p + strlen(p);
        eq = memchr(p, '=', (size_t)(amp - p));
        if (amp > p) {
            if (!eq)
                eq = amp;
            r = reencode(p, (size_t)(eq - p), &params[n].key);
            if (r == 0)
                r = reencode(eq < amp ? eq + 1 : amp,
                             eq < amp ? (size_t)(amp - eq - 1) : 0,
                             &params[n].value);
            n++;
            if (r < 0)
                goto out;
        }
        p = *amp ? amp + 1 : NULL;
    }
    qsort(params, n, sizeof(*params), param_cmp);
    for (i = 0; i < n; i++) {
        if (i > 0)
            sbuf_add(out, "&", 1);
        sbuf_str(out, params[i].key);
        sbuf_add(out, "=", 1);
        sbuf_str(out, params[i].value);
    }
out:
    params_free(params, n);
    return r;
}

static bool
is_token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* Lowercase and check the name; trim and collapse runs of blanks in the
 * value (the SigV4 "Trimall" rule). */
static int
canon_header_make(const struct aws_sigv4_header *h, struct canon_header *ret)
{
    struct sbuf v = { NULL, 0, 0, 0 };
    const char *s;
    size_t i, nlen;
    bool pending_space = false;
    int r;

    if (!h->name || !h->value)
        return -EINVAL;
    nlen = strlen(h->name);
    if (nlen == 0)
        return -EINVAL;
    for (i = 0; i < nlen; i++) {
        if (!is_token_char((unsigned char)h->name[i]))
            return -EINVAL;
    }
    for (s = h->value; *s; s++) {
        if ((unsigned char)*s < 0x20 && *s != '\t')
            return -EINVAL;
        if (*s == 0x7f)
            return -EINVAL;
    }
    ret->name = strdup(h->name);
    if (!ret->name)
        return -ENOMEM;
    for (i = 0; i < nlen; i++)
        ret->name[i] = (char)tolower((unsigned char)ret->name[i]);
    for (s = h->value; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            pending_space = v.len > 0;
            continue;
        }
        if (pending_space)
            sbuf_add(&v, " ", 1);
        pending_space = false;
        sbuf_add(&v, s, 1);
    }
    r = sbuf_take(&v, &ret->value);
    if (r < 0) {
        free(ret->name);
        ret->name = NULL;
    }
    return r;
}

static int
header_cmp(const void *a, const void *b)
{
    const struct canon_header *ha = a;
    const struct canon_header *hb = b;

    return strcmp(ha->name, hb->name);
}

static void
headers_free(struct canon_header *hs, size_t n)
{
    size_t i;

    if (!hs)
        return;
    for (i = 0; i < n; i++) {
        free(hs[i].name);
        if (hs[i].value) {
            explicit_bzero(hs[i].value, strlen(hs[i].value));
            free(hs[i].value);
        }
    }
    free(hs);
}

/* Append "name:v1,v2\n" lines (sorted, same names merged) to @creq and the
 * name list to @signed_headers. qsort is not stable, so the position is the
 * tie-break that keeps same-name values in the given order. */
static int
canonical_headers(const struct aws_sigv4_request *req, struct sbuf *creq,
                  struct sbuf *signed_headers)
{
    struct canon_header *hs = NULL;
    size_t n = 0, i;
    int r = 0;

    if (req->n_headers > AWS_SIGV4_MAX_HEADERS ||
        (req->n_headers > 0 && !req->headers))
        return -EINVAL;
    hs = calloc(req->n_headers + 1, sizeof(*hs));
    if (!hs)
        return -ENOMEM;
    for (n = 0; n < req->n_headers; n++) {
        r = canon_header_make(&req->headers[n], &hs[n]);
        if (r < 0)
            goto out;
    }
    /* Insertion sort: stable, and n is at most AWS_SIGV4_MAX_HEADERS. */
    for (i = 1; i < n; i++) {
        struct canon_header t = hs[i];
        size_t j = i;

        while (j > 0 && header_cmp(&hs[j - 1], &t) > 0) {
            hs[j] = hs[j - 1];
            j--;
        }
        hs[j] = t;
    }
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(hs[i - 1].name, hs[i].name) == 0) {
            sbuf_add(creq, ",", 1);
            sbuf_str(creq, hs[i].value);
            continue;
        }
        if (i > 0) {
            sbuf_add(creq, "\n", 1);
            sbuf_add(signed_headers, ";", 1);
        }
        sbuf_str(creq, hs[i].name);
        sbuf_add(creq, ":", 1);
        sbuf_str(creq, hs[i].value);
        sbuf_str(signed_headers, hs[i].name);
    }
    if (n > 0)
        sbuf_add(creq, "\n", 1);
out:
    headers_free(hs, req->n_headers);
    return r;
}

int
aws_sigv4_canonical_request(const struct aws_sigv4_request *req,
                            char **ret_creq, char **ret_signed_headers)
{
    struct sbuf creq = { NULL, 0, 0, 0 };
    struct sbuf sh = { NULL, 0, 0, 0 };
    char payload_hash[AWS_SIGV4_HEX_SIZE];
    const char *path;
    int r;

    *ret_creq = NULL;
    *ret_signed_headers = NULL;
    if (!req->method || !*req->method || strpbrk(req->method, " \r\n"))
        return -EINVAL;
    path = req->path && *req->path ? req->path : "/";
    sbuf_str(&creq, req->method);
    sbuf_add(&creq, "\n", 1);
    sbuf_encode(&creq, path, strlen(path), true);
    sbuf_add(&creq, "\n", 1);
    r = canonical_query(req->query, &creq);
    if (r < 0)
        goto out;
    sbuf_add(&creq, "\n", 1);
    r = canonical_headers(req, &creq, &sh);
    if (r < 0)
        goto out;
    sbuf_add(&creq, "\n", 1);
    sbuf_add(&creq, sh.p ? sh.p : "", sh.len);
    sbuf_add(&creq, "\n", 1);
    iam_sha256_hex(req->body, req->body ? req->body_len : 0, payload_hash);
    sbuf_str(&creq, payload_hash);
    r = sbuf_take(&creq, ret_creq);
    if (r < 0)
        goto out;
    r = sbuf_take(&sh, ret_signed_headers);
    if (r < 0) {
        free(*ret_creq);
        *ret_creq = NULL;
    }
out:
    sbuf_free(&creq);
    sbuf_free(&sh);
    return r;
}

static bool
amz_date_valid(const char *d)
{
    size_t i;

    if (!d || strlen(d) != AWS_SIGV4_AMZ_DATE_SIZE - 1)
        return false;
    for (i = 0; i < AWS_SIGV4_AMZ_DATE_SIZE - 1; i++) {
        if (i == 8) {
            if (d[i] != 'T')
                return false;
        } else if (i == 15) {
            if (d[i] != 'Z')
                return false;
        } else if (d[i] < '0' || d[i] > '9') {
            return false;
        }
    }
    return true;
}

int
aws_sigv4_amz_date(time_t now, char ret_amz_date[AWS_SIGV4_AMZ_DATE_SIZE])
{
    struct tm tm;
    size_t n;

    ret_amz_date[0] = '\0';
    if (now < 0 || !gmtime_r(&now, &tm) || tm.tm_year + 1900 > 9999)
        return -EINVAL;
    n = strftime(ret_amz_date, AWS_SIGV4_AMZ_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm);
    if (n != AWS_SIGV4_AMZ_DATE_SIZE - 1) {
        ret_amz_date[0] = '\0';
        return -EINVAL;
    }
    return 0;
}

static bool
scope_word_valid(const char *w)
{
    size_t i, n;

    if (!w)
        return false;
    n = strlen(w);
    if (n == 0 || n > SERVICE_MAX)
        return false;
    for (i = 0; i < n; i++) {
        if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') ||
              w[i] == '-'))
            return false;
    }
    return true;
}

int
aws_sigv4_scope(const char *amz_date, const char *region, const char *service,
                char ret_scope[AWS_SIGV4_SCOPE_SIZE])
{
    int n;

    ret_scope[0] = '\0';
    if (!amz_date_valid(amz_date) || !scope_word_valid(region) ||
        !scope_word_valid(service))
        return -EINVAL;
    n = snprintf(ret_scope, AWS_SIGV4_SCOPE_SIZE, "%.8s/%s/%s/aws4_request",
                 amz_date, region, service);
    if (n < 0 || n >= AWS_SIGV4_SCOPE_SIZE) {
        ret_scope[0] = '\0';
        return -EINVAL;
    }
    return 0;
}

int
aws_sigv4_string_to_sign(const char *amz_date, const char *scope,
                         const char *creq, char **ret_sts)
{
    struct sbuf b = { NULL, 0, 0, 0 };
    char hash[AWS_SIGV4_HEX_SIZE];

    *ret_sts = NULL;
    if (!amz_date_valid(amz_date) || !scope || !*scope || !creq)
        return -EINVAL;
    iam_sha256_hex(creq, strlen(creq), hash);
    sbuf_str(&b, AWS_SIGV4_ALGORITHM "\n");
    sbuf_str(&b, amz_date);
    sbuf_add(&b, "\n", 1);
    sbuf_str(&b, scope);
    sbuf_add(&b, "\n", 1);
    sbuf_str(&b, hash);
    return sbuf_take(&b, ret_sts);
}

int
aws_sigv4_signing_key(const char *secret, const char *amz_date,
                      const char *region, const char *service,
                      unsigned char ret_key[32])
{
    char k_secret[4 + SECRET_MAX];
    unsigned char k[32];
    size_t slen;
    int r;

    explicit_bzero(ret_key, 32);
    if (!secret || !amz_date_valid(amz_date) || !region || !service)
        return -EINVAL;
    slen = strlen(secret);
    if (slen == 0 || slen > SECRET_MAX)
        return -EINVAL;
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, slen);
    r = hmac256(k_secret, 4 + slen, amz_date, 8, k);
    if (r == 0)
        r = hmac256(k, 32, region, strlen(region), k);
    if (r == 0)
        r = hmac256(k, 32, service, strlen(service), k);
    if (r == 0)
        r = hmac256(k, 32, "aws4_request", 12, k);
    if (r == 0)
        memcpy(ret_key, k, 32);
    explicit_bzero(k_secret, sizeof(k_secret));
    explicit_bzero(k, sizeof(k));
    return r;
}

int
aws_sigv4_signature(const unsigned char key[32], const char *sts,
                    char ret_hex[AWS_SIGV4_HEX_SIZE])
{
    unsigned char md[32];
    int r;

    ret_hex[0] = '\0';
    r = hmac256(key, 32, sts, strlen(sts), md);
    if (r < 0)
        return r;
    iam_sha256_hex_of(md, ret_hex);
    return 0;
}

int
aws_sigv4_authorization(const char *access_key_id, const char *scope,
                        const char *signed_headers, const char *signature,
                        char *ret, size_t size)
{
    int n;

    if (size > 0)
        ret[0] = '\0';
    if (!access_key_id || !*access_key_id || !scope || !*scope ||
        !signed_headers || !*signed_headers || !signature || !*signature)
        return -EINVAL;
    n = snprintf(ret, size,
                 AWS_SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, "
                                     "Signature=%s",
                 access_key_id, scope, signed_headers, signature);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            ret[0] = '\0';
        return -ERANGE;
    }
    return 0;
}

/* The headers aws_sigv4_sign() adds must not come from the caller too. */
static bool
header_reserved(const char *name)
{
    return !name || strcasecmp(name, "host") == 0 ||
           strcasecmp(name, "x-amz-date") == 0 ||
           strcasecmp(name, "x-amz-security-token") == 0 ||
           strcasecmp(name, "authorization") == 0;
}

/* Build the full header list, then the canonical request and string to
 * sign; split from aws_sigv4_sign() to keep each step short. */
static int
sign_strings(const struct aws_sigv4_request *req, const struct aws_creds *creds,
             const char *amz_date, const char *scope, char **ret_sts,
             char **ret_signed_headers)
{
    struct aws_sigv4_header all[AWS_SIGV4_MAX_HEADERS];
    struct aws_sigv4_request full;
    char *creq = NULL;
    size_t n, i;
    int r;

    *ret_sts = NULL;
    *ret_signed_headers = NULL;
    if (req->n_headers + 3 > AWS_SIGV4_MAX_HEADERS ||
        (req->n_headers > 0 && !req->headers))
        return -EINVAL;
    for (i = 0; i < req->n_headers; i++) {
        if (header_reserved(req->headers[i].name))
            return -EINVAL;
        all[i] = req->headers[i];
    }
    n = req->n_headers;
    all[n].name = "host";
    all[n++].value = req->host;
    all[n].name = "x-amz-date";
    all[n++].value = amz_date;
    if (creds->session_token && *creds->session_token) {
        all[n].name = "x-amz-security-token";
        all[n++].value = creds->session_token;
    }
    full = *req;
    full.headers = all;
    full.n_headers = n;
    r = aws_sigv4_canonical_request(&full, &creq, ret_signed_headers);
    if (r < 0)
        return r;
    r = aws_sigv4_string_to_sign(amz_date, scope, creq, ret_sts);
    explicit_bzero(creq, strlen(creq));
    free(creq);
    if (r < 0) {
        free(*ret_signed_headers);
        *ret_signed_headers = NULL;
    }
    return r;
}

int
aws_sigv4_sign(const struct aws_sigv4_request *req,
               const struct aws_creds *creds, const char *region,
               const char *service, time_t now, char *ret_authorization,
               size_t authorization_size,
               char ret_amz_date[AWS_SIGV4_AMZ_DATE_SIZE])
{
    char amz_date[AWS_SIGV4_AMZ_DATE_SIZE];
    char scope[AWS_SIGV4_SCOPE_SIZE];
    char sig[AWS_SIGV4_HEX_SIZE];
    unsigned char key[32];
    char *sts = NULL;
    char *signed_headers = NULL;
    int r;

    if (authorization_size > 0)
        ret_authorization[0] = '\0';
    ret_amz_date[0] = '\0';
    explicit_bzero(key, sizeof(key));
    if (!req->host || !*req->host || !creds->access_key_id[0] ||
        !creds->secret_access_key[0])
        return -EINVAL;
    r = aws_sigv4_amz_date(now, amz_date);
    if (r < 0)
        goto out;
    r = aws_sigv4_scope(amz_date, region, service, scope);
    if (r < 0)
        goto out;
    r = sign_strings(req, creds, amz_date, scope, &sts, &signed_headers);
    if (r < 0)
        goto out;
    r = aws_sigv4_signing_key(creds->secret_access_key, amz_date, region,
                              service, key);
    if (r < 0)
        goto out;
    r = aws_sigv4_signature(key, sts, sig);
    if (r < 0)
        goto out;
    r = aws_sigv4_authorization(creds->access_key_id, scope, signed_headers,
                                sig, ret_authorization, authorization_size);
    if (r < 0)
        goto out;
    memcpy(ret_amz_date, amz_date, AWS_SIGV4_AMZ_DATE_SIZE);
out:
    explicit_bzero(key, sizeof(key));
    free(sts);
    free(signed_headers);
    return r;
}

int
aws_sigv4_payload_hash(const void *body, size_t len,
                       char ret_hex[AWS_SIGV4_HEX_SIZE])
{
    iam_sha256_hex(body, body ? len : 0, ret_hex);
    return 0;
}
