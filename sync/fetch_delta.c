#include "fetch_delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch_read.h"
#include "iam_log.h"

/*
 * A delta is made in three steps. First the calls hints name: GetUser and
 * GetGroup, into a struct found. Then, without a call, the new users and
 * groups from @prev and what was found, and who is authorized. Last the
 * keys: carried over from @prev by user id, or read as a full fetch reads
 * them (fetch_read.h) where a hint names them or a user became wanted.
 */

/* A group read again (configured, named by a hint). */
struct reread {
    char *group_id;                    /* NULL: IAM has no such group */
    struct aws_iam_json_user *members; /* as GetGroup listed them */
    size_t n_members;
};

struct found {
    /* Users IAM answered for: GetUser's, then GetGroup's members that
     * GetUser did not answer for. Sorted by user id once complete. */
    struct aws_iam_json_user *users;
    size_t n_users;
    const char **gone; /* names GetUser says no user has */
    size_t n_gone;
    struct reread *groups; /* per group of @prev; NULL group_id and no
                              members unless reread[i] */
    bool *reread;
};

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A copy of @u into @ret; false when out of memory (then @ret holds
 * what was copied, for user_clear()). */
static bool
user_copy(const struct aws_iam_json_user *u, struct aws_iam_json_user *ret)
{
    ret->user_name = strdup(u->user_name);
    ret->user_id = strdup(u->user_id);
    ret->arn = dup_or_null(u->arn);
    ret->path = dup_or_null(u->path);
    ret->create_date = u->create_date;
    return ret->user_name && ret->user_id && (ret->arn || !u->arn) &&
           (ret->path || !u->path);
}

static void
user_clear(struct aws_iam_json_user *u)
{
    free(u->user_name);
    free(u->user_id);
    free(u->arn);
    free(u->path);
    memset(u, 0, sizeof(*u));
}

static void
found_free(struct found *x, size_t n_groups)
{
    size_t i, k;

    for (i = 0; i < x->n_users; i++)
        user_clear(&x->users[i]);
    free(x->users);
    free(x->gone);
    for (i = 0; x->groups && i < n_groups; i++) {
        free(x->groups[i].group_id);
        for (k = 0; k < x->groups[i].n_members; k++)
            user_clear(&x->groups[i].members[k]);
        free(x->groups[i].members);
    }
    free(x->groups);
    free(x->reread);
}

/* Moves *@u onto the end of x->users. */
static int
found_add(struct found *x, struct aws_iam_json_user *u)
{
    struct aws_iam_json_user *grown;

    grown = realloc(x->users, (x->n_users + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    x->users = grown;
    x->users[x->n_users++] = *u;
    memset(u, 0, sizeof(*u));
    return 0;
}

/* ---- the calls hints name ---- */

/* GetUser @name: into x->users, or x->gone when IAM has no such user. */
static int
get_user(const struct fetch_opts *o, struct aws_http *h, struct fetch *f,
         const char *name, struct found *x)
{
    const char *params[] = { "UserName", name, NULL };
    struct aws_iam_json_user *u = NULL;
    struct aws_http_response resp;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE], code[64] = "";
    int r;

    r = fetch_call(o->iam, h, "GetUser", params, &resp, code, sizeof(code));
    if (r == -EREMOTEIO && strcmp(code, "NoSuchEntity") == 0) {
        f->get_user_calls++;
        x->gone[x->n_gone++] = name;
        return 0;
    }
    if (r < 0)
        return r;
    f->get_user_calls++;
    r = aws_iam_json_get_user(resp.body, resp.body_len, perr, sizeof(perr),
                              NULL, &u);
    aws_http_response_free(&resp);
    if (r < 0)
        return fetch_parse_failed("GetUser", perr);
    r = found_add(x, u);
    aws_iam_json_user_free(u);
    return r;
}

static int
take_members(void *arg, const struct aws_http_response *resp,
             bool *ret_truncated, char **ret_marker)
{
    struct reread *g = arg;
    struct aws_iam_json_group_page *page = NULL;
    struct aws_iam_json_user *grown;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    int r;

    r = aws_iam_json_get_group(resp->body, resp->body_len, perr, sizeof(perr),
                               NULL, &page);
    if (r < 0)
        return fetch_parse_failed("GetGroup", perr);
    if (!g->group_id) {
        g->group_id = page->group.group_id;
        page->group.group_id = NULL;
    }
    grown = realloc(g->members,
                    (g->n_members + page->n_users + 1) * sizeof(*grown));
    r = grown ? 0 : -ENOMEM;
    if (grown) {
        g->members = grown;
        if (page->n_users > 0)
            memcpy(g->members + g->n_members, page->users,
                   page->n_users * sizeof(*page->users));
        g->n_members += page->n_users;
        page->n_users = 0; /* the strings are g->members' now */
        *ret_truncated = page->is_truncated;
        *ret_marker = page->marker;
        page->marker = NULL;
    }
    aws_iam_json_group_page_free(page);
    return r;
}

/* GetGroup, every page, of the configured group @name. */
static int
get_group(const struct fetch_opts *o, struct aws_http *h, struct fetch *f,
          const char *name, struct reread *g)
{
    struct fetch_lister l = { "GetGroup",          "GroupName",  name,
                              &f->get_group_calls, take_members, g };
    char code[64] = "";
    int r;

    r = fetch_list_all(o->iam, h, &l, code, sizeof(code));
    if (r == -EREMOTEIO && strcmp(code, "NoSuchEntity") == 0) {
        /* A call made all the same (fetch_list_all() counts pages). */
        f->get_group_calls++;
        /* As a full fetch: deleted, it grants nothing. */
        iam_log(LOG_WARNING, "IAM group %s does not exist: it grants nothing",
                name);
        free(g->group_id);
        g->group_id = NULL;
        r = 0;
    }
    return r;
}

/* The configured group a hint names (IAM group names ignore case), or -1:
 * a group this configuration does not read changes nothing here. */
static long
configured_group(const struct fetch *prev, const char *name)
{
    size_t i;

    for (i = 0; i < prev->n_groups; i++)
        if (strcasecmp(prev->groups[i].name, name) == 0)
            return (long)i;
    return -1;
}

static int
read_hinted(const struct fetch_opts *o, struct aws_http *h,
            const struct fetch *prev, const struct event_hints *hints,
            struct fetch *f, struct found *x)
{
    size_t i;
    long g;
    int r = 0;

    for (i = 0; r >= 0 && i < hints->n; i++) {
        if (hints->v[i].kind == EVENT_USER) {
            r = get_user(o, h, f, hints->v[i].name, x);
            continue;
        }
        if (hints->v[i].kind != EVENT_GROUP)
            continue;
        g = configured_group(prev, hints->v[i].name);
        if (g < 0 || x->reread[g])
            continue;
        x->reread[g] = true;
        /* Its configured name, as a full fetch asks. */
        r = get_group(o, h, f, prev->groups[g].name, &x->groups[g]);
    }
    return r;
}

/* ---- users and groups, rebuilt ---- */

static int
cmp_found_id(const void *a, const void *b)
{
    return strcmp(((const struct aws_iam_json_user *)a)->user_id,
                  ((const struct aws_iam_json_user *)b)->user_id);
}

static const struct aws_iam_json_user *
found_by_id(const struct found *x, const char *user_id)
{
    struct aws_iam_json_user probe = { .user_id = (char *)user_id };

    if (x->n_users == 0)
        return NULL;
    return bsearch(&probe, x->users, x->n_users, sizeof(*x->users),
                   cmp_found_id);
}

static int
cmp_name(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The names IAM gives to the users found, or to nobody (gone), sorted
 * ignoring case as IAM compares them; NULL when out of memory.
 */
static const char **
taken_names(const struct found *x)
{
    const char **v = calloc(x->n_users + x->n_gone + 1, sizeof(*v));
    size_t i;

    if (!v)
        return NULL;
    for (i = 0; i < x->n_users; i++)
        v[i] = x->users[i].user_name;
    for (i = 0; i < x->n_gone; i++)
        v[x->n_users + i] = x->gone[i];
    qsort(v, x->n_users + x->n_gone, sizeof(*v), cmp_name);
    return v;
}

/*
 * Does IAM give @name to someone else, or to nobody? Names are unique in
 * IAM, ignoring case: a user whose id was not found but whose name was
 * (found under another id) or was answered as gone no longer exists.
 */
static bool
name_taken(const struct found *x, const char **names, const char *name)
{
    size_t n = x->n_users + x->n_gone;

    return n > 0 && bsearch(&name, names, n, sizeof(*names), cmp_name);
}

/* Did GetUser answer for @m: one of the first @n found users (by id or
 * name), or a name it says nobody has? A group listing may lag behind. */
static bool
answered(const struct found *x, size_t n, const struct aws_iam_json_user *m)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(x->users[i].user_id, m->user_id) == 0 ||
            strcasecmp(x->users[i].user_name, m->user_name) == 0)
            return true;
    for (i = 0; i < x->n_gone; i++)
        if (strcasecmp(x->gone[i], m->user_name) == 0)
            return true;
    return false;
}

/* Drops the second of two adjacent found users with one id (a user in
 * two groups read again). */
static void
found_dedup(struct found *x)
{
    size_t i, n = 0;

    for (i = 0; i < x->n_users; i++) {
        if (n > 0 && strcmp(x->users[n - 1].user_id, x->users[i].user_id) == 0)
            user_clear(&x->users[i]);
        else
            x->users[n++] = x->users[i];
    }
    x->n_users = n;
}

/* GetGroup's members that GetUser did not answer for join the found
 * users (GetUser's answer wins: it names one user on purpose). */
static int
add_members_found(const struct fetch *prev, struct found *x)
{
    struct aws_iam_json_user u;
    size_t n_by_user = x->n_users, g, k;

    for (g = 0; g < prev->n_groups; g++) {
        for (k = 0; k < x->groups[g].n_members; k++) {
            if (answered(x, n_by_user, &x->groups[g].members[k]))
                continue;
            memset(&u, 0, sizeof(u));
            if (!user_copy(&x->groups[g].members[k], &u) ||
                found_add(x, &u) < 0) {
                user_clear(&u);
                return -ENOMEM;
            }
        }
    }
    if (x->n_users > 0)
        qsort(x->users, x->n_users, sizeof(*x->users), cmp_found_id);
    found_dedup(x);
    return 0;
}

/*
 * f->users: @prev's, in their order, updated by what was found or left
 * out when gone; then the found users @prev did not have. @old_to_new
 * (per user of @prev) receives each one's new index, or -1.
 */
static int
rebuild_users(const struct fetch *prev, const struct found *x, struct fetch *f,
              long *old_to_new)
{
    const struct aws_iam_json_user *src;
    bool *placed = calloc(x->n_users + 1, sizeof(*placed));
    const char **names = taken_names(x);
    size_t i;

    f->users = calloc(prev->n_users + x->n_users + 1, sizeof(*f->users));
    if (!placed || !names || !f->users)
        goto nomem;
    for (i = 0; i < prev->n_users; i++) {
        old_to_new[i] = -1;
        src = found_by_id(x, prev->users[i].user_id);
        if (src)
            placed[src - x->users] = true;
        else if (name_taken(x, names, prev->users[i].user_name))
            continue;
        else
            src = &prev->users[i];
        old_to_new[i] = (long)f->n_users;
        if (!user_copy(src, &f->users[f->n_users++]))
            goto nomem;
    }
    for (i = 0; i < x->n_users; i++)
        if (!placed[i] && !user_copy(&x->users[i], &f->users[f->n_users++]))
            goto nomem;
    free(placed);
    free(names);
    return 0;
nomem:
    free(placed);
    free(names);
    return -ENOMEM;
}

/* The members of a group read again, as indexes into f->users. */
static int
members_read(struct fetch *f, const size_t *by_id, const struct reread *g,
             struct fetch_group *ret)
{
    size_t k;
    long u;

    ret->members = calloc(g->n_members + 1, sizeof(*ret->members));
    if (!ret->members)
        return -ENOMEM;
    for (k = 0; k < g->n_members; k++) {
        u = fetch_user_index(f, by_id, g->members[k].user_id);
        /* Left out of the users: GetUser named another user so. */
        if (u >= 0)
            ret->members[ret->n_members++] = (size_t)u;
    }
    return 0;
}

/* The members of a group not read again: @prev's, those still here. */
static int
members_kept(const struct fetch_group *pg, const long *old_to_new,
             struct fetch_group *ret)
{
    size_t k;

    ret->members = calloc(pg->n_members + 1, sizeof(*ret->members));
    if (!ret->members)
        return -ENOMEM;
    for (k = 0; k < pg->n_members; k++)
        if (old_to_new[pg->members[k]] >= 0)
            ret->members[ret->n_members++] = (size_t)old_to_new[pg->members[k]];
    return 0;
}

static int
rebuild_groups(const struct fetch *prev, const struct found *x,
               const long *old_to_new, struct fetch *f)
{
    const struct fetch_group *pg;
    struct fetch_group *g;
    const char *gid;
    size_t *by_id = fetch_users_by_id(f);
    size_t i;
    int r = 0;

    f->groups = calloc(prev->n_groups + 1, sizeof(*f->groups));
    if (!by_id || !f->groups) {
        free(by_id);
        return -ENOMEM;
    }
    for (i = 0; r >= 0 && i < prev->n_groups; i++) {
        pg = &prev->groups[i];
        g = &f->groups[f->n_groups++];
        g->authorized = pg->authorized;
        g->mapped_only = pg->mapped_only;
        gid = x->reread[i] ? x->groups[i].group_id : pg->group_id;
        g->name = strdup(pg->name);
        g->group_id = dup_or_null(gid);
        if (!g->name || (gid && !g->group_id))
            r = -ENOMEM;
        else if (x->reread[i])
            r = members_read(f, by_id, &x->groups[i], g);
        else
            r = members_kept(pg, old_to_new, g);
    }
    free(by_id);
    return r;
}

/* Who may log in, and whose keys are read: as fetch_all() decides. */
static int
decide(const struct fetch_opts *o, struct fetch *f)
{
    int r;

    r = fetch_mark_authorized(f, o->authorized_groups);
    if (r >= 0 && o->select)
        r = o->select(f, o->select_arg);
    if (r >= 0)
        fetch_mark_shared(f, o->shared_accounts);
    return r;
}

/* ---- keys ---- */

/* Is user @u (@p in @prev, or -1) named by a hint of @kind, under the
 * name IAM has now or had? */
static bool
named(const struct event_hints *hints, enum event_kind kind,
      const struct fetch *f, size_t u, const struct fetch *prev, long p)
{
    size_t i;

    for (i = 0; i < hints->n; i++) {
        if (hints->v[i].kind != kind)
            continue;
        if (strcasecmp(hints->v[i].name, f->users[u].user_name) == 0 ||
            (p >= 0 &&
             strcasecmp(hints->v[i].name, prev->users[p].user_name) == 0))
            return true;
    }
    return false;
}

/* Copies @prev's keys of one kind (from tags or IAM's) onto @uk. Keys
 * without a body are gone (GetSSHPublicKey said so): not carried. */
static int
carry_keys(const struct fetch_user_keys *from, bool tags,
           struct fetch_user_keys *uk)
{
    const struct fetch_key *k;
    struct fetch_key *grown;
    size_t i;

    for (i = 0; i < from->n; i++) {
        k = &from->v[i];
        if (!k->body || tag_keys_is_id(k->key_id) != tags)
            continue;
        grown = realloc(uk->v, (uk->n + 2) * sizeof(*uk->v));
        if (!grown)
            return -ENOMEM;
        uk->v = grown;
        uk->v[uk->n] = *k;
        uk->v[uk->n].key_id = strdup(k->key_id);
        uk->v[uk->n].body = strdup(k->body);
        uk->n++;
        if (!uk->v[uk->n - 1].key_id || !uk->v[uk->n - 1].body)
            return -ENOMEM;
    }
    return 0;
}

/* What is read of each wanted user (FETCH_READ_*), 0 for carried. */
struct key_plan {
    size_t *users; /* f's indexes of the users read */
    unsigned *what;
    size_t n;
    unsigned *of; /* per user of f */
};

static unsigned
plan_user(const struct fetch_opts *o, const struct fetch *prev,
          const struct event_hints *hints, const struct fetch *f, size_t u,
          long p)
{
    unsigned what = 0;

    /* Newly wanted: read whole, as a full fetch would. */
    if (p < 0 || !prev->wanted || !prev->wanted[p])
        return FETCH_READ_KEYS | (o->tag_prefix ? FETCH_READ_TAGS : 0);
    if (named(hints, EVENT_USER_KEYS, f, u, prev, p))
        what |= FETCH_READ_KEYS;
    if (o->tag_prefix && named(hints, EVENT_USER_TAGS, f, u, prev, p))
        what |= FETCH_READ_TAGS;
    return what;
}

/* The keys @prev holds and no read replaces: before the reads (IAM's)
 * or after them (from tags), in the order a full fetch lists them. */
static int
carry_all(const struct fetch *prev, const long *new_to_old,
          const struct key_plan *kp, bool tags, struct fetch *f)
{
    unsigned part = tags ? FETCH_READ_TAGS : FETCH_READ_KEYS;
    size_t u;
    int r = 0;

    for (u = 0; r >= 0 && u < f->n_users; u++)
        if (f->wanted[u] && new_to_old[u] >= 0 && !(kp->of[u] & part))
            r = carry_keys(&prev->keys[new_to_old[u]], tags, &f->keys[u]);
    return r;
}

static int
plan_keys(const struct fetch_opts *o, const struct fetch *prev,
          const struct event_hints *hints, const long *new_to_old,
          struct fetch *f, struct key_plan *kp)
{
    size_t u;

    kp->users = calloc(f->n_users + 1, sizeof(*kp->users));
    kp->what = calloc(f->n_users + 1, sizeof(*kp->what));
    kp->of = calloc(f->n_users + 1, sizeof(*kp->of));
    if (!kp->users || !kp->what || !kp->of)
        return -ENOMEM;
    for (u = 0; u < f->n_users; u++) {
        if (!f->wanted[u])
            continue;
        kp->of[u] = plan_user(o, prev, hints, f, u, new_to_old[u]);
        if (kp->of[u]) {
            kp->users[kp->n] = u;
            kp->what[kp->n++] = kp->of[u];
        }
    }
    return 0;
}

/*
 * What a full fetch would take from the previous snapshot for the users
 * read again: their key bodies (a key id's body never changes) and when
 * their keys from tags were first seen.
 */
static int
known_of(const struct fetch *prev, const long *new_to_old,
         const struct key_plan *kp, struct known_keys *ret)
{
    const struct fetch_user_keys *uk;
    size_t i, k, n = 0;
    long p;
    int r = 0;

    for (i = 0; i < kp->n; i++)
        if (new_to_old[kp->users[i]] >= 0)
            n += prev->keys[new_to_old[kp->users[i]]].n;
    ret->v = calloc(n + 1, sizeof(*ret->v));
    if (!ret->v)
        return -ENOMEM;
    for (i = 0; r >= 0 && i < kp->n; i++) {
        p = new_to_old[kp->users[i]];
        if (p < 0 || !prev->wanted[p])
            continue;
        uk = &prev->keys[p];
        for (k = 0; r >= 0 && k < uk->n; k++) {
            if (!uk->v[k].body)
                continue;
            if (tag_keys_is_id(uk->v[k].key_id)) {
                r = tag_seen_add_line(&ret->seen, prev->users[p].user_id,
                                      uk->v[k].body, uk->v[k].upload_date);
                continue;
            }
            ret->v[ret->n].key_id = strdup(uk->v[k].key_id);
            ret->v[ret->n].line = strdup(uk->v[k].body);
            ret->n++;
            if (!ret->v[ret->n - 1].key_id || !ret->v[ret->n - 1].line)
                r = -ENOMEM;
        }
    }
    known_keys_sort(ret);
    return r;
}

static int
read_keys(const struct fetch_opts *o, const struct fetch *prev,
          const struct event_hints *hints, const long *new_to_old,
          struct fetch *f)
{
    struct known_keys known;
    struct fetch_opts ko = *o;
    struct key_plan kp;
    size_t i;
    int r;

    memset(&known, 0, sizeof(known));
    memset(&kp, 0, sizeof(kp));
    f->keys = calloc(f->n_users + 1, sizeof(*f->keys));
    r = f->keys ? plan_keys(o, prev, hints, new_to_old, f, &kp) : -ENOMEM;
    if (r >= 0)
        r = carry_all(prev, new_to_old, &kp, false, f);
    if (r >= 0)
        r = fetch_read_users(o, f, kp.users, kp.what, kp.n);
    if (r >= 0)
        r = carry_all(prev, new_to_old, &kp, true, f);
    if (r >= 0)
        r = known_of(prev, new_to_old, &kp, &known);
    ko.known = &known;
    if (r >= 0)
        r = fetch_read_bodies(&ko, f);
    for (i = 0; r >= 0 && i < kp.n; i++)
        if (kp.what[i] & FETCH_READ_TAGS)
            fetch_date_tag_keys(&ko, f, kp.users[i]);
    known_keys_free(&known);
    free(kp.users);
    free(kp.what);
    free(kp.of);
    return r;
}

/* ---- the whole ---- */

/* Each user of f's index in @prev, or -1 (new): @old_to_new inverted. */
static long *
invert(const long *old_to_new, size_t n_old, size_t n_new)
{
    long *v = calloc(n_new + 1, sizeof(*v));
    size_t i;

    if (!v)
        return NULL;
    for (i = 0; i < n_new; i++)
        v[i] = -1;
    for (i = 0; i < n_old; i++)
        if (old_to_new[i] >= 0 && (size_t)old_to_new[i] < n_new)
            v[old_to_new[i]] = (long)i;
    return v;
}

static int
rebuild(const struct fetch_opts *o, const struct fetch *prev,
        const struct event_hints *hints, struct found *x, struct fetch *f)
{
    long *old_to_new = calloc(prev->n_users + 1, sizeof(*old_to_new));
    long *new_to_old = NULL;
    int r;

    r = old_to_new ? add_members_found(prev, x) : -ENOMEM;
    if (r >= 0)
        r = rebuild_users(prev, x, f, old_to_new);
    if (r >= 0)
        r = rebuild_groups(prev, x, old_to_new, f);
    if (r >= 0)
        r = decide(o, f);
    if (r >= 0) {
        new_to_old = invert(old_to_new, prev->n_users, f->n_users);
        r = new_to_old ? 0 : -ENOMEM;
    }
    if (r >= 0)
        r = read_keys(o, prev, hints, new_to_old, f);
    free(old_to_new);
    free(new_to_old);
    return r;
}

static int
found_init(const struct fetch *prev, const struct event_hints *hints,
           struct found *x)
{
    memset(x, 0, sizeof(*x));
    x->gone = calloc(hints->n + 1, sizeof(*x->gone));
    x->groups = calloc(prev->n_groups + 1, sizeof(*x->groups));
    x->reread = calloc(prev->n_groups + 1, sizeof(*x->reread));
    return x->gone && x->groups && x->reread ? 0 : -ENOMEM;
}

int
fetch_delta(const struct fetch_opts *o, const struct fetch *prev,
            const struct event_hints *hints, struct fetch *ret)
{
    struct aws_http h;
    struct found x;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = found_init(prev, hints, &x);
    if (r >= 0)
        r = aws_http_init(&h);
    if (r >= 0) {
        r = read_hinted(o, &h, prev, hints, ret, &x);
        aws_http_destroy(&h);
    }
    if (r >= 0)
        r = rebuild(o, prev, hints, &x, ret);
    found_free(&x, prev->n_groups);
    /* The counters say what the failed delta cost; keep them. */
    if (r < 0)
        fetch_free_keep_counts(ret);
    return r;
}
