/*
 * A data file of tests/fixtures/ read whole into a buffer of exactly its
 * length, so ASan sees any parser that reads past the end of a body.
 */
#ifndef FIXTURE_BODY_H
#define FIXTURE_BODY_H

#include <stddef.h>

struct fixture_body {
    char *p; /* malloc'ed, not NUL-terminated */
    size_t len;
};

/*
 * fixture_body_load - read @dir/@name. A missing, empty or unreadable
 * file fails the running cmocka test. Free .p with free().
 */
struct fixture_body
fixture_body_load(const char *dir, const char *name);

#endif
