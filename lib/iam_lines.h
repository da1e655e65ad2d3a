/*
 * iam_lines: a text file read line by line, for the local files iam-sync
 * and its checks read (/etc/passwd, /etc/group, /etc/login.defs,
 * sshd_config and systemd units). Lines of any length; a line holding a
 * NUL byte is never handed on (C string code would read it cut short).
 */
#ifndef IAM_LINES_H
#define IAM_LINES_H

#include <stddef.h>
#include <stdio.h>

/*
 * iam_lines_cb - one line, its final "\n" removed, numbered from 1. It may
 * modify the line. A negative return stops the reading and is returned;
 * a positive one stops it too, and iam_lines_read() returns it.
 */
typedef int (*iam_lines_cb)(void *arg, char *line, size_t lineno);

/*
 * iam_lines_read - call @cb for each line of @f. Lines with a NUL byte
 * are counted in *@ret_nul (may be NULL) and skipped. Returns 0 at the
 * end of the file, what @cb returned when it stopped the reading, or
 * -errno (-EIO) when reading failed.
 */
int
iam_lines_read(FILE *f, iam_lines_cb cb, void *arg, size_t *ret_nul);

#endif
