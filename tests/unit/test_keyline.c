#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "iam_keyline.h"

/* Blobs and lines are built here with OpenSSL's base64 and SHA-256, not
 * with the code under test, so both sides are independent. */

#define LINE_CAP (IAM_KEYLINE_MAX + 64)
#define BLOB_CAP 4096

struct blob {
    uint8_t p[BLOB_CAP];
    size_t len;
};

struct tmp {
    char dir[64];
};

/* NIST P-256 generator: a valid point, so ssh-keygen accepts the key. */
static const uint8_t p256_g[65] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc,
    0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d,
    0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
    0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb,
    0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31,
    0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

static void
blob_bytes(struct blob *b, const void *p, size_t n)
{
    assert_true(b->len + n <= sizeof(b->p));
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void
blob_u32(struct blob *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                     (uint8_t)v };

    blob_bytes(b, x, 4);
}

static void
blob_str(struct blob *b, const void *p, size_t n)
{
    blob_u32(b, (uint32_t)n);
    blob_bytes(b, p, n);
}

static void
blob_cstr(struct blob *b, const char *s)
{
    blob_str(b, s, strlen(s));
}

static void
blob_fill(struct blob *b, size_t n, uint8_t first, uint8_t rest)
{
    size_t i;

    blob_u32(b, (uint32_t)n);
    for (i = 0; i < n; i++) {
        uint8_t c = i == 0 ? first : rest;

        blob_bytes(b, &c, 1);
    }
}

static void
ed25519_blob(struct blob *b, const char *type)
{
    memset(b, 0, sizeof(*b));
    blob_cstr(b, type);
    blob_fill(b, 32, 0x5a, 0xa5);
}

/* e = 65537, n = @n_len bytes with top byte @top (sign byte added). */
static void
rsa_blob(struct blob *b, size_t n_len, uint8_t top)
{
    static const uint8_t e[3] = { 0x01, 0x00, 0x01 };
    size_t i;
    uint8_t z = 0;

    memset(b, 0, sizeof(*b));
    blob_cstr(b, "ssh-rsa");
    blob_str(b, e, sizeof(e));
    blob_u32(b, (uint32_t)(n_len + (top & 0x80 ? 1 : 0)));
    if (top & 0x80)
        blob_bytes(b, &z, 1);
    blob_bytes(b, &top, 1);
    for (i = 1; i < n_len; i++) {
        uint8_t c = (uint8_t)(i * 37 + 11);

        blob_bytes(b, &c, 1);
    }
}

static void
b64(const uint8_t *p, size_t n, char *out, size_t out_size)
{
    assert_true((n + 2) / 3 * 4 + 1 <= out_size);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* "TYPE BASE64[ comment]" from a blob; returns the length. */
static size_t
make_line(char *out, size_t out_size, const char *type, const struct blob *b,
          const char *comment)
{
    char enc[BLOB_CAP * 2];
    int n;

    b64(b->p, b->len, enc, sizeof(enc));
    if (comment)
        n = snprintf(out, out_size, "%s %s %s", type, enc, comment);
    else
        n = snprintf(out, out_size, "%s %s", type, enc);
    assert_true(n > 0 && (size_t)n < out_size);
    return (size_t)n;
}

/* The fingerprint ssh-keygen would print, computed with OpenSSL. */
static void
expect_fp(const struct blob *b, char *out, size_t out_size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char enc[64];
    char *eq;

    assert_int_equal(EVP_Digest(b->p, b->len, md, &md_len, EVP_sha256(), NULL),
                     1);
    b64(md, md_len, enc, sizeof(enc));
    eq = strchr(enc, '=');
    if (eq)
        *eq = '\0';
    assert_true((size_t)snprintf(out, out_size, "SHA256:%s", enc) < out_size);
}

static int
parse(const char *in, size_t len, char *line, size_t size,
      struct iam_keyline *key, int *reason)
{
    return iam_keyline_parse(in, len, line, size, key, reason);
}

static void
expect_reject(const char *in, size_t len, int want)
{
    char line[LINE_CAP];
    struct iam_keyline key;
    int reason = -1;
    int r;

    memset(line, 'x', sizeof(line));
    r = parse(in, len, line, sizeof(line), &key, &reason);
    assert_int_equal(r, -EINVAL);
    assert_int_equal(reason, want);
    assert_string_equal(line, "");
    assert_null(key.type);
    assert_string_equal(key.fingerprint, "");
}

static void
expect_reject_str(const char *in, int want)
{
    expect_reject(in, strlen(in), want);
}

static void
expect_canonical(const char *in, size_t len, const char *want)
{
    char line[LINE_CAP];
    struct iam_keyline key;
    int reason = -1;

    assert_int_equal(parse(in, len, line, sizeof(line), &key, &reason), 0);
    assert_int_equal(reason, 0);
    assert_string_equal(line, want);
    assert_int_equal(key.line_len, strlen(want));
}

static void
ed25519_line(char *out, size_t size, const char *comment)
{
    struct blob b;

    ed25519_blob(&b, "ssh-ed25519");
    make_line(out, size, "ssh-ed25519", &b, comment);
}

/* ---- subprocesses (ssh-keygen), without a shell ---- */

static int
tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    memcpy(t->dir, "/tmp/test-keyline-XXXXXX", 25);
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int
tmp_teardown(void **state)
{
    struct tmp *t = *state;
    DIR *d = opendir(t->dir);
    struct dirent *e;

    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Run @argv with stdout into @out (NUL-terminated); returns exit code. */
static int
run(char *const argv[], char *out, size_t out_size)
{
    posix_spawn_file_actions_t fa;
    int pipefd[2];
    size_t used = 0;
    ssize_t n;
    pid_t pid;
    int status = 0;

    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    for (;;) {
        n = read(pipefd[0], out + used, out_size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        assert_true(used < out_size - 1);
    }
    out[used] = '\0';
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static size_t
read_file(const char *path, char *out, size_t out_size)
{
    FILE *f = fopen(path, "re");
    size_t n;

    assert_non_null(f);
    n = fread(out, 1, out_size - 1, f);
    assert_true(n < out_size - 1);
    out[n] = '\0';
    fclose(f);
    return n;
}

static void
write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "we");

    assert_non_null(f);
    assert_int_equal(fputs(s, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* `ssh-keygen -lf PUB` -> "BITS SHA256:xxx comment (TYPE)". */
static void
keygen_fingerprint(const char *pub, unsigned int *ret_bits, char *ret_fp,
                   size_t fp_size, char *ret_kind, size_t kind_size)
{
    char *argv[] = {
        "ssh-keygen", "-l", "-E", "sha256", "-f", (char *)pub, NULL
    };
    char out[1024];
    char fp[128];
    char *open_paren;
    char *close_paren;
    unsigned int bits = 0;

    assert_int_equal(run(argv, out, sizeof(out)), 0);
    assert_int_equal(sscanf(out, "%u %127s", &bits, fp), 2);
    *ret_bits = bits;
    assert_true(strlen(fp) < fp_size);
    memcpy(ret_fp, fp, strlen(fp) + 1);
    open_paren = strrchr(out, '(');
    close_paren = strrchr(out, ')');
    assert_non_null(open_paren);
    assert_non_null(close_paren);
    assert_true(close_paren > open_paren &&
                (size_t)(close_paren - open_paren) < kind_size);
    memcpy(ret_kind, open_paren + 1, (size_t)(close_paren - open_paren - 1));
    ret_kind[close_paren - open_paren - 1] = '\0';
}

/* ---- tests ---- */

static void
test_keygen_keys(void **state)
{
    static const struct {
        const char *t;
        const char *bits;
        const char *type;
        const char *kind;
        unsigned int nbits;
    } cases[] = {
        { "ed25519", NULL, "ssh-ed25519", "ED25519", 256 },
        { "rsa", "2048", "ssh-rsa", "RSA", 2048 },
        { "rsa", "3072", "ssh-rsa", "RSA", 3072 },
        { "ecdsa", "256", "ecdsa-sha2-nistp256", "ECDSA", 256 },
        { "ecdsa", "384", "ecdsa-sha2-nistp384", "ECDSA", 384 },
        { "ecdsa", "521", "ecdsa-sha2-nistp521", "ECDSA", 521 },
    };
    struct tmp *t = *state;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char priv[128];
        char pub[sizeof(priv) + 4];
        char body[8192];
        char line[8192];
        char want_fp[128];
        char kind[64];
        char fp[IAM_KEYLINE_FP_SIZE];
        char b64part[8192];
        unsigned int bits = 0;
        struct iam_keyline key;
        int reason = -1;
        size_t n;
        char *argv[16];
        int a = 0;

        snprintf(priv, sizeof(priv), "%s/k%zu", t->dir, i);
        snprintf(pub, sizeof(pub), "%s.pub", priv);
        argv[a++] = "ssh-keygen";
        argv[a++] = "-q";
        argv[a++] = "-t";
        argv[a++] = (char *)cases[i].t;
        if (cases[i].bits) {
            argv[a++] = "-b";
            argv[a++] = (char *)cases[i].bits;
        }
        argv[a++] = "-N";
        argv[a++] = "";
        argv[a++] = "-C";
        argv[a++] = "keyline test@example";
        argv[a++] = "-f";
        argv[a++] = priv;
        argv[a] = NULL;
        assert_int_equal(run(argv, line, sizeof(line)), 0);

        n = read_file(pub, body, sizeof(body));
        assert_int_equal(parse(body, n, line, sizeof(line), &key, &reason), 0);
        assert_int_equal(reason, 0);
        /* ssh-keygen writes the canonical form plus "\n". */
        assert_true(n > 0 && body[n - 1] == '\n');
        body[n - 1] = '\0';
        assert_string_equal(line, body);
        assert_string_equal(key.type, cases[i].type);
        assert_int_equal(key.bits, cases[i].nbits);
        assert_int_equal(key.comment_dropped, 0);
        assert_int_equal(key.line_len, strlen(body));
        assert_int_equal(key.key_len,
                         strlen(body) - strlen(" keyline test@example"));

        keygen_fingerprint(pub, &bits, want_fp, sizeof(want_fp), kind,
                           sizeof(kind));
        assert_string_equal(key.fingerprint, want_fp);
        assert_int_equal(bits, key.bits);
        assert_string_equal(kind, cases[i].kind);

        /* The bare blob (sshd's %k) fingerprints and compares the same. */
        n = key.key_len - strlen(key.type) - 1;
        memcpy(b64part, line + strlen(key.type) + 1, n);
        b64part[n] = '\0';
        assert_int_equal(iam_keyline_fingerprint(b64part, n, fp), 0);
        assert_string_equal(fp, want_fp);
        assert_int_equal(iam_keyline_blob_equals(line, b64part), 1);
    }
}

/* sk- keys need a FIDO token to generate: build them by hand, and let
 * ssh-keygen confirm the fingerprint. */
static void
test_sk_keys(void **state)
{
    struct tmp *t = *state;
    struct blob b;
    char in[LINE_CAP];
    char line[LINE_CAP];
    char path[128];
    char want_fp[128];
    char kind[64];
    unsigned int bits = 0;
    struct iam_keyline key;
    int reason = -1;
    size_t n;

    /* sk-ssh-ed25519@openssh.com: type, pk[32], application */
    ed25519_blob(&b, "sk-ssh-ed25519@openssh.com");
    blob_cstr(&b, "ssh:");
    n = make_line(in, sizeof(in), "sk-ssh-ed25519@openssh.com", &b, "fido");
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    assert_string_equal(line, in);
    assert_string_equal(key.type, "sk-ssh-ed25519@openssh.com");
    assert_int_equal(key.bits, 256);
    snprintf(path, sizeof(path), "%s/sk1.pub", t->dir);
    write_file(path, line);
    keygen_fingerprint(path, &bits, want_fp, sizeof(want_fp), kind,
                       sizeof(kind));
    assert_string_equal(key.fingerprint, want_fp);
    assert_string_equal(kind, "ED25519-SK");

    /* sk-ecdsa-sha2-nistp256@openssh.com: type, curve, point, app */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "sk-ecdsa-sha2-nistp256@openssh.com");
    blob_cstr(&b, "nistp256");
    blob_str(&b, p256_g, sizeof(p256_g));
    blob_cstr(&b, "ssh:");
    n = make_line(in, sizeof(in), "sk-ecdsa-sha2-nistp256@openssh.com", &b,
                  NULL);
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    assert_string_equal(line, in);
    assert_int_equal(key.bits, 256);
    snprintf(path, sizeof(path), "%s/sk2.pub", t->dir);
    write_file(path, line);
    keygen_fingerprint(path, &bits, want_fp, sizeof(want_fp), kind,
                       sizeof(kind));
    assert_string_equal(key.fingerprint, want_fp);
    assert_int_equal(bits, 256);
    assert_string_equal(kind, "ECDSA-SK");
}

static void
test_sk_rejects(void **state)
{
    struct blob b;
    char in[LINE_CAP];
    size_t n;

    (void)state;
    /* No application string. */
    ed25519_blob(&b, "sk-ssh-ed25519@openssh.com");
    n = make_line(in, sizeof(in), "sk-ssh-ed25519@openssh.com", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);

    /* A NUL inside the application. */
    ed25519_blob(&b, "sk-ssh-ed25519@openssh.com");
    blob_str(&b, "ssh:\0x", 6);
    n = make_line(in, sizeof(in), "sk-ssh-ed25519@openssh.com", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);

    /* Bytes after the application. */
    ed25519_blob(&b, "sk-ssh-ed25519@openssh.com");
    blob_cstr(&b, "ssh:");
    blob_bytes(&b, "\0", 1);
    n = make_line(in, sizeof(in), "sk-ssh-ed25519@openssh.com", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRAILING);

    /* A plain ed25519 blob under the sk type word. */
    ed25519_blob(&b, "ssh-ed25519");
    n = make_line(in, sizeof(in), "sk-ssh-ed25519@openssh.com", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TYPE);

    /* sk-ecdsa with the wrong curve name. */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "sk-ecdsa-sha2-nistp256@openssh.com");
    blob_cstr(&b, "nistp384");
    blob_str(&b, p256_g, sizeof(p256_g));
    blob_cstr(&b, "ssh:");
    n = make_line(in, sizeof(in), "sk-ecdsa-sha2-nistp256@openssh.com", &b,
                  NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_CURVE);

    /* sk-ecdsa without its application. */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "sk-ecdsa-sha2-nistp256@openssh.com");
    blob_cstr(&b, "nistp256");
    blob_str(&b, p256_g, sizeof(p256_g));
    n = make_line(in, sizeof(in), "sk-ecdsa-sha2-nistp256@openssh.com", &b,
                  NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);
}

static void
test_canonical(void **state)
{
    char want[LINE_CAP];
    char key_only[LINE_CAP];
    char in[LINE_CAP];
    char line[LINE_CAP];
    char fp[128];
    struct iam_keyline key;
    struct blob b;
    int reason = -1;
    const char *b64part;
    int n;

    (void)state;
    ed25519_line(want, sizeof(want), "alice@laptop");
    ed25519_line(key_only, sizeof(key_only), NULL);
    b64part = key_only + strlen("ssh-ed25519 ");

    assert_int_equal(
        parse(want, strlen(want), line, sizeof(line), &key, &reason), 0);
    assert_string_equal(line, want);
    assert_string_equal(key.type, "ssh-ed25519");
    assert_int_equal(key.bits, 256);
    assert_int_equal(key.line_len, strlen(want));
    assert_int_equal(key.key_len, strlen(key_only));
    assert_int_equal(key.comment_dropped, 0);
    ed25519_blob(&b, "ssh-ed25519");
    expect_fp(&b, fp, sizeof(fp));
    assert_string_equal(key.fingerprint, fp);
    assert_int_equal(strlen(key.fingerprint), 50);

    /* Tolerated: one final LF or CRLF, blanks around and between. */
    n = snprintf(in, sizeof(in), "%s\n", want);
    expect_canonical(in, (size_t)n, want);
    n = snprintf(in, sizeof(in), "%s\r\n", want);
    expect_canonical(in, (size_t)n, want);
    n = snprintf(in, sizeof(in), " \t%s \t\r\n", want);
    expect_canonical(in, (size_t)n, want);
    n = snprintf(in, sizeof(in), "ssh-ed25519\t%s\talice@laptop", b64part);
    expect_canonical(in, (size_t)n, want);
    n = snprintf(in, sizeof(in), "ssh-ed25519  \t %s   alice@laptop  \n",
                 b64part);
    expect_canonical(in, (size_t)n, want);
    n = snprintf(in, sizeof(in), "%s\n", key_only);
    expect_canonical(in, (size_t)n, key_only);

    /* A comment with inner spaces is kept as is. */
    n = snprintf(in, sizeof(in), "%s my key  no. 2", key_only);
    memcpy(want, in, (size_t)n + 1);
    expect_canonical(in, (size_t)n, want);

    /* The input need not be NUL-terminated: only in_len bytes count. */
    memcpy(in, key_only, strlen(key_only));
    memcpy(in + strlen(key_only), " tail", 5);
    expect_canonical(in, strlen(key_only), key_only);
}

static void
test_comment_dropped(void **state)
{
    static const char *const bad[] = {
        "evil\x1b[2Jcomment", "del\x7f", "tab\tinside",
        "caf\xc3\xa9",        "bell\a",  "\x01",
    };
    char key_only[LINE_CAP];
    char in[LINE_CAP];
    char line[LINE_CAP];
    char comment[IAM_KEYLINE_COMMENT_MAX + 2];
    struct iam_keyline key;
    int reason = -1;
    size_t i;
    int n;

    (void)state;
    ed25519_line(key_only, sizeof(key_only), NULL);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = snprintf(in, sizeof(in), "%s %s\n", key_only, bad[i]);
        assert_int_equal(
            parse(in, (size_t)n, line, sizeof(line), &key, &reason), 0);
        assert_string_equal(line, key_only);
        assert_int_equal(key.comment_dropped, IAM_KEYLINE_E_COMMENT_CHAR);
        assert_int_equal(key.line_len, key.key_len);
        assert_null(strpbrk(line, "\x1b\x7f\t\a\x01\xc3"));
    }

    /* At most IAM_KEYLINE_COMMENT_MAX bytes are kept. */
    memset(comment, 'c', sizeof(comment) - 2);
    comment[IAM_KEYLINE_COMMENT_MAX] = '\0';
    n = snprintf(in, sizeof(in), "%s %s", key_only, comment);
    expect_canonical(in, (size_t)n, in);

    comment[IAM_KEYLINE_COMMENT_MAX] = 'c';
    comment[IAM_KEYLINE_COMMENT_MAX + 1] = '\0';
    n = snprintf(in, sizeof(in), "%s %s", key_only, comment);
    assert_int_equal(parse(in, (size_t)n, line, sizeof(line), &key, &reason),
                     0);
    assert_string_equal(line, key_only);
    assert_int_equal(key.comment_dropped, IAM_KEYLINE_E_COMMENT_TOO_LONG);
}

static void
test_reject_options(void **state)
{
    static const char *const prefixes[] = {
        "command=\"/bin/sh\" ",
        "command=\"/bin/sh -c 'id'\" ",
        "no-pty ",
        "restrict ",
        "from=\"10.0.0.0/8\",no-agent-forwarding ",
        "environment=\"LD_PRELOAD=/tmp/x.so\" ",
        "no-pty,no-port-forwarding ",
        "cert-authority\t",
    };
    struct blob b;
    char key[LINE_CAP];
    char in[LINE_CAP];
    size_t i;
    int n;

    (void)state;
    ed25519_line(key, sizeof(key), "bob");
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        n = snprintf(in, sizeof(in), "%s%s", prefixes[i], key);
        expect_reject(in, (size_t)n, IAM_KEYLINE_E_OPTIONS);
    }
    rsa_blob(&b, 256, 0xc5);
    make_line(key, sizeof(key), "ssh-rsa", &b, NULL);
    n = snprintf(in, sizeof(in), "no-pty %s", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_OPTIONS);
    /* Options before an unknown type still name the options. */
    expect_reject_str("command=\"x\" ssh-dss AAAA", IAM_KEYLINE_E_OPTIONS);
}

static void
test_reject_newline_cr_nul(void **state)
{
    char key[LINE_CAP];
    char in[LINE_CAP];
    size_t klen;
    int n;

    (void)state;
    ed25519_line(key, sizeof(key), "one");
    klen = strlen(key);

    n = snprintf(in, sizeof(in), "%s\n%s\n", key, key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_NEWLINE);
    n = snprintf(in, sizeof(in), "%s\ncommand=\"/bin/sh\" %s", key, key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_NEWLINE);
    n = snprintf(in, sizeof(in), "%s\n\n", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_NEWLINE);
    n = snprintf(in, sizeof(in), "%s\n ", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_NEWLINE);
    n = snprintf(in, sizeof(in), "\n%s", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_NEWLINE);

    /* CR: in the comment, between fields, alone at the end, doubled. */
    n = snprintf(in, sizeof(in), "%s\rX", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_CR);
    memcpy(in, key, klen + 1);
    in[strlen("ssh-ed25519")] = '\r';
    expect_reject(in, klen, IAM_KEYLINE_E_CR);
    n = snprintf(in, sizeof(in), "%s\r", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_CR);
    n = snprintf(in, sizeof(in), "%s\r\r\n", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_CR);

    /* NUL anywhere, found through the explicit length. */
    memcpy(in, key, klen);
    in[klen - 2] = '\0';
    expect_reject(in, klen, IAM_KEYLINE_E_NUL);
    memcpy(in, key, klen);
    in[klen] = '\0';
    memcpy(in + klen + 1, "\n", 1);
    expect_reject(in, klen + 2, IAM_KEYLINE_E_NUL);
    memcpy(in, key, klen);
    in[20] = '\0';
    expect_reject(in, klen, IAM_KEYLINE_E_NUL);
}

static void
test_reject_type(void **state)
{
    struct blob b;
    char in[LINE_CAP];
    size_t n;

    (void)state;
    ed25519_blob(&b, "ssh-ed25519");
    n = make_line(in, sizeof(in), "ssh-dss", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_TYPE);
    n = make_line(in, sizeof(in), "SSH-ED25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_TYPE);
    n = make_line(in, sizeof(in), "ssh-ed25519-cert-v01@openssh.com", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_TYPE);
    expect_reject_str("# a comment line", IAM_KEYLINE_E_TYPE);
    expect_reject_str("ecdsa-sha2-nistp224 AAAA", IAM_KEYLINE_E_TYPE);
    expect_reject_str("\x1b[31mssh-ed25519 AAAA", IAM_KEYLINE_E_CONTROL_CHAR);
    expect_reject_str("ssh-ed25519\x01 AAAA", IAM_KEYLINE_E_CONTROL_CHAR);
    expect_reject_str("ssh-ed25519", IAM_KEYLINE_E_NO_BLOB);
    expect_reject_str("ssh-ed25519 \t \n", IAM_KEYLINE_E_NO_BLOB);
}

static void
test_reject_empty_and_long(void **state)
{
    char *big;
    char key[LINE_CAP];
    char line[LINE_CAP];
    struct iam_keyline k;
    int reason = -1;
    size_t klen;

    (void)state;
    expect_reject("", 0, IAM_KEYLINE_E_EMPTY);
    expect_reject(NULL, 0, IAM_KEYLINE_E_EMPTY);
    expect_reject_str("   ", IAM_KEYLINE_E_EMPTY);
    expect_reject_str("\n", IAM_KEYLINE_E_EMPTY);
    expect_reject_str("\r\n", IAM_KEYLINE_E_EMPTY);
    expect_reject_str(" \t \r\n", IAM_KEYLINE_E_EMPTY);

    /* A 20 kB body: a valid key padded with a long comment. */
    big = malloc(20001);
    assert_non_null(big);
    ed25519_line(key, sizeof(key), NULL);
    klen = strlen(key);
    memcpy(big, key, klen);
    memset(big + klen, 'c', 20000 - klen);
    big[klen] = ' ';
    big[20000] = '\0';
    expect_reject(big, 20000, IAM_KEYLINE_E_TOO_LONG);

    /* The cap itself is accepted (the long comment is dropped). */
    assert_int_equal(
        parse(big, IAM_KEYLINE_MAX, line, sizeof(line), &k, &reason), 0);
    assert_string_equal(line, key);
    assert_int_equal(k.comment_dropped, IAM_KEYLINE_E_COMMENT_TOO_LONG);
    expect_reject(big, IAM_KEYLINE_MAX + 1, IAM_KEYLINE_E_TOO_LONG);

    /* A 20 kB blob of valid base64. */
    memcpy(big, "ssh-rsa ", 8);
    memset(big + 8, 'A', 20000 - 8);
    expect_reject(big, 20000, IAM_KEYLINE_E_TOO_LONG);
    free(big);
}

static void
test_reject_base64(void **state)
{
    static const char bad_chars[] = { '-',    '_',    '.',    '*',   '!',
                                      '\x7f', '\x80', '\xc3', '\x01' };
    struct blob b;
    char key[LINE_CAP];
    char in[LINE_CAP];
    size_t klen;
    size_t pos;
    size_t i;
    int n;

    (void)state;
    /* A 74-byte blob: its base64 ends in exactly one '='. */
    ed25519_blob(&b, "sk-ssh-ed25519@openssh.com");
    blob_cstr(&b, "ssh:");
    assert_int_equal(b.len, 74);
    make_line(key, sizeof(key), "sk-ssh-ed25519@openssh.com", &b, NULL);
    klen = strlen(key);
    assert_int_equal(key[klen - 1], '=');
    assert_true(key[klen - 2] != '=');
    expect_canonical(key, klen, key);
    pos = strlen("sk-ssh-ed25519@openssh.com ") + 10;

    for (i = 0; i < sizeof(bad_chars); i++) {
        memcpy(in, key, klen + 1);
        in[pos] = bad_chars[i];
        expect_reject(in, klen, IAM_KEYLINE_E_BASE64);
    }

    /* Padding missing, doubled, in the middle, or too much. */
    expect_reject(key, klen - 1, IAM_KEYLINE_E_BASE64_PAD);
    n = snprintf(in, sizeof(in), "%s=", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_BASE64_PAD);
    n = snprintf(in, sizeof(in), "%sAAAA", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_BASE64_PAD);
    memcpy(in, key, klen + 1);
    in[pos] = '=';
    expect_reject(in, klen, IAM_KEYLINE_E_BASE64_PAD);
    expect_reject_str("ssh-ed25519 ====", IAM_KEYLINE_E_BASE64_PAD);
    expect_reject_str("ssh-ed25519 AAA===", IAM_KEYLINE_E_BASE64_PAD);
    expect_reject_str("ssh-ed25519 AAAAA", IAM_KEYLINE_E_BASE64_PAD);
    /* Non-zero spare bits: "AAE=" is canonical, "AAF=" is not. */
    memcpy(in, key, klen + 1);
    in[klen - 2] = (char)(in[klen - 2] + 1);
    expect_reject(in, klen, IAM_KEYLINE_E_BASE64_PAD);
    expect_reject_str("ssh-ed25519 AB==", IAM_KEYLINE_E_BASE64_PAD);
    expect_reject_str("ssh-ed25519 AAF=", IAM_KEYLINE_E_BASE64_PAD);
    /* Those spare-bit-free ones decode but are far too short. */
    expect_reject_str("ssh-ed25519 AAE=", IAM_KEYLINE_E_BLOB_TRUNCATED);
    expect_reject_str("ssh-ed25519 AA==", IAM_KEYLINE_E_BLOB_TRUNCATED);

    /* A 73-byte blob ends in "==": drop one, add one, dirty the bits. */
    ed25519_blob(&b, "sk-ssh-ed25519@openssh.com");
    blob_cstr(&b, "ssh");
    make_line(key, sizeof(key), "sk-ssh-ed25519@openssh.com", &b, NULL);
    klen = strlen(key);
    assert_int_equal(key[klen - 2], '=');
    assert_true(key[klen - 3] != '=');
    expect_canonical(key, klen, key);
    expect_reject(key, klen - 1, IAM_KEYLINE_E_BASE64_PAD);
    expect_reject(key, klen - 2, IAM_KEYLINE_E_BASE64_PAD);
    n = snprintf(in, sizeof(in), "%s=", key);
    expect_reject(in, (size_t)n, IAM_KEYLINE_E_BASE64_PAD);
    memcpy(in, key, klen + 1);
    in[klen - 3] = (char)(in[klen - 3] + 1);
    expect_reject(in, klen, IAM_KEYLINE_E_BASE64_PAD);
}

static void
test_reject_blob(void **state)
{
    struct blob b;
    char in[LINE_CAP];
    size_t n;

    (void)state;
    /* ssh-rsa word with an ed25519 blob, and the other way round. */
    ed25519_blob(&b, "ssh-ed25519");
    n = make_line(in, sizeof(in), "ssh-rsa", &b, "x");
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TYPE);
    rsa_blob(&b, 256, 0xc5);
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TYPE);
    /* Inner type a prefix or extension of the word. */
    ed25519_blob(&b, "ssh-ed2551");
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TYPE);
    ed25519_blob(&b, "ssh-ed25519x");
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TYPE);

    /* Truncated: one byte short, the type string cut, nothing at all. */
    ed25519_blob(&b, "ssh-ed25519");
    b.len--;
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);
    b.len = 8;
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);
    b.len = 3;
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);
    ed25519_blob(&b, "ssh-ed25519");
    b.len -= 32;
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);
    rsa_blob(&b, 256, 0xc5);
    b.len -= 10;
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);
    /* A length field near 2^32 must not wrap. */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ssh-ed25519");
    blob_u32(&b, 0xffffffffu);
    blob_fill(&b, 32, 1, 1);
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRUNCATED);

    /* Trailing bytes. */
    ed25519_blob(&b, "ssh-ed25519");
    blob_bytes(&b, "\0", 1);
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRAILING);
    rsa_blob(&b, 256, 0xc5);
    blob_cstr(&b, "");
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_TRAILING);

    /* ed25519 key of the wrong size. */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ssh-ed25519");
    blob_fill(&b, 31, 1, 2);
    n = make_line(in, sizeof(in), "ssh-ed25519", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);
}

static void
test_rsa_ecdsa_shapes(void **state)
{
    static const uint8_t e[3] = { 0x01, 0x00, 0x01 };
    struct blob b;
    char in[LINE_CAP];
    char line[LINE_CAP];
    struct iam_keyline key;
    uint8_t pt[97];
    int reason = -1;
    size_t n;

    (void)state;
    /* Sizes are reported, not enforced. */
    rsa_blob(&b, 128, 0x95);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    assert_int_equal(key.bits, 1024);
    rsa_blob(&b, 512, 0x35);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    assert_int_equal(key.bits, 4096 - 2);
    rsa_blob(&b, 2048, 0xff);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    assert_int_equal(key.bits, 16384);
    /* Beyond OpenSSH's 16384-bit bignum limit. */
    rsa_blob(&b, 2049, 0x01);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);

    /* Negative n (sign bit without the zero byte). */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ssh-rsa");
    blob_str(&b, e, sizeof(e));
    blob_fill(&b, 256, 0xc5, 0x33);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);
    /* Non-minimal n (a zero byte not needed for the sign). */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ssh-rsa");
    blob_str(&b, e, sizeof(e));
    blob_fill(&b, 257, 0x00, 0x33);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);
    /* Empty (zero) e. */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ssh-rsa");
    blob_str(&b, e, 0);
    blob_fill(&b, 256, 0x45, 0x33);
    n = make_line(in, sizeof(in), "ssh-rsa", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);

    /* ecdsa: curve mismatch, compressed point, wrong length. */
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ecdsa-sha2-nistp256");
    blob_cstr(&b, "nistp384");
    blob_str(&b, p256_g, sizeof(p256_g));
    n = make_line(in, sizeof(in), "ecdsa-sha2-nistp256", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_CURVE);
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ecdsa-sha2-nistp256");
    blob_cstr(&b, "nistp256");
    blob_str(&b, p256_g, sizeof(p256_g));
    n = make_line(in, sizeof(in), "ecdsa-sha2-nistp256", &b, NULL);
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    b.p[b.len - 65] = 0x02;
    n = make_line(in, sizeof(in), "ecdsa-sha2-nistp256", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ecdsa-sha2-nistp384");
    blob_cstr(&b, "nistp384");
    blob_str(&b, p256_g, sizeof(p256_g));
    n = make_line(in, sizeof(in), "ecdsa-sha2-nistp384", &b, NULL);
    expect_reject(in, n, IAM_KEYLINE_E_BLOB_MALFORMED);
    memset(pt, 0x11, sizeof(pt));
    pt[0] = 0x04;
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "ecdsa-sha2-nistp384");
    blob_cstr(&b, "nistp384");
    blob_str(&b, pt, sizeof(pt));
    n = make_line(in, sizeof(in), "ecdsa-sha2-nistp384", &b, NULL);
    assert_int_equal(parse(in, n, line, sizeof(line), &key, &reason), 0);
    assert_int_equal(key.bits, 384);
    assert_string_equal(key.type, "ecdsa-sha2-nistp384");
}

static void
test_buffer_too_small(void **state)
{
    char want[LINE_CAP];
    char line[LINE_CAP];
    struct iam_keyline key;
    size_t len;
    int reason = -1;

    (void)state;
    ed25519_line(want, sizeof(want), "carol");
    len = strlen(want);
    assert_int_equal(parse(want, len, line, len + 1, &key, &reason), 0);
    assert_string_equal(line, want);

    memset(line, 'x', sizeof(line));
    assert_int_equal(parse(want, len, line, len, &key, &reason), -ERANGE);
    assert_int_equal(reason, 0);
    assert_string_equal(line, "");
    assert_null(key.type);
    assert_string_equal(key.fingerprint, "");
    assert_int_equal(parse(want, len, NULL, 0, &key, &reason), -ERANGE);
    /* A refused line is refused whatever the buffer. */
    assert_int_equal(parse("ssh-dss AAAA", 12, NULL, 0, &key, &reason),
                     -EINVAL);
    assert_int_equal(reason, IAM_KEYLINE_E_TYPE);
}

static void
test_blob_equals_and_fingerprint(void **state)
{
    char line[LINE_CAP];
    char other[LINE_CAP];
    char b64part[LINE_CAP];
    char want_fp[128];
    char fp[IAM_KEYLINE_FP_SIZE];
    struct blob b;
    size_t n;

    (void)state;
    ed25519_line(line, sizeof(line), "dave");
    n = strcspn(line + strlen("ssh-ed25519 "), " ");
    memcpy(b64part, line + strlen("ssh-ed25519 "), n);
    b64part[n] = '\0';

    assert_int_equal(iam_keyline_blob_equals(line, b64part), 1);
    ed25519_line(other, sizeof(other), NULL);
    assert_int_equal(iam_keyline_blob_equals(other, b64part), 1);
    rsa_blob(&b, 256, 0xc5);
    make_line(other, sizeof(other), "ssh-rsa", &b, "dave");
    assert_int_equal(iam_keyline_blob_equals(other, b64part), 0);
    /* A prefix of the blob is not the blob. */
    b64part[n - 4] = '\0';
    assert_int_equal(iam_keyline_blob_equals(line, b64part), 0);
    b64part[n - 4] = line[strlen("ssh-ed25519 ") + n - 4];
    /* Nor is a longer blob that starts with the line's. */
    memcpy(b64part + n, "AAAA", 5);
    assert_int_equal(iam_keyline_blob_equals(line, b64part), 0);
    b64part[n] = '\0';
    assert_int_equal(iam_keyline_blob_equals(line, b64part), 1);
    /* Not strict base64, or not a line. */
    assert_int_equal(iam_keyline_blob_equals(line, ""), -EINVAL);
    assert_int_equal(iam_keyline_blob_equals(line, "AAAA\n"), -EINVAL);
    assert_int_equal(iam_keyline_blob_equals(line, "AAA"), -EINVAL);
    assert_int_equal(iam_keyline_blob_equals("ssh-ed25519", b64part), -EINVAL);
    assert_int_equal(iam_keyline_blob_equals(" AAAA", "AAAA"), -EINVAL);
    assert_int_equal(iam_keyline_blob_equals("ssh-ed25519 ", b64part), -EINVAL);

    ed25519_blob(&b, "ssh-ed25519");
    expect_fp(&b, want_fp, sizeof(want_fp));
    assert_int_equal(iam_keyline_fingerprint(b64part, n, fp), 0);
    assert_string_equal(fp, want_fp);
    /* Any blob is fingerprinted, known key shape or not. */
    assert_int_equal(iam_keyline_fingerprint("AAAA", 4, fp), 0);
    memset(&b, 0, sizeof(b));
    blob_u32(&b, 0);
    b.len = 3;
    expect_fp(&b, want_fp, sizeof(want_fp));
    assert_string_equal(fp, want_fp);
    /* Empty or sloppy base64 is refused and leaves "" behind. */
    assert_int_equal(iam_keyline_fingerprint("", 0, fp), -EINVAL);
    assert_string_equal(fp, "");
    assert_int_equal(iam_keyline_fingerprint("AAAA\n", 5, fp), -EINVAL);
    assert_int_equal(iam_keyline_fingerprint("AAA", 3, fp), -EINVAL);
    assert_int_equal(iam_keyline_fingerprint("AB==", 4, fp), -EINVAL);
    assert_string_equal(fp, "");
}

static void
test_strerror(void **state)
{
    int i;
    int j;

    (void)state;
    assert_string_equal(iam_keyline_strerror(IAM_KEYLINE_E_OPTIONS),
                        "key options are not allowed");
    assert_string_equal(iam_keyline_strerror(IAM_KEYLINE_E_BLOB_TYPE),
                        "key type does not match key data");
    assert_string_equal(iam_keyline_strerror(-1), "unknown key line error");
    assert_string_equal(
        iam_keyline_strerror(IAM_KEYLINE_E_COMMENT_TOO_LONG + 1),
        "unknown key line error");
    /* Every reason has its own text. */
    for (i = 0; i <= IAM_KEYLINE_E_COMMENT_TOO_LONG; i++) {
        assert_true(strlen(iam_keyline_strerror(i)) > 0);
        assert_string_not_equal(iam_keyline_strerror(i),
                                "unknown key line error");
        for (j = 0; j < i; j++)
            assert_string_not_equal(iam_keyline_strerror(i),
                                    iam_keyline_strerror(j));
    }
}

/* ---- random mutations ---- */

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t
mutate(uint64_t *s, char *buf, size_t len, size_t cap)
{
    static const char special[] = { '\n', '\r', '\0', ' ', '\t',   '=',   '"',
                                    ',',  '/',  '+',  'A', '\x1b', '\x7f' };
    size_t rounds = 1 + rnd(s) % 4;
    size_t pos;
    char c;

    while (rounds-- > 0) {
        pos = len ? rnd(s) % len : 0;
        c = rnd(s) % 2 ? special[rnd(s) % sizeof(special)] : (char)rnd(s);
        switch (rnd(s) % 6) {
        case 0: /* overwrite */
            if (len)
                buf[pos] = c;
            break;
        case 1: /* insert */
            if (len + 1 < cap) {
                memmove(buf + pos + 1, buf + pos, len - pos);
                buf[pos] = c;
                len++;
            }
            break;
        case 2: /* delete */
            if (len) {
                memmove(buf + pos, buf + pos + 1, len - pos - 1);
                len--;
            }
            break;
        case 3: /* truncate */
            len = pos;
            break;
        case 4: /* flip one bit */
            if (len)
                buf[pos] = (char)(buf[pos] ^ (1 << (rnd(s) % 8)));
            break;
        default: /* duplicate a piece at the end */
            if (len && len + (len - pos) < cap) {
                memcpy(buf + len, buf + pos, len - pos);
                len += len - pos;
            }
            break;
        }
    }
    return len;
}

static void
check_reparse(const char *line, const struct iam_keyline *key)
{
    char again[LINE_CAP];
    char b64part[LINE_CAP];
    struct iam_keyline key2;
    int reason = -1;
    size_t i;
    size_t n;

    assert_int_equal(strlen(line), key->line_len);
    for (i = 0; i < key->line_len; i++)
        assert_true(line[i] >= 0x20 && line[i] <= 0x7e);
    assert_int_equal(
        parse(line, key->line_len, again, sizeof(again), &key2, &reason), 0);
    assert_string_equal(again, line);
    assert_string_equal(key2.fingerprint, key->fingerprint);
    assert_string_equal(key2.type, key->type);
    assert_int_equal(key2.bits, key->bits);
    assert_int_equal(key2.key_len, key->key_len);
    assert_int_equal(key2.comment_dropped, 0);
    n = key->key_len - strlen(key->type) - 1;
    memcpy(b64part, line + strlen(key->type) + 1, n);
    b64part[n] = '\0';
    assert_int_equal(iam_keyline_blob_equals(line, b64part), 1);
}

static void
test_fuzz(void **state)
{
    char seeds[3][LINE_CAP];
    char buf[LINE_CAP];
    char line[LINE_CAP];
    struct iam_keyline key;
    struct blob b;
    uint64_t s = 0x9e3779b97f4a7c15ull;
    int reason;
    int r;
    int i;
    int ok = 0;
    int refused = 0;
    size_t len;

    (void)state;
    ed25519_line(seeds[0], sizeof(seeds[0]), "fuzz@example\n");
    rsa_blob(&b, 256, 0xc5);
    make_line(seeds[1], sizeof(seeds[1]), "ssh-rsa", &b, "rsa key");
    memset(&b, 0, sizeof(b));
    blob_cstr(&b, "sk-ecdsa-sha2-nistp256@openssh.com");
    blob_cstr(&b, "nistp256");
    blob_str(&b, p256_g, sizeof(p256_g));
    blob_cstr(&b, "ssh:");
    make_line(seeds[2], sizeof(seeds[2]), "sk-ecdsa-sha2-nistp256@openssh.com",
              &b, NULL);

    for (i = 0; i < 10000; i++) {
        const char *seed = seeds[i % 3];

        len = strlen(seed);
        memcpy(buf, seed, len);
        len = mutate(&s, buf, len, sizeof(buf));
        reason = -1;
        r = parse(buf, len, line, sizeof(line), &key, &reason);
        if (r == 0) {
            assert_int_equal(reason, 0);
            check_reparse(line, &key);
            ok++;
        } else {
            assert_int_equal(r, -EINVAL);
            assert_true(reason > IAM_KEYLINE_OK &&
                        reason < IAM_KEYLINE_E_COMMENT_CHAR);
            assert_string_equal(line, "");
            refused++;
        }
    }
    /* Both outcomes must have been exercised. */
    assert_true(ok > 100);
    assert_true(refused > 1000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keygen_keys, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_sk_keys, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_sk_rejects),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_comment_dropped),
        cmocka_unit_test(test_reject_options),
        cmocka_unit_test(test_reject_newline_cr_nul),
        cmocka_unit_test(test_reject_type),
        cmocka_unit_test(test_reject_empty_and_long),
        cmocka_unit_test(test_reject_base64),
        cmocka_unit_test(test_reject_blob),
        cmocka_unit_test(test_rsa_ecdsa_shapes),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_blob_equals_and_fingerprint),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("keyline", tests, NULL, NULL);
}
