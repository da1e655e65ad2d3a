/*
 * fuzz_config: iam_config_parse_buffer() on arbitrary file contents.
 *
 * Invariants: the return value is 0, -EINVAL or -ENOMEM; a refusal leaves
 * a NUL-terminated "NAME:..." message in errbuf; an accepted file gives a
 * configuration whose settings that always have a value have one, whose
 * lists are consistent and whose UID range is not empty; the struct is
 * freed cleanly either way.
 */
#include <errno.h>

#include "fuzz.h"
#include "iam_config.h"

#define ERRLEN 128

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void
check_list(const struct iam_strlist *l)
{
    size_t i;

    FUZZ_ASSERT((l->n == 0) == (l->v == NULL));
    for (i = 0; i < l->n; i++)
        FUZZ_ASSERT(l->v[i] != NULL && l->v[i][0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct iam_config cfg;
    char *text = fuzz_dup(data, size);
    char *errbuf = malloc(ERRLEN);
    int r;

    FUZZ_ASSERT(errbuf != NULL);
    FUZZ_ASSERT(iam_config_defaults(&cfg) == 0);
    memset(errbuf, 'x', ERRLEN);
    r = iam_config_parse_buffer("fuzz.conf", text, size, &cfg, errbuf, ERRLEN);
    FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ENOMEM);
    FUZZ_ASSERT(memchr(errbuf, '\0', ERRLEN) != NULL);
    if (r == 0) {
        FUZZ_ASSERT(errbuf[0] == '\0');
        FUZZ_ASSERT(cfg.uid_min < cfg.uid_max);
        FUZZ_ASSERT(cfg.shell && cfg.shell[0]);
        FUZZ_ASSERT(cfg.home_dir && cfg.home_dir[0]);
        FUZZ_ASSERT(cfg.sudo_group && cfg.sudo_group[0]);
        FUZZ_ASSERT(cfg.member_group && cfg.member_group[0]);
        FUZZ_ASSERT(cfg.aws_region && cfg.aws_region[0]);
        FUZZ_ASSERT(cfg.imds_endpoint && cfg.imds_endpoint[0]);
        FUZZ_ASSERT(cfg.db_path && cfg.db_path[0]);
        check_list(&cfg.iam_authorized_groups);
        check_list(&cfg.sudoers_groups);
        check_list(&cfg.local_groups);
        FUZZ_ASSERT(!cfg.sudoers_all || cfg.sudoers_groups.n == 0);
        FUZZ_ASSERT(strcmp(cfg.sudo_group, cfg.member_group) != 0);
    } else if (r == -EINVAL) {
        FUZZ_ASSERT(strncmp(errbuf, "fuzz.conf:", 10) == 0);
    }
    iam_config_free(&cfg);
    iam_config_free(&cfg);
    free(errbuf);
    free(text);
    return 0;
}
