#include "fleet_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iam_file.h"
#include "iam_log.h"

/* Largest state file read: a refusal's reason is the longest. */
#define FILE_MAX (AWS_HTTP_ETAG_SIZE + 65 + FLEET_WHY_SIZE + 16)

static int
state_path(const char *db_path, const char *suffix, char out[PATH_MAX])
{
    int n = snprintf(out, PATH_MAX, "%s%s", db_path, suffix);

    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/*
 * The whole of a state file into @buf (NUL-terminated), when it is one
 * to trust (iam_file_read_trusted: a regular file of root's or the
 * caller's, not writable by group or others, not a symlink) and text
 * (no NUL byte, so its length is strlen(@buf) and never 0). Returns its
 * length, or -errno.
 */
static ssize_t
read_trusted(const char *path, char *buf, size_t size)
{
    ssize_t n = iam_file_read_trusted(path, buf, size);

    if (n == -EINVAL || n == -EACCES || n == -EPERM)
        iam_log(LOG_WARNING,
                "%s: not a regular file of root's, or "
                "writable by others: ignored",
                path);
    if (n < 0)
        return n;
    if (n == 0 || strlen(buf) != (size_t)n)
        return -EBADMSG;
    return n;
}

/*
 * @text as the new content of @path (iam_file_write: a private
 * temporary file beside it, 0644, synced, renamed over). Returns 0 or
 * -errno (logged).
 */
static int
write_atomic(const char *path, const char *text)
{
    int r = iam_file_write(path, text, strlen(text), 0644);

    if (r < 0)
        iam_log(LOG_WARNING, "%s: %s", path, strerrordesc_np(-r));
    return r;
}

/* A decimal created time, whole (no sign, no junk). */
static bool
parse_time(const char *s, int64_t *ret)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0 || s[0] == '-' || s[0] == '+')
        return false;
    *ret = v;
    return true;
}

/* Splits @buf at its blanks and newlines into at most @max fields. */
static size_t
split(char *buf, char **v, size_t max, const char *seps)
{
    size_t n = 0;
    char *p = buf, *q;

    while (n < max) {
        v[n++] = p;
        q = strpbrk(p, seps);
        if (!q)
            break;
        *q = '\0';
        p = q + 1;
    }
    return n;
}

/* ---- .fleet ---- */

/* "<created> <etag> <local>\n": the ETag holds no blank. */
static bool
seen_parse(char *buf, struct fleet_seen *ret)
{
    char *f[4] = { NULL, NULL, NULL, NULL };
    size_t len = strlen(buf);

    if (len == 0 || buf[len - 1] != '\n')
        return false;
    buf[len - 1] = '\0';
    if (split(buf, f, 4, " ") != 3 || !parse_time(f[0], &ret->newest) ||
        strlen(f[1]) >= sizeof(ret->etag) || strlen(f[2]) != 64)
        return false;
    /* "-": no ETag was known. */
    snprintf(ret->etag, sizeof(ret->etag), "%s",
             strcmp(f[1], "-") == 0 ? "" : f[1]);
    snprintf(ret->local, sizeof(ret->local), "%s", f[2]);
    return true;
}

void
fleet_seen_load(const char *db_path, struct fleet_seen *ret)
{
    char path[PATH_MAX], buf[FILE_MAX];

    memset(ret, 0, sizeof(*ret));
    if (state_path(db_path, ".fleet", path) < 0 ||
        read_trusted(path, buf, sizeof(buf)) <= 0)
        return;
    if (!seen_parse(buf, ret))
        memset(ret, 0, sizeof(*ret));
}

int
fleet_seen_save(const char *db_path, const struct fleet_seen *seen)
{
    char path[PATH_MAX], text[FILE_MAX];
    int r;

    r = state_path(db_path, ".fleet", path);
    if (r < 0)
        return r;
    snprintf(text, sizeof(text), "%" PRId64 " %s %s\n", seen->newest,
             seen->etag[0] ? seen->etag : "-", seen->local);
    return write_atomic(path, text);
}

/* ---- .fleet-newest ---- */

/*
 * The rollback record is only as safe as its directory: whoever may
 * write there may remove it (and the snapshot). Said on every run.
 */
static void
check_dir(const char *db_path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(db_path, '/');
    struct stat st;

    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - db_path) : 1,
             slash ? db_path : ".");
    if (stat(dir[0] ? dir : "/", &st) < 0)
        return;
    if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        iam_log(LOG_WARNING,
                "%s: writable by others than root: they can "
                "remove the snapshot and the rollback record "
                "(chmod 0755 and chown root)",
                dir[0] ? dir : "/");
}

static int64_t
newest_read(const char *db_path, const char *source)
{
    char path[PATH_MAX], buf[FILE_MAX];
    char *f[3] = { NULL, NULL, NULL };
    size_t len;
    int64_t v;

    if (state_path(db_path, ".fleet-newest", path) < 0 ||
        read_trusted(path, buf, sizeof(buf)) <= 0)
        return 0;
    len = strlen(buf);
    if (buf[len - 1] != '\n')
        return 0;
    buf[len - 1] = '\0';
    /* "<created> <source>\n" */
    if (split(buf, f, 3, " ") != 2 || !parse_time(f[0], &v) ||
        strcmp(f[1], source) != 0)
        return 0;
    return v;
}

int64_t
fleet_newest_load(const char *db_path, const char *source)
{
    check_dir(db_path);
    return newest_read(db_path, source);
}

int
fleet_newest_raise(const char *db_path, const char *source, int64_t created)
{
    char path[PATH_MAX], text[FLEET_SOURCE_SIZE + 32];
    int r;

    if (created <= newest_read(db_path, source))
        return 0;
    r = state_path(db_path, ".fleet-newest", path);
    if (r < 0)
        return r;
    snprintf(text, sizeof(text), "%" PRId64 " %s\n", created, source);
    return write_atomic(path, text);
}

/* ---- .fleet-refused ---- */

void
fleet_refused_load(const char *db_path, const char *context,
                   struct fleet_refused *ret)
{
    char path[PATH_MAX], buf[FILE_MAX] = "";
    char *f[3] = { NULL, NULL, NULL }, *why, *end;

    memset(ret, 0, sizeof(*ret));
    if (state_path(db_path, ".fleet-refused", path) < 0 ||
        read_trusted(path, buf, sizeof(buf)) <= 0)
        return;
    /* "<etag> <context>\n<why>\n" */
    why = strchr(buf, '\n');
    end = why ? strchr(why + 1, '\n') : NULL;
    if (!end || end[1] != '\0')
        return;
    *why++ = '\0';
    *end = '\0';
    if (split(buf, f, 3, " ") != 2 || !f[0][0] ||
        strlen(f[0]) >= sizeof(ret->etag) || strcmp(f[1], context) != 0 ||
        strlen(why) >= sizeof(ret->why))
        return;
    snprintf(ret->etag, sizeof(ret->etag), "%s", f[0]);
    snprintf(ret->context, sizeof(ret->context), "%s", f[1]);
    snprintf(ret->why, sizeof(ret->why), "%s", why);
}

int
fleet_refused_save(const char *db_path, const struct fleet_refused *r)
{
    char path[PATH_MAX], text[FILE_MAX];
    size_t i, n;
    int rc;

    rc = state_path(db_path, ".fleet-refused", path);
    if (rc < 0)
        return rc;
    if (!r->etag[0]) {
        if (unlink(path) < 0 && errno != ENOENT) {
            rc = -errno;
            iam_log(LOG_WARNING, "%s: %s", path, strerrordesc_np(-rc));
        }
        return rc;
    }
    n = (size_t)snprintf(text, sizeof(text), "%s %s\n", r->etag, r->context);
    /* The reason may quote the object (its source): one printable line. */
    for (i = 0; r->why[i] && n + 2 < sizeof(text); i++)
        text[n++] = r->why[i] >= 0x20 && r->why[i] < 0x7f ? r->why[i] : '?';
    text[n++] = '\n';
    text[n] = '\0';
    return write_atomic(path, text);
}
