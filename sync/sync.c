#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_client.h"
#include "aws_creds.h"
#include "aws_endpoint.h"
#include "aws_provider.h"
#include "diff.h"
#include "explain.h"
#include "fetch.h"
#include "fleet.h"
#include "iam_db_write.h"
#include "iam_log.h"
#include "iam_sha256.h"
#include "instance.h"
#include "lock.h"
#include "metrics.h"
#include "model.h"
#include "progress.h"
#include "reap.h"
#include "run.h"
#include "state.h"
#include "tags.h"
#include "terminate.h"

#define IAM_VERSION "2010-05-08"
#define MAX_ATTEMPTS 6

/*
 * The snapshot in place. @users: all of it, for the diff (and, syncing
 * from IAM, its key bodies, which spare GetSSHPublicKey calls); else its
 * meta alone, all an instance fed from S3 needs to ask for a 304.
 */
static int
load_previous(struct run *run, bool users)
{
    gid_t sudo_local = 0;
    int r;

    state_free(&run->old);
    iam_name_set_group_gid(&run->local, run->cfg->sudo_group, &sudo_local);
    if (!users)
        r = state_peek(run->fl->db_path, &run->old);
    else
        r = state_from_snapshot(run->fl->db_path, run->cfg->sudo_group,
                                sudo_local, &run->old,
                                run->from_fleet ? NULL : &run->known);
    if (r < 0) {
        /* An untrusted old file is replaced, not read. */
        iam_log(LOG_WARNING,
                "%s: previous snapshot not usable (%s): "
                "building a new one from scratch",
                run->fl->db_path, strerrordesc_np(-r));
        memset(&run->old, 0, sizeof(run->old));
    }
    return 0;
}

int64_t
run_deadline(const struct run *run)
{
    return run->start_ms + (int64_t)run->cfg->sync_timeout * 1000;
}

/*
 * How every AWS call of a run is made (IAM, and STS for ASSUMEROLE): the
 * same timeout, attempts, rate limit and deadline.
 */
static void
call_opts(struct run *run, struct aws_client_opts *ret)
{
    const struct iam_config *cfg = run->cfg;

    memset(ret, 0, sizeof(*ret));
    ret->timeout_ms = cfg->http_timeout_ms;
    ret->max_attempts = MAX_ATTEMPTS;
    ret->calls_per_sec = cfg->max_calls_per_second;
    ret->deadline_ms = run_deadline(run);
    ret->on_call = progress_call;
    ret->on_call_arg = &run->progress;
}

/*
 * Credentials: the instance's own (environment, then IMDS), used for EC2
 * tags; then ASSUMEROLE's, when set, for IAM (the users may live in
 * another account).
 */
int
run_resolve_creds(struct run *run)
{
    const struct iam_config *cfg = run->cfg;
    struct aws_provider_source src;
    struct aws_client_opts sts;
    struct aws_http h;
    char session[64];
    time_t now = time(NULL);
    int r;

    memset(&src, 0, sizeof(src));
    snprintf(session, sizeof(session), "nss-iam-%ld", (long)getpid());
    call_opts(run, &sts);
    src.imds_endpoint = cfg->imds_endpoint;
    src.sts_endpoint = cfg->sts_endpoint;
    src.region = cfg->aws_region;
    src.session_name = session;
    src.sts = &sts;
    r = aws_http_init(&h);
    if (r < 0)
        return r;
    r = aws_provider_resolve(&src, &h, now, &run->base);
    /* ASSUMEROLE is for IAM; an instance fed from S3 never calls IAM. */
    if (r >= 0 && cfg->assumerole && !run->from_fleet) {
        src.assume_role_arn = cfg->assumerole;
        r = aws_provider_assume_role(&src, &h, &run->base, &run->creds);
    } else if (r >= 0) {
        r = aws_creds_copy(&run->base, &run->creds);
    }
    aws_http_destroy(&h);
    if (r < 0)
        iam_log(LOG_ERR, "no AWS credentials%s: %s",
                cfg->assumerole && !run->from_fleet ? " (or ASSUMEROLE failed)"
                                                    : "",
                strerrordesc_np(-r));
    return r;
}

int
run_connect_iam(struct run *run)
{
    const struct iam_config *cfg = run->cfg;
    struct aws_client_opts o;
    int r;

    call_opts(run, &o);
    r = aws_endpoint_iam(cfg->aws_region, cfg->iam_endpoint, &o.endpoint,
                         &o.region);
    if (r < 0) {
        iam_log(LOG_ERR,
                "AWS_REGION %s: no IAM endpoint known for its "
                "partition: set IAM_ENDPOINT",
                cfg->aws_region);
        return r;
    }
    o.service = "iam";
    o.version = IAM_VERSION;
    o.json = true;
    r = aws_client_init(&run->iam, &o, &run->creds);
    if (r < 0) {
        iam_log(LOG_ERR, "IAM endpoint %s: %s", o.endpoint,
                strerrordesc_np(-r));
        return r;
    }
    run->iam_ready = true;
    return 0;
}

/* More than MAX_REMOVE_PERCENT of the users gone is refused unforced. */
/*
 * The snapshot in place was made for another AWS account than the one IAM
 * now answers for: an image built with another account's role, say. Its
 * users are nobody here; defending them with MAX_REMOVE_PERCENT would keep
 * that account's people logging in. (Both accounts come from the users'
 * ARNs; an account with no users says nothing.)
 */
static bool
other_account(const struct run *run)
{
    const char *was = run->old.account, *now = run->new.account;

    if (!was[0] || !now[0] || strcmp(was, now) == 0)
        return false;
    iam_log(LOG_WARNING,
            "the snapshot in place is for AWS account %s, IAM "
            "answers for account %s (an image made elsewhere?): it is "
            "replaced whole, MAX_REMOVE_PERCENT does not apply",
            was, now);
    return true;
}

static bool
too_many_removed(const struct run *run)
{
    const struct state *old = &run->old;

    if (!old->exists || run->fl->force || run->elsewhere || other_account(run))
        return false;
    return diff_too_many_removed(run->diff.users_removed, old->n_users,
                                 run->cfg->max_remove_percent);
}

/*
 * The instance record would not change. The digest covers the users, not
 * the meta and instance records: the same users made on another instance
 * (or before iam-sync recorded instances) are published again, so that the
 * file says where it was made. An unknown instance (IMDS unreachable this
 * time) changes nothing.
 */
static bool
same_instance(const struct run *run)
{
    return !run->instance[0] || strcmp(run->old.instance, run->instance) == 0;
}

/* Builds, seals and (if its content differs) publishes the snapshot. */
static int
publish(struct run *run)
{
    struct iam_db_writer *w = NULL;
    struct iam_meta_rec meta;
    int r;

    r = iam_db_writer_open(run->fl->db_path, &w);
    if (r >= 0)
        r = model_write(&run->model, run->cfg, w);
    memset(&meta, 0, sizeof(meta));
    meta.created = run->from_fleet ? run->got.created : time(NULL);
    meta.uid_min = run->cfg->uid_min;
    meta.uid_max = run->cfg->uid_max;
    meta.users = (uint32_t)run->model.n_users;
    meta.groups = (uint32_t)(run->model.n_users + run->model.n_groups);
    meta.keys = run->model.n_keys;
    meta.max_key_age_days = run->cfg->max_key_age_days;
    meta.account = iam_str_of(run->model.account);
    meta.source =
        iam_str_of(run->from_fleet ? run->cfg->source : run->iam.opts.endpoint);
    meta.instance = iam_str_of(run->instance);
    if (r >= 0)
        r = iam_db_writer_seal(w, &meta);
    if (r < 0) {
        iam_log(LOG_ERR, "%s: cannot write the new snapshot: %s",
                run->fl->db_path, strerrordesc_np(-r));
        iam_db_writer_abort(w);
        return r;
    }
    if (run->old.exists && iam_str_eq(meta.digest, run->old.digest) &&
        same_instance(run)) {
        iam_db_writer_abort(w);
        run->result = "unchanged";
        return 0;
    }
    r = iam_db_writer_publish(w);
    if (r < 0) {
        iam_log(LOG_ERR, "%s: cannot publish: %s", run->fl->db_path,
                strerrordesc_np(-r));
        return r;
    }
    run->result = "published";
    return 0;
}

/* What ending the removed users did (or, in a dry run, would do). */
struct ended {
    unsigned sessions;
    unsigned processes;
    unsigned failed;
};

static void
ended_totals(const struct run *run, struct ended *ret)
{
    size_t i;

    memset(ret, 0, sizeof(*ret));
    for (i = 0; i < run->victims.n; i++) {
        ret->sessions += run->victims.v[i].sessions;
        ret->processes += run->victims.v[i].processes;
        ret->failed += run->victims.v[i].failed;
    }
}

/* --json: "ended": [{"user": ..., "uid": ..., ...}, ...] */
static void
json_ended(const struct run *run)
{
    const struct terminate_victim *v;
    size_t i;

    printf("\"ended\": [");
    for (i = 0; i < run->victims.n; i++) {
        v = &run->victims.v[i];
        /* POSIX names are [A-Za-z0-9_.-]: nothing to escape. */
        printf("%s{\"user\": \"%s\", \"uid\": %u, \"sessions\": %u, "
               "\"processes\": %u, \"failed\": %u}",
               i ? ", " : "", v->name, v->uid, v->sessions, v->processes,
               v->failed);
    }
    printf("]}\n");
}

static void
summary(const struct run *run)
{
    struct ended e;
    const struct fetch *f = &run->fetch;
    double secs = (double)(aws_client_now_ms() - run->start_ms) / 1000.0;
    unsigned long calls = 0, retries = 0;

    if (run->iam_ready) {
        calls = run->iam.calls;
        retries = run->iam.retries;
    }
    ended_totals(run, &e);
    if (run->got.not_modified)
        iam_log(LOG_INFO,
                "%s: %s not modified since the object applied "
                "(created %lld); %lu S3 calls; %.2f s",
                run->result, run->cfg->source, (long long)run->seen.newest,
                run->fleet.s3_calls, secs);
    else if (run->fleet.s3_calls)
        iam_log(LOG_INFO, "%s: %s, %lu S3 calls, %lu bytes", run->result,
                run->fl->publish ? run->fl->publish : run->cfg->source,
                run->fleet.s3_calls, run->fleet.bytes);
    if (!run->got.not_modified)
        iam_log(LOG_INFO,
                "%s: %zu users, %u keys, %zu groups; users +%u -%u, keys +%u "
                "-%u ~%u, sudo +%u -%u; %lu API calls (ListUsers %lu, GetGroup "
                "%lu, ListSSHPublicKeys %lu, GetSSHPublicKey %lu, ListUserTags "
                "%lu, GetAccountAuthorizationDetails %lu), %lu retries; "
                "%u names refused, %u keys invalid, %u keys expired; ended %zu "
                "users (%u sessions, %u processes, %u failed); %.2f s",
                run->result, run->model.n_users, run->model.n_keys,
                run->model.n_groups, run->diff.users_added,
                run->diff.users_removed, run->diff.keys_added,
                run->diff.keys_removed, run->diff.keys_changed,
                run->diff.sudo_added, run->diff.sudo_removed, calls,
                f->list_users_calls, f->get_group_calls, f->list_keys_calls,
                f->get_key_calls, f->list_tags_calls, f->gaad_calls, retries,
                run->model.refused_names, run->model.invalid_keys,
                run->model.expired_keys, run->victims.n, e.sessions,
                e.processes, e.failed, secs);
    if (!run->fl->json)
        return;
    printf("{\"result\": \"%s\", \"users\": %zu, \"keys\": %u, "
           "\"api_calls\": %lu, \"list_users\": %lu, \"get_group\": "
           "%lu, \"list_keys\": %lu, \"get_key\": %lu, \"list_tags\": "
           "%lu, \"gaad\": %lu, \"retries\": %lu, \"s3_calls\": %lu, "
           "\"s3_bytes\": %lu, \"seconds\": %.3f, ",
           run->result, run->model.n_users, run->model.n_keys, calls,
           f->list_users_calls, f->get_group_calls, f->list_keys_calls,
           f->get_key_calls, f->list_tags_calls, f->gaad_calls, retries,
           run->fleet.s3_calls, run->fleet.bytes, secs);
    /* A dry run's are those it would end. */
    printf("\"ended_users\": %zu, \"ended_sessions\": %u, "
           "\"ended_processes\": %u, \"end_failures\": %u, ",
           run->victims.n, e.sessions, e.processes, e.failed);
    json_ended(run);
}

/* Users whose names will be refused here need no key calls. */
static int
select_users(struct fetch *f, void *arg)
{
    const struct run *run = arg;
    int *status;
    size_t i;
    int r;

    status = calloc(f->n_users + 1, sizeof(*status));
    if (!status)
        return -ENOMEM;
    r = model_name_status(f, run->cfg, &run->local, status);
    for (i = 0; r >= 0 && i < f->n_users; i++)
        if (status[i] != 0)
            f->wanted[i] = false;
    free(status);
    return r;
}

/*
 * The digest of the local accounts, taken before they are loaded: a
 * change after this makes the next run's digest differ, never the other
 * way round (a digest that already holds a change the model missed).
 */
static int
local_files_digest(struct run *run)
{
    static const char *const files[] = { "/etc/passwd", "/etc/group" };
    char *text = NULL, buf[8192];
    size_t len = 0, n, i;
    FILE *out = open_memstream(&text, &len);
    FILE *in;
    int r;

    if (!out)
        return -ENOMEM;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        fprintf(out, "%s\n", files[i]);
        in = fopen(files[i], "re");
        while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
            fwrite(buf, 1, n, out);
        if (in)
            fclose(in);
    }
    r = fclose(out) == 0 ? 0 : -ENOMEM;
    if (r == 0)
        iam_sha256_hex(text, len, run->local_files);
    free(text);
    return r;
}

/*
 * What this instance adds to an object: its settings (after tags), the
 * keys it trusts and its local accounts. When they changed, a 304 is not
 * "nothing to do" (and a removed signing key takes its object's ETag
 * with it).
 */
static int
local_digest(const struct run *run, char ret[65])
{
    char *text = NULL;
    size_t len = 0, i;
    FILE *out = open_memstream(&text, &len);
    int r;

    if (!out)
        return -ENOMEM;
    model_settings(run->cfg, out);
    for (i = 0; i < run->cfg->signing_public_keys.n; i++)
        fprintf(out, "SIGNING_PUBLIC_KEY %s\n",
                run->cfg->signing_public_keys.v[i]);
    fprintf(out, "local accounts %s\n", run->local_files);
    r = fclose(out) == 0 ? 0 : -ENOMEM;
    if (r == 0)
        iam_sha256_hex(text, len, ret);
    free(text);
    return r;
}

/*
 * The newest object this instance applied: the snapshot's, when it came
 * from the same SOURCE, or a later one that changed nothing here, and
 * never older than the highest ever applied (.fleet-newest: it outlives
 * the snapshot). Its ETag is sent only when nothing local changed since.
 * And the object refused last, when the settings are still those it was
 * refused under.
 */
static int
load_seen(struct run *run)
{
    const char *db = run->fl->db_path;
    char local[65], context[65];
    int64_t newest;
    int r;

    r = local_digest(run, local);
    if (r >= 0)
        r = fleet_refusal_context(run->cfg, local, context);
    if (r < 0)
        return r;
    fleet_seen_load(db, &run->seen);
    if (!run->old.exists || strcmp(run->old.source, run->cfg->source) != 0) {
        /* Another source (or none) built it: its ETag means nothing. */
        memset(&run->seen, 0, sizeof(run->seen));
    } else if (run->old.created > run->seen.newest) {
        run->seen.newest = run->old.created;
    }
    newest = fleet_newest_load(db, run->cfg->source);
    if (newest > run->seen.newest)
        run->seen.newest = newest;
    if (strcmp(run->seen.local, local) != 0)
        run->seen.etag[0] = '\0';
    memcpy(run->seen.local, local, sizeof(local));
    fleet_refused_load(db, context, &run->refused);
    memcpy(run->refused.context, context, sizeof(context));
    if (run->elsewhere) {
        /* The state files came with the image too: a 304 must not keep
         * the other instance's snapshot, nor its refusal this one's. */
        run->seen.etag[0] = '\0';
        run->refused.etag[0] = '\0';
    }
    return 0;
}

/* A refusal to remember (or to forget), unless this is a dry run. */
static void
save_refused(const struct run *run, const struct fleet_refused *before)
{
    if (run->fl->dry_run || (strcmp(before->etag, run->refused.etag) == 0 &&
                             strcmp(before->why, run->refused.why) == 0))
        return;
    fleet_refused_save(run->fl->db_path, &run->refused);
}

/* SOURCE: the published object instead of IAM. */
static int
fetch_from_fleet(struct run *run)
{
    struct fleet_refused before;
    int r;

    r = load_seen(run);
    if (r < 0) {
        iam_log(LOG_ERR, "sync failed: %s", strerrordesc_np(-r));
        return SYNC_EXIT_AWS;
    }
    before = run->refused;
    r = fleet_get(run->cfg, &run->base, run_deadline(run), &run->seen,
                  &run->refused, time(NULL), &run->got, &run->fleet);
    /* A refusal is remembered now; a taken object forgets the last one
     * once it is applied (mark_checked). */
    if (r == -EPERM) {
        save_refused(run, &before);
        return SYNC_EXIT_REFUSED;
    }
    if (r < 0) {
        iam_log(LOG_ERR, "sync failed, the previous snapshot is kept: %s",
                strerrordesc_np(-r));
        return SYNC_EXIT_AWS;
    }
    if (!run->got.not_modified) {
        run->fetch = run->got.fetch;
        memset(&run->got.fetch, 0, sizeof(run->got.fetch));
        /* Something to compare now: the users in place too. */
        load_previous(run, true);
    }
    return SYNC_EXIT_OK;
}

static void
progress_phase_cb(void *arg, const char *name, unsigned long planned)
{
    progress_phase(arg, name, planned);
}

/* --explain: the one user's keys, nobody else's (no full sync). */
static int
select_explained(struct fetch *f, void *arg)
{
    const struct run *run = arg;
    long who = explain_find(f, run->fl->explain);
    size_t i;

    for (i = 0; i < f->n_users; i++)
        if ((long)i != who)
            f->wanted[i] = false;
    return select_users(f, arg);
}

void
run_fetch_opts(struct run *run, struct fetch_opts *ret)
{
    struct fetch_opts fo;

    memset(&fo, 0, sizeof(fo));
    fo.iam = &run->iam;
    fo.concurrency = run->cfg->sync_concurrency;
    fo.authorized_groups = &run->cfg->iam_authorized_groups;
    fo.sudoers_groups = &run->cfg->sudoers_groups;
    fo.shared_accounts = &run->cfg->shared_accounts;
    fo.local_group_map = &run->cfg->local_group_map;
    fo.known = &run->known;
    fo.tag_prefix = run->cfg->tag_keys ? run->cfg->tag_key_prefix : NULL;
    fo.tags_from_gaad =
        strcmp(run->cfg->tag_keys_source, IAM_CONFIG_TAG_SOURCE_GAAD) == 0;
    fo.now = time(NULL);
    fo.select = run->fl->explain ? select_explained : select_users;
    fo.select_arg = run;
    fo.phase = progress_phase_cb;
    fo.phase_arg = &run->progress;
    *ret = fo;
}

int
run_fetch_from_iam(struct run *run)
{
    struct fetch_opts fo;
    int r;

    r = run_connect_iam(run);
    if (r < 0)
        return SYNC_EXIT_AWS;
    run_fetch_opts(run, &fo);
    r = fetch_all(&fo, &run->fetch);
    /* The calls are made: what is logged from here on starts clean. */
    progress_end(&run->progress);
    /* The bodies it held are the fetch's now; its key ids are not needed. */
    known_keys_free(&run->known);
    /*
     * The pool's threads are gone, but their arenas keep ~7 MB (5000
     * users) of freed pages resident: give them back before the model
     * and the writer grow the heap again.
     */
    malloc_trim(0);
    if (r < 0) {
        iam_log(LOG_ERR, "sync failed, the previous snapshot is kept: %s",
                strerrordesc_np(-r));
        return SYNC_EXIT_AWS;
    }
    return SYNC_EXIT_OK;
}

/*
 * The snapshot in place was made on another instance than this one: an
 * image (AMI) made from a running instance of this account carries that
 * instance's snapshot, its users admitted under that instance's settings
 * and tags. It is replaced whole, as another account's is; in fleet mode
 * too (the snapshot is still built here, whoever published the object).
 * Both ids must be known.
 */
static void
check_elsewhere(struct run *run)
{
    run->elsewhere =
        run->old.exists &&
        iam_instance_other(iam_str_of(run->old.instance), run->instance);
    if (run->elsewhere)
        iam_log(LOG_WARNING,
                "the snapshot in place was made on instance "
                "%s, this is instance %s (made on instance %s before an "
                "image was taken?): it is replaced whole, "
                "MAX_REMOVE_PERCENT does not apply",
                run->old.instance, run->instance, run->old.instance);
}

/*
 * Credentials; this instance's id (a publisher writes no snapshot and
 * needs it for tags only); then the EC2 tags that may set the group lists.
 */
int
run_connect_aws(struct run *run)
{
    const struct iam_config *cfg = run->cfg;
    int r;

    r = run_resolve_creds(run);
    if (r < 0)
        return r;
    if (!run->fl->publish || cfg->iam_authorized_groups_tag ||
        cfg->sudoers_groups_tag)
        instance_fetch(cfg, run->instance);
    check_elsewhere(run);
    return tags_apply(&run->eff, &run->base, run->instance, run_deadline(run));
}

/* Fetch, decide, compare: everything before anything is written. */
static int
prepare(struct run *run)
{
    int r;

    if (run_connect_aws(run) < 0)
        return SYNC_EXIT_AWS;
    r = run->from_fleet ? fetch_from_fleet(run) : run_fetch_from_iam(run);
    if (r != SYNC_EXIT_OK || run->got.not_modified)
        return r;
    r = model_build(&run->fetch, run->cfg, &run->local, time(NULL),
                    &run->model);
    if (r == -EADDRINUSE)
        return SYNC_EXIT_REFUSED; /* logged: a configured group clashes */
    if (r >= 0)
        r = state_from_model(&run->model, &run->new);
    if (r < 0) {
        iam_log(LOG_ERR, "sync failed, the previous snapshot is kept: %s",
                strerrordesc_np(-r));
        return SYNC_EXIT_AWS;
    }
    diff_states(&run->old, &run->new, run->fl->dry_run ? stdout : NULL,
                run->fl->json, &run->diff);
    return SYNC_EXIT_OK;
}

/*
 * The snapshot's mtime says when its content was last known to be
 * current (iam-sync --status reads it): now for a direct sync, the
 * object's creation for one from SOURCE.
 */
static void
mark_checked(const struct run *run)
{
    struct timespec t[2];

    t[0].tv_sec = run->from_fleet ? (time_t)run->got.created : time(NULL);
    t[0].tv_nsec = 0;
    t[1] = t[0];
    if (utimensat(AT_FDCWD, run->fl->db_path, t, AT_SYMLINK_NOFOLLOW) < 0)
        iam_log(LOG_WARNING, "%s: cannot set its time: %s", run->fl->db_path,
                strerrordesc_np(errno));
    if (run->from_fleet) {
        struct fleet_seen seen;

        memset(&seen, 0, sizeof(seen));
        seen.newest = run->got.created;
        snprintf(seen.etag, sizeof(seen.etag), "%s", run->got.etag);
        memcpy(seen.local, run->seen.local, sizeof(seen.local));
        fleet_seen_save(run->fl->db_path, &seen);
        fleet_newest_raise(run->fl->db_path, run->cfg->source,
                           run->got.created);
        /* fleet_get() cleared it when it took the object. */
        if (!run->refused.etag[0])
            fleet_refused_save(run->fl->db_path, &run->refused);
    }
}

/*
 * The removed users whose processes end once the new snapshot is out
 * (none when the run is refused). Then the users are dropped: only the
 * counts are read from here on.
 */
static int
choose_victims(struct run *run, bool refused)
{
    struct terminate_rules rules;
    int r;

    memset(&rules, 0, sizeof(rules));
    rules.enabled = run->cfg->terminate_removed_users;
    rules.refused = refused;
    rules.uid_min = run->cfg->uid_min;
    rules.uid_max = run->cfg->uid_max;
    rules.local = &run->local;
    r = terminate_choose(&run->old, &run->new, &rules, &run->victims);
    state_drop_users(&run->old);
    state_drop_users(&run->new);
    if (r < 0)
        iam_log(LOG_ERR, "sync failed, the previous snapshot is kept: %s",
                strerrordesc_np(-r));
    return r;
}

/* --dry-run: who would be ended, and what runs as them now. */
static void
show_victims(struct run *run)
{
    const struct terminate_victim *v;
    size_t i;
    int r;

    r = reap_count(run->victims.v, run->victims.n);
    if (r < 0)
        iam_log(LOG_WARNING, "cannot count the processes of removed users: %s",
                strerrordesc_np(-r));
    for (i = 0; !run->fl->json && i < run->victims.n; i++) {
        v = &run->victims.v[i];
        printf("! end user %s uid %u: %u processes in %u sessions\n", v->name,
               v->uid, v->processes, v->sessions);
    }
}

/*
 * After the publish, so that nobody ended can log in again meanwhile:
 * SIGTERM, TERMINATE_GRACE, SIGKILL; the grace cut to what SYNC_TIMEOUT
 * leaves. Failures are logged and counted; the sync has succeeded.
 */
static void
end_victims(struct run *run)
{
    int64_t grace = (int64_t)run->cfg->terminate_grace * 1000;
    int64_t left = run_deadline(run) - aws_client_now_ms();
    const struct terminate_victim *v;
    size_t i;
    int r;

    if (run->victims.n == 0)
        return;
    if (grace > left)
        grace = left > 0 ? left : 0;
    r = reap_end(run->victims.v, run->victims.n, grace);
    if (r < 0)
        iam_log(LOG_ERR, "cannot end the processes of removed users: %s%s",
                strerrordesc_np(-r),
                r == -ENOSYS ? " (pidfd_open needs Linux 5.3)" : "");
    for (i = 0; i < run->victims.n; i++) {
        v = &run->victims.v[i];
        iam_log(LOG_AUTHPRIV | LOG_NOTICE,
                "ended user %s (uid %u), removed from IAM or its "
                "authorized groups: %u sessions, %u processes signalled, "
                "%u signals failed",
                v->name, v->uid, v->sessions, v->processes, v->failed);
    }
}

static int
run_locked(struct run *run)
{
    bool refused;
    int r;

    r = run->from_fleet ? local_files_digest(run) : 0;
    if (r >= 0)
        r = iam_name_set_load("/etc/passwd", "/etc/group", &run->local);
    if (r < 0) {
        iam_log(LOG_ERR, "cannot read /etc/passwd or /etc/group: %s",
                strerrordesc_np(-r));
        return SYNC_EXIT_AWS;
    }
    load_previous(run, !run->from_fleet);
    r = prepare(run);
    if (r != SYNC_EXIT_OK)
        return r;
    if (run->got.not_modified) {
        run->result = "unchanged";
        if (run->fl->dry_run && !run->fl->json)
            printf("no changes\n");
        return SYNC_EXIT_OK;
    }
    if (run->fl->dry_run && !run->fl->json && !diff_changed(&run->diff))
        printf("no changes\n");
    /* Decided before anything is written or ended, and told by --dry-run
     * too: a dry run ends as the real run would. */
    refused = too_many_removed(run);
    if (choose_victims(run, refused) < 0)
        return SYNC_EXIT_AWS;
    if (refused) {
        iam_log(LOG_ERR,
                "refused: this sync would remove %u of %zu users "
                "(more than MAX_REMOVE_PERCENT=%u%%); the previous "
                "snapshot is kept; run with --force if this is intended",
                run->diff.users_removed, run->old.n_users,
                run->cfg->max_remove_percent);
        run->result = "refused";
        return SYNC_EXIT_REFUSED;
    }
    if (run->fl->dry_run) {
        show_victims(run);
        run->result = "dry-run";
        return SYNC_EXIT_OK;
    }
    r = publish(run);
    if (r < 0)
        return SYNC_EXIT_AWS;
    mark_checked(run);
    if (strcmp(run->result, "published") == 0)
        end_victims(run);
    return SYNC_EXIT_OK;
}

/*
 * Fleet mode: the object in place at SOURCE, read whole (no ETag sent)
 * and checked as a sync checks it; nothing is remembered. @where says
 * whether it is the one this instance applied last.
 */
static int
explain_fleet(struct run *run, char *where, size_t len)
{
    struct fleet_refused refused;
    struct fleet_seen seen, applied;
    int r;

    if (run_connect_aws(run) < 0 || local_files_digest(run) < 0 ||
        load_seen(run) < 0)
        return -EIO;
    fleet_seen_load(run->fl->db_path, &applied);
    seen = run->seen;
    seen.etag[0] = '\0';
    refused = run->refused;
    refused.etag[0] = '\0';
    r = fleet_get(run->cfg, &run->base, run_deadline(run), &seen, &refused,
                  time(NULL), &run->got, &run->fleet);
    if (r < 0)
        return r;
    run->fetch = run->got.fetch;
    memset(&run->got.fetch, 0, sizeof(run->got.fetch));
    snprintf(where, len, "the fleet object %s (%s), everyone else's too",
             run->cfg->source,
             strcmp(run->got.etag, applied.etag) == 0
                 ? "the one this instance applied last"
                 : "not the one this instance applied last: the next sync "
                   "applies it");
    return 0;
}

/* Where the facts come from: IAM, the fleet object, or the snapshot. */
static int
explain_fetch(struct run *run, struct explain *ex, char *where, size_t len)
{
    int r;

    ex->from_iam = !run->fl->offline && !run->from_fleet;
    ex->facts = ex->from_iam ? "iam" : "snapshot";
    if (ex->from_iam)
        return run_connect_aws(run) < 0 ||
                       run_fetch_from_iam(run) != SYNC_EXIT_OK
                   ? -EIO
                   : 0;
    ex->where = where;
    snprintf(where, len, "%s",
             run->fl->offline ? "the snapshot (--offline)"
                              : "the snapshot (the fleet object could not "
                                "be used: see above)");
    if (run->from_fleet && !run->fl->offline &&
        explain_fleet(run, where, len) == 0) {
        ex->facts = "fleet";
        return 0;
    }
    r = explain_snapshot_fetch(run->fl->db_path, run->cfg, &run->fetch);
    if (r < 0 && r != -ENOENT) {
        iam_log(LOG_ERR, "%s: cannot read the snapshot: %s", run->fl->db_path,
                strerrordesc_np(-r));
        return r;
    }
    return 0;
}

/*
 * --explain NAME: the model built for that user, from IAM (every user and
 * the configured groups, as a sync sees them, but the keys of that user
 * only), from the fleet object in fleet mode, or from the snapshot with
 * --offline. Writes nothing. 0: the user can log in now; 1: not, or no
 * answer.
 */
static int
run_explain(struct run *run)
{
    struct explain ex;
    char where[1400];
    int r;

    memset(&ex, 0, sizeof(ex));
    ex.query = run->fl->explain;
    ex.config_path = run->fl->config_path;
    ex.db_path = run->fl->db_path;
    ex.now = time(NULL);
    r = iam_name_set_load("/etc/passwd", "/etc/group", &run->local);
    if (r < 0) {
        iam_log(LOG_ERR, "cannot read /etc/passwd or /etc/group: %s",
                strerrordesc_np(-r));
        return 1;
    }
    load_previous(run, true);
    if (explain_fetch(run, &ex, where, sizeof(where)) < 0)
        return 1;
    r = explain_walk(&run->fetch, run->cfg, &run->local, &run->old, &ex);
    if (r < 0) {
        iam_log(LOG_ERR, "cannot explain %s: %s", ex.query,
                strerrordesc_np(-r));
        return 1;
    }
    progress_end(&run->progress); /* stdout may be the same terminal */
    explain_print(&ex, run->cfg, run->fl->json, stdout);
    return ex.can_log_in ? 0 : 1;
}

/* TEXTFILE_DIR: the run's outcome for node_exporter (real runs only). */
static void
report_metrics(const struct run *run, int status)
{
    struct metrics m;
    struct ended e;

    /* A publisher's outcome is the S3 object's, not this snapshot's. */
    if (!run->cfg->textfile_dir || run->fl->dry_run || run->fl->publish)
        return;
    memset(&m, 0, sizeof(m));
    m.exit_status = status;
    m.run_time = time(NULL);
    m.snapshot_time =
        run->result && strcmp(run->result, "published") == 0
            ? (run->from_fleet ? (time_t)run->got.created : m.run_time)
            : run->old.created;
    m.users = run->model.n_users;
    m.keys = run->model.n_keys;
    if (run->iam_ready) {
        m.api_calls = run->iam.calls;
        m.retries = run->iam.retries;
        m.throttled = run->iam.throttled;
    }
    m.refused_names = run->model.refused_names;
    ended_totals(run, &e);
    m.ended_users = run->victims.n;
    m.ended_sessions = e.sessions;
    m.ended_processes = e.processes;
    m.end_failures = e.failed;
    m.invalid_keys = run->model.invalid_keys;
    m.duration = (double)(aws_client_now_ms() - run->start_ms) / 1000.0;
    metrics_write(run->cfg->textfile_dir, &m);
}

int
sync_run(const struct iam_config *cfg, const struct sync_flags *fl)
{
    struct run run;
    int lock = -1, status;

    memset(&run, 0, sizeof(run));
    run.eff = *cfg;
    run.cfg = &run.eff;
    run.fl = fl;
    run.start_ms = aws_client_now_ms();
    run.start_wall = time(NULL);
    run.result = "failed";
    aws_creds_init(&run.base);
    aws_creds_init(&run.creds);
    run.from_fleet = cfg->source && !fl->publish;
    /* A fleet object carries the groups of IAM_AUTHORIZED_GROUPS and
     * SUDOERS_GROUPS only: the maps need IAM itself, for now. */
    if (run.from_fleet && (cfg->shared_accounts.n || cfg->local_group_map.n))
        iam_log(LOG_WARNING,
                "SOURCE is set: SHARED_ACCOUNTS and LOCAL_GROUP_MAP are not "
                "served from a fleet object (they need a direct sync from "
                "IAM): no shared account opens and no mapped group is "
                "given");
    progress_init(&run.progress);
    /* A dry run writes nothing here, nor does a publisher: no lock. */
    if (fl->explain) {
        status = run_explain(&run);
        progress_end(&run.progress);
        goto out;
    }
    if (!fl->dry_run && !fl->publish) {
        lock = lock_take(fl->db_path, cfg->lock_timeout);
        if (lock < 0) {
            iam_log(LOG_ERR, "%s",
                    lock == -EWOULDBLOCK
                        ? "another iam-sync is still running (waited "
                          "LOCK_TIMEOUT); not starting a second one"
                        : "cannot take the lock in the snapshot directory");
            return SYNC_EXIT_AWS;
        }
        /* Under the lock no other writer lives: leftovers are dead. */
        iam_db_writer_sweep(fl->db_path);
    }
    status = fl->publish ? run_publisher(&run) : run_locked(&run);
    progress_end(&run.progress);
    if (status != SYNC_EXIT_USAGE)
        summary(&run);
    report_metrics(&run, status);
out:
    if (lock >= 0)
        close(lock);
    model_free(&run.model);
    fetch_free(&run.fetch);
    fleet_got_free(&run.got);
    if (run.iam_ready)
        aws_client_destroy(&run.iam);
    aws_creds_reset(&run.creds);
    aws_creds_reset(&run.base);
    tags_free(&run.eff, cfg);
    known_keys_free(&run.known);
    state_free(&run.old);
    state_free(&run.new);
    terminate_list_free(&run.victims);
    iam_name_set_free(&run.local);
    return status;
}
