/*
 * iam_seal: the seal of a snapshot file, a checksum of its bytes that
 * readers verify before LMDB reads any of them.
 *
 * LMDB trusts its pages: a flipped byte in a page header or a node sends
 * it outside its map (SIGSEGV) or into an assertion (abort), and every
 * process that resolves a name would die of it. So the writer appends a
 * trailer to the finished LMDB file:
 *
 *   offset 0   8 bytes  IAM_SEAL_MAGIC
 *          8   8 bytes  covered: the file size before the trailer (LE)
 *         16   8 bytes  XXH64 (seed 0) of those covered bytes (LE)
 *         24   8 bytes  XXH64 of the 24 bytes above (LE)
 *
 * and a reader checks it once per process and file (not per lookup).
 * XXH64 rather than SHA-256: it is not there against an attacker (only
 * root can write the file, and root is trusted), it is there against
 * storage and memory faults, which it detects with odds of 2^-64 of a
 * miss, at memory speed. A whole-file SHA-256 would cost more than the
 * lookups it protects (see iam_db.h).
 *
 * Pure functions of memory, libc only: linked into the NSS module.
 */
#ifndef IAM_SEAL_H
#define IAM_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define IAM_SEAL_MAGIC "iamseal1"
#define IAM_SEAL_SIZE 32

/* XXH64 of @len bytes at @p, seed 0 (the xxHash specification). */
uint64_t
iam_seal_xxh64(const void *p, size_t len);

/* Incremental form, for a file read in parts (the writer). */
struct iam_seal_state {
    uint64_t v[4];
    uint64_t total;
    uint8_t tail[32];
    size_t ntail;
};
void
iam_seal_init(struct iam_seal_state *s);
void
iam_seal_update(struct iam_seal_state *s, const void *p, size_t len);
uint64_t
iam_seal_final(const struct iam_seal_state *s);

/* iam_seal_encode - the trailer for @covered bytes of sum @sum. */
void
iam_seal_encode(uint64_t covered, uint64_t sum, uint8_t ret[IAM_SEAL_SIZE]);

/*
 * iam_seal_decode - checks a trailer's magic and its own checksum.
 * Returns 0 and the covered size and sum, or -EIO.
 */
int
iam_seal_decode(const uint8_t t[IAM_SEAL_SIZE], uint64_t *ret_covered,
                uint64_t *ret_sum);

#endif
