#include "explain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "iam_rec.h"
#include "model.h"

#define DAY 86400

static void
step(struct explain *ex, const char *topic, const char *rule, bool ok,
     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends one decision; past EXPLAIN_MAX_STEPS the last one says so. */
static void
step(struct explain *ex, const char *topic, const char *rule, bool ok,
     const char *fmt, ...)
{
    struct explain_step *s;
    va_list ap;

    if (ex->n_steps == EXPLAIN_MAX_STEPS) {
        snprintf(ex->steps[EXPLAIN_MAX_STEPS - 1].text,
                 sizeof(ex->steps[0].text), "(more decisions not shown)");
        return;
    }
    s = &ex->steps[ex->n_steps++];
    s->topic = topic;
    s->rule = rule;
    s->ok = ok;
    va_start(ap, fmt);
    vsnprintf(s->text, sizeof(s->text), fmt, ap);
    va_end(ap);
}

long
explain_find(const struct fetch *f, const char *name)
{
    char mapped[IAM_NAME_BUF];
    size_t i;

    for (i = 0; i < f->n_users; i++)
        if (strcmp(f->users[i].user_name, name) == 0)
            return (long)i;
    for (i = 0; i < f->n_users; i++)
        if (iam_name_map(f->users[i].user_name, mapped, sizeof(mapped)) == 0 &&
            strcmp(mapped, name) == 0)
            return (long)i;
    return -1;
}

static bool
is_member(const struct fetch_group *g, size_t who)
{
    size_t k;

    for (k = 0; k < g->n_members; k++)
        if (g->members[k] == who)
            return true;
    return false;
}

/* The configured groups, and which of them hold the user. */
static void
walk_groups(const struct fetch *f, const struct iam_config *cfg,
            const struct model_trail *t, struct explain *ex)
{
    const char *auth = cfg->iam_authorized_groups_tag
                           ? "IAM_AUTHORIZED_GROUPS_TAG"
                           : "IAM_AUTHORIZED_GROUPS";
    const char *rule;
    size_t i;

    for (i = 0; i < f->n_groups; i++) {
        rule = f->groups[i].authorized ? auth : "SUDOERS_GROUPS";
        if (!f->groups[i].group_id)
            step(ex, "groups", rule, true, "IAM group %s does not exist",
                 f->groups[i].name);
        else
            step(ex, "groups", rule, true, "%s of IAM group %s",
                 is_member(&f->groups[i], t->who) ? "member" : "not a member",
                 f->groups[i].name);
    }
    if (cfg->iam_authorized_groups.n == 0)
        step(ex, "authorized", auth, true,
             "admitted: IAM_AUTHORIZED_GROUPS is empty, every IAM user is");
    else
        step(ex, "authorized", auth, t->authorized, "%s",
             t->authorized ? "admitted: member of an authorized group"
                           : "refused: in none of the authorized groups");
}

/* The POSIX name: accepted, or refused and why. */
static void
walk_name(const struct model_trail *t, struct explain *ex)
{
    const char *why = iam_name_reason(t->name_status);

    if (t->name_status == 0)
        step(ex, "name", NULL, true, "maps to %s: accepted", t->name);
    else if (t->name_status == -ENOTUNIQ)
        step(ex, "name", NULL, false,
             "maps to %s: refused: %s (IAM user %s maps to it too)", t->name,
             why, t->clash_with ? t->clash_with : "?");
    else if (t->name_status == -EADDRINUSE)
        step(ex, "name", t->clash_key, false,
             "maps to %s: refused: %s (%s \"%s\")", t->name, why,
             t->clash_key ? t->clash_key : "?",
             t->clash_with ? t->clash_with : "?");
    else if (t->name[0])
        step(ex, "name", NULL, false, "maps to %s: refused: %s", t->name, why);
    else
        step(ex, "name", NULL, false, "refused: %s", why);
}

static void
walk_uid(const struct model_trail *t, struct explain *ex)
{
    if (t->uid_tries == 0)
        step(ex, "uid", "UID_MIN", true,
             "uid %u, private group gid %u: its first choice", t->uid, t->uid);
    else
        step(ex, "uid", "UID_MIN", true,
             "uid %u, private group gid %u: moved from %u (taken by %s%s), "
             "try %u",
             t->uid, t->uid, t->first_uid, t->uid_with ? "IAM user " : "",
             t->uid_with ? t->uid_with : "a local account or a reserved id",
             t->uid_tries);
}

static const struct state_user *
state_user(const struct state *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].name, name) == 0)
            return &s->users[i];
    return NULL;
}

static const struct state_key *
state_key(const struct state_user *u, const char *key_id)
{
    size_t i;

    for (i = 0; u && i < u->n_keys; i++)
        if (strcmp(u->keys[i].key_id, key_id) == 0)
            return &u->keys[i];
    return NULL;
}

static const char *const key_what[] = {
    [MODEL_KEY_NO_BODY] = "deleted in IAM while read: not served",
    [MODEL_KEY_INVALID] = "refused",
    [MODEL_KEY_ACTIVE] = "served, opens a login",
    [MODEL_KEY_INACTIVE] = "Inactive in IAM: served as Inactive, opens "
                           "nothing",
    [MODEL_KEY_EXPIRED] = "older than MAX_KEY_AGE_DAYS: served as "
                          "expired, opens nothing",
};

static void
walk_keys(const struct model_trail *t, const struct iam_config *cfg,
          const struct state_user *was, struct explain *ex)
{
    const struct model_key_trail *k;
    long age;
    size_t i;

    if (t->n_keys == 0)
        step(ex, "key", NULL, false, "no SSH public key in IAM");
    for (i = 0; i < t->n_keys; i++) {
        k = &t->keys[i];
        age = (long)((ex->now - k->src->upload_date) / DAY);
        step(ex, "key",
             k->verdict == MODEL_KEY_EXPIRED || cfg->max_key_age_days
                 ? "MAX_KEY_AGE_DAYS"
                 : NULL,
             k->verdict == MODEL_KEY_ACTIVE,
             "%s: %s, %ld days old (limit %s%u): %s%s%s; %s", k->src->key_id,
             k->src->status == AWS_IAM_JSON_KEY_ACTIVE ? "Active" : "Inactive",
             age, cfg->max_key_age_days ? "" : "none, ", cfg->max_key_age_days,
             key_what[k->verdict], k->verdict == MODEL_KEY_INVALID ? ": " : "",
             k->verdict != MODEL_KEY_INVALID ? ""
             : k->why                        ? k->why
                                             : iam_keyline_strerror(k->reason),
             state_key(was, k->src->key_id) ? "in the snapshot"
                                            : "not in the snapshot yet");
    }
}

/* The groups that give the served user @u a gid, by name. */
static void
walk_local_groups(const struct model *m, const struct model_user *u,
                  struct explain *ex)
{
    char list[200] = "";
    size_t i, k, len = 0;

    for (k = 0; k < m->n_groups; k++)
        for (i = 0; i < m->groups[k].n_members; i++)
            if (&m->users[m->groups[k].members[i]] == u &&
                len + strlen(m->groups[k].name) + 2 < sizeof(list))
                len += (size_t)snprintf(list + len, sizeof(list) - len, " %s",
                                        m->groups[k].name);
    step(ex, "groups here", "LOCAL_GROUPS", true,
         "%u supplementary gids; served groups:%s", u->n_gids,
         len ? list : " none");
}

static bool
keys_differ(const struct state_user *a, const struct state_user *b)
{
    size_t i;

    if (a->n_keys != b->n_keys)
        return true;
    for (i = 0; i < a->n_keys; i++)
        if (strcmp(a->keys[i].key_id, b->keys[i].key_id) != 0 ||
            a->keys[i].status != b->keys[i].status)
            return true;
    return false;
}

/* The snapshot now, and what the next sync will do to this user. */
static void
walk_snapshot(const struct model_trail *t, const struct state *old,
              const struct state *new, struct explain *ex)
{
    const struct state_user *was = t->name[0] ? state_user(old, t->name) : NULL;
    const struct state_user *will =
        t->index >= 0 ? state_user(new, t->name) : NULL;
    size_t i;

    ex->snapshot_created = old->exists ? old->created : 0;
    ex->in_snapshot = was != NULL;
    for (i = 0; was && i < was->n_keys; i++)
        if (was->keys[i].status == IAM_KEY_ACTIVE)
            ex->can_log_in = true;
    if (!old->exists)
        step(ex, "snapshot", NULL, false, "%s: no snapshot yet", ex->db_path);
    else
        step(ex, "snapshot", "MAX_SNAPSHOT_AGE", was != NULL,
             "%s made %lld s ago: %s", ex->db_path,
             (long long)(ex->now - old->created),
             was ? "serves this user" : "does not serve this user");
    ex->will_change = (was == NULL) != (will == NULL) ||
                      (was && will &&
                       (was->uid != will->uid || was->sudo != will->sudo ||
                        keys_differ(was, will)));
    step(ex, "next sync", NULL, !ex->will_change, "%s",
         !ex->will_change ? "changes nothing for this user"
         : !was           ? "adds this user"
         : !will          ? "removes this user"
                          : "changes this user (uid, sudo or keys)");
}

static void
walk_served(const struct iam_config *cfg, const struct model *m,
            const struct model_trail *t, const struct state *old,
            struct explain *ex)
{
    const struct model_user *u = &m->users[t->index];

    walk_uid(t, ex);
    walk_keys(t, cfg, state_user(old, t->name), ex);
    if (!t->sudo_by)
        step(ex, "sudo", "SUDOERS_GROUPS", true,
             "no: in no SUDOERS_GROUPS group");
    else if (strcmp(t->sudo_by, "##ALL##") == 0)
        step(ex, "sudo", "SUDOERS_GROUPS", true,
             "yes: SUDOERS_GROUPS is ##ALL##");
    else
        step(ex, "sudo", "SUDOERS_GROUPS", true, "yes: member of IAM group %s",
             t->sudo_by);
    walk_local_groups(m, u, ex);
}

int
explain_walk(const struct fetch *f, const struct iam_config *cfg,
             const struct iam_name_set *local, const struct state *old,
             struct explain *ex)
{
    struct model_trail t;
    struct model m;
    struct state new;
    long who = explain_find(f, ex->query);
    int r;

    memset(&t, 0, sizeof(t));
    memset(&new, 0, sizeof(new));
    ex->found = who >= 0;
    t.who = who >= 0 ? (size_t)who : (size_t)-1;
    t.index = -1;
    r = model_build_traced(f, cfg, local, ex->now, &t, &m);
    if (r < 0)
        goto out;
    if (who < 0) {
        step(ex, "iam", NULL, false, "%s",
             ex->from_iam ? "no IAM user of that name, nor one whose name "
                            "maps to it"
                          : "not in the snapshot (ask IAM: run without "
                            "--offline)");
        snprintf(t.name, sizeof(t.name), "%s", ex->query);
    } else {
        step(ex, "iam", NULL, true, "IAM user %s (%s)%s",
             f->users[who].user_name, f->users[who].user_id,
             ex->from_iam ? ": exists in IAM" : ": from the snapshot");
        walk_groups(f, cfg, &t, ex);
        if (t.authorized)
            walk_name(&t, ex);
        if (t.index >= 0)
            walk_served(cfg, &m, &t, old, ex);
    }
    r = state_from_model(&m, &new);
    if (r >= 0)
        walk_snapshot(&t, old, &new, ex);
    model_free(&m);
out:
    state_free(&new);
    model_trail_free(&t);
    return r;
}
