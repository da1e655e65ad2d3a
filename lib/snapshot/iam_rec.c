#include "iam_rec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Smallest encoded sizes, used to reject counts the bytes cannot hold
 * before walking them. */
#define STR_MIN 2
#define KEY_MIN (STR_MIN * 3 + 1 + 8)

/*
 * A read cursor. Every get_* fails (returns false) once the bytes run out,
 * so a decoder can read all fields and check the cursor once.
 */
struct cur {
    const uint8_t *p;
    size_t left;
};

static bool
get_bytes(struct cur *c, size_t n, const uint8_t **ret)
{
    if (c->left < n)
        return false;
    *ret = c->p;
    c->p += n;
    c->left -= n;
    return true;
}

static bool
get_u8(struct cur *c, uint8_t *ret)
{
    const uint8_t *b;

    if (!get_bytes(c, 1, &b))
        return false;
    *ret = b[0];
    return true;
}

static bool
get_u16(struct cur *c, uint16_t *ret)
{
    const uint8_t *b;

    if (!get_bytes(c, 2, &b))
        return false;
    *ret = (uint16_t)(b[0] | (unsigned)b[1] << 8);
    return true;
}

static bool
get_u32(struct cur *c, uint32_t *ret)
{
    const uint8_t *b;

    if (!get_bytes(c, 4, &b))
        return false;
    *ret = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
    return true;
}

static bool
get_i64(struct cur *c, int64_t *ret)
{
    const uint8_t *b;
    uint64_t v = 0;
    int i;

    if (!get_bytes(c, 8, &b))
        return false;
    for (i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *ret = (int64_t)v;
    return true;
}

/* A string view; refuses a NUL inside so a copy can be a C string. */
static bool
get_str(struct cur *c, struct iam_str *ret)
{
    const uint8_t *b;
    uint16_t n;

    if (!get_u16(c, &n) || !get_bytes(c, n, &b))
        return false;
    if (memchr(b, '\0', n))
        return false;
    ret->p = (const char *)b;
    ret->len = n;
    return true;
}

static bool
get_layout(struct cur *c)
{
    uint8_t v;

    return get_u8(c, &v) && v == IAM_REC_LAYOUT;
}

struct iam_str
iam_str_of(const char *s)
{
    struct iam_str r = { "", 0 };

    if (s) {
        r.p = s;
        r.len = strlen(s);
    }
    return r;
}

bool
iam_str_eq(struct iam_str a, const char *s)
{
    size_t n = strlen(s);

    return a.len == n && memcmp(a.p, s, n) == 0;
}

int
iam_rec_decode_user(const void *p, size_t len, struct iam_user_rec *ret)
{
    struct cur c = { p, len };
    struct iam_user_rec u;

    memset(ret, 0, sizeof(*ret));
    memset(&u, 0, sizeof(u));
    if (!get_layout(&c) || !get_u32(&c, &u.uid) || !get_u32(&c, &u.gid) ||
        !get_str(&c, &u.name) || !get_str(&c, &u.gecos) ||
        !get_str(&c, &u.home) || !get_str(&c, &u.shell) ||
        !get_str(&c, &u.iam_name) || !get_str(&c, &u.iam_id) || c.left)
        return -EIO;
    if (u.name.len == 0)
        return -EIO;
    *ret = u;
    return 0;
}

/* Checks that @n items of at least @min bytes could fit, then walks them
 * with @next so that a decoded sequence is known to be whole. */
static int
check_seq(struct iam_rec_iter it, size_t min,
          int (*next)(struct iam_rec_iter *, void *), void *scratch)
{
    int r;

    if (min && it.remaining > it.left / min)
        return -EIO;
    do {
        r = next(&it, scratch);
    } while (r == 1);
    if (r < 0 || it.left)
        return -EIO;
    return 0;
}

static int
str_next(struct iam_rec_iter *it, void *ret)
{
    return iam_rec_str_next(it, ret);
}

static int
gid_next(struct iam_rec_iter *it, void *ret)
{
    return iam_rec_gid_next(it, ret);
}

static int
key_next(struct iam_rec_iter *it, void *ret)
{
    return iam_rec_key_next(it, ret);
}

int
iam_rec_decode_group(const void *p, size_t len, struct iam_group_rec *ret)
{
    struct cur c = { p, len };
    struct iam_group_rec g;
    struct iam_str scratch;

    memset(ret, 0, sizeof(*ret));
    memset(&g, 0, sizeof(g));
    if (!get_layout(&c) || !get_u32(&c, &g.gid) || !get_str(&c, &g.name) ||
        !get_u8(&c, &g.kind) || !get_u32(&c, &g.nmem))
        return -EIO;
    if (g.name.len == 0 || g.kind > IAM_GROUP_MEMBER)
        return -EIO;
    g.members.p = c.p;
    g.members.left = c.left;
    g.members.remaining = g.nmem;
    if (check_seq(g.members, STR_MIN, str_next, &scratch) < 0)
        return -EIO;
    *ret = g;
    return 0;
}

/* Shared shape of gids and keys: layout byte, u32 count, items. */
static int
decode_seq(const void *p, size_t len, size_t min,
           int (*next)(struct iam_rec_iter *, void *), void *scratch,
           struct iam_rec_iter *ret)
{
    struct cur c = { p, len };
    struct iam_rec_iter it;

    memset(ret, 0, sizeof(*ret));
    if (!get_layout(&c) || !get_u32(&c, &it.remaining))
        return -EIO;
    it.p = c.p;
    it.left = c.left;
    if (check_seq(it, min, next, scratch) < 0)
        return -EIO;
    *ret = it;
    return 0;
}

int
iam_rec_decode_gids(const void *p, size_t len, struct iam_rec_iter *ret)
{
    uint32_t scratch;

    return decode_seq(p, len, 4, gid_next, &scratch, ret);
}

int
iam_rec_decode_keys(const void *p, size_t len, struct iam_rec_iter *ret)
{
    struct iam_key_rec scratch;

    return decode_seq(p, len, KEY_MIN, key_next, &scratch, ret);
}

/* The "u32 n, n * str" tail of both shared records. */
static bool
get_groups(struct cur *c, uint32_t *ret_n, struct iam_rec_iter *ret)
{
    struct iam_str scratch;

    if (!get_u32(c, ret_n))
        return false;
    ret->p = c->p;
    ret->left = c->left;
    ret->remaining = *ret_n;
    return check_seq(*ret, STR_MIN, str_next, &scratch) == 0;
}

int
iam_rec_decode_shared_acct(const void *p, size_t len,
                           struct iam_shared_acct_rec *ret)
{
    struct cur c = { p, len };
    struct iam_shared_acct_rec a;

    memset(ret, 0, sizeof(*ret));
    memset(&a, 0, sizeof(a));
    if (!get_layout(&c) || !get_u32(&c, &a.uid) ||
        !get_groups(&c, &a.ngroups, &a.groups))
        return -EIO;
    *ret = a;
    return 0;
}

int
iam_rec_decode_shared_key(const void *p, size_t len,
                          struct iam_shared_key_rec *ret)
{
    struct cur c = { p, len };
    struct iam_shared_key_rec k;

    memset(ret, 0, sizeof(*ret));
    memset(&k, 0, sizeof(k));
    if (!get_layout(&c) || !get_str(&c, &k.iam_name) ||
        !get_str(&c, &k.key_id) || !get_str(&c, &k.line) ||
        !get_str(&c, &k.fingerprint) || !get_i64(&c, &k.upload_date) ||
        !get_groups(&c, &k.ngroups, &k.groups))
        return -EIO;
    if (k.iam_name.len == 0 || k.line.len == 0 || k.fingerprint.len == 0)
        return -EIO;
    *ret = k;
    return 0;
}

int
iam_rec_decode_meta(const void *p, size_t len, struct iam_meta_rec *ret)
{
    struct cur c = { p, len };
    struct iam_meta_rec m;

    memset(ret, 0, sizeof(*ret));
    memset(&m, 0, sizeof(m));
    if (!get_layout(&c) || !get_i64(&c, &m.created) ||
        !get_u32(&c, &m.uid_min) || !get_u32(&c, &m.uid_max) ||
        !get_u32(&c, &m.users) || !get_u32(&c, &m.groups) ||
        !get_u32(&c, &m.keys) || !get_u32(&c, &m.max_key_age_days) ||
        !get_str(&c, &m.account) || !get_str(&c, &m.source) ||
        !get_str(&c, &m.digest) || c.left)
        return -EIO;
    if (m.uid_min == 0 || m.uid_min > m.uid_max)
        return -EIO;
    *ret = m;
    return 0;
}

int
iam_rec_decode_instance(const void *p, size_t len, struct iam_str *ret)
{
    struct cur c = { p, len };
    struct iam_str id;

    memset(ret, 0, sizeof(*ret));
    if (!get_layout(&c) || !get_str(&c, &id) || c.left || id.len == 0)
        return -EIO;
    *ret = id;
    return 0;
}

int
iam_rec_decode_u32(const void *p, size_t len, uint32_t *ret)
{
    struct cur c = { p, len };
    uint32_t v;

    *ret = 0;
    if (!get_u32(&c, &v) || c.left)
        return -EIO;
    *ret = v;
    return 0;
}

/* Moves the iterator over one item read through @c, or fails it. */
static int
iter_step(struct iam_rec_iter *it, struct cur *c, bool ok)
{
    if (!ok)
        return -EIO;
    it->p = c->p;
    it->left = c->left;
    it->remaining--;
    return 1;
}

int
iam_rec_str_next(struct iam_rec_iter *it, struct iam_str *ret)
{
    struct cur c = { it->p, it->left };

    if (it->remaining == 0)
        return 0;
    return iter_step(it, &c, get_str(&c, ret));
}

int
iam_rec_gid_next(struct iam_rec_iter *it, uint32_t *ret)
{
    struct cur c = { it->p, it->left };

    if (it->remaining == 0)
        return 0;
    return iter_step(it, &c, get_u32(&c, ret));
}

int
iam_rec_key_next(struct iam_rec_iter *it, struct iam_key_rec *ret)
{
    struct cur c = { it->p, it->left };
    bool ok;

    if (it->remaining == 0)
        return 0;
    memset(ret, 0, sizeof(*ret));
    ok = get_str(&c, &ret->key_id) && get_str(&c, &ret->line) &&
         get_str(&c, &ret->fingerprint) && get_u8(&c, &ret->status) &&
         get_i64(&c, &ret->upload_date) && ret->status <= IAM_KEY_EXPIRED;
    return iter_step(it, &c, ok);
}

/* ---- encoders ---- */

static int
put_bytes(struct iam_buf *b, const void *p, size_t n)
{
    size_t cap;
    uint8_t *np;

    if (n > SIZE_MAX / 2 - b->len)
        return -ENOMEM;
    if (b->len + n > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        np = realloc(b->p, cap);
        if (!np)
            return -ENOMEM;
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int
put_u8(struct iam_buf *b, uint8_t v)
{
    return put_bytes(b, &v, 1);
}

static int
put_u16(struct iam_buf *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

    return put_bytes(b, x, 2);
}

static int
put_u32(struct iam_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 24) };

    return put_bytes(b, x, 4);
}

static int
put_i64(struct iam_buf *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t x[8];
    int i;

    for (i = 0; i < 8; i++)
        x[i] = (uint8_t)(u >> (8 * i));
    return put_bytes(b, x, 8);
}

static int
put_str(struct iam_buf *b, struct iam_str s)
{
    int r;

    if (s.len > IAM_REC_STR_MAX || (s.len && memchr(s.p, '\0', s.len)))
        return -EINVAL;
    r = put_u16(b, (uint16_t)s.len);
    if (r < 0)
        return r;
    return put_bytes(b, s.p, s.len);
}

/* Runs a chain of puts, stopping at the first failure. */
#define PUT(expr)                                                              \
    do {                                                                       \
        r = (expr);                                                            \
        if (r < 0)                                                             \
            return r;                                                          \
    } while (0)

int
iam_rec_encode_user(struct iam_buf *b, const struct iam_user_rec *u)
{
    int r;

    if (u->name.len == 0)
        return -EINVAL;
    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_u32(b, u->uid));
    PUT(put_u32(b, u->gid));
    PUT(put_str(b, u->name));
    PUT(put_str(b, u->gecos));
    PUT(put_str(b, u->home));
    PUT(put_str(b, u->shell));
    PUT(put_str(b, u->iam_name));
    PUT(put_str(b, u->iam_id));
    return 0;
}

int
iam_rec_encode_group(struct iam_buf *b, uint32_t gid, struct iam_str name,
                     uint8_t kind, const struct iam_str *members, uint32_t nmem)
{
    uint32_t i;
    int r;

    if (name.len == 0 || kind > IAM_GROUP_MEMBER)
        return -EINVAL;
    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_u32(b, gid));
    PUT(put_str(b, name));
    PUT(put_u8(b, kind));
    PUT(put_u32(b, nmem));
    for (i = 0; i < nmem; i++)
        PUT(put_str(b, members[i]));
    return 0;
}

int
iam_rec_encode_gids(struct iam_buf *b, const uint32_t *gids, uint32_t n)
{
    uint32_t i;
    int r;

    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_u32(b, n));
    for (i = 0; i < n; i++)
        PUT(put_u32(b, gids[i]));
    return 0;
}

int
iam_rec_encode_keys(struct iam_buf *b, const struct iam_key_rec *keys,
                    uint32_t n)
{
    uint32_t i;
    int r;

    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_u32(b, n));
    for (i = 0; i < n; i++) {
        if (keys[i].status > IAM_KEY_EXPIRED)
            return -EINVAL;
        PUT(put_str(b, keys[i].key_id));
        PUT(put_str(b, keys[i].line));
        PUT(put_str(b, keys[i].fingerprint));
        PUT(put_u8(b, keys[i].status));
        PUT(put_i64(b, keys[i].upload_date));
    }
    return 0;
}

int
iam_rec_encode_meta(struct iam_buf *b, const struct iam_meta_rec *m)
{
    int r;

    if (m->uid_min == 0 || m->uid_min > m->uid_max)
        return -EINVAL;
    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_i64(b, m->created));
    PUT(put_u32(b, m->uid_min));
    PUT(put_u32(b, m->uid_max));
    PUT(put_u32(b, m->users));
    PUT(put_u32(b, m->groups));
    PUT(put_u32(b, m->keys));
    PUT(put_u32(b, m->max_key_age_days));
    PUT(put_str(b, m->account));
    PUT(put_str(b, m->source));
    PUT(put_str(b, m->digest));
    return 0;
}

int
iam_rec_encode_instance(struct iam_buf *b, struct iam_str id)
{
    int r;

    if (id.len == 0)
        return -EINVAL;
    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_str(b, id));
    return 0;
}

int
iam_rec_encode_u32(struct iam_buf *b, uint32_t v)
{
    return put_u32(b, v);
}

static int
put_groups(struct iam_buf *b, const struct iam_str *groups, uint32_t n)
{
    uint32_t i;
    int r;

    PUT(put_u32(b, n));
    for (i = 0; i < n; i++) {
        if (groups[i].len == 0)
            return -EINVAL;
        PUT(put_str(b, groups[i]));
    }
    return 0;
}

int
iam_rec_encode_shared_acct(struct iam_buf *b, uint32_t uid,
                           const struct iam_str *groups, uint32_t n)
{
    int r;

    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_u32(b, uid));
    return put_groups(b, groups, n);
}

int
iam_rec_encode_shared_key(struct iam_buf *b, const struct iam_shared_key_rec *k,
                          const struct iam_str *groups, uint32_t n)
{
    int r;

    if (k->iam_name.len == 0 || k->line.len == 0 || k->fingerprint.len == 0)
        return -EINVAL;
    PUT(put_u8(b, IAM_REC_LAYOUT));
    PUT(put_str(b, k->iam_name));
    PUT(put_str(b, k->key_id));
    PUT(put_str(b, k->line));
    PUT(put_str(b, k->fingerprint));
    PUT(put_i64(b, k->upload_date));
    return put_groups(b, groups, n);
}

void
iam_buf_free(struct iam_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}
