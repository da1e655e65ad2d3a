/*
 * iam_sha256: SHA-256 (FIPS 180-4), the project's one digest.
 *
 * Every SHA-256 the programs compute goes through here: key
 * fingerprints, the SigV4 payload and canonical-request hashes, the
 * snapshot's content digest, fleet payload hashes, the local-settings
 * digest and id placement. One implementation, so that two places that
 * must agree on a digest (the signer and the checker of a fleet object,
 * the writer and the reader of a snapshot) cannot drift apart.
 *
 * Why not OpenSSL: iam-authorized-keys runs on every SSH login and needs
 * SHA-256 only for key fingerprints. Loading libcrypto and initialising
 * its default provider costs about 2 ms per call on a small instance,
 * more than the rest of the command together (`make bench`), so the
 * login path hashes with this file and does not link libcrypto. OpenSSH
 * (openbsd-compat/sha2.c) and systemd (src/fundamental/sha256.c) carry
 * their own SHA-256 for the same reason. It is checked against the NIST
 * example vectors and against OpenSSL on random input of every length up
 * to several blocks, whole and in random pieces (tests/unit/test_sha256.c).
 *
 * OpenSSL stays for what is not a digest: HMAC (SigV4's key derivation
 * and signature) and the fleet object's Ed25519 signature.
 *
 * Pure and reentrant: no globals, no heap.
 */
#ifndef IAM_SHA256_H
#define IAM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define IAM_SHA256_LEN 32
/* Lowercase hex and a NUL. */
#define IAM_SHA256_HEX_SIZE (2 * IAM_SHA256_LEN + 1)

/* A digest being computed; opaque to callers. */
struct iam_sha256_ctx {
    uint32_t h[8];
    uint64_t len;    /* bytes fed so far */
    uint8_t buf[64]; /* the part of a block fed so far */
    size_t n;        /* bytes in buf */
};

/*
 * iam_sha256_init, iam_sha256_update, iam_sha256_final - SHA-256 of
 * everything fed to update, in pieces of any size (@data may be NULL
 * when @len is 0). final writes the digest into @ret_md and wipes @c;
 * init starts again.
 */
void
iam_sha256_init(struct iam_sha256_ctx *c);
void
iam_sha256_update(struct iam_sha256_ctx *c, const void *data, size_t len);
void
iam_sha256_final(struct iam_sha256_ctx *c, uint8_t ret_md[IAM_SHA256_LEN]);

/* iam_sha256 - write SHA-256(@data[0..@len)) into @ret_md. */
void
iam_sha256(const void *data, size_t len, uint8_t ret_md[IAM_SHA256_LEN]);

/* iam_sha256_hex_of - @md as 64 lowercase hex digits and a NUL. */
void
iam_sha256_hex_of(const uint8_t md[IAM_SHA256_LEN],
                  char ret_hex[IAM_SHA256_HEX_SIZE]);

/*
 * iam_sha256_hex - lowercase hex of SHA-256(@data[0..@len)) (@data may
 * be NULL when @len is 0): the form every text here carries.
 */
void
iam_sha256_hex(const void *data, size_t len, char ret_hex[IAM_SHA256_HEX_SIZE]);

#endif
