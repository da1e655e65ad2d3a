/*
 * iam-authorized-keys: sshd's AuthorizedKeysCommand.
 *
 *   AuthorizedKeysCommand /usr/sbin/iam-authorized-keys -- %u %U %k
 *   AuthorizedKeysCommandUser nobody
 *
 * Prints the user's Active IAM keys from the snapshot (only the offered
 * one when %k is given, and only when %U is the snapshot's uid for %u:
 * without %U, nothing), one audit line to syslog (authpriv), then runs
 * the optional chained command. stdout carries keys and nothing else;
 * sshd discards stderr. "--" keeps a user name that looks like an option
 * a name; no option is read after the first operand either.
 *
 * Exit status: 0 after answering, also when nothing is printed (an
 * unknown or invalid user name, a refused key, an online check that
 * failed closed: sshd then simply finds no key); 1 when the snapshot is
 * missing, unreadable or untrusted and no chained command answered
 * instead; 2 for a usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "iam_config.h"
#include "iam_db.h"
#include "iam_log.h"
#include "iam_name.h"
#include "keys.h"
#include "verify.h"

struct args {
    const char *config;
    bool config_given;
    const char *db;
    const char *user;
    const char *uid;
    const char *key;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: iam-authorized-keys [--config FILE] [--db PATH] "
               "[--] USER [UID [KEY]]\n");
}

static int
parse_args(int argc, char **argv, struct args *ret)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "db", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(ret, 0, sizeof(*ret));
    ret->config = IAM_CONFIG_PATH;
    /* "+": GNU getopt would otherwise read options after the operands,
     * and take a user name such as "--db=/x" or "--help" for one. */
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ret->config = optarg;
            ret->config_given = true;
            break;
        case 'd':
            ret->db = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -EINVAL;
        }
    }
    if (argc - optind < 1 || argc - optind > 3)
        return -EINVAL;
    ret->user = argv[optind];
    ret->uid = argc - optind > 1 ? argv[optind + 1] : NULL;
    ret->key = argc - optind > 2 ? argv[optind + 2] : NULL;
    return 0;
}

/*
 * The one audit line of a call. @user is shown only once valid: it comes
 * from the client, and must not forge fields of the line.
 */
static void
audit(const struct args *a, const struct keys_result *res)
{
    uint32_t uid;

    iam_log(LOG_INFO,
            "user=%s iam_user=%s uid=%s key=%s key_id=%s decision=%s "
            "printed=%u",
            iam_name_is_valid_posix(a->user) ? a->user : "-",
            res->iam_name[0] ? res->iam_name : "-",
            !a->uid                             ? "-"
            : keys_parse_uid(a->uid, &uid) == 0 ? "given"
                                                : "bad",
            res->fingerprint[0] ? res->fingerprint : "-",
            res->key_id[0] ? res->key_id : "-",
            keys_decision_word(res->decision), res->printed);
}

/*
 * VERIFY_ONLINE: an offered key the snapshot accepts is also checked
 * with IAM. Returns true when the key may still be served.
 */
static bool
still_active(const struct args *a, const struct iam_config *cfg,
             struct keys_result *res)
{
    int r;

    if (!cfg->verify_online || (res->decision != KEYS_ACCEPTED &&
                                res->decision != KEYS_SHARED_ACCEPTED))
        return true;
    r = verify_key(cfg, a->config_given ? a->config : NULL, res->iam_name,
                   res->key_id);
    if (r == 1)
        return true;
    if (r == 0) {
        res->decision = KEYS_REVOKED;
        return false;
    }
    iam_log(LOG_WARNING, "online check for %s failed: %s (%s)", res->iam_name,
            strerrordesc_np(-r),
            cfg->verify_online_fail == IAM_FAIL_CLOSED
                ? "VERIFY_ONLINE_FAIL=closed: denied"
                : "VERIFY_ONLINE_FAIL=open: the snapshot decides");
    return cfg->verify_online_fail != IAM_FAIL_CLOSED;
}

/*
 * An image's snapshot, made on another instance, speaks for that one's
 * users until iam-sync replaces it: no keys from it (logged), as the NSS
 * module serves none of its users (iam_instance.h).
 */
static bool
made_elsewhere(const char *path, const struct iam_db *db)
{
    char here[IAM_INSTANCE_ID_SIZE];

    if (!iam_db_made_elsewhere(db, here))
        return false;
    iam_log(LOG_ERR,
            "%s: made on instance %s, this is %s (an image's "
            "snapshot?): not used until iam-sync replaces it",
            path, iam_db_instance(db), here);
    return true;
}

/*
 * Answers from the snapshot into a buffer first, so that nothing reaches
 * sshd before the online check (if any) agrees. Returns the exit status.
 */
static int
answer(const struct args *a, const struct iam_config *cfg,
       struct keys_request *req)
{
    const char *path = a->db ? a->db : cfg->db_path;
    struct keys_result res;
    struct iam_db *db;
    char *out = NULL;
    size_t len = 0;
    FILE *f;
    int r;

    r = iam_db_open(path, &db);
    if (r < 0) {
        iam_log(LOG_ERR, "%s: cannot use the snapshot: %s", path,
                strerrordesc_np(-r));
        return 1;
    }
    if (made_elsewhere(path, db)) {
        iam_db_close(db);
        return 1;
    }
    f = open_memstream(&out, &len);
    r = f ? keys_answer(db, req, f, &res) : -ENOMEM;
    iam_db_close(db);
    /* out and len are only whole once the stream is closed. */
    if (f && fclose(f) != 0 && r >= 0)
        r = -ENOMEM;
    if (r < 0) {
        iam_log(LOG_ERR, "%s: %s", path, strerrordesc_np(-r));
        free(out);
        return 1;
    }
    if (!still_active(a, cfg, &res) || !len)
        res.printed = 0;
    else if (fwrite(out, 1, len, stdout) != len)
        r = -EIO;
    free(out);
    audit(a, &res);
    return r >= 0 && fflush(stdout) == 0 ? 0 : 1;
}

/*
 * Checks the arguments sshd passed into @req. A refusal is an answer
 * without keys: its decision goes into *ret_res and false is returned.
 */
static bool
check_args(const struct args *a, struct keys_request *req,
           struct keys_result *ret_res)
{
    memset(ret_res, 0, sizeof(*ret_res));
    if (!iam_name_is_valid_posix(a->user)) {
        ret_res->decision = KEYS_BAD_USER;
    } else if (a->uid && keys_parse_uid(a->uid, &req->uid) < 0) {
        ret_res->decision = KEYS_BAD_UID;
    } else if (a->key && !keys_valid_offered(a->key)) {
        ret_res->decision = KEYS_BAD_KEY;
    } else {
        req->user = a->user;
        req->has_uid = a->uid != NULL;
        req->key = a->key;
        return true;
    }
    /* A refusal names the offered key too, when it can be named. */
    if (a->key && keys_valid_offered(a->key))
        iam_keyline_fingerprint(a->key, strlen(a->key), ret_res->fingerprint);
    return false;
}

/* Our keys, and the audit line. Returns the exit status. */
static int
serve(const struct args *a, const struct iam_config *cfg)
{
    struct keys_request req;
    struct keys_result res;

    memset(&req, 0, sizeof(req));
    req.now = time(NULL);
    req.max_key_age_days = cfg->max_key_age_days;
    if (!check_args(a, &req, &res)) {
        audit(a, &res);
        return 0;
    }
    return answer(a, cfg, &req);
}

/*
 * CHAIN_AUTHORIZED_KEYS_COMMAND, with sshd's tokens taken from our
 * arguments: only values that passed our checks. Returns 0 when its
 * output reached sshd.
 */
static int
chain(const struct args *a, const struct iam_config *cfg)
{
    struct chain_tokens t;
    struct chain_cmd cmd;
    struct iam_keyline k;
    char err[256];
    uint32_t uid;
    int reason, r;

    memset(&t, 0, sizeof(t));
    t.user = a->user;
    if (a->uid && keys_parse_uid(a->uid, &uid) == 0)
        t.uid = a->uid;
    if (a->key && keys_valid_offered(a->key)) {
        t.key = a->key;
        if (iam_keyline_parse_blob(a->key, strlen(a->key), &k, &reason) == 0) {
            t.type = k.type;
            t.fingerprint = k.fingerprint;
        }
    }
    r = chain_prepare(cfg->chain_authorized_keys_command, &t, &cmd, err,
                      sizeof(err));
    if (r == -EINVAL)
        iam_log(LOG_ERR, "%s: CHAIN_AUTHORIZED_KEYS_COMMAND: %s: not run",
                a->config, err);
    else if (r == -ENODATA)
        iam_log(LOG_NOTICE, "chained command not run: %s", err);
    else if (r < 0)
        iam_log(LOG_ERR, "chained command: %s", strerrordesc_np(-r));
    if (r < 0)
        return r;
    r = chain_run(&cmd);
    chain_cmd_free(&cmd);
    return r;
}

int
main(int argc, char **argv)
{
    struct iam_config cfg;
    struct args a;
    char err[512];
    int status;

    /* A closed pipe from sshd ends us quietly. */
    signal(SIGPIPE, SIG_DFL);
    iam_log_init("iam-authorized-keys", LOG_AUTHPRIV, false, LOG_INFO);
    if (parse_args(argc, argv, &a) < 0) {
        usage(stderr);
        return 2;
    }
    if (iam_config_setup(a.config, a.config_given, &cfg, err, sizeof(err)) <
        0) {
        iam_log(LOG_ERR, "%s", err);
        iam_config_free(&cfg);
        return 2;
    }
    status = serve(&a, &cfg);
    /* The chained command answers also when our snapshot cannot: a
     * broken snapshot must not take EC2 Instance Connect away. */
    if (cfg.chain_authorized_keys_command && chain(&a, &cfg) == 0)
        status = 0;
    iam_config_free(&cfg);
    return status;
}
