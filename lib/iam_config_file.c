#include "iam_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iam_trust.h"

/* Writes "PATH: message" and returns @r. */
static int
file_fail(char *errbuf, size_t errlen, const char *path, int r, const char *fmt,
          ...) __attribute__((format(printf, 5, 6)));

static int
file_fail(char *errbuf, size_t errlen, const char *path, int r, const char *fmt,
          ...)
{
    va_list ap;
    int n;

    if (!errbuf || errlen == 0)
        return r;
    n = snprintf(errbuf, errlen, "%s: ", path);
    if (n < 0 || (size_t)n >= errlen)
        return r;
    va_start(ap, fmt);
    vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return r;
}

/* Ownership and mode: whoever can write this file decides who logs in
 * and who gets sudo. Returns the file size, or -errno. */
static int
check_file(int fd, const char *path, char *errbuf, size_t errlen)
{
    struct stat st;
    int r;

    if (fstat(fd, &st) < 0)
        return file_fail(errbuf, errlen, path, -errno, "cannot stat");
    /* The one trusted-file rule; each refusal keeps its own message. */
    r = iam_trust_check(&st, geteuid(), IAM_CONFIG_FILE_MAX);
    if (r == -EINVAL)
        return file_fail(errbuf, errlen, path, -EINVAL, "not a regular file");
    if (r == -EACCES)
        return file_fail(errbuf, errlen, path, -EACCES,
                         "writable by group or others (mode %04o); it "
                         "decides who gets sudo: chmod go-w it",
                         (unsigned)(st.st_mode & 07777));
    if (r == -EPERM)
        return file_fail(errbuf, errlen, path, -EACCES,
                         "owned by uid %u; it must be owned by root",
                         (unsigned)st.st_uid);
    if (r == -EFBIG)
        return file_fail(errbuf, errlen, path, -EINVAL, "larger than %d bytes",
                         IAM_CONFIG_FILE_MAX);
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
            r = file_fail(errbuf, errlen, path, -EINVAL, "larger than %d bytes",
                          IAM_CONFIG_FILE_MAX);
            goto out;
        }
        if (len == cap) {
            cap = cap * 2 > IAM_CONFIG_FILE_MAX ? IAM_CONFIG_FILE_MAX + 1
                                                : cap * 2;
            grown = realloc(buf, cap);
            if (!grown) {
                r = file_fail(errbuf, errlen, path, -ENOMEM, "out of memory");
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
