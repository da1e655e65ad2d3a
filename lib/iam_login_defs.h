/*
 * iam_login_defs: the id ranges this system allocates from, as shadow's
 * useradd, groupadd and newusers read them in login.defs(5). IAM ids must
 * stay out of all of them: a local account created later with an id that
 * an IAM user holds would own that user's files, and the reverse.
 *
 * Ranges (shadow's defaults when a key is absent):
 *   UID_MIN..UID_MAX            1000..60000
 *   SYS_UID_MIN..SYS_UID_MAX    101..999
 *   GID_MIN..GID_MAX            1000..60000
 *   SYS_GID_MIN..SYS_GID_MAX    101..999
 *   SUB_UID_MIN..SUB_UID_MAX    100000..600100000 (subordinate ids for
 *   SUB_GID_MIN..SUB_GID_MAX    100000..600100000  user namespaces)
 *
 * Pure of policy: iam_config decides what an overlap means.
 */
#ifndef IAM_LOGIN_DEFS_H
#define IAM_LOGIN_DEFS_H

#include <stddef.h>
#include <stdint.h>

#ifndef IAM_LOGIN_DEFS_PATH
#define IAM_LOGIN_DEFS_PATH "/etc/login.defs"
#endif

#define IAM_LOGIN_DEFS_N_RANGES 6

/* One allocation range and where it came from. */
struct iam_login_range {
    const char *min_key; /* "UID_MIN", ...: static */
    const char *max_key;
    uint32_t min;
    uint32_t max;
    size_t min_line; /* line that set it, 0 = shadow's default */
    size_t max_line;
};

struct iam_login_defs {
    struct iam_login_range r[IAM_LOGIN_DEFS_N_RANGES];
};

/*
 * iam_login_defs_load - the ranges of the file @path.
 * @ret: filled with the defaults, then with what the file sets. A missing
 *       file leaves the defaults (shadow's tools use them then too).
 *
 * Lines are "KEY VALUE" (blanks between, '#' starts a comment line, the
 * value may be in double quotes); values are read as shadow reads them
 * (strtoul base 0: decimal, 0x hex, 0 octal). A value of a range key that
 * is not a number below 4294967295 is skipped with a warning naming the
 * file and line, and the default stays; shadow ignores it too. A range
 * whose min exceeds its max is kept as read (it covers nothing).
 *
 * Returns 0, or -errno from opening or reading the file other than ENOENT
 * (logged).
 */
int
iam_login_defs_load(const char *path, struct iam_login_defs *ret);

#endif
