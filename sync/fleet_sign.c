#include "fleet_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "iam_log.h"

#define PUB_LEN 32
/* A PEM Ed25519 key is 119 bytes; RSA 4096 keys are about 3.3 KB. */
#define KEY_FILE_MAX 16384

static int
openssl_failed(const char *what)
{
    unsigned long e = ERR_get_error();
    char detail[256] = "";

    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    iam_log(LOG_ERR, "%s failed%s%s", what, detail[0] ? ": " : "", detail);
    return -EIO;
}

/*
 * Strict base64 of exactly @n bytes: EVP_DecodeBlock accepts padding
 * and more, so the result is encoded again and must give the input back.
 */
static int
b64_decode_exact(const char *s, uint8_t *out, size_t n)
{
    uint8_t buf[128];
    char again[2 * sizeof(buf)];
    size_t len = strlen(s);
    int got;

    if (len != 4 * ((n + 2) / 3) || len >= sizeof(again))
        return -EBADMSG;
    got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
    if (got < (int)n)
        return -EBADMSG;
    EVP_EncodeBlock((unsigned char *)again, buf, (int)n);
    if (strcmp(again, s) != 0)
        return -EBADMSG;
    memcpy(out, buf, n);
    return 0;
}

/* An encrypted key is refused, never asked for on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)arg;
    return -1;
}

/*
 * The key file's bytes, read whole into @buf (wiped by the caller): a
 * private key must not linger in a stdio buffer freed unwiped.
 */
static ssize_t
read_key_file(const char *path, char *buf, size_t size)
{
    struct stat st;
    ssize_t n, got = 0;
    int fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        e = errno;
        iam_log(LOG_ERR, "SIGNING_KEY %s: %s", path, strerrordesc_np(e));
        return -e;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & (S_IRWXG | S_IRWXO))) {
        iam_log(LOG_ERR,
                "SIGNING_KEY %s: must be a regular file owned by "
                "root with no access for group or others (chmod 0600)",
                path);
        close(fd);
        return -EACCES;
    }
    while ((size_t)got < size &&
           (n = read(fd, buf + got, size - (size_t)got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            close(fd);
            iam_log(LOG_ERR, "SIGNING_KEY %s: %s", path, strerrordesc_np(e));
            return -e;
        }
        got += n;
    }
    close(fd);
    return got;
}

int
fleet_signer_load(const char *path, struct fleet_signer *ret)
{
    char buf[KEY_FILE_MAX];
    EVP_PKEY *pk = NULL;
    ssize_t n;
    BIO *bio;

    ret->pkey = NULL;
    n = read_key_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    bio = BIO_new_mem_buf(buf, (int)n);
    if (bio)
        pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    explicit_bzero(buf, sizeof(buf));
    ERR_clear_error();
    if (!pk) {
        iam_log(LOG_ERR,
                "SIGNING_KEY %s: not an unencrypted PEM private "
                "key (make one with: openssl genpkey -algorithm ed25519 "
                "-out %s)",
                path, path);
        return -EINVAL;
    }
    if (!EVP_PKEY_is_a(pk, "ED25519")) {
        EVP_PKEY_free(pk);
        iam_log(LOG_ERR, "SIGNING_KEY %s: not an Ed25519 key", path);
        return -EINVAL;
    }
    ret->pkey = pk;
    return 0;
}

void
fleet_signer_free(struct fleet_signer *s)
{
    EVP_PKEY_free(s->pkey);
    s->pkey = NULL;
}

int
fleet_signer_public(const struct fleet_signer *s,
                    char ret_b64[FLEET_PUB_B64_SIZE])
{
    uint8_t pub[PUB_LEN];
    size_t len = sizeof(pub);

    if (EVP_PKEY_get_raw_public_key(s->pkey, pub, &len) != 1 || len != PUB_LEN)
        return openssl_failed("Ed25519 public key");
    /* 32 bytes: 44 characters and a NUL, FLEET_PUB_B64_SIZE. */
    EVP_EncodeBlock((unsigned char *)ret_b64, pub, PUB_LEN);
    return 0;
}

int
fleet_sign(const struct fleet_signer *s, const void *msg, size_t len,
           char ret_b64[FLEET_SIG_B64_SIZE])
{
    uint8_t sig[FLEET_SIG_LEN];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;

    if (!ctx)
        return -ENOMEM;
    /* Ed25519 hashes internally: no digest is named. */
    ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) == 1 &&
         EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 &&
         sig_len == FLEET_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return openssl_failed("Ed25519 signing");
    /* 64 bytes: 88 characters and a NUL, FLEET_SIG_B64_SIZE. */
    EVP_EncodeBlock((unsigned char *)ret_b64, sig, FLEET_SIG_LEN);
    return 0;
}

/* 1 when @pub_b64 signed, 0 when not, -errno. */
static int
verify_one(const char *pub_b64, const void *msg, size_t len,
           const uint8_t sig[FLEET_SIG_LEN])
{
    uint8_t pub[PUB_LEN];
    EVP_MD_CTX *ctx;
    EVP_PKEY *pk;
    int r;

    if (b64_decode_exact(pub_b64, pub, sizeof(pub)) < 0) {
        iam_log(LOG_WARNING,
                "SIGNING_PUBLIC_KEY %s: not base64 of 32 "
                "bytes, skipped",
                pub_b64);
        return -EINVAL;
    }
    pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof(pub));
    if (!pk) {
        ERR_clear_error();
        iam_log(LOG_WARNING,
                "SIGNING_PUBLIC_KEY %s: not an Ed25519 key, "
                "skipped",
                pub_b64);
        return -EINVAL;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        EVP_PKEY_free(pk);
        return -ENOMEM;
    }
    r = -EIO;
    if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1)
        r = EVP_DigestVerify(ctx, sig, FLEET_SIG_LEN, msg, len) == 1;
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return r;
}

int
fleet_verify(const struct iam_strlist *keys, const void *msg, size_t len,
             const char *sig_b64)
{
    uint8_t sig[FLEET_SIG_LEN];
    size_t i;
    int r;

    if (b64_decode_exact(sig_b64, sig, sizeof(sig)) < 0)
        return -EBADMSG;
    /* An unusable key (logged) must not hide a good one after it. */
    for (i = 0; i < keys->n; i++) {
        r = verify_one(keys->v[i], msg, len, sig);
        if (r == 1)
            return (int)i;
        if (r < 0 && r != -EINVAL)
            return r;
    }
    return -EBADMSG;
}
