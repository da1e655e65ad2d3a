/*
 * iam-sync --status: the health of the published snapshot; and
 * --check-sshd: whether sshd asks iam-authorized-keys for keys.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iam_db.h"
#include "sshd_check.h"
#include "sync.h"

static const char *const sshd_words[] = {
    [SSHD_OURS] = "ok",
    [SSHD_UNIT_OPTION] = "overridden-by-unit",
    [SSHD_CONFIG] = "overridden-by-config",
    [SSHD_NONE] = "not-configured",
};

static void
utc(time_t t, char out[32])
{
    struct tm tm;

    out[0] = '\0';
    if (gmtime_r(&t, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * @checked: when the content was last known current (the file's mtime,
 * which iam-sync sets on every successful run); age counts from it.
 */
static void
print_meta(const char *path, const struct iam_meta_rec *m, time_t checked,
           long age, bool stale, const struct sshd_check *sc, bool json)
{
    char when[32], seen[32], fix[2048];

    utc((time_t)m->created, when);
    utc(checked, seen);
    if (json) {
        printf("{\"snapshot\": \"%s\", \"created\": \"%s\", \"checked\": "
               "\"%s\", \"age_seconds\": %ld, \"stale\": %s, \"users\": %u, "
               "\"groups\": %u, \"keys\": %u, \"account\": \"%.*s\", "
               "\"source\": \"%.*s\", \"sshd\": \"%s\"}\n",
               path, when, seen, age, stale ? "true" : "false", m->users,
               m->groups, m->keys, (int)m->account.len, m->account.p,
               (int)m->source.len, m->source.p, sshd_words[sc->result]);
        return;
    }
    sshd_check_fix(sc, fix, sizeof(fix));
    printf("snapshot: %s\ncreated:  %s\nchecked:  %s (%ld s ago)%s\n"
           "users:    %u\ngroups:   %u\nkeys:     %u\naccount:  %.*s\n"
           "source:   %.*s\nsshd:     %s\n",
           path, when, seen, age,
           stale ? ", older than MAX_SNAPSHOT_AGE" : "", m->users,
           m->groups, m->keys, (int)m->account.len, m->account.p,
           (int)m->source.len, m->source.p, fix);
}

/* Where the sshd and systemd files are read: "/", or a test's tree. */
static const char *
status_root(void)
{
    return "/";
}

int
sync_status(const struct iam_config *cfg, const char *db_path, bool json)
{
    struct iam_meta_rec m;
    struct sshd_check sc;
    struct iam_db_txn t;
    struct iam_db *db;
    struct stat st;
    time_t checked;
    long age;
    bool stale;
    int r;

    r = iam_db_open(db_path, &db);
    if (r < 0) {
        fprintf(stderr, "iam-sync: %s: %s\n", db_path,
                r == -ENOENT ? "no snapshot yet (has iam-sync run?)"
                : r == -EACCES ? "not trusted (owner or mode) or unreadable"
                               : "corrupt or of an unknown format");
        return 1;
    }
    r = iam_db_begin(db, &t);
    if (r >= 0) {
        r = iam_db_meta(&t, &m);
        if (r >= 0) {
            checked = (time_t)m.created;
            if (stat(db_path, &st) == 0 && st.st_mtime > checked)
                checked = st.st_mtime;
            age = (long)(time(NULL) - checked);
            stale = age > (long)cfg->max_snapshot_age;
            /* Another AuthorizedKeysCommand winning is as bad as no
             * snapshot: IAM users cannot log in. No sshd setting at all
             * (a publisher's host, say) is only reported. */
            sshd_check(status_root(), &sc);
            print_meta(db_path, &m, checked, age, stale, &sc, json);
            r = stale ? -ESTALE : 0;
            if (sc.result == SSHD_UNIT_OPTION || sc.result == SSHD_CONFIG)
                r = -EPERM;
        }
        iam_db_end(&t);
    }
    iam_db_close(db);
    return r < 0 ? 1 : 0;
}

int
sync_check_sshd(void)
{
    static const char config[] = "/etc/ssh/sshd_config";
    struct sshd_check sc;
    char fix[2048];

    sshd_check(status_root(), &sc);
    sshd_check_fix(&sc, fix, sizeof(fix));
    if (sc.result == SSHD_OURS) {
        printf("sshd: %s\n", fix);
        return 0;
    }
    /* No sshd here (a publisher, an image without openssh-server): the
     * drop-in waits for one, and nothing is wrong yet. */
    if (sc.result == SSHD_NONE && access(config, F_OK) < 0) {
        printf("sshd: %s does not exist: nothing to check\n", config);
        return 0;
    }
    fprintf(stderr, "iam-sync: sshd: %s\n", fix);
    return 1;
}
