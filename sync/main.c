/*
 * iam-sync: publish the IAM users, groups and SSH keys this instance
 * serves as a new snapshot (see sync.c). Run by iam-sync.timer.
 *
 *   iam-sync [--config FILE] [--db PATH] [--dry-run] [--force]
 *            [--verbose] [--json] [--status]
 *   iam-sync [--config FILE] [--dry-run] [--json] --publish s3://BUCKET/KEY
 *   iam-sync [--config FILE] --print-public-key
 *   iam-sync [--config FILE] [--db PATH] [--offline] [--json] --explain NAME
 *   iam-sync --check-sshd
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_http.h"
#include "aws_s3.h"
#include "fleet.h"
#include "iam_config.h"
#include "iam_log.h"
#include "iam_login_defs.h"
#include "state.h"
#include "sync.h"

struct args {
    const char *config;
    bool config_given;
    struct sync_flags fl;
    bool verbose;
    bool status;
    bool print_public_key;
    bool check_sshd;
    bool if_due;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: iam-sync [--config FILE] [--db PATH] [--dry-run] "
               "[--force]\n"
               "                [--verbose] [--json] [--status]\n"
               "       iam-sync [--config FILE] [--dry-run] [--json] "
               "--publish s3://BUCKET/KEY\n"
               "       iam-sync [--config FILE] --print-public-key\n"
               "       iam-sync [--config FILE] [--db PATH] [--offline] "
               "[--json] --explain NAME\n"
               "       iam-sync --check-sshd\n"
               "exit status: 0 published or unchanged, 1 AWS or local failure "
               "(previous\nsnapshot kept), 2 bad configuration or usage, 3 "
               "refused by a safety rule\n"
               "--explain: 0 NAME can log in with a key, 1 cannot, 2 "
               "usage\n");
}

/* --explain goes with --config, --db, --json and --offline only. */
static int
check_explain(const struct args *a)
{
    const struct sync_flags *fl = &a->fl;

    if (fl->offline && !fl->explain)
        return -EINVAL;
    if (!fl->explain)
        return 0;
    if (!fl->explain[0] || fl->dry_run || fl->force || fl->publish ||
        a->status || a->print_public_key || a->check_sshd)
        return -EINVAL;
    return 0;
}

static int
parse_args(int argc, char **argv, struct args *ret)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "db", required_argument, NULL, 'd' },
        { "dry-run", no_argument, NULL, 'n' },
        { "force", no_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { "json", no_argument, NULL, 'j' },
        { "status", no_argument, NULL, 's' },
        { "publish", required_argument, NULL, 'p' },
        { "print-public-key", no_argument, NULL, 'k' },
        { "check-sshd", no_argument, NULL, 'S' },
        { "explain", required_argument, NULL, 'e' },
        { "offline", no_argument, NULL, 'o' },
        { "if-due", no_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(ret, 0, sizeof(*ret));
    ret->config = IAM_CONFIG_PATH;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ret->config = optarg;
            ret->config_given = true;
            break;
        case 'd':
            ret->fl.db_path = optarg;
            break;
        case 'n':
            ret->fl.dry_run = true;
            break;
        case 'f':
            ret->fl.force = true;
            break;
        case 'v':
            ret->verbose = true;
            break;
        case 'j':
            ret->fl.json = true;
            break;
        case 's':
            ret->status = true;
            break;
        case 'p':
            ret->fl.publish = optarg;
            break;
        case 'k':
            ret->print_public_key = true;
            break;
        case 'S':
            ret->check_sshd = true;
            break;
        case 'e':
            ret->fl.explain = optarg;
            break;
        case 'o':
            ret->fl.offline = true;
            break;
        case 'D':
            ret->if_due = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -EINVAL;
        }
    }
    if (optind != argc)
        return -EINVAL;
    /* --if-due paces syncs; it means nothing to the other modes. */
    if (ret->if_due && (ret->fl.publish || ret->fl.explain || ret->status ||
                        ret->print_public_key || ret->check_sshd))
        return -EINVAL;
    return check_explain(ret);
}

/* --publish's URL, checked as SOURCE is in the configuration. */
static int
check_publish(const char *url)
{
    struct aws_s3_location loc;
    char why[128];

    if (!url || aws_s3_parse_url(url, &loc, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "iam-sync: --publish %s: %s\n", url, why);
    return -EINVAL;
}

/*
 * --if-due (the timer's runs): a direct sync reads IAM every
 * IAM_SYNC_INTERVAL, however often the timer ticks; a fleet instance's
 * run is one conditional GET, due at every tick. The snapshot's mtime
 * is when IAM was last read in full (a failed run leaves it: the next
 * tick tries again). Half a minute early is due: the timer's ticks move.
 */
static bool
due(const struct iam_config *cfg, const char *db_path)
{
    struct state snap;
    struct stat st;
    time_t now = time(NULL);
    bool usable;

    if (cfg->source || stat(db_path, &st) < 0 || st.st_mtime > now)
        return true;
    /* A snapshot this iam-sync cannot use (another format after an
     * upgrade, untrusted) is replaced at once. */
    memset(&snap, 0, sizeof(snap));
    usable = state_peek(db_path, &snap) == 0 && snap.exists;
    state_free(&snap);
    if (!usable)
        return true;
    return now - st.st_mtime + 30 >= (time_t)cfg->iam_sync_interval;
}

/*
 * A configuration that does not say who may log in admits nobody, and
 * iam-sync asks AWS nothing: installing the package (into an image, say)
 * never opens a host to the whole account. Nothing to do is a success the
 * first time; with a snapshot in place it is a configuration lost, which
 * must not go unnoticed.
 */
static int
not_configured(const char *config, const char *db_path)
{
    static const char what[] =
        "IAM_AUTHORIZED_GROUPS is not set: no IAM user is admitted and IAM "
        "is not asked. Name the IAM groups whose members may log in "
        "(IAM_AUTHORIZED_GROUPS=\"ssh-users\", or "
        "IAM_AUTHORIZED_GROUPS_TAG), or set IAM_AUTHORIZED_GROUPS=\"\" to "
        "admit every IAM user who has a key";

    if (access(db_path, F_OK) < 0) {
        iam_log(LOG_WARNING, "%s: %s", config, what);
        return SYNC_EXIT_OK;
    }
    iam_log(LOG_ERR, "%s: %s; the snapshot in place (%s) is kept", config, what,
            db_path);
    return SYNC_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    struct iam_config cfg;
    struct args a;
    char err[512];
    int status;

    if (parse_args(argc, argv, &a) < 0) {
        usage(stderr);
        return SYNC_EXIT_USAGE;
    }
    if (check_publish(a.fl.publish) < 0)
        return SYNC_EXIT_USAGE;
    /* Run by the packages at install time, before anyone has written
     * nss-iam.conf: it reads neither that nor the snapshot. */
    if (a.check_sshd)
        return sync_check_sshd();
    /* Until the config names the facility, notices go to stderr. */
    iam_log_init("iam-sync", LOG_DAEMON, true, LOG_INFO);
    if (iam_config_setup(a.config, a.config_given, &cfg, err, sizeof(err)) <
            0 ||
        iam_config_check_login_defs(&cfg, a.config, IAM_LOGIN_DEFS_PATH, err,
                                    sizeof(err)) < 0) {
        fprintf(stderr, "iam-sync: %s\n", err);
        iam_config_free(&cfg);
        return SYNC_EXIT_USAGE;
    }
    /* --explain says why itself: only errors besides, unless asked */
    iam_log_init("iam-sync", cfg.syslog_facility, a.verbose,
                 a.verbose      ? LOG_DEBUG
                 : a.fl.explain ? LOG_ERR
                                : LOG_INFO);
    if (!a.fl.db_path)
        a.fl.db_path = cfg.db_path;
    a.fl.config_path = a.config;
    if (a.status) {
        status = sync_status(&cfg, a.fl.db_path, a.fl.json);
    } else if (a.print_public_key) {
        status = fleet_public_key(&cfg) < 0 ? SYNC_EXIT_USAGE : SYNC_EXIT_OK;
    } else if (cfg.authorized_unset && a.fl.explain) {
        printf("%s: nobody is admitted: IAM_AUTHORIZED_GROUPS is not set "
               "in %s\n",
               a.fl.explain, a.config);
        status = 1;
    } else if (cfg.authorized_unset) {
        status =
            not_configured(a.config ? a.config : IAM_CONFIG_PATH, a.fl.db_path);
    } else if (a.if_due && !due(&cfg, a.fl.db_path)) {
        iam_log(LOG_DEBUG, "not due: IAM was read less than "
                           "IAM_SYNC_INTERVAL ago");
        status = SYNC_EXIT_OK;
    } else if (aws_http_global_init() < 0) {
        iam_log(LOG_ERR, "cannot initialise libcurl");
        status = SYNC_EXIT_AWS;
    } else {
        status = sync_run(&cfg, &a.fl);
        aws_http_global_cleanup();
    }
    iam_config_free(&cfg);
    return status;
}
