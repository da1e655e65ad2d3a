#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_id.h"
#include "iam_log.h"
#include "iam_rec.h"
#include "tag_keys.h"

#define DAY 86400

/* Per fetched user: the accepted POSIX name, or a refusal. */
struct naming {
    struct iam_name_entry *entries; /* sorted by the ambiguity check */
    int *status;                    /* per fetched user: 0 = accepted */
    char (*names)[IAM_NAME_BUF];    /* per fetched user */
};

static void
naming_free(struct naming *n)
{
    free(n->entries);
    free(n->status);
    free(n->names);
}

/*
 * The group names this server's configuration claims: SUDO_GROUP,
 * MEMBER_GROUP and LOCAL_GROUPS, and for a user (@user) the mapped names
 * of the configured IAM groups (IAM_AUTHORIZED_GROUPS, SUDOERS_GROUPS):
 * such groups are served under that name, and local sudoers rules may
 * name them ("%ops"). Compared ignoring ASCII case, as sudo compares
 * (sudoers(5): case_insensitive_user, case_insensitive_group): an IAM
 * user or group with one of these names would take the group's place in
 * the sudoers rules and the sshd Match, so the IAM side always gives way.
 * Returns the setting that claims @name, or NULL; *ret_value is the group
 * as configured.
 */
static const char *
configured_group(const struct iam_config *cfg, const char *name, bool user,
                 const char **ret_value)
{
    static const char *const keys[] = { "LOCAL_GROUPS", "IAM_AUTHORIZED_GROUPS",
                                        "SUDOERS_GROUPS" };
    const struct iam_strlist *lists[] = { &cfg->local_groups,
                                          &cfg->iam_authorized_groups,
                                          &cfg->sudoers_groups };
    char mapped[IAM_NAME_BUF];
    const char *cand;
    size_t i, k;

    *ret_value = NULL;
    if (strcasecmp(cfg->sudo_group, name) == 0)
        *ret_value = cfg->sudo_group;
    else if (strcasecmp(cfg->member_group, name) == 0)
        *ret_value = cfg->member_group;
    if (*ret_value)
        return *ret_value == cfg->sudo_group ? "SUDO_GROUP" : "MEMBER_GROUP";
    for (k = 0; k < (user ? 3u : 1u); k++) {
        for (i = 0; i < lists[k]->n; i++) {
            /* LOCAL_GROUPS are local names, used as they are */
            cand = lists[k]->v[i];
            if (k > 0 && iam_name_map(cand, mapped, sizeof(mapped)) < 0)
                continue;
            if (k > 0)
                cand = mapped;
            if (strcasecmp(cand, name) != 0)
                continue;
            *ret_value = lists[k]->v[i];
            return keys[k];
        }
    }
    return NULL;
}

/*
 * May the mapped IAM name @name be served here? 0 or a refusal code. A
 * user (@user) must not take the name of a configured IAM group either
 * (configured_group()).
 */
static int
name_ok(const struct iam_config *cfg, const struct iam_name_set *local,
        const char *name, bool user)
{
    const char *value;
    int r = iam_name_check_available(name, local);

    if (r == 0 && configured_group(cfg, name, user, &value))
        r = -EADDRINUSE;
    return r;
}

/*
 * Maps every user of the account (not just the authorized ones), so that
 * "x@y" and "x.at.y" are refused alike on every server, whatever its
 * groups; then refuses reserved names, local clashes and the configured
 * group names.
 */
static int
map_users(const struct fetch *f, const struct iam_config *cfg,
          const struct iam_name_set *local, struct naming *n)
{
    size_t i, u;

    n->entries = calloc(f->n_users + 1, sizeof(*n->entries));
    n->status = calloc(f->n_users + 1, sizeof(*n->status));
    n->names = calloc(f->n_users + 1, sizeof(*n->names));
    if (!n->entries || !n->status || !n->names)
        return -ENOMEM;
    for (i = 0; i < f->n_users; i++) {
        n->entries[i].iam_name = f->users[i].user_name;
        n->entries[i].status =
            iam_name_map(f->users[i].user_name, n->entries[i].posix,
                         sizeof(n->entries[i].posix));
        n->entries[i].data = (void *)(uintptr_t)i;
    }
    iam_name_flag_ambiguous(n->entries, f->n_users);
    for (i = 0; i < f->n_users; i++) {
        u = (size_t)(uintptr_t)n->entries[i].data;
        n->status[u] = n->entries[i].status;
        if (n->status[u] == 0)
            n->status[u] = name_ok(cfg, local, n->entries[i].posix, true);
        memcpy(n->names[u], n->entries[i].posix, IAM_NAME_BUF);
    }
    return 0;
}

int
model_name_status(const struct fetch *f, const struct iam_config *cfg,
                  const struct iam_name_set *local, int *ret_status)
{
    struct naming n;
    int r;

    memset(&n, 0, sizeof(n));
    r = map_users(f, cfg, local, &n);
    if (r >= 0)
        memcpy(ret_status, n.status, f->n_users * sizeof(*ret_status));
    naming_free(&n);
    return r;
}

/*
 * Ids that no IAM entity may take on this server: every uid and gid of
 * the local files, nobody (65534) and (uid_t)-2 (4294967294), when they
 * fall in the range. Without this, an IAM user hashed onto a local uid
 * would own that account's files, and an IAM group onto a local gid
 * would put its members in that group for sudo's %group rules.
 */
static int
take_local_ids(const struct iam_name_set *local, struct iam_id_taken *t)
{
    size_t i;
    int r;

    r = iam_id_taken_add(t, 65534);
    if (r >= 0)
        r = iam_id_taken_add(t, 4294967294u);
    for (i = 0; r >= 0 && i < local->n_ids; i++)
        r = iam_id_taken_add(t, local->ids[i]);
    return r;
}

/* A user whose first try was a local id: its uid is this server's own. */
static void
note_local_collisions(const struct fetch *f, const struct iam_config *cfg,
                      const struct iam_name_set *local,
                      const struct iam_id_slot *slots)
{
    uint32_t first;
    size_t i;

    for (i = 0; i < f->n_users; i++) {
        if (slots[i].collisions == 0 ||
            iam_id_hash(IAM_ID_PREFIX_UID, slots[i].key, 0, cfg->uid_min,
                        cfg->uid_max, &first) < 0)
            continue;
        if (first == 65534 || first == 4294967294u ||
            iam_name_set_has_id(local, first))
            iam_log(LOG_WARNING,
                    "IAM user %s: uid %u is a local id here; "
                    "placed at %u on this server only",
                    f->users[i].user_name, first, slots[i].id);
    }
}

/* uids for every user of the account, in (CreateDate, UserId) order. */
static int
place_users(const struct fetch *f, const struct iam_config *cfg,
            const struct iam_name_set *local, struct iam_id_slot *slots,
            struct iam_id_taken *taken)
{
    size_t i;
    int r;

    for (i = 0; i < f->n_users; i++) {
        slots[i].key = f->users[i].user_id;
        slots[i].create_date = f->users[i].create_date;
    }
    r = take_local_ids(local, taken);
    if (r >= 0)
        r = iam_id_place(IAM_ID_PREFIX_UID, slots, f->n_users,
                         IAM_ID_ORDER_CREATED, taken);
    if (r >= 0)
        note_local_collisions(f, cfg, local, slots);
    return r;
}

static char *
home_for(const char *pattern, const char *name)
{
    const char *p = strstr(pattern, "%u");
    size_t n;
    char *s;

    if (!p)
        return strdup(pattern);
    n = strlen(pattern) - 2 + strlen(name) + 1;
    s = malloc(n);
    if (s)
        snprintf(s, n, "%.*s%s%s", (int)(p - pattern), pattern, name, p + 2);
    return s;
}

static bool
in_list(const struct iam_strlist *l, const char *s)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/*
 * The canonical form of @fk's body into ret->line. A body is nearly always
 * canonical already (bodies reused from the previous snapshot always
 * are), so the line then borrows the fetch's body instead of holding a
 * second copy of every key (IAM allows five keys per user). Returns 0,
 * -EINVAL with *ret_reason, or -ENOMEM.
 */
static int
canonical_line(const struct fetch_key *fk, struct iam_keyline *parsed,
               int *ret_reason, struct model_key *ret)
{
    size_t len = strlen(fk->body);
    char *line;
    int r;

    line = malloc(len + 1);
    if (!line)
        return -ENOMEM;
    r = iam_keyline_parse(fk->body, len, line, len + 1, parsed, ret_reason);
    if (r < 0 || strcmp(line, fk->body) == 0) {
        free(line);
        if (r >= 0)
            ret->line = fk->body;
        return r;
    }
    ret->line_own = line;
    ret->line = line;
    return 0;
}

/*
 * A key from a tag (tag_keys.h): served only under TAG_KEYS=yes, from a
 * tag named by this TAG_KEY_PREFIX (a fleet publisher's may differ),
 * holding a key TAG_KEY_TYPES allows and nothing else. Returns 0 with
 * ret->line set, 1 when the key is not served (logged; *@ret_why says
 * why, for the trail), or -ENOMEM.
 */
static int
tag_line(const struct fetch_key *fk, const char *iam_name,
         const struct iam_config *cfg, struct iam_keyline *parsed,
         struct model_key *ret, const char **ret_why)
{
    const char *tag = fk->key_id + TAG_KEYS_ID_PREFIX_LEN, *why;
    size_t len = strlen(fk->body);
    char *line;
    int r;

    *ret_why = "a key in a tag, and TAG_KEYS is not yes here";
    if (!cfg->tag_keys)
        return 1; /* a publisher's TAG_KEYS, not this one's */
    *ret_why = "the tag is not named TAG_KEY_PREFIX or TAG_KEY_PREFIX-*";
    if (!tag_keys_name_matches(cfg->tag_key_prefix, tag)) {
        iam_log(LOG_WARNING,
                "IAM user %s: tag %s is not named %s or %s-*: no key", iam_name,
                tag, cfg->tag_key_prefix, cfg->tag_key_prefix);
        return 1;
    }
    line = malloc(len + 1);
    if (!line)
        return -ENOMEM;
    r = tag_keys_check(fk->body, &cfg->tag_key_types, line, len + 1, parsed,
                       &why);
    if (r < 0) {
        free(line);
        *ret_why = why ? why : "error";
        iam_log(LOG_WARNING, "IAM user %s: tag %s refused: %s", iam_name, tag,
                *ret_why);
        return r == -EINVAL || r == -ERANGE ? 1 : r;
    }
    ret->line_own = line;
    ret->line = line;
    return 0;
}

/* Validates and classifies one fetched key; 1 kept, 0 skipped. */
static int
build_key(const struct fetch_key *fk, const char *iam_name,
          const struct iam_config *cfg, time_t now, struct model *m,
          struct model_key *ret, struct model_key_trail *kt)
{
    struct iam_keyline parsed;
    int reason = 0, r;

    kt->src = fk;
    kt->verdict = MODEL_KEY_NO_BODY;
    kt->why = NULL;
    if (!fk->body)
        return 0; /* deleted between the list and the get */
    kt->verdict = MODEL_KEY_INVALID;
    if (tag_keys_is_id(fk->key_id)) {
        r = tag_line(fk, iam_name, cfg, &parsed, ret, &kt->why);
        if (r != 0) {
            m->invalid_keys += r > 0 && cfg->tag_keys;
            return r > 0 ? 0 : r;
        }
    } else {
        r = canonical_line(fk, &parsed, &reason, ret);
        kt->reason = reason;
        if (r < 0) {
            iam_log(LOG_WARNING, "IAM user %s: key %s refused: %s", iam_name,
                    fk->key_id,
                    r == -EINVAL ? iam_keyline_strerror(reason) : "error");
            m->invalid_keys++;
            return r == -EINVAL ? 0 : r;
        }
    }
    ret->key_id = fk->key_id;
    memcpy(ret->fingerprint, parsed.fingerprint, sizeof(ret->fingerprint));
    ret->upload_date = fk->upload_date;
    ret->status = fk->status == AWS_IAM_JSON_KEY_ACTIVE ? IAM_KEY_ACTIVE
                                                        : IAM_KEY_INACTIVE;
    if (ret->status == IAM_KEY_ACTIVE && cfg->max_key_age_days &&
        now - fk->upload_date > (time_t)cfg->max_key_age_days * DAY) {
        ret->status = IAM_KEY_EXPIRED;
        m->expired_keys++;
    }
    kt->verdict = ret->status == IAM_KEY_ACTIVE     ? MODEL_KEY_ACTIVE
                  : ret->status == IAM_KEY_INACTIVE ? MODEL_KEY_INACTIVE
                                                    : MODEL_KEY_EXPIRED;
    return 1;
}

/* @trace: the explained user's trail, or NULL. */
static int
build_keys(const struct fetch_user_keys *fk, const char *iam_name,
           const struct iam_config *cfg, time_t now, struct model *m,
           struct model_user *u, struct model_trail *trace)
{
    struct model_key_trail scratch, *kt = &scratch;
    size_t i;
    int r;

    u->keys = calloc(fk->n + 1, sizeof(*u->keys));
    if (!u->keys)
        return -ENOMEM;
    if (trace) {
        trace->keys = calloc(fk->n + 1, sizeof(*trace->keys));
        if (!trace->keys)
            return -ENOMEM;
        trace->n_keys = fk->n;
    }
    for (i = 0; i < fk->n; i++) {
        if (trace)
            kt = &trace->keys[i];
        r = build_key(&fk->v[i], iam_name, cfg, now, m, &u->keys[u->n_keys],
                      kt);
        if (r < 0)
            return r;
        u->n_keys += (uint32_t)r;
    }
    m->n_keys += u->n_keys;
    return 0;
}

static int
cmp_uid(const void *a, const void *b)
{
    const struct model_user *x = a, *y = b;

    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The authorized users whose names were accepted, with keys. */
static int
build_users(const struct fetch *f, const struct naming *n,
            const struct iam_id_slot *slots, const struct iam_config *cfg,
            time_t now, struct model *m)
{
    struct model_user *u;
    size_t i;
    int r;

    m->users = calloc(f->n_users + 1, sizeof(*m->users));
    if (!m->users)
        return -ENOMEM;
    for (i = 0; i < f->n_users; i++) {
        if (!f->authorized[i])
            continue;
        if (n->status[i] != 0) {
            iam_log(LOG_WARNING, "IAM user %s refused: %s",
                    f->users[i].user_name, iam_name_reason(n->status[i]));
            m->refused_names++;
            continue;
        }
        u = &m->users[m->n_users++];
        u->src = &f->users[i];
        memcpy(u->name, n->names[i], IAM_NAME_BUF);
        u->uid = slots[i].id;
        u->home = home_for(cfg->home_dir, u->name);
        if (!u->home)
            return -ENOMEM;
        r = build_keys(&f->keys[i], f->users[i].user_name, cfg, now, m, u,
                       m->trail && m->trail->who == i ? m->trail : NULL);
        if (r < 0)
            return r;
    }
    qsort(m->users, m->n_users, sizeof(*m->users), cmp_uid);
    return 0;
}

/* Model index of each fetched user, or -1 (not authorized, refused). */
static long *
model_index(const struct fetch *f, const struct model *m)
{
    long *idx = malloc((f->n_users + 1) * sizeof(*idx));
    size_t i;

    if (!idx)
        return NULL;
    for (i = 0; i < f->n_users; i++)
        idx[i] = -1;
    for (i = 0; i < m->n_users; i++)
        idx[m->users[i].src - f->users] = (long)i;
    return idx;
}

static bool
user_name_taken(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_users; i++)
        if (strcasecmp(m->users[i].name, name) == 0)
            return true;
    return false;
}

static bool
group_name_taken(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_groups; i++)
        if (strcasecmp(m->groups[i].name, name) == 0)
            return true;
    return false;
}

/*
 * May the mapped IAM group name @name be served? Not reserved, not a
 * local user or group, not a configured group, not the private group of
 * a served IAM user, not another served group: all ignoring case.
 */
static int
group_name_ok(const struct model *m, const struct iam_config *cfg,
              const struct iam_name_set *local, const char *name)
{
    int r = name_ok(cfg, local, name, false);

    if (r < 0)
        return r;
    if (user_name_taken(m, name) || group_name_taken(m, name))
        return -ENOTUNIQ;
    return 0;
}

static int
add_member(struct model_group *g, size_t user)
{
    size_t *grown;

    grown = realloc(g->members, (g->n_members + 1) * sizeof(*g->members));
    if (!grown)
        return -ENOMEM;
    g->members = grown;
    g->members[g->n_members++] = user;
    return 0;
}

/*
 * The members of fetched group @fg that are served users, each once: a
 * member listed twice (a repeated page, an object that says so) must not
 * give a user one gid twice, which would overrun the user's gid list.
 */
static int
add_iam_members(const struct fetch_group *fg, const long *idx, bool *seen,
                struct model_group *g)
{
    size_t k, u;
    int r = 0;

    for (k = 0; r >= 0 && k < fg->n_members; k++) {
        if (idx[fg->members[k]] < 0)
            continue;
        u = (size_t)idx[fg->members[k]];
        if (seen[u])
            continue;
        seen[u] = true;
        r = add_member(g, u);
    }
    for (k = 0; k < g->n_members; k++)
        seen[g->members[k]] = false;
    return r;
}

/* Was the IAM group @id already served (one group configured twice, as
 * "Ops" and "ops": IAM names ignore case)? */
static bool
group_id_served(const struct fetch *f, const size_t *src, size_t n,
                const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(f->groups[src[i]].group_id, id) == 0)
            return true;
    return false;
}

/* The configured IAM groups that exist, under their mapped names. */
static int
add_iam_groups(const struct fetch *f, const struct iam_config *cfg,
               const struct iam_name_set *local, const long *idx,
               struct model *m, size_t *ret_src)
{
    struct model_group *g;
    bool *seen;
    size_t i;
    int r = 0;

    seen = calloc(m->n_users + 1, sizeof(*seen));
    if (!seen)
        return -ENOMEM;
    for (i = 0; r >= 0 && i < f->n_groups; i++) {
        /* a group only the maps name is read for its members */
        if (!f->groups[i].group_id || f->groups[i].mapped_only ||
            group_id_served(f, ret_src, m->n_groups, f->groups[i].group_id))
            continue;
        g = &m->groups[m->n_groups];
        memset(g, 0, sizeof(*g));
        r = iam_name_map(f->groups[i].name, g->name, sizeof(g->name));
        if (r == 0)
            r = group_name_ok(m, cfg, local, g->name);
        if (r < 0) {
            iam_log(LOG_WARNING,
                    "IAM group %s not served as a group (its "
                    "members keep their other groups): %s",
                    f->groups[i].name,
                    r == -ENOTUNIQ ? "its name is already taken"
                                   : iam_name_reason(r));
            r = 0;
            continue;
        }
        g->kind = IAM_GROUP_IAM;
        r = add_iam_members(&f->groups[i], idx, seen, g);
        ret_src[m->n_groups++] = i;
    }
    free(seen);
    return r;
}

static int
place_groups(const struct fetch *f, struct model *m, const size_t *src,
             size_t n_iam, struct iam_id_taken *taken)
{
    struct iam_id_slot *slots;
    size_t i;
    int r;

    slots = calloc(m->n_groups + 1, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (i = 0; i < n_iam; i++)
        slots[i].key = f->groups[src[i]].group_id;
    r = iam_id_place(IAM_ID_PREFIX_GID, slots, n_iam, IAM_ID_ORDER_CREATED,
                     taken);
    for (i = n_iam; r >= 0 && i < m->n_groups; i++)
        slots[i].key = m->groups[i].name;
    if (r >= 0)
        r = iam_id_place(IAM_ID_PREFIX_GID, slots + n_iam, m->n_groups - n_iam,
                         IAM_ID_ORDER_GIVEN, taken);
    for (i = 0; r >= 0 && i < m->n_groups; i++)
        m->groups[i].gid = slots[i].id;
    free(slots);
    return r;
}

/*
 * Is fetched user @u in a SUDOERS_GROUPS group? The group that makes it
 * so ("##ALL##" for everyone), or NULL.
 */
static const char *
sudoer_by(const struct fetch *f, const struct iam_config *cfg, size_t u)
{
    size_t i, k;

    if (cfg->sudoers_all)
        return "##ALL##";
    for (i = 0; i < f->n_groups; i++) {
        if (!in_list(&cfg->sudoers_groups, f->groups[i].name))
            continue;
        for (k = 0; k < f->groups[i].n_members; k++)
            if (f->groups[i].members[k] == u)
                return f->groups[i].name;
    }
    return NULL;
}

/*
 * SUDO_GROUP or MEMBER_GROUP, decided before any IAM group so that no
 * IAM name can take its place: a local group of exactly that name is used
 * as it is (its gid joins the users' lists, *ret_local_gid); otherwise
 * the group is served (*ret_serve) under its own name. IAM user names
 * equal to it were already refused (map_users). Returns 0, or
 * -EADDRINUSE (logged) when it can be neither: gid 0, a reserved name, or
 * a local name that differs only in case, which sudo would match too.
 */
static int
decide_synthesized(const struct iam_name_set *local, const char *what,
                   const char *name, gid_t *ret_local_gid, bool *ret_serve)
{
    int r;

    *ret_serve = false;
    if (iam_name_set_group_gid(local, name, ret_local_gid) == 0) {
        if (*ret_local_gid != 0)
            return 0;
        iam_log(LOG_ERR,
                "refused: %s %s is the local group of gid 0; "
                "nothing is published",
                what, name);
        return -EADDRINUSE;
    }
    r = iam_name_check_available(name, local);
    if (r < 0) {
        iam_log(LOG_ERR,
                "refused: %s %s cannot be served: %s; nothing "
                "is published",
                what, name,
                r == -EEXIST ? "a local user or group has that name in "
                               "another case"
                             : iam_name_reason(r));
        return -EADDRINUSE;
    }
    *ret_serve = true;
    return 0;
}

static void
add_synthesized(struct model *m, const char *name, uint8_t kind)
{
    struct model_group *g = &m->groups[m->n_groups++];

    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->kind = kind;
}

/* LOCAL_GROUPS as gids; unknown or gid-0 groups are skipped, logged. */
static int
local_gids(const struct iam_config *cfg, const struct iam_name_set *local,
           uint32_t *ret, uint32_t *ret_n)
{
    gid_t gid;
    size_t i;

    *ret_n = 0;
    for (i = 0; i < cfg->local_groups.n; i++) {
        if (iam_name_set_group_gid(local, cfg->local_groups.v[i], &gid) < 0) {
            iam_log(LOG_WARNING, "LOCAL_GROUPS: no local group %s",
                    cfg->local_groups.v[i]);
            continue;
        }
        if (gid == 0) {
            iam_log(LOG_WARNING, "LOCAL_GROUPS: %s is gid 0: not given",
                    cfg->local_groups.v[i]);
            continue;
        }
        ret[(*ret_n)++] = gid;
    }
    return 0;
}

struct extra_gids {
    uint32_t v[64 + 2];
    uint32_t n;
    gid_t sudo_local;
    gid_t member_local;
};

/* Appends @gid to @u's list once; the list holds @cap gids. */
static void
give_gid(struct model_user *u, uint32_t gid, size_t cap)
{
    uint32_t i;

    for (i = 0; i < u->n_gids; i++)
        if (u->gids[i] == gid)
            return;
    if (u->n_gids < cap)
        u->gids[u->n_gids++] = gid;
}

/* Fills every user's sudo flag, groups' members and users' gid lists. */
static int
assign_groups(const struct fetch *f, const struct iam_config *cfg,
              const struct extra_gids *x, struct model *m)
{
    size_t i, k, cap = m->n_groups + x->n + 2;
    struct model_user *u;
    struct model_group *g;
    int r;

    for (i = 0; i < m->n_users; i++) {
        u = &m->users[i];
        u->sudo = sudoer_by(f, cfg, (size_t)(u->src - f->users)) != NULL;
        u->gids = calloc(cap, sizeof(*u->gids));
        if (!u->gids)
            return -ENOMEM;
    }
    for (k = 0; k < m->n_groups; k++) {
        g = &m->groups[k];
        for (i = 0; i < m->n_users; i++) {
            if ((g->kind == IAM_GROUP_SUDO && !m->users[i].sudo) ||
                g->kind == IAM_GROUP_IAM)
                continue;
            r = add_member(g, i);
            if (r < 0)
                return r;
        }
        for (i = 0; i < g->n_members; i++)
            give_gid(&m->users[g->members[i]], g->gid, cap);
    }
    for (i = 0; i < m->n_users; i++) {
        u = &m->users[i];
        if (u->sudo && x->sudo_local)
            give_gid(u, x->sudo_local, cap);
        if (x->member_local)
            give_gid(u, x->member_local, cap);
        for (k = 0; k < x->n; k++)
            give_gid(u, x->v[k], cap);
    }
    return 0;
}

/* "arn:aws:iam::123456789012:user/x" -> "123456789012". */
static void
account_of(const struct fetch *f, char *ret, size_t len)
{
    const char *p, *q;

    ret[0] = '\0';
    if (f->n_users == 0 || !f->users[0].arn)
        return;
    p = strstr(f->users[0].arn, ":iam::");
    if (!p)
        return;
    p += 6;
    q = strchr(p, ':');
    if (q && (size_t)(q - p) < len)
        snprintf(ret, len, "%.*s", (int)(q - p), p);
}

static int
build_all_groups(const struct fetch *f, const struct iam_config *cfg,
                 const struct iam_name_set *local, struct iam_id_taken *taken,
                 struct model *m)
{
    struct extra_gids x;
    size_t *src = NULL, n_iam;
    bool serve_sudo = false, serve_member = false;
    long *idx = NULL;
    int r;

    memset(&x, 0, sizeof(x));
    r = decide_synthesized(local, "SUDO_GROUP", cfg->sudo_group, &x.sudo_local,
                           &serve_sudo);
    if (r >= 0)
        r = decide_synthesized(local, "MEMBER_GROUP", cfg->member_group,
                               &x.member_local, &serve_member);
    if (r < 0)
        return r;
    r = -ENOMEM;
    m->groups = calloc(f->n_groups + 3, sizeof(*m->groups));
    src = calloc(f->n_groups + 1, sizeof(*src));
    idx = model_index(f, m);
    if (!m->groups || !src || !idx)
        goto out;
    r = add_iam_groups(f, cfg, local, idx, m, src);
    if (r < 0)
        goto out;
    n_iam = m->n_groups;
    if (serve_sudo)
        add_synthesized(m, cfg->sudo_group, IAM_GROUP_SUDO);
    if (serve_member)
        add_synthesized(m, cfg->member_group, IAM_GROUP_MEMBER);
    r = place_groups(f, m, src, n_iam, taken);
    if (r < 0)
        goto out;
    if (cfg->local_groups.n > 64) {
        r = -E2BIG;
        goto out;
    }
    local_gids(cfg, local, x.v, &x.n);
    r = assign_groups(f, cfg, &x, m);
    if (r >= 0)
        r = model_shared_map_groups(f, cfg, local, idx, m);
out:
    free(src);
    free(idx);
    return r;
}

/* The naming and placement decisions for the explained user. */
static void
trace_naming(const struct fetch *f, const struct iam_config *cfg,
             const struct naming *n, const struct iam_id_slot *slots,
             struct model_trail *t)
{
    size_t j, w = t->who;

    t->authorized = f->authorized[w];
    t->name_status = n->status[w];
    memcpy(t->name, n->names[w], IAM_NAME_BUF);
    if (t->name_status == -EADDRINUSE)
        t->clash_key = configured_group(cfg, t->name, true, &t->clash_with);
    for (j = 0; t->name_status == -ENOTUNIQ && j < f->n_users; j++)
        if (j != w && strcasecmp(n->names[j], t->name) == 0)
            t->clash_with = f->users[j].user_name;
    t->uid_tries = slots[w].collisions;
    iam_id_hash(IAM_ID_PREFIX_UID, slots[w].key, 0, cfg->uid_min, cfg->uid_max,
                &t->first_uid);
    for (j = 0; t->uid_tries && j < f->n_users; j++)
        if (j != w && slots[j].id == t->first_uid)
            t->uid_with = f->users[j].user_name;
    t->uid = t->name_status == 0 && t->authorized ? slots[w].id : 0;
}

/* What was served of the explained user, once the model is complete. */
static void
trace_served(const struct fetch *f, const struct iam_config *cfg,
             const struct model *m, struct model_trail *t)
{
    size_t i;

    t->index = -1;
    for (i = 0; i < m->n_users; i++)
        if (m->users[i].src == &f->users[t->who])
            t->index = (long)i;
    if (t->index >= 0)
        t->sudo_by = sudoer_by(f, cfg, t->who);
}

int
model_build(const struct fetch *f, const struct iam_config *cfg,
            const struct iam_name_set *local, time_t now, struct model *ret)
{
    return model_build_traced(f, cfg, local, now, NULL, ret);
}

int
model_build_traced(const struct fetch *f, const struct iam_config *cfg,
                   const struct iam_name_set *local, time_t now,
                   struct model_trail *trail, struct model *ret)
{
    struct naming n;
    struct iam_id_slot *slots = NULL;
    struct iam_id_taken taken;
    int r;

    memset(ret, 0, sizeof(*ret));
    memset(&n, 0, sizeof(n));
    memset(&taken, 0, sizeof(taken));
    if (trail && trail->who < f->n_users)
        ret->trail = trail;
    r = map_users(f, cfg, local, &n);
    if (r < 0)
        goto out;
    slots = calloc(f->n_users + 1, sizeof(*slots));
    if (!slots) {
        r = -ENOMEM;
        goto out;
    }
    r = iam_id_taken_init(cfg->uid_min, cfg->uid_max,
                          f->n_users + f->n_groups + local->n_ids + 4, &taken);
    if (r < 0)
        goto out;
    r = place_users(f, cfg, local, slots, &taken);
    if (r >= 0 && ret->trail)
        trace_naming(f, cfg, &n, slots, ret->trail);
    if (r >= 0)
        r = build_users(f, &n, slots, cfg, now, ret);
    if (r >= 0)
        r = build_all_groups(f, cfg, local, &taken, ret);
    if (r >= 0)
        r = model_shared_build(f, cfg, local, now, &ret->shared);
    if (r >= 0 && ret->trail)
        trace_served(f, cfg, ret, ret->trail);
    account_of(f, ret->account, sizeof(ret->account));
out:
    iam_id_taken_free(&taken);
    free(slots);
    naming_free(&n);
    if (r < 0)
        model_free(ret);
    return r;
}

void
model_trail_free(struct model_trail *t)
{
    free(t->keys);
    t->keys = NULL;
    t->n_keys = 0;
}

static int
write_user(const struct model_user *mu, const struct iam_config *cfg,
           struct iam_db_writer *w)
{
    struct iam_key_rec *keys;
    struct iam_user_rec u;
    uint32_t i;
    int r;

    memset(&u, 0, sizeof(u));
    u.uid = u.gid = mu->uid;
    u.name = iam_str_of(mu->name);
    u.gecos = iam_str_of(mu->src->user_name);
    u.home = iam_str_of(mu->home);
    u.shell = iam_str_of(cfg->shell);
    u.iam_name = iam_str_of(mu->src->user_name);
    u.iam_id = iam_str_of(mu->src->user_id);
    r = iam_db_writer_put_user(w, &u);
    if (r >= 0)
        r = iam_db_writer_put_group(w, mu->uid, mu->name, IAM_GROUP_PRIVATE,
                                    NULL, 0);
    if (r >= 0)
        r = iam_db_writer_put_user_gids(w, mu->name, mu->gids, mu->n_gids);
    if (r < 0 || mu->n_keys == 0)
        return r;
    keys = calloc(mu->n_keys, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    for (i = 0; i < mu->n_keys; i++) {
        keys[i].key_id = iam_str_of(mu->keys[i].key_id);
        keys[i].line = iam_str_of(mu->keys[i].line);
        keys[i].fingerprint = iam_str_of(mu->keys[i].fingerprint);
        keys[i].status = mu->keys[i].status;
        keys[i].upload_date = mu->keys[i].upload_date;
    }
    r = iam_db_writer_put_user_keys(w, mu->name, keys, mu->n_keys);
    free(keys);
    return r;
}

static int
write_group(const struct model *m, const struct model_group *g,
            struct iam_db_writer *w)
{
    struct iam_str *mem;
    uint32_t i;
    int r;

    mem = calloc(g->n_members + 1, sizeof(*mem));
    if (!mem)
        return -ENOMEM;
    for (i = 0; i < g->n_members; i++)
        mem[i] = iam_str_of(m->users[g->members[i]].name);
    r = iam_db_writer_put_group(w, g->gid, g->name, g->kind, mem, g->n_members);
    free(mem);
    return r;
}

static int
cmp_name_at(const void *a, const void *b, void *arg)
{
    const struct model *m = arg;

    return strcmp(m->users[*(const size_t *)a].name,
                  m->users[*(const size_t *)b].name);
}

static void
settings_list(FILE *out, const char *name, const struct iam_strlist *l)
{
    size_t i;

    fprintf(out, "%s", name);
    for (i = 0; i < l->n; i++)
        fprintf(out, " %s", l->v[i]);
    fputc('\n', out);
}

static void
settings_map(FILE *out, const char *name, const struct iam_map *m)
{
    size_t i, j;

    fprintf(out, "%s", name);
    for (i = 0; i < m->n; i++) {
        fprintf(out, " %s:", m->v[i].left);
        for (j = 0; j < m->v[i].right.n; j++)
            fprintf(out, "%s%s", j ? "," : "", m->v[i].right.v[j]);
    }
    fputc('\n', out);
}

void
model_settings(const struct iam_config *cfg, FILE *out)
{
    settings_list(out, "IAM_AUTHORIZED_GROUPS", &cfg->iam_authorized_groups);
    settings_list(out, "SUDOERS_GROUPS", &cfg->sudoers_groups);
    settings_list(out, "LOCAL_GROUPS", &cfg->local_groups);
    settings_map(out, "SHARED_ACCOUNTS", &cfg->shared_accounts);
    settings_map(out, "LOCAL_GROUP_MAP", &cfg->local_group_map);
    fprintf(out,
            "SUDOERS_ALL %d\nUID_MIN %u\nUID_MAX %u\nSHELL %s\n"
            "HOME_DIR %s\nSUDO_GROUP %s\nMEMBER_GROUP %s\n"
            "MAX_KEY_AGE_DAYS %u\n",
            cfg->sudoers_all, cfg->uid_min, cfg->uid_max, cfg->shell,
            cfg->home_dir, cfg->sudo_group, cfg->member_group,
            cfg->max_key_age_days);
    fprintf(out, "TAG_KEYS %d\nTAG_KEY_PREFIX %s\n", cfg->tag_keys,
            cfg->tag_key_prefix);
    settings_list(out, "TAG_KEY_TYPES", &cfg->tag_key_types);
}

int
model_write(const struct model *m, const struct iam_config *cfg,
            struct iam_db_writer *w)
{
    size_t i, *by_name;
    int r = 0;

    /*
     * In name order: four of the six databases a user goes into, the
     * keys among them, are keyed by name, and puts in key order touch
     * few pages, which keeps the writer's memory small (iam_db_write.c).
     * The content, and so the digest, does not depend on the order.
     */
    by_name = malloc((m->n_users + 1) * sizeof(*by_name));
    if (!by_name)
        return -ENOMEM;
    for (i = 0; i < m->n_users; i++)
        by_name[i] = i;
    qsort_r(by_name, m->n_users, sizeof(*by_name), cmp_name_at, (void *)m);
    for (i = 0; r >= 0 && i < m->n_users; i++)
        r = write_user(&m->users[by_name[i]], cfg, w);
    free(by_name);
    for (i = 0; r >= 0 && i < m->n_groups; i++)
        r = write_group(m, &m->groups[i], w);
    if (r >= 0)
        r = model_shared_write(&m->shared, w);
    return r;
}

void
model_free(struct model *m)
{
    size_t i, k;

    for (i = 0; m->users && i < m->n_users; i++) {
        for (k = 0; k < m->users[i].n_keys; k++)
            free(m->users[i].keys[k].line_own);
        free(m->users[i].keys);
        free(m->users[i].gids);
        free(m->users[i].home);
    }
    free(m->users);
    for (i = 0; m->groups && i < m->n_groups; i++)
        free(m->groups[i].members);
    free(m->groups);
    model_shared_free(&m->shared);
    memset(m, 0, sizeof(*m));
}
