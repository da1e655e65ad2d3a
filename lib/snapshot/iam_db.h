/*
 * iam_db: the snapshot file, read side. The only code besides
 * iam_db_write.c that knows the LMDB schema.
 *
 * The snapshot is one LMDB environment in one file (MDB_NOSUBDIR), written
 * once by iam-sync and never modified after it is renamed into place. It
 * holds these named databases (record encodings in iam_rec.h):
 *
 *   "meta"       "format" -> u32 IAM_DB_FORMAT; "meta" -> meta record;
 *                "instance" -> instance record (absent when the writer
 *                knew no EC2 instance id; format 2 readers that predate
 *                it never look it up, so it needed no new format)
 *   "pw.uid"     uid (unsigned int, MDB_INTEGERKEY) -> user record
 *   "pw.name"    name (no NUL) -> u32 uid
 *   "gr.gid"     gid (unsigned int, MDB_INTEGERKEY) -> group record
 *   "gr.name"    name -> u32 gid
 *   "user.gids"  user name -> gids record (supplementary groups)
 *   "user.keys"  user name -> keys record
 *   "shared.acct" local account name -> shared account record
 *   "shared.key" key fingerprint ("SHA256:...") -> shared key record
 *
 * The two shared databases (SHARED_ACCOUNTS) came later, within format 2:
 * readers that predate them open the databases they know by name and
 * never see these, and a reader finding a file without them serves no
 * shared account. They enter the digest only when not empty.
 *
 * After the LMDB data, the file ends in a seal: a checksum of every byte
 * before it (iam_seal.h).
 *
 * Readers open it MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR: no lock file, and
 * read permission is all they need. A reader trusts only a regular file
 * owned by root that neither group nor others may write, whose seal
 * matches its bytes (checked once, at open, before LMDB reads any of
 * them: LMDB trusts its pages, and a flipped byte in one would crash the
 * process), whose data lies wholly inside the file (a truncated file is
 * refused instead of faulting later), and whose format it knows.
 *
 * Thread safety: an open struct iam_db may be shared by threads; each
 * thread uses its own struct iam_db_txn. An iam_db must not be used in a
 * child after fork(); open a new one there.
 */
#ifndef IAM_DB_H
#define IAM_DB_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "iam_instance.h"
#include "iam_rec.h"

/*
 * 2: the file ends in a seal (iam_seal.h) over every byte before it.
 * A reader refuses every other format: a format 1 file (no seal) is
 * unavailable until iam-sync replaces it.
 */
#define IAM_DB_FORMAT 2

#ifndef IAM_DB_PATH
#define IAM_DB_PATH "/var/lib/nss-iam/passwd.mdb"
#endif

/* Sub-database names, shared with the writer. */
#define IAM_DB_META "meta"
#define IAM_DB_PW_UID "pw.uid"
#define IAM_DB_PW_NAME "pw.name"
#define IAM_DB_GR_GID "gr.gid"
#define IAM_DB_GR_NAME "gr.name"
#define IAM_DB_USER_GIDS "user.gids"
#define IAM_DB_USER_KEYS "user.keys"
#define IAM_DB_SHARED_ACCT "shared.acct"
#define IAM_DB_SHARED_KEY "shared.key"
#define IAM_DB_MAXDBS 10

struct iam_db;

/* One read transaction; views it returns die with iam_db_end(). */
struct iam_db_txn {
    MDB_txn *txn;
    const struct iam_db *db;
};

/*
 * iam_db_open - open and check the snapshot at @path.
 * Returns 0 and *ret_db, or:
 *   -ENOENT  no file at @path (before the first sync);
 *   -EACCES  not readable, or untrusted (owner, mode, not a regular file);
 *   -EIO     not an LMDB file, no seal or one that does not match its
 *            bytes (corrupt), truncated, or of an unknown format;
 *   -ENOMEM.
 * The file descriptor is close-on-exec. Close with iam_db_close().
 */
int
iam_db_open(const char *path, struct iam_db **ret_db);

/* iam_db_close - release everything @db holds; NULL is allowed. */
void
iam_db_close(struct iam_db *db);

/*
 * iam_db_is_current - true while @path still names the file @db has open
 * (same st_dev and st_ino), unchanged since it was opened and its seal
 * checked (same size and mtime). False when a new snapshot was published,
 * the file was written in place, or the path is gone: the caller should
 * reopen, which checks the seal again.
 */
bool
iam_db_is_current(const struct iam_db *db, const char *path);

/* The uid range the snapshot was built for; every id served lies in it. */
uint32_t
iam_db_uid_min(const struct iam_db *db);
uint32_t
iam_db_uid_max(const struct iam_db *db);

/*
 * iam_db_begin - start a read transaction. Returns 0, -ENOMEM or -EIO.
 * iam_db_end - end it; views obtained through it become invalid.
 */
int
iam_db_begin(const struct iam_db *db, struct iam_db_txn *ret);
void
iam_db_end(struct iam_db_txn *t);

/*
 * Lookups. Each returns 0 and fills *ret with views valid until
 * iam_db_end(), or:
 *   -ESRCH  no such entry, or its id lies outside the snapshot's range
 *           (never served, whatever the file says);
 *   -EIO    a corrupt record (logged by the caller if it wishes).
 * The *_next() calls return the entry with the smallest id >= @from,
 * for enumeration; -ESRCH at the end.
 */
int
iam_db_user_by_name(struct iam_db_txn *t, const char *name,
                    struct iam_user_rec *ret);
int
iam_db_user_by_uid(struct iam_db_txn *t, uint32_t uid,
                   struct iam_user_rec *ret);
int
iam_db_user_next(struct iam_db_txn *t, uint32_t from, struct iam_user_rec *ret);
int
iam_db_group_by_name(struct iam_db_txn *t, const char *name,
                     struct iam_group_rec *ret);
int
iam_db_group_by_gid(struct iam_db_txn *t, uint32_t gid,
                    struct iam_group_rec *ret);
int
iam_db_group_next(struct iam_db_txn *t, uint32_t from,
                  struct iam_group_rec *ret);

/* A user's supplementary gids (iam_rec_gid_next) or keys
 * (iam_rec_key_next). -ESRCH when the user has none recorded. */
int
iam_db_user_gids(struct iam_db_txn *t, const char *name,
                 struct iam_rec_iter *ret);
int
iam_db_user_keys(struct iam_db_txn *t, const char *name,
                 struct iam_rec_iter *ret);

/*
 * SHARED_ACCOUNTS. shared_acct: the record of local account @name.
 * shared_key: the indexed key of fingerprint @fp ("SHA256:..."), one
 * LMDB lookup. -ESRCH when there is none (also for a snapshot written
 * before these records existed), -EIO for a corrupt record.
 */
int
iam_db_shared_acct(struct iam_db_txn *t, const char *name,
                   struct iam_shared_acct_rec *ret);
int
iam_db_shared_key(struct iam_db_txn *t, const char *fp,
                  struct iam_shared_key_rec *ret);

/*
 * iam_db_shared_key_next - the indexed key whose fingerprint follows
 * @after in byte order ("" for the first), for iam-sync's reuse of the
 * key bodies it already holds. -ESRCH at the end.
 */
int
iam_db_shared_key_next(struct iam_db_txn *t, const char *after,
                       struct iam_shared_key_rec *ret);

/* The meta record (counts, creation time, source) and the instance
 * record (ret->instance, empty when there is none). -EIO if either is
 * missing (meta) or malformed. */
int
iam_db_meta(struct iam_db_txn *t, struct iam_meta_rec *ret);

/*
 * iam_db_instance - the EC2 instance id the snapshot was made on, "" when
 * unknown. Valid while @db is open.
 * iam_db_made_elsewhere - true when that id and this instance's, read
 * from IAM_INSTANCE_ID_PATH (iam_instance.h, only when the snapshot names
 * an instance), are both known and differ: an image's snapshot, that
 * readers do not serve until iam-sync replaces it. @ret_here receives
 * this instance's id ("" unknown), for the caller's log. Never logs.
 */
const char *
iam_db_instance(const struct iam_db *db);
bool
iam_db_made_elsewhere(const struct iam_db *db,
                      char ret_here[IAM_INSTANCE_ID_SIZE]);

/* The LMDB error space, translated once into -errno at this boundary. */
int
iam_db_errno(int mdb_rc);

#endif
