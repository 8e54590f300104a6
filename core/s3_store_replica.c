
/*
 * Copyright (C) ngx_s3 developers
 *
 * The changes shipped by peers, applied to this node's store under the
 * stripes a local change takes, without a journal frame: versions are
 * ordered by (hlc, origin node id), the order the catalog and every
 * other node use, so all nodes keep the same winner.
 */


#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "s3_store_int.h"


#define S3_STORE_SAME  1             /* the change is the version held */


static int s3_store_order(uint64_t hlc, uint32_t node,
    const s3_record_t *cur);
static int s3_store_read_current(const char *path, unsigned char *buf,
    size_t size, s3_record_t *cur);
static int s3_store_apply_locked(const s3_store_t *st, const s3_record_t *rec,
    char *path);
static int s3_store_holds_bytes(const s3_store_t *st, const s3_record_t *cur,
    const s3_record_t *rec);
static int s3_store_keep_bytes(const s3_store_t *st, s3_record_t *rec,
    const char *path);
static int s3_store_delete_older(const s3_store_t *st, const s3_str_t *bucket,
    uint64_t hlc, uint32_t node, const char *path);
static int s3_store_apply_record(const s3_store_t *st,
    const s3_record_t *rec, const char *path);


int
s3_store_apply_object(const s3_store_t *st, const s3_record_t *rec)
{
    int   lfd, rc;
    char  path[PATH_MAX];

    lfd = s3_store_lock_object(st, rec, path);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_apply_locked(st, rec, path);

    s3_store_close(lfd);

    return rc;
}


/*
 * Returns S3_OK when (hlc, node) orders after cur's version, S3_STORE_SAME
 * when it is that version, S3_STORE_STALE when it orders before.
 */

static int
s3_store_order(uint64_t hlc, uint32_t node, const s3_record_t *cur)
{
    if (hlc == cur->hlc && node == cur->origin) {
        return S3_STORE_SAME;
    }

    if (hlc > cur->hlc || (hlc == cur->hlc && node > cur->origin)) {
        return S3_OK;
    }

    return S3_STORE_STALE;
}


/* S3_OK, S3_STORE_NOT_FOUND (a torn file counts as none) or S3_ERR */

static int
s3_store_read_current(const char *path, unsigned char *buf, size_t size,
    s3_record_t *cur)
{
    if (s3_store_read_record_file(path, buf, size, cur) == S3_OK) {
        return S3_OK;
    }

    if (errno == ENOENT || errno == ENOTDIR || errno == EINVAL) {
        memset(cur, 0, sizeof(s3_record_t));
        return S3_STORE_NOT_FOUND;
    }

    return S3_ERR;
}


static int
s3_store_apply_locked(const s3_store_t *st, const s3_record_t *rec,
    char *path)
{
    int            rc;
    char           old[S3_UPLOAD_ID_LEN + 1];
    s3_record_t    cur, own;
    unsigned char  buf[S3_STORE_OBJECT_BUF];

    rc = s3_store_bucket_exists(st->root, &rec->bucket);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_read_current(path, buf, sizeof(buf), &cur);
    if (rc == S3_ERR) {
        return rc;
    }

    old[0] = '\0';

    if (rc == S3_OK) {
        rc = s3_store_order(rec->hlc, rec->origin, &cur);
        if (rc != S3_OK) {
            return (rc == S3_STORE_SAME) ? S3_OK : rc;
        }

        if (s3_upload_id_valid(cur.upload_id.data, cur.upload_id.len)) {
            memcpy(old, cur.upload_id.data, S3_UPLOAD_ID_LEN);
            old[S3_UPLOAD_ID_LEN] = '\0';
        }

        if (s3_store_holds_bytes(st, &cur, rec)) {
            own = *rec;
            own.holders.len = 0;

            return (own.parts.len != 0)
                   ? s3_store_publish_record(st, &own, path, old)
                   : s3_store_keep_bytes(st, &own, path);
        }
    }

    return s3_store_publish_record(st, rec, path, old);
}


/*
 * 1 when rec names this node among its holders and cur, the local
 * version, has those very bytes (an attribute change made elsewhere of
 * a version written here).
 */

static int
s3_store_holds_bytes(const s3_store_t *st, const s3_record_t *cur,
    const s3_record_t *rec)
{
    size_t  i;

    if (cur->holders.len != 0 || cur->size != rec->size
        || memcmp(cur->md5, rec->md5, S3_MD5_LEN) != 0
        || !s3_str_eq(&cur->upload_id, &rec->upload_id))
    {
        return 0;
    }

    for (i = 0; i < s3_record_nholders(rec); i++) {
        if (s3_record_holder(rec, i) == st->node_id) {
            return 1;
        }
    }

    return 0;
}


/* the current file's bytes with rec's record, as an attribute change */

static int
s3_store_keep_bytes(const s3_store_t *st, s3_record_t *rec, const char *path)
{
    int       src, fd, rc;
    char      tmp[PATH_MAX];
    uint64_t  pos;

    src = open(path, O_RDONLY | O_CLOEXEC);
    if (src == -1) {
        return S3_ERR;
    }

    if (s3_store_tmp_path(tmp, st->root) != S3_OK) {
        s3_store_close(src);
        return S3_ERR;
    }

    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        s3_store_close(src);
        return S3_ERR;
    }

    pos = 0;

    rc = s3_store_copy_bytes(src, 0, rec->size, fd, &pos, NULL, NULL);

    if (rc == S3_OK) {
        rc = s3_store_append_record(fd, rec, st->fsync);
    }

    s3_store_close(src);
    s3_store_close(fd);

    if (rc != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 0);
        return rc;
    }

    return s3_store_publish(st, tmp, path);
}


int
s3_store_apply_delete(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, uint64_t hlc, uint32_t node)
{
    int   lfd, rc;
    char  rel[S3_PLACE_MAX_LEN], path[PATH_MAX];

    if (s3_place_object(rel, sizeof(rel), bucket->data, bucket->len,
                        key->data, key->len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    lfd = s3_store_lock_key(st->root, bucket, key);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_bucket_exists(st->root, bucket);

    if (rc == S3_OK) {
        rc = s3_store_delete_older(st, bucket, hlc, node, path);
    }

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_delete_older(const s3_store_t *st, const s3_str_t *bucket,
    uint64_t hlc, uint32_t node, const char *path)
{
    int            rc;
    char           old[S3_UPLOAD_ID_LEN + 1];
    s3_record_t    cur;
    unsigned char  buf[S3_STORE_OBJECT_BUF];

    rc = s3_store_read_current(path, buf, sizeof(buf), &cur);
    if (rc != S3_OK) {
        return (rc == S3_STORE_NOT_FOUND) ? S3_OK : rc;
    }

    rc = s3_store_order(hlc, node, &cur);
    if (rc != S3_OK) {
        return S3_STORE_STALE;
    }

    old[0] = '\0';

    if (s3_upload_id_valid(cur.upload_id.data, cur.upload_id.len)) {
        memcpy(old, cur.upload_id.data, S3_UPLOAD_ID_LEN);
        old[S3_UPLOAD_ID_LEN] = '\0';
    }

    if (s3_store_settle_parts(st, bucket, old, NULL) != S3_OK) {
        return S3_ERR;
    }

    if (unlink(path) == -1) {
        return (errno == ENOENT) ? S3_OK : S3_ERR;
    }

    if (st->fsync && s3_store_fsync_parent(path) != S3_OK) {
        return S3_ERR;
    }

    s3_store_remove_parts(st, bucket, old, NULL);

    return S3_OK;
}


int
s3_store_apply_bucket(const s3_store_t *st, const s3_record_t *rec)
{
    int   lfd, rc;
    char  rel[S3_PLACE_MAX_LEN], dir[PATH_MAX], path[PATH_MAX];

    if (s3_place_bucket_dir(rel, sizeof(rel), rec->bucket.data,
                            rec->bucket.len) == -1
        || s3_store_path(dir, st->root, rel) != S3_OK
        || s3_place_bucket_record(rel, sizeof(rel), rec->bucket.data,
                                  rec->bucket.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    lfd = s3_store_lock_bucket(st, rec->bucket.data, rec->bucket.len);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_make_bucket_dirs(st, dir);

    if (rc == S3_OK) {
        rc = s3_store_apply_record(st, rec, path);
    }

    s3_store_close(lfd);

    return rc;
}


/* a bucket's or a user's record at path, if newer; the stripe is held */

static int
s3_store_apply_record(const s3_store_t *st, const s3_record_t *rec,
    const char *path)
{
    int            rc;
    char           tmp[PATH_MAX];
    s3_record_t    cur;
    unsigned char  buf[S3_STORE_BUCKET_BUF];

    rc = s3_store_read_current(path, buf, sizeof(buf), &cur);
    if (rc == S3_ERR) {
        return rc;
    }

    if (rc == S3_OK) {
        rc = s3_store_order(rec->hlc, rec->origin, &cur);
        if (rc != S3_OK) {
            return (rc == S3_STORE_SAME) ? S3_OK : rc;
        }
    }

    if (s3_store_write_record_file(st, rec, tmp) != S3_OK) {
        return S3_ERR;
    }

    return s3_store_publish(st, tmp, path);
}


int
s3_store_apply_bucket_delete(const s3_store_t *st, const s3_str_t *b,
    uint64_t hlc, uint32_t node)
{
    int            lfd, rc;
    s3_record_t    cur;
    unsigned char  buf[S3_STORE_BUCKET_BUF];

    lfd = s3_store_lock_bucket(st, b->data, b->len);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_read_bucket(st->root, b->data, b->len, buf, sizeof(buf),
                              &cur);

    if (rc == S3_OK) {
        rc = (s3_store_order(hlc, node, &cur) == S3_OK)
             ? s3_store_delete_bucket_locked(st, b) : S3_STORE_STALE;

    } else if (rc == S3_STORE_NO_BUCKET) {
        rc = S3_OK;
    }

    s3_store_close(lfd);

    return rc;
}


int
s3_store_apply_user(const s3_store_t *st, const s3_record_t *rec)
{
    int   lfd, rc;
    char  rel[S3_PLACE_MAX_LEN], path[PATH_MAX];

    if (s3_place_user(rel, sizeof(rel), rec->access_key.data,
                      rec->access_key.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    lfd = s3_store_lock_users(st);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_apply_record(st, rec, path);

    s3_store_close(lfd);

    return rc;
}


int
s3_store_apply_user_delete(const s3_store_t *st, const s3_str_t *ak,
    uint64_t hlc, uint32_t node)
{
    int            lfd, rc;
    char           rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    s3_record_t    cur;
    unsigned char  buf[S3_RECORD_READ_LEN];

    if (s3_place_user(rel, sizeof(rel), ak->data, ak->len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    lfd = s3_store_lock_users(st);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_read_current(path, buf, sizeof(buf), &cur);

    if (rc == S3_OK) {
        rc = (s3_store_order(hlc, node, &cur) == S3_OK)
             ? s3_store_remove_user_locked(st, ak, path) : S3_STORE_STALE;

    } else if (rc == S3_STORE_NOT_FOUND) {
        rc = S3_OK;
    }

    s3_store_close(lfd);

    return (rc == S3_STORE_NOT_FOUND) ? S3_OK : rc;
}


int
s3_store_read_object(const char *root, const s3_str_t *bucket,
    const s3_str_t *key, unsigned char *buf, size_t size, s3_record_t *rec)
{
    int   rc;
    char  rel[S3_PLACE_MAX_LEN], path[PATH_MAX];

    if (s3_place_object(rel, sizeof(rel), bucket->data, bucket->len,
                        key->data, key->len) == -1
        || s3_store_path(path, root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    rc = s3_store_read_current(path, buf, size, rec);
    if (rc != S3_OK) {
        return rc;
    }

    if (rec->kind != S3_RECORD_OBJECT || !s3_str_eq(&rec->key, key)
        || !s3_str_eq(&rec->bucket, bucket))
    {
        return S3_STORE_NOT_FOUND;
    }

    return S3_OK;
}
