/*
 * fleet_sign: the Ed25519 keys of fleet publishing (OpenSSL).
 *
 * The publisher holds the private key (SIGNING_KEY, a PEM file that must
 * be root's and readable by nobody else); instances hold only public
 * keys (SIGNING_PUBLIC_KEY, base64 of the 32 raw bytes; several allow a
 * rotation). Signatures are 64 bytes, carried in base64.
 */
#ifndef FLEET_SIGN_H
#define FLEET_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "iam_config.h"

#define FLEET_SIG_LEN 64
/* base64 of 64 bytes: 88 characters, and a NUL. */
#define FLEET_SIG_B64_SIZE 89
/* base64 of 32 bytes: 44 characters, and a NUL. */
#define FLEET_PUB_B64_SIZE 45

struct fleet_signer {
    void *pkey; /* EVP_PKEY *, opaque so callers need no OpenSSL headers */
};

/*
 * fleet_signer_load - read the Ed25519 private key at @path. The file
 * must be a regular file owned by root (or the effective uid), with no
 * permission for group or others.
 * Returns 0, or -errno with the reason logged (naming @path).
 */
int
fleet_signer_load(const char *path, struct fleet_signer *ret);

void
fleet_signer_free(struct fleet_signer *s);

/* fleet_signer_public - the public half, as SIGNING_PUBLIC_KEY wants it. */
int
fleet_signer_public(const struct fleet_signer *s,
                    char ret_b64[FLEET_PUB_B64_SIZE]);

/* fleet_sign - the base64 signature of @msg. 0 or -EIO (logged). */
int
fleet_sign(const struct fleet_signer *s, const void *msg, size_t len,
           char ret_b64[FLEET_SIG_B64_SIZE]);

/*
 * fleet_verify - is @sig_b64 a signature of @msg by one of @keys?
 * Returns the index of the key that signed (>= 0), -EBADMSG when none
 * did (or the signature is not canonical base64 of 64 bytes), -EIO,
 * -ENOMEM. An entry of @keys that is not an Ed25519 public key is
 * skipped with a warning.
 */
int
fleet_verify(const struct iam_strlist *keys, const void *msg, size_t len,
             const char *sig_b64);

#endif
