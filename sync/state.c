#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_db.h"
#include "iam_keyline.h"

static int
cmp_user(const void *a, const void *b)
{
    return strcmp(((const struct state_user *)a)->name,
                  ((const struct state_user *)b)->name);
}

static int
cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct state_key *)a)->key_id,
                  ((const struct state_key *)b)->key_id);
}

static char *
dup_str(struct iam_str s)
{
    return strndup(s.p, s.len);
}

/*
 * Makes room for item @n, starting at @first items: a user has a handful
 * of keys (IAM allows five), and 64 slots each for 5000 users was 20 MB.
 */
static int
grow(void **p, size_t *cap, size_t n, size_t size, size_t first)
{
    void *np;

    if (n < *cap)
        return 0;
    *cap = *cap ? 2 * *cap : first;
    np = realloc(*p, *cap * size);
    if (!np)
        return -ENOMEM;
    *p = np;
    return 0;
}

/* Names in a group's member list, for the old sudo membership. */
static bool
group_has(const struct iam_group_rec *g, const char *name)
{
    struct iam_rec_iter it = g->members;
    struct iam_str s;

    while (iam_rec_str_next(&it, &s) == 1)
        if (iam_str_eq(s, name))
            return true;
    return false;
}

static bool
gids_have(struct iam_db_txn *t, const char *name, uint32_t gid)
{
    struct iam_rec_iter it;
    uint32_t g;

    if (!gid || iam_db_user_gids(t, name, &it) < 0)
        return false;
    while (iam_rec_gid_next(&it, &g) == 1)
        if (g == gid)
            return true;
    return false;
}

/* A key from a tag: when it was first seen, by its user's IAM id. */
static int
remember_tag_key(struct known_keys *known, struct iam_str iam_id,
                 const struct iam_key_rec *k)
{
    char id[AWS_IAM_JSON_ID_MAX + 1], fp[IAM_KEYLINE_FP_SIZE];

    if (iam_id.len >= sizeof(id) || k->fingerprint.len >= sizeof(fp))
        return 0; /* not ours to remember: the key is dated anew */
    snprintf(id, sizeof(id), "%.*s", (int)iam_id.len, iam_id.p);
    snprintf(fp, sizeof(fp), "%.*s", (int)k->fingerprint.len, k->fingerprint.p);
    return tag_seen_add(&known->seen, id, fp, k->upload_date);
}

/* One user's keys into @su, and their lines into @known (and the first
 * sight of the keys from tags, by @iam_id). */
static int
read_keys(struct iam_db_txn *t, struct state_user *su, struct iam_str iam_id,
          struct known_keys *known, size_t *known_cap)
{
    struct iam_rec_iter it;
    struct iam_key_rec k;
    size_t cap = 0;
    int r;

    r = iam_db_user_keys(t, su->name, &it);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return r;
    while ((r = iam_rec_key_next(&it, &k)) == 1) {
        if (grow((void **)&su->keys, &cap, su->n_keys, sizeof(*su->keys), 2))
            return -ENOMEM;
        memset(&su->keys[su->n_keys], 0, sizeof(su->keys[0]));
        su->keys[su->n_keys].key_id = dup_str(k.key_id);
        su->keys[su->n_keys].status = k.status;
        snprintf(su->keys[su->n_keys].fingerprint,
                 sizeof(su->keys[0].fingerprint), "%.*s",
                 (int)k.fingerprint.len, k.fingerprint.p);
        if (!su->keys[su->n_keys++].key_id)
            return -ENOMEM;
        if (!known)
            continue;
        if (tag_keys_is_id(su->keys[su->n_keys - 1].key_id)) {
            if (remember_tag_key(known, iam_id, &k) < 0)
                return -ENOMEM;
            continue; /* its line is the tag's, not a body to reuse */
        }
        if (grow((void **)&known->v, known_cap, known->n, sizeof(*known->v),
                 64))
            return -ENOMEM;
        known->v[known->n].key_id = dup_str(k.key_id);
        known->v[known->n].line = dup_str(k.line);
        if (!known->v[known->n].key_id || !known->v[known->n].line) {
            free(known->v[known->n].key_id);
            free(known->v[known->n].line);
            return -ENOMEM;
        }
        known->n++;
    }
    qsort(su->keys, su->n_keys, sizeof(*su->keys), cmp_key);
    return r < 0 ? -EIO : 0;
}

static int
read_users(struct iam_db_txn *t, const char *sudo_group, gid_t sudo_local,
           struct state *s, struct known_keys *known)
{
    struct iam_group_rec sudo;
    struct iam_user_rec u;
    struct state_user *su;
    size_t cap = 0, kcap = 0;
    bool have_sudo;
    uint32_t next = 0;
    int r;

    have_sudo = iam_db_group_by_name(t, sudo_group, &sudo) == 0;
    while ((r = iam_db_user_next(t, next, &u)) == 0) {
        next = u.uid + 1;
        if (grow((void **)&s->users, &cap, s->n_users, sizeof(*s->users), 64))
            return -ENOMEM;
        su = &s->users[s->n_users++];
        memset(su, 0, sizeof(*su));
        snprintf(su->name, sizeof(su->name), "%.*s", (int)u.name.len, u.name.p);
        su->uid = u.uid;
        su->sudo = (have_sudo && group_has(&sudo, su->name)) ||
                   gids_have(t, su->name, sudo_local);
        r = read_keys(t, su, u.iam_id, known, &kcap);
        if (r < 0)
            return r;
        if (next == 0)
            break; /* uid was UINT32_MAX */
    }
    return r == -ESRCH ? 0 : r;
}

/*
 * The lines of the shared key index into @known too: a member of a
 * shared account's group who has no account of their own would
 * otherwise cost a GetSSHPublicKey per key at every sync. A key id also
 * held by user.keys is there twice, with the same line; the fetch takes
 * one and the other is freed with the list.
 */
static int
read_shared_known(struct iam_db_txn *t, struct known_keys *known)
{
    char after[IAM_KEYLINE_FP_SIZE] = "";
    struct iam_shared_key_rec k;
    size_t cap = known->n;
    int r;

    while ((r = iam_db_shared_key_next(t, after, &k)) == 0) {
        if (k.fingerprint.len >= sizeof(after))
            return -EIO;
        memcpy(after, k.fingerprint.p, k.fingerprint.len);
        after[k.fingerprint.len] = '\0';
        if (grow((void **)&known->v, &cap, known->n, sizeof(*known->v), 64))
            return -ENOMEM;
        known->v[known->n].key_id = dup_str(k.key_id);
        known->v[known->n].line = dup_str(k.line);
        if (!known->v[known->n].key_id || !known->v[known->n].line) {
            free(known->v[known->n].key_id);
            free(known->v[known->n].line);
            return -ENOMEM;
        }
        known->n++;
    }
    return r == -ESRCH ? 0 : r;
}

/* Reads the snapshot: its meta, and its users when @users. */
static int
read_snapshot(const char *path, bool users, const char *sudo_group,
              gid_t sudo_local_gid, struct state *ret,
              struct known_keys *ret_known)
{
    struct iam_meta_rec meta;
    struct iam_db_txn t;
    struct iam_db *db;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (ret_known)
        memset(ret_known, 0, sizeof(*ret_known));
    r = iam_db_open(path, &db);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    ret->exists = true;
    r = iam_db_begin(db, &t);
    if (r < 0)
        goto out;
    r = iam_db_meta(&t, &meta);
    if (r >= 0) {
        snprintf(ret->digest, sizeof(ret->digest), "%.*s", (int)meta.digest.len,
                 meta.digest.p);
        ret->created = meta.created;
        snprintf(ret->source, sizeof(ret->source), "%.*s", (int)meta.source.len,
                 meta.source.p);
        snprintf(ret->account, sizeof(ret->account), "%.*s",
                 (int)meta.account.len, meta.account.p);
        /* Anything but an instance id is no instance known. */
        if (iam_instance_id_valid(meta.instance.p, meta.instance.len))
            memcpy(ret->instance, meta.instance.p, meta.instance.len);
        if (users)
            r = read_users(&t, sudo_group, sudo_local_gid, ret, ret_known);
        if (users && r >= 0 && ret_known)
            r = read_shared_known(&t, ret_known);
    }
    iam_db_end(&t);
out:
    iam_db_close(db);
    if (r < 0) {
        state_free(ret);
        if (ret_known)
            known_keys_free(ret_known);
        return r;
    }
    qsort(ret->users, ret->n_users, sizeof(*ret->users), cmp_user);
    if (ret_known)
        known_keys_sort(ret_known);
    return 0;
}

int
state_from_snapshot(const char *path, const char *sudo_group,
                    gid_t sudo_local_gid, struct state *ret,
                    struct known_keys *ret_known)
{
    return read_snapshot(path, true, sudo_group, sudo_local_gid, ret,
                         ret_known);
}

int
state_peek(const char *path, struct state *ret)
{
    return read_snapshot(path, false, NULL, 0, ret, NULL);
}

int
state_from_model(const struct model *m, struct state *ret)
{
    struct state_user *su;
    size_t i, k;

    memset(ret, 0, sizeof(*ret));
    ret->exists = true;
    snprintf(ret->account, sizeof(ret->account), "%s", m->account);
    ret->users = calloc(m->n_users + 1, sizeof(*ret->users));
    if (!ret->users)
        return -ENOMEM;
    for (i = 0; i < m->n_users; i++) {
        su = &ret->users[ret->n_users++];
        memcpy(su->name, m->users[i].name, sizeof(su->name));
        su->uid = m->users[i].uid;
        su->sudo = m->users[i].sudo;
        su->keys = calloc(m->users[i].n_keys + 1, sizeof(*su->keys));
        if (!su->keys)
            goto nomem;
        for (k = 0; k < m->users[i].n_keys; k++) {
            su->keys[k].key_id = strdup(m->users[i].keys[k].key_id);
            if (!su->keys[k].key_id)
                goto nomem;
            su->n_keys++;
            su->keys[k].status = m->users[i].keys[k].status;
            memcpy(su->keys[k].fingerprint, m->users[i].keys[k].fingerprint,
                   sizeof(su->keys[k].fingerprint));
        }
        qsort(su->keys, su->n_keys, sizeof(*su->keys), cmp_key);
    }
    qsort(ret->users, ret->n_users, sizeof(*ret->users), cmp_user);
    return 0;
nomem:
    state_free(ret);
    return -ENOMEM;
}

void
state_drop_users(struct state *s)
{
    size_t i, k;

    for (i = 0; s->users && i < s->n_users; i++) {
        for (k = 0; k < s->users[i].n_keys; k++)
            free(s->users[i].keys[k].key_id);
        free(s->users[i].keys);
    }
    free(s->users);
    s->users = NULL;
}

void
state_free(struct state *s)
{
    state_drop_users(s);
    memset(s, 0, sizeof(*s));
}
