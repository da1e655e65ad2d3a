#include "iam_pack.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

/* Copies @s and its NUL to *@pos; the caller has checked the room. */
static char *
put_str(char **pos, struct iam_str s)
{
    char *start = *pos;

    if (s.len)
        memcpy(start, s.p, s.len);
    start[s.len] = '\0';
    *pos = start + s.len + 1;
    return start;
}

int
iam_pack_passwd(const struct iam_user_rec *u, struct passwd *pw, char *buf,
                size_t buflen)
{
    static const struct iam_str star = { "*", 1 };
    size_t need;
    char *pos = buf;

    /* Each string's bytes plus its NUL; the record caps each at 64 KiB,
     * so the sum cannot overflow. */
    need = u->name.len + 1 + star.len + 1 + u->gecos.len + 1 + u->home.len + 1 +
           u->shell.len + 1;
    if (need > buflen)
        return -ERANGE;
    pw->pw_name = put_str(&pos, u->name);
    pw->pw_passwd = put_str(&pos, star);
    pw->pw_uid = u->uid;
    pw->pw_gid = u->gid;
    pw->pw_gecos = put_str(&pos, u->gecos);
    pw->pw_dir = put_str(&pos, u->home);
    pw->pw_shell = put_str(&pos, u->shell);
    return 0;
}

/* Bytes needed for the member strings; -EIO if the list is malformed. */
static int
members_size(struct iam_rec_iter it, size_t *ret)
{
    struct iam_str s;
    size_t n = 0;
    int r;

    while ((r = iam_rec_str_next(&it, &s)) == 1)
        n += s.len + 1;
    if (r < 0)
        return r;
    *ret = n;
    return 0;
}

int
iam_pack_group(const struct iam_group_rec *g, struct group *gr, char *buf,
               size_t buflen)
{
    struct iam_rec_iter it = g->members;
    size_t pad, strs, need;
    struct iam_str s;
    char **mem, *pos;
    uint32_t i;
    int r;

    r = members_size(g->members, &strs);
    if (r < 0)
        return r;
    /* The pointer array comes first, aligned within the caller's buffer. */
    pad =
        (alignof(char *) - (uintptr_t)buf % alignof(char *)) % alignof(char *);
    if ((size_t)g->nmem + 1 > (SIZE_MAX - pad) / sizeof(char *))
        return -ERANGE;
    need = pad + ((size_t)g->nmem + 1) * sizeof(char *);
    if (strs > SIZE_MAX - need - g->name.len - 3)
        return -ERANGE;
    need += strs + g->name.len + 1 + 2;
    if (need > buflen)
        return -ERANGE;
    mem = (char **)(void *)(buf + pad);
    pos = (char *)(mem + g->nmem + 1);
    gr->gr_name = put_str(&pos, g->name);
    gr->gr_passwd = put_str(&pos, (struct iam_str){ "*", 1 });
    gr->gr_gid = g->gid;
    for (i = 0; i < g->nmem && iam_rec_str_next(&it, &s) == 1; i++)
        mem[i] = put_str(&pos, s);
    mem[i] = NULL;
    gr->gr_mem = mem;
    return 0;
}
