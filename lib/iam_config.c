#include "iam_config.h"
#include "iam_config_check.h"
#include "iam_ctype.h"
#include "iam_log.h"
#include "iam_shellword.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHOW IAM_CONFIG_SHOW

/* One parse: where we are and where errors go. */
struct parse {
    const char *name;
    size_t line; /* 1-based; 0 once the whole text has been read */
    char *errbuf;
    size_t errlen;
    struct iam_config *cfg;
    size_t key_line[IAM_CONFIG_KEYS_MAX]; /* per keys[] entry: last line
                                             that set it */
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
    KIND_MAP,       /* "L:R,R;L:R": left by .left, rights by .rule */
};

struct key_def {
    const char *name;
    enum kind kind;
    size_t off;      /* of the field in struct iam_config */
    const char *def; /* KIND_STR: the default; KIND_LIST: its entries,
                        comma-separated, or NULL for none */
    uint32_t num;    /* numeric kinds: the default */
    uint32_t min;    /* KIND_UINT, KIND_DURATION: the range */
    uint32_t max;
    /* strings and list entries: tested by this rule first, then by this
     * check (iam_config_check.h) */
    const struct iam_config_rule *rule;
    const struct iam_config_rule *left; /* KIND_MAP: the left names */
    int (*check)(const char *key, const char *v, char *why, size_t whylen);
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

/* Strips blanks at both ends, in place. */
static char *
trim(char *s)
{
    size_t n;

    while (iam_is_blank(*s))
        s++;
    n = strlen(s);
    while (n > 0 && iam_is_blank(s[n - 1]))
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

/* ---- the keys ---- */

#define F(name) offsetof(struct iam_config, name)

/* One entry a key, each starting '{ "NAME", KIND_' on its own line: make
 * lint-man finds them so and checks that the man page names each. */
static const struct key_def keys[] = {
    { "IAM_AUTHORIZED_GROUPS", KIND_LIST, F(iam_authorized_groups),
      .rule = &iam_config_rule_iam_group },
    { "SUDOERS_GROUPS", KIND_SUDOERS, F(sudoers_groups),
      .check = iam_config_check_sudoers_group },
    { "IAM_AUTHORIZED_GROUPS_TAG", KIND_OPT_STR, F(iam_authorized_groups_tag),
      .rule = &iam_config_rule_tag },
    { "SUDOERS_GROUPS_TAG", KIND_OPT_STR, F(sudoers_groups_tag),
      .rule = &iam_config_rule_tag },
    { "ASSUMEROLE", KIND_OPT_STR, F(assumerole),
      .rule = &iam_config_rule_role_arn },
    { "LOCAL_GROUPS", KIND_LIST, F(local_groups),
      .rule = &iam_config_rule_posix_group },
    { "SHARED_ACCOUNTS", KIND_MAP, F(shared_accounts),
      .left = &iam_config_rule_posix_user, .rule = &iam_config_rule_iam_group },
    { "LOCAL_GROUP_MAP", KIND_MAP, F(local_group_map),
      .left = &iam_config_rule_iam_group,
      .rule = &iam_config_rule_posix_group },
    /* The floor of 65536 is checked in check_together, with its reason. */
    { "UID_MIN", KIND_UINT, F(uid_min), .num = IAM_CONFIG_DEFAULT_UID_MIN,
      .min = 1, .max = 4294967293u },
    { "UID_MAX", KIND_UINT, F(uid_max), .num = IAM_CONFIG_DEFAULT_UID_MAX,
      .min = 2, .max = 4294967294u },
    { "SHELL", KIND_STR, F(shell), .def = IAM_CONFIG_DEFAULT_SHELL,
      .rule = &iam_config_rule_absolute,
      .check = iam_config_check_passwd_field },
    { "HOME_DIR", KIND_STR, F(home_dir), .def = IAM_CONFIG_DEFAULT_HOME_DIR,
      .rule = &iam_config_rule_absolute, .check = iam_config_check_home_dir },
    { "SUDO_GROUP", KIND_STR, F(sudo_group),
      .def = IAM_CONFIG_DEFAULT_SUDO_GROUP,
      .rule = &iam_config_rule_posix_group },
    { "MEMBER_GROUP", KIND_STR, F(member_group),
      .def = IAM_CONFIG_DEFAULT_MEMBER_GROUP,
      .rule = &iam_config_rule_posix_group },
    { "CHAIN_AUTHORIZED_KEYS_COMMAND", KIND_OPT_STR,
      F(chain_authorized_keys_command), .check = iam_config_check_command },
    { "MAX_KEY_AGE_DAYS", KIND_UINT, F(max_key_age_days), .num = 0, .min = 0,
      .max = 36500 },
    { "TAG_KEYS", KIND_BOOL, F(tag_keys), .num = false, .words = "yes or no" },
    { "TAG_KEY_PREFIX", KIND_STR, F(tag_key_prefix),
      .def = IAM_CONFIG_DEFAULT_TAG_KEY_PREFIX,
      .rule = &iam_config_rule_tag_prefix },
    { "TAG_KEY_TYPES", KIND_LIST, F(tag_key_types),
      .def = IAM_CONFIG_DEFAULT_TAG_KEY_TYPES,
      .rule = &iam_config_rule_key_type },
    { "TAG_KEYS_SOURCE", KIND_STR, F(tag_keys_source),
      .def = IAM_CONFIG_TAG_SOURCE_LIST_USER_TAGS,
      .rule = &iam_config_rule_tag_source },
    { "MAX_REMOVE_PERCENT", KIND_UINT, F(max_remove_percent), .num = 50,
      .min = 0, .max = 100 },
    { "AWS_REGION", KIND_STR, F(aws_region), .def = IAM_CONFIG_DEFAULT_REGION,
      .rule = &iam_config_rule_region },
    { "IAM_ENDPOINT", KIND_OPT_STR, F(iam_endpoint),
      .check = iam_config_check_url },
    { "STS_ENDPOINT", KIND_OPT_STR, F(sts_endpoint),
      .check = iam_config_check_url },
    { "EC2_ENDPOINT", KIND_OPT_STR, F(ec2_endpoint),
      .check = iam_config_check_url },
    { "IMDS_ENDPOINT", KIND_STR, F(imds_endpoint),
      .def = IAM_CONFIG_DEFAULT_IMDS_ENDPOINT, .check = iam_config_check_url },
    { "VERIFY_ONLINE", KIND_BOOL, F(verify_online), .num = false,
      .words = "yes or no" },
    { "VERIFY_ONLINE_TIMEOUT_MS", KIND_UINT, F(verify_online_timeout_ms),
      .num = 1500, .min = 100, .max = 60000 },
    { "VERIFY_ONLINE_FAIL", KIND_FAIL_MODE, F(verify_online_fail),
      .num = IAM_FAIL_OPEN, .words = "open or closed" },
    { "TEXTFILE_DIR", KIND_OPT_STR, F(textfile_dir),
      .rule = &iam_config_rule_absolute },
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
    { "TERMINATE_REMOVED_USERS", KIND_BOOL, F(terminate_removed_users),
      .num = true, .words = "yes or no" },
    { "TERMINATE_GRACE", KIND_DURATION, F(terminate_grace), .num = 10, .min = 0,
      .max = 600 },
    { "HTTP_TIMEOUT_MS", KIND_UINT, F(http_timeout_ms), .num = 10000,
      .min = 100, .max = 600000 },
    { "LOCK_TIMEOUT", KIND_DURATION, F(lock_timeout), .num = 60, .min = 0,
      .max = 86400 },
    { "DB_PATH", KIND_STR, F(db_path), .def = IAM_CONFIG_DEFAULT_DB_PATH,
      .rule = &iam_config_rule_absolute },
    { "SOURCE", KIND_OPT_STR, F(source), .check = iam_config_check_s3_url },
    { "SIGNING_PUBLIC_KEY", KIND_LIST, F(signing_public_keys),
      .rule = &iam_config_rule_ed25519_public },
    { "SIGNING_KEY", KIND_OPT_STR, F(signing_key),
      .rule = &iam_config_rule_absolute },
    { "S3_ENDPOINT", KIND_OPT_STR, F(s3_endpoint),
      .check = iam_config_check_s3_endpoint },
    { "EVENT_QUEUE_URL", KIND_OPT_STR, F(event_queue_url),
      .check = iam_config_check_queue_url },
    { "FULL_SYNC_INTERVAL", KIND_DURATION, F(full_sync_interval), .num = 3600,
      .min = 10, .max = 7 * 86400 },
    { "IAM_SYNC_INTERVAL", KIND_DURATION, F(iam_sync_interval), .num = 300,
      .min = 60, .max = 86400 },
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
    char why[IAM_CONFIG_CHECK_WHY_MAX];
    int r = 0;

    if (k->rule)
        r = iam_config_check_rule(k->name, v, k->rule, why, sizeof(why));
    if (r == 0 && k->check)
        r = k->check(k->name, v, why, sizeof(why));
    if (r < 0)
        return fail(p, "%s", why);
    return 0;
}

/* Builds the whole new list before replacing the old one, so that an
 * error leaves the previous value in place. Repeated entries are kept
 * once: asking IAM twice for one group gains nothing. */
static int
set_list(struct parse *p, const struct key_def *k, struct iam_strlist *list,
         char *val)
{
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
            r = fail(p,
                     "%s: empty entry in the list (look for \",,\" or "
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

static void
map_free(struct iam_map *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        free(m->v[i].left);
        strlist_free(&m->v[i].right);
    }
    free(m->v);
    free(m->where);
    memset(m, 0, sizeof(*m));
}

/* One "LEFT:R1,R2" of a map; @s is modified. */
static int
map_add(struct parse *p, const struct key_def *k, struct iam_map *m, char *s)
{
    char why[IAM_CONFIG_CHECK_WHY_MAX];
    struct iam_map_entry *v, e = { NULL, { NULL, 0 } };
    char *colon = strchr(s, ':');
    size_t i;
    int r;

    if (!colon || strchr(colon + 1, ':'))
        return fail(p, "%s: \"" SHOW "\" is not NAME:GROUP[,GROUP...]", k->name,
                    trim(s));
    *colon = '\0';
    s = trim(s);
    if (iam_config_check_rule(k->name, s, k->left, why, sizeof(why)) < 0)
        return fail(p, "%s", why);
    for (i = 0; i < m->n; i++)
        if (strcmp(m->v[i].left, s) == 0)
            return fail(p, "%s: %s is mapped twice (join its lists)", k->name,
                        s);
    if (*trim(colon + 1) == '\0')
        return fail(p, "%s: %s maps to nothing", k->name, s);
    /* set_list() checks each right name and reports into p */
    r = set_list(p, k, &e.right, colon + 1);
    if (r < 0)
        return r;
    e.left = strdup(s);
    v = e.left ? realloc(m->v, (m->n + 1) * sizeof(*v)) : NULL;
    if (!v) {
        free(e.left);
        strlist_free(&e.right);
        return oom(p);
    }
    v[m->n++] = e;
    m->v = v;
    return 0;
}

/* KIND_MAP: entries split on ';'. Like set_list(), the old value stays
 * until the new one is whole. */
static int
set_map(struct parse *p, const struct key_def *k, char *val)
{
    struct iam_map *dst = field(p->cfg, k);
    struct iam_map m = { NULL, 0, NULL };
    char *s = trim(val), *next;
    int r = 0;

    while (*s != '\0') {
        next = strchr(s, ';');
        if (next)
            *next = '\0';
        if (*trim(s) == '\0' && next) {
            r = fail(p, "%s: empty entry (look for \";;\")", k->name);
            goto out;
        }
        if (*trim(s) != '\0') {
            r = map_add(p, k, &m, s);
            if (r < 0)
                goto out;
        }
        if (!next)
            break;
        s = next + 1;
    }
    if (asprintf(&m.where, "%s:%zu", p->name, p->line) < 0) {
        m.where = NULL;
        r = oom(p);
        goto out;
    }
    map_free(dst);
    *dst = m;
    memset(&m, 0, sizeof(m));
out:
    map_free(&m);
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
    r = set_list(p, k, field(p->cfg, k), s);
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
    if (!iam_is_digit(s[0]))
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
        return set_list(p, k, field(p->cfg, k), val);
    case KIND_MAP:
        return set_map(p, k, val);
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
        iam_log(LOG_NOTICE, "%s:%zu: %s is not needed by nss-iam: %s", p->name,
                p->line, k->name, k->why);
    else if (k->kind != KIND_UNNEEDED && p->key_line[i] != 0)
        /* bash, which read these files before, kept the last value */
        iam_log(LOG_NOTICE,
                "%s:%zu: %s is set again (before on line %zu); the later "
                "value wins",
                p->name, p->line, k->name, p->key_line[i]);
    p->key_line[i] = p->line;
    p->cfg->key_lines[i] = p->line;
    return set_value(p, k, val);
}

/* ---- the parse ---- */

static int
parse_line(struct parse *p, const char *text, size_t n)
{
    char line[IAM_CONFIG_LINE_MAX + 1];
    char why[IAM_SHELLWORD_WHY_MAX(IAM_CONFIG_LINE_MAX)];
    char *key;
    char *val;
    int r;

    /* files edited on Windows end their lines in "\r\n" */
    if (n > 0 && text[n - 1] == '\r')
        n--;
    if (n > IAM_CONFIG_LINE_MAX)
        return fail(p, "line longer than %d bytes", IAM_CONFIG_LINE_MAX);
    memcpy(line, text, n);
    line[n] = '\0';
    r = iam_shellword_line(line, n, &key, &val, why, sizeof(why));
    if (r < 0)
        return fail(p, "%s", why);
    if (r == 0)
        return 0;
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
        return fail(p,
                    "UID_MIN (%u) is below %u: ids below %u are the "
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
        return fail(p,
                    "SUDO_GROUP (\"%s\") and MEMBER_GROUP (\"%s\") are "
                    "one name to sudo, which ignores case; they must "
                    "differ",
                    c->sudo_group, c->member_group);
    a = line_of(p, "TAG_KEYS");
    b = line_of(p, "TAG_KEY_TYPES");
    p->line = a > b ? a : b;
    if (c->tag_keys && c->tag_key_types.n == 0)
        return fail(p, "TAG_KEYS is yes but TAG_KEY_TYPES is empty: no key "
                       "in a tag could ever be served; set TAG_KEYS=\"no\" "
                       "or name the types");
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

size_t
iam_config_line(const struct iam_config *cfg, const char *key)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, key) == 0)
            return cfg->key_lines[i];
    return 0;
}

/* A list's default: the comma-separated entries of the table's @def,
 * which the table writes already checked. 0 or -ENOMEM. */
static int
default_list(struct iam_strlist *l, const char *def)
{
    char entry[128];
    const char *comma;
    size_t n;

    while (*def != '\0') {
        comma = strchr(def, ',');
        n = comma ? (size_t)(comma - def) : strlen(def);
        if (n >= sizeof(entry))
            return -ENOMEM; /* a table entry too long: a bug, caught by
                               the tests of the defaults */
        memcpy(entry, def, n);
        entry[n] = '\0';
        if (strlist_add(l, entry) < 0)
            return -ENOMEM;
        def += n + (comma ? 1 : 0);
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
        if (k->kind == KIND_LIST && k->def &&
            default_list(field(cfg, k), k->def) < 0)
            goto nomem;
        if (k->kind != KIND_STR)
            continue;
        s = field(cfg, k);
        *s = strdup(k->def);
        if (!*s)
            goto nomem;
    }
    return 0;
nomem:
    iam_config_free(cfg);
    return -ENOMEM;
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
        else if (k->kind == KIND_MAP)
            map_free(field(cfg, k));
        else if (k->kind == KIND_STR || k->kind == KIND_OPT_STR)
            free(*(char **)field(cfg, k));
    }
    memset(cfg, 0, sizeof(*cfg));
}
