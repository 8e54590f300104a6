
/*
 * Copyright (C) ngx_s3 developers
 *
 * The expiry sweep of multipart uploads: uploads initiated before a time
 * are aborted, parts directories no object names are removed, and a
 * completion a crash interrupted is finished.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "s3_lock.h"
#include "s3_store_int.h"


static int s3_store_sweep_bucket(const s3_store_t *st, const char *bucket,
    uint64_t before_ms);
static int s3_store_sweep_dir(const s3_store_t *st, const s3_str_t *bucket,
    int completed, uint64_t before_ms);
static int s3_store_sweep_one(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, int completed, uint64_t before_ms);
static int s3_store_sweep_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_record_t *up, const char *id, int completed, uint64_t before_ms);


int
s3_store_sweep_uploads(const s3_store_t *st, uint64_t before_ms)
{
    int             n, total;
    DIR            *d;
    char            path[PATH_MAX];
    struct dirent  *de;

    if (s3_store_path(path, st->root, S3_PLACE_BUCKETS) != S3_OK) {
        return -1;
    }

    d = opendir(path);
    if (d == NULL) {
        return -1;
    }

    total = 0;

    while ((de = readdir(d)) != NULL) {
        if (!s3_bucket_name_valid(de->d_name, strlen(de->d_name))) {
            continue;
        }

        n = s3_store_sweep_bucket(st, de->d_name, before_ms);

        if (n > 0) {
            total += n;
        }
    }

    s3_store_closedir(d);

    return total;
}


static int
s3_store_sweep_bucket(const s3_store_t *st, const char *bucket,
    uint64_t before_ms)
{
    int       n, m;
    s3_str_t  b;

    b.data = bucket;
    b.len = strlen(bucket);

    n = s3_store_sweep_dir(st, &b, 0, before_ms);
    m = s3_store_sweep_dir(st, &b, 1, before_ms);

    return ((n > 0) ? n : 0) + ((m > 0) ? m : 0);
}


/* Sweeps mpu/ (completed 0) or parts/ (completed 1) of a bucket. */

static int
s3_store_sweep_dir(const s3_store_t *st, const s3_str_t *bucket,
    int completed, uint64_t before_ms)
{
    int             n;
    DIR            *d;
    char            rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    struct dirent  *de;

    if (s3_place_bucket_dir(rel, sizeof(rel), bucket->data, bucket->len)
        == -1
        || s3_store_path(path, st->root, rel) != S3_OK
        || strlen(path) + sizeof("/" S3_PLACE_UPLOADS "/") > PATH_MAX)
    {
        return -1;
    }

    strcat(path, completed ? "/" S3_PLACE_PARTS : "/" S3_PLACE_UPLOADS);

    d = opendir(path);
    if (d == NULL) {
        return (errno == ENOENT) ? 0 : -1;
    }

    n = 0;

    while ((de = readdir(d)) != NULL) {
        if (!s3_upload_id_valid(de->d_name, strlen(de->d_name))) {
            continue;
        }

        if (s3_store_sweep_one(st, bucket, de->d_name, completed, before_ms)
            == 1)
        {
            n++;
        }
    }

    s3_store_closedir(d);

    return n;
}


/*
 * Returns 1 when the directory of upload id was removed or moved, 0 when
 * it stays, -1 on failure.  Its record names the key, whose stripe is
 * taken before the upload's, as completion does.
 */

static int
s3_store_sweep_one(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, int completed, uint64_t before_ms)
{
    int            lfd, rc;
    char           path[PATH_MAX];
    s3_record_t    up;
    unsigned char  buf[S3_STORE_UPLOAD_BUF];

    if (s3_store_upload_record_path(path, st->root, bucket, id, completed)
        != S3_OK)
    {
        return -1;
    }

    if (s3_store_read_record_file(path, buf, sizeof(buf), &up) != S3_OK
        || up.kind != S3_RECORD_UPLOAD)
    {
        return 0;                     /* gone, or not ours: left alone */
    }

    lfd = s3_store_lock_key(st->root, bucket, &up.key);
    if (lfd == -1) {
        return -1;
    }

    if (s3_store_lock_upload(st->root, id, S3_LOCK_EXCLUSIVE, lfd) == -1) {
        s3_store_close(lfd);
        return -1;
    }

    rc = s3_store_sweep_locked(st, bucket, &up, id, completed, before_ms);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_sweep_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_record_t *up, const char *id, int completed, uint64_t before_ms)
{
    char      rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    char      cur[S3_UPLOAD_ID_LEN + 1];
    uint64_t  hlc;

    if (s3_place_object(rel, sizeof(rel), bucket->data, bucket->len,
                        up->key.data, up->key.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK
        || s3_store_object_hlc(path, &hlc, cur) == S3_ERR)
    {
        return -1;
    }

    if (strcmp(cur, id) == 0) {
        if (completed) {
            return 0;                 /* the parts of the current object */
        }

        /* a completion published, then crashed before the rename */

        return (s3_store_move_upload(st, bucket, id) == S3_OK) ? 1 : -1;
    }

    if (!completed) {
        if (up->mtime_ms >= before_ms) {
            return 0;
        }

        return (s3_store_abort_locked(st, bucket, &up->key, id) == S3_OK)
               ? 1 : -1;
    }

    /* parts no record names: their object was replaced, then a crash */

    if (s3_store_upload_path(path, st->root, bucket, id, 1, 0) != S3_OK
        || s3_store_unpublish(st, path, 1) != S3_OK)
    {
        return -1;
    }

    return 1;
}
