/* sudo_check: sudo's group_source (see sudo_check.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "iam_lines.h"
#include "sudo_check.h"

#define SUDO_CONF "/etc/sudo.conf"
#define SUDO_DEFAULT "adaptive" /* sudo.conf(5) */

static const char blanks[] = " \t\r";

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char *
skip_blanks(char *s)
{
    return s + strspn(s, blanks);
}

/* @s without its comment and trailing blanks. */
static void
cut(char *s)
{
    char *e = s + strcspn(s, "#");

    while (e > s && strchr(blanks, e[-1]))
        e--;
    *e = '\0';
}

/* "Set" then blanks then @name then blanks: the rest, or NULL. */
static char *
setting(char *s, const char *name)
{
    size_t n = strlen(name);

    if (strncasecmp(s, "Set", 3) != 0 || !is_blank(s[3]))
        return NULL;
    s = skip_blanks(s + 3);
    if (strncmp(s, name, n) != 0 || !is_blank(s[n]))
        return NULL;
    return skip_blanks(s + n);
}

static int
on_line(void *arg, char *line, size_t lineno)
{
    struct sudo_check *c = arg;
    char *v;
    size_t i;

    line = skip_blanks(line);
    cut(line);
    v = setting(line, "group_source");
    if (!v || *v == '\0')
        return 0;
    /* The value is shown and put in JSON: letters only, cut at the
     * first other byte; a value cut short is never "dynamic". */
    for (i = 0; isalpha((unsigned char)v[i]) && i + 1 < sizeof(c->value); i++)
        c->value[i] = (char)tolower((unsigned char)v[i]);
    c->value[i] = '\0';
    c->dynamic = v[i] == '\0' && strcmp(c->value, "dynamic") == 0;
    c->line = lineno > 0xffffffffu ? 0xffffffffu : (unsigned)lineno;
    return 0;
}

int
sudo_check_read(FILE *f, struct sudo_check *ret)
{
    memset(ret, 0, sizeof(*ret));
    snprintf(ret->value, sizeof(ret->value), "%s", SUDO_DEFAULT);
    if (!f)
        return 0;
    return iam_lines_read(f, on_line, ret, NULL) < 0 ? -EIO : 0;
}

int
sudo_check(const char *root, struct sudo_check *ret)
{
    char path[4096];
    FILE *f;
    int r;

    snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") ? root : "",
             SUDO_CONF);
    f = fopen(path, "re");
    if (!f && errno != ENOENT) {
        r = -errno;
        sudo_check_read(NULL, ret);
        return r;
    }
    r = sudo_check_read(f, ret);
    if (f)
        fclose(f);
    return r;
}
