/*
 * Keys held in IAM user tags (sync/tag_keys.c): which tags hold a key,
 * which values are keys a tag may hold, when a key was first seen, how
 * the model serves them, ListUserTags pages, and the configuration keys.
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

#include "aws_iam_json.h"
#include "iam_config.h"
#include "model.h"
#include "state.h"
#include "tag_keys.h"

#define NOW 1764000000
#define DAY 86400

#define ED25519                                                                \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlasiG8Uknsh5Meyoarhu5VfR6LEtcL3"    \
    "S6LVKw+6LAa"
#define ECDSA256                                                               \
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAA"    \
    "ABBBF1Fu93uhNoz5Ij/deMkjU+sE5ZtUlmbPNqNaObYYheLlsaUbiGGXs1irv980U2km"     \
    "ACJnJF0Sq77nFa1Xrzec+w="
#define SK_ED25519                                                             \
    "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tA"     \
    "AAAIHlasiG8Uknsh5Meyoarhu5VfR6LEtcL3S6LVKw+6LAaAAAABHNzaDo="
#define SK_ECDSA256                                                            \
    "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyN"     \
    "TZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBF1Fu93uhNoz5Ij/deMkjU+sE5ZtU"     \
    "lmbPNqNaObYYheLlsaUbiGGXs1irv980U2kmACJnJF0Sq77nFa1Xrzec+wAAAAEc3No"      \
    "Og=="
/* 1024 and 2048 bits */
#define RSA1024 "ssh-rsa " RSA1024_B64
#define RSA1024_B64                                                            \
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDYMlLOAmD67LxhPPEC/Qd3Hf/xtoEG"             \
    "TFdsgS9MwRc/HebQYXgqyBMBq30+c7T/SQbN1AANRQTzU9lp7JyGVxt8C6ar"             \
    "jFdk+xyoiaJO3Ssn/1FlvCms/kElR9bRP7DKvCPRjtY+jLlugHlgrS6ZCYLd"             \
    "6VlSefVGE0PErG3Uzs+CAQ=="
#define RSA2048 "ssh-rsa " RSA2048_B64
#define RSA2048_B64                                                            \
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQC9xsrSQwubmiuKGMx1iXpEwsKQbBCJ"             \
    "oVyYCSra6W8TNoynDzHJ0jNlCXjGKa83PmXMKZsKyxDPvAHjX0y5rYuARZNf"             \
    "kiZhKFyz5HWFDpBmha70izXLVMOA6wJoLvUyZ6+oHYgrPtEBZDY3vpHL7kux"             \
    "7jSSrLK98aXnULIP1HJ7ORgf/mEkct9GLgZj4/PsMITYswZdgYOS16imr2qv"             \
    "5gblPqrWZGg6gZChrcX56pdkPTZfUqQwNQEZZgKKmOrZz6fVzgeyIuEpZOoo"             \
    "hqrCgJ7gp7x5zMM/dDMMXdy0ULEJxSMHQm+stvIrKbfDZsBIgN2juSW9ZpdN"             \
    "+mg0UyiGhPQZ"

static char dir[64], passwd_path[128], group_path[128], db_path[128];

static int
setup(void **state)
{
    FILE *f;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/iam-tagkeys-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", dir);
    snprintf(group_path, sizeof(group_path), "%s/group", dir);
    snprintf(db_path, sizeof(db_path), "%s/passwd.mdb", dir);
    f = fopen(passwd_path, "we");
    if (!f)
        return -1;
    fputs("root:x:0:0:root:/root:/bin/bash\n", f);
    fclose(f);
    f = fopen(group_path, "we");
    if (!f)
        return -1;
    fputs("root:x:0:\n", f);
    fclose(f);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(passwd_path);
    unlink(group_path);
    unlink(db_path);
    rmdir(dir);
    return 0;
}

/* ---- which tags ---- */

static void
test_name_matches(void **state)
{
    (void)state;
    assert_true(tag_keys_name_matches("ssh-key", "ssh-key"));
    assert_true(tag_keys_name_matches("ssh-key", "ssh-key-laptop"));
    assert_true(tag_keys_name_matches("ssh-key", "ssh-key-yubikey"));
    assert_false(tag_keys_name_matches("ssh-key", "ssh-keyX"));
    assert_false(tag_keys_name_matches("ssh-key", "ssh-keys"));
    assert_false(tag_keys_name_matches("ssh-key", "xssh-key"));
    assert_false(tag_keys_name_matches("ssh-key", "SSH-KEY"));
    assert_false(tag_keys_name_matches("ssh-key", "ssh-ke"));
    assert_false(tag_keys_name_matches("ssh-key", ""));
    assert_false(tag_keys_name_matches("", "ssh-key"));
    assert_true(tag_keys_name_matches("k", "k-1"));
    assert_true(tag_keys_is_id("tag:ssh-key"));
    assert_false(tag_keys_is_id("APKAEXAMPLE"));
    assert_false(tag_keys_is_id("tag"));
    assert_true(tag_keys_looks_like_key(ED25519));
    assert_true(tag_keys_looks_like_key("ssh-rsa AAAA"));
    assert_false(tag_keys_looks_like_key("engineering"));
    assert_false(tag_keys_looks_like_key(""));
}

/* ---- which values ---- */

static struct iam_config cfg_defaults;

static int
check(const char *value, const struct iam_strlist *types, const char **why)
{
    struct iam_keyline parsed;
    char line[1024];

    return tag_keys_check(value, types, line, sizeof(line), &parsed, why);
}

static void
test_check_values(void **state)
{
    const struct iam_strlist *types;
    struct iam_keyline parsed;
    char line[1024];
    const char *why;
    static char *with_rsa_v[] = { "ssh-rsa", "ssh-ed25519" };
    struct iam_strlist with_rsa = { with_rsa_v, 2 };

    (void)state;
    assert_int_equal(iam_config_defaults(&cfg_defaults), 0);
    types = &cfg_defaults.tag_key_types;
    assert_int_equal(types->n, 6);
    assert_int_equal(
        tag_keys_check(ED25519, types, line, sizeof(line), &parsed, &why), 0);
    assert_null(why);
    assert_string_equal(line, ED25519);
    assert_memory_equal(parsed.fingerprint, "SHA256:", 7);
    assert_int_equal(check(ECDSA256, types, &why), 0);
    assert_int_equal(check(SK_ED25519, types, &why), 0);
    assert_int_equal(check(SK_ECDSA256, types, &why), 0);
    /* blanks around it are not part of it */
    assert_int_equal(check(" " ED25519 " ", types, &why), 0);

    /* a comment, options, a broken blob, nothing */
    assert_int_equal(check(ED25519 " laptop", types, &why), -EINVAL);
    assert_non_null(strstr(why, "no comment"));
    assert_int_equal(check("no-pty " ED25519, types, &why), -EINVAL);
    assert_non_null(strstr(why, "options"));
    assert_int_equal(check("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", types, &why),
                     -EINVAL);
    assert_non_null(why);
    assert_int_equal(check("ssh-ed25519", types, &why), -EINVAL);
    assert_int_equal(check("hello world", types, &why), -EINVAL);
    assert_int_equal(check("", types, &why), -EINVAL);
    /* the blob says ed25519, the type says ecdsa */
    assert_int_equal(check("ecdsa-sha2-nistp256 AAAAC3NzaC1lZDI1NTE5AAAAIHl"
                           "asiG8Uknsh5Meyoarhu5VfR6LEtcL3S6LVKw+6LAa",
                           types, &why),
                     -EINVAL);

    /* RSA: not in the defaults; when allowed, 2048 bits at least */
    assert_int_equal(check(RSA2048, types, &why), -EINVAL);
    assert_non_null(strstr(why, "TAG_KEY_TYPES"));
    assert_int_equal(check(RSA1024, &with_rsa, &why), -EINVAL);
    assert_non_null(strstr(why, "2048"));
    assert_int_equal(check(RSA2048, &with_rsa, &why), 0);
    /* a type the list leaves out */
    assert_int_equal(check(ECDSA256, &with_rsa, &why), -EINVAL);
    iam_config_free(&cfg_defaults);
}

/* ---- first seen ---- */

static void
test_seen(void **state)
{
    struct tag_seen_set s = { NULL, 0, 0 };
    int64_t first = 0;

    (void)state;
    assert_int_equal(tag_seen_add(&s, "AIDAB", "SHA256:b", 300), 0);
    assert_int_equal(tag_seen_add(&s, "AIDAA", "SHA256:x", 200), 0);
    /* the same key in two tags: the earlier date counts */
    assert_int_equal(tag_seen_add(&s, "AIDAA", "SHA256:x", 100), 0);
    assert_int_equal(tag_seen_add_line(&s, "AIDAA", ED25519, 50), 0);
    /* no key: nothing remembered, no error */
    assert_int_equal(tag_seen_add_line(&s, "AIDAA", "junk", 40), 0);
    assert_int_equal(s.n, 4);
    tag_seen_sort(&s);
    assert_true(tag_seen_first(&s, "AIDAA", "SHA256:x", &first));
    assert_int_equal(first, 100);
    assert_true(tag_seen_first(&s, "AIDAB", "SHA256:b", &first));
    assert_int_equal(first, 300);
    /* another user's key is not this user's */
    assert_false(tag_seen_first(&s, "AIDAB", "SHA256:x", &first));
    assert_false(tag_seen_first(&s, "AIDAC", "SHA256:x", &first));
    assert_false(tag_seen_first(&s, "AIDA", "SHA256:x", &first));
    tag_seen_free(&s);
    assert_false(tag_seen_first(&s, "AIDAA", "SHA256:x", &first));
}

/* ---- the model ---- */

static char *
xdup(const char *s)
{
    char *d = strdup(s);

    assert_non_null(d);
    return d;
}

struct tag_fixture {
    const char *id;
    const char *body;
    int64_t date;
};

/* One user, alice, authorized (every user is), with these keys. */
static void
make_fetch(struct fetch *f, const struct tag_fixture *k, size_t n)
{
    size_t i;

    memset(f, 0, sizeof(*f));
    f->users = calloc(1, sizeof(*f->users));
    assert_non_null(f->users);
    f->users[0].user_name = xdup("alice");
    f->users[0].user_id = xdup("AIDAALICE");
    f->users[0].path = xdup("/");
    f->users[0].arn = xdup("arn:aws:iam::123456789012:user/alice");
    f->users[0].create_date = 100;
    f->n_users = 1;
    f->authorized = calloc(1, sizeof(bool));
    f->wanted = calloc(1, sizeof(bool));
    assert_non_null(f->authorized);
    f->authorized[0] = true;
    f->keys = calloc(1, sizeof(*f->keys));
    f->keys[0].v = calloc(n + 1, sizeof(struct fetch_key));
    assert_non_null(f->keys[0].v);
    f->keys[0].n = n;
    for (i = 0; i < n; i++) {
        f->keys[0].v[i].key_id = xdup(k[i].id);
        f->keys[0].v[i].body = xdup(k[i].body);
        f->keys[0].v[i].upload_date = (time_t)k[i].date;
        f->keys[0].v[i].status = AWS_IAM_JSON_KEY_ACTIVE;
    }
}

static const struct tag_fixture tags[] = {
    { "tag:ssh-key", ED25519, NOW - DAY },
    { "tag:ssh-key-work", ECDSA256, NOW - DAY },
    { "tag:ssh-key-yubikey", SK_ED25519, NOW - DAY },
    { "tag:ssh-key-old", SK_ECDSA256, NOW - 100 * DAY }, /* expired at 30 */
    { "tag:ssh-key-comment", ED25519 " laptop", NOW },
    { "tag:ssh-key-options", "no-pty " ED25519, NOW },
    { "tag:ssh-key-rsa", RSA2048, NOW },        /* not a default type */
    { "tag:ssh-keyX", ED25519, NOW },           /* a publisher's other prefix */
    { "tag:other", ECDSA256, NOW },             /* ditto */
    { "APKA1", RSA2048 " iam-key", NOW - DAY }, /* IAM's own, untouched */
};
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

static void
build(bool tag_keys, struct fetch *f, struct iam_config *cfg, struct model *m)
{
    struct iam_name_set local;

    make_fetch(f, tags, NTAGS);
    assert_int_equal(iam_config_defaults(cfg), 0);
    cfg->authorized_unset = false;
    cfg->max_key_age_days = 30;
    cfg->tag_keys = tag_keys;
    assert_int_equal(iam_name_set_load(passwd_path, group_path, &local), 0);
    assert_int_equal(model_build(f, cfg, &local, NOW, m), 0);
    iam_name_set_free(&local);
}

static const struct model_key *
find_key(const struct model *m, const char *id)
{
    uint32_t i;

    for (i = 0; i < m->users[0].n_keys; i++)
        if (strcmp(m->users[0].keys[i].key_id, id) == 0)
            return &m->users[0].keys[i];
    return NULL;
}

static void
test_model_serves_tags(void **state)
{
    const struct model_key *k;
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    build(true, &f, &cfg, &m);
    assert_int_equal(m.n_users, 1);
    assert_int_equal(m.users[0].n_keys, 5);
    k = find_key(&m, "tag:ssh-key");
    assert_non_null(k);
    assert_string_equal(k->line, ED25519);
    assert_int_equal(k->status, IAM_KEY_ACTIVE);
    assert_int_equal(k->upload_date, NOW - DAY);
    assert_non_null(find_key(&m, "tag:ssh-key-work"));
    assert_non_null(find_key(&m, "tag:ssh-key-yubikey"));
    /* MAX_KEY_AGE_DAYS counts from the first sight */
    k = find_key(&m, "tag:ssh-key-old");
    assert_non_null(k);
    assert_int_equal(k->status, IAM_KEY_EXPIRED);
    assert_int_equal(m.expired_keys, 1);
    assert_null(find_key(&m, "tag:ssh-key-comment"));
    assert_null(find_key(&m, "tag:ssh-key-options"));
    assert_null(find_key(&m, "tag:ssh-key-rsa"));
    assert_null(find_key(&m, "tag:ssh-keyX"));
    assert_null(find_key(&m, "tag:other"));
    /* IAM's own key, comment and all */
    k = find_key(&m, "APKA1");
    assert_non_null(k);
    assert_string_equal(k->line, RSA2048 " iam-key");
    /* comment, options, rsa, two other names */
    assert_int_equal(m.invalid_keys, 5);
    model_free(&m);
    fetch_free(&f);
    iam_config_free(&cfg);
}

/* TAG_KEYS=no here: keys from tags (a publisher's) are not served. */
static void
test_model_tags_off(void **state)
{
    struct iam_config cfg;
    struct fetch f;
    struct model m;

    (void)state;
    build(false, &f, &cfg, &m);
    assert_int_equal(m.users[0].n_keys, 1);
    assert_non_null(find_key(&m, "APKA1"));
    assert_int_equal(m.invalid_keys, 0);
    model_free(&m);
    fetch_free(&f);
    iam_config_free(&cfg);
}

/*
 * The first sight of a key survives in the snapshot: written as the
 * key's upload date, read back by the next sync as known.seen, by the
 * user's IAM id and the key's fingerprint. Its body is not a known body
 * (a tag holds its own).
 */
static void
test_snapshot_keeps_first_seen(void **state)
{
    struct iam_db_writer *w;
    struct iam_meta_rec meta;
    struct known_keys known;
    struct iam_keyline parsed;
    struct iam_config cfg;
    struct state st;
    struct fetch f;
    struct model m;
    char line[256];
    const char *why;
    int64_t first = 0;

    (void)state;
    build(true, &f, &cfg, &m);
    assert_int_equal(iam_db_writer_open(db_path, &w), 0);
    assert_int_equal(model_write(&m, &cfg, w), 0);
    memset(&meta, 0, sizeof(meta));
    meta.uid_min = cfg.uid_min;
    meta.uid_max = cfg.uid_max;
    assert_int_equal(iam_db_writer_seal(w, &meta), 0);
    assert_int_equal(iam_db_writer_publish(w), 0);
    assert_int_equal(
        state_from_snapshot(db_path, cfg.sudo_group, 0, &st, &known), 0);
    assert_int_equal(known.seen.n, 4);
    assert_int_equal(tag_keys_check(SK_ECDSA256, &cfg.tag_key_types, line,
                                    sizeof(line), &parsed, &why),
                     0);
    assert_true(
        tag_seen_first(&known.seen, "AIDAALICE", parsed.fingerprint, &first));
    assert_int_equal(first, NOW - 100 * DAY);
    assert_null(known_keys_find(&known, "tag:ssh-key"));
    assert_non_null(known_keys_find(&known, "APKA1"));
    known_keys_free(&known);
    state_free(&st);
    model_free(&m);
    fetch_free(&f);
    iam_config_free(&cfg);
}

/* ---- ListUserTags ---- */

static void
test_list_user_tags(void **state)
{
    static const char page[] =
        "{\"ListUserTagsResponse\": {\"ListUserTagsResult\": {"
        "\"Tags\": [{\"Key\": \"ssh-key\", \"Value\": \"" ED25519 "\"},"
        "{\"Key\": \"team\", \"Value\": \"\"}, {\"Key\": \"x\"}],"
        "\"IsTruncated\": true, \"Marker\": \"m2\"},"
        "\"ResponseMetadata\": {\"RequestId\": \"r\"}}}";
    static const char last[] =
        "{\"ListUserTagsResponse\": {\"ListUserTagsResult\": {"
        "\"Tags\": [], \"IsTruncated\": false}}}";
    static const char no_key[] =
        "{\"ListUserTagsResponse\": {\"ListUserTagsResult\": {"
        "\"Tags\": [{\"Value\": \"v\"}], \"IsTruncated\": false}}}";
    static const char no_marker[] =
        "{\"ListUserTagsResponse\": {\"ListUserTagsResult\": {"
        "\"Tags\": [], \"IsTruncated\": true}}}";
    static const char error[] =
        "<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>gone"
        "</Message></Error></ErrorResponse>";
    struct aws_iam_json_tag_page *p = NULL;
    char err[AWS_IAM_JSON_ERRBUF_SIZE];

    (void)state;
    assert_int_equal(aws_iam_json_list_user_tags(page, strlen(page), err,
                                                 sizeof(err), NULL, &p),
                     0);
    assert_int_equal(p->n_tags, 3);
    assert_string_equal(p->tags[0].key, "ssh-key");
    assert_string_equal(p->tags[0].value, ED25519);
    assert_string_equal(p->tags[1].value, "");
    assert_string_equal(p->tags[2].value, "");
    assert_true(p->is_truncated);
    assert_string_equal(p->marker, "m2");
    aws_iam_json_tag_page_free(p);
    assert_int_equal(aws_iam_json_list_user_tags(last, strlen(last), err,
                                                 sizeof(err), NULL, &p),
                     0);
    assert_int_equal(p->n_tags, 0);
    assert_false(p->is_truncated);
    aws_iam_json_tag_page_free(p);
    assert_int_equal(aws_iam_json_list_user_tags(no_key, strlen(no_key), err,
                                                 sizeof(err), NULL, &p),
                     -EPROTO);
    assert_non_null(strstr(err, "Key"));
    assert_null(p);
    assert_int_equal(aws_iam_json_list_user_tags(no_marker, strlen(no_marker),
                                                 err, sizeof(err), NULL, &p),
                     -EPROTO);
    assert_int_equal(aws_iam_json_list_user_tags(error, strlen(error), err,
                                                 sizeof(err), NULL, &p),
                     -EREMOTEIO);
    assert_non_null(strstr(err, "NoSuchEntity"));
}

/* ---- the configuration ---- */

static int
parse(const char *text, struct iam_config *cfg, char *err, size_t errlen)
{
    int r;

    assert_int_equal(iam_config_defaults(cfg), 0);
    r = iam_config_parse_buffer("/etc/nss-iam.conf", text, strlen(text), cfg,
                                err, errlen);
    return r;
}

static void
test_config(void **state)
{
    struct iam_config cfg;
    char err[512];

    (void)state;
    assert_int_equal(iam_config_defaults(&cfg), 0);
    assert_false(cfg.tag_keys);
    assert_string_equal(cfg.tag_key_prefix, "ssh-key");
    assert_string_equal(cfg.tag_keys_source, "ListUserTags");
    assert_int_equal(cfg.tag_key_types.n, 6);
    assert_string_equal(cfg.tag_key_types.v[0], "ssh-ed25519");
    assert_string_equal(cfg.tag_key_types.v[5],
                        "sk-ecdsa-sha2-nistp256@openssh.com");
    iam_config_free(&cfg);

    assert_int_equal(parse("TAG_KEYS=\"yes\"\nTAG_KEY_PREFIX=\"pubkey\"\n"
                           "TAG_KEY_TYPES=\"ssh-ed25519, ssh-rsa\"\n",
                           &cfg, err, sizeof(err)),
                     0);
    assert_true(cfg.tag_keys);
    assert_string_equal(cfg.tag_key_prefix, "pubkey");
    assert_int_equal(cfg.tag_key_types.n, 2);
    assert_string_equal(cfg.tag_key_types.v[1], "ssh-rsa");
    iam_config_free(&cfg);

    assert_int_equal(
        parse("# keys\nTAG_KEYS=\"maybe\"\n", &cfg, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:2: "));
    assert_non_null(strstr(err, "TAG_KEYS"));
    iam_config_free(&cfg);

    assert_int_equal(parse("TAG_KEY_TYPES=\"ssh-ed25519,ssh-dss\"\n", &cfg, err,
                           sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:1: "));
    assert_non_null(strstr(err, "ssh-dss"));
    iam_config_free(&cfg);

    assert_int_equal(parse("\nTAG_KEY_TYPES=\"ssh-ed25519-cert-v01@openssh."
                           "com\"\n",
                           &cfg, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:2: "));
    iam_config_free(&cfg);

    assert_int_equal(
        parse("TAG_KEY_PREFIX=\"aws:ssh\"\n", &cfg, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:1: TAG_KEY_PREFIX"));
    iam_config_free(&cfg);

    assert_int_equal(
        parse("TAG_KEY_PREFIX=\"a b;c\"\n", &cfg, err, sizeof(err)), -EINVAL);
    iam_config_free(&cfg);

    assert_int_equal(parse("TAG_KEY_PREFIX=\"\"\n", &cfg, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:1: "));
    iam_config_free(&cfg);

    assert_int_equal(parse("TAG_KEYS_SOURCE=\"GetAccountAuthorizationDetails"
                           "\"\n",
                           &cfg, err, sizeof(err)),
                     0);
    assert_string_equal(cfg.tag_keys_source, "GetAccountAuthorizationDetails");
    iam_config_free(&cfg);
    assert_int_equal(
        parse("TAG_KEYS_SOURCE=\"ListUserTags\"\n", &cfg, err, sizeof(err)), 0);
    iam_config_free(&cfg);
    /* the action names as IAM spells them, nothing else */
    assert_int_equal(parse("TAG_KEYS=yes\nTAG_KEYS_SOURCE=\"GAAD\"\n", &cfg,
                           err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:2: TAG_KEYS_SOURCE"));
    assert_non_null(strstr(err, "ListUserTags or GetAccountAuthorization"));
    iam_config_free(&cfg);
    assert_int_equal(
        parse("\n\nTAG_KEYS_SOURCE=\"listusertags\"\n", &cfg, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:3: "));
    iam_config_free(&cfg);
    assert_int_equal(parse("TAG_KEYS_SOURCE=\"\"\n", &cfg, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:1: "));
    iam_config_free(&cfg);

    /* yes, with no type allowed: never what was meant */
    assert_int_equal(
        parse("TAG_KEYS=yes\n\nTAG_KEY_TYPES=\"\"\n", &cfg, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "/etc/nss-iam.conf:3: "));
    assert_non_null(strstr(err, "TAG_KEY_TYPES is empty"));
    iam_config_free(&cfg);
    assert_int_equal(parse("TAG_KEY_TYPES=\"\"\n", &cfg, err, sizeof(err)), 0);
    iam_config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_matches),
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_seen),
        cmocka_unit_test(test_model_serves_tags),
        cmocka_unit_test(test_model_tags_off),
        cmocka_unit_test(test_snapshot_keeps_first_seen),
        cmocka_unit_test(test_list_user_tags),
        cmocka_unit_test(test_config),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
