/*
 * Which AuthorizedKeysCommand sshd uses, read from trees laid out as
 * Debian, RHEL and Amazon Linux with EC2 Instance Connect lay them out.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sshd_check.h"

#define EIC_DROPIN "/usr/lib/systemd/system/sshd.service.d/" \
                   "ec2-instance-connect.conf"

struct tree {
    char root[64];
};

/* put TREE PATH TEXT: writes TEXT at PATH under the tree, making dirs. */
static void
put(const struct tree *t, const char *path, const char *text)
{
    char full[PATH_MAX], *slash;
    FILE *f;

    snprintf(full, sizeof(full), "%s%s", t->root, path);
    for (slash = strchr(full + strlen(t->root) + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
        *slash = '/';
    }
    f = fopen(full, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int
setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    snprintf(t->root, sizeof(t->root), "/tmp/nss-iam-sshd.XXXXXX");
    assert_non_null(mkdtemp(t->root));
    /* Debian 12 / RHEL 9: the drop-ins are included first. */
    put(t, "/etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\n"
        "#AuthorizedKeysCommand none\n"
        "UsePAM yes\n");
    put(t, "/etc/ssh/sshd_config.d/00-nss-iam.conf",
        "AuthorizedKeysCommand /usr/sbin/iam-authorized-keys -- %u %U %k\n"
        "AuthorizedKeysCommandUser nobody\n"
        "Match Group iam-users\n"
        "    AuthorizedKeysFile none\n");
    put(t, "/usr/lib/systemd/system/sshd.service",
        "[Service]\nExecStart=/usr/sbin/sshd -D $OPTIONS\n");
    *state = t;
    return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag,
           struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
teardown(void **state)
{
    struct tree *t = *state;

    assert_int_equal(nftw(t->root, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(t);
    return 0;
}

static void
test_ours(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;

    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_OURS);
    assert_string_equal(c.file, "/etc/ssh/sshd_config.d/00-nss-iam.conf");
    assert_int_equal(c.line, 1);
}

static void
test_nothing(void **state)
{
    struct sshd_check c;
    char fix[512];

    (void)state;
    assert_int_equal(sshd_check("/nonexistent-root", &c), 0);
    assert_int_equal(c.result, SSHD_NONE);
    sshd_check_fix(&c, fix, sizeof(fix));
    assert_non_null(strstr(fix, "no AuthorizedKeysCommand is set"));
}

/* A drop-in sorting before ours wins: sshd keeps the first value. */
static void
test_earlier_dropin(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;
    char fix[1024];

    snprintf(fix, sizeof(fix), "%s/etc/ssh/sshd_config.d/00-nss-iam.conf",
             t->root);
    assert_int_equal(unlink(fix), 0);
    put(t, "/etc/ssh/sshd_config.d/nss-iam.conf",
        "AuthorizedKeysCommand /usr/sbin/iam-authorized-keys -- %u %U %k\n");
    put(t, "/etc/ssh/sshd_config.d/50-cloud.conf",
        "# cloud\n\nAuthorizedKeysCommand /usr/bin/other %u\n");
    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_CONFIG);
    assert_string_equal(c.file, "/etc/ssh/sshd_config.d/50-cloud.conf");
    assert_int_equal(c.line, 3);
    assert_string_equal(c.command, "/usr/bin/other %u");
    sshd_check_fix(&c, fix, sizeof(fix));
    assert_non_null(strstr(fix, "/etc/ssh/sshd_config.d/50-cloud.conf:3 "
                                "sets AuthorizedKeysCommand /usr/bin/other"));
    assert_non_null(strstr(fix, "CHAIN_AUTHORIZED_KEYS_COMMAND=\"/usr/bin/"
                                "other %u\" in /etc/nss-iam.conf, then "
                                "remove the line"));
    assert_null(strstr(fix, "token"));
}

/* Inside a Match block it is conditional, not the first global value;
 * the block ends with its file. Relative Include paths are under
 * /etc/ssh. */
static void
test_match_and_relative_include(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;

    put(t, "/etc/ssh/sshd_config",
        "Include sshd_config.d/*.conf\n");
    put(t, "/etc/ssh/sshd_config.d/10-admins.conf",
        "Match User admin\n"
        "    AuthorizedKeysCommand /usr/bin/admin-keys %u\n");
    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_OURS);
}

/* EC2 Instance Connect on Amazon Linux 2023: a unit drop-in gives sshd
 * the option on its command line, which beats every file. */
static void
test_eic_unit_dropin(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;
    char fix[2048];

    put(t, EIC_DROPIN,
        "[Service]\n"
        "ExecStart=\n"
        "ExecStart=/usr/sbin/sshd -D $OPTIONS -o \"AuthorizedKeysCommand "
        "/opt/aws/bin/eic_run_authorized_keys %%u %%f\" -o "
        "\"AuthorizedKeysCommandUser ec2-instance-connect\"\n");
    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_UNIT_OPTION);
    assert_string_equal(c.file, EIC_DROPIN);
    assert_string_equal(c.command,
                        "/opt/aws/bin/eic_run_authorized_keys %u %f");
    sshd_check_fix(&c, fix, sizeof(fix));
    assert_non_null(strstr(fix, "CHAIN_AUTHORIZED_KEYS_COMMAND=\"/opt/aws/"
                                "bin/eic_run_authorized_keys %u %f\""));
    assert_non_null(strstr(fix, "ln -s /dev/null /etc/systemd/system/"
                                "sshd.service.d/ec2-instance-connect.conf"));
}

/* AuthorizedKeysCommandUser alone on the command line is not a command:
 * the files still decide. */
static void
test_unit_sets_only_the_user(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;

    put(t, EIC_DROPIN,
        "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -o "
        "\"AuthorizedKeysCommandUser nobody\" -o "
        "AuthorizedKeysCommandUser=nobody\n");
    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_OURS);
}

/* The operator's fix: an /etc drop-in of the same name linked to
 * /dev/null masks it, and the files decide again. */
static void
test_eic_masked(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;
    char link[PATH_MAX];

    test_eic_unit_dropin(state);
    put(t, "/etc/systemd/system/sshd.service.d/.keep", "");
    snprintf(link, sizeof(link), "%s/etc/systemd/system/sshd.service.d/"
             "ec2-instance-connect.conf", t->root);
    assert_int_equal(symlink("/dev/null", link), 0);
    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_OURS);
}

/* A later drop-in that resets ExecStart= without the option wins too. */
static void
test_eic_reset_later(void **state)
{
    struct tree *t = *state;
    struct sshd_check c;

    test_eic_unit_dropin(state);
    put(t, "/etc/systemd/system/sshd.service.d/zz-nss-iam.conf",
        "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D $OPTIONS\n");
    assert_int_equal(sshd_check(t->root, &c), 0);
    assert_int_equal(c.result, SSHD_OURS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ours, setup, teardown),
        cmocka_unit_test(test_nothing),
        cmocka_unit_test_setup_teardown(test_earlier_dropin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_and_relative_include,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_eic_unit_dropin, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eic_masked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unit_sets_only_the_user, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eic_reset_later, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("sshd_check", tests, NULL, NULL);
}
