/*
 * fuzz_name: iam_name_map() and the POSIX name checks of iam_name.h.
 *
 * Input: one byte that sets the output buffer size (0..63), then the IAM
 * name (up to its first NUL, if any).
 *
 * iam_name_map() is compared with a direct reading of its documented
 * rule (IAM character set, then "+=,@" replaced by ".plus." ".equal."
 * ".comma." ".at.", then the 32-character limit, then the first
 * character, then the buffer size): the same return code and, on
 * success, the same name, which iam_name_is_valid_posix() accepts. On
 * failure the output is the empty string. iam_name_is_valid_posix() is
 * compared with its regular expression on the raw input.
 */
#include <errno.h>

#include "fuzz.h"
#include "iam_name.h"

#define REF_MAX 1024

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static int
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ^[a-z_A-Z][a-zA-Z0-9_.-]*$, 1 to 32 characters. */
static int
ref_valid_posix(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > IAM_NAME_POSIX_MAX || !(is_alpha(s[0]) || s[0] == '_'))
        return 0;
    for (i = 1; i < n; i++) {
        if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '.' ||
              s[i] == '-'))
            return 0;
    }
    return 1;
}

/* The documented mapping, in the documented order of checks. */
static int
ref_map(const char *in, char *out, size_t size)
{
    char buf[REF_MAX];
    size_t n = 0, k;
    const char *rep;
    const char *p;

    if (!in[0])
        return -EINVAL;
    for (p = in; *p; p++) {
        if (!(is_alpha(*p) || is_digit(*p) || strchr("+=,.@_-", *p)))
            return -EINVAL;
    }
    for (p = in; *p; p++) {
        switch (*p) {
        case '+':
            rep = ".plus.";
            break;
        case '=':
            rep = ".equal.";
            break;
        case ',':
            rep = ".comma.";
            break;
        case '@':
            rep = ".at.";
            break;
        default:
            rep = NULL;
            break;
        }
        k = rep ? strlen(rep) : 1;
        if (n + k >= sizeof(buf))
            return -ENAMETOOLONG;
        if (rep)
            memcpy(buf + n, rep, k);
        else
            buf[n] = *p;
        n += k;
    }
    buf[n] = '\0';
    if (n > IAM_NAME_POSIX_MAX)
        return -ENAMETOOLONG;
    if (!(is_alpha(buf[0]) || buf[0] == '_'))
        return -EDOM;
    if (n >= size)
        return -ENOBUFS;
    memcpy(out, buf, n + 1);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char want[REF_MAX];
    char *name, *out;
    size_t out_size;
    int r, ref;

    if (size < 1)
        return 0;
    out_size = data[0] % 64;
    name = fuzz_cstr(data + 1, size - 1);
    out = malloc(out_size ? out_size : 1);
    FUZZ_ASSERT(out != NULL);
    memset(out, 'x', out_size ? out_size : 1);

    r = iam_name_map(name, out, out_size);
    ref = ref_map(name, want, out_size);
    FUZZ_ASSERT(r == ref);
    if (r == 0) {
        FUZZ_ASSERT(strcmp(out, want) == 0);
        FUZZ_ASSERT(iam_name_is_valid_posix(out));
        FUZZ_ASSERT(iam_name_check_available(out, NULL) == 0 ||
                    iam_name_check_available(out, NULL) == -EPERM);
        FUZZ_ASSERT((iam_name_check_available(out, NULL) == -EPERM) ==
                    iam_name_is_reserved(out));
        (void)iam_name_reason(r);
    } else if (out_size > 0) {
        FUZZ_ASSERT(out[0] == '\0');
    }
    FUZZ_ASSERT(!!iam_name_is_valid_posix(name) == ref_valid_posix(name));
    if (iam_name_is_valid_posix(name))
        FUZZ_ASSERT(iam_name_check_available(name, NULL) != -EINVAL);
    free(out);
    free(name);
    return 0;
}
