#include "terminate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Every uid @s serves, sorted: "still served" is then one bsearch. */
static int
served_uids(const struct state *s, uint32_t **ret, size_t *ret_n)
{
    uint32_t *v;
    size_t i;

    *ret = NULL;
    *ret_n = 0;
    if (s->n_users == 0)
        return 0;
    v = calloc(s->n_users, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (i = 0; i < s->n_users; i++)
        v[i] = s->users[i].uid;
    qsort(v, s->n_users, sizeof(*v), cmp_u32);
    *ret = v;
    *ret_n = s->n_users;
    return 0;
}

/*
 * May processes of @uid be ended at all? Only an id this snapshot's range
 * gives IAM users, that no local account holds, and that nobody in the
 * new snapshot has: whoever runs under it then is a removed IAM user.
 */
static bool
uid_may_end(uint32_t uid, const struct terminate_rules *rules,
            const uint32_t *still, size_t n_still)
{
    if (uid == 0 || uid < rules->uid_min || uid > rules->uid_max)
        return false;
    if (iam_name_set_has_id(rules->local, uid))
        return false;
    if (n_still == 0)
        return true;
    return !bsearch(&uid, still, n_still, sizeof(*still), cmp_u32);
}

/* Whether @name is still a user of @s (users sorted by name). */
static bool
still_named(const struct state *s, const char *name)
{
    size_t lo = 0, hi = s->n_users, mid;
    int c;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(name, s->users[mid].name);
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

int
terminate_choose(const struct state *old, const struct state *new,
                 const struct terminate_rules *rules,
                 struct terminate_list *ret)
{
    uint32_t *still = NULL;
    size_t n_still = 0, i;
    struct terminate_victim *v;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!rules->enabled || rules->refused || old->n_users == 0)
        return 0;
    r = served_uids(new, &still, &n_still);
    if (r < 0)
        return r;
    for (i = 0; i < old->n_users; i++) {
        const struct state_user *u = &old->users[i];

        if (still_named(new, u->name) ||
            !uid_may_end(u->uid, rules, still, n_still))
            continue;
        v = reallocarray(ret->v, ret->n + 1, sizeof(*v));
        if (!v) {
            terminate_list_free(ret);
            r = -ENOMEM;
            break;
        }
        ret->v = v;
        memset(&v[ret->n], 0, sizeof(*v));
        memcpy(v[ret->n].name, u->name, sizeof(u->name));
        v[ret->n].uid = u->uid;
        ret->n++;
    }
    free(still);
    return r < 0 ? r : 0;
}

void
terminate_list_free(struct terminate_list *l)
{
    if (!l)
        return;
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
