/*
 * Unit tests for sync/events.c: which EventBridge bodies name what to
 * read again. The bodies of tests/fixtures/events/ are shaped as
 * EventBridge delivers CloudTrail's records of IAM calls (requestParameters
 * named as CloudTrail names them: userName, newUserName, groupName,
 * newGroupName); each is read from a buffer of exactly its length, not
 * NUL-terminated, so ASan sees a read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "fixture_body.h"
#include "fixture_path.h"

static char dir[4096];

static int
add_text(struct event_hints *h, const char *text, bool tags, char *why,
         size_t why_len)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    int r;

    /* Not NUL-terminated, as a message body. */
    assert_non_null(copy);
    memcpy(copy, text, len);
    r = event_hints_add(h, copy, len, tags, why, why_len);
    free(copy);
    return r;
}

static int
add_file(struct event_hints *h, const char *name, bool tags, char *why,
         size_t why_len)
{
    struct fixture_body b = fixture_body_load(dir, name);
    int r;

    r = event_hints_add(h, b.p, b.len, tags, why, why_len);
    free(b.p);
    return r;
}

static void
assert_hint(const struct event_hints *h, size_t i, enum event_kind kind,
            const char *name)
{
    assert_true(i < h->n);
    assert_int_equal(h->v[i].kind, kind);
    assert_string_equal(h->v[i].name, name);
}

/* One fixture per call followed, and the hints it gives. */
struct followed {
    const char *file;
    size_t n;
    enum event_kind kind[2];
    const char *name[2]; /* in set order */
};

static void
test_followed_events(void **state)
{
    static const struct followed cases[] = {
        { "upload-ssh-public-key.json", 1, { EVENT_USER_KEYS }, { "alice" } },
        { "update-ssh-public-key.json", 1, { EVENT_USER_KEYS }, { "alice" } },
        { "delete-ssh-public-key.json", 1, { EVENT_USER_KEYS }, { "alice" } },
        { "create-user.json", 1, { EVENT_USER }, { "bob.smith@example.com" } },
        { "delete-user.json", 1, { EVENT_USER }, { "carol" } },
        { "update-user-path.json", 1, { EVENT_USER }, { "erin" } },
        /* A rename: the old name and the new one. */
        { "update-user-rename.json",
          2,
          { EVENT_USER, EVENT_USER },
          { "dave", "david" } },
        { "add-user-to-group.json", 1, { EVENT_GROUP }, { "admins" } },
        { "remove-user-from-group.json", 1, { EVENT_GROUP }, { "admins" } },
        { "delete-group.json", 1, { EVENT_GROUP }, { "contractors" } },
        { "long-group-name.json", 1, { EVENT_GROUP }, { NULL } },
        { "update-group-rename.json",
          2,
          { EVENT_GROUP, EVENT_GROUP },
          { "developers", "devs" } },
        { "tag-user.json", 1, { EVENT_USER_TAGS }, { "alice" } },
        { "untag-user.json", 1, { EVENT_USER_TAGS }, { "alice" } },
    };
    struct event_hints h;
    char why[256];
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&h, 0, sizeof(h));
        snprintf(why, sizeof(why), "stale");
        if (add_file(&h, cases[i].file, true, why, sizeof(why)) != 0)
            fail_msg("%s: not read as an event: %s", cases[i].file, why);
        assert_string_equal(why, "");
        assert_int_equal(h.n, cases[i].n);
        for (k = 0; k < cases[i].n; k++) {
            assert_int_equal(h.v[k].kind, cases[i].kind[k]);
            if (cases[i].name[k])
                assert_string_equal(h.v[k].name, cases[i].name[k]);
        }
        assert_false(h.full);
        assert_int_equal(h.events, 1);
        assert_int_equal(h.ignored + h.malformed, 0);
        event_hints_free(&h);
    }
}

/* Well formed, nothing to read again: counted as ignored, with why. */
static void
test_ignored(void **state)
{
    static const struct {
        const char *file;
        bool tags;
        const char *why;
    } cases[] = {
        { "failed-delete-user.json", true, "DeleteUser failed" },
        /* A failed call's parameters are whatever the caller sent. */
        { "failed-upload-bad-name.json", true, "UploadSSHPublicKey failed" },
        { "create-access-key.json", true,
          "CreateAccessKey changes nothing served" },
        { "s3-put-bucket-policy.json", true, "source aws.s3, not aws.iam" },
        { "console-sign-in.json", true, "source aws.signin, not aws.iam" },
        { "tag-user.json", false, "TagUser, and TAG_KEYS is off" },
        { "untag-user.json", false, "UntagUser, and TAG_KEYS is off" },
    };
    struct event_hints h;
    char why[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&h, 0, sizeof(h));
        if (add_file(&h, cases[i].file, cases[i].tags, why, sizeof(why)) != 1)
            fail_msg("%s: not ignored (%s)", cases[i].file, why);
        assert_string_equal(why, cases[i].why);
        assert_int_equal(h.n, 0);
        assert_false(h.full);
        assert_int_equal(h.ignored, 1);
        assert_int_equal(h.events + h.malformed, 0);
        event_hints_free(&h);
    }
}

/* Other shapes that are well formed but not IAM's calls. */
static void
test_ignored_shapes(void **state)
{
    static const char *const bodies[] = {
        "{\"source\":\"aws.iam\",\"detail-type\":\"AWS Console Sign In "
        "via CloudTrail\",\"detail\":{}}",
        "{\"source\":\"aws.iam\",\"detail-type\":\"AWS API Call via "
        "CloudTrail\",\"detail\":{\"eventSource\":\"sts.amazonaws.com\","
        "\"eventName\":\"AssumeRole\"}}",
        /* A source quoted in the reason is cut and made printable. */
        "{\"source\":\"x\\u0007\\n\",\"detail-type\":\"t\"}",
    };
    struct event_hints h;
    char why[256];
    size_t i, k;

    (void)state;
    memset(&h, 0, sizeof(h));
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        assert_int_equal(add_text(&h, bodies[i], true, why, sizeof(why)), 1);
        for (k = 0; why[k]; k++)
            assert_true(why[k] >= 0x20 && why[k] < 0x7f);
    }
    assert_string_equal(why, "source x??, not aws.iam");
    assert_int_equal(h.ignored, 3);
    assert_false(h.full);
    event_hints_free(&h);
}

static void
expect_malformed(const char *what, struct event_hints *h, int r,
                 const char *why)
{
    if (r != -EBADMSG)
        fail_msg("%s: got %d, want -EBADMSG", what, r);
    if (!why[0])
        fail_msg("%s: no reason given", what);
    assert_true(h->full);
    assert_int_equal(h->n, 0);
}

/* Not such an event, or a name no IAM name can be: a full read. */
static void
test_malformed_files(void **state)
{
    static const char *const files[] = {
        "bad-user-name.json",
        "long-user-name.json",
        "no-request-parameters.json",
        "no-event-name.json",
    };
    struct event_hints h;
    char why[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        memset(&h, 0, sizeof(h));
        expect_malformed(files[i], &h,
                         add_file(&h, files[i], true, why, sizeof(why)), why);
        assert_int_equal(h.malformed, 1);
        event_hints_free(&h);
    }
    memset(&h, 0, sizeof(h));
    add_file(&h, "bad-user-name.json", true, why, sizeof(why));
    assert_string_equal(why, "detail.requestParameters.userName is not an "
                             "IAM user name");
    event_hints_free(&h);
}

#define IAM_CALL(name, params)                                                 \
    "{\"source\":\"aws.iam\",\"detail-type\":\"AWS API Call via "              \
    "CloudTrail\",\"detail\":{\"eventSource\":\"iam.amazonaws.com\","          \
    "\"eventName\":\"" name "\",\"requestParameters\":" params "}}"

static void
test_malformed_bodies(void **state)
{
    static const char *const bodies[] = {
        "",
        "   ",
        "hello",
        "[]",
        "\"aws.iam\"",
        "{}",
        "{\"source\":\"aws.iam\"}",
        "{\"source\":7,\"detail-type\":\"AWS API Call via CloudTrail\"}",
        "{\"source\":\"aws.iam\",\"detail-type\":\"AWS API Call via "
        "CloudTrail\"}",
        "{\"source\":\"aws.iam\",\"detail-type\":\"AWS API Call via "
        "CloudTrail\",\"detail\":\"x\"}",
        IAM_CALL("DeleteUser", "{}"),
        IAM_CALL("DeleteUser", "{\"userName\":null}"),
        IAM_CALL("DeleteUser", "{\"userName\":7}"),
        IAM_CALL("DeleteUser", "{\"userName\":\"\"}"),
        IAM_CALL("DeleteUser", "{\"userName\":\"a b\"}"),
        IAM_CALL("DeleteUser", "{\"userName\":\"a\\u0000b\"}"),
        IAM_CALL("DeleteUser", "{\"userName\":\"caf\\u00e9\"}"),
        IAM_CALL("DeleteUser", "\"carol\""),
        /* The rename's second name is checked as the first. */
        IAM_CALL("UpdateUser", "{\"userName\":\"a\",\"newUserName\":\"b c\"}"),
        IAM_CALL("UpdateUser", "{\"userName\":\"a\",\"newUserName\":5}"),
        IAM_CALL("UpdateGroup", "{\"groupName\":\"g\",\"newGroupName\":\"\"}"),
        /* The group name where a user name is due, and the reverse. */
        IAM_CALL("AddUserToGroup", "{\"userName\":\"alice\"}"),
        IAM_CALL("UploadSSHPublicKey", "{\"groupName\":\"admins\"}"),
        /* Trailing data, a second document. */
        IAM_CALL("DeleteUser", "{\"userName\":\"carol\"}") " {}",
        IAM_CALL("DeleteUser", "{\"userName\":\"carol\"}") "x",
    };
    struct event_hints h;
    char why[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        memset(&h, 0, sizeof(h));
        expect_malformed(bodies[i], &h,
                         add_text(&h, bodies[i], true, why, sizeof(why)), why);
        event_hints_free(&h);
    }
}

/* A user name is at most 64 characters; a group name 128. */
static void
test_name_lengths(void **state)
{
    char body[512], name[200];
    struct event_hints h;
    char why[256];

    (void)state;
    memset(&h, 0, sizeof(h));
    memset(name, 'n', sizeof(name));
    snprintf(body, sizeof(body),
             IAM_CALL("DeleteUser", "{\"userName\":\"%.64s\"}"), name);
    assert_int_equal(add_text(&h, body, true, why, sizeof(why)), 0);
    snprintf(body, sizeof(body),
             IAM_CALL("DeleteGroup", "{\"groupName\":\"%.128s\"}"), name);
    assert_int_equal(add_text(&h, body, true, why, sizeof(why)), 0);
    assert_int_equal(h.n, 2);
    assert_false(h.full);
    snprintf(body, sizeof(body),
             IAM_CALL("DeleteGroup", "{\"groupName\":\"%.129s\"}"), name);
    assert_int_equal(add_text(&h, body, true, why, sizeof(why)), -EBADMSG);
    assert_string_equal(why, "detail.requestParameters.groupName is not an "
                             "IAM group name");
    assert_int_equal(h.n, 2);
    assert_true(h.full);
    event_hints_free(&h);
}

/* Every prefix of a real body is refused, and read within its length. */
static void
test_truncated(void **state)
{
    struct fixture_body b = fixture_body_load(dir, "update-user-rename.json");
    struct event_hints h;
    char why[256], *cut;
    size_t len;

    (void)state;
    for (len = 0; len < b.len - 1; len += 7) {
        cut = malloc(len ? len : 1);
        assert_non_null(cut);
        memcpy(cut, b.p, len);
        memset(&h, 0, sizeof(h));
        expect_malformed("a prefix", &h,
                         event_hints_add(&h, cut, len, true, why, sizeof(why)),
                         why);
        event_hints_free(&h);
        free(cut);
    }
    memset(&h, 0, sizeof(h));
    assert_int_equal(
        event_hints_add(&h, b.p, b.len - 2, true, why, sizeof(why)), -EBADMSG);
    assert_string_equal(why, "body is not JSON (truncated)");
    event_hints_free(&h);
    free(b.p);
}

/* Longer than EventBridge lets an event be: refused unread. */
static void
test_oversized(void **state)
{
    size_t len = 256 * 1024 + 1;
    char *body = malloc(len), why[256];
    struct event_hints h;

    (void)state;
    assert_non_null(body);
    memset(body, ' ', len);
    body[0] = '{';
    body[len - 1] = '}';
    memset(&h, 0, sizeof(h));
    expect_malformed("oversized", &h,
                     event_hints_add(&h, body, len, true, why, sizeof(why)),
                     why);
    free(body);
    event_hints_free(&h);
}

/* A burst of events about the same things costs one read of each. */
static void
test_coalesced(void **state)
{
    static const char *const files[] = {
        "upload-ssh-public-key.json",
        "update-ssh-public-key.json",
        "delete-ssh-public-key.json",
        "add-user-to-group.json",
        "remove-user-from-group.json",
        "upload-ssh-public-key.json",
        "update-user-rename.json",
        "delete-user.json",
        "update-user-rename.json",
        "tag-user.json",
        "untag-user.json",
        "add-user-to-group.json",
    };
    struct event_hints h;
    char why[256];
    size_t i;

    (void)state;
    memset(&h, 0, sizeof(h));
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        assert_int_equal(add_file(&h, files[i], true, why, sizeof(why)), 0);
    /* Sorted by kind (user, keys, tags, group), then name. */
    assert_int_equal(h.n, 6);
    assert_hint(&h, 0, EVENT_USER, "carol");
    assert_hint(&h, 1, EVENT_USER, "dave");
    assert_hint(&h, 2, EVENT_USER, "david");
    assert_hint(&h, 3, EVENT_USER_KEYS, "alice");
    assert_hint(&h, 4, EVENT_USER_TAGS, "alice");
    assert_hint(&h, 5, EVENT_GROUP, "admins");
    assert_int_equal(h.events, sizeof(files) / sizeof(files[0]));
    assert_false(h.full);
    event_hints_free(&h);
    assert_int_equal(h.n, 0);
    assert_null(h.v);
}

/* Names are compared exactly: IAM matches them ignoring case, so both
 * spellings are read (the read finds the same user). */
static void
test_case_kept(void **state)
{
    struct event_hints h;
    char why[256];

    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(
        add_text(&h, IAM_CALL("DeleteUser", "{\"userName\":\"Alice\"}"), true,
                 why, sizeof(why)),
        0);
    assert_int_equal(
        add_text(&h, IAM_CALL("DeleteUser", "{\"userName\":\"alice\"}"), true,
                 why, sizeof(why)),
        0);
    assert_int_equal(h.n, 2);
    assert_hint(&h, 0, EVENT_USER, "Alice");
    assert_hint(&h, 1, EVENT_USER, "alice");
    event_hints_free(&h);
}

static int
add_user(struct event_hints *h, unsigned i)
{
    char body[256], why[128];

    snprintf(body, sizeof(body),
             IAM_CALL("CreateUser", "{\"userName\":\"user%05u\"}"), i);
    return add_text(h, body, true, why, sizeof(why));
}

/* More than EVENT_HINTS_MAX distinct hints: a full read instead. */
static void
test_flood(void **state)
{
    struct event_hints h;
    unsigned i;

    (void)state;
    memset(&h, 0, sizeof(h));
    /* Added in reverse, so that each goes first in the set. */
    for (i = EVENT_HINTS_MAX; i > 0; i--)
        assert_int_equal(add_user(&h, i), 0);
    assert_int_equal(h.n, EVENT_HINTS_MAX);
    assert_false(h.full);
    /* One already there changes nothing. */
    assert_int_equal(add_user(&h, 7), 0);
    assert_false(h.full);
    assert_int_equal(add_user(&h, 0), 0);
    assert_true(h.full);
    assert_int_equal(h.n, EVENT_HINTS_MAX);
    for (i = 0; i < 100; i++)
        assert_int_equal(add_user(&h, 1000 + i), 0);
    assert_int_equal(h.n, EVENT_HINTS_MAX);
    assert_int_equal(h.events, EVENT_HINTS_MAX + 102);
    for (i = 1; i < h.n; i++)
        assert_true(strcmp(h.v[i - 1].name, h.v[i].name) < 0);
    assert_hint(&h, 0, EVENT_USER, "user00001");
    event_hints_free(&h);
}

static void
test_merge(void **state)
{
    struct event_hints a, b, empty;
    char why[256];

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&empty, 0, sizeof(empty));
    assert_int_equal(add_file(&a, "delete-user.json", true, why, sizeof(why)),
                     0);
    assert_int_equal(
        add_file(&a, "add-user-to-group.json", true, why, sizeof(why)), 0);
    assert_int_equal(
        add_file(&a, "create-access-key.json", true, why, sizeof(why)), 1);
    assert_int_equal(
        add_file(&b, "add-user-to-group.json", true, why, sizeof(why)), 0);
    assert_int_equal(
        add_file(&b, "update-user-rename.json", true, why, sizeof(why)), 0);
    assert_int_equal(add_text(&b, "nope", true, why, sizeof(why)), -EBADMSG);

    assert_int_equal(event_hints_merge(&a, &b), 0);
    assert_int_equal(a.n, 4);
    assert_hint(&a, 0, EVENT_USER, "carol");
    assert_hint(&a, 1, EVENT_USER, "dave");
    assert_hint(&a, 2, EVENT_USER, "david");
    assert_hint(&a, 3, EVENT_GROUP, "admins");
    assert_int_equal(a.events, 4);
    assert_int_equal(a.ignored, 1);
    assert_int_equal(a.malformed, 1);
    assert_true(a.full);
    /* @from is left as it was. */
    assert_int_equal(b.n, 3);

    /* Into an empty set: a copy. */
    assert_int_equal(event_hints_merge(&empty, &a), 0);
    assert_int_equal(empty.n, 4);
    assert_true(empty.full);
    assert_int_equal(empty.events, 4);
    assert_true(empty.v[0].name != a.v[0].name);
    event_hints_free(&a);
    event_hints_free(&b);
    event_hints_free(&empty);
}

/* Merging past EVENT_HINTS_MAX sets full, as adding does. */
static void
test_merge_flood(void **state)
{
    struct event_hints a, b;
    unsigned i;

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    for (i = 0; i < 300; i++) {
        assert_int_equal(add_user(&a, i), 0);
        assert_int_equal(add_user(&b, 1000 + i), 0);
    }
    assert_false(a.full || b.full);
    assert_int_equal(event_hints_merge(&a, &b), 0);
    assert_int_equal(a.n, EVENT_HINTS_MAX);
    assert_true(a.full);
    event_hints_free(&a);
    event_hints_free(&b);
}

static void
test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(event_hint_kind_name(EVENT_USER), "user");
    assert_string_equal(event_hint_kind_name(EVENT_USER_KEYS), "keys");
    assert_string_equal(event_hint_kind_name(EVENT_USER_TAGS), "tags");
    assert_string_equal(event_hint_kind_name(EVENT_GROUP), "group");
    assert_string_equal(event_hint_kind_name((enum event_kind)0), "?");
    event_hints_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_followed_events),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_ignored_shapes),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_coalesced),
        cmocka_unit_test(test_case_kept),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_merge_flood),
        cmocka_unit_test(test_kind_names),
    };

    fixture_path("events", dir, sizeof(dir));
    return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
