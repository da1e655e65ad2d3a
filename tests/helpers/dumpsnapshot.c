/*
 * dumpsnapshot PATH - print every record of a snapshot as text, one per
 * line, through the real reader, for the shell tests to compare:
 *
 *   meta users=N groups=N keys=N uid_min=N uid_max=N account=A source=S
 *        digest=D created=T
 *   user NAME UID GID IAM_NAME IAM_ID HOME SHELL GECOS
 *   gids NAME GID...
 *   key NAME KEY_ID STATUS UPLOAD_DATE FINGERPRINT LINE
 *   group NAME GID KIND MEMBER...
 *
 * STATUS is active, inactive or expired; KIND private, iam, sudo, member.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iam_db.h"

static const char *const status_words[] = { "active", "inactive", "expired" };
static const char *const kind_words[] = { "private", "iam", "sudo", "member" };

#define S(x) (int)(x).len, (x).p

static void
dump_user(struct iam_db_txn *t, const struct iam_user_rec *u)
{
    char name[256];
    struct iam_rec_iter it;
    struct iam_key_rec k;
    uint32_t gid;

    printf("user %.*s %u %u %.*s %.*s %.*s %.*s %.*s\n", S(u->name), u->uid,
           u->gid, S(u->iam_name), S(u->iam_id), S(u->home), S(u->shell),
           S(u->gecos));
    snprintf(name, sizeof(name), "%.*s", S(u->name));
    if (iam_db_user_gids(t, name, &it) == 0) {
        printf("gids %s", name);
        while (iam_rec_gid_next(&it, &gid) == 1)
            printf(" %u", gid);
        printf("\n");
    }
    if (iam_db_user_keys(t, name, &it) == 0)
        while (iam_rec_key_next(&it, &k) == 1)
            printf("key %s %.*s %s %lld %.*s %.*s\n", name, S(k.key_id),
                   status_words[k.status], (long long)k.upload_date,
                   S(k.fingerprint), S(k.line));
}

int
main(int argc, char **argv)
{
    struct iam_db *db;
    struct iam_db_txn t;
    struct iam_meta_rec m;
    struct iam_user_rec u;
    struct iam_group_rec g;
    struct iam_str s;
    uint32_t next;
    int r;

    if (argc != 2) {
        fprintf(stderr, "usage: dumpsnapshot PATH\n");
        return 2;
    }
    r = iam_db_open(argv[1], &db);
    if (r < 0) {
        fprintf(stderr, "dumpsnapshot: %s: %s\n", argv[1], strerrordesc_np(-r));
        return 1;
    }
    r = iam_db_begin(db, &t);
    if (r == 0 && iam_db_meta(&t, &m) == 0)
        printf("meta users=%u groups=%u keys=%u uid_min=%u uid_max=%u "
               "account=%.*s source=%.*s digest=%.*s instance=%.*s "
               "created=%lld\n",
               m.users, m.groups, m.keys, m.uid_min, m.uid_max, S(m.account),
               S(m.source), S(m.digest), S(m.instance), (long long)m.created);
    for (next = 0; r == 0 && iam_db_user_next(&t, next, &u) == 0;
         next = u.uid + 1)
        dump_user(&t, &u);
    for (next = 0; r == 0 && iam_db_group_next(&t, next, &g) == 0;
         next = g.gid + 1) {
        printf("group %.*s %u %s", S(g.name), g.gid, kind_words[g.kind]);
        while (iam_rec_str_next(&g.members, &s) == 1)
            printf(" %.*s", S(s));
        printf("\n");
    }
    if (r == 0)
        iam_db_end(&t);
    iam_db_close(db);
    return r < 0 ? 1 : 0;
}
