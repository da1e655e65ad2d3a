/* sshd_check: which AuthorizedKeysCommand sshd uses (see sshd_check.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iam_lines.h"
#include "sshd_check.h"

#define OURS "iam-authorized-keys"
#define KEYWORD "AuthorizedKeysCommand"
#define MAX_INCLUDE_DEPTH 8
#define MAX_DROPINS 64

/* systemd's unit directories, highest precedence first. */
static const char *const unit_dirs[] = {
    "/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
    "/lib/systemd/system",
};
static const char *const units[] = { "sshd.service", "ssh.service" };

struct dropin {
    char name[NAME_MAX + 1];
    char path[PATH_MAX]; /* without the root */
};

/* @path under @root: root "/" or "" adds nothing. A path too long to
 * be a real one becomes "" (which opens nothing). */
static void
rooted(const char *root, const char *path, char *out, size_t size)
{
    size_t n = strlen(root);
    int r;

    while (n > 0 && root[n - 1] == '/')
        n--;
    r = snprintf(out, size, "%.*s%s", (int)n, root, path);
    if (r < 0 || (size_t)r >= size)
        out[0] = '\0';
}

/* @src into @dst, cut to fit: these are paths and commands to show an
 * operator, never opened from the copy. */
static void
copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* A file that is a link to /dev/null, or empty, masks what it shadows. */
static bool
masked(const char *full)
{
    char target[PATH_MAX];
    struct stat st;
    ssize_t n = readlink(full, target, sizeof(target) - 1);

    if (n > 0) {
        target[n] = '\0';
        if (strcmp(target, "/dev/null") == 0)
            return true;
    }
    return stat(full, &st) < 0 || st.st_size == 0;
}

static int
cmp_dropin(const void *a, const void *b)
{
    return strcmp(((const struct dropin *)a)->name,
                  ((const struct dropin *)b)->name);
}

/* The drop-ins of @unit, each name from its highest directory, sorted. */
static size_t
dropins_of(const char *root, const char *unit, struct dropin *out)
{
    char dir[PATH_MAX], full[PATH_MAX];
    struct dirent *de;
    size_t n = 0, i, k;
    bool seen;
    DIR *d;
    int r;

    for (i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
        snprintf(dir, sizeof(dir), "%s/%s.d", unit_dirs[i], unit);
        rooted(root, dir, full, sizeof(full));
        d = opendir(full);
        if (!d)
            continue;
        while ((de = readdir(d)) && n < MAX_DROPINS) {
            size_t len = strlen(de->d_name);

            if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                continue;
            for (seen = false, k = 0; k < n && !seen; k++)
                seen = strcmp(out[k].name, de->d_name) == 0;
            if (seen)
                continue;
            r = snprintf(out[n].path, sizeof(out[n].path), "%s/%s", dir,
                         de->d_name);
            if (r < 0 || (size_t)r >= sizeof(out[n].path))
                continue;
            memcpy(out[n].name, de->d_name, len + 1);
            n++;
        }
        closedir(d);
    }
    qsort(out, n, sizeof(*out), cmp_dropin);
    return n;
}

/* Where ExecStart= lines of unit files land. */
struct exec_start {
    char *exec;
    size_t size;
    char *from;
    size_t from_size;
    const char *path;
};

static int
exec_start_line(void *arg, char *line, size_t lineno)
{
    struct exec_start *e = arg;
    const char *s = trim(line);

    (void)lineno;
    /* "ExecStart=" alone resets the list; a later one sets it. */
    if (strncmp(s, "ExecStart=", 10) == 0) {
        copy(e->exec, e->size, s + 10);
        copy(e->from, e->from_size, e->path);
    }
    return 0;
}

/* Applies the ExecStart= lines of one unit file to @exec / @from. */
static void
read_exec_start(const char *root, const char *path, char *exec,
                size_t size, char *from, size_t from_size)
{
    struct exec_start e = { exec, size, from, from_size, path };
    char full[PATH_MAX];
    FILE *f;

    rooted(root, path, full, sizeof(full));
    if (masked(full) || !(f = fopen(full, "re")))
        return;
    iam_lines_read(f, exec_start_line, &e, NULL);
    fclose(f);
}

/* The command after "AuthorizedKeysCommand" in an -o option of @exec,
 * with systemd's "%%" turned back into "%". */
static bool
unit_option(const char *exec, char *cmd, size_t size)
{
    const char *p = exec, *e;
    size_t n = 0;

    /* The keyword alone, not AuthorizedKeysCommandUser nor part of a
     * longer word: a blank, '=' or a quote on either side. */
    for (;; p++) {
        p = strcasestr(p, KEYWORD);
        if (!p)
            return false;
        e = p + strlen(KEYWORD);
        if ((p == exec || strchr(" \t\"'", p[-1])) &&
            (*e == '=' || *e == ' ' || *e == '\t'))
            break;
    }
    p += strlen(KEYWORD);
    while (*p == '=' || *p == ' ' || *p == '\t')
        p++;
    e = strpbrk(p, "\"'");
    if (!e)
        e = p + strlen(p);
    while (p < e && n + 1 < size) {
        cmd[n++] = *p;
        p += (p[0] == '%' && p[1] == '%') ? 2 : 1;
    }
    cmd[n] = '\0';
    return true;
}

static bool
check_units(const char *root, struct sshd_check *ret)
{
    char exec[4096], from[PATH_MAX], path[PATH_MAX], full[PATH_MAX];
    struct dropin *d;
    size_t i, j, n;
    bool found = false;

    d = calloc(MAX_DROPINS, sizeof(*d));
    if (!d)
        return false;
    for (i = 0; i < sizeof(units) / sizeof(units[0]) && !found; i++) {
        exec[0] = from[0] = '\0';
        for (j = 0; j < sizeof(unit_dirs) / sizeof(unit_dirs[0]); j++) {
            snprintf(path, sizeof(path), "%s/%s", unit_dirs[j], units[i]);
            rooted(root, path, full, sizeof(full));
            if (access(full, F_OK) == 0) {
                read_exec_start(root, path, exec, sizeof(exec), from,
                                sizeof(from));
                break;
            }
        }
        n = dropins_of(root, units[i], d);
        for (j = 0; j < n; j++)
            read_exec_start(root, d[j].path, exec, sizeof(exec), from,
                            sizeof(from));
        if (unit_option(exec, ret->command, sizeof(ret->command))) {
            ret->result = strstr(ret->command, OURS) ? SSHD_OURS
                                                     : SSHD_UNIT_OPTION;
            copy(ret->file, sizeof(ret->file), from);
            ret->line = 0;
            found = true;
        }
    }
    free(d);
    return found;
}

static bool config_file(const char *root, const char *path, int depth,
                        struct sshd_check *ret);

/* Include PATTERN...: relative patterns are under /etc/ssh. */
static bool
include(const char *root, char *args, int depth, struct sshd_check *ret)
{
    char pat[PATH_MAX], full[PATH_MAX];
    size_t skip = strlen(root);
    char *tok, *save = NULL;
    bool found = false;
    glob_t g;
    size_t i;

    while (skip > 0 && root[skip - 1] == '/')
        skip--;
    for (tok = strtok_r(args, " \t", &save); tok && !found;
         tok = strtok_r(NULL, " \t", &save)) {
        snprintf(pat, sizeof(pat), "%s%s", tok[0] == '/' ? "" : "/etc/ssh/",
                 tok);
        rooted(root, pat, full, sizeof(full));
        if (glob(full, 0, NULL, &g) != 0)
            continue;
        for (i = 0; i < g.gl_pathc && !found; i++)
            found = config_file(root, g.gl_pathv[i] + skip, depth + 1, ret);
        globfree(&g);
    }
    return found;
}

/* One sshd_config file being read. */
struct config_ctx {
    const char *root;
    const char *path;
    int depth;
    struct sshd_check *ret;
};

/* 1 once the first AuthorizedKeysCommand is found, or at a Match line:
 * a Match block lasts to the end of the file it is in. */
static int
config_line(void *arg, char *line, size_t lineno)
{
    struct config_ctx *c = arg;
    char *s = trim(line), *arg_;
    size_t kw;

    if (!*s || *s == '#')
        return 0;
    kw = strcspn(s, " \t=");
    arg_ = s + kw;
    arg_ += strspn(arg_, " \t=");
    if (kw == 5 && strncasecmp(s, "Match", 5) == 0)
        return 1;
    if (kw == 7 && strncasecmp(s, "Include", 7) == 0)
        return include(c->root, arg_, c->depth, c->ret) ? 2 : 0;
    if (kw != strlen(KEYWORD) || strncasecmp(s, KEYWORD, kw) != 0)
        return 0;
    copy(c->ret->command, sizeof(c->ret->command), arg_);
    copy(c->ret->file, sizeof(c->ret->file), c->path);
    c->ret->line = (unsigned)lineno;
    c->ret->result = strstr(arg_, OURS) ? SSHD_OURS : SSHD_CONFIG;
    return 2;
}

/* Reads one sshd_config file; true once the first AuthorizedKeysCommand
 * outside a Match block is found. */
static bool
config_file(const char *root, const char *path, int depth,
            struct sshd_check *ret)
{
    struct config_ctx c = { root, path, depth, ret };
    char full[PATH_MAX];
    FILE *f;
    int r;

    if (depth > MAX_INCLUDE_DEPTH)
        return false;
    rooted(root, path, full, sizeof(full));
    f = fopen(full, "re");
    if (!f)
        return false;
    r = iam_lines_read(f, config_line, &c, NULL);
    fclose(f);
    return r == 2;
}

int
sshd_check(const char *root, struct sshd_check *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->result = SSHD_NONE;
    if (check_units(root, ret))
        return 0;
    config_file(root, "/etc/ssh/sshd_config", 0, ret);
    return 0;
}

/* "/etc/systemd/system/sshd.service.d/x.conf" -> "sshd.service", "x.conf" */
static bool
dropin_parts(const char *file, char *unit, size_t usize, const char **name)
{
    const char *slash = strrchr(file, '/'), *d;

    if (!slash)
        return false;
    for (d = slash; d > file && d[-1] != '/'; d--)
        ;
    if (slash - d < 3 || strncmp(slash - 2, ".d", 2) != 0)
        return false;
    snprintf(unit, usize, "%.*s", (int)(slash - 2 - d), d);
    *name = slash + 1;
    return true;
}

/* "" when every %-token of @cmd is one the chained command expands
 * (keys_cmd/chain.c: %u %U %k %t %f %%), else a warning: sshd's %h, %C
 * and %D cannot be passed on, and such a chained command is not run. */
static const char *
chain_note(const char *cmd)
{
    const char *p;

    for (p = strchr(cmd, '%'); p; p = strchr(p + 2, '%')) {
        if (!p[1] || !strchr("uUktf%", p[1]))
            return " (but it uses a token other than %u %U %k %t %f, "
                   "which CHAIN_AUTHORIZED_KEYS_COMMAND cannot pass on: "
                   "rewrite it with those)";
    }
    return "";
}

void
sshd_check_fix(const struct sshd_check *c, char *buf, size_t size)
{
    char unit[NAME_MAX + 1], how[640];
    const char *name;

    switch (c->result) {
    case SSHD_OURS:
        if (c->line)
            snprintf(buf, size, "asks iam-authorized-keys (%s:%u)", c->file,
                     c->line);
        else
            snprintf(buf, size, "asks iam-authorized-keys (%s)", c->file);
        break;
    case SSHD_UNIT_OPTION:
        if (dropin_parts(c->file, unit, sizeof(unit), &name))
            snprintf(how, sizeof(how), "mask the drop-in: ln -s /dev/null "
                     "/etc/systemd/system/%s.d/%s && systemctl "
                     "daemon-reload && systemctl restart %s",
                     unit, name, unit);
        else
            snprintf(how, sizeof(how), "remove the option (systemctl edit "
                     "--full on that unit)");
        snprintf(buf, size,
                 "%s gives sshd -o \"AuthorizedKeysCommand %s\" on its "
                 "command line, which wins over every sshd_config file: "
                 "sshd never asks iam-authorized-keys and IAM users cannot "
                 "log in. Keep that command as a fallback with "
                 "CHAIN_AUTHORIZED_KEYS_COMMAND=\"%s\" in "
                 "/etc/nss-iam.conf, then %s%s",
                 c->file, c->command, c->command, how,
                 chain_note(c->command));
        break;
    case SSHD_CONFIG:
        snprintf(buf, size,
                 "%s:%u sets AuthorizedKeysCommand %s before nss-iam's "
                 "drop-in, and sshd keeps the first value: IAM users cannot "
                 "log in. Keep that command as a fallback with "
                 "CHAIN_AUTHORIZED_KEYS_COMMAND=\"%s\" in "
                 "/etc/nss-iam.conf, then remove the line and reload sshd%s",
                 c->file, c->line, c->command, c->command,
                 chain_note(c->command));
        break;
    case SSHD_NONE:
        snprintf(buf, size,
                 "no AuthorizedKeysCommand is set: sshd reads nss-iam's "
                 "drop-in /etc/ssh/sshd_config.d/00-nss-iam.conf only when "
                 "/etc/ssh/sshd_config includes it (\"Include "
                 "/etc/ssh/sshd_config.d/*.conf\" at its top; RHEL 8 has "
                 "no such line: copy the drop-in's lines there instead), "
                 "then reload sshd");
        break;
    }
}
