
/*
 * Copyright (C) ngx_s3 developers
 *
 * Where things live under the data directory.  Every path here is
 * relative to the data directory and built only from validated names and
 * hashes, so no bucket or key can reach outside it:
 *
 *     FORMAT                          store format and node id
 *     lock                            striped lock file (s3_lock.h)
 *     tmp/                            temp files, swept at start-up
 *     journal/<pid>-<ms>.jnl          change journals (s3_journal.h)
 *     users/<access key>              user records
 *     buckets/<bucket>/bucket         bucket record
 *     buckets/<bucket>/obj/HH/HH/<sha256(key) hex>
 *                                     object files: data, record, trailer
 *     buckets/<bucket>/mpu/<upload id>/upload
 *                                     multipart upload in progress: its
 *                                     record, and part files <N>
 *     buckets/<bucket>/parts/<upload id>/<N>
 *                                     the parts of a completed upload,
 *                                     named by its object's record
 */


#ifndef _S3_PLACE_H_INCLUDED_
#define _S3_PLACE_H_INCLUDED_


#include "s3_core.h"


#define S3_PLACE_TMP        "tmp"
#define S3_PLACE_USERS      "users"
#define S3_PLACE_BUCKETS    "buckets"
#define S3_PLACE_OBJECTS    "obj"
#define S3_PLACE_BUCKET_RECORD  "bucket"
#define S3_PLACE_UPLOADS    "mpu"
#define S3_PLACE_PARTS      "parts"
#define S3_PLACE_UPLOAD_RECORD  "upload"

#define S3_UPLOAD_ID_LEN    32          /* lowercase hex */
#define S3_UPLOAD_ID_NODE_LEN  8       /* of them, the node's id */
#define S3_PART_NUMBER_MAX  10000

/*
 * AWS asks for 3 characters at least; shorter names are accepted so that
 * the "s3://b" of examples and quick tests works.  They are as safe as a
 * directory name as any other valid name.
 */
#define S3_BUCKET_MIN_LEN   1
#define S3_BUCKET_MAX_LEN   63
#define S3_KEY_MAX_LEN      1024
#define S3_ACCESS_KEY_MIN_LEN   16
#define S3_ACCESS_KEY_MAX_LEN   128

/* longest relative path built here, NUL included */
#define S3_PLACE_MAX_LEN    (sizeof("buckets//obj/HH/HH/") + S3_BUCKET_MAX_LEN \
                             + 64)


/*
 * Returns 1 when name follows S3's bucket naming rules: 1 (AWS: 3) to 63
 * characters of a-z 0-9 . -, starting and ending with a letter or digit,
 * no "..", not an IPv4 address, no "xn--" prefix, no "-s3alias" or
 * "--ol-s3" suffix.  Returns 0 otherwise.
 */
int s3_bucket_name_valid(const char *name, size_t len);

/* Returns 1 when an access key is 16 to 128 characters of A-Z a-z 0-9. */
int s3_access_key_valid(const char *ak, size_t len);

/* Returns 1 when id is S3_UPLOAD_ID_LEN lowercase hex digits. */
int s3_upload_id_valid(const char *id, size_t len);

/*
 * A node id as FORMAT and the configuration write it: 8 hex digits (either
 * case).  Returns S3_OK with the id in *id, or S3_ERR (EINVAL).
 */
int s3_node_id_parse(const char *s, size_t len, uint32_t *id);

/*
 * The node an upload id names: its first S3_UPLOAD_ID_NODE_LEN hex digits
 * are the creating node's id (s3_store_create_upload()).  Returns S3_OK
 * with the id in *node, or S3_ERR (EINVAL) for an invalid upload id.  Ids
 * made before ids named their node are all random: *node is then a random
 * number, which callers take for this node unless it is a configured peer.
 */
int s3_upload_id_node(const char *id, size_t len, uint32_t *node);

/*
 * The functions below write a NUL-terminated relative path into buf and
 * return its length, or -1 with errno EINVAL for an invalid bucket name,
 * access key or a key over S3_KEY_MAX_LEN bytes, ENAMETOOLONG when size is
 * too small.
 */
ssize_t s3_place_object(char *buf, size_t size, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len);
ssize_t s3_place_bucket_dir(char *buf, size_t size, const char *bucket,
    size_t bucket_len);
ssize_t s3_place_bucket_record(char *buf, size_t size, const char *bucket,
    size_t bucket_len);
/*
 * buckets/<bucket>/mpu/<id> (completed 0) or buckets/<bucket>/parts/<id>
 * (completed 1); with part > 0, the part file "/<part>" inside it.  EINVAL
 * for an invalid upload id too.
 */
ssize_t s3_place_upload(char *buf, size_t size, const char *bucket,
    size_t bucket_len, const char *id, size_t id_len, int completed,
    uint32_t part);
ssize_t s3_place_user(char *buf, size_t size, const char *ak, size_t len);


#endif /* _S3_PLACE_H_INCLUDED_ */
