#include "fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iam_db_write.h"

uint32_t
fixture_uid(unsigned i)
{
    return FIXTURE_UID_MIN + 1 + i * 7;
}

void
fixture_name(unsigned i, char *buf)
{
    snprintf(buf, 16, "user%05u", i);
}

static int
put_one_user(struct iam_db_writer *w, unsigned i, unsigned generation)
{
    char name[16], gecos[64], home[64], iam_id[32], kid[2][32], line[2][64];
    struct iam_key_rec keys[2];
    uint32_t gids[4];
    uint32_t ngids = 0;
    struct iam_user_rec u;
    int r, k;

    fixture_name(i, name);
    snprintf(gecos, sizeof(gecos), "%s@example.com,gen%u", name, generation);
    snprintf(home, sizeof(home), "/home/%s", name);
    snprintf(iam_id, sizeof(iam_id), "AIDAFIXTURE%09u", i);
    memset(&u, 0, sizeof(u));
    u.uid = u.gid = fixture_uid(i);
    u.name = iam_str_of(name);
    u.gecos = iam_str_of(gecos);
    u.home = iam_str_of(home);
    u.shell = iam_str_of("/bin/bash");
    u.iam_name = iam_str_of(name);
    u.iam_id = iam_str_of(iam_id);
    r = iam_db_writer_put_user(w, &u);
    if (r < 0)
        return r;
    r = iam_db_writer_put_group(w, u.uid, name, IAM_GROUP_PRIVATE, NULL, 0);
    if (r < 0)
        return r;
    if (i % 3 == 0) {
        gids[ngids++] = FIXTURE_GID_ADMINS;
        gids[ngids++] = FIXTURE_GID_SUDO;
    }
    gids[ngids++] = FIXTURE_GID_MEMBERS;
    gids[ngids++] = FIXTURE_GID_LOCAL;
    r = iam_db_writer_put_user_gids(w, name, gids, ngids);
    if (r < 0)
        return r;
    for (k = 0; k < 2; k++) {
        snprintf(kid[k], sizeof(kid[k]), "APKAFIXTURE%05u%u", i, k);
        snprintf(line[k], sizeof(line[k]), "ssh-ed25519 AAAAfixture%u%u", i, k);
        keys[k].key_id = iam_str_of(kid[k]);
        keys[k].line = iam_str_of(line[k]);
        keys[k].fingerprint = iam_str_of("SHA256:fixture");
        keys[k].status = k == 0 ? IAM_KEY_ACTIVE : IAM_KEY_INACTIVE;
        keys[k].upload_date = 1700000000;
    }
    return iam_db_writer_put_user_keys(w, name, keys, 2);
}

/* A user name, in an array of them. */
typedef char name16[16];

/* The three shared groups, with their members listed. */
static int
put_shared_groups(struct iam_db_writer *w, unsigned n)
{
    struct iam_str *all, *admins;
    name16 *names;
    uint32_t nadm = 0;
    unsigned i;
    int r;

    names = calloc(n ? n : 1, sizeof(*names));
    all = calloc(n ? n : 1, sizeof(*all));
    admins = calloc(n ? n : 1, sizeof(*admins));
    r = (!names || !all || !admins) ? -ENOMEM : 0;
    for (i = 0; r == 0 && i < n; i++) {
        fixture_name(i, names[i]);
        all[i] = iam_str_of(names[i]);
        if (i % 3 == 0)
            admins[nadm++] = all[i];
    }
    if (r == 0)
        r = iam_db_writer_put_group(w, FIXTURE_GID_ADMINS, "admins",
                                    IAM_GROUP_IAM, admins, nadm);
    if (r == 0)
        r = iam_db_writer_put_group(w, FIXTURE_GID_SUDO, "iam-sudo",
                                    IAM_GROUP_SUDO, admins, nadm);
    if (r == 0)
        r = iam_db_writer_put_group(w, FIXTURE_GID_MEMBERS, "iam-users",
                                    IAM_GROUP_MEMBER, all, n);
    free(names);
    free(all);
    free(admins);
    return r;
}

int
fixture_snapshot(const char *path, unsigned n, unsigned generation)
{
    return fixture_snapshot_on(path, n, generation, NULL);
}

int
fixture_snapshot_on(const char *path, unsigned n, unsigned generation,
                    const char *instance)
{
    struct iam_db_writer *w;
    struct iam_meta_rec meta;
    unsigned i;
    int r;

    r = iam_db_writer_open(path, &w);
    if (r < 0)
        return r;
    for (i = 0; r == 0 && i < n; i++)
        r = put_one_user(w, i, generation);
    if (r == 0)
        r = put_shared_groups(w, n);
    memset(&meta, 0, sizeof(meta));
    meta.created = time(NULL);
    meta.uid_min = FIXTURE_UID_MIN;
    meta.uid_max = FIXTURE_UID_MAX;
    meta.users = n;
    meta.groups = n + 3;
    meta.keys = 2 * n;
    meta.account = iam_str_of("123456789012");
    meta.source = iam_str_of("fixture");
    meta.instance = iam_str_of(instance);
    if (r == 0)
        r = iam_db_writer_seal(w, &meta);
    if (r < 0) {
        iam_db_writer_abort(w);
        return r;
    }
    return iam_db_writer_publish(w);
}

const struct fixture_outlaw fixture_outlaw_users[] = {
    { "iamroot", 0, 0 },                   /* uid 0 */
    { "iamgid0", FIXTURE_UID_MIN + 8, 0 }, /* gid 0 */
    { "iamlow", 1000, 1000 },              /* a system id */
    { "iambelow", FIXTURE_UID_MIN - 1, FIXTURE_UID_MIN - 1 },
    { "iamabove", FIXTURE_UID_MAX + 1, FIXTURE_UID_MAX + 1 },
    { "iamgidout", FIXTURE_UID_MIN + 15, FIXTURE_UID_MAX + 1 },
};
const unsigned fixture_n_outlaw_users =
    sizeof(fixture_outlaw_users) / sizeof(fixture_outlaw_users[0]);

/* uid unused: a group has a gid only. */
const struct fixture_outlaw fixture_outlaw_groups[] = {
    { "iamwheel", 0, 0 },
    { "iamlowgrp", 0, 1000 },
    { "iamabovegrp", 0, FIXTURE_UID_MAX + 1 },
};
const unsigned fixture_n_outlaw_groups =
    sizeof(fixture_outlaw_groups) / sizeof(fixture_outlaw_groups[0]);

static int
put_user(struct iam_db_writer *w, const char *name, uint32_t uid, uint32_t gid)
{
    struct iam_user_rec u;

    memset(&u, 0, sizeof(u));
    u.uid = uid;
    u.gid = gid;
    u.name = iam_str_of(name);
    u.gecos = iam_str_of(name);
    u.home = iam_str_of("/home/x");
    u.shell = iam_str_of("/bin/bash");
    u.iam_name = iam_str_of(name);
    u.iam_id = iam_str_of("AIDAOUTLAW");
    return iam_db_writer_put_user(w, &u);
}

static int
put_outlaws(struct iam_db_writer *w)
{
    struct iam_str member = iam_str_of(FIXTURE_GOOD_NAME);
    unsigned i;
    int r;

    r = put_user(w, FIXTURE_GOOD_NAME, FIXTURE_GOOD_UID, FIXTURE_GOOD_UID);
    if (r == 0)
        r = iam_db_writer_put_group(w, FIXTURE_GOOD_UID, FIXTURE_GOOD_NAME,
                                    IAM_GROUP_PRIVATE, NULL, 0);
    for (i = 0; r == 0 && i < fixture_n_outlaw_users; i++)
        r = put_user(w, fixture_outlaw_users[i].name,
                     fixture_outlaw_users[i].uid, fixture_outlaw_users[i].gid);
    for (i = 0; r == 0 && i < fixture_n_outlaw_groups; i++)
        r = iam_db_writer_put_group(w, fixture_outlaw_groups[i].gid,
                                    fixture_outlaw_groups[i].name,
                                    IAM_GROUP_IAM, &member, 1);
    return r;
}

int
fixture_outlaws(const char *path)
{
    struct iam_db_writer *w;
    struct iam_meta_rec meta;
    int r;

    r = iam_db_writer_open(path, &w);
    if (r < 0)
        return r;
    r = put_outlaws(w);
    memset(&meta, 0, sizeof(meta));
    meta.created = time(NULL);
    meta.uid_min = FIXTURE_UID_MIN;
    meta.uid_max = FIXTURE_UID_MAX;
    meta.users = 1 + fixture_n_outlaw_users;
    meta.groups = 1 + fixture_n_outlaw_groups;
    meta.account = iam_str_of("123456789012");
    meta.source = iam_str_of("fixture");
    if (r == 0)
        r = iam_db_writer_seal(w, &meta);
    if (r < 0) {
        iam_db_writer_abort(w);
        return r;
    }
    return iam_db_writer_publish(w);
}
