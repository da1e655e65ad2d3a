/*
 * sync: one run of iam-sync, from the lock to the published snapshot.
 * main.c parses argv and the config; this file decides the exit status.
 */
#ifndef SYNC_H
#define SYNC_H

#include <stdbool.h>

#include "iam_config.h"

/* Exit statuses, as documented in iam-sync(8). */
enum {
    SYNC_EXIT_OK = 0,      /* published, or nothing changed */
    SYNC_EXIT_AWS = 1,     /* AWS, network or local failure: old kept */
    SYNC_EXIT_USAGE = 2,   /* bad configuration or command line */
    SYNC_EXIT_REFUSED = 3, /* refused by a safety rule */
};

struct sync_flags {
    const char *db_path;
    const char *publish; /* --publish s3://BUCKET/KEY, or NULL */
    bool dry_run;
    bool force;
    bool json;
    const char *explain;     /* --explain NAME, or NULL */
    bool offline;            /* --offline: --explain asks nothing */
    const char *config_path; /* for "FILE:LINE" in explanations */
};

/* sync_run - one sync; returns a SYNC_EXIT_* status. */
int
sync_run(const struct iam_config *cfg, const struct sync_flags *fl);

/*
 * sync_status - print the snapshot's age, counts and source (JSON with
 * @json). Returns 0, or 1 when it is missing, untrusted, or older than
 * MAX_SNAPSHOT_AGE (so that it can serve as a health check).
 */
int
sync_status(const struct iam_config *cfg, const char *db_path, bool json);

/*
 * sync_check_sshd - whether sshd asks iam-authorized-keys for keys, from
 * the sshd units and configuration files only (no AWS, no snapshot, no
 * nss-iam.conf). Returns 0 when it does, or when sshd has no
 * configuration at all (printed on stdout); 1 when another
 * AuthorizedKeysCommand wins or none is set, with the fix on stderr.
 */
int
sync_check_sshd(void);

#endif
