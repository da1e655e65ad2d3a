/*
 * instance: this instance's EC2 instance id, from IMDSv2. iam-sync records
 * it in each snapshot it makes, so that a snapshot baked into an image is
 * known for another instance's on the instances made from the image
 * (iam_instance.h).
 */
#ifndef INSTANCE_H
#define INSTANCE_H

#include "iam_config.h"
#include "iam_instance.h"

/*
 * instance_fetch - GET /latest/meta-data/instance-id from the IMDS of
 * @cfg (IMDS_ENDPOINT). Returns 0 and the id in @ret, or -errno with @ret
 * empty: not on EC2, IMDS unreachable or disabled (logged at DEBUG), or an
 * answer that is not an instance id (logged at WARNING). Off EC2 this
 * costs up to AWS_IMDS_DEFAULT_TIMEOUT_MS.
 */
int
instance_fetch(const struct iam_config *cfg, char ret[IAM_INSTANCE_ID_SIZE]);

#endif
