#include "model_shared.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iam_log.h"
#include "model.h"

#define DAY 86400

/* ---- LOCAL_GROUP_MAP ---- */

/* Appends @gid to @u's supplementary gids once. */
static int
add_gid(struct model_user *u, uint32_t gid)
{
    uint32_t *v;
    uint32_t i;

    for (i = 0; i < u->n_gids; i++)
        if (u->gids[i] == gid)
            return 0;
    v = realloc(u->gids, (u->n_gids + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    v[u->n_gids++] = gid;
    u->gids = v;
    return 0;
}

/* The local gid of @name, or 0 (logged) when it cannot be given. */
static gid_t
mapped_gid(const struct iam_config *cfg, const struct iam_name_set *local,
           const char *iam_group, const char *name)
{
    gid_t gid;

    if (iam_name_set_group_gid(local, name, &gid) < 0) {
        iam_log(LOG_WARNING,
                "%s: LOCAL_GROUP_MAP: %s: no local group %s in /etc/group: "
                "not given",
                cfg->local_group_map.where, iam_group, name);
        return 0;
    }
    if (gid == 0)
        iam_log(LOG_WARNING, "%s: LOCAL_GROUP_MAP: %s: %s is gid 0: not given",
                cfg->local_group_map.where, iam_group, name);
    return gid;
}

int
model_shared_map_groups(const struct fetch *f, const struct iam_config *cfg,
                        const struct iam_name_set *local, const long *idx,
                        struct model *m)
{
    const struct iam_map_entry *e;
    const struct fetch_group *g;
    size_t i, j, k;
    gid_t gid;
    int r;

    for (i = 0; i < cfg->local_group_map.n; i++) {
        e = &cfg->local_group_map.v[i];
        g = fetch_group_find(f, e->left);
        if (!g || !g->group_id) {
            iam_log(LOG_WARNING,
                    "%s: LOCAL_GROUP_MAP: no IAM group %s: nobody joins %s",
                    cfg->local_group_map.where, e->left, e->right.v[0]);
            continue;
        }
        for (j = 0; j < e->right.n; j++) {
            gid = mapped_gid(cfg, local, e->left, e->right.v[j]);
            if (gid == 0)
                continue;
            for (k = 0; k < g->n_members; k++) {
                if (idx[g->members[k]] < 0)
                    continue;
                r = add_gid(&m->users[idx[g->members[k]]], gid);
                if (r < 0)
                    return r;
            }
        }
    }
    return 0;
}

/* ---- SHARED_ACCOUNTS: the accounts ---- */

/* Keeps the accounts /etc/passwd has; logs the others with the line. */
static int
build_accts(const struct iam_config *cfg, const struct iam_name_set *local,
            struct model_shared *s)
{
    const struct iam_map *sa = &cfg->shared_accounts;
    struct model_shared_acct *a;
    uid_t uid;
    size_t i;

    s->accts = calloc(sa->n + 1, sizeof(*s->accts));
    if (!s->accts)
        return -ENOMEM;
    for (i = 0; i < sa->n; i++) {
        if (iam_name_set_user_uid(local, sa->v[i].left, &uid) < 0) {
            iam_log(LOG_WARNING,
                    "%s: SHARED_ACCOUNTS: no local account %s in "
                    "/etc/passwd: skipped (nss-iam never creates it)",
                    sa->where, sa->v[i].left);
            continue;
        }
        /* An IAM key opening root would bypass every sudo rule. */
        if (uid == 0) {
            iam_log(LOG_WARNING,
                    "%s: SHARED_ACCOUNTS: %s is uid 0: skipped (use "
                    "SUDOERS_GROUPS or a sudo tier instead)",
                    sa->where, sa->v[i].left);
            continue;
        }
        a = &s->accts[s->n_accts++];
        a->name = sa->v[i].left;
        a->uid = uid;
        a->groups = &sa->v[i].right;
    }
    return 0;
}

/* ---- SHARED_ACCOUNTS: the key index ---- */

/* Adds @name to the user's list of shared groups once. */
static int
add_group(const char ***v, uint32_t *n, const char *name)
{
    const char **nv;
    uint32_t i;

    for (i = 0; i < *n; i++)
        if (strcmp((*v)[i], name) == 0)
            return 0;
    nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    nv[(*n)++] = name;
    *v = nv;
    return 0;
}

/* Per fetched user: the shared accounts' IAM groups they are in. */
struct user_groups {
    const char **v;
    uint32_t n;
};

static int
collect_user_groups(const struct fetch *f, const struct model_shared *s,
                    struct user_groups *ug)
{
    const struct iam_strlist *gl;
    const struct fetch_group *g;
    size_t i, j, k;
    int r;

    for (i = 0; i < s->n_accts; i++) {
        gl = s->accts[i].groups;
        for (j = 0; gl && j < gl->n; j++) {
            g = fetch_group_find(f, gl->v[j]);
            for (k = 0; g && k < g->n_members; k++) {
                r = add_group(&ug[g->members[k]].v, &ug[g->members[k]].n,
                              gl->v[j]);
                if (r < 0)
                    return r;
            }
        }
    }
    return 0;
}

/* A key the keys command may print: Active, valid, within the age
 * limit. Fills @ret's line and fingerprint; 1 kept, 0 not. */
static int
servable(const struct fetch_key *fk, const char *iam_name,
         const struct iam_config *cfg, time_t now, struct model_shared_key *ret)
{
    struct iam_keyline parsed;
    int reason = 0, r;
    size_t len;
    char *line;

    if (!fk->body || fk->status != AWS_IAM_JSON_KEY_ACTIVE)
        return 0;
    if (cfg->max_key_age_days &&
        now - fk->upload_date > (time_t)cfg->max_key_age_days * DAY)
        return 0;
    len = strlen(fk->body);
    line = malloc(len + 1);
    if (!line)
        return -ENOMEM;
    r = iam_keyline_parse(fk->body, len, line, len + 1, &parsed, &reason);
    if (r < 0) {
        free(line);
        /* model.c already logged it for a served user; say it here for
         * the members that are only in a shared account's group */
        iam_log(LOG_WARNING, "IAM user %s: key %s not indexed: %s", iam_name,
                fk->key_id,
                r == -EINVAL ? iam_keyline_strerror(reason) : "error");
        return r == -EINVAL ? 0 : r;
    }
    /* Whole, as user.keys holds it: iam-sync reuses these lines as
     * bodies (state.c), and the keys command prints "TYPE BASE64". */
    ret->line = line;
    ret->upload_date = fk->upload_date;
    memcpy(ret->fingerprint, parsed.fingerprint, sizeof(ret->fingerprint));
    return 1;
}

static int
cmp_fp(const void *a, const void *b)
{
    const struct model_shared_key *x = a, *y = b;
    int c = strcmp(x->fingerprint, y->fingerprint);

    return c ? c : strcmp(x->iam_name, y->iam_name);
}

static void
key_free(struct model_shared_key *k)
{
    free(k->line);
    free(k->groups);
    memset(k, 0, sizeof(*k));
}

/*
 * Sorted by fingerprint, one entry a fingerprint. A key that two IAM
 * users uploaded cannot name one of them in the audit line: it opens no
 * shared account (logged).
 */
static void
drop_ambiguous(struct model_shared *s)
{
    size_t i, j, out = 0;

    qsort(s->keys, s->n_keys, sizeof(*s->keys), cmp_fp);
    for (i = 0; i < s->n_keys; i = j) {
        for (j = i + 1; j < s->n_keys && strcmp(s->keys[j].fingerprint,
                                                s->keys[i].fingerprint) == 0;
             j++)
            ;
        if (j - i > 1) {
            iam_log(LOG_WARNING,
                    "key %s belongs to %zu IAM users (%s, %s...): it "
                    "opens no shared account",
                    s->keys[i].fingerprint, j - i, s->keys[i].iam_name,
                    s->keys[i + 1].iam_name);
            s->ambiguous_keys++;
            while (i < j)
                key_free(&s->keys[i++]);
            continue;
        }
        s->keys[out++] = s->keys[i];
    }
    s->n_keys = out;
}

static int
build_keys(const struct fetch *f, const struct iam_config *cfg, time_t now,
           struct user_groups *ug, struct model_shared *s)
{
    size_t u, k, total = 0;
    struct model_shared_key *key;
    int r;

    for (u = 0; u < f->n_users; u++)
        if (ug[u].n && f->keys)
            total += f->keys[u].n;
    s->keys = calloc(total + 1, sizeof(*s->keys));
    if (!s->keys)
        return -ENOMEM;
    for (u = 0; u < f->n_users; u++) {
        for (k = 0; ug[u].n && f->keys && k < f->keys[u].n; k++) {
            key = &s->keys[s->n_keys];
            r = servable(&f->keys[u].v[k], f->users[u].user_name, cfg, now,
                         key);
            if (r < 0)
                return r;
            if (r == 0)
                continue;
            key->iam_name = f->users[u].user_name;
            key->key_id = f->keys[u].v[k].key_id;
            key->groups = calloc(ug[u].n, sizeof(*key->groups));
            if (!key->groups) {
                key_free(key);
                return -ENOMEM;
            }
            memcpy(key->groups, ug[u].v, ug[u].n * sizeof(*key->groups));
            key->n_groups = ug[u].n;
            s->n_keys++;
        }
    }
    drop_ambiguous(s);
    return 0;
}

int
model_shared_build(const struct fetch *f, const struct iam_config *cfg,
                   const struct iam_name_set *local, time_t now,
                   struct model_shared *ret)
{
    struct user_groups *ug;
    size_t u;
    int r;

    memset(ret, 0, sizeof(*ret));
    if (cfg->shared_accounts.n == 0)
        return 0;
    r = build_accts(cfg, local, ret);
    if (r < 0)
        goto out_free;
    ug = calloc(f->n_users + 1, sizeof(*ug));
    if (!ug) {
        r = -ENOMEM;
        goto out_free;
    }
    r = collect_user_groups(f, ret, ug);
    if (r >= 0)
        r = build_keys(f, cfg, now, ug, ret);
    for (u = 0; u < f->n_users; u++)
        free(ug[u].v);
    free(ug);
    if (r >= 0)
        iam_log(LOG_INFO,
                "SHARED_ACCOUNTS: %zu account(s) served, %zu key(s) "
                "indexed",
                ret->n_accts, ret->n_keys);
out_free:
    if (r < 0)
        model_shared_free(ret);
    return r;
}

/* @n names as views, in a new array (free it). */
static struct iam_str *
views_of(const char *const *names, size_t n)
{
    struct iam_str *v = calloc(n + 1, sizeof(*v));
    size_t i;

    for (i = 0; v && i < n; i++)
        v[i] = iam_str_of(names[i]);
    return v;
}

static int
write_acct(const struct model_shared_acct *a, struct iam_db_writer *w)
{
    struct iam_str *g =
        views_of((const char *const *)a->groups->v, a->groups->n);
    int r;

    if (!g)
        return -ENOMEM;
    r = iam_db_writer_put_shared_acct(w, a->name, a->uid, g,
                                      (uint32_t)a->groups->n);
    free(g);
    return r;
}

static int
write_key(const struct model_shared_key *k, struct iam_db_writer *w)
{
    struct iam_str *g = views_of(k->groups, k->n_groups);
    struct iam_shared_key_rec rec;
    int r;

    if (!g)
        return -ENOMEM;
    memset(&rec, 0, sizeof(rec));
    rec.iam_name = iam_str_of(k->iam_name);
    rec.key_id = iam_str_of(k->key_id);
    rec.line = iam_str_of(k->line);
    rec.fingerprint = iam_str_of(k->fingerprint);
    rec.upload_date = k->upload_date;
    r = iam_db_writer_put_shared_key(w, &rec, g, k->n_groups);
    free(g);
    return r;
}

int
model_shared_write(const struct model_shared *s, struct iam_db_writer *w)
{
    size_t i;
    int r = 0;

    for (i = 0; r >= 0 && i < s->n_accts; i++)
        r = write_acct(&s->accts[i], w);
    for (i = 0; r >= 0 && i < s->n_keys; i++)
        r = write_key(&s->keys[i], w);
    return r;
}

void
model_shared_free(struct model_shared *s)
{
    size_t i;

    for (i = 0; s->keys && i < s->n_keys; i++)
        key_free(&s->keys[i]);
    free(s->keys);
    free(s->accts);
    memset(s, 0, sizeof(*s));
}
