/*
 * iam_config: /etc/nss-iam.conf, read by iam-sync and iam-authorized-keys.
 *
 * The syntax is the one aws-ec2-ssh users already have in
 * /etc/aws-ec2-ssh.conf, which bash sourced. It is parsed, never run, and
 * every line whose meaning under bash would differ from the meaning here is
 * an error rather than a silent surprise:
 *
 *   # a comment on its own line
 *   KEY="value"             double quotes; no $, ` or \ inside
 *   KEY='value'             single quotes; everything inside is literal
 *   KEY=value               no quotes; no spaces or shell characters
 *   export KEY="value"      "export " is accepted and ignored
 *   KEY="value"   # note    a comment after whitespace
 *
 * Leading spaces and tabs and blank lines are allowed. A line may end in
 * "\r\n" (files edited on Windows): the "\r" is dropped. No spaces around
 * '=', no continuation lines, no quotes spanning lines, no text right
 * after a closing quote. A key set twice keeps the later value, as it did
 * under bash, and a notice is logged. Keys that only configured useradd
 * in aws-ec2-ssh are accepted and reported as not needed (LOG_NOTICE).
 * Unknown keys, bad values and malformed lines are errors whose message is
 * "FILE:LINE: what is wrong".
 *
 * An empty value ("") means "none" for lists and optional settings, the
 * way aws-ec2-ssh read it. For a setting that always has a value (SHELL,
 * UID_MIN, ...) an empty value is an error: remove the line to get the
 * default.
 *
 * Not thread-safe with respect to one struct iam_config; separate structs
 * may be used from separate threads.
 *
 * The code: iam_config.c holds the key table, its setters and the parse
 * loop; iam_shellword.c splits a line into key and value;
 * iam_config_check.c tests values (and the id range against login.defs);
 * iam_config_file.c reads the file and checks who may write it.
 */
#ifndef IAM_CONFIG_H
#define IAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IAM_CONFIG_PATH "/etc/nss-iam.conf"

/* Longest accepted line, without its line ending. */
#define IAM_CONFIG_LINE_MAX 4096
/* Largest accepted file. */
#define IAM_CONFIG_FILE_MAX (1024 * 1024)

/* The value of SUDOERS_GROUPS that gives sudo to every authorized user. */
#define IAM_CONFIG_SUDOERS_ALL "##ALL##"

/* No IAM id below this: the system's own ids (useradd, systemd's dynamic
 * users 61184..65519, nobody 65534) all are. */
#define IAM_CONFIG_UID_FLOOR 65536u
#define IAM_CONFIG_DEFAULT_UID_MIN 2000000000u
#define IAM_CONFIG_DEFAULT_UID_MAX 2147483646u
#define IAM_CONFIG_DEFAULT_SHELL "/bin/bash"
#define IAM_CONFIG_DEFAULT_HOME_DIR "/home/%u"
#define IAM_CONFIG_DEFAULT_SUDO_GROUP "iam-sudo"
#define IAM_CONFIG_DEFAULT_MEMBER_GROUP "iam-users"
#define IAM_CONFIG_DEFAULT_REGION "us-east-1"
#define IAM_CONFIG_DEFAULT_IMDS_ENDPOINT "http://169.254.169.254"
#define IAM_CONFIG_DEFAULT_TAG_KEY_PREFIX "ssh-key"
#define IAM_CONFIG_TAG_SOURCE_LIST_USER_TAGS "ListUserTags"
#define IAM_CONFIG_TAG_SOURCE_GAAD "GetAccountAuthorizationDetails"
/* Every type that fits a 256-character tag value but RSA, which IAM's own
 * SSH keys already serve. */
#define IAM_CONFIG_DEFAULT_TAG_KEY_TYPES                                       \
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"                     \
    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"                          \
    "sk-ecdsa-sha2-nistp256@openssh.com"
#define IAM_CONFIG_DEFAULT_DB_PATH "/var/lib/nss-iam/passwd.mdb"

/* A list of strings; v[0..n-1] are owned by the list. v is NULL if n is 0. */
struct iam_strlist {
    char **v;
    size_t n;
};

/*
 * A map "LEFT:R1,R2;LEFT2:R3": each entry a name and its list. The order
 * is the file's; a left name appears once. @where is "FILE:LINE" of the
 * line that set it (NULL when unset), for messages about it at run time.
 */
struct iam_map_entry {
    char *left;
    struct iam_strlist right;
};

struct iam_map {
    struct iam_map_entry *v;
    size_t n;
    char *where;
};

/* What the keys command does when the online check cannot reach IAM. */
enum iam_fail_mode {
    IAM_FAIL_OPEN = 0,   /* answer from the snapshot */
    IAM_FAIL_CLOSED = 1, /* serve no key */
};

/* More than the number of keys (iam_config.c checks it). */
#define IAM_CONFIG_KEYS_MAX 64

/*
 * The configuration. Every char * is NULL or owned by the struct; free it
 * with iam_config_free(). Comments give the key and the default.
 */
struct iam_config {
    /* IAM_AUTHORIZED_GROUPS: IAM groups whose members may log in; an
     * empty list means every IAM user of the account. Default empty. */
    struct iam_strlist iam_authorized_groups;
    /* True while neither IAM_AUTHORIZED_GROUPS nor
     * IAM_AUTHORIZED_GROUPS_TAG has been set: nobody has said who may
     * log in, so nobody may (iam-sync does nothing until then). An
     * explicit IAM_AUTHORIZED_GROUPS="" admits every IAM user, as the
     * same line did for aws-ec2-ssh. Default true. */
    bool authorized_unset;
    /* SUDOERS_GROUPS: IAM groups whose members join sudo_group. Default
     * empty. The single value "##ALL##" sets sudoers_all and leaves the
     * list empty. */
    struct iam_strlist sudoers_groups;
    bool sudoers_all;
    /* IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS_TAG: EC2 instance tag
     * keys whose values hold the lists above. Default NULL. */
    char *iam_authorized_groups_tag;
    char *sudoers_groups_tag;
    /* ASSUMEROLE: role ARN to assume before calling IAM. Default NULL. */
    char *assumerole;
    /* LOCAL_GROUPS: local UNIX groups every IAM user joins. Default
     * empty. */
    struct iam_strlist local_groups;
    /* SHARED_ACCOUNTS: local account -> IAM groups whose members' keys
     * open it ("ec2-user:ssh-ops,ssh-admins;deploy:deployers"). The
     * accounts must exist in /etc/passwd; nothing here creates them.
     * Default empty. */
    struct iam_map shared_accounts;
    /* LOCAL_GROUP_MAP: IAM group -> local groups (from /etc/group) its
     * members join ("ssh-ops:docker,adm"). Default empty. */
    struct iam_map local_group_map;
    /* UID_MIN, UID_MAX: the id range of IAM users and groups; UID_MIN is
     * at least IAM_CONFIG_UID_FLOOR. uid_range_line: the later line that
     * set one of them, 0 for the defaults (for messages). */
    uint32_t uid_min;
    uint32_t uid_max;
    size_t uid_range_line;
    /* SHELL: login shell. Default "/bin/bash". */
    char *shell;
    /* HOME_DIR: home directory pattern, "%u" is the user name. Default
     * "/home/%u". */
    char *home_dir;
    /* SUDO_GROUP, MEMBER_GROUP: the synthesized UNIX groups. Defaults
     * "iam-sudo", "iam-users". */
    char *sudo_group;
    char *member_group;
    /* CHAIN_AUTHORIZED_KEYS_COMMAND: command run after ours, split on
     * spaces by the keys command. Default NULL. */
    char *chain_authorized_keys_command;
    /* MAX_KEY_AGE_DAYS: keys older than this are not served; 0 = no
     * limit. Default 0. */
    uint32_t max_key_age_days;
    /* TAG_KEYS: also serve the keys held in the authorized users' IAM
     * tags (one key a tag). Default no. TAG_KEY_PREFIX: the tag keys
     * that hold one: the prefix itself or "PREFIX-...". Default
     * "ssh-key". TAG_KEY_TYPES: the key types a tag may hold. Default
     * IAM_CONFIG_DEFAULT_TAG_KEY_TYPES. */
    bool tag_keys;
    char *tag_key_prefix;
    struct iam_strlist tag_key_types;
    /* TAG_KEYS_SOURCE: which IAM call reads the tags:
     * IAM_CONFIG_TAG_SOURCE_LIST_USER_TAGS (one a user, the default) or
     * IAM_CONFIG_TAG_SOURCE_GAAD (a few pages for the whole account, but
     * a permission that reads every policy of the account). */
    char *tag_keys_source;
    /* MAX_REMOVE_PERCENT: refuse a sync that removes more users than
     * this. Default 50. */
    uint32_t max_remove_percent;
    /* AWS_REGION. Default "us-east-1". */
    char *aws_region;
    /* IAM_ENDPOINT, STS_ENDPOINT, EC2_ENDPOINT: NULL = derived from the
     * region and partition. IMDS_ENDPOINT: default
     * "http://169.254.169.254". */
    char *iam_endpoint;
    char *sts_endpoint;
    char *ec2_endpoint;
    char *imds_endpoint;
    /* VERIFY_ONLINE, VERIFY_ONLINE_TIMEOUT_MS, VERIFY_ONLINE_FAIL.
     * Defaults no, 1500, open. */
    bool verify_online;
    uint32_t verify_online_timeout_ms;
    enum iam_fail_mode verify_online_fail;
    /* TEXTFILE_DIR: where iam-sync writes metrics; NULL = off. */
    char *textfile_dir;
    /* MAX_SNAPSHOT_AGE: seconds. Default 3600. */
    uint32_t max_snapshot_age;
    /* SYSLOG_FACILITY: a LOG_* facility. Default LOG_AUTHPRIV. */
    int syslog_facility;
    /* SYNC_CONCURRENCY, MAX_CALLS_PER_SECOND. Defaults 8, 10. */
    uint32_t sync_concurrency;
    uint32_t max_calls_per_second;
    /* SYNC_TIMEOUT, LOCK_TIMEOUT: seconds. Defaults 240, 60. */
    uint32_t sync_timeout;
    uint32_t lock_timeout;
    /* TERMINATE_REMOVED_USERS: end the sessions and processes of users a
     * sync removes. Default yes. TERMINATE_GRACE: seconds between
     * SIGTERM and SIGKILL. Default 10. */
    bool terminate_removed_users;
    uint32_t terminate_grace;
    /* HTTP_TIMEOUT_MS. Default 10000. */
    uint32_t http_timeout_ms;
    /* DB_PATH: the snapshot. Default "/var/lib/nss-iam/passwd.mdb". */
    char *db_path;
    /* SOURCE: "s3://BUCKET/KEY" of a published fleet object to sync
     * from instead of IAM; NULL = ask IAM. Default NULL. */
    char *source;
    /* SIGNING_PUBLIC_KEY: the Ed25519 public keys (base64 of the 32 raw
     * bytes) a fleet object may be signed with. Default empty. */
    struct iam_strlist signing_public_keys;
    /* SIGNING_KEY: the publisher's Ed25519 private key (PEM file).
     * Default NULL. */
    char *signing_key;
    /* S3_ENDPOINT: S3 URL instead of the regional one (VPC interface
     * endpoints, tests). Default NULL. */
    char *s3_endpoint;
    /* EVENT_QUEUE_URL: the SQS queue IAM's change events arrive in; with
     * it, iam-sync --publish follows the queue. Default NULL. */
    char *event_queue_url;
    /* FULL_SYNC_INTERVAL: seconds between a following publisher's full
     * reads of IAM. Default 3600. */
    uint32_t full_sync_interval;
    /* IAM_SYNC_INTERVAL: seconds a direct sync started with --if-due
     * waits after the last check of IAM. Default 300. */
    uint32_t iam_sync_interval;
    /* The line of the file that set each key last, 0 for a default: read
     * it with iam_config_line(). */
    size_t key_lines[IAM_CONFIG_KEYS_MAX];
};

/*
 * iam_config_line - the line of the configuration file that set @key
 * last, or 0 when @key kept its default (or is no key). For messages
 * that say where a decision comes from.
 */
size_t
iam_config_line(const struct iam_config *cfg, const char *key);

/*
 * iam_config_defaults - fill @cfg with the defaults.
 * @cfg: any memory; it is overwritten without being freed.
 *
 * Returns 0, or -ENOMEM (then @cfg is all zero; iam_config_free() on it is
 * harmless). On success the caller owns @cfg's strings and frees them with
 * iam_config_free().
 */
int
iam_config_defaults(struct iam_config *cfg);

/*
 * iam_config_free - release everything @cfg owns and zero it.
 * @cfg: set up by iam_config_defaults(), or all zero. NULL is ignored.
 * Calling it twice is harmless.
 */
void
iam_config_free(struct iam_config *cfg);

/*
 * iam_config_parse_buffer - apply the settings in @text to @cfg.
 * @name: what to call the text in messages (the file name).
 * @text: the contents; need not be NUL-terminated; may hold NUL bytes
 *        (which are an error).
 * @len: bytes in @text.
 * @cfg: set up by iam_config_defaults() (or a previous parse): keys that
 *       @text does not set keep their value.
 * @errbuf: receives "NAME:LINE: what is wrong" on -EINVAL, the empty
 *          string on success. May be NULL when @errlen is 0. A message
 *          longer than @errlen is truncated.
 * @errlen: size of @errbuf.
 *
 * Notices (keys set twice, keys nss-iam does not need) go to iam_log().
 *
 * Returns 0, -EINVAL for anything wrong with the text (the message is in
 * @errbuf), or -ENOMEM. On error @cfg holds the values of the lines before
 * the bad one, owned as usual: do not use it, but do free it with
 * iam_config_free().
 */
int
iam_config_parse_buffer(const char *name, const char *text, size_t len,
                        struct iam_config *cfg, char *errbuf, size_t errlen);

/*
 * iam_config_load - read the file @path and apply it to @cfg.
 * @path: the file; a symbolic link is followed, and the file it reaches
 *        is the one checked.
 * @cfg, @errbuf, @errlen: as for iam_config_parse_buffer().
 *
 * The file must be a regular file owned by root or by the effective uid,
 * and not writable by group or others: it decides who gets sudo.
 *
 * Returns 0 or, with a message in @errbuf:
 *   -ENOENT  the file does not exist (the caller decides whether that
 *            means "all defaults" or an error);
 *   -EACCES  the file is writable by group or others, or has another
 *            owner, or open() said EACCES;
 *   -EINVAL  not a regular file, larger than IAM_CONFIG_FILE_MAX, or any
 *            error from iam_config_parse_buffer();
 *   -ENOMEM;
 *   another -errno from open() or read().
 * On error @cfg is as described for iam_config_parse_buffer().
 */
int
iam_config_load(const char *path, struct iam_config *cfg, char *errbuf,
                size_t errlen);

/*
 * iam_config_check_login_defs - refuse a UID_MIN..UID_MAX range that
 * overlaps one of the ranges the system allocates ids from (login.defs:
 * UID, SYS_UID, GID, SYS_GID, SUB_UID, SUB_GID; iam_login_defs.h).
 * @conf_path: the configuration's name, for the message.
 * @defs_path: normally IAM_LOGIN_DEFS_PATH; a missing file means shadow's
 *             defaults.
 * @errbuf: "CONF:LINE: UID_MIN..UID_MAX (a..b) overlaps K_MIN..K_MAX
 *          (c..d) of DEFS:LINE: ..." on -EINVAL; "" on success.
 *
 * Run by iam-sync, which places the ids; not by the keys command, which
 * only reads them. Returns 0, -EINVAL, or -errno when @defs_path exists
 * but cannot be read (message in @errbuf).
 */
int
iam_config_check_login_defs(const struct iam_config *cfg, const char *conf_path,
                            const char *defs_path, char *errbuf, size_t errlen);

/*
 * iam_config_setup - what both programs do at start: the defaults, then
 * the file @path. When @path was not named on the command line
 * (@explicit false) a missing file means "every default"; a missing file
 * the operator named is an error. Returns as iam_config_load(); @cfg must
 * be freed with iam_config_free() in every case.
 */
int
iam_config_setup(const char *path, bool explicit, struct iam_config *cfg,
                 char *errbuf, size_t errlen);

#endif
