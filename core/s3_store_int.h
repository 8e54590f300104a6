
/*
 * Copyright (C) ngx_s3 developers
 *
 * Helpers shared by the files of the store: s3_store.c, s3_store_init.c,
 * s3_store_bucket.c, s3_store_user.c and the multipart ones,
 * s3_store_mpu.c, s3_store_complete.c, s3_store_copy.c and
 * s3_store_sweep.c; s3_store_attrs.c; s3_store_snapshot.c.
 * Not part of the library's interface: nothing outside core/s3_store*.c
 * includes this file.  Paths are absolute, built in PATH_MAX buffers the
 * caller provides.  Every helper returns S3_OK or S3_ERR with errno set
 * (and preserved across its own cleanup) unless stated otherwise.
 */


#ifndef _S3_STORE_INT_H_INCLUDED_
#define _S3_STORE_INT_H_INCLUDED_


#include <dirent.h>
#include <limits.h>

#include "s3_hlc.h"
#include "s3_journal.h"
#include "s3_lock.h"
#include "s3_place.h"
#include "s3_store.h"


#define S3_STORE_TREE_DEPTH   16      /* deepest tree we remove */
#define S3_STORE_OBJECT_BUF   (S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN)


/* Writes "root/rel" into path[PATH_MAX]; ENAMETOOLONG if it does not fit. */
int s3_store_path(char *path, const char *root, const char *rel);

/* Wall clock in milliseconds (CLOCK_REALTIME). */

/* close() that keeps errno as it was. */
void s3_store_close(int fd);

/* closedir() that keeps errno as it was. */
void s3_store_closedir(DIR *d);

/* Opens and fsyncs a directory. */
int s3_store_fsync_dir(const char *path);

/* Fsyncs the directory holding path (path itself is left unchanged). */
int s3_store_fsync_parent(const char *path);

/*
 * Creates the directory path (0700) and, when it was created and sync is
 * set, fsyncs its parent.  An existing directory is S3_OK.
 */
int s3_store_mkdir(const char *path, int sync);

/*
 * As s3_store_mkdir(), creating missing parents too, but never above the
 * first root_len bytes of path (which must exist).  path is modified
 * during the call and restored.
 */
int s3_store_mkdir_p(char *path, size_t root_len, int sync);

/* pwrite()s all of p at off, retrying short writes. */
int s3_store_write_full(int fd, const unsigned char *p, size_t len,
    off_t off);

/*
 * pread()s all of p at off, retrying short reads; a file that ends before
 * is S3_ERR with EINVAL.
 */
int s3_store_read_full(int fd, unsigned char *p, size_t len, off_t off);

/*
 * Truncates the data file fd to rec->size bytes (it must hold that many),
 * appends rec's record and, when sync is set, fsyncs it.
 */
int s3_store_append_record(int fd, const s3_record_t *rec, int sync);

/* Writes a fresh unique name under root/tmp into path[PATH_MAX]. */
int s3_store_tmp_path(char *path, const char *root);

/*
 * Writes rec (bucket or user: no data) to a new file under root/tmp,
 * fsynced when st->fsync, and leaves its name in tmp[PATH_MAX].  On
 * failure nothing is left behind.
 */
int s3_store_write_record_file(const s3_store_t *st, const s3_record_t *rec,
    char *tmp);

/*
 * Reads the record of the file at path into buf.  Returns S3_OK, or S3_ERR
 * with errno (ENOENT: no file, EINVAL: not a record, ENOBUFS: buf too
 * small).
 */
int s3_store_read_record_file(const char *path, unsigned char *buf,
    size_t size, s3_record_t *rec);

/*
 * Renames tmp to path and, when st->fsync, fsyncs path's directory.  On
 * a failed rename tmp is unlinked.
 */
int s3_store_publish(const s3_store_t *st, const char *tmp,
    const char *path);

/* Appends one journal frame for e (nothing when st->journal is NULL). */
int s3_store_journal(const s3_store_t *st, const s3_journal_entry_t *e);

/*
 * Removes name (a file or a tree at most depth levels deep) relative to
 * the directory dfd.  A missing name is S3_OK.
 */
int s3_store_remove_tree(int dfd, const char *name, int depth);

/*
 * Removes the published tree at path (at most depth levels deep): one
 * rename into tmp/ unpublishes it, then the tree goes, so a crash leaves
 * it whole where it was, or in tmp/, which the next start sweeps; never
 * half removed in place.  A missing path is S3_OK.
 */
int s3_store_unpublish(const s3_store_t *st, const char *path, int depth);

/*
 * Calls reader(root, name, len, buf, size, rec) for every entry of root/dir
 * not starting with '.', then cb for each record read.  Entries the
 * reader reports as absent (a positive status) or invalid (S3_ERR with
 * EINVAL) are skipped.  Returns as s3_store_list_buckets() does.
 */
typedef int (*s3_store_reader_pt)(const char *root, const char *name,
    size_t len, unsigned char *buf, size_t size, s3_record_t *rec);

int s3_store_list(const char *root, const char *dir,
    s3_store_reader_pt reader, s3_store_record_pt cb, void *data);


/*
 * Reads the hlc of the object file at path, and the upload id of a
 * multipart object into upload_id (S3_UPLOAD_ID_LEN + 1 bytes; "" for
 * none).  Returns S3_OK, S3_STORE_NOT_FOUND (hlc 0) or S3_ERR.  A file
 * whose record cannot be decoded counts as hlc 0.
 */
int s3_store_object_hlc(const char *path, uint64_t *hlc, char *upload_id);

/*
 * s3_store_object_hlc() that also checks cond (NULL: none) against the
 * version: returns S3_STORE_PRECONDITION when it does not hold.
 */
int s3_store_object_cond(const char *path, const s3_store_cond_t *cond,
    uint64_t *hlc, char *upload_id);

/*
 * Removes parts/<id> of a bucket: the parts of a multipart object that
 * was replaced or deleted (the caller holds its key stripe, and settled
 * the parts there with s3_store_settle_parts() before the change).
 * Nothing is removed when id is "" (the old object had no parts) or is
 * keep (the new object's upload id; NULL: none).  Failures are left to
 * s3_store_sweep_uploads().
 */
void s3_store_remove_parts(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, const s3_str_t *keep);

/*
 * Called under the key stripe before a change that replaces or deletes an
 * object whose record names upload id (nothing when id is "" or keep's):
 * a completion a crash interrupted after its publish may have left its
 * parts in mpu/<id>; they move to parts/<id> first.  A crash after the
 * change is published then leaves a parts/ directory that no record names,
 * which the sweep removes, never an mpu/ one that passes for a live
 * upload.  Returns S3_OK or S3_ERR with errno.
 */
int s3_store_settle_parts(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, const s3_str_t *keep);

/* Takes the key stripe of rec's object; its path goes to path[PATH_MAX]. */
int s3_store_lock_object(const s3_store_t *st, const s3_record_t *rec,
    char *path);

/*
 * s3_store_put_object_if() once the caller holds the key stripe and has
 * set rec->mtime_ms; path is where the object goes (modified during the
 * call and restored); cond may be NULL.
 */
int s3_store_put_locked(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec, char *path, const s3_store_cond_t *cond);

/*
 * Copies len bytes at off of src to dst at *pos, advancing *pos: through
 * a buffer and into md5 and cksum when either is not NULL, else in the
 * kernel.
 */
int s3_store_copy_bytes(int src, uint64_t off, uint64_t len, int dst,
    uint64_t *pos, s3_digest_t *md5, s3_cksum_t *cksum);

/* Returns S3_OK when the bucket record exists, else S3_STORE_NO_BUCKET. */
int s3_store_bucket_exists(const char *root, const s3_str_t *bucket);

/*
 * Opens a lock descriptor holding the bucket stripe shared and the key
 * stripe exclusive.  Returns it, or -1 with errno.
 */
int s3_store_lock_key(const char *root, const s3_str_t *bucket,
    const s3_str_t *key);


/* buckets: s3_store_bucket.c */

/*
 * Opens a lock descriptor holding the bucket's stripe exclusive.
 * Returns it, or -1 with errno.
 */
int s3_store_lock_bucket(const s3_store_t *st, const char *bucket,
    size_t len);

/*
 * Creates buckets/<b> and buckets/<b>/obj at dir (either may be left
 * from a creation that crashed before its record was published).
 */
int s3_store_make_bucket_dirs(const s3_store_t *st, const char *dir);

/* Deletes the empty bucket b; the caller holds its stripe. */
int s3_store_delete_bucket_locked(const s3_store_t *st, const s3_str_t *b);


/* users: s3_store_user.c */

/* Opens a lock descriptor holding the users' byte exclusive, or -1. */
int s3_store_lock_users(const s3_store_t *st);

/*
 * Removes the user file at path, of access key ak; the caller holds the
 * users' byte.  S3_OK, S3_STORE_NOT_FOUND or S3_ERR.
 */
int s3_store_remove_user_locked(const s3_store_t *st, const s3_str_t *ak,
    const char *path);


/* multipart uploads: s3_store_mpu.c */

/*
 * Writes the path of upload id of bucket into path[PATH_MAX]: its
 * directory (part 0) or the file of a part, under mpu/ (completed 0) or
 * parts/ (completed 1).
 */
int s3_store_upload_path(char *path, const char *root,
    const s3_str_t *bucket, const char *id, int completed, uint32_t part);

/* As s3_store_upload_path(), the path of the upload's record. */
int s3_store_upload_record_path(char *path, const char *root,
    const s3_str_t *bucket, const char *id, int completed);

/* Creates path (O_EXCL) holding p; on failure nothing is left. */
int s3_store_write_file(const char *path, const unsigned char *p,
    size_t len, int sync);

/*
 * Takes the stripe of upload id on fd, or on a new descriptor when fd is
 * -1.  Returns the descriptor holding it, or -1 with errno.
 */
int s3_store_lock_upload(const char *root, const char *id,
    s3_lock_mode_e mode, int fd);

/*
 * Reads the record of upload id into buf and checks that it belongs to
 * key: S3_OK, S3_STORE_NO_UPLOAD or S3_ERR.
 */
int s3_store_upload_of(const char *root, const s3_str_t *bucket,
    const s3_str_t *key, const char *id, unsigned char *buf, size_t size,
    s3_record_t *rec);

/* Returns the number a part file is named by, or 0 for another name. */
uint32_t s3_store_part_name(const char *name);

/* Aborts upload id of (bucket, key); the caller holds both stripes. */
int s3_store_abort_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, const char *id);

/* s3_store_complete.c: renames mpu/<id> to parts/<id>. */
int s3_store_move_upload(const s3_store_t *st, const s3_str_t *bucket,
    const char *id);

/*
 * s3_store_complete.c: publishes the record of a multipart object (no
 * data) at path, the caller holding the key stripe and having set
 * rec->mtime_ms; journaled as a completion.
 */
int s3_store_publish_object(const s3_store_t *st, s3_record_t *rec,
    const char *path);

/*
 * s3_store_complete.c: publishes rec, a record with no data, at path as
 * it is (hlc and origin kept), the caller holding the key stripe; old is
 * the upload id of the version it replaces ("" for none), whose parts
 * go.  Journaled as a completion, or as a put when rec has no parts (an
 * object whose bytes are on other nodes).
 */
int s3_store_publish_record(const s3_store_t *st, const s3_record_t *rec,
    const char *path, const char *old);


#endif /* _S3_STORE_INT_H_INCLUDED_ */
