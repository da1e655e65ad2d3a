/*
 * terminate: who loses their running sessions and processes when a sync
 * removes users, decided from the snapshot in place and the new one.
 * Pure: no /proc, no signals (reap.c does those, after the publish).
 */
#ifndef TERMINATE_H
#define TERMINATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iam_name.h"
#include "state.h"

/* A user whose processes are to end, and what ending them did. */
struct terminate_victim {
    char name[IAM_NAME_BUF];
    uint32_t uid;
    unsigned sessions;  /* distinct kernel sessions (setsid) signalled */
    unsigned processes; /* distinct processes signalled */
    unsigned failed;    /* signals that could not be sent */
};

struct terminate_list {
    struct terminate_victim *v; /* sorted by name, as the states are */
    size_t n;
};

/* What may be ended, from the configuration and this run's verdicts. */
struct terminate_rules {
    bool enabled;     /* TERMINATE_REMOVED_USERS */
    bool refused;     /* MAX_REMOVE_PERCENT refused the run: nothing changes */
    uint32_t uid_min; /* UID_MIN..UID_MAX: only IAM's own ids */
    uint32_t uid_max;
    const struct iam_name_set *local; /* /etc/passwd and /etc/group */
};

/*
 * terminate_choose - the users of @old that @new no longer serves.
 * @old: the snapshot in place (users sorted by name); may be empty.
 * @new: the snapshot this run publishes (users sorted by name).
 * @rules: see struct terminate_rules.
 * @ret: cleared on entry; on success owns its array (terminate_list_free).
 *
 * A user is chosen when its name is gone from @new, and its old uid is
 * none of these: 0; outside UID_MIN..UID_MAX; any id of the local files
 * (those processes belong to a local account, whatever the name); a uid
 * that @new still gives to anyone (a renamed user keeps its sessions).
 * A user still in @new is never chosen, whatever happened to its keys.
 * Nothing is chosen when @rules says disabled or refused.
 *
 * Returns 0 or -ENOMEM.
 */
int
terminate_choose(const struct state *old, const struct state *new,
                 const struct terminate_rules *rules,
                 struct terminate_list *ret);

/* terminate_list_free - release @l's array and clear it. NULL is fine. */
void
terminate_list_free(struct terminate_list *l);

#endif
