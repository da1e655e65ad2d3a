#include "iam_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
iam_file_temp_open(const char *path, struct iam_file_temp *ret)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    int n;

    ret->fd = -1;
    ret->tmp[0] = '\0';
    if (*base == '\0')
        return -EINVAL;
    n = snprintf(ret->path, sizeof(ret->path), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(ret->path))
        return -ENAMETOOLONG;
    n = snprintf(ret->tmp, sizeof(ret->tmp), "%.*s.%s.XXXXXX", dirlen, path,
                 base);
    if (n < 0 || (size_t)n >= sizeof(ret->tmp))
        return -ENAMETOOLONG;
    /* O_EXCL (always, in mkostemp): a link put there is not followed. */
    ret->fd = mkostemp(ret->tmp, O_CLOEXEC | O_NOFOLLOW);
    if (ret->fd < 0)
        return -errno;
    return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
iam_file_temp_commit(struct iam_file_temp *t, const void *data, size_t len,
                     mode_t mode)
{
    int r = 0;

    if (t->fd < 0)
        return -EBADF;
    /* The mode is the file's before its name is (never after). */
    if (fchmod(t->fd, mode) < 0)
        r = -errno;
    if (r == 0 && len > 0)
        r = write_all(t->fd, data, len);
    if (r == 0 && fsync(t->fd) < 0)
        r = -errno;
    if (close(t->fd) < 0 && r == 0)
        r = -errno;
    t->fd = -1;
    if (r == 0 && rename(t->tmp, t->path) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlink(t->tmp); /* the target is untouched */
        return r;
    }
    return iam_file_fsync_dir(t->path);
}

void
iam_file_temp_abort(struct iam_file_temp *t)
{
    if (t->fd < 0)
        return;
    (void)unlink(t->tmp);
    close(t->fd);
    t->fd = -1;
}

int
iam_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
    struct iam_file_temp t;
    int r;

    r = iam_file_temp_open(path, &t);
    if (r < 0)
        return r;
    return iam_file_temp_commit(&t, data, len, mode);
}

int
iam_file_fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n;
    int fd, r = 0;

    if (!slash) {
        dir[0] = '.';
        n = 1;
    } else {
        n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof(dir))
            return -ENAMETOOLONG;
        memcpy(dir, path, n);
    }
    dir[n] = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        r = -errno;
    close(fd);
    return r;
}

/* Up to @size bytes of @fd into @buf; -EFBIG if more follow. */
static ssize_t
read_bounded(int fd, char *buf, size_t size)
{
    size_t got = 0;
    ssize_t n;
    char extra;

    for (;;) {
        n = read(fd, got < size ? buf + got : &extra,
                 got < size ? size - got : 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return (ssize_t)got;
        if (got == size)
            return -EFBIG; /* it grew since fstat() */
        got += (size_t)n;
    }
}

ssize_t
iam_file_read_trusted(const char *path, char *buf, size_t size)
{
    struct stat st;
    ssize_t r;
    int fd;

    if (size == 0)
        return -EINVAL;
    buf[0] = '\0';
    /* O_NONBLOCK: a FIFO put there must not hang the reader. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        r = -errno;
    else
        r = iam_trust_check(&st, geteuid(), size - 1);
    if (r == 0)
        r = read_bounded(fd, buf, size - 1);
    close(fd);
    if (r >= 0)
        buf[r] = '\0';
    return r;
}
