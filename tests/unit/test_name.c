/*
 * Unit tests for lib/iam_name.c: IAM to POSIX name mapping, the reserved
 * list, the local name set read from passwd/group files, and the
 * ambiguity check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "iam_name.h"

/* A private directory under /tmp with the files one test writes. */
struct tmp {
    char dir[64];
    char passwd[128];
    char group[128];
};

/*
 * Per-test fixture: cmocka runs the teardown even when the test fails, so
 * a failing test leaves nothing behind in /tmp.
 */
static int
tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/test_name.XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->passwd, sizeof(t->passwd), "%s/passwd", t->dir);
    snprintf(t->group, sizeof(t->group), "%s/group", t->dir);
    *state = t;
    return 0;
}

static int
tmp_teardown(void **state)
{
    struct tmp *t = *state;
    int r;

    unlink(t->passwd);
    unlink(t->group);
    r = rmdir(t->dir);
    free(t);
    return r;
}

/* Write @len bytes (len may include NULs) to @path. */
static void
write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "we");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void
write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* Map @in and return the code; the mapped name lands in @out. */
static int
map(const char *in, char out[IAM_NAME_BUF])
{
    return iam_name_map(in, out, IAM_NAME_BUF);
}

static void
test_map_email(void **state)
{
    char out[IAM_NAME_BUF];

    (void)state;
    assert_int_equal(map("first.last@example.com", out), 0);
    assert_string_equal(out, "first.last.at.example.com");
}

static void
test_map_all_specials(void **state)
{
    char out[IAM_NAME_BUF];

    (void)state;
    assert_int_equal(map("a+b=c,d", out), 0);
    assert_string_equal(out, "a.plus.b.equal.c.comma.d");
    assert_int_equal(map("Alice_B-c.d", out), 0);
    assert_string_equal(out, "Alice_B-c.d");
    assert_int_equal(map("_svc", out), 0);
    assert_string_equal(out, "_svc");
    assert_int_equal(map("x", out), 0);
    assert_string_equal(out, "x");
}

static void
test_map_length_limit(void **state)
{
    char out[IAM_NAME_BUF];
    char in[256];

    (void)state;
    /* 28 letters + "@" -> 28 + ".at." = 32 characters: accepted. */
    memset(in, 'a', 28);
    memcpy(in + 28, "@", 2);
    assert_int_equal(map(in, out), 0);
    assert_int_equal(strlen(out), 32);
    assert_memory_equal(out + 28, ".at.", 5);

    /* 29 letters + "@" -> 33 characters: refused, never truncated. */
    memset(in, 'a', 29);
    memcpy(in + 29, "@", 2);
    memcpy(out, "junk", 5);
    assert_int_equal(map(in, out), -ENAMETOOLONG);
    assert_string_equal(out, "");

    /* Unmapped: 32 accepted, 33 refused. */
    memset(in, 'b', 32);
    in[32] = '\0';
    assert_int_equal(map(in, out), 0);
    assert_string_equal(out, in);
    memset(in, 'b', 33);
    in[33] = '\0';
    assert_int_equal(map(in, out), -ENAMETOOLONG);

    /* IAM's own maxima, and far beyond. */
    memset(in, 'c', 64);
    in[64] = '\0';
    assert_int_equal(map(in, out), -ENAMETOOLONG);
    memset(in, '@', 255);
    in[255] = '\0';
    assert_int_equal(map(in, out), -ENAMETOOLONG);
}

static void
test_map_first_character(void **state)
{
    static const char *const bad[] = {
        "1alice", "9", "-alice", ".alice", "+alice", "=x", ",x", "@x",
    };
    char out[IAM_NAME_BUF];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(out, "junk", 5);
        assert_int_equal(map(bad[i], out), -EDOM);
        assert_string_equal(out, "");
    }
}

static void
test_map_bad_characters(void **state)
{
    static const char *const bad[] = {
        "a b",  "a/b",         "a:b", "a$",  "a!b", "a\nb",
        "a\tb", "caf\xc3\xa9", "a*",  "a#b", "a~",  "a'b",
        "a\"b", "a\\b",        "a%b", "(a)", "a;b",
    };
    char out[IAM_NAME_BUF];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(out, "junk", 5);
        assert_int_equal(map(bad[i], out), -EINVAL);
        assert_string_equal(out, "");
    }
}

static void
test_map_empty_and_null(void **state)
{
    char out[IAM_NAME_BUF];

    (void)state;
    memcpy(out, "junk", 5);
    assert_int_equal(map("", out), -EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(map(NULL, out), -EINVAL);
    assert_int_equal(iam_name_map("alice", NULL, 10), -EINVAL);
}

static void
test_map_precedence(void **state)
{
    char out[IAM_NAME_BUF];

    (void)state;
    /* Character set first, then length, then first character. */
    assert_int_equal(map("1 this is long and has blanks in it xx", out),
                     -EINVAL);
    assert_int_equal(map("1234567890123456789012345678901234", out),
                     -ENAMETOOLONG);
    assert_int_equal(map("1234567890", out), -EDOM);
}

static void
test_map_buffer_size(void **state)
{
    char out[8];

    (void)state;
    memcpy(out, "junk", 5);
    assert_int_equal(iam_name_map("a@b", out, 6), -ENOBUFS);
    assert_string_equal(out, "");
    assert_int_equal(iam_name_map("a@b", out, 7), 0);
    assert_string_equal(out, "a.at.b");
    assert_int_equal(iam_name_map("a", out, 0), -ENOBUFS);
}

static void
test_valid_posix(void **state)
{
    static const char *const good[] = {
        "a",
        "_",
        "A",
        "first.last.at.example.com",
        "a-b_c.d9",
        "_apt",
        "abcdefghijklmnopqrstuvwxyz012345",
    };
    static const char *const bad[] = {
        "",
        "1a",
        "-a",
        ".a",
        "a b",
        "a@b",
        "a+b",
        "a:b",
        "a$",
        "a/b",
        "abcdefghijklmnopqrstuvwxyz0123456",
        "caf\xc3\xa9",
        "a\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(iam_name_is_valid_posix(good[i]));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(iam_name_is_valid_posix(bad[i]));
    assert_false(iam_name_is_valid_posix(NULL));
}

/* IAM's own alphabet and limits, for names from outside IAM. */
static void
test_valid_iam(void **state)
{
    static const char *const good[] = {
        "a", "Alice", "first.last@example.com", "a+b=c,d", "_-", "9lives",
    };
    static const char *const bad[] = {
        "", "a b", "a:b", "a/b", "caf\xc3\xa9", "a\n", "a$", "a*",
    };
    char name[IAM_NAME_IAM_GROUP_MAX + 2];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(iam_name_is_valid_iam(good[i], strlen(good[i]),
                                          IAM_NAME_IAM_USER_MAX));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(iam_name_is_valid_iam(bad[i], strlen(bad[i]),
                                           IAM_NAME_IAM_USER_MAX));
    assert_false(iam_name_is_valid_iam(NULL, 1, IAM_NAME_IAM_USER_MAX));
    /* A NUL inside the length is no name character. */
    assert_false(iam_name_is_valid_iam("a\0b", 3, IAM_NAME_IAM_USER_MAX));
    memset(name, 'n', sizeof(name));
    assert_true(iam_name_is_valid_iam(name, 64, IAM_NAME_IAM_USER_MAX));
    assert_false(iam_name_is_valid_iam(name, 65, IAM_NAME_IAM_USER_MAX));
    assert_true(iam_name_is_valid_iam(name, 128, IAM_NAME_IAM_GROUP_MAX));
    assert_false(iam_name_is_valid_iam(name, 129, IAM_NAME_IAM_GROUP_MAX));
}

static void
test_reserved(void **state)
{
    static const char *const yes[] = {
        "root",
        "ROOT",
        "Root",
        "daemon",
        "sudo",
        "wheel",
        "admin",
        "adm",
        "nobody",
        "nogroup",
        "www-data",
        "ec2-user",
        "ubuntu",
        "ssm-user",
        "sshd",
        "systemd-network",
        "Systemd-Anything",
        "_apt",
        "_x",
        "docker",
        "postgres",
        "shadow",
        "disk",
        "kmem",
        "staff",
        "users",
    };
    static const char *const no[] = {
        "alice",        "first.last.at.example.com",
        "rooty",        "roo",
        "systemd",      "sudo-users",
        "data-science", "a_root",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(iam_name_is_reserved(yes[i]));
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(iam_name_is_reserved(no[i]));
    assert_true(iam_name_is_reserved(NULL));
}

static void
upper(const char *s, char *out, size_t size)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < size; i++)
        out[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    out[i] = '\0';
}

/* bsearch() only works if the list is sorted; prove it for every entry. */
static void
test_reserved_list_sorted(void **state)
{
    const char *const *list;
    char up[64];
    size_t n = 0;
    size_t i;
    size_t j;

    (void)state;
    list = iam_name_reserved_list(&n);
    assert_non_null(list);
    assert_true(n > 100);
    for (i = 0; i < n; i++) {
        if (i > 0)
            assert_true(strcmp(list[i - 1], list[i]) < 0);
        for (j = 0; list[i][j]; j++)
            assert_false(list[i][j] >= 'A' && list[i][j] <= 'Z');
        assert_true(iam_name_is_reserved(list[i]));
        upper(list[i], up, sizeof(up));
        assert_true(iam_name_is_reserved(up));
    }
}

static void
test_reason_distinct(void **state)
{
    static const int codes[] = {
        0,      -EINVAL, -ENAMETOOLONG, -EDOM,       -ENOBUFS,
        -EPERM, -EEXIST, -ENOTUNIQ,     -EADDRINUSE, -12345,
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);
    size_t i;
    size_t j;

    (void)state;
    for (i = 0; i < n; i++) {
        assert_non_null(iam_name_reason(codes[i]));
        assert_true(strlen(iam_name_reason(codes[i])) > 0);
        for (j = i + 1; j < n; j++)
            assert_string_not_equal(iam_name_reason(codes[i]),
                                    iam_name_reason(codes[j]));
    }
    assert_string_equal(iam_name_reason(-ENAMETOOLONG),
                        "longer than 32 characters once mapped");
}

static const char passwd_text[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment line\n"
    "\n"
    "   \n"
    "  # indented comment\n"
    "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
    "first.last.at.example.com:x:1001:1001::/home/f:/bin/sh\n"
    "+nisuser::::::\n"
    "+@netgroup::::::\n"
    "-banned::::::\n"
    "+\n"
    "short:x:1002:1002:/home/short\n"
    "toomany:x:1003:1003::/home/t:/bin/sh:extra\n"
    "badu:x:12a:1003::/home/b:/bin/sh\n"
    "badg:x:1004:-1::/home/b:/bin/sh\n"
    "neg:x:-5:1004::/home/n:/bin/sh\n"
    "sp:x: 7:7::/:/bin/sh\n"
    "big:x:4294967295:1::/:/bin/sh\n"
    ":x:1005:1005::/:/bin/sh\n"
    "alice:x:2000:2000::/home/alice2:/bin/sh\n"
    "bob:x:4294967294:1::/:/bin/sh\n"
    "nonl:x:1006:1006::/:/bin/sh";

static const char group_text[] = "root:x:0:\n"
                                 "sudo:x:27:alice,bob\n"
                                 "# comment\n"
                                 "data-science:x:5000:alice\n"
                                 "+:::\n"
                                 "-nisgroup:::\n"
                                 "dup:x:600:\n"
                                 "dup:x:601:\n"
                                 "badgid:x:zz:\n"
                                 "threefields:x:700\n"
                                 "localonly:x:4242:\n";

static void
test_set_load(void **state)
{
    struct iam_name_set set;
    struct tmp *t = *state;
    gid_t gid = 99;

    write_text(t->passwd, passwd_text);
    write_text(t->group, group_text);
    assert_int_equal(iam_name_set_load(t->passwd, t->group, &set), 0);

    /* Users from passwd, groups from group. */
    assert_true(iam_name_set_has(&set, "root"));
    assert_true(iam_name_set_has(&set, "alice"));
    assert_true(iam_name_set_has(&set, "first.last.at.example.com"));
    assert_true(iam_name_set_has(&set, "bob"));
    assert_true(iam_name_set_has(&set, "nonl"));
    assert_true(iam_name_set_has(&set, "data-science"));
    assert_true(iam_name_set_has(&set, "localonly"));
    assert_true(iam_name_set_has(&set, "dup"));
    /* Case is ignored (sudo ignores it); nothing else is. */
    assert_true(iam_name_set_has(&set, "Alice"));
    assert_true(iam_name_set_has(&set, "ALICE"));
    assert_true(iam_name_set_has(&set, "Data-Science"));
    assert_false(iam_name_set_has(&set, "alic"));
    assert_false(iam_name_set_has(&set, "alice2"));
    assert_false(iam_name_set_has(&set, "nobody"));
    assert_false(iam_name_set_has(&set, NULL));
    assert_false(iam_name_set_has(NULL, "root"));

    /* NIS compat and malformed lines are not names. */
    assert_false(iam_name_set_has(&set, "+nisuser"));
    assert_false(iam_name_set_has(&set, "nisuser"));
    assert_false(iam_name_set_has(&set, "banned"));
    assert_false(iam_name_set_has(&set, "nisgroup"));
    assert_false(iam_name_set_has(&set, "short"));
    assert_false(iam_name_set_has(&set, "toomany"));
    assert_false(iam_name_set_has(&set, "badu"));
    assert_false(iam_name_set_has(&set, "badg"));
    assert_false(iam_name_set_has(&set, "neg"));
    assert_false(iam_name_set_has(&set, "sp"));
    assert_false(iam_name_set_has(&set, "big"));
    assert_false(iam_name_set_has(&set, "badgid"));
    assert_false(iam_name_set_has(&set, "threefields"));
    assert_false(iam_name_set_has(&set, ""));
    assert_false(iam_name_set_has(&set, "# a comment line"));

    assert_int_equal(set.nis_lines, 6);
    assert_int_equal(set.bad_lines, 10);
    /* root alice first.last bob nonl + sudo data-science dup localonly */
    assert_int_equal(set.n_names, 9);
    assert_int_equal(set.n_groups, 5);

    assert_int_equal(iam_name_set_group_gid(&set, "data-science", &gid), 0);
    assert_int_equal(gid, 5000);
    assert_int_equal(iam_name_set_group_gid(&set, "sudo", &gid), 0);
    assert_int_equal(gid, 27);
    assert_int_equal(iam_name_set_group_gid(&set, "root", &gid), 0);
    assert_int_equal(gid, 0);
    /* The first line of a duplicated group wins, as in getgrnam(). */
    assert_int_equal(iam_name_set_group_gid(&set, "dup", &gid), 0);
    assert_int_equal(gid, 600);
    /* A user is not a group. */
    gid = 99;
    assert_int_equal(iam_name_set_group_gid(&set, "alice", &gid), -ESRCH);
    assert_int_equal(gid, 0);
    assert_int_equal(iam_name_set_group_gid(&set, "badgid", &gid), -ESRCH);
    assert_int_equal(iam_name_set_group_gid(&set, NULL, &gid), -EINVAL);
    assert_int_equal(iam_name_set_group_gid(NULL, "sudo", &gid), -EINVAL);
    assert_int_equal(iam_name_set_group_gid(&set, "sudo", NULL), -EINVAL);
    /* getgrnam() is exact: the gid lookup does not ignore case. */
    assert_int_equal(iam_name_set_group_gid(&set, "Sudo", &gid), -ESRCH);

    /* Every uid and primary gid of passwd, every gid of group. */
    assert_true(iam_name_set_has_id(&set, 0));
    assert_true(iam_name_set_has_id(&set, 1001));
    assert_true(iam_name_set_has_id(&set, 2000));        /* alice's 2nd */
    assert_true(iam_name_set_has_id(&set, 4294967294u)); /* bob's uid */
    assert_true(iam_name_set_has_id(&set, 1));           /* bob's gid */
    assert_true(iam_name_set_has_id(&set, 601));         /* 2nd "dup" */
    assert_true(iam_name_set_has_id(&set, 4242));
    assert_false(iam_name_set_has_id(&set, 1002)); /* malformed */
    assert_false(iam_name_set_has_id(&set, 1003));
    assert_false(iam_name_set_has_id(&set, 700));
    assert_false(iam_name_set_has_id(&set, 4294967295u));
    assert_false(iam_name_set_has_id(NULL, 0));

    iam_name_set_free(&set);
    assert_null(set.names);
    assert_int_equal(set.n_names, 0);
    iam_name_set_free(&set);
    iam_name_set_free(NULL);
}

static void
test_set_nul_byte_line(void **state)
{
    static const char data[] = "ok:x:1:1::/:/bin/sh\n"
                               "ev\0il:x:2:2::/:/bin/sh\n"
                               "ok2:x:3:3::/:/bin/sh\n";
    struct iam_name_set set;
    struct tmp *t = *state;

    write_bytes(t->passwd, data, sizeof(data) - 1);
    write_text(t->group, "");
    assert_int_equal(iam_name_set_load(t->passwd, t->group, &set), 0);
    assert_true(iam_name_set_has(&set, "ok"));
    assert_true(iam_name_set_has(&set, "ok2"));
    assert_false(iam_name_set_has(&set, "ev"));
    assert_int_equal(set.bad_lines, 1);
    assert_int_equal(set.n_names, 2);
    assert_int_equal(set.n_groups, 0);
    iam_name_set_free(&set);
}

static void
test_set_empty_files(void **state)
{
    struct iam_name_set set;
    struct tmp *t = *state;
    gid_t gid = 5;

    write_text(t->passwd, "");
    write_text(t->group, "\n# only a comment\n");
    assert_int_equal(iam_name_set_load(t->passwd, t->group, &set), 0);
    assert_int_equal(set.n_names, 0);
    assert_false(iam_name_set_has(&set, "root"));
    assert_int_equal(iam_name_set_group_gid(&set, "root", &gid), -ESRCH);
    iam_name_set_free(&set);
}

static void
test_set_missing_file(void **state)
{
    struct iam_name_set set;
    struct tmp *t = *state;

    memset(&set, 0xff, sizeof(set));
    write_text(t->group, "g:x:1:\n");
    assert_int_equal(iam_name_set_load(t->passwd, t->group, &set), -ENOENT);
    assert_null(set.names);
    assert_int_equal(set.n_names, 0);
    assert_null(set.groups);

    unlink(t->group);
    write_text(t->passwd, "u:x:1:1::/:/bin/sh\n");
    assert_int_equal(iam_name_set_load(t->passwd, t->group, &set), -ENOENT);
    assert_null(set.names);

    assert_int_equal(iam_name_set_load(NULL, t->group, &set), -EINVAL);
    assert_int_equal(iam_name_set_load(t->passwd, NULL, &set), -EINVAL);
    assert_int_equal(iam_name_set_load(t->passwd, t->group, NULL), -EINVAL);
    /* A directory is not a file. */
    assert_int_equal(iam_name_set_load(t->dir, t->dir, &set), -EIO);
    iam_name_set_free(&set);
}

static void
test_check_available(void **state)
{
    struct iam_name_set set;
    struct tmp *t = *state;

    write_text(t->passwd, passwd_text);
    write_text(t->group, group_text);
    assert_int_equal(iam_name_set_load(t->passwd, t->group, &set), 0);

    assert_int_equal(iam_name_check_available("carol", &set), 0);
    assert_int_equal(iam_name_check_available("alice", &set), -EEXIST);
    assert_int_equal(iam_name_check_available("data-science", &set), -EEXIST);
    /* IAM "Alice" next to local "alice": sudo would give it alice's
     * rules, so it is refused like "alice". */
    assert_int_equal(iam_name_check_available("Alice", &set), -EEXIST);
    assert_int_equal(iam_name_check_available("DATA-science", &set), -EEXIST);
    assert_int_equal(iam_name_check_available("LocalOnly", &set), -EEXIST);
    assert_int_equal(iam_name_check_available("root", &set), -EPERM);
    assert_int_equal(iam_name_check_available("Root", &set), -EPERM);
    assert_int_equal(iam_name_check_available("nobody", &set), -EPERM);
    assert_int_equal(iam_name_check_available("a@b", &set), -EINVAL);
    assert_int_equal(iam_name_check_available(NULL, &set), -EINVAL);
    assert_int_equal(iam_name_check_available("alice", NULL), 0);
    assert_int_equal(iam_name_check_available("sudo", NULL), -EPERM);
    iam_name_set_free(&set);
}

static void
entry(struct iam_name_entry *e, const char *iam_name, intptr_t tag)
{
    memset(e, 0, sizeof(*e));
    e->iam_name = iam_name;
    e->status = iam_name_map(iam_name, e->posix, sizeof(e->posix));
    e->data = (void *)tag;
}

/* The status of the entry whose data is @tag. */
static int
status_of(const struct iam_name_entry *v, size_t n, intptr_t tag)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (v[i].data == (void *)tag)
            return v[i].status;
    }
    fail_msg("no entry with tag %ld", (long)tag);
    return 1;
}

static void
test_ambiguous(void **state)
{
    static const char *const in[] = {
        "x@y",  "carol",          "x.at.y",      "bad name",
        "1bad", "Bob.at.example", "bob@example", "root",
    };
    enum { N = sizeof(in) / sizeof(in[0]) };
    struct iam_name_entry v[N];
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        entry(&v[i], in[i], (intptr_t)i + 1);
    /* "root" is refused as reserved before the check; it keeps that. */
    v[7].status = -EPERM;
    assert_int_equal(iam_name_flag_ambiguous(v, N), 4);
    assert_int_equal(status_of(v, N, 1), -ENOTUNIQ);
    assert_int_equal(status_of(v, N, 2), 0);
    assert_int_equal(status_of(v, N, 3), -ENOTUNIQ);
    /* Two failed mappings share "" but are not ambiguous. */
    assert_int_equal(status_of(v, N, 4), -EINVAL);
    assert_int_equal(status_of(v, N, 5), -EDOM);
    /* Names that differ only in case are one name. */
    assert_int_equal(status_of(v, N, 6), -ENOTUNIQ);
    assert_int_equal(status_of(v, N, 7), -ENOTUNIQ);
    assert_int_equal(status_of(v, N, 8), -EPERM);
    /* Sorted by mapped name, case ignored. */
    for (i = 1; i < N; i++)
        assert_true(strcasecmp(v[i - 1].posix, v[i].posix) <= 0);
}

/* A refused entry still makes the other one ambiguous. */
static void
test_ambiguous_with_refused(void **state)
{
    struct iam_name_entry v[2];

    (void)state;
    entry(&v[0], "root@x", 1);
    entry(&v[1], "root.at.x", 2);
    v[1].status = -EEXIST;
    assert_int_equal(iam_name_flag_ambiguous(v, 2), 1);
    assert_int_equal(status_of(v, 2, 1), -ENOTUNIQ);
    assert_int_equal(status_of(v, 2, 2), -EEXIST);

    entry(&v[0], "alone", 1);
    assert_int_equal(iam_name_flag_ambiguous(v, 1), 0);
    assert_int_equal(v[0].status, 0);
    assert_int_equal(iam_name_flag_ambiguous(NULL, 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_iam),
        cmocka_unit_test(test_map_email),
        cmocka_unit_test(test_map_all_specials),
        cmocka_unit_test(test_map_length_limit),
        cmocka_unit_test(test_map_first_character),
        cmocka_unit_test(test_map_bad_characters),
        cmocka_unit_test(test_map_empty_and_null),
        cmocka_unit_test(test_map_precedence),
        cmocka_unit_test(test_map_buffer_size),
        cmocka_unit_test(test_valid_posix),
        cmocka_unit_test(test_reserved),
        cmocka_unit_test(test_reserved_list_sorted),
        cmocka_unit_test(test_reason_distinct),
        cmocka_unit_test_setup_teardown(test_set_load, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_set_nul_byte_line, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_set_empty_files, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_set_missing_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_check_available, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_ambiguous),
        cmocka_unit_test(test_ambiguous_with_refused),
    };

    return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
