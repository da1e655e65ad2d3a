/* iam_lines: a text file line by line (see iam_lines.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iam_lines.h"

int
iam_lines_read(FILE *f, iam_lines_cb cb, void *arg, size_t *ret_nul)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int r = 0;

    if (ret_nul)
        *ret_nul = 0;
    while (r == 0) {
        errno = 0;
        len = getline(&line, &cap, f);
        if (len < 0) {
            if (ferror(f))
                r = errno ? -errno : -EIO;
            break;
        }
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (strlen(line) != (size_t)len) {
            if (ret_nul)
                (*ret_nul)++;
            continue;
        }
        r = cb(arg, line, lineno);
    }
    free(line);
    return r;
}
