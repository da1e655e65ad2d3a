#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int
lock_take(const char *db_path, unsigned timeout_s)
{
    const char *slash = strrchr(db_path, '/');
    char path[PATH_MAX];
    struct timespec pause = { 0, 100 * 1000 * 1000 };
    unsigned waited_ds = 0;
    int fd, n;

    n = slash ? snprintf(path, sizeof(path), "%.*s/.iam-sync.lock",
                         (int)(slash - db_path), db_path)
              : snprintf(path, sizeof(path), ".iam-sync.lock");
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    /* Polled, so the wait is bounded without signals or threads. */
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK || waited_ds >= timeout_s * 10) {
            n = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
            close(fd);
            return n;
        }
        nanosleep(&pause, NULL);
        waited_ds++;
    }
    return fd;
}
