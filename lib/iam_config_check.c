#include "iam_config_check.h"
#include "aws_endpoint.h"
#include "aws_s3.h"
#include "iam_config.h"
#include "iam_ctype.h"
#include "iam_login_defs.h"
#include "iam_name.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SHOW IAM_CONFIG_SHOW

/* Writes "KEY: ..." (the caller adds where) and returns -EINVAL, so that
 * every check can end in "return fail()". */
static int
fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (why && whylen > 0) {
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* ---- rules: one test and what passes it ---- */

/* 1 to @max bytes, each an ASCII letter or digit, one of @extra or, with
 * @high, any byte of a multi-byte UTF-8 character. */
static bool
is_word(const char *v, const char *extra, size_t max, bool high)
{
    size_t i;

    for (i = 0; v[i]; i++) {
        if (!iam_is_alnum(v[i]) && !strchr(extra, v[i]) &&
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

/* TAG_KEY_PREFIX: an IAM tag key, which may not start with "aws:"
 * (AWS keeps those), and short enough to take a "-NAME" after it. */
static bool
is_tag_prefix(const char *v)
{
    return is_tag(v) && strlen(v) <= 100 && strncasecmp(v, "aws:", 4) != 0;
}

/* TAG_KEYS_SOURCE: the two IAM calls that read a user's tags. */
static bool
is_tag_source(const char *v)
{
    return strcmp(v, IAM_CONFIG_TAG_SOURCE_LIST_USER_TAGS) == 0 ||
           strcmp(v, IAM_CONFIG_TAG_SOURCE_GAAD) == 0;
}

/* The key types OpenSSH and lib/iam_keyline.c both know. */
static bool
is_key_type(const char *v)
{
    static const char *const types[] = {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    };
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(v, types[i]) == 0)
            return true;
    return false;
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
        if (!iam_is_digit(s[i]))
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
        if (!iam_is_alnum(v[i]) && v[i] != '+' && v[i] != '/')
            break;
    last = n == 44 && i == 43 ? strchr(b64, v[42]) : NULL;
    return last && v[43] == '=' && ((last - b64) & 3) == 0;
}

const struct iam_config_rule iam_config_rule_iam_group = {
    is_iam_group, "a valid IAM group name (1 to 128 letters, digits or +=,.@_-)"
};
/* The rule of the mapped user names, which every tool on a Linux box
 * accepts. */
const struct iam_config_rule iam_config_rule_posix_group = {
    iam_name_is_valid_posix,
    "a valid group name (up to 32 letters, digits, '_', "
    "'.' or '-', starting with a letter or '_')"
};
const struct iam_config_rule iam_config_rule_posix_user = {
    iam_name_is_valid_posix,
    "a valid user name (up to 32 letters, digits, '_', '.' or '-', "
    "starting with a letter or '_')"
};
const struct iam_config_rule iam_config_rule_tag = {
    is_tag, "a valid EC2 tag key (up to 128 letters, digits, inner spaces "
            "and _.:/=+-@)"
};
const struct iam_config_rule iam_config_rule_tag_prefix = {
    is_tag_prefix, "a valid IAM tag key prefix (up to 100 letters, digits, "
                   "inner spaces and _.:/=+-@, not starting with aws:)"
};
const struct iam_config_rule iam_config_rule_tag_source = {
    is_tag_source, "ListUserTags or GetAccountAuthorizationDetails"
};
const struct iam_config_rule iam_config_rule_key_type = {
    is_key_type, "an SSH public key type (ssh-ed25519, ssh-rsa, "
                 "ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
                 "ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, "
                 "sk-ecdsa-sha2-nistp256@openssh.com)"
};
const struct iam_config_rule iam_config_rule_role_arn = {
    is_role_arn, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
};
const struct iam_config_rule iam_config_rule_absolute = { is_absolute,
                                                          "an absolute path" };
/* The one test of a region name, shared with the endpoint table. */
const struct iam_config_rule iam_config_rule_region = {
    aws_endpoint_is_region, "an AWS region name (like us-east-1)"
};
const struct iam_config_rule iam_config_rule_ed25519_public = {
    is_ed25519_public, "an Ed25519 public key (44 characters of base64, as "
                       "iam-sync --print-public-key prints it)"
};

int
iam_config_check_rule(const char *key, const char *v,
                      const struct iam_config_rule *rule, char *why,
                      size_t whylen)
{
    if (!rule->ok(v))
        return fail(why, whylen, "%s: \"" SHOW "\" is not %s", key, v,
                    rule->what);
    return 0;
}

/* ---- checks with more to say than one rule ---- */

/* SUDOERS_GROUPS entries: "##ALL##" is only meaningful on its own. */
int
iam_config_check_sudoers_group(const char *key, const char *v, char *why,
                               size_t whylen)
{
    if (strcmp(v, IAM_CONFIG_SUDOERS_ALL) == 0)
        return fail(why, whylen,
                    "%s: " IAM_CONFIG_SUDOERS_ALL
                    " must be the whole value, not one entry of a list",
                    key);
    return iam_config_check_rule(key, v, &iam_config_rule_iam_group, why,
                                 whylen);
}

/* SHELL and HOME_DIR end up in passwd entries, where ':' separates the
 * fields. */
int
iam_config_check_passwd_field(const char *key, const char *v, char *why,
                              size_t whylen)
{
    if (strchr(v, ':'))
        return fail(why, whylen,
                    "%s: \"" SHOW "\" contains ':', which cannot appear "
                    "in a passwd entry",
                    key, v);
    return 0;
}

/* "%u" exactly once: without it every user would share one home, twice
 * is surely a mistake, and any other escape has no meaning yet. */
int
iam_config_check_home_dir(const char *key, const char *v, char *why,
                          size_t whylen)
{
    int r = iam_config_check_passwd_field(key, v, why, whylen);
    const char *s;
    int n = 0;

    if (r < 0)
        return r;
    for (s = strchr(v, '%'); s; s = strchr(s + 2, '%')) {
        if (s[1] != 'u')
            return fail(why, whylen,
                        "%s: \"" SHOW "\" has an escape other than %%u", key,
                        v);
        n++;
    }
    if (n != 1)
        return fail(why, whylen,
                    "%s: \"" SHOW "\" must contain %%u exactly once", key, v);
    return 0;
}

/* The rest of the line is arguments (sshd %-tokens included); the program
 * itself must be given by absolute path, as sshd requires of ours. */
int
iam_config_check_command(const char *key, const char *v, char *why,
                         size_t whylen)
{
    if (!is_absolute(v))
        return fail(why, whylen,
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
            if (!iam_is_digit(*h) && !strchr("abcdefABCDEF:.", *h))
                return false;
        }
        if (h == end || h == s + 1)
            return false;
        port = h + 1 < end ? h + 1 : NULL;
        if (port && *port != ':')
            return false;
    } else {
        for (; h < end && *h != ':'; h++) {
            if (!iam_is_alnum(*h) && !strchr(".-_", *h))
                return false;
        }
        if (h == s)
            return false;
        port = h < end ? h : NULL;
    }
    if (!port)
        return true;
    for (port++; port < end; port++) {
        if (!iam_is_digit(*port) || v > 65535)
            return false;
        v = v * 10 + (unsigned long)(*port - '0');
    }
    return v >= 1 && v <= 65535;
}

/* Endpoints: http:// or https://, a host, an optional port and path; no
 * user information (it would end up in logs), no query, no fragment. */
int
iam_config_check_url(const char *key, const char *v, char *why, size_t whylen)
{
    const char *s;
    size_t alen;

    if (strncasecmp(v, "https://", 8) == 0)
        s = v + 8;
    else if (strncasecmp(v, "http://", 7) == 0)
        s = v + 7;
    else
        return fail(why, whylen,
                    "%s: \"" SHOW "\" is not an http:// or https:// URL", key,
                    v);
    alen = strcspn(s, "/?#");
    if (memchr(s, '@', alen))
        return fail(why, whylen,
                    "%s: the URL must not contain a user name or "
                    "password ('@')",
                    key);
    if (!is_authority(s, s + alen))
        return fail(why, whylen, "%s: \"" SHOW "\" has no valid host[:port]",
                    key, v);
    if (strpbrk(s, "?#"))
        return fail(why, whylen,
                    "%s: \"" SHOW "\" must not have a query or fragment", key,
                    v);
    if (strchr(s, ' '))
        return fail(why, whylen, "%s: \"" SHOW "\" contains a space", key, v);
    return 0;
}

int
iam_config_check_s3_url(const char *key, const char *v, char *why,
                        size_t whylen)
{
    struct aws_s3_location loc;
    char s3why[128];

    if (aws_s3_parse_url(v, &loc, s3why, sizeof(s3why)) < 0)
        return fail(why, whylen, "%s: \"" SHOW "\": %s", key, v, s3why);
    return 0;
}

/* S3 requests put the bucket and key right after the host. */
int
iam_config_check_s3_endpoint(const char *key, const char *v, char *why,
                             size_t whylen)
{
    const char *s = strstr(v, "://");
    int r = iam_config_check_url(key, v, why, whylen);

    if (r < 0)
        return r;
    s = strchr(s + 3, '/');
    if (s && strcmp(s, "/") != 0)
        return fail(why, whylen,
                    "%s: \"" SHOW "\" must have no path (scheme, host "
                    "and port only)",
                    key, v);
    return 0;
}

/* SQS queue names: 1 to 80 of [A-Za-z0-9_-], ".fifo" included. */
static bool
is_queue_name(const char *s)
{
    size_t n = strlen(s), body = n;

    if (n > 5 && strcmp(s + n - 5, ".fifo") == 0)
        body = n - 5;
    if (n < 1 || n > 80 || body < 1)
        return false;
    for (size_t i = 0; i < body; i++)
        if (!iam_is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* The host of [@s, @end) (host[:port] or [v6]:port) takes plain http. */
static bool
plain_ok_host(const char *s, const char *end)
{
    char host[256];
    const char *colon;
    size_t n;

    if (*s == '[')
        colon = memchr(s, ']', (size_t)(end - s));
    else
        colon = s;
    colon = colon ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
    n = (size_t)((colon ? colon : end) - s);
    if (n == 0 || n >= sizeof(host))
        return false;
    memcpy(host, s, n);
    host[n] = '\0';
    return aws_endpoint_plain_ok(host);
}

int
iam_config_check_queue_url(const char *key, const char *v, char *why,
                           size_t whylen)
{
    const char *path, *name;
    size_t i;
    int r = iam_config_check_url(key, v, why, whylen);

    if (r < 0)
        return r;
    path = strchr(strstr(v, "://") + 3, '/');
    for (i = 1; path && i <= 12; i++)
        if (!iam_is_digit(path[i]))
            break;
    name = path && i == 13 && path[13] == '/' ? path + 14 : NULL;
    if (!name || !is_queue_name(name))
        return fail(why, whylen,
                    "%s: \"" SHOW "\" is not a queue URL "
                    "(https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)",
                    key, v);
    if (strncasecmp(v, "http://", 7) == 0 && !plain_ok_host(v + 7, path))
        return fail(why, whylen,
                    "%s: \"" SHOW "\": plain http only to a loopback "
                    "host; use https",
                    key, v);
    return 0;
}

/* ---- the id range against login.defs ---- */
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
iam_config_check_login_defs(const struct iam_config *cfg, const char *conf_path,
                            const char *defs_path, char *errbuf, size_t errlen)
{
    const struct iam_login_range *r;
    struct iam_login_defs d;
    char where[64], defs[320];
    size_t i;
    int rc;

    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    rc = iam_login_defs_load(defs_path, &d);
    if (rc < 0) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, errlen, "%s: cannot read it", defs_path);
        return rc;
    }
    for (i = 0; i < IAM_LOGIN_DEFS_N_RANGES; i++) {
        r = &d.r[i];
        if (!overlaps(cfg->uid_min, cfg->uid_max, r->min, r->max))
            continue;
        if (cfg->uid_range_line > 0)
            snprintf(where, sizeof(where), ":%zu", cfg->uid_range_line);
        else
            snprintf(where, sizeof(where), " (the defaults)");
        defs_where(defs_path, r, defs, sizeof(defs));
        snprintf(errbuf, errlen,
                 "%s%s: UID_MIN..UID_MAX (%u..%u) overlaps "
                 "%s..%s (%u..%u) of %s: the system gives those ids to its "
                 "own accounts; move one range",
                 conf_path, where, cfg->uid_min, cfg->uid_max, r->min_key,
                 r->max_key, r->min, r->max, defs);
        return -EINVAL;
    }
    return 0;
}
