/*
 * iam_sha256: SHA-256 (FIPS 180-4) of one buffer.
 *
 * Why not OpenSSL: iam-authorized-keys runs on every SSH login and needs
 * SHA-256 only for key fingerprints. Loading libcrypto and initialising
 * its default provider costs about 2 ms per call on a small instance,
 * more than the rest of the command together (`make bench`), so the
 * login path hashes with this file and does not link libcrypto. OpenSSH
 * (openbsd-compat/sha2.c) and systemd (src/fundamental/sha256.c) carry
 * their own SHA-256 for the same reason. It is checked against the NIST
 * example vectors and against OpenSSL on random input of every length up
 * to several blocks (tests/unit/test_sha256.c).
 *
 * iam-sync keeps OpenSSL for everything it hashes or signs: this is for
 * the programs that must start fast, not a second crypto library.
 *
 * Pure and reentrant: no globals, no heap.
 */
#ifndef IAM_SHA256_H
#define IAM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define IAM_SHA256_LEN 32

/* iam_sha256 - write SHA-256(@data[0..@len)) into @ret_md. */
void
iam_sha256(const void *data, size_t len, uint8_t ret_md[IAM_SHA256_LEN]);

#endif
