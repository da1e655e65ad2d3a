#include "diff.h"

#include <string.h>

static const char *
status_word(uint8_t s)
{
    switch (s) {
    case 0:
        return "Active";
    case 1:
        return "Inactive";
    default:
        return "expired";
    }
}

struct printer {
    FILE *out;
    bool json;
    bool first;
};

/* One change: @sign is '+', '-' or '~'. @detail may be NULL. */
static void
emit(struct printer *p, char sign, const char *what, const char *id,
     const char *user, const char *detail)
{
    static const char *const kind[] = { "added", "removed", "changed" };
    int k = sign == '+' ? 0 : sign == '-' ? 1 : 2;

    if (!p->out)
        return;
    if (!p->json) {
        fprintf(p->out, "%c %s %s%s%s%s%s\n", sign, what, id,
                user ? " of " : "", user ? user : "", detail ? " " : "",
                detail ? detail : "");
        return;
    }
    /* Names, key ids and fingerprints are [A-Za-z0-9+/=:._@,-]: no JSON
     * escaping is needed. */
    fprintf(p->out, "%s\n    {\"change\": \"%s\", \"%s\": \"%s\"",
            p->first ? "" : ",", kind[k], what, id);
    if (user)
        fprintf(p->out, ", \"user\": \"%s\"", user);
    if (detail)
        fprintf(p->out, ", \"detail\": \"%s\"", detail);
    fputc('}', p->out);
    p->first = false;
}

static void
diff_keys(const struct state_user *a, const struct state_user *b,
          struct printer *p, struct diff_counts *d)
{
    size_t i = 0, j = 0;
    char detail[96];
    int c;

    while (i < (a ? a->n_keys : 0) || j < (b ? b->n_keys : 0)) {
        if (!a || i == a->n_keys)
            c = 1;
        else if (!b || j == b->n_keys)
            c = -1;
        else
            c = strcmp(a->keys[i].key_id, b->keys[j].key_id);
        if (c < 0) {
            emit(p, '-', "key", a->keys[i].key_id, a->name,
                 a->keys[i].fingerprint);
            d->keys_removed++;
            i++;
        } else if (c > 0) {
            snprintf(detail, sizeof(detail), "%s %s", b->keys[j].fingerprint,
                     status_word(b->keys[j].status));
            emit(p, '+', "key", b->keys[j].key_id, b->name, detail);
            d->keys_added++;
            j++;
        } else {
            if (a->keys[i].status != b->keys[j].status) {
                snprintf(detail, sizeof(detail), "%s -> %s",
                         status_word(a->keys[i].status),
                         status_word(b->keys[j].status));
                emit(p, '~', "key", b->keys[j].key_id, b->name, detail);
                d->keys_changed++;
            }
            i++;
            j++;
        }
    }
}

static void
diff_user(const struct state_user *a, const struct state_user *b,
          struct printer *p, struct diff_counts *d)
{
    char detail[48];
    const struct state_user *u = b ? b : a;

    if (!a || !b) {
        snprintf(detail, sizeof(detail), "uid %u", u->uid);
        emit(p, a ? '-' : '+', "user", u->name, NULL, detail);
        if (a)
            d->users_removed++;
        else
            d->users_added++;
    } else if (a->uid != b->uid) {
        snprintf(detail, sizeof(detail), "uid %u -> %u", a->uid, b->uid);
        emit(p, '~', "user", u->name, NULL, detail);
        d->uids_changed++;
    }
    if ((a && a->sudo) != (b && b->sudo)) {
        emit(p, b && b->sudo ? '+' : '-', "sudo", u->name, NULL, NULL);
        if (b && b->sudo)
            d->sudo_added++;
        else
            d->sudo_removed++;
    }
    diff_keys(a, b, p, d);
}

void
diff_states(const struct state *old, const struct state *new, FILE *out,
            bool json, struct diff_counts *ret)
{
    struct printer p = { out, json, true };
    size_t i = 0, j = 0;
    int c;

    memset(ret, 0, sizeof(*ret));
    if (out && json)
        fputs("{\"changes\": [", out);
    while (i < old->n_users || j < new->n_users) {
        if (i == old->n_users)
            c = 1;
        else if (j == new->n_users)
            c = -1;
        else
            c = strcmp(old->users[i].name, new->users[j].name);
        diff_user(c <= 0 ? &old->users[i] : NULL,
                  c >= 0 ? &new->users[j] : NULL, &p, ret);
        i += c <= 0;
        j += c >= 0;
    }
    if (out && json)
        fprintf(out,
                "\n  ],\n  \"counts\": {\"users_added\": %u, "
                "\"users_removed\": %u, \"uids_changed\": %u, "
                "\"keys_added\": %u, \"keys_removed\": %u, "
                "\"keys_changed\": %u, \"sudo_added\": %u, "
                "\"sudo_removed\": %u}}\n",
                ret->users_added, ret->users_removed, ret->uids_changed,
                ret->keys_added, ret->keys_removed, ret->keys_changed,
                ret->sudo_added, ret->sudo_removed);
}

bool
diff_changed(const struct diff_counts *d)
{
    return d->users_added || d->users_removed || d->uids_changed ||
           d->keys_added || d->keys_removed || d->keys_changed ||
           d->sudo_added || d->sudo_removed;
}

bool
diff_too_many_removed(unsigned removed, size_t old_users, unsigned percent)
{
    /* In 64 bits: 100 x a size_t count cannot wrap for any real snapshot. */
    return (unsigned long long)removed * 100 >
           (unsigned long long)percent * old_users;
}
