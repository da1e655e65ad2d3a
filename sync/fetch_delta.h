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
 * select and shared accounts too; o->known is not used: the bodies and
 * first-seen dates of @prev are reused). @prev must come from fetch_all()
 * or fetch_delta() with the same options. Names in hints are matched
 * ignoring case, as IAM matches them.
 *  - EVENT_USER: GetUser. Found: added, or updated in place (name, path,
 *    ARN) when @prev has its user id. Gone (NoSuchEntity), or the name
 *    now another id's: the user @prev had under that name leaves the
 *    users and every group (a user deleted and created again is a new
 *    user: no groups, no keys).
 *  - EVENT_GROUP of a group @prev holds (IAM_AUTHORIZED_GROUPS,
 *    SUDOERS_GROUPS, SHARED_ACCOUNTS, LOCAL_GROUP_MAP): GetGroup, all
 *    pages, under its configured name: its members are replaced and its
 *    id taken again (NoSuchEntity: no id, no members, as a full fetch).
 *    Members not known are added as users from GetGroup's entries; known
 *    ones get their name and path from them. Any other group: no call.
 *  - EVENT_USER_KEYS of a wanted user (under its new or its old name):
 *    ListSSHPublicKeys, and GetSSHPublicKey for key ids whose body @prev
 *    does not hold; its keys from tags are kept.
 *  - EVENT_USER_TAGS of a wanted user, with o->tag_prefix: ListUserTags
 *    (also with o->tags_from_gaad: no GAAD page for one user); its IAM
 *    keys are kept, its keys from tags keep their first-seen dates.
 * Then who is authorized is decided again (fetch_mark_authorized,
 * o->select, fetch_mark_shared); a user who becomes wanted gets their
 * keys (and tags) read as a full fetch reads them, one who is no longer
 * wanted loses them. A key @prev holds without a body (deleted between
 * its listing and GetSSHPublicKey) is not carried over.
 * The result is what fetch_all() reads when IAM changed only where the
 * hints say: the same users, groups (in configuration order), members
 * and keys, IAM's keys before those from tags; users keep @prev's order,
 * new ones follow (fleet_obj_build() sorts by id, so its object is the
 * same byte for byte).
 * The call counters of *ret count only the calls this made (a GetUser or
 * GetGroup answered NoSuchEntity included).
 * Returns 0, or the -errno of the first call that failed (logged), or
 * of o->select, or -ENOMEM: then *ret is empty but for its counters,
 * and @prev is as it was (it is never written).
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
