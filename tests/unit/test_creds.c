/*
 * Tests for lib/aws_creds.c, lib/aws_imds.c, lib/aws_provider.c and
 * lib/aws_http.c.
 *
 * Three kinds of peer:
 *   - none: parsers, validation, URL rules;
 *   - a small canned HTTP server forked on 127.0.0.1 for the faults a real
 *     server will not produce on demand (oversized body, silence, hang-up,
 *     IMDS token expiry, STS error shapes);
 *   - moto_server (when installed): IMDSv2 and STS as moto implements them,
 *     and a second instance that verifies SigV4 signatures after three
 *     unauthenticated set-up calls. Without moto_server those tests skip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "aws_creds.h"
#include "aws_http.h"
#include "aws_imds.h"
#include "aws_provider.h"
#include "aws_sigv4.h"

#define T_ARN "arn:aws:iam::123456789012:role/test"
#define MOTO_WAIT_MS 30000

extern char **environ;

/* Peers, set up once in main(). */
static int canned_port;
static pid_t canned_pid = -1;
static int moto_port;
static pid_t moto_pid = -1;
static int moto_auth_port;
static pid_t moto_auth_pid = -1;

/* ---- canned server (child process) ---- */

static volatile sig_atomic_t canned_stop;

static void
canned_on_term(int sig)
{
    (void)sig;
    canned_stop = 1;
}

static void
send_all(int fd, const char *s, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void
respond(int fd, const char *status, const char *extra, const char *body,
        size_t body_len)
{
    char head[512];
    int n;

    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s"
                 "Connection: close\r\n\r\n",
                 status, body_len, extra);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, body_len);
}

/* Read one request (headers and a small body) into @buf. */
static size_t
read_request(int fd, char *buf, size_t size)
{
    struct pollfd p = { fd, POLLIN, 0 };
    size_t len = 0;
    ssize_t r;

    while (len + 1 < size && poll(&p, 1, 200) > 0) {
        r = read(fd, buf + len, size - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") && !strstr(buf, "POST") &&
            !strstr(buf, "PUT"))
            break;
    }
    buf[len] = '\0';
    return len;
}

static void
canned_imds(int fd, const char *req, int *tokens)
{
    char tok[32];

    if (strncmp(req, "PUT /latest/api/token ", 22) == 0) {
        if (!strstr(req, "\r\nX-aws-ec2-metadata-token-ttl-seconds: "
                         "21600\r\n")) {
            respond(fd, "400 Bad Request", "", "", 0);
            return;
        }
        (*tokens)++;
        snprintf(tok, sizeof(tok), "tok%d", *tokens);
        respond(fd, "200 OK", "", tok, strlen(tok));
        return;
    }
    /* The first token is treated as expired, as after an IMDS restart. */
    if (strstr(req, "\r\nX-aws-ec2-metadata-token: tok1\r\n"))
        respond(fd, "401 Unauthorized", "", "", 0);
    else if (!strstr(req, "\r\nX-aws-ec2-metadata-token: tok"))
        respond(fd, "401 Unauthorized", "", "", 0);
    else if (strncmp(req, "GET /latest/meta-data/x ", 24) == 0)
        respond(fd, "200 OK", "", "val", 3);
    else
        respond(fd, "404 Not Found", "", "", 0);
}

static void
canned_one(int fd, int *tokens)
{
    static const char xml[] =
        "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>"
        "bad token</Message></Error></ErrorResponse>";
    static const char thr[] =
        "{\"Error\":{\"Code\":\"Throttling\",\"Message\":\"slow down\"}}";
    char req[8192], big[2048];
    size_t len;

    len = read_request(fd, req, sizeof(req));
    memset(big, 'b', sizeof(big));
    if (strncmp(req, "GET /ok ", 8) == 0)
        respond(fd, "200 OK",
                "Date: Wed, 25 Nov 2026 14:07:30 GMT\r\n"
                "x-amzn-RequestId: req-123\r\n",
                "hello", 5);
    else if (strncmp(req, "GET /big ", 9) == 0)
        respond(fd, "200 OK", "", big, sizeof(big));
    else if (strncmp(req, "GET /stream ", 12) == 0) {
        /* No Content-Length: only the write callback can stop it. */
        send_all(fd, "HTTP/1.0 200 OK\r\n\r\n", 19);
        send_all(fd, big, sizeof(big));
    } else if (strncmp(req, "GET /slow ", 10) == 0)
        usleep(800 * 1000);
    else if (strncmp(req, "GET /close ", 11) == 0)
        ;
    else if (strncmp(req, "GET /missing ", 13) == 0)
        respond(fd, "404 Not Found", "", "nope", 4);
    else if (strstr(req, " /echo "))
        respond(fd, "200 OK", "", req, len);
    else if (strncmp(req, "POST /sts-xml ", 14) == 0)
        respond(fd, "403 Forbidden", "", xml, sizeof(xml) - 1);
    else if (strncmp(req, "POST /sts-throttle ", 19) == 0)
        respond(fd, "400 Bad Request", "", thr, sizeof(thr) - 1);
    else if (strncmp(req, "POST /sts-html ", 15) == 0)
        respond(fd, "200 OK", "", "<html></html>", 13);
    else
        canned_imds(fd, req, tokens);
}

static void
canned_serve(int lfd)
{
    struct sigaction sa;
    int fd, tokens = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = canned_on_term;
    sigaction(SIGTERM, &sa, NULL);
    while (!canned_stop) {
        fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        canned_one(fd, &tokens);
        close(fd);
    }
    close(lfd);
    _exit(0);
}

/* A listening socket on 127.0.0.1 with a kernel-chosen port. */
static int
listen_any(int *ret_port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        close(fd);
        return -1;
    }
    *ret_port = ntohs(a.sin_port);
    return fd;
}

static void
canned_start(void)
{
    int lfd = listen_any(&canned_port);

    if (lfd < 0)
        return;
    canned_pid = fork();
    if (canned_pid == 0)
        canned_serve(lfd);
    close(lfd);
}

/* ---- moto_server ---- */

static pid_t
moto_spawn(int port, const char *auth_count)
{
    char portstr[16], authenv[64];
    char *argv[] = { "moto_server", "-H", "127.0.0.1", "-p", portstr, NULL };
    char **env;
    posix_spawn_file_actions_t fa;
    size_t n = 0, i;
    pid_t pid = -1;

    snprintf(portstr, sizeof(portstr), "%d", port);
    /* Unset, moto never checks signatures. */
    snprintf(authenv, sizeof(authenv), "INITIAL_NO_AUTH_ACTION_COUNT=%s",
             auth_count ? auth_count : "");
    while (environ[n])
        n++;
    env = calloc(n + 2, sizeof(*env));
    if (!env)
        return -1;
    for (i = 0; i < n; i++)
        env[i] = environ[i];
    if (auth_count)
        env[n] = authenv;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, "moto_server", &fa, NULL, argv, env) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    return pid;
}

static int
free_port(void)
{
    int port = 0;
    int fd = listen_any(&port);

    if (fd >= 0)
        close(fd);
    return port;
}

/* Ready when IMDS hands out a token. */
static bool
moto_ready(struct aws_http *h, int port)
{
    struct aws_imds imds;
    char url[64], *body = NULL;
    size_t len;
    int r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    aws_imds_init(url, 500, &imds);
    r = aws_imds_get(&imds, h, "/latest/meta-data/instance-id", time(NULL),
                     &body, &len);
    free(body);
    aws_imds_reset(&imds);
    return r == 0;
}

static void
moto_start(void)
{
    struct aws_http h;
    int waited = 0;
    bool a = false, b = false;

    moto_port = free_port();
    moto_auth_port = free_port();
    moto_pid = moto_spawn(moto_port, NULL);
    moto_auth_pid = moto_spawn(moto_auth_port, "3");
    if (moto_pid < 0 || moto_auth_pid < 0 || aws_http_init(&h) < 0)
        return;
    while (waited < MOTO_WAIT_MS && !(a && b)) {
        usleep(200 * 1000);
        waited += 200;
        a = a || moto_ready(&h, moto_port);
        b = b || moto_ready(&h, moto_auth_port);
    }
    aws_http_destroy(&h);
    if (!(a && b))
        fprintf(stderr, "moto_server did not start; its tests skip\n");
    if (!a)
        moto_port = 0;
    if (!b)
        moto_auth_port = 0;
}

static void
stop_pid(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}

/* ---- helpers ---- */

static void
url_of(char *out, size_t size, int port, const char *path)
{
    snprintf(out, size, "http://127.0.0.1:%d%s", port, path);
}

static int
get(const char *url, size_t max_body, long timeout_ms,
    struct aws_http_response *resp)
{
    struct aws_http h;
    struct aws_http_request req = { 0 };
    int r;

    assert_int_equal(aws_http_init(&h), 0);
    req.url = url;
    req.max_body = max_body;
    req.timeout_ms = timeout_ms;
    r = aws_http_request(&h, &req, resp);
    aws_http_destroy(&h);
    return r;
}

static void
clear_env(void)
{
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
}

/* ---- pure tests ---- */

static void
test_creds_set(void **state)
{
    struct aws_creds c, d;
    char long_id[AWS_CREDS_KEY_ID_SIZE + 1];

    (void)state;
    aws_creds_init(&c);
    aws_creds_init(&d);
    memset(long_id, 'A', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_int_equal(aws_creds_set("AKID", "sec", "tok", 5, AWS_CREDS_ENV,
                                   &c),
                     0);
    assert_string_equal(c.access_key_id, "AKID");
    assert_string_equal(c.secret_access_key, "sec");
    assert_string_equal(c.session_token, "tok");
    assert_int_equal(c.expiration, 5);
    assert_int_equal(aws_creds_copy(&c, &d), 0);
    assert_string_equal(d.session_token, "tok");
    assert_ptr_not_equal(d.session_token, c.session_token);
    aws_creds_reset(&d);
    assert_int_equal(aws_creds_set("AKID", "sec", "", 0, AWS_CREDS_ENV, &d),
                     0);
    assert_null(d.session_token);
    /* Each bad value: -EINVAL and nothing left behind. */
    assert_int_equal(aws_creds_set("", "sec", NULL, 0, AWS_CREDS_ENV, &c),
                     -EINVAL);
    assert_string_equal(c.access_key_id, "");
    assert_null(c.session_token);
    assert_int_equal(aws_creds_set("AK ID", "s", NULL, 0, AWS_CREDS_ENV, &c),
                     -EINVAL);
    assert_int_equal(aws_creds_set("AKID", "", NULL, 0, AWS_CREDS_ENV, &c),
                     -EINVAL);
    assert_int_equal(aws_creds_set(long_id, "s", NULL, 0, AWS_CREDS_ENV, &c),
                     -EINVAL);
    long_id[AWS_CREDS_KEY_ID_SIZE - 1] = '\0';
    assert_int_equal(aws_creds_set(long_id, "s", NULL, 0, AWS_CREDS_ENV, &c),
                     0);
    assert_int_equal(aws_creds_set("AKID", "s", "a\nb", 0, AWS_CREDS_ENV,
                                   &c),
                     -EINVAL);
    assert_int_equal(aws_creds_set("AKID", "s\x80", NULL, 0, AWS_CREDS_ENV,
                                   &c),
                     -EINVAL);
    assert_int_equal(aws_creds_set(NULL, "s", NULL, 0, AWS_CREDS_ENV, &c),
                     -EINVAL);
    assert_string_equal(c.secret_access_key, "");
    aws_creds_reset(&c);
    aws_creds_reset(&d);
    aws_creds_reset(NULL);
}

static void
test_need_refresh(void **state)
{
    struct aws_creds c;
    time_t now = 1000000;

    (void)state;
    aws_creds_init(&c);
    assert_true(aws_creds_need_refresh(&c, now));
    assert_true(aws_creds_need_refresh(NULL, now));
    assert_int_equal(aws_creds_set("A", "s", NULL, 0, AWS_CREDS_ENV, &c), 0);
    assert_false(aws_creds_need_refresh(&c, now));
    c.expiration = now + AWS_CREDS_REFRESH_MARGIN + 1;
    assert_false(aws_creds_need_refresh(&c, now));
    c.expiration = now + AWS_CREDS_REFRESH_MARGIN;
    assert_false(aws_creds_need_refresh(&c, now));
    c.expiration = now + AWS_CREDS_REFRESH_MARGIN - 1;
    assert_true(aws_creds_need_refresh(&c, now));
    c.expiration = now - 10;
    assert_true(aws_creds_need_refresh(&c, now));
    aws_creds_reset(&c);
}

#define MOTO_IMDS_DOC                                                       \
    "{\"AccessKeyId\": \"test-key\", \"SecretAccessKey\": "                 \
    "\"test-secret-key\", \"Token\": \"test-session-token\", "              \
    "\"Expiration\": \"2026-11-26T14:07:30Z\"}"

static int
parse_imds(const char *doc, struct aws_creds *c)
{
    return aws_provider_parse_imds(doc, strlen(doc), c);
}

static void
test_parse_imds(void **state)
{
    struct aws_creds c;
    char deep[64];
    static const char *const bad[] = {
        "", "not json", "[1,2]", "{\"AccessKeyId\":\"a\"}",
        "{\"Code\":\"Failure\",\"AccessKeyId\":\"a\",\"SecretAccessKey\":"
        "\"b\",\"Token\":\"c\",\"Expiration\":\"2026-11-26T14:07:30Z\"}",
        "{\"Code\":1,\"AccessKeyId\":\"a\",\"SecretAccessKey\":"
        "\"b\",\"Token\":\"c\",\"Expiration\":\"2026-11-26T14:07:30Z\"}",
        "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\",\"Token\":7,"
        "\"Expiration\":\"2026-11-26T14:07:30Z\"}",
        "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\",\"Token\":\"c\","
        "\"Expiration\":\"tomorrow\"}",
        "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\",\"Token\":\"c\"}",
        MOTO_IMDS_DOC " x",
        "{\"AccessKeyId\": \"a\"",
    };
    size_t i;

    (void)state;
    aws_creds_init(&c);
    assert_int_equal(parse_imds(MOTO_IMDS_DOC, &c), 0);
    assert_string_equal(c.access_key_id, "test-key");
    assert_string_equal(c.secret_access_key, "test-secret-key");
    assert_string_equal(c.session_token, "test-session-token");
    assert_int_equal(c.expiration, 1795702050);
    assert_int_equal(c.origin, AWS_CREDS_IMDS);
    assert_int_equal(parse_imds("{\"Code\":\"Success\",\"AccessKeyId\":\"a\","
                                "\"SecretAccessKey\":\"b\",\"Token\":\"c\","
                                "\"Expiration\":\"2026-11-26T14:07:30Z\"}\n",
                                &c),
                     0);
    assert_string_equal(c.access_key_id, "a");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_imds(bad[i], &c), -EBADMSG);
        assert_string_equal(c.access_key_id, "");
    }
    /* Deeper than the tokener allows. */
    memset(deep, '[', 40);
    memset(deep + 40, ']', 20);
    deep[60] = '\0';
    assert_int_equal(parse_imds(deep, &c), -EBADMSG);
    /* A key id that would break an HTTP header. */
    assert_int_equal(parse_imds("{\"AccessKeyId\":\"a b\",\"SecretAccessKey\":"
                                "\"b\",\"Token\":\"c\",\"Expiration\":"
                                "\"2026-11-26T14:07:30Z\"}",
                                &c),
                     -EINVAL);
    assert_int_equal(aws_provider_parse_imds(NULL, 0, &c), -EBADMSG);
    aws_creds_reset(&c);
}

#define STS_DOC(exp)                                                        \
    "{\"AssumeRoleResponse\": {\"AssumeRoleResult\": {\"Credentials\": "    \
    "{\"AccessKeyId\": \"ASIAX\", \"SecretAccessKey\": \"sec\", "           \
    "\"SessionToken\": \"FQo=\", \"Expiration\": " exp "}, "                \
    "\"AssumedRoleUser\": {}}, \"ResponseMetadata\": {\"RequestId\": "      \
    "\"r\"}}}"

static void
test_parse_sts(void **state)
{
    static const char *const bad[] = {
        "{}", "{\"AssumeRoleResponse\":{}}",
        "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":[]}}}",
        STS_DOC("null"), STS_DOC("\"\""), STS_DOC("-5"), STS_DOC("true"),
        "{\"Error\":{\"Code\":\"AccessDenied\",\"Message\":\"no\"}}",
    };
    struct aws_creds c;
    size_t i;
    const char *doc;

    (void)state;
    aws_creds_init(&c);
    doc = STS_DOC("\"2026-11-25T15:07:37.134979Z\"");
    assert_int_equal(aws_provider_parse_sts(doc, strlen(doc), &c), 0);
    assert_string_equal(c.access_key_id, "ASIAX");
    assert_string_equal(c.secret_access_key, "sec");
    assert_string_equal(c.session_token, "FQo=");
    assert_int_equal(c.expiration, 1795619257);
    assert_int_equal(c.origin, AWS_CREDS_ASSUMED_ROLE);
    doc = STS_DOC("1795619257");
    assert_int_equal(aws_provider_parse_sts(doc, strlen(doc), &c), 0);
    assert_int_equal(c.expiration, 1795619257);
    doc = STS_DOC("1.795619257E9");
    assert_int_equal(aws_provider_parse_sts(doc, strlen(doc), &c), 0);
    assert_int_equal(c.expiration, 1795619257);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(aws_provider_parse_sts(bad[i], strlen(bad[i]), &c),
                         -EBADMSG);
        assert_string_equal(c.access_key_id, "");
    }
    aws_creds_reset(&c);
}

/*
 * STS behind a scripted transport and a fake clock (struct
 * aws_client_io): AssumeRole gets the retries, backoff and deadline of
 * every other AWS call, and its refusals are told apart.
 */
struct sts_answer {
    int r;
    long status;
    const char *body;
};

struct sts_fake {
    const struct sts_answer *script; /* the last answer repeats */
    size_t n;
    size_t calls;
    int64_t now;
};

static int
sts_request(void *ctx, struct aws_http *h, const struct aws_http_request *req,
            struct aws_http_response *ret)
{
    struct sts_fake *f = ctx;
    const struct sts_answer *a = &f->script[f->calls < f->n ? f->calls
                                                            : f->n - 1];

    (void)h;
    memset(ret, 0, sizeof(*ret));
    f->calls++;
    assert_non_null(strstr(req->body, "Action=AssumeRole&"));
    if (a->r < 0) {
        f->now += req->timeout_ms;
        return a->r;
    }
    f->now += 10;
    ret->status = a->status;
    ret->body_len = strlen(a->body);
    ret->body = strdup(a->body);
    assert_non_null(ret->body);
    return 0;
}

static int64_t
sts_now(void *ctx)
{
    return ((struct sts_fake *)ctx)->now;
}

static void
sts_sleep(void *ctx, int64_t ms)
{
    ((struct sts_fake *)ctx)->now += ms;
}

/* AssumeRole of T_ARN with @o's retries on @script; *ret_calls: sent. */
static int
sts_scripted(const struct sts_answer *script, size_t n,
             struct aws_client_opts o, size_t *ret_calls,
             struct aws_creds *ret)
{
    struct sts_fake f = { script, n, 0, 0 };
    struct aws_client_io io = { sts_request, sts_now, sts_sleep, &f };
    struct aws_provider_source src = { 0 };
    struct aws_creds base;
    int r;

    aws_creds_init(&base);
    assert_int_equal(aws_creds_set("AKIDBASE", "basesecret", NULL, 0,
                                   AWS_CREDS_ENV, &base),
                     0);
    o.io = &io;
    src.sts_endpoint = "https://sts.amazonaws.com";
    src.assume_role_arn = T_ARN;
    src.session_name = "nss-iam-test";
    src.sts = &o;
    r = aws_provider_assume_role(&src, NULL, &base, ret);
    aws_creds_reset(&base);
    *ret_calls = f.calls;
    return r;
}

#define STS_ERR(code)                                                     \
    "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"" code "\",\"Message\":" \
    "\"m\"},\"RequestId\":\"r\"}"
#define STS_OK STS_DOC("1.795619257E9")

static void
test_sts_retried(void **state)
{
    static const struct sts_answer script[] = {
        { 0, 400, STS_ERR("Throttling") },
        { 0, 503, STS_ERR("ServiceUnavailable") },
        { -ECONNRESET, 0, NULL },
        { 0, 502, "<html>Bad Gateway</html>" },
        { 0, 200, STS_OK },
    };
    struct aws_client_opts o = { .max_attempts = 6 };
    struct aws_creds c;
    size_t calls;

    (void)state;
    aws_creds_init(&c);
    assert_int_equal(sts_scripted(script, 5, o, &calls, &c), 0);
    assert_int_equal(calls, 5);
    assert_string_equal(c.access_key_id, "ASIAX");
    assert_int_equal(c.expiration, 1795619257);
    assert_int_equal(c.origin, AWS_CREDS_ASSUMED_ROLE);
    aws_creds_reset(&c);
}

static void
test_sts_refused(void **state)
{
    static const struct sts_answer denied[] = {
        { 0, 403, STS_ERR("AccessDenied") },
    };
    /* The code decides even when the status is unusual. */
    static const struct sts_answer denied400[] = {
        { 0, 400, STS_ERR("AccessDenied") },
    };
    /* STS answers in XML when the signature fails, whatever was asked. */
    static const struct sts_answer xml[] = {
        { 0, 403,
          "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>"
          "<Message>x</Message></Error></Errors></ErrorResponse>" },
    };
    static const struct sts_answer invalid[] = {
        { 0, 400, STS_ERR("ValidationError") },
    };
    static const struct sts_answer oops[] = { { 0, 503, "oops" } };
    static const struct sts_answer throttled[] = {
        { 0, 400, STS_ERR("Throttling") },
    };
    static const struct sts_answer redirect[] = { { 0, 302, "" } };
    /* Refusals without an error document: not retried (below 500). */
    static const struct sts_answer bare403[] = { { 0, 403, "" } };
    static const struct sts_answer bare404[] = { { 0, 404, "nope" } };
    static const struct sts_answer html[] = { { 0, 200, "<html></html>" } };
    struct aws_client_opts o = { .max_attempts = 3 };
    struct aws_creds c;
    size_t calls;

    (void)state;
    aws_creds_init(&c);
    assert_int_equal(sts_scripted(denied, 1, o, &calls, &c), -EACCES);
    assert_int_equal(calls, 1);
    assert_int_equal(sts_scripted(denied400, 1, o, &calls, &c), -EACCES);
    assert_int_equal(calls, 1);
    assert_int_equal(sts_scripted(xml, 1, o, &calls, &c), -EACCES);
    assert_int_equal(calls, 1);
    assert_int_equal(sts_scripted(invalid, 1, o, &calls, &c), -EREMOTEIO);
    assert_int_equal(calls, 1);
    /* Worth retrying, but never answered: every attempt is used. */
    assert_int_equal(sts_scripted(oops, 1, o, &calls, &c), -EPROTO);
    assert_int_equal(calls, 3);
    assert_int_equal(sts_scripted(throttled, 1, o, &calls, &c), -EREMOTEIO);
    assert_int_equal(calls, 3);
    assert_int_equal(sts_scripted(redirect, 1, o, &calls, &c), -EPROTO);
    assert_int_equal(calls, 1);
    assert_int_equal(sts_scripted(bare403, 1, o, &calls, &c), -EPROTO);
    assert_int_equal(calls, 1);
    assert_int_equal(sts_scripted(bare404, 1, o, &calls, &c), -EPROTO);
    assert_int_equal(calls, 1);
    assert_int_equal(sts_scripted(html, 1, o, &calls, &c), -EBADMSG);
    assert_int_equal(calls, 1);
    assert_string_equal(c.access_key_id, "");
    assert_null(c.session_token);
    aws_creds_reset(&c);
}

/* An STS that never answers: the deadline ends the attempts. */
static void
test_sts_deadline(void **state)
{
    static const struct sts_answer silent[] = { { -ETIMEDOUT, 0, NULL } };
    struct aws_client_opts o = { .max_attempts = 50, .timeout_ms = 2000,
                                 .deadline_ms = 5000 };
    struct aws_creds c;
    size_t calls;

    (void)state;
    aws_creds_init(&c);
    assert_int_equal(sts_scripted(silent, 1, o, &calls, &c), -ETIMEDOUT);
    assert_true(calls >= 2);
    assert_true(calls < 50);
    assert_string_equal(c.access_key_id, "");
    aws_creds_reset(&c);
}

static void
test_from_env(void **state)
{
    struct aws_creds c;

    (void)state;
    aws_creds_init(&c);
    clear_env();
    assert_int_equal(aws_provider_env(&c), -ENOENT);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    assert_int_equal(aws_provider_env(&c), -ENOENT);
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    assert_int_equal(aws_provider_env(&c), -ENOENT);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    assert_int_equal(aws_provider_env(&c), 0);
    assert_string_equal(c.access_key_id, "AKIDENV");
    assert_string_equal(c.secret_access_key, "envsecret");
    assert_null(c.session_token);
    assert_int_equal(c.expiration, 0);
    assert_int_equal(c.origin, AWS_CREDS_ENV);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    assert_int_equal(aws_provider_env(&c), 0);
    assert_string_equal(c.session_token, "envtoken");
    setenv("AWS_ACCESS_KEY_ID", "AKID ENV", 1);
    assert_int_equal(aws_provider_env(&c), -EINVAL);
    assert_string_equal(c.access_key_id, "");
    clear_env();
    aws_creds_reset(&c);
}

static void
test_imds_init(void **state)
{
    struct aws_imds m;
    char long_ep[AWS_IMDS_ENDPOINT_SIZE + 8];

    (void)state;
    assert_int_equal(aws_imds_init(NULL, 0, &m), 0);
    assert_string_equal(m.endpoint, "http://169.254.169.254");
    assert_int_equal(m.timeout_ms, AWS_IMDS_DEFAULT_TIMEOUT_MS);
    assert_int_equal(aws_imds_init("http://127.0.0.1:1//", 7, &m), 0);
    assert_string_equal(m.endpoint, "http://127.0.0.1:1");
    assert_int_equal(m.timeout_ms, 7);
    assert_int_equal(aws_imds_init("", 0, &m), -EINVAL);
    assert_int_equal(aws_imds_init("/", 0, &m), -EINVAL);
    memset(long_ep, 'h', sizeof(long_ep) - 1);
    long_ep[sizeof(long_ep) - 1] = '\0';
    assert_int_equal(aws_imds_init(long_ep, 0, &m), -EINVAL);
}

static void
expect_url(const char *url, int want, const char *host, const char *path,
           const char *query, bool https)
{
    struct aws_http_url u;

    assert_int_equal(aws_http_url_split(url, &u), want);
    if (want < 0) {
        assert_null(u.query);
        return;
    }
    assert_string_equal(u.host, host);
    assert_string_equal(u.path, path);
    assert_string_equal(u.query, query);
    assert_int_equal(u.https, https);
    aws_http_url_free(&u);
}

static void
test_url_split(void **state)
{
    (void)state;
    expect_url("https://iam.amazonaws.com", 0, "iam.amazonaws.com", "/", "",
               true);
    expect_url("https://iam.amazonaws.com:443/a/b?x=1&y", 0,
               "iam.amazonaws.com", "/a/b", "x=1&y", true);
    expect_url("https://h.example:8443/", 0, "h.example:8443", "/", "",
               true);
    expect_url("http://127.0.0.1:5000/", 0, "127.0.0.1:5000", "/", "",
               false);
    expect_url("http://127.9.9.9/", 0, "127.9.9.9", "/", "", false);
    expect_url("http://localhost:80/", 0, "localhost", "/", "", false);
    expect_url("http://[::1]:5000/", 0, "[::1]:5000", "/", "", false);
    expect_url("http://169.254.169.254/latest", 0, "169.254.169.254",
               "/latest", "", false);
    expect_url("http://[fd00:ec2::254]/", 0, "[fd00:ec2::254]", "/", "",
               false);
    /* Plain http anywhere else, or another scheme: refused. */
    expect_url("http://iam.amazonaws.com/", -EPROTONOSUPPORT, NULL, NULL,
               NULL, false);
    expect_url("http://127.0.0.1.evil.example/", -EPROTONOSUPPORT, NULL,
               NULL, NULL, false);
    expect_url("http://169.254.169.253/", -EPROTONOSUPPORT, NULL, NULL,
               NULL, false);
    expect_url("http://[fd00:ec2::253]/", -EPROTONOSUPPORT, NULL, NULL,
               NULL, false);
    expect_url("ftp://127.0.0.1/", -EPROTONOSUPPORT, NULL, NULL, NULL,
               false);
    expect_url("file:///etc/passwd", -EPROTONOSUPPORT, NULL, NULL, NULL,
               false);
    expect_url("https://user:pw@iam.amazonaws.com/", -EINVAL, NULL, NULL,
               NULL, false);
    expect_url("not a url", -EINVAL, NULL, NULL, NULL, false);
    expect_url(NULL, -EINVAL, NULL, NULL, NULL, false);
}

/* ---- aws_http against the canned server ---- */

static void
test_http_ok(void **state)
{
    struct aws_http_response resp;
    char url[128];

    (void)state;
    url_of(url, sizeof(url), canned_port, "/ok");
    assert_int_equal(get(url, 0, 0, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body_len, 5);
    assert_memory_equal(resp.body, "hello", 6); /* NUL included */
    assert_int_equal(resp.date, 1795615650);
    assert_string_equal(resp.request_id, "req-123");
    aws_http_response_free(&resp);
    assert_null(resp.body);
    url_of(url, sizeof(url), canned_port, "/missing");
    assert_int_equal(get(url, 0, 0, &resp), 0);
    assert_int_equal(resp.status, 404);
    assert_string_equal(resp.body, "nope");
    assert_int_equal(resp.date, 0);
    assert_string_equal(resp.request_id, "");
    aws_http_response_free(&resp);
}

static void
test_http_faults(void **state)
{
    struct aws_http_response resp;
    char url[128];

    (void)state;
    url_of(url, sizeof(url), canned_port, "/big");
    assert_int_equal(get(url, 1000, 0, &resp), -EFBIG);
    assert_null(resp.body);
    assert_int_equal(get(url, 2048, 0, &resp), 0);
    assert_int_equal(resp.body_len, 2048);
    aws_http_response_free(&resp);
    url_of(url, sizeof(url), canned_port, "/stream");
    assert_int_equal(get(url, 1000, 0, &resp), -EFBIG);
    url_of(url, sizeof(url), canned_port, "/slow");
    assert_int_equal(get(url, 0, 200, &resp), -ETIMEDOUT);
    url_of(url, sizeof(url), canned_port, "/close");
    assert_int_equal(get(url, 0, 0, &resp), -ECONNRESET);
    url_of(url, sizeof(url), free_port(), "/");
    assert_int_equal(get(url, 0, 0, &resp), -ECONNREFUSED);
    assert_int_equal(get("http://iam.amazonaws.com/", 0, 0, &resp),
                     -EPROTONOSUPPORT);
    assert_int_equal(get("gopher://127.0.0.1/", 0, 0, &resp),
                     -EPROTONOSUPPORT);
    assert_int_equal(get("https://nonexistent.invalid/", 0, 2000, &resp),
                     -EHOSTUNREACH);
    assert_int_equal(get("::", 0, 0, &resp), -EINVAL);
    assert_int_equal(aws_http_request(NULL, NULL, &resp), -EINVAL);
}

static void
test_http_headers(void **state)
{
    static const char *const bad[] = { "X-A: 1\r\nX-B: 2", NULL };
    static const char *const nocolon[] = { "X-A 1", NULL };
    static const char *const good[] = { "X-A: 1", NULL };
    struct aws_http_request req = { 0 };
    struct aws_http_response resp;
    struct aws_http h;
    char url[128];

    (void)state;
    assert_int_equal(aws_http_init(&h), 0);
    url_of(url, sizeof(url), canned_port, "/echo");
    req.url = url;
    req.method = "PUT";
    req.headers = bad;
    assert_int_equal(aws_http_request(&h, &req, &resp), -EINVAL);
    req.headers = nocolon;
    assert_int_equal(aws_http_request(&h, &req, &resp), -EINVAL);
    req.headers = good;
    req.body = "k=v";
    req.body_len = 3;
    assert_int_equal(aws_http_request(&h, &req, &resp), 0);
    assert_int_equal(resp.status, 200);
    /* Method, our header and body sent; no Content-Type curl made up. */
    assert_memory_equal(resp.body, "PUT /echo HTTP/1.1\r\n", 20);
    assert_non_null(strstr(resp.body, "\r\nX-A: 1\r\n"));
    assert_non_null(strstr(resp.body, "\r\nContent-Length: 3\r\n"));
    assert_null(strcasestr(resp.body, "Content-Type"));
    assert_null(strcasestr(resp.body, "Expect:"));
    assert_non_null(strstr(resp.body, "\r\n\r\nk=v"));
    aws_http_response_free(&resp);
    aws_http_destroy(&h);
    aws_http_destroy(&h);
}

static void
test_imds_canned(void **state)
{
    struct aws_imds m;
    struct aws_http h;
    struct aws_creds c;
    char ep[64], *body = NULL;
    size_t len = 9;

    (void)state;
    aws_creds_init(&c);
    assert_int_equal(aws_http_init(&h), 0);
    url_of(ep, sizeof(ep), canned_port, "");
    assert_int_equal(aws_imds_init(ep, 2000, &m), 0);
    /* tok1 is refused with 401: one fresh token, then success. */
    assert_int_equal(aws_imds_get(&m, &h, "/latest/meta-data/x", 1000, &body,
                                  &len),
                     0);
    assert_string_equal(body, "val");
    assert_int_equal(len, 3);
    assert_string_equal(m.token, "tok2");
    assert_int_equal(m.token_expires, 1000 + AWS_IMDS_TOKEN_TTL);
    free(body);
    /* Cached token reused: still tok2. */
    assert_int_equal(aws_imds_get(&m, &h, "/latest/meta-data/x", 2000, &body,
                                  &len),
                     0);
    assert_string_equal(m.token, "tok2");
    free(body);
    /* Near its end the token is renewed before use. */
    assert_int_equal(aws_imds_get(&m, &h, "/latest/meta-data/x",
                                  1000 + AWS_IMDS_TOKEN_TTL - 30, &body,
                                  &len),
                     0);
    assert_string_equal(m.token, "tok3");
    free(body);
    assert_int_equal(aws_imds_get(&m, &h, "/latest/meta-data/none", 2000,
                                  &body, &len),
                     -ENOENT);
    assert_null(body);
    assert_int_equal(len, 0);
    assert_int_equal(aws_imds_get(&m, &h, "latest", 2000, &body, &len),
                     -EINVAL);
    /* The role list is a 404 here: no instance role. */
    assert_int_equal(aws_provider_imds(&m, &h, 2000, &c), -ENOENT);
    aws_imds_reset(&m);
    assert_string_equal(m.token, "");
    aws_http_destroy(&h);
}

static int
assume_at(const char *endpoint, const char *arn, int duration,
          struct aws_creds *ret)
{
    /* Two attempts, a millisecond apart: retries are test_sts_*'s. */
    static const struct aws_client_opts quick = { .max_attempts = 2,
                                                  .backoff_base_ms = 1,
                                                  .backoff_cap_ms = 1 };
    struct aws_provider_source src = { 0 };
    struct aws_creds base;
    struct aws_http h;
    int r;

    aws_creds_init(&base);
    assert_int_equal(aws_creds_set("AKIDBASE", "basesecret", "basetoken", 0,
                                   AWS_CREDS_ENV, &base),
                     0);
    assert_int_equal(aws_http_init(&h), 0);
    src.sts_endpoint = endpoint;
    src.assume_role_arn = arn;
    src.duration_seconds = duration;
    src.sts = &quick;
    r = aws_provider_assume_role(&src, &h, &base, ret);
    aws_http_destroy(&h);
    aws_creds_reset(&base);
    return r;
}

static void
test_assume_role_errors(void **state)
{
    struct aws_creds c;
    char ep[128];

    (void)state;
    aws_creds_init(&c);
    url_of(ep, sizeof(ep), canned_port, "/sts-xml");
    assert_int_equal(assume_at(ep, T_ARN, 0, &c), -EACCES);
    url_of(ep, sizeof(ep), canned_port, "/sts-throttle");
    assert_int_equal(assume_at(ep, T_ARN, 0, &c), -EREMOTEIO);
    url_of(ep, sizeof(ep), canned_port, "/sts-html");
    assert_int_equal(assume_at(ep, T_ARN, 0, &c), -EBADMSG);
    assert_string_equal(c.access_key_id, "");
    /* Refused before any request. */
    assert_int_equal(assume_at(ep, NULL, 0, &c), -EINVAL);
    assert_int_equal(assume_at(ep, "arn with space", 0, &c), -EINVAL);
    assert_int_equal(assume_at(ep, T_ARN, 899, &c), -EINVAL);
    assert_int_equal(assume_at(ep, T_ARN, 43201, &c), -EINVAL);
    url_of(ep, sizeof(ep), canned_port, "/sts-xml?Action=AssumeRole");
    assert_int_equal(assume_at(ep, T_ARN, 0, &c), -EINVAL);
    assert_int_equal(assume_at("http://sts.amazonaws.com", T_ARN, 0, &c),
                     -EPROTONOSUPPORT);
    assert_int_equal(assume_at("sts.amazonaws.com", T_ARN, 0, &c), -EINVAL);
    aws_creds_reset(&c);
}

/* ---- against moto_server ---- */

static void
need_moto(int port)
{
    if (port == 0)
        skip();
}

static void
test_moto_imds(void **state)
{
    struct aws_imds m;
    struct aws_http h;
    struct aws_creds c;
    char ep[64], *body = NULL;
    size_t len;
    time_t now = time(NULL);

    (void)state;
    need_moto(moto_port);
    aws_creds_init(&c);
    assert_int_equal(aws_http_init(&h), 0);
    url_of(ep, sizeof(ep), moto_port, "");
    assert_int_equal(aws_imds_init(ep, 2000, &m), 0);
    assert_int_equal(aws_imds_get(&m, &h, "/latest/meta-data/instance-id",
                                  now, &body, &len),
                     0);
    assert_string_equal(body, "i-fake");
    assert_string_equal(m.token, "fake-imdsv2-token");
    free(body);
    /* moto answers 500 for paths it does not know. */
    assert_int_equal(aws_imds_get(&m, &h, "/latest/meta-data/nope", now,
                                  &body, &len),
                     -EIO);
    assert_int_equal(aws_provider_imds(&m, &h, now, &c), 0);
    assert_string_equal(c.access_key_id, "test-key");
    assert_string_equal(c.secret_access_key, "test-secret-key");
    assert_string_equal(c.session_token, "test-session-token");
    assert_int_equal(c.origin, AWS_CREDS_IMDS);
    /* moto: now + 24 h, by its own clock (the same host). */
    assert_true(c.expiration > now + 86400 - 120);
    assert_true(c.expiration < now + 86400 + 120);
    assert_false(aws_creds_need_refresh(&c, now));
    aws_creds_reset(&c);
    aws_imds_reset(&m);
    aws_http_destroy(&h);
}

static void
test_moto_resolve(void **state)
{
    struct aws_provider_source src = { 0 };
    struct aws_creds c;
    struct aws_http h;
    char imds[64], sts[64], closed[64];
    time_t now = time(NULL);

    (void)state;
    need_moto(moto_port);
    aws_creds_init(&c);
    assert_int_equal(aws_http_init(&h), 0);
    url_of(imds, sizeof(imds), moto_port, "");
    url_of(sts, sizeof(sts), moto_port, "/");
    url_of(closed, sizeof(closed), free_port(), "");
    clear_env();
    /* 1. No environment: the instance role. */
    src.imds_endpoint = imds;
    assert_int_equal(aws_provider_resolve(&src, &h, now, &c), 0);
    assert_int_equal(c.origin, AWS_CREDS_IMDS);
    assert_string_equal(c.access_key_id, "test-key");
    /* 2. The environment wins; IMDS is not even asked. */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    src.imds_endpoint = closed;
    assert_int_equal(aws_provider_resolve(&src, &h, now, &c), 0);
    assert_int_equal(c.origin, AWS_CREDS_ENV);
    assert_string_equal(c.access_key_id, "AKIDENV");
    /* 3. AssumeRole on top of the environment keys. */
    src.sts_endpoint = sts;
    src.assume_role_arn = T_ARN;
    src.session_name = "nss-iam-test";
    assert_int_equal(aws_provider_resolve(&src, &h, now, &c), 0);
    assert_int_equal(c.origin, AWS_CREDS_ASSUMED_ROLE);
    assert_memory_equal(c.access_key_id, "ASIA", 4);
    assert_true(strlen(c.secret_access_key) >= 40);
    assert_non_null(c.session_token);
    assert_true(c.expiration > now + 3600 - 120);
    assert_true(c.expiration < now + 3600 + 120);
    /* ... and on top of the instance role, default session name. */
    clear_env();
    src.imds_endpoint = imds;
    src.session_name = NULL;
    src.duration_seconds = 900;
    assert_int_equal(aws_provider_resolve(&src, &h, now, &c), 0);
    assert_int_equal(c.origin, AWS_CREDS_ASSUMED_ROLE);
    assert_true(c.expiration > now + 900 - 120);
    assert_true(c.expiration < now + 900 + 120);
    /* A 15-minute session is inside the refresh margin within a minute. */
    assert_true(aws_creds_need_refresh(&c, now + 60));
    /* 4. Nothing at all: IMDS unreachable. */
    src.imds_endpoint = closed;
    assert_int_equal(aws_provider_resolve(&src, &h, now, &c), -ECONNREFUSED);
    assert_string_equal(c.access_key_id, "");
    src.session_name = "x";
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    assert_int_equal(aws_provider_resolve(&src, &h, now, &c), -EINVAL);
    clear_env();
    aws_creds_reset(&c);
    aws_http_destroy(&h);
}

/* A signed IAM Query API call (moto routes on the signed service). */
static int
iam_call(struct aws_http *h, const struct aws_creds *creds, const char *body,
         struct aws_http_response *resp)
{
    struct aws_sigv4_header ct = { "Content-Type",
                                   "application/x-www-form-urlencoded" };
    struct aws_sigv4_request sreq = { 0 };
    struct aws_http_request req = { 0 };
    char authz[AWS_SIGV4_AUTHZ_SIZE + 32], date[AWS_SIGV4_AMZ_DATE_SIZE];
    char host[64], url[64], date_line[64], a[AWS_SIGV4_AUTHZ_SIZE];
    const char *lines[4];

    snprintf(host, sizeof(host), "127.0.0.1:%d", moto_auth_port);
    url_of(url, sizeof(url), moto_auth_port, "/");
    sreq.method = "POST";
    sreq.host = host;
    sreq.path = "/";
    sreq.headers = &ct;
    sreq.n_headers = 1;
    sreq.body = body;
    sreq.body_len = strlen(body);
    assert_int_equal(aws_sigv4_sign(&sreq, creds, "us-east-1", "iam",
                                    time(NULL), a, sizeof(a), date),
                     0);
    snprintf(authz, sizeof(authz), "Authorization: %s", a);
    snprintf(date_line, sizeof(date_line), "X-Amz-Date: %s", date);
    lines[0] = "Content-Type: application/x-www-form-urlencoded";
    lines[1] = authz;
    lines[2] = date_line;
    lines[3] = NULL;
    req.method = "POST";
    req.url = url;
    req.headers = lines;
    req.body = body;
    req.body_len = strlen(body);
    return aws_http_request(h, &req, resp);
}

/* Credentials from a CreateAccessKey JSON answer. */
static void
access_key_of(const char *body, struct aws_creds *ret)
{
    struct json_object *root, *o, *id, *secret;

    root = json_tokener_parse(body);
    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "CreateAccessKeyResponse",
                                          &o));
    assert_true(json_object_object_get_ex(o, "CreateAccessKeyResult", &o));
    assert_true(json_object_object_get_ex(o, "AccessKey", &o));
    assert_true(json_object_object_get_ex(o, "AccessKeyId", &id));
    assert_true(json_object_object_get_ex(o, "SecretAccessKey", &secret));
    assert_int_equal(aws_creds_set(json_object_get_string(id),
                                   json_object_get_string(secret), NULL, 0,
                                   AWS_CREDS_ENV, ret),
                     0);
    json_object_put(root);
}

/* Three unauthenticated set-up calls create a user allowed to assume
 * roles; then moto checks every signature. */
static void
test_moto_signature_verified(void **state)
{
    static const char policy[] =
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B"
        "%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRole"
        "%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
    struct aws_http_response resp;
    struct aws_creds setup, user, c;
    struct aws_http h;
    char body[512], ep[64];

    (void)state;
    need_moto(moto_auth_port);
    aws_creds_init(&setup);
    aws_creds_init(&user);
    aws_creds_init(&c);
    assert_int_equal(aws_http_init(&h), 0);
    assert_int_equal(aws_creds_set("AKIDSETUP", "x", NULL, 0, AWS_CREDS_ENV,
                                   &setup),
                     0);
    assert_int_equal(iam_call(&h, &setup, "Action=CreateUser&Version="
                              "2010-05-08&UserName=syncer&ContentType=JSON",
                              &resp),
                     0);
    assert_int_equal(resp.status, 200);
    aws_http_response_free(&resp);
    snprintf(body, sizeof(body),
             "Action=PutUserPolicy&Version=2010-05-08&UserName=syncer"
             "&PolicyName=p&PolicyDocument=%s&ContentType=JSON",
             policy);
    assert_int_equal(iam_call(&h, &setup, body, &resp), 0);
    assert_int_equal(resp.status, 200);
    aws_http_response_free(&resp);
    assert_int_equal(iam_call(&h, &setup, "Action=CreateAccessKey&Version="
                              "2010-05-08&UserName=syncer&ContentType=JSON",
                              &resp),
                     0);
    assert_int_equal(resp.status, 200);
    access_key_of(resp.body, &user);
    aws_http_response_free(&resp);
    url_of(ep, sizeof(ep), moto_auth_port, "/");
    {
        struct aws_provider_source src = { 0 };

        src.sts_endpoint = ep;
        src.assume_role_arn = T_ARN;
        assert_int_equal(aws_provider_assume_role(&src, &h, &user, &c), 0);
        assert_memory_equal(c.access_key_id, "ASIA", 4);
        /* The same key with a wrong secret: SignatureDoesNotMatch. */
        user.secret_access_key[0] ^= 1;
        assert_int_equal(aws_provider_assume_role(&src, &h, &user, &c),
                         -EACCES);
        assert_string_equal(c.access_key_id, "");
    }
    aws_creds_reset(&setup);
    aws_creds_reset(&user);
    aws_creds_reset(&c);
    aws_http_destroy(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creds_set),
        cmocka_unit_test(test_need_refresh),
        cmocka_unit_test(test_parse_imds),
        cmocka_unit_test(test_parse_sts),
        cmocka_unit_test(test_sts_retried),
        cmocka_unit_test(test_sts_refused),
        cmocka_unit_test(test_sts_deadline),
        cmocka_unit_test(test_from_env),
        cmocka_unit_test(test_imds_init),
        cmocka_unit_test(test_url_split),
        cmocka_unit_test(test_http_ok),
        cmocka_unit_test(test_http_faults),
        cmocka_unit_test(test_http_headers),
        cmocka_unit_test(test_imds_canned),
        cmocka_unit_test(test_assume_role_errors),
        cmocka_unit_test(test_moto_imds),
        cmocka_unit_test(test_moto_resolve),
        cmocka_unit_test(test_moto_signature_verified),
    };
    int r;

    if (aws_http_global_init() < 0)
        return 1;
    canned_start();
    moto_start();
    r = cmocka_run_group_tests_name("creds", tests, NULL, NULL);
    stop_pid(&canned_pid);
    stop_pid(&moto_pid);
    stop_pid(&moto_auth_pid);
    aws_http_global_cleanup();
    return r;
}
