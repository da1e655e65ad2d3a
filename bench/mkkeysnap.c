/*
 * mkkeysnap - a snapshot for the keys command benchmark: N users, each
 * with two Active ssh-rsa 2048-bit keys that pass the key-line
 * validation, written and published through the real writer.
 *
 *   mkkeysnap DB USERS ARGS_FILE AUTHORIZED_KEYS_FILE [SHARED_ARGS_FILE]
 *
 * User i is "user<i>" (5 digits), uid = gid = 2000000001 + 7 i, in its
 * private group and in the member group "iam-users". The keys are
 * well-formed public keys with random moduli (nobody holds a private
 * key); they are what IAM serves (UploadSSHPublicKey takes RSA only).
 *
 * ARGS_FILE gets one line per user, in a fixed random order, "USER UID
 * BLOB": what sshd passes as %u %U %k, offering one of the user's keys.
 * AUTHORIZED_KEYS_FILE gets user00000's two key lines, the file a
 * classic authorized_keys setup reads for that login.
 *
 * With SHARED_ARGS_FILE, the snapshot also holds the shared account
 * "shared" (uid SHARED_UID, SHARED_ACCOUNTS="shared:ops") and every
 * user's keys in the fingerprint index, each user a member of "ops";
 * SHARED_ARGS_FILE gets the same offers in the same order, as
 * "shared SHARED_UID BLOB".
 */
#include <errno.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_db_write.h"
#include "iam_keyline.h"

#define UID_BASE 2000000001u
#define UID_STEP 7u
#define GID_MEMBERS 2100000002u
#define UID_MIN 2000000000u
#define UID_MAX 2147483646u
#define RSA_BYTES 256
#define KEYS_PER_USER 2
#define LINE_SIZE 1024
#define SHARED_UID 4300u

struct user_keys {
    char line[KEYS_PER_USER][LINE_SIZE];
    char fp[KEYS_PER_USER][IAM_KEYLINE_FP_SIZE];
};

static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static size_t
put_string(uint8_t *p, const void *data, uint32_t len)
{
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    memcpy(p + 4, data, len);
    return 4 + (size_t)len;
}

/* One canonical "ssh-rsa BASE64 COMMENT" line and its fingerprint. */
static int
make_key(uint64_t *seed, const char *comment, char *line, char *fp)
{
    static const uint8_t e[] = { 0x01, 0x00, 0x01 };
    uint8_t blob[4 + 7 + 4 + 3 + 4 + 1 + RSA_BYTES], n[1 + RSA_BYTES];
    char raw[2 * LINE_SIZE], b64[LINE_SIZE];
    struct iam_keyline k;
    size_t len = 0, i;
    int reason, r;

    n[0] = 0; /* mpint: the top bit is set, so a zero byte leads */
    for (i = 1; i < sizeof(n); i++)
        n[i] = (uint8_t)next_rand(seed);
    n[1] |= 0x80;
    n[sizeof(n) - 1] |= 1;
    len += put_string(blob + len, "ssh-rsa", 7);
    len += put_string(blob + len, e, sizeof(e));
    len += put_string(blob + len, n, sizeof(n));
    EVP_EncodeBlock((unsigned char *)b64, blob, (int)len);
    snprintf(raw, sizeof(raw), "ssh-rsa %s %s", b64, comment);
    r = iam_keyline_parse(raw, strlen(raw), line, LINE_SIZE, &k, &reason);
    if (r < 0) {
        fprintf(stderr, "mkkeysnap: generated key refused: %s\n",
                iam_keyline_strerror(reason));
        return r;
    }
    memcpy(fp, k.fingerprint, IAM_KEYLINE_FP_SIZE);
    return 0;
}

static int
put_user(struct iam_db_writer *w, unsigned i, const struct user_keys *uk)
{
    char name[16], gecos[64], home[64], iam_id[32], kid[KEYS_PER_USER][32];
    struct iam_key_rec keys[KEYS_PER_USER];
    uint32_t gids[1] = { GID_MEMBERS };
    struct iam_user_rec u;
    int r, k;

    snprintf(name, sizeof(name), "user%05u", i);
    snprintf(gecos, sizeof(gecos), "%s@example.com", name);
    snprintf(home, sizeof(home), "/home/%s", name);
    snprintf(iam_id, sizeof(iam_id), "AIDABENCH%011u", i);
    memset(&u, 0, sizeof(u));
    u.uid = u.gid = UID_BASE + UID_STEP * i;
    u.name = iam_str_of(name);
    u.gecos = iam_str_of(gecos);
    u.home = iam_str_of(home);
    u.shell = iam_str_of("/bin/bash");
    u.iam_name = iam_str_of(name);
    u.iam_id = iam_str_of(iam_id);
    r = iam_db_writer_put_user(w, &u);
    if (r == 0)
        r = iam_db_writer_put_group(w, u.uid, name, IAM_GROUP_PRIVATE, NULL, 0);
    if (r == 0)
        r = iam_db_writer_put_user_gids(w, name, gids, 1);
    for (k = 0; k < KEYS_PER_USER; k++) {
        snprintf(kid[k], sizeof(kid[k]), "APKABENCH%011u%u", i, k);
        keys[k].key_id = iam_str_of(kid[k]);
        keys[k].line = iam_str_of(uk->line[k]);
        keys[k].fingerprint = iam_str_of(uk->fp[k]);
        keys[k].status = IAM_KEY_ACTIVE;
        keys[k].upload_date = 1700000000;
    }
    if (r == 0)
        r = iam_db_writer_put_user_keys(w, name, keys, KEYS_PER_USER);
    return r;
}

/* User @i's keys in the shared index, owner in group "ops". */
static int
put_shared_keys(struct iam_db_writer *w, unsigned i, const struct user_keys *uk)
{
    struct iam_str ops = iam_str_of("ops");
    struct iam_shared_key_rec k;
    char name[16], kid[32];
    int r = 0, j;

    snprintf(name, sizeof(name), "user%05u", i);
    for (j = 0; r == 0 && j < KEYS_PER_USER; j++) {
        snprintf(kid, sizeof(kid), "APKABENCH%011u%d", i, j);
        memset(&k, 0, sizeof(k));
        k.iam_name = iam_str_of(name);
        k.key_id = iam_str_of(kid);
        k.line = iam_str_of(uk->line[j]);
        k.fingerprint = iam_str_of(uk->fp[j]);
        k.upload_date = 1700000000;
        r = iam_db_writer_put_shared_key(w, &k, &ops, 1);
    }
    return r;
}

/* A user name, in an array of them. */
typedef char name16[16];

static int
put_members(struct iam_db_writer *w, unsigned n)
{
    name16 *names = calloc(n, sizeof(*names));
    struct iam_str *all = calloc(n, sizeof(*all));
    unsigned i;
    int r = -ENOMEM;

    if (names && all) {
        for (i = 0; i < n; i++) {
            snprintf(names[i], sizeof(names[i]), "user%05u", i);
            all[i] = iam_str_of(names[i]);
        }
        r = iam_db_writer_put_group(w, GID_MEMBERS, "iam-users",
                                    IAM_GROUP_MEMBER, all, n);
    }
    free(names);
    free(all);
    return r;
}

/* "USER UID BLOB" lines, users in a fixed random order. */
static int
write_args(const char *path, struct user_keys *uk, unsigned n, uint64_t *seed,
           bool shared)
{
    unsigned *order = calloc(n, sizeof(*order)), i, j, t;
    FILE *f = fopen(path, "we");
    char blob[LINE_SIZE];

    if (!order || !f) {
        free(order);
        if (f)
            fclose(f);
        return -errno;
    }
    for (i = 0; i < n; i++)
        order[i] = i;
    for (i = n - 1; i > 0; i--) {
        j = (unsigned)(next_rand(seed) % (i + 1));
        t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (i = 0; i < n; i++) {
        unsigned u = order[i], k = u % KEYS_PER_USER;

        sscanf(uk[u].line[k], "%*s %1023s", blob);
        if (shared)
            fprintf(f, "shared %u %s\n", SHARED_UID, blob);
        else
            fprintf(f, "user%05u %u %s\n", u, UID_BASE + UID_STEP * u, blob);
    }
    free(order);
    return fclose(f) == 0 ? 0 : -errno;
}

static int
write_authorized_keys(const char *path, const struct user_keys *uk)
{
    FILE *f = fopen(path, "we");
    int k;

    if (!f)
        return -errno;
    for (k = 0; k < KEYS_PER_USER; k++)
        fprintf(f, "%s\n", uk->line[k]);
    return fclose(f) == 0 ? 0 : -errno;
}

static int
build(const char *db, unsigned n, struct user_keys *uk, bool shared)
{
    struct iam_str ops = iam_str_of("ops");
    struct iam_db_writer *w;
    struct iam_meta_rec meta;
    unsigned i;
    int r;

    r = iam_db_writer_open(db, &w);
    if (r < 0)
        return r;
    for (i = 0; r == 0 && i < n; i++)
        r = put_user(w, i, &uk[i]);
    if (r == 0)
        r = put_members(w, n);
    if (r == 0 && shared)
        r = iam_db_writer_put_shared_acct(w, "shared", SHARED_UID, &ops, 1);
    for (i = 0; r == 0 && shared && i < n; i++)
        r = put_shared_keys(w, i, &uk[i]);
    memset(&meta, 0, sizeof(meta));
    meta.created = 1700000000;
    meta.uid_min = UID_MIN;
    meta.uid_max = UID_MAX;
    meta.users = n;
    meta.groups = n + 1;
    meta.keys = KEYS_PER_USER * n;
    meta.account = iam_str_of("123456789012");
    meta.source = iam_str_of("bench");
    if (r == 0)
        r = iam_db_writer_seal(w, &meta);
    if (r < 0) {
        iam_db_writer_abort(w);
        return r;
    }
    return iam_db_writer_publish(w);
}

int
main(int argc, char **argv)
{
    uint64_t seed = 0x2545f4914f6cdd1dull, order_seed;
    bool shared = argc == 6;
    struct user_keys *uk;
    char comment[32];
    unsigned n, i, k;
    char *end;
    int r = 0;

    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: mkkeysnap DB USERS ARGS_FILE "
                        "AUTHORIZED_KEYS_FILE [SHARED_ARGS_FILE]\n");
        return 2;
    }
    n = (unsigned)strtoul(argv[2], &end, 10);
    if (*end || n < 1 || n > 99999) {
        fprintf(stderr, "mkkeysnap: USERS must be 1..99999\n");
        return 2;
    }
    uk = calloc(n, sizeof(*uk));
    if (!uk)
        return 1;
    for (i = 0; r == 0 && i < n; i++)
        for (k = 0; r == 0 && k < KEYS_PER_USER; k++) {
            snprintf(comment, sizeof(comment), "user%05u-%u", i, k);
            r = make_key(&seed, comment, uk[i].line[k], uk[i].fp[k]);
        }
    if (r == 0)
        r = build(argv[1], n, uk, shared);
    order_seed = seed;
    if (r == 0)
        r = write_args(argv[3], uk, n, &seed, false);
    /* the same offers in the same order, to the shared account */
    if (r == 0 && shared)
        r = write_args(argv[5], uk, n, &order_seed, true);
    if (r == 0)
        r = write_authorized_keys(argv[4], &uk[0]);
    free(uk);
    if (r < 0) {
        fprintf(stderr, "mkkeysnap: %s\n", strerrordesc_np(-r));
        return 1;
    }
    return 0;
}
