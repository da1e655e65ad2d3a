/*
 * fetch_delta: the fetch kept in memory by a publisher following the
 * event queue, brought up to date by reading again only what a set of
 * hints names (events.h), and compared with a full fetch when it is
 * reconciled.
 *
 * Group membership and keys are carried over by user id, not name: a
 * renamed user (UpdateUser) keeps both, as in IAM; a user deleted and
 * created again under the same name starts with neither.
 */
#ifndef FETCH_DELTA_H
#define FETCH_DELTA_H

#include "events.h"
#include "fetch.h"

/*
 * fetch_delta - a new fetch into *ret: @prev with what @hints name read
 * again from IAM with @o (the same options a full fetch takes, its
 * select too; o->known is not used: the bodies of @prev are reused).
 *  - EVENT_USER: GetUser; gone (NoSuchEntity): the user leaves the users
 *    and every group; found: added, or updated in place (name, path).
 *  - EVENT_GROUP of a configured group: GetGroup, all pages: its members
 *    are replaced (members IAM lists that were not known are added as
 *    users); another group's name is ignored.
 *  - EVENT_USER_KEYS: ListSSHPublicKeys, and GetSSHPublicKey for key ids
 *    whose body @prev does not hold; tag keys are kept.
 *  - EVENT_USER_TAGS (with o->tag_prefix): ListUserTags; IAM keys kept.
 * Then who is authorized is decided again (o->select too); a user who
 * becomes wanted gets their keys (and tags) read as for
 * EVENT_USER_KEYS, one who is no longer wanted loses them.
 * The call counters of *ret count only the calls this made.
 * Returns 0, or the -errno of the first call that failed (logged): then
 * *ret is empty and @prev is as it was.
 */
int
fetch_delta(const struct fetch_opts *o, const struct fetch *prev,
            const struct event_hints *hints, struct fetch *ret);

/* How far an incrementally kept fetch had drifted from IAM. */
struct fetch_drift {
    unsigned long users;   /* users only one of the two has, or whose
                              name, path or authorization differ */
    unsigned long members; /* (group, user) memberships in one only */
    unsigned long keys;    /* (user, key id) in one only, or whose
                              status or body differ; a key without a
                              body (deleted meanwhile) is in neither */
};

/*
 * fetch_drift - compare @kept (the incremental state) with @full (just
 * read whole). Users are matched by user id. Returns 0 or -ENOMEM.
 */
int
fetch_drift(const struct fetch *kept, const struct fetch *full,
            struct fetch_drift *ret);

/* The total of the three counts: 0 when nothing was missed. */
unsigned long
fetch_drift_total(const struct fetch_drift *d);

#endif
