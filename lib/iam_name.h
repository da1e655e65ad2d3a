/*
 * iam_name: IAM user and group names to POSIX names, and the rules that
 * decide whether a mapped name may be served at all.
 *
 * Mapping (the one aws-ec2-ssh users know): '+' -> ".plus.",
 * '=' -> ".equal.", ',' -> ".comma.", '@' -> ".at.", every other character
 * unchanged. The result must match ^[a-z_A-Z][a-zA-Z0-9_.-]*$ and be at
 * most IAM_NAME_POSIX_MAX characters. A name that does not fit is refused,
 * never truncated: truncation could make two IAM users one account.
 *
 * Refusal codes (all negative errno values, see iam_name_reason()):
 *   -EINVAL       empty, or a character outside IAM's [A-Za-z0-9+=,.@_-]
 *   -ENAMETOOLONG longer than IAM_NAME_POSIX_MAX once mapped
 *   -EDOM         does not start with a letter or '_' once mapped
 *   -ENOBUFS      the caller's output buffer is too small
 *   -EPERM        a reserved system name (iam_name_is_reserved())
 *   -EEXIST       already a user or group in the local files
 *   -ENOTUNIQ     maps to the same name as another IAM name
 *   -EADDRINUSE   the name of a configured group (SUDO_GROUP,
 *                 MEMBER_GROUP, LOCAL_GROUPS; for users also the IAM
 *                 groups of IAM_AUTHORIZED_GROUPS and SUDOERS_GROUPS),
 *                 ignoring case
 *
 * The pure functions (map, is_valid_posix, is_reserved, reason) allocate
 * nothing, keep no state and are safe from any thread. The name set reads
 * /etc/passwd and /etc/group as files, never through NSS: getpwent() would
 * call back into our own module.
 */
#ifndef IAM_NAME_H
#define IAM_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest POSIX name we serve (useradd's default limit, utmp-safe). */
#define IAM_NAME_POSIX_MAX 32
/* Buffer size that holds any accepted mapped name and its NUL. */
#define IAM_NAME_BUF (IAM_NAME_POSIX_MAX + 1)
/* IAM's own limits, for callers that validate API input. */
#define IAM_NAME_IAM_USER_MAX 64
#define IAM_NAME_IAM_GROUP_MAX 128

/*
 * iam_name_is_valid_iam - true when the @len bytes of @s are a name IAM
 * can hold: 1 to @max (IAM_NAME_IAM_USER_MAX for a user,
 * IAM_NAME_IAM_GROUP_MAX for a group) characters of [A-Za-z0-9+=,.@_-].
 * For names read from outside IAM's answers (an event), before they
 * are asked about. NULL gives false. Pure, thread-safe.
 */
bool
iam_name_is_valid_iam(const char *s, size_t len, size_t max);

/*
 * iam_name_map - map an IAM user or group name to its POSIX name.
 * @iam_name: NUL-terminated IAM name.
 * @ret_name: output buffer, IAM_NAME_BUF bytes are always enough; set to
 *            "" on entry (when @ret_size > 0) and filled only on success.
 * @ret_size: size of @ret_name in bytes.
 *
 * The checks run in this order, so one input has one answer: character
 * set, then mapped length, then first character, then buffer size.
 *
 * Returns 0 on success, -EINVAL (NULL, empty or a character IAM does not
 * allow), -ENAMETOOLONG (mapped name over IAM_NAME_POSIX_MAX characters),
 * -EDOM (mapped name does not start with a letter or '_', e.g. a leading
 * digit, '-', '.' or one of "+=,@"), -ENOBUFS (@ret_size too small).
 * Pure, thread-safe.
 */
int
iam_name_map(const char *iam_name, char *ret_name, size_t ret_size);

/*
 * iam_name_is_valid_posix - true when @s is a name this project may serve:
 * 1 to IAM_NAME_POSIX_MAX characters matching ^[a-z_A-Z][a-zA-Z0-9_.-]*$.
 * Used on names read from the snapshot or argv. NULL gives false.
 * Pure, no allocation, reads at most IAM_NAME_POSIX_MAX + 1 bytes of @s.
 */
bool
iam_name_is_valid_posix(const char *s);

/*
 * iam_name_is_reserved - true when @posix_name is a system, service, cloud
 * default or administrative-group name that an IAM name must never take,
 * whether or not it exists on this machine yet (a package installed later
 * would otherwise find and reuse the IAM account: `getent passwd postgres
 * || useradd postgres`).
 *
 * The comparison ignores ASCII case: "Root" or "ADMIN" is not the kernel's
 * root, but it reads as one to people and to case-folding tools. Also
 * reserved: every name starting with "systemd-" and every name starting
 * with '_' (Debian's namespace for system accounts: _apt, _chrony, ...).
 * NULL gives true (refuse what we cannot check). Pure, thread-safe.
 */
bool
iam_name_is_reserved(const char *posix_name);

/*
 * iam_name_reserved_list - the reserved names, sorted (strcmp order, all
 * lower case). Sets *ret_n to their number. The array is static and
 * constant. The prefix rules of iam_name_is_reserved() are not in it.
 */
const char *const *
iam_name_reserved_list(size_t *ret_n);

/*
 * iam_name_reason - static text for a refusal code of this file (see the
 * top of this file), for log messages. Unknown codes give a generic text.
 */
const char *
iam_name_reason(int r);

/* A local group: its name and gid as written in the group file. */
struct iam_name_group {
    char *name;
    gid_t gid;
};

/*
 * Names of the local passwd and group files. Fill with iam_name_set_load(),
 * release with iam_name_set_free(). Read-only after loading, so several
 * threads may query one set.
 */
struct iam_name_set {
    char **names; /* users and groups, sorted ignoring
                     case, exact duplicates dropped */
    size_t n_names;
    uint32_t *ids; /* every uid and gid, sorted, unique */
    size_t n_ids;
    struct iam_name_group *groups; /* sorted by name, unique, first wins */
    size_t n_groups;
    struct iam_name_group *users; /* passwd: by name, gid = the uid */
    size_t n_users;
    size_t nis_lines; /* "+..." / "-..." lines ignored */
    size_t bad_lines; /* malformed lines ignored */
};

/*
 * iam_name_set_load - read the user names of @passwd_path and the group
 * names and gids of @group_path.
 * @passwd_path: passwd(5) file, normally "/etc/passwd".
 * @group_path: group(5) file, normally "/etc/group".
 * @ret_set: cleared on entry; on success owns its memory, release it with
 *           iam_name_set_free(). Left empty on error.
 *
 * Blank lines and lines starting with '#' (after blanks) are skipped, as
 * glibc's files backend does. NIS compat lines ('+' or '-' first) are
 * skipped and counted, with one notice per file: the names they pull in
 * cannot be seen here, so they are not protected. A malformed line (wrong
 * field count, empty name, a uid/gid that is not a decimal number below
 * 4294967295, a NUL byte) is skipped with a warning naming file:line;
 * glibc does not serve such a line either.
 *
 * Returns 0 on success, -ENOENT (a file is missing), -EACCES, -ENOMEM,
 * -EIO (read error), or another -errno from opening a file.
 */
int
iam_name_set_load(const char *passwd_path, const char *group_path,
                  struct iam_name_set *ret_set);

/*
 * iam_name_set_has - true when @name is a user or group name in @set,
 * IGNORING ASCII CASE. libc matches the local files exactly, but sudo
 * matches user and group names ignoring case by default (sudoers(5),
 * case_insensitive_user/_group): an IAM "Deploy" next to a local
 * "deploy" would get deploy's sudoers rules. NULL @set or @name gives
 * false. Thread-safe on a loaded set.
 */
bool
iam_name_set_has(const struct iam_name_set *set, const char *name);

/*
 * iam_name_set_has_id - true when @id is the uid or gid of a line of the
 * passwd file (both its uid and its primary gid count) or the gid of a
 * line of the group file. Thread-safe on a loaded set.
 */
bool
iam_name_set_has_id(const struct iam_name_set *set, uint32_t id);

/*
 * iam_name_set_group_gid - gid of the local group @name (for LOCAL_GROUPS).
 * When the group file names a group twice, the first line wins, as in
 * getgrnam().
 * @ret_gid: set to 0 on entry, to the gid on success.
 * Returns 0, -ESRCH (no such local group) or -EINVAL (NULL argument).
 */
int
iam_name_set_group_gid(const struct iam_name_set *set, const char *name,
                       gid_t *ret_gid);

/*
 * iam_name_set_user_uid - uid of the local user @name (SHARED_ACCOUNTS),
 * matched exactly; the first line of a name wins, as in getpwnam().
 * Returns 0, -ESRCH (no such local user) or -EINVAL (NULL argument).
 */
int
iam_name_set_user_uid(const struct iam_name_set *set, const char *name,
                      uid_t *ret_uid);

/*
 * iam_name_set_free - release what iam_name_set_load() allocated and
 * clear @set. NULL and an already freed or cleared set are fine.
 */
void
iam_name_set_free(struct iam_name_set *set);

/*
 * iam_name_check_available - may the valid mapped name @posix_name be
 * served on a machine whose local names are @local?
 * @local: may be NULL to check only the reserved list.
 * Returns 0 (available), -EPERM (reserved), -EEXIST (a local user or
 * group has it, ignoring ASCII case) or -EINVAL (@posix_name NULL or not
 * valid POSIX).
 */
int
iam_name_check_available(const char *posix_name,
                         const struct iam_name_set *local);

/*
 * One name in an ambiguity check. The caller fills iam_name and data, and
 * posix/status from iam_name_map() (posix[0] == '\0' when mapping failed).
 */
struct iam_name_entry {
    const char *iam_name;     /* borrowed, for logging */
    char posix[IAM_NAME_BUF]; /* mapped name or "" */
    int status;               /* 0 or a refusal code */
    void *data;               /* the caller's object; untouched */
};

/*
 * iam_name_flag_ambiguous - refuse every name whose mapping is shared.
 * @v: @n entries; SORTED IN PLACE by posix name (ignoring ASCII case,
 *     then by iam_name), so use ->data to find the caller's object.
 * @n: number of entries.
 *
 * Every entry with a non-empty posix name that equals, ignoring ASCII
 * case, the posix name of another entry is ambiguous, whatever the other
 * entry's status ("x@y" and "x.at.y" are both refused even when one of
 * them is also refused for another reason). Case is ignored because IAM
 * itself treats names that differ only in case as the same name, so two
 * IAM names must not become two POSIX names that only differ in case.
 * An ambiguous entry whose status is 0 gets -ENOTUNIQ; an entry already
 * refused keeps its first reason. Nothing is logged here: the caller
 * knows which entries matter (iam-sync logs the users it would serve).
 * Users and groups may be checked in one array or apart, as the caller's
 * namespace requires.
 *
 * Returns the number of entries whose status it set to -ENOTUNIQ.
 */
size_t
iam_name_flag_ambiguous(struct iam_name_entry *v, size_t n);

#endif
