
/*
 * Copyright (C) ngx_s3 developers
 *
 * Self-describing records: one per object version, bucket and user.
 *
 * A record is written at the END of the file it describes, after the
 * object's bytes, so the temp file nginx streamed a body into becomes the
 * object file by appending the record and renaming it (no copy):
 *
 *     [ data: size bytes ][ record body ][ trailer: 16 bytes ]
 *
 * record body:  u16 format (1) | u16 kind | fields...
 *               field = u16 tag | u32 length | length bytes
 * trailer:      "ngxs3rec" | u32 body length | u32 crc32c(body)
 *
 * All integers are little-endian.  Unknown tags are skipped on decode, so
 * later versions can add fields.  Bucket and user records are files with no
 * data (size 0).
 */


#ifndef _S3_RECORD_H_INCLUDED_
#define _S3_RECORD_H_INCLUDED_


#include "s3_core.h"
#include "s3_digest.h"


#define S3_RECORD_FORMAT        1
#define S3_RECORD_MAGIC         "ngxs3rec"
#define S3_RECORD_TRAILER_LEN   16
#define S3_RECORD_MAX_LEN       262144 /* body, trailer excluded: room
                                          for 10,000 parts and headers */
#define S3_RECORD_READ_LEN      4096   /* a first read of a file's tail
                                          holds the whole record mostly */
#define S3_RECORD_PART_LEN      12     /* parts entry: u32 number, u64 size */
#define S3_RECORD_HOLDER_LEN    4      /* holders entry: u32 node id */


typedef enum {
    S3_RECORD_OBJECT = 1,
    S3_RECORD_BUCKET,
    S3_RECORD_USER,
    S3_RECORD_UPLOAD,                 /* mpu/<id>/upload: no data */
    S3_RECORD_PART                    /* end of a part file, after data */
} s3_record_kind_e;


/*
 * Decoded record.  Slices point into the buffer that was decoded; fields a
 * kind does not use are empty.  headers holds the stored HTTP headers as
 * "name\0value\0" pairs (names lowercase: content-type, x-amz-meta-*, ...),
 * walked with s3_record_next_header().  parts, in the object record of a
 * completed multipart upload, is a table of S3_RECORD_PART_LEN-byte
 * entries (u32 part number, u64 size), ascending, read with
 * s3_record_part(); such an object file holds no data, its bytes are the
 * part files of DATA/buckets/<b>/parts/<upload_id>/.
 */
typedef struct {
    s3_record_kind_e  kind;
    uint64_t          size;           /* object data bytes */
    uint64_t          hlc;            /* commit timestamp (s3_hlc.h) */
    uint64_t          mtime_ms;       /* wall clock of the commit, ms */
    uint32_t          origin;         /* node id of the writer */
    unsigned char     md5[S3_MD5_LEN];

    s3_str_t          bucket;         /* object, bucket */
    s3_str_t          key;            /* object */
    s3_str_t          owner;          /* bucket: owning user name */
    s3_str_t          user;           /* user: name */
    s3_str_t          access_key;     /* user */
    s3_str_t          secret_key;     /* user */
    s3_str_t          headers;        /* object, upload: "name\0value\0" */

    s3_str_t          upload_id;      /* upload, part, multipart object */
    s3_str_t          parts;          /* multipart object: part table */
    uint32_t          part_number;    /* part */
    s3_str_t          checksum;       /* upload, object, part: algorithm
                                         name, "CRC32" ... (s3_cksum.h) */
    s3_str_t          checksum_value; /* object, part: base64, "-N" for a
                                         composite of N parts */
    s3_str_t          checksum_type;  /* upload, multipart object:
                                         "COMPOSITE" or "FULL_OBJECT" */
    s3_str_t          acl;            /* upload, object, bucket: canned
                                         x-amz-acl; empty: private */
    s3_str_t          tags;           /* object, bucket: "key\0value\0" */
    s3_str_t          cors;           /* bucket: rules (s3_cors.h) */
    s3_str_t          holders;        /* object replicated without its
                                         bytes: u32 node ids of the
                                         nodes holding them; the file
                                         holds no data (a record only) */
} s3_record_t;


/*
 * Encodes rec, body and trailer, into buf.  Returns the bytes written, or
 * -1 with errno ENOSPC when buf is too small or the body would exceed
 * S3_RECORD_MAX_LEN.
 */
ssize_t s3_record_encode(const s3_record_t *rec, unsigned char *buf,
    size_t size);

/*
 * Decodes the record of a file of file_size bytes from tail, its last len
 * bytes (len <= file_size).  Returns S3_OK and fills rec, its slices
 * pointing into tail, and *need set to the record's length, trailer
 * included (the record is the last *need bytes of tail); S3_AGAIN with
 * *need set to the number of bytes from the end of the file that must be
 * passed instead; S3_ERR with errno EINVAL when the trailer or crc is
 * wrong, the format unknown or a field truncated (a torn or foreign
 * file).
 */
int s3_record_decode(const unsigned char *tail, size_t len,
    uint64_t file_size, s3_record_t *rec, size_t *need);

/*
 * Iterates over rec->headers: start with *pos = 0; each call sets name and
 * value and returns 1, or returns 0 at the end.
 */
int s3_record_next_header(const s3_record_t *rec, size_t *pos,
    s3_str_t *name, s3_str_t *value);

/*
 * Appends one "name\0value\0" pair at buf + *len, within size.  Returns
 * S3_OK or S3_ERR (ENOSPC).
 */
/* Number of entries of rec->parts. */
#define s3_record_nparts(rec)  ((rec)->parts.len / S3_RECORD_PART_LEN)

/* Reads entry i (< s3_record_nparts(rec)) of rec->parts. */
void s3_record_part(const s3_record_t *rec, size_t i, uint32_t *number,
    uint64_t *size);

/* Number of entries of rec->holders, and entry i of them. */
#define s3_record_nholders(rec)  ((rec)->holders.len / S3_RECORD_HOLDER_LEN)
uint32_t s3_record_holder(const s3_record_t *rec, size_t i);

/* Writes one holders entry at p (S3_RECORD_HOLDER_LEN bytes). */
void s3_record_set_holder(unsigned char *p, uint32_t node);

/* Writes one parts entry at p (S3_RECORD_PART_LEN bytes). */
void s3_record_set_part(unsigned char *p, uint32_t number, uint64_t size);

int s3_record_add_header(char *buf, size_t *len, size_t size,
    const char *name, size_t name_len, const char *value, size_t value_len);


#endif /* _S3_RECORD_H_INCLUDED_ */
