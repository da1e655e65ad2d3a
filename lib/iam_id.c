#include "iam_id.h"

#include "iam_log.h"
#include "iam_sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smallest table; keeps the shift in cell_of() below 64. */
#define TAKEN_MIN_CAP 16u

/* The first 8 bytes of SHA-256(prefix + key [+ ":" + n]), big-endian. */
static uint64_t
hash64(const char *prefix, const char *key, unsigned n)
{
    uint8_t md[IAM_SHA256_LEN];
    struct iam_sha256_ctx c;
    char suffix[16];
    int len = 0;
    uint64_t v = 0;
    int i;

    if (n > 0)
        len = snprintf(suffix, sizeof(suffix), ":%u", n);
    iam_sha256_init(&c);
    iam_sha256_update(&c, prefix, strlen(prefix));
    iam_sha256_update(&c, key, strlen(key));
    if (len > 0)
        iam_sha256_update(&c, suffix, (size_t)len);
    iam_sha256_final(&c, md);
    for (i = 0; i < 8; i++)
        v = v << 8 | md[i];
    return v;
}

static bool
range_ok(uint32_t min, uint32_t max)
{
    return min > 0 && max < UINT32_MAX && min <= max;
}

/* min + h mod (max - min + 1); the width fits in 64 bits for any range. */
static uint32_t
reduce(uint64_t h, uint32_t min, uint32_t max)
{
    uint64_t width = (uint64_t)max - min + 1;

    return (uint32_t)(min + h % width);
}

int
iam_id_hash(const char *prefix, const char *key, unsigned n, uint32_t min,
            uint32_t max, uint32_t *ret_id)
{
    if (ret_id)
        *ret_id = 0;
    if (!prefix || !key || !ret_id || !range_ok(min, max))
        return -EINVAL;
    *ret_id = reduce(hash64(prefix, key, n), min, max);
    return 0;
}

/*
 * ---- taken set ----
 */

/* Fibonacci hashing: the high bits of the product spread sequential ids
 * (small test ranges) as well as random ones. */
static size_t
cell_of(uint32_t id, size_t cap)
{
    int bits = __builtin_ctzll((unsigned long long)cap);

    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* Insert without growing; the caller guarantees a free cell. */
static void
put(uint32_t *cells, size_t cap, uint32_t id)
{
    size_t i = cell_of(id, cap);

    while (cells[i] != 0 && cells[i] != id)
        i = (i + 1) & (cap - 1);
    cells[i] = id;
}

/* Table size for @count ids: a power of two at least twice @count. */
static int
cap_for(size_t count, size_t *ret_cap)
{
    size_t cap = TAKEN_MIN_CAP;

    *ret_cap = 0;
    while (cap / 2 < count) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    *ret_cap = cap;
    return 0;
}

/* Make room for @count ids in all; rehashes the table when it grows. */
static int
reserve(struct iam_id_taken *t, size_t count)
{
    uint32_t *cells;
    size_t cap;
    size_t i;
    int r;

    r = cap_for(count, &cap);
    if (r < 0)
        return r;
    if (cap <= t->cap)
        return 0;
    cells = calloc(cap, sizeof(*cells));
    if (!cells)
        return -ENOMEM;
    for (i = 0; i < t->cap; i++) {
        if (t->cells[i] != 0)
            put(cells, cap, t->cells[i]);
    }
    free(t->cells);
    t->cells = cells;
    t->cap = cap;
    return 0;
}

int
iam_id_taken_init(uint32_t min, uint32_t max, size_t expected,
                  struct iam_id_taken *ret_taken)
{
    struct iam_id_taken t;
    int r;

    if (ret_taken)
        memset(ret_taken, 0, sizeof(*ret_taken));
    if (!ret_taken || !range_ok(min, max))
        return -EINVAL;
    memset(&t, 0, sizeof(t));
    t.min = min;
    t.max = max;
    r = reserve(&t, expected);
    if (r < 0)
        return r;
    *ret_taken = t;
    return 0;
}

bool
iam_id_taken_has(const struct iam_id_taken *taken, uint32_t id)
{
    size_t i;

    if (!taken || !taken->cells || id == 0)
        return false;
    i = cell_of(id, taken->cap);
    while (taken->cells[i] != 0) {
        if (taken->cells[i] == id)
            return true;
        i = (i + 1) & (taken->cap - 1);
    }
    return false;
}

int
iam_id_taken_add(struct iam_id_taken *taken, uint32_t id)
{
    int r;

    if (!taken || !taken->cells)
        return -EINVAL;
    if (id < taken->min || id > taken->max || iam_id_taken_has(taken, id))
        return 0;
    r = reserve(taken, taken->count + 1);
    if (r < 0)
        return r;
    put(taken->cells, taken->cap, id);
    taken->count++;
    return 0;
}

void
iam_id_taken_free(struct iam_id_taken *taken)
{
    if (!taken)
        return;
    free(taken->cells);
    memset(taken, 0, sizeof(*taken));
}

/*
 * ---- placement ----
 */

static int
cmp_created(const void *a, const void *b)
{
    const struct iam_id_slot *x = *(const struct iam_id_slot *const *)a;
    const struct iam_id_slot *y = *(const struct iam_id_slot *const *)b;
    int c;

    if (x->create_date != y->create_date)
        return x->create_date < y->create_date ? -1 : 1;
    c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    /* Equal keys (a caller bug): keep a total order anyway. */
    return (x > y) - (x < y);
}

/* Place one slot: first free id of tries 0, 1, 2, ... */
static int
place_one(const char *prefix, struct iam_id_slot *s, struct iam_id_taken *t)
{
    uint32_t id;
    unsigned n;

    for (n = 0; n <= IAM_ID_MAX_REHASH; n++) {
        id = reduce(hash64(prefix, s->key, n), t->min, t->max);
        if (iam_id_taken_has(t, id))
            continue;
        put(t->cells, t->cap, id);
        t->count++;
        s->id = id;
        s->collisions = n;
        if (n > 0)
            iam_log(LOG_DEBUG, "iam_id: %s%s collided %u time(s), placed at %u",
                    prefix, s->key, n, id);
        return 0;
    }
    iam_log(LOG_ERR, "iam_id: %s%s: no free id in %u tries", prefix, s->key,
            IAM_ID_MAX_REHASH);
    return -ENOSPC;
}

/* Slot pointers in placement order; *ret_ord is the caller's to free. */
static int
placement_order(struct iam_id_slot *v, size_t n, enum iam_id_order order,
                struct iam_id_slot ***ret_ord)
{
    struct iam_id_slot **ord;
    size_t i;

    *ret_ord = NULL;
    ord = reallocarray(NULL, n, sizeof(*ord));
    if (!ord)
        return -ENOMEM;
    for (i = 0; i < n; i++)
        ord[i] = &v[i];
    if (order == IAM_ID_ORDER_CREATED)
        qsort(ord, n, sizeof(*ord), cmp_created);
    *ret_ord = ord;
    return 0;
}

int
iam_id_place(const char *prefix, struct iam_id_slot *v, size_t n,
             enum iam_id_order order, struct iam_id_taken *taken)
{
    struct iam_id_slot **ord = NULL;
    uint64_t left;
    size_t rehashed = 0;
    size_t i;
    int r = 0;

    if (!prefix || (!v && n > 0) || !taken || !taken->cells)
        return -EINVAL;
    for (i = 0; i < n; i++) {
        v[i].id = 0;
        v[i].collisions = 0;
        if (!v[i].key)
            return -EINVAL;
    }
    if (n == 0)
        return 0;
    left = (uint64_t)taken->max - taken->min + 1 - taken->count;
    if ((uint64_t)n > left) {
        iam_log(LOG_ERR,
                "iam_id: %zu ids (%s) do not fit: %llu left in "
                "[%u, %u]",
                n, prefix, (unsigned long long)left, taken->min, taken->max);
        return -ENOSPC;
    }
    /* Grow once here, so that inserting never fails half-way. */
    r = reserve(taken, taken->count + n);
    if (r < 0)
        goto out;
    r = placement_order(v, n, order, &ord);
    if (r < 0)
        goto out;
    for (i = 0; i < n; i++) {
        r = place_one(prefix, ord[i], taken);
        if (r < 0)
            goto out;
        rehashed += ord[i]->collisions > 0;
    }
    /* One line per pass; the per-entity detail is at LOG_DEBUG. */
    if (rehashed > 0)
        iam_log(LOG_NOTICE,
                "iam_id: %zu of %zu ids rehashed after a "
                "collision (%s)",
                rehashed, n, prefix);
out:
    free(ord);
    return r;
}
