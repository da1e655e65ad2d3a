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
/* The same, made on EC2 instance @instance (NULL: none recorded). */
int
fixture_snapshot_on(const char *path, unsigned n, unsigned generation,
                    const char *instance);

/*
 * Writes and publishes a snapshot (range FIXTURE_UID_MIN..MAX) that holds
 * what iam-sync never writes but a reader must never serve whatever the
 * file says: one good user FIXTURE_GOOD_NAME (uid and gid
 * FIXTURE_GOOD_UID, its private group), and users and groups whose ids
 * lie outside the range, named below (none is in /etc/passwd or
 * /etc/group). 0 or -errno.
 */
#define FIXTURE_GOOD_NAME "inrange"
#define FIXTURE_GOOD_UID (FIXTURE_UID_MIN + 1)
int
fixture_outlaws(const char *path);

/* The users of fixture_outlaws(): name, uid, gid. */
struct fixture_outlaw {
    const char *name;
    uint32_t uid;
    uint32_t gid;
};
extern const struct fixture_outlaw fixture_outlaw_users[];
extern const unsigned fixture_n_outlaw_users;
/* Its groups outside the range (each also named by gid). */
extern const struct fixture_outlaw fixture_outlaw_groups[];
extern const unsigned fixture_n_outlaw_groups;

#endif
