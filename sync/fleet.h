/*
 * fleet: publishing through S3, both ends.
 *
 * The publisher (iam-sync --publish s3://BUCKET/KEY) reads the object in
 * place first (its key bodies spare the GetSSHPublicKey calls), signs
 * what it fetched from IAM into one object (fleet_obj.h) and PUTs it,
 * unless the object in place already says the same and is young: then it
 * leaves it, so that instances keep getting 304s.
 *
 * Instances (SOURCE=s3://BUCKET/KEY) GET it with If-None-Match, and take
 * it only when it is signed by one of SIGNING_PUBLIC_KEY, was published
 * for that SOURCE, and is neither older than the newest object they ever
 * applied (no rollback, even after the snapshot is lost: fleet_state.h)
 * nor than MAX_SNAPSHOT_AGE; a 304 too is held to MAX_SNAPSHOT_AGE. The
 * header is judged as soon as it has arrived, and a refused one stops
 * the transfer; a refused object's ETag is remembered and asked for
 * next time, so that it costs a 304 while it stays in place.
 */
#ifndef FLEET_H
#define FLEET_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "aws_client.h"
#include "aws_creds.h"
#include "aws_http.h"
#include "aws_s3.h"
#include "fetch.h"
#include "fleet_sign.h"
#include "fleet_state.h"
#include "iam_config.h"

/* What a fleet transfer cost, for the summary line. */
struct fleet_stats {
    unsigned long s3_calls;
    unsigned long bytes;
};

/* What fleet_get() took. */
struct fleet_got {
    bool not_modified; /* 304: nothing else is set */
    int64_t created;
    char etag[AWS_HTTP_ETAG_SIZE];
    struct fetch fetch; /* narrowed to this instance's groups */
};

/*
 * fleet_get - fetch, check and decode SOURCE. The header is judged as
 * soon as it has arrived, and the transfer stopped when it is refused.
 * @seen: the object applied last (its ETag, and the created time no
 *        object may be older than).
 * @refused: in, the object refused earlier under the same context (its
 *        ETag is sent instead of @seen's: a 304 is that refusal again);
 *        out, the refusal to remember: set when an object is refused for
 *        what its bytes are, cleared when one is taken or refused for a
 *        reason that may pass (a clock). Its context is the caller's.
 * Returns 0 (see @ret), -EPERM when a safety rule refused the object
 * (signature, rollback, age, format: logged), or another -errno when S3
 * could not be read (missing object, access denied, network: logged).
 */
int
fleet_get(const struct iam_config *cfg, const struct aws_creds *creds,
          int64_t deadline_ms, const struct fleet_seen *seen,
          struct fleet_refused *refused, time_t now, struct fleet_got *ret,
          struct fleet_stats *stats);

/*
 * fleet_refusal_context - the digest of what a refusal depends on
 * besides the object: @local (the local settings, signing keys and
 * accounts), SOURCE, MAX_SNAPSHOT_AGE and the format read. 0 or -errno.
 */
int
fleet_refusal_context(const struct iam_config *cfg, const char *local,
                      char ret[65]);

void
fleet_got_free(struct fleet_got *g);

/* The publisher's side: its key and its S3 client. */
struct fleet_pub {
    const struct iam_config *cfg;
    const char *url;
    struct fleet_signer signer;
    char pub[FLEET_PUB_B64_SIZE];
    struct aws_client s3;
    bool s3_ready;
    char endpoint[AWS_S3_ENDPOINT_SIZE];
    char path[AWS_S3_PATH_SIZE];
    bool have_current; /* the object in place is ours */
    int64_t current_created;
    char current_sha256[65];
    /* What the PUT is conditional on: the ETag read (If-Match), or "*"
     * when nothing was there (If-None-Match); "" when it could not be
     * read (then the PUT is unconditional). */
    char put_if[AWS_HTTP_ETAG_SIZE];
    bool put_if_absent;
    /* Another publisher's object was found in place, and left there. */
    bool raced;
};

/*
 * fleet_pub_open - load SIGNING_KEY and set up S3 for @url (which must
 * outlive @ret). Returns 0 or -errno (logged); close it either way.
 */
int
fleet_pub_open(const struct iam_config *cfg, const struct aws_creds *creds,
               int64_t deadline_ms, const char *url, struct fleet_pub *ret);

void
fleet_pub_close(struct fleet_pub *p);

/*
 * fleet_pub_known - GET the object in place; when our key signed it,
 * its key bodies go to @ret (for fetch_opts.known) and its hash and age
 * are remembered for fleet_pub_put(). A missing or foreign object gives
 * an empty @ret and 0. Returns -errno only when S3 cannot be reached.
 */
int
fleet_pub_known(struct fleet_pub *p, struct known_keys *ret,
                struct fleet_stats *stats);

/*
 * fleet_pub_put - sign @f and PUT it, unless the object in place has the
 * same content and is younger than a quarter of MAX_SNAPSHOT_AGE (then
 * instances keep getting 304s; past that age it is published again so
 * that it never grows older than MAX_SNAPSHOT_AGE).
 * @all_keys: @f holds the keys of every user (no IAM_AUTHORIZED_GROUPS).
 * @started: when the run began reading IAM: the object's created time.
 * An object in place created after @started (another publisher's) is
 * left alone, and the PUT is conditional on the object fleet_pub_known()
 * read (If-Match its ETag, or If-None-Match: * when there was none): one
 * put in between is not overwritten either.
 * @dry_run: decide, but do not write.
 * *@ret_result: "published", "unchanged" or "dry-run".
 * Returns 0 or -errno (logged).
 */
int
fleet_pub_put(struct fleet_pub *p, const struct fetch *f, bool all_keys,
              time_t started, time_t now, bool dry_run, const char **ret_result,
              struct fleet_stats *stats);

/*
 * fleet_pub_put_again - sign @f anew, created @started, and put it even
 * though the object in place says the same: a publisher that follows
 * IAM's events keeps its object younger than MAX_SNAPSHOT_AGE so. A
 * successful put of either kind is remembered: the next one is
 * conditional on it. Returns 0, -EAGAIN when another publisher's object
 * is in place (nothing put), or -errno (logged).
 */
int
fleet_pub_put_again(struct fleet_pub *p, const struct fetch *f, bool all_keys,
                    time_t started, struct fleet_stats *stats);

/*
 * fleet_pub_renew - a new S3 client for @p, with @creds and @deadline_ms
 * (a long-lived publisher's credentials and deadlines change). 0 or
 * -errno (logged).
 */
int
fleet_pub_renew(struct fleet_pub *p, const struct aws_creds *creds,
                int64_t deadline_ms);

/*
 * fleet_public_key - print SIGNING_KEY's public half as the
 * SIGNING_PUBLIC_KEY line the instances need. 0 or -errno (logged).
 */
int
fleet_public_key(const struct iam_config *cfg);

#endif
