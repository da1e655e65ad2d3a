/*
 * iam_keyline: validate one SSH public key line and write it canonically.
 *
 * Input is one "TYPE BASE64 [comment]" line, as IAM's GetSSHPublicKey
 * (Encoding=SSH) returns it or as a user pasted it. Output is the line
 * re-encoded from the decoded key blob, so nothing of the input but the
 * validated type, the blob and a printable comment ever reaches sshd:
 *
 *   "TYPE BASE64"  or  "TYPE BASE64 comment"
 *
 * plus the fingerprint exactly as `ssh-keygen -l` prints it
 * ("SHA256:" + unpadded base64 of SHA-256(blob)).
 *
 * What a line may look like:
 * - TYPE is one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256,
 *   ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com,
 *   sk-ecdsa-sha2-nistp256@openssh.com. Nothing may come before it, so
 *   authorized_keys options (command=, from=, no-pty, ...) are refused.
 * - Fields are separated by spaces or tabs (a run of them counts as one,
 *   as in sshd). Leading and trailing spaces/tabs and ONE final "\n" or
 *   "\r\n" are ignored; any other CR or LF, and any NUL, refuses the line.
 * - BASE64 is strict: standard alphabet, length a multiple of 4, '='
 *   padding only at the end and only as much as needed, unused bits zero.
 *   Every blob therefore has exactly one accepted spelling.
 * - The blob's first SSH string equals TYPE, and the rest has the shape
 *   of that type with no trailing bytes (see iam_keyline.c). Key sizes
 *   are reported, never enforced: policy belongs to the caller.
 * - The comment is everything after BASE64 and its separator. It is kept
 *   only when it is printable ASCII (0x20-0x7e) and at most
 *   IAM_KEYLINE_COMMENT_MAX bytes; otherwise the key is still accepted,
 *   the comment is dropped and ret_key->comment_dropped says why.
 *
 * Every function here is pure and reentrant: no global state, no heap.
 * Parsing uses about IAM_KEYLINE_BLOB_MAX bytes of stack, so it is not for
 * the NSS module (which never needs it). SHA-256 comes from iam_sha256,
 * so the keys command does not load libcrypto on every login.
 */
#ifndef IAM_KEYLINE_H
#define IAM_KEYLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest accepted input line in bytes, newline included. */
#define IAM_KEYLINE_MAX 16384
/* Largest blob a line within IAM_KEYLINE_MAX can carry. */
#define IAM_KEYLINE_BLOB_MAX (IAM_KEYLINE_MAX / 4 * 3)
/* Longest comment that is kept. */
#define IAM_KEYLINE_COMMENT_MAX 256
/* "SHA256:" + 43 base64 characters + NUL. */
#define IAM_KEYLINE_FP_SIZE 51

/*
 * Why a line was refused (returned through ret_reason), or why its
 * comment was dropped (ret_key->comment_dropped). 0 means neither.
 * Values are stable: they may be logged or counted.
 */
enum iam_keyline_reason {
    IAM_KEYLINE_OK = 0,
    IAM_KEYLINE_E_EMPTY = 1,             /* nothing but whitespace */
    IAM_KEYLINE_E_TOO_LONG = 2,          /* over IAM_KEYLINE_MAX bytes */
    IAM_KEYLINE_E_NUL = 3,               /* a NUL byte anywhere */
    IAM_KEYLINE_E_NEWLINE = 4,           /* LF other than one final one */
    IAM_KEYLINE_E_CR = 5,                /* CR other than a final "\r\n" */
    IAM_KEYLINE_E_CONTROL_CHAR = 6,      /* control/non-ASCII byte in TYPE */
    IAM_KEYLINE_E_OPTIONS = 7,           /* something before TYPE */
    IAM_KEYLINE_E_TYPE = 8,              /* TYPE not accepted */
    IAM_KEYLINE_E_NO_BLOB = 9,           /* TYPE without BASE64 */
    IAM_KEYLINE_E_BASE64 = 10,           /* byte outside the alphabet */
    IAM_KEYLINE_E_BASE64_PAD = 11,       /* bad length, padding or bits */
    IAM_KEYLINE_E_BLOB_TRUNCATED = 12,   /* a field runs past the end */
    IAM_KEYLINE_E_BLOB_TYPE = 13,        /* blob's type is not TYPE */
    IAM_KEYLINE_E_BLOB_CURVE = 14,       /* ecdsa curve is not TYPE's */
    IAM_KEYLINE_E_BLOB_MALFORMED = 15,   /* a field of the wrong shape */
    IAM_KEYLINE_E_BLOB_TRAILING = 16,    /* bytes after the last field */
    IAM_KEYLINE_E_COMMENT_CHAR = 17,     /* comment dropped: not printable */
    IAM_KEYLINE_E_COMMENT_TOO_LONG = 18, /* comment dropped: too long */
};

/* What iam_keyline_parse() learnt about a valid line. */
struct iam_keyline {
    const char *type;    /* static string, e.g. "ssh-ed25519" */
    unsigned int bits;   /* RSA modulus bits; 256/384/521 for EC keys */
    size_t line_len;     /* strlen() of the canonical line */
    size_t key_len;      /* bytes of "TYPE BASE64" at the start of it */
    int comment_dropped; /* 0, or IAM_KEYLINE_E_COMMENT_* */
    char fingerprint[IAM_KEYLINE_FP_SIZE]; /* "SHA256:..." */
};

/*
 * iam_keyline_parse - validate one key line and write it canonically.
 * @in: the line; need not be NUL-terminated (a NUL inside is an error).
 * @in_len: bytes at @in.
 * @line: caller buffer for the canonical line, NUL-terminated.
 * @line_size: bytes at @line; ret_key->line_len + 1 is always enough,
 *             and so is @in_len + 1.
 * @ret_key: filled on success (the fingerprint, type, sizes).
 * @ret_reason: on -EINVAL, the enum iam_keyline_reason; else 0.
 *
 * Returns 0 on success.
 *  -EINVAL: the line is refused; *ret_reason says why.
 *  -ERANGE: the line is valid but @line is too small; nothing written.
 * *ret_key and *ret_reason are cleared on entry, and @line is made the
 * empty string when @line_size > 0, so a failed call never leaves a
 * partial line behind. Thread-safe.
 */
int
iam_keyline_parse(const char *in, size_t in_len, char *line, size_t line_size,
                  struct iam_keyline *ret_key, int *ret_reason);

/*
 * iam_keyline_blob_equals - does a canonical line hold this key blob?
 * @line: a canonical line as written by iam_keyline_parse(), C string.
 * @b64: the offered key's blob in base64, C string (sshd's %k).
 *
 * Both sides are strict base64, whose spelling is unique, so equal
 * strings mean equal blobs (and equal types, which the blob embeds).
 * Returns 1 when the blob matches, 0 when it does not, -EINVAL when
 * @b64 is not strict base64 of at most IAM_KEYLINE_BLOB_MAX bytes or
 * @line has no "TYPE BASE64" prefix. Thread-safe.
 */
int
iam_keyline_blob_equals(const char *line, const char *b64);

/*
 * iam_keyline_fingerprint - fingerprint of a bare base64 blob.
 * @b64: the blob in base64 (sshd's %k), not necessarily NUL-terminated.
 * @b64_len: bytes at @b64.
 * @ret_fp: receives "SHA256:..." and a NUL (IAM_KEYLINE_FP_SIZE bytes).
 *
 * Only the base64 is checked, not the key inside: this names keys that
 * are unknown, for audit lines. Returns 0, -EINVAL when @b64 is empty or
 * not strict base64 of at most IAM_KEYLINE_BLOB_MAX bytes; @ret_fp is
 * then the empty string.
 * Thread-safe.
 */
int
iam_keyline_fingerprint(const char *b64, size_t b64_len,
                        char ret_fp[IAM_KEYLINE_FP_SIZE]);

/*
 * iam_keyline_parse_blob - a bare base64 blob (sshd's %k) as a key.
 * @b64, @b64_len: the blob in base64, not necessarily NUL-terminated.
 * @ret_key: on success, type (the blob's own, one of the accepted
 *           types), bits and fingerprint; line_len and key_len are 0.
 * @ret_reason: on -EINVAL, the enum iam_keyline_reason; else 0.
 *
 * The blob is checked exactly as the BASE64 of a line whose TYPE is the
 * blob's first string, so a certificate or a type not listed above is
 * refused (IAM_KEYLINE_E_TYPE). Returns 0 or -EINVAL; *ret_key is
 * cleared on entry. Thread-safe.
 */
int
iam_keyline_parse_blob(const char *b64, size_t b64_len,
                       struct iam_keyline *ret_key, int *ret_reason);

/*
 * iam_keyline_strerror - a short English reason for an
 * enum iam_keyline_reason value ("key options are not allowed"). Never
 * NULL; an unknown value gives "unknown key line error". The string is
 * static. Thread-safe.
 */
const char *
iam_keyline_strerror(int reason);

#endif
