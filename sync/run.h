/*
 * run: what one run of iam-sync holds, shared by sync.c (the sync, the
 * explanation, the summary) and publisher.c (--publish, once or
 * following IAM's events).
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "aws_client.h"
#include "aws_creds.h"
#include "diff.h"
#include "fetch.h"
#include "fleet.h"
#include "iam_config.h"
#include "iam_name.h"
#include "iam_sha256.h"
#include "instance.h"
#include "model.h"
#include "progress.h"
#include "state.h"
#include "sync.h"
#include "terminate.h"

/* Everything one run holds, released in one place. */
struct run {
    const struct iam_config *cfg; /* &eff */
    struct iam_config eff;        /* the config with tag lists applied */
    const struct sync_flags *fl;
    int64_t start_ms;
    time_t start_wall;
    struct iam_name_set local;
    struct state old;
    struct state new;
    struct known_keys known;
    struct aws_creds base;  /* the instance's own (env or IMDS) */
    struct aws_creds creds; /* for IAM: base, or ASSUMEROLE's */
    struct aws_client iam;
    bool iam_ready;
    struct fetch fetch;
    char instance[IAM_INSTANCE_ID_SIZE]; /* this one's, "" off EC2 */
    bool elsewhere;         /* the snapshot in place was made on another */
    bool from_fleet;        /* SOURCE: the fetch came from S3 */
    struct fleet_seen seen; /* the object applied last */
    struct fleet_refused refused;          /* the object refused last */
    char local_files[IAM_SHA256_HEX_SIZE]; /* digest of /etc/passwd and
                                              /etc/group */
    struct fleet_got got;
    struct fleet_stats fleet;
    struct model model;
    struct diff_counts diff;
    struct terminate_list victims; /* removed users whose processes end */
    const char *result;
    struct progress progress; /* the line on a terminal */
};

/* When the run's AWS calls give up: its start plus SYNC_TIMEOUT. */
int64_t
run_deadline(const struct run *run);

/* Credentials into run->base (and ASSUMEROLE's into run->creds). 0 or
 * -errno (logged). */
int
run_resolve_creds(struct run *run);

/* Credentials, this instance's id, the EC2 tags. 0 or -errno (logged). */
int
run_connect_aws(struct run *run);

/* run->iam, with run->creds. 0 or -errno (logged). */
int
run_connect_iam(struct run *run);

/* The fetch options of this run (run->iam must be connected to use
 * them). */
void
run_fetch_opts(struct run *run, struct fetch_opts *ret);

/* run->fetch from IAM. A SYNC_EXIT_* status (failures logged). */
int
run_fetch_from_iam(struct run *run);

/* --publish: once, or (EVENT_QUEUE_URL) following the queue. A
 * SYNC_EXIT_* status. */
int
run_publisher(struct run *run);

#endif
