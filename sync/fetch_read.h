/*
 * fetch_read: the readers fetch.c is made of, shared with fetch_delta.c
 * so that a re-read reads exactly as a full fetch does (the same pages,
 * the same checks, the same tolerance of a user or key deleted meanwhile).
 * Internal to sync/: not an interface of its own.
 */
#ifndef FETCH_READ_H
#define FETCH_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "fetch.h"

/*
 * fetch_call - one IAM call (aws_client_call), its failure logged unless
 * the AWS error code (into @code, may be NULL) is NoSuchEntity, which the
 * caller decides about. Returns 0 with the body in *resp, or -errno.
 */
int
fetch_call(struct aws_client *c, struct aws_http *h, const char *action,
           const char *const *params, struct aws_http_response *resp,
           char *code, size_t code_len);

/* fetch_parse_failed - log "@what: @err"; returns -EPROTO. */
int
fetch_parse_failed(const char *what, const char *err);

/*
 * One paged list call. @take parses a page, keeps what it needs, and
 * hands back IsTruncated and the Marker (which it then no longer owns).
 */
struct fetch_lister {
    const char *action;
    const char *name_param; /* "UserName", "GroupName", or NULL */
    const char *name;
    unsigned long *calls; /* incremented atomically per page */
    int (*take)(void *arg, const struct aws_http_response *resp,
                bool *ret_truncated, char **ret_marker);
    void *arg;
};

/*
 * fetch_list_all - call @l->action until its last page. Returns 0, or
 * -errno; an AWS error's code goes to @code (NoSuchEntity is left to the
 * caller, unlogged).
 */
int
fetch_list_all(struct aws_client *c, struct aws_http *h,
               const struct fetch_lister *l, char *code, size_t code_len);

/* fetch_users_by_id - f's user indexes in UserId order; NULL: no memory. */
size_t *
fetch_users_by_id(const struct fetch *f);

/* fetch_user_index - the index of @user_id in @f, found through @by_id
 * (fetch_users_by_id()), or -1. */
long
fetch_user_index(const struct fetch *f, const size_t *by_id,
                 const char *user_id);

/* What fetch_read_users() reads of one user. */
#define FETCH_READ_KEYS 0x1u /* ListSSHPublicKeys */
#define FETCH_READ_TAGS 0x2u /* ListUserTags (with o->tag_prefix) */

/*
 * fetch_read_users - for each @users[i], read what @what[i] says into
 * f->keys[@users[i]] (which must exist), keys before tags, appended to
 * what it holds; on a few threads. A user deleted meanwhile is left as
 * it is. Returns 0 or the -errno of the first failure.
 */
int
fetch_read_users(const struct fetch_opts *o, struct fetch *f,
                 const size_t *users, const unsigned *what, size_t n);

/*
 * fetch_read_bodies - every key of @f without a body gets it from
 * o->known (moved out of it) or GetSSHPublicKey. Returns 0 or -errno.
 */
int
fetch_read_bodies(const struct fetch_opts *o, struct fetch *f);

/*
 * fetch_date_tag_keys - the keys from tags of user @u get the date
 * o->known remembers for them, or o->now.
 */
void
fetch_date_tag_keys(const struct fetch_opts *o, struct fetch *f, size_t u);

#endif
