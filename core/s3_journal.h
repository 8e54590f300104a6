
/*
 * Copyright (C) ngx_s3 developers
 *
 * The change journal: append-only files under DATA/journal/, each written
 * by one process and named "<pid>-<ms>.jnl" after its creation time, so a
 * pid reused after a crash never appends behind a torn tail.  Every change
 * is appended before it is published; repld tails these files into its
 * catalog.  A writer moves to a new file once the current one passes its
 * size limit, and ends a file it will not write again with a SEAL frame,
 * which tells repld that the file may be removed once applied.
 *
 * frame:    u32 payload length | u32 crc32c(payload) | payload
 * payload:  u8 op | u64 hlc | u64 size | 16 bytes md5
 *           | u16 bucket length | bucket | u16 key length | key  (key may be
 *           empty; for user changes "bucket" holds the access key)
 *           and, for the upload ops only:
 *           | u16 upload id length | upload id
 *           and, for complete-upload only:
 *           | u32 parts
 *
 * The upload ops: create-upload (hlc: the upload's creation), abort-upload
 * (hlc: the abort), complete-upload (one frame for both halves of a
 * completion: the object version published from the upload's parts, with
 * its hlc, size, md5 of the part md5s and part count, and the removal of
 * the upload).  Frames of the other ops end after the key, as before.
 *
 * A frame is written with one write() on an O_APPEND descriptor, so
 * threads and processes never interleave inside a frame.  A crash can
 * leave a torn last frame; the reader stops at the first frame that is
 * short or whose crc does not match.
 */


#ifndef _S3_JOURNAL_H_INCLUDED_
#define _S3_JOURNAL_H_INCLUDED_


#include <limits.h>
#include <pthread.h>

#include "s3_core.h"
#include "s3_digest.h"


#define S3_JOURNAL_DIR          "journal"
#define S3_JOURNAL_SUFFIX       ".jnl"
#define S3_JOURNAL_HEADER_LEN   8
#define S3_JOURNAL_MAX_UPLOAD_ID  255
#define S3_JOURNAL_MAX_FRAME    (S3_JOURNAL_HEADER_LEN + 1 + 8 + 8           \
                                 + S3_MD5_LEN + 2 + 255 + 2 + 1024          \
                                 + 2 + S3_JOURNAL_MAX_UPLOAD_ID + 4)


typedef enum {
    S3_JOURNAL_PUT_OBJECT = 1,
    S3_JOURNAL_DELETE_OBJECT,
    S3_JOURNAL_CREATE_BUCKET,
    S3_JOURNAL_DELETE_BUCKET,
    S3_JOURNAL_PUT_USER,
    S3_JOURNAL_DELETE_USER,
    S3_JOURNAL_SEAL,                 /* no frame follows in this file */
    S3_JOURNAL_CREATE_UPLOAD,        /* key, upload_id */
    S3_JOURNAL_ABORT_UPLOAD,         /* key, upload_id */
    S3_JOURNAL_COMPLETE_UPLOAD       /* key, upload_id, size, md5, parts */
} s3_journal_op_e;


typedef struct {
    s3_journal_op_e   op;
    uint64_t          hlc;
    uint64_t          size;
    unsigned char     md5[S3_MD5_LEN];
    s3_str_t          bucket;        /* or the access key of a user */
    s3_str_t          key;
    s3_str_t          upload_id;     /* upload ops only */
    uint32_t          parts;         /* complete-upload only */
} s3_journal_entry_t;


/* A process's journal writer; its threads share it. */
typedef struct {
    int               fd;            /* current file, -1 once closed */
    uint64_t          size;          /* bytes in the current file */
    uint64_t          limit;         /* move to a new file past this; 0:
                                        never */
    const char       *root;          /* data directory, kept by the caller */
    pthread_mutex_t   mutex;         /* orders appends and file changes */
    char              name[PATH_MAX];  /* path of the current file */
} s3_journal_t;


/*
 * Creates a journal file under root/journal (O_WRONLY | O_APPEND |
 * O_CREAT | O_EXCL | O_CLOEXEC) and makes its name durable.  Returns S3_OK,
 * or S3_ERR with errno set.  root must outlive the writer.
 */
int s3_journal_open(s3_journal_t *j, const char *root, uint64_t limit);

/*
 * Appends one frame for e, first sealing the current file and moving to a
 * new one when it has passed the limit.  Safe to call from several
 * threads.  Returns S3_OK, or S3_ERR with errno set (EBADF when a move to
 * a new file failed earlier).
 */
int s3_journal_write(s3_journal_t *j, const s3_journal_entry_t *e);

/*
 * Seals and closes the current file; the writer must not be used again.
 * Returns S3_OK, or S3_ERR with errno from the seal or close.
 */
int s3_journal_close(s3_journal_t *j);

/*
 * Encodes e as one frame into buf.  upload_id is written for the upload
 * ops and parts for complete-upload; both are ignored for the other ops.
 * Returns the frame length, or -1 with errno ENOSPC (buf too small),
 * ENAMETOOLONG (bucket over 255, key over 1024 or upload id over
 * S3_JOURNAL_MAX_UPLOAD_ID bytes) or EINVAL (an upload op with an empty
 * upload id).
 */
ssize_t s3_journal_encode(const s3_journal_entry_t *e, unsigned char *buf,
    size_t size);

/*
 * Appends one encoded frame with a single write().  Returns S3_OK or S3_ERR
 * with errno set (a short write is reported as EIO).
 */
int s3_journal_append(int fd, const unsigned char *frame, size_t len);

/*
 * Decodes the frame at the start of buf (len bytes available).  Returns
 * S3_OK with *used set to the frame length and e's slices pointing into
 * buf (upload_id empty and parts 0 for the ops that have none); S3_AGAIN
 * when buf holds only part of a frame (read more, or at the end of the
 * file it is a torn tail); S3_ERR with errno EINVAL when the crc or the
 * payload is wrong (an unknown op, or a length that is not exactly the
 * op's fields).
 */
int s3_journal_decode(const unsigned char *buf, size_t len,
    s3_journal_entry_t *e, size_t *used);

/* Returns the name of an op ("put-object", ...) or "unknown". */
const char *s3_journal_op_name(s3_journal_op_e op);

/* Returns 1 for the ops whose frame carries an upload id, else 0. */
int s3_journal_op_upload(s3_journal_op_e op);


#endif /* _S3_JOURNAL_H_INCLUDED_ */
