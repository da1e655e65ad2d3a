/*
 * iam_pack: copy a decoded snapshot record into the caller's struct passwd
 * or struct group and buffer, as glibc's NSS contract demands.
 *
 * Pure functions: no I/O, no allocation, no globals. The size is computed
 * first and -ERANGE returned before anything is written; on success every
 * pointer in the result points into @buf (never into the snapshot map,
 * which goes away when the read transaction ends).
 */
#ifndef IAM_PACK_H
#define IAM_PACK_H

#include <grp.h>
#include <pwd.h>
#include <stddef.h>

#include "iam_rec.h"

/*
 * iam_pack_passwd - fill @pw from @u, strings in @buf.
 * pw_passwd is "*": IAM users have no password, and no shadow entry.
 * Returns 0, or -ERANGE when @buflen is too small (nothing written).
 */
int
iam_pack_passwd(const struct iam_user_rec *u, struct passwd *pw, char *buf,
                size_t buflen);

/*
 * iam_pack_group - fill @gr from @g: name, "*" password, gid, and a
 * NULL-terminated, pointer-aligned gr_mem array in @buf.
 * Returns 0, -ERANGE when @buflen is too small (nothing written), or -EIO
 * when the member list is malformed.
 */
int
iam_pack_group(const struct iam_group_rec *g, struct group *gr, char *buf,
               size_t buflen);

#endif
