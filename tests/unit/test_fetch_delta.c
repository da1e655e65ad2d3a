/*
 * sync/fetch_delta.c and sync/fetch_drift.c: a fetch brought up to date
 * by the hints of IAM's events, against a full fetch of the same account.
 *
 * IAM is a small in-memory account behind a fake transport (struct
 * aws_client_io): it answers ListUsers, GetUser, GetGroup,
 * ListSSHPublicKeys, GetSSHPublicKey, ListUserTags and
 * GetAccountAuthorizationDetails from its state, in IAM's JSON, counts
 * each action, and can be told to refuse one. Each case fetches the
 * account whole, changes it as an IAM write would, applies the hints
 * that write's event gives, and checks
 *   - exactly which calls the delta made, and
 *   - that the result is what fetch_all() reads from the changed account:
 *     fetch_drift() finds nothing, and a dump of everything the fetch
 *     holds (users, flags, groups, members, keys, bodies, dates) is equal.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "fetch.h"
#include "fetch_delta.h"

#define NOW 1764000000
#define LATER (NOW + 86400)

#define ED1                                                                    \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlasiG8Uknsh5Meyoarhu5VfR6LEtcL3"    \
    "S6LVKw+6LAa"
#define ED2                                                                    \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUsLy3vUVZm8sy9hPxVUzhTtJwTl6JOYl"   \
    "BNhhaXn6Cc"

/* ---- the account ---- */

#ifndef MAX_USERS /* a bench may want more */
#define MAX_USERS 16
#endif
#define MAX_KEYS 4
#define MAX_TAGS 4
#define MAX_GROUPS 4
#define MAX_MEMBERS MAX_USERS

struct fk_key {
    char id[32];
    char body[160];
    bool inactive;
    bool vanishes; /* listed, but GetSSHPublicKey says NoSuchEntity */
};

struct fk_tag {
    char key[32];
    char value[160];
};

struct fk_user {
    bool exists;
    char name[65];
    char id[32];
    char path[32];
    long created;
    struct fk_key keys[MAX_KEYS];
    int n_keys;
    struct fk_tag tags[MAX_TAGS];
    int n_tags;
};

struct fk_group {
    bool exists;
    char name[32];
    char id[32];
    int members[MAX_MEMBERS]; /* user slots */
    int n_members;
};

enum action {
    A_LIST_USERS,
    A_GET_USER,
    A_GET_GROUP,
    A_LIST_KEYS,
    A_GET_KEY,
    A_LIST_TAGS,
    A_GAAD,
    A_N,
};

static const char *const action_names[A_N] = {
    "ListUsers",
    "GetUser",
    "GetGroup",
    "ListSSHPublicKeys",
    "GetSSHPublicKey",
    "ListUserTags",
    "GetAccountAuthorizationDetails",
};

struct iam {
    pthread_mutex_t lock;
    struct fk_user users[MAX_USERS];
    int n_users;
    struct fk_group groups[MAX_GROUPS];
    int n_groups;
    unsigned long calls[A_N];
    int refuse; /* an action answered AccessDenied, or -1 */
    unsigned next_id;
};

static struct iam iam;

static struct fk_user *
user_named(const char *name)
{
    int i;

    for (i = 0; i < iam.n_users; i++)
        if (iam.users[i].exists && strcasecmp(iam.users[i].name, name) == 0)
            return &iam.users[i];
    return NULL;
}

static struct fk_group *
group_named(const char *name)
{
    int i;

    for (i = 0; i < iam.n_groups; i++)
        if (iam.groups[i].exists && strcasecmp(iam.groups[i].name, name) == 0)
            return &iam.groups[i];
    return NULL;
}

/* CreateUser: a new slot, a new id. */
static struct fk_user *
create_user(const char *name)
{
    struct fk_user *u = &iam.users[iam.n_users++];

    assert_true(iam.n_users <= MAX_USERS);
    memset(u, 0, sizeof(*u));
    u->exists = true;
    snprintf(u->name, sizeof(u->name), "%s", name);
    snprintf(u->id, sizeof(u->id), "AIDA%04u", iam.next_id++);
    snprintf(u->path, sizeof(u->path), "/");
    u->created = NOW - 1000 + (long)iam.n_users;
    return u;
}

static void
delete_user(const char *name)
{
    struct fk_user *u = user_named(name);
    int g, k, slot = (int)(u - iam.users);

    for (g = 0; g < iam.n_groups; g++)
        for (k = 0; k < iam.groups[g].n_members; k++)
            if (iam.groups[g].members[k] == slot)
                iam.groups[g].members[k--] =
                    iam.groups[g].members[--iam.groups[g].n_members];
    u->exists = false;
}

static struct fk_group *
create_group(const char *name)
{
    struct fk_group *g = &iam.groups[iam.n_groups++];

    assert_true(iam.n_groups <= MAX_GROUPS);
    memset(g, 0, sizeof(*g));
    g->exists = true;
    snprintf(g->name, sizeof(g->name), "%s", name);
    snprintf(g->id, sizeof(g->id), "AGPA%04u", iam.next_id++);
    return g;
}

static void
add_to_group(const char *group, const char *user)
{
    struct fk_group *g = group_named(group);

    g->members[g->n_members++] = (int)(user_named(user) - iam.users);
}

static void
remove_from_group(const char *group, const char *user)
{
    struct fk_group *g = group_named(group);
    int k, slot = (int)(user_named(user) - iam.users);

    for (k = 0; k < g->n_members; k++)
        if (g->members[k] == slot)
            g->members[k--] = g->members[--g->n_members];
}

static struct fk_key *
upload_key(const char *user, const char *body)
{
    struct fk_user *u = user_named(user);
    struct fk_key *k = &u->keys[u->n_keys++];

    assert_true(u->n_keys <= MAX_KEYS);
    memset(k, 0, sizeof(*k));
    snprintf(k->id, sizeof(k->id), "APKA%04u", iam.next_id++);
    snprintf(k->body, sizeof(k->body), "%s", body);
    return k;
}

static void
delete_key(const char *user, int i)
{
    struct fk_user *u = user_named(user);

    u->keys[i] = u->keys[--u->n_keys];
}

static void
tag_user(const char *user, const char *key, const char *value)
{
    struct fk_user *u = user_named(user);
    struct fk_tag *t = &u->tags[u->n_tags++];

    assert_true(u->n_tags <= MAX_TAGS);
    snprintf(t->key, sizeof(t->key), "%s", key);
    snprintf(t->value, sizeof(t->value), "%s", value);
}

/*
 * The account every case starts from:
 *   ssh (IAM_AUTHORIZED_GROUPS): alice (2 keys), bob (1 key)
 *   admins (SUDOERS_GROUPS): alice, carol (1 key; not authorized)
 *   other (not configured): dave (1 key)
 *   erin: in no group, 1 key
 */
static void
seed(void)
{
    memset(&iam.users, 0, sizeof(iam.users));
    memset(&iam.groups, 0, sizeof(iam.groups));
    iam.n_users = 0;
    iam.n_groups = 0;
    iam.next_id = 1000;
    iam.refuse = -1;
    memset(iam.calls, 0, sizeof(iam.calls));
    create_user("alice");
    create_user("bob");
    create_user("carol");
    create_user("dave");
    create_user("erin");
    create_group("ssh");
    create_group("admins");
    create_group("other");
    add_to_group("ssh", "alice");
    add_to_group("ssh", "bob");
    add_to_group("admins", "alice");
    add_to_group("admins", "carol");
    add_to_group("other", "dave");
    upload_key("alice", "ssh-rsa AAAAalice0");
    upload_key("alice", "ssh-rsa AAAAalice1");
    upload_key("bob", "ssh-rsa AAAAbob0");
    upload_key("carol", "ssh-rsa AAAAcarol0");
    upload_key("dave", "ssh-rsa AAAAdave0");
    upload_key("erin", "ssh-rsa AAAAerin0");
    tag_user("alice", "ssh-key", ED1);
    tag_user("alice", "team", "blue");
    tag_user("bob", "ssh-key-laptop", ED2);
}

/* ---- the transport: IAM's JSON answers ---- */

static char *
param(const char *body, const char *name)
{
    size_t n = strlen(name);
    const char *p = body, *end;
    char *v, *o;

    while (p && *p) {
        end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            v = calloc((size_t)(end - p), 1);
            assert_non_null(v);
            for (p += n + 1, o = v; p < end; p++) {
                unsigned c;

                if (*p == '%' && sscanf(p + 1, "%2x", &c) == 1) {
                    *o++ = (char)c;
                    p += 2;
                } else {
                    *o++ = *p == '+' ? ' ' : *p;
                }
            }
            return v;
        }
        p = *end ? end + 1 : NULL;
    }
    return NULL;
}

static json_object *
user_json(const struct fk_user *u)
{
    json_object *o = json_object_new_object();
    char arn[128];

    snprintf(arn, sizeof(arn), "arn:aws:iam::123456789012:user%s%s", u->path,
             u->name);
    json_object_object_add(o, "UserName", json_object_new_string(u->name));
    json_object_object_add(o, "UserId", json_object_new_string(u->id));
    json_object_object_add(o, "Arn", json_object_new_string(arn));
    json_object_object_add(o, "Path", json_object_new_string(u->path));
    json_object_object_add(o, "CreateDate", json_object_new_int64(u->created));
    return o;
}

static json_object *
tags_json(const struct fk_user *u)
{
    json_object *a = json_object_new_array();
    int i;

    for (i = 0; i < u->n_tags; i++) {
        json_object *t = json_object_new_object();

        json_object_object_add(t, "Key",
                               json_object_new_string(u->tags[i].key));
        json_object_object_add(t, "Value",
                               json_object_new_string(u->tags[i].value));
        json_object_array_add(a, t);
    }
    return a;
}

/* {"<A>Response": {"<A>Result": @result}}, every list on one page. */
static char *
envelope(const char *action, json_object *result)
{
    json_object *root = json_object_new_object();
    json_object *resp = json_object_new_object();
    char key[96];
    char *s;

    if (json_object_object_get_ex(result, "IsTruncated", NULL) == 0 &&
        strcmp(action, "GetUser") != 0 &&
        strcmp(action, "GetSSHPublicKey") != 0)
        json_object_object_add(result, "IsTruncated",
                               json_object_new_boolean(0));
    snprintf(key, sizeof(key), "%sResult", action);
    json_object_object_add(resp, key, result);
    snprintf(key, sizeof(key), "%sResponse", action);
    json_object_object_add(root, key, resp);
    s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return s;
}

static json_object *
answer_list_users(void)
{
    json_object *r = json_object_new_object(), *a = json_object_new_array();
    int i;

    for (i = 0; i < iam.n_users; i++)
        if (iam.users[i].exists)
            json_object_array_add(a, user_json(&iam.users[i]));
    json_object_object_add(r, "Users", a);
    return r;
}

static json_object *
answer_get_group(const struct fk_group *g)
{
    json_object *r = json_object_new_object(), *a = json_object_new_array();
    json_object *go = json_object_new_object();
    int k;

    json_object_object_add(go, "GroupName", json_object_new_string(g->name));
    json_object_object_add(go, "GroupId", json_object_new_string(g->id));
    json_object_object_add(r, "Group", go);
    for (k = 0; k < g->n_members; k++)
        json_object_array_add(a, user_json(&iam.users[g->members[k]]));
    json_object_object_add(r, "Users", a);
    return r;
}

static json_object *
key_json(const struct fk_user *u, const struct fk_key *k, bool body)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "UserName", json_object_new_string(u->name));
    json_object_object_add(o, "SSHPublicKeyId", json_object_new_string(k->id));
    json_object_object_add(
        o, "Status",
        json_object_new_string(k->inactive ? "Inactive" : "Active"));
    json_object_object_add(o, "UploadDate", json_object_new_int64(NOW - 500));
    if (body)
        json_object_object_add(o, "SSHPublicKeyBody",
                               json_object_new_string(k->body));
    return o;
}

static json_object *
answer_list_keys(const struct fk_user *u)
{
    json_object *r = json_object_new_object(), *a = json_object_new_array();
    int i;

    for (i = 0; i < u->n_keys; i++)
        json_object_array_add(a, key_json(u, &u->keys[i], false));
    json_object_object_add(r, "SSHPublicKeys", a);
    return r;
}

static json_object *
answer_gaad(void)
{
    json_object *r = json_object_new_object(), *a = json_object_new_array();
    int i;

    for (i = 0; i < iam.n_users; i++) {
        json_object *o;

        if (!iam.users[i].exists)
            continue;
        o = user_json(&iam.users[i]);
        json_object_object_add(o, "Tags", tags_json(&iam.users[i]));
        json_object_array_add(a, o);
    }
    json_object_object_add(r, "UserDetailList", a);
    return r;
}

static const struct fk_key *
key_of(const struct fk_user *u, const char *id)
{
    int i;

    for (i = 0; id && i < u->n_keys; i++)
        if (strcmp(u->keys[i].id, id) == 0)
            return &u->keys[i];
    return NULL;
}

#define ERROR_DOC(code)                                                        \
    "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"" code "\",\"Message\":"       \
    "\"m\"},\"RequestId\":\"r\"}"

/* The answer to @a with the request's @body, or NULL for NoSuchEntity. */
static json_object *
answer(enum action a, const char *body)
{
    char *name = param(body, a == A_GET_GROUP ? "GroupName" : "UserName");
    char *key_id = param(body, "SSHPublicKeyId");
    const struct fk_user *u = name ? user_named(name) : NULL;
    const struct fk_group *g = name ? group_named(name) : NULL;
    json_object *r = NULL, *o;

    if (a == A_LIST_USERS) {
        r = answer_list_users();
    } else if (a == A_GAAD) {
        r = answer_gaad();
    } else if (a == A_GET_GROUP) {
        r = g ? answer_get_group(g) : NULL;
    } else if (u && a == A_GET_USER) {
        r = json_object_new_object();
        o = user_json(u);
        json_object_object_add(o, "Tags", tags_json(u));
        json_object_object_add(r, "User", o);
    } else if (u && a == A_LIST_KEYS) {
        r = answer_list_keys(u);
    } else if (u && a == A_LIST_TAGS) {
        r = json_object_new_object();
        json_object_object_add(r, "Tags", tags_json(u));
    } else if (u && a == A_GET_KEY && key_of(u, key_id) &&
               !key_of(u, key_id)->vanishes) {
        r = json_object_new_object();
        json_object_object_add(r, "SSHPublicKey",
                               key_json(u, key_of(u, key_id), true));
    }
    free(name);
    free(key_id);
    return r;
}

static int
fake_request(void *ctx, struct aws_http *h, const struct aws_http_request *req,
             struct aws_http_response *ret)
{
    char *body = strndup(req->body, req->body_len);
    char *action = param(body, "Action");
    json_object *result;
    int a;

    (void)ctx;
    (void)h;
    memset(ret, 0, sizeof(*ret));
    for (a = 0; a < A_N; a++)
        if (strcmp(action, action_names[a]) == 0)
            break;
    assert_true(a < A_N);
    pthread_mutex_lock(&iam.lock);
    iam.calls[a]++;
    if (a == iam.refuse) {
        ret->status = 403;
        ret->body = strdup(ERROR_DOC("AccessDenied"));
    } else {
        result = answer((enum action)a, body);
        ret->status = result ? 200 : 404;
        ret->body = result ? envelope(action, result)
                           : strdup(ERROR_DOC("NoSuchEntity"));
    }
    pthread_mutex_unlock(&iam.lock);
    ret->body_len = strlen(ret->body);
    free(action);
    free(body);
    return 0;
}

static int64_t
fake_now(void *ctx)
{
    (void)ctx;
    return 1000;
}

static void
fake_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    (void)ms;
}

/* ---- the options a publisher passes ---- */

static struct aws_client_io io = { fake_request, fake_now, fake_sleep, NULL };
static struct aws_client client;
static char *auth_v[] = { "ssh" }, *sudo_v[] = { "admins" };
static struct iam_strlist auth = { auth_v, 1 }, sudo = { sudo_v, 1 };
static struct iam_strlist nobody = { NULL, 0 };
/* SHARED_ACCOUNTS="deploy:other": the members of "other" get their keys
 * read (for the shared account), without being authorized. */
static char *shared_right[] = { "other" };
static struct iam_map_entry shared_entry = { "deploy", { shared_right, 1 } };
static struct iam_map shared = { &shared_entry, 1, NULL };

/* The select a sync passes: refuses a name here (erin), whose keys are
 * then never read. */
static int
refuse_erin(struct fetch *f, void *arg)
{
    size_t i;

    (void)arg;
    for (i = 0; i < f->n_users; i++)
        if (strcmp(f->users[i].user_name, "erin") == 0)
            f->wanted[i] = false;
    return 0;
}

static struct fetch_opts
opts(bool everyone, const char *tag_prefix, bool gaad)
{
    struct fetch_opts o;

    memset(&o, 0, sizeof(o));
    o.iam = &client;
    o.concurrency = 2;
    o.authorized_groups = everyone ? &nobody : &auth;
    o.sudoers_groups = &sudo;
    o.tag_prefix = tag_prefix;
    o.tags_from_gaad = gaad;
    o.now = NOW;
    return o;
}

static int
setup(void **state)
{
    struct aws_client_opts o;
    struct aws_creds creds;

    (void)state;
    pthread_mutex_init(&iam.lock, NULL);
    memset(&o, 0, sizeof(o));
    o.endpoint = "https://iam.amazonaws.com";
    o.region = "us-east-1";
    o.service = "iam";
    o.version = "2010-05-08";
    o.json = true;
    o.timeout_ms = 2000;
    o.max_attempts = 1;
    o.io = &io;
    aws_creds_init(&creds);
    if (aws_creds_set("AKIDEXAMPLE", "secret", NULL, 0, AWS_CREDS_ENV, &creds) <
            0 ||
        aws_client_init(&client, &o, &creds) < 0)
        return -1;
    aws_creds_reset(&creds);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    aws_client_destroy(&client);
    pthread_mutex_destroy(&iam.lock);
    return 0;
}

/* ---- comparing fetches ---- */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines sorted and joined: an order-free picture of a set. */
static char *
joined(char **lines, size_t n)
{
    size_t i, len = 1;
    char *s, *end;

    if (n > 0)
        qsort(lines, n, sizeof(*lines), cmp_str);
    for (i = 0; i < n; i++)
        len += strlen(lines[i]) + 1;
    s = calloc(len, 1);
    assert_non_null(s);
    end = s;
    for (i = 0; i < n; i++) {
        end = stpcpy(stpcpy(end, lines[i]), "\n");
        free(lines[i]);
    }
    return s;
}

/*
 * Everything a fetch holds but its order: each user (id, name, path, arn,
 * date, authorized, wanted) with its keys (id, status, date, body), each
 * group (name, id, flags) with its members' ids, in configuration order.
 */
static char *
dump(const struct fetch *f)
{
    char **lines = calloc(f->n_users + f->n_groups + 64, sizeof(*lines));
    char **keys, *k, *s;
    size_t i, j, n = 0;

    assert_non_null(lines);
    for (i = 0; i < f->n_users; i++) {
        const struct aws_iam_json_user *u = &f->users[i];

        keys = calloc(f->keys[i].n + 1, sizeof(*keys));
        for (j = 0; j < f->keys[i].n; j++)
            assert_true(asprintf(&keys[j], "  %s %d %lld %s",
                                 f->keys[i].v[j].key_id, f->keys[i].v[j].status,
                                 (long long)f->keys[i].v[j].upload_date,
                                 f->keys[i].v[j].body ? f->keys[i].v[j].body
                                                      : "(none)") > 0);
        k = joined(keys, f->keys[i].n);
        free(keys);
        assert_true(asprintf(&lines[n++], "user %s %s %s %s %lld a=%d w=%d\n%s",
                             u->user_id, u->user_name, u->path,
                             u->arn ? u->arn : "-", (long long)u->create_date,
                             f->authorized[i], f->wanted[i], k) > 0);
        free(k);
    }
    s = joined(lines, n);
    free(lines);
    for (i = 0; i < f->n_groups; i++) {
        const struct fetch_group *g = &f->groups[i];
        char **m = calloc(g->n_members + 1, sizeof(*m)), *ms, *line, *all;

        for (j = 0; j < g->n_members; j++)
            m[j] = strdup(f->users[g->members[j]].user_id);
        ms = joined(m, g->n_members);
        free(m);
        assert_true(asprintf(&line, "group %s %s a=%d m=%d\n%s", g->name,
                             g->group_id ? g->group_id : "-", g->authorized,
                             g->mapped_only, ms) > 0);
        assert_true(asprintf(&all, "%s%s", s, line) > 0);
        free(s);
        free(line);
        free(ms);
        s = all;
    }
    return s;
}

static void
reset_calls(void)
{
    memset(iam.calls, 0, sizeof(iam.calls));
}

/* The counts of the delta, as the fake saw them and as it says. */
struct calls {
    unsigned long get_user, get_group, list_keys, get_key, list_tags, total;
};

static void
assert_calls(const struct fetch *d, struct calls want)
{
    unsigned long seen = 0;
    int a;

    for (a = 0; a < A_N; a++)
        seen += iam.calls[a];
    assert_int_equal(iam.calls[A_LIST_USERS], 0);
    assert_int_equal(iam.calls[A_GAAD], 0);
    assert_int_equal(iam.calls[A_GET_USER], want.get_user);
    assert_int_equal(iam.calls[A_GET_GROUP], want.get_group);
    assert_int_equal(iam.calls[A_LIST_KEYS], want.list_keys);
    assert_int_equal(iam.calls[A_GET_KEY], want.get_key);
    assert_int_equal(iam.calls[A_LIST_TAGS], want.list_tags);
    assert_int_equal(seen, want.get_user + want.get_group + want.list_keys +
                               want.get_key + want.list_tags);
    /* What the delta counted is what it cost. */
    assert_int_equal(d->get_user_calls, want.get_user);
    assert_int_equal(d->get_group_calls, want.get_group);
    assert_int_equal(d->list_keys_calls, want.list_keys);
    assert_int_equal(d->get_key_calls, want.get_key);
    assert_int_equal(d->list_tags_calls, want.list_tags);
    assert_int_equal(d->list_users_calls + d->gaad_calls, 0);
    assert_int_equal(fetch_calls(d), seen);
}

/* @d equals what a full fetch of the account reads now. */
static void
assert_as_full(const struct fetch_opts *o, const struct fetch *d)
{
    struct fetch full;
    struct fetch_drift drift;
    char *a, *b;

    assert_int_equal(fetch_all(o, &full), 0);
    assert_int_equal(fetch_drift(d, &full, &drift), 0);
    assert_int_equal(drift.users, 0);
    assert_int_equal(drift.members, 0);
    assert_int_equal(drift.keys, 0);
    assert_int_equal(fetch_drift_total(&drift), 0);
    a = dump(d);
    b = dump(&full);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fetch_free(&full);
}

/* ---- the hints ---- */

static struct event_hint hint_v[8];
static struct event_hints hints;

static void
hints_set(int n, ...)
{
    va_list ap;
    int i;

    va_start(ap, n);
    for (i = 0; i < n; i++) {
        hint_v[i].kind = va_arg(ap, enum event_kind);
        hint_v[i].name = va_arg(ap, char *);
    }
    va_end(ap);
    memset(&hints, 0, sizeof(hints));
    hints.v = hint_v;
    hints.n = (size_t)n;
}

/* A full fetch of the seeded account, the calls then counted afresh. */
static void
start(const struct fetch_opts *o, struct fetch *prev)
{
    seed();
    assert_int_equal(fetch_all(o, prev), 0);
    reset_calls();
}

/* The delta of the hints set; its calls are checked, then its result. */
static void
delta_as_full(const struct fetch_opts *o, const struct fetch *prev,
              struct calls want, struct fetch *ret)
{
    assert_int_equal(fetch_delta(o, prev, &hints, ret), 0);
    assert_calls(ret, want);
    assert_as_full(o, ret);
}

static long
index_of(const struct fetch *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n_users; i++)
        if (strcmp(f->users[i].user_name, name) == 0)
            return (long)i;
    return -1;
}

static bool
is_member(const struct fetch *f, const char *group, const char *name)
{
    const struct fetch_group *g = fetch_group_find(f, group);
    long u = index_of(f, name);
    size_t k;

    for (k = 0; g && u >= 0 && k < g->n_members; k++)
        if (g->members[k] == (size_t)u)
            return true;
    return false;
}

/* ---- keys(user) ---- */

static void
test_key_deleted(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    delete_key("alice", 0);
    hints_set(1, EVENT_USER_KEYS, "alice");
    delta_as_full(&o, &prev, (struct calls){ .list_keys = 1 }, &d);
    assert_int_equal(d.keys[index_of(&d, "alice")].n, 1);
    fetch_free(&d);
    fetch_free(&prev);
}

static void
test_key_uploaded(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    upload_key("bob", "ssh-rsa AAAAbob1");
    hints_set(1, EVENT_USER_KEYS, "bob");
    delta_as_full(&o, &prev, (struct calls){ .list_keys = 1, .get_key = 1 },
                  &d);
    assert_int_equal(d.keys[index_of(&d, "bob")].n, 2);
    fetch_free(&d);
    fetch_free(&prev);
}

/* UpdateSSHPublicKey: the status changes, the body is known. */
static void
test_key_status(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    user_named("alice")->keys[1].inactive = true;
    /* The name as the caller typed it: IAM names ignore case. */
    hints_set(1, EVENT_USER_KEYS, "ALICE");
    delta_as_full(&o, &prev, (struct calls){ .list_keys = 1 }, &d);
    fetch_free(&d);
    fetch_free(&prev);
}

/* A user whose keys are not read (not authorized) costs nothing; nor does
 * a name nobody has. */
static void
test_keys_unwanted(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    upload_key("carol", "ssh-rsa AAAAcarol1");
    hints_set(2, EVENT_USER_KEYS, "carol", EVENT_USER_KEYS, "nobody");
    delta_as_full(&o, &prev, (struct calls){ 0 }, &d);
    fetch_free(&d);
    fetch_free(&prev);
}

static void
test_no_hints(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);
    struct fetch prev, d;
    char *a, *b;

    (void)state;
    start(&o, &prev);
    hints_set(0);
    delta_as_full(&o, &prev, (struct calls){ 0 }, &d);
    a = dump(&prev);
    b = dump(&d);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fetch_free(&d);
    fetch_free(&prev);
}

/* ---- group(name) ---- */

static void
test_member_added(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    add_to_group("ssh", "erin");
    hints_set(1, EVENT_GROUP, "ssh");
    /* GetGroup, and the new member's keys: one list, one body. */
    delta_as_full(
        &o, &prev,
        (struct calls){ .get_group = 1, .list_keys = 1, .get_key = 1 }, &d);
    assert_true(is_member(&d, "ssh", "erin"));
    assert_true(d.authorized[index_of(&d, "erin")]);
    fetch_free(&d);
    fetch_free(&prev);
}

static void
test_member_removed(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    remove_from_group("ssh", "bob");
    hints_set(1, EVENT_GROUP, "ssh");
    delta_as_full(&o, &prev, (struct calls){ .get_group = 1 }, &d);
    assert_false(d.wanted[index_of(&d, "bob")]);
    assert_int_equal(d.keys[index_of(&d, "bob")].n, 0);
    fetch_free(&d);
    fetch_free(&prev);
}

/* A sudoers group: its members, not anyone's keys. */
static void
test_sudoers_member(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    add_to_group("admins", "bob");
    remove_from_group("admins", "carol");
    hints_set(1, EVENT_GROUP, "Admins");
    delta_as_full(&o, &prev, (struct calls){ .get_group = 1 }, &d);
    assert_true(is_member(&d, "admins", "bob"));
    fetch_free(&d);
    fetch_free(&prev);
}

/* A group this configuration does not read: no call, nothing changes. */
static void
test_group_not_configured(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;
    char *a, *b;

    (void)state;
    start(&o, &prev);
    add_to_group("other", "erin");
    hints_set(2, EVENT_GROUP, "other", EVENT_GROUP, "no-such-group");
    delta_as_full(&o, &prev, (struct calls){ 0 }, &d);
    a = dump(&prev);
    b = dump(&d);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fetch_free(&d);
    fetch_free(&prev);
}

/* DeleteGroup: as a full fetch, a configured group IAM lacks grants
 * nothing, and keeps no id. */
static void
test_group_deleted(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    group_named("ssh")->exists = false;
    hints_set(1, EVENT_GROUP, "ssh");
    delta_as_full(&o, &prev, (struct calls){ .get_group = 1 }, &d);
    assert_null(fetch_group_find(&d, "ssh")->group_id);
    assert_int_equal(fetch_group_find(&d, "ssh")->n_members, 0);
    assert_false(d.wanted[index_of(&d, "alice")]);
    fetch_free(&d);
    fetch_free(&prev);
}

/* A select refuses erin: a delta decides as a full fetch does, and reads
 * no key of hers. */
static void
test_select(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    o.select = refuse_erin;
    start(&o, &prev);
    add_to_group("ssh", "erin");
    add_to_group("ssh", "dave");
    hints_set(1, EVENT_GROUP, "ssh");
    delta_as_full(
        &o, &prev,
        (struct calls){ .get_group = 1, .list_keys = 1, .get_key = 1 }, &d);
    assert_true(d.authorized[index_of(&d, "erin")]);
    assert_false(d.wanted[index_of(&d, "erin")]);
    fetch_free(&d);
    fetch_free(&prev);
}

/* SHARED_ACCOUNTS: a member of a shared account's group has keys read,
 * and a group only the map names is read again when an event names it. */
static void
test_shared_accounts(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    o.shared_accounts = &shared;
    start(&o, &prev);
    upload_key("dave", "ssh-rsa AAAAdave1");
    add_to_group("other", "erin");
    hints_set(2, EVENT_USER_KEYS, "dave", EVENT_GROUP, "other");
    delta_as_full(
        &o, &prev,
        (struct calls){ .get_group = 1, .list_keys = 2, .get_key = 2 }, &d);
    assert_true(fetch_group_find(&d, "other")->mapped_only);
    assert_false(d.authorized[index_of(&d, "erin")]);
    assert_true(d.wanted[index_of(&d, "erin")]);
    fetch_free(&d);
    fetch_free(&prev);
}

/* A key listed whose body IAM no longer has (deleted between the two
 * calls) is not served: it is not carried into a delta either. */
static void
test_key_vanished(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    seed();
    upload_key("alice", "ssh-rsa AAAAalice2")->vanishes = true;
    assert_int_equal(fetch_all(&o, &prev), 0);
    assert_int_equal(prev.keys[index_of(&prev, "alice")].n, 3);
    reset_calls();
    delete_key("alice", 2);
    hints_set(1, EVENT_USER_KEYS, "bob");
    delta_as_full(&o, &prev, (struct calls){ .list_keys = 1 }, &d);
    assert_int_equal(d.keys[index_of(&d, "alice")].n, 2);
    fetch_free(&d);
    fetch_free(&prev);
}

/* ---- user(name) ---- */

/* CreateUser, AddUserToGroup, UploadSSHPublicKey in one batch. */
static void
test_user_created_in_group(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    create_user("frank");
    add_to_group("ssh", "frank");
    upload_key("frank", "ssh-rsa AAAAfrank0");
    hints_set(3, EVENT_USER, "frank", EVENT_USER_KEYS, "frank", EVENT_GROUP,
              "ssh");
    delta_as_full(
        &o, &prev,
        (struct calls){
            .get_user = 1, .get_group = 1, .list_keys = 1, .get_key = 1 },
        &d);
    assert_true(is_member(&d, "ssh", "frank"));
    fetch_free(&d);
    fetch_free(&prev);
}

/* A member GetGroup lists that the delta did not know: added as a user
 * from GetGroup's entry, without a GetUser. */
static void
test_member_unknown(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    create_user("gina");
    add_to_group("ssh", "gina");
    add_to_group("admins", "gina");
    /* Listed by both groups: one user. */
    hints_set(2, EVENT_GROUP, "ssh", EVENT_GROUP, "admins");
    delta_as_full(&o, &prev, (struct calls){ .get_group = 2, .list_keys = 1 },
                  &d);
    assert_true(is_member(&d, "ssh", "gina"));
    assert_true(is_member(&d, "admins", "gina"));
    assert_int_equal(d.n_users, prev.n_users + 1);
    fetch_free(&d);
    fetch_free(&prev);
}

/* With no IAM_AUTHORIZED_GROUPS everyone is authorized: a new user's keys
 * are read at once. */
static void
test_user_created_everyone(void **state)
{
    struct fetch_opts o = opts(true, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    create_user("frank");
    upload_key("frank", "ssh-rsa AAAAfrank0");
    upload_key("frank", "ssh-rsa AAAAfrank1");
    hints_set(2, EVENT_USER, "frank", EVENT_USER_KEYS, "frank");
    delta_as_full(&o, &prev,
                  (struct calls){ .get_user = 1, .list_keys = 1, .get_key = 2 },
                  &d);
    fetch_free(&d);
    fetch_free(&prev);
}

static void
test_user_deleted(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    delete_user("alice");
    hints_set(1, EVENT_USER, "alice");
    delta_as_full(&o, &prev, (struct calls){ .get_user = 1 }, &d);
    assert_int_equal(index_of(&d, "alice"), -1);
    assert_int_equal(fetch_group_find(&d, "ssh")->n_members, 1);
    assert_int_equal(fetch_group_find(&d, "admins")->n_members, 1);
    assert_int_equal(d.n_users, prev.n_users - 1);
    fetch_free(&d);
    fetch_free(&prev);
}

/* GetUser says a user is gone while GetGroup still lists them (IAM is
 * eventually consistent): gone, from the group too, as in a full fetch
 * whose ListUsers no longer has them. */
static void
test_user_gone_group_lags(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    user_named("bob")->exists = false; /* still in ssh's listing */
    hints_set(2, EVENT_USER, "bob", EVENT_GROUP, "ssh");
    delta_as_full(&o, &prev, (struct calls){ .get_user = 1, .get_group = 1 },
                  &d);
    assert_int_equal(index_of(&d, "bob"), -1);
    assert_int_equal(fetch_group_find(&d, "ssh")->n_members, 1);
    fetch_free(&d);
    fetch_free(&prev);
}

/* UpdateUser NewUserName: the same id keeps its groups and keys, which
 * cost no call. */
static void
test_user_renamed(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);
    struct fetch prev, d;
    long a;

    (void)state;
    start(&o, &prev);
    snprintf(user_named("alice")->name, 65, "alicia");
    snprintf(user_named("alicia")->path, 32, "/eng/");
    hints_set(2, EVENT_USER, "alice", EVENT_USER, "alicia");
    delta_as_full(&o, &prev, (struct calls){ .get_user = 2 }, &d);
    a = index_of(&d, "alicia");
    assert_true(a >= 0);
    assert_string_equal(d.users[a].user_id, prev.users[0].user_id);
    assert_string_equal(d.users[a].path, "/eng/");
    assert_true(is_member(&d, "ssh", "alicia"));
    assert_true(is_member(&d, "admins", "alicia"));
    assert_int_equal(d.keys[a].n, 3); /* 2 of IAM's, 1 from a tag */
    fetch_free(&d);
    fetch_free(&prev);
}

/* A key uploaded, then the user renamed: the keys event names the old
 * name, and still reads the keys (under the new one). */
static void
test_keys_of_renamed(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    upload_key("bob", "ssh-rsa AAAAbob1");
    snprintf(user_named("bob")->name, 65, "robert");
    hints_set(3, EVENT_USER, "bob", EVENT_USER, "robert", EVENT_USER_KEYS,
              "bob");
    delta_as_full(&o, &prev,
                  (struct calls){ .get_user = 2, .list_keys = 1, .get_key = 1 },
                  &d);
    fetch_free(&d);
    fetch_free(&prev);

    /* The new name, in another case. */
    start(&o, &prev);
    upload_key("bob", "ssh-rsa AAAAbob1");
    snprintf(user_named("bob")->name, 65, "robert");
    hints_set(3, EVENT_USER, "bob", EVENT_USER, "robert", EVENT_USER_KEYS,
              "ROBERT");
    delta_as_full(&o, &prev,
                  (struct calls){ .get_user = 2, .list_keys = 1, .get_key = 1 },
                  &d);
    fetch_free(&d);
    fetch_free(&prev);
}

/* Two users swap names: each keeps its own groups and keys. */
static void
test_users_swap_names(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    snprintf(user_named("alice")->name, 65, "tmp");
    snprintf(user_named("bob")->name, 65, "alice");
    snprintf(user_named("tmp")->name, 65, "bob");
    hints_set(3, EVENT_USER, "alice", EVENT_USER, "bob", EVENT_USER, "tmp");
    delta_as_full(&o, &prev, (struct calls){ .get_user = 3 }, &d);
    assert_true(is_member(&d, "admins", "bob"));
    assert_false(is_member(&d, "admins", "alice"));
    fetch_free(&d);
    fetch_free(&prev);
}

/* DeleteUser then CreateUser of the same name: a new id, so neither the
 * old groups nor the old keys. */
static void
test_user_recreated(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;
    long a;

    (void)state;
    start(&o, &prev);
    delete_user("alice");
    create_user("alice");
    hints_set(1, EVENT_USER, "alice");
    delta_as_full(&o, &prev, (struct calls){ .get_user = 1 }, &d);
    a = index_of(&d, "alice");
    assert_true(a >= 0);
    assert_string_not_equal(d.users[a].user_id, prev.users[0].user_id);
    assert_false(is_member(&d, "ssh", "alice"));
    assert_false(d.wanted[a]);
    assert_int_equal(d.keys[a].n, 0);
    assert_int_equal(d.n_users, prev.n_users);
    fetch_free(&d);
    fetch_free(&prev);
}

/* ---- tags(user) ---- */

static void
test_tags(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);
    struct fetch prev, d;
    long a;

    (void)state;
    start(&o, &prev);
    tag_user("alice", "ssh-key-2", ED2);
    hints_set(1, EVENT_USER_TAGS, "alice");
    delta_as_full(&o, &prev, (struct calls){ .list_tags = 1 }, &d);
    a = index_of(&d, "alice");
    assert_int_equal(d.keys[a].n, 4);
    fetch_free(&d);
    fetch_free(&prev);
}

/* TAG_KEYS_SOURCE=GetAccountAuthorizationDetails: one user's tags are one
 * ListUserTags, not a page of the whole account. */
static void
test_tags_gaad(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", true);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    user_named("bob")->n_tags = 0;
    add_to_group("ssh", "erin");
    tag_user("erin", "ssh-key", ED1);
    hints_set(2, EVENT_USER_TAGS, "bob", EVENT_GROUP, "ssh");
    delta_as_full(
        &o, &prev,
        (struct calls){
            .get_group = 1, .list_keys = 1, .get_key = 1, .list_tags = 2 },
        &d);
    fetch_free(&d);
    fetch_free(&prev);
}

/* Without TAG_KEYS, a tags hint reads nothing. */
static void
test_tags_off(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    tag_user("alice", "ssh-key-2", ED2);
    hints_set(1, EVENT_USER_TAGS, "alice");
    delta_as_full(&o, &prev, (struct calls){ 0 }, &d);
    fetch_free(&d);
    fetch_free(&prev);
}

/* A newly wanted user's tags are read with their keys. */
static void
test_tags_new_member(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);
    struct fetch prev, d;

    (void)state;
    start(&o, &prev);
    tag_user("erin", "ssh-key", ED1);
    add_to_group("ssh", "erin");
    hints_set(1, EVENT_GROUP, "ssh");
    delta_as_full(
        &o, &prev,
        (struct calls){
            .get_group = 1, .list_keys = 1, .get_key = 1, .list_tags = 1 },
        &d);
    fetch_free(&d);
    fetch_free(&prev);
}

/* A key from a tag keeps the date it was first seen when its tags are read
 * again; a new one is dated now. Keys not read keep theirs too. */
static void
test_tag_dates(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);
    struct fetch prev, d;
    const struct fetch_user_keys *uk;
    size_t k;

    (void)state;
    start(&o, &prev);
    o.now = LATER;
    tag_user("alice", "ssh-key-2", ED2);
    hints_set(1, EVENT_USER_TAGS, "alice");
    assert_int_equal(fetch_delta(&o, &prev, &hints, &d), 0);
    uk = &d.keys[index_of(&d, "alice")];
    for (k = 0; k < uk->n; k++) {
        if (strcmp(uk->v[k].key_id, "tag:ssh-key") == 0)
            assert_int_equal(uk->v[k].upload_date, NOW);
        if (strcmp(uk->v[k].key_id, "tag:ssh-key-2") == 0)
            assert_int_equal(uk->v[k].upload_date, LATER);
    }
    uk = &d.keys[index_of(&d, "bob")];
    assert_string_equal(uk->v[1].key_id, "tag:ssh-key-laptop");
    assert_int_equal(uk->v[1].upload_date, NOW);
    fetch_free(&d);
    fetch_free(&prev);
}

/* ---- failures ---- */

static void
assert_fails(enum action refused, struct fetch_opts *o)
{
    struct fetch prev, d;
    char *before, *after;

    start(o, &prev);
    before = dump(&prev);
    iam.refuse = (int)refused;
    assert_int_equal(fetch_delta(o, &prev, &hints, &d), -EREMOTEIO);
    iam.refuse = -1;
    assert_int_equal(d.n_users, 0);
    assert_null(d.users);
    assert_null(d.groups);
    assert_null(d.keys);
    assert_null(d.authorized);
    after = dump(&prev);
    assert_string_equal(before, after);
    free(before);
    free(after);
    fetch_free(&prev);
}

static void
test_failures(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);

    (void)state;
    hints_set(1, EVENT_GROUP, "ssh");
    assert_fails(A_GET_GROUP, &o);
    hints_set(1, EVENT_USER, "alice");
    assert_fails(A_GET_USER, &o);
    hints_set(1, EVENT_USER_KEYS, "alice");
    assert_fails(A_LIST_KEYS, &o);
    hints_set(1, EVENT_USER_TAGS, "alice");
    assert_fails(A_LIST_TAGS, &o);
    /* A body to read (a new key), refused. */
    seed();
    hints_set(1, EVENT_USER_KEYS, "bob");
    {
        struct fetch prev, d;

        assert_int_equal(fetch_all(&o, &prev), 0);
        upload_key("bob", "ssh-rsa AAAAbob1");
        iam.refuse = A_GET_KEY;
        assert_int_equal(fetch_delta(&o, &prev, &hints, &d), -EREMOTEIO);
        iam.refuse = -1;
        assert_null(d.users);
        fetch_free(&prev);
    }
}

/* ---- fetch_drift ---- */

static void
test_drift_counts(void **state)
{
    struct fetch_opts o = opts(false, "ssh-key", false);
    struct fetch kept, full;
    struct fetch_drift drift;
    long b;

    (void)state;
    start(&o, &kept);
    /* What events were lost: a rename, a membership, a key, a user. */
    snprintf(user_named("erin")->name, 65, "erina");
    remove_from_group("admins", "carol");
    upload_key("alice", "ssh-rsa AAAAalice2");
    create_user("frank");
    assert_int_equal(fetch_all(&o, &full), 0);
    assert_int_equal(fetch_drift(&kept, &full, &drift), 0);
    assert_int_equal(drift.users, 2);   /* erin renamed, frank new */
    assert_int_equal(drift.members, 1); /* carol in admins */
    assert_int_equal(drift.keys, 1);    /* alice's third */
    assert_int_equal(fetch_drift_total(&drift), 4);
    /* Symmetric. */
    assert_int_equal(fetch_drift(&full, &kept, &drift), 0);
    assert_int_equal(fetch_drift_total(&drift), 4);
    fetch_free(&full);

    /* A key whose status or body differs is one key; a user whose
     * authorization or path differs is one user; a key without a body
     * (deleted meanwhile) is in neither. */
    seed();
    delete_key("alice", 0);
    assert_int_equal(fetch_all(&o, &full), 0);
    free(kept.keys[index_of(&kept, "alice")].v[0].body);
    kept.keys[index_of(&kept, "alice")].v[0].body = NULL;
    b = index_of(&full, "bob");
    full.keys[b].v[0].status = AWS_IAM_JSON_KEY_INACTIVE;
    free(full.keys[b].v[1].body);
    full.keys[b].v[1].body = strdup(ED1);
    full.authorized[index_of(&full, "carol")] = true;
    free(full.users[index_of(&full, "dave")].path);
    full.users[index_of(&full, "dave")].path = strdup("/x/");
    assert_int_equal(fetch_drift(&kept, &full, &drift), 0);
    assert_int_equal(drift.users, 2);
    assert_int_equal(drift.members, 0);
    assert_int_equal(drift.keys, 2);
    /* The same fetch: nothing. */
    assert_int_equal(fetch_drift(&full, &full, &drift), 0);
    assert_int_equal(fetch_drift_total(&drift), 0);
    fetch_free(&full);
    fetch_free(&kept);
}

/* A user deleted: the user, each membership and each key are drift. */
static void
test_drift_user_gone(void **state)
{
    struct fetch_opts o = opts(false, NULL, false);
    struct fetch kept, full;
    struct fetch_drift drift;

    (void)state;
    start(&o, &kept);
    delete_user("alice");
    assert_int_equal(fetch_all(&o, &full), 0);
    assert_int_equal(fetch_drift(&kept, &full, &drift), 0);
    assert_int_equal(drift.users, 1);
    assert_int_equal(drift.members, 2);
    assert_int_equal(drift.keys, 2);
    fetch_free(&full);
    fetch_free(&kept);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_deleted),
        cmocka_unit_test(test_key_uploaded),
        cmocka_unit_test(test_key_status),
        cmocka_unit_test(test_keys_unwanted),
        cmocka_unit_test(test_no_hints),
        cmocka_unit_test(test_member_added),
        cmocka_unit_test(test_member_removed),
        cmocka_unit_test(test_sudoers_member),
        cmocka_unit_test(test_group_not_configured),
        cmocka_unit_test(test_group_deleted),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_shared_accounts),
        cmocka_unit_test(test_key_vanished),
        cmocka_unit_test(test_user_created_in_group),
        cmocka_unit_test(test_member_unknown),
        cmocka_unit_test(test_user_created_everyone),
        cmocka_unit_test(test_user_deleted),
        cmocka_unit_test(test_user_gone_group_lags),
        cmocka_unit_test(test_user_renamed),
        cmocka_unit_test(test_keys_of_renamed),
        cmocka_unit_test(test_users_swap_names),
        cmocka_unit_test(test_user_recreated),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_tags_gaad),
        cmocka_unit_test(test_tags_off),
        cmocka_unit_test(test_tags_new_member),
        cmocka_unit_test(test_tag_dates),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_drift_counts),
        cmocka_unit_test(test_drift_user_gone),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
