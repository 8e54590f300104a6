
/*
 * Copyright (C) ngx_s3 developers
 *
 * The replication wire protocol between repld processes
 * (docs/REPLICATION.md): one nanomsg message (NN_PUSH to the peer's
 * NN_PULL) per frame.  Integers are little-endian, as in records and
 * journal frames.
 *
 * header (16 bytes):
 *     "S3RP" | u8 version (1) | u8 type | u16 zero | u32 sender node id
 *     | u32 cluster (crc32c of the cluster's name)
 *
 * CHANGES (type 1): header | u32 origin node id | u64 first sequence
 *     | u32 count | count changes, sequences first, first + 1, ...
 * change:
 *     u8 op (s3_journal_op_e) | u64 hlc | u32 node id of the writer
 *     | u16 name length | name (bucket, or access key for user ops)
 *     | u16 key length | key | u32 record length | record
 *
 * ACK (type 2): header | u32 origin node id | u64 applied up to
 *
 * The record is a whole record as it ends a file (body and trailer,
 * s3_record.h): an object's version, a bucket's or a user's record; its
 * length is 0 for the deletions (delete-object, delete-bucket,
 * delete-user), whose hlc is the tombstone's.  Decoding is strict: a
 * message whose lengths do not add up exactly is refused.
 */


#ifndef _S3_REPLPROTO_H_INCLUDED_
#define _S3_REPLPROTO_H_INCLUDED_


#include "s3_core.h"
#include "s3_journal.h"
#include "s3_record.h"


#define S3_REPLPROTO_MAGIC       "S3RP"
#define S3_REPLPROTO_VERSION     1
#define S3_REPLPROTO_HEADER_LEN  16
#define S3_REPLPROTO_CHANGES_LEN (S3_REPLPROTO_HEADER_LEN + 4 + 8 + 4)
#define S3_REPLPROTO_ACK_LEN     (S3_REPLPROTO_HEADER_LEN + 4 + 8)
#define S3_REPLPROTO_NAME_MAX    255
#define S3_REPLPROTO_KEY_MAX     1024
#define S3_REPLPROTO_DONE        1     /* s3_replproto_next(): no more */
#define S3_REPLPROTO_CHANGE_MAX  (1 + 8 + 4 + 2 + S3_REPLPROTO_NAME_MAX      \
                                  + 2 + S3_REPLPROTO_KEY_MAX + 4            \
                                  + S3_RECORD_MAX_LEN                       \
                                  + S3_RECORD_TRAILER_LEN)


typedef enum {
    S3_REPLPROTO_CHANGES = 1,
    S3_REPLPROTO_ACK
} s3_replproto_type_e;


typedef struct {
    s3_replproto_type_e  type;
    uint32_t             sender;
    uint32_t             cluster;
    uint32_t             origin;
    uint64_t             seq;         /* CHANGES: the first; ACK: applied */
    uint32_t             count;       /* CHANGES */
} s3_replproto_msg_t;


typedef struct {
    s3_journal_op_e      op;
    uint64_t             hlc;
    uint32_t             node;        /* the writer: ties of equal hlc */
    s3_str_t             name;
    s3_str_t             key;
    s3_str_t             record;      /* empty for deletions */
} s3_replproto_change_t;


/* Walks the changes of a decoded CHANGES message. */
typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    uint32_t             left;
} s3_replproto_iter_t;


/*
 * Writes a message's header and its fixed part (the CHANGES fields or
 * the ACK) for msg into buf.  Returns the length written
 * (S3_REPLPROTO_CHANGES_LEN or S3_REPLPROTO_ACK_LEN), or -1 with errno
 * ENOSPC (buf too small) or EINVAL (an unknown type).  The count of a
 * CHANGES message may be written again once known, with the same call.
 */
ssize_t s3_replproto_encode(const s3_replproto_msg_t *msg,
    unsigned char *buf, size_t size);

/*
 * Appends one change at buf (size bytes left).  Returns its length, or -1
 * with errno ENOSPC (does not fit), ENAMETOOLONG (name or key too long)
 * or EINVAL (an op that is not replicated, a record over
 * S3_RECORD_MAX_LEN with its trailer).
 */
ssize_t s3_replproto_encode_change(const s3_replproto_change_t *c,
    unsigned char *buf, size_t size);

/*
 * Decodes the message in buf (len bytes): msg is set, and for CHANGES
 * it is positioned on the first change.  Returns S3_OK, or S3_ERR with
 * errno EINVAL (bad magic, version, type, or lengths: an ACK of another
 * length, a CHANGES message that ends inside its fixed part).  The
 * changes themselves are checked by s3_replproto_next().
 */
int s3_replproto_decode(const unsigned char *buf, size_t len,
    s3_replproto_msg_t *msg, s3_replproto_iter_t *it);

/*
 * Decodes the next change; its slices point into the message.  Returns
 * S3_OK, S3_REPLPROTO_DONE once the count was read and the message ends
 * exactly there, or S3_ERR with errno EINVAL (a change cut short, an
 * unknown op, a name or key too long, bytes after the last change, fewer
 * changes than the count).
 */
int s3_replproto_next(s3_replproto_iter_t *it, s3_replproto_change_t *c);

/* 1 for the ops that are replicated, else 0. */
int s3_replproto_op(s3_journal_op_e op);

/* The cluster field for a cluster's name. */
uint32_t s3_replproto_cluster(const char *name, size_t len);


#endif /* _S3_REPLPROTO_H_INCLUDED_ */
