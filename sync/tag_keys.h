/*
 * tag_keys: SSH public keys held in IAM user tags (TAG_KEYS=yes).
 *
 * IAM's own SSH keys are RSA only. A tag value holds up to 256
 * characters, enough for "TYPE BASE64" of an Ed25519, ECDSA or FIDO
 * (sk-) key. A tag whose key is TAG_KEY_PREFIX, or starts with
 * TAG_KEY_PREFIX "-", holds one such key, with no options and no
 * comment. In the fetch (and in a fleet object) it becomes a key like
 * IAM's own: key id "tag:" + the tag key, Active while the tag exists, its
 * upload date the first time a sync saw that key for that user (tags have
 * none), so that MAX_KEY_AGE_DAYS still applies.
 *
 * The first-seen dates live in the snapshot (and the fleet object) as the
 * keys' upload dates: a sync reads them back from the previous one into a
 * struct tag_seen_set, by (IAM user id, fingerprint).
 *
 * Pure functions, no I/O but logging; thread-safe as long as a set is not
 * written from two threads.
 */
#ifndef TAG_KEYS_H
#define TAG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iam_config.h"
#include "iam_keyline.h"

/* The key ids of keys from tags: "tag:" + the tag key. */
#define TAG_KEYS_ID_PREFIX "tag:"
#define TAG_KEYS_ID_PREFIX_LEN 4

/*
 * tag_keys_name_matches - does the tag key @tag_key name a key under
 * @prefix? True for @prefix itself and for @prefix "-" anything; false
 * for "ssh-keyX", "xssh-key" and every other tag. Case matters, as it
 * does to the IAM policy that lets users set these tags (StringLike).
 */
bool
tag_keys_name_matches(const char *prefix, const char *tag_key);

/* tag_keys_is_id - is @key_id one of a key from a tag ("tag:...")? */
bool
tag_keys_is_id(const char *key_id);

/*
 * tag_keys_looks_like_key - does @value start with a key type word
 * ("ssh-ed25519 ...")? Used only to log a tag that seems meant to hold a
 * key but is not named so, instead of ignoring it silently.
 */
bool
tag_keys_looks_like_key(const char *value);

/*
 * tag_keys_check - is the tag value @value a key a tag may hold?
 * @types: the allowed key types (TAG_KEY_TYPES).
 * @line, @size: receives the canonical "TYPE BASE64"; @size of
 *               strlen(@value) + 1 is always enough.
 * @ret_key: the parsed key on success.
 * @ret_why: on -EINVAL, a static English reason; else NULL.
 *
 * Refused: anything iam_keyline_parse() refuses (options before the type,
 * a bad blob, ...), a type not in @types, an RSA key under 2048 bits (the
 * floor IAM sets for its own keys), and a comment: a tag holds the key
 * alone. Returns 0, -EINVAL or -ERANGE (@line too small).
 */
int
tag_keys_check(const char *value, const struct iam_strlist *types, char *line,
               size_t size, struct iam_keyline *ret_key, const char **ret_why);

/* A key first seen, by whom and when. */
struct tag_seen {
    char *user_id; /* the IAM UserId, AIDA... */
    char fingerprint[IAM_KEYLINE_FP_SIZE];
    int64_t first; /* seconds since the epoch */
};

struct tag_seen_set {
    struct tag_seen *v; /* sorted by (user_id, fingerprint) once sorted */
    size_t n;
    size_t cap;
};

/*
 * tag_seen_add - remember that @user_id's key @fingerprint was first seen
 * at @first. Call tag_seen_sort() before looking anything up. Returns 0
 * or -ENOMEM.
 */
int
tag_seen_add(struct tag_seen_set *s, const char *user_id,
             const char *fingerprint, int64_t first);

/*
 * tag_seen_add_line - as tag_seen_add(), the fingerprint taken from the
 * key line @line; a line that is no key is skipped (returns 0).
 */
int
tag_seen_add_line(struct tag_seen_set *s, const char *user_id, const char *line,
                  int64_t first);

void
tag_seen_sort(struct tag_seen_set *s);

/*
 * tag_seen_first - when @user_id's key @fingerprint was first seen; the
 * earliest if it was recorded more than once (the same key in two tags).
 * True and *ret_first set when known, else false.
 */
bool
tag_seen_first(const struct tag_seen_set *s, const char *user_id,
               const char *fingerprint, int64_t *ret_first);

void
tag_seen_free(struct tag_seen_set *s);

#endif
