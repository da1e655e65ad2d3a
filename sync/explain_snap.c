#include "explain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iam_db.h"
#include "iam_rec.h"

static char *
dup_str(struct iam_str s)
{
    return strndup(s.p, s.len);
}

/* One served user, as ListUsers and ListSSHPublicKeys would give it. */
static int
add_user(struct iam_db_txn *t, const struct iam_user_rec *u, struct fetch *f)
{
    struct aws_iam_json_user *fu = &f->users[f->n_users];
    struct fetch_user_keys *uk = &f->keys[f->n_users];
    char name[IAM_NAME_BUF];
    struct iam_rec_iter it;
    struct iam_key_rec k;
    struct fetch_key *fk;
    int r;

    fu->user_name = dup_str(u->iam_name);
    fu->user_id = dup_str(u->iam_id);
    f->n_users++;
    if (!fu->user_name || !fu->user_id)
        return -ENOMEM;
    snprintf(name, sizeof(name), "%.*s", (int)u->name.len, u->name.p);
    if (iam_db_user_keys(t, name, &it) < 0)
        return 0;
    while ((r = iam_rec_key_next(&it, &k)) == 1) {
        fk = realloc(uk->v, (uk->n + 1) * sizeof(*uk->v));
        if (!fk)
            return -ENOMEM;
        uk->v = fk;
        fk = &uk->v[uk->n++];
        memset(fk, 0, sizeof(*fk));
        /* IAM said Active for an expired key: the age decides again */
        fk->status = k.status == IAM_KEY_INACTIVE ? AWS_IAM_JSON_KEY_INACTIVE
                                                  : AWS_IAM_JSON_KEY_ACTIVE;
        fk->upload_date = (time_t)k.upload_date;
        fk->key_id = dup_str(k.key_id);
        fk->body = dup_str(k.line);
        if (!fk->key_id || !fk->body)
            return -ENOMEM;
    }
    return r < 0 ? -EIO : 0;
}

static int
read_users(struct iam_db_txn *t, struct fetch *f, size_t cap)
{
    struct iam_user_rec u;
    uint32_t next = 0;
    int r;

    while ((r = iam_db_user_next(t, next, &u)) == 0 && f->n_users < cap) {
        next = u.uid + 1;
        r = add_user(t, &u, f);
        if (r < 0)
            return r;
    }
    return r == -ESRCH || r == 0 ? 0 : r;
}

/* The fetched user whose served (POSIX) name is @name. */
static long
by_posix(const struct fetch *f, struct iam_str name)
{
    char mapped[IAM_NAME_BUF];
    size_t i;

    for (i = 0; i < f->n_users; i++)
        if (iam_name_map(f->users[i].user_name, mapped, sizeof(mapped)) == 0 &&
            iam_str_eq(name, mapped))
            return (long)i;
    return -1;
}

/* @g's members, from the snapshot's group of that (mapped) name, or from
 * @fallback (SUDO_GROUP) when it serves none. */
static int
read_members(struct iam_db_txn *t, const char *fallback, struct fetch *f,
             struct fetch_group *g)
{
    char mapped[IAM_NAME_BUF];
    struct iam_group_rec rec;
    struct iam_str s;
    long u;

    if ((iam_name_map(g->name, mapped, sizeof(mapped)) < 0 ||
         iam_db_group_by_name(t, mapped, &rec) < 0 ||
         rec.kind != IAM_GROUP_IAM) &&
        (!fallback || iam_db_group_by_name(t, fallback, &rec) < 0))
        return 0;
    g->group_id = strdup(g->name); /* stands for the GroupId */
    g->members = calloc(rec.nmem + 1, sizeof(*g->members));
    if (!g->group_id || !g->members)
        return -ENOMEM;
    while (iam_rec_str_next(&rec.members, &s) == 1) {
        u = by_posix(f, s);
        if (u >= 0)
            g->members[g->n_members++] = (size_t)u;
    }
    return 0;
}

/* Did list @i's entry @j come earlier, in list @i or in list 0? */
static bool
listed_before(const struct iam_strlist *const *lists, size_t i, size_t j)
{
    size_t k;

    for (k = 0; i == 1 && k < lists[0]->n; k++)
        if (strcmp(lists[0]->v[k], lists[i]->v[j]) == 0)
            return true;
    for (k = 0; k < j; k++)
        if (strcmp(lists[i]->v[k], lists[i]->v[j]) == 0)
            return true;
    return false;
}

/* The configured groups, authorized first, each once (as fetch.c). */
static int
read_groups(struct iam_db_txn *t, const struct iam_config *cfg, struct fetch *f)
{
    const struct iam_strlist *lists[2] = { &cfg->iam_authorized_groups,
                                           &cfg->sudoers_groups };
    struct fetch_group *g;
    size_t i, j;
    int r = 0;

    f->groups = calloc(lists[0]->n + lists[1]->n + 1, sizeof(*f->groups));
    if (!f->groups)
        return -ENOMEM;
    for (i = 0; r >= 0 && i < 2; i++) {
        for (j = 0; r >= 0 && j < lists[i]->n; j++) {
            if (listed_before(lists, i, j))
                continue;
            g = &f->groups[f->n_groups++];
            g->name = strdup(lists[i]->v[j]);
            if (!g->name)
                return -ENOMEM;
            g->authorized = i == 0;
            r = read_members(t, i ? cfg->sudo_group : NULL, f, g);
        }
    }
    return r;
}

int
explain_snapshot_fetch(const char *path, const struct iam_config *cfg,
                       struct fetch *ret)
{
    struct iam_db *db = NULL;
    struct iam_meta_rec meta;
    struct iam_db_txn t;
    bool in_txn = false;
    size_t cap;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = iam_db_open(path, &db);
    if (r >= 0)
        r = iam_db_begin(db, &t);
    in_txn = r >= 0;
    if (r >= 0)
        r = iam_db_meta(&t, &meta);
    if (r < 0)
        goto out;
    cap = meta.users;
    ret->users = calloc(cap + 1, sizeof(*ret->users));
    ret->keys = calloc(cap + 1, sizeof(*ret->keys));
    if (!ret->users || !ret->keys)
        r = -ENOMEM;
    if (r >= 0)
        r = read_users(&t, ret, cap);
    if (r >= 0)
        r = read_groups(&t, cfg, ret);
    if (r >= 0)
        r = fetch_mark_authorized(ret, &cfg->iam_authorized_groups);
out:
    if (in_txn)
        iam_db_end(&t);
    iam_db_close(db);
    if (r < 0)
        fetch_free(ret);
    return r;
}
