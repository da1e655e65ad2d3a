/*
 * Unit tests for lib/aws/aws_iam_json.c: responses captured from moto_server
 * (tests/fixtures/iam/moto-*) and hand-made odd and hostile bodies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws_iam_json.h"
#include "fixture_body.h"
#include "fixture_path.h"

/* The bodies' directory, found by main() before any test runs. */
static char fixtures[512];

/* moto's timestamps "2026-11-25T14:10:01.xxxxxxZ" and "...14:10:25..." */
#define MOTO_T1 1795615801
#define MOTO_T2 1795615825
/* 2024-01-02T03:04:05Z */
#define T_2024 1704164645

enum action {
    LIST_USERS,
    GET_GROUP,
    LIST_KEYS,
    GET_KEY,
    GET_USER,
};

static struct fixture_body
load(const char *name)
{
    return fixture_body_load(fixtures, name);
}

static struct fixture_body
from_string(const char *s)
{
    struct fixture_body b;

    b.len = strlen(s);
    b.p = malloc(b.len ? b.len : 1);
    assert_non_null(b.p);
    memcpy(b.p, s, b.len);
    return b;
}

/*
 * Parse @b as @a, check the return value and errbuf, check that no result
 * escaped, and free everything. Returns the AWS error, if any.
 */
static struct aws_error *
run_fail(enum action a, struct fixture_body b, int want_r,
         const char *want_reason)
{
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "untouched";
    struct aws_error *e = NULL;
    struct aws_iam_json_user_page *up = NULL;
    struct aws_iam_json_group_page *gp = NULL;
    struct aws_iam_json_key_page *kp = NULL;
    struct aws_iam_json_ssh_key *k = NULL;
    struct aws_iam_json_user *u = NULL;
    int r = 0;

    switch (a) {
    case LIST_USERS:
        r = aws_iam_json_list_users(b.p, b.len, err, sizeof(err), &e, &up);
        break;
    case GET_GROUP:
        r = aws_iam_json_get_group(b.p, b.len, err, sizeof(err), &e, &gp);
        break;
    case LIST_KEYS:
        r = aws_iam_json_list_ssh_public_keys(b.p, b.len, err, sizeof(err), &e,
                                              &kp);
        break;
    case GET_KEY:
        r = aws_iam_json_get_ssh_public_key(b.p, b.len, err, sizeof(err), &e,
                                            &k);
        break;
    case GET_USER:
        r = aws_iam_json_get_user(b.p, b.len, err, sizeof(err), &e, &u);
        break;
    }
    free(b.p);
    assert_int_equal(r, want_r);
    assert_string_equal(err, want_reason);
    assert_null(up);
    assert_null(gp);
    assert_null(kp);
    assert_null(k);
    assert_null(u);
    if (r != -EREMOTEIO)
        assert_null(e);
    else
        assert_non_null(e);
    return e;
}

static void
fixture_fail(enum action a, const char *name, int want_r,
             const char *want_reason)
{
    aws_error_free(run_fail(a, load(name), want_r, want_reason));
}

static void
inline_fail(enum action a, const char *json, int want_r,
            const char *want_reason)
{
    aws_error_free(run_fail(a, from_string(json), want_r, want_reason));
}

static struct aws_iam_json_user_page *
users_ok(struct fixture_body b)
{
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "untouched";
    struct aws_error *e = NULL;
    struct aws_iam_json_user_page *page = NULL;
    int r;

    r = aws_iam_json_list_users(b.p, b.len, err, sizeof(err), &e, &page);
    free(b.p);
    if (r != 0)
        fail_msg("r=%d: %s", r, err);
    assert_string_equal(err, "untouched");
    assert_null(e);
    assert_non_null(page);
    return page;
}

static void
assert_user(const struct aws_iam_json_user *u, const char *name, const char *id,
            const char *arn, const char *path, time_t t)
{
    assert_string_equal(u->user_name, name);
    assert_string_equal(u->user_id, id);
    if (arn)
        assert_string_equal(u->arn, arn);
    else
        assert_null(u->arn);
    assert_string_equal(u->path, path);
    assert_int_equal(u->create_date, t);
}

/* ---- responses captured from moto_server ---- */

static void
test_moto_list_users(void **state)
{
    struct aws_iam_json_user_page *p;

    (void)state;
    p = users_ok(load("moto-list-users.json"));
    assert_int_equal(p->n_users, 3);
    assert_user(&p->users[0], "alice", "x5m5qr4d5ioxt803am7a",
                "arn:aws:iam::123456789012:user/alice", "/", MOTO_T1);
    assert_user(&p->users[1], "bob", "49udb5fbvq9dkx9wkdku",
                "arn:aws:iam::123456789012:user/engineering/bob",
                "/engineering/", MOTO_T1);
    assert_user(&p->users[2], "first.last+ops=x,y@example.com",
                "82r65ki8q3ocl3xj90g4",
                "arn:aws:iam::123456789012:user/first.last+ops=x,y@"
                "example.com",
                "/", MOTO_T1);
    assert_false(p->is_truncated);
    assert_null(p->marker);
    aws_iam_json_user_page_free(p);
}

static void
test_moto_get_group(void **state)
{
    struct fixture_body b = load("moto-get-group.json");
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "";
    struct aws_iam_json_group_page *p = NULL;
    int r;

    (void)state;
    /* No ret_error: allowed. */
    r = aws_iam_json_get_group(b.p, b.len, err, sizeof(err), NULL, &p);
    free(b.p);
    assert_int_equal(r, 0);
    assert_string_equal(p->group.group_name, "ssh-users");
    assert_string_equal(p->group.group_id, "iqlrsnamoxxubf9msr7w");
    assert_string_equal(p->group.arn,
                        "arn:aws:iam::123456789012:group/ssh-users");
    assert_int_equal(p->n_users, 2);
    assert_user(&p->users[0], "alice", "x5m5qr4d5ioxt803am7a",
                "arn:aws:iam::123456789012:user/alice", "/", MOTO_T1);
    assert_string_equal(p->users[1].user_name,
                        "first.last+ops=x,y@example.com");
    assert_false(p->is_truncated);
    assert_null(p->marker);
    aws_iam_json_group_page_free(p);
}

static void
test_moto_get_group_empty(void **state)
{
    struct fixture_body b = load("moto-get-group-empty.json");
    struct aws_error *e = NULL;
    struct aws_iam_json_group_page *p = NULL;

    (void)state;
    /* No errbuf at all: allowed. */
    assert_int_equal(aws_iam_json_get_group(b.p, b.len, NULL, 0, &e, &p), 0);
    free(b.p);
    assert_string_equal(p->group.group_name, "empty-group");
    assert_int_equal(p->n_users, 0);
    assert_null(p->users);
    assert_false(p->is_truncated);
    aws_iam_json_group_page_free(p);
}

static struct aws_iam_json_key_page *
keys_ok(struct fixture_body b)
{
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "";
    struct aws_error *e = NULL;
    struct aws_iam_json_key_page *p = NULL;
    int r;

    r = aws_iam_json_list_ssh_public_keys(b.p, b.len, err, sizeof(err), &e, &p);
    free(b.p);
    if (r != 0)
        fail_msg("r=%d: %s", r, err);
    assert_null(e);
    assert_non_null(p);
    return p;
}

static void
test_moto_list_ssh_public_keys(void **state)
{
    struct aws_iam_json_key_page *p;

    (void)state;
    p = keys_ok(load("moto-list-ssh-public-keys.json"));
    assert_int_equal(p->n_keys, 2);
    assert_string_equal(p->keys[0].user_name, "alice");
    assert_string_equal(p->keys[0].ssh_public_key_id, "APKAIKQYGJ11GCK4X61M");
    assert_int_equal(p->keys[0].status, AWS_IAM_JSON_KEY_ACTIVE);
    assert_int_equal(p->keys[0].upload_date, MOTO_T1);
    assert_string_equal(p->keys[1].ssh_public_key_id, "APKA4R9MTBQZWXO583C1");
    assert_int_equal(p->keys[1].status, AWS_IAM_JSON_KEY_INACTIVE);
    assert_int_equal(p->keys[1].upload_date, MOTO_T1);
    assert_false(p->is_truncated);
    assert_null(p->marker);
    aws_iam_json_key_page_free(p);

    p = keys_ok(load("moto-list-ssh-public-keys-empty.json"));
    assert_int_equal(p->n_keys, 0);
    assert_null(p->keys);
    aws_iam_json_key_page_free(p);
}

static struct aws_iam_json_ssh_key *
key_ok(struct fixture_body b)
{
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "";
    struct aws_error *e = NULL;
    struct aws_iam_json_ssh_key *k = NULL;
    int r;

    r = aws_iam_json_get_ssh_public_key(b.p, b.len, err, sizeof(err), &e, &k);
    free(b.p);
    if (r != 0)
        fail_msg("r=%d: %s", r, err);
    assert_null(e);
    assert_non_null(k);
    return k;
}

static void
test_moto_get_ssh_public_key(void **state)
{
    struct aws_iam_json_ssh_key *k;
    size_t n;

    (void)state;
    k = key_ok(load("moto-get-ssh-public-key.json"));
    assert_string_equal(k->user_name, "alice");
    assert_string_equal(k->ssh_public_key_id, "APKAIKQYGJ11GCK4X61M");
    assert_string_equal(k->fingerprint, "74914c41fbfd0440ad30f6933ec12c7f");
    assert_int_equal(strncmp(k->ssh_public_key_body,
                             "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCmxrJ", 42),
                     0);
    n = strlen(k->ssh_public_key_body);
    assert_int_equal(n, 393);
    assert_string_equal(k->ssh_public_key_body + n - 13, " alice@laptop");
    assert_int_equal(k->status, AWS_IAM_JSON_KEY_ACTIVE);
    assert_int_equal(k->upload_date, MOTO_T1);
    aws_iam_json_ssh_key_free(k);

    k = key_ok(load("moto-get-ssh-public-key-inactive.json"));
    assert_string_equal(k->ssh_public_key_id, "APKA4R9MTBQZWXO583C1");
    assert_string_equal(k->fingerprint, "d48061c2666a6cfc8eeb81c95ef4392e");
    assert_int_equal(k->status, AWS_IAM_JSON_KEY_INACTIVE);
    aws_iam_json_ssh_key_free(k);
}

/* GetUser: what moto answers (Tags included, and ignored), and the
 * NoSuchEntity that says a user is gone. */
static void
test_moto_get_user(void **state)
{
    struct fixture_body b = load("moto-get-user.json");
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "untouched";
    struct aws_iam_json_user *u = NULL;
    struct aws_error *e = NULL;

    (void)state;
    assert_int_equal(
        aws_iam_json_get_user(b.p, b.len, err, sizeof(err), &e, &u), 0);
    free(b.p);
    assert_string_equal(err, "untouched");
    assert_null(e);
    assert_non_null(u);
    assert_user(u, "alice", "mv0hu7dpzvevntg8qzft",
                "arn:aws:iam::123456789012:user/eng/alice", "/eng/",
                1796521397);
    aws_iam_json_user_free(u);
    aws_iam_json_user_free(NULL);

    e = run_fail(GET_USER, load("moto-error-no-such-user.json"), -EREMOTEIO,
                 "GetUser: AWS error NoSuchEntity: The user with name nope "
                 "cannot be found.");
    assert_string_equal(e->code, "NoSuchEntity");
    aws_error_free(e);

    /* The same checks as a ListUsers item's, and the envelope's. */
    inline_fail(GET_USER, "{\"GetUserResponse\":{\"GetUserResult\":{}}}",
                -EPROTO, "GetUser: missing GetUserResult.User");
    inline_fail(
        GET_USER, "{\"GetUserResponse\":{\"GetUserResult\":{\"User\":\"x\"}}}",
        -EPROTO, "GetUser: GetUserResult.User: expected object, got string");
    inline_fail(GET_USER,
                "{\"GetUserResponse\":{\"GetUserResult\":{\"User\":"
                "{\"UserName\":\"a\",\"CreateDate\":0}}}}",
                -EPROTO, "GetUser: missing GetUserResult.User.UserId");
    inline_fail(GET_USER,
                "{\"GetUserResponse\":{\"GetUserResult\":{\"User\":"
                "{\"UserName\":\"a\\u0001\",\"UserId\":\"AIDA\","
                "\"CreateDate\":0}}}}",
                -EPROTO,
                "GetUser: GetUserResult.User.UserName: contains control "
                "characters");
    fixture_fail(GET_USER, "moto-list-users.json", -EPROTO,
                 "GetUser: missing GetUserResponse");
}

static void
test_moto_errors(void **state)
{
    struct aws_error *e;

    (void)state;
    e = run_fail(GET_GROUP, load("moto-error-no-such-group.json"), -EREMOTEIO,
                 "GetGroup: AWS error NoSuchEntity: Group nope "
                 "not found");
    assert_string_equal(e->code, "NoSuchEntity");
    assert_string_equal(e->type, "Sender");
    assert_string_equal(e->message, "Group nope not found");
    assert_string_equal(e->request_id, "request-id");
    assert_false(aws_error_retryable(e->code, 404));
    aws_error_free(e);

    e = run_fail(GET_KEY, load("moto-error-no-such-key.json"), -EREMOTEIO,
                 "GetSSHPublicKey: AWS error NoSuchEntity: The SSH Public "
                 "Key with id APKANOPE cannot be found");
    assert_string_equal(e->code, "NoSuchEntity");
    aws_error_free(e);

    /* Without ContentType=JSON moto answers in XML. */
    e = run_fail(GET_GROUP, load("moto-error-no-such-group.xml"), -EREMOTEIO,
                 "GetGroup: AWS error NoSuchEntity: Group nope not found");
    assert_string_equal(e->code, "NoSuchEntity");
    assert_string_equal(e->type, "Sender");
    assert_string_equal(e->message, "Group nope not found");
    assert_string_equal(e->request_id, "Kcxtw5HoBNmQ5BFyTAqNk6a5BEvQNNfMd4m"
                                       "w5Zaonc2qp4ECQeqE");
    aws_error_free(e);

    /* Authentication failures are XML even when JSON was asked for. */
    e = run_fail(LIST_USERS, load("moto-error-invalid-token.xml"), -EREMOTEIO,
                 "ListUsers: AWS error InvalidClientTokenId: The "
                 "security token included in the request is "
                 "invalid.");
    assert_string_equal(e->code, "InvalidClientTokenId");
    assert_string_equal(e->type, "Sender");
    assert_null(e->request_id);
    assert_false(aws_error_retryable(e->code, 403));
    aws_error_free(e);

    /* Not wanting the error document is fine, and leaks nothing. */
    {
        struct fixture_body b = load("moto-error-no-such-group.json");
        struct aws_iam_json_group_page *p = NULL;

        assert_int_equal(aws_iam_json_get_group(b.p, b.len, NULL, 0, NULL, &p),
                         -EREMOTEIO);
        assert_null(p);
        free(b.p);
    }
}

static void
test_wrong_action(void **state)
{
    (void)state;
    fixture_fail(GET_GROUP, "moto-list-users.json", -EPROTO,
                 "GetGroup: missing GetGroupResponse");
    fixture_fail(LIST_KEYS, "moto-get-ssh-public-key.json", -EPROTO,
                 "ListSSHPublicKeys: missing ListSSHPublicKeysResponse");
    inline_fail(LIST_USERS, "{\"ListUsersResponse\":{}}", -EPROTO,
                "ListUsers: missing ListUsersResponse.ListUsersResult");
    inline_fail(LIST_USERS, "{\"ListUsersResponse\":{\"ListUsersResult\":[]}}",
                -EPROTO,
                "ListUsers: missing ListUsersResponse.ListUsersResult");
}

/* ---- tolerated shapes ---- */

static void
test_member_list(void **state)
{
    struct aws_iam_json_user_page *p;

    (void)state;
    p = users_ok(load("list-users-member.json"));
    assert_int_equal(p->n_users, 2);
    assert_user(&p->users[0], "carol", "AIDACKCEVSQ6C2EXAMPLE",
                "arn:aws:iam::111122223333:user/carol", "/", T_2024);
    /* A float epoch is rounded down. */
    assert_user(&p->users[1], "dave=admin", "AIDADAVE00000EXAMPLE",
                "arn:aws:iam::111122223333:user/ops/dave=admin", "/ops/",
                T_2024);
    assert_true(p->is_truncated);
    assert_string_equal(p->marker, "AAEAAdaveXYZ==");
    aws_iam_json_user_page_free(p);
}

static void
test_member_single(void **state)
{
    struct aws_iam_json_user_page *p;

    (void)state;
    p = users_ok(load("list-users-member-single.json"));
    assert_int_equal(p->n_users, 1);
    assert_user(&p->users[0], "solo", "AIDASOLO0000EXAMPLE",
                "arn:aws:iam::111122223333:user/solo", "/", T_2024);
    /* IsTruncated "false" as text. */
    assert_false(p->is_truncated);
    assert_null(p->marker);
    aws_iam_json_user_page_free(p);
}

static void
test_null_fields(void **state)
{
    struct aws_iam_json_user_page *p;

    (void)state;
    p = users_ok(load("list-users-null-fields.json"));
    assert_int_equal(p->n_users, 1);
    /* null Arn stays NULL, null Path defaults to "/". */
    assert_user(&p->users[0], "erin", "AIDAERIN0000EXAMPLE", NULL, "/", T_2024);
    assert_false(p->is_truncated);
    assert_null(p->marker);
    aws_iam_json_user_page_free(p);

    p = users_ok(load("list-users-empty.json"));
    assert_int_equal(p->n_users, 0);
    assert_null(p->users);
    aws_iam_json_user_page_free(p);
}

static void
test_timestamp_forms(void **state)
{
    struct aws_iam_json_user_page *p;
    static const time_t want[] = {
        T_2024, T_2024, T_2024, T_2024, T_2024, 1709164800, 0,
    };
    size_t i;

    (void)state;
    p = users_ok(load("list-users-offsets.json"));
    assert_int_equal(p->n_users, 7);
    for (i = 0; i < 7; i++)
        assert_int_equal(p->users[i].create_date, want[i]);
    aws_iam_json_user_page_free(p);
}

static void
test_empty_list_shapes(void **state)
{
    static const char *const shapes[] = {
        "[]", "null", "{}", "\"\"", "{\"member\":null}", "{\"member\":[]}",
    };
    char json[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        struct aws_iam_json_user_page *p;

        snprintf(json, sizeof(json),
                 "{\"ListUsersResponse\":{\"ListUsersResult\":{\"Users\":%s,"
                 "\"IsTruncated\":false}}}",
                 shapes[i]);
        p = users_ok(from_string(json));
        assert_int_equal(p->n_users, 0);
        assert_null(p->users);
        aws_iam_json_user_page_free(p);
    }
}

static void
test_keys_member_and_case(void **state)
{
    struct aws_iam_json_key_page *p;

    (void)state;
    p = keys_ok(load("list-ssh-public-keys-member.json"));
    assert_int_equal(p->n_keys, 2);
    assert_string_equal(p->keys[0].ssh_public_key_id, "APKAEIBAERJR2EXAMPLE");
    assert_int_equal(p->keys[0].status, AWS_IAM_JSON_KEY_ACTIVE);
    assert_int_equal(p->keys[0].upload_date, T_2024);
    assert_int_equal(p->keys[1].status, AWS_IAM_JSON_KEY_INACTIVE);
    assert_int_equal(p->keys[1].upload_date, T_2024);
    assert_true(p->is_truncated);
    assert_string_equal(p->marker, "key-page-2");
    aws_iam_json_key_page_free(p);
}

static void
test_key_minimal(void **state)
{
    struct aws_iam_json_ssh_key *k;

    (void)state;
    k = key_ok(load("get-ssh-public-key-minimal.json"));
    assert_null(k->fingerprint);
    assert_int_equal(k->upload_date, 0);
    assert_int_equal(k->status, AWS_IAM_JSON_KEY_INACTIVE);
    assert_string_equal(k->ssh_public_key_body,
                        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC x");
    aws_iam_json_ssh_key_free(k);
}

static void
test_group_member_truncated(void **state)
{
    struct fixture_body b = load("get-group-member-truncated.json");
    struct aws_iam_json_group_page *p = NULL;

    (void)state;
    assert_int_equal(aws_iam_json_get_group(b.p, b.len, NULL, 0, NULL, &p), 0);
    free(b.p);
    assert_string_equal(p->group.group_name, "admins");
    assert_string_equal(p->group.group_id, "AGPAADMINS00EXAMPLE");
    assert_null(p->group.arn);
    assert_int_equal(p->n_users, 1);
    assert_string_equal(p->users[0].user_name, "root-ish");
    assert_true(p->is_truncated);
    assert_string_equal(p->marker, "grp-page-2");
    aws_iam_json_group_page_free(p);
}

/* ---- refused bodies ---- */

static void
test_not_json(void **state)
{
    (void)state;
    fixture_fail(LIST_USERS, "html-503.html", -EPROTO,
                 "ListUsers: response is not JSON");
    fixture_fail(LIST_USERS, "list-users-truncated.json", -EPROTO,
                 "ListUsers: response is not JSON (truncated)");
    fixture_fail(LIST_USERS, "list-users-trailing-garbage.json", -EPROTO,
                 "ListUsers: response is not JSON (trailing data)");
    fixture_fail(LIST_USERS, "deep-nesting.json", -EPROTO,
                 "ListUsers: response is not JSON (nested deeper than 32)");
    fixture_fail(LIST_USERS, "not-an-object.json", -EPROTO,
                 "ListUsers: response is not a JSON object");
    inline_fail(LIST_USERS, "", -EPROTO,
                "ListUsers: response is not JSON (empty)");
    inline_fail(LIST_USERS, " \r\n\t", -EPROTO,
                "ListUsers: response is not JSON (empty)");
    inline_fail(GET_KEY, "Service Unavailable", -EPROTO,
                "GetSSHPublicKey: response is not JSON");
    inline_fail(LIST_USERS, "{ListUsersResponse: {}}", -EPROTO,
                "ListUsers: response is not JSON");
    inline_fail(LIST_USERS, "{\"ListUsersResponse\": {},}", -EPROTO,
                "ListUsers: response is not JSON");
    /* Invalid UTF-8 inside a string. */
    inline_fail(LIST_USERS, "{\"ListUsersResponse\":\"\xff\xfe\"}", -EPROTO,
                "ListUsers: response is not JSON");
    /* A successful answer in XML, as AWS gives it to a client that did
     * not ask for JSON: said as such, not "malformed". */
    inline_fail(LIST_USERS,
                "<?xml version=\"1.0\"?>\n"
                "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/"
                "2010-05-08/\"><ListUsersResult><IsTruncated>false"
                "</IsTruncated><Users/></ListUsersResult><ResponseMetadata>"
                "<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>"
                "</ResponseMetadata></ListUsersResponse>",
                -EPROTO,
                "ListUsers: the answer is XML, not JSON: this "
                "endpoint ignores ContentType=JSON and Accept: "
                "application/json (a proxy in between, or not an AWS "
                "endpoint?)");
    /* XML of another shape is not that. */
    inline_fail(LIST_USERS, "<Other><Thing/></Other>", -EPROTO,
                "ListUsers: response is not JSON");
    inline_fail(LIST_USERS,
                "<ErrorResponse><Error><Code></Code></Error>"
                "</ErrorResponse>",
                -EPROTO, "ListUsers: response is not JSON");
}

static void
test_embedded_nul_body(void **state)
{
    static const char json[] = "{\"ListUsersResponse\":{\"ListUsersResult\":"
                               "{\"Users\":[]}}}\0{\"junk\":1}";
    struct fixture_body b;

    (void)state;
    b.len = sizeof(json) - 1;
    b.p = malloc(b.len);
    assert_non_null(b.p);
    memcpy(b.p, json, b.len);
    aws_error_free(
        run_fail(LIST_USERS, b, -EPROTO, "ListUsers: response is not JSON"));
}

static void
test_wrong_shape(void **state)
{
    (void)state;
    fixture_fail(LIST_USERS, "list-users-no-users.json", -EPROTO,
                 "ListUsers: missing ListUsersResult.Users");
    fixture_fail(LIST_USERS, "list-users-missing-userid.json", -EPROTO,
                 "ListUsers: missing ListUsersResult.Users[1].UserId");
    fixture_fail(LIST_USERS, "list-users-wrong-type.json", -EPROTO,
                 "ListUsers: ListUsersResult.Users[0].UserName: expected "
                 "string, got int");
    fixture_fail(GET_GROUP, "get-group-no-group.json", -EPROTO,
                 "GetGroup: missing GetGroupResult.Group");
    fixture_fail(GET_GROUP, "get-group-group-is-string.json", -EPROTO,
                 "GetGroup: GetGroupResult.Group: expected object, got "
                 "string");
    fixture_fail(GET_KEY, "get-ssh-public-key-no-body.json", -EPROTO,
                 "GetSSHPublicKey: missing GetSSHPublicKeyResult."
                 "SSHPublicKey.SSHPublicKeyBody");
    inline_fail(GET_KEY,
                "{\"GetSSHPublicKeyResponse\":{"
                "\"GetSSHPublicKeyResult\":{}}}",
                -EPROTO,
                "GetSSHPublicKey: missing GetSSHPublicKeyResult."
                "SSHPublicKey");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":5}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users: expected list, got int");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":{\"item\":[]}}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users: expected list, got "
                "object");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":{\"member\":\"x\"}}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users.member: expected list, "
                "got string");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":\"alice\"}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users: expected list, got "
                "string");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[1]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0]: expected object, got "
                "int");
    inline_fail(LIST_KEYS,
                "{\"ListSSHPublicKeysResponse\":{"
                "\"ListSSHPublicKeysResult\":{"
                "\"SSHPublicKeys\":[null]}}}",
                -EPROTO,
                "ListSSHPublicKeys: ListSSHPublicKeysResult."
                "SSHPublicKeys[0]: expected object, got null");
}

static void
test_field_values(void **state)
{
    (void)state;
    fixture_fail(LIST_USERS, "list-users-long-name.json", -EPROTO,
                 "ListUsers: ListUsersResult.Users[0].UserName: longer "
                 "than 64 bytes");
    fixture_fail(LIST_USERS, "list-users-control-char.json", -EPROTO,
                 "ListUsers: ListUsersResult.Users[0].UserName: contains "
                 "control characters");
    fixture_fail(LIST_USERS, "list-users-nul.json", -EPROTO,
                 "ListUsers: ListUsersResult.Users[0].UserName: contains a "
                 "NUL byte");
    fixture_fail(LIST_USERS, "list-users-bad-date.json", -EPROTO,
                 "ListUsers: ListUsersResult.Users[0].CreateDate: invalid "
                 "timestamp");
    fixture_fail(LIST_KEYS, "list-ssh-public-keys-bad-status.json", -EPROTO,
                 "ListSSHPublicKeys: ListSSHPublicKeysResult."
                 "SSHPublicKeys[0].Status: unknown status \"Revoked\"");
    fixture_fail(LIST_KEYS, "list-ssh-public-keys-no-date.json", -EPROTO,
                 "ListSSHPublicKeys: missing ListSSHPublicKeysResult."
                 "SSHPublicKeys[0].UploadDate");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"\",\"UserId\":\"x\","
                "\"CreateDate\":0}]}}}",
                -EPROTO, "ListUsers: ListUsersResult.Users[0].UserName: empty");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"a\",\"UserId\":\"x\","
                "\"CreateDate\":true}]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0].CreateDate: expected "
                "timestamp, got boolean");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"a\",\"UserId\":\"x\","
                "\"CreateDate\":-1}]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0].CreateDate: invalid "
                "timestamp");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"a\",\"UserId\":\"x\","
                "\"CreateDate\":1e300}]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0].CreateDate: invalid "
                "timestamp");
    /* json-c reads NaN even in strict mode. */
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"a\",\"UserId\":\"x\","
                "\"CreateDate\":NaN}]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0].CreateDate: invalid "
                "timestamp");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"a\",\"UserId\":\"x\","
                "\"CreateDate\":99999999999999999999}]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0].CreateDate: invalid "
                "timestamp");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[{\"UserName\":\"a\",\"UserId\":\"x\","
                "\"Arn\":[],\"CreateDate\":0}]}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Users[0].Arn: expected string, "
                "got array");
}

static void
test_pagination(void **state)
{
    (void)state;
    fixture_fail(LIST_USERS, "list-users-no-marker.json", -EPROTO,
                 "ListUsers: IsTruncated without Marker");
    fixture_fail(LIST_USERS, "list-users-empty-marker.json", -EPROTO,
                 "ListUsers: IsTruncated without Marker");
    inline_fail(GET_GROUP,
                "{\"GetGroupResponse\":{\"GetGroupResult\":{"
                "\"Group\":{\"GroupName\":\"g\",\"GroupId\":\"i\"}"
                ",\"Users\":[],\"IsTruncated\":true,"
                "\"Marker\":null}}}",
                -EPROTO, "GetGroup: IsTruncated without Marker");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[],\"IsTruncated\":1}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.IsTruncated: expected boolean, "
                "got int");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[],\"IsTruncated\":\"yes\"}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.IsTruncated: expected boolean, "
                "got string");
    inline_fail(LIST_USERS,
                "{\"ListUsersResponse\":{\"ListUsersResult\":{"
                "\"Users\":[],\"IsTruncated\":true,"
                "\"Marker\":7}}}",
                -EPROTO,
                "ListUsers: ListUsersResult.Marker: expected string, got "
                "int");
}

/* Build a GetSSHPublicKey body whose key body is @n bytes long. */
static struct fixture_body
key_body_of(size_t n)
{
    static const char head[] =
        "{\"GetSSHPublicKeyResponse\":{\"GetSSHPublicKeyResult\":{"
        "\"SSHPublicKey\":{\"UserName\":\"a\",\"SSHPublicKeyId\":\"k\","
        "\"Status\":\"Active\",\"SSHPublicKeyBody\":\"";
    static const char tail[] = "\"}}}}";
    struct fixture_body b;

    b.len = sizeof(head) - 1 + n + sizeof(tail) - 1;
    b.p = malloc(b.len);
    assert_non_null(b.p);
    memcpy(b.p, head, sizeof(head) - 1);
    memset(b.p + sizeof(head) - 1, 'A', n);
    memcpy(b.p + sizeof(head) - 1 + n, tail, sizeof(tail) - 1);
    return b;
}

static void
test_length_caps(void **state)
{
    struct aws_iam_json_user_page *p;
    struct aws_iam_json_ssh_key *k;
    char json[512], name[65];

    (void)state;
    memset(name, 'n', 64);
    name[64] = '\0';
    snprintf(json, sizeof(json),
             "{\"ListUsersResponse\":{\"ListUsersResult\":{\"Users\":[{"
             "\"UserName\":\"%s\",\"UserId\":\"x\",\"CreateDate\":0}]}}}",
             name);
    p = users_ok(from_string(json));
    assert_string_equal(p->users[0].user_name, name);
    aws_iam_json_user_page_free(p);

    k = key_ok(key_body_of(AWS_IAM_JSON_KEY_BODY_MAX));
    assert_int_equal(strlen(k->ssh_public_key_body), AWS_IAM_JSON_KEY_BODY_MAX);
    aws_iam_json_ssh_key_free(k);
    aws_error_free(
        run_fail(GET_KEY, key_body_of(AWS_IAM_JSON_KEY_BODY_MAX + 1), -EPROTO,
                 "GetSSHPublicKey: GetSSHPublicKeyResult.SSHPublicKey."
                 "SSHPublicKeyBody: longer than 16384 bytes"));
}

static void
test_size_cap(void **state)
{
    static const char doc[] = "{\"ListUsersResponse\":{\"ListUsersResult\":"
                              "{\"Users\":[]}}}";
    struct aws_iam_json_user_page *p;
    struct fixture_body b;

    (void)state;
    /* Exactly at the cap is parsed (padding is whitespace). */
    b.len = AWS_IAM_JSON_MAX_BODY;
    b.p = malloc(b.len);
    assert_non_null(b.p);
    memset(b.p, ' ', b.len);
    memcpy(b.p, doc, sizeof(doc) - 1);
    p = users_ok(b);
    assert_int_equal(p->n_users, 0);
    aws_iam_json_user_page_free(p);

    b.len = AWS_IAM_JSON_MAX_BODY + 1;
    b.p = malloc(b.len);
    assert_non_null(b.p);
    memset(b.p, ' ', b.len);
    memcpy(b.p, doc, sizeof(doc) - 1);
    aws_error_free(run_fail(LIST_USERS, b, -EFBIG,
                            "ListUsers: response larger than "
                            "8388608 bytes"));
}

static void
test_item_cap(void **state)
{
    static const char head[] =
        "{\"ListUsersResponse\":{\"ListUsersResult\":{\"Users\":[";
    static const char tail[] = "{}]}}}";
    size_t n = AWS_IAM_JSON_MAX_ITEMS + 1, i;
    struct fixture_body b;
    char *q;

    (void)state;
    b.len = sizeof(head) - 1 + (n - 1) * 3 + sizeof(tail) - 1;
    b.p = malloc(b.len);
    assert_non_null(b.p);
    q = b.p;
    memcpy(q, head, sizeof(head) - 1);
    q += sizeof(head) - 1;
    for (i = 0; i < n - 1; i++, q += 3)
        memcpy(q, "{},", 3);
    memcpy(q, tail, sizeof(tail) - 1);
    aws_error_free(run_fail(LIST_USERS, b, -EPROTO,
                            "ListUsers: ListUsersResult.Users: more "
                            "than 100000 items"));
}

static void
test_bad_args(void **state)
{
    struct aws_iam_json_user_page *p = NULL;
    struct aws_error *e = NULL;
    char err[AWS_IAM_JSON_ERRBUF_SIZE] = "";
    char small[12];

    (void)state;
    assert_int_equal(aws_iam_json_list_users(NULL, 0, err, sizeof(err), &e, &p),
                     -EINVAL);
    assert_string_equal(err, "ListUsers: no response body");
    assert_null(p);
    assert_int_equal(aws_iam_json_list_users("{}", 2, NULL, 10, &e, &p),
                     -EINVAL);
    assert_null(p);
    assert_null(e);
    /* The reason is cut to fit and still NUL-terminated. */
    assert_int_equal(
        aws_iam_json_list_users("x", 1, small, sizeof(small), &e, &p), -EPROTO);
    assert_string_equal(small, "ListUsers: ");
    assert_int_equal(aws_iam_json_list_users("x", 1, small, 5, &e, &p),
                     -EPROTO);
    assert_string_equal(small, "List");
}

/* ---- error documents ---- */

static void
test_error_documents(void **state)
{
    struct aws_error *e;

    (void)state;
    e = run_fail(LIST_USERS, load("error-throttling.xml"), -EREMOTEIO,
                 "ListUsers: AWS error Throttling: Rate exceeded & <slow "
                 "down>");
    assert_string_equal(e->code, "Throttling");
    assert_string_equal(e->type, "Sender");
    assert_string_equal(e->request_id, "3f0d2c1e-1111-4a4a-9b9b-EXAMPLE");
    assert_true(aws_error_retryable(e->code, 400));
    aws_error_free(e);

    e = run_fail(GET_KEY, load("error-wrapped.json"), -EREMOTEIO,
                 "GetSSHPublicKey: AWS error Throttling: Rate exceeded");
    assert_string_equal(e->request_id, "wrapped-req-1");
    aws_error_free(e);

    fixture_fail(LIST_USERS, "error-no-code.json", -EPROTO,
                 "ListUsers: error response without a valid Error.Code");

    /* Control bytes in texts become '?', so they are safe to log. */
    e = run_fail(LIST_KEYS, load("error-control-chars.json"), -EREMOTEIO,
                 "ListSSHPublicKeys: AWS error InternalFailure: line "
                 "one?line two?end");
    assert_string_equal(e->message, "line one?line two?end");
    assert_string_equal(e->request_id, "ctl-1");
    assert_string_equal(e->type, "Receiver");
    aws_error_free(e);

    e = run_fail(LIST_USERS,
                 from_string("{\"Errors\":[{\"Code\":\"RequestLimitExceeded\""
                             "}],\"RequestId\":\"q\"}"),
                 -EREMOTEIO,
                 "ListUsers: AWS error RequestLimitExceeded: (no message)");
    assert_null(e->message);
    assert_null(e->type);
    assert_string_equal(e->request_id, "q");
    aws_error_free(e);

    inline_fail(LIST_USERS, "{\"Error\":{\"Code\":5}}", -EPROTO,
                "ListUsers: error response without a valid Error.Code");
}

/* ---- GetAccountAuthorizationDetails ---- */

#define GAAD_ED                                                                \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGlrc3BiYXJxdXV4eHl6enlraXNwYmFycXV"  \
    "1eHh5eno="

/* A filter as iam-sync's: some users wanted, tags "ssh-key[-*]" only. */
struct gaad_want {
    const char *const *ids; /* NULL-ended; NULL: every user */
    unsigned users_asked;
};

static bool
gaad_keep_user(void *arg, const char *user_id)
{
    struct gaad_want *w = arg;
    size_t i;

    w->users_asked++;
    for (i = 0; w->ids && w->ids[i]; i++)
        if (strcmp(w->ids[i], user_id) == 0)
            return true;
    return !w->ids;
}

static bool
gaad_keep_tag(void *arg, const char *user_name, const char *key,
              const char *value)
{
    (void)arg;
    assert_non_null(user_name);
    assert_non_null(value);
    return strcmp(key, "ssh-key") == 0 || strncmp(key, "ssh-key-", 8) == 0;
}

static int
gaad_parse(const char *fixture, struct gaad_want *w, char *err, size_t errlen,
           struct aws_iam_json_gaad_page **ret)
{
    struct aws_iam_json_gaad_filter flt = { gaad_keep_user, gaad_keep_tag, w };
    struct fixture_body b = load(fixture);
    int r;

    r = aws_iam_json_get_account_authorization_details(b.p, b.len, &flt, err,
                                                       errlen, NULL, ret);
    free(b.p);
    return r;
}

static void
test_gaad_moto(void **state)
{
    struct aws_iam_json_gaad_page *p = NULL;
    struct gaad_want all = { NULL, 0 };
    char err[AWS_IAM_JSON_ERRBUF_SIZE];

    (void)state;
    /* bob has no Tags member at all: no entry, no failure */
    assert_int_equal(gaad_parse("moto-get-account-authorization-details.json",
                                &all, err, sizeof(err), &p),
                     0);
    assert_int_equal(all.users_asked, 2);
    assert_int_equal(p->n_users, 1);
    assert_string_equal(p->users[0].user_name, "alice");
    assert_string_equal(p->users[0].user_id, "7g6ckscx95thtgyr0vnf");
    assert_int_equal(p->users[0].n_tags, 1); /* "team" dropped */
    assert_string_equal(p->users[0].tags[0].key, "ssh-key");
    assert_string_equal(p->users[0].tags[0].value, GAAD_ED);
    assert_false(p->is_truncated);
    assert_null(p->marker);
    aws_iam_json_gaad_page_free(p);
}

static void
test_gaad_filtered_page(void **state)
{
    static const char *const wanted[] = { "AIDANOTAGS", "AIDAOTHER",
                                          "AIDACAROL", "AIDADAVE", NULL };
    struct aws_iam_json_gaad_page *p = NULL;
    struct gaad_want w = { wanted, 0 };
    char err[AWS_IAM_JSON_ERRBUF_SIZE];

    (void)state;
    assert_int_equal(
        gaad_parse("gaad-truncated.json", &w, err, sizeof(err), &p), 0);
    assert_int_equal(w.users_asked, 5);
    /* no Tags, only foreign tags, null Tags, unwanted (erin): all gone */
    assert_int_equal(p->n_users, 1);
    assert_string_equal(p->users[0].user_name, "carol");
    assert_string_equal(p->users[0].user_id, "AIDACAROL");
    assert_int_equal(p->users[0].n_tags, 2);
    assert_string_equal(p->users[0].tags[0].key, "ssh-key-a");
    assert_string_equal(p->users[0].tags[0].value, GAAD_ED);
    assert_string_equal(p->users[0].tags[1].key, "ssh-key");
    assert_string_equal(p->users[0].tags[1].value, ""); /* absent Value */
    assert_true(p->is_truncated);
    assert_string_equal(p->marker, "page-2");
    aws_iam_json_gaad_page_free(p);

    /* Nobody wanted: no users, and no array either. */
    {
        static const char *const none[] = { "AIDANOBODY", NULL };
        struct gaad_want w0 = { none, 0 };

        assert_int_equal(
            gaad_parse("gaad-truncated.json", &w0, err, sizeof(err), &p), 0);
        assert_int_equal(p->n_users, 0);
        assert_null(p->users);
        aws_iam_json_gaad_page_free(p);
    }

    /* NULL filter: every user and every tag */
    {
        struct fixture_body b = load("gaad-truncated.json");

        assert_int_equal(aws_iam_json_get_account_authorization_details(
                             b.p, b.len, NULL, err, sizeof(err), NULL, &p),
                         0);
        free(b.p);
        assert_int_equal(p->n_users, 3); /* other, carol, erin */
        assert_int_equal(p->users[0].n_tags, 3);
        aws_iam_json_gaad_page_free(p);
    }
}

static void
test_gaad_hostile(void **state)
{
    static const struct {
        const char *fixture;
        const char *reason;
    } cases[] = {
        { "gaad-ctrl-in-tag.json", "control characters" },
        { "gaad-nul-in-key.json", "NUL" },
        { "gaad-long-name.json", "UserName: longer than 64" },
        { "gaad-missing-userid.json", "UserDetailList[0].UserId" },
        { "gaad-no-list.json", "missing GetAccountAuthorizationDetailsResult."
                               "UserDetailList" },
        { "gaad-list-is-number.json", "expected list" },
        { "gaad-tags-is-string.json", "Tags: expected list" },
        { "gaad-no-marker.json", "IsTruncated without Marker" },
        { "gaad-tag-value-too-long.json", "Value: longer than 1024" },
        { "moto-list-users.json", "missing GetAccountAuthorizationDetails"
                                  "Response" },
    };
    static const char *const erin[] = { "AIDAERIN", NULL };
    struct aws_iam_json_gaad_page *p = NULL;
    struct gaad_want w = { erin, 0 };
    char err[AWS_IAM_JSON_ERRBUF_SIZE];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        p = (void *)1;
        assert_int_equal(gaad_parse(cases[i].fixture, &w, err, sizeof(err), &p),
                         -EPROTO);
        assert_null(p);
        if (!strstr(err, cases[i].reason))
            fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].fixture, err,
                     cases[i].reason);
        assert_non_null(strstr(err, "GetAccountAuthorizationDetails: "));
    }
    /* An unwanted user's tags are never read: its hostile value is no
     * failure, and nothing of it is kept. */
    assert_int_equal(
        gaad_parse("gaad-hostile-unwanted.json", &w, err, sizeof(err), &p), 0);
    assert_int_equal(p->n_users, 1);
    assert_string_equal(p->users[0].user_id, "AIDAERIN");
    aws_iam_json_gaad_page_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moto_list_users),
        cmocka_unit_test(test_moto_get_group),
        cmocka_unit_test(test_moto_get_group_empty),
        cmocka_unit_test(test_moto_list_ssh_public_keys),
        cmocka_unit_test(test_moto_get_ssh_public_key),
        cmocka_unit_test(test_moto_get_user),
        cmocka_unit_test(test_moto_errors),
        cmocka_unit_test(test_wrong_action),
        cmocka_unit_test(test_member_list),
        cmocka_unit_test(test_member_single),
        cmocka_unit_test(test_null_fields),
        cmocka_unit_test(test_timestamp_forms),
        cmocka_unit_test(test_empty_list_shapes),
        cmocka_unit_test(test_keys_member_and_case),
        cmocka_unit_test(test_key_minimal),
        cmocka_unit_test(test_group_member_truncated),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_embedded_nul_body),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_field_values),
        cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_length_caps),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_item_cap),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_error_documents),
        cmocka_unit_test(test_gaad_moto),
        cmocka_unit_test(test_gaad_filtered_page),
        cmocka_unit_test(test_gaad_hostile),
    };

    fixture_path("iam", fixtures, sizeof(fixtures));
    return cmocka_run_group_tests_name("iam_json", tests, NULL, NULL);
}
