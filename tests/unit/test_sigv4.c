/*
 * Tests for lib/aws/aws_sigv4.c: every case of AWS's SigV4 test suite in
 * tests/fixtures/sigv4 (canonical request, string to sign and
 * Authorization, byte for byte), then each bad input.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "aws_creds.h"
#include "aws_sigv4.h"
#include "fixture_path.h"

#define MIN_CASES 15
#define MAX_HDRS 16

/* The vectors' directory, found by main() before any test runs. */
static char vectors[512];
/* Room for vectors/NAME/NAME.ext, NAME being a directory entry. */
#define CASE_PATH_SIZE (sizeof(vectors) + 2 * 256 + 8)

/* Values every vector assumes (README.md next to the vectors). */
#define V_KEY_ID "AKIDEXAMPLE"
#define V_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define V_DATE "20150830T123600Z"
#define V_NOW ((time_t)1440938160) /* 2015-08-30T12:36:00Z */
#define V_REGION "us-east-1"
#define V_SERVICE "service"
/* Not in the .req of that case: it comes from the credentials. */
#define V_TOKEN_CASE "get-vanilla-with-session-token"
#define V_TOKEN                                                                \
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73e"                 \
    "bf194267"

/* A parsed .req file; all strings point into @text. */
struct vreq {
    char *text;
    char *method;
    char *path;
    char *query;
    struct aws_sigv4_header hdrs[MAX_HDRS];
    size_t n_hdrs;
    char *body;
    size_t body_len;
};

static char *
read_file(const char *path, size_t *ret_len)
{
    FILE *f;
    char *buf;
    long n;

    f = fopen(path, "rbe");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (ret_len)
        *ret_len = (size_t)n;
    return buf;
}

static char *
case_file(const char *name, const char *ext)
{
    char path[CASE_PATH_SIZE];

    snprintf(path, sizeof(path), "%s/%s/%s.%s", vectors, name, name, ext);
    return read_file(path, NULL);
}

/* "METHOD target HTTP/1.1\nName:value\n...\n\nbody"; the target may hold
 * spaces (get-space), so it ends at the last " HTTP/". */
static void
parse_req(char *text, size_t len, struct vreq *r)
{
    char *line_end, *sp, *http, *q, *p, *colon;

    memset(r, 0, sizeof(*r));
    r->text = text;
    line_end = strchr(text, '\n');
    assert_non_null(line_end);
    *line_end = '\0';
    sp = strchr(text, ' ');
    assert_non_null(sp);
    *sp = '\0';
    r->method = text;
    http = strstr(sp + 1, " HTTP/");
    assert_non_null(http);
    while (strstr(http + 1, " HTTP/"))
        http = strstr(http + 1, " HTTP/");
    *http = '\0';
    r->path = sp + 1;
    q = strchr(r->path, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    p = line_end + 1;
    while (p < text + len && *p != '\n') {
        line_end = strchr(p, '\n');
        if (line_end)
            *line_end = '\0';
        colon = strchr(p, ':');
        assert_non_null(colon);
        *colon = '\0';
        assert_true(r->n_hdrs < MAX_HDRS);
        r->hdrs[r->n_hdrs].name = p;
        r->hdrs[r->n_hdrs].value = colon + 1;
        r->n_hdrs++;
        if (!line_end)
            return;
        p = line_end + 1;
    }
    if (p < text + len && *p == '\n') {
        r->body = p + 1;
        r->body_len = (size_t)(text + len - r->body);
    }
}

static const char *
req_header(const struct vreq *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->n_hdrs; i++) {
        if (strcasecmp(r->hdrs[i].name, name) == 0)
            return r->hdrs[i].value;
    }
    return NULL;
}

/* Steps 1-3 with the .req headers as they are (plus the token that case
 * takes from the credentials). */
static void
check_steps(const char *name, const struct vreq *v)
{
    struct aws_sigv4_header hdrs[MAX_HDRS + 1];
    struct aws_sigv4_request req = { 0 };
    char scope[AWS_SIGV4_SCOPE_SIZE];
    char *creq = NULL, *sh = NULL, *sts = NULL;
    char *want_creq = case_file(name, "creq");
    char *want_sts = case_file(name, "sts");
    size_t n = v->n_hdrs;

    memcpy(hdrs, v->hdrs, n * sizeof(hdrs[0]));
    if (strcmp(name, V_TOKEN_CASE) == 0) {
        hdrs[n].name = "X-Amz-Security-Token";
        hdrs[n++].value = V_TOKEN;
    }
    req.method = v->method;
    req.path = v->path;
    req.query = v->query;
    req.headers = hdrs;
    req.n_headers = n;
    req.body = v->body;
    req.body_len = v->body_len;
    assert_int_equal(aws_sigv4_canonical_request(&req, &creq, &sh), 0);
    assert_string_equal(creq, want_creq);
    assert_int_equal(aws_sigv4_scope(V_DATE, V_REGION, V_SERVICE, scope), 0);
    assert_string_equal(scope, "20150830/us-east-1/service/aws4_request");
    assert_int_equal(aws_sigv4_string_to_sign(V_DATE, scope, creq, &sts), 0);
    assert_string_equal(sts, want_sts);
    free(creq);
    free(sh);
    free(sts);
    free(want_creq);
    free(want_sts);
}

/* The whole chain through aws_sigv4_sign(): host, date and token are
 * added by the signer, the other headers come from the .req. */
static void
check_sign(const char *name, const struct vreq *v)
{
    struct aws_sigv4_header hdrs[MAX_HDRS];
    struct aws_sigv4_request req = { 0 };
    struct aws_creds creds;
    char authz[AWS_SIGV4_AUTHZ_SIZE];
    char amz_date[AWS_SIGV4_AMZ_DATE_SIZE];
    char *want = case_file(name, "authz");
    const char *token = req_header(v, "X-Amz-Security-Token");
    size_t i, n = 0;

    for (i = 0; i < v->n_hdrs; i++) {
        if (strcasecmp(v->hdrs[i].name, "Host") == 0 ||
            strcasecmp(v->hdrs[i].name, "X-Amz-Date") == 0 ||
            strcasecmp(v->hdrs[i].name, "X-Amz-Security-Token") == 0)
            continue;
        hdrs[n++] = v->hdrs[i];
    }
    if (strcmp(name, V_TOKEN_CASE) == 0)
        token = V_TOKEN;
    aws_creds_init(&creds);
    assert_int_equal(
        aws_creds_set(V_KEY_ID, V_SECRET, token, 0, AWS_CREDS_ENV, &creds), 0);
    req.method = v->method;
    req.host = req_header(v, "Host");
    assert_non_null(req.host);
    req.path = v->path;
    req.query = v->query;
    req.headers = hdrs;
    req.n_headers = n;
    req.body = v->body;
    req.body_len = v->body_len;
    assert_int_equal(aws_sigv4_sign(&req, &creds, V_REGION, V_SERVICE, V_NOW,
                                    authz, sizeof(authz), amz_date),
                     0);
    assert_string_equal(authz, want);
    assert_string_equal(amz_date, V_DATE);
    aws_creds_reset(&creds);
    free(want);
}

static void
test_vectors(void **state)
{
    struct dirent *de;
    struct stat st;
    struct vreq v;
    char path[CASE_PATH_SIZE];
    char *text;
    size_t len;
    DIR *d;
    int cases = 0;

    (void)state;
    d = opendir(vectors);
    assert_non_null(d);
    for (;;) {
        de = readdir(d);
        if (!de)
            break;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", vectors, de->d_name);
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        print_message("sigv4 case %s\n", de->d_name);
        snprintf(path, sizeof(path), "%s/%s/%s.req", vectors, de->d_name,
                 de->d_name);
        text = read_file(path, &len);
        parse_req(text, len, &v);
        check_steps(de->d_name, &v);
        check_sign(de->d_name, &v);
        free(v.text);
        cases++;
    }
    closedir(d);
    assert_true(cases >= MIN_CASES);
}

static void
test_uri_encode(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(
        aws_sigv4_uri_encode("a b/c~+=&\xe1\x88\xb4", 12, false, &out), 0);
    assert_string_equal(out, "a%20b%2Fc~%2B%3D%26%E1%88%B4");
    free(out);
    assert_int_equal(aws_sigv4_uri_encode("/a b/", 5, true, &out), 0);
    assert_string_equal(out, "/a%20b/");
    free(out);
    assert_int_equal(aws_sigv4_uri_encode("", 0, false, &out), 0);
    assert_string_equal(out, "");
    free(out);
    /* Embedded NUL is just another byte. */
    assert_int_equal(aws_sigv4_uri_encode("a\0b", 3, false, &out), 0);
    assert_string_equal(out, "a%00b");
    free(out);
}

/* Canonical request of GET / with @query and @hdrs. */
static int
creq_of(const char *query, const struct aws_sigv4_header *hdrs, size_t n,
        char **ret_creq)
{
    struct aws_sigv4_request req = { 0 };
    char *sh = NULL;
    int r;

    req.method = "GET";
    req.path = "/";
    req.query = query;
    req.headers = hdrs;
    req.n_headers = n;
    r = aws_sigv4_canonical_request(&req, ret_creq, &sh);
    free(sh);
    return r;
}

#define EMPTY_HASH                                                             \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
test_canonical_query(void **state)
{
    struct aws_sigv4_header h = { "Host", "x" };
    char *creq = NULL;

    (void)state;
    assert_int_equal(
        creq_of("b=2&a=2&a=1&&c&d=%e1%88%b4&e=a+b&f=x%20y", &h, 1, &creq), 0);
    assert_string_equal(creq, "GET\n/\n"
                              "a=1&a=2&b=2&c=&d=%E1%88%B4&e=a%2Bb&f=x%20y\n"
                              "host:x\n\nhost\n" EMPTY_HASH);
    free(creq);
    assert_int_equal(creq_of("a=%G1", &h, 1, &creq), -EINVAL);
    assert_null(creq);
    assert_int_equal(creq_of("a=%4", &h, 1, &creq), -EINVAL);
    assert_null(creq);
    assert_int_equal(creq_of("a=%", &h, 1, &creq), -EINVAL);
    assert_null(creq);
    assert_int_equal(creq_of("%zz=1", &h, 1, &creq), -EINVAL);
    assert_null(creq);
}

static void
test_canonical_headers(void **state)
{
    struct aws_sigv4_header h[] = {
        { "X-B", "  two   words\there  " },
        { "Host", "x" },
        { "x-a", "1" },
        { "X-A", "2" },
        { "x-e", "" },
    };
    struct aws_sigv4_request req = { 0 };
    char *creq = NULL, *sh = NULL;

    (void)state;
    req.method = "POST";
    req.path = NULL;
    req.headers = h;
    req.n_headers = 5;
    req.body = "Param1=value1";
    req.body_len = 13;
    assert_int_equal(aws_sigv4_canonical_request(&req, &creq, &sh), 0);
    assert_string_equal(creq, "POST\n/\n\nhost:x\nx-a:1,2\nx-b:two words "
                              "here\nx-e:\n\nhost;x-a;x-b;x-e\n"
                              "9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
                              "329106275f4c7b24d0b6e");
    assert_string_equal(sh, "host;x-a;x-b;x-e");
    free(creq);
    free(sh);
}

static void
expect_bad_header(const char *name, const char *value)
{
    struct aws_sigv4_header h = { name, value };
    char *creq = (char *)1;

    assert_int_equal(creq_of(NULL, &h, 1, &creq), -EINVAL);
    assert_null(creq);
}

static void
test_canonical_bad(void **state)
{
    struct aws_sigv4_header many[AWS_SIGV4_MAX_HEADERS + 1];
    struct aws_sigv4_request req = { 0 };
    char *creq = (char *)1, *sh = (char *)1;
    size_t i;

    (void)state;
    expect_bad_header("", "v");
    expect_bad_header("a b", "v");
    expect_bad_header("a:b", "v");
    expect_bad_header("x", "a\r\nInjected: 1");
    expect_bad_header("x", "a\nb");
    expect_bad_header("x", "a\x7f");
    expect_bad_header(NULL, "v");
    expect_bad_header("x", NULL);
    for (i = 0; i < AWS_SIGV4_MAX_HEADERS + 1; i++) {
        many[i].name = "x";
        many[i].value = "y";
    }
    assert_int_equal(creq_of(NULL, many, AWS_SIGV4_MAX_HEADERS + 1, &creq),
                     -EINVAL);
    assert_null(creq);
    assert_int_equal(creq_of(NULL, many, AWS_SIGV4_MAX_HEADERS, &creq), 0);
    free(creq);
    req.method = NULL;
    assert_int_equal(aws_sigv4_canonical_request(&req, &creq, &sh), -EINVAL);
    assert_null(creq);
    assert_null(sh);
    req.method = "GET /x";
    assert_int_equal(aws_sigv4_canonical_request(&req, &creq, &sh), -EINVAL);
    req.method = "";
    assert_int_equal(aws_sigv4_canonical_request(&req, &creq, &sh), -EINVAL);
}

static void
test_amz_date(void **state)
{
    char d[AWS_SIGV4_AMZ_DATE_SIZE];

    (void)state;
    assert_int_equal(aws_sigv4_amz_date(0, d), 0);
    assert_string_equal(d, "19700101T000000Z");
    assert_int_equal(aws_sigv4_amz_date(V_NOW, d), 0);
    assert_string_equal(d, V_DATE);
    assert_int_equal(aws_sigv4_amz_date(-1, d), -EINVAL);
    assert_string_equal(d, "");
    /* 10000-01-01T00:00:00Z does not fit the format. */
    assert_int_equal(aws_sigv4_amz_date((time_t)253402300800LL, d), -EINVAL);
    assert_string_equal(d, "");
    assert_int_equal(aws_sigv4_amz_date((time_t)253402300799LL, d), 0);
    assert_string_equal(d, "99991231T235959Z");
}

static void
test_scope_bad(void **state)
{
    char s[AWS_SIGV4_SCOPE_SIZE];
    char long_word[80];
    char *sts = (char *)1;

    (void)state;
    memset(long_word, 'a', sizeof(long_word) - 1);
    long_word[sizeof(long_word) - 1] = '\0';
    assert_int_equal(aws_sigv4_scope(V_DATE, "US-EAST-1", "iam", s), -EINVAL);
    assert_string_equal(s, "");
    assert_int_equal(aws_sigv4_scope(V_DATE, "", "iam", s), -EINVAL);
    assert_int_equal(aws_sigv4_scope(V_DATE, "us-east-1", "", s), -EINVAL);
    assert_int_equal(aws_sigv4_scope(V_DATE, "us-east-1", "i/am", s), -EINVAL);
    assert_int_equal(aws_sigv4_scope(V_DATE, long_word, "iam", s), -EINVAL);
    assert_int_equal(aws_sigv4_scope(V_DATE, NULL, "iam", s), -EINVAL);
    assert_int_equal(aws_sigv4_scope("20150830", "us-east-1", "iam", s),
                     -EINVAL);
    assert_int_equal(aws_sigv4_scope("20150830X123600Z", "us-east-1", "iam", s),
                     -EINVAL);
    assert_int_equal(aws_sigv4_scope("2015083OT123600Z", "us-east-1", "iam", s),
                     -EINVAL);
    assert_int_equal(aws_sigv4_scope(V_DATE, "us-east-1", "iam", s), 0);
    assert_string_equal(s, "20150830/us-east-1/iam/aws4_request");
    assert_int_equal(aws_sigv4_string_to_sign("bad", s, "x", &sts), -EINVAL);
    assert_null(sts);
    assert_int_equal(aws_sigv4_string_to_sign(V_DATE, "", "x", &sts), -EINVAL);
    assert_null(sts);
}

/* The derived-key example of AWS's SigV4 documentation (Examples of how to
 * derive a signing key: 20120215, us-east-1, iam). */
static void
test_signing_key(void **state)
{
    static const unsigned char want[32] = {
        0xf4, 0x78, 0x0e, 0x2d, 0x9f, 0x65, 0xfa, 0x89, 0x5f, 0x9c, 0x67,
        0xb3, 0x2c, 0xe1, 0xba, 0xf0, 0xb0, 0xd8, 0xa4, 0x35, 0x05, 0xa0,
        0x00, 0xa1, 0xa9, 0xe0, 0x90, 0xd4, 0x14, 0xdb, 0x40, 0x4d,
    };
    static const unsigned char zero[32] = { 0 };
    unsigned char key[32];
    char big[300];

    (void)state;
    assert_int_equal(aws_sigv4_signing_key(V_SECRET, "20120215T000000Z",
                                           "us-east-1", "iam", key),
                     0);
    assert_memory_equal(key, want, 32);
    assert_int_equal(aws_sigv4_signing_key("", V_DATE, "us-east-1", "iam", key),
                     -EINVAL);
    assert_memory_equal(key, zero, 32);
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(
        aws_sigv4_signing_key(big, V_DATE, "us-east-1", "iam", key), -EINVAL);
    assert_int_equal(
        aws_sigv4_signing_key(V_SECRET, "2012", "us-east-1", "iam", key),
        -EINVAL);
    assert_int_equal(
        aws_sigv4_signing_key(NULL, V_DATE, "us-east-1", "iam", key), -EINVAL);
}

static void
test_authorization_bad(void **state)
{
    char out[128];

    (void)state;
    assert_int_equal(
        aws_sigv4_authorization("AKID", "scope", "host", "sig", out, 20),
        -ERANGE);
    assert_string_equal(out, "");
    assert_int_equal(
        aws_sigv4_authorization("", "scope", "host", "sig", out, sizeof(out)),
        -EINVAL);
    assert_int_equal(
        aws_sigv4_authorization("AKID", "s", "h", "x", out, sizeof(out)), 0);
    assert_string_equal(out, "AWS4-HMAC-SHA256 Credential=AKID/s, "
                             "SignedHeaders=h, Signature=x");
}

static void
sign_expect(const struct aws_sigv4_request *req, const struct aws_creds *creds,
            size_t size, int want)
{
    char authz[AWS_SIGV4_AUTHZ_SIZE];
    char date[AWS_SIGV4_AMZ_DATE_SIZE];

    assert_true(size <= sizeof(authz));
    memset(authz, 'z', sizeof(authz));
    memset(date, 'z', sizeof(date));
    assert_int_equal(
        aws_sigv4_sign(req, creds, V_REGION, "iam", V_NOW, authz, size, date),
        want);
    if (want < 0) {
        assert_string_equal(date, "");
        if (size > 0)
            assert_string_equal(authz, "");
    }
}

static void
test_sign_bad(void **state)
{
    struct aws_sigv4_header reserved[] = {
        { "Host", "evil" },
        { "x-amz-date", "1" },
        { "X-Amz-Security-Token", "t" },
        { "Authorization", "a" },
    };
    struct aws_sigv4_request req = { 0 };
    struct aws_creds creds, empty;
    size_t i;

    (void)state;
    aws_creds_init(&empty);
    aws_creds_init(&creds);
    assert_int_equal(
        aws_creds_set(V_KEY_ID, V_SECRET, NULL, 0, AWS_CREDS_ENV, &creds), 0);
    req.method = "GET";
    req.host = "iam.amazonaws.com";
    req.path = "/";
    sign_expect(&req, &creds, AWS_SIGV4_AUTHZ_SIZE, 0);
    sign_expect(&req, &creds, 40, -ERANGE);
    sign_expect(&req, &empty, AWS_SIGV4_AUTHZ_SIZE, -EINVAL);
    for (i = 0; i < 4; i++) {
        req.headers = &reserved[i];
        req.n_headers = 1;
        sign_expect(&req, &creds, AWS_SIGV4_AUTHZ_SIZE, -EINVAL);
    }
    req.headers = NULL;
    req.n_headers = 0;
    req.host = "";
    sign_expect(&req, &creds, AWS_SIGV4_AUTHZ_SIZE, -EINVAL);
    req.host = NULL;
    sign_expect(&req, &creds, AWS_SIGV4_AUTHZ_SIZE, -EINVAL);
    aws_creds_reset(&creds);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_canonical_bad),
        cmocka_unit_test(test_amz_date),
        cmocka_unit_test(test_scope_bad),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_authorization_bad),
        cmocka_unit_test(test_sign_bad),
    };

    fixture_path("sigv4", vectors, sizeof(vectors));
    return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
