#include "iam_sha256.h"

#include <string.h>

/*
 * Straight from FIPS 180-4, sections 4.1.2, 4.2.2, 5.1.1, 5.3.3 and
 * 6.2.2: no tables beyond K, no unrolling. Speed is not the point (a
 * key blob is at most a few KiB); being easy to check against the
 * standard is.
 */

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

#define BLOCK 64

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static void
store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One 512-bit block into the hash state @h (FIPS 180-4, 6.2.2). */
static void
compress(uint32_t h[8], const uint8_t block[BLOCK])
{
    uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
    int t;

    for (t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (t = 16; t < 64; t++)
        w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];

    a = h[0], b = h[1], c = h[2], d = h[3];
    e = h[4], f = h[5], g = h[6], hh = h[7];
    for (t = 0; t < 64; t++) {
        t1 = hh + BSIG1(e) + CH(e, f, g) + K[t] + w[t];
        t2 = BSIG0(a) + MAJ(a, b, c);
        hh = g, g = f, f = e, e = d + t1;
        d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
    h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void
iam_sha256_init(struct iam_sha256_ctx *c)
{
    static const uint32_t h0[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    memcpy(c->h, h0, sizeof(c->h));
    c->len = 0;
    c->n = 0;
}

void
iam_sha256_update(struct iam_sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t take;

    if (len == 0)
        return; /* @data may be NULL */
    c->len += len;
    /* Complete a block begun by an earlier update first. */
    if (c->n > 0) {
        take = len < BLOCK - c->n ? len : BLOCK - c->n;
        memcpy(c->buf + c->n, p, take);
        c->n += take;
        p += take;
        len -= take;
        if (c->n < BLOCK)
            return;
        compress(c->h, c->buf);
        c->n = 0;
    }
    for (; len >= BLOCK; len -= BLOCK, p += BLOCK)
        compress(c->h, p);
    if (len > 0)
        memcpy(c->buf, p, len);
    c->n = len;
}

void
iam_sha256_final(struct iam_sha256_ctx *c, uint8_t ret_md[IAM_SHA256_LEN])
{
    uint8_t tail[2 * BLOCK];
    uint64_t bits = c->len * 8;
    size_t tail_len, i;

    /* Padding (5.1.1): the rest, 0x80, zeros, the length in bits. */
    memset(tail, 0, sizeof(tail));
    if (c->n > 0)
        memcpy(tail, c->buf, c->n);
    tail[c->n] = 0x80;
    tail_len = c->n + 1 + 8 <= BLOCK ? BLOCK : 2 * BLOCK;
    for (i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (i = 0; i < tail_len; i += BLOCK)
        compress(c->h, tail + i);

    for (i = 0; i < 8; i++)
        store_be32(ret_md + 4 * i, c->h[i]);
    memset(c, 0, sizeof(*c));
}

void
iam_sha256(const void *data, size_t len, uint8_t ret_md[IAM_SHA256_LEN])
{
    struct iam_sha256_ctx c;

    iam_sha256_init(&c);
    iam_sha256_update(&c, data, len);
    iam_sha256_final(&c, ret_md);
}

void
iam_sha256_hex_of(const uint8_t md[IAM_SHA256_LEN],
                  char ret_hex[IAM_SHA256_HEX_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < IAM_SHA256_LEN; i++) {
        ret_hex[2 * i] = hex[md[i] >> 4];
        ret_hex[2 * i + 1] = hex[md[i] & 15];
    }
    ret_hex[2 * IAM_SHA256_LEN] = '\0';
}

void
iam_sha256_hex(const void *data, size_t len, char ret_hex[IAM_SHA256_HEX_SIZE])
{
    uint8_t md[IAM_SHA256_LEN];

    iam_sha256(data, len, md);
    iam_sha256_hex_of(md, ret_hex);
}
