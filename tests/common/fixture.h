/*
 * Test fixture: writes a snapshot of synthetic users through the real
 * writer, so tests of the reader, the NSS module and the benchmarks all
 * read what iam-sync would publish.
 *
 * User i (0-based) is "user<i>" (zero-padded to 5 digits), uid and gid
 * fixture_uid(i), private group of the same name, member of MEMBER_GROUP
 * "iam-users"; every 3rd user is in IAM group "admins" and SUDO_GROUP
 * "iam-sudo"; each user has two keys (one Active, one Inactive). The
 * @generation changes every gecos, so two generations differ in content.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stdint.h>

#define FIXTURE_UID_MIN 2000000000u
#define FIXTURE_UID_MAX 2147483646u
#define FIXTURE_GID_ADMINS 2100000000u
#define FIXTURE_GID_SUDO 2100000001u
#define FIXTURE_GID_MEMBERS 2100000002u
/* A local gid the users also get (LOCAL_GROUPS), outside the range. */
#define FIXTURE_GID_LOCAL 100u

uint32_t
fixture_uid(unsigned i);

/* Name of user @i into @buf (at least 16 bytes). */
void
fixture_name(unsigned i, char *buf);

/* Writes and publishes a snapshot of @n users at @path. 0 or -errno. */
int
fixture_snapshot(const char *path, unsigned n, unsigned generation);

#endif
