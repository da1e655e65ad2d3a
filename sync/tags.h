/*
 * tags: IAM_AUTHORIZED_GROUPS_TAG and SUDOERS_GROUPS_TAG, as in
 * aws-ec2-ssh: the group lists come from a tag on this instance. IMDS
 * instance tags are read first (they need InstanceMetadataTags=enabled,
 * off by default), then ec2:DescribeTags for the instance id IMDS gives
 * (instance.h).
 */
#ifndef TAGS_H
#define TAGS_H

#include <stdint.h>

#include "aws_creds.h"
#include "iam_config.h"

/*
 * tags_apply - when @eff names a *_TAG, replace the matching list in @eff
 * with the tag's comma-separated value (the lists become owned by @eff's
 * caller: free them with tags_free). A missing IAM_AUTHORIZED_GROUPS_TAG
 * tag fails (an absent list would otherwise mean "every user"); a missing
 * SUDOERS_GROUPS_TAG tag means no sudoers. "##ALL##" works as in the
 * config. @instance_id: this instance's (instance_fetch()); "" when IMDS
 * gave none, which fails when a tag is to be read.
 * Returns 0 or -errno (logged).
 */
int
tags_apply(struct iam_config *eff, const struct aws_creds *base,
           const char *instance_id, int64_t deadline_ms);

/* tags_free - free the lists tags_apply() put into @eff. */
void
tags_free(struct iam_config *eff, const struct iam_config *orig);

#endif
