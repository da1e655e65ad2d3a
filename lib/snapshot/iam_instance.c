#include "iam_instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iam_trust.h"

bool
iam_instance_id_valid(const char *s, size_t len)
{
    size_t i;

    if (len < 2 + 8 || len >= IAM_INSTANCE_ID_SIZE || memcmp(s, "i-", 2) != 0)
        return false;
    for (i = 2; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Root's file that nobody else may write, as the snapshot itself. */
static bool
trusted(int fd)
{
    struct stat st;

    /* No size bound: sysfs gives every attribute a size of a page. */
    return fstat(fd, &st) == 0 && iam_trust_check(&st, 0, UINT64_MAX) == 0;
}

int
iam_instance_id_local(const char *path, char ret[IAM_INSTANCE_ID_SIZE])
{
    char buf[IAM_INSTANCE_ID_SIZE + 1];
    ssize_t n = -1;
    int fd;

    ret[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -ENOENT;
    /* One read: sysfs hands an attribute over whole. */
    if (trusted(fd))
        n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n <= 0 || !iam_instance_id_valid(buf, (size_t)n))
        return -ENOENT;
    memcpy(ret, buf, (size_t)n);
    ret[n] = '\0';
    return 0;
}

bool
iam_instance_other(struct iam_str made_on, const char *here)
{
    size_t n = strlen(here);

    if (!iam_instance_id_valid(made_on.p, made_on.len) ||
        !iam_instance_id_valid(here, n))
        return false;
    return !iam_str_eq(made_on, here);
}
