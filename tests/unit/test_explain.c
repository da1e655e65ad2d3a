/*
 * iam-sync --explain without a network: the decisions explain_walk()
 * prints for each reason a user is or is not served (sync/explain.c),
 * read from the model's own trail. Paired with test_model in the mutant
 * explain-same-rules: a rule broken in model.c must change both.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "explain.h"
#include "model.h"
#include "state.h"

#define NOW 1764000000
#define DAY 86400

static char dir[64], passwd_path[128], group_path[128];

/* name, UserId, authorized, in devs (SUDOERS_GROUPS) */
static const struct {
    const char *name, *id;
    bool authorized, dev;
} people[] = {
    { "alice", "AIDAALICE", true, true },
    { "x@y", "AIDAXATY1", true, false },
    { "x.at.y", "AIDAXATY2", true, false },
    { "root", "AIDAROOT", true, false },
    { "localuser", "AIDALOCAL", true, false },
    { "iam-sudo", "AIDAIAMSUDO", true, false },
    { "bob", "AIDABOB", false, false },
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static char *
xdup(const char *s)
{
    char *d = strdup(s);

    assert_non_null(d);
    return d;
}

static char *
key_line(unsigned char fill, const char *prefix)
{
    unsigned char blob[51];
    char b64[80], line[160];
    int n;

    memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
    memset(blob + 19, fill, 32);
    n = EVP_EncodeBlock((unsigned char *)b64, blob, sizeof(blob));
    b64[n] = '\0';
    snprintf(line, sizeof(line), "%sssh-ed25519 %s laptop", prefix, b64);
    return xdup(line);
}

static void
add_key(struct fetch_user_keys *k, const char *id, int status, time_t age,
        char *body)
{
    struct fetch_key *v = &k->v[k->n++];

    v->key_id = xdup(id);
    v->status = status;
    v->upload_date = NOW - age;
    v->body = body;
}

/* ssh-users: every authorized user; devs: alice. alice's keys: Active,
 * Inactive, 100 days old, with options. */
static void
make_fetch(struct fetch *f)
{
    size_t i;

    memset(f, 0, sizeof(*f));
    f->users = calloc(NPEOPLE, sizeof(*f->users));
    f->authorized = calloc(NPEOPLE, sizeof(bool));
    f->keys = calloc(NPEOPLE, sizeof(*f->keys));
    f->groups = calloc(2, sizeof(*f->groups));
    assert_true(f->users && f->authorized && f->keys && f->groups);
    f->n_users = NPEOPLE;
    f->n_groups = 2;
    f->groups[0].name = xdup("ssh-users");
    f->groups[0].group_id = xdup("AGPASSH");
    f->groups[0].authorized = true;
    f->groups[1].name = xdup("devs");
    f->groups[1].group_id = xdup("AGPADEVS");
    f->groups[0].members = calloc(NPEOPLE, sizeof(size_t));
    f->groups[1].members = calloc(NPEOPLE, sizeof(size_t));
    for (i = 0; i < NPEOPLE; i++) {
        f->users[i].user_name = xdup(people[i].name);
        f->users[i].user_id = xdup(people[i].id);
        f->users[i].path = xdup("/");
        f->users[i].create_date = (time_t)(100 * (i + 1));
        f->authorized[i] = people[i].authorized;
        if (people[i].authorized)
            f->groups[0].members[f->groups[0].n_members++] = i;
        if (people[i].dev)
            f->groups[1].members[f->groups[1].n_members++] = i;
        f->keys[i].v = calloc(4, sizeof(struct fetch_key));
        assert_non_null(f->keys[i].v);
    }
    add_key(&f->keys[0], "APKA0", AWS_IAM_JSON_KEY_ACTIVE, DAY,
            key_line(0x11, ""));
    add_key(&f->keys[0], "APKA1", AWS_IAM_JSON_KEY_INACTIVE, DAY,
            key_line(0x22, ""));
    add_key(&f->keys[0], "APKA2", AWS_IAM_JSON_KEY_ACTIVE, 100 * DAY,
            key_line(0x33, ""));
    add_key(&f->keys[0], "APKA3", AWS_IAM_JSON_KEY_ACTIVE, DAY,
            key_line(0x44, "command=\"/bin/sh\" "));
}

static char *auth_list[] = { "ssh-users" }, *sudo_list[] = { "devs" };

static void
make_config(struct iam_config *cfg)
{
    assert_int_equal(iam_config_defaults(cfg), 0);
    cfg->iam_authorized_groups.v = auth_list;
    cfg->iam_authorized_groups.n = 1;
    cfg->sudoers_groups.v = sudo_list;
    cfg->sudoers_groups.n = 1;
    cfg->max_key_age_days = 30;
    cfg->key_lines[0] = 1; /* the first key's line: only its presence */
}

static void
release_config(struct iam_config *cfg)
{
    memset(&cfg->iam_authorized_groups, 0, sizeof(struct iam_strlist));
    memset(&cfg->sudoers_groups, 0, sizeof(struct iam_strlist));
    iam_config_free(cfg);
}

static int
setup(void **state)
{
    FILE *f;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/iam-explain-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", dir);
    snprintf(group_path, sizeof(group_path), "%s/group", dir);
    f = fopen(passwd_path, "we");
    if (!f)
        return -1;
    fputs("root:x:0:0::/root:/bin/sh\nlocaluser:x:1000:1000::/:/bin/sh\n", f);
    fclose(f);
    f = fopen(group_path, "we");
    if (!f)
        return -1;
    fputs("root:x:0:\nlocaluser:x:1000:\n", f);
    fclose(f);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(passwd_path);
    unlink(group_path);
    rmdir(dir);
    return 0;
}

/* Every step's text of the explanation of @name, one a line, with
 * "ok"/"NO"; @synced: the snapshot in place is the model's own. */
static char *
explain(const char *name, bool synced, struct explain *ex)
{
    static char text[EXPLAIN_MAX_STEPS * 340];
    struct iam_name_set local;
    struct iam_config cfg;
    struct state old;
    struct fetch f;
    struct model m;
    size_t i, len = 0;

    make_fetch(&f);
    make_config(&cfg);
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    memset(&old, 0, sizeof(old));
    if (synced) {
        assert_int_equal(model_build(&f, &cfg, &local, NOW, &m), 0);
        assert_int_equal(state_from_model(&m, &old), 0);
        old.exists = true;
        old.created = NOW - 60;
        model_free(&m);
    }
    memset(ex, 0, sizeof(*ex));
    ex->query = name;
    ex->config_path = "/etc/nss-iam.conf";
    ex->db_path = "/var/lib/nss-iam/passwd.mdb";
    ex->from_iam = true;
    ex->now = NOW;
    assert_int_equal(explain_walk(&f, &cfg, &local, &old, ex), 0);
    for (i = 0; i < ex->n_steps; i++)
        len +=
            (size_t)snprintf(text + len, sizeof(text) - len, "%s %s\n",
                             ex->steps[i].ok ? "ok" : "NO", ex->steps[i].text);
    state_free(&old);
    iam_name_set_free(&local);
    fetch_free(&f);
    release_config(&cfg);
    return text;
}

static void
has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no \"%s\" in:\n%s", want, text);
}

static void
test_admitted(void **state)
{
    struct explain ex;
    char *t = explain("alice", true, &ex);

    (void)state;
    has(t, "ok member of IAM group ssh-users\n");
    has(t, "ok admitted: member of an authorized group\n");
    has(t, "ok maps to alice: accepted\n");
    has(t, "ok APKA0: Active, 1 days old (limit 30): served, opens a login; "
           "in the snapshot\n");
    has(t, "NO APKA1: Inactive, 1 days old (limit 30): Inactive in IAM");
    has(t, "NO APKA2: Active, 100 days old (limit 30): older than "
           "MAX_KEY_AGE_DAYS: served as expired, opens nothing");
    has(t, "NO APKA3: Active, 1 days old (limit 30): refused: key options "
           "are not allowed; not in the snapshot yet\n");
    has(t, "ok yes: member of IAM group devs\n");
    has(t, "ok changes nothing for this user\n");
    assert_true(ex.can_log_in);
    assert_true(ex.in_snapshot);
    assert_false(ex.will_change);
}

static void
test_not_synced(void **state)
{
    struct explain ex;
    char *t = explain("alice", false, &ex);

    (void)state;
    has(t, "NO /var/lib/nss-iam/passwd.mdb: no snapshot yet\n");
    has(t, "NO adds this user\n");
    assert_false(ex.can_log_in);
    assert_true(ex.will_change);
}

static void
test_refusals(void **state)
{
    struct explain ex;

    (void)state;
    has(explain("x@y", true, &ex),
        "NO maps to x.at.y: refused: another IAM name maps to the same name "
        "(IAM user x.at.y maps to it too)\n");
    assert_false(ex.can_log_in);
    has(explain("root", true, &ex),
        "NO maps to root: refused: reserved system name\n");
    has(explain("localuser", true, &ex),
        "NO maps to localuser: refused: already a local user or group\n");
    has(explain("iam-sudo", true, &ex),
        "NO maps to iam-sudo: refused: the name of a configured group "
        "(SUDO_GROUP \"iam-sudo\")\n");
    has(explain("bob", true, &ex),
        "NO refused: in none of the authorized groups\n");
    assert_false(ex.can_log_in);
    has(explain("nobody-here", true, &ex),
        "NO no IAM user of that name, nor one whose name maps to it\n");
    assert_false(ex.found);
}

/* A POSIX name finds the IAM user it maps from. */
static void
test_posix_name(void **state)
{
    struct explain ex;

    (void)state;
    has(explain("x.at.y", true, &ex), "ok IAM user x.at.y (AIDAXATY2)");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admitted),
        cmocka_unit_test(test_not_synced),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_posix_name),
    };

    return cmocka_run_group_tests_name("explain", tests, setup, teardown);
}
