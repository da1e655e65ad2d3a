#include "aws_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws_endpoint.h"
#include "iam_log.h"

#define USER_AGENT "nss-iam/1"
/* Longest URL prefix shown in logs. */
#define LOG_URL_MAX 200
/* The AWS CLI's and SDKs' variable for a private CA bundle. */
#define CA_BUNDLE_ENV "AWS_CA_BUNDLE"

/* State of one transfer, seen by the write and header callbacks. */
struct transfer {
    char *body;
    size_t len;
    size_t cap;
    size_t max;
    bool too_large;
    bool oom;
    bool checked;   /* check said 1: no more calls */
    bool cancelled; /* check said < 0 */
    int (*check)(const char *body, size_t len,
                 const struct aws_http_response *resp, void *arg);
    void *check_arg;
    struct aws_http_response *resp;
    void *curl; /* for the Content-Length of the answer */
};

/* The CA bundle named by AWS_CA_BUNDLE, or NULL for the system's. Read
 * at each request rather than kept: no global state, and getenv() is
 * thread-safe in a process that never calls setenv(). */
static const char *
ca_bundle(void)
{
    const char *v = secure_getenv(CA_BUNDLE_ENV);

    return v && *v ? v : NULL;
}

/* A CA bundle that cannot be read would fail every https request with a
 * vague "problem with the CA cert": say so once, at start, by name. */
static int
check_ca_bundle(void)
{
    const char *path = ca_bundle();
    struct stat st;
    int fd, r = 0;

    if (!path)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = -errno;
    } else {
        if (fstat(fd, &st) < 0)
            r = -errno;
        else if (!S_ISREG(st.st_mode))
            r = -EINVAL;
        close(fd);
    }
    if (r < 0)
        iam_log(LOG_ERR, "aws_http: " CA_BUNDLE_ENV "=%s: %s", path,
                r == -EINVAL ? "not a regular file" : strerrordesc_np(-r));
    return r < 0 ? -EINVAL : 0;
}

int
aws_http_global_init(void)
{
    CURLcode rc;

    if (check_ca_bundle() < 0)
        return -EINVAL;
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        iam_log(LOG_ERR, "aws_http: curl_global_init failed: %s",
                curl_easy_strerror(rc));
        return -EIO;
    }
    return 0;
}

void
aws_http_global_cleanup(void)
{
    curl_global_cleanup();
}

int
aws_http_init(struct aws_http *ret)
{
    ret->curl = curl_easy_init();
    if (!ret->curl)
        return -ENOMEM;
    return 0;
}

void
aws_http_destroy(struct aws_http *h)
{
    if (!h || !h->curl)
        return;
    curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

void
aws_http_response_free(struct aws_http_response *r)
{
    if (!r)
        return;
    if (r->body) {
        explicit_bzero(r->body, r->body_len + 1);
        free(r->body);
    }
    memset(r, 0, sizeof(*r));
}

void
aws_http_url_free(struct aws_http_url *u)
{
    if (!u)
        return;
    free(u->query);
    u->query = NULL;
}

static int
urlc_error(CURLUcode uc)
{
    return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

/* Fill host (with a non-default port), path and query of @ret from @u. */
static int
url_parts(CURLU *u, struct aws_http_url *ret)
{
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    const char *defport = ret->https ? "443" : "80";
    CURLUcode uc;
    int n, r = 0;

    uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (uc != CURLUE_OK || !*host) {
        r = uc == CURLUE_OK ? -EINVAL : urlc_error(uc);
        goto out;
    }
    uc = curl_url_get(u, CURLUPART_PORT, &port, 0);
    if (uc != CURLUE_OK && uc != CURLUE_NO_PORT) {
        r = urlc_error(uc);
        goto out;
    }
    if (port && strcmp(port, defport) != 0)
        n = snprintf(ret->host, sizeof(ret->host), "%s:%s", host, port);
    else
        n = snprintf(ret->host, sizeof(ret->host), "%s", host);
    if (n < 0 || (size_t)n >= sizeof(ret->host)) {
        r = -EINVAL;
        goto out;
    }
    ret->plain_ok = aws_endpoint_plain_ok(host);
    uc = curl_url_get(u, CURLUPART_PATH, &path, 0);
    if (uc != CURLUE_OK) {
        r = urlc_error(uc);
        goto out;
    }
    n = snprintf(ret->path, sizeof(ret->path), "%s", *path ? path : "/");
    if (n < 0 || (size_t)n >= sizeof(ret->path)) {
        r = -EINVAL;
        goto out;
    }
    uc = curl_url_get(u, CURLUPART_QUERY, &query, 0);
    if (uc != CURLUE_OK && uc != CURLUE_NO_QUERY) {
        r = urlc_error(uc);
        goto out;
    }
    ret->query = strdup(query ? query : "");
    if (!ret->query)
        r = -ENOMEM;
out:
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    return r;
}

/* Parse @url into @u and check scheme, credentials and the plain-http
 * rule; @ret gets the parts. */
static int
url_parse(CURLU *u, const char *url, struct aws_http_url *ret)
{
    char *scheme = NULL, *user = NULL;
    CURLUcode uc;
    int r;

    memset(ret, 0, sizeof(*ret));
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK)
        return urlc_error(uc);
    uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (uc != CURLUE_OK)
        return urlc_error(uc);
    r = 0;
    if (strcmp(scheme, "https") == 0)
        ret->https = true;
    else if (strcmp(scheme, "http") != 0)
        r = -EPROTONOSUPPORT;
    curl_free(scheme);
    if (r < 0)
        return r;
    /* Credentials in a URL would end up in logs and proxies. */
    uc = curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_free(user);
    if (uc != CURLUE_NO_USER)
        return uc == CURLUE_OK ? -EINVAL : urlc_error(uc);
    r = url_parts(u, ret);
    if (r == 0 && !ret->https && !ret->plain_ok)
        r = -EPROTONOSUPPORT;
    if (r < 0)
        aws_http_url_free(ret);
    return r;
}

int
aws_http_url_split(const char *url, struct aws_http_url *ret)
{
    CURLU *u;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!url)
        return -EINVAL;
    u = curl_url();
    if (!u)
        return -ENOMEM;
    r = url_parse(u, url, ret);
    curl_url_cleanup(u);
    return r;
}

/* Grow by copy-and-wipe rather than realloc(): bodies may hold
 * credentials, and realloc() would leave copies in freed memory. */
static bool
transfer_reserve(struct transfer *t, size_t need)
{
    size_t ncap;
    char *np;

    if (need <= t->cap)
        return true;
    ncap = t->cap ? t->cap : 4096;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    np = malloc(ncap);
    if (!np)
        return false;
    if (t->body) {
        memcpy(np, t->body, t->len);
        explicit_bzero(t->body, t->cap);
        free(t->body);
    }
    t->body = np;
    t->cap = ncap;
    return true;
}

/*
 * Room for the whole body at once when the answer says how long it is
 * (and that is within the cap): a large body then costs its size, not
 * the doubling steps and the copy between them.
 */
static void
reserve_announced(struct transfer *t)
{
    curl_off_t cl = -1;

    if (t->cap || !t->curl ||
        curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) !=
            CURLE_OK ||
        cl <= 0 || (uint64_t)cl >= t->max)
        return;
    /* Exactly that (transfer_reserve() would round it up to a power of
     * two); a body longer than announced grows as usual. */
    t->body = malloc((size_t)cl + 1);
    if (t->body)
        t->cap = (size_t)cl + 1;
}

/*
 * The caller's look at a 200 body so far; < 0 stops the transfer (the
 * write callback then returns short, and curl drops the connection).
 */
static int
check_body(struct transfer *t)
{
    long status = 0;
    int r;

    if (!t->check || t->checked)
        return 0;
    if (curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status) !=
            CURLE_OK ||
        status != 200)
        return 0;
    t->resp->status = status;
    r = t->check(t->body, t->len, t->resp, t->check_arg);
    if (r > 0)
        t->checked = true;
    if (r < 0)
        t->cancelled = true;
    return r;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct transfer *t = userp;
    size_t n = size * nmemb;

    /* The cap is checked before any allocation; +1 keeps room for the
     * NUL the parsers rely on. */
    if (n > t->max || t->len > t->max - n) {
        t->too_large = true;
        return 0;
    }
    reserve_announced(t);
    if (!transfer_reserve(t, t->len + n + 1)) {
        t->oom = true;
        return 0;
    }
    memcpy(t->body + t->len, data, n);
    t->len += n;
    t->body[t->len] = '\0';
    return check_body(t) < 0 ? 0 : n;
}

/* Copy the value of header line @line into @out if its name is @name. */
static bool
header_value(const char *line, size_t len, const char *name, char *out,
             size_t out_size)
{
    size_t nlen = strlen(name);
    size_t i;

    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return false;
    i = nlen + 1;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (len > i && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
                       line[len - 1] == ' '))
        len--;
    if (len - i >= out_size)
        len = i + out_size - 1;
    memcpy(out, line + i, len - i);
    out[len - i] = '\0';
    return true;
}

static bool
is_visible(const char *s)
{
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e)
            return false;
    return true;
}

static size_t
header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct transfer *t = userp;
    size_t n = size * nmemb;
    char date[64];
    char *rid = t->resp->request_id;
    size_t rid_size = sizeof(t->resp->request_id);
    time_t when;

    if (header_value(data, n, "date", date, sizeof(date))) {
        when = curl_getdate(date, NULL);
        t->resp->date = when > 0 ? when : 0;
        return n;
    }
    if (header_value(data, n, "etag", t->resp->etag, sizeof(t->resp->etag))) {
        /* Sent back as If-None-Match: visible ASCII only, and a cut one
         * would never match. Better none. */
        if (strlen(t->resp->etag) == sizeof(t->resp->etag) - 1 ||
            !is_visible(t->resp->etag))
            t->resp->etag[0] = '\0';
        return n;
    }
    if (!header_value(data, n, "x-amzn-requestid", rid, rid_size))
        header_value(data, n, "x-amz-request-id", rid, rid_size);
    return n;
}

/* Headers from the caller, plus suppression of curl's own Content-Type
 * and Expect defaults (see aws_http.h). */
static int
build_headers(const char *const *lines, struct curl_slist **ret)
{
    struct curl_slist *list = NULL, *nl;
    bool has_ctype = false;
    size_t i;

    *ret = NULL;
    for (i = 0; lines && lines[i]; i++) {
        if (strpbrk(lines[i], "\r\n") || !strchr(lines[i], ':')) {
            curl_slist_free_all(list);
            return -EINVAL;
        }
        if (strncasecmp(lines[i], "content-type:", 13) == 0)
            has_ctype = true;
        nl = curl_slist_append(list, lines[i]);
        if (!nl)
            goto oom;
        list = nl;
    }
    if (!has_ctype) {
        nl = curl_slist_append(list, "Content-Type:");
        if (!nl)
            goto oom;
        list = nl;
    }
    nl = curl_slist_append(list, "Expect:");
    if (!nl)
        goto oom;
    *ret = nl;
    return 0;
oom:
    curl_slist_free_all(list);
    return -ENOMEM;
}

/* CURLcode stops here. */
static int
curl_to_errno(CURLcode rc, const struct transfer *t)
{
    switch (rc) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return -ECONNRESET;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -EHOSTUNREACH;
    case CURLE_FILESIZE_EXCEEDED:
        return -EFBIG;
    case CURLE_WRITE_ERROR:
        if (t->cancelled)
            return -ECANCELED;
        if (t->too_large)
            return -EFBIG;
        return t->oom ? -ENOMEM : -EIO;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return -EPROTONOSUPPORT;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_URL_MALFORMAT:
        return -EINVAL;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return -EKEYREJECTED;
    default:
        return -EIO;
    }
}

static bool
method_has_body(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* Every option, set afresh on a reset handle (live connections survive
 * curl_easy_reset()). Options that cannot fail on a working libcurl are
 * still checked: an old libcurl without CURLOPT_PROTOCOLS_STR must not
 * silently run without the protocol restriction. */
static int
setup(CURL *c, const struct aws_http_request *req, const char *method, CURLU *u,
      bool plain_ok, struct curl_slist *hdrs, struct transfer *t, char *errbuf)
{
    long timeout =
        req->timeout_ms > 0 ? req->timeout_ms : AWS_HTTP_DEFAULT_TIMEOUT_MS;
    long ctimeout = req->connect_timeout_ms > 0
                        ? req->connect_timeout_ms
                        : AWS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    const char *ca = ca_bundle();
    CURLcode rc = CURLE_OK;

    curl_easy_reset(c);
    rc |= curl_easy_setopt(c, CURLOPT_CURLU, u);
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                           plain_ok ? "http,https" : "https");
    rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    /* A private bundle replaces the system's CAs, as for the AWS CLI. */
    if (ca) {
        rc |= curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        rc |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    }
    rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
    rc |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max);
    rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
    rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    /* Plain http goes only to loopback or IMDS: never via a proxy. */
    if (plain_ok)
        rc |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (strcmp(method, "HEAD") == 0)
        rc |= curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (method_has_body(method)) {
        rc |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                               (curl_off_t)req->body_len);
        rc |=
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        if (strcmp(method, "POST") != 0)
            rc |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    if (rc != CURLE_OK) {
        iam_log(LOG_ERR, "aws_http: libcurl refused an option");
        return -EIO;
    }
    return 0;
}

/* A refused certificate is an error in its own words, with the trust
 * store it was checked against: an operator must see it at once. The
 * detail may quote the certificate's names; iam_log() escapes them. */
static void
log_failure(const char *url, CURLcode rc, const char *errbuf, int r)
{
    size_t n = strcspn(url, "?#");
    const char *ca = ca_bundle();
    char e[256];

    if (n > LOG_URL_MAX)
        n = LOG_URL_MAX;
    if (r == -EKEYREJECTED) {
        iam_log(LOG_ERR,
                "aws_http: %.*s: TLS certificate verification "
                "failed: %s (trusted CAs: %s%s)",
                (int)n, url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                ca ? CA_BUNDLE_ENV "=" : "the system's", ca ? ca : "");
        return;
    }
    iam_log(r == -ETIMEDOUT || r == -ECONNREFUSED ? LOG_DEBUG : LOG_WARNING,
            "aws_http: %.*s: %s: %s (%s)", (int)n, url, curl_easy_strerror(rc),
            errbuf[0] ? errbuf : "no detail", strerror_r(-r, e, sizeof(e)));
}

/* Run the prepared transfer and move the body into @ret. */
static int
perform(CURL *c, const char *url, struct transfer *t, char *errbuf,
        struct aws_http_response *ret)
{
    CURLcode rc;
    long status = 0;
    int r;

    rc = curl_easy_perform(c);
    r = curl_to_errno(rc, t);
    /* A body the caller's check refused is the caller's to report. */
    if (r < 0 && r != -ECANCELED)
        log_failure(url, rc, errbuf, r);
    if (r < 0)
        return r;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (!transfer_reserve(t, t->len + 1))
        return -ENOMEM;
    t->body[t->len] = '\0';
    ret->status = status;
    ret->body = t->body;
    ret->body_len = t->len;
    t->body = NULL;
    t->len = 0;
    t->cap = 0;
    return 0;
}

int
aws_http_request(struct aws_http *h, const struct aws_http_request *req,
                 struct aws_http_response *ret)
{
    struct transfer t = { .curl = h ? h->curl : NULL };
    struct curl_slist *hdrs = NULL;
    struct aws_http_url parts = { .query = NULL };
    char errbuf[CURL_ERROR_SIZE];
    const char *method;
    CURLU *u = NULL;
    int r;

    memset(ret, 0, sizeof(*ret));
    errbuf[0] = '\0';
    if (!h || !h->curl || !req || !req->url)
        return -EINVAL;
    method = req->method ? req->method : "GET";
    t.max = req->max_body > 0 ? req->max_body : AWS_HTTP_DEFAULT_MAX_BODY;
    t.check = req->check;
    t.check_arg = req->check_arg;
    t.resp = ret;
    u = curl_url();
    if (!u) {
        r = -ENOMEM;
        goto out;
    }
    r = url_parse(u, req->url, &parts);
    if (r < 0)
        goto out;
    r = build_headers(req->headers, &hdrs);
    if (r < 0)
        goto out;
    r = setup(h->curl, req, method, u, parts.plain_ok, hdrs, &t, errbuf);
    if (r < 0)
        goto out;
    r = perform(h->curl, req->url, &t, errbuf, ret);
out:
    if (r < 0)
        memset(ret, 0, sizeof(*ret));
    /* The handle must not keep pointers to what is freed below. */
    if (h && h->curl)
        curl_easy_reset(h->curl);
    if (t.body) {
        explicit_bzero(t.body, t.cap);
        free(t.body);
    }
    curl_slist_free_all(hdrs);
    curl_url_cleanup(u);
    aws_http_url_free(&parts);
    return r;
}
