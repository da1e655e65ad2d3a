/*
 * iam_rec: the byte encoding of every record in the snapshot.
 *
 * Pure functions, no I/O, no allocation on the decode side: the reader
 * (NSS module, keys command) decodes straight out of the LMDB map, and the
 * decoded views point into the bytes they were decoded from. They are
 * valid exactly as long as those bytes are (for LMDB: until the read
 * transaction ends).
 *
 * Encoding (all integers little-endian, whatever the host):
 *
 *   str     = u16 length, then that many bytes; never a NUL inside.
 *   user    = u8 1, u32 uid, u32 gid, str name, str gecos, str home,
 *             str shell, str iam_name, str iam_id
 *   group   = u8 1, u32 gid, str name, u8 kind, u32 n, n * str member
 *   gids    = u8 1, u32 n, n * u32 gid          (a user's supplementary
 *             groups, for initgroups; the private group is not listed)
 *   keys    = u8 1, u32 n, n * key
 *   key     = str key_id, str line, str fingerprint, u8 status,
 *             i64 upload_date (seconds since the epoch)
 *   meta    = u8 1, i64 created, u32 uid_min, u32 uid_max, u32 users,
 *             u32 groups, u32 keys, u32 max_key_age_days, str account,
 *             str source, str digest
 *   instance = u8 1, str id  (the EC2 instance the snapshot was made on;
 *             stored apart from meta, under its own key, see iam_db.h)
 *   shared account = u8 1, u32 uid, u32 n, n * str IAM group
 *             (SHARED_ACCOUNTS: a local account, its uid in /etc/passwd
 *             at the sync, and the IAM groups whose members' keys open it)
 *   shared key = u8 1, str iam_name, str key_id, str line,
 *             str fingerprint, i64 upload_date, u32 n, n * str IAM group
 *             (an Active key of
 *             a member of a shared account's group, and the groups among
 *             those that its owner is in)
 *
 * The leading u8 is the record layout; a decoder refuses any other value,
 * so a reader never misreads a record written by a newer layout. Decoders
 * also refuse trailing bytes, so a record is one exact value.
 */
#ifndef IAM_REC_H
#define IAM_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IAM_REC_LAYOUT 1
#define IAM_REC_STR_MAX 65535

/* A length-delimited string; NOT NUL-terminated when it is a view. */
struct iam_str {
    const char *p;
    size_t len;
};

enum iam_group_kind {
    IAM_GROUP_PRIVATE = 0, /* a user's own group, gid = uid */
    IAM_GROUP_IAM = 1,     /* an IAM group named in the config */
    IAM_GROUP_SUDO = 2,    /* SUDO_GROUP */
    IAM_GROUP_MEMBER = 3,  /* MEMBER_GROUP: every IAM user */
};

enum iam_key_status {
    IAM_KEY_ACTIVE = 0,
    IAM_KEY_INACTIVE = 1,
    IAM_KEY_EXPIRED = 2, /* Active in IAM, older than MAX_KEY_AGE_DAYS */
};

struct iam_user_rec {
    uint32_t uid;
    uint32_t gid;
    struct iam_str name;
    struct iam_str gecos;
    struct iam_str home;
    struct iam_str shell;
    struct iam_str iam_name; /* the IAM user name before mapping */
    struct iam_str iam_id;   /* IAM UserId, AIDA... */
};

/* A sequence of encoded items; walk it with the matching *_next(). */
struct iam_rec_iter {
    const uint8_t *p;
    size_t left;
    uint32_t remaining;
};

struct iam_group_rec {
    uint32_t gid;
    struct iam_str name;
    uint8_t kind;
    uint32_t nmem;
    struct iam_rec_iter members; /* iam_rec_str_next() */
};

struct iam_key_rec {
    struct iam_str key_id;
    struct iam_str line; /* canonical "TYPE BASE64 [comment]" */
    struct iam_str fingerprint;
    uint8_t status;
    int64_t upload_date;
};

struct iam_meta_rec {
    int64_t created;
    uint32_t uid_min;
    uint32_t uid_max;
    uint32_t users;
    uint32_t groups;
    uint32_t keys;
    uint32_t max_key_age_days;
    struct iam_str account;
    struct iam_str source;
    struct iam_str digest;
    /* Not in the meta record: the "instance" record beside it, read and
     * written with it by iam_db_meta() and iam_db_writer_seal(); empty
     * when the instance was unknown (or the writer older). */
    struct iam_str instance;
};

struct iam_shared_acct_rec {
    uint32_t uid;
    uint32_t ngroups;
    struct iam_rec_iter groups; /* iam_rec_str_next() */
};

struct iam_shared_key_rec {
    struct iam_str iam_name; /* the owner, an IAM user name */
    struct iam_str key_id;
    struct iam_str line; /* canonical "TYPE BASE64 [comment]" */
    struct iam_str fingerprint;
    int64_t upload_date;
    uint32_t ngroups;
    struct iam_rec_iter groups; /* iam_rec_str_next() */
};

/* Growable output buffer for the encoders (writer side only). */
struct iam_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

/* iam_str_of - view of a C string (NULL gives the empty string). */
struct iam_str
iam_str_of(const char *s);

/* iam_str_eq - true when @a holds exactly the C string @s. */
bool
iam_str_eq(struct iam_str a, const char *s);

/*
 * Decoders. Each returns 0 and fills *ret with views into @p, or -EIO
 * when the bytes are not exactly one valid record of that kind (short,
 * trailing bytes, unknown layout, a NUL inside a string, a count larger
 * than the bytes could hold). *ret is cleared first.
 */
int
iam_rec_decode_user(const void *p, size_t len, struct iam_user_rec *ret);
int
iam_rec_decode_group(const void *p, size_t len, struct iam_group_rec *ret);
int
iam_rec_decode_gids(const void *p, size_t len, struct iam_rec_iter *ret);
int
iam_rec_decode_keys(const void *p, size_t len, struct iam_rec_iter *ret);
int
iam_rec_decode_meta(const void *p, size_t len, struct iam_meta_rec *ret);
/* The instance record: a non-empty id. */
int
iam_rec_decode_instance(const void *p, size_t len, struct iam_str *ret);
int
iam_rec_decode_shared_acct(const void *p, size_t len,
                           struct iam_shared_acct_rec *ret);
int
iam_rec_decode_shared_key(const void *p, size_t len,
                          struct iam_shared_key_rec *ret);
/* A u32 value (by-name indexes map a name to a uid or gid). */
int
iam_rec_decode_u32(const void *p, size_t len, uint32_t *ret);

/*
 * Iterators over a decoded sequence. Each returns 1 and fills *ret while
 * items remain, 0 at the end, -EIO if the bytes are malformed (decoders
 * validate whole records first, so this only happens on a bug).
 */
int
iam_rec_str_next(struct iam_rec_iter *it, struct iam_str *ret);
int
iam_rec_gid_next(struct iam_rec_iter *it, uint32_t *ret);
int
iam_rec_key_next(struct iam_rec_iter *it, struct iam_key_rec *ret);

/*
 * Encoders append one record to @b (b->len = 0 first to reuse it). They
 * return 0, -ENOMEM, or -EINVAL for a string over IAM_REC_STR_MAX bytes or
 * holding a NUL. On error @b holds a partial record; discard it.
 */
int
iam_rec_encode_user(struct iam_buf *b, const struct iam_user_rec *u);
int
iam_rec_encode_group(struct iam_buf *b, uint32_t gid, struct iam_str name,
                     uint8_t kind, const struct iam_str *members,
                     uint32_t nmem);
int
iam_rec_encode_gids(struct iam_buf *b, const uint32_t *gids, uint32_t n);
int
iam_rec_encode_keys(struct iam_buf *b, const struct iam_key_rec *keys,
                    uint32_t n);
int
iam_rec_encode_meta(struct iam_buf *b, const struct iam_meta_rec *m);
int
iam_rec_encode_instance(struct iam_buf *b, struct iam_str id);
int
iam_rec_encode_u32(struct iam_buf *b, uint32_t v);
/* @groups: @n IAM group names; the key's iam_name, line and fingerprint
 * must not be empty. */
int
iam_rec_encode_shared_acct(struct iam_buf *b, uint32_t uid,
                           const struct iam_str *groups, uint32_t n);
int
iam_rec_encode_shared_key(struct iam_buf *b, const struct iam_shared_key_rec *k,
                          const struct iam_str *groups, uint32_t n);

/* iam_buf_free - release @b's memory and reset it. */
void
iam_buf_free(struct iam_buf *b);

#endif
