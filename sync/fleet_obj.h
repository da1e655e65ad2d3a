/*
 * fleet_obj: the object a fleet publisher puts in S3 and instances fetch
 * (iam-sync --publish, SOURCE=s3://...). One header line, then the
 * payload:
 *
 *   nss-iam-fleet 1 created=<unix time> sha256=<hex> source=s3://B/K
 *       ed25519=<base64>\n                          (one line)
 *   {"users": [...], "groups": [...], "all_keys": false}
 *
 * The signature is over the header up to " ed25519=" plus "\n", and
 * sha256 is that of the payload, so one check covers both. source is
 * where the publisher put it: an object copied to another fleet's key
 * (one signing key shared by two fleets) is refused there. The header is
 * read, its signature checked and its times and source judged before the
 * payload is hashed, and the hash checked before the payload is parsed.
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

#include "aws_s3.h"
#include "fetch.h"
#include "fleet_sign.h"
#include "iam_config.h"

#define FLEET_OBJ_MAGIC "nss-iam-fleet"
#define FLEET_OBJ_VERSION 1
/* "s3://" + bucket + "/" + key, and a NUL. */
#define FLEET_SOURCE_SIZE (5 + AWS_S3_BUCKET_MAX + 1 + AWS_S3_KEY_MAX + 1)
/* Longest header line, '\n' included. */
#define FLEET_HEADER_MAX (FLEET_SOURCE_SIZE + 256)
/*
 * Largest object read. 5000 users with two RSA keys each are 5 MB; IAM
 * allows at most 5 keys per user. Past this, a bucket writer could make
 * every instance download and hold a huge body.
 */
#define FLEET_OBJ_MAX (64 * 1024 * 1024)

struct fleet_header {
    unsigned version;
    int64_t created;
    char sha256[65];
    char source[FLEET_SOURCE_SIZE];
    char sig[FLEET_SIG_B64_SIZE];
    size_t len; /* bytes of the header line, '\n' included */
};

/*
 * fleet_obj_build - the signed object for @f, created at @created, to be
 * put at @source ("s3://BUCKET/KEY").
 * @all_keys: the publisher had no IAM_AUTHORIZED_GROUPS, so every user's
 *            keys are in @f.
 * @ret_obj, @ret_len: malloc'ed object; @ret_sha256: its payload hash.
 * Returns 0, -ENOMEM, -EIO (logged).
 */
int
fleet_obj_build(const struct fetch *f, bool all_keys, int64_t created,
                const char *source, const struct fleet_signer *s,
                char **ret_obj, size_t *ret_len, char ret_sha256[65]);

/*
 * fleet_obj_header_complete - whether the first @len bytes of an object
 * are enough for fleet_obj_header() to decide: its header line is
 * complete, or FLEET_HEADER_MAX bytes came without one.
 */
bool
fleet_obj_header_complete(const char *obj, size_t len);

/*
 * fleet_obj_header - parse the header line of @obj.
 * Returns 0, -EBADMSG (not a fleet object: @errbuf says why), or
 * -EPROTONOSUPPORT (a version this build does not read).
 */
int
fleet_obj_header(const char *obj, size_t len, struct fleet_header *ret,
                 char *errbuf, size_t errlen);

/*
 * fleet_obj_verify_header - the signature alone: enough to trust what
 * the header says (its times, its source, the payload's sha256) before
 * the payload is even hashed. Returns as fleet_obj_verify().
 */
int
fleet_obj_verify_header(const char *obj, const struct fleet_header *h,
                        const struct iam_strlist *keys, char *errbuf,
                        size_t errlen);

/*
 * fleet_obj_check_payload - is the payload the one the header names?
 * Returns 0, -EBADMSG (@errbuf says so), -EIO.
 */
int
fleet_obj_check_payload(const char *obj, size_t len,
                        const struct fleet_header *h, char *errbuf,
                        size_t errlen);

/*
 * fleet_obj_verify - the signature by one of @keys, and the payload's
 * hash. Returns the index of the signing key, -EBADMSG (not signed by
 * any of @keys, or the payload is not the one signed: @errbuf says
 * which), -EIO. Keys that are not Ed25519 public keys are skipped with
 * a warning.
 */
int
fleet_obj_verify(const char *obj, size_t len, const struct fleet_header *h,
                 const struct iam_strlist *keys, char *errbuf, size_t errlen);

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
fleet_obj_select(struct fetch *f, bool all_keys, const struct iam_config *cfg,
                 char *errbuf, size_t errlen);

#endif
