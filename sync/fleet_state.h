/*
 * fleet_state: what an instance fed from SOURCE remembers between runs,
 * in small files beside the snapshot (DB_PATH + a suffix):
 *
 *   .fleet          the object applied last: its created time, its ETag
 *                   (sent as If-None-Match) and the digest of the local
 *                   settings it was applied with. Meaningful only with
 *                   the snapshot it describes.
 *   .fleet-newest   the highest created time ever applied from SOURCE.
 *                   It outlives the snapshot (a wiped or rebuilt
 *                   snapshot does not reopen the door to an older
 *                   signed object) and is never lowered.
 *   .fleet-refused  the ETag of the object refused last, the settings it
 *                   was refused under and why: next run asks for it with
 *                   If-None-Match, so that a refused object costs one 304
 *                   instead of a download, and is reported again.
 *
 * Each file is written whole to a temporary file and renamed over (a
 * crash leaves the old or the new one), mode 0644 and owned by whoever
 * runs iam-sync (root). A file that is not a regular file owned by root
 * or by the caller, or is writable by group or others, or does not
 * parse, is read as absent: absent is always the safe side (one full
 * GET, or rollback protection from the snapshot alone) except for
 * .fleet-newest, which an attacker would like to remove, and which
 * therefore only root can (the directory is root's).
 */
#ifndef FLEET_STATE_H
#define FLEET_STATE_H

#include <stdint.h>

#include "aws_http.h"
#include "fleet_obj.h"

/* What an instance knows of the object it applied last. */
struct fleet_seen {
    char etag[AWS_HTTP_ETAG_SIZE]; /* "" when unknown */
    int64_t newest;                /* its created time; 0 when none */
    char local[65];                /* digest of the local settings and
                                      accounts it was applied with */
};

/* Longest reason kept for a refusal, NUL included. */
#define FLEET_WHY_SIZE (FLEET_SOURCE_SIZE + 256)

/* The object refused last. */
struct fleet_refused {
    char etag[AWS_HTTP_ETAG_SIZE]; /* "" when none */
    char context[65];              /* what the verdict depended on */
    char why[FLEET_WHY_SIZE];      /* one line */
};

/*
 * fleet_seen_load, fleet_seen_save - DB_PATH.fleet. A missing or
 * untrusted file is an empty @ret. Save returns 0 or -errno (logged).
 */
void
fleet_seen_load(const char *db_path, struct fleet_seen *ret);
int
fleet_seen_save(const char *db_path, const struct fleet_seen *seen);

/*
 * fleet_newest_load - the highest created time applied from @source
 * (0 when none is known, or the file names another source).
 */
int64_t
fleet_newest_load(const char *db_path, const char *source);

/*
 * fleet_newest_raise - record @created for @source, unless the file
 * already holds a higher one for it. Returns 0 or -errno (logged).
 */
int
fleet_newest_raise(const char *db_path, const char *source, int64_t created);

/*
 * fleet_refused_load - the refusal recorded under @context, or an empty
 * @ret (none, or recorded under other settings: judged afresh).
 */
void
fleet_refused_load(const char *db_path, const char *context,
                   struct fleet_refused *ret);

/*
 * fleet_refused_save - record @r (replacing any earlier one), or remove
 * the record when r->etag is "". Returns 0 or -errno (logged).
 */
int
fleet_refused_save(const char *db_path, const struct fleet_refused *r);

#endif
