#include "iam_config.h"
#include "aws_endpoint.h"
#include "aws_s3.h"
#include "iam_log.h"
#include "iam_login_defs.h"
#include "iam_name.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Values are echoed in messages up to this many bytes, so that one long
 * value cannot push the file name and line out of a short errbuf. */
#define SHOW "%.64s"

/* One parse: where we are and where errors go. */
struct parse {
    const char *name;
    size_t line; /* 1-based; 0 once the whole text has been read */
    char *errbuf;
    size_t errlen;
    struct iam_config *cfg;
    size_t key_line[64]; /* per keys[] entry: last line that set it */
};

/* The type of a key: how its value is read and where it is stored. */
enum kind {
    KIND_LIST,      /* comma-separated, each entry checked; iam_strlist */
    KIND_SUDOERS,   /* KIND_LIST, or the single value "##ALL##" */
    KIND_STR,       /* must not be empty; checked; char * */
    KIND_OPT_STR,   /* empty means NULL; otherwise checked; char * */
    KIND_UINT,      /* decimal in [min, max]; uint32_t */
    KIND_DURATION,  /* seconds, or N followed by s, m, h or d; uint32_t */
    KIND_BOOL,      /* one of words[]; bool */
    KIND_FAIL_MODE, /* one of words[]; enum iam_fail_mode */
    KIND_FACILITY,  /* a syslog facility name; int */
    KIND_UNNEEDED,  /* aws-ec2-ssh's useradd settings: accepted, unused */
};

/* A value test and what a value that passes it is, for the message
 * "KEY: "VALUE" is not WHAT". */
struct rule {
    bool (*ok)(const char *v);
    const char *what;
};

struct key_def {
    const char *name;
    enum kind kind;
    size_t off;      /* of the field in struct iam_config */
    const char *def; /* KIND_STR: the default */
    uint32_t num;    /* numeric kinds: the default */
    uint32_t min;    /* KIND_UINT, KIND_DURATION: the range */
    uint32_t max;
    const struct rule *rule; /* strings and list entries: tested first */
    /* then this, for tests with more than one message */
    int (*check)(struct parse *p, const char *key, const char *v);
    const char *words; /* KIND_BOOL, KIND_FAIL_MODE: for the message */
    const char *why;   /* KIND_UNNEEDED: what replaces it */
};

static void
vput(char *errbuf, size_t errlen, const char *name, size_t line,
     const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void
vput(char *errbuf, size_t errlen, const char *name, size_t line,
     const char *fmt, va_list ap)
{
    int n;

    if (!errbuf || errlen == 0)
        return;
    if (line > 0)
        n = snprintf(errbuf, errlen, "%s:%zu: ", name, line);
    else
        n = snprintf(errbuf, errlen, "%s: ", name);
    if (n < 0 || (size_t)n >= errlen)
        return;
    vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
}

/* Writes "NAME:LINE: message" (or "NAME: message" after the last line)
 * and returns -EINVAL, so that every check can end in "return fail()". */
static int
fail(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct parse *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vput(p->errbuf, p->errlen, p->name, p->line, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int
oom(struct parse *p)
{
    fail(p, "out of memory");
    return -ENOMEM;
}

/* File-level message ("PATH: ..."); returns @r. */
static int
file_fail(char *errbuf, size_t errlen, const char *path, int r,
          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
file_fail(char *errbuf, size_t errlen, const char *path, int r,
          const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vput(errbuf, errlen, path, 0, fmt, ap);
    va_end(ap);
    return r;
}

/* ASCII classes; <ctype.h> would depend on the locale. */
static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static char *
skip_blanks(char *s)
{
    while (is_blank(*s))
        s++;
    return s;
}

/* Strips blanks at both ends, in place. */
static char *
trim(char *s)
{
    size_t n;

    s = skip_blanks(s);
    n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

static void
strlist_free(struct iam_strlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static bool
strlist_has(const struct iam_strlist *l, const char *s)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], s) == 0)
            return true;
    }
    return false;
}

static int
strlist_add(struct iam_strlist *l, const char *s)
{
    char **v;
    char *copy;

    copy = strdup(s);
    if (!copy)
        return -ENOMEM;
    v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (!v) {
        free(copy);
        return -ENOMEM;
    }
    v[l->n++] = copy;
    l->v = v;
    return 0;
}

/* ---- value rules ---- */

/* 1 to @max bytes, each an ASCII letter or digit, one of @extra or, with
 * @high, any byte of a multi-byte UTF-8 character. */
static bool
is_word(const char *v, const char *extra, size_t max, bool high)
{
    size_t i;

    for (i = 0; v[i]; i++) {
        if (!is_alnum(v[i]) && !strchr(extra, v[i]) &&
            !(high && (unsigned char)v[i] >= 0x80))
            return false;
    }
    return i > 0 && i <= max;
}

/* IAM group names: [A-Za-z0-9+=,.@_-]{1,128}. */
static bool
is_iam_group(const char *v)
{
    return is_word(v, "+=,.@_-", 128, false);
}

/* EC2 tag keys: up to 128 letters (any script), digits, spaces and
 * _.:/=+-@. Blanks at the ends are surely a typing mistake. */
static bool
is_tag(const char *v)
{
    return is_word(v, " _.:/=+-@", 128, true) && v[0] != ' ' &&
           v[strlen(v) - 1] != ' ';
}

/* The part after "role/": path and name, [A-Za-z0-9+=,.@_/-], the name
 * (after the last '/') 1 to 64 characters. */
static bool
is_role_path(const char *s)
{
    const char *name = strrchr(s, '/');

    name = name ? name + 1 : s;
    return strlen(name) > 0 && strlen(name) <= 64 &&
           is_word(s, "+=,.@_/-", SIZE_MAX, false);
}

/* arn:aws[-a-z]*:iam::<12 digits>:role/[path/]name */
static bool
is_role_arn(const char *s)
{
    int i;

    if (strncmp(s, "arn:aws", 7) != 0 || strlen(s) > 2048)
        return false;
    s += 7;
    if (*s == '-') {
        while (*s == '-' || (*s >= 'a' && *s <= 'z'))
            s++;
    }
    if (strncmp(s, ":iam::", 6) != 0)
        return false;
    s += 6;
    for (i = 0; i < 12; i++) {
        if (!is_digit(s[i]))
            return false;
    }
    s += 12;
    return strncmp(s, ":role/", 6) == 0 && is_role_path(s + 6);
}

static bool
is_absolute(const char *v)
{
    return v[0] == '/';
}

/*
 * Canonical base64 of 32 bytes: 43 characters and one '=', the last
 * character's two spare bits zero (a key with any other spelling would
 * pass here and fail later, at every sync). The key itself is read by
 * iam-sync, which links the crypto library.
 */
static bool
is_ed25519_public(const char *v)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                              "qrstuvwxyz0123456789+/";
    const char *last;
    size_t i, n = strlen(v);

    for (i = 0; i < n && i < 43; i++)
        if (!is_alnum(v[i]) && v[i] != '+' && v[i] != '/')
            break;
    last = n == 44 && i == 43 ? strchr(b64, v[42]) : NULL;
    return last && v[43] == '=' && ((last - b64) & 3) == 0;
}

static const struct rule iam_group = {
    is_iam_group, "a valid IAM group name (1 to 128 letters, digits or +=,.@_-)"
};
/* The rule of the mapped user names, which every tool on a Linux box
 * accepts. */
static const struct rule posix_group = {
    iam_name_is_valid_posix,
    "a valid group name (up to 32 letters, digits, '_', "
    "'.' or '-', starting with a letter or '_')"
};
static const struct rule tag = {
    is_tag, "a valid EC2 tag key (up to 128 letters, digits, inner spaces "
            "and _.:/=+-@)"
};
static const struct rule role_arn = {
    is_role_arn, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
};
static const struct rule absolute = { is_absolute, "an absolute path" };
/* The one test of a region name, shared with the endpoint table. */
static const struct rule region = { aws_endpoint_is_region,
                                    "an AWS region name (like us-east-1)" };
static const struct rule ed25519_public = {
    is_ed25519_public, "an Ed25519 public key (44 characters of base64, as "
                       "iam-sync --print-public-key prints it)"
};

static int
check_rule(struct parse *p, const char *key, const char *v,
           const struct rule *rule)
{
    if (!rule->ok(v))
        return fail(p, "%s: \"" SHOW "\" is not %s", key, v, rule->what);
    return 0;
}

/* ---- checks with more to say than one rule: 0 or fail() naming @key ---- */

/* SUDOERS_GROUPS entries: "##ALL##" is only meaningful on its own. */
static int
check_sudoers_group(struct parse *p, const char *key, const char *v)
{
    if (strcmp(v, IAM_CONFIG_SUDOERS_ALL) == 0)
        return fail(p,
                    "%s: " IAM_CONFIG_SUDOERS_ALL
                    " must be the whole value, not one entry of a list",
                    key);
    return check_rule(p, key, v, &iam_group);
}

/* SHELL and HOME_DIR end up in passwd entries, where ':' separates the
 * fields. */
static int
check_passwd_field(struct parse *p, const char *key, const char *v)
{
    if (strchr(v, ':'))
        return fail(p,
                    "%s: \"" SHOW "\" contains ':', which cannot appear "
                    "in a passwd entry",
                    key, v);
    return 0;
}

/* "%u" exactly once: without it every user would share one home, twice
 * is surely a mistake, and any other escape has no meaning yet. */
static int
check_home_dir(struct parse *p, const char *key, const char *v)
{
    int r = check_passwd_field(p, key, v);
    const char *s;
    int n = 0;

    if (r < 0)
        return r;
    for (s = strchr(v, '%'); s; s = strchr(s + 2, '%')) {
        if (s[1] != 'u')
            return fail(p,
                        "%s: \"" SHOW "\" has an escape other than %%u",
                        key, v);
        n++;
    }
    if (n != 1)
        return fail(p, "%s: \"" SHOW "\" must contain %%u exactly once",
                    key, v);
    return 0;
}

/* The rest of the line is arguments (sshd %-tokens included); the program
 * itself must be given by absolute path, as sshd requires of ours. */
static int
check_command(struct parse *p, const char *key, const char *v)
{
    if (!is_absolute(v))
        return fail(p,
                    "%s: \"" SHOW "\" does not start with an absolute path",
                    key, v);
    return 0;
}

/* host[:port] or [v6]:port; @end is one past the authority. */
static bool
is_authority(const char *s, const char *end)
{
    const char *h = s;
    const char *port = NULL;
    unsigned long v = 0;

    if (*h == '[') {
        for (h++; h < end && *h != ']'; h++) {
            if (!is_digit(*h) && !strchr("abcdefABCDEF:.", *h))
                return false;
        }
        if (h == end || h == s + 1)
            return false;
        port = h + 1 < end ? h + 1 : NULL;
        if (port && *port != ':')
            return false;
    } else {
        for (; h < end && *h != ':'; h++) {
            if (!is_alnum(*h) && !strchr(".-_", *h))
                return false;
        }
        if (h == s)
            return false;
        port = h < end ? h : NULL;
    }
    if (!port)
        return true;
    for (port++; port < end; port++) {
        if (!is_digit(*port) || v > 65535)
            return false;
        v = v * 10 + (unsigned long)(*port - '0');
    }
    return v >= 1 && v <= 65535;
}

/* Endpoints: http:// or https://, a host, an optional port and path; no
 * user information (it would end up in logs), no query, no fragment. */
static int
check_url(struct parse *p, const char *key, const char *v)
{
    const char *s;
    size_t alen;

    if (strncasecmp(v, "https://", 8) == 0)
        s = v + 8;
    else if (strncasecmp(v, "http://", 7) == 0)
        s = v + 7;
    else
        return fail(p, "%s: \"" SHOW "\" is not an http:// or https:// URL",
                    key, v);
    alen = strcspn(s, "/?#");
    if (memchr(s, '@', alen))
        return fail(p, "%s: the URL must not contain a user name or "
                       "password ('@')",
                    key);
    if (!is_authority(s, s + alen))
        return fail(p, "%s: \"" SHOW "\" has no valid host[:port]", key, v);
    if (strpbrk(s, "?#"))
        return fail(p, "%s: \"" SHOW "\" must not have a query or fragment",
                    key, v);
    if (strchr(s, ' '))
        return fail(p, "%s: \"" SHOW "\" contains a space", key, v);
    return 0;
}

static int
check_s3_url(struct parse *p, const char *key, const char *v)
{
    struct aws_s3_location loc;
    char why[128];

    if (aws_s3_parse_url(v, &loc, why, sizeof(why)) < 0)
        return fail(p, "%s: \"" SHOW "\": %s", key, v, why);
    return 0;
}

/* S3 requests put the bucket and key right after the host. */
static int
check_s3_endpoint(struct parse *p, const char *key, const char *v)
{
    const char *s = strstr(v, "://");
    int r = check_url(p, key, v);

    if (r < 0)
        return r;
    s = strchr(s + 3, '/');
    if (s && strcmp(s, "/") != 0)
        return fail(p, "%s: \"" SHOW "\" must have no path (scheme, host "
                       "and port only)",
                    key, v);
    return 0;
}

/* ---- the keys ---- */

#define F(name) offsetof(struct iam_config, name)

/* One entry a key, each starting '{ "NAME", KIND_' on its own line: make
 * lint-man finds them so and checks that the man page names each. */
static const struct key_def keys[] = {
    { "IAM_AUTHORIZED_GROUPS", KIND_LIST, F(iam_authorized_groups),
      .rule = &iam_group },
    { "SUDOERS_GROUPS", KIND_SUDOERS, F(sudoers_groups),
      .check = check_sudoers_group },
    { "IAM_AUTHORIZED_GROUPS_TAG", KIND_OPT_STR, F(iam_authorized_groups_tag),
      .rule = &tag },
    { "SUDOERS_GROUPS_TAG", KIND_OPT_STR, F(sudoers_groups_tag), .rule = &tag },
    { "ASSUMEROLE", KIND_OPT_STR, F(assumerole), .rule = &role_arn },
    { "LOCAL_GROUPS", KIND_LIST, F(local_groups), .rule = &posix_group },
    /* The floor of 65536 is checked in check_together, with its reason. */
    { "UID_MIN", KIND_UINT, F(uid_min), .num = IAM_CONFIG_DEFAULT_UID_MIN,
      .min = 1, .max = 4294967293u },
    { "UID_MAX", KIND_UINT, F(uid_max), .num = IAM_CONFIG_DEFAULT_UID_MAX,
      .min = 2, .max = 4294967294u },
    { "SHELL", KIND_STR, F(shell), .def = IAM_CONFIG_DEFAULT_SHELL,
      .rule = &absolute, .check = check_passwd_field },
    { "HOME_DIR", KIND_STR, F(home_dir), .def = IAM_CONFIG_DEFAULT_HOME_DIR,
      .rule = &absolute, .check = check_home_dir },
    { "SUDO_GROUP", KIND_STR, F(sudo_group),
      .def = IAM_CONFIG_DEFAULT_SUDO_GROUP, .rule = &posix_group },
    { "MEMBER_GROUP", KIND_STR, F(member_group),
      .def = IAM_CONFIG_DEFAULT_MEMBER_GROUP, .rule = &posix_group },
    { "CHAIN_AUTHORIZED_KEYS_COMMAND", KIND_OPT_STR,
      F(chain_authorized_keys_command), .check = check_command },
    { "MAX_KEY_AGE_DAYS", KIND_UINT, F(max_key_age_days), .num = 0, .min = 0,
      .max = 36500 },
    { "MAX_REMOVE_PERCENT", KIND_UINT, F(max_remove_percent), .num = 50,
      .min = 0, .max = 100 },
    { "AWS_REGION", KIND_STR, F(aws_region), .def = IAM_CONFIG_DEFAULT_REGION,
      .rule = &region },
    { "IAM_ENDPOINT", KIND_OPT_STR, F(iam_endpoint), .check = check_url },
    { "STS_ENDPOINT", KIND_OPT_STR, F(sts_endpoint), .check = check_url },
    { "EC2_ENDPOINT", KIND_OPT_STR, F(ec2_endpoint), .check = check_url },
    { "IMDS_ENDPOINT", KIND_STR, F(imds_endpoint),
      .def = IAM_CONFIG_DEFAULT_IMDS_ENDPOINT, .check = check_url },
    { "VERIFY_ONLINE", KIND_BOOL, F(verify_online), .num = false,
      .words = "yes or no" },
    { "VERIFY_ONLINE_TIMEOUT_MS", KIND_UINT, F(verify_online_timeout_ms),
      .num = 1500, .min = 100, .max = 60000 },
    { "VERIFY_ONLINE_FAIL", KIND_FAIL_MODE, F(verify_online_fail),
      .num = IAM_FAIL_OPEN, .words = "open or closed" },
    { "TEXTFILE_DIR", KIND_OPT_STR, F(textfile_dir), .rule = &absolute },
    { "MAX_SNAPSHOT_AGE", KIND_DURATION, F(max_snapshot_age), .num = 3600,
      .min = 60, .max = 365 * 86400 },
    { "SYSLOG_FACILITY", KIND_FACILITY, F(syslog_facility),
      .num = LOG_AUTHPRIV },
    { "SYNC_CONCURRENCY", KIND_UINT, F(sync_concurrency), .num = 8, .min = 1,
      .max = 32 },
    { "MAX_CALLS_PER_SECOND", KIND_UINT, F(max_calls_per_second), .num = 10,
      .min = 1, .max = 100 },
    { "SYNC_TIMEOUT", KIND_DURATION, F(sync_timeout), .num = 240, .min = 1,
      .max = 86400 },
    { "HTTP_TIMEOUT_MS", KIND_UINT, F(http_timeout_ms), .num = 10000,
      .min = 100, .max = 600000 },
    { "LOCK_TIMEOUT", KIND_DURATION, F(lock_timeout), .num = 60, .min = 0,
      .max = 86400 },
    { "DB_PATH", KIND_STR, F(db_path), .def = IAM_CONFIG_DEFAULT_DB_PATH,
      .rule = &absolute },
    { "SOURCE", KIND_OPT_STR, F(source), .check = check_s3_url },
    { "SIGNING_PUBLIC_KEY", KIND_LIST, F(signing_public_keys),
      .rule = &ed25519_public },
    { "SIGNING_KEY", KIND_OPT_STR, F(signing_key), .rule = &absolute },
    { "S3_ENDPOINT", KIND_OPT_STR, F(s3_endpoint), .check = check_s3_endpoint },
    /* aws-ec2-ssh created local accounts with useradd; nothing here
     * does, so these have nothing left to configure. */
    { "LOCAL_MARKER_GROUP", KIND_UNNEEDED,
      .why = "no local accounts are created; MEMBER_GROUP is the group of "
             "every IAM user" },
    { "USERADD_PROGRAM", KIND_UNNEEDED,
      .why = "no local accounts are created; see SHELL and HOME_DIR" },
    { "USERADD_ARGS", KIND_UNNEEDED,
      .why = "no local accounts are created; see SHELL and HOME_DIR" },
    { "USERDEL_PROGRAM", KIND_UNNEEDED,
      .why = "no local accounts are deleted; access ends with the next "
             "sync" },
    { "USERDEL_ARGS", KIND_UNNEEDED,
      .why = "no local accounts are deleted; access ends with the next "
             "sync" },
    { "SUDOERSGROUP", KIND_UNNEEDED,
      .why = "it was replaced by SUDOERS_GROUPS, which this value does not "
             "set" },
    { "DONOTSYNC", KIND_UNNEEDED,
      .why = "to pause syncing, stop iam-sync.timer" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(NKEYS <= sizeof(((struct parse *)0)->key_line) / sizeof(size_t),
               "struct parse.key_line is too small for keys[]");

/* The words of KIND_BOOL and KIND_FAIL_MODE, matched ignoring case. */
static const struct word {
    enum kind kind;
    const char *word;
    uint32_t value;
} words[] = {
    { KIND_BOOL, "yes", true },
    { KIND_BOOL, "true", true },
    { KIND_BOOL, "1", true },
    { KIND_BOOL, "no", false },
    { KIND_BOOL, "false", false },
    { KIND_BOOL, "0", false },
    { KIND_FAIL_MODE, "open", IAM_FAIL_OPEN },
    { KIND_FAIL_MODE, "closed", IAM_FAIL_CLOSED },
};

/* ---- setters: one per kind ---- */

static void *
field(struct iam_config *cfg, const struct key_def *k)
{
    return (char *)cfg + k->off;
}

/* Stores @v in the field of a key of a numeric kind. */
static void
set_num(struct iam_config *cfg, const struct key_def *k, uint32_t v)
{
    void *f = field(cfg, k);

    switch (k->kind) {
    case KIND_UINT:
    case KIND_DURATION:
        *(uint32_t *)f = v;
        break;
    case KIND_BOOL:
        *(bool *)f = v != 0;
        break;
    case KIND_FAIL_MODE:
        *(enum iam_fail_mode *)f = (enum iam_fail_mode)v;
        break;
    case KIND_FACILITY:
        *(int *)f = (int)v;
        break;
    default:
        break;
    }
}

/* A string value or list entry: the key's rule, then its check. */
static int
check_value(struct parse *p, const struct key_def *k, const char *v)
{
    int r = k->rule ? check_rule(p, k->name, v, k->rule) : 0;

    if (r == 0 && k->check)
        r = k->check(p, k->name, v);
    return r;
}

/* Builds the whole new list before replacing the old one, so that an
 * error leaves the previous value in place. Repeated entries are kept
 * once: asking IAM twice for one group gains nothing. */
static int
set_list(struct parse *p, const struct key_def *k, char *val)
{
    struct iam_strlist *list = field(p->cfg, k);
    struct iam_strlist l = { NULL, 0 };
    char *s = trim(val);
    char *next = NULL;
    int r = 0;

    while (*s != '\0' || next) {
        next = strchr(s, ',');
        if (next)
            *next = '\0';
        s = trim(s);
        if (*s == '\0') {
            r = fail(p, "%s: empty entry in the list (look for \",,\" or "
                        "a ',' at either end)",
                     k->name);
            goto out;
        }
        r = check_value(p, k, s);
        if (r < 0)
            goto out;
        if (!strlist_has(&l, s) && strlist_add(&l, s) < 0) {
            r = oom(p);
            goto out;
        }
        if (!next)
            break;
        s = next + 1;
    }
    strlist_free(list);
    *list = l;
    l.v = NULL;
    l.n = 0;
out:
    strlist_free(&l);
    return r;
}

static int
set_sudoers(struct parse *p, const struct key_def *k, char *val)
{
    char *s = trim(val);
    int r;

    if (strcmp(s, IAM_CONFIG_SUDOERS_ALL) == 0) {
        strlist_free(&p->cfg->sudoers_groups);
        p->cfg->sudoers_all = true;
        return 0;
    }
    r = set_list(p, k, s);
    if (r < 0)
        return r;
    p->cfg->sudoers_all = false;
    return 0;
}

/* KIND_STR and KIND_OPT_STR; an empty KIND_STR never gets here. */
static int
set_str(struct parse *p, const struct key_def *k, const char *val)
{
    char **dst = field(p->cfg, k);
    char *copy = NULL;
    int r;

    if (*val != '\0') {
        r = check_value(p, k, val);
        if (r < 0)
            return r;
        copy = strdup(val);
        if (!copy)
            return oom(p);
    }
    free(*dst);
    *dst = copy;
    return 0;
}

/* Plain decimal: strtoull alone would take blanks, a sign and "0x". */
static int
parse_digits(const char *s, uint64_t *ret_v, const char **ret_end)
{
    char *end;
    unsigned long long v;

    *ret_v = 0;
    *ret_end = s;
    if (!is_digit(s[0]))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE || v > UINT32_MAX)
        return -ERANGE;
    *ret_v = v;
    *ret_end = end;
    return 0;
}

/* Seconds in one of a duration's units; 0 for anything else. */
static uint64_t
unit_seconds(char c)
{
    return c == 's'   ? 1
           : c == 'm' ? 60
           : c == 'h' ? 3600
           : c == 'd' ? 86400
                      : 0;
}

/* KIND_UINT: 5000. KIND_DURATION also 90s, 15m, 2h, 1d: one number and
 * at most one unit. */
static int
set_number(struct parse *p, const struct key_def *k, const char *val)
{
    bool duration = k->kind == KIND_DURATION;
    const char *s = duration ? "s" : "";
    const char *end;
    uint64_t v;
    uint64_t unit = 1;
    int r;

    r = parse_digits(val, &v, &end);
    if (r == 0 && *end != '\0')
        unit = duration && end[1] == '\0' ? unit_seconds(*end) : 0;
    if (r == -EINVAL || unit == 0)
        return fail(p, "%s: \"" SHOW "\" is not %s", k->name, val,
                    duration ? "a duration (seconds, or a number followed "
                               "by s, m, h or d)"
                             : "a number");
    if (r < 0 || v * unit < k->min || v * unit > k->max)
        return fail(p, "%s: " SHOW " is out of range (%u%s to %u%s)", k->name,
                    val, k->min, s, k->max, s);
    set_num(p->cfg, k, (uint32_t)(v * unit));
    return 0;
}

/* KIND_BOOL, KIND_FAIL_MODE */
static int
set_word(struct parse *p, const struct key_def *k, const char *val)
{
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (words[i].kind == k->kind && strcasecmp(val, words[i].word) == 0) {
            set_num(p->cfg, k, words[i].value);
            return 0;
        }
    }
    return fail(p, "%s: \"" SHOW "\" is not %s", k->name, val, k->words);
}

static int
set_facility(struct parse *p, const struct key_def *k, const char *val)
{
    int fac;

    if (iam_log_facility_parse(val, &fac) < 0)
        return fail(p,
                    "%s: unknown facility \"" SHOW "\" (authpriv, auth, "
                    "daemon, user or local0 to local7)",
                    k->name, val);
    set_num(p->cfg, k, (uint32_t)fac);
    return 0;
}

static int
set_value(struct parse *p, const struct key_def *k, char *val)
{
    bool needs_value =
        k->kind == KIND_STR || k->kind == KIND_UINT || k->kind == KIND_DURATION;

    if (needs_value && *val == '\0')
        return fail(p, "%s needs a value (remove the line to get the default)",
                    k->name);
    switch (k->kind) {
    case KIND_LIST:
        return set_list(p, k, val);
    case KIND_SUDOERS:
        return set_sudoers(p, k, val);
    case KIND_STR:
    case KIND_OPT_STR:
        return set_str(p, k, val);
    case KIND_UINT:
    case KIND_DURATION:
        return set_number(p, k, val);
    case KIND_BOOL:
    case KIND_FAIL_MODE:
        return set_word(p, k, val);
    case KIND_FACILITY:
        return set_facility(p, k, val);
    case KIND_UNNEEDED:
        break;
    }
    return 0;
}

static int
apply(struct parse *p, const char *key, char *val)
{
    const struct key_def *k = NULL;
    size_t i;

    for (i = 0; i < NKEYS && !k; i++) {
        if (strcmp(keys[i].name, key) == 0)
            k = &keys[i];
    }
    if (!k)
        return fail(p, "unknown key " SHOW, key);
    i = (size_t)(k - keys);
    if (k->kind == KIND_UNNEEDED && p->key_line[i] == 0)
        iam_log(LOG_NOTICE, "%s:%zu: %s is not needed by nss-iam: %s",
                p->name, p->line, k->name, k->why);
    else if (k->kind != KIND_UNNEEDED && p->key_line[i] != 0)
        /* bash, which read these files before, kept the last value */
        iam_log(LOG_NOTICE,
                "%s:%zu: %s is set again (before on line %zu); the later "
                "value wins",
                p->name, p->line, k->name, p->key_line[i]);
    p->key_line[i] = p->line;
    return set_value(p, k, val);
}

/* ---- lexing one line ---- */

/* Rejects what bash would have expanded: the file used to be sourced,
 * and a value meaning something else here than there is worse than an
 * error. */
static int
check_expansion(struct parse *p, const char *key, const char *s)
{
    if (*s == '`' || (s[0] == '$' && s[1] == '('))
        return fail(p, "%s: command substitution is not supported; put a "
                       "literal $ or ` in single quotes",
                    key);
    if (*s == '$')
        return fail(p, "%s: variable expansion ($) is not supported; put "
                       "a literal $ in single quotes",
                    key);
    if (*s == '\\')
        return fail(p, "%s: backslash escapes are not supported; put a "
                       "literal \\ in single quotes",
                    key);
    return 0;
}

/* Finds the closing @quote; on success terminates the value there and
 * sets *ret_rest to what follows it. */
static int
lex_quoted(struct parse *p, const char *key, char *s, char **ret_val,
           char **ret_rest)
{
    char q = *s;
    char *close = strchr(s + 1, q);
    char *c;
    int r;

    *ret_val = NULL;
    *ret_rest = NULL;
    if (!close)
        return fail(p, "%s: unterminated %s quote", key,
                    q == '"' ? "double" : "single");
    for (c = s + 1; c < close; c++) {
        r = q == '"' ? check_expansion(p, key, c) : 0;
        if (r < 0)
            return r;
        if (*c == '\t')
            return fail(p, "%s: tab inside the value", key);
    }
    /* "a"b and "a"#b are one word to bash: not a comment, not two
     * values */
    if (close[1] != '\0' && !is_blank(close[1]))
        return fail(p, "%s: unexpected text right after the closing quote",
                    key);
    *close = '\0';
    *ret_val = s + 1;
    *ret_rest = close + 1;
    return 0;
}

static int
lex_bare(struct parse *p, const char *key, char *s, char **ret_val,
         char **ret_rest)
{
    char *c;
    int r;

    *ret_val = NULL;
    *ret_rest = NULL;
    for (c = s; *c && !is_blank(*c); c++) {
        r = check_expansion(p, key, c);
        if (r < 0)
            return r;
        if (*c == '"' || *c == '\'')
            return fail(p, "%s: quote inside an unquoted value; quote the "
                           "whole value",
                        key);
        if (strchr(";&|<>()~", *c))
            return fail(p, "%s: shell character '%c' in an unquoted value; "
                           "quote the value",
                        key, *c);
    }
    *ret_val = s;
    *ret_rest = c;
    if (*c) {
        *c = '\0';
        *ret_rest = c + 1;
    }
    return 0;
}

static int
lex_value(struct parse *p, const char *key, char *s, char **ret_val)
{
    char *val = NULL;
    char *rest = NULL;
    int r;

    *ret_val = NULL;
    if (*s == '"' || *s == '\'')
        r = lex_quoted(p, key, s, &val, &rest);
    else
        r = lex_bare(p, key, s, &val, &rest);
    if (r < 0)
        return r;
    rest = skip_blanks(rest);
    if (*rest != '\0' && *rest != '#')
        return fail(p, "%s: unexpected text after the value (quote a value "
                       "that contains spaces)",
                    key);
    *ret_val = val;
    return 0;
}

/* Why a key is not followed by '='; @key is not terminated. */
static int
bad_assignment(struct parse *p, const char *key, char *s)
{
    int n = (int)(s - key) < 64 ? (int)(s - key) : 64;

    if (is_blank(*s) && *skip_blanks(s) == '=')
        return fail(p, "%.*s: no spaces allowed around '='", n, key);
    if (*s == '\0' || is_blank(*s))
        return fail(p, "missing '=' after %.*s", n, key);
    if ((unsigned char)*s >= 0x80)
        return fail(p, "byte 0x%02x in key name %.*s", (unsigned char)*s, n,
                    key);
    return fail(p, "invalid character '%c' in key name %.*s", *s, n, key);
}

/* Returns 0 for a blank or comment line, 1 with *ret_key and *ret_val
 * pointing into @s for an assignment, or -EINVAL. */
static int
lex_line(struct parse *p, char *s, char **ret_key, char **ret_val)
{
    char *key;
    int r;

    *ret_key = NULL;
    *ret_val = NULL;
    s = skip_blanks(s);
    if (*s == '\0' || *s == '#')
        return 0;
    if (strncmp(s, "export", 6) == 0 && is_blank(s[6])) {
        s = skip_blanks(s + 6);
        if (*s == '\0' || *s == '#')
            return fail(p, "\"export\" without KEY=value");
    }
    if (!is_alpha(*s) && *s != '_')
        return fail(p, "expected KEY=value");
    key = s;
    while (is_alnum(*s) || *s == '_')
        s++;
    if (*s != '=')
        return bad_assignment(p, key, s);
    *s = '\0';
    r = lex_value(p, key, s + 1, ret_val);
    if (r < 0)
        return r;
    *ret_key = key;
    return 1;
}

/* NUL bytes and control characters other than tab are never intended
 * and would confuse both this parser and anyone reading the file. */
static int
check_bytes(struct parse *p, const char *s, size_t n)
{
    size_t i;
    unsigned char c;

    for (i = 0; i < n; i++) {
        c = (unsigned char)s[i];
        if (c == 0)
            return fail(p, "NUL byte in the line");
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(p, "control character 0x%02x in the line", c);
    }
    return 0;
}

static int
parse_line(struct parse *p, const char *text, size_t n)
{
    char line[IAM_CONFIG_LINE_MAX + 1];
    char *key;
    char *val;
    int r;

    /* files edited on Windows end their lines in "\r\n" */
    if (n > 0 && text[n - 1] == '\r')
        n--;
    if (n > IAM_CONFIG_LINE_MAX)
        return fail(p, "line longer than %d bytes", IAM_CONFIG_LINE_MAX);
    r = check_bytes(p, text, n);
    if (r < 0)
        return r;
    memcpy(line, text, n);
    line[n] = '\0';
    r = lex_line(p, line, &key, &val);
    if (r <= 0)
        return r;
    return apply(p, key, val);
}

static size_t
line_of(const struct parse *p, const char *key)
{
    size_t i;

    for (i = 0; i < NKEYS; i++) {
        if (strcmp(keys[i].name, key) == 0)
            return p->key_line[i];
    }
    return 0;
}

/* Rules between keys, checked once every line has been read, because the
 * keys may come in any order. The message names the later line. */
static int
check_together(struct parse *p)
{
    const struct iam_config *c = p->cfg;
    size_t a = line_of(p, "UID_MIN");
    size_t b = line_of(p, "UID_MAX");

    p->line = a > b ? a : b;
    if (p->line > 0)
        p->cfg->uid_range_line = p->line;
    if (c->uid_min >= c->uid_max)
        return fail(p, "UID_MIN (%u) must be below UID_MAX (%u)", c->uid_min,
                    c->uid_max);
    if (c->uid_min < IAM_CONFIG_UID_FLOOR) {
        p->line = a ? a : p->line;
        return fail(p, "UID_MIN (%u) is below %u: ids below %u are the "
                       "system's own (useradd's UID_MIN..UID_MAX, systemd's "
                       "dynamic users 61184..65519, nobody 65534); keep the "
                       "default %u",
                    c->uid_min, IAM_CONFIG_UID_FLOOR, IAM_CONFIG_UID_FLOOR,
                    IAM_CONFIG_DEFAULT_UID_MIN);
    }
    a = line_of(p, "SUDO_GROUP");
    b = line_of(p, "MEMBER_GROUP");
    p->line = a > b ? a : b;
    /* sudo compares group names ignoring case */
    if (c->sudo_group && c->member_group &&
        strcasecmp(c->sudo_group, c->member_group) == 0)
        return fail(p, "SUDO_GROUP (\"%s\") and MEMBER_GROUP (\"%s\") are "
                       "one name to sudo, which ignores case; they must "
                       "differ",
                    c->sudo_group, c->member_group);
    return 0;
}

int
iam_config_parse_buffer(const char *name, const char *text, size_t len,
                        struct iam_config *cfg, char *errbuf, size_t errlen)
{
    struct parse p;
    const char *nl;
    size_t pos = 0;
    size_t end;
    int r;

    memset(&p, 0, sizeof(p));
    p.name = name ? name : "(config)";
    p.errbuf = errbuf;
    p.errlen = errlen;
    p.cfg = cfg;
    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    if (len > IAM_CONFIG_FILE_MAX)
        return fail(&p, "larger than %d bytes", IAM_CONFIG_FILE_MAX);
    while (pos < len) {
        nl = memchr(text + pos, '\n', len - pos);
        end = nl ? (size_t)(nl - text) : len;
        p.line++;
        r = parse_line(&p, text + pos, end - pos);
        if (r < 0)
            return r;
        pos = end + 1;
    }
    if (line_of(&p, "IAM_AUTHORIZED_GROUPS") ||
        line_of(&p, "IAM_AUTHORIZED_GROUPS_TAG"))
        cfg->authorized_unset = false;
    return check_together(&p);
}

/* Ownership and mode: whoever can write this file decides who logs in
 * and who gets sudo. Returns the file size, or -errno. */
static int
check_file(int fd, const char *path, char *errbuf, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return file_fail(errbuf, errlen, path, -errno, "cannot stat");
    if (!S_ISREG(st.st_mode))
        return file_fail(errbuf, errlen, path, -EINVAL,
                         "not a regular file");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return file_fail(errbuf, errlen, path, -EACCES,
                         "writable by group or others (mode %04o); it "
                         "decides who gets sudo: chmod go-w it",
                         (unsigned)(st.st_mode & 07777));
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return file_fail(errbuf, errlen, path, -EACCES,
                         "owned by uid %u; it must be owned by root",
                         (unsigned)st.st_uid);
    if (st.st_size > IAM_CONFIG_FILE_MAX)
        return file_fail(errbuf, errlen, path, -EINVAL,
                         "larger than %d bytes", IAM_CONFIG_FILE_MAX);
    return (int)st.st_size;
}

/* Reads to EOF, at most IAM_CONFIG_FILE_MAX bytes; @hint is the size
 * fstat() saw, which a file being rewritten may no longer have. */
static int
read_all(int fd, const char *path, size_t hint, char *errbuf, size_t errlen,
         char **ret_text, size_t *ret_len)
{
    size_t cap = hint + 1 < 4096 ? 4096 : hint + 1;
    size_t len = 0;
    char *buf;
    char *grown;
    ssize_t n;
    int r = 0;

    *ret_text = NULL;
    *ret_len = 0;
    buf = malloc(cap);
    if (!buf)
        return file_fail(errbuf, errlen, path, -ENOMEM, "out of memory");
    for (;;) {
        if (len == cap && cap > IAM_CONFIG_FILE_MAX) {
            r = file_fail(errbuf, errlen, path, -EINVAL,
                          "larger than %d bytes", IAM_CONFIG_FILE_MAX);
            goto out;
        }
        if (len == cap) {
            cap = cap * 2 > IAM_CONFIG_FILE_MAX ? IAM_CONFIG_FILE_MAX + 1
                                                : cap * 2;
            grown = realloc(buf, cap);
            if (!grown) {
                r = file_fail(errbuf, errlen, path, -ENOMEM,
                              "out of memory");
                goto out;
            }
            buf = grown;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = file_fail(errbuf, errlen, path, -errno, "cannot read");
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *ret_text = buf;
    *ret_len = len;
    buf = NULL;
out:
    free(buf);
    return r;
}

int
iam_config_load(const char *path, struct iam_config *cfg, char *errbuf,
                size_t errlen)
{
    char ebuf[128];
    char *text = NULL;
    size_t len = 0;
    int fd;
    int r;

    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    /* O_NONBLOCK: a FIFO at the path must not hang the caller before
     * check_file() refuses it */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        r = -errno;
        return file_fail(errbuf, errlen, path, r, "cannot open: %s",
                         strerror_r(-r, ebuf, sizeof(ebuf)));
    }
    r = check_file(fd, path, errbuf, errlen);
    if (r < 0)
        goto out;
    r = read_all(fd, path, (size_t)r, errbuf, errlen, &text, &len);
    if (r < 0)
        goto out;
    r = iam_config_parse_buffer(path, text, len, cfg, errbuf, errlen);
out:
    free(text);
    close(fd);
    return r;
}

/* [a1, b1] and [a2, b2] share an id (an empty range shares none). */
static bool
overlaps(uint32_t a1, uint32_t b1, uint32_t a2, uint32_t b2)
{
    return a1 <= b1 && a2 <= b2 && a1 <= b2 && a2 <= b1;
}

/* "PATH:LINE" or "PATH (shadow's default)" for the end of a range. */
static void
defs_where(const char *path, const struct iam_login_range *r, char *buf,
           size_t len)
{
    size_t line = r->max_line ? r->max_line : r->min_line;

    if (line > 0)
        snprintf(buf, len, "%s:%zu", path, line);
    else
        snprintf(buf, len, "%s (shadow's default)", path);
}

int
iam_config_check_login_defs(const struct iam_config *cfg,
                            const char *conf_path, const char *defs_path,
                            char *errbuf, size_t errlen)
{
    const struct iam_login_range *r;
    struct iam_login_defs d;
    char where[64], defs[320];
    size_t i;
    int rc;

    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    rc = iam_login_defs_load(defs_path, &d);
    if (rc < 0)
        return file_fail(errbuf, errlen, defs_path, rc, "cannot read it");
    for (i = 0; i < IAM_LOGIN_DEFS_N_RANGES; i++) {
        r = &d.r[i];
        if (!overlaps(cfg->uid_min, cfg->uid_max, r->min, r->max))
            continue;
        if (cfg->uid_range_line > 0)
            snprintf(where, sizeof(where), ":%zu", cfg->uid_range_line);
        else
            snprintf(where, sizeof(where), " (the defaults)");
        defs_where(defs_path, r, defs, sizeof(defs));
        snprintf(errbuf, errlen, "%s%s: UID_MIN..UID_MAX (%u..%u) overlaps "
                 "%s..%s (%u..%u) of %s: the system gives those ids to its "
                 "own accounts; move one range",
                 conf_path, where, cfg->uid_min, cfg->uid_max, r->min_key,
                 r->max_key, r->min, r->max, defs);
        return -EINVAL;
    }
    return 0;
}

int
iam_config_defaults(struct iam_config *cfg)
{
    const struct key_def *k;
    char **s;

    memset(cfg, 0, sizeof(*cfg));
    cfg->authorized_unset = true;
    for (k = keys; k < keys + NKEYS; k++) {
        set_num(cfg, k, k->num);
        if (k->kind != KIND_STR)
            continue;
        s = field(cfg, k);
        *s = strdup(k->def);
        if (!*s) {
            iam_config_free(cfg);
            return -ENOMEM;
        }
    }
    return 0;
}

void
iam_config_free(struct iam_config *cfg)
{
    const struct key_def *k;

    if (!cfg)
        return;
    for (k = keys; k < keys + NKEYS; k++) {
        if (k->kind == KIND_LIST || k->kind == KIND_SUDOERS)
            strlist_free(field(cfg, k));
        else if (k->kind == KIND_STR || k->kind == KIND_OPT_STR)
            free(*(char **)field(cfg, k));
    }
    memset(cfg, 0, sizeof(*cfg));
}

int
iam_config_setup(const char *path, bool explicit, struct iam_config *cfg,
                 char *errbuf, size_t errlen)
{
    int r;

    r = iam_config_defaults(cfg);
    if (r < 0) {
        snprintf(errbuf, errlen, "out of memory");
        return r;
    }
    r = iam_config_load(path, cfg, errbuf, errlen);
    if (r == -ENOENT && !explicit)
        return 0;
    return r;
}
