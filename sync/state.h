/*
 * state: the part of a snapshot an operator cares about when it changes
 * (users, their uids, sudo, keys and their status), read either from the
 * published snapshot or from a new model, so the two can be compared
 * (diff.h) and the previous keys' bodies reused (fetch.h, known_keys).
 */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fetch.h"
#include "iam_instance.h"
#include "iam_keyline.h"
#include "iam_name.h"
#include "model.h"

struct state_key {
    char *key_id;
    uint8_t status;
    char fingerprint[IAM_KEYLINE_FP_SIZE];
};

struct state_user {
    char name[IAM_NAME_BUF];
    uint32_t uid;
    bool sudo;
    struct state_key *keys; /* sorted by key_id */
    size_t n_keys;
};

struct state {
    bool exists;              /* false: there was no snapshot */
    struct state_user *users; /* sorted by name */
    size_t n_users;
    char digest[65];
    int64_t created;
    char source[1100]; /* meta.source: IAM endpoint or SOURCE */
    char account[16];  /* meta.account: from the users' ARNs, or "" */
    char instance[IAM_INSTANCE_ID_SIZE]; /* made on, or "" */
};

/*
 * state_from_snapshot - read the snapshot at @path. A missing file gives
 * an empty state (exists = false) and 0. @sudo_group names SUDO_GROUP,
 * @sudo_local_gid its local gid when it is a local group (else 0). When
 * @ret_known is not NULL it receives every key id with its line.
 * Returns 0 or -errno (-EACCES, -EIO: the snapshot cannot be trusted).
 */
int
state_from_snapshot(const char *path, const char *sudo_group,
                    gid_t sudo_local_gid, struct state *ret,
                    struct known_keys *ret_known);

/*
 * state_peek - only what the snapshot's meta record says (exists,
 * digest, created, source, account, instance), no users: enough to ask S3
 * whether anything changed. Returns as state_from_snapshot().
 */
int
state_peek(const char *path, struct state *ret);

/* state_from_model - the state a model would publish. 0 or -ENOMEM. */
int
state_from_model(const struct model *m, struct state *ret);

/*
 * state_drop_users - free the users and keys once compared, keeping
 * exists, n_users, digest and created (what the rest of a sync reads).
 */
void
state_drop_users(struct state *s);

void
state_free(struct state *s);

#endif
