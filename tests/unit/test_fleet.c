/*
 * Unit tests for the fleet object (sync/fleet_obj.c) and its Ed25519
 * keys (sync/fleet_sign.c): what a publisher builds comes back the same
 * on an instance, the same IAM state gives the same bytes, anything not
 * signed by a configured key (or not of the documented shape) is
 * refused before it is used, and an instance takes only the groups its
 * own configuration names.
 *
 * The keys are made here with OpenSSL, so no key material is kept in
 * the tree. Objects that the builder would never produce (wrong JSON,
 * wrong header) are assembled and signed by hand, as fleet_obj.h
 * documents the format.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fetch.h"
#include "fleet_obj.h"
#include "fleet_sign.h"
#include "fleet_state.h"
#include "iam_config.h"
#include "iam_sha256.h"

#define CREATED 1764000000
#define SOURCE "s3://fleet-bucket/nss-iam/fleet.obj"
#define ERRLEN 256

static struct fleet_signer signer_a, signer_b;
static char pub_a[FLEET_PUB_B64_SIZE], pub_b[FLEET_PUB_B64_SIZE];

/* ---- the account ---- */

struct user_row {
    const char *name, *id, *arn, *path;
    time_t created;
    bool wanted; /* the publisher fetched the user's keys */
};

/* Not in user id order, so that the builder has to sort. */
static const struct user_row rows[] = {
    { "carol", "AIDACAROL", "arn:aws:iam::123456789012:user/carol", "/", 300,
      true },
    { "alice", "AIDAALICE", "arn:aws:iam::123456789012:user/eng/alice", "/eng/",
      100, true },
    /* Authorized, but its name was refused at the publisher: no keys. */
    { "dave", "AIDADAVE", NULL, "/", 400, false },
    /* In a sudoers group only: not authorized, no keys. */
    { "bob", "AIDABOB", "arn:aws:iam::123456789012:user/bob", "/", 200, false },
    /* Authorized, with no key at all: "keys": [] rather than absent. */
    { "erin", "AIDAERIN", "arn:aws:iam::123456789012:user/erin", "/", 500,
      true },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

struct key_row {
    size_t user; /* into rows[] */
    const char *id;
    int status;
    time_t uploaded;
    const char *body;
};

static const struct key_row key_rows[] = {
    { 0, "APKACAROL2", AWS_IAM_JSON_KEY_INACTIVE, 1700000200,
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBB carol@old" },
    { 0, "APKACAROL1", AWS_IAM_JSON_KEY_ACTIVE, 1700000100,
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAA carol@new" },
    { 1, "APKAALICE1", AWS_IAM_JSON_KEY_ACTIVE, 1700000300,
      "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ alice" },
};
#define NKEYS (sizeof(key_rows) / sizeof(key_rows[0]))

struct group_row {
    const char *name, *id;
    bool authorized;
    size_t members[NROWS]; /* into rows[] */
    size_t n_members;
};

/* In configuration order: a sudoers group first, to see select reorder. */
static const struct group_row group_rows[] = {
    { "admins", "AGPAADMINS", false, { 3, 1 }, 2 },
    { "ssh-users", "AGPASSHUSERS", true, { 0, 1, 2, 4 }, 4 },
    /* Configured but not in IAM: fetch_all() leaves its id NULL. */
    { "old-team", NULL, false, { 0 }, 0 },
};
#define NGROUPS (sizeof(group_rows) / sizeof(group_rows[0]))
/* The groups but the last: what the builder takes today (see
 * test_group_without_id). */
#define NGROUPS_WITH_ID (NGROUPS - 1)

static const size_t in_order[NROWS] = { 0, 1, 2, 3, 4 };
static const size_t shuffled[NROWS] = { 4, 2, 0, 3, 1 };

static char *
xdup(const char *s)
{
    char *d;

    if (!s)
        return NULL;
    d = strdup(s);
    assert_non_null(d);
    return d;
}

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n + 1, size);

    assert_non_null(p);
    return p;
}

/*
 * The account as fetch_all() would leave it, users placed as @perm says
 * (f->users[i] is rows[perm[i]]), with group_rows[0..n_groups-1].
 * @reverse lists members and keys backwards too.
 */
static void
make_fetch(struct fetch *f, const size_t perm[NROWS], bool reverse,
           size_t n_groups)
{
    size_t inv[NROWS], i, k, m;

    memset(f, 0, sizeof(*f));
    f->users = xcalloc(NROWS, sizeof(*f->users));
    f->keys = xcalloc(NROWS, sizeof(*f->keys));
    f->authorized = xcalloc(NROWS, sizeof(*f->authorized));
    f->wanted = xcalloc(NROWS, sizeof(*f->wanted));
    f->n_users = NROWS;
    for (i = 0; i < NROWS; i++) {
        const struct user_row *r = &rows[perm[i]];

        inv[perm[i]] = i;
        f->users[i].user_name = xdup(r->name);
        f->users[i].user_id = xdup(r->id);
        f->users[i].arn = xdup(r->arn);
        f->users[i].path = xdup(r->path);
        f->users[i].create_date = r->created;
        f->wanted[i] = r->wanted;
        f->keys[i].v = xcalloc(NKEYS, sizeof(*f->keys[i].v));
        for (k = 0; k < NKEYS; k++) {
            const struct key_row *kr = &key_rows[reverse ? NKEYS - 1 - k : k];
            struct fetch_key *fk = &f->keys[i].v[f->keys[i].n];

            if (kr->user != perm[i])
                continue;
            fk->key_id = xdup(kr->id);
            fk->status = kr->status;
            fk->upload_date = kr->uploaded;
            fk->body = xdup(kr->body);
            f->keys[i].n++;
        }
    }
    f->groups = xcalloc(n_groups, sizeof(*f->groups));
    f->n_groups = n_groups;
    for (i = 0; i < n_groups; i++) {
        const struct group_row *g = &group_rows[i];

        f->groups[i].name = xdup(g->name);
        f->groups[i].group_id = xdup(g->id);
        f->groups[i].authorized = g->authorized;
        f->groups[i].members =
            xcalloc(g->n_members, sizeof(*f->groups[i].members));
        for (m = 0; m < g->n_members; m++) {
            size_t who = inv[g->members[reverse ? g->n_members - 1 - m : m]];

            f->groups[i].members[f->groups[i].n_members++] = who;
            if (g->authorized)
                f->authorized[who] = true;
        }
    }
}

static size_t
row_of(const char *user_id)
{
    size_t i;

    for (i = 0; i < NROWS; i++)
        if (strcmp(rows[i].id, user_id) == 0)
            return i;
    fail_msg("unknown user id %s", user_id);
    return 0;
}

static const struct key_row *
key_row_of(const char *key_id)
{
    size_t k;

    for (k = 0; k < NKEYS; k++)
        if (strcmp(key_rows[k].id, key_id) == 0)
            return &key_rows[k];
    fail_msg("unknown key id %s", key_id);
    return NULL;
}

static size_t
keys_of_row(size_t row)
{
    size_t k, n = 0;

    for (k = 0; k < NKEYS; k++)
        n += key_rows[k].user == row;
    return n;
}

static bool
group_has(const struct group_row *g, size_t row)
{
    size_t m;

    for (m = 0; m < g->n_members; m++)
        if (g->members[m] == row)
            return true;
    return false;
}

/* Users, keys and their order, as the table says. */
static void
check_users(const struct fetch *d)
{
    size_t i, k, row;

    assert_int_equal(d->n_users, NROWS);
    for (i = 0; i < d->n_users; i++) {
        const struct aws_iam_json_user *u = &d->users[i];

        if (i > 0)
            assert_true(strcmp(d->users[i - 1].user_id, u->user_id) < 0);
        row = row_of(u->user_id);
        assert_string_equal(u->user_name, rows[row].name);
        assert_string_equal(u->path, rows[row].path);
        if (rows[row].arn)
            assert_string_equal(u->arn, rows[row].arn);
        else
            assert_null(u->arn);
        assert_int_equal(u->create_date, rows[row].created);
        assert_int_equal(d->wanted[i], rows[row].wanted);
        if (!rows[row].wanted) {
            assert_int_equal(d->keys[i].n, 0);
            continue;
        }
        assert_int_equal(d->keys[i].n, keys_of_row(row));
        for (k = 0; k < d->keys[i].n; k++) {
            const struct fetch_key *fk = &d->keys[i].v[k];
            const struct key_row *kr = key_row_of(fk->key_id);

            if (k > 0)
                assert_true(strcmp(d->keys[i].v[k - 1].key_id, fk->key_id) < 0);
            assert_int_equal(kr->user, row);
            assert_int_equal(fk->status, kr->status);
            assert_int_equal(fk->upload_date, kr->uploaded);
            assert_string_equal(fk->body, kr->body);
        }
    }
}

/* The groups of @d are group_rows[want[0..n-1]]; members by user id. */
static void
check_groups(const struct fetch *d, const size_t *want, size_t n)
{
    size_t i, m;

    assert_int_equal(d->n_groups, n);
    for (i = 0; i < n; i++) {
        const struct group_row *g = &group_rows[want[i]];
        const struct fetch_group *fg = &d->groups[i];

        assert_string_equal(fg->name, g->name);
        if (g->id)
            assert_string_equal(fg->group_id, g->id);
        else
            assert_null(fg->group_id);
        assert_int_equal(fg->n_members, g->n_members);
        for (m = 0; m < fg->n_members; m++) {
            assert_true(fg->members[m] < d->n_users);
            assert_true(group_has(g, row_of(d->users[fg->members[m]].user_id)));
        }
    }
}

static void
set_list(struct iam_strlist *l, const char *const *names, size_t n)
{
    size_t i;

    l->v = n ? xcalloc(n, sizeof(*l->v)) : NULL;
    for (i = 0; i < n; i++)
        l->v[i] = xdup(names[i]);
    l->n = n;
}

/* The lists are owned by @cfg, as after parsing a file. */
static void
make_config(struct iam_config *cfg, const char *const *auth, size_t n_auth,
            const char *const *sudo, size_t n_sudo)
{
    assert_int_equal(iam_config_defaults(cfg), 0);
    set_list(&cfg->iam_authorized_groups, auth, n_auth);
    set_list(&cfg->sudoers_groups, sudo, n_sudo);
}

/* ---- keys and objects ---- */

/* A 0600 (or @mode) file under /tmp holding @pk, or @text when NULL. */
static int
write_key(EVP_PKEY *pk, const char *text, mode_t mode, char *path, size_t size)
{
    FILE *f;
    int fd, ok;

    snprintf(path, size, "/tmp/iam-fleet-test.XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    f = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        close(fd);
        unlink(path);
        return -1;
    }
    ok = pk ? PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1
            : fputs(text, f) >= 0;
    if (fclose(f) != 0 || !ok) {
        unlink(path);
        return -1;
    }
    return 0;
}

static int
new_signer(struct fleet_signer *s, char pub[FLEET_PUB_B64_SIZE])
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char path[64];
    int r = -1;

    if (!pk)
        return -1;
    if (write_key(pk, NULL, 0600, path, sizeof(path)) == 0) {
        r = fleet_signer_load(path, s);
        unlink(path);
    }
    EVP_PKEY_free(pk);
    if (r == 0)
        r = fleet_signer_public(s, pub);
    return r;
}

static int
setup(void **state)
{
    (void)state;
    if (new_signer(&signer_a, pub_a) < 0 || new_signer(&signer_b, pub_b) < 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fleet_signer_free(&signer_a);
    fleet_signer_free(&signer_b);
    return 0;
}

/*
 * An object as fleet_obj.h lays it out: the header line up to source=
 * signed with its '\n', then " ed25519=SIG\n" and @payload.
 */
static char *
make_obj(const struct fleet_signer *s, unsigned version, long long created,
         const char *payload, size_t *ret_len)
{
    char head[FLEET_HEADER_MAX], sha[IAM_SHA256_HEX_SIZE];
    char sig[FLEET_SIG_B64_SIZE];
    size_t plen = strlen(payload);
    char *obj;
    int n;

    iam_sha256_hex(payload, plen, sha);
    n = snprintf(head, sizeof(head),
                 "nss-iam-fleet %u created=%lld "
                 "sha256=%s source=" SOURCE "\n",
                 version, created, sha);
    assert_true(n > 0 && (size_t)n < sizeof(head));
    assert_int_equal(fleet_sign(s, head, (size_t)n, sig), 0);
    *ret_len = (size_t)n - 1 + strlen(" ed25519=") + strlen(sig) + 1 + plen;
    obj = malloc(*ret_len + 1);
    assert_non_null(obj);
    snprintf(obj, *ret_len + 1, "%.*s ed25519=%s\n%s", n - 1, head, sig,
             payload);
    assert_int_equal(strlen(obj), *ret_len);
    return obj;
}

static char *
build(const struct fetch *f, bool all_keys, const struct fleet_signer *s,
      size_t *ret_len, char sha[65])
{
    char *obj = NULL;

    assert_int_equal(
        fleet_obj_build(f, all_keys, CREATED, SOURCE, s, &obj, ret_len, sha),
        0);
    assert_non_null(obj);
    assert_int_equal(strlen(obj), *ret_len);
    return obj;
}

/* fleet_obj_header(), with a reason whenever it refuses. */
static int
header(const char *obj, size_t len, struct fleet_header *h)
{
    char err[ERRLEN] = "";
    int r = fleet_obj_header(obj, len, h, err, sizeof(err));

    if (r < 0 && err[0] == '\0')
        fail_msg("fleet_obj_header: %d without a reason", r);
    return r;
}

static int
verify(const char *obj, size_t len, const char *const *keys, size_t n)
{
    struct iam_strlist l = { (char **)keys, n };
    struct fleet_header h;
    char err[ERRLEN] = "";
    int r;

    assert_int_equal(header(obj, len, &h), 0);
    r = fleet_obj_verify(obj, len, &h, &l, err, sizeof(err));
    if (r < 0 && err[0] == '\0')
        fail_msg("fleet_obj_verify: %d without a reason", r);
    return r;
}

/* Header, signature by pub_a, decode: what an instance does. */
static void
read_obj(const char *obj, size_t len, struct fetch *ret, bool *ret_all_keys)
{
    const char *keys[] = { pub_a };
    struct iam_strlist l = { (char **)keys, 1 };
    struct fleet_header h;
    char err[ERRLEN] = "";

    assert_int_equal(header(obj, len, &h), 0);
    assert_int_equal(h.version, FLEET_OBJ_VERSION);
    assert_int_equal(h.created, CREATED);
    assert_int_equal(fleet_obj_verify(obj, len, &h, &l, err, sizeof(err)), 0);
    assert_int_equal(
        fleet_obj_decode(obj, len, &h, ret, ret_all_keys, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

/* ---- round trip and determinism ---- */

static void
test_round_trip(void **state)
{
    static const size_t all_groups[] = { 0, 1 };
    struct fetch f, d;
    char sha[65], *obj;
    size_t len, i;
    bool all_keys;

    (void)state;
    make_fetch(&f, in_order, false, NGROUPS_WITH_ID);
    obj = build(&f, false, &signer_a, &len, sha);
    assert_memory_equal(obj, "nss-iam-fleet 1 created=1764000000 sha256=", 42);
    assert_memory_equal(obj + 42, sha, 64);
    read_obj(obj, len, &d, &all_keys);
    assert_false(all_keys);
    check_users(&d);
    check_groups(&d, all_groups, NGROUPS_WITH_ID);
    for (i = 0; i < NGROUPS_WITH_ID; i++)
        assert_int_equal(d.groups[i].authorized, group_rows[i].authorized);
    fetch_free(&d);
    free(obj);

    obj = build(&f, true, &signer_a, &len, sha);
    read_obj(obj, len, &d, &all_keys);
    assert_true(all_keys);
    fetch_free(&d);
    free(obj);
    fetch_free(&f);
}

static void
test_deterministic(void **state)
{
    char sha1[65], sha2[65], sha3[65], *o1, *o2, *o3;
    struct fetch f, g;
    size_t l1, l2, l3;

    (void)state;
    make_fetch(&f, in_order, false, NGROUPS_WITH_ID);
    make_fetch(&g, shuffled, true, NGROUPS_WITH_ID);
    o1 = build(&f, false, &signer_a, &l1, sha1);
    o2 = build(&f, false, &signer_a, &l2, sha2);
    o3 = build(&g, false, &signer_a, &l3, sha3);
    assert_int_equal(l1, l2);
    assert_memory_equal(o1, o2, l1);
    assert_string_equal(sha1, sha2);
    assert_string_equal(sha1, sha3);
    /* Ed25519 is deterministic too: the whole object is the same. */
    assert_int_equal(l1, l3);
    assert_memory_equal(o1, o3, l1);
    free(o1);
    free(o2);
    free(o3);
    fetch_free(&f);
    fetch_free(&g);
}

/*
 * A configured group that IAM does not have (fetch_all() leaves its id
 * NULL) is published as "id": null and comes back NULL, so that
 * instances see the same "no such group" as a direct sync. (json-c's
 * null is the NULL object, which is easy to mistake for a failed
 * allocation.)
 */
static void
test_group_without_id(void **state)
{
    static const size_t all_groups[] = { 0, 1, 2 };
    struct fetch f, d;
    char sha[65], *obj;
    size_t len, i;
    bool all_keys;

    (void)state;
    make_fetch(&f, shuffled, false, NGROUPS);
    obj = build(&f, false, &signer_a, &len, sha);
    read_obj(obj, len, &d, &all_keys);
    check_users(&d);
    check_groups(&d, all_groups, NGROUPS);
    for (i = 0; i < NGROUPS; i++)
        assert_int_equal(d.groups[i].authorized, group_rows[i].authorized);
    fetch_free(&d);
    free(obj);
    fetch_free(&f);
}

/*
 * A key deleted between ListSSHPublicKeys and GetSSHPublicKey is left
 * without a body by fetch_all() ("not served"). The object must still be
 * built, without that key.
 */
static void
test_key_without_body(void **state)
{
    struct fetch f, d;
    char sha[65], *obj;
    size_t len, i;
    bool all_keys;

    (void)state;
    make_fetch(&f, in_order, false, NGROUPS_WITH_ID);
    free(f.keys[0].v[0].body); /* carol's APKACAROL2 */
    f.keys[0].v[0].body = NULL;
    obj = build(&f, false, &signer_a, &len, sha);
    read_obj(obj, len, &d, &all_keys);
    for (i = 0; i < d.n_users; i++)
        if (strcmp(d.users[i].user_id, "AIDACAROL") == 0)
            break;
    assert_true(i < d.n_users);
    assert_int_equal(d.keys[i].n, 1);
    assert_string_equal(d.keys[i].v[0].key_id, "APKACAROL1");
    fetch_free(&d);
    free(obj);
    fetch_free(&f);
}

/* ---- signature and header ---- */

static void
test_verify_keys(void **state)
{
    const char *both[] = { pub_a, pub_b };
    const char *only_b[] = { pub_b };
    const char *only_a[] = { pub_a };
    struct fleet_header h;
    char err[ERRLEN], sha[65], *obj;
    struct iam_strlist l;
    struct fetch f;
    size_t len;

    (void)state;
    make_fetch(&f, in_order, false, NGROUPS_WITH_ID);
    obj = build(&f, false, &signer_b, &len, sha);
    fetch_free(&f);
    assert_int_equal(verify(obj, len, both, 2), 1);
    assert_int_equal(verify(obj, len, only_b, 1), 0);
    assert_int_equal(verify(obj, len, only_a, 1), -EBADMSG);
    assert_int_equal(verify(obj, len, both, 0), -EBADMSG);

    /* The header check alone, as a publisher reading just the header. */
    assert_int_equal(header(obj, len, &h), 0);
    l.v = (char **)both;
    l.n = 2;
    assert_int_equal(fleet_obj_verify_header(obj, &h, &l, err, sizeof(err)), 1);
    free(obj);
}

static void
test_verify_tampered(void **state)
{
    const char *keys[] = { pub_a };
    struct fleet_header h;
    char err[ERRLEN], sha[65], *obj, *p;
    struct iam_strlist l = { (char **)keys, 1 };
    struct fetch f;
    size_t len;

    (void)state;
    make_fetch(&f, in_order, false, NGROUPS_WITH_ID);
    obj = build(&f, false, &signer_a, &len, sha);
    fetch_free(&f);
    assert_int_equal(verify(obj, len, keys, 1), 0);

    /* A payload byte: the signature still holds, the hash does not. */
    p = strstr(obj, "\"carol\"");
    assert_non_null(p);
    p[1] = 'k';
    assert_int_equal(header(obj, len, &h), 0);
    assert_int_equal(fleet_obj_verify_header(obj, &h, &l, err, sizeof(err)), 0);
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    p[1] = 'c';

    /* A byte cut off the payload. */
    assert_int_equal(verify(obj, len - 1, keys, 1), -EBADMSG);

    /* The creation time is signed. */
    p = strstr(obj, "created=1764");
    assert_non_null(p);
    p[strlen("created=1764")] = '1';
    assert_int_equal(header(obj, len, &h), 0);
    assert_int_equal(h.created, 1764100000);
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    free(obj);
}

static void
header_bad(const char *obj, size_t len)
{
    struct fleet_header h;
    int r = header(obj, len, &h);

    if (r != -EBADMSG)
        fail_msg("header %.*s: got %d, want -EBADMSG", (int)len, obj, r);
}

static void
test_header(void **state)
{
    static const char sha63[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
    char sig88[FLEET_SIG_B64_SIZE], buf[2 * FLEET_HEADER_MAX], *obj;
    struct fleet_header h;
    size_t len, hlen;

    (void)state;
    memset(sig88, 'A', FLEET_SIG_B64_SIZE - 1);
    sig88[FLEET_SIG_B64_SIZE - 3] = '=';
    sig88[FLEET_SIG_B64_SIZE - 2] = '=';
    sig88[FLEET_SIG_B64_SIZE - 1] = '\0';

    obj = make_obj(&signer_a, 1, CREATED, "{}", &len);
    assert_int_equal(header(obj, len, &h), 0);
    hlen = (size_t)(strchr(obj, '\n') - obj) + 1;
    assert_int_equal(h.len, hlen);
    assert_int_equal(strlen(h.sha256), 64);
    assert_int_equal(strlen(h.sig), 88);
    assert_string_equal(h.source, SOURCE);
    header_bad(obj, hlen - 1); /* no newline within the length */
    header_bad(obj, hlen - 30);
    snprintf(buf, sizeof(buf), "%.*s\n{}", (int)(hlen - 20), obj);
    header_bad(buf, strlen(buf)); /* signature cut short */
    snprintf(buf, sizeof(buf), "%.*s\n{}",
             (int)(strstr(obj, " ed25519=") - obj), obj);
    header_bad(buf, strlen(buf)); /* no signature field */
    snprintf(buf, sizeof(buf), "%.*s extra=1\n{}", (int)(hlen - 1), obj);
    header_bad(buf, strlen(buf)); /* trailing field */
    free(obj);

    /* A format this build does not read is told apart from garbage. */
    obj = make_obj(&signer_a, 2, CREATED, "{}", &len);
    assert_int_equal(header(obj, len, &h), -EPROTONOSUPPORT);
    free(obj);

    header_bad("", 0);
    header_bad("garbage", 7);
    header_bad("garbage\n", 8);
    header_bad("\n", 1);
    header_bad("nss-iam-fleet\n{}", 16);
    header_bad("nss-iam-fleetx 1 created=1\n", 27);
    header_bad("nss-iam-fleet 1 created=1764000000 sha256=", 42);

    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%s "
             "source=" SOURCE " ed25519=%s\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf));
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%sfg "
             "source=" SOURCE " ed25519=%s\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf)); /* 65 characters, not hex */
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%sF "
             "source=" SOURCE " ed25519=%s\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf)); /* uppercase hex */
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%s0 "
             "source=" SOURCE " ed25519=%.87s\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf)); /* signature of 87 characters */
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%s0 "
             "source=" SOURCE " ed25519=%sA\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf)); /* signature of 89 characters */
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=0 sha256=%s0 "
             "source=" SOURCE " ed25519=%s\n{}",
             sha63, sig88);
    header_bad(buf, strlen(buf));
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=-5 sha256=%s0 "
             "source=" SOURCE " ed25519=%s\n{}",
             sha63, sig88);
    header_bad(buf, strlen(buf));
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%s0 "
             "source=" SOURCE " ed25519=%s\n{}",
             CREATED, sha63, sig88);
    assert_int_equal(header(buf, strlen(buf), &h), 0);
    buf[5] = '\0'; /* a NUL inside the header line */
    header_bad(buf, strlen(buf + 6) + 6);

    /* A source with a control character, or none at all. */
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%s0 "
             "source=s3://b\tx/k ed25519=%s\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf));
    snprintf(buf, sizeof(buf),
             "nss-iam-fleet 1 created=%d sha256=%s0 "
             "source= ed25519=%s\n{}",
             CREATED, sha63, sig88);
    header_bad(buf, strlen(buf));

    /* Too long to be a header line. */
    memset(buf, 'x', FLEET_HEADER_MAX + 10);
    buf[FLEET_HEADER_MAX + 10] = '\n';
    header_bad(buf, FLEET_HEADER_MAX + 11);
}

/* A well-formed header whose signature is not one. */
static void
test_signature_shape(void **state)
{
    const char *keys[] = { pub_a };
    struct fleet_header h;
    char *obj, *sig;
    size_t len;

    (void)state;
    obj = make_obj(&signer_a, 1, CREATED, "{}", &len);
    sig = strstr(obj, " ed25519=") + strlen(" ed25519=");
    /* 88 characters, but the last one before "==" has 4 bits to spare,
     * and one of them set is not the canonical base64 of 64 bytes. */
    sig[85] = 'B';
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    /* Not a base64 character: the header itself is refused. */
    sig[85] = '!';
    assert_int_equal(header(obj, len, &h), -EBADMSG);
    free(obj);
}

/*
 * A configured key that is not base64 of 32 bytes signs nothing, and is
 * skipped: it must not hide a good key listed after it.
 */
static void
test_bad_public_key(void **state)
{
    char shape1[FLEET_PUB_B64_SIZE], shape2[FLEET_PUB_B64_SIZE];
    const char *keys[2];
    char *obj;
    size_t len;

    (void)state;
    /* 44 characters, but the last one before '=' has a spare bit set. */
    memset(shape1, 'A', 44);
    shape1[42] = 'B';
    shape1[43] = '=';
    shape1[44] = '\0';
    /* 42 + "==": 31 bytes. */
    memset(shape2, 'A', 44);
    shape2[42] = '=';
    shape2[43] = '=';
    shape2[44] = '\0';
    obj = make_obj(&signer_a, 1, CREATED, "{}", &len);
    keys[0] = shape1;
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    keys[0] = shape2;
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    keys[0] = "not base64 at all";
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    keys[0] = "";
    assert_int_equal(verify(obj, len, keys, 1), -EBADMSG);
    /* Before or after an unusable one, the good key answers. */
    keys[0] = pub_a;
    keys[1] = shape1;
    assert_int_equal(verify(obj, len, keys, 2), 0);
    keys[0] = shape2;
    keys[1] = pub_a;
    assert_int_equal(verify(obj, len, keys, 2), 1);
    free(obj);
}

/* ---- payloads of the wrong shape, properly signed ---- */

#define USER_A "{\"name\":\"a\",\"id\":\"AIDAA\",\"path\":\"/\",\"created\":1"
#define GROUP_G                                                                \
    "{\"name\":\"g\",\"id\":\"AGPAG\",\"authorized\":true,"                    \
    "\"members\":"

static int
decode(const char *payload, struct fetch *d, char err[ERRLEN])
{
    const char *keys[] = { pub_a };
    struct fleet_header h;
    bool all_keys = true;
    size_t len;
    char *obj;
    int r;

    obj = make_obj(&signer_a, 1, CREATED, payload, &len);
    assert_int_equal(header(obj, len, &h), 0);
    assert_int_equal(verify(obj, len, keys, 1), 0);
    err[0] = '\0';
    r = fleet_obj_decode(obj, len, &h, d, &all_keys, err, ERRLEN);
    free(obj);
    if (r < 0) {
        assert_false(all_keys);
        /* Nothing half-built is left to the caller. */
        assert_int_equal(d->n_users, 0);
        assert_null(d->users);
        assert_int_equal(d->n_groups, 0);
        assert_null(d->groups);
    }
    return r;
}

static void
decode_bad(const char *payload)
{
    char err[ERRLEN];
    struct fetch d;
    int r = decode(payload, &d, err);

    if (r != -EBADMSG)
        fail_msg("%s: got %d, want -EBADMSG", payload, r);
    if (err[0] == '\0')
        fail_msg("%s: no reason given", payload);
}

/*
 * The smallest object of each kind of item, written by hand: the decoder
 * and select() read "id": null as a group IAM does not have.
 */
static void
test_decode_minimal(void **state)
{
    static const char *const auth[] = { "g" };
    static const char *const sudo[] = { "h" };
    struct iam_config cfg;
    char err[ERRLEN];
    struct fetch d;

    (void)state;
    assert_int_equal(decode("{\"users\":[" USER_A ",\"keys\":[{\"id\":"
                            "\"APKA1\",\"status\":\"Inactive\",\"uploaded\":"
                            "7,\"body\":\"ssh-ed25519 AAAA\"}]}],\"groups\":"
                            "[{\"name\":\"h\",\"id\":null,\"authorized\":"
                            "false,\"members\":[]}," GROUP_G "[0]}],"
                            "\"all_keys\":false}",
                            &d, err),
                     0);
    assert_int_equal(d.n_users, 1);
    assert_string_equal(d.users[0].user_name, "a");
    assert_null(d.users[0].arn);
    assert_true(d.wanted[0]);
    assert_int_equal(d.keys[0].n, 1);
    assert_int_equal(d.keys[0].v[0].status, AWS_IAM_JSON_KEY_INACTIVE);
    assert_int_equal(d.keys[0].v[0].upload_date, 7);
    assert_int_equal(d.n_groups, 2);
    assert_null(d.groups[0].group_id);
    assert_false(d.groups[0].authorized);
    assert_int_equal(d.groups[1].n_members, 1);
    assert_true(d.groups[1].authorized);

    make_config(&cfg, auth, 1, sudo, 1);
    assert_int_equal(fleet_obj_select(&d, false, &cfg, err, sizeof(err)), 0);
    iam_config_free(&cfg);
    assert_int_equal(d.n_groups, 2);
    assert_string_equal(d.groups[0].name, "g");
    assert_string_equal(d.groups[0].group_id, "AGPAG");
    assert_string_equal(d.groups[1].name, "h");
    assert_null(d.groups[1].group_id);
    assert_true(d.authorized[0]);
    assert_true(d.wanted[0]);
    fetch_free(&d);
}

static void
test_decode_bad(void **state)
{
    static const char *const bad[] = {
        "[]",
        "",
        "{",
        "null",
        "\"users\"",
        "{}",
        "{\"users\":[],\"groups\":[]}",
        "{\"users\":{},\"groups\":[],\"all_keys\":false}",
        "{\"users\":[],\"groups\":[],\"all_keys\":0}",
        "{\"users\":[],\"groups\":[],\"all_keys\":false} {}",
        /* a member index out of range, negative, not a number */
        "{\"users\":[" USER_A "}],\"groups\":[" GROUP_G "[1]}],"
        "\"all_keys\":false}",
        "{\"users\":[],\"groups\":[" GROUP_G "[0]}],\"all_keys\":false}",
        "{\"users\":[" USER_A "}],\"groups\":[" GROUP_G "[-1]}],"
        "\"all_keys\":false}",
        "{\"users\":[" USER_A "}],\"groups\":[" GROUP_G "[\"0\"]}],"
        "\"all_keys\":false}",
        "{\"users\":[" USER_A "}],\"groups\":[" GROUP_G "0}],"
        "\"all_keys\":false}",
        /* a group without its name or its authorized flag */
        "{\"users\":[],\"groups\":[{\"id\":null,\"authorized\":true,"
        "\"members\":[]}],\"all_keys\":false}",
        "{\"users\":[],\"groups\":[{\"name\":\"g\",\"id\":null,"
        "\"members\":[]}],\"all_keys\":false}",
        /* a user without "id", with an empty name, not an object */
        "{\"users\":[{\"name\":\"a\",\"path\":\"/\",\"created\":1}],"
        "\"groups\":[],\"all_keys\":false}",
        "{\"users\":[{\"name\":\"\",\"id\":\"AIDAA\",\"path\":\"/\","
        "\"created\":1}],\"groups\":[],\"all_keys\":false}",
        "{\"users\":[\"a\"],\"groups\":[],\"all_keys\":false}",
        /* a string where a number is expected, and a negative time */
        "{\"users\":[{\"name\":\"a\",\"id\":\"AIDAA\",\"path\":\"/\","
        "\"created\":\"1\"}],\"groups\":[],\"all_keys\":false}",
        "{\"users\":[{\"name\":\"a\",\"id\":\"AIDAA\",\"path\":\"/\","
        "\"created\":-1}],\"groups\":[],\"all_keys\":false}",
        /* keys: a status IAM does not have, no body, not a list */
        "{\"users\":[" USER_A ",\"keys\":[{\"id\":\"APKA1\",\"status\":"
        "\"Deleted\",\"uploaded\":7,\"body\":\"ssh-ed25519 AAAA\"}]}],"
        "\"groups\":[],\"all_keys\":false}",
        "{\"users\":[" USER_A ",\"keys\":[{\"id\":\"APKA1\",\"status\":"
        "\"Active\",\"uploaded\":7}]}],\"groups\":[],\"all_keys\":false}",
        "{\"users\":[" USER_A ",\"keys\":[{\"id\":\"APKA1\",\"status\":"
        "\"Active\",\"uploaded\":\"7\",\"body\":\"x\"}]}],\"groups\":[],"
        "\"all_keys\":false}",
        "{\"users\":[" USER_A ",\"keys\":{}}],\"groups\":[],"
        "\"all_keys\":false}",
        /* not UTF-8; nested past the depth an object needs */
        "{\"users\":[{\"name\":\"\xff\",\"id\":\"AIDAA\",\"path\":\"/\","
        "\"created\":1}],\"groups\":[],\"all_keys\":false}",
        "{\"users\":[],\"groups\":[],\"all_keys\":false,"
        "\"x\":[[[[[[[[[[1]]]]]]]]]]}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        decode_bad(bad[i]);
}

/* ---- this instance's groups ---- */

/* A decoded copy of the account, as an instance holds it. */
static void
decoded(struct fetch *d, bool *all_keys)
{
    struct fetch f;
    char sha[65], *obj;
    size_t len;

    make_fetch(&f, shuffled, false, NGROUPS_WITH_ID);
    obj = build(&f, false, &signer_a, &len, sha);
    fetch_free(&f);
    read_obj(obj, len, d, all_keys);
    free(obj);
}

/* Runs fleet_obj_select() on a fresh decoded fetch into @d. */
static int
select_groups(struct fetch *d, bool all_keys, const char *const *auth,
              size_t n_auth, const char *const *sudo, size_t n_sudo,
              char err[ERRLEN])
{
    struct iam_config cfg;
    bool had_all;
    int r;

    decoded(d, &had_all);
    make_config(&cfg, auth, n_auth, sudo, n_sudo);
    err[0] = '\0';
    r = fleet_obj_select(d, all_keys, &cfg, err, ERRLEN);
    iam_config_free(&cfg);
    if (r < 0 && err[0] == '\0')
        fail_msg("fleet_obj_select: %d without a reason", r);
    return r;
}

static void
test_select(void **state)
{
    static const char *const auth[] = { "ssh-users" };
    static const char *const sudo[] = { "admins", "ssh-users" };
    static const size_t want_groups[] = { 1, 0 };
    char err[ERRLEN];
    struct fetch d;
    size_t i, row;

    (void)state;
    assert_int_equal(select_groups(&d, false, auth, 1, sudo, 2, err), 0);
    check_users(&d);
    check_groups(&d, want_groups, 2);
    assert_true(d.groups[0].authorized);
    assert_false(d.groups[1].authorized);
    for (i = 0; i < d.n_users; i++) {
        row = row_of(d.users[i].user_id);
        assert_int_equal(d.authorized[i], group_has(&group_rows[1], row));
        /* dave is authorized here, but the object has no key of his. */
        assert_int_equal(d.wanted[i], rows[row].wanted);
    }
    fetch_free(&d);
}

static void
test_select_missing(void **state)
{
    static const char *const auth[] = { "ssh-users", "nope" };
    static const char *const one[] = { "ssh-users" };
    static const char *const sudo[] = { "nope2" };
    static const char *const admins[] = { "admins" };
    char err[ERRLEN];
    struct fetch d;

    (void)state;
    assert_int_equal(select_groups(&d, false, auth, 2, NULL, 0, err), -ENOENT);
    assert_non_null(strstr(err, "nope"));
    fetch_free(&d);
    assert_int_equal(select_groups(&d, false, one, 1, sudo, 1, err), -ENOENT);
    assert_non_null(strstr(err, "nope2"));
    fetch_free(&d);
    /* admins was a sudoers group at the publisher: no keys of its own. */
    assert_int_equal(select_groups(&d, false, admins, 1, NULL, 0, err),
                     -ENOENT);
    assert_non_null(strstr(err, "admins"));
    fetch_free(&d);
    assert_int_equal(select_groups(&d, true, admins, 1, NULL, 0, err), 0);
    assert_int_equal(d.n_groups, 1);
    assert_string_equal(d.groups[0].name, "admins");
    assert_true(d.groups[0].authorized);
    fetch_free(&d);
}

static void
test_select_everyone(void **state)
{
    static const char *const sudo[] = { "admins" };
    char err[ERRLEN];
    struct fetch d;
    size_t i, row;

    (void)state;
    assert_int_equal(select_groups(&d, false, NULL, 0, sudo, 1, err), -ENOENT);
    assert_non_null(strstr(err, "IAM_AUTHORIZED_GROUPS"));
    fetch_free(&d);
    assert_int_equal(select_groups(&d, true, NULL, 0, sudo, 1, err), 0);
    assert_int_equal(d.n_groups, 1);
    assert_false(d.groups[0].authorized);
    for (i = 0; i < d.n_users; i++) {
        row = row_of(d.users[i].user_id);
        assert_true(d.authorized[i]);
        assert_int_equal(d.wanted[i], rows[row].wanted);
    }
    fetch_free(&d);
}

/* ---- the private key file ---- */

static int
load_file(EVP_PKEY *pk, const char *text, mode_t mode)
{
    struct fleet_signer s = { NULL };
    char path[64];
    int r;

    assert_int_equal(write_key(pk, text, mode, path, sizeof(path)), 0);
    r = fleet_signer_load(path, &s);
    unlink(path);
    assert_null(s.pkey);
    return r;
}

static void
test_signer_load(void **state)
{
    char pub[FLEET_PUB_B64_SIZE];
    EVP_PKEY *pk;

    (void)state;
    pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(pk);
    assert_int_equal(load_file(pk, NULL, 0644), -EACCES);
    assert_int_equal(load_file(pk, NULL, 0640), -EACCES);
    EVP_PKEY_free(pk);

    assert_int_equal(load_file(NULL, "not a key\n", 0600), -EINVAL);
    assert_int_equal(load_file(NULL, "", 0600), -EINVAL);
    pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(pk);
    assert_int_equal(load_file(pk, NULL, 0600), -EINVAL);
    EVP_PKEY_free(pk);
    pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(pk);
    assert_int_equal(load_file(pk, NULL, 0600), -EINVAL);
    EVP_PKEY_free(pk);

    {
        struct fleet_signer s = { NULL };

        assert_int_equal(fleet_signer_load("/tmp/iam-fleet-test.missing/k", &s),
                         -ENOENT);
        assert_null(s.pkey);
        /* A directory is not a key file. */
        assert_true(fleet_signer_load("/tmp", &s) < 0);
        assert_null(s.pkey);
        fleet_signer_free(&s);
    }

    assert_int_equal(strlen(pub_a), 44);
    assert_int_equal(pub_a[43], '=');
    assert_string_not_equal(pub_a, pub_b);
    assert_int_equal(fleet_signer_public(&signer_a, pub), 0);
    assert_string_equal(pub, pub_a);
}

/* The header is judged once its line is complete, or once
 * FLEET_HEADER_MAX bytes came without one: never later. */
static void
test_header_complete(void **state)
{
    char err[ERRLEN];
    struct fleet_header h;
    char *junk = malloc(FLEET_HEADER_MAX + 1);

    (void)state;
    assert_non_null(junk);
    memset(junk, 'x', FLEET_HEADER_MAX + 1);
    assert_false(fleet_obj_header_complete(junk, 0));
    assert_false(fleet_obj_header_complete(junk, 100));
    assert_false(fleet_obj_header_complete(junk, FLEET_HEADER_MAX - 1));
    assert_true(fleet_obj_header_complete(junk, FLEET_HEADER_MAX));
    assert_int_equal(
        fleet_obj_header(junk, FLEET_HEADER_MAX, &h, err, sizeof(err)),
        -EBADMSG);
    assert_non_null(strstr(err, "no header line"));
    junk[10] = '\n';
    assert_true(fleet_obj_header_complete(junk, 11));
    assert_false(fleet_obj_header_complete(junk, 10));
    assert_int_equal(fleet_obj_header(junk, 11, &h, err, sizeof(err)),
                     -EBADMSG);
    free(junk);
}

/* A private directory for the state files. */
static void
state_dir(char dir[64], char db[96])
{
    snprintf(dir, 64, "/tmp/iam-fleet-state.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, 96, "%s/passwd.mdb", dir);
}

static void
state_dir_remove(const char *dir)
{
    static const char *const names[] = { ".fleet", ".fleet-newest",
                                         ".fleet-refused" };
    char path[128];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/passwd.mdb%s", dir, names[i]);
        (void)unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* The highest created time applied: per SOURCE, never lowered, 0644. */
static void
test_newest(void **state)
{
    char dir[64], db[96], path[128];
    struct stat st;

    (void)state;
    state_dir(dir, db);
    assert_int_equal(fleet_newest_load(db, SOURCE), 0);
    assert_int_equal(fleet_newest_raise(db, SOURCE, CREATED), 0);
    assert_int_equal(fleet_newest_load(db, SOURCE), CREATED);
    assert_int_equal(fleet_newest_raise(db, SOURCE, CREATED - 10), 0);
    assert_int_equal(fleet_newest_load(db, SOURCE), CREATED);
    assert_int_equal(fleet_newest_raise(db, SOURCE, CREATED + 5), 0);
    assert_int_equal(fleet_newest_load(db, SOURCE), CREATED + 5);
    /* Another SOURCE's objects have their own history. */
    assert_int_equal(fleet_newest_load(db, "s3://other-bucket/k"), 0);
    snprintf(path, sizeof(path), "%s.fleet-newest", db);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    /* Anything but one well-formed line is no record. */
    write_text(path, "17 " SOURCE, 0644);
    assert_int_equal(fleet_newest_load(db, SOURCE), 0);
    write_text(path, "-17 " SOURCE "\n", 0644);
    assert_int_equal(fleet_newest_load(db, SOURCE), 0);
    write_text(path, "17 " SOURCE " x\n", 0644);
    assert_int_equal(fleet_newest_load(db, SOURCE), 0);
    /* Nor is a file others could have written. */
    write_text(path, "1999999999 " SOURCE "\n", 0666);
    assert_int_equal(fleet_newest_load(db, SOURCE), 0);
    write_text(path, "1999999999 " SOURCE "\n", 0644);
    assert_int_equal(fleet_newest_load(db, SOURCE), 1999999999);
    state_dir_remove(dir);
}

/* The refusal record: kept under its context only, one line of reason. */
static void
test_refused_record(void **state)
{
    char dir[64], db[96], path[128];
    char ctx[65], other[65];
    struct fleet_refused r, got;

    (void)state;
    state_dir(dir, db);
    memset(ctx, 'a', 64);
    ctx[64] = '\0';
    memset(other, 'b', 64);
    other[64] = '\0';
    memset(&r, 0, sizeof(r));
    fleet_refused_load(db, ctx, &got);
    assert_string_equal(got.etag, "");
    snprintf(r.etag, sizeof(r.etag), "\"0123abcd\"");
    snprintf(r.context, sizeof(r.context), "%s", ctx);
    snprintf(r.why, sizeof(r.why),
             "it was published for s3://x/y\nand "
             "more");
    assert_int_equal(fleet_refused_save(db, &r), 0);
    fleet_refused_load(db, ctx, &got);
    assert_string_equal(got.etag, "\"0123abcd\"");
    assert_string_equal(got.context, ctx);
    assert_string_equal(got.why, "it was published for s3://x/y?and more");
    /* Other settings: judged afresh. */
    fleet_refused_load(db, other, &got);
    assert_string_equal(got.etag, "");
    /* Cleared: the file goes. */
    r.etag[0] = '\0';
    assert_int_equal(fleet_refused_save(db, &r), 0);
    snprintf(path, sizeof(path), "%s.fleet-refused", db);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(fleet_refused_save(db, &r), 0);
    write_text(path, "\"e\" aaaa\nwhy\n", 0644);
    fleet_refused_load(db, "aaaa", &got);
    assert_string_equal(got.etag, "\"e\"");
    write_text(path, "\"e\" aaaa\nwhy\n", 0646);
    fleet_refused_load(db, "aaaa", &got);
    assert_string_equal(got.etag, "");
    write_text(path, "\"e\" aaaa\nwhy\nmore\n", 0644);
    fleet_refused_load(db, "aaaa", &got);
    assert_string_equal(got.etag, "");
    state_dir_remove(dir);
}

/* The applied object's record reads back; a bad one is no record. */
static void
test_seen_record(void **state)
{
    char dir[64], db[96], path[128];
    struct fleet_seen s, got;

    (void)state;
    state_dir(dir, db);
    memset(&s, 0, sizeof(s));
    s.newest = CREATED;
    snprintf(s.etag, sizeof(s.etag), "\"abc\"");
    memset(s.local, 'c', 64);
    assert_int_equal(fleet_seen_save(db, &s), 0);
    fleet_seen_load(db, &got);
    assert_int_equal(got.newest, CREATED);
    assert_string_equal(got.etag, "\"abc\"");
    assert_string_equal(got.local, s.local);
    s.etag[0] = '\0';
    assert_int_equal(fleet_seen_save(db, &s), 0);
    fleet_seen_load(db, &got);
    assert_string_equal(got.etag, "");
    snprintf(path, sizeof(path), "%s.fleet", db);
    write_text(path, "12 \"abc\" short\n", 0644);
    fleet_seen_load(db, &got);
    assert_int_equal(got.newest, 0);
    state_dir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_group_without_id),
        cmocka_unit_test(test_key_without_body),
        cmocka_unit_test(test_verify_keys),
        cmocka_unit_test(test_verify_tampered),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_signature_shape),
        cmocka_unit_test(test_bad_public_key),
        cmocka_unit_test(test_decode_minimal),
        cmocka_unit_test(test_decode_bad),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_select_missing),
        cmocka_unit_test(test_select_everyone),
        cmocka_unit_test(test_signer_load),
        cmocka_unit_test(test_header_complete),
        cmocka_unit_test(test_newest),
        cmocka_unit_test(test_refused_record),
        cmocka_unit_test(test_seen_record),
    };

    return cmocka_run_group_tests_name("fleet", tests, setup, teardown);
}
