/*
 * model: what the snapshot will say, decided from what IAM said (fetch.h),
 * the configuration and the local /etc/passwd and /etc/group. Pure of
 * I/O: all the naming, uid and key rules of docs/design.md live here, so
 * they are tested without a network.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "fetch.h"
#include "iam_config.h"
#include "iam_db_write.h"
#include "iam_keyline.h"
#include "iam_name.h"
#include "model_shared.h"

struct model_key {
    const char *key_id; /* borrowed from the fetch */
    const char *line;   /* canonical: the fetch's body or line_own */
    char *line_own;     /* owned when the body was not canonical */
    char fingerprint[IAM_KEYLINE_FP_SIZE];
    uint8_t status; /* enum iam_key_status */
    int64_t upload_date;
};

struct model_user {
    const struct aws_iam_json_user *src; /* borrowed from the fetch */
    char name[IAM_NAME_BUF];
    char *home;
    uint32_t uid;
    bool sudo;
    uint32_t *gids; /* supplementary, in a stable order */
    uint32_t n_gids;
    struct model_key *keys;
    uint32_t n_keys;
};

struct model_group {
    char name[IAM_NAME_BUF];
    uint32_t gid;
    uint8_t kind;    /* enum iam_group_kind */
    size_t *members; /* indexes into model.users */
    uint32_t n_members;
};

/*
 * The decisions model_build() took for one fetched user, in the order it
 * took them: what iam-sync --explain prints (explain.h). The sync never
 * reads them; they are the same decisions, not a second reading of the
 * rules.
 */
enum model_key_verdict {
    MODEL_KEY_NO_BODY,  /* deleted between the list and the get */
    MODEL_KEY_INVALID,  /* refused; reason: enum iam_keyline_reason */
    MODEL_KEY_ACTIVE,   /* served, opens a login */
    MODEL_KEY_INACTIVE, /* served as Inactive: opens nothing */
    MODEL_KEY_EXPIRED,  /* Active but older than MAX_KEY_AGE_DAYS */
};

struct model_key_trail {
    const struct fetch_key *src; /* borrowed from the fetch */
    enum model_key_verdict verdict;
    int reason;      /* an IAM key refused: enum iam_keyline_reason */
    const char *why; /* a key in a tag refused: a static reason */
};

struct model_trail {
    size_t who;      /* in: the fetched user explained */
    bool authorized; /* member of IAM_AUTHORIZED_GROUPS (or it is empty) */
    char name[IAM_NAME_BUF]; /* the mapped name, "" when unmappable */
    int name_status;         /* 0 or the refusal (iam_name_reason()) */
    /* -ENOTUNIQ: the other IAM user; -EADDRINUSE: the setting
     * ("SUDO_GROUP", ...) and the group it names; else NULL */
    const char *clash_key;
    const char *clash_with;
    uint32_t uid;         /* the placed uid (0 when refused) */
    uint32_t first_uid;   /* the uid of the first try */
    const char *uid_with; /* first_uid was taken by this IAM user; NULL
                             with uid_tries > 0: a local id */
    unsigned uid_tries;
    /* sudo: "##ALL##" (SUDOERS_GROUPS), the SUDOERS_GROUPS group that
     * gave it, or NULL */
    const char *sudo_by;
    long index; /* in model.users, -1 when not served */
    struct model_key_trail *keys;
    size_t n_keys;
};

struct model {
    struct model_user *users; /* authorized, accepted; sorted by uid */
    size_t n_users;
    struct model_group *groups; /* served shared groups */
    size_t n_groups;
    struct model_shared shared; /* SHARED_ACCOUNTS */
    char account[16];           /* from the users' ARNs, or "" */
    /* what was refused or skipped, for the summary line */
    unsigned refused_names;
    unsigned invalid_keys;
    unsigned expired_keys;
    unsigned n_keys;
    struct model_trail *trail; /* model_build_traced() only */
};

/*
 * model_build - decide the snapshot. The model borrows from @f (key ids,
 * users, key lines), so @f must outlive it. @now is used for
 * MAX_KEY_AGE_DAYS.
 *
 * One namespace: every name served (users, their private groups, IAM
 * groups, SUDO_GROUP, MEMBER_GROUP) is unique ignoring ASCII case against
 * the local passwd and group names, the reserved list, the configured
 * group names (SUDO_GROUP, MEMBER_GROUP, LOCAL_GROUPS) and each other. On
 * a clash the IAM user or IAM group is refused (logged, counted, never
 * fatal); a configured group never gives way. Local uids and gids are
 * taken before placement (iam_id.h).
 *
 * Returns 0, -EADDRINUSE (SUDO_GROUP or MEMBER_GROUP can be neither used
 * as a local group nor served: publish nothing), -ENOSPC (the uid range
 * cannot hold the account), -E2BIG, -ENOMEM, -EIO.
 */
int
model_build(const struct fetch *f, const struct iam_config *cfg,
            const struct iam_name_set *local, time_t now, struct model *ret);

/*
 * model_build_traced - model_build(), recording in @trail (its who set by
 * the caller) every decision taken for that one user. Free the trail with
 * model_trail_free(). Returns as model_build().
 */
int
model_build_traced(const struct fetch *f, const struct iam_config *cfg,
                   const struct iam_name_set *local, time_t now,
                   struct model_trail *trail, struct model *ret);

void
model_trail_free(struct model_trail *t);

/*
 * model_name_status - the naming verdict for every fetched user, as
 * model_build() will reach it: @ret_status[i] is 0 when user i's name can
 * be served here, else the refusal (iam_name_reason()). Nothing is logged.
 * Returns 0 or -ENOMEM.
 */
int
model_name_status(const struct fetch *f, const struct iam_config *cfg,
                  const struct iam_name_set *local, int *ret_status);

/* model_write - put every record of @m into @w. 0 or -errno. */
int
model_write(const struct model *m, const struct iam_config *cfg,
            struct iam_db_writer *w);

/*
 * model_settings - write, one per line, every setting model_build() and
 * model_write() read, and IAM_AUTHORIZED_GROUPS. An instance fed from S3
 * hashes this (with /etc/passwd and /etc/group) to know whether a 304
 * really leaves nothing to do. Keep it in step with the code above.
 */
void
model_settings(const struct iam_config *cfg, FILE *out);

void
model_free(struct model *m);

#endif
