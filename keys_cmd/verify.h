/*
 * verify: how iam-authorized-keys runs iam-verify-key (verify_main.c)
 * for VERIFY_ONLINE=yes, bounded in time.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include "iam_config.h"

#ifndef IAM_LIBEXECDIR
#define IAM_LIBEXECDIR "/usr/libexec/nss-iam"
#endif

/*
 * verify_key - is key @key_id of IAM user @iam_name still Active in IAM?
 * Runs iam-verify-key (beside this program if it is there, else in
 * IAM_LIBEXECDIR; it must be root-owned and not writable by others, like
 * the keys command itself), with @config_path when not NULL, and waits at
 * most VERIFY_ONLINE_TIMEOUT_MS plus a second. Returns 1 (Active), 0 (not
 * Active), or -errno when no answer came (-ETIMEDOUT, -ENOENT for a
 * missing helper, -EIO for any other failure).
 */
int
verify_key(const struct iam_config *cfg, const char *config_path,
           const char *iam_name, const char *key_id);

#endif
