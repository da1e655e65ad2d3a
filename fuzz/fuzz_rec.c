/*
 * fuzz_rec: the snapshot record decoders of iam_rec.h, their iterators,
 * and iam_pack_passwd()/iam_pack_group() on what decodes.
 *
 * Input: a 4-byte header, then the record bytes.
 *   byte 0      which decoder: 0 user, 1 group, 2 gids, 3 keys, 4 meta,
 *               5 u32 (modulo 6)
 *   byte 1      how far (0..7) the pack buffer is from malloc's alignment
 *   bytes 2..3  the pack buffer size, u16 little-endian
 *
 * Invariants: a decoder returns 0 or -EIO; a decoded record re-encodes to
 * exactly the input bytes (the encoding has one spelling per value); its
 * iterator yields exactly the announced number of items and then 0.
 * Packing succeeds exactly when the buffer holds the documented size (all
 * strings with their NULs, "*" for the password, for a group the aligned,
 * NULL-terminated member array); on success every pointer lies in the
 * buffer and the strings equal the record's; on -ERANGE the buffer is
 * untouched.
 */
#include <errno.h>
#include <stdalign.h>

#include "fuzz.h"
#include "iam_pack.h"
#include "iam_rec.h"

#define HEADER 4
#define FILL 0xa5

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

/* The caller's buffer for packing: @len bytes at @off from an aligned
 * block, the rest of the block filled with FILL so writes outside the
 * buffer show. */
struct packbuf {
    char *block;
    char *buf;
    size_t len;
};

static void
packbuf_init(struct packbuf *pb, size_t off, size_t len)
{
    pb->block = malloc(off + len + 1);
    FUZZ_ASSERT(pb->block != NULL);
    memset(pb->block, FILL, off + len + 1);
    pb->buf = pb->block + off;
    pb->len = len;
}

static int
packbuf_untouched(const struct packbuf *pb)
{
    size_t i;

    for (i = 0; i < pb->len; i++) {
        if ((unsigned char)pb->buf[i] != FILL)
            return 0;
    }
    return 1;
}

static int
in_buf(const struct packbuf *pb, const void *p, size_t n)
{
    const char *c = p;

    return c >= pb->buf && n <= pb->len && c <= pb->buf + pb->len - n;
}

static void
check_cstr(const struct packbuf *pb, const char *s, struct iam_str want)
{
    FUZZ_ASSERT(in_buf(pb, s, want.len + 1));
    FUZZ_ASSERT(memcmp(s, want.p, want.len) == 0 && s[want.len] == '\0');
}

static void
check_equal(const struct iam_buf *b, const uint8_t *p, size_t len)
{
    FUZZ_ASSERT(b->len == len);
    FUZZ_ASSERT(memcmp(b->p, p, len) == 0);
}

static void
fuzz_user(const uint8_t *p, size_t len, struct packbuf *pb)
{
    static const struct iam_str star = { "*", 1 };
    struct iam_buf b = { 0 };
    struct iam_user_rec u;
    struct passwd pw;
    size_t need;
    int r;

    r = iam_rec_decode_user(p, len, &u);
    FUZZ_ASSERT(r == 0 || r == -EIO);
    if (r < 0)
        return;
    FUZZ_ASSERT(iam_rec_encode_user(&b, &u) == 0);
    check_equal(&b, p, len);
    iam_buf_free(&b);

    need =
        u.name.len + 1 + 2 + u.gecos.len + 1 + u.home.len + 1 + u.shell.len + 1;
    memset(&pw, 0, sizeof(pw));
    r = iam_pack_passwd(&u, &pw, pb->buf, pb->len);
    if (need > pb->len) {
        FUZZ_ASSERT(r == -ERANGE);
        FUZZ_ASSERT(packbuf_untouched(pb));
        return;
    }
    FUZZ_ASSERT(r == 0);
    check_cstr(pb, pw.pw_name, u.name);
    check_cstr(pb, pw.pw_passwd, star);
    check_cstr(pb, pw.pw_gecos, u.gecos);
    check_cstr(pb, pw.pw_dir, u.home);
    check_cstr(pb, pw.pw_shell, u.shell);
    FUZZ_ASSERT(pw.pw_uid == u.uid && pw.pw_gid == u.gid);
}

static void
fuzz_group(const uint8_t *p, size_t len, struct packbuf *pb)
{
    static const struct iam_str star = { "*", 1 };
    struct iam_buf b = { 0 };
    struct iam_group_rec g;
    struct iam_rec_iter it;
    struct iam_str *mem, s;
    struct group gr;
    size_t need, pad, strs = 0;
    uint32_t i;
    int r;

    r = iam_rec_decode_group(p, len, &g);
    FUZZ_ASSERT(r == 0 || r == -EIO);
    if (r < 0)
        return;
    FUZZ_ASSERT(g.nmem <= len / 2);
    mem = calloc((size_t)g.nmem + 1, sizeof(*mem));
    FUZZ_ASSERT(mem != NULL);
    it = g.members;
    for (i = 0; i < g.nmem; i++) {
        FUZZ_ASSERT(iam_rec_str_next(&it, &mem[i]) == 1);
        strs += mem[i].len + 1;
    }
    FUZZ_ASSERT(iam_rec_str_next(&it, &s) == 0);
    FUZZ_ASSERT(iam_rec_encode_group(&b, g.gid, g.name, g.kind, mem, g.nmem) ==
                0);
    check_equal(&b, p, len);
    iam_buf_free(&b);

    pad = (alignof(char *) - (uintptr_t)pb->buf % alignof(char *)) %
          alignof(char *);
    need =
        pad + ((size_t)g.nmem + 1) * sizeof(char *) + strs + g.name.len + 1 + 2;
    memset(&gr, 0, sizeof(gr));
    r = iam_pack_group(&g, &gr, pb->buf, pb->len);
    if (need > pb->len) {
        FUZZ_ASSERT(r == -ERANGE);
        FUZZ_ASSERT(packbuf_untouched(pb));
        free(mem);
        return;
    }
    FUZZ_ASSERT(r == 0);
    check_cstr(pb, gr.gr_name, g.name);
    check_cstr(pb, gr.gr_passwd, star);
    FUZZ_ASSERT(gr.gr_gid == g.gid);
    FUZZ_ASSERT((uintptr_t)gr.gr_mem % alignof(char *) == 0);
    FUZZ_ASSERT(in_buf(pb, gr.gr_mem, ((size_t)g.nmem + 1) * sizeof(char *)));
    for (i = 0; i < g.nmem; i++)
        check_cstr(pb, gr.gr_mem[i], mem[i]);
    FUZZ_ASSERT(gr.gr_mem[g.nmem] == NULL);
    free(mem);
}

static void
fuzz_gids(const uint8_t *p, size_t len)
{
    struct iam_buf b = { 0 };
    struct iam_rec_iter it, walk;
    uint32_t *gids, n = 0;
    int r;

    r = iam_rec_decode_gids(p, len, &it);
    FUZZ_ASSERT(r == 0 || r == -EIO);
    if (r < 0)
        return;
    FUZZ_ASSERT(it.remaining <= len / 4);
    gids = calloc((size_t)it.remaining + 1, sizeof(*gids));
    FUZZ_ASSERT(gids != NULL);
    walk = it;
    while ((r = iam_rec_gid_next(&walk, &gids[n])) == 1)
        n++;
    FUZZ_ASSERT(r == 0 && n == it.remaining && walk.left == 0);
    FUZZ_ASSERT(iam_rec_encode_gids(&b, gids, n) == 0);
    check_equal(&b, p, len);
    iam_buf_free(&b);
    free(gids);
}

static void
fuzz_keys(const uint8_t *p, size_t len)
{
    struct iam_buf b = { 0 };
    struct iam_rec_iter it, walk;
    struct iam_key_rec *keys;
    uint32_t n = 0;
    int r;

    r = iam_rec_decode_keys(p, len, &it);
    FUZZ_ASSERT(r == 0 || r == -EIO);
    if (r < 0)
        return;
    FUZZ_ASSERT(it.remaining <= len / 15);
    keys = calloc((size_t)it.remaining + 1, sizeof(*keys));
    FUZZ_ASSERT(keys != NULL);
    walk = it;
    while ((r = iam_rec_key_next(&walk, &keys[n])) == 1) {
        FUZZ_ASSERT(keys[n].status <= IAM_KEY_EXPIRED);
        n++;
    }
    FUZZ_ASSERT(r == 0 && n == it.remaining && walk.left == 0);
    FUZZ_ASSERT(iam_rec_encode_keys(&b, keys, n) == 0);
    check_equal(&b, p, len);
    iam_buf_free(&b);
    free(keys);
}

static void
fuzz_meta(const uint8_t *p, size_t len)
{
    struct iam_buf b = { 0 };
    struct iam_meta_rec m;
    int r;

    r = iam_rec_decode_meta(p, len, &m);
    FUZZ_ASSERT(r == 0 || r == -EIO);
    if (r < 0)
        return;
    FUZZ_ASSERT(m.uid_min > 0 && m.uid_min <= m.uid_max);
    FUZZ_ASSERT(iam_rec_encode_meta(&b, &m) == 0);
    check_equal(&b, p, len);
    iam_buf_free(&b);
}

static void
fuzz_u32(const uint8_t *p, size_t len)
{
    struct iam_buf b = { 0 };
    uint32_t v;
    int r;

    r = iam_rec_decode_u32(p, len, &v);
    FUZZ_ASSERT(r == 0 || r == -EIO);
    FUZZ_ASSERT(r == 0 || v == 0);
    if (r < 0)
        return;
    FUZZ_ASSERT(iam_rec_encode_u32(&b, v) == 0);
    check_equal(&b, p, len);
    iam_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct packbuf pb;
    uint8_t *rec;
    size_t len;

    if (size < HEADER)
        return 0;
    len = size - HEADER;
    /* An exact-size copy, so a read past the record is an ASan report. */
    rec = (uint8_t *)fuzz_dup(data + HEADER, len);
    packbuf_init(&pb, data[1] % 8, (size_t)data[2] | (size_t)data[3] << 8);
    switch (data[0] % 6) {
    case 0:
        fuzz_user(rec, len, &pb);
        break;
    case 1:
        fuzz_group(rec, len, &pb);
        break;
    case 2:
        fuzz_gids(rec, len);
        break;
    case 3:
        fuzz_keys(rec, len);
        break;
    case 4:
        fuzz_meta(rec, len);
        break;
    default:
        fuzz_u32(rec, len);
        break;
    }
    /* Nothing written before or after the caller's buffer. */
    for (len = 0; pb.block + len < pb.buf; len++)
        FUZZ_ASSERT((unsigned char)pb.block[len] == FILL);
    FUZZ_ASSERT((unsigned char)pb.buf[pb.len] == FILL);
    free(pb.block);
    free(rec);
    return 0;
}
