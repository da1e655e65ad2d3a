/*
 * explain: iam-sync --explain NAME. Why one IAM user can or cannot log in
 * here, decision by decision, each with the setting it comes from. The
 * decisions are model_build()'s own (model_build_traced(), model.h): the
 * rules are never read a second time here, only what the model recorded.
 */
#ifndef EXPLAIN_H
#define EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "fetch.h"
#include "iam_config.h"
#include "iam_name.h"
#include "state.h"

#define EXPLAIN_MAX_STEPS 48

/* One decision: what was decided about what, under which setting. */
struct explain_step {
    const char *topic; /* "iam", "groups", "name", "uid", "key", ... */
    const char *rule;  /* the configuration key, or NULL */
    bool ok;           /* the decision lets the user in (or is neutral) */
    char text[320];
};

struct explain {
    const char *query;       /* the NAME asked about */
    const char *config_path; /* for "FILE:LINE" */
    const char *db_path;
    bool from_iam;     /* the user's facts are IAM's; else the snapshot's */
    const char *where; /* why not from IAM, when not */
    const char *facts; /* "iam", "fleet" or "snapshot" */
    bool found;        /* an IAM user of that name (or mapped name) */
    bool in_snapshot;  /* the snapshot serves the user now */
    bool can_log_in;   /* ... with at least one Active key */
    bool will_change;  /* the next sync changes the user */
    int64_t snapshot_created; /* 0: no snapshot */
    time_t now;
    struct explain_step steps[EXPLAIN_MAX_STEPS];
    size_t n_steps;
};

/*
 * explain_walk - build the model for @f (one user's facts, everyone
 * else's as far as needed) with the trail of the user @ex->query, and put
 * every decision into @ex, then compare with @old (the snapshot in
 * place). Returns 0, or -errno from model_build() (-EADDRINUSE: a
 * configured group can be neither used nor served; logged).
 */
int
explain_walk(const struct fetch *f, const struct iam_config *cfg,
             const struct iam_name_set *local, const struct state *old,
             struct explain *ex);

/* explain_find - the fetched user named @name (IAM name, or the POSIX
 * name it maps to), or -1. */
long
explain_find(const struct fetch *f, const char *name);

/*
 * explain_snapshot_fetch - what the snapshot at @path says, as a fetch:
 * its users (IAM name, UserId; CreateDate unknown, so 0), their keys and
 * the configured groups' members as far as it serves those groups
 * (SUDOERS_GROUPS not served as a group: SUDO_GROUP's members). Only the
 * users it serves: the rest of the account is unknown to it. Returns 0,
 * -ENOENT (no snapshot), -EIO, -EACCES or -ENOMEM.
 */
int
explain_snapshot_fetch(const char *path, const struct iam_config *cfg,
                       struct fetch *ret);

/* explain_print - @ex as text, or as one JSON object (@json). */
void
explain_print(const struct explain *ex, const struct iam_config *cfg, bool json,
              FILE *out);

#endif
