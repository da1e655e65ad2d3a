/*
 * fleet_obj: the object a fleet publisher puts in S3 and instances fetch
 * (iam-sync --publish, SOURCE=s3://...). One header line, then the
 * payload:
 *
 *   nss-iam-fleet 1 created=<unix time> sha256=<hex> ed25519=<base64>\n
 *   {"users": [...], "groups": [...], "all_keys": false}
 *
 * The signature is over the header up to " ed25519=" plus "\n", and
 * sha256 is that of the payload, so one check covers both. The header
 * is read, the signature and the hash checked, and the creation time
 * judged before the payload is parsed at all.
 *
 * The payload is what IAM said (struct fetch), not the snapshot: every
 * user of the account (naming looks at all of them), each configured
 * group with its members and whether it was an authorized group at the
 * publisher, and the keys, bodies included, of the users the publisher
 * authorized. Instances build their snapshot from it with their own
 * configuration and local accounts, as a direct sync would. Users are
 * sorted by user id and keys by key id, so the same IAM state gives the
 * same bytes and the same sha256.
 */
#ifndef FLEET_OBJ_H
#define FLEET_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "fleet_sign.h"
#include "iam_config.h"

#define FLEET_OBJ_MAGIC "nss-iam-fleet"
#define FLEET_OBJ_VERSION 1
/* Longest header line, '\n' included (the real one is about 210). */
#define FLEET_HEADER_MAX 256
/* Largest object read: 5000 users with two 4096-bit keys are ~10 MB. */
#define FLEET_OBJ_MAX (256 * 1024 * 1024)

struct fleet_header {
    unsigned version;
    int64_t created;
    char sha256[65];
    char sig[FLEET_SIG_B64_SIZE];
    size_t len; /* bytes of the header line, '\n' included */
};

/*
 * fleet_obj_build - the signed object for @f, created at @created.
 * @all_keys: the publisher had no IAM_AUTHORIZED_GROUPS, so every user's
 *            keys are in @f.
 * @ret_obj, @ret_len: malloc'ed object; @ret_sha256: its payload hash.
 * Returns 0, -ENOMEM, -EIO (logged).
 */
int
fleet_obj_build(const struct fetch *f, bool all_keys, int64_t created,
                const struct fleet_signer *s, char **ret_obj,
                size_t *ret_len, char ret_sha256[65]);

/*
 * fleet_obj_header - parse the header line of @obj.
 * Returns 0, -EBADMSG (not a fleet object: @errbuf says why), or
 * -EPROTONOSUPPORT (a version this build does not read).
 */
int
fleet_obj_header(const char *obj, size_t len, struct fleet_header *ret,
                 char *errbuf, size_t errlen);

/*
 * fleet_obj_verify_header - the signature alone (it covers the header,
 * whose sha256 covers the payload): enough to trust what the header
 * says, as the publisher does after reading just the header. Returns as
 * fleet_obj_verify().
 */
int
fleet_obj_verify_header(const char *obj, const struct fleet_header *h,
                        const struct iam_strlist *keys, char *errbuf,
                        size_t errlen);

/*
 * fleet_obj_verify - the signature by one of @keys, and the payload's
 * hash. Returns the index of the signing key, -EBADMSG (not signed by
 * any of @keys, or the payload is not the one signed: @errbuf says
 * which), -EINVAL (a configured key is unusable, logged), -EIO.
 */
int
fleet_obj_verify(const char *obj, size_t len, const struct fleet_header *h,
                 const struct iam_strlist *keys, char *errbuf,
                 size_t errlen);

/*
 * fleet_obj_decode - the payload of a verified object as a fetch holding
 * every group of the object (fetch_group.authorized as published), and
 * wanted[i] true for the users whose keys it carries.
 * Returns 0, -EBADMSG (@errbuf says what is wrong), -ENOMEM.
 */
int
fleet_obj_decode(const char *obj, size_t len, const struct fleet_header *h,
                 struct fetch *ret, bool *ret_all_keys, char *errbuf,
                 size_t errlen);

/*
 * fleet_obj_select - narrow a decoded fetch to this instance's groups
 * (IAM_AUTHORIZED_GROUPS, then SUDOERS_GROUPS, as a direct fetch orders
 * them) and mark who is authorized here. Every authorized group must
 * have been an authorized group at the publisher (else its members' keys
 * are missing), and an empty IAM_AUTHORIZED_GROUPS needs @all_keys.
 * Returns 0, -ENOENT (@errbuf names what the object lacks), -ENOMEM.
 */
int
fleet_obj_select(struct fetch *f, bool all_keys,
                 const struct iam_config *cfg, char *errbuf, size_t errlen);

#endif
