#include "fixture_path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FIXTURE_DIR_ENV "IAM_TEST_FIXTURES"
#define FIXTURE_DIR_DEFAULT "tests/fixtures"

/* The setup failure: @path made absolute, so the message says where the
 * test looked whatever its working directory was. */
static void
missing(const char *path, int err)
{
    char cwd[PATH_MAX];

    if (path[0] != '/' && getcwd(cwd, sizeof(cwd))) {
        errno = err;
        printf("not ok 1 - setup: test fixture missing: %s/%s (%m)\n", cwd,
               path);
    } else {
        errno = err;
        printf("not ok 1 - setup: test fixture missing: %s (%m)\n", path);
    }
    printf("# fixtures are read from $" FIXTURE_DIR_ENV " or, when it is "
           "unset, from " FIXTURE_DIR_DEFAULT "/ under the working "
           "directory: run the tests from the source root\n");
    fflush(stdout);
    exit(1);
}

const char *
fixture_path(const char *rel, char *buf, size_t size)
{
    const char *dir = getenv(FIXTURE_DIR_ENV);
    int n;

    if (!dir || !*dir)
        dir = FIXTURE_DIR_DEFAULT;
    n = snprintf(buf, size, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= size)
        missing(dir, ENAMETOOLONG);
    if (access(buf, R_OK) < 0)
        missing(buf, errno);
    return buf;
}
