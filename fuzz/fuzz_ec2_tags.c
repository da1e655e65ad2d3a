/*
 * fuzz_ec2_tags: aws_ec2_tags_value(), the hand-written extractor of one
 * tag value from an EC2 DescribeTags XML answer.
 *
 * Input: one byte that sets the output buffer size (1..256), then the
 * body. The tags looked up are "nss-iam-groups" and "k".
 *
 * Invariants: the return value is 0, -ESRCH, -EPROTO or -ERANGE; on 0 the
 * value is NUL-terminated inside the buffer, and the same value comes back
 * with a large buffer; -ERANGE means the value, when a large buffer gets
 * it, does not fit the small one; a value is never longer than the body
 * it came from.
 */
#include <errno.h>

#include "aws_ec2_tags.h"
#include "fuzz.h"

#define BIG 65536

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void
lookup(const char *body, size_t len, const char *key, size_t size)
{
    char *out = malloc(size);
    char *big = malloc(BIG);
    int r, r2;

    FUZZ_ASSERT(out != NULL && big != NULL);
    r = aws_ec2_tags_value(body, len, key, out, size);
    FUZZ_ASSERT(r == 0 || r == -ESRCH || r == -EPROTO || r == -ERANGE);
    r2 = aws_ec2_tags_value(body, len, key, big, BIG);
    FUZZ_ASSERT(r2 == 0 || r2 == -ESRCH || r2 == -EPROTO);
    if (r == 0) {
        FUZZ_ASSERT(memchr(out, '\0', size) != NULL);
        FUZZ_ASSERT(r2 == 0 && strcmp(out, big) == 0);
    }
    /* A value that is also malformed after the cut may be -ERANGE with a
     * small buffer and -EPROTO with a large one; a well-formed one that
     * fits the large buffer must really be too long for the small. */
    if (r == -ERANGE)
        FUZZ_ASSERT(r2 == -EPROTO || (r2 == 0 && strlen(big) + 1 > size));
    if (r2 == 0)
        FUZZ_ASSERT(strlen(big) <= len);
    free(big);
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body;
    size_t out_size;

    if (size < 1)
        return 0;
    out_size = (size_t)data[0] + 1;
    body = fuzz_dup(data + 1, size - 1);
    lookup(body, size - 1, "nss-iam-groups", out_size);
    lookup(body, size - 1, "k", out_size);
    free(body);
    return 0;
}
