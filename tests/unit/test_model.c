/*
 * iam-sync's decisions without a network: what a fetched account becomes
 * (names, refusals, uids, groups, sudo, local groups, key states), and
 * what a change between two results looks like (sync/model.c, diff.c).
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

#include "diff.h"
#include "iam_id.h"
#include "model.h"
#include "state.h"

#define NOW 1764000000
#define DAY 86400

static char dir[64], passwd_path[128], group_path[128];

static struct aws_iam_json_user users[] = {
    { "alice", "AIDAALICE", NULL, "/", 100 },
    { "first.last@example.com", "AIDAFIRST", NULL, "/", 200 },
    { "x@y", "AIDAXATY1", NULL, "/", 300 },
    { "x.at.y", "AIDAXATY2", NULL, "/", 400 },
    { "root", "AIDAROOT", NULL, "/", 500 },
    { "localuser", "AIDALOCAL", NULL, "/", 600 },
    { "bob", "AIDABOB", NULL, "/", 700 }, /* in no authorized group */
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

static char key_line[4][160];

static void
make_line(int i, unsigned char fill, const char *prefix)
{
    unsigned char blob[51];
    char b64[80];
    int n;

    memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
    memset(blob + 19, fill, 32);
    n = EVP_EncodeBlock((unsigned char *)b64, blob, sizeof(blob));
    b64[n] = '\0';
    snprintf(key_line[i], sizeof(key_line[i]), "%sssh-ed25519 %s laptop",
             prefix, b64);
}

static int
setup(void **state)
{
    FILE *f;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/iam-model-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", dir);
    snprintf(group_path, sizeof(group_path), "%s/group", dir);
    f = fopen(passwd_path, "we");
    if (!f)
        return -1;
    fputs("root:x:0:0:root:/root:/bin/bash\n"
          "localuser:x:1000:1000::/home/localuser:/bin/sh\n",
          f);
    fclose(f);
    f = fopen(group_path, "we");
    if (!f)
        return -1;
    fputs("root:x:0:\nusers:x:100:\nlocaluser:x:1000:\n", f);
    fclose(f);
    make_line(0, 0x11, "");
    make_line(1, 0x22, "");
    make_line(2, 0x33, "");
    make_line(3, 0x44, "command=\"/bin/sh\" ");
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

static char *
xdup(const char *s)
{
    char *d = strdup(s);

    assert_non_null(d);
    return d;
}

/*
 * The account: ssh-users = everyone but bob; devs = alice. alice has an
 * Active key, an Inactive one, a 100-day-old one and one with options.
 */
static void
make_fetch(struct fetch *f, bool with_devs)
{
    size_t i;

    memset(f, 0, sizeof(*f));
    f->users = calloc(NUSERS, sizeof(*f->users));
    assert_non_null(f->users);
    for (i = 0; i < NUSERS; i++) {
        f->users[i].user_name = xdup(users[i].user_name);
        f->users[i].user_id = xdup(users[i].user_id);
        f->users[i].path = xdup("/");
        f->users[i].arn = xdup("arn:aws:iam::123456789012:user/x");
        f->users[i].create_date = users[i].create_date;
    }
    f->n_users = NUSERS;
    f->groups = calloc(2, sizeof(*f->groups));
    assert_non_null(f->groups);
    f->groups[0].name = xdup("ssh-users");
    f->groups[0].group_id = xdup("AGPASSH");
    f->groups[0].members = calloc(NUSERS, sizeof(size_t));
    for (i = 0; i + 1 < NUSERS; i++)
        f->groups[0].members[f->groups[0].n_members++] = i;
    f->groups[1].name = xdup("devs");
    f->groups[1].group_id = with_devs ? xdup("AGPADEVS") : NULL;
    f->groups[1].members = calloc(1, sizeof(size_t));
    f->groups[1].n_members = with_devs ? 1 : 0;
    f->n_groups = 2;
    f->authorized = calloc(NUSERS, sizeof(bool));
    for (i = 0; i + 1 < NUSERS; i++)
        f->authorized[i] = true;
    f->keys = calloc(NUSERS, sizeof(*f->keys));
    f->keys[0].v = calloc(4, sizeof(struct fetch_key));
    f->keys[0].n = 4;
    for (i = 0; i < 4; i++) {
        char id[16];

        snprintf(id, sizeof(id), "APKA%zu", i);
        f->keys[0].v[i].key_id = xdup(id);
        f->keys[0].v[i].body = xdup(key_line[i]);
        f->keys[0].v[i].upload_date = NOW - DAY;
        f->keys[0].v[i].status = AWS_IAM_JSON_KEY_ACTIVE;
    }
    f->keys[0].v[1].status = AWS_IAM_JSON_KEY_INACTIVE;
    f->keys[0].v[2].upload_date = NOW - 100 * DAY;
}

static void
make_config(struct iam_config *cfg)
{
    static char *auth[] = { "ssh-users" }, *sudo[] = { "devs" },
                *local[] = { "users" };

    assert_int_equal(iam_config_defaults(cfg), 0);
    cfg->iam_authorized_groups.v = auth;
    cfg->iam_authorized_groups.n = 1;
    cfg->sudoers_groups.v = sudo;
    cfg->sudoers_groups.n = 1;
    cfg->local_groups.v = local;
    cfg->local_groups.n = 1;
    cfg->max_key_age_days = 30;
}

static void
release_config(struct iam_config *cfg)
{
    memset(&cfg->iam_authorized_groups, 0, sizeof(struct iam_strlist));
    memset(&cfg->sudoers_groups, 0, sizeof(struct iam_strlist));
    memset(&cfg->local_groups, 0, sizeof(struct iam_strlist));
    iam_config_free(cfg);
}

static const struct model_user *
find_user(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_users; i++)
        if (strcmp(m->users[i].name, name) == 0)
            return &m->users[i];
    return NULL;
}

static const struct model_group *
find_group(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_groups; i++)
        if (strcmp(m->groups[i].name, name) == 0)
            return &m->groups[i];
    return NULL;
}

static void
build(bool with_devs, struct fetch *f, struct iam_config *cfg, struct model *m)
{
    struct iam_name_set local;

    make_fetch(f, with_devs);
    make_config(cfg);
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    assert_int_equal(model_build(f, cfg, &local, NOW, m), 0);
    iam_name_set_free(&local);
}

static void
test_names_and_refusals(void **state)
{
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    build(true, &f, &cfg, &m);
    /* root (reserved), localuser (local), x@y and x.at.y (ambiguous) */
    assert_int_equal(m.n_users, 2);
    assert_int_equal(m.refused_names, 4);
    assert_non_null(find_user(&m, "alice"));
    assert_non_null(find_user(&m, "first.last.at.example.com"));
    assert_null(find_user(&m, "bob"));
    assert_string_equal(m.account, "123456789012");
    assert_string_equal(find_user(&m, "alice")->home, "/home/alice");
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

/*
 * Ids follow the rule. The expected values are literals, computed apart
 * from the code under test (python3, hashlib):
 *   2000000000 + int.from_bytes(sha256(b"uid:AIDAALICE").digest()[:8],
 *                               "big") % 147483647
 * and the same for "gid:AGPASSH" and "gid:iam-sudo".
 */
static void
test_ids(void **state)
{
    const struct model_user *u;
    const struct model_group *g;
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    build(true, &f, &cfg, &m);
    assert_int_equal(cfg.uid_min, 2000000000);
    assert_int_equal(cfg.uid_max, 2147483646);
    u = find_user(&m, "alice");
    assert_non_null(u);
    assert_int_equal(u->uid, 2073828043);
    g = find_group(&m, "ssh-users");
    assert_non_null(g);
    assert_int_equal(g->gid, 2145565581);
    g = find_group(&m, "iam-sudo");
    assert_non_null(g);
    assert_int_equal(g->gid, 2106229339);
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

static void
test_groups_and_sudo(void **state)
{
    const struct model_user *alice, *first;
    const struct model_group *ssh, *devs, *sudo, *members;
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    build(true, &f, &cfg, &m);
    alice = find_user(&m, "alice");
    first = find_user(&m, "first.last.at.example.com");
    ssh = find_group(&m, "ssh-users");
    devs = find_group(&m, "devs");
    sudo = find_group(&m, "iam-sudo");
    members = find_group(&m, "iam-users");
    assert_non_null(devs);
    assert_non_null(members);
    assert_int_equal(ssh->n_members, 2);
    assert_int_equal(devs->n_members, 1);
    assert_int_equal(sudo->n_members, 1);
    assert_int_equal(members->n_members, 2);
    assert_true(alice->sudo);
    assert_false(first->sudo);
    /* alice: ssh-users, devs, iam-sudo, iam-users, then local "users" */
    assert_int_equal(alice->n_gids, 5);
    assert_int_equal(alice->gids[0], ssh->gid);
    assert_int_equal(alice->gids[1], devs->gid);
    assert_int_equal(alice->gids[2], sudo->gid);
    assert_int_equal(alice->gids[3], members->gid);
    assert_int_equal(alice->gids[4], 100);
    assert_int_equal(first->n_gids, 3);
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

static void
test_keys(void **state)
{
    const struct model_user *alice;
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    build(true, &f, &cfg, &m);
    alice = find_user(&m, "alice");
    /* the key with options is refused; three remain */
    assert_int_equal(alice->n_keys, 3);
    assert_int_equal(m.invalid_keys, 1);
    assert_int_equal(m.expired_keys, 1);
    assert_string_equal(alice->keys[0].line, key_line[0]);
    assert_int_equal(alice->keys[0].status, IAM_KEY_ACTIVE);
    assert_int_equal(alice->keys[1].status, IAM_KEY_INACTIVE);
    assert_int_equal(alice->keys[2].status, IAM_KEY_EXPIRED);
    assert_memory_equal(alice->keys[0].fingerprint, "SHA256:", 7);
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

/* devs deleted in IAM: alice loses sudo; the diff says so. */
static bool
has_gid(const struct model_user *u, uint32_t gid)
{
    uint32_t i;

    for (i = 0; i < u->n_gids; i++)
        if (u->gids[i] == gid)
            return true;
    return false;
}

/*
 * SHARED_ACCOUNTS and LOCAL_GROUP_MAP: devs = alice and bob, who is in no
 * authorized group. Only an account /etc/passwd has, other than root, is
 * served; the index holds the servable keys of devs' members, bob's too,
 * and not a key two of them uploaded; devs' served members get the mapped
 * gid.
 */
static void
test_shared_accounts(void **state)
{
    static const char maps[] =
        "SHARED_ACCOUNTS=\"localuser:devs;root:devs;ghost:devs\"\n"
        "LOCAL_GROUP_MAP=\"devs:localuser\"\n";
    const struct model_shared_key *k;
    struct iam_name_set local;
    struct iam_config cfg;
    struct fetch f;
    struct model m;
    char err[256];

    (void)state;
    make_fetch(&f, true);
    make_config(&cfg);
    assert_int_equal(iam_config_parse_buffer("t.conf", maps, strlen(maps), &cfg,
                                             err, sizeof(err)),
                     0);
    /* bob (6) joins devs with alice's Active key 0 and a key of his own
     * (alice's copy of it is too old to serve) */
    f.groups[1].members = realloc(f.groups[1].members, 2 * sizeof(size_t));
    assert_non_null(f.groups[1].members);
    f.groups[1].members[f.groups[1].n_members++] = 6;
    f.keys[6].v = calloc(2, sizeof(struct fetch_key));
    assert_non_null(f.keys[6].v);
    f.keys[6].n = 2;
    f.keys[6].v[0].key_id = xdup("APKABOB0");
    f.keys[6].v[0].body = xdup(key_line[0]);
    f.keys[6].v[1].key_id = xdup("APKABOB1");
    f.keys[6].v[1].body = xdup(key_line[2]);
    f.keys[6].v[0].upload_date = f.keys[6].v[1].upload_date = NOW - DAY;
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    assert_int_equal(model_build(&f, &cfg, &local, NOW, &m), 0);
    iam_name_set_free(&local);

    assert_int_equal(m.shared.n_accts, 1);
    assert_string_equal(m.shared.accts[0].name, "localuser");
    assert_int_equal(m.shared.accts[0].uid, 1000);
    assert_int_equal(m.shared.n_keys, 1);
    assert_int_equal(m.shared.ambiguous_keys, 1);
    k = &m.shared.keys[0];
    assert_string_equal(k->iam_name, "bob");
    assert_string_equal(k->key_id, "APKABOB1");
    assert_string_equal(k->line, key_line[2]);
    assert_int_equal(k->n_groups, 1);
    assert_string_equal(k->groups[0], "devs");
    /* bob is served no account of his own */
    assert_null(find_user(&m, "bob"));
    /* devs -> localuser (gid 1000): alice, not first.last */
    assert_true(has_gid(find_user(&m, "alice"), 1000));
    assert_false(has_gid(find_user(&m, "first.last.at.example.com"), 1000));
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

static void
test_diff(void **state)
{
    struct iam_config cfg1, cfg2;
    struct fetch f1, f2;
    struct model m1, m2;
    struct state s1, s2;
    struct diff_counts d;
    char out[2048] = "";
    FILE *mem;

    (void)state;
    build(true, &f1, &cfg1, &m1);
    build(false, &f2, &cfg2, &m2);
    free(f2.keys[0].v[1].body); /* a key whose body is gone: not served */
    f2.keys[0].v[1].body = NULL;
    model_free(&m2);
    {
        struct iam_name_set local;

        assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
        assert_int_equal(model_build(&f2, &cfg2, &local, NOW, &m2), 0);
        iam_name_set_free(&local);
    }
    assert_int_equal(state_from_model(&m1, &s1), 0);
    assert_int_equal(state_from_model(&m2, &s2), 0);
    mem = fmemopen(out, sizeof(out) - 1, "w");
    assert_non_null(mem);
    diff_states(&s1, &s2, mem, false, &d);
    fclose(mem);
    assert_int_equal(d.sudo_removed, 1);
    assert_int_equal(d.keys_removed, 1);
    assert_int_equal(d.users_removed, 0);
    assert_true(diff_changed(&d));
    assert_non_null(strstr(out, "- sudo alice\n"));
    assert_non_null(strstr(out, "- key APKA1 of alice SHA256:"));
    diff_states(&s1, &s1, NULL, false, &d);
    assert_false(diff_changed(&d));
    state_free(&s1);
    state_free(&s2);
    model_free(&m1);
    model_free(&m2);
    fetch_free(&f1);
    fetch_free(&f2);
    release_config(&cfg1);
    release_config(&cfg2);
}

/*
 * ---- the namespace rule against hostile names ----
 * Expected ids are literal numbers from python3's hashlib (the one-liners
 * of docs/uid-examples.md), not from iam_id.c:
 *   gid:iam-sudo 2106229339, try 1: 2124759090
 *   gid:iam-users 2015322112
 *   uid:AIDAALICE 2073828043, try 1: 2134626400
 */

/* A local name set from the given passwd and group texts. */
static void
load_local(const char *pw, const char *gr, struct iam_name_set *ret)
{
    char p[160], g[160];
    FILE *f;

    snprintf(p, sizeof(p), "%s/passwd.t", dir);
    snprintf(g, sizeof(g), "%s/group.t", dir);
    f = fopen(p, "we");
    assert_non_null(f);
    fputs(pw, f);
    fclose(f);
    f = fopen(g, "we");
    assert_non_null(f);
    fputs(gr, f);
    fclose(f);
    assert_int_equal(iam_name_set_load(p, g, ret), 0);
    unlink(p);
    unlink(g);
}

struct spec_group {
    const char *name, *id;
    unsigned members; /* bit i: user i */
};

/* A fetch of @nu users (name, UserId; CreateDate 100 * (i + 1)), all
 * authorized, and @ng groups. */
static void
make_fetch_of(struct fetch *f, const char *const (*u)[2], size_t nu,
              const struct spec_group *g, size_t ng)
{
    size_t i, k;

    memset(f, 0, sizeof(*f));
    f->users = calloc(nu, sizeof(*f->users));
    f->authorized = calloc(nu, sizeof(bool));
    f->keys = calloc(nu, sizeof(*f->keys));
    f->groups = calloc(ng, sizeof(*f->groups));
    assert_true(f->users && f->authorized && f->keys && f->groups);
    for (i = 0; i < nu; i++) {
        f->users[i].user_name = xdup(u[i][0]);
        f->users[i].user_id = xdup(u[i][1]);
        f->users[i].path = xdup("/");
        f->users[i].create_date = (int64_t)(100 * (i + 1));
        f->authorized[i] = true;
    }
    f->n_users = nu;
    for (i = 0; i < ng; i++) {
        f->groups[i].name = xdup(g[i].name);
        f->groups[i].group_id = xdup(g[i].id);
        f->groups[i].members = calloc(nu, sizeof(size_t));
        assert_non_null(f->groups[i].members);
        for (k = 0; k < nu; k++)
            if (g[i].members & (1u << k))
                f->groups[i].members[f->groups[i].n_members++] = k;
    }
    f->n_groups = ng;
}

static const char *const hostile_users[][2] = {
    { "alice", "AIDAALICE" },        /* 0: in devs, a SUDOERS_GROUPS group */
    { "iam-sudo", "AIDAIAMSUDO" },   /* 1: SUDO_GROUP's name */
    { "iam-users", "AIDAIAMUSERS" }, /* 2: MEMBER_GROUP's name */
    { "Deploy", "AIDADEPLOY" },      /* 3: local "deploy" */
    { "carol", "AIDACAROL" },        /* 4 */
    { "QA", "AIDAQA" },              /* 5: LOCAL_GROUPS "qa" (not local) */
    { "SSH-Users", "AIDASSHUSERS" }, /* 6: an IAM_AUTHORIZED_GROUPS group */
};
#define NHOSTILE (sizeof(hostile_users) / sizeof(hostile_users[0]))

static const struct spec_group hostile_groups[] = {
    { "ssh-users", "AGPASSH", 0x7f },
    { "devs", "AGPADEVS", 0x01 },
    { "iam-users", "AGPAIAMUSERS", 0x10 }, /* an authorized IAM group */
    { "Ops", "AGPAOPS", 0x10 },            /* local group "ops" */
};

static const char hostile_passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "deploy:x:1001:1001::/home/deploy:/bin/sh\n";
static const char hostile_group[] =
    "root:x:0:\nusers:x:100:\ndeploy:x:1001:\nops:x:1002:deploy\n";

static char *hostile_local_groups[] = { "users", "qa" };

static void
make_hostile_config(struct iam_config *cfg)
{
    make_config(cfg);
    cfg->local_groups.v = hostile_local_groups;
    cfg->local_groups.n = 2;
}

static void
build_hostile(const char *pw, const char *gr, struct fetch *f,
              struct iam_config *cfg, struct model *m, int want)
{
    struct iam_name_set local;

    make_fetch_of(f, hostile_users, NHOSTILE, hostile_groups, 4);
    make_hostile_config(cfg);
    load_local(pw, gr, &local);
    assert_int_equal(model_build(f, cfg, &local, NOW, m), want);
    iam_name_set_free(&local);
}

/* Issues: an IAM user or group named like SUDO_GROUP or MEMBER_GROUP,
 * or like a local name in another case, never takes its place. */
static void
test_configured_names_win(void **state)
{
    const struct model_group *sudo, *members, *ssh;
    const struct model_user *alice, *carol;
    struct iam_config cfg;
    struct fetch f;
    struct model m;
    size_t i;

    (void)state;
    build_hostile(hostile_passwd, hostile_group, &f, &cfg, &m, 0);
    /* iam-sudo, iam-users, Deploy, QA, SSH-Users refused; alice, carol
     * kept */
    assert_int_equal(m.n_users, 2);
    assert_int_equal(m.refused_names, 5);
    assert_null(find_user(&m, "SSH-Users"));
    assert_null(find_user(&m, "iam-sudo"));
    assert_null(find_user(&m, "iam-users"));
    assert_null(find_user(&m, "Deploy"));
    assert_null(find_user(&m, "QA"));
    alice = find_user(&m, "alice");
    carol = find_user(&m, "carol");
    assert_non_null(alice);
    assert_non_null(carol);
    /* ssh-users, devs, iam-sudo, iam-users; not the IAM iam-users or Ops */
    assert_int_equal(m.n_groups, 4);
    sudo = find_group(&m, "iam-sudo");
    members = find_group(&m, "iam-users");
    ssh = find_group(&m, "ssh-users");
    assert_non_null(sudo);
    assert_non_null(members);
    assert_null(find_group(&m, "Ops"));
    assert_int_equal(ssh->kind, IAM_GROUP_IAM);
    assert_int_equal(ssh->n_members, 2);
    assert_int_equal(sudo->kind, IAM_GROUP_SUDO);
    assert_int_equal(sudo->gid, 2106229339u);
    assert_int_equal(sudo->n_members, 1);
    assert_ptr_equal(&m.users[sudo->members[0]], alice);
    assert_int_equal(members->kind, IAM_GROUP_MEMBER);
    assert_int_equal(members->gid, 2015322112u);
    assert_int_equal(members->n_members, 2);
    assert_true(alice->sudo);
    assert_false(carol->sudo);
    /* carol, in the refused IAM groups iam-users and Ops, keeps the
     * others: ssh-users, iam-users (MEMBER_GROUP), local users (100) */
    assert_int_equal(carol->n_gids, 3);
    assert_int_equal(carol->gids[0], ssh->gid);
    assert_int_equal(carol->gids[1], 2015322112u);
    assert_int_equal(carol->gids[2], 100);
    for (i = 0; i < carol->n_gids; i++)
        assert_int_not_equal(carol->gids[i], 1002); /* local ops */
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

/* The naming verdict iam-sync uses to skip key calls says the same. */
static void
test_name_status_configured(void **state)
{
    struct iam_name_set local;
    struct iam_config cfg;
    struct fetch f;
    int status[NHOSTILE];

    (void)state;
    make_fetch_of(&f, hostile_users, NHOSTILE, hostile_groups, 4);
    make_hostile_config(&cfg);
    load_local(hostile_passwd, hostile_group, &local);
    assert_int_equal(model_name_status(&f, &cfg, &local, status), 0);
    assert_int_equal(status[0], 0);
    assert_int_equal(status[1], -EADDRINUSE);
    assert_int_equal(status[2], -EADDRINUSE);
    assert_int_equal(status[3], -EEXIST);
    assert_int_equal(status[4], 0);
    assert_int_equal(status[5], -EADDRINUSE);
    assert_int_equal(status[6], -EADDRINUSE);
    iam_name_set_free(&local);
    fetch_free(&f);
    release_config(&cfg);
}

/* SUDO_GROUP that can be neither local nor served: nothing published. */
static void
test_synthesized_refused(void **state)
{
    const struct model_user *alice;
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    /* a local group "IAM-SUDO": sudo's %iam-sudo would match it too */
    build_hostile(hostile_passwd, "root:x:0:\nIAM-SUDO:x:1005:\n", &f, &cfg, &m,
                  -EADDRINUSE);
    fetch_free(&f);
    release_config(&cfg);
    /* a local user "iam-users" (one namespace for users and groups) */
    build_hostile("iam-users:x:1006:1006::/:/bin/sh\n", "root:x:0:\n", &f, &cfg,
                  &m, -EADDRINUSE);
    fetch_free(&f);
    release_config(&cfg);
    /* the local group of that name is gid 0 */
    build_hostile(hostile_passwd, "iam-sudo:x:0:\n", &f, &cfg, &m, -EADDRINUSE);
    fetch_free(&f);
    release_config(&cfg);
    /* the local group of exactly that name is used as it is */
    build_hostile(hostile_passwd, "root:x:0:\niam-sudo:x:27:\n", &f, &cfg, &m,
                  0);
    assert_null(find_group(&m, "iam-sudo"));
    alice = find_user(&m, "alice");
    assert_int_equal(alice->gids[alice->n_gids - 1], 27);
    assert_null(find_user(&m, "iam-sudo")); /* still refused */
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

/* Local uids and gids are taken: alice and iam-sudo move to try 1. */
static void
test_local_ids_taken(void **state)
{
    struct iam_name_set local;
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    make_fetch(&f, true);
    make_config(&cfg);
    load_local("root:x:0:0::/:/bin/sh\n"
               "legacy:x:2073828043:100::/home/legacy:/bin/sh\n",
               "root:x:0:\nusers:x:100:\nold:x:2106229339:\n", &local);
    assert_int_equal(model_build(&f, &cfg, &local, NOW, &m), 0);
    assert_int_equal(find_user(&m, "alice")->uid, 2134626400u);
    assert_int_equal(find_group(&m, "iam-sudo")->gid, 2124759090u);
    iam_name_set_free(&local);
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
    /* the same account without those local ids: the first tries */
    build(true, &f, &cfg, &m);
    assert_int_equal(find_user(&m, "alice")->uid, 2073828043u);
    assert_int_equal(find_group(&m, "iam-sudo")->gid, 2106229339u);
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

/* A member listed twice gets its gid once (no overrun of the list). */
static void
test_duplicate_members(void **state)
{
    const struct model_user *alice;
    struct iam_name_set local;
    struct iam_config cfg;
    struct fetch f;
    struct model m;
    size_t *grown;

    (void)state;
    make_fetch(&f, true);
    grown = realloc(f.groups[0].members, (NUSERS + 3) * sizeof(size_t));
    assert_non_null(grown);
    f.groups[0].members = grown;
    f.groups[0].members[f.groups[0].n_members++] = 0;
    f.groups[0].members[f.groups[0].n_members++] = 0;
    grown = realloc(f.groups[1].members, 3 * sizeof(size_t));
    assert_non_null(grown);
    f.groups[1].members = grown;
    f.groups[1].members[f.groups[1].n_members++] = 0;
    f.groups[1].members[f.groups[1].n_members++] = 0;
    make_config(&cfg);
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    assert_int_equal(model_build(&f, &cfg, &local, NOW, &m), 0);
    alice = find_user(&m, "alice");
    assert_int_equal(alice->n_gids, 5);
    assert_int_equal(find_group(&m, "ssh-users")->n_members, 2);
    assert_int_equal(find_group(&m, "devs")->n_members, 1);
    iam_name_set_free(&local);
    model_free(&m);
    fetch_free(&f);
    release_config(&cfg);
}

/*
 * The trail of user @who agrees with the model it was recorded in: served
 * exactly when the model serves the name, with the model's uid, sudo and
 * key states. Returns the model (free it, and the trail).
 */
static void
traced(const struct fetch *f, const struct iam_config *cfg,
       const struct iam_name_set *local, size_t who, struct model_trail *t,
       struct model *m)
{
    const struct model_user *u;
    size_t i, k = 0;

    memset(t, 0, sizeof(*t));
    t->who = who;
    assert_int_equal(model_build_traced(f, cfg, local, NOW, t, m), 0);
    u = t->name[0] ? find_user(m, t->name) : NULL;
    if (t->index < 0) {
        assert_true(!u || u->src != &f->users[who]);
        assert_true(t->name_status != 0 || !t->authorized);
        return;
    }
    assert_ptr_equal(u, &m->users[t->index]);
    assert_int_equal(t->name_status, 0);
    assert_true(t->authorized);
    assert_int_equal(t->uid, u->uid);
    assert_int_equal(t->sudo_by != NULL, u->sudo);
    for (i = 0; i < t->n_keys; i++) {
        if (t->keys[i].verdict == MODEL_KEY_INVALID ||
            t->keys[i].verdict == MODEL_KEY_NO_BODY)
            continue;
        assert_true(k < u->n_keys);
        assert_string_equal(u->keys[k].key_id, t->keys[i].src->key_id);
        assert_int_equal(u->keys[k].status,
                         t->keys[i].verdict == MODEL_KEY_ACTIVE ? IAM_KEY_ACTIVE
                         : t->keys[i].verdict == MODEL_KEY_INACTIVE
                             ? IAM_KEY_INACTIVE
                             : IAM_KEY_EXPIRED);
        k++;
    }
    assert_int_equal(k, u->n_keys);
}

static void
trace_one(const struct fetch *f, const struct iam_config *cfg,
          const struct iam_name_set *local, size_t who, struct model_trail *t)
{
    struct model m;

    traced(f, cfg, local, who, t, &m);
    model_free(&m);
}

/* Each refusal, as model_build() recorded it for --explain. */
static void
test_trail_reasons(void **state)
{
    struct iam_name_set local;
    struct iam_config cfg;
    struct model_trail t;
    struct fetch f;

    (void)state;
    make_fetch(&f, true);
    make_config(&cfg);
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    trace_one(&f, &cfg, &local, 0, &t); /* alice */
    assert_true(t.index >= 0);
    assert_string_equal(t.sudo_by, "devs");
    assert_int_equal(t.n_keys, 4);
    assert_int_equal(t.keys[0].verdict, MODEL_KEY_ACTIVE);
    assert_int_equal(t.keys[1].verdict, MODEL_KEY_INACTIVE);
    assert_int_equal(t.keys[2].verdict, MODEL_KEY_EXPIRED);
    assert_int_equal(t.keys[3].verdict, MODEL_KEY_INVALID);
    assert_int_equal(t.keys[3].reason, IAM_KEYLINE_E_OPTIONS);
    model_trail_free(&t);
    trace_one(&f, &cfg, &local, 2, &t); /* x@y */
    assert_int_equal(t.name_status, -ENOTUNIQ);
    assert_string_equal(t.clash_with, "x.at.y");
    model_trail_free(&t);
    trace_one(&f, &cfg, &local, 4, &t); /* root */
    assert_int_equal(t.name_status, -EPERM);
    model_trail_free(&t);
    trace_one(&f, &cfg, &local, 5, &t); /* localuser */
    assert_int_equal(t.name_status, -EEXIST);
    model_trail_free(&t);
    trace_one(&f, &cfg, &local, 6, &t); /* bob */
    assert_false(t.authorized);
    assert_int_equal(t.index, -1);
    model_trail_free(&t);
    iam_name_set_free(&local);
    fetch_free(&f);
    release_config(&cfg);
}

/* A configured group's name: which setting claims it. */
static void
test_trail_configured(void **state)
{
    static const char *const want[][3] = {
        { "iam-sudo", "SUDO_GROUP", "iam-sudo" },
        { "iam-users", "MEMBER_GROUP", "iam-users" },
        { "QA", "LOCAL_GROUPS", "qa" },
        { "SSH-Users", "IAM_AUTHORIZED_GROUPS", "ssh-users" },
    };
    static const size_t who[] = { 1, 2, 5, 6 };
    struct iam_name_set local;
    struct iam_config cfg;
    struct model_trail t;
    struct fetch f;
    size_t i;

    (void)state;
    make_fetch_of(&f, hostile_users, NHOSTILE, hostile_groups, 4);
    make_hostile_config(&cfg);
    load_local(hostile_passwd, hostile_group, &local);
    for (i = 0; i < 4; i++) {
        trace_one(&f, &cfg, &local, who[i], &t);
        assert_int_equal(t.name_status, -EADDRINUSE);
        assert_string_equal(t.clash_key, want[i][1]);
        assert_string_equal(t.clash_with, want[i][2]);
        model_trail_free(&t);
    }
    trace_one(&f, &cfg, &local, 3, &t); /* Deploy, local deploy */
    assert_int_equal(t.name_status, -EEXIST);
    model_trail_free(&t);
    iam_name_set_free(&local);
    fetch_free(&f);
    release_config(&cfg);
}

/*
 * Each rule's input changed: the trail and the model change together
 * (traced() checks they agree; here, that both moved).
 */
static void
test_trail_follows_model(void **state)
{
    struct iam_name_set local, clash;
    struct iam_config cfg;
    struct model_trail t;
    struct fetch f;
    struct model m;
    uint32_t was;

    (void)state;
    make_fetch(&f, true);
    make_config(&cfg);
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    /* MAX_KEY_AGE_DAYS off: the old key is Active in both */
    cfg.max_key_age_days = 0;
    traced(&f, &cfg, &local, 0, &t, &m);
    assert_int_equal(t.keys[2].verdict, MODEL_KEY_ACTIVE);
    assert_int_equal(find_user(&m, "alice")->keys[2].status, IAM_KEY_ACTIVE);
    was = t.uid;
    model_free(&m);
    model_trail_free(&t);
    cfg.max_key_age_days = 30;
    /* devs is no longer a SUDOERS_GROUPS group: no sudo in both */
    cfg.sudoers_groups.n = 0;
    traced(&f, &cfg, &local, 0, &t, &m);
    assert_null(t.sudo_by);
    assert_false(find_user(&m, "alice")->sudo);
    model_free(&m);
    model_trail_free(&t);
    cfg.sudoers_groups.n = 1;
    /* alice's first uid is a local account's: moved in both */
    load_local("root:x:0:0::/:/bin/sh\nlegacy:x:2073828043:0::/:/bin/sh\n",
               "root:x:0:\nusers:x:100:\n", &clash);
    traced(&f, &cfg, &clash, 0, &t, &m);
    assert_int_equal(t.first_uid, was);
    assert_true(t.uid_tries > 0 && t.uid != was);
    assert_null(t.uid_with);
    model_free(&m);
    model_trail_free(&t);
    iam_name_set_free(&clash);
    /* a local "alice": refused in both */
    load_local("alice:x:1000:1000::/:/bin/sh\n", "users:x:100:\n", &clash);
    traced(&f, &cfg, &clash, 0, &t, &m);
    assert_int_equal(t.name_status, -EEXIST);
    assert_null(find_user(&m, "alice"));
    model_free(&m);
    model_trail_free(&t);
    iam_name_set_free(&clash);
    /* out of the authorized group: not served in both */
    f.authorized[0] = false;
    traced(&f, &cfg, &local, 0, &t, &m);
    assert_false(t.authorized);
    assert_null(find_user(&m, "alice"));
    model_free(&m);
    model_trail_free(&t);
    iam_name_set_free(&local);
    fetch_free(&f);
    release_config(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_refusals),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_groups_and_sudo),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_shared_accounts),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_configured_names_win),
        cmocka_unit_test(test_name_status_configured),
        cmocka_unit_test(test_synthesized_refused),
        cmocka_unit_test(test_local_ids_taken),
        cmocka_unit_test(test_duplicate_members),
        cmocka_unit_test(test_trail_reasons),
        cmocka_unit_test(test_trail_configured),
        cmocka_unit_test(test_trail_follows_model),
    };

    return cmocka_run_group_tests_name("model", tests, setup, teardown);
}
