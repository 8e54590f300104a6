
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


#include <sys/stat.h>

#include "s3_core.h"
#include "s3_cksum.h"
#include "s3_hlc.h"
#include "s3_journal.h"
#include "s3_record.h"


#define S3_STORE_FORMAT          "ngx_s3 store 1"
#define S3_STORE_FORMAT_FILE     "FORMAT"  /* under root: format, node id */

#define S3_STORE_NOT_FOUND       10    /* no such object or user */
#define S3_STORE_NO_BUCKET       11
#define S3_STORE_BUCKET_OWNED    12    /* create: exists, same owner */
#define S3_STORE_BUCKET_EXISTS   13    /* create: exists, other owner */
#define S3_STORE_BUCKET_NOT_EMPTY 14
#define S3_STORE_USER_EXISTS     15    /* access key or name taken */
#define S3_STORE_NO_UPLOAD       16    /* no such multipart upload */
#define S3_STORE_INVALID_PART    17    /* complete: missing, other md5 */
#define S3_STORE_TOO_SMALL       18    /* complete: a part under 5 MiB */
#define S3_STORE_BAD_RANGE       19    /* copy: range outside the source */
#define S3_STORE_PRECONDITION    20    /* put: a condition does not hold */
#define S3_STORE_NO_CHECKSUM     21    /* complete: a COMPOSITE upload's
                                          part listed without checksum */
#define S3_STORE_STALE           22    /* apply: this node holds a newer
                                          version than the change's */

#define S3_STORE_PART_MIN_SIZE   (5 * 1024 * 1024)
#define S3_STORE_UPLOAD_BUF      32768 /* holds any upload record */
/* holds any bucket record */
#define S3_STORE_BUCKET_BUF      (S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN)


typedef struct {
    const char       *root;           /* data directory, absolute */
    int               fsync;          /* fsync files and directories */
    s3_journal_t     *journal;        /* this process's journal; NULL:
                                         changes are not journaled */
    uint32_t          node_id;
    s3_hlc_t         *clock;          /* shared by the process's threads */
} s3_store_t;


/*
 * A conditional put's condition on the version it replaces (If-None-Match,
 * If-Match), checked under the key lock.
 */
typedef struct {
    int               none_match;     /* "*": there must be no version */
    int               match;          /* there must be a version ... */
    int               match_any;      /* ... any ("*"), or one whose ETag
                                         is md5 and nparts ("md5-N") */
    unsigned char     md5[S3_MD5_LEN];
    size_t            nparts;         /* 0: a single-part ETag */
} s3_store_cond_t;


/* CompleteMultipartUpload's list: one entry per part, ascending. */
typedef struct {
    uint32_t          number;
    unsigned char     md5[S3_MD5_LEN];
    s3_cksum_algo_e   cksum_algo;     /* the listed Checksum*; NONE: none */
    unsigned char     cksum[S3_CKSUM_MAX_LEN];  /* raw */
} s3_store_part_t;


typedef struct {
    s3_str_t                bucket;
    s3_str_t                key;
    s3_str_t                upload_id;
    const s3_store_part_t  *parts;
    size_t                  nparts;       /* 1 to 10,000 */
    unsigned char          *table;        /* nparts * S3_RECORD_PART_LEN
                                             bytes, written by the call */
    uint32_t                bad_part;     /* out: INVALID_PART, TOO_SMALL,
                                             NO_CHECKSUM */
    s3_record_t             rec;          /* out: size, md5, hlc, mtime_ms
                                             and checksum of the published
                                             object */
    char                    checksum[S3_CKSUM_VALUE_MAX_LEN];
                                          /* rec.checksum_value's bytes */
} s3_store_complete_t;


/* ListParts: what the store tells of one part. */
typedef struct {
    uint32_t          number;
    uint64_t          size;
    uint64_t          mtime_ms;
    unsigned char     md5[S3_MD5_LEN];
    s3_cksum_algo_e   checksum;       /* NONE: the part has none */
    size_t            checksum_len;
    char              checksum_value[S3_CKSUM_B64_MAX_LEN];  /* base64 */
} s3_store_part_info_t;


/* UploadPartCopy and CopyObject: the caller opens and reads the source. */
typedef struct {
    int                 src_fd;       /* the source's object file */
    const s3_record_t  *src;          /* the record read from src_fd */
    uint64_t            start;        /* part: first byte of the source */
    uint64_t            last;         /* part: last byte; ranged only */
    int                 ranged;       /* part: 0: the whole source */
    int                 fd;           /* the temp file (-1 after) */
    s3_record_t         dst;          /* the part or object made: see
                                         s3_store_copy_part(), _object() */
    char                checksum[S3_CKSUM_B64_MAX_LEN];
                                      /* part: dst.checksum_value's bytes */
} s3_store_copy_t;


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
 * s3_store_put_object() if cond (NULL: none) holds for the current
 * version, as one step under the key lock.  Returns as it does, or
 * S3_STORE_PRECONDITION, or S3_STORE_NOT_FOUND (cond->match and no
 * version); the temp file is then left to the caller.
 */
int s3_store_put_object_if(const s3_store_t *st, int fd,
    const char *tmp_path, s3_record_t *rec, const s3_store_cond_t *cond);

/*
 * Deletes an object.  Returns S3_OK, S3_STORE_NOT_FOUND (nothing was
 * there, nothing journaled), S3_STORE_NO_BUCKET, or S3_ERR with errno.
 */
int s3_store_delete_object(const s3_store_t *st, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len);

/*
 * Reads the record at the end of an open object file of file_size bytes
 * into buf.  Returns S3_OK with rec's slices pointing into buf and *need
 * set to the record's length (the bytes read end with it); S3_AGAIN
 * with *need set when buf is smaller than the record (call again with a
 * buffer of *need bytes); S3_ERR with errno (EINVAL: not a record).
 */
int s3_store_read_record(int fd, uint64_t file_size, unsigned char *buf,
    size_t size, s3_record_t *rec, size_t *need);

/*
 * Reads a file that is a record alone (a bucket's, a user's), name
 * relative to the directory dfd (AT_FDCWD: the working directory), into
 * buf, and into *sb the identity of the file read (its descriptor's, not
 * a second lookup's).  Returns S3_OK with buf holding the file's
 * sb->st_size bytes and rec's slices pointing into them, or S3_ERR with
 * errno (ENOENT, ENOTDIR: no such file; EINVAL: not one record of kind;
 * ENOBUFS: buf is smaller than the file).
 */
int s3_store_read_record_at(int dfd, const char *name, s3_record_kind_e kind,
    unsigned char *buf, size_t size, s3_record_t *rec, struct stat *sb);

/*
 * Creates a bucket owned by owner.  Returns S3_OK, S3_STORE_BUCKET_OWNED,
 * S3_STORE_BUCKET_EXISTS, or S3_ERR with errno (EINVAL: invalid name).
 */
int s3_store_create_bucket(const s3_store_t *st, const char *bucket,
    size_t bucket_len, const char *owner, size_t owner_len);

/*
 * As s3_store_create_bucket(), the bucket rec->bucket owned by rec->owner
 * with the attributes of rec (acl, tags, cors).
 */
int s3_store_create_bucket_rec(const s3_store_t *st, const s3_record_t *rec);

/*
 * Deletes an empty bucket.  Returns S3_OK, S3_STORE_NO_BUCKET,
 * S3_STORE_BUCKET_NOT_EMPTY, or S3_ERR with errno.
 */
int s3_store_delete_bucket(const s3_store_t *st, const char *bucket,
    size_t bucket_len);

/*
 * Reads a bucket's record into buf (S3_STORE_BUCKET_BUF bytes suffice;
 * S3_RECORD_READ_LEN for a bucket without CORS rules or tags).  Returns
 * S3_OK, S3_STORE_NO_BUCKET, or S3_ERR with errno (ENOBUFS: buf is too
 * small for this record).
 */
int s3_store_read_bucket(const char *root, const char *bucket,
    size_t bucket_len, unsigned char *buf, size_t size, s3_record_t *rec);

/* the attributes s3_store_set_object_attrs() and _bucket_attrs() replace */
#define S3_STORE_ATTR_ACL    0x01
#define S3_STORE_ATTR_TAGS   0x02
#define S3_STORE_ATTR_CORS   0x04       /* buckets only */

/*
 * Replaces the attributes named by which (S3_STORE_ATTR_*) of the current
 * version of the object rec->bucket, rec->key with rec's, keeping its
 * data, headers, ETag, checksums and mtime: under the key lock the record
 * is rewritten into a new file published by rename (a single-file
 * object's bytes copied in the kernel), with a new hlc, and journaled as
 * a put.  Returns S3_OK, S3_STORE_NOT_FOUND, S3_STORE_NO_BUCKET, or
 * S3_ERR with errno.
 */
int s3_store_set_object_attrs(const s3_store_t *st, const s3_record_t *rec,
    unsigned which);

/*
 * Replaces the attributes named by which of the bucket rec->bucket with
 * rec's, under the bucket lock, journaled as the bucket's new record.
 * Returns S3_OK, S3_STORE_NO_BUCKET, or S3_ERR with errno.
 */
int s3_store_set_bucket_attrs(const s3_store_t *st, const s3_record_t *rec,
    unsigned which);

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


/*
 * Multipart uploads (s3_store_mpu.c, s3_store_complete.c, s3_store_copy.c,
 * s3_store_sweep.c).  An upload lives in
 * buckets/<b>/mpu/<id>/: its record "upload" and one file per part, "<N>"
 * = [data][PART record].  Completion publishes an object record that
 * names the parts and renames the directory to buckets/<b>/parts/<id>/.
 */

/*
 * Creates an upload.  rec (kind UPLOAD) gives bucket, key, owner, headers,
 * checksum and acl; the call writes a new id (S3_UPLOAD_ID_LEN hex digits
 * and a NUL: the node's id, s3_upload_id_node(), then random) into id,
 * points rec->upload_id at it and sets rec->mtime_ms
 * (the initiation time), hlc and origin.  Returns S3_OK,
 * S3_STORE_NO_BUCKET, or S3_ERR with errno.
 */
int s3_store_create_upload(const s3_store_t *st, s3_record_t *rec,
    char *id);

/*
 * Reads the record of an upload in progress into buf (S3_STORE_UPLOAD_BUF
 * bytes suffice).  Returns S3_OK, S3_STORE_NO_UPLOAD (also for an invalid
 * id), or S3_ERR with errno.  The caller compares rec->key.
 */
int s3_store_read_upload(const char *root, const char *bucket,
    size_t bucket_len, const char *id, size_t id_len, unsigned char *buf,
    size_t size, s3_record_t *rec);

/*
 * Publishes a part, as s3_store_put_object() publishes an object: fd is
 * the temp file tmp_path holding rec->size bytes; rec (kind PART) gives
 * bucket, key, upload_id, part_number, size and md5.  The part replaces
 * one of the same number.  Returns S3_OK (tmp_path is gone),
 * S3_STORE_NO_UPLOAD, or S3_ERR with errno; on failure the temp file is
 * left to the caller.
 */
int s3_store_commit_part(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec);

/*
 * Completes an upload: checks c->parts (ascending, checked by the caller)
 * against the part files, a listed checksum against the part's own,
 * publishes the object and moves the parts to buckets/<b>/parts/<id>/.
 * An upload created with an algorithm gets the object's checksum: for
 * COMPOSITE the algorithm over the parts' raw checksums, "-N" appended
 * (every part must be listed with its checksum), for FULL_OBJECT the
 * parts' CRCs combined.  Returns S3_OK, S3_STORE_NO_BUCKET,
 * S3_STORE_NO_UPLOAD, S3_STORE_INVALID_PART, S3_STORE_TOO_SMALL or
 * S3_STORE_NO_CHECKSUM (with c->bad_part and c->rec.checksum naming the
 * algorithm), or S3_ERR with errno.  Only the numbers and the checksum of
 * c->rec are valid after the call.
 */
int s3_store_complete_upload(const s3_store_t *st, s3_store_complete_t *c);

/*
 * Aborts an upload of (bucket, key) and removes its parts.  Returns S3_OK,
 * S3_STORE_NO_UPLOAD, or S3_ERR with errno.
 */
int s3_store_abort_upload(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id);

/*
 * Reads the parts numbered above marker, ascending, into out (max
 * entries); *n is the number written, *truncated 1 when more follow.
 * Returns S3_OK, S3_STORE_NO_UPLOAD, or S3_ERR with errno.
 */
int s3_store_list_parts(const char *root, const s3_str_t *bucket,
    const s3_str_t *id, uint32_t marker, s3_store_part_info_t *out,
    size_t max, size_t *n, int *truncated);

/*
 * Copies a byte range of the source (plain or multipart) into a new part:
 * reads and writes in bounded chunks, hashing as it goes, then commits it
 * with s3_store_commit_part().  c->dst gives bucket, key, upload_id,
 * part_number and checksum, the upload's algorithm or empty; size, md5
 * and mtime_ms are set, and with an algorithm checksum_value, the base64
 * of the copied bytes' checksum, held in c->checksum.  Returns S3_OK,
 * S3_STORE_BAD_RANGE, S3_STORE_NO_UPLOAD, or S3_ERR with errno (EINVAL: no
 * such algorithm).  Nothing is left behind on failure.
 */
int s3_store_copy_part(const s3_store_t *st, s3_store_copy_t *c);

/*
 * Copies the whole source into a new version of the object c->dst (the
 * caller sets bucket, key, headers, tags, acl and checksums), published
 * with s3_store_put_object().  A single-file source's bytes are copied in
 * the kernel and keep its md5; a multipart source's are read and hashed:
 * the copy is a single-file object with the md5 of all its bytes.  Sets
 * size, md5, hlc and mtime_ms.  Returns S3_OK, S3_STORE_NO_BUCKET, or
 * S3_ERR with errno.  Nothing is left behind on failure.
 */
int s3_store_copy_object(const s3_store_t *st, s3_store_copy_t *c);

/*
 * Opens part number of the multipart object whose record is obj, read
 * only, writing its path into path[PATH_MAX].  Returns the descriptor, or
 * -1 with errno.  Looks in parts/<id>/, then mpu/<id>/ (a completion
 * published, its directory not yet renamed), then parts/<id>/ again.
 */
int s3_store_open_part(const char *root, const s3_record_t *obj,
    uint32_t number, char *path);

/*
 * Removes the uploads of every bucket initiated before before_ms, and the
 * parts directories no object record names (left by a crash); finishes a
 * completion that a crash interrupted after its publish.  Returns the
 * number of directories removed or moved, or -1 with errno.
 */
int s3_store_sweep_uploads(const s3_store_t *st, uint64_t before_ms);


/*
 * Replication (s3_store_replica.c): the changes a peer shipped, applied
 * under the same stripes as a local change, never journaled (st->journal
 * must be NULL: repld writes its catalog itself).  Versions are ordered
 * by (hlc, origin node id), last writer wins; a change that is not newer
 * than what this node holds returns S3_STORE_STALE, one that is this
 * very version S3_OK (applying it again is harmless).
 */

/*
 * Publishes the object version rec (whose record came from a peer,
 * rec->holders naming the nodes holding its bytes) as a record-only
 * file.  When this node is one of the holders and its current version
 * has the same bytes, the bytes stay and the record replaces only its
 * attributes.  Returns S3_OK, S3_STORE_STALE, S3_STORE_NO_BUCKET, or
 * S3_ERR with errno.
 */
int s3_store_apply_object(const s3_store_t *st, const s3_record_t *rec);

/*
 * Removes the object (bucket, key) if its version is older than the
 * tombstone (hlc, node).  Returns S3_OK (removed, or nothing there),
 * S3_STORE_STALE, S3_STORE_NO_BUCKET, or S3_ERR with errno.
 */
int s3_store_apply_delete(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, uint64_t hlc, uint32_t node);

/*
 * Publishes the bucket record rec, creating the bucket when missing.
 * Returns S3_OK, S3_STORE_STALE, or S3_ERR with errno.
 */
int s3_store_apply_bucket(const s3_store_t *st, const s3_record_t *rec);

/*
 * Deletes the bucket if its record is older than (hlc, node).  Returns
 * S3_OK (deleted, or no bucket), S3_STORE_STALE, S3_STORE_BUCKET_NOT_EMPTY
 * or S3_ERR with errno.
 */
int s3_store_apply_bucket_delete(const s3_store_t *st, const s3_str_t *b,
    uint64_t hlc, uint32_t node);

/* Publishes the user record rec: S3_OK, S3_STORE_STALE or S3_ERR. */
int s3_store_apply_user(const s3_store_t *st, const s3_record_t *rec);

/* Removes the user if older than (hlc, node): as _apply_bucket_delete(). */
int s3_store_apply_user_delete(const s3_store_t *st, const s3_str_t *ak,
    uint64_t hlc, uint32_t node);

/*
 * Reads the current version of (bucket, key) into buf
 * (S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN bytes suffice).  Returns
 * S3_OK, S3_STORE_NOT_FOUND (no file, a damaged one, or one of another
 * key), or S3_ERR with errno.
 */
int s3_store_read_object(const char *root, const s3_str_t *bucket,
    const s3_str_t *key, unsigned char *buf, size_t size, s3_record_t *rec);


#endif /* _S3_STORE_H_INCLUDED_ */
