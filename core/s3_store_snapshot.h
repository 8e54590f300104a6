
/*
 * Copyright (C) ngx_s3 developers
 *
 * Snapshots of a data directory (s3ctl snapshot create|restore).
 *
 * A snapshot is a data directory's published files laid out as in the
 * store (s3_place.h): FORMAT, users/, buckets/<b>/bucket, the object
 * files under buckets/<b>/obj/ and the part files of multipart objects
 * under buckets/<b>/parts/<id>/, plus a MANIFEST (s3_line.h) written by
 * s3ctl.  Published files are never changed in place (a new version is a
 * new file renamed over the old one), so a hard link of one is a stable
 * copy of that version; across filesystems (EXDEV) the file is copied
 * and the copy fsynced.  Nothing here fsyncs directories: the caller
 * syncs the whole snapshot once (syncfs()).
 *
 * The same functions restore: from is then the snapshot, to the new data
 * directory.
 */


#ifndef _S3_STORE_SNAPSHOT_H_INCLUDED_
#define _S3_STORE_SNAPSHOT_H_INCLUDED_


#include "s3_store.h"


#define S3_SNAPSHOT_MANIFEST   "MANIFEST"
#define S3_SNAPSHOT_LINE_MAX   4096      /* an object line, newline included */


typedef struct {
    const char       *from;           /* absolute: read from */
    const char       *to;             /* absolute: written into */
    int               copy;           /* 0: hard links; set at the first
                                         EXDEV; 1: copies, fsynced */
    uint64_t          files;          /* captured */
    uint64_t          skipped;        /* files under obj/ that are not
                                         published objects: left out */
} s3_snapshot_t;


/* An object as a MANIFEST line names it; slices point into the line. */
typedef struct {
    s3_str_t          bucket;
    s3_str_t          key;
    uint64_t          size;
    uint64_t          hlc;
    unsigned char     md5[S3_MD5_LEN];
    uint32_t          parts;          /* 0: a single-part object */
} s3_snapshot_entry_t;


/*
 * Links (or copies) from/rel to to/rel, creating to's missing
 * directories.  Returns S3_OK, S3_STORE_NOT_FOUND (from/rel does not
 * exist), or S3_ERR with errno (EEXIST: to/rel exists).
 */
int s3_snapshot_file(s3_snapshot_t *sn, const char *rel);

/*
 * Captures every published object of bucket: each object file under
 * from/buckets/<bucket>/obj/ with, for a multipart object, its part
 * files, taken under the key's stripe (shared) so that the record and
 * its parts are of one version.  A key changed during the walk is
 * captured as its old or its new version, a key deleted during it may be
 * left out (as is the whole bucket when it goes meanwhile).  Calls cb
 * with the captured record of each object, valid during the call.
 * Returns S3_OK, the first status other than S3_OK cb returned, or
 * S3_ERR with errno.
 */
int s3_snapshot_bucket(s3_snapshot_t *sn, const char *bucket, size_t len,
    s3_store_record_pt cb, void *data);

/*
 * Captures the part files of the multipart object rec (read from from/)
 * into to/buckets/<b>/parts/<id>/: found in parts/<id>/, or mpu/<id>/
 * where a completion stopped before its last rename.  Returns S3_OK, or
 * S3_ERR with errno (ENOENT: a part is missing).
 */
int s3_snapshot_parts(s3_snapshot_t *sn, const s3_record_t *rec);

/*
 * Checks the object e in the snapshot root: its object file holds a
 * record of e's bucket, key, size, ETag and hlc, and each part file of a
 * multipart object is there with a part record of the size the object's
 * record gives.  rec is the object's record (slices in buf, of
 * S3_STORE_BUCKET_BUF bytes).  Returns S3_OK, or S3_ERR with errno
 * (ENOENT: a file is missing, EINVAL: a record is unreadable or does not
 * match) and the file at fault in path[PATH_MAX].
 */
int s3_snapshot_check(const char *root, const s3_snapshot_entry_t *e,
    unsigned char *buf, size_t size, s3_record_t *rec, char *path);

/*
 * Writes the MANIFEST line of the object rec, newline included, into buf:
 *
 *     object bucket=B key=K size=N etag=MD5[-PARTS] hlc=N
 *
 * Returns its length, or -1 with errno ENOSPC.
 */
ssize_t s3_snapshot_line(char *buf, size_t size, const s3_record_t *rec);

/*
 * Parses the tokens of an object line (pos: after the word "object",
 * s3_line_kind()) into e, decoding them in place.  Returns S3_OK, or
 * S3_ERR with errno EINVAL (a token missing or malformed).
 */
int s3_snapshot_parse(char *pos, char *end, s3_snapshot_entry_t *e);


#endif /* _S3_STORE_SNAPSHOT_H_INCLUDED_ */
