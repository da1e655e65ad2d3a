/*
 * iam_id: uids and gids that are the same on every server and that anyone
 * can recompute from IAM's immutable ids.
 *
 * The rule:
 *   h(prefix, key, n) = first 8 bytes of SHA-256(prefix + key), or of
 *                       SHA-256(prefix + key + ":" + n) when n > 0,
 *                       read as a big-endian uint64
 *   id = min + h mod (max - min + 1)
 * with prefix "uid:" and key = IAM UserId for users, prefix "gid:" and
 * key = IAM GroupId for IAM groups, and "gid:" + the configured name for
 * the synthesized groups (SUDO_GROUP, MEMBER_GROUP).
 *
 * Collisions: entities are placed one at a time into a shared set of taken
 * ids. One whose id is taken tries n = 1, 2, ... until a free id comes up.
 * Placement order, which must be the same everywhere:
 *   1. every user of the account (not only the authorized ones), by
 *      (CreateDate, UserId with strcmp); a user's private group has
 *      gid = uid, so the users' pass also reserves those gids;
 *   2. the IAM groups, by (CreateDate, GroupId), or by GroupId alone when
 *      CreateDate is unknown (give 0);
 *   3. the synthesized groups, in the order given.
 * One iam_id_taken is shared by the three passes, so no group ever gets a
 * gid that is a user's private gid. Before the first pass it holds the
 * ids of the local passwd and group files that fall in the range, and
 * 65534 and 4294967294 (iam_id_taken_add()): an IAM entity whose hash
 * lands on one of them moves on to its next try, on that server only.
 *
 * SHA-256 comes from iam_sha256. Not for the NSS module: it
 * only reads the ids that iam-sync computed.
 */
#ifndef IAM_ID_H
#define IAM_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IAM_ID_DEFAULT_MIN 2000000000u
#define IAM_ID_DEFAULT_MAX 2147483646u
/* Tries per entity before giving up: only reached when the range is all
 * but full, where finding the last free ids by hashing would take long. */
#define IAM_ID_MAX_REHASH 1000000u

#define IAM_ID_PREFIX_UID "uid:"
#define IAM_ID_PREFIX_GID "gid:"

/*
 * iam_id_hash - the id of @key for try @n, without looking at collisions.
 * @prefix: IAM_ID_PREFIX_UID or IAM_ID_PREFIX_GID (any string is hashed).
 * @key: UserId, GroupId or synthesized group name.
 * @n: 0 for the first try, else the ":n" suffix.
 * @min, @max: the id range, 1 <= min <= max < 4294967295.
 * @ret_id: set to 0 on entry, to the id on success.
 *
 * Returns 0 or -EINVAL (NULL argument or bad range). Thread-safe.
 */
int
iam_id_hash(const char *prefix, const char *key, unsigned n, uint32_t min,
            uint32_t max, uint32_t *ret_id);

/*
 * The ids given out so far, and the range they come from. An open
 * addressing hash set of uint32_t (0 marks an empty cell: 0 is never in
 * range). Not thread-safe: one placement at a time.
 */
struct iam_id_taken {
    uint32_t *cells;
    size_t cap; /* power of two, at least twice count */
    size_t count;
    uint32_t min;
    uint32_t max;
};

/*
 * iam_id_taken_init - an empty set for ids in [@min, @max].
 * @expected: how many ids will be placed (users + groups); the table is
 *            sized for it so that placement never rehashes the table.
 *            Only a hint: the table grows if more come.
 * @ret_taken: cleared on entry; free with iam_id_taken_free().
 *
 * Returns 0, -EINVAL (min == 0: uid 0 is root; max == 4294967295: that is
 * (uid_t)-1; min > max) or -ENOMEM.
 */
int
iam_id_taken_init(uint32_t min, uint32_t max, size_t expected,
                  struct iam_id_taken *ret_taken);

/* iam_id_taken_has - true when @id has been given out from @taken. */
bool
iam_id_taken_has(const struct iam_id_taken *taken, uint32_t id);

/*
 * iam_id_taken_add - mark @id as given out before placement starts: the
 * ids of local accounts, 65534 (nobody) and 4294967294 ((uid_t)-2, the
 * kernel's overflow id on some systems). Ids outside [min, max] are
 * ignored, so callers may add every local id. Entities whose hash lands
 * on an added id take the next try, as after any collision.
 * Returns 0, -EINVAL (NULL or uninitialised @taken) or -ENOMEM.
 */
int
iam_id_taken_add(struct iam_id_taken *taken, uint32_t id);

/* iam_id_taken_free - release @taken's memory and clear it; NULL is fine. */
void
iam_id_taken_free(struct iam_id_taken *taken);

/* One entity to place. The caller fills the inputs; place() the outputs. */
struct iam_id_slot {
    const char *key;     /* in: UserId, GroupId or group name; borrowed */
    int64_t create_date; /* in: seconds since the epoch, 0 when unknown */
    uint32_t id;         /* out: the placed id */
    unsigned collisions; /* out: tries that hit a taken id (= the n used) */
};

enum iam_id_order {
    IAM_ID_ORDER_CREATED, /* by (create_date, strcmp(key)) */
    IAM_ID_ORDER_GIVEN,   /* as in the array (synthesized groups) */
};

/*
 * iam_id_place - give each of @n slots a free id from @taken.
 * @prefix: IAM_ID_PREFIX_UID for users, IAM_ID_PREFIX_GID for groups.
 * @v: the slots. The array is not reordered; with IAM_ID_ORDER_CREATED
 *     the result does not depend on the order of @v. Keys must be unique
 *     within one call (IAM ids are), else the later one of two equal keys
 *     is simply rehashed.
 * @n: number of slots.
 * @order: placement order, see enum iam_id_order.
 * @taken: the set shared by the users' and the groups' passes; every
 *         placed id is added to it.
 *
 * Every slot's id and collisions are set to 0 on entry. Rehashed slots
 * (whose id differs from the one-line formula) are counted in one
 * LOG_NOTICE line per call and named one by one at LOG_DEBUG.
 *
 * Returns 0; -ENOSPC when @n ids do not fit in what is left of the range
 * (checked before anything is placed) or when a slot found no free id in
 * IAM_ID_MAX_REHASH tries; -EINVAL (NULL argument or NULL key); -ENOMEM.
 * After an error the slots and @taken are partly filled:
 * free @taken and start over.
 */
int
iam_id_place(const char *prefix, struct iam_id_slot *v, size_t n,
             enum iam_id_order order, struct iam_id_taken *taken);

#endif
