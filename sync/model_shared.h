/*
 * model_shared: what SHARED_ACCOUNTS and LOCAL_GROUP_MAP add to the
 * model. Pure of I/O like model.c, which calls these.
 *
 * SHARED_ACCOUNTS maps a local account (from /etc/passwd, never created
 * or changed here) to IAM groups. The snapshot gets one record per
 * account (its uid, its groups) and one index entry per Active key of
 * those groups' members, by fingerprint (iam_db.h). The members gain no
 * account of their own from this: their keys serve the shared account
 * only.
 *
 * LOCAL_GROUP_MAP maps an IAM group to local groups (from /etc/group,
 * never edited): each served member gets their gids, as LOCAL_GROUPS
 * gives its gids to every IAM user.
 */
#ifndef MODEL_SHARED_H
#define MODEL_SHARED_H

#include <stdint.h>
#include <time.h>

#include "fetch.h"
#include "iam_config.h"
#include "iam_db_write.h"
#include "iam_keyline.h"
#include "iam_name.h"

struct model;

struct model_shared_acct {
    const char *name; /* borrowed from the config */
    uint32_t uid;     /* in /etc/passwd at this sync */
    const struct iam_strlist *groups;
};

struct model_shared_key {
    const char *iam_name; /* borrowed from the fetch */
    const char *key_id;
    char *line; /* owned: canonical, as in user.keys */
    char fingerprint[IAM_KEYLINE_FP_SIZE];
    int64_t upload_date;
    const char **groups; /* owned array; names borrowed from the config */
    uint32_t n_groups;
};

struct model_shared {
    struct model_shared_acct *accts;
    size_t n_accts;
    struct model_shared_key *keys; /* sorted by fingerprint, unique */
    size_t n_keys;
    unsigned ambiguous_keys; /* one key of two IAM users: not indexed */
};

/*
 * model_shared_build - the shared accounts of @cfg that exist in @local
 * (an unknown account is skipped, logged with the config line) and the
 * index of their members' servable keys. Returns 0 or -ENOMEM.
 */
int
model_shared_build(const struct fetch *f, const struct iam_config *cfg,
                   const struct iam_name_set *local, time_t now,
                   struct model_shared *ret);

/*
 * model_shared_map_groups - LOCAL_GROUP_MAP: appends the mapped local
 * gids to the gid lists of the served members of each IAM group. @idx is
 * the model index of each fetched user (-1: not served). Unknown local
 * groups and gid 0 are skipped, logged with the config line. Returns 0 or
 * -ENOMEM.
 */
int
model_shared_map_groups(const struct fetch *f, const struct iam_config *cfg,
                        const struct iam_name_set *local, const long *idx,
                        struct model *m);

/* model_shared_write - put the accounts and the key index into @w. */
int
model_shared_write(const struct model_shared *s, struct iam_db_writer *w);

void
model_shared_free(struct model_shared *s);

#endif
