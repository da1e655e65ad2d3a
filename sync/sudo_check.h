/*
 * sudo_check: does sudo read a user's groups from NSS at each call?
 *
 * sudoers matches "%iam-sudo" against the groups sudo's front end hands
 * it. Only with "Set group_source dynamic" in /etc/sudo.conf are those
 * asked of the group database (the snapshot) at each call; sudo's default
 * (adaptive) and static take the groups the session got at login, so a
 * user removed from SUDOERS_GROUPS keeps sudo in sessions opened before.
 * The packages add the line; an upgrade of sudo that replaces the file
 * drops it without a word, which is why --status reads it again.
 *
 * The file is read as sudo reads it (sudo.conf(5)) and as sudoconf-edit
 * does: leading blanks skipped, "#" starts a comment, "Set" matched
 * without regard to case, "group_source" exactly, the value without
 * regard to case; the last such line wins.
 */
#ifndef SUDO_CHECK_H
#define SUDO_CHECK_H

#include <stdbool.h>
#include <stdio.h>

struct sudo_check {
    bool dynamic;   /* sudo asks NSS at each call */
    char value[16]; /* the value in force, lower case ("adaptive" if none) */
    unsigned line;  /* the line that sets it, 0 when sudo's default holds */
};

/*
 * sudo_check_read - the group_source in force in @f (NULL: no file, so
 * sudo's default). Returns 0, or -EIO when @f cannot be read.
 */
int
sudo_check_read(FILE *f, struct sudo_check *ret);

/* sudo_check - the same for @root's etc/sudo.conf ("/" on a host). */
int
sudo_check(const char *root, struct sudo_check *ret);

#endif
