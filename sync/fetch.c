#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_read.h"
#include "iam_log.h"
#include "pool.h"

/* IAM's largest page; fewer round trips for big accounts. */
#define PAGE_ITEMS "1000"
/* A list longer than this many pages is a pagination loop. */
#define MAX_PAGES 10000

#define ERRLEN 512

/* Moves @n items of @size bytes from @src onto the end of *@dst. */
static int
append(void **dst, size_t *dst_n, void *src, size_t n, size_t size)
{
    void *grown;

    if (n == 0)
        return 0;
    grown = realloc(*dst, (*dst_n + n) * size);
    if (!grown)
        return -ENOMEM;
    memcpy((char *)grown + *dst_n * size, src, n * size);
    *dst = grown;
    *dst_n += n;
    return 0;
}

int
fetch_call(struct aws_client *c, struct aws_http *h, const char *action,
           const char *const *params, struct aws_http_response *resp,
           char *code, size_t code_len)
{
    char err[ERRLEN];
    int r;

    r = aws_client_call(c, h, action, params, resp, err, sizeof(err), code,
                        code_len);
    if (r < 0 && !(code && strcmp(code, "NoSuchEntity") == 0))
        iam_log(LOG_ERR, "%s", err);
    return r;
}

/* Guards a paged list: a repeated or missing marker is an error. */
static int
next_marker(const char *action, char **marker, bool truncated,
            char *page_marker, unsigned pages)
{
    if (!truncated) {
        free(page_marker);
        return 0;
    }
    if (!page_marker || (*marker && strcmp(*marker, page_marker) == 0) ||
        pages >= MAX_PAGES) {
        iam_log(LOG_ERR,
                "%s: IsTruncated with a missing or repeated "
                "Marker: refusing a list that never ends",
                action);
        free(page_marker);
        return -EPROTO;
    }
    free(*marker);
    *marker = page_marker;
    return 1;
}

int
fetch_parse_failed(const char *what, const char *err)
{
    iam_log(LOG_ERR, "%s: %s", what, err);
    return -EPROTO;
}

int
fetch_list_all(struct aws_client *c, struct aws_http *h,
               const struct fetch_lister *l, char *code, size_t code_len)
{
    struct aws_http_response resp;
    const char *params[7];
    char *marker = NULL, *next;
    unsigned pages = 0;
    bool truncated;
    int n, r;

    do {
        n = 0;
        if (l->name_param) {
            params[n++] = l->name_param;
            params[n++] = l->name;
        }
        params[n++] = "MaxItems";
        params[n++] = PAGE_ITEMS;
        if (marker) {
            params[n++] = "Marker";
            params[n++] = marker;
        }
        params[n] = NULL;
        r = fetch_call(c, h, l->action, params, &resp, code, code_len);
        if (r < 0)
            break;
        __atomic_add_fetch(l->calls, 1, __ATOMIC_RELAXED);
        pages++;
        next = NULL;
        truncated = false;
        r = l->take(l->arg, &resp, &truncated, &next);
        aws_http_response_free(&resp);
        if (r < 0) {
            free(next);
            break;
        }
        r = next_marker(l->action, &marker, truncated, next, pages);
    } while (r == 1);
    free(marker);
    return r;
}

static int
take_users(void *arg, const struct aws_http_response *resp, bool *ret_truncated,
           char **ret_marker)
{
    struct fetch *f = arg;
    struct aws_iam_json_user_page *page = NULL;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    int r;

    r = aws_iam_json_list_users(resp->body, resp->body_len, perr, sizeof(perr),
                                NULL, &page);
    if (r < 0)
        return fetch_parse_failed("ListUsers", perr);
    r = append((void **)&f->users, &f->n_users, page->users, page->n_users,
               sizeof(*page->users));
    if (r >= 0) {
        page->n_users = 0; /* the strings now belong to f->users */
        *ret_truncated = page->is_truncated;
        *ret_marker = page->marker;
        page->marker = NULL;
    }
    aws_iam_json_user_page_free(page);
    return r;
}

static int
list_users(const struct fetch_opts *o, struct aws_http *h, struct fetch *f)
{
    struct fetch_lister l = { "ListUsers",          NULL,       NULL,
                              &f->list_users_calls, take_users, f };

    return fetch_list_all(o->iam, h, &l, NULL, 0);
}

long
fetch_user_index(const struct fetch *f, const size_t *by_id,
                 const char *user_id)
{
    size_t lo = 0, hi = f->n_users;
    int c;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        c = strcmp(f->users[by_id[mid]].user_id, user_id);
        if (c == 0)
            return (long)by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int
cmp_user_id(const void *a, const void *b, void *arg)
{
    const struct fetch *f = arg;

    return strcmp(f->users[*(const size_t *)a].user_id,
                  f->users[*(const size_t *)b].user_id);
}

/* Adds a page of members to @g, as indexes into f->users. */
static int
add_members(struct fetch *f, const size_t *by_id, struct fetch_group *g,
            const struct aws_iam_json_group_page *page)
{
    size_t i, *grown;
    long idx;

    grown = realloc(g->members,
                    (g->n_members + page->n_users + 1) * sizeof(*g->members));
    if (!grown)
        return -ENOMEM;
    g->members = grown;
    for (i = 0; i < page->n_users; i++) {
        idx = fetch_user_index(f, by_id, page->users[i].user_id);
        /* A user created after ListUsers ran: next sync sees them. */
        if (idx >= 0)
            g->members[g->n_members++] = (size_t)idx;
    }
    return 0;
}

struct group_page_ctx {
    struct fetch *f;
    const size_t *by_id;
    struct fetch_group *g;
};

static int
take_group(void *arg, const struct aws_http_response *resp, bool *ret_truncated,
           char **ret_marker)
{
    struct group_page_ctx *x = arg;
    struct aws_iam_json_group_page *page = NULL;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    int r;

    r = aws_iam_json_get_group(resp->body, resp->body_len, perr, sizeof(perr),
                               NULL, &page);
    if (r < 0)
        return fetch_parse_failed("GetGroup", perr);
    if (!x->g->group_id) {
        x->g->group_id = page->group.group_id;
        page->group.group_id = NULL;
    }
    r = add_members(x->f, x->by_id, x->g, page);
    if (r >= 0) {
        *ret_truncated = page->is_truncated;
        *ret_marker = page->marker;
        page->marker = NULL;
    }
    aws_iam_json_group_page_free(page);
    return r;
}

static int
get_group(const struct fetch_opts *o, struct aws_http *h, struct fetch *f,
          const size_t *by_id, struct fetch_group *g)
{
    struct group_page_ctx x = { f, by_id, g };
    struct fetch_lister l = { "GetGroup",          "GroupName", g->name,
                              &f->get_group_calls, take_group,  &x };
    char code[64] = "";
    int r;

    r = fetch_list_all(o->iam, h, &l, code, sizeof(code));
    if (r == -EREMOTEIO && strcmp(code, "NoSuchEntity") == 0) {
        iam_log(LOG_WARNING,
                "IAM group %s does not exist: it grants "
                "nothing",
                g->name);
        r = 0;
    }
    return r;
}

/* Adds @name to f->groups unless it is there; 1 when added. */
static int
add_group_name(struct fetch *f, const char *name)
{
    size_t k;

    for (k = 0; k < f->n_groups; k++)
        if (f->groups[k].name && strcmp(f->groups[k].name, name) == 0)
            return 0;
    f->groups[f->n_groups].name = strdup(name);
    if (!f->groups[f->n_groups].name)
        return -ENOMEM;
    f->n_groups++;
    return 1;
}

static size_t
map_size(const struct iam_map *m)
{
    size_t i, n = 0;

    for (i = 0; m && i < m->n; i++)
        n += m->v[i].right.n;
    return n;
}

/* The IAM groups of the two maps: SHARED_ACCOUNTS' right sides and
 * LOCAL_GROUP_MAP's left sides. */
static int
collect_mapped(const struct fetch_opts *o, struct fetch *f)
{
    const struct iam_map *sa = o->shared_accounts, *lm = o->local_group_map;
    size_t i, j;
    int r = 0;

    for (i = 0; sa && r >= 0 && i < sa->n; i++)
        for (j = 0; r >= 0 && j < sa->v[i].right.n; j++) {
            r = add_group_name(f, sa->v[i].right.v[j]);
            if (r == 1)
                f->groups[f->n_groups - 1].mapped_only = true;
        }
    for (i = 0; lm && r >= 0 && i < lm->n; i++) {
        r = add_group_name(f, lm->v[i].left);
        if (r == 1)
            f->groups[f->n_groups - 1].mapped_only = true;
    }
    return r < 0 ? r : 0;
}

/* Configured groups, authorized first, each name once; then the groups
 * only the maps name. */
static int
collect_groups(const struct fetch_opts *o, struct fetch *f)
{
    const struct iam_strlist *lists[2] = { o->authorized_groups,
                                           o->sudoers_groups };
    size_t i, j;
    int r;

    f->groups =
        calloc(lists[0]->n + lists[1]->n + map_size(o->shared_accounts) +
                   (o->local_group_map ? o->local_group_map->n : 0) + 1,
               sizeof(*f->groups));
    if (!f->groups)
        return -ENOMEM;
    for (i = 0; i < 2; i++) {
        for (j = 0; j < lists[i]->n; j++) {
            r = add_group_name(f, lists[i]->v[j]);
            if (r < 0)
                return r;
            if (r == 1)
                f->groups[f->n_groups - 1].authorized = i == 0;
        }
    }
    return collect_mapped(o, f);
}

const struct fetch_group *
fetch_group_find(const struct fetch *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n_groups; i++)
        if (strcmp(f->groups[i].name, name) == 0)
            return &f->groups[i];
    return NULL;
}

void
fetch_mark_shared(struct fetch *f, const struct iam_map *shared_accounts)
{
    const struct fetch_group *g;
    size_t i, j, k;

    for (i = 0; shared_accounts && i < shared_accounts->n; i++)
        for (j = 0; j < shared_accounts->v[i].right.n; j++) {
            g = fetch_group_find(f, shared_accounts->v[i].right.v[j]);
            for (k = 0; g && k < g->n_members; k++)
                f->wanted[g->members[k]] = true;
        }
}

size_t *
fetch_users_by_id(const struct fetch *f)
{
    size_t *by_id, i;

    by_id = malloc((f->n_users + 1) * sizeof(*by_id));
    if (!by_id)
        return NULL;
    for (i = 0; i < f->n_users; i++)
        by_id[i] = i;
    qsort_r(by_id, f->n_users, sizeof(*by_id), cmp_user_id, (void *)f);
    return by_id;
}

static int
get_groups(const struct fetch_opts *o, struct aws_http *h, struct fetch *f)
{
    size_t *by_id, i;
    int r;

    r = collect_groups(o, f);
    if (r < 0 || f->n_groups == 0)
        return r;
    by_id = fetch_users_by_id(f);
    if (!by_id)
        return -ENOMEM;
    for (i = 0; r >= 0 && i < f->n_groups; i++)
        r = get_group(o, h, f, by_id, &f->groups[i]);
    free(by_id);
    return r;
}

/* Who may log in: members of an authorized group, or everyone. */
int
fetch_mark_authorized(struct fetch *f,
                      const struct iam_strlist *authorized_groups)
{
    size_t i, j, k;

    free(f->authorized);
    free(f->wanted);
    f->authorized = calloc(f->n_users + 1, sizeof(*f->authorized));
    f->wanted = calloc(f->n_users + 1, sizeof(*f->wanted));
    if (!f->authorized || !f->wanted)
        return -ENOMEM;
    if (authorized_groups->n == 0) {
        for (i = 0; i < f->n_users; i++)
            f->authorized[i] = true;
    }
    for (i = 0; i < f->n_groups; i++)
        for (j = 0; j < authorized_groups->n; j++)
            if (strcmp(f->groups[i].name, authorized_groups->v[j]) == 0)
                for (k = 0; k < f->groups[i].n_members; k++)
                    f->authorized[f->groups[i].members[k]] = true;
    memcpy(f->wanted, f->authorized, f->n_users * sizeof(*f->wanted));
    return 0;
}

static void
phase(const struct fetch_opts *o, const char *name, unsigned long planned)
{
    if (o->phase)
        o->phase(o->phase_arg, name, planned);
}

struct keys_job {
    const struct fetch_opts *o;
    struct fetch *f;
    const size_t *users;  /* user indexes */
    const unsigned *what; /* FETCH_READ_* for each */
};

/* Moves one page of key metadata into @uk. */
static int
add_keys(struct fetch_user_keys *uk, struct aws_iam_json_key_page *page)
{
    struct fetch_key *grown;
    size_t i;

    grown = realloc(uk->v, (uk->n + page->n_keys + 1) * sizeof(*uk->v));
    if (!grown)
        return -ENOMEM;
    uk->v = grown;
    for (i = 0; i < page->n_keys; i++) {
        memset(&uk->v[uk->n], 0, sizeof(uk->v[uk->n]));
        uk->v[uk->n].key_id = page->keys[i].ssh_public_key_id;
        page->keys[i].ssh_public_key_id = NULL;
        uk->v[uk->n].status = page->keys[i].status;
        uk->v[uk->n].upload_date = page->keys[i].upload_date;
        uk->n++;
    }
    return 0;
}

static int
take_keys(void *arg, const struct aws_http_response *resp, bool *ret_truncated,
          char **ret_marker)
{
    struct aws_iam_json_key_page *page = NULL;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    int r;

    r = aws_iam_json_list_ssh_public_keys(resp->body, resp->body_len, perr,
                                          sizeof(perr), NULL, &page);
    if (r < 0)
        return fetch_parse_failed("ListSSHPublicKeys", perr);
    r = add_keys(arg, page);
    if (r >= 0) {
        *ret_truncated = page->is_truncated;
        *ret_marker = page->marker;
        page->marker = NULL;
    }
    aws_iam_json_key_page_free(page);
    return r;
}

/* One ListUserTags page of one user: the keys its tags hold. */
struct tags_ctx {
    const char *prefix;
    const char *user_name;
    struct fetch_user_keys *uk;
};

/* Moves one tag holding a key onto the end of @uk, as key "tag:KEY". */
static int
add_tag_key(struct fetch_user_keys *uk, struct aws_iam_json_tag *t)
{
    struct fetch_key *grown, *k;
    size_t n = strlen(t->key);

    grown = realloc(uk->v, (uk->n + 2) * sizeof(*uk->v));
    if (!grown)
        return -ENOMEM;
    uk->v = grown;
    k = &uk->v[uk->n];
    memset(k, 0, sizeof(*k));
    k->key_id = malloc(TAG_KEYS_ID_PREFIX_LEN + n + 1);
    if (!k->key_id)
        return -ENOMEM;
    memcpy(k->key_id, TAG_KEYS_ID_PREFIX, TAG_KEYS_ID_PREFIX_LEN);
    memcpy(k->key_id + TAG_KEYS_ID_PREFIX_LEN, t->key, n + 1);
    k->status = AWS_IAM_JSON_KEY_ACTIVE; /* a tag is while it exists */
    k->body = t->value;
    t->value = NULL;
    uk->n++;
    return 0;
}

/* A tag that looks like a key but is not named like one: someone meant
 * it to work, so say why it does not. */
static void
warn_look_alike(const char *prefix, const char *user_name, const char *key,
                const char *value)
{
    if (tag_keys_looks_like_key(value))
        iam_log(LOG_WARNING,
                "IAM user %s: tag %s holds what looks like a key, but only "
                "tags named %s or %s-* do: ignored",
                user_name, key, prefix, prefix);
}

/*
 * The tags of one page that hold keys. A tag that looks like a key but is
 * not named like one is logged: someone meant it to work.
 */
static int
add_tags(struct tags_ctx *x, struct aws_iam_json_tag_page *page)
{
    struct aws_iam_json_tag *t;
    size_t i;
    int r;

    for (i = 0; i < page->n_tags; i++) {
        t = &page->tags[i];
        if (!tag_keys_name_matches(x->prefix, t->key)) {
            warn_look_alike(x->prefix, x->user_name, t->key, t->value);
            continue;
        }
        /* Nothing to serve, and a fleet object holds no empty body. */
        if (t->value[0] == '\0') {
            iam_log(LOG_WARNING, "IAM user %s: tag %s is empty: no key",
                    x->user_name, t->key);
            continue;
        }
        /* A fleet object holds key ids of at most this length. */
        if (TAG_KEYS_ID_PREFIX_LEN + strlen(t->key) > AWS_IAM_JSON_ID_MAX) {
            iam_log(LOG_WARNING,
                    "IAM user %s: tag %.64s...: name too "
                    "long for a key id: refused",
                    x->user_name, t->key);
            continue;
        }
        r = add_tag_key(x->uk, t);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
take_tags(void *arg, const struct aws_http_response *resp, bool *ret_truncated,
          char **ret_marker)
{
    struct aws_iam_json_tag_page *page = NULL;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    int r;

    r = aws_iam_json_list_user_tags(resp->body, resp->body_len, perr,
                                    sizeof(perr), NULL, &page);
    if (r < 0)
        return fetch_parse_failed("ListUserTags", perr);
    r = add_tags(arg, page);
    if (r >= 0) {
        *ret_truncated = page->is_truncated;
        *ret_marker = page->marker;
        page->marker = NULL;
    }
    aws_iam_json_tag_page_free(page);
    return r;
}

/* ListSSHPublicKeys and (or) ListUserTags for one user. */
static int
list_keys_task(size_t i, struct aws_http *h, void *arg)
{
    struct keys_job *j = arg;
    size_t u = j->users[i];
    struct tags_ctx x = { j->o->tag_prefix, j->f->users[u].user_name,
                          &j->f->keys[u] };
    struct fetch_lister l = {
        "ListSSHPublicKeys",    "UserName", j->f->users[u].user_name,
        &j->f->list_keys_calls, take_keys,  &j->f->keys[u]
    };
    struct fetch_lister lt = {
        "ListUserTags",         "UserName", j->f->users[u].user_name,
        &j->f->list_tags_calls, take_tags,  &x
    };
    char code[64] = "";
    int r = 0;

    if (j->what[i] & FETCH_READ_KEYS)
        r = fetch_list_all(j->o->iam, h, &l, code, sizeof(code));
    if (r >= 0 && j->o->tag_prefix && (j->what[i] & FETCH_READ_TAGS))
        r = fetch_list_all(j->o->iam, h, &lt, code, sizeof(code));
    /* Deleted since ListUsers ran: no keys, and gone at the next sync. */
    if (r == -EREMOTEIO && strcmp(code, "NoSuchEntity") == 0)
        r = 0;
    return r;
}

/*
 * TAG_KEYS_SOURCE=GetAccountAuthorizationDetails: the tags of every user
 * in a few pages of up to 1000 users, instead of one ListUserTags a user.
 * The parser keeps only the wanted users' tags under the prefix; each
 * page is dropped once its keys are attached, as ListUserTags' are.
 */
struct gaad_ctx {
    const char *prefix;
    struct fetch *f;
    size_t *by_id; /* fetch_users_by_id() */
    bool *seen;    /* per user: a page named it already */
};

static bool
gaad_keep_user(void *arg, const char *user_id)
{
    const struct gaad_ctx *x = arg;
    long u = fetch_user_index(x->f, x->by_id, user_id);

    /* A user created after ListUsers ran: next sync sees them. */
    return u >= 0 && x->f->wanted[u];
}

static bool
gaad_keep_tag(void *arg, const char *user_name, const char *key,
              const char *value)
{
    const struct gaad_ctx *x = arg;

    if (tag_keys_name_matches(x->prefix, key))
        return true;
    warn_look_alike(x->prefix, user_name, key, value);
    return false;
}

/* The tags of one kept user, as ListUserTags' would be. */
static int
gaad_attach(struct gaad_ctx *x, struct aws_iam_json_gaad_user *gu)
{
    long u = fetch_user_index(x->f, x->by_id, gu->user_id);
    struct aws_iam_json_tag_page tags = { gu->tags, gu->n_tags, false, NULL };
    struct tags_ctx t;

    if (u < 0)
        return 0; /* the filter kept it, so it cannot be */
    /* Twice in one listing: the pages are not one consistent view. */
    if (x->seen[u]) {
        iam_log(LOG_ERR,
                "GetAccountAuthorizationDetails: IAM user %s on two "
                "pages: refusing a listing that is not one view",
                gu->user_name);
        return -EPROTO;
    }
    x->seen[u] = true;
    t.prefix = x->prefix;
    t.user_name = x->f->users[u].user_name;
    t.uk = &x->f->keys[u];
    return add_tags(&t, &tags);
}

static int
take_gaad(void *arg, const struct aws_http_response *resp, bool *ret_truncated,
          char **ret_marker)
{
    struct gaad_ctx *x = arg;
    struct aws_iam_json_gaad_filter flt = { gaad_keep_user, gaad_keep_tag, x };
    struct aws_iam_json_gaad_page *page = NULL;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    size_t i;
    int r;

    r = aws_iam_json_get_account_authorization_details(
        resp->body, resp->body_len, &flt, perr, sizeof(perr), NULL, &page);
    if (r < 0)
        return fetch_parse_failed("GetAccountAuthorizationDetails", perr);
    for (i = 0; r >= 0 && i < page->n_users; i++)
        r = gaad_attach(x, &page->users[i]);
    if (r >= 0) {
        *ret_truncated = page->is_truncated;
        *ret_marker = page->marker;
        page->marker = NULL;
    }
    aws_iam_json_gaad_page_free(page);
    return r;
}

static int
gaad_all_tags(const struct fetch_opts *o, struct fetch *f)
{
    struct gaad_ctx x = { o->tag_prefix, f, NULL, NULL };
    struct fetch_lister l = { "GetAccountAuthorizationDetails",
                              "Filter.member.1",
                              "User",
                              &f->gaad_calls,
                              take_gaad,
                              &x };
    struct aws_http h;
    char code[64] = "";
    int r;

    phase(o, "GetAccountAuthorizationDetails", 0);
    x.by_id = fetch_users_by_id(f);
    x.seen = calloc(f->n_users + 1, sizeof(*x.seen));
    r = x.by_id && x.seen ? aws_http_init(&h) : -ENOMEM;
    if (r >= 0) {
        r = fetch_list_all(o->iam, &h, &l, code, sizeof(code));
        aws_http_destroy(&h);
    }
    if (r == -EREMOTEIO && strcmp(code, "AccessDenied") == 0)
        iam_log(LOG_ERR,
                "TAG_KEYS_SOURCE=GetAccountAuthorizationDetails needs "
                "iam:GetAccountAuthorizationDetails, which the policy does "
                "not allow (see policy/iam-ssh-policy-gaad.json), or "
                "TAG_KEYS_SOURCE=ListUserTags");
    free(x.seen);
    free(x.by_id);
    return r;
}

/* A key whose body must be fetched: (user index, key index). */
struct key_ref {
    size_t user;
    size_t key;
};

struct bodies_job {
    const struct fetch_opts *o;
    struct fetch *f;
    struct key_ref *refs;
};

static int
get_key_task(size_t i, struct aws_http *h, void *arg)
{
    struct bodies_job *j = arg;
    struct fetch_key *k = &j->f->keys[j->refs[i].user].v[j->refs[i].key];
    const char *name = j->f->users[j->refs[i].user].user_name;
    const char *params[] = { "UserName", name,       "SSHPublicKeyId",
                             k->key_id,  "Encoding", "SSH",
                             NULL };
    struct aws_iam_json_ssh_key *key = NULL;
    struct aws_http_response resp;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE], code[64];
    int r;

    r = fetch_call(j->o->iam, h, "GetSSHPublicKey", params, &resp, code,
                   sizeof(code));
    if (r == -EREMOTEIO && strcmp(code, "NoSuchEntity") == 0)
        return 0; /* deleted meanwhile: stays without a body, not served */
    if (r < 0)
        return r;
    __atomic_add_fetch(&j->f->get_key_calls, 1, __ATOMIC_RELAXED);
    r = aws_iam_json_get_ssh_public_key(resp.body, resp.body_len, perr,
                                        sizeof(perr), NULL, &key);
    aws_http_response_free(&resp);
    if (r < 0)
        return fetch_parse_failed("GetSSHPublicKey", perr);
    k->body = key->ssh_public_key_body;
    key->ssh_public_key_body = NULL;
    aws_iam_json_ssh_key_free(key);
    return 0;
}

int
fetch_read_users(const struct fetch_opts *o, struct fetch *f,
                 const size_t *users, const unsigned *what, size_t n)
{
    struct keys_job j = { o, f, users, what };

    return pool_run(n, o->concurrency, list_keys_task, &j);
}

/* ListSSHPublicKeys (and ListUserTags, unless the tags come from
 * GetAccountAuthorizationDetails) for each wanted user. */
static int
list_all_keys(const struct fetch_opts *o, struct fetch *f)
{
    unsigned each = FETCH_READ_KEYS;
    unsigned *what;
    size_t *users, i, n = 0;
    int r;

    if (o->tag_prefix && !o->tags_from_gaad)
        each |= FETCH_READ_TAGS;
    f->keys = calloc(f->n_users + 1, sizeof(*f->keys));
    users = malloc((f->n_users + 1) * sizeof(*users));
    what = malloc((f->n_users + 1) * sizeof(*what));
    r = f->keys && users && what ? 0 : -ENOMEM;
    for (i = 0; r >= 0 && i < f->n_users; i++) {
        if (f->wanted[i]) {
            users[n] = i;
            what[n++] = each;
        }
    }
    if (r >= 0) {
        phase(o, "ListSSHPublicKeys", n);
        r = fetch_read_users(o, f, users, what, n);
    }
    free(users);
    free(what);
    return r;
}

/* Bodies: from the previous snapshot when known, else GetSSHPublicKey. */
int
fetch_read_bodies(const struct fetch_opts *o, struct fetch *f)
{
    struct bodies_job j = { o, f, NULL };
    size_t u, k, n = 0, total = 0;
    int r;

    for (u = 0; u < f->n_users; u++)
        total += f->keys[u].n;
    j.refs = malloc((total + 1) * sizeof(*j.refs));
    if (!j.refs)
        return -ENOMEM;
    for (u = 0; u < f->n_users; u++) {
        for (k = 0; k < f->keys[u].n; k++) {
            if (f->keys[u].v[k].body)
                continue; /* a tag's: the tag holds it */
            /* Moved, not copied: the previous lines are wanted once. */
            f->keys[u].v[k].body =
                known_keys_take(o->known, f->keys[u].v[k].key_id);
            if (f->keys[u].v[k].body)
                continue;
            j.refs[n].user = u;
            j.refs[n].key = k;
            n++;
        }
    }
    if (n > 0)
        phase(o, "GetSSHPublicKey", n);
    r = pool_run(n, o->concurrency, get_key_task, &j);
    free(j.refs);
    return r;
}

/*
 * Keys from tags have no upload date: they get the first time a sync saw
 * them (the previous snapshot's date for that user and key), or now.
 */
void
fetch_date_tag_keys(const struct fetch_opts *o, struct fetch *f, size_t u)
{
    struct iam_keyline parsed;
    struct fetch_key *fk;
    char line[AWS_IAM_JSON_TAG_VALUE_MAX + 1];
    int64_t first;
    size_t k;
    int reason;

    for (k = 0; k < f->keys[u].n; k++) {
        fk = &f->keys[u].v[k];
        if (!tag_keys_is_id(fk->key_id))
            continue;
        fk->upload_date = o->now;
        if (o->known &&
            iam_keyline_parse(fk->body, strlen(fk->body), line, sizeof(line),
                              &parsed, &reason) == 0 &&
            tag_seen_first(&o->known->seen, f->users[u].user_id,
                           parsed.fingerprint, &first))
            fk->upload_date = (time_t)first;
    }
}

static void
date_tag_keys(const struct fetch_opts *o, struct fetch *f)
{
    size_t u;

    for (u = 0; u < f->n_users; u++)
        fetch_date_tag_keys(o, f, u);
}

int
fetch_all(const struct fetch_opts *o, struct fetch *ret)
{
    struct aws_http h;
    int r;

    memset(ret, 0, sizeof(*ret));
    r = aws_http_init(&h);
    if (r < 0)
        return r;
    phase(o, "ListUsers", 0);
    r = list_users(o, &h, ret);
    phase(o, "GetGroup", o->authorized_groups->n + o->sudoers_groups->n);
    if (r >= 0)
        r = get_groups(o, &h, ret);
    aws_http_destroy(&h);
    if (r >= 0)
        r = fetch_mark_authorized(ret, o->authorized_groups);
    if (r >= 0 && o->select)
        r = o->select(ret, o->select_arg);
    /* After the select: a shared account's member whose own name is
     * refused here still opens the shared account. */
    if (r >= 0)
        fetch_mark_shared(ret, o->shared_accounts);
    if (r >= 0)
        r = list_all_keys(o, ret);
    if (r >= 0 && o->tag_prefix && o->tags_from_gaad)
        r = gaad_all_tags(o, ret);
    if (r >= 0)
        r = fetch_read_bodies(o, ret);
    if (r >= 0 && o->tag_prefix)
        date_tag_keys(o, ret);
    /* The counters say what the failed run cost; keep them. */
    if (r < 0)
        fetch_free_keep_counts(ret);
    return r;
}

void
fetch_free_keep_counts(struct fetch *f)
{
    struct fetch counts = *f;

    fetch_free(f);
    f->list_users_calls = counts.list_users_calls;
    f->get_group_calls = counts.get_group_calls;
    f->list_keys_calls = counts.list_keys_calls;
    f->get_key_calls = counts.get_key_calls;
    f->list_tags_calls = counts.list_tags_calls;
    f->gaad_calls = counts.gaad_calls;
    f->get_user_calls = counts.get_user_calls;
}

unsigned long
fetch_calls(const struct fetch *f)
{
    return f->list_users_calls + f->get_group_calls + f->list_keys_calls +
           f->get_key_calls + f->list_tags_calls + f->gaad_calls +
           f->get_user_calls;
}

void
fetch_free(struct fetch *f)
{
    size_t i, k;

    for (i = 0; f->keys && i < f->n_users; i++) {
        for (k = 0; k < f->keys[i].n; k++) {
            free(f->keys[i].v[k].key_id);
            free(f->keys[i].v[k].body);
        }
        free(f->keys[i].v);
    }
    free(f->keys);
    for (i = 0; i < f->n_groups; i++) {
        free(f->groups[i].name);
        free(f->groups[i].group_id);
        free(f->groups[i].members);
    }
    free(f->groups);
    free(f->authorized);
    free(f->wanted);
    for (i = 0; f->users && i < f->n_users; i++) {
        free(f->users[i].user_name);
        free(f->users[i].user_id);
        free(f->users[i].arn);
        free(f->users[i].path);
    }
    free(f->users);
    memset(f, 0, sizeof(*f));
}

static int
cmp_known(const void *a, const void *b)
{
    return strcmp(((const struct known_key *)a)->key_id,
                  ((const struct known_key *)b)->key_id);
}

const char *
known_keys_find(const struct known_keys *k, const char *key_id)
{
    struct known_key probe = { (char *)key_id, NULL }, *hit;

    if (!k || k->n == 0)
        return NULL;
    hit = bsearch(&probe, k->v, k->n, sizeof(*k->v), cmp_known);
    return hit ? hit->line : NULL;
}

char *
known_keys_take(struct known_keys *k, const char *key_id)
{
    struct known_key probe = { (char *)key_id, NULL }, *hit;
    char *line;

    if (!k || k->n == 0)
        return NULL;
    hit = bsearch(&probe, k->v, k->n, sizeof(*k->v), cmp_known);
    if (!hit)
        return NULL;
    line = hit->line;
    hit->line = NULL;
    return line;
}

void
known_keys_sort(struct known_keys *k)
{
    qsort(k->v, k->n, sizeof(*k->v), cmp_known);
    tag_seen_sort(&k->seen);
}

void
known_keys_free(struct known_keys *k)
{
    size_t i;

    for (i = 0; i < k->n; i++) {
        free(k->v[i].key_id);
        free(k->v[i].line);
    }
    free(k->v);
    k->v = NULL;
    k->n = 0;
    tag_seen_free(&k->seen);
}
