/*
 * fuzz_iam_json: every IAM response parser of aws_iam_json.h on the same
 * arbitrary body (ListUsers, GetGroup, ListSSHPublicKeys, GetSSHPublicKey,
 * ListUserTags, GetAccountAuthorizationDetails with and without a filter),
 * the error document reader of aws_error.h and the timestamp reader of
 * aws_time.h.
 *
 * Invariants (the contract at the top of aws_iam_json.h): the return value
 * is one of the documented codes; on success the result is set and the
 * error is not, on -EREMOTEIO the reverse, on anything else neither; a
 * failure leaves a NUL-terminated, non-empty reason in errbuf; required
 * fields are present and within their length caps; a page is truncated
 * exactly when it carries a non-empty marker; a list of n items has
 * n items.
 */
#include <errno.h>

#include "aws_error.h"
#include "aws_iam_json.h"
#include "aws_time.h"
#include "fuzz.h"

#define ERRLEN AWS_IAM_JSON_ERRBUF_SIZE

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void
check_str(const char *s, size_t max, int required)
{
    if (!s) {
        FUZZ_ASSERT(!required);
        return;
    }
    FUZZ_ASSERT(s[0] != '\0');
    FUZZ_ASSERT(strlen(s) <= max);
}

static void
check_user(const struct aws_iam_json_user *u)
{
    check_str(u->user_name, AWS_IAM_JSON_USER_NAME_MAX, 1);
    check_str(u->user_id, AWS_IAM_JSON_ID_MAX, 1);
    check_str(u->arn, AWS_IAM_JSON_ARN_MAX, 0);
    check_str(u->path, AWS_IAM_JSON_PATH_MAX, 1);
}

static void
check_page(size_t n, const void *items, bool truncated, const char *marker)
{
    FUZZ_ASSERT((n == 0) == (items == NULL));
    FUZZ_ASSERT(n <= AWS_IAM_JSON_MAX_ITEMS);
    if (truncated)
        check_str(marker, AWS_IAM_JSON_MARKER_MAX, 1);
    else
        FUZZ_ASSERT(marker == NULL);
}

static void
check_error(const struct aws_error *e)
{
    FUZZ_ASSERT(e != NULL);
    check_str(e->code, AWS_ERROR_CODE_MAX, 1);
    if (e->message)
        check_str(e->message, AWS_ERROR_TEXT_MAX, 0);
    (void)aws_error_retryable(e->code, 400);
    (void)aws_error_retryable(e->code, 503);
}

/* The shared part of every parser's contract. */
static void
check_outcome(int r, const void *result, struct aws_error *error,
              const char *errbuf)
{
    FUZZ_ASSERT(r == 0 || r == -EREMOTEIO || r == -EPROTO || r == -EFBIG ||
                r == -ENOMEM);
    FUZZ_ASSERT((r == 0) == (result != NULL));
    FUZZ_ASSERT((r == -EREMOTEIO) == (error != NULL));
    FUZZ_ASSERT(memchr(errbuf, '\0', ERRLEN) != NULL);
    if (r < 0)
        FUZZ_ASSERT(errbuf[0] != '\0');
    if (error)
        check_error(error);
    aws_error_free(error);
}

static void
run_list_users(const char *body, size_t len, char *errbuf)
{
    struct aws_iam_json_user_page *page;
    struct aws_error *error;
    size_t i;
    int r;

    errbuf[0] = '\0';
    r = aws_iam_json_list_users(body, len, errbuf, ERRLEN, &error, &page);
    check_outcome(r, page, error, errbuf);
    if (!page)
        return;
    check_page(page->n_users, page->users, page->is_truncated, page->marker);
    for (i = 0; i < page->n_users; i++)
        check_user(&page->users[i]);
    aws_iam_json_user_page_free(page);
}

static void
run_get_group(const char *body, size_t len, char *errbuf)
{
    struct aws_iam_json_group_page *page;
    struct aws_error *error;
    size_t i;
    int r;

    errbuf[0] = '\0';
    r = aws_iam_json_get_group(body, len, errbuf, ERRLEN, &error, &page);
    check_outcome(r, page, error, errbuf);
    if (!page)
        return;
    check_str(page->group.group_name, AWS_IAM_JSON_GROUP_NAME_MAX, 1);
    check_str(page->group.group_id, AWS_IAM_JSON_ID_MAX, 1);
    check_str(page->group.arn, AWS_IAM_JSON_ARN_MAX, 0);
    check_page(page->n_users, page->users, page->is_truncated, page->marker);
    for (i = 0; i < page->n_users; i++)
        check_user(&page->users[i]);
    aws_iam_json_group_page_free(page);
}

static void
run_list_keys(const char *body, size_t len, char *errbuf)
{
    struct aws_iam_json_key_page *page;
    struct aws_error *error;
    size_t i;
    int r;

    errbuf[0] = '\0';
    r = aws_iam_json_list_ssh_public_keys(body, len, errbuf, ERRLEN, &error,
                                          &page);
    check_outcome(r, page, error, errbuf);
    if (!page)
        return;
    check_page(page->n_keys, page->keys, page->is_truncated, page->marker);
    for (i = 0; i < page->n_keys; i++) {
        check_str(page->keys[i].user_name, AWS_IAM_JSON_USER_NAME_MAX, 1);
        check_str(page->keys[i].ssh_public_key_id, AWS_IAM_JSON_ID_MAX, 1);
        FUZZ_ASSERT(page->keys[i].status == AWS_IAM_JSON_KEY_ACTIVE ||
                    page->keys[i].status == AWS_IAM_JSON_KEY_INACTIVE);
    }
    aws_iam_json_key_page_free(page);
}

static void
run_get_key(const char *body, size_t len, char *errbuf)
{
    struct aws_iam_json_ssh_key *key;
    struct aws_error *error;
    int r;

    errbuf[0] = '\0';
    r = aws_iam_json_get_ssh_public_key(body, len, errbuf, ERRLEN, &error,
                                        &key);
    check_outcome(r, key, error, errbuf);
    if (!key)
        return;
    check_str(key->user_name, AWS_IAM_JSON_USER_NAME_MAX, 1);
    check_str(key->ssh_public_key_id, AWS_IAM_JSON_ID_MAX, 1);
    check_str(key->fingerprint, AWS_IAM_JSON_FINGERPRINT_MAX, 0);
    check_str(key->ssh_public_key_body, AWS_IAM_JSON_KEY_BODY_MAX, 1);
    FUZZ_ASSERT(key->status == AWS_IAM_JSON_KEY_ACTIVE ||
                key->status == AWS_IAM_JSON_KEY_INACTIVE);
    aws_iam_json_ssh_key_free(key);
}

static void
run_list_tags(const char *body, size_t len, char *errbuf)
{
    struct aws_iam_json_tag_page *page;
    struct aws_error *error;
    size_t i;
    int r;

    errbuf[0] = '\0';
    r = aws_iam_json_list_user_tags(body, len, errbuf, ERRLEN, &error, &page);
    check_outcome(r, page, error, errbuf);
    if (!page)
        return;
    check_page(page->n_tags, page->tags, page->is_truncated, page->marker);
    for (i = 0; i < page->n_tags; i++) {
        check_str(page->tags[i].key, AWS_IAM_JSON_TAG_KEY_MAX, 1);
        /* an empty value is a value: "" */
        FUZZ_ASSERT(page->tags[i].value != NULL);
        FUZZ_ASSERT(strlen(page->tags[i].value) <= AWS_IAM_JSON_TAG_VALUE_MAX);
    }
    aws_iam_json_tag_page_free(page);
}

/* Keeps every other user and every tag whose key starts with 's'. */
static bool
keep_odd_user(void *arg, const char *user_id)
{
    unsigned *n = arg;

    FUZZ_ASSERT(user_id[0] != '\0');
    return (*n)++ % 2 == 0;
}

static bool
keep_s_tag(void *arg, const char *user_name, const char *key, const char *value)
{
    (void)arg;
    FUZZ_ASSERT(user_name[0] != '\0' && key[0] != '\0' && value != NULL);
    return key[0] == 's';
}

static void
run_gaad(const char *body, size_t len, char *errbuf, bool filtered)
{
    unsigned n = 0;
    struct aws_iam_json_gaad_filter flt = { keep_odd_user, keep_s_tag, &n };
    struct aws_iam_json_gaad_page *page;
    struct aws_error *error;
    size_t i, k;
    int r;

    errbuf[0] = '\0';
    r = aws_iam_json_get_account_authorization_details(
        body, len, filtered ? &flt : NULL, errbuf, ERRLEN, &error, &page);
    check_outcome(r, page, error, errbuf);
    if (!page)
        return;
    check_page(page->n_users, page->users, page->is_truncated, page->marker);
    for (i = 0; i < page->n_users; i++) {
        check_str(page->users[i].user_name, AWS_IAM_JSON_USER_NAME_MAX, 1);
        check_str(page->users[i].user_id, AWS_IAM_JSON_ID_MAX, 1);
        /* a user is kept only for a tag */
        FUZZ_ASSERT(page->users[i].n_tags > 0);
        for (k = 0; k < page->users[i].n_tags; k++) {
            check_str(page->users[i].tags[k].key, AWS_IAM_JSON_TAG_KEY_MAX, 1);
            FUZZ_ASSERT(!filtered || page->users[i].tags[k].key[0] == 's');
            FUZZ_ASSERT(strlen(page->users[i].tags[k].value) <=
                        AWS_IAM_JSON_TAG_VALUE_MAX);
        }
    }
    aws_iam_json_gaad_page_free(page);
}

static void
run_parse_error(const char *body, size_t len)
{
    struct aws_error *error;
    int r;

    r = aws_error_parse(body, len, &error);
    FUZZ_ASSERT(r == 0 || r == -ENOMSG || r == -EPROTO || r == -EFBIG ||
                r == -ENOMEM);
    FUZZ_ASSERT((r == 0) == (error != NULL));
    if (error)
        check_error(error);
    aws_error_free(error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_dup(data, size);
    char *errbuf = malloc(ERRLEN);
    time_t t;

    FUZZ_ASSERT(errbuf != NULL);
    run_list_users(body, size, errbuf);
    run_get_group(body, size, errbuf);
    run_list_keys(body, size, errbuf);
    run_get_key(body, size, errbuf);
    run_list_tags(body, size, errbuf);
    run_gaad(body, size, errbuf, false);
    run_gaad(body, size, errbuf, true);
    run_parse_error(body, size);
    if (size <= 64 && aws_time_parse(body, size, &t) == 0) {
        FUZZ_ASSERT(t >= 0);
        FUZZ_ASSERT(t <= 253402300799);
    }
    free(errbuf);
    free(body);
    return 0;
}
