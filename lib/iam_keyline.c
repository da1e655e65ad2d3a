#include "iam_keyline.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "iam_ctype.h"
#include "iam_sha256.h"

/*
 * Blob shapes (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4, OpenSSH
 * PROTOCOL.u2f), all SSH strings (u32 big-endian length, then bytes):
 *
 *   ssh-ed25519      type, pk[32]
 *   ssh-rsa          type, mpint e, mpint n
 *   ecdsa-sha2-*     type, curve name, point (0x04 || X || Y)
 *   sk-ssh-ed25519   type, pk[32], application
 *   sk-ecdsa-sha2-*  type, curve name, point, application
 *
 * Beyond these shapes the blob must be the one OpenSSH itself would
 * serialize for the key: sshd re-serializes the key a client offers
 * before it hashes it for its log or passes it as %k, so a blob with a
 * different spelling of the same key (an mpint with extra zero bytes, a
 * compressed point) would get a fingerprint that matches nothing sshd
 * prints, and would never compare equal to %k.
 */

enum key_kind {
    KIND_ED25519,
    KIND_RSA,
    KIND_ECDSA,
    KIND_SK_ED25519,
    KIND_SK_ECDSA,
};

struct key_type {
    const char *name;
    enum key_kind kind;
    const char *curve; /* ecdsa only */
    size_t point_len;  /* ecdsa only: 1 + 2 * field bytes */
    unsigned int bits; /* fixed size; 0 for RSA */
};

static const struct key_type key_types[] = {
    { "ssh-ed25519", KIND_ED25519, NULL, 0, 256 },
    { "ssh-rsa", KIND_RSA, NULL, 0, 0 },
    { "ecdsa-sha2-nistp256", KIND_ECDSA, "nistp256", 65, 256 },
    { "ecdsa-sha2-nistp384", KIND_ECDSA, "nistp384", 97, 384 },
    { "ecdsa-sha2-nistp521", KIND_ECDSA, "nistp521", 133, 521 },
    { "sk-ssh-ed25519@openssh.com", KIND_SK_ED25519, NULL, 0, 256 },
    { "sk-ecdsa-sha2-nistp256@openssh.com", KIND_SK_ECDSA, "nistp256", 65,
      256 },
};

#define ED25519_PK_LEN 32
/* OpenSSH's SSHBUF_MAX_BIGNUM (16384 bits) plus the sign byte: sshd
 * refuses any longer mpint, so such a key could never log in. */
#define MPINT_MAX_LEN (16384 / 8 + 1)
#define FP_PREFIX "SHA256:"
#define FP_PREFIX_LEN (sizeof(FP_PREFIX) - 1)

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char *const reasons[] = {
    [IAM_KEYLINE_OK] = "ok",
    [IAM_KEYLINE_E_EMPTY] = "empty key line",
    [IAM_KEYLINE_E_TOO_LONG] = "key line too long",
    [IAM_KEYLINE_E_NUL] = "NUL byte in key line",
    [IAM_KEYLINE_E_NEWLINE] = "more than one line",
    [IAM_KEYLINE_E_CR] = "carriage return inside key line",
    [IAM_KEYLINE_E_CONTROL_CHAR] = "control or non-ASCII byte in key type",
    [IAM_KEYLINE_E_OPTIONS] = "key options are not allowed",
    [IAM_KEYLINE_E_TYPE] = "unsupported key type",
    [IAM_KEYLINE_E_NO_BLOB] = "key data missing",
    [IAM_KEYLINE_E_BASE64] = "invalid base64 character in key data",
    [IAM_KEYLINE_E_BASE64_PAD] = "bad base64 length or padding",
    [IAM_KEYLINE_E_BLOB_TRUNCATED] = "key data truncated",
    [IAM_KEYLINE_E_BLOB_TYPE] = "key type does not match key data",
    [IAM_KEYLINE_E_BLOB_CURVE] = "curve does not match key type",
    [IAM_KEYLINE_E_BLOB_MALFORMED] = "malformed key data",
    [IAM_KEYLINE_E_BLOB_TRAILING] = "trailing bytes after key data",
    [IAM_KEYLINE_E_COMMENT_CHAR] = "comment has unprintable characters",
    [IAM_KEYLINE_E_COMMENT_TOO_LONG] = "comment too long",
};

/* The parts of a line, as views into the caller's input. */
struct fields {
    const struct key_type *kt;
    const char *b64;
    size_t b64_len;
    const char *comment; /* NULL when there is none */
    size_t comment_len;
};

/* A read cursor over a blob. */
struct cur {
    const uint8_t *p;
    size_t left;
};

static bool
is_printable(char c)
{
    return c >= 0x20 && c <= 0x7e;
}

static int
b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Characters b64_encode() writes for @n bytes. */
static size_t
b64_encoded_len(size_t n, bool pad)
{
    size_t full = n / 3 * 4;

    if (n % 3 == 0 || pad)
        return full + (n % 3 ? 4 : 0);
    return full + n % 3 + 1;
}

/* Encode @n bytes at @in into @out (b64_encoded_len() bytes, no NUL). */
static void
b64_encode(const uint8_t *in, size_t n, bool pad, char *out)
{
    size_t i;
    size_t o = 0;
    uint32_t v;

    for (i = 0; i + 3 <= n; i += 3) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 0)
        return;
    v = (uint32_t)in[i] << 16;
    if (n - i == 2)
        v |= (uint32_t)in[i + 1] << 8;
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    if (n - i == 2)
        out[o++] = b64_alphabet[v >> 6 & 63];
    else if (pad)
        out[o++] = '=';
    if (pad)
        out[o++] = '=';
}

/*
 * Check that @s is strict base64 and decode it into @out (NULL: check
 * only). Strict means one spelling per byte string: whole quanta, '='
 * only to pad the last one, unused bits zero. That is what lets callers
 * compare blobs by comparing their base64.
 */
static enum iam_keyline_reason
b64_decode(const char *s, size_t len, uint8_t *out, size_t out_size,
           size_t *ret_len)
{
    size_t pad = 0;
    size_t i;
    size_t o = 0;
    size_t n;
    uint32_t v = 0;
    int d;

    *ret_len = 0;
    if (len == 0)
        return IAM_KEYLINE_E_NO_BLOB;
    while (pad < len && s[len - 1 - pad] == '=')
        pad++;
    for (i = 0; i < len - pad; i++) {
        if (s[i] == '=')
            return IAM_KEYLINE_E_BASE64_PAD;
        if (b64_value(s[i]) < 0)
            return IAM_KEYLINE_E_BASE64;
    }
    if (pad > 2 || len % 4 != 0)
        return IAM_KEYLINE_E_BASE64_PAD;
    n = len / 4 * 3 - pad;
    if (n > out_size)
        return IAM_KEYLINE_E_TOO_LONG;
    for (i = 0; i < len - pad; i++) {
        d = b64_value(s[i]);
        v = v << 6 | (uint32_t)d;
        if (i % 4 != 3)
            continue;
        if (out) {
            out[o] = (uint8_t)(v >> 16);
            out[o + 1] = (uint8_t)(v >> 8);
            out[o + 2] = (uint8_t)v;
        }
        o += 3;
        v = 0;
    }
    /* The last quantum: 3 characters carry 2 bytes and 2 spare bits,
     * 2 characters carry 1 byte and 4 spare bits. */
    if (pad == 1) {
        if (v & 0x3)
            return IAM_KEYLINE_E_BASE64_PAD;
        if (out) {
            out[o] = (uint8_t)(v >> 10);
            out[o + 1] = (uint8_t)(v >> 2);
        }
    } else if (pad == 2) {
        if (v & 0xf)
            return IAM_KEYLINE_E_BASE64_PAD;
        if (out)
            out[o] = (uint8_t)(v >> 4);
    }
    *ret_len = n;
    return IAM_KEYLINE_OK;
}

static const struct key_type *
find_type(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
        if (strlen(key_types[i].name) == len &&
            memcmp(key_types[i].name, s, len) == 0)
            return &key_types[i];
    }
    return NULL;
}

static size_t
token_len(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && !iam_is_blank(s[i]))
        i++;
    return i;
}

static size_t
blanks_len(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && iam_is_blank(s[i]))
        i++;
    return i;
}

/*
 * The first word of @s (@tok_len bytes) is no key type: tell options
 * (an authorized_keys prefix such as command="..." or no-pty, which
 * always come before a key type) from a plain unknown type.
 */
static enum iam_keyline_reason
classify_unknown(const char *s, size_t len, size_t tok_len)
{
    size_t i;
    size_t n;

    for (i = 0; i < tok_len; i++) {
        if (!is_printable(s[i]))
            return IAM_KEYLINE_E_CONTROL_CHAR;
    }
    if (memchr(s, '=', tok_len) || memchr(s, '"', tok_len) ||
        memchr(s, ',', tok_len))
        return IAM_KEYLINE_E_OPTIONS;
    i = tok_len;
    while (i < len) {
        i += blanks_len(s + i, len - i);
        n = token_len(s + i, len - i);
        if (n > 0 && find_type(s + i, n))
            return IAM_KEYLINE_E_OPTIONS;
        i += n;
    }
    return IAM_KEYLINE_E_TYPE;
}

/*
 * Drop one final "\n" or "\r\n" and the blanks around the line, refuse
 * any NUL, CR or LF left, and split it into type, base64 and comment.
 */
static enum iam_keyline_reason
split_line(const char *in, size_t len, struct fields *ret)
{
    size_t start = 0;
    size_t end = len;
    size_t n;

    memset(ret, 0, sizeof(*ret));
    if (len == 0)
        return IAM_KEYLINE_E_EMPTY;
    if (len > IAM_KEYLINE_MAX)
        return IAM_KEYLINE_E_TOO_LONG;
    if (memchr(in, '\0', len))
        return IAM_KEYLINE_E_NUL;
    if (in[end - 1] == '\n') {
        end--;
        if (end > 0 && in[end - 1] == '\r')
            end--;
    }
    while (end > start && iam_is_blank(in[end - 1]))
        end--;
    start = blanks_len(in, end);
    if (start == end)
        return IAM_KEYLINE_E_EMPTY;
    in += start;
    len = end - start;
    if (memchr(in, '\n', len))
        return IAM_KEYLINE_E_NEWLINE;
    if (memchr(in, '\r', len))
        return IAM_KEYLINE_E_CR;

    n = token_len(in, len);
    ret->kt = find_type(in, n);
    if (!ret->kt)
        return classify_unknown(in, len, n);
    n += blanks_len(in + n, len - n);
    if (n == len)
        return IAM_KEYLINE_E_NO_BLOB;
    ret->b64 = in + n;
    ret->b64_len = token_len(in + n, len - n);
    n += ret->b64_len;
    n += blanks_len(in + n, len - n);
    if (n < len) {
        ret->comment = in + n;
        ret->comment_len = len - n;
    }
    return IAM_KEYLINE_OK;
}

static enum iam_keyline_reason
get_string(struct cur *c, const uint8_t **ret_p, size_t *ret_len)
{
    uint32_t n;

    *ret_p = NULL;
    *ret_len = 0;
    if (c->left < 4)
        return IAM_KEYLINE_E_BLOB_TRUNCATED;
    n = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
        (uint32_t)c->p[2] << 8 | c->p[3];
    if (n > c->left - 4)
        return IAM_KEYLINE_E_BLOB_TRUNCATED;
    *ret_p = c->p + 4;
    *ret_len = n;
    c->p += 4 + (size_t)n;
    c->left -= 4 + (size_t)n;
    return IAM_KEYLINE_OK;
}

static bool
bytes_eq(const uint8_t *p, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(p, s, len) == 0;
}

/*
 * A positive mpint in its one minimal form (RFC 4251 5): no sign bit,
 * and a leading zero byte only when the next byte has its top bit set.
 * Zero is refused: neither e nor n of a usable key is zero.
 */
static enum iam_keyline_reason
get_mpint(struct cur *c, unsigned int *ret_bits)
{
    enum iam_keyline_reason r;
    const uint8_t *p;
    size_t n;
    unsigned int top;

    *ret_bits = 0;
    r = get_string(c, &p, &n);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (n == 0 || n > MPINT_MAX_LEN || (p[0] & 0x80))
        return IAM_KEYLINE_E_BLOB_MALFORMED;
    if (p[0] == 0) {
        if (n == 1 || !(p[1] & 0x80))
            return IAM_KEYLINE_E_BLOB_MALFORMED;
        p++;
        n--;
    }
    if (n > MPINT_MAX_LEN - 1)
        return IAM_KEYLINE_E_BLOB_MALFORMED;
    top = 0;
    while ((p[0] >> top) != 0)
        top++;
    *ret_bits = (unsigned int)(n - 1) * 8 + top;
    return IAM_KEYLINE_OK;
}

/* An application string, as OpenSSH reads it: a C string, so no NUL. */
static enum iam_keyline_reason
get_application(struct cur *c)
{
    enum iam_keyline_reason r;
    const uint8_t *p;
    size_t n;

    r = get_string(c, &p, &n);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (memchr(p, '\0', n))
        return IAM_KEYLINE_E_BLOB_MALFORMED;
    return IAM_KEYLINE_OK;
}

/* Curve name and uncompressed point, as OpenSSH writes them. */
static enum iam_keyline_reason
get_ec_point(struct cur *c, const struct key_type *kt)
{
    enum iam_keyline_reason r;
    const uint8_t *p;
    size_t n;

    r = get_string(c, &p, &n);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (!bytes_eq(p, n, kt->curve))
        return IAM_KEYLINE_E_BLOB_CURVE;
    r = get_string(c, &p, &n);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (n != kt->point_len || p[0] != 0x04)
        return IAM_KEYLINE_E_BLOB_MALFORMED;
    return IAM_KEYLINE_OK;
}

static enum iam_keyline_reason
get_ed25519_pk(struct cur *c)
{
    enum iam_keyline_reason r;
    const uint8_t *p;
    size_t n;

    r = get_string(c, &p, &n);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (n != ED25519_PK_LEN)
        return IAM_KEYLINE_E_BLOB_MALFORMED;
    return IAM_KEYLINE_OK;
}

/* The fields after the type string, per kind; see the table on top. */
static enum iam_keyline_reason
check_key_fields(struct cur *c, const struct key_type *kt,
                 unsigned int *ret_bits)
{
    enum iam_keyline_reason r;
    unsigned int e_bits;

    *ret_bits = kt->bits;
    switch (kt->kind) {
    case KIND_ED25519:
        return get_ed25519_pk(c);
    case KIND_SK_ED25519:
        r = get_ed25519_pk(c);
        if (r != IAM_KEYLINE_OK)
            return r;
        return get_application(c);
    case KIND_ECDSA:
        return get_ec_point(c, kt);
    case KIND_SK_ECDSA:
        r = get_ec_point(c, kt);
        if (r != IAM_KEYLINE_OK)
            return r;
        return get_application(c);
    case KIND_RSA:
        r = get_mpint(c, &e_bits);
        if (r != IAM_KEYLINE_OK)
            return r;
        return get_mpint(c, ret_bits);
    }
    return IAM_KEYLINE_E_BLOB_MALFORMED;
}

static enum iam_keyline_reason
check_blob(const struct key_type *kt, const uint8_t *blob, size_t len,
           unsigned int *ret_bits)
{
    struct cur c = { blob, len };
    enum iam_keyline_reason r;
    const uint8_t *p;
    size_t n;

    *ret_bits = 0;
    r = get_string(&c, &p, &n);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (!bytes_eq(p, n, kt->name))
        return IAM_KEYLINE_E_BLOB_TYPE;
    r = check_key_fields(&c, kt, ret_bits);
    if (r != IAM_KEYLINE_OK)
        return r;
    if (c.left != 0)
        return IAM_KEYLINE_E_BLOB_TRAILING;
    return IAM_KEYLINE_OK;
}

/* 0 when the comment can be emitted, else why it is dropped. */
static enum iam_keyline_reason
check_comment(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (!is_printable(s[i]))
            return IAM_KEYLINE_E_COMMENT_CHAR;
    }
    if (len > IAM_KEYLINE_COMMENT_MAX)
        return IAM_KEYLINE_E_COMMENT_TOO_LONG;
    return IAM_KEYLINE_OK;
}

/* "SHA256:" + unpadded base64 of SHA-256(blob), as ssh-keygen -l. */
static void
fingerprint_blob(const uint8_t *blob, size_t len,
                 char ret_fp[IAM_KEYLINE_FP_SIZE])
{
    uint8_t md[IAM_SHA256_LEN];

    iam_sha256(blob, len, md);
    memcpy(ret_fp, FP_PREFIX, FP_PREFIX_LEN);
    b64_encode(md, sizeof(md), false, ret_fp + FP_PREFIX_LEN);
    ret_fp[FP_PREFIX_LEN + b64_encoded_len(sizeof(md), false)] = '\0';
}

/*
 * Write "TYPE BASE64[ comment]" into @line, or return -ERANGE without
 * writing when it does not fit. The base64 is re-encoded from the
 * checked blob rather than copied from the input, so the output is
 * canonical by construction, not by the decoder's strictness alone.
 */
static int
write_line(const struct fields *f, const uint8_t *blob, size_t blob_len,
           bool with_comment, char *line, size_t line_size, size_t *ret_len,
           size_t *ret_key_len)
{
    size_t type_len = strlen(f->kt->name);
    size_t enc_len = b64_encoded_len(blob_len, true);
    size_t key_len = type_len + 1 + enc_len;
    size_t total = key_len + (with_comment ? 1 + f->comment_len : 0);
    char *p = line;

    *ret_len = 0;
    *ret_key_len = 0;
    if (total >= line_size)
        return -ERANGE;
    memcpy(p, f->kt->name, type_len);
    p += type_len;
    *p++ = ' ';
    b64_encode(blob, blob_len, true, p);
    p += enc_len;
    if (with_comment) {
        *p++ = ' ';
        memcpy(p, f->comment, f->comment_len);
        p += f->comment_len;
    }
    *p = '\0';
    *ret_len = total;
    *ret_key_len = key_len;
    return 0;
}

int
iam_keyline_parse(const char *in, size_t in_len, char *line, size_t line_size,
                  struct iam_keyline *ret_key, int *ret_reason)
{
    uint8_t blob[IAM_KEYLINE_BLOB_MAX];
    char fp[IAM_KEYLINE_FP_SIZE];
    struct fields f;
    enum iam_keyline_reason reason;
    size_t blob_len = 0;
    size_t line_len = 0;
    size_t key_len = 0;
    unsigned int bits = 0;
    int dropped = IAM_KEYLINE_OK;
    int r;

    memset(ret_key, 0, sizeof(*ret_key));
    *ret_reason = IAM_KEYLINE_OK;
    if (line_size > 0)
        line[0] = '\0';

    reason = split_line(in, in_len, &f);
    if (reason == IAM_KEYLINE_OK)
        reason = b64_decode(f.b64, f.b64_len, blob, sizeof(blob), &blob_len);
    if (reason == IAM_KEYLINE_OK)
        reason = check_blob(f.kt, blob, blob_len, &bits);
    if (reason != IAM_KEYLINE_OK) {
        *ret_reason = reason;
        r = -EINVAL;
        goto out;
    }
    if (f.comment)
        dropped = check_comment(f.comment, f.comment_len);
    fingerprint_blob(blob, blob_len, fp);
    r = write_line(&f, blob, blob_len, f.comment && !dropped, line, line_size,
                   &line_len, &key_len);
    if (r < 0)
        goto out;
    ret_key->type = f.kt->name;
    ret_key->bits = bits;
    ret_key->line_len = line_len;
    ret_key->key_len = key_len;
    ret_key->comment_dropped = dropped;
    memcpy(ret_key->fingerprint, fp, sizeof(fp));
out:
    return r;
}

int
iam_keyline_blob_equals(const char *line, const char *b64)
{
    const char *sp = strchr(line, ' ');
    size_t b64_len = strlen(b64);
    size_t n;
    size_t blob_len;

    if (b64_decode(b64, b64_len, NULL, IAM_KEYLINE_BLOB_MAX, &blob_len) !=
        IAM_KEYLINE_OK)
        return -EINVAL;
    if (!sp || sp == line)
        return -EINVAL;
    sp++;
    n = strcspn(sp, " ");
    if (n == 0)
        return -EINVAL;
    return n == b64_len && memcmp(sp, b64, n) == 0;
}

int
iam_keyline_fingerprint(const char *b64, size_t b64_len,
                        char ret_fp[IAM_KEYLINE_FP_SIZE])
{
    uint8_t blob[IAM_KEYLINE_BLOB_MAX];
    size_t blob_len;

    ret_fp[0] = '\0';
    if (b64_decode(b64, b64_len, blob, sizeof(blob), &blob_len) !=
        IAM_KEYLINE_OK)
        return -EINVAL;
    fingerprint_blob(blob, blob_len, ret_fp);
    return 0;
}

int
iam_keyline_parse_blob(const char *b64, size_t b64_len,
                       struct iam_keyline *ret_key, int *ret_reason)
{
    uint8_t blob[IAM_KEYLINE_BLOB_MAX];
    const struct key_type *kt = NULL;
    enum iam_keyline_reason reason;
    size_t blob_len = 0;
    size_t name_len = 0;
    const uint8_t *name = NULL;
    unsigned int bits = 0;
    struct cur c;

    memset(ret_key, 0, sizeof(*ret_key));
    reason = b64_decode(b64, b64_len, blob, sizeof(blob), &blob_len);
    if (reason == IAM_KEYLINE_OK && blob_len == 0)
        reason = IAM_KEYLINE_E_NO_BLOB;
    if (reason == IAM_KEYLINE_OK) {
        c.p = blob;
        c.left = blob_len;
        reason = get_string(&c, &name, &name_len);
    }
    /* The type comes from the blob itself; check_blob() then reads it
     * again with the rest, as for a line. */
    if (reason == IAM_KEYLINE_OK) {
        kt = find_type((const char *)name, name_len);
        if (!kt)
            reason = IAM_KEYLINE_E_TYPE;
    }
    if (reason == IAM_KEYLINE_OK)
        reason = check_blob(kt, blob, blob_len, &bits);
    *ret_reason = reason;
    if (reason != IAM_KEYLINE_OK)
        return -EINVAL;
    ret_key->type = kt->name;
    ret_key->bits = bits;
    fingerprint_blob(blob, blob_len, ret_key->fingerprint);
    return 0;
}

const char *
iam_keyline_strerror(int reason)
{
    size_t n = sizeof(reasons) / sizeof(reasons[0]);

    if (reason < 0 || (size_t)reason >= n || !reasons[reason])
        return "unknown key line error";
    return reasons[reason];
}
