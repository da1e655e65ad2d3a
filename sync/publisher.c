/*
 * publisher: iam-sync --publish. Once (the timer, --dry-run), or with
 * EVENT_QUEUE_URL as a service that follows IAM's change events
 * (follow.h): here is how that loop reaches IAM, S3 and SQS.
 */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_sqs.h"
#include "fetch_delta.h"
#include "follow.h"
#include "iam_log.h"
#include "metrics.h"
#include "model.h"

/* SQS calls: a few retries, and a request may outlast the long poll. */
#define SQS_ATTEMPTS 3
#define SQS_SLACK_MS 10000

/* What a following publisher holds between passes. */
struct follower_io {
    struct run *run;
    struct fleet_pub pub;
    bool all_keys;
    struct aws_http sqs_http;
    char sqs_endpoint[AWS_SQS_ENDPOINT_SIZE];
    char sqs_region[AWS_SQS_REGION_SIZE];
    unsigned long calls; /* IAM calls of the clients closed */
};

/* Expires within AWS_CREDS_REFRESH_MARGIN (0: never expires). */
static bool
expiring(const struct aws_creds *c, time_t now)
{
    return c->expiration != 0 &&
           c->expiration - now < (time_t)AWS_CREDS_REFRESH_MARGIN;
}

/* Credentials that outlast a pass: instance role credentials rotate, an
 * assumed role's last an hour. */
static int
fresh_creds(struct follower_io *io)
{
    struct run *run = io->run;
    time_t now = time(NULL);

    if (!expiring(&run->base, now) && !expiring(&run->creds, now))
        return 0;
    aws_creds_reset(&run->base);
    aws_creds_reset(&run->creds);
    return run_resolve_creds(run);
}

/* Each pass (a full read, a delta, a put) gets SYNC_TIMEOUT of its own. */
static int
pass_begin(struct follower_io *io)
{
    struct run *run = io->run;
    int r;

    run->start_ms = aws_client_now_ms();
    run->start_wall = time(NULL);
    if (run->iam_ready) {
        io->calls += run->iam.calls;
        aws_client_destroy(&run->iam);
        run->iam_ready = false;
    }
    r = fresh_creds(io);
    if (r >= 0)
        r = fleet_pub_renew(&io->pub, &run->base, run_deadline(run));
    return r;
}

/* The object in place: its key bodies spare GetSSHPublicKey calls, and
 * what it is decides whether a put is needed and what it is
 * conditional on. */
static int
read_object(struct follower_io *io)
{
    struct run *run = io->run;

    known_keys_free(&run->known);
    return fleet_pub_known(&io->pub, &run->known, &run->fleet);
}

static int
op_full(void *ctx, struct fetch *ret)
{
    struct follower_io *io = ctx;
    struct run *run = io->run;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = pass_begin(io);
    if (r >= 0)
        r = read_object(io);
    if (r >= 0)
        r = run_fetch_from_iam(run) == SYNC_EXIT_OK ? 0 : -EIO;
    if (r < 0)
        return r;
    *ret = run->fetch;
    memset(&run->fetch, 0, sizeof(run->fetch));
    return 0;
}

static int
op_delta(void *ctx, const struct fetch *prev, const struct event_hints *hints,
         struct fetch *ret)
{
    struct follower_io *io = ctx;
    struct fetch_opts fo;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = pass_begin(io);
    if (r >= 0)
        r = run_connect_iam(io->run);
    if (r < 0)
        return r;
    run_fetch_opts(io->run, &fo);
    fo.known = NULL;
    return fetch_delta(&fo, prev, hints, ret);
}

/* Another publisher's object is in place: nothing of ours was put, and
 * what is there is read again before the next put. */
static int
raced(struct follower_io *io)
{
    io->pub.raced = false;
    if (read_object(io) < 0)
        iam_log(LOG_WARNING, "%s: cannot read the object in place again",
                io->run->fl->publish);
    known_keys_free(&io->run->known);
    return -EAGAIN;
}

static int
op_publish(void *ctx, const struct fetch *f, time_t started,
           const char **result)
{
    struct follower_io *io = ctx;
    struct run *run = io->run;
    struct model m;
    int r;

    *result = "failed";
    r = pass_begin(io);
    if (r < 0)
        return r;
    /* The same refusals as a publisher run (a configured group's name
     * taken): logged by model_build. */
    memset(&m, 0, sizeof(m));
    r = model_build(f, run->cfg, &run->local, time(NULL), &m);
    model_free(&m);
    if (r < 0)
        return r;
    io->pub.raced = false;
    r = fleet_pub_put(&io->pub, f, io->all_keys, started, time(NULL), false,
                      result, &run->fleet);
    if (r >= 0 && io->pub.raced)
        r = raced(io);
    return r;
}

static int
op_refresh(void *ctx, const struct fetch *f, time_t started)
{
    struct follower_io *io = ctx;
    int r;

    r = pass_begin(io);
    if (r >= 0)
        r = fleet_pub_put_again(&io->pub, f, io->all_keys, started,
                                &io->run->fleet);
    if (r == -EAGAIN)
        r = raced(io);
    return r;
}

static time_t
op_object_created(void *ctx)
{
    struct follower_io *io = ctx;

    return io->pub.have_current ? (time_t)io->pub.current_created : 0;
}

/* A client for one SQS request, with the credentials of the moment. */
static int
sqs_client(struct follower_io *io, unsigned wait_s, struct aws_client *ret)
{
    const struct iam_config *cfg = io->run->cfg;
    struct aws_client_opts o;
    int r;

    r = fresh_creds(io);
    if (r < 0)
        return r;
    memset(&o, 0, sizeof(o));
    o.endpoint = io->sqs_endpoint;
    o.region = io->sqs_region;
    o.service = "sqs";
    o.timeout_ms = (long)wait_s * 1000 + SQS_SLACK_MS;
    if (o.timeout_ms < (long)cfg->http_timeout_ms)
        o.timeout_ms = (long)cfg->http_timeout_ms;
    o.max_attempts = SQS_ATTEMPTS;
    o.deadline_ms = aws_client_now_ms() + 3 * o.timeout_ms;
    return aws_client_init(ret, &o, &io->run->base);
}

static int
op_receive(void *ctx, unsigned wait_s, struct aws_sqs_batch *ret, char *err,
           size_t errlen)
{
    struct follower_io *io = ctx;
    struct aws_client c;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = sqs_client(io, wait_s, &c);
    if (r < 0) {
        snprintf(err, errlen, "%s", strerrordesc_np(-r));
        return r;
    }
    r = aws_sqs_receive(&c, &io->sqs_http, io->run->cfg->event_queue_url,
                        AWS_SQS_BATCH_MAX, wait_s, FOLLOW_VISIBILITY_S, ret,
                        err, errlen);
    aws_client_destroy(&c);
    return r;
}

static int
op_remove(void *ctx, const struct aws_sqs_message *const *v, size_t n)
{
    struct follower_io *io = ctx;
    struct aws_client c;
    char err[512];
    int r;

    r = sqs_client(io, 0, &c);
    if (r < 0)
        return r;
    err[0] = '\0';
    r = aws_sqs_delete(&c, &io->sqs_http, io->run->cfg->event_queue_url, v, n,
                       err, sizeof(err));
    aws_client_destroy(&c);
    if (err[0])
        iam_log(LOG_WARNING, "deleting messages: %s", err);
    return r;
}

static unsigned long
op_iam_calls(void *ctx)
{
    struct follower_io *io = ctx;

    return io->calls + (io->run->iam_ready ? io->run->iam.calls : 0);
}

static time_t
op_now(void *ctx)
{
    (void)ctx;
    return time(NULL);
}

static int64_t
op_now_ms(void *ctx)
{
    (void)ctx;
    return aws_client_now_ms();
}

static void
op_sleep_ms(void *ctx, int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

    (void)ctx;
    nanosleep(&ts, NULL);
}

static int
op_signal(void *ctx)
{
    (void)ctx;
    return follow_signal_take();
}

static void
op_report(void *ctx, const struct follow_stats *s)
{
    struct follower_io *io = ctx;

    if (io->run->cfg->textfile_dir)
        metrics_follow_write(io->run->cfg->textfile_dir, s);
}

static const struct follow_ops follower_ops = {
    .full = op_full,
    .delta = op_delta,
    .publish = op_publish,
    .refresh = op_refresh,
    .object_created = op_object_created,
    .receive = op_receive,
    .remove = op_remove,
    .iam_calls = op_iam_calls,
    .now = op_now,
    .now_ms = op_now_ms,
    .sleep_ms = op_sleep_ms,
    .signal = op_signal,
    .report = op_report,
};

/* EVENT_QUEUE_URL: publish, then follow the queue until stopped. */
static int
run_follower(struct run *run)
{
    const struct iam_config *cfg = run->cfg;
    struct follower_io io;
    struct follow_opts o;
    int r;

    memset(&io, 0, sizeof(io));
    io.run = run;
    io.all_keys = cfg->iam_authorized_groups.n == 0;
    if (aws_sqs_endpoint(cfg->event_queue_url, cfg->aws_region, io.sqs_endpoint,
                         io.sqs_region) < 0) {
        iam_log(LOG_ERR, "EVENT_QUEUE_URL %s is not an SQS queue URL",
                cfg->event_queue_url);
        return SYNC_EXIT_USAGE;
    }
    if (run_connect_aws(run) < 0)
        return SYNC_EXIT_AWS;
    r = aws_http_init(&io.sqs_http);
    if (r < 0)
        return SYNC_EXIT_AWS;
    r = fleet_pub_open(cfg, &run->base, run_deadline(run), run->fl->publish,
                       &io.pub);
    if (r >= 0)
        r = follow_signals();
    if (r >= 0) {
        memset(&o, 0, sizeof(o));
        o.queue_url = cfg->event_queue_url;
        o.full_interval = cfg->full_sync_interval;
        o.refresh_age = cfg->max_snapshot_age / 4;
        o.tags = cfg->tag_keys;
        r = follow_run(&o, &follower_ops, &io, NULL);
    }
    run->result = r < 0 ? "failed" : "stopped";
    fleet_pub_close(&io.pub);
    aws_http_destroy(&io.sqs_http);
    return r < 0 ? SYNC_EXIT_AWS : SYNC_EXIT_OK;
}

/*
 * --publish: what a direct sync would fetch, signed into one S3 object.
 * The model is built too (with no local accounts: those are each
 * instance's) so that the summary says what instances will serve, but
 * what is published is the fetch.
 */
int
run_publisher(struct run *run)
{
    struct fleet_pub pub;
    int r;

    if (run->cfg->event_queue_url && !run->fl->dry_run)
        return run_follower(run);
    if (run_connect_aws(run) < 0)
        return SYNC_EXIT_AWS;
    /* The bucket is the publisher's: its own credentials, not
     * ASSUMEROLE's. */
    r = fleet_pub_open(run->cfg, &run->base, run_deadline(run),
                       run->fl->publish, &pub);
    if (r >= 0)
        r = fleet_pub_known(&pub, &run->known, &run->fleet);
    if (r >= 0)
        r = run_fetch_from_iam(run) == SYNC_EXIT_OK ? 0 : -EIO;
    if (r >= 0)
        r = model_build(&run->fetch, run->cfg, &run->local, time(NULL),
                        &run->model);
    if (r >= 0)
        r = fleet_pub_put(&pub, &run->fetch,
                          run->cfg->iam_authorized_groups.n == 0,
                          run->start_wall, time(NULL), run->fl->dry_run,
                          &run->result, &run->fleet);
    fleet_pub_close(&pub);
    if (r == -EADDRINUSE)
        return SYNC_EXIT_REFUSED;
    return r < 0 ? SYNC_EXIT_AWS : SYNC_EXIT_OK;
}
