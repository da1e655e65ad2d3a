/*
 * fuzz_creds: the credential documents of aws_provider.h, both on the
 * same arbitrary body: the IMDS security-credentials document
 * (aws_provider_parse_imds) and the STS AssumeRole answer
 * (aws_provider_parse_sts); plus aws_time_parse() on the body as a
 * C string. (STS error answers are aws_client's, read as every AWS error
 * document: fuzz_iam_json.)
 *
 * Invariants: documented return codes only; an accepted document gives
 * the right origin, a non-empty key id and secret and a session token
 * made of printable ASCII other than space (they go into HTTP headers);
 * a refused one leaves the struct empty; resetting it frees everything
 * (LeakSanitizer checks).
 */
#include <errno.h>

#include "aws_creds.h"
#include "aws_provider.h"
#include "aws_time.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void
check_printable(const char *s, size_t max)
{
    size_t i, n = strlen(s);

    FUZZ_ASSERT(n > 0 && n <= max);
    for (i = 0; i < n; i++)
        FUZZ_ASSERT((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f);
}

static void
check_creds(int r, const struct aws_creds *c, enum aws_creds_origin origin)
{
    FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        FUZZ_ASSERT(c->access_key_id[0] == '\0');
        FUZZ_ASSERT(c->secret_access_key[0] == '\0');
        FUZZ_ASSERT(c->session_token == NULL);
        FUZZ_ASSERT(c->origin == AWS_CREDS_NONE);
        return;
    }
    FUZZ_ASSERT(c->origin == origin);
    check_printable(c->access_key_id, AWS_CREDS_KEY_ID_SIZE - 1);
    check_printable(c->secret_access_key, AWS_CREDS_SECRET_SIZE - 1);
    if (c->session_token)
        check_printable(c->session_token, AWS_CREDS_TOKEN_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_dup(data, size);
    struct aws_creds c, copy;
    time_t t;
    char *s;
    int r;

    aws_creds_init(&c);
    aws_creds_init(&copy);

    r = aws_provider_parse_imds(body, size, &c);
    check_creds(r, &c, AWS_CREDS_IMDS);
    if (r == 0) {
        FUZZ_ASSERT(aws_creds_copy(&c, &copy) == 0);
        FUZZ_ASSERT(strcmp(copy.access_key_id, c.access_key_id) == 0);
        aws_creds_reset(&copy);
    }

    r = aws_provider_parse_sts(body, size, &c);
    check_creds(r, &c, AWS_CREDS_ASSUMED_ROLE);
    aws_creds_reset(&c);

    if (size <= 64) {
        s = fuzz_cstr(data, size);
        r = aws_time_parse(s, strlen(s), &t);
        FUZZ_ASSERT(r == 0 || (r == -EINVAL && t == 0));
        free(s);
    }
    free(body);
    return 0;
}
