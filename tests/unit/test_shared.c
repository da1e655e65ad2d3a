/*
 * Shared accounts and mapped groups: the SHARED_ACCOUNTS and
 * LOCAL_GROUP_MAP parser (lib/iam_config.c, every error with its file and
 * line), the shared records and the fingerprint index of the snapshot
 * (lib/snapshot/, lib/iam_db_write.c), and the keys command's answer for
 * a shared account (keys_cmd/keys.c).
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

#include "iam_config.h"
#include "iam_db_write.h"
#include "iam_keyline.h"
#include "keys.h"

#define NOW 1764000000
#define EC2_USER_UID 1000u

static char dir[64], path[128];
static char b64[4][80];
static char line[4][160];
static char fp[4][IAM_KEYLINE_FP_SIZE];

/* ---- the maps in the configuration ---- */

static int
parse(struct iam_config *cfg, const char *text, char *err, size_t len)
{
    assert_int_equal(iam_config_defaults(cfg), 0);
    return iam_config_parse_buffer("t.conf", text, strlen(text), cfg, err, len);
}

static void
test_map_parse(void **state)
{
    struct iam_config cfg;
    char err[512];

    (void)state;
    assert_int_equal(parse(&cfg,
                           "# shared logins\n"
                           "SHARED_ACCOUNTS=\"ec2-user:ssh-ops, ssh-admins ;"
                           "deploy:deployers\"\n"
                           "LOCAL_GROUP_MAP='ssh-ops:docker,adm;"
                           "deployers:www-data;'\n",
                           err, sizeof(err)),
                     0);
    assert_int_equal(cfg.shared_accounts.n, 2);
    assert_string_equal(cfg.shared_accounts.v[0].left, "ec2-user");
    assert_int_equal(cfg.shared_accounts.v[0].right.n, 2);
    assert_string_equal(cfg.shared_accounts.v[0].right.v[0], "ssh-ops");
    assert_string_equal(cfg.shared_accounts.v[0].right.v[1], "ssh-admins");
    assert_string_equal(cfg.shared_accounts.v[1].left, "deploy");
    assert_string_equal(cfg.shared_accounts.v[1].right.v[0], "deployers");
    /* where the run-time messages point */
    assert_string_equal(cfg.shared_accounts.where, "t.conf:2");
    assert_int_equal(cfg.local_group_map.n, 2);
    assert_string_equal(cfg.local_group_map.v[0].left, "ssh-ops");
    assert_string_equal(cfg.local_group_map.v[0].right.v[1], "adm");
    assert_string_equal(cfg.local_group_map.v[1].right.v[0], "www-data");
    assert_string_equal(cfg.local_group_map.where, "t.conf:3");
    iam_config_free(&cfg);

    /* empty means none */
    assert_int_equal(parse(&cfg, "SHARED_ACCOUNTS=\"\"\n", err, sizeof(err)),
                     0);
    assert_int_equal(cfg.shared_accounts.n, 0);
    iam_config_free(&cfg);
}

/* Each bad value: the message, with file and line, in full. */
static void
test_map_errors(void **state)
{
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        { "\nSHARED_ACCOUNTS=ec2-user\n",
          "t.conf:2: SHARED_ACCOUNTS: \"ec2-user\" is not "
          "NAME:GROUP[,GROUP...]" },
        { "SHARED_ACCOUNTS=\"a:b:c\"\n",
          "t.conf:1: SHARED_ACCOUNTS: \"a:b:c\" is not "
          "NAME:GROUP[,GROUP...]" },
        { "SHARED_ACCOUNTS=\"ec2-user:\"\n",
          "t.conf:1: SHARED_ACCOUNTS: ec2-user maps to nothing" },
        { "SHARED_ACCOUNTS=\"ec2-user:ops;;deploy:d\"\n",
          "t.conf:1: SHARED_ACCOUNTS: empty entry (look for \";;\")" },
        { "SHARED_ACCOUNTS=\"ec2-user:ops;ec2-user:dev\"\n",
          "t.conf:1: SHARED_ACCOUNTS: ec2-user is mapped twice (join its "
          "lists)" },
        { "SHARED_ACCOUNTS=\"ec2-user:ops,bad/group\"\n",
          "t.conf:1: SHARED_ACCOUNTS: \"bad/group\" is not a valid IAM "
          "group name (1 to 128 letters, digits or +=,.@_-)" },
        { "SHARED_ACCOUNTS=\"9lives:ops\"\n",
          "t.conf:1: SHARED_ACCOUNTS: \"9lives\" is not a valid user name "
          "(up to 32 letters, digits, '_', '.' or '-', starting with a "
          "letter or '_')" },
        { "SHARED_ACCOUNTS=\"ec2-user:ops,,dev\"\n",
          "t.conf:1: SHARED_ACCOUNTS: empty entry in the list (look for "
          "\",,\" or a ',' at either end)" },
        { "LOCAL_GROUP_MAP=\"ops:docker,Bad Group\"\n",
          "t.conf:1: LOCAL_GROUP_MAP: \"Bad Group\" is not a valid group "
          "name (up to 32 letters, digits, '_', '.' or '-', starting with "
          "a letter or '_')" },
        { "LOCAL_GROUP_MAP=\"o/ps:docker\"\n",
          "t.conf:1: LOCAL_GROUP_MAP: \"o/ps\" is not a valid IAM group "
          "name (1 to 128 letters, digits or +=,.@_-)" },
    };
    struct iam_config cfg;
    char err[512];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(&cfg, cases[i].text, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, cases[i].err);
        /* the failed line left no partial map behind */
        assert_int_equal(cfg.shared_accounts.n, 0);
        iam_config_free(&cfg);
    }
}

/* ---- a snapshot with shared records ---- */

static void
make_key(int i, unsigned char fill)
{
    unsigned char blob[4 + 11 + 4 + 32];
    int n;

    memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
    memset(blob + 19, fill, 32);
    n = EVP_EncodeBlock((unsigned char *)b64[i], blob, sizeof(blob));
    b64[i][n] = '\0';
    snprintf(line[i], sizeof(line[i]), "ssh-ed25519 %.79s", b64[i]);
    assert_int_equal(iam_keyline_fingerprint(b64[i], strlen(b64[i]), fp[i]), 0);
}

static int
put_key(struct iam_db_writer *w, int i, const char *iam_name,
        const char *key_id, const char *group)
{
    struct iam_shared_key_rec k;
    struct iam_str g = iam_str_of(group);

    memset(&k, 0, sizeof(k));
    k.iam_name = iam_str_of(iam_name);
    k.key_id = iam_str_of(key_id);
    k.line = iam_str_of(line[i]);
    k.fingerprint = iam_str_of(fp[i]);
    k.upload_date = NOW - 86400;
    return iam_db_writer_put_shared_key(w, &k, &g, 1);
}

static int
setup(void **state)
{
    struct iam_str groups[2] = { iam_str_of("ssh-ops"),
                                 iam_str_of("ssh-admins") };
    struct iam_str deployers = iam_str_of("deployers");
    struct iam_db_writer *w;
    struct iam_meta_rec m;
    int i, r;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/iam-shared-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/passwd.mdb", dir);
    for (i = 0; i < 4; i++)
        make_key(i, (unsigned char)(0x21 * (i + 1)));
    r = iam_db_writer_open(path, &w);
    if (r < 0)
        return -1;
    r = iam_db_writer_put_shared_acct(w, "ec2-user", EC2_USER_UID, groups, 2);
    if (r == 0)
        r = iam_db_writer_put_shared_acct(w, "deploy", 1001, &deployers, 1);
    if (r == 0)
        r = put_key(w, 0, "alice", "APKAALICE", "ssh-ops");
    if (r == 0)
        r = put_key(w, 1, "carol", "APKACAROL", "deployers");
    /* one fingerprint, one entry */
    if (r == 0 && put_key(w, 0, "mallory", "APKAM", "ssh-ops") != -EEXIST)
        r = -1;
    memset(&m, 0, sizeof(m));
    m.uid_min = 2000000000;
    m.uid_max = 2147483646;
    if (r == 0)
        r = iam_db_writer_seal(w, &m);
    if (r < 0) {
        iam_db_writer_abort(w);
        return -1;
    }
    return iam_db_writer_publish(w) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void
test_index_lookup(void **state)
{
    struct iam_shared_acct_rec a;
    struct iam_shared_key_rec k;
    struct iam_db_txn t;
    struct iam_db *db;
    struct iam_str s;

    (void)state;
    assert_int_equal(iam_db_open(path, &db), 0);
    assert_int_equal(iam_db_begin(db, &t), 0);
    assert_int_equal(iam_db_shared_key(&t, fp[0], &k), 0);
    assert_true(iam_str_eq(k.iam_name, "alice"));
    assert_true(iam_str_eq(k.key_id, "APKAALICE"));
    assert_true(iam_str_eq(k.line, line[0]));
    assert_true(iam_str_eq(k.fingerprint, fp[0]));
    assert_int_equal(k.upload_date, NOW - 86400);
    assert_int_equal(k.ngroups, 1);
    assert_int_equal(iam_rec_str_next(&k.groups, &s), 1);
    assert_true(iam_str_eq(s, "ssh-ops"));
    assert_int_equal(iam_rec_str_next(&k.groups, &s), 0);
    /* a key nobody uploaded, and no key at all */
    assert_int_equal(iam_db_shared_key(&t, fp[3], &k), -ESRCH);
    assert_int_equal(iam_db_shared_key(&t, "", &k), -ESRCH);
    assert_int_equal(iam_db_shared_acct(&t, "ec2-user", &a), 0);
    assert_int_equal(a.uid, EC2_USER_UID);
    assert_int_equal(a.ngroups, 2);
    assert_int_equal(iam_db_shared_acct(&t, "root", &a), -ESRCH);
    /* the walk iam-sync does to reuse the bodies: both, in byte order */
    assert_int_equal(iam_db_shared_key_next(&t, "", &k), 0);
    assert_true(
        iam_str_eq(k.fingerprint, strcmp(fp[0], fp[1]) < 0 ? fp[0] : fp[1]));
    assert_int_equal(iam_db_shared_key_next(&t, fp[0], &k),
                     strcmp(fp[0], fp[1]) < 0 ? 0 : -ESRCH);
    assert_int_equal(iam_db_shared_key_next(&t, fp[1], &k),
                     strcmp(fp[1], fp[0]) < 0 ? 0 : -ESRCH);
    iam_db_end(&t);
    iam_db_close(db);
}

static void
test_records_refuse_bad_bytes(void **state)
{
    struct iam_shared_key_rec k, out;
    struct iam_str g = iam_str_of("ops");
    struct iam_buf b = { NULL, 0, 0 };
    uint8_t tmp[512];

    (void)state;
    memset(&k, 0, sizeof(k));
    k.iam_name = iam_str_of("alice");
    k.line = iam_str_of(line[0]);
    k.fingerprint = iam_str_of(fp[0]);
    assert_int_equal(iam_rec_encode_shared_key(&b, &k, &g, 1), 0);
    assert_int_equal(iam_rec_decode_shared_key(b.p, b.len, &out), 0);
    /* short, or one byte too many */
    assert_int_equal(iam_rec_decode_shared_key(b.p, b.len - 1, &out), -EIO);
    assert_true(b.len < sizeof(tmp));
    memcpy(tmp, b.p, b.len);
    tmp[b.len] = 0;
    assert_int_equal(iam_rec_decode_shared_key(tmp, b.len + 1, &out), -EIO);
    /* a group count larger than the bytes ("u32 n" before str "ops") */
    tmp[b.len - 2 - 3 - 4] = 0xff;
    assert_int_equal(iam_rec_decode_shared_key(tmp, b.len, &out), -EIO);
    b.len = 0;
    k.iam_name = iam_str_of("");
    assert_int_equal(iam_rec_encode_shared_key(&b, &k, &g, 1), -EINVAL);
    iam_buf_free(&b);
}

/* ---- the keys command for a shared account ---- */

static const char *
ask(const char *user, const uint32_t *uid, const char *key,
    struct keys_result *res)
{
    static char out[4096];
    struct keys_request req;
    struct iam_db *db;
    FILE *f;

    memset(&req, 0, sizeof(req));
    req.user = user;
    req.has_uid = uid != NULL;
    req.uid = uid ? *uid : 0;
    req.key = key;
    req.now = NOW;
    memset(out, 0, sizeof(out));
    f = fmemopen(out, sizeof(out) - 1, "w");
    assert_non_null(f);
    assert_int_equal(iam_db_open(path, &db), 0);
    assert_int_equal(keys_answer(db, &req, f, res), 0);
    iam_db_close(db);
    fclose(f);
    return out;
}

static void
test_shared_answer(void **state)
{
    struct keys_result res;
    uint32_t uid = EC2_USER_UID, other = 1001;
    char want[256];

    (void)state;
    snprintf(want, sizeof(want), "%s iam:alice\n", line[0]);
    assert_string_equal(ask("ec2-user", &uid, b64[0], &res), want);
    assert_int_equal(res.decision, KEYS_SHARED_ACCEPTED);
    assert_string_equal(keys_decision_word(res.decision), "accepted-shared");
    assert_string_equal(res.iam_name, "alice");
    assert_string_equal(res.key_id, "APKAALICE");
    assert_string_equal(res.fingerprint, fp[0]);
    assert_int_equal(res.printed, 1);

    /* carol is in deployers, not in ec2-user's groups */
    assert_string_equal(ask("ec2-user", &uid, b64[1], &res), "");
    assert_int_equal(res.decision, KEYS_SHARED_NOT_MEMBER);
    assert_string_equal(res.iam_name, "carol");
    /* but she opens deploy */
    snprintf(want, sizeof(want), "%s iam:carol\n", line[1]);
    assert_string_equal(ask("deploy", &other, b64[1], &res), want);

    /* no key offered, a wrong uid, no uid, an unknown key */
    assert_string_equal(ask("ec2-user", &uid, NULL, &res), "");
    assert_int_equal(res.decision, KEYS_SHARED_NO_KEY);
    assert_string_equal(ask("ec2-user", &other, b64[0], &res), "");
    assert_int_equal(res.decision, KEYS_UID_MISMATCH);
    assert_string_equal(ask("ec2-user", NULL, b64[0], &res), "");
    assert_int_equal(res.decision, KEYS_NO_UID);
    assert_string_equal(ask("ec2-user", &uid, b64[2], &res), "");
    assert_int_equal(res.decision, KEYS_UNKNOWN_KEY);
    assert_string_equal(res.fingerprint, fp[2]);
    /* a local account that is not shared */
    assert_string_equal(ask("root", &uid, b64[0], &res), "");
    assert_int_equal(res.decision, KEYS_UNKNOWN_USER);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_parse),
        cmocka_unit_test(test_map_errors),
        cmocka_unit_test(test_index_lookup),
        cmocka_unit_test(test_records_refuse_bad_bytes),
        cmocka_unit_test(test_shared_answer),
    };

    return cmocka_run_group_tests_name("shared", tests, setup, teardown);
}
