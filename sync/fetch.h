/*
 * fetch: everything iam-sync needs from IAM, gathered into memory before
 * anything is decided or written. Every list is followed to its last page;
 * any failure fails the whole fetch (a partial view of the account must
 * never become a snapshot).
 *
 * Calls: ListUsers (all pages), GetGroup per configured group (all pages),
 * ListSSHPublicKeys (and with TAG_KEYS, ListUserTags) per authorized
 * user, or with TAG_KEYS_SOURCE=GetAccountAuthorizationDetails those
 * pages instead of ListUserTags, GetSSHPublicKey (Encoding=SSH)
 * only for key ids whose body the previous snapshot does not hold (a key
 * id's body never changes). The per-user and per-key calls run on a few
 * threads under the client's rate limit.
 */
#ifndef FETCH_H
#define FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws_client.h"
#include "aws_iam_json.h"
#include "iam_config.h"
#include "tag_keys.h"

/* A key body the previous snapshot already holds, by key id. */
struct known_key {
    char *key_id;
    char *line;
};

struct known_keys {
    struct known_key *v; /* sorted by key_id */
    size_t n;
    struct tag_seen_set seen; /* when keys from tags were first seen */
};

struct fetch_group {
    char *name;      /* as configured */
    char *group_id;  /* NULL when the group does not exist */
    size_t *members; /* indexes into fetch.users */
    size_t n_members;
    bool authorized;  /* one of IAM_AUTHORIZED_GROUPS: members' keys
                         were fetched */
    bool mapped_only; /* named only by SHARED_ACCOUNTS or LOCAL_GROUP_MAP:
                         read for its members, not served as a group */
};

struct fetch_key {
    char *key_id; /* IAM's APKA..., or "tag:" + the tag key */
    int status;   /* AWS_IAM_JSON_KEY_ACTIVE / _INACTIVE */
    time_t upload_date;
    char *body; /* from GetSSHPublicKey or the previous snapshot */
};

struct fetch_user_keys {
    struct fetch_key *v;
    size_t n;
};

struct fetch {
    struct aws_iam_json_user *users; /* every user of the account */
    size_t n_users;
    struct fetch_group *groups; /* in configuration order */
    size_t n_groups;
    bool *authorized;             /* per user */
    bool *wanted;                 /* per user: keys are fetched */
    struct fetch_user_keys *keys; /* per user; empty if not authorized */
    unsigned long list_users_calls;
    unsigned long get_group_calls;
    unsigned long list_keys_calls;
    unsigned long get_key_calls;
    unsigned long list_tags_calls;
    unsigned long gaad_calls;     /* GetAccountAuthorizationDetails pages */
    unsigned long get_user_calls; /* GetUser (fetch_delta() only) */
};

struct fetch_opts {
    struct aws_client *iam;
    unsigned concurrency;
    const struct iam_strlist *authorized_groups; /* empty: every user */
    const struct iam_strlist *sudoers_groups;
    /* SHARED_ACCOUNTS and LOCAL_GROUP_MAP: their IAM groups are read
     * too; the members of @shared_accounts' groups get their keys
     * fetched (for the shared key index only). May be NULL. */
    const struct iam_map *shared_accounts;
    const struct iam_map *local_group_map;
    struct known_keys *known; /* the bodies it holds are moved out */
    /*
     * TAG_KEYS: the prefix of the tags that hold keys, or NULL for none.
     * With it, each user whose keys are listed also costs one
     * ListUserTags (a page), and the keys in matching tags join IAM's
     * (tag_keys.h), first seen at @now unless @known remembers them.
     */
    const char *tag_prefix;
    /*
     * With @tag_prefix: read the tags from GetAccountAuthorizationDetails
     * (Filter=User, a page of up to 1000 users a call, after the keys are
     * listed) instead of one ListUserTags a user.
     */
    bool tags_from_gaad;
    time_t now;
    /*
     * Called once the users and groups are known, before any key is
     * listed: clears f->wanted[i] for authorized users that will not be
     * served anyway (refused names), so they cost no key calls. May be
     * NULL. Returns 0 or -errno.
     */
    int (*select)(struct fetch *f, void *arg);
    void *select_arg;
    /* Told when each kind of call starts, with the number of calls it
     * plans (0: not known before the pages come). May be NULL. */
    void (*phase)(void *arg, const char *name, unsigned long planned);
    void *phase_arg;
};

/*
 * fetch_all - fill *ret from IAM. Returns 0, or the -errno of the first
 * call that failed (see aws_client_call), with the reason logged; on
 * failure *ret is freed and empty.
 */
int
fetch_all(const struct fetch_opts *o, struct fetch *ret);

void
fetch_free(struct fetch *f);

/* fetch_free_keep_counts - fetch_free(), the call counters kept: what
 * a failed fetch cost. */
void
fetch_free_keep_counts(struct fetch *f);

/* fetch_calls - the IAM calls @f's counters add up to. */
unsigned long
fetch_calls(const struct fetch *f);

/*
 * fetch_mark_authorized - (re)allocate f->authorized and f->wanted: the
 * members of the groups of @authorized_groups, or every user when it is
 * empty. Returns 0 or -ENOMEM.
 */
int
fetch_mark_authorized(struct fetch *f,
                      const struct iam_strlist *authorized_groups);

/*
 * fetch_mark_shared - also fetch the keys of the members of the IAM
 * groups of @shared_accounts (they do not become authorized).
 */
void
fetch_mark_shared(struct fetch *f, const struct iam_map *shared_accounts);

/* fetch_group_find - the fetched group named @name, or NULL. */
const struct fetch_group *
fetch_group_find(const struct fetch *f, const char *name);

/* A previously known body for @key_id, or NULL. */
const char *
known_keys_find(const struct known_keys *k, const char *key_id);

/*
 * known_keys_take - the body for @key_id, now owned by the caller (free
 * it), or NULL; a second take of the same id gives NULL. This is how the
 * bodies reach the fetch without a second copy of each.
 */
char *
known_keys_take(struct known_keys *k, const char *key_id);

/* known_keys_sort - order @k by key id, as the lookups above need. */
void
known_keys_sort(struct known_keys *k);

void
known_keys_free(struct known_keys *k);

#endif
