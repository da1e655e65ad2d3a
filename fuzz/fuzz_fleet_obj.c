/*
 * fuzz_fleet_obj: what an instance reads of a fleet object from S3,
 * fleet_obj_header(), then (as if the signature had verified) the payload
 * through fleet_obj_decode() and fleet_obj_select().
 *
 * The header is the part anyone who can write the object controls; the
 * payload is reached only with a valid signature, so a bug there needs
 * the publisher's key, but it must still never crash.
 *
 * Invariants: each call returns 0 or one of its documented errors; a
 * parsed header's length is within the input and ends at its '\n'; the
 * first prefix fleet_obj_header_complete() accepts (where a download
 * would be judged, and maybe stopped) gets the verdict the whole input
 * gets, and no shorter prefix is accepted; a
 * decoded fetch keeps every member index below the user count, and
 * selecting never leaves a group this instance did not ask for.
 */
#include <errno.h>

#include "fleet_obj.h"
#include "fuzz.h"
#include "iam_config.h"

static struct iam_config cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    static const char text[] = "IAM_AUTHORIZED_GROUPS=\"ssh-users\"\n"
                               "SUDOERS_GROUPS=\"admins\"\n";

    (void)argc;
    (void)argv;
    fuzz_init();
    FUZZ_ASSERT(iam_config_defaults(&cfg) == 0);
    FUZZ_ASSERT(iam_config_parse_buffer("fuzz", text, sizeof(text) - 1, &cfg,
                                        err, sizeof(err)) == 0);
    return 0;
}

static void
check_fetch(const struct fetch *f)
{
    size_t i, k;

    for (i = 0; i < f->n_groups; i++)
        for (k = 0; k < f->groups[i].n_members; k++)
            FUZZ_ASSERT(f->groups[i].members[k] < f->n_users);
}

/* The streaming check judges at the first complete prefix: as a whole. */
static void
check_prefix(const char *obj, size_t size, int whole)
{
    size_t scan = size < FLEET_HEADER_MAX ? size : FLEET_HEADER_MAX;
    const char *nl = memchr(obj, '\n', scan);
    size_t k = nl ? (size_t)(nl - obj) + 1 : FLEET_HEADER_MAX;
    struct fleet_header h;
    char err[512];

    if (k > size) {
        FUZZ_ASSERT(!fleet_obj_header_complete(obj, size));
        return;
    }
    FUZZ_ASSERT(fleet_obj_header_complete(obj, k));
    FUZZ_ASSERT(!fleet_obj_header_complete(obj, k - 1));
    FUZZ_ASSERT(fleet_obj_header(obj, k, &h, err, sizeof(err)) == whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fleet_header h;
    struct fetch f;
    char err[512];
    char *obj = fuzz_dup(data, size);
    bool all_keys;
    size_t i;
    int r;

    r = fleet_obj_header(obj, size, &h, err, sizeof(err));
    FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT);
    check_prefix(obj, size, r);
    if (r == 0) {
        FUZZ_ASSERT(h.len > 0 && h.len <= size && obj[h.len - 1] == '\n');
        r = fleet_obj_decode(obj, size, &h, &f, &all_keys, err, sizeof(err));
        FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r == 0) {
            check_fetch(&f);
            r = fleet_obj_select(&f, all_keys, &cfg, err, sizeof(err));
            FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -ENOMEM);
            if (r == 0) {
                check_fetch(&f);
                for (i = 0; i < f.n_groups; i++)
                    FUZZ_ASSERT(strcmp(f.groups[i].name, "ssh-users") == 0 ||
                                strcmp(f.groups[i].name, "admins") == 0);
            }
            fetch_free(&f);
        }
    }
    free(obj);
    return 0;
}
