/*
 * online: VERIFY_ONLINE=yes. Before a login is allowed on the strength of
 * the snapshot, ask IAM (one ListSSHPublicKeys for the user) whether the
 * offered key is still Active, so a key deleted or deactivated in IAM
 * stops working at once rather than at the next sync.
 */
#ifndef ONLINE_H
#define ONLINE_H

#include "iam_config.h"

/*
 * online_check - is key @key_id of IAM user @iam_name Active in IAM now?
 * The whole check (credentials, the call) is bounded by
 * VERIFY_ONLINE_TIMEOUT_MS. Returns 1 (Active), 0 (deleted, Inactive, or
 * the user is gone), or -errno when IAM could not answer (the caller
 * applies VERIFY_ONLINE_FAIL).
 */
int
online_check(const struct iam_config *cfg, const char *iam_name,
             const char *key_id);

#endif
