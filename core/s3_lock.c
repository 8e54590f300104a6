
/*
 * Copyright (C) ngx_s3 developers
 */


/* F_OFD_SETLKW; nginx's build defines it only in its own headers */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "s3_lock.h"


static uint64_t s3_lock_hash(uint64_t h, const char *p, size_t len);
static int s3_lock_range(int fd, off_t start, s3_lock_mode_e mode);


#define S3_LOCK_FNV_OFFSET  0xcbf29ce484222325ULL
#define S3_LOCK_FNV_PRIME   0x100000001b3ULL


int
s3_lock_open(const char *root)
{
    int   n;
    char  path[PATH_MAX];

    n = snprintf(path, sizeof(path), "%s/" S3_LOCK_FILE, root);

    if (n < 0 || (size_t) n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}


int
s3_lock_key(int fd, const char *bucket, size_t bucket_len, const char *key,
    size_t key_len, s3_lock_mode_e mode)
{
    uint64_t  h;

    /* the bucket name has no '/', so "b" "/" "k" is unambiguous */

    h = s3_lock_hash(S3_LOCK_FNV_OFFSET, bucket, bucket_len);
    h = s3_lock_hash(h, "/", 1);
    h = s3_lock_hash(h, key, key_len);

    return s3_lock_range(fd, (off_t) (h % S3_LOCK_KEY_STRIPES), mode);
}


int
s3_lock_bucket(int fd, const char *bucket, size_t len, s3_lock_mode_e mode)
{
    uint64_t  h;

    h = s3_lock_hash(S3_LOCK_FNV_OFFSET, bucket, len);

    return s3_lock_range(fd, (off_t) (S3_LOCK_KEY_STRIPES
                                      + h % S3_LOCK_BUCKET_STRIPES),
                         mode);
}


int
s3_lock_users(int fd, s3_lock_mode_e mode)
{
    return s3_lock_range(fd, S3_LOCK_USERS_STRIPE, mode);
}


int
s3_lock_upload(int fd, const char *id, size_t len, s3_lock_mode_e mode)
{
    uint64_t  h;

    h = s3_lock_hash(S3_LOCK_FNV_OFFSET, id, len);

    return s3_lock_range(fd, (off_t) (S3_LOCK_USERS_STRIPE + 1
                                      + h % S3_LOCK_UPLOAD_STRIPES),
                         mode);
}


/* FNV-1a: stable across processes, builds and architectures */

static uint64_t
s3_lock_hash(uint64_t h, const char *p, size_t len)
{
    while (len--) {
        h ^= (unsigned char) *p++;
        h *= S3_LOCK_FNV_PRIME;
    }

    return h;
}


static int
s3_lock_range(int fd, off_t start, s3_lock_mode_e mode)
{
    struct flock  fl;

    memset(&fl, 0, sizeof(struct flock));

    fl.l_type = (mode == S3_LOCK_EXCLUSIVE) ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = 1;
    fl.l_pid = 0;                           /* required for OFD locks */

    while (fcntl(fd, F_OFD_SETLKW, &fl) == -1) {
        if (errno != EINTR) {
            return S3_ERR;
        }
    }

    return S3_OK;
}
