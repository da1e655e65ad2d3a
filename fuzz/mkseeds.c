/*
 * mkseeds DIR - write the seed corpus of fuzz_rec into DIR: one file per
 * record kind and shape, each with fuzz_rec's 4-byte header (kind,
 * misalignment, pack buffer size) before the record made by the real
 * encoders. `make fuzz-seeds` runs it into fuzz/corpus/rec/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_rec.h"

enum { KIND_USER, KIND_GROUP, KIND_GIDS, KIND_KEYS, KIND_META, KIND_U32 };

static const char *dir;

/* Writes DIR/NAME: the header, then the record in @b. */
static int
save(const char *name, unsigned kind, unsigned misalign, unsigned buflen,
     const struct iam_buf *b)
{
    unsigned char hdr[4] = { (unsigned char)kind, (unsigned char)misalign,
                             (unsigned char)(buflen & 0xff),
                             (unsigned char)(buflen >> 8) };
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "we");
    if (!f) {
        perror(path);
        return -1;
    }
    ok = fwrite(hdr, 1, sizeof(hdr), f) == sizeof(hdr) &&
         fwrite(b->p, 1, b->len, f) == b->len;
    if (fclose(f) != 0 || !ok) {
        perror(path);
        return -1;
    }
    return 0;
}

#define CHECK(expr)                                                            \
    do {                                                                       \
        if ((expr) != 0) {                                                     \
            fprintf(stderr, "mkseeds: %s failed\n", #expr);                    \
            return 1;                                                          \
        }                                                                      \
    } while (0)

int
main(int argc, char **argv)
{
    static const char *const line =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILImBKXsbR3eQKgL6NlLwaK18C+Xgma"
        "XscRpfqhTCdLf alice@example";
    struct iam_buf b = { 0 };
    struct iam_user_rec u = {
        .uid = 2000012345u,
        .gid = 2000012345u,
        .name = iam_str_of("alice.at.example"),
        .gecos = iam_str_of("alice@example"),
        .home = iam_str_of("/home/alice.at.example"),
        .shell = iam_str_of("/bin/bash"),
        .iam_name = iam_str_of("alice@example"),
        .iam_id = iam_str_of("AIDAEXAMPLEALICE00001"),
    };
    struct iam_str members[3] = { iam_str_of("alice"), iam_str_of("bob"),
                                  iam_str_of("carol.plus.ops") };
    uint32_t gids[3] = { 2000000001u, 2100000002u, 27u };
    struct iam_key_rec keys[2] = {
        { iam_str_of("APKAEXAMPLEKEY000001"), iam_str_of(line),
          iam_str_of("SHA256:o/mZchJeX5UC2njgvK1YKcFcwQmJzNQSF5yhFfNO5AI"),
          IAM_KEY_ACTIVE, 1700000000 },
        { iam_str_of("APKAEXAMPLEKEY000002"), iam_str_of(line),
          iam_str_of("SHA256:o/mZchJeX5UC2njgvK1YKcFcwQmJzNQSF5yhFfNO5AI"),
          IAM_KEY_INACTIVE, 1600000000 },
    };
    struct iam_meta_rec m = {
        .created = 1764000000,
        .uid_min = 2000000000u,
        .uid_max = 2147483646u,
        .users = 3,
        .groups = 5,
        .keys = 4,
        .max_key_age_days = 90,
        .account = iam_str_of("123456789012"),
        .source = iam_str_of("iam.amazonaws.com"),
        .digest = iam_str_of("sha256:00112233445566778899aabbccddeeff"),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds DIR\n");
        return 2;
    }
    dir = argv[1];

    CHECK(iam_rec_encode_user(&b, &u));
    CHECK(save("user", KIND_USER, 0, 1024, &b));
    CHECK(save("user-small-buffer", KIND_USER, 3, 40, &b));
    b.len = 0;
    u.gecos = iam_str_of("");
    u.iam_id = iam_str_of("");
    CHECK(iam_rec_encode_user(&b, &u));
    CHECK(save("user-empty-fields", KIND_USER, 1, 64, &b));

    b.len = 0;
    CHECK(iam_rec_encode_group(&b, 2000000100u, iam_str_of("data-science"),
                               IAM_GROUP_IAM, members, 3));
    CHECK(save("group", KIND_GROUP, 0, 1024, &b));
    CHECK(save("group-misaligned", KIND_GROUP, 5, 80, &b));
    b.len = 0;
    CHECK(iam_rec_encode_group(&b, 2000012345u, iam_str_of("alice"),
                               IAM_GROUP_PRIVATE, NULL, 0));
    CHECK(save("group-empty", KIND_GROUP, 7, 24, &b));

    b.len = 0;
    CHECK(iam_rec_encode_gids(&b, gids, 3));
    CHECK(save("gids", KIND_GIDS, 0, 0, &b));
    b.len = 0;
    CHECK(iam_rec_encode_gids(&b, NULL, 0));
    CHECK(save("gids-empty", KIND_GIDS, 0, 0, &b));

    b.len = 0;
    CHECK(iam_rec_encode_keys(&b, keys, 2));
    CHECK(save("keys", KIND_KEYS, 0, 0, &b));
    b.len = 0;
    CHECK(iam_rec_encode_keys(&b, NULL, 0));
    CHECK(save("keys-empty", KIND_KEYS, 0, 0, &b));

    b.len = 0;
    CHECK(iam_rec_encode_meta(&b, &m));
    CHECK(save("meta", KIND_META, 0, 0, &b));

    b.len = 0;
    CHECK(iam_rec_encode_u32(&b, 2000012345u));
    CHECK(save("u32", KIND_U32, 0, 0, &b));

    iam_buf_free(&b);
    return 0;
}
