/*
 * keys: the decision of iam-authorized-keys, separated from argv, config
 * and syslog (main.c) so that it can be tested on its own.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "iam_db.h"
#include "iam_keyline.h"
#include "iam_name.h"

enum keys_decision {
    KEYS_LISTED,       /* no key offered: every servable key printed */
    KEYS_ACCEPTED,     /* the offered key is Active: printed */
    KEYS_INACTIVE,     /* the offered key is Inactive in IAM */
    KEYS_EXPIRED,      /* the offered key is older than MAX_KEY_AGE_DAYS */
    KEYS_UNKNOWN_KEY,  /* the offered key is not one of the user's */
    KEYS_UID_MISMATCH, /* %U is not the snapshot's uid for %u */
    KEYS_UNKNOWN_USER, /* not an IAM user in the snapshot */
    KEYS_REVOKED,      /* the online check says the key is not Active */
    KEYS_INVALID,      /* the stored line failed validation: not served */
    KEYS_NO_UID,       /* sshd passed no %U: the uid check is impossible */
    KEYS_BAD_UID,      /* the uid argument is not a canonical uid */
    KEYS_BAD_USER,     /* the user argument is not a valid user name */
    KEYS_BAD_KEY,      /* the key argument is not base64 */
    /* SHARED_ACCOUNTS: %u is a shared local account */
    KEYS_SHARED_ACCEPTED,   /* the offered key opens it: printed */
    KEYS_SHARED_NO_KEY,     /* no key offered: a shared account lists none */
    KEYS_SHARED_NOT_MEMBER, /* the key's owner is in none of its groups */
};

struct keys_request {
    const char *user; /* validated POSIX name */
    bool has_uid;     /* false: nothing is printed (KEYS_NO_UID) */
    uint32_t uid;
    const char *key;           /* offered base64 blob, or NULL */
    uint32_t max_key_age_days; /* 0: no limit */
    time_t now;
};

struct keys_result {
    enum keys_decision decision;
    unsigned printed;
    char iam_name[IAM_NAME_IAM_USER_MAX + 1];
    char key_id[129];
    char fingerprint[IAM_KEYLINE_FP_SIZE];
};

/* Words for the audit line ("accepted", "unknown-key", ...). */
const char *
keys_decision_word(enum keys_decision d);

/*
 * keys_answer - decide and print to @out the keys sshd may accept.
 * Only canonical lines "TYPE BASE64 iam:<IAM user name>" of Active keys
 * within the age limit are printed, each re-validated first; a stored
 * line that fails validation is skipped and logged. Without a uid
 * (@req->has_uid false) nothing is printed: only %U tells an IAM user
 * from a local account created later with the same name. Returns 0 with
 * *ret filled, -EIO for a corrupt snapshot, -ENOMEM.
 */
int
keys_answer(const struct iam_db *db, const struct keys_request *req, FILE *out,
            struct keys_result *ret);

/*
 * A shared account (SHARED_ACCOUNTS) answers only an offered key, found
 * by its fingerprint in the snapshot's index (one lookup, whatever the
 * number of keys), when %U is the account's uid and the key's owner is
 * in one of the account's IAM groups as of the snapshot. The one key is
 * printed "TYPE BASE64 iam:<IAM user name>"; the account's own
 * authorized_keys file is sshd's business and keeps working beside it.
 */

/*
 * keys_valid_offered - true if @b64 can be an offered key blob: strict
 * base64 characters, 1 to IAM_KEYLINE_MAX bytes. Checked before use.
 */
bool
keys_valid_offered(const char *b64);

/*
 * keys_parse_uid - sshd's %U as a uid: decimal digits only, no sign, no
 * space, no leading zero (sshd prints "%llu"), at most 4294967294
 * ((uid_t)-1 is no uid). Returns 0 with *ret set, or -EINVAL and *ret
 * untouched. Pure.
 */
int
keys_parse_uid(const char *s, uint32_t *ret);

#endif
