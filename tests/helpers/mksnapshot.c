/*
 * mksnapshot PATH USERS [GENERATION [INSTANCE]] - publish a fixture
 * snapshot (tests/common/fixture.h) at PATH through the real writer, made
 * on EC2 instance INSTANCE when given. Used by the
 * shell tests and the benchmarks to fill a namespace's /var/lib/nss-iam.
 *
 * mksnapshot PATH --outlaws - publish fixture_outlaws(): one good user
 * and users and groups with ids outside the range (uid 0, gid 0, ...),
 * which the reader must never serve.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static int
parse_uint(const char *s, unsigned *ret)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > 1000000)
        return -EINVAL;
    *ret = (unsigned)v;
    return 0;
}

int
main(int argc, char **argv)
{
    unsigned n, gen = 1;
    int r;

    if (argc == 3 && strcmp(argv[2], "--outlaws") == 0) {
        r = fixture_outlaws(argv[1]);
    } else if (argc < 3 || argc > 5 || parse_uint(argv[2], &n) < 0 ||
               (argc >= 4 && parse_uint(argv[3], &gen) < 0)) {
        fprintf(stderr, "usage: mksnapshot PATH USERS [GENERATION "
                        "[INSTANCE]]\n"
                        "       mksnapshot PATH --outlaws\n");
        return 2;
    } else {
        r = fixture_snapshot_on(argv[1], n, gen, argc == 5 ? argv[4] : NULL);
    }
    if (r < 0) {
        fprintf(stderr, "mksnapshot: %s: %s\n", argv[1], strerrordesc_np(-r));
        return 1;
    }
    return 0;
}
