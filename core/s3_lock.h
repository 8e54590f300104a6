
/*
 * Copyright (C) ngx_s3 developers
 *
 * Cross-process locks striped by hash over one lock file (DATA/lock).
 * They are open file description locks (F_OFD_SETLKW): they conflict
 * between processes AND between threads of one process as long as each
 * holder opens the file itself, and they are released by the kernel when
 * the holder dies.  Classic fcntl locks would not separate the threads of
 * a worker's thread pool.
 *
 * Byte ranges: [0, S3_LOCK_KEY_STRIPES) key stripes, then
 * S3_LOCK_BUCKET_STRIPES bucket stripes, then one byte for the user
 * table, then S3_LOCK_UPLOAD_STRIPES multipart upload stripes.  An object
 * commit holds its bucket stripe shared and its key stripe exclusive;
 * bucket creation and deletion hold the bucket stripe exclusive; user
 * changes hold the user byte exclusive.  A part commit holds its upload's
 * stripe shared; completing and aborting an upload hold it exclusive,
 * after the key stripe.  Stripes are always taken in that order (bucket,
 * key, upload) on one descriptor.
 */


#ifndef _S3_LOCK_H_INCLUDED_
#define _S3_LOCK_H_INCLUDED_


#include "s3_core.h"


#define S3_LOCK_FILE            "lock"
#define S3_LOCK_KEY_STRIPES     4096
#define S3_LOCK_BUCKET_STRIPES  256
#define S3_LOCK_USERS_STRIPE    (S3_LOCK_KEY_STRIPES + S3_LOCK_BUCKET_STRIPES)
#define S3_LOCK_UPLOAD_STRIPES  256


typedef enum {
    S3_LOCK_SHARED = 1,
    S3_LOCK_EXCLUSIVE
} s3_lock_mode_e;


/*
 * Opens root/lock for one holder (O_RDWR | O_CREAT | O_CLOEXEC).  Returns
 * the descriptor, or -1 with errno set.  Closing it releases every stripe
 * it holds.
 */
int s3_lock_open(const char *root);

/* Blocks until the stripe of (bucket, key) is held.  S3_OK or S3_ERR. */
int s3_lock_key(int fd, const char *bucket, size_t bucket_len,
    const char *key, size_t key_len, s3_lock_mode_e mode);

/* Blocks until the stripe of bucket is held.  S3_OK or S3_ERR. */
int s3_lock_bucket(int fd, const char *bucket, size_t len,
    s3_lock_mode_e mode);

/*
 * Blocks until the user-table byte is held (add/remove user, so that the
 * check for a taken name and the creation are one step).  S3_OK or S3_ERR.
 */
int s3_lock_users(int fd, s3_lock_mode_e mode);

/* Blocks until the stripe of a multipart upload id is held. */
int s3_lock_upload(int fd, const char *id, size_t len, s3_lock_mode_e mode);


#endif /* _S3_LOCK_H_INCLUDED_ */
