/*
 * Unit tests for lib/iam_config.c: the /etc/nss-iam.conf parser.
 *
 * Error cases compare the whole message, so a wrong file name, line
 * number or wording fails the test. Notices are checked by catching
 * stderr, where iam_log() writes when no sink was set up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "iam_config.h"

#define CONTRIB_CONF "contrib/nss-iam.conf"

static int
parse_text(struct iam_config *cfg, const char *text, char *err, size_t len)
{
    return iam_config_parse_buffer("t.conf", text, strlen(text), cfg, err, len);
}

/* ---- stderr capture, for notices ---- */

struct capture {
    char dir[64];
    char path[96];
    int saved;
};

static void
capture_start(struct capture *c)
{
    int fd;

    snprintf(c->dir, sizeof(c->dir), "/tmp/test_config.XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->path, sizeof(c->path), "%s/stderr", c->dir);
    fd = open(c->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

/* Returns what was written to stderr since capture_start(); free it. */
static char *
capture_end(struct capture *c)
{
    char *buf = calloc(1, 65536);
    ssize_t n;
    int fd;

    assert_non_null(buf);
    fflush(stderr);
    assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
    close(c->saved);
    fd = open(c->path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    n = read(fd, buf, 65535);
    assert_true(n >= 0);
    close(fd);
    unlink(c->path);
    rmdir(c->dir);
    return buf;
}

static size_t
count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    const char *s;

    for (s = strstr(hay, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* ---- a private directory per file test ---- */

struct dir {
    char path[64];
    char file[128];
};

static int
dir_setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));

    if (!d)
        return -1;
    snprintf(d->path, sizeof(d->path), "/tmp/test_config.XXXXXX");
    if (!mkdtemp(d->path)) {
        free(d);
        return -1;
    }
    snprintf(d->file, sizeof(d->file), "%s/nss-iam.conf", d->path);
    *state = d;
    return 0;
}

static int
dir_teardown(void **state)
{
    struct dir *d = *state;

    unlink(d->file);
    rmdir(d->file); /* test_load_directory puts a directory there */
    rmdir(d->path);
    free(d);
    return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void
assert_list(const struct iam_strlist *l, size_t n, ...)
{
    va_list ap;
    size_t i;

    assert_int_equal(l->n, n);
    va_start(ap, n);
    for (i = 0; i < n; i++)
        assert_string_equal(l->v[i], va_arg(ap, const char *));
    va_end(ap);
}

static void
assert_str_or_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void
assert_lists_equal(const struct iam_strlist *a, const struct iam_strlist *b)
{
    size_t i;

    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++)
        assert_string_equal(a->v[i], b->v[i]);
}

static void
assert_config_equal(const struct iam_config *a, const struct iam_config *b)
{
    assert_lists_equal(&a->iam_authorized_groups, &b->iam_authorized_groups);
    assert_int_equal(a->authorized_unset, b->authorized_unset);
    assert_lists_equal(&a->sudoers_groups, &b->sudoers_groups);
    assert_int_equal(a->sudoers_all, b->sudoers_all);
    assert_str_or_null(a->iam_authorized_groups_tag,
                       b->iam_authorized_groups_tag);
    assert_str_or_null(a->sudoers_groups_tag, b->sudoers_groups_tag);
    assert_str_or_null(a->assumerole, b->assumerole);
    assert_lists_equal(&a->local_groups, &b->local_groups);
    assert_int_equal(a->uid_min, b->uid_min);
    assert_int_equal(a->uid_max, b->uid_max);
    assert_str_or_null(a->shell, b->shell);
    assert_str_or_null(a->home_dir, b->home_dir);
    assert_str_or_null(a->sudo_group, b->sudo_group);
    assert_str_or_null(a->member_group, b->member_group);
    assert_str_or_null(a->chain_authorized_keys_command,
                       b->chain_authorized_keys_command);
    assert_int_equal(a->max_key_age_days, b->max_key_age_days);
    assert_int_equal(a->tag_keys, b->tag_keys);
    assert_string_equal(a->tag_key_prefix, b->tag_key_prefix);
    assert_lists_equal(&a->tag_key_types, &b->tag_key_types);
    assert_string_equal(a->tag_keys_source, b->tag_keys_source);
    assert_int_equal(a->max_remove_percent, b->max_remove_percent);
    assert_str_or_null(a->aws_region, b->aws_region);
    assert_str_or_null(a->iam_endpoint, b->iam_endpoint);
    assert_str_or_null(a->sts_endpoint, b->sts_endpoint);
    assert_str_or_null(a->ec2_endpoint, b->ec2_endpoint);
    assert_str_or_null(a->imds_endpoint, b->imds_endpoint);
    assert_int_equal(a->verify_online, b->verify_online);
    assert_int_equal(a->verify_online_timeout_ms, b->verify_online_timeout_ms);
    assert_int_equal(a->verify_online_fail, b->verify_online_fail);
    assert_str_or_null(a->textfile_dir, b->textfile_dir);
    assert_int_equal(a->max_snapshot_age, b->max_snapshot_age);
    assert_int_equal(a->syslog_facility, b->syslog_facility);
    assert_int_equal(a->sync_concurrency, b->sync_concurrency);
    assert_int_equal(a->max_calls_per_second, b->max_calls_per_second);
    assert_int_equal(a->sync_timeout, b->sync_timeout);
    assert_int_equal(a->terminate_removed_users, b->terminate_removed_users);
    assert_int_equal(a->terminate_grace, b->terminate_grace);
    assert_int_equal(a->http_timeout_ms, b->http_timeout_ms);
    assert_int_equal(a->lock_timeout, b->lock_timeout);
    assert_str_or_null(a->db_path, b->db_path);
    assert_str_or_null(a->source, b->source);
    assert_lists_equal(&a->signing_public_keys, &b->signing_public_keys);
    assert_str_or_null(a->signing_key, b->signing_key);
    assert_str_or_null(a->s3_endpoint, b->s3_endpoint);
    assert_str_or_null(a->event_queue_url, b->event_queue_url);
    assert_int_equal(a->full_sync_interval, b->full_sync_interval);
    assert_int_equal(a->iam_sync_interval, b->iam_sync_interval);
}

/* ---- defaults ---- */

static void
test_defaults(void **state)
{
    struct iam_config c;

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(c.iam_authorized_groups.n, 0);
    assert_null(c.iam_authorized_groups.v);
    assert_int_equal(c.sudoers_groups.n, 0);
    assert_false(c.sudoers_all);
    assert_null(c.iam_authorized_groups_tag);
    assert_null(c.sudoers_groups_tag);
    assert_null(c.assumerole);
    assert_int_equal(c.local_groups.n, 0);
    assert_int_equal(c.uid_min, 2000000000u);
    assert_int_equal(c.uid_max, 2147483646u);
    assert_string_equal(c.shell, "/bin/bash");
    assert_string_equal(c.home_dir, "/home/%u");
    assert_string_equal(c.sudo_group, "iam-sudo");
    assert_string_equal(c.member_group, "iam-users");
    assert_null(c.chain_authorized_keys_command);
    assert_int_equal(c.max_key_age_days, 0);
    assert_int_equal(c.max_remove_percent, 50);
    assert_string_equal(c.aws_region, "us-east-1");
    assert_null(c.iam_endpoint);
    assert_null(c.sts_endpoint);
    assert_null(c.ec2_endpoint);
    assert_string_equal(c.imds_endpoint, "http://169.254.169.254");
    assert_false(c.verify_online);
    assert_int_equal(c.verify_online_timeout_ms, 1500);
    assert_int_equal(c.verify_online_fail, IAM_FAIL_OPEN);
    assert_null(c.textfile_dir);
    assert_int_equal(c.max_snapshot_age, 3600);
    assert_null(c.event_queue_url);
    assert_int_equal(c.full_sync_interval, 3600);
    assert_int_equal(c.iam_sync_interval, 300);
    assert_int_equal(c.syslog_facility, LOG_AUTHPRIV);
    assert_int_equal(c.sync_concurrency, 8);
    assert_int_equal(c.max_calls_per_second, 10);
    assert_int_equal(c.sync_timeout, 240);
    assert_true(c.terminate_removed_users);
    assert_int_equal(c.terminate_grace, 10);
    assert_int_equal(c.http_timeout_ms, 10000);
    assert_int_equal(c.lock_timeout, 60);
    assert_string_equal(c.db_path, "/var/lib/nss-iam/passwd.mdb");
    iam_config_free(&c);
    /* free zeroes, so a second free is harmless */
    assert_null(c.shell);
    iam_config_free(&c);
    iam_config_free(NULL);
}

static void
test_empty_and_comments_are_defaults(void **state)
{
    static const char *const texts[] = {
        "",
        "\n\n\n",
        "# only a comment\n",
        "   \t  \n\t# indented comment\n  #\n",
        "\r\n# comment\r\n",
    };
    struct iam_config d;
    struct iam_config c;
    char err[256];
    size_t i;

    (void)state;
    assert_int_equal(iam_config_defaults(&d), 0);
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        err[0] = 'x';
        err[1] = '\0';
        assert_int_equal(parse_text(&c, texts[i], err, sizeof(err)), 0);
        assert_string_equal(err, "");
        assert_config_equal(&c, &d);
        iam_config_free(&c);
    }
    /* NULL text with length 0 is an empty file */
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(
        iam_config_parse_buffer("t.conf", NULL, 0, &c, err, sizeof(err)), 0);
    assert_config_equal(&c, &d);
    iam_config_free(&c);
    iam_config_free(&d);
}

/* ---- every key with a good value ---- */

static const char every_key[] =
    "IAM_AUTHORIZED_GROUPS=\"ssh-users,data.science@corp,a+b=c_d-e\"\n"
    "SUDOERS_GROUPS=\"admins, ops \"\n"
    "IAM_AUTHORIZED_GROUPS_TAG=\"ssh:groups\"\n"
    "SUDOERS_GROUPS_TAG='ssh sudo/groups'\n"
    "ASSUMEROLE=\"arn:aws:iam::123456789012:role/path/ssh-reader\"\n"
    "LOCAL_GROUPS=\"docker,adm,_x.y-z\"\n"
    "UID_MIN=65536\n"
    "UID_MAX=4294967294\n"
    "SHELL=/usr/bin/zsh\n"
    "HOME_DIR=\"/srv/home/%u/files\"\n"
    "SUDO_GROUP=wheel-iam\n"
    "MEMBER_GROUP=\"iam_all\"\n"
    "CHAIN_AUTHORIZED_KEYS_COMMAND=\"/usr/share/ec2-instance-connect/"
    "eic_run_authorized_keys %u %f\"\n"
    "MAX_KEY_AGE_DAYS=90\n"
    "MAX_REMOVE_PERCENT=100\n"
    "AWS_REGION=us-gov-west-1\n"
    "IAM_ENDPOINT=\"https://iam.us-gov.amazonaws.com\"\n"
    "STS_ENDPOINT=http://127.0.0.1:5000/\n"
    "EC2_ENDPOINT=\"http://[::1]:5000/ec2\"\n"
    "IMDS_ENDPOINT=http://localhost:5000\n"
    "VERIFY_ONLINE=yes\n"
    "VERIFY_ONLINE_TIMEOUT_MS=60000\n"
    "VERIFY_ONLINE_FAIL=closed\n"
    "TEXTFILE_DIR=/var/lib/node_exporter/textfile\n"
    "MAX_SNAPSHOT_AGE=2h\n"
    "SYSLOG_FACILITY=local3\n"
    "SYNC_CONCURRENCY=32\n"
    "MAX_CALLS_PER_SECOND=1\n"
    "SYNC_TIMEOUT=15m\n"
    "HTTP_TIMEOUT_MS=100\n"
    "LOCK_TIMEOUT=0\n"
    "TERMINATE_REMOVED_USERS=no\n"
    "TERMINATE_GRACE=2m\n"
    "DB_PATH=/tmp/x/passwd.mdb\n"
    "SOURCE=\"s3://fleet.example/nss-iam/fleet.obj\"\n"
    "SIGNING_PUBLIC_KEY=\"lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5c=, "
    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\"\n"
    "SIGNING_KEY=/etc/nss-iam/fleet-signing.pem\n"
    "S3_ENDPOINT=\"https://"
    "bucket.vpce-0a1b.s3.eu-west-1.vpce.amazonaws.com\"\n"
    "EVENT_QUEUE_URL=\"http://127.0.0.1:4566/000000000000/nss-iam.fifo\"\n"
    "FULL_SYNC_INTERVAL=10\n"
    "IAM_SYNC_INTERVAL=1d\n";

static void
test_every_key(void **state)
{
    struct iam_config c;
    char err[256];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c, every_key, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_list(&c.iam_authorized_groups, 3, "ssh-users", "data.science@corp",
                "a+b=c_d-e");
    assert_list(&c.sudoers_groups, 2, "admins", "ops");
    assert_false(c.sudoers_all);
    assert_string_equal(c.iam_authorized_groups_tag, "ssh:groups");
    assert_string_equal(c.sudoers_groups_tag, "ssh sudo/groups");
    assert_string_equal(c.assumerole,
                        "arn:aws:iam::123456789012:role/path/ssh-reader");
    assert_list(&c.local_groups, 3, "docker", "adm", "_x.y-z");
    assert_int_equal(c.uid_min, 65536);
    assert_int_equal(c.uid_max, 4294967294u);
    assert_string_equal(c.shell, "/usr/bin/zsh");
    assert_string_equal(c.home_dir, "/srv/home/%u/files");
    assert_string_equal(c.sudo_group, "wheel-iam");
    assert_string_equal(c.member_group, "iam_all");
    assert_string_equal(c.chain_authorized_keys_command,
                        "/usr/share/ec2-instance-connect/"
                        "eic_run_authorized_keys %u %f");
    assert_int_equal(c.max_key_age_days, 90);
    assert_int_equal(c.max_remove_percent, 100);
    assert_string_equal(c.aws_region, "us-gov-west-1");
    assert_string_equal(c.iam_endpoint, "https://iam.us-gov.amazonaws.com");
    assert_string_equal(c.sts_endpoint, "http://127.0.0.1:5000/");
    assert_string_equal(c.ec2_endpoint, "http://[::1]:5000/ec2");
    assert_string_equal(c.imds_endpoint, "http://localhost:5000");
    assert_true(c.verify_online);
    assert_int_equal(c.verify_online_timeout_ms, 60000);
    assert_int_equal(c.verify_online_fail, IAM_FAIL_CLOSED);
    assert_string_equal(c.textfile_dir, "/var/lib/node_exporter/textfile");
    assert_int_equal(c.max_snapshot_age, 7200);
    assert_int_equal(c.syslog_facility, LOG_LOCAL3);
    assert_int_equal(c.sync_concurrency, 32);
    assert_int_equal(c.max_calls_per_second, 1);
    assert_int_equal(c.sync_timeout, 900);
    assert_false(c.terminate_removed_users);
    assert_int_equal(c.terminate_grace, 120);
    assert_int_equal(c.http_timeout_ms, 100);
    assert_int_equal(c.lock_timeout, 0);
    assert_string_equal(c.db_path, "/tmp/x/passwd.mdb");
    assert_string_equal(c.source, "s3://fleet.example/nss-iam/fleet.obj");
    assert_list(&c.signing_public_keys, 2,
                "lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5c=",
                "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=");
    assert_string_equal(c.signing_key, "/etc/nss-iam/fleet-signing.pem");
    assert_string_equal(c.s3_endpoint,
                        "https://bucket.vpce-0a1b.s3.eu-west-1.vpce."
                        "amazonaws.com");
    assert_string_equal(c.event_queue_url,
                        "http://127.0.0.1:4566/000000000000/nss-iam.fifo");
    assert_int_equal(c.full_sync_interval, 10);
    assert_int_equal(c.iam_sync_interval, 86400);
    iam_config_free(&c);
}

/* Empty values: "none" for lists and optional keys, as aws-ec2-ssh read
 * them; they also clear what an earlier line set. */
static void
test_empty_values(void **state)
{
    struct iam_config c;
    char err[256];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c, every_key, err, sizeof(err)), 0);
    assert_int_equal(parse_text(&c,
                                "IAM_AUTHORIZED_GROUPS=\"\"\n"
                                "SUDOERS_GROUPS=''\n"
                                "IAM_AUTHORIZED_GROUPS_TAG=\n"
                                "SUDOERS_GROUPS_TAG=\"\"\n"
                                "ASSUMEROLE=\"\"\n"
                                "LOCAL_GROUPS=\"  \"\n"
                                "CHAIN_AUTHORIZED_KEYS_COMMAND=\"\"\n"
                                "IAM_ENDPOINT=\"\"\n"
                                "STS_ENDPOINT=\"\"\n"
                                "EC2_ENDPOINT=\n"
                                "TEXTFILE_DIR=\"\"\n",
                                err, sizeof(err)),
                     0);
    assert_int_equal(c.iam_authorized_groups.n, 0);
    assert_null(c.iam_authorized_groups.v);
    assert_int_equal(c.sudoers_groups.n, 0);
    assert_int_equal(c.local_groups.n, 0);
    assert_null(c.iam_authorized_groups_tag);
    assert_null(c.sudoers_groups_tag);
    assert_null(c.assumerole);
    assert_null(c.chain_authorized_keys_command);
    assert_null(c.iam_endpoint);
    assert_null(c.sts_endpoint);
    assert_null(c.ec2_endpoint);
    assert_null(c.textfile_dir);
    iam_config_free(&c);
}

static void
test_sudoers_all(void **state)
{
    struct iam_config c;
    char err[256];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c,
                                "SUDOERS_GROUPS=\"a,b\"\n"
                                "SUDOERS_GROUPS=\"##ALL##\"\n",
                                err, sizeof(err)),
                     0);
    assert_true(c.sudoers_all);
    assert_int_equal(c.sudoers_groups.n, 0);
    /* unquoted: '#' inside a word is not a comment, to bash either */
    assert_int_equal(
        parse_text(&c, "SUDOERS_GROUPS=admins\n", err, sizeof(err)), 0);
    assert_false(c.sudoers_all);
    assert_list(&c.sudoers_groups, 1, "admins");
    assert_int_equal(
        parse_text(&c, "SUDOERS_GROUPS=##ALL## # all\n", err, sizeof(err)), 0);
    assert_true(c.sudoers_all);
    assert_int_equal(c.sudoers_groups.n, 0);
    iam_config_free(&c);
}

static void
test_lists(void **state)
{
    struct iam_config c;
    char err[256];
    char text[512];
    char name[130];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    /* blanks around entries go, repeats are kept once */
    assert_int_equal(parse_text(&c, "IAM_AUTHORIZED_GROUPS=\" a , b,a,  c \"\n",
                                err, sizeof(err)),
                     0);
    assert_list(&c.iam_authorized_groups, 3, "a", "b", "c");
    /* a 128-character IAM group name is fine, 129 is not */
    memset(name, 'g', 128);
    name[128] = '\0';
    snprintf(text, sizeof(text), "IAM_AUTHORIZED_GROUPS=%s\n", name);
    assert_int_equal(parse_text(&c, text, err, sizeof(err)), 0);
    assert_list(&c.iam_authorized_groups, 1, name);
    snprintf(text, sizeof(text), "IAM_AUTHORIZED_GROUPS=x,%sg\n", name);
    assert_int_equal(parse_text(&c, text, err, sizeof(err)), -EINVAL);
    /* the value is shown up to 64 bytes */
    name[64] = '\0';
    snprintf(text, sizeof(text),
             "t.conf:1: IAM_AUTHORIZED_GROUPS: \"%s\" is not a valid IAM "
             "group name (1 to 128 letters, digits or +=,.@_-)",
             name);
    assert_string_equal(err, text);
    /* the failed line left the earlier value in place */
    assert_int_equal(c.iam_authorized_groups.n, 1);
    /* a 32-character local group name is fine */
    assert_int_equal(parse_text(&c,
                                "LOCAL_GROUPS=abcdefghijklmnopqrstuvwxyz"
                                "012345\n",
                                err, sizeof(err)),
                     0);
    assert_list(&c.local_groups, 1, "abcdefghijklmnopqrstuvwxyz012345");
    iam_config_free(&c);
}

static void
test_numbers_and_durations(void **state)
{
    static const struct {
        const char *text;
        uint32_t want;
    } cases[] = {
        { "MAX_SNAPSHOT_AGE=3600", 3600 },
        { "MAX_SNAPSHOT_AGE=90s", 90 },
        { "MAX_SNAPSHOT_AGE=15m", 900 },
        { "MAX_SNAPSHOT_AGE=2h", 7200 },
        { "MAX_SNAPSHOT_AGE=1d", 86400 },
        { "MAX_SNAPSHOT_AGE=60", 60 },
        { "MAX_SNAPSHOT_AGE=365d", 31536000 },
        { "MAX_SNAPSHOT_AGE=\"0060\"", 60 },
    };
    struct iam_config c;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        assert_int_equal(parse_text(&c, cases[i].text, err, sizeof(err)), 0);
        assert_int_equal(c.max_snapshot_age, cases[i].want);
        iam_config_free(&c);
    }
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c,
                                "SYNC_TIMEOUT=1d\nLOCK_TIMEOUT=1d\n"
                                "UID_MIN=4294967293\nUID_MAX=4294967294\n"
                                "MAX_KEY_AGE_DAYS=0\nMAX_REMOVE_PERCENT=0\n",
                                err, sizeof(err)),
                     0);
    assert_int_equal(c.sync_timeout, 86400);
    assert_int_equal(c.lock_timeout, 86400);
    assert_int_equal(c.uid_min, 4294967293u);
    assert_int_equal(c.uid_max, 4294967294u);
    assert_int_equal(c.max_key_age_days, 0);
    assert_int_equal(c.max_remove_percent, 0);
    iam_config_free(&c);
}

static void
test_bools_and_enums(void **state)
{
    static const struct {
        const char *text;
        bool want;
    } cases[] = {
        { "VERIFY_ONLINE=yes", true }, { "VERIFY_ONLINE=true", true },
        { "VERIFY_ONLINE=1", true },   { "VERIFY_ONLINE=YES", true },
        { "VERIFY_ONLINE=no", false }, { "VERIFY_ONLINE=false", false },
        { "VERIFY_ONLINE=0", false },  { "VERIFY_ONLINE='No'", false },
    };
    struct iam_config c;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        c.verify_online = !cases[i].want;
        assert_int_equal(parse_text(&c, cases[i].text, err, sizeof(err)), 0);
        assert_int_equal(c.verify_online, cases[i].want);
        iam_config_free(&c);
    }
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c,
                                "VERIFY_ONLINE_FAIL=closed\n"
                                "VERIFY_ONLINE_FAIL=open\n"
                                "SYSLOG_FACILITY=daemon\n",
                                err, sizeof(err)),
                     0);
    assert_int_equal(c.verify_online_fail, IAM_FAIL_OPEN);
    assert_int_equal(c.syslog_facility, LOG_DAEMON);
    iam_config_free(&c);
}

/* ---- quoting, comments, line endings ---- */

/* The value the line reader finds is the one stored; a line ending is
 * not part of it. (The quoting forms are in test_shellword.c.) */
static void
test_value_and_line_ending(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        { "SHELL=\"/bin/zsh\"", "/bin/zsh" },
        { "SHELL=\"/bin/zsh\"\r", "/bin/zsh" },
        { "SHELL=\"/bin/zsh\"\n", "/bin/zsh" },
    };
    struct iam_config c;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        if (parse_text(&c, cases[i].text, err, sizeof(err)) != 0) {
            print_error("case %zu [%s]: %s\n", i, cases[i].text, err);
            fail();
        }
        assert_string_equal(c.shell, cases[i].want);
        iam_config_free(&c);
    }
}

/* Lines may end in "\r\n" (files edited on Windows); errors still name
 * the right line. */
static void
test_crlf(void **state)
{
    struct iam_config c;
    char err[256];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c,
                                "# edited on Windows\r\n"
                                "IAM_AUTHORIZED_GROUPS=\"ssh\"\r\n"
                                "\r\n"
                                "UID_MIN=500000\r\n"
                                "SHELL=/bin/sh # comment\r\n"
                                "SUDOERS_GROUPS=admins\r\n",
                                err, sizeof(err)),
                     0);
    assert_list(&c.iam_authorized_groups, 1, "ssh");
    assert_list(&c.sudoers_groups, 1, "admins");
    assert_int_equal(c.uid_min, 500000);
    assert_string_equal(c.shell, "/bin/sh");
    assert_int_equal(
        parse_text(&c, "UID_MIN=5000\r\nUID_MAX=x\r\n", err, sizeof(err)),
        -EINVAL);
    assert_string_equal(err, "t.conf:2: UID_MAX: \"x\" is not a number");
    iam_config_free(&c);
}

/* ---- bad input: every case checks the exact message ---- */

static const struct {
    const char *text;
    const char *want;
} bad_cases[] = {
    /* unknown keys; the line reader's messages with the file and line in
     * front (its own cases are in test_shellword.c) */
    { "FOO=1", "t.conf:1: unknown key FOO" },
    { "# c\n\nFOO=\"1\"\n", "t.conf:3: unknown key FOO" },
    { "uid_min=1000", "t.conf:1: unknown key uid_min" },
    { "#\nSHELL='/bin/bash\n'", "t.conf:2: SHELL: unterminated single quote" },
    /* bytes */
    { "SHELL=/bin/bash\r\r", "t.conf:1: control character 0x0d in the line" },
    { "# ok\nSHELL=/bin/bash\x7f",
      "t.conf:2: control character 0x7f in the line" },
    /* lists */
    { "IAM_AUTHORIZED_GROUPS=\"a,,b\"",
      "t.conf:1: IAM_AUTHORIZED_GROUPS: empty entry in the list (look for "
      "\",,\" or a ',' at either end)" },
    { "IAM_AUTHORIZED_GROUPS=\"a, ,b\"",
      "t.conf:1: IAM_AUTHORIZED_GROUPS: empty entry in the list (look for "
      "\",,\" or a ',' at either end)" },
    { "IAM_AUTHORIZED_GROUPS=a,",
      "t.conf:1: IAM_AUTHORIZED_GROUPS: empty entry in the list (look for "
      "\",,\" or a ',' at either end)" },
    { "LOCAL_GROUPS=,a",
      "t.conf:1: LOCAL_GROUPS: empty entry in the list (look for \",,\" or "
      "a ',' at either end)" },
    { "SUDOERS_GROUPS=\",\"",
      "t.conf:1: SUDOERS_GROUPS: empty entry in the list (look for \",,\" "
      "or a ',' at either end)" },
    { "IAM_AUTHORIZED_GROUPS=\"ssh users\"",
      "t.conf:1: IAM_AUTHORIZED_GROUPS: \"ssh users\" is not a valid IAM "
      "group name (1 to 128 letters, digits or +=,.@_-)" },
    { "IAM_AUTHORIZED_GROUPS=\"ok,bad/name\"",
      "t.conf:1: IAM_AUTHORIZED_GROUPS: \"bad/name\" is not a valid IAM "
      "group name (1 to 128 letters, digits or +=,.@_-)" },
    { "SUDOERS_GROUPS=\"admins,##ALL##\"",
      "t.conf:1: SUDOERS_GROUPS: ##ALL## must be the whole value, not one "
      "entry of a list" },
    { "SUDOERS_GROUPS=\"a*\"",
      "t.conf:1: SUDOERS_GROUPS: \"a*\" is not a valid IAM group name (1 to "
      "128 letters, digits or +=,.@_-)" },
    { "LOCAL_GROUPS=\"docker,9lives\"",
      "t.conf:1: LOCAL_GROUPS: \"9lives\" is not a valid group name (up to "
      "32 letters, digits, '_', '.' or '-', starting with a letter or "
      "'_')" },
    { "LOCAL_GROUPS=\"da@ta\"",
      "t.conf:1: LOCAL_GROUPS: \"da@ta\" is not a valid group name (up to "
      "32 letters, digits, '_', '.' or '-', starting with a letter or "
      "'_')" },
    /* tags, role */
    { "IAM_AUTHORIZED_GROUPS_TAG=\" lead\"",
      "t.conf:1: IAM_AUTHORIZED_GROUPS_TAG: \" lead\" is not a valid EC2 tag "
      "key (up to 128 letters, digits, inner spaces and _.:/=+-@)" },
    { "SUDOERS_GROUPS_TAG=\"a;b\"",
      "t.conf:1: SUDOERS_GROUPS_TAG: \"a;b\" is not a valid EC2 tag key (up "
      "to 128 letters, digits, inner spaces and _.:/=+-@)" },
    { "ASSUMEROLE=\"arn:aws:iam::12345:role/x\"",
      "t.conf:1: ASSUMEROLE: \"arn:aws:iam::12345:role/x\" is not an IAM "
      "role ARN (arn:aws:iam::123456789012:role/NAME)" },
    { "ASSUMEROLE=arn:aws:iam::123456789012:user/x",
      "t.conf:1: ASSUMEROLE: \"arn:aws:iam::123456789012:user/x\" is not an "
      "IAM role ARN (arn:aws:iam::123456789012:role/NAME)" },
    { "ASSUMEROLE=arn:aws:iam::123456789012:role/",
      "t.conf:1: ASSUMEROLE: \"arn:aws:iam::123456789012:role/\" is not an "
      "IAM role ARN (arn:aws:iam::123456789012:role/NAME)" },
    { "ASSUMEROLE=arn:aws:sts::123456789012:role/x",
      "t.conf:1: ASSUMEROLE: \"arn:aws:sts::123456789012:role/x\" is not an "
      "IAM role ARN (arn:aws:iam::123456789012:role/NAME)" },
    { "ASSUMEROLE=arnaws:iam::123456789012:role/x",
      "t.conf:1: ASSUMEROLE: \"arnaws:iam::123456789012:role/x\" is not an "
      "IAM role ARN (arn:aws:iam::123456789012:role/NAME)" },
    { "ASSUMEROLE=arn:aws:iam::123456789012:role/a*b",
      "t.conf:1: ASSUMEROLE: \"arn:aws:iam::123456789012:role/a*b\" is not "
      "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)" },
    /* numbers */
    { "UID_MIN=0", "t.conf:1: UID_MIN: 0 is out of range (1 to 4294967293)" },
    { "UID_MIN=abc", "t.conf:1: UID_MIN: \"abc\" is not a number" },
    { "UID_MIN=-5", "t.conf:1: UID_MIN: \"-5\" is not a number" },
    { "UID_MIN=+5000", "t.conf:1: UID_MIN: \"+5000\" is not a number" },
    { "UID_MIN=\" 5000\"", "t.conf:1: UID_MIN: \" 5000\" is not a number" },
    { "UID_MIN=0x1000", "t.conf:1: UID_MIN: \"0x1000\" is not a number" },
    { "UID_MIN=5000k", "t.conf:1: UID_MIN: \"5000k\" is not a number" },
    { "UID_MIN=\"\"",
      "t.conf:1: UID_MIN needs a value (remove the line to get the "
      "default)" },
    { "UID_MAX=4294967295",
      "t.conf:1: UID_MAX: 4294967295 is out of range (2 to "
      "4294967294)" },
    { "UID_MAX=99999999999999999999999",
      "t.conf:1: UID_MAX: 99999999999999999999999 is out of range (2 to "
      "4294967294)" },
    { "MAX_KEY_AGE_DAYS=36501",
      "t.conf:1: MAX_KEY_AGE_DAYS: 36501 is out of range (0 to 36500)" },
    { "MAX_REMOVE_PERCENT=101",
      "t.conf:1: MAX_REMOVE_PERCENT: 101 is out of range (0 to 100)" },
    { "MAX_REMOVE_PERCENT=50%",
      "t.conf:1: MAX_REMOVE_PERCENT: \"50%\" is not a number" },
    { "VERIFY_ONLINE_TIMEOUT_MS=99",
      "t.conf:1: VERIFY_ONLINE_TIMEOUT_MS: 99 is out of range (100 to "
      "60000)" },
    { "VERIFY_ONLINE_TIMEOUT_MS=60001",
      "t.conf:1: VERIFY_ONLINE_TIMEOUT_MS: 60001 is out of range (100 to "
      "60000)" },
    { "SYNC_CONCURRENCY=0",
      "t.conf:1: SYNC_CONCURRENCY: 0 is out of range (1 to 32)" },
    { "SOURCE=https://bucket.s3.amazonaws.com/key",
      "t.conf:1: SOURCE: \"https://bucket.s3.amazonaws.com/key\": not an "
      "s3://BUCKET/KEY URL" },
    { "SOURCE=s3://bucket",
      "t.conf:1: SOURCE: \"s3://bucket\": no object key after the bucket "
      "(s3://BUCKET/KEY)" },
    { "SOURCE=s3://My_Bucket/key",
      "t.conf:1: SOURCE: \"s3://My_Bucket/key\": a bucket name has only "
      "a-z, 0-9, '.' and '-'" },
    { "SOURCE=s3://bucket/a/../b",
      "t.conf:1: SOURCE: \"s3://bucket/a/../b\": the object key has an "
      "empty, '.' or '..' part" },
    { "SIGNING_PUBLIC_KEY=lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5c",
      "t.conf:1: SIGNING_PUBLIC_KEY: "
      "\"lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5c\" is not an Ed25519 "
      "public key (44 characters of base64, as iam-sync --print-public-key "
      "prints it)" },
    { "SIGNING_PUBLIC_KEY=lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5c==",
      "t.conf:1: SIGNING_PUBLIC_KEY: "
      "\"lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5c==\" is not an Ed25519 "
      "public key (44 characters of base64, as iam-sync --print-public-key "
      "prints it)" },
    { "SIGNING_PUBLIC_KEY=lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5d=",
      "t.conf:1: SIGNING_PUBLIC_KEY: "
      "\"lp+bgMFdI1D+qJDz9r4LykLGz4LBVS2MUWYC/j79z5d=\" is not an Ed25519 "
      "public key (44 characters of base64, as iam-sync --print-public-key "
      "prints it)" },
    { "S3_ENDPOINT=https://proxy.example/s3",
      "t.conf:1: S3_ENDPOINT: \"https://proxy.example/s3\" must have no path "
      "(scheme, host and port only)" },
    { "S3_ENDPOINT=s3.amazonaws.com",
      "t.conf:1: S3_ENDPOINT: \"s3.amazonaws.com\" is not an http:// or "
      "https:// URL" },
    { "EVENT_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/nss-iam-events",
      "t.conf:1: EVENT_QUEUE_URL: "
      "\"https://sqs.us-east-1.amazonaws.com/nss-iam-events\" is not a queue "
      "URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)" },
    { "EVENT_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/12345678901/q",
      "t.conf:1: EVENT_QUEUE_URL: "
      "\"https://sqs.us-east-1.amazonaws.com/12345678901/q\" is not a queue "
      "URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)" },
    { "EVENT_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/a/b",
      "t.conf:1: EVENT_QUEUE_URL: "
      "\"https://sqs.us-east-1.amazonaws.com/123456789012/a/b\" is not a "
      "queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)" },
    { "EVENT_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/.fifo",
      "t.conf:1: EVENT_QUEUE_URL: "
      "\"https://sqs.us-east-1.amazonaws.com/123456789012/.fifo\" is not a "
      "queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)" },
    { "EVENT_QUEUE_URL=http://sqs.us-east-1.amazonaws.com/123456789012/q",
      "t.conf:1: EVENT_QUEUE_URL: "
      "\"http://sqs.us-east-1.amazonaws.com/123456789012/q\": plain http "
      "only to a loopback host; use https" },
    { "FULL_SYNC_INTERVAL=9",
      "t.conf:1: FULL_SYNC_INTERVAL: 9 is out of range (10s to 604800s)" },
    { "IAM_SYNC_INTERVAL=59",
      "t.conf:1: IAM_SYNC_INTERVAL: 59 is out of range (60s to 86400s)" },
    { "SYNC_CONCURRENCY=33",
      "t.conf:1: SYNC_CONCURRENCY: 33 is out of range (1 to 32)" },
    { "MAX_CALLS_PER_SECOND=0",
      "t.conf:1: MAX_CALLS_PER_SECOND: 0 is out of range (1 to 100)" },
    { "MAX_CALLS_PER_SECOND=101",
      "t.conf:1: MAX_CALLS_PER_SECOND: 101 is out of range (1 to 100)" },
    { "HTTP_TIMEOUT_MS=99",
      "t.conf:1: HTTP_TIMEOUT_MS: 99 is out of range (100 to 600000)" },
    { "HTTP_TIMEOUT_MS=600001",
      "t.conf:1: HTTP_TIMEOUT_MS: 600001 is out of range (100 to 600000)" },
    /* durations */
    { "MAX_SNAPSHOT_AGE=59",
      "t.conf:1: MAX_SNAPSHOT_AGE: 59 is out of range (60s to 31536000s)" },
    { "MAX_SNAPSHOT_AGE=366d",
      "t.conf:1: MAX_SNAPSHOT_AGE: 366d is out of range (60s to "
      "31536000s)" },
    { "MAX_SNAPSHOT_AGE=1w",
      "t.conf:1: MAX_SNAPSHOT_AGE: \"1w\" is not a duration (seconds, or a "
      "number followed by s, m, h or d)" },
    { "MAX_SNAPSHOT_AGE=1hh",
      "t.conf:1: MAX_SNAPSHOT_AGE: \"1hh\" is not a duration (seconds, or a "
      "number followed by s, m, h or d)" },
    { "MAX_SNAPSHOT_AGE=h",
      "t.conf:1: MAX_SNAPSHOT_AGE: \"h\" is not a duration (seconds, or a "
      "number followed by s, m, h or d)" },
    { "MAX_SNAPSHOT_AGE=\"1 h\"",
      "t.conf:1: MAX_SNAPSHOT_AGE: \"1 h\" is not a duration (seconds, or a "
      "number followed by s, m, h or d)" },
    { "MAX_SNAPSHOT_AGE=",
      "t.conf:1: MAX_SNAPSHOT_AGE needs a value (remove the line to get the "
      "default)" },
    { "SYNC_TIMEOUT=0",
      "t.conf:1: SYNC_TIMEOUT: 0 is out of range (1s to 86400s)" },
    { "SYNC_TIMEOUT=2d",
      "t.conf:1: SYNC_TIMEOUT: 2d is out of range (1s to 86400s)" },
    { "LOCK_TIMEOUT=25h",
      "t.conf:1: LOCK_TIMEOUT: 25h is out of range (0s to 86400s)" },
    { "TERMINATE_GRACE=11m",
      "t.conf:1: TERMINATE_GRACE: 11m is out of range (0s to 600s)" },
    { "TERMINATE_GRACE=10x",
      "t.conf:1: TERMINATE_GRACE: \"10x\" is not a duration (seconds, or a "
      "number followed by s, m, h or d)" },
    { "TERMINATE_GRACE=",
      "t.conf:1: TERMINATE_GRACE needs a value (remove the line to get the "
      "default)" },
    { "TERMINATE_REMOVED_USERS=maybe",
      "t.conf:1: TERMINATE_REMOVED_USERS: \"maybe\" is not yes or no" },
    { "LOCK_TIMEOUT=-1",
      "t.conf:1: LOCK_TIMEOUT: \"-1\" is not a duration (seconds, or a "
      "number followed by s, m, h or d)" },
    /* paths */
    { "SHELL=bash", "t.conf:1: SHELL: \"bash\" is not an absolute path" },
    { "SHELL=\"/bin/a:b\"",
      "t.conf:1: SHELL: \"/bin/a:b\" contains ':', which cannot appear in a "
      "passwd entry" },
    { "SHELL=",
      "t.conf:1: SHELL needs a value (remove the line to get the default)" },
    { "HOME_DIR=/home",
      "t.conf:1: HOME_DIR: \"/home\" must contain %u exactly once" },
    { "HOME_DIR=/home/%u/%u",
      "t.conf:1: HOME_DIR: \"/home/%u/%u\" must contain %u exactly once" },
    { "HOME_DIR=/home/%h/%u",
      "t.conf:1: HOME_DIR: \"/home/%h/%u\" has an escape other than %u" },
    { "HOME_DIR=/home/%u%",
      "t.conf:1: HOME_DIR: \"/home/%u%\" has an escape other than %u" },
    { "HOME_DIR=/home/%%u",
      "t.conf:1: HOME_DIR: \"/home/%%u\" has an escape other than %u" },
    { "HOME_DIR=home/%u",
      "t.conf:1: HOME_DIR: \"home/%u\" is not an absolute path" },
    { "HOME_DIR=/home/%u:x",
      "t.conf:1: HOME_DIR: \"/home/%u:x\" contains ':', which cannot appear "
      "in a passwd entry" },
    { "TEXTFILE_DIR=metrics",
      "t.conf:1: TEXTFILE_DIR: \"metrics\" is not an absolute path" },
    { "DB_PATH=passwd.mdb",
      "t.conf:1: DB_PATH: \"passwd.mdb\" is not an absolute path" },
    { "DB_PATH=\"\"",
      "t.conf:1: DB_PATH needs a value (remove the line to get the "
      "default)" },
    { "CHAIN_AUTHORIZED_KEYS_COMMAND=\"eic_run %u\"",
      "t.conf:1: CHAIN_AUTHORIZED_KEYS_COMMAND: \"eic_run %u\" does not "
      "start with an absolute path" },
    { "CHAIN_AUTHORIZED_KEYS_COMMAND=\" /bin/x\"",
      "t.conf:1: CHAIN_AUTHORIZED_KEYS_COMMAND: \" /bin/x\" does not start "
      "with an absolute path" },
    /* groups */
    { "SUDO_GROUP=\"sudo group\"",
      "t.conf:1: SUDO_GROUP: \"sudo group\" is not a valid group name (up to "
      "32 letters, digits, '_', '.' or '-', starting with a letter or "
      "'_')" },
    { "MEMBER_GROUP=abcdefghijklmnopqrstuvwxyz0123456",
      "t.conf:1: MEMBER_GROUP: \"abcdefghijklmnopqrstuvwxyz0123456\" is not "
      "a valid group name (up to 32 letters, digits, '_', '.' or '-', "
      "starting with a letter or '_')" },
    { "MEMBER_GROUP=-users",
      "t.conf:1: MEMBER_GROUP: \"-users\" is not a valid group name (up to "
      "32 letters, digits, '_', '.' or '-', starting with a letter or "
      "'_')" },
    { "MEMBER_GROUP=",
      "t.conf:1: MEMBER_GROUP needs a value (remove the line to get the "
      "default)" },
    /* region, endpoints */
    { "AWS_REGION=US-EAST-1",
      "t.conf:1: AWS_REGION: \"US-EAST-1\" is not an AWS region name (like "
      "us-east-1)" },
    { "AWS_REGION=useast1",
      "t.conf:1: AWS_REGION: \"useast1\" is not an AWS region name (like "
      "us-east-1)" },
    { "AWS_REGION=us--east-1",
      "t.conf:1: AWS_REGION: \"us--east-1\" is not an AWS region name (like "
      "us-east-1)" },
    { "AWS_REGION=us-east-",
      "t.conf:1: AWS_REGION: \"us-east-\" is not an AWS region name (like "
      "us-east-1)" },
    { "AWS_REGION=1us-east",
      "t.conf:1: AWS_REGION: \"1us-east\" is not an AWS region name (like "
      "us-east-1)" },
    { "AWS_REGION=",
      "t.conf:1: AWS_REGION needs a value (remove the line to get the "
      "default)" },
    { "IAM_ENDPOINT=ftp://iam.example",
      "t.conf:1: IAM_ENDPOINT: \"ftp://iam.example\" is not an http:// or "
      "https:// URL" },
    { "IAM_ENDPOINT=iam.amazonaws.com",
      "t.conf:1: IAM_ENDPOINT: \"iam.amazonaws.com\" is not an http:// or "
      "https:// URL" },
    { "STS_ENDPOINT=https://",
      "t.conf:1: STS_ENDPOINT: \"https://\" has no valid host[:port]" },
    { "STS_ENDPOINT=https:///path",
      "t.conf:1: STS_ENDPOINT: \"https:///path\" has no valid host[:port]" },
    { "EC2_ENDPOINT=http://localhost:0",
      "t.conf:1: EC2_ENDPOINT: \"http://localhost:0\" has no valid "
      "host[:port]" },
    { "EC2_ENDPOINT=http://localhost:99999",
      "t.conf:1: EC2_ENDPOINT: \"http://localhost:99999\" has no valid "
      "host[:port]" },
    { "EC2_ENDPOINT=http://localhost:",
      "t.conf:1: EC2_ENDPOINT: \"http://localhost:\" has no valid "
      "host[:port]" },
    { "EC2_ENDPOINT=http://local*host",
      "t.conf:1: EC2_ENDPOINT: \"http://local*host\" has no valid "
      "host[:port]" },
    { "IMDS_ENDPOINT=http://[::1",
      "t.conf:1: IMDS_ENDPOINT: \"http://[::1\" has no valid host[:port]" },
    { "IMDS_ENDPOINT=http://[::1]x",
      "t.conf:1: IMDS_ENDPOINT: \"http://[::1]x\" has no valid "
      "host[:port]" },
    { "IAM_ENDPOINT=https://user:secret@iam.example",
      "t.conf:1: IAM_ENDPOINT: the URL must not contain a user name or "
      "password ('@')" },
    { "IAM_ENDPOINT=https://iam.example/?a=b",
      "t.conf:1: IAM_ENDPOINT: \"https://iam.example/?a=b\" must not have a "
      "query or fragment" },
    { "IAM_ENDPOINT=https://iam.example#x",
      "t.conf:1: IAM_ENDPOINT: \"https://iam.example#x\" must not have a "
      "query or fragment" },
    { "IAM_ENDPOINT=\"https://iam.example/a b\"",
      "t.conf:1: IAM_ENDPOINT: \"https://iam.example/a b\" contains a "
      "space" },
    { "IMDS_ENDPOINT=",
      "t.conf:1: IMDS_ENDPOINT needs a value (remove the line to get the "
      "default)" },
    /* bool, enum, facility */
    { "VERIFY_ONLINE=maybe",
      "t.conf:1: VERIFY_ONLINE: \"maybe\" is not yes or no" },
    { "VERIFY_ONLINE=", "t.conf:1: VERIFY_ONLINE: \"\" is not yes or no" },
    { "VERIFY_ONLINE_FAIL=shut",
      "t.conf:1: VERIFY_ONLINE_FAIL: \"shut\" is not open or closed" },
    { "SYSLOG_FACILITY=kern",
      "t.conf:1: SYSLOG_FACILITY: unknown facility \"kern\" (authpriv, auth, "
      "daemon, user or local0 to local7)" },
    /* rules between keys, naming the later line */
    { "UID_MIN=3000\nUID_MAX=2000",
      "t.conf:2: UID_MIN (3000) must be below UID_MAX (2000)" },
    { "UID_MAX=2000\n#\nUID_MIN=3000\n",
      "t.conf:3: UID_MIN (3000) must be below UID_MAX (2000)" },
    { "UID_MIN=5000\nUID_MAX=5000\n",
      "t.conf:2: UID_MIN (5000) must be below UID_MAX (5000)" },
    { "# c\nUID_MIN=2147483646",
      "t.conf:2: UID_MIN (2147483646) must be below UID_MAX (2147483646)" },
    { "SUDO_GROUP=iam-users",
      "t.conf:1: SUDO_GROUP (\"iam-users\") and MEMBER_GROUP (\"iam-users\") "
      "are one name to sudo, which ignores case; they must differ" },
    { "SUDO_GROUP=x\nMEMBER_GROUP=x\n",
      "t.conf:2: SUDO_GROUP (\"x\") and MEMBER_GROUP (\"x\") are one name to "
      "sudo, which ignores case; they must differ" },
    { "SUDO_GROUP=IAM-Users",
      "t.conf:1: SUDO_GROUP (\"IAM-Users\") and MEMBER_GROUP (\"iam-users\") "
      "are one name to sudo, which ignores case; they must differ" },
    /* the system's own ids: below 65536 */
    { "UID_MIN=1000\nUID_MAX=60000",
      "t.conf:1: UID_MIN (1000) is below 65536: ids below 65536 are the "
      "system's own (useradd's UID_MIN..UID_MAX, systemd's dynamic users "
      "61184..65519, nobody 65534); keep the default 2000000000" },
    { "# x\nUID_MIN=65535",
      "t.conf:2: UID_MIN (65535) is below 65536: ids below 65536 are the "
      "system's own (useradd's UID_MIN..UID_MAX, systemd's dynamic users "
      "61184..65519, nobody 65534); keep the default 2000000000" },
};

static void
test_bad_input(void **state)
{
    struct iam_config c;
    char err[512];
    size_t i;
    int r;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        r = parse_text(&c, bad_cases[i].text, err, sizeof(err));
        if (r != -EINVAL || strcmp(err, bad_cases[i].want) != 0) {
            print_error("case %zu [%s]\n got  %d [%s]\n want %d [%s]\n", i,
                        bad_cases[i].text, r, err, -EINVAL, bad_cases[i].want);
            fail();
        }
        iam_config_free(&c);
    }
}

static void
test_nul_byte(void **state)
{
    static const char text[] = "# ok\nSHELL=/bin/bash\0x\n";
    struct iam_config c;
    char err[256];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_parse_buffer("t.conf", text, sizeof(text) - 1,
                                             &c, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "t.conf:2: NUL byte in the line");
    iam_config_free(&c);
}

static void
test_size_limits(void **state)
{
    struct iam_config c;
    char err[256];
    char *text;
    size_t n;

    (void)state;
    text = malloc(IAM_CONFIG_FILE_MAX + 2);
    assert_non_null(text);
    /* a comment line of exactly IAM_CONFIG_LINE_MAX bytes is fine */
    memset(text, 'x', IAM_CONFIG_LINE_MAX + 1);
    text[0] = '#';
    text[IAM_CONFIG_LINE_MAX] = '\n';
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_parse_buffer("t.conf", text,
                                             IAM_CONFIG_LINE_MAX + 1, &c, err,
                                             sizeof(err)),
                     0);
    /* and with "\r\n" too: the "\r" is not part of the line */
    text[IAM_CONFIG_LINE_MAX] = '\r';
    text[IAM_CONFIG_LINE_MAX + 1] = '\n';
    assert_int_equal(iam_config_parse_buffer("t.conf", text,
                                             IAM_CONFIG_LINE_MAX + 2, &c, err,
                                             sizeof(err)),
                     0);
    /* one byte more is not */
    memcpy(text, "\n#", 2);
    memset(text + 2, 'x', IAM_CONFIG_LINE_MAX);
    assert_int_equal(iam_config_parse_buffer("t.conf", text,
                                             IAM_CONFIG_LINE_MAX + 2, &c, err,
                                             sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "t.conf:2: line longer than 4096 bytes");
    /* a whole buffer of blank lines at the size limit is fine */
    memset(text, '\n', IAM_CONFIG_FILE_MAX + 1);
    assert_int_equal(iam_config_parse_buffer("t.conf", text,
                                             IAM_CONFIG_FILE_MAX, &c, err,
                                             sizeof(err)),
                     0);
    n = IAM_CONFIG_FILE_MAX + 1;
    assert_int_equal(
        iam_config_parse_buffer("t.conf", text, n, &c, err, sizeof(err)),
        -EINVAL);
    assert_string_equal(err, "t.conf: larger than 1048576 bytes");
    free(text);
    iam_config_free(&c);
}

/* A short or missing errbuf truncates the message, never overflows. */
static void
test_errbuf_sizes(void **state)
{
    struct iam_config c;
    char err[12];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    memset(err, 'z', sizeof(err));
    assert_int_equal(parse_text(&c, "FOO=1", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "t.conf:1: u");
    memset(err, 'z', sizeof(err));
    assert_int_equal(parse_text(&c, "FOO=1", err, 1), -EINVAL);
    assert_int_equal(err[0], '\0');
    assert_int_equal(err[1], 'z');
    assert_int_equal(parse_text(&c, "FOO=1", NULL, 0), -EINVAL);
    assert_int_equal(parse_text(&c, "SHELL=/bin/sh", NULL, 0), 0);
    assert_string_equal(c.shell, "/bin/sh");
    iam_config_free(&c);
}

/* On error the lines before the bad one have been applied; everything
 * stays owned by the struct (valgrind checks that nothing leaks). */
static void
test_partial_on_error(void **state)
{
    struct iam_config c;
    char err[256];

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(parse_text(&c,
                                "SHELL=/bin/zsh\n"
                                "IAM_AUTHORIZED_GROUPS=a,b\n"
                                "IAM_AUTHORIZED_GROUPS=c,,d\n"
                                "UID_MIN=5000\n",
                                err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "t.conf:3: IAM_AUTHORIZED_GROUPS: empty entry "
                             "in the list (look for \",,\" or a ',' at "
                             "either end)");
    assert_string_equal(c.shell, "/bin/zsh");
    assert_list(&c.iam_authorized_groups, 2, "a", "b");
    assert_int_equal(c.uid_min, 2000000000u);
    iam_config_free(&c);
}

/* ---- notices ---- */

static void
test_duplicate_key_later_wins(void **state)
{
    struct iam_config c;
    struct capture cap;
    char err[256];
    char *out;
    int r;

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    capture_start(&cap);
    r = parse_text(&c,
                   "SHELL=/bin/zsh\n"
                   "#\n"
                   "SHELL=/bin/dash\n"
                   "SHELL=/bin/sh\n",
                   err, sizeof(err));
    out = capture_end(&cap);
    assert_int_equal(r, 0);
    assert_string_equal(c.shell, "/bin/sh");
    assert_non_null(strstr(out, "t.conf:3: SHELL is set again (before on "
                                "line 1); the later value wins"));
    assert_non_null(strstr(out, "t.conf:4: SHELL is set again (before on "
                                "line 3); the later value wins"));
    assert_int_equal(count_of(out, "is set again"), 2);
    free(out);
    iam_config_free(&c);
}

/* /etc/aws-ec2-ssh.conf as aws-ec2-ssh's package ships it. */
static const char aws_ec2_ssh_conf[] =
    "IAM_AUTHORIZED_GROUPS=\"\"\n"
    "LOCAL_MARKER_GROUP=\"iam-synced-users\"\n"
    "LOCAL_GROUPS=\"\"\n"
    "SUDOERS_GROUPS=\"\"\n"
    "ASSUMEROLE=\"\"\n"
    "\n"
    "# Remove or set to 0 if you are done with configuration\n"
    "# To change the interval of the sync change the file\n"
    "# /etc/cron.d/import_users\n"
    "DONOTSYNC=0\n";

/* And as its install.sh writes it, with every option given. */
static const char aws_ec2_ssh_installed[] =
    "IAM_AUTHORIZED_GROUPS=\"ssh-users,devs\"\n"
    "IAM_AUTHORIZED_GROUPS_TAG=\"ssh-groups\"\n"
    "SUDOERS_GROUPS=\"admins\"\n"
    "SUDOERS_GROUPS_TAG=\"sudo-groups\"\n"
    "LOCAL_GROUPS=\"docker\"\n"
    "ASSUMEROLE=\"arn:aws:iam::111122223333:role/ssh-users\"\n"
    "USERADD_PROGRAM=\"/usr/sbin/useradd\"\n"
    "USERADD_ARGS=\"--user-group --create-home --shell /bin/bash\"\n"
    "USERDEL_PROGRAM=\"/usr/sbin/userdel\"\n"
    "USERDEL_ARGS=\"--force --remove\"\n"
    "SUDOERSGROUP=\"old-admins\"\n"
    "LOCAL_MARKER_GROUP=\"iam-synced-users\"\n"
    "USERADD_ARGS=\"--create-home\"\n";

static void
test_aws_ec2_ssh_conf(void **state)
{
    struct iam_config d;
    struct iam_config c;
    struct capture cap;
    char err[256];
    char *out;
    int r;

    (void)state;
    assert_int_equal(iam_config_defaults(&d), 0);
    assert_int_equal(iam_config_defaults(&c), 0);
    capture_start(&cap);
    r = iam_config_parse_buffer("/etc/aws-ec2-ssh.conf", aws_ec2_ssh_conf,
                                strlen(aws_ec2_ssh_conf), &c, err, sizeof(err));
    out = capture_end(&cap);
    assert_int_equal(r, 0);
    assert_string_equal(err, "");
    /* Its IAM_AUTHORIZED_GROUPS="" admits every user, as it did there. */
    assert_false(c.authorized_unset);
    assert_int_equal(c.iam_authorized_groups.n, 0);
    d.authorized_unset = false;
    assert_config_equal(&c, &d);
    assert_non_null(strstr(out, "notice: /etc/aws-ec2-ssh.conf:2: "
                                "LOCAL_MARKER_GROUP is not needed by "
                                "nss-iam: "));
    assert_non_null(strstr(out, "notice: /etc/aws-ec2-ssh.conf:10: "
                                "DONOTSYNC is not needed by nss-iam: "));
    assert_int_equal(count_of(out, "is not needed"), 2);
    free(out);
    iam_config_free(&c);
    iam_config_free(&d);
}

static void
test_aws_ec2_ssh_installed(void **state)
{
    static const char *const unneeded[] = {
        "t.conf:7: USERADD_PROGRAM is not needed by nss-iam: ",
        "t.conf:8: USERADD_ARGS is not needed by nss-iam: ",
        "t.conf:9: USERDEL_PROGRAM is not needed by nss-iam: ",
        "t.conf:10: USERDEL_ARGS is not needed by nss-iam: ",
        "t.conf:11: SUDOERSGROUP is not needed by nss-iam: ",
        "t.conf:12: LOCAL_MARKER_GROUP is not needed by nss-iam: ",
    };
    struct iam_config c;
    struct capture cap;
    char err[256];
    char *out;
    size_t i;
    int r;

    (void)state;
    assert_int_equal(iam_config_defaults(&c), 0);
    capture_start(&cap);
    r = parse_text(&c, aws_ec2_ssh_installed, err, sizeof(err));
    out = capture_end(&cap);
    assert_int_equal(r, 0);
    assert_list(&c.iam_authorized_groups, 2, "ssh-users", "devs");
    assert_string_equal(c.iam_authorized_groups_tag, "ssh-groups");
    assert_list(&c.sudoers_groups, 1, "admins");
    assert_string_equal(c.sudoers_groups_tag, "sudo-groups");
    assert_list(&c.local_groups, 1, "docker");
    assert_string_equal(c.assumerole,
                        "arn:aws:iam::111122223333:role/ssh-users");
    for (i = 0; i < sizeof(unneeded) / sizeof(unneeded[0]); i++) {
        if (!strstr(out, unneeded[i])) {
            print_error("missing notice [%s] in:\n%s\n", unneeded[i], out);
            fail();
        }
    }
    /* once per key: the second USERADD_ARGS says nothing more */
    assert_int_equal(count_of(out, "is not needed"), 6);
    assert_int_equal(count_of(out, "is set again"), 0);
    /* the deprecated single group grants nothing, and says so */
    assert_non_null(strstr(out, "SUDOERSGROUP is not needed by nss-iam: it "
                                "was replaced by SUDOERS_GROUPS"));
    free(out);
    iam_config_free(&c);
}

/* Role ARNs of other partitions. */
static void
test_role_partitions(void **state)
{
    static const char *const arns[] = {
        "arn:aws:iam::123456789012:role/r",
        "arn:aws-cn:iam::123456789012:role/r",
        "arn:aws-us-gov:iam::123456789012:role/a/b/c+=,.@_-",
    };
    struct iam_config c;
    char err[256];
    char text[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(arns) / sizeof(arns[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        snprintf(text, sizeof(text), "ASSUMEROLE='%s'", arns[i]);
        assert_int_equal(parse_text(&c, text, err, sizeof(err)), 0);
        assert_string_equal(c.assumerole, arns[i]);
        iam_config_free(&c);
    }
}

/* ---- files ---- */

static void
test_load_missing(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char want[256];

    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), -ENOENT);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory",
             d->file);
    assert_string_equal(err, want);
    iam_config_free(&c);
}

static void
test_load_good(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];

    write_file(d->file, "UID_MIN=500000\nSHELL='/bin/zsh'\n", 0644);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.uid_min, 500000);
    assert_string_equal(c.shell, "/bin/zsh");
    iam_config_free(&c);
    /* 0600 and 0400 are fine too */
    assert_int_equal(chmod(d->file, 0400), 0);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), 0);
    iam_config_free(&c);
}

static void
test_load_bad_line_names_file(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char want[256];

    write_file(d->file, "# x\nUID_MIN=5000\nBOGUS=1\n", 0644);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s:3: unknown key BOGUS", d->file);
    assert_string_equal(err, want);
    iam_config_free(&c);
}

static void
test_load_writable_refused(void **state)
{
    static const mode_t modes[] = { 0666, 0646, 0664, 0620, 0602 };
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char want[256];
    size_t i;

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        write_file(d->file, "SUDOERS_GROUPS=\"##ALL##\"\n", modes[i]);
        assert_int_equal(iam_config_defaults(&c), 0);
        assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)),
                         -EACCES);
        snprintf(want, sizeof(want),
                 "%s: writable by group or others (mode %04o); it decides "
                 "who gets sudo: chmod go-w it",
                 d->file, (unsigned)modes[i]);
        assert_string_equal(err, want);
        /* nothing was read */
        assert_false(c.sudoers_all);
        iam_config_free(&c);
    }
}

static void
test_load_other_owner_refused(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char want[256];
    uid_t other = geteuid() == 12345 ? 12346 : 12345;

    write_file(d->file, "UID_MIN=5000\n", 0644);
    if (chown(d->file, other, (gid_t)-1) != 0) {
        /* only root can give a file away */
        skip();
    }
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), -EACCES);
    snprintf(want, sizeof(want),
             "%s: owned by uid %u; it must be owned by "
             "root",
             d->file, (unsigned)other);
    assert_string_equal(err, want);
    assert_int_equal(c.uid_min, 2000000000u);
    iam_config_free(&c);
}

static void
test_load_directory(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char want[256];

    assert_int_equal(mkdir(d->file, 0755), 0);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s: not a regular file", d->file);
    assert_string_equal(err, want);
    iam_config_free(&c);
}

static void
test_load_too_big(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char want[256];
    int fd;

    fd = open(d->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, IAM_CONFIG_FILE_MAX + 1), 0);
    close(fd);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", d->file);
    assert_string_equal(err, want);
    iam_config_free(&c);
}

/* A file of exactly the limit, read in several steps. */
static void
test_load_at_limit(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[256];
    char *text;
    int fd;

    text = malloc(IAM_CONFIG_FILE_MAX);
    assert_non_null(text);
    memset(text, '\n', IAM_CONFIG_FILE_MAX);
    memcpy(text + IAM_CONFIG_FILE_MAX - 16, "UID_MIN=700000\n", 15);
    fd = open(d->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, IAM_CONFIG_FILE_MAX), IAM_CONFIG_FILE_MAX);
    close(fd);
    free(text);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(iam_config_load(d->file, &c, err, sizeof(err)), 0);
    assert_int_equal(c.uid_min, 700000);
    iam_config_free(&c);
}

/* The shipped example is all comments: it parses without a notice and
 * gives exactly the defaults. */
static void
test_contrib_conf_is_defaults(void **state)
{
    struct iam_config d;
    struct iam_config c;
    struct capture cap;
    char err[256];
    char *text;
    char *out;
    ssize_t n;
    int fd;
    int r;

    (void)state;
    text = malloc(IAM_CONFIG_FILE_MAX);
    assert_non_null(text);
    fd = open(CONTRIB_CONF, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    n = read(fd, text, IAM_CONFIG_FILE_MAX);
    close(fd);
    assert_true(n > 1000);
    assert_int_equal(iam_config_defaults(&d), 0);
    assert_int_equal(iam_config_defaults(&c), 0);
    capture_start(&cap);
    r = iam_config_parse_buffer(CONTRIB_CONF, text, (size_t)n, &c, err,
                                sizeof(err));
    out = capture_end(&cap);
    assert_int_equal(r, 0);
    assert_string_equal(err, "");
    assert_string_equal(out, "");
    assert_config_equal(&c, &d);
    iam_config_free(&c);
    free(out);
    free(text);
    iam_config_free(&d);
}

/* Every "#KEY=value" line of the shipped example, uncommented, is valid
 * and still gives the defaults: the documented defaults are the real
 * ones. */
/* Until the file says who may log in, nobody may: "" is said, not unset. */
static void
test_authorized_unset(void **state)
{
    static const struct {
        const char *text;
        bool unset;
    } cases[] = {
        { "", true },
        { "# IAM_AUTHORIZED_GROUPS=\"ssh-users\"\n", true },
        { "SUDOERS_GROUPS=\"admins\"\nMAX_KEY_AGE_DAYS=90\n", true },
        { "IAM_AUTHORIZED_GROUPS=\"\"\n", false },
        { "IAM_AUTHORIZED_GROUPS=\"ssh-users\"\n", false },
        { "IAM_AUTHORIZED_GROUPS_TAG=\"nss-iam-groups\"\n", false },
    };
    struct iam_config c;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(iam_config_defaults(&c), 0);
        assert_true(c.authorized_unset);
        assert_int_equal(iam_config_parse_buffer("t.conf", cases[i].text,
                                                 strlen(cases[i].text), &c, err,
                                                 sizeof(err)),
                         0);
        if (c.authorized_unset != cases[i].unset)
            print_error("case %zu: [%s]\n", i, cases[i].text);
        assert_int_equal(c.authorized_unset, cases[i].unset);
        iam_config_free(&c);
    }
}

static void
test_contrib_conf_uncommented(void **state)
{
    struct iam_config d;
    struct iam_config c;
    char err[256];
    char *text;
    char *line;
    char *nl;
    size_t keys = 0;
    ssize_t n;
    int fd;

    (void)state;
    text = calloc(1, IAM_CONFIG_FILE_MAX + 1);
    assert_non_null(text);
    fd = open(CONTRIB_CONF, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    n = read(fd, text, IAM_CONFIG_FILE_MAX);
    close(fd);
    assert_true(n > 0);
    assert_int_equal(iam_config_defaults(&d), 0);
    assert_int_equal(iam_config_defaults(&c), 0);
    for (line = text; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl); /* every line of the file ends in "\n" */
        *nl = '\0';
        if (line[0] != '#' || line[1] < 'A' || line[1] > 'Z')
            continue;
        keys++;
        if (iam_config_parse_buffer(CONTRIB_CONF, line + 1, strlen(line + 1),
                                    &c, err, sizeof(err)) != 0) {
            print_error("[%s]: %s\n", line + 1, err);
            fail();
        }
    }
    /* 47 keys, each shown once */
    assert_int_equal(keys, 47);
    /* Who may log in has no default to show (unset admits nobody): the
     * file shows an example, and everything else is the defaults. */
    assert_list(&c.iam_authorized_groups, 1, "ssh-users");
    assert_false(c.authorized_unset);
    assert_true(d.authorized_unset);
    free(c.iam_authorized_groups.v[0]);
    free(c.iam_authorized_groups.v);
    memset(&c.iam_authorized_groups, 0, sizeof(c.iam_authorized_groups));
    c.authorized_unset = true;
    assert_config_equal(&c, &d);
    iam_config_free(&c);
    iam_config_free(&d);
    free(text);
}

/* login.defs: a range that overlaps the system's is refused, naming the
 * configuration's line and login.defs' line. */
static void
test_login_defs(void **state)
{
    struct dir *d = *state;
    struct iam_config c;
    char err[512], want[512];

    /* the host's usual file: nothing overlaps the default range */
    write_file(d->file,
               "# comment\nUID_MIN\t\t 1000\nUID_MAX\t\t60000\n"
               "SUB_UID_MIN\t   100000\nSUB_UID_MAX\t\t600100000\n"
               "GID_MIN 1000\nGID_MAX 60000\n",
               0644);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(
        iam_config_check_login_defs(&c, "n.conf", d->file, err, sizeof(err)),
        0);
    assert_string_equal(err, "");
    /* a site whose useradd hands out ids up to 4000000000 */
    write_file(d->file, "UID_MIN 1000\n\nUID_MAX 4000000000\n", 0644);
    assert_int_equal(
        iam_config_check_login_defs(&c, "n.conf", d->file, err, sizeof(err)),
        -EINVAL);
    snprintf(want, sizeof(want),
             "n.conf (the defaults): UID_MIN..UID_MAX (2000000000.."
             "2147483646) overlaps UID_MIN..UID_MAX (1000..4000000000) of "
             "%s:3: the system gives those ids to its own accounts; move "
             "one range",
             d->file);
    assert_string_equal(err, want);
    /* quoted, hexadecimal (shadow reads base 0) */
    write_file(d->file, "  SYS_GID_MAX \"0x7fffffff\"  \n", 0644);
    assert_int_equal(
        iam_config_check_login_defs(&c, "n.conf", d->file, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "SYS_GID_MIN..SYS_GID_MAX (101..2147483647)"));
    /* a value that is no number keeps shadow's default */
    write_file(d->file, "UID_MAX lots\nSUB_UID_MAX -1\n", 0644);
    assert_int_equal(
        iam_config_check_login_defs(&c, "n.conf", d->file, err, sizeof(err)),
        0);
    iam_config_free(&c);

    /* no login.defs: shadow's defaults, whose SUB_UID range is
     * 100000..600100000; the message names the configuration's line */
    unlink(d->file);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_int_equal(
        parse_text(&c, "UID_MIN=100000\nUID_MAX=200000\n", err, sizeof(err)),
        0);
    assert_int_equal(
        iam_config_check_login_defs(&c, "t.conf", d->file, err, sizeof(err)),
        -EINVAL);
    snprintf(want, sizeof(want),
             "t.conf:2: UID_MIN..UID_MAX (100000..200000) overlaps "
             "SUB_UID_MIN..SUB_UID_MAX (100000..600100000) of %s (shadow's "
             "default): the system gives those ids to its own accounts; "
             "move one range",
             d->file);
    assert_string_equal(err, want);
    /* above every default range */
    assert_int_equal(parse_text(&c, "UID_MIN=600100001\nUID_MAX=700000000\n",
                                err, sizeof(err)),
                     0);
    assert_int_equal(
        iam_config_check_login_defs(&c, "t.conf", d->file, err, sizeof(err)),
        0);
    iam_config_free(&c);

    /* unreadable (a directory): an error, not "no file" */
    assert_int_equal(mkdir(d->file, 0755), 0);
    assert_int_equal(iam_config_defaults(&c), 0);
    assert_true(iam_config_check_login_defs(&c, "t.conf", d->file, err,
                                            sizeof(err)) < 0);
    assert_non_null(strstr(err, d->file));
    iam_config_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_and_comments_are_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_sudoers_all),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_numbers_and_durations),
        cmocka_unit_test(test_bools_and_enums),
        cmocka_unit_test(test_value_and_line_ending),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_errbuf_sizes),
        cmocka_unit_test(test_partial_on_error),
        cmocka_unit_test(test_duplicate_key_later_wins),
        cmocka_unit_test(test_aws_ec2_ssh_conf),
        cmocka_unit_test(test_aws_ec2_ssh_installed),
        cmocka_unit_test(test_role_partitions),
        cmocka_unit_test_setup_teardown(test_load_missing, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_good, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_line_names_file,
                                        dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_writable_refused, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_other_owner_refused,
                                        dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_directory, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_too_big, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_load_at_limit, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_login_defs, dir_setup,
                                        dir_teardown),
        cmocka_unit_test(test_contrib_conf_is_defaults),
        cmocka_unit_test(test_contrib_conf_uncommented),
        cmocka_unit_test(test_authorized_unset),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
