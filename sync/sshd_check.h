/*
 * sshd_check: does sshd ask iam-authorized-keys for keys?
 *
 * sshd keeps the first AuthorizedKeysCommand it is given, and options on
 * its command line come before every file. Two things can therefore keep
 * IAM users out although nss-iam is installed and in sync:
 *
 *  - the sshd unit passes "-o AuthorizedKeysCommand ..." (EC2 Instance
 *    Connect's packages do, in a unit drop-in);
 *  - sshd_config, or a file of sshd_config.d that sorts before ours, sets
 *    another AuthorizedKeysCommand.
 *
 * Files are read under a root directory ("/" on a host; a test's tree in
 * tests), never run.
 */
#ifndef SSHD_CHECK_H
#define SSHD_CHECK_H

#include <stddef.h>

enum sshd_check_result {
    SSHD_OURS,        /* the first AuthorizedKeysCommand is ours */
    SSHD_UNIT_OPTION, /* the unit's command line sets another one */
    SSHD_CONFIG,      /* an sshd_config file sets another one first */
    SSHD_NONE,        /* no AuthorizedKeysCommand anywhere */
};

struct sshd_check {
    enum sshd_check_result result;
    char file[512];    /* where the winning setting is (not under root) */
    unsigned line;     /* its line, 0 for a unit's ExecStart= */
    char command[512]; /* the command sshd will run, as written */
};

/*
 * sshd_check - find the AuthorizedKeysCommand sshd uses, under @root.
 * Units: sshd.service and ssh.service with their drop-ins, in systemd's
 * order of precedence (/etc, /run, /usr/lib, /lib; a drop-in of /etc
 * replaces one of the same name below, a link to /dev/null or an empty
 * file masks it). Config: /etc/ssh/sshd_config with its Include lines.
 * Returns 0 and fills *ret; a missing sshd_config is SSHD_NONE.
 */
int
sshd_check(const char *root, struct sshd_check *ret);

/* sshd_check_fix - one paragraph telling an operator what to do. */
void
sshd_check_fix(const struct sshd_check *c, char *buf, size_t size);

#endif
