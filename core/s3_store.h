
/*
 * Copyright (C) ngx_s3 developers
 *
 * The store's blocking operations: each one a complete, crash-safe change
 * of the data directory (layout in s3_place.h, records in s3_record.h).
 * nginx runs them in thread-pool tasks, repld and s3ctl call them directly.
 *
 * Every change follows one order, under the striped lock (s3_lock.h):
 * write the new file under tmp/, fsync it, append the journal frame,
 * rename it into place, fsync the directory.  A crash at any instant
 * leaves the old state or the new one plus a temp file swept at start-up;
 * a journal frame whose change never got published is found by repld's
 * reconciliation, which trusts the disk.
 *
 * Status codes: S3_OK, S3_ERR with errno for system failures (ENOSPC,
 * EIO, EACCES...), or one of the S3_STORE_* outcomes below.
 */


#ifndef _S3_STORE_H_INCLUDED_
#define _S3_STORE_H_INCLUDED_


#include "s3_core.h"
#include "s3_hlc.h"
#include "s3_journal.h"
#include "s3_record.h"


#define S3_STORE_FORMAT          "ngx_s3 store 1"

#define S3_STORE_NOT_FOUND       10    /* no such object or user */
#define S3_STORE_NO_BUCKET       11
#define S3_STORE_BUCKET_OWNED    12    /* create: exists, same owner */
#define S3_STORE_BUCKET_EXISTS   13    /* create: exists, other owner */
#define S3_STORE_BUCKET_NOT_EMPTY 14
#define S3_STORE_USER_EXISTS     15    /* access key or name taken */


typedef struct {
    const char       *root;           /* data directory, absolute */
    int               fsync;          /* fsync files and directories */
    s3_journal_t     *journal;        /* this process's journal; NULL:
                                         changes are not journaled */
    uint32_t          node_id;
    s3_hlc_t         *clock;          /* shared by the process's threads */
} s3_store_t;


/* Called for each record of a listing; return S3_OK to go on. */
typedef int (*s3_store_record_pt)(const s3_record_t *rec, void *data);


/*
 * Creates the layout under root if missing (root itself must exist):
 * FORMAT with a random node id, lock, tmp/, journal/, users/, buckets/.
 * Reads the node id into *node_id.  Returns S3_OK, or S3_ERR with errno:
 * ENOENT/ENOTDIR (no root), EACCES/EROFS (not writable), EPROTO (FORMAT of
 * another version).
 */
int s3_store_init(const char *root, uint32_t *node_id);

/*
 * Removes everything under root/tmp but the temp files of other live
 * processes of ours (s3ctl, repld); nginx calls it when it starts, before
 * any worker writes.  Returns the number of entries removed or -1 with
 * errno.
 */
int s3_store_sweep_tmp(const char *root);

/*
 * Publishes an object.  fd is the open (writable) temp file tmp_path
 * (under root/tmp; absolute, or relative to root) holding rec->size bytes
 * of data (a longer file is truncated to it, a shorter one is EINVAL);
 * rec describes it (kind, bucket, key, size, md5, headers).  Sets rec->hlc
 * above the version it replaces, rec->mtime_ms and rec->origin, appends
 * the record to the file and publishes it.  Returns S3_OK (tmp_path no
 * longer exists), S3_STORE_NO_BUCKET, or S3_ERR with errno; on failure
 * the temp file is left to the caller.
 */
int s3_store_put_object(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec);

/*
 * Deletes an object.  Returns S3_OK, S3_STORE_NOT_FOUND (nothing was
 * there, nothing journaled), S3_STORE_NO_BUCKET, or S3_ERR with errno.
 */
int s3_store_delete_object(const s3_store_t *st, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len);

/*
 * Reads the record at the end of an open object file of file_size bytes
 * into buf.  Returns S3_OK with rec's slices pointing into buf; S3_AGAIN
 * with *need set when buf is smaller than the record (call again with a
 * buffer of *need bytes); S3_ERR with errno (EINVAL: not a record).
 */
int s3_store_read_record(int fd, uint64_t file_size, unsigned char *buf,
    size_t size, s3_record_t *rec, size_t *need);

/*
 * Creates a bucket owned by owner.  Returns S3_OK, S3_STORE_BUCKET_OWNED,
 * S3_STORE_BUCKET_EXISTS, or S3_ERR with errno (EINVAL: invalid name).
 */
int s3_store_create_bucket(const s3_store_t *st, const char *bucket,
    size_t bucket_len, const char *owner, size_t owner_len);

/*
 * Deletes an empty bucket.  Returns S3_OK, S3_STORE_NO_BUCKET,
 * S3_STORE_BUCKET_NOT_EMPTY, or S3_ERR with errno.
 */
int s3_store_delete_bucket(const s3_store_t *st, const char *bucket,
    size_t bucket_len);

/*
 * Reads a bucket's record into buf (S3_RECORD_READ_LEN bytes suffice).
 * Returns S3_OK, S3_STORE_NO_BUCKET, or S3_ERR with errno.
 */
int s3_store_read_bucket(const char *root, const char *bucket,
    size_t bucket_len, unsigned char *buf, size_t size, s3_record_t *rec);

/*
 * Calls cb for every bucket record, in directory order, with a record
 * that is valid only during the call.  Returns S3_OK, the first status
 * other than S3_OK that cb returned, or S3_ERR with errno.
 */
int s3_store_list_buckets(const char *root, s3_store_record_pt cb,
    void *data);

/*
 * Adds a user.  Returns S3_OK, S3_STORE_USER_EXISTS (the name or the access
 * key is taken), or S3_ERR with errno (EINVAL: invalid access key).
 */
int s3_store_add_user(const s3_store_t *st, const char *name, size_t name_len,
    const char *ak, size_t ak_len, const char *sk, size_t sk_len);

/* Removes the user with this access key: S3_OK, S3_STORE_NOT_FOUND, S3_ERR */
int s3_store_remove_user(const s3_store_t *st, const char *ak, size_t len);

/*
 * Reads the user with this access key into buf (S3_RECORD_READ_LEN bytes
 * suffice).  Returns S3_OK, S3_STORE_NOT_FOUND, or S3_ERR with errno.
 */
int s3_store_read_user(const char *root, const char *ak, size_t len,
    unsigned char *buf, size_t size, s3_record_t *rec);

/* Calls cb for every user record, as s3_store_list_buckets() does. */
int s3_store_list_users(const char *root, s3_store_record_pt cb, void *data);


#endif /* _S3_STORE_H_INCLUDED_ */
