/*
 * aws_iam_json: parsers for the IAM Query API responses requested with
 * ContentType=JSON.
 *
 * Pure functions: no network, no global state, no logging of bodies. Each
 * parser takes the raw body (not necessarily NUL-terminated) and its
 * length, and either hands back a heap structure the caller frees with the
 * matching *_free(), or fails with a one-line reason in the caller's errbuf
 * of the form "<Action>: <what>", e.g. "ListUsers: response is not JSON" or
 * "ListUsers: missing ListUsersResult.Users[2].UserId".
 *
 * Shapes accepted (IAM with ContentType=JSON is undocumented, so both what
 * AWS SDKs have seen and what moto produces are accepted):
 *   success  {"<Action>Response": {"<Action>Result": {...},
 *             "ResponseMetadata": {...}}}
 *   error    any AWS error document aws_error.h reads, JSON or XML (AWS
 *            and moto answer in XML when the request fails before the
 *            ContentType is looked at: bad signature, unknown key id).
 *   lists    a JSON array, {"member": [...]}, {"member": {one item}},
 *            {} or "" (empty), null (empty).
 *   times    what aws_time.h reads: ISO-8601 with an offset, or epoch
 *            seconds as a JSON number (integer or float) or as text.
 *   booleans IsTruncated as true/false or "true"/"false"; absent is false.
 *   fields   absent, null and "" are the same thing: a required field is
 *            an error naming it, an optional one gets its documented
 *            default. A list (Users, SSHPublicKeys) must be present, but
 *            null means empty.
 *
 * Every parser below returns:
 *   0            success; *ret_* is set and owned by the caller.
 *   -EREMOTEIO   the body is an AWS error document; *ret_error (if the
 *                caller passed one) is set and owned by the caller.
 *   -EPROTO      not JSON, truncated, nested deeper than
 *                AWS_IAM_JSON_MAX_DEPTH, wrong shape, a field of the wrong
 *                type, too long, empty, with control characters or an
 *                invalid value (timestamp, status), more than
 *                AWS_IAM_JSON_MAX_ITEMS list items, or IsTruncated true
 *                without a Marker.
 *   -EFBIG       len > AWS_IAM_JSON_MAX_BODY; nothing was parsed.
 *   -ENOMEM      out of memory.
 *   -EINVAL      body is NULL, or errbuf is NULL with errbuf_size > 0.
 * On every failure errbuf (when errbuf_size > 0) holds a NUL-terminated
 * reason, truncated to fit; on success it is left as it was. The reason
 * quotes no field value except a Status and, for -EREMOTEIO, the AWS error
 * code and message (control characters replaced), so it is safe to log.
 *
 * Out-params: *ret_error and the result pointer (which must not be NULL)
 * are set to NULL on entry.
 * The result is set only on 0, *ret_error only on -EREMOTEIO. ret_error may
 * be NULL when the caller does not want the error document.
 *
 * Thread-safety: every function is reentrant.
 */
#ifndef AWS_IAM_JSON_H
#define AWS_IAM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws_error.h"

/* Largest body accepted; IAM pages are far smaller (<= 1000 items). */
#define AWS_IAM_JSON_MAX_BODY (8u * 1024u * 1024u)
/* Deepest nesting accepted; real responses are 5 levels deep. */
#define AWS_IAM_JSON_MAX_DEPTH 32
/* Most items accepted in one list. */
#define AWS_IAM_JSON_MAX_ITEMS 100000u
/* A size for errbuf that holds every reason but a long AWS message. */
#define AWS_IAM_JSON_ERRBUF_SIZE 512

/* Length caps (bytes, excluding the NUL); longer values are -EPROTO. */
#define AWS_IAM_JSON_USER_NAME_MAX 64
#define AWS_IAM_JSON_GROUP_NAME_MAX 128
#define AWS_IAM_JSON_ID_MAX 128
#define AWS_IAM_JSON_ARN_MAX 2048
#define AWS_IAM_JSON_PATH_MAX 512
#define AWS_IAM_JSON_MARKER_MAX 1024
#define AWS_IAM_JSON_FINGERPRINT_MAX 128
#define AWS_IAM_JSON_KEY_BODY_MAX 16384
/* IAM tags: 128 and 256 characters of any script, up to 4 bytes each in
 * UTF-8. */
#define AWS_IAM_JSON_TAG_KEY_MAX 512
#define AWS_IAM_JSON_TAG_VALUE_MAX 1024

enum aws_iam_json_key_status {
    AWS_IAM_JSON_KEY_ACTIVE = 0,
    AWS_IAM_JSON_KEY_INACTIVE = 1,
};

/* An IAM user (ListUsers item, GetGroup member). */
struct aws_iam_json_user {
    char *user_name;    /* required, 1..64 bytes */
    char *user_id;      /* required, AIDA... */
    char *arn;          /* NULL when absent */
    char *path;         /* "/" when absent */
    time_t create_date; /* required */
};

/* One ListUsers page. */
struct aws_iam_json_user_page {
    struct aws_iam_json_user *users; /* n_users items; NULL when 0 */
    size_t n_users;
    bool is_truncated;
    char *marker; /* non-empty when is_truncated, else NULL */
};

struct aws_iam_json_group {
    char *group_name; /* required */
    char *group_id;   /* required, AGPA... */
    char *arn;        /* NULL when absent */
};

/* One GetGroup page: the group and (a page of) its members. */
struct aws_iam_json_group_page {
    struct aws_iam_json_group group;
    struct aws_iam_json_user *users; /* n_users items; NULL when 0 */
    size_t n_users;
    bool is_truncated;
    char *marker; /* non-empty when is_truncated, else NULL */
};

/* A ListSSHPublicKeys item: metadata only, no key body. */
struct aws_iam_json_key_meta {
    char *user_name;                     /* required */
    char *ssh_public_key_id;             /* required, APKA... */
    enum aws_iam_json_key_status status; /* required */
    time_t upload_date;                  /* required */
};

/* One ListSSHPublicKeys page. */
struct aws_iam_json_key_page {
    struct aws_iam_json_key_meta *keys; /* n_keys items; NULL when 0 */
    size_t n_keys;
    bool is_truncated;
    char *marker; /* non-empty when is_truncated, else NULL */
};

/* A ListUserTags item. */
struct aws_iam_json_tag {
    char *key;   /* required */
    char *value; /* "" when absent or empty */
};

/* One ListUserTags page. */
struct aws_iam_json_tag_page {
    struct aws_iam_json_tag *tags; /* n_tags items; NULL when 0 */
    size_t n_tags;
    bool is_truncated;
    char *marker; /* non-empty when is_truncated, else NULL */
};

/*
 * What a GetAccountAuthorizationDetails page keeps of one user: names and
 * the tags the filter kept. Policies, groups and every other tag are
 * dropped while parsing.
 */
struct aws_iam_json_gaad_user {
    char *user_name;               /* required */
    char *user_id;                 /* required, AIDA... */
    struct aws_iam_json_tag *tags; /* n_tags >= 1 items */
    size_t n_tags;
};

/* One GetAccountAuthorizationDetails page: only users with a kept tag. */
struct aws_iam_json_gaad_page {
    struct aws_iam_json_gaad_user *users; /* n_users items; NULL when 0 */
    size_t n_users;
    bool is_truncated;
    char *marker; /* non-empty when is_truncated, else NULL */
};

/*
 * Which parts of a GetAccountAuthorizationDetails page to keep. Both
 * callbacks may be NULL (keep all). They see checked values only.
 * @keep_user: is this user's tags wanted at all? Its tags are not even
 *             read when not.
 * @keep_tag:  is this tag of a kept user wanted? May log; must not keep
 *             the pointers, which die with the page.
 */
struct aws_iam_json_gaad_filter {
    bool (*keep_user)(void *arg, const char *user_id);
    bool (*keep_tag)(void *arg, const char *user_name, const char *key,
                     const char *value);
    void *arg;
};

/* GetSSHPublicKey (Encoding=SSH). */
struct aws_iam_json_ssh_key {
    char *user_name;           /* required */
    char *ssh_public_key_id;   /* required */
    char *fingerprint;         /* NULL when absent */
    char *ssh_public_key_body; /* required, <= 16 KiB, not validated */
    enum aws_iam_json_key_status status; /* required */
    time_t upload_date; /* 0 when absent (IAM marks it optional) */
};

/*
 * aws_iam_json_list_users - parse a ListUsers response.
 * @body, @len: the response body; need not be NUL-terminated.
 * @errbuf, @errbuf_size: receives the reason on failure (may be NULL, 0).
 * @ret_error: receives the AWS error on -EREMOTEIO; may be NULL.
 * @ret_page: receives the page on 0; free with
 *            aws_iam_json_user_page_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_list_users(const char *body, size_t len, char *errbuf,
                        size_t errbuf_size, struct aws_error **ret_error,
                        struct aws_iam_json_user_page **ret_page);

/* aws_iam_json_user_page_free - free a page and its strings; NULL is ok. */
void
aws_iam_json_user_page_free(struct aws_iam_json_user_page *page);

/*
 * aws_iam_json_get_group - parse a GetGroup response. GetGroupResult.Group
 * and GetGroupResult.Users are required (Users may be an empty list).
 * @body, @len, @errbuf, @errbuf_size, @ret_error: as for
 *            aws_iam_json_list_users().
 * @ret_page: receives the page on 0; free with
 *            aws_iam_json_group_page_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_get_group(const char *body, size_t len, char *errbuf,
                       size_t errbuf_size, struct aws_error **ret_error,
                       struct aws_iam_json_group_page **ret_page);

/* aws_iam_json_group_page_free - free a page and its strings; NULL is ok. */
void
aws_iam_json_group_page_free(struct aws_iam_json_group_page *page);

/*
 * aws_iam_json_list_ssh_public_keys - parse a ListSSHPublicKeys response.
 * A Status other than "Active"/"Inactive" (any case) is -EPROTO: a status
 * this code does not know must not be guessed into a served key.
 * @body, @len, @errbuf, @errbuf_size, @ret_error: as for
 *            aws_iam_json_list_users().
 * @ret_page: receives the page on 0; free with
 *            aws_iam_json_key_page_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_list_ssh_public_keys(const char *body, size_t len, char *errbuf,
                                  size_t errbuf_size,
                                  struct aws_error **ret_error,
                                  struct aws_iam_json_key_page **ret_page);

/* aws_iam_json_key_page_free - free a page and its strings; NULL is ok. */
void
aws_iam_json_key_page_free(struct aws_iam_json_key_page *page);

/*
 * aws_iam_json_list_user_tags - parse a ListUserTags response: Tags (an
 * empty list when the user has none), IsTruncated, Marker. Values are
 * copied, not interpreted.
 * @body, @len, @errbuf, @errbuf_size, @ret_error: as for
 *            aws_iam_json_list_users().
 * @ret_page: receives the page on 0; free with
 *            aws_iam_json_tag_page_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_list_user_tags(const char *body, size_t len, char *errbuf,
                            size_t errbuf_size, struct aws_error **ret_error,
                            struct aws_iam_json_tag_page **ret_page);

/* aws_iam_json_tag_page_free - free a page and its strings; NULL is ok. */
void
aws_iam_json_tag_page_free(struct aws_iam_json_tag_page *page);

/*
 * aws_iam_json_get_account_authorization_details - parse one page of
 * GetAccountAuthorizationDetails (asked with Filter=User): of
 * UserDetailList (required; null or empty is no user), each entry's
 * UserName and UserId (required, checked as ListUsers' are) and Tags
 * (absent is none), then IsTruncated and Marker. Only what @filter keeps
 * is copied: the caller never holds a page's policies, groups or foreign
 * tags. A kept tag is checked as ListUserTags' are.
 * @filter: may be NULL: every user and tag is kept.
 * @body, @len, @errbuf, @errbuf_size, @ret_error: as for
 *            aws_iam_json_list_users().
 * @ret_page: receives the page on 0; free with
 *            aws_iam_json_gaad_page_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_get_account_authorization_details(
    const char *body, size_t len, const struct aws_iam_json_gaad_filter *filter,
    char *errbuf, size_t errbuf_size, struct aws_error **ret_error,
    struct aws_iam_json_gaad_page **ret_page);

/* aws_iam_json_gaad_page_free - free a page and its strings; NULL is ok. */
void
aws_iam_json_gaad_page_free(struct aws_iam_json_gaad_page *page);

/*
 * aws_iam_json_get_user - parse a GetUser response:
 * GetUserResult.User (required), its fields read and checked as a
 * ListUsers item's; the rest (Tags, PasswordLastUsed, ...) is ignored.
 * A user that does not exist is -EREMOTEIO with the code NoSuchEntity.
 * @body, @len, @errbuf, @errbuf_size, @ret_error: as for
 *            aws_iam_json_list_users().
 * @ret_user: receives the user on 0; free with aws_iam_json_user_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_get_user(const char *body, size_t len, char *errbuf,
                      size_t errbuf_size, struct aws_error **ret_error,
                      struct aws_iam_json_user **ret_user);

/* aws_iam_json_user_free - free a user and its strings; NULL is ok. */
void
aws_iam_json_user_free(struct aws_iam_json_user *user);

/*
 * aws_iam_json_get_ssh_public_key - parse a GetSSHPublicKey response.
 * The key body is only copied; validating it is the key-line code's job.
 * @body, @len, @errbuf, @errbuf_size, @ret_error: as for
 *            aws_iam_json_list_users().
 * @ret_key: receives the key on 0; free with aws_iam_json_ssh_key_free().
 * Returns 0, -EREMOTEIO, -EPROTO, -EFBIG, -ENOMEM or -EINVAL (see top).
 */
int
aws_iam_json_get_ssh_public_key(const char *body, size_t len, char *errbuf,
                                size_t errbuf_size,
                                struct aws_error **ret_error,
                                struct aws_iam_json_ssh_key **ret_key);

/* aws_iam_json_ssh_key_free - free a key and its strings; NULL is ok. */
void
aws_iam_json_ssh_key_free(struct aws_iam_json_ssh_key *key);

#endif
