#include "iam_login_defs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_lines.h"
#include "iam_log.h"

static const struct iam_login_range defaults[IAM_LOGIN_DEFS_N_RANGES] = {
    { "UID_MIN", "UID_MAX", 1000, 60000, 0, 0 },
    { "SYS_UID_MIN", "SYS_UID_MAX", 101, 999, 0, 0 },
    { "GID_MIN", "GID_MAX", 1000, 60000, 0, 0 },
    { "SYS_GID_MIN", "SYS_GID_MAX", 101, 999, 0, 0 },
    { "SUB_UID_MIN", "SUB_UID_MAX", 100000, 600100000, 0, 0 },
    { "SUB_GID_MIN", "SUB_GID_MAX", 100000, 600100000, 0, 0 },
};

/* strtoul base 0 as shadow's getulong(); the whole token must be used. */
static bool
parse_value(const char *s, uint32_t *ret)
{
    unsigned long long v;
    char *end = NULL;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno != 0 || !end || *end != '\0' || v >= UINT32_MAX)
        return false;
    *ret = (uint32_t)v;
    return true;
}

/* The range field @key names, or NULL. */
static uint32_t *
field_of(struct iam_login_defs *d, const char *key, size_t **ret_line)
{
    size_t i;

    for (i = 0; i < IAM_LOGIN_DEFS_N_RANGES; i++) {
        if (strcmp(d->r[i].min_key, key) == 0) {
            *ret_line = &d->r[i].min_line;
            return &d->r[i].min;
        }
        if (strcmp(d->r[i].max_key, key) == 0) {
            *ret_line = &d->r[i].max_line;
            return &d->r[i].max;
        }
    }
    return NULL;
}

/* One line, newline removed; modified in place. */
static void
load_line(struct iam_login_defs *d, char *line, const char *path, size_t lineno)
{
    char *key, *val, *end;
    size_t *where;
    uint32_t *f;
    size_t n;

    key = line + strspn(line, " \t");
    if (*key == '#' || *key == '\0')
        return;
    n = strcspn(key, " \t");
    if (key[n] == '\0')
        return;
    key[n] = '\0';
    val = key + n + 1;
    val += strspn(val, " \t");
    end = val + strlen(val);
    while (end > val && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    if (end - val >= 2 && val[0] == '"' && end[-1] == '"') {
        end[-1] = '\0';
        val++;
    }
    f = field_of(d, key, &where);
    if (!f)
        return;
    if (!parse_value(val, f)) {
        iam_log(LOG_WARNING,
                "%s:%zu: %s: \"%.32s\" is not a number; "
                "shadow's default is assumed",
                path, lineno, key, val);
        return;
    }
    *where = lineno;
}

struct file_ctx {
    struct iam_login_defs *d;
    const char *path;
};

static int
file_line(void *arg, char *line, size_t lineno)
{
    struct file_ctx *fc = arg;

    load_line(fc->d, line, fc->path, lineno);
    return 0;
}

int
iam_login_defs_load(const char *path, struct iam_login_defs *ret)
{
    struct file_ctx fc = { ret, path };
    FILE *f;
    int r;

    memcpy(ret->r, defaults, sizeof(defaults));
    f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        r = -errno;
        iam_log(LOG_ERR, "%s: cannot open: %s", path, strerrordesc_np(-r));
        return r;
    }
    r = iam_lines_read(f, file_line, &fc, NULL);
    if (r < 0)
        iam_log(LOG_ERR, "%s: read failed: %s", path, strerrordesc_np(-r));
    fclose(f);
    return r;
}
