#include "iam_name.h"

#include "iam_ctype.h"
#include "iam_lines.h"
#include "iam_log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Sorted in strcmp order and all lower case, so that bsearch() with
 * strcasecmp() finds a key of any case: lower-casing both sides keeps the
 * order. The test suite checks both properties. Groups: who, by default,
 * gets power or devices (sudo, wheel, adm, disk, docker, lxd, kvm, ...).
 * Users: Debian, RHEL and Amazon Linux system accounts, cloud images'
 * default logins, and service accounts that packages create on demand.
 */
static const char *const reserved[] = {
    "adm",
    "admin",
    "administrator",
    "admins",
    "almalinux",
    "alpine",
    "apache",
    "arch",
    "audio",
    "avahi",
    "avahi-autoipd",
    "azureuser",
    "backup",
    "bin",
    "bind",
    "bitnami",
    "bluetooth",
    "cdrom",
    "centos",
    "cgred",
    "chrony",
    "clevis",
    "clock",
    "cloud-user",
    "cockpit-ws",
    "cockpit-wsinstance",
    "colord",
    "core",
    "crontab",
    "daemon",
    "dbus",
    "debian",
    "dialout",
    "dip",
    "disk",
    "dnsmasq",
    "docker",
    "dovecot",
    "dovenull",
    "ec2",
    "ec2-instance-connect",
    "ec2-user",
    "elasticsearch",
    "exim",
    "fax",
    "fedora",
    "floppy",
    "freebsd",
    "ftp",
    "fwupd-refresh",
    "games",
    "geoclue",
    "git",
    "gnats",
    "grafana",
    "halt",
    "haproxy",
    "httpd",
    "iam-keys",
    "iam-sync",
    "input",
    "irc",
    "jenkins",
    "kmem",
    "kvm",
    "landscape",
    "libstoragemgmt",
    "libvirt",
    "libvirt-dnsmasq",
    "libvirt-qemu",
    "list",
    "lock",
    "lp",
    "lpadmin",
    "lxd",
    "mail",
    "mailnull",
    "man",
    "mariadb",
    "mem",
    "memcache",
    "memcached",
    "messagebus",
    "mlocate",
    "mongodb",
    "mysql",
    "nagios",
    "named",
    "netdev",
    "news",
    "nfsnobody",
    "nginx",
    "nobody",
    "nobody4",
    "nogroup",
    "nouser",
    "nss-iam",
    "ntp",
    "opc",
    "operator",
    "plugdev",
    "polkitd",
    "pollinate",
    "postdrop",
    "postfix",
    "postgres",
    "printadmin",
    "prometheus",
    "proxy",
    "pulse",
    "pulse-access",
    "rabbitmq",
    "redis",
    "render",
    "rngd",
    "rocky",
    "root",
    "rpc",
    "rpcuser",
    "rtkit",
    "sambashare",
    "saned",
    "sasl",
    "scanner",
    "setroubleshoot",
    "sgx",
    "shadow",
    "shutdown",
    "smmsp",
    "squid",
    "src",
    "ssh",
    "ssh_keys",
    "sshd",
    "ssl-cert",
    "ssm-user",
    "sssd",
    "staff",
    "sudo",
    "sudoers",
    "sync",
    "sys",
    "syslog",
    "tape",
    "tcpdump",
    "tomcat",
    "toor",
    "tss",
    "tty",
    "ubuntu",
    "unbound",
    "usbmux",
    "users",
    "utempter",
    "utmp",
    "uucp",
    "uuidd",
    "vagrant",
    "video",
    "voice",
    "wheel",
    "wtmp",
    "www",
    "www-data",
    "zabbix",
};

#define N_RESERVED (sizeof(reserved) / sizeof(reserved[0]))

/* Fields of a passwd(5) and a group(5) line. */
#define PASSWD_FIELDS 7
#define GROUP_FIELDS 4

/* The replacement for one IAM character, or NULL when it maps to itself. */
static const char *
replacement(char c)
{
    switch (c) {
    case '+':
        return ".plus.";
    case '=':
        return ".equal.";
    case ',':
        return ".comma.";
    case '@':
        return ".at.";
    default:
        return NULL;
    }
}

/*
 * IAM's name alphabet: [A-Za-z0-9+=,.@_-]. Never called with '\0', which
 * strchr() would find as the terminator.
 */
static bool
is_iam_char(char c)
{
    return iam_is_alpha(c) || iam_is_digit(c) || strchr("+=,.@_-", c) != NULL;
}

bool
iam_name_is_valid_iam(const char *s, size_t len, size_t max)
{
    size_t i;

    if (!s || len == 0 || len > max)
        return false;
    for (i = 0; i < len; i++)
        if (s[i] == '\0' || !is_iam_char(s[i]))
            return false;
    return true;
}

static bool
is_posix_char(char c)
{
    return iam_is_alpha(c) || iam_is_digit(c) || c == '_' || c == '.' ||
           c == '-';
}

/*
 * Length of the mapped name, stopping early once it exceeds
 * IAM_NAME_POSIX_MAX so a huge input costs nothing and cannot overflow.
 * Returns the length, or -EINVAL for a character outside IAM's set.
 */
static long
mapped_length(const char *iam_name)
{
    size_t len = 0;
    const char *p;
    const char *rep;

    for (p = iam_name; *p; p++) {
        if (!is_iam_char(*p))
            return -EINVAL;
        rep = replacement(*p);
        len += rep ? strlen(rep) : 1;
        if (len > IAM_NAME_POSIX_MAX)
            len = IAM_NAME_POSIX_MAX + 1;
    }
    return (long)len;
}

int
iam_name_map(const char *iam_name, char *ret_name, size_t ret_size)
{
    long len;
    size_t off = 0;
    size_t k;
    const char *p;
    const char *rep;

    if (ret_name && ret_size > 0)
        ret_name[0] = '\0';
    if (!iam_name || !iam_name[0] || !ret_name)
        return -EINVAL;
    len = mapped_length(iam_name);
    if (len < 0)
        return (int)len;
    if (len > IAM_NAME_POSIX_MAX)
        return -ENAMETOOLONG;
    /* Only the first character can break the POSIX pattern: every mapped
     * character is in [A-Za-z0-9._-], and replacements start with '.'. */
    if (!iam_is_alpha(iam_name[0]) && iam_name[0] != '_')
        return -EDOM;
    if ((size_t)len >= ret_size)
        return -ENOBUFS;
    for (p = iam_name; *p; p++) {
        rep = replacement(*p);
        if (!rep) {
            ret_name[off++] = *p;
            continue;
        }
        k = strlen(rep);
        memcpy(ret_name + off, rep, k);
        off += k;
    }
    ret_name[off] = '\0';
    if (!iam_name_is_valid_posix(ret_name)) {
        /* Unreachable by the reasoning above; never serve it anyway. */
        ret_name[0] = '\0';
        return -EDOM;
    }
    return 0;
}

bool
iam_name_is_valid_posix(const char *s)
{
    size_t i;

    if (!s || !(iam_is_alpha(s[0]) || s[0] == '_'))
        return false;
    for (i = 1; s[i]; i++) {
        if (i >= IAM_NAME_POSIX_MAX || !is_posix_char(s[i]))
            return false;
    }
    return true;
}

static int
cmp_reserved(const void *key, const void *elem)
{
    return strcasecmp((const char *)key, *(const char *const *)elem);
}

bool
iam_name_is_reserved(const char *posix_name)
{
    if (!posix_name)
        return true;
    if (posix_name[0] == '_' || strncasecmp(posix_name, "systemd-", 8) == 0)
        return true;
    return bsearch(posix_name, reserved, N_RESERVED, sizeof(reserved[0]),
                   cmp_reserved) != NULL;
}

const char *const *
iam_name_reserved_list(size_t *ret_n)
{
    *ret_n = N_RESERVED;
    return reserved;
}

const char *
iam_name_reason(int r)
{
    switch (r) {
    case 0:
        return "accepted";
    case -EINVAL:
        return "empty or has a character IAM does not allow";
    case -ENAMETOOLONG:
        return "longer than 32 characters once mapped";
    case -EDOM:
        return "does not start with a letter or '_' once mapped";
    case -ENOBUFS:
        return "output buffer too small";
    case -EPERM:
        return "reserved system name";
    case -EEXIST:
        return "already a local user or group";
    case -ENOTUNIQ:
        return "another IAM name maps to the same name";
    case -EADDRINUSE:
        return "the name of a configured group";
    default:
        return "unexpected error";
    }
}

int
iam_name_check_available(const char *posix_name,
                         const struct iam_name_set *local)
{
    if (!iam_name_is_valid_posix(posix_name))
        return -EINVAL;
    if (iam_name_is_reserved(posix_name))
        return -EPERM;
    if (iam_name_set_has(local, posix_name))
        return -EEXIST;
    return 0;
}

/*
 * ---- local name set ----
 */

/* A parsed line, before sorting: @line keeps the file order for ties. */
struct raw_group {
    char *name;
    gid_t gid;
    size_t line;
};

/* Growable lists filled while reading; turned into the set at the end. */
struct loader {
    char **names;
    size_t n_names;
    size_t cap_names;
    uint32_t *ids;
    size_t n_ids;
    size_t cap_ids;
    struct raw_group *groups;
    size_t n_groups;
    size_t cap_groups;
    struct raw_group *users; /* gid holds the uid */
    size_t n_users;
    size_t cap_users;
    size_t nis_lines;
    size_t bad_lines;
};

/* Doubling growth; reallocarray() catches the overflow. */
static size_t
next_cap(size_t cap)
{
    return cap ? cap * 2 : 64;
}

static int
add_name(struct loader *ld, const char *name)
{
    char **nv;
    char *copy;

    if (ld->n_names == ld->cap_names) {
        nv = reallocarray(ld->names, next_cap(ld->cap_names), sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        ld->names = nv;
        ld->cap_names = next_cap(ld->cap_names);
    }
    copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    ld->names[ld->n_names++] = copy;
    return 0;
}

static int
add_id(struct loader *ld, uint32_t id)
{
    uint32_t *nv;

    if (ld->n_ids == ld->cap_ids) {
        nv = reallocarray(ld->ids, next_cap(ld->cap_ids), sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        ld->ids = nv;
        ld->cap_ids = next_cap(ld->cap_ids);
    }
    ld->ids[ld->n_ids++] = id;
    return 0;
}

/* One name and id into a growable raw list (groups, or users). */
static int
add_raw(struct raw_group **v, size_t *n, size_t *cap, const char *name,
        gid_t id, size_t line)
{
    struct raw_group *nv;
    char *copy;

    if (*n == *cap) {
        nv = reallocarray(*v, next_cap(*cap), sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        *v = nv;
        *cap = next_cap(*cap);
    }
    copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    (*v)[*n].name = copy;
    (*v)[*n].gid = id;
    (*v)[*n].line = line;
    (*n)++;
    return 0;
}

static int
add_group(struct loader *ld, const char *name, gid_t gid, size_t line)
{
    return add_raw(&ld->groups, &ld->n_groups, &ld->cap_groups, name, gid,
                   line);
}

/*
 * Split @line at ':' in place into exactly @want fields.
 * Returns true when the count is exact.
 */
static bool
split_fields(char *line, char **fields, size_t want)
{
    size_t n = 0;
    char *p = line;
    char *colon;

    for (;;) {
        if (n == want)
            return false;
        fields[n++] = p;
        colon = strchr(p, ':');
        if (!colon)
            break;
        *colon = '\0';
        p = colon + 1;
    }
    return n == want;
}

/*
 * A uid or gid field: decimal digits only (strtoul would accept blanks, a
 * sign and wrap "-1"), below 4294967295, which is (uid_t)-1.
 */
static bool
parse_id(const char *s, gid_t *ret_id)
{
    unsigned long long v;
    char *end = NULL;

    *ret_id = 0;
    if (!iam_is_digit(s[0]))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || !end || *end != '\0' || v >= UINT32_MAX)
        return false;
    *ret_id = (gid_t)v;
    return true;
}

/*
 * One line of either file, newline already removed.
 * Returns 0 (used or skipped) or -ENOMEM.
 */
static int
load_line(struct loader *ld, char *line, const char *path, size_t lineno,
          bool is_group)
{
    char *fields[PASSWD_FIELDS];
    size_t want = is_group ? GROUP_FIELDS : PASSWD_FIELDS;
    gid_t id, gid = 0;
    const char *p = line;
    const char *why;
    int r;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    if (line[0] == '+' || line[0] == '-') {
        ld->nis_lines++;
        return 0;
    }
    why = NULL;
    if (!split_fields(line, fields, want))
        why = is_group ? "not 4 ':'-separated fields"
                       : "not 7 ':'-separated fields";
    else if (fields[0][0] == '\0')
        why = "empty name";
    else if (!parse_id(fields[2], &id))
        why = is_group ? "bad gid" : "bad uid";
    else if (!is_group && !parse_id(fields[3], &gid))
        why = "bad gid";
    if (why) {
        iam_log(LOG_WARNING, "iam_name: %s:%zu: malformed line skipped: %s",
                path, lineno, why);
        ld->bad_lines++;
        return 0;
    }
    if (is_group)
        r = add_group(ld, fields[0], id, lineno);
    else
        r = add_id(ld, gid); /* a primary gid is in use, group line or not */
    if (r >= 0 && !is_group)
        r = add_raw(&ld->users, &ld->n_users, &ld->cap_users, fields[0], id,
                    lineno);
    if (r >= 0)
        r = add_id(ld, id);
    if (r >= 0)
        r = add_name(ld, fields[0]);
    return r;
}

/*
 * Read one file line by line. Returns 0, -ENOMEM, -EIO or the -errno of
 * fopen() (-ENOENT for a missing file).
 */
/* One file being loaded: what load_line() needs besides the line. */
struct file_ctx {
    struct loader *ld;
    const char *path;
    bool is_group;
};

static int
file_line(void *arg, char *line, size_t lineno)
{
    struct file_ctx *fc = arg;

    return load_line(fc->ld, line, fc->path, lineno, fc->is_group);
}

static int
load_file(struct loader *ld, const char *path, bool is_group)
{
    struct file_ctx fc = { ld, path, is_group };
    size_t nis_before = ld->nis_lines, nul = 0;
    FILE *f;
    int r;

    f = fopen(path, "re");
    if (!f) {
        r = -errno;
        iam_log(LOG_WARNING, "iam_name: cannot open %s: %m", path);
        return r;
    }
    r = iam_lines_read(f, file_line, &fc, &nul);
    if (r < 0 && ferror(f)) {
        iam_log(LOG_WARNING, "iam_name: %s: read failed: %s", path,
                strerrordesc_np(-r));
        r = r == -ENOMEM ? r : -EIO;
    }
    fclose(f);
    if (nul) {
        iam_log(LOG_WARNING,
                "iam_name: %s: %zu line(s) with a NUL byte "
                "skipped",
                path, nul);
        ld->bad_lines += nul;
    }
    if (r < 0)
        return r;
    if (ld->nis_lines > nis_before)
        iam_log(LOG_NOTICE,
                "iam_name: %s: %zu NIS compat (+/-) lines ignored; the "
                "names they refer to are not protected from IAM names",
                path, ld->nis_lines - nis_before);
    return 0;
}

/*
 * Names are ordered ignoring ASCII case, then exactly, so that a lookup
 * ignoring case (cmp_name_key) can bsearch them and "Deploy" finds
 * "deploy".
 */
static int
cmp_str(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int c = strcasecmp(x, y);

    return c != 0 ? c : strcmp(x, y);
}

static int
cmp_name_key(const void *key, const void *elem)
{
    return strcasecmp((const char *)key, *(char *const *)elem);
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Sort and drop duplicate ids. */
static size_t
unique_ids(uint32_t *v, size_t n)
{
    size_t i, out = 0;

    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_u32);
    for (i = 0; i < n; i++)
        if (out == 0 || v[out - 1] != v[i])
            v[out++] = v[i];
    return out;
}

/* By name, then by line so that the first line of a name comes first. */
static int
cmp_raw_group(const void *a, const void *b)
{
    const struct raw_group *x = a;
    const struct raw_group *y = b;
    int c = strcmp(x->name, y->name);

    if (c != 0)
        return c;
    return (x->line > y->line) - (x->line < y->line);
}

/* Sort and drop duplicates, freeing them; the list keeps its memory. */
static size_t
unique_names(char **v, size_t n)
{
    size_t i;
    size_t out = 0;

    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_str);
    for (i = 0; i < n; i++) {
        if (out > 0 && strcmp(v[out - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[out++] = v[i];
    }
    return out;
}

/* Move a sorted, first-wins list into *@ret; frees the raw list. */
static int
finish_list(struct raw_group **raw, size_t *n_raw, struct iam_name_group **ret,
            size_t *ret_n)
{
    size_t i;
    size_t out = 0;

    if (*n_raw == 0)
        return 0;
    qsort(*raw, *n_raw, sizeof(**raw), cmp_raw_group);
    *ret = calloc(*n_raw, sizeof(**ret));
    if (!*ret)
        return -ENOMEM;
    for (i = 0; i < *n_raw; i++) {
        if (out > 0 && strcmp((*ret)[out - 1].name, (*raw)[i].name) == 0) {
            free((*raw)[i].name);
            continue;
        }
        (*ret)[out].name = (*raw)[i].name;
        (*ret)[out].gid = (*raw)[i].gid;
        out++;
    }
    *ret_n = out;
    free(*raw);
    *raw = NULL;
    *n_raw = 0;
    return 0;
}

static int
finish_groups(struct loader *ld, struct iam_name_set *set)
{
    int r;

    r = finish_list(&ld->groups, &ld->n_groups, &set->groups, &set->n_groups);
    if (r >= 0)
        r = finish_list(&ld->users, &ld->n_users, &set->users, &set->n_users);
    return r;
}

static void
loader_free(struct loader *ld)
{
    size_t i;

    for (i = 0; i < ld->n_names; i++)
        free(ld->names[i]);
    free(ld->names);
    for (i = 0; i < ld->n_groups; i++)
        free(ld->groups[i].name);
    free(ld->groups);
    for (i = 0; i < ld->n_users; i++)
        free(ld->users[i].name);
    free(ld->users);
    free(ld->ids);
    memset(ld, 0, sizeof(*ld));
}

int
iam_name_set_load(const char *passwd_path, const char *group_path,
                  struct iam_name_set *ret_set)
{
    struct loader ld;
    struct iam_name_set set;
    int r;

    memset(&ld, 0, sizeof(ld));
    memset(&set, 0, sizeof(set));
    if (ret_set)
        memset(ret_set, 0, sizeof(*ret_set));
    if (!passwd_path || !group_path || !ret_set)
        return -EINVAL;
    r = load_file(&ld, passwd_path, false);
    if (r < 0)
        goto out;
    r = load_file(&ld, group_path, true);
    if (r < 0)
        goto out;
    r = finish_groups(&ld, &set);
    if (r < 0)
        goto out;
    set.n_names = unique_names(ld.names, ld.n_names);
    set.names = ld.names;
    set.n_ids = unique_ids(ld.ids, ld.n_ids);
    set.ids = ld.ids;
    set.nis_lines = ld.nis_lines;
    set.bad_lines = ld.bad_lines;
    ld.names = NULL;
    ld.n_names = 0;
    ld.ids = NULL;
    ld.n_ids = 0;
    *ret_set = set;
    memset(&set, 0, sizeof(set));
out:
    iam_name_set_free(&set);
    loader_free(&ld);
    return r;
}

bool
iam_name_set_has(const struct iam_name_set *set, const char *name)
{
    if (!set || !name || set->n_names == 0)
        return false;
    return bsearch(name, set->names, set->n_names, sizeof(*set->names),
                   cmp_name_key) != NULL;
}

bool
iam_name_set_has_id(const struct iam_name_set *set, uint32_t id)
{
    if (!set || set->n_ids == 0)
        return false;
    return bsearch(&id, set->ids, set->n_ids, sizeof(*set->ids), cmp_u32) !=
           NULL;
}

static int
cmp_group_key(const void *key, const void *elem)
{
    const struct iam_name_group *g = elem;

    return strcmp((const char *)key, g->name);
}

int
iam_name_set_group_gid(const struct iam_name_set *set, const char *name,
                       gid_t *ret_gid)
{
    const struct iam_name_group *g;

    if (ret_gid)
        *ret_gid = 0;
    if (!set || !name || !ret_gid)
        return -EINVAL;
    if (set->n_groups == 0)
        return -ESRCH;
    g = bsearch(name, set->groups, set->n_groups, sizeof(*set->groups),
                cmp_group_key);
    if (!g)
        return -ESRCH;
    *ret_gid = g->gid;
    return 0;
}

int
iam_name_set_user_uid(const struct iam_name_set *set, const char *name,
                      uid_t *ret_uid)
{
    const struct iam_name_group *u;

    if (ret_uid)
        *ret_uid = 0;
    if (!set || !name || !ret_uid)
        return -EINVAL;
    if (set->n_users == 0)
        return -ESRCH;
    u = bsearch(name, set->users, set->n_users, sizeof(*set->users),
                cmp_group_key);
    if (!u)
        return -ESRCH;
    *ret_uid = u->gid;
    return 0;
}

void
iam_name_set_free(struct iam_name_set *set)
{
    size_t i;

    if (!set)
        return;
    for (i = 0; i < set->n_names; i++)
        free(set->names[i]);
    free(set->names);
    for (i = 0; i < set->n_groups; i++)
        free(set->groups[i].name);
    free(set->groups);
    for (i = 0; i < set->n_users; i++)
        free(set->users[i].name);
    free(set->users);
    free(set->ids);
    memset(set, 0, sizeof(*set));
}

/*
 * ---- ambiguity ----
 */

static int
cmp_entry(const void *a, const void *b)
{
    const struct iam_name_entry *x = a;
    const struct iam_name_entry *y = b;
    int c = strcasecmp(x->posix, y->posix);

    if (c != 0)
        return c;
    /* A total order on inputs, so the log is the same however they came. */
    return strcmp(x->iam_name ? x->iam_name : "",
                  y->iam_name ? y->iam_name : "");
}

size_t
iam_name_flag_ambiguous(struct iam_name_entry *v, size_t n)
{
    size_t i;
    size_t j;
    size_t k;
    size_t flagged = 0;

    if (!v || n < 2)
        return 0;
    qsort(v, n, sizeof(*v), cmp_entry);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n; j++) {
            if (strcasecmp(v[i].posix, v[j].posix) != 0)
                break;
        }
        if (v[i].posix[0] == '\0' || j - i < 2)
            continue;
        for (k = i; k < j; k++) {
            if (v[k].status != 0)
                continue;
            v[k].status = -ENOTUNIQ;
            flagged++;
        }
    }
    return flagged;
}
