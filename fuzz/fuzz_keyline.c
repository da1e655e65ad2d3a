/*
 * fuzz_keyline: iam_keyline_parse(), iam_keyline_fingerprint() and
 * iam_keyline_blob_equals() on arbitrary key lines.
 *
 * Invariants for an accepted line: the canonical line is printable ASCII,
 * starts with the type, is exactly line_len bytes, fits any buffer of
 * in_len + 1 bytes, parses again to itself with the same fingerprint;
 * its base64 field gives the same fingerprint through
 * iam_keyline_fingerprint() and compares equal through
 * iam_keyline_blob_equals(); a buffer one byte short gives -ERANGE and an
 * empty string. For a refused line: -EINVAL with a known reason and an
 * empty output.
 */
#include <errno.h>

#include "fuzz.h"
#include "iam_keyline.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void
check_canonical(const char *line, const struct iam_keyline *key)
{
    char again[IAM_KEYLINE_MAX + 1];
    char fp[IAM_KEYLINE_FP_SIZE];
    struct iam_keyline key2;
    const char *b64;
    char *b64z;
    size_t b64_len, i;
    int reason;

    FUZZ_ASSERT(strlen(line) == key->line_len);
    FUZZ_ASSERT(key->key_len <= key->line_len);
    FUZZ_ASSERT(key->type != NULL);
    FUZZ_ASSERT(strncmp(line, key->type, strlen(key->type)) == 0);
    FUZZ_ASSERT(line[strlen(key->type)] == ' ');
    for (i = 0; i < key->line_len; i++)
        FUZZ_ASSERT(line[i] >= 0x20 && line[i] <= 0x7e);
    FUZZ_ASSERT(key->line_len == key->key_len || line[key->key_len] == ' ');
    FUZZ_ASSERT(strncmp(key->fingerprint, "SHA256:", 7) == 0);
    FUZZ_ASSERT(strlen(key->fingerprint) == IAM_KEYLINE_FP_SIZE - 1);

    /* The canonical form is a fixed point. */
    FUZZ_ASSERT(iam_keyline_parse(line, key->line_len, again, sizeof(again),
                                  &key2, &reason) == 0);
    FUZZ_ASSERT(strcmp(again, line) == 0);
    FUZZ_ASSERT(strcmp(key2.fingerprint, key->fingerprint) == 0);
    FUZZ_ASSERT(key2.bits == key->bits && key2.type == key->type);
    FUZZ_ASSERT(key2.comment_dropped == 0);

    /* The base64 field alone: the same fingerprint, and a match. */
    b64 = line + strlen(key->type) + 1;
    b64_len = key->key_len - strlen(key->type) - 1;
    FUZZ_ASSERT(iam_keyline_fingerprint(b64, b64_len, fp) == 0);
    FUZZ_ASSERT(strcmp(fp, key->fingerprint) == 0);
    b64z = fuzz_cstr((const uint8_t *)b64, b64_len);
    FUZZ_ASSERT(iam_keyline_blob_equals(line, b64z) == 1);
    free(b64z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct iam_keyline key;
    char fp[IAM_KEYLINE_FP_SIZE];
    char *in = fuzz_dup(data, size);
    char *line = malloc(size + 1);
    char *z;
    int reason, r, m;

    FUZZ_ASSERT(line != NULL);
    r = iam_keyline_parse(in, size, line, size + 1, &key, &reason);
    FUZZ_ASSERT(r == 0 || r == -EINVAL);
    if (r == 0) {
        FUZZ_ASSERT(reason == 0);
        check_canonical(line, &key);
        /* One byte short: refused, nothing left behind. */
        r = iam_keyline_parse(in, size, line, key.line_len, &key, &reason);
        FUZZ_ASSERT(r == -ERANGE);
        FUZZ_ASSERT(key.line_len == 0 && key.type == NULL);
        FUZZ_ASSERT(line[0] == '\0');
    } else {
        FUZZ_ASSERT(reason > 0 && reason <= IAM_KEYLINE_E_BLOB_TRAILING);
        FUZZ_ASSERT(line[0] == '\0');
        FUZZ_ASSERT(strcmp(iam_keyline_strerror(reason),
                           "unknown key line error") != 0);
    }

    /* The input as a bare blob (sshd's %k) and as a line to compare. */
    r = iam_keyline_fingerprint(in, size, fp);
    FUZZ_ASSERT(r == 0 || r == -EINVAL);
    FUZZ_ASSERT(r == 0 ? strlen(fp) == IAM_KEYLINE_FP_SIZE - 1 : fp[0] == '\0');
    z = fuzz_cstr(data, size);
    m = iam_keyline_blob_equals(z, z);
    FUZZ_ASSERT(m == 0 || m == 1 || m == -EINVAL);
    m = iam_keyline_blob_equals("ssh-ed25519 AAAA", z);
    FUZZ_ASSERT(m == 0 || m == 1 || m == -EINVAL);
    FUZZ_ASSERT(m != 1 || strcmp(z, "AAAA") == 0);
    free(z);
    free(line);
    free(in);
    return 0;
}
