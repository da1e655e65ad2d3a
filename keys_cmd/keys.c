#include "keys.h"

#include <errno.h>
#include <string.h>

#include "iam_log.h"

#define DAY 86400

static const char *const decision_words[] = {
    [KEYS_LISTED] = "listed",
    [KEYS_ACCEPTED] = "accepted",
    [KEYS_INACTIVE] = "inactive",
    [KEYS_EXPIRED] = "expired",
    [KEYS_UNKNOWN_KEY] = "unknown-key",
    [KEYS_UID_MISMATCH] = "uid-mismatch",
    [KEYS_UNKNOWN_USER] = "unknown-user",
    [KEYS_REVOKED] = "revoked-online",
    [KEYS_INVALID] = "invalid-stored-key",
    [KEYS_NO_UID] = "no-uid",
    [KEYS_BAD_UID] = "bad-uid",
    [KEYS_BAD_USER] = "bad-user",
    [KEYS_BAD_KEY] = "bad-key",
    [KEYS_SHARED_ACCEPTED] = "accepted-shared",
    [KEYS_SHARED_NO_KEY] = "shared-needs-key",
    [KEYS_SHARED_NOT_MEMBER] = "not-in-shared-group",
};

const char *
keys_decision_word(enum keys_decision d)
{
    if ((size_t)d >= sizeof(decision_words) / sizeof(decision_words[0]))
        return "unknown";
    return decision_words[d];
}

bool
keys_valid_offered(const char *b64)
{
    size_t n = strnlen(b64, IAM_KEYLINE_MAX + 1);

    if (n == 0 || n > IAM_KEYLINE_MAX)
        return false;
    return strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789+/=") == n;
}

int
keys_parse_uid(const char *s, uint32_t *ret)
{
    uint64_t v = 0;
    size_t i;

    /* "4294967294" has 10 digits: any longer string is out of range, so
     * the loop below cannot overflow v. */
    if (s[0] == '\0' || strnlen(s, 11) > 10 || (s[0] == '0' && s[1]))
        return -EINVAL;
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v >= UINT32_MAX)
        return -EINVAL;
    *ret = (uint32_t)v;
    return 0;
}

static void
copy_str(char *dst, size_t size, struct iam_str s)
{
    size_t n = s.len < size - 1 ? s.len : size - 1;

    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* Status of a key at @now: Active, Inactive, or expired by age. */
static enum keys_decision
key_state(const struct iam_key_rec *k, const struct keys_request *req)
{
    if (k->status == IAM_KEY_INACTIVE)
        return KEYS_INACTIVE;
    if (k->status == IAM_KEY_EXPIRED)
        return KEYS_EXPIRED;
    if (req->max_key_age_days &&
        req->now - k->upload_date > (time_t)req->max_key_age_days * DAY)
        return KEYS_EXPIRED;
    return KEYS_ACCEPTED;
}

/*
 * Validates a stored key line again (the snapshot is trusted, but a line
 * that reaches sshd must be canonical whatever wrote it) and prints it.
 */
static int
print_key(const struct iam_key_rec *k, const char *iam_name, FILE *out,
          char *line, size_t size)
{
    struct iam_keyline parsed;
    int reason = 0, r;

    r = iam_keyline_parse(k->line.p, k->line.len, line, size, &parsed, &reason);
    if (r < 0) {
        iam_log(LOG_WARNING, "key %.*s of %s is not served: %s",
                (int)k->key_id.len, k->key_id.p, iam_name,
                r == -EINVAL ? iam_keyline_strerror(reason) : "error");
        return 0;
    }
    fprintf(out, "%.*s iam:%s\n", (int)parsed.key_len, line, iam_name);
    return 1;
}

/* Finds the offered key among the user's; sets the decision. */
static int
answer_offered(struct iam_rec_iter *it, const struct keys_request *req,
               FILE *out, struct keys_result *ret, char *line, size_t size)
{
    struct iam_key_rec k;
    int r;

    ret->decision = KEYS_UNKNOWN_KEY;
    while ((r = iam_rec_key_next(it, &k)) == 1) {
        copy_str(line, size, k.line);
        if (iam_keyline_blob_equals(line, req->key) != 1)
            continue;
        copy_str(ret->key_id, sizeof(ret->key_id), k.key_id);
        ret->decision = key_state(&k, req);
        if (ret->decision == KEYS_ACCEPTED) {
            ret->printed =
                (unsigned)print_key(&k, ret->iam_name, out, line, size);
            if (!ret->printed)
                ret->decision = KEYS_INVALID;
        }
        return 0;
    }
    return r < 0 ? -EIO : 0;
}

static int
answer_all(struct iam_rec_iter *it, const struct keys_request *req, FILE *out,
           struct keys_result *ret, char *line, size_t size)
{
    struct iam_key_rec k;
    int r;

    ret->decision = KEYS_LISTED;
    while ((r = iam_rec_key_next(it, &k)) == 1)
        if (key_state(&k, req) == KEYS_ACCEPTED)
            ret->printed +=
                (unsigned)print_key(&k, ret->iam_name, out, line, size);
    return r < 0 ? -EIO : 0;
}

/* Is one of @k's groups one of @a's? Both lists are a few names. */
static int
in_account_groups(const struct iam_shared_acct_rec *a,
                  const struct iam_shared_key_rec *k)
{
    struct iam_rec_iter ki = k->groups, ai;
    struct iam_str kg, ag;
    int r, q;

    while ((r = iam_rec_str_next(&ki, &kg)) == 1) {
        ai = a->groups;
        while ((q = iam_rec_str_next(&ai, &ag)) == 1)
            if (kg.len == ag.len && memcmp(kg.p, ag.p, kg.len) == 0)
                return 1;
        if (q < 0)
            return -EIO;
    }
    return r < 0 ? -EIO : 0;
}

/* The offered key, from the index; its decision, printed if accepted. */
static int
answer_shared_key(struct iam_db_txn *t, const struct iam_shared_acct_rec *a,
                  const struct keys_request *req, FILE *out,
                  struct keys_result *ret, char *line, size_t size)
{
    struct iam_shared_key_rec k;
    struct iam_key_rec kr;
    int r;

    ret->decision = KEYS_UNKNOWN_KEY;
    r = iam_db_shared_key(t, ret->fingerprint, &k);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return r;
    /* The fingerprint found it; the blob itself must match too. */
    copy_str(line, size, k.line);
    if (iam_keyline_blob_equals(line, req->key) != 1)
        return 0;
    copy_str(ret->iam_name, sizeof(ret->iam_name), k.iam_name);
    copy_str(ret->key_id, sizeof(ret->key_id), k.key_id);
    r = in_account_groups(a, &k);
    if (r <= 0) {
        ret->decision = KEYS_SHARED_NOT_MEMBER;
        return r;
    }
    memset(&kr, 0, sizeof(kr));
    kr.key_id = k.key_id;
    kr.line = k.line;
    kr.status = IAM_KEY_ACTIVE;
    kr.upload_date = k.upload_date;
    ret->decision = key_state(&kr, req);
    if (ret->decision != KEYS_ACCEPTED)
        return 0;
    ret->printed = (unsigned)print_key(&kr, ret->iam_name, out, line, size);
    ret->decision = ret->printed ? KEYS_SHARED_ACCEPTED : KEYS_INVALID;
    return 0;
}

/* %u is no IAM user: a shared account, or unknown. */
static int
answer_shared(struct iam_db_txn *t, const struct keys_request *req, FILE *out,
              struct keys_result *ret, char *line, size_t size)
{
    struct iam_shared_acct_rec a;
    int r;

    r = iam_db_shared_acct(t, req->user, &a);
    if (r == -ESRCH) {
        ret->decision = KEYS_UNKNOWN_USER;
        return 0;
    }
    if (r < 0)
        return r;
    if (!req->has_uid)
        ret->decision = KEYS_NO_UID;
    else if (req->uid != a.uid)
        ret->decision = KEYS_UID_MISMATCH;
    else if (!req->key)
        ret->decision = KEYS_SHARED_NO_KEY;
    else
        return answer_shared_key(t, &a, req, out, ret, line, size);
    return 0;
}

int
keys_answer(const struct iam_db *db, const struct keys_request *req, FILE *out,
            struct keys_result *ret)
{
    static char line[IAM_KEYLINE_MAX + 1];
    struct iam_db_txn t;
    struct iam_user_rec u;
    struct iam_rec_iter it;
    int r;

    memset(ret, 0, sizeof(*ret));
    /* Every decision about an offered key names it in the audit line. */
    if (req->key && iam_keyline_fingerprint(req->key, strlen(req->key),
                                            ret->fingerprint) < 0)
        ret->fingerprint[0] = '\0';
    r = iam_db_begin(db, &t);
    if (r < 0)
        return r;
    r = iam_db_user_by_name(&t, req->user, &u);
    if (r == -ESRCH) {
        r = answer_shared(&t, req, out, ret, line, sizeof(line));
        goto out;
    }
    if (r < 0)
        goto out;
    copy_str(ret->iam_name, sizeof(ret->iam_name), u.iam_name);
    /* A local account created after the sync with this name would get
     * the IAM user's keys if the name alone decided. */
    if (!req->has_uid) {
        ret->decision = KEYS_NO_UID;
        goto out;
    }
    if (req->uid != u.uid) {
        ret->decision = KEYS_UID_MISMATCH;
        goto out;
    }
    r = iam_db_user_keys(&t, req->user, &it);
    if (r == -ESRCH) {
        ret->decision = req->key ? KEYS_UNKNOWN_KEY : KEYS_LISTED;
        r = 0;
        goto out;
    }
    if (r < 0)
        goto out;
    if (req->key)
        r = answer_offered(&it, req, out, ret, line, sizeof(line));
    else
        r = answer_all(&it, req, out, ret, line, sizeof(line));
out:
    iam_db_end(&t);
    return r;
}
