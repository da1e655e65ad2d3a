/*
 * iam_file: the two things every program here does with a small file
 * that others rely on.
 *
 * Writing: the new content goes to a private temporary file beside the
 * target (".<base>.XXXXXX", created O_EXCL, so no name another user can
 * prepare and no symbolic link is followed), is given its mode, synced,
 * and renamed over the target; the directory is synced, so the rename
 * survives a crash. A reader sees the old file or the new one, never
 * half of one. On a failure before the rename the temporary file is
 * removed and the target is untouched. A symbolic link at the target is
 * replaced, never written through.
 *
 * Reading: a file that decides something (a configuration, a rollback
 * record) is read only when nobody but root could have written it: a
 * regular file (not a FIFO, which would hang the reader, nor a device),
 * owned by root or by the caller, not writable by group or others, and
 * no larger than the caller's bound. A symbolic link is not followed.
 *
 * None of these functions logs: the caller names the file and the
 * purpose in its own message. No globals; reentrant.
 */
#ifndef IAM_FILE_H
#define IAM_FILE_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "iam_trust.h"

/* A temporary file on its way to @path. */
struct iam_file_temp {
    char path[PATH_MAX]; /* the target */
    char tmp[PATH_MAX];  /* the temporary file, in the same directory */
    int fd;              /* open on tmp, O_CLOEXEC; -1 once closed */
};

/*
 * iam_file_temp_open - create the temporary file for @path
 * ("<dir>/.<base>.XXXXXX", mode 0600 until committed).
 * @ret: filled on success; on failure ret->fd is -1.
 * Returns 0, -EINVAL (@path ends in '/'), -ENAMETOOLONG, or the -errno
 * of mkostemp (-ENOENT: the directory is missing; -EACCES).
 */
int
iam_file_temp_open(const char *path, struct iam_file_temp *ret);

/*
 * iam_file_temp_commit - append @len bytes of @data (may be NULL when
 * @len is 0: the caller wrote through ret->fd or ret->tmp), set @mode,
 * fsync, close, rename over the target and fsync the directory.
 * On a failure before the rename, the temporary file is removed; a
 * failure of the final directory fsync is returned, but the new file is
 * in place. Either way @t is closed: only iam_file_temp_abort (a no-op)
 * may follow. Returns 0 or -errno.
 */
int
iam_file_temp_commit(struct iam_file_temp *t, const void *data, size_t len,
                     mode_t mode);

/* iam_file_temp_abort - remove and close the temporary file, if open. */
void
iam_file_temp_abort(struct iam_file_temp *t);

/*
 * iam_file_write - replace @path with @len bytes of @data, mode @mode,
 * atomically (above). Returns 0 or -errno (see temp_open and commit).
 */
int
iam_file_write(const char *path, const void *data, size_t len, mode_t mode);

/*
 * iam_file_fsync_dir - fsync the directory holding @path ("." when it
 * has no slash), so that a rename or unlink in it survives a crash.
 * Returns 0 or -errno.
 */
int
iam_file_fsync_dir(const char *path);

/*
 * iam_file_read_trusted - read all of @path into @buf and NUL-terminate
 * it, when it passes iam_trust_check (@owner: the caller's
 * euid), at most @size - 1 bytes. Opened O_NOFOLLOW | O_NONBLOCK |
 * O_NOCTTY | O_CLOEXEC. Returns the length read (the file may hold NUL
 * bytes), or -errno: those of open(2) (-ENOENT, -ELOOP for a symbolic
 * link, ...), of iam_trust_check, or -EFBIG when the file grew
 * past @size - 1 while being read.
 */
ssize_t
iam_file_read_trusted(const char *path, char *buf, size_t size);

#endif
