/*
 * Where the unit tests find their data files: tests/fixtures/ of the
 * source tree. Nothing a test reads lies outside the tree.
 *
 * The directory is $IAM_TEST_FIXTURES when it is set (tests/run.sh sets
 * it to an absolute path), else "tests/fixtures" relative to the working
 * directory, which is then the source root.
 *
 * A missing fixture is a setup failure, not a test result: the program
 * prints one TAP line "not ok 1 - setup: ..." naming the path it looked
 * for, and exits 1 before any test runs.
 */
#ifndef FIXTURE_PATH_H
#define FIXTURE_PATH_H

#include <stddef.h>

/*
 * fixture_path - the path of @rel (e.g. "sigv4") in the fixtures
 * directory, written into @buf (@size bytes). Exits as above when the
 * path does not exist or does not fit. Returns @buf.
 */
const char *
fixture_path(const char *rel, char *buf, size_t size);

#endif
