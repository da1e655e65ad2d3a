#include "iam_seal.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* IAM_SEAL_MAGIC's 8 bytes, without the string's NUL. */
static const uint8_t magic[8] = { 'i', 'a', 'm', 's', 'e', 'a', 'l', '1' };

/* The xxHash specification's XXH64 primes. */
#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static uint64_t
rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* The file's bytes are little-endian words, whatever the host. */
static uint64_t
read64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return le64toh(v);
}

static uint32_t
read32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

static uint64_t
round64(uint64_t acc, uint64_t input)
{
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static uint64_t
merge_round(uint64_t acc, uint64_t v)
{
    acc ^= round64(0, v);
    return acc * P1 + P4;
}

/* One 32-byte stripe into the four lanes. */
static void
stripe(uint64_t v[4], const uint8_t *p)
{
    v[0] = round64(v[0], read64(p));
    v[1] = round64(v[1], read64(p + 8));
    v[2] = round64(v[2], read64(p + 16));
    v[3] = round64(v[3], read64(p + 24));
}

void
iam_seal_init(struct iam_seal_state *s)
{
    memset(s, 0, sizeof(*s));
    s->v[0] = P1 + P2;
    s->v[1] = P2;
    s->v[2] = 0;
    s->v[3] = 0 - P1;
}

void
iam_seal_update(struct iam_seal_state *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t n;

    s->total += len;
    if (s->ntail) {
        n = sizeof(s->tail) - s->ntail;
        if (n > len)
            n = len;
        memcpy(s->tail + s->ntail, p, n);
        s->ntail += n;
        p += n;
        len -= n;
        if (s->ntail < sizeof(s->tail))
            return;
        stripe(s->v, s->tail);
        s->ntail = 0;
    }
    for (; len >= 32; p += 32, len -= 32)
        stripe(s->v, p);
    memcpy(s->tail, p, len);
    s->ntail = len;
}

static uint64_t
avalanche(uint64_t h)
{
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t
iam_seal_final(const struct iam_seal_state *s)
{
    const uint8_t *p = s->tail;
    size_t len = s->ntail;
    uint64_t h;

    if (s->total >= 32) {
        h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) +
            rotl(s->v[3], 18);
        h = merge_round(h, s->v[0]);
        h = merge_round(h, s->v[1]);
        h = merge_round(h, s->v[2]);
        h = merge_round(h, s->v[3]);
    } else {
        h = s->v[2] + P5; /* the seed, 0 */
    }
    h += s->total;
    for (; len >= 8; p += 8, len -= 8) {
        h ^= round64(0, read64(p));
        h = rotl(h, 27) * P1 + P4;
    }
    if (len >= 4) {
        h ^= (uint64_t)read32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
        len -= 4;
    }
    for (; len > 0; p++, len--) {
        h ^= *p * P5;
        h = rotl(h, 11) * P1;
    }
    return avalanche(h);
}

uint64_t
iam_seal_xxh64(const void *p, size_t len)
{
    struct iam_seal_state s;

    iam_seal_init(&s);
    iam_seal_update(&s, p, len);
    return iam_seal_final(&s);
}

static void
put64(uint8_t *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, sizeof(v));
}

void
iam_seal_encode(uint64_t covered, uint64_t sum, uint8_t ret[IAM_SEAL_SIZE])
{
    memcpy(ret, magic, sizeof(magic));
    put64(ret + 8, covered);
    put64(ret + 16, sum);
    put64(ret + 24, iam_seal_xxh64(ret, 24));
}

int
iam_seal_decode(const uint8_t t[IAM_SEAL_SIZE], uint64_t *ret_covered,
                uint64_t *ret_sum)
{
    *ret_covered = 0;
    *ret_sum = 0;
    if (memcmp(t, magic, sizeof(magic)) != 0 ||
        read64(t + 24) != iam_seal_xxh64(t, 24))
        return -EIO;
    *ret_covered = read64(t + 8);
    *ret_sum = read64(t + 16);
    return 0;
}
