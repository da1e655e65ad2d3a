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
#include "iam_instance.h"
#include "sshd_check.h"
#include "sudo_check.h"
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
/*
 * Where the snapshot was made, and whether that is here as far as this
 * host can tell without the network (the readers' view, iam_instance.h).
 */
static void
instance_words(const struct iam_meta_rec *m, const char *here, char *ret,
               size_t len)
{
    if (!iam_instance_id_valid(m->instance.p, m->instance.len))
        snprintf(ret, len, "unknown");
    else if (iam_instance_other(m->instance, here))
        snprintf(ret, len,
                 "%.*s, not this instance (%s): an image's "
                 "snapshot, not served until iam-sync replaces it",
                 (int)m->instance.len, m->instance.p, here);
    else
        snprintf(ret, len, "%.*s", (int)m->instance.len, m->instance.p);
}

/* Whether this host gives sudo through IAM groups at all. */
static bool
sudo_used(const struct iam_config *cfg)
{
    return cfg->sudoers_all || cfg->sudoers_groups.n > 0 ||
           cfg->sudoers_groups_tag;
}

/* Whether a user removed from SUDOERS_GROUPS loses sudo in open sessions
 * too, and where that is decided. */
static void
sudo_words(const struct sudo_check *su, char *ret, size_t len)
{
    if (su->dynamic)
        snprintf(ret, len, "group_source dynamic (/etc/sudo.conf:%u)",
                 su->line);
    else if (su->line == 0)
        snprintf(ret, len,
                 "group_source %s (sudo's default): a user removed from "
                 "SUDOERS_GROUPS keeps sudo in sessions opened before; add "
                 "\"Set group_source dynamic\" to /etc/sudo.conf",
                 su->value);
    else
        snprintf(ret, len,
                 "group_source %s (/etc/sudo.conf:%u): a user removed from "
                 "SUDOERS_GROUPS keeps sudo in sessions opened before; set "
                 "it to dynamic",
                 su->value, su->line);
}

static void
print_meta(const char *path, const struct iam_meta_rec *m, time_t checked,
           long age, bool stale, const struct sshd_check *sc, const char *here,
           const struct sudo_check *su, bool json)
{
    char when[32], seen[32], fix[2048], made[256], sudo[512];
    /* Only an instance id is printed (JSON needs no escaping then). */
    int ilen = iam_instance_id_valid(m->instance.p, m->instance.len)
                   ? (int)m->instance.len
                   : 0;

    utc((time_t)m->created, when);
    utc(checked, seen);
    if (json) {
        printf("{\"snapshot\": \"%s\", \"created\": \"%s\", \"checked\": "
               "\"%s\", \"age_seconds\": %ld, \"stale\": %s, \"users\": %u, "
               "\"groups\": %u, \"keys\": %u, \"account\": \"%.*s\", "
               "\"source\": \"%.*s\", \"instance\": \"%.*s\", "
               "\"this_instance\": \"%s\", \"sshd\": \"%s\", "
               "\"sudo_group_source\": \"%s\"}\n",
               path, when, seen, age, stale ? "true" : "false", m->users,
               m->groups, m->keys, (int)m->account.len, m->account.p,
               (int)m->source.len, m->source.p, ilen, m->instance.p, here,
               sshd_words[sc->result], su ? su->value : "");
        return;
    }
    sshd_check_fix(sc, fix, sizeof(fix));
    instance_words(m, here, made, sizeof(made));
    printf("snapshot: %s\ncreated:  %s\nchecked:  %s (%ld s ago)%s\n"
           "users:    %u\ngroups:   %u\nkeys:     %u\naccount:  %.*s\n"
           "source:   %.*s\nmade on:  %s\nsshd:     %s\n",
           path, when, seen, age, stale ? ", older than MAX_SNAPSHOT_AGE" : "",
           m->users, m->groups, m->keys, (int)m->account.len, m->account.p,
           (int)m->source.len, m->source.p, made, fix);
    if (su) {
        sudo_words(su, sudo, sizeof(sudo));
        printf("sudo:     %s\n", sudo);
    }
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
    char here[IAM_INSTANCE_ID_SIZE];
    struct iam_meta_rec m;
    struct sudo_check su;
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
                r == -ENOENT   ? "no snapshot yet (has iam-sync run?)"
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
            iam_instance_id_local(IAM_INSTANCE_ID_PATH, here);
            /* A sudo upgrade that replaced sudo.conf drops the line the
             * packages added: reported, as the login still works. */
            if (sudo_used(cfg))
                sudo_check(status_root(), &su);
            print_meta(db_path, &m, checked, age, stale, &sc, here,
                       sudo_used(cfg) ? &su : NULL, json);
            r = stale ? -ESTALE : 0;
            /* The readers refuse it: nobody from IAM logs in. */
            if (iam_instance_other(m.instance, here))
                r = -ESTALE;
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
