/*
 * iam-authorized-keys' decision (keys_cmd/keys.c) on a real snapshot:
 * every decision, the uid check, and that nothing but canonical keys of
 * Active, unexpired keys reaches the output. Then the parsing of sshd's
 * %U and the chained command line (keys_cmd/chain.c): sshd's tokens
 * expanded from our arguments.
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

#include "iam_db_write.h"
#include "chain.h"
#include "keys.h"

#define UID_A 2000000100u
#define NOW 1764000000

static char dir[64], path[128];
static char b64[5][80]; /* blobs of keys 0..4 */
static char line[5][160];

/* An ssh-ed25519 blob whose 32 key bytes are all @fill, in base64. */
static void
make_key(int i, unsigned char fill)
{
    unsigned char blob[4 + 11 + 4 + 32];
    int n;

    memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
    memset(blob + 19, fill, 32);
    n = EVP_EncodeBlock((unsigned char *)b64[i], blob, sizeof(blob));
    b64[i][n] = '\0';
    snprintf(line[i], sizeof(line[i]), "ssh-ed25519 %s", b64[i]);
}

static int
put_user(struct iam_db_writer *w, const char *name, const char *iam_name,
         uint32_t uid, const struct iam_key_rec *keys, uint32_t n)
{
    struct iam_user_rec u;
    int r;

    memset(&u, 0, sizeof(u));
    u.uid = u.gid = uid;
    u.name = iam_str_of(name);
    u.iam_name = iam_str_of(iam_name);
    u.iam_id = iam_str_of("AIDATEST");
    u.home = iam_str_of("/home/x");
    u.shell = iam_str_of("/bin/sh");
    r = iam_db_writer_put_user(w, &u);
    if (r == 0 && n)
        r = iam_db_writer_put_user_keys(w, name, keys, n);
    return r;
}

static int
setup(void **state)
{
    struct iam_db_writer *w;
    struct iam_meta_rec m;
    struct iam_key_rec k[5];
    const char *bad = "command=\"/bin/sh\" ssh-ed25519 AAAA";
    int i, r;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/iam-keys-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/passwd.mdb", dir);
    for (i = 0; i < 5; i++)
        make_key(i, (unsigned char)(0x11 * (i + 1)));
    memset(k, 0, sizeof(k));
    for (i = 0; i < 5; i++) {
        k[i].key_id = iam_str_of(i == 0   ? "APKA0"
                                 : i == 1 ? "APKA1"
                                 : i == 2 ? "APKA2"
                                 : i == 3 ? "APKA3"
                                          : "APKA4");
        k[i].line = iam_str_of(line[i]);
        k[i].fingerprint = iam_str_of("SHA256:x");
        k[i].upload_date = NOW - 86400;
    }
    k[1].status = IAM_KEY_INACTIVE;
    k[2].upload_date = NOW - 100 * 86400; /* old: expired at 90 days */
    k[3].status = IAM_KEY_EXPIRED;
    k[4].line = iam_str_of(bad); /* never served, whatever wrote it */
    r = iam_db_writer_open(path, &w);
    if (r < 0)
        return -1;
    r = put_user(w, "alice.at.example.com", "alice@example.com", UID_A, k, 5);
    if (r == 0)
        r = put_user(w, "nokeys", "nokeys", UID_A + 1, NULL, 0);
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

/* Runs keys_answer; returns what it printed (static buffer). */
static const char *
ask(const char *user, const uint32_t *uid, const char *key, uint32_t max_age,
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
    req.max_key_age_days = max_age;
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
test_list_active_only(void **state)
{
    struct keys_result res;
    char want[512];
    uint32_t uid = UID_A;

    (void)state;
    snprintf(want, sizeof(want),
             "%s iam:alice@example.com\n%s iam:alice@example.com\n", line[0],
             line[2]);
    assert_string_equal(ask("alice.at.example.com", &uid, NULL, 0, &res), want);
    assert_int_equal(res.decision, KEYS_LISTED);
    assert_int_equal(res.printed, 2);
    /* With MAX_KEY_AGE_DAYS=90 the 100-day-old key is not served. */
    snprintf(want, sizeof(want), "%s iam:alice@example.com\n", line[0]);
    assert_string_equal(ask("alice.at.example.com", &uid, NULL, 90, &res),
                        want);
}

static void
test_offered_key_decisions(void **state)
{
    struct keys_result res;
    char want[512];
    uint32_t uid = UID_A;

    (void)state;
    snprintf(want, sizeof(want), "%s iam:alice@example.com\n", line[0]);
    assert_string_equal(ask("alice.at.example.com", &uid, b64[0], 0, &res),
                        want);
    assert_int_equal(res.decision, KEYS_ACCEPTED);
    assert_string_equal(res.key_id, "APKA0");
    assert_string_equal(res.iam_name, "alice@example.com");
    assert_memory_equal(res.fingerprint, "SHA256:", 7);
    assert_string_equal(ask("alice.at.example.com", &uid, b64[1], 0, &res), "");
    assert_int_equal(res.decision, KEYS_INACTIVE);
    assert_string_equal(ask("alice.at.example.com", &uid, b64[2], 90, &res),
                        "");
    assert_int_equal(res.decision, KEYS_EXPIRED);
    assert_string_equal(ask("alice.at.example.com", &uid, b64[3], 0, &res), "");
    assert_int_equal(res.decision, KEYS_EXPIRED);
    make_key(4, 0x99); /* a key nobody has */
    assert_string_equal(ask("alice.at.example.com", &uid, b64[4], 0, &res), "");
    assert_int_equal(res.decision, KEYS_UNKNOWN_KEY);
    assert_memory_equal(res.fingerprint, "SHA256:", 7);
}

static void
test_uid_and_user_checks(void **state)
{
    struct keys_result res;
    uint32_t other = 1000, uid;

    (void)state;
    /* A local account of the same name has another uid: no IAM key. */
    assert_string_equal(ask("alice.at.example.com", &other, NULL, 0, &res), "");
    assert_int_equal(res.decision, KEYS_UID_MISMATCH);
    assert_string_equal(ask("alice.at.example.com", &other, b64[0], 0, &res),
                        "");
    assert_int_equal(res.decision, KEYS_UID_MISMATCH);
    /* the audit line still names the offered key */
    assert_memory_equal(res.fingerprint, "SHA256:", 7);
    assert_string_equal(ask("mallory", NULL, b64[0], 0, &res), "");
    assert_int_equal(res.decision, KEYS_UNKNOWN_USER);
    assert_memory_equal(res.fingerprint, "SHA256:", 7);
    assert_string_equal(ask("mallory", NULL, NULL, 0, &res), "");
    assert_int_equal(res.decision, KEYS_UNKNOWN_USER);
    uid = UID_A + 1;
    assert_string_equal(ask("nokeys", &uid, NULL, 0, &res), "");
    assert_int_equal(res.decision, KEYS_LISTED);
    assert_int_equal(res.printed, 0);
}

/*
 * sshd started without %U (an "AuthorizedKeysCommand ... %u" line): the
 * name alone would give a local account created later with an IAM user's
 * name that user's keys. Nothing is printed, and the audit line says why.
 */
static void
test_no_uid_no_key(void **state)
{
    struct keys_result res;

    (void)state;
    assert_string_equal(ask("alice.at.example.com", NULL, NULL, 0, &res), "");
    assert_int_equal(res.decision, KEYS_NO_UID);
    assert_int_equal(res.printed, 0);
    assert_string_equal(keys_decision_word(res.decision), "no-uid");
    /* the audit line still names the IAM user and the offered key */
    assert_string_equal(res.iam_name, "alice@example.com");
    assert_string_equal(ask("alice.at.example.com", NULL, b64[0], 0, &res), "");
    assert_int_equal(res.decision, KEYS_NO_UID);
    assert_memory_equal(res.fingerprint, "SHA256:", 7);
    assert_string_equal(res.key_id, "");
}

static void
test_parse_uid(void **state)
{
    static const char *const bad[] = {
        "",
        "2000000100x",
        "x2000000100",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1\n",
        "0x10",
        "00",
        "01",
        "4294967295",
        "4294967296",
        "18446744073709551617",
        "99999999999999999999999",
        "1.0",
        "1e3",
        "\xd9\xa1",
    };
    uint32_t uid = 7;
    size_t i;

    (void)state;
    assert_int_equal(keys_parse_uid("0", &uid), 0);
    assert_int_equal(uid, 0);
    assert_int_equal(keys_parse_uid("2000000100", &uid), 0);
    assert_int_equal(uid, UID_A);
    assert_int_equal(keys_parse_uid("4294967294", &uid), 0);
    assert_int_equal(uid, 4294967294u);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uid = 7;
        if (keys_parse_uid(bad[i], &uid) != -EINVAL)
            fail_msg("uid \"%s\" accepted", bad[i]);
        assert_int_equal(uid, 7);
    }
}

/* chain_prepare() into a " | "-joined string, or "ERR <code>: <reason>". */
static const char *
chain(const char *command, const struct chain_tokens *t)
{
    static char out[8192];
    struct chain_cmd cmd;
    char err[256];
    size_t n = 0;
    int r, i;

    r = chain_prepare(command, t, &cmd, err, sizeof(err));
    if (r < 0) {
        snprintf(out, sizeof(out), "ERR %d: %s", r, err);
        return out;
    }
    out[0] = '\0';
    for (i = 0; cmd.argv[i]; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " | " : "",
                              cmd.argv[i]);
    chain_cmd_free(&cmd);
    return out;
}

static void
test_chain_tokens(void **state)
{
    struct chain_tokens t = { "alice", "2000000100", NULL, "ssh-ed25519",
                              "SHA256:abc" };
    char want[512];

    (void)state;
    t.key = b64[0];
    /* EC2 Instance Connect's line */
    assert_string_equal(chain("/usr/share/eic %u %f", &t),
                        "/usr/share/eic | alice | SHA256:abc");
    snprintf(want, sizeof(want),
             "/bin/x | 2000000100 | %s | ssh-ed25519 | 100%% | a%%b", b64[0]);
    assert_string_equal(chain("/bin/x %U %k %t 100%% a%%b", &t), want);
    /* tokens inside words, tabs and runs of blanks between them */
    assert_string_equal(chain("  /bin/x\tuser=%u,uid=%U \t %t:%f  ", &t),
                        "/bin/x | user=alice,uid=2000000100 | "
                        "ssh-ed25519:SHA256:abc");
    /* one pass: a value holding a token is not expanded again */
    t.user = "a%u%%";
    assert_string_equal(chain("/bin/x %u", &t), "/bin/x | a%u%%");
    t.user = "alice";
    /* the program is not expanded (neither does sshd) */
    assert_string_equal(chain("/bin/%u", &t), "/bin/%u");
}

static void
test_chain_errors(void **state)
{
    struct chain_tokens t = { "alice", "2000000100", NULL, NULL, NULL };
    const char *r;

    (void)state;
    /* tokens sshd has but does not pass to us, and unknown ones */
    r = chain("/bin/x %u %h", &t);
    assert_non_null(strstr(r, "ERR -22: unknown token %h in \"%h\""));
    assert_non_null(strstr(r, "%u %U %k %t %f %%"));
    assert_memory_equal(chain("/bin/x %C", &t), "ERR -22: unknown token %C",
                        25);
    assert_memory_equal(chain("/bin/x a%", &t), "ERR -22: \"a%\" ends", 17);
    /* a config error wins over a missing value, whatever the order */
    assert_memory_equal(chain("/bin/x %f %D", &t), "ERR -22:", 8);
    /* no key offered: %k %t %f have no value in this call */
    assert_string_equal(chain("/bin/x %u %f", &t),
                        "ERR -61: %f has no value in this call");
    assert_string_equal(chain("/bin/x %k", &t),
                        "ERR -61: %k has no value in this call");
    t.uid = NULL;
    assert_string_equal(chain("/bin/x %U", &t),
                        "ERR -61: %U has no value in this call");
    assert_string_equal(chain("/bin/x %u", &t), "/bin/x | alice");
    assert_string_equal(chain("bin/x %u", &t),
                        "ERR -22: the program is not an absolute path");
    assert_string_equal(chain("   ", &t),
                        "ERR -22: the program is not an absolute path");
    assert_memory_equal(chain("/bin/x \"%u\"", &t),
                        "ERR -22: quotes and backslashes", 31);
    assert_memory_equal(chain("/bin/x a\\ b", &t),
                        "ERR -22: quotes and backslashes", 31);
    assert_string_equal(chain("/bin/x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", &t),
                        "/bin/x | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | "
                        "11 | 12 | 13 | 14 | 15");
    assert_string_equal(chain("/bin/x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
                              "16",
                              &t),
                        "ERR -22: more than 16 words");
}

/* %t and %f come from the offered blob: its own type, sshd's fingerprint. */
static void
test_offered_blob(void **state)
{
    struct iam_keyline k;
    char fp[IAM_KEYLINE_FP_SIZE];
    unsigned char blob[64];
    char enc[128];
    int reason = -1;

    (void)state;
    assert_int_equal(
        iam_keyline_parse_blob(b64[0], strlen(b64[0]), &k, &reason), 0);
    assert_int_equal(reason, 0);
    assert_string_equal(k.type, "ssh-ed25519");
    assert_int_equal(iam_keyline_fingerprint(b64[0], strlen(b64[0]), fp), 0);
    assert_string_equal(k.fingerprint, fp);
    /* a certificate, or a type we do not know: no %t, no %f */
    memcpy(blob, "\0\0\0\x1cssh-ed25519-cert-v01@openssh.com", 32);
    memset(blob + 32, 0x11, 32);
    enc[EVP_EncodeBlock((unsigned char *)enc, blob, 64)] = '\0';
    assert_int_equal(iam_keyline_parse_blob(enc, strlen(enc), &k, &reason),
                     -EINVAL);
    assert_int_equal(reason, IAM_KEYLINE_E_TYPE);
    assert_null(k.type);
    assert_int_equal(iam_keyline_parse_blob("AAAA", 4, &k, &reason), -EINVAL);
    assert_int_equal(iam_keyline_parse_blob("", 0, &k, &reason), -EINVAL);
    assert_int_equal(iam_keyline_parse_blob("AAAA$", 5, &k, &reason), -EINVAL);
}

static void
test_offered_key_validation(void **state)
{
    (void)state;
    assert_true(keys_valid_offered(b64[0]));
    assert_false(keys_valid_offered(""));
    assert_false(keys_valid_offered("AAAA BBBB"));
    assert_false(keys_valid_offered("AAAA\nssh-rsa"));
    assert_false(keys_valid_offered("$(id)"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_active_only),
        cmocka_unit_test(test_offered_key_decisions),
        cmocka_unit_test(test_uid_and_user_checks),
        cmocka_unit_test(test_offered_key_validation),
        cmocka_unit_test(test_no_uid_no_key),
        cmocka_unit_test(test_parse_uid),
        cmocka_unit_test(test_chain_tokens),
        cmocka_unit_test(test_chain_errors),
        cmocka_unit_test(test_offered_blob),
    };

    return cmocka_run_group_tests_name("keys", tests, setup, teardown);
}
