/*
 * iam-verify-key: the online half of iam-authorized-keys, for
 * VERIFY_ONLINE=yes. Asks IAM whether one key of one IAM user is still
 * Active (online.c).
 *
 *   iam-verify-key [--config FILE] IAM_USER KEY_ID
 *
 * It is a program of its own so that iam-authorized-keys, run by sshd on
 * every login attempt, links neither libcurl nor json-c: loading them
 * costs more than the whole snapshot answer. It is only run when the
 * online check is configured.
 *
 * Exit status: 0 the key is Active; 1 it is not (deleted, Inactive, or
 * the user is gone); 2 usage or configuration error; 3 IAM could not
 * answer (credentials, network, timeout): the caller applies
 * VERIFY_ONLINE_FAIL. Nothing is printed on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "iam_config.h"
#include "iam_log.h"
#include "online.h"

/* IAM user names and key ids are short words of these characters. */
static bool
valid_word(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    return n > 0 && n <= max &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789+=,.@_-") == n;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = IAM_CONFIG_PATH;
    bool explicit = false;
    struct iam_config cfg;
    char err[512];
    int c, r;

    iam_log_init("iam-authorized-keys", LOG_AUTHPRIV, false, LOG_INFO);
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'c') {
            fprintf(stderr, "usage: iam-verify-key [--config FILE] "
                            "IAM_USER KEY_ID\n");
            return 2;
        }
        config = optarg;
        explicit = true;
    }
    if (argc - optind != 2 || !valid_word(argv[optind], 64) ||
        !valid_word(argv[optind + 1], 128)) {
        fprintf(stderr, "usage: iam-verify-key [--config FILE] IAM_USER "
                        "KEY_ID\n");
        return 2;
    }
    if (iam_config_setup(config, explicit, &cfg, err, sizeof(err)) < 0) {
        iam_log(LOG_ERR, "%s", err);
        iam_config_free(&cfg);
        return 2;
    }
    r = online_check(&cfg, argv[optind], argv[optind + 1]);
    iam_config_free(&cfg);
    return r == 1 ? 0 : r == 0 ? 1 : 3;
}
