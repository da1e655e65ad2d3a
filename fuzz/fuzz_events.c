/*
 * fuzz_events: event_hints_add(), the reader of SQS message bodies that
 * anyone allowed to send to the queue controls (sync/events.c).
 *
 * Input: one byte whose low bit says TAG_KEYS, then the body. The body
 * is read twice into one set, then the set is merged into an empty one.
 *
 * Invariants: the return value is 0, 1, -EBADMSG or -ENOMEM, the same
 * both times; -EBADMSG sets full; the reason is NUL-terminated and
 * printable ASCII; the set is sorted by (kind, name), without
 * duplicates, at most EVENT_HINTS_MAX long, and every name is one IAM
 * could hold for its kind; reading the body again adds nothing; the
 * merge gives the same set.
 */
#include <errno.h>

#include "events.h"
#include "fuzz.h"
#include "iam_name.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void
check_why(const char *why, size_t size)
{
    size_t i;

    FUZZ_ASSERT(memchr(why, '\0', size) != NULL);
    for (i = 0; why[i]; i++)
        FUZZ_ASSERT(why[i] >= 0x20 && why[i] < 0x7f);
}

static void
check_set(const struct event_hints *h)
{
    size_t i, max;
    const char *name;

    FUZZ_ASSERT(h->n <= EVENT_HINTS_MAX);
    for (i = 0; i < h->n; i++) {
        name = h->v[i].name;
        max = h->v[i].kind == EVENT_GROUP ? IAM_NAME_IAM_GROUP_MAX
                                          : IAM_NAME_IAM_USER_MAX;
        FUZZ_ASSERT(iam_name_is_valid_iam(name, strlen(name), max));
        FUZZ_ASSERT(h->v[i].kind >= EVENT_USER && h->v[i].kind <= EVENT_GROUP);
        if (i == 0)
            continue;
        FUZZ_ASSERT(h->v[i - 1].kind < h->v[i].kind ||
                    (h->v[i - 1].kind == h->v[i].kind &&
                     strcmp(h->v[i - 1].name, name) < 0));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct event_hints h, copy;
    char why[256];
    size_t i, n;
    char *body;
    bool tags;
    int r, r2;

    if (size < 1)
        return 0;
    tags = data[0] & 1;
    body = fuzz_dup(data + 1, size - 1);
    memset(&h, 0, sizeof(h));
    memset(&copy, 0, sizeof(copy));
    r = event_hints_add(&h, body, size - 1, tags, why, sizeof(why));
    FUZZ_ASSERT(r == 0 || r == 1 || r == -EBADMSG || r == -ENOMEM);
    check_why(why, sizeof(why));
    FUZZ_ASSERT(r != -EBADMSG || h.full);
    FUZZ_ASSERT(r == 0 || h.n == 0);
    FUZZ_ASSERT(h.n <= 2);
    check_set(&h);
    n = h.n;
    r2 = event_hints_add(&h, body, size - 1, tags, why, sizeof(why));
    FUZZ_ASSERT(r2 == r || r2 == -ENOMEM || r == -ENOMEM);
    FUZZ_ASSERT(h.n == n);
    if (event_hints_merge(&copy, &h) == 0) {
        FUZZ_ASSERT(copy.n == h.n && copy.full == h.full);
        for (i = 0; i < h.n; i++)
            FUZZ_ASSERT(copy.v[i].kind == h.v[i].kind &&
                        strcmp(copy.v[i].name, h.v[i].name) == 0);
    }
    event_hints_free(&copy);
    event_hints_free(&h);
    free(body);
    return 0;
}
