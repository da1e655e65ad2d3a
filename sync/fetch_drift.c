#include "fetch_delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * fetch_drift: what an incrementally kept fetch got wrong. Each side is
 * reduced to lists of items (users, memberships, keys), each item an
 * identity (a user id; a group and a user id; a user id and a key id) and
 * what is known of it. The sorted lists are merged: an item whose
 * identity only one side has, or whose rest differs, counts once.
 */

/* One item: its first ID_PARTS strings are who it is, the rest and @n
 * what it is. */
#define ID_PARTS 2
struct item {
    const char *s[4];
    long n;
};

static int
cmp_parts(const struct item *x, const struct item *y, int from, int to)
{
    int c, i;

    for (i = from; i < to; i++) {
        c = strcmp(x->s[i] ? x->s[i] : "", y->s[i] ? y->s[i] : "");
        if (c != 0)
            return c;
    }
    return 0;
}

static int
cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = cmp_parts(x, y, 0, 4);

    return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

struct items {
    struct item *v;
    size_t n;
};

/* How many identities one side only has, or both with a different rest. */
static unsigned long
drift_count(struct items *a, struct items *b)
{
    unsigned long d = 0;
    size_t i = 0, j = 0;
    int c;

    if (a->n > 0)
        qsort(a->v, a->n, sizeof(*a->v), cmp_item);
    if (b->n > 0)
        qsort(b->v, b->n, sizeof(*b->v), cmp_item);
    while (i < a->n || j < b->n) {
        c = i == a->n   ? 1
            : j == b->n ? -1
                        : cmp_parts(&a->v[i], &b->v[j], 0, ID_PARTS);
        if (c != 0 || cmp_item(&a->v[i], &b->v[j]) != 0)
            d++;
        i += c <= 0;
        j += c >= 0;
    }
    return d;
}

/* A user: (id), name, path, authorized. */
static int
user_items(const struct fetch *f, struct items *ret)
{
    size_t i;

    ret->v = calloc(f->n_users + 1, sizeof(*ret->v));
    if (!ret->v)
        return -ENOMEM;
    for (i = 0; i < f->n_users; i++) {
        ret->v[i].s[0] = f->users[i].user_id;
        ret->v[i].s[2] = f->users[i].user_name;
        ret->v[i].s[3] = f->users[i].path ? f->users[i].path : "/";
        ret->v[i].n = f->authorized && f->authorized[i];
    }
    ret->n = f->n_users;
    return 0;
}

/* (group name, user id) for each membership. */
static int
member_items(const struct fetch *f, struct items *ret)
{
    size_t g, k, n = 0;

    for (g = 0; g < f->n_groups; g++)
        n += f->groups[g].n_members;
    ret->v = calloc(n + 1, sizeof(*ret->v));
    if (!ret->v)
        return -ENOMEM;
    for (g = 0; g < f->n_groups; g++) {
        for (k = 0; k < f->groups[g].n_members; k++) {
            ret->v[ret->n].s[0] = f->groups[g].name;
            ret->v[ret->n].s[1] = f->users[f->groups[g].members[k]].user_id;
            ret->n++;
        }
    }
    return 0;
}

/* (user id, key id), body, status of each key served: one without a body
 * was deleted meanwhile, and is served by neither. */
static int
key_items(const struct fetch *f, struct items *ret)
{
    const struct fetch_key *k;
    size_t u, i, n = 0;

    for (u = 0; f->keys && u < f->n_users; u++)
        n += f->keys[u].n;
    ret->v = calloc(n + 1, sizeof(*ret->v));
    if (!ret->v)
        return -ENOMEM;
    for (u = 0; f->keys && u < f->n_users; u++) {
        for (i = 0; i < f->keys[u].n; i++) {
            k = &f->keys[u].v[i];
            if (!k->body)
                continue;
            ret->v[ret->n].s[0] = f->users[u].user_id;
            ret->v[ret->n].s[1] = k->key_id;
            ret->v[ret->n].s[2] = k->body;
            ret->v[ret->n].n = k->status;
            ret->n++;
        }
    }
    return 0;
}

int
fetch_drift(const struct fetch *kept, const struct fetch *full,
            struct fetch_drift *ret)
{
    struct items a[3], b[3];
    int i, r;

    memset(ret, 0, sizeof(*ret));
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    r = user_items(kept, &a[0]);
    if (r >= 0)
        r = user_items(full, &b[0]);
    if (r >= 0)
        r = member_items(kept, &a[1]);
    if (r >= 0)
        r = member_items(full, &b[1]);
    if (r >= 0)
        r = key_items(kept, &a[2]);
    if (r >= 0)
        r = key_items(full, &b[2]);
    if (r >= 0) {
        ret->users = drift_count(&a[0], &b[0]);
        ret->members = drift_count(&a[1], &b[1]);
        ret->keys = drift_count(&a[2], &b[2]);
    }
    for (i = 0; i < 3; i++) {
        free(a[i].v);
        free(b[i].v);
    }
    return r;
}

unsigned long
fetch_drift_total(const struct fetch_drift *d)
{
    return d->users + d->members + d->keys;
}
