/*
 * iam_instance: which EC2 instance a snapshot was made on, and which one
 * reads it.
 *
 * An image (AMI) made from a running instance carries that instance's
 * snapshot. On an instance launched from the image, the snapshot speaks
 * for the builder: its users, admitted under the builder's settings and
 * tags. iam-sync records the instance id it got from IMDS in the snapshot
 * (the "instance" key, iam_db.h); a snapshot made on another instance is
 * replaced whole by the first sync, and, until then, readers that can
 * tell their own instance id without the network refuse it.
 *
 * Where a reader finds its id: the DMI board asset tag, which the Nitro
 * hypervisor sets to the instance id. It is firmware data shown by the
 * kernel (sysfs, mode 0444): a local user cannot change it for anyone
 * but processes of their own mount namespace. Xen instances and hosts
 * that are not EC2 have no such tag (or another asset tag): the id is
 * then unknown and nothing is compared. cloud-init's
 * /var/lib/cloud/data/instance-id is not used: it is baked into the image
 * with the snapshot and says the builder's id until cloud-init rewrites
 * it, and off EC2 it holds ids such as "iid-datasource-none".
 *
 * libc only: linked into the NSS module. No state, thread-safe.
 */
#ifndef IAM_INSTANCE_H
#define IAM_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "iam_rec.h"

/* "i-" and 8 (before 2016) or 17 (since) hex digits; room for longer
 * ids, should EC2 lengthen them again; plus the NUL. */
#define IAM_INSTANCE_ID_SIZE 35

#ifndef IAM_INSTANCE_ID_PATH
#define IAM_INSTANCE_ID_PATH "/sys/devices/virtual/dmi/id/board_asset_tag"
#endif

/*
 * iam_instance_id_valid - true when @s (@len bytes, not NUL-terminated)
 * is an EC2 instance id: "i-" then 8 to 32 lowercase hex digits.
 */
bool
iam_instance_id_valid(const char *s, size_t len);

/*
 * iam_instance_id_local - this instance's id from @path (normally
 * IAM_INSTANCE_ID_PATH), without the network.
 * Returns 0 and the id in @ret, or -ENOENT (and @ret empty) when @path is
 * missing, unreadable, not a root-owned regular file that others cannot
 * write, or holds no instance id (one trailing newline is allowed).
 * Never logs; the descriptor is close-on-exec and closed on return.
 */
int
iam_instance_id_local(const char *path, char ret[IAM_INSTANCE_ID_SIZE]);

/*
 * iam_instance_other - true when both ids are instance ids and they
 * differ: the snapshot of @made_on was made on another instance than
 * @here. An empty or unknown id on either side compares as nothing.
 */
bool
iam_instance_other(struct iam_str made_on, const char *here);

#endif
