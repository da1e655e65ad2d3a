/*
 * iam_db_write: the one writer of the snapshot (used by iam-sync only).
 *
 * A snapshot is built in a private temporary file beside the published
 * path, sealed (committed and synced, with a digest of its contents in the
 * meta record), and then either published - fchown/fchmod/fsync the file,
 * rename() it over the old one, fsync the directory - or thrown away. A
 * published file is never opened for writing again, which is what lets the
 * readers use MDB_NOLOCK (see iam_db.h for the schema).
 *
 * Usage:
 *   iam_db_writer_open(path, &w);
 *   iam_db_writer_put_user(w, ...); ... (any order, each name/id once)
 *   iam_db_writer_seal(w, &meta);      meta.digest is set by the seal
 *   if (unchanged) iam_db_writer_abort(w); else iam_db_writer_publish(w);
 *
 * The file is written in several LMDB transactions (it is private until
 * published, so no reader sees the parts), which keeps the writer's memory
 * to a few MB whatever the account's size; puts in key order (by name)
 * keep it smallest, but any order gives the same file content and digest.
 *
 * Not thread-safe: one writer, one thread. The caller holds the sync lock.
 */
#ifndef IAM_DB_WRITE_H
#define IAM_DB_WRITE_H

#include <stdint.h>

#include "iam_rec.h"

struct iam_db_writer;

/*
 * iam_db_writer_open - start a new snapshot for @path. Creates
 * "<dir>/.passwd.mdb.XXXXXX" (mode 0600) in @path's directory so the final
 * rename cannot cross filesystems. Returns 0, -ENOMEM, or a -errno of
 * mkostemp/LMDB (-EACCES, -ENOENT for a missing directory, -EIO).
 */
int
iam_db_writer_open(const char *path, struct iam_db_writer **ret_w);

/*
 * Puts. Each returns 0, -EEXIST when the name or id is already present,
 * -EINVAL for an empty name, a name over 255 bytes or a string with a NUL,
 * -ENOSPC when the map is full, -ENOMEM or -EIO. After an error the writer
 * can only be aborted.
 *
 * put_user also indexes the name; put_group likewise.
 */
int
iam_db_writer_put_user(struct iam_db_writer *w, const struct iam_user_rec *u);
int
iam_db_writer_put_group(struct iam_db_writer *w, uint32_t gid, const char *name,
                        uint8_t kind, const struct iam_str *members,
                        uint32_t nmem);
int
iam_db_writer_put_user_gids(struct iam_db_writer *w, const char *name,
                            const uint32_t *gids, uint32_t n);
int
iam_db_writer_put_user_keys(struct iam_db_writer *w, const char *name,
                            const struct iam_key_rec *keys, uint32_t n);

/*
 * SHARED_ACCOUNTS: put_shared_acct records a local @account (its @uid,
 * the @n IAM groups that open it); put_shared_key indexes one member's
 * key under its fingerprint, with the @n of those groups the member is
 * in. -EEXIST for a fingerprint already indexed.
 */
int
iam_db_writer_put_shared_acct(struct iam_db_writer *w, const char *account,
                              uint32_t uid, const struct iam_str *groups,
                              uint32_t n);
int
iam_db_writer_put_shared_key(struct iam_db_writer *w,
                             const struct iam_shared_key_rec *k,
                             const struct iam_str *groups, uint32_t n);

/*
 * iam_db_writer_seal - compute the content digest (over every record in
 * key order, so it depends on what the snapshot says, not on the order of
 * the puts or on @meta), store it in @meta->digest (pointing at storage
 * inside @w, valid until @w is gone), write the format and @meta records
 * (and the instance record when @meta->instance is not empty; like meta,
 * it is outside the digest), commit and fsync. Returns 0 or -errno; on error
 * only abort remains.
 */
int
iam_db_writer_seal(struct iam_db_writer *w, struct iam_meta_rec *meta);

/*
 * iam_db_writer_publish - make the sealed file the snapshot: owner root
 * (when running as root), mode 0644, fsync, rename over the path, fsync
 * the directory. Frees @w in every case; on error the temporary file is
 * removed and the old snapshot is untouched. Returns 0 or -errno.
 */
int
iam_db_writer_publish(struct iam_db_writer *w);

/*
 * iam_db_writer_sweep - remove the temporary files of writers that died
 * (kill -9, OOM, power loss) before publishing: regular files named
 * ".<base>.XXXXXX" beside @path. Only safe while holding the sync lock,
 * when no other writer can be alive. Returns how many were removed (each
 * logged), or -errno when the directory cannot be read.
 */
int
iam_db_writer_sweep(const char *path);

/* iam_db_writer_abort - remove the temporary file and free @w. NULL ok. */
void
iam_db_writer_abort(struct iam_db_writer *w);

#endif
