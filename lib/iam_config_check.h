/*
 * iam_config_check: the tests a value of /etc/nss-iam.conf must pass
 * (names, tag keys, role ARNs, paths, URLs, keys), for the key table of
 * iam_config.c. Each says what is wrong as "KEY: what is wrong"; the
 * parser puts "FILE:LINE: " in front.
 *
 * Pure functions of their arguments: no allocation, no state, safe from
 * any thread. Values are NUL-terminated; the key is only echoed.
 */
#ifndef IAM_CONFIG_CHECK_H
#define IAM_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Values are echoed in messages up to this many bytes, so that one long
 * value cannot push the file name and line out of a short errbuf. */
#define IAM_CONFIG_SHOW "%.64s"

/* Room for any message of these checks, untruncated: a key name, a value
 * shown as IAM_CONFIG_SHOW and at most 256 bytes more. */
#define IAM_CONFIG_CHECK_WHY_MAX 512

/* A value test and what a value that passes it is, for the message
 * "KEY: "VALUE" is not WHAT". */
struct iam_config_rule {
    bool (*ok)(const char *v);
    const char *what;
};

/* IAM group names: [A-Za-z0-9+=,.@_-]{1,128}. */
extern const struct iam_config_rule iam_config_rule_iam_group;
/* Local group names, as iam_name_is_valid_posix(). */
extern const struct iam_config_rule iam_config_rule_posix_group;
/* Local user names (SHARED_ACCOUNTS), as iam_name_is_valid_posix(). */
extern const struct iam_config_rule iam_config_rule_posix_user;
/* EC2 tag keys: up to 128 letters of any script, digits, inner spaces
 * and _.:/=+-@. */
extern const struct iam_config_rule iam_config_rule_tag;
/* TAG_KEY_PREFIX: a tag key of at most 100 characters, not "aws:...". */
extern const struct iam_config_rule iam_config_rule_tag_prefix;
/* TAG_KEYS_SOURCE: "ListUserTags" or "GetAccountAuthorizationDetails",
 * spelled as the IAM actions are. */
extern const struct iam_config_rule iam_config_rule_tag_source;
/* An SSH public key type lib/iam_keyline.c accepts. */
extern const struct iam_config_rule iam_config_rule_key_type;
/* arn:aws[-a-z]*:iam::<12 digits>:role/[path/]name */
extern const struct iam_config_rule iam_config_rule_role_arn;
/* Starts with '/'. */
extern const struct iam_config_rule iam_config_rule_absolute;
/* aws_endpoint_is_region(). */
extern const struct iam_config_rule iam_config_rule_region;
/* Canonical base64 of 32 bytes (44 characters, the last '='). */
extern const struct iam_config_rule iam_config_rule_ed25519_public;

/*
 * iam_config_check_rule - does @v pass @rule?
 * @key: the key, for the message.
 * @why: receives "KEY: "VALUE" is not WHAT" on -EINVAL; untouched on
 *       success. May be NULL when @whylen is 0.
 *
 * Returns 0 or -EINVAL.
 */
int
iam_config_check_rule(const char *key, const char *v,
                      const struct iam_config_rule *rule, char *why,
                      size_t whylen);

/*
 * The checks with more to say than one rule. Each takes the key (for the
 * message) and the value, returns 0 or -EINVAL, and on -EINVAL writes
 * "KEY: what is wrong" to @why (untouched on success; may be NULL when
 * @whylen is 0). The type of struct key_def's check.
 */

/* SUDOERS_GROUPS entries: an IAM group name; "##ALL##" is refused here,
 * where it would be one entry of a list. */
int
iam_config_check_sudoers_group(const char *key, const char *v, char *why,
                               size_t whylen);

/* SHELL: no ':', which separates the fields of a passwd entry. */
int
iam_config_check_passwd_field(const char *key, const char *v, char *why,
                              size_t whylen);

/* HOME_DIR: as iam_config_check_passwd_field(), and "%u" exactly once
 * with no other '%' escape. */
int
iam_config_check_home_dir(const char *key, const char *v, char *why,
                          size_t whylen);

/* CHAIN_AUTHORIZED_KEYS_COMMAND: starts with an absolute path. */
int
iam_config_check_command(const char *key, const char *v, char *why,
                         size_t whylen);

/* Endpoints: http:// or https://, host[:port] or [v6]:port, an optional
 * path; no user information, query, fragment or space. */
int
iam_config_check_url(const char *key, const char *v, char *why, size_t whylen);

/* SOURCE: an s3://BUCKET/KEY URL, as aws_s3_parse_url() reads it. */
int
iam_config_check_s3_url(const char *key, const char *v, char *why,
                        size_t whylen);

/* EVENT_QUEUE_URL: as iam_config_check_url(), with the path of an SQS
 * queue URL: /ACCOUNT/NAME (12 digits; 1 to 80 of [A-Za-z0-9_-], or a
 * name ending in .fifo). */
int
iam_config_check_queue_url(const char *key, const char *v, char *why,
                           size_t whylen);

/* S3_ENDPOINT: as iam_config_check_url(), and no path but "/". */
int
iam_config_check_s3_endpoint(const char *key, const char *v, char *why,
                             size_t whylen);

#endif
