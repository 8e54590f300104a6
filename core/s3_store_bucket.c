
/*
 * Copyright (C) ngx_s3 developers
 *
 * Buckets: buckets/<bucket>/bucket holds the record, buckets/<bucket>/obj
 * the objects.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_place.h"
#include "s3_store_int.h"


static int s3_store_create_locked(const s3_store_t *st,
    const s3_record_t *tpl);
static int s3_store_set_attrs_locked(const s3_store_t *st,
    const s3_record_t *rec, unsigned which);
static int s3_store_write_bucket(const s3_store_t *st,
    const s3_record_t *rec);
static int s3_store_has_file(int fd, int depth);
static int s3_store_is_dir(DIR *d, const struct dirent *de);


int
s3_store_create_bucket(const s3_store_t *st, const char *bucket,
    size_t bucket_len, const char *owner, size_t owner_len)
{
    s3_record_t  rec;

    memset(&rec, 0, sizeof(s3_record_t));
    rec.bucket.data = bucket;
    rec.bucket.len = bucket_len;
    rec.owner.data = owner;
    rec.owner.len = owner_len;

    return s3_store_create_bucket_rec(st, &rec);
}


int
s3_store_create_bucket_rec(const s3_store_t *st, const s3_record_t *rec)
{
    int  lfd, rc;

    lfd = s3_store_lock_bucket(st, rec->bucket.data, rec->bucket.len);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_create_locked(st, rec);

    s3_store_close(lfd);

    return rc;
}


/* Validates the name and holds its bucket stripe exclusive. */

int
s3_store_lock_bucket(const s3_store_t *st, const char *bucket, size_t len)
{
    int  fd;

    if (!s3_bucket_name_valid(bucket, len)) {
        errno = EINVAL;
        return -1;
    }

    fd = s3_lock_open(st->root);
    if (fd == -1) {
        return -1;
    }

    if (s3_lock_bucket(fd, bucket, len, S3_LOCK_EXCLUSIVE) != S3_OK) {
        s3_store_close(fd);
        return -1;
    }

    return fd;
}


static int
s3_store_create_locked(const s3_store_t *st, const s3_record_t *tpl)
{
    int            rc;
    char           rel[S3_PLACE_MAX_LEN], dir[PATH_MAX];
    s3_record_t    rec;
    unsigned char  buf[S3_STORE_BUCKET_BUF];

    rc = s3_store_read_bucket(st->root, tpl->bucket.data, tpl->bucket.len,
                              buf, sizeof(buf), &rec);

    if (rc == S3_OK) {
        if (rec.owner.len == tpl->owner.len
            && memcmp(rec.owner.data, tpl->owner.data, rec.owner.len) == 0)
        {
            return S3_STORE_BUCKET_OWNED;
        }

        return S3_STORE_BUCKET_EXISTS;
    }

    if (rc != S3_STORE_NO_BUCKET) {
        return rc;
    }

    if (s3_place_bucket_dir(rel, sizeof(rel), tpl->bucket.data,
                            tpl->bucket.len) == -1
        || s3_store_path(dir, st->root, rel) != S3_OK
        || s3_store_make_bucket_dirs(st, dir) != S3_OK)
    {
        return S3_ERR;
    }

    memset(&rec, 0, sizeof(s3_record_t));
    rec.kind = S3_RECORD_BUCKET;
    rec.hlc = s3_hlc_next(st->clock, 0);
    rec.mtime_ms = s3_hlc_wall_ms();
    rec.origin = st->node_id;
    rec.bucket = tpl->bucket;
    rec.owner = tpl->owner;
    rec.acl = tpl->acl;
    rec.tags = tpl->tags;
    rec.cors = tpl->cors;

    return s3_store_write_bucket(st, &rec);
}


/*
 * Publishes rec as the bucket's record, journaled as a create-bucket
 * frame: repld reads the owner and the hlc from the record itself.
 */

static int
s3_store_write_bucket(const s3_store_t *st, const s3_record_t *rec)
{
    char                rel[S3_PLACE_MAX_LEN];
    char                path[PATH_MAX], tmp[PATH_MAX];
    s3_journal_entry_t  e;

    if (s3_place_bucket_record(rel, sizeof(rel), rec->bucket.data,
                               rec->bucket.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    if (s3_store_write_record_file(st, rec, tmp) != S3_OK) {
        return S3_ERR;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_CREATE_BUCKET;
    e.hlc = rec->hlc;
    e.bucket = rec->bucket;

    if (s3_store_journal(st, &e) != S3_OK) {
        (void) unlink(tmp);
        return S3_ERR;
    }

    return s3_store_publish(st, tmp, path);
}


/*
 * Creates buckets/<b> and buckets/<b>/obj (either may be left from a
 * creation that crashed before its record was published).
 */

int
s3_store_make_bucket_dirs(const s3_store_t *st, const char *dir)
{
    char  obj[PATH_MAX];

    if (s3_store_mkdir(dir, st->fsync) != S3_OK
        || s3_store_path(obj, dir, S3_PLACE_OBJECTS) != S3_OK
        || s3_store_mkdir(obj, st->fsync) != S3_OK)
    {
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_delete_bucket(const s3_store_t *st, const char *bucket,
    size_t bucket_len)
{
    int       lfd, rc;
    s3_str_t  b;

    b.data = bucket;
    b.len = bucket_len;

    lfd = s3_store_lock_bucket(st, bucket, bucket_len);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_delete_bucket_locked(st, &b);

    s3_store_close(lfd);

    return rc;
}


int
s3_store_delete_bucket_locked(const s3_store_t *st, const s3_str_t *b)
{
    int                 rc, fd;
    char                rel[S3_PLACE_MAX_LEN];
    char                dir[PATH_MAX], obj[PATH_MAX];
    s3_record_t         rec;
    s3_journal_entry_t  e;
    unsigned char       buf[S3_STORE_BUCKET_BUF];

    rc = s3_store_read_bucket(st->root, b->data, b->len, buf, sizeof(buf),
                              &rec);
    if (rc != S3_OK) {
        return rc;
    }

    if (s3_place_bucket_dir(rel, sizeof(rel), b->data, b->len) == -1
        || s3_store_path(dir, st->root, rel) != S3_OK
        || s3_store_path(obj, dir, S3_PLACE_OBJECTS) != S3_OK)
    {
        return S3_ERR;
    }

    fd = open(obj, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd != -1) {
        rc = s3_store_has_file(fd, 2);

        if (rc != 0) {
            return (rc == 1) ? S3_STORE_BUCKET_NOT_EMPTY : S3_ERR;
        }

    } else if (errno != ENOENT) {
        return S3_ERR;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_DELETE_BUCKET;
    e.hlc = s3_hlc_next(st->clock, rec.hlc);
    e.bucket = *b;

    if (s3_store_journal(st, &e) != S3_OK) {
        return S3_ERR;
    }

    return s3_store_unpublish(st, dir, S3_STORE_TREE_DEPTH);
}


int
s3_store_set_bucket_attrs(const s3_store_t *st, const s3_record_t *rec,
    unsigned which)
{
    int  lfd, rc;

    lfd = s3_store_lock_bucket(st, rec->bucket.data, rec->bucket.len);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_set_attrs_locked(st, rec, which);

    s3_store_close(lfd);

    return rc;
}


/*
 * The new record keeps the creation time (mtime_ms, ListBuckets'
 * CreationDate) and takes a new hlc, so the newer record wins wherever
 * two are compared.
 */

static int
s3_store_set_attrs_locked(const s3_store_t *st, const s3_record_t *rec,
    unsigned which)
{
    int            rc;
    s3_record_t    cur;
    unsigned char  buf[S3_STORE_BUCKET_BUF];

    rc = s3_store_read_bucket(st->root, rec->bucket.data, rec->bucket.len,
                              buf, sizeof(buf), &cur);
    if (rc != S3_OK) {
        return rc;
    }

    if (which & S3_STORE_ATTR_ACL) {
        cur.acl = rec->acl;
    }

    if (which & S3_STORE_ATTR_TAGS) {
        cur.tags = rec->tags;
    }

    if (which & S3_STORE_ATTR_CORS) {
        cur.cors = rec->cors;
    }

    cur.hlc = s3_hlc_next(st->clock, cur.hlc);
    cur.origin = st->node_id;

    return s3_store_write_bucket(st, &cur);
}


/*
 * Looks for a regular file depth directory levels below the directory fd
 * (which it closes).  Returns 1 when one exists, 0 when none, -1 with
 * errno on failure.
 */

static int
s3_store_has_file(int fd, int depth)
{
    int             rc, sub;
    DIR            *d;
    struct dirent  *de;

    d = fdopendir(fd);
    if (d == NULL) {
        s3_store_close(fd);
        return -1;
    }

    rc = 0;

    for ( ;; ) {
        errno = 0;

        de = readdir(d);
        if (de == NULL) {
            rc = (errno == 0) ? 0 : -1;
            break;
        }

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (depth == 0) {
            if (!s3_store_is_dir(d, de)) {
                rc = 1;
                break;
            }

            continue;
        }

        if (!s3_store_is_dir(d, de)) {
            continue;
        }

        sub = openat(dirfd(d), de->d_name,
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (sub == -1) {
            rc = (errno == ENOENT) ? 0 : -1;

        } else {
            rc = s3_store_has_file(sub, depth - 1);
        }

        if (rc != 0) {
            break;
        }
    }

    s3_store_closedir(d);

    return rc;
}


static int
s3_store_is_dir(DIR *d, const struct dirent *de)
{
    struct stat  sb;

    if (de->d_type != DT_UNKNOWN) {
        return de->d_type == DT_DIR;
    }

    if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
        return 0;
    }

    return S_ISDIR(sb.st_mode);
}


int
s3_store_read_bucket(const char *root, const char *bucket,
    size_t bucket_len, unsigned char *buf, size_t size, s3_record_t *rec)
{
    char         rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    struct stat  sb;

    if (s3_place_bucket_record(rel, sizeof(rel), bucket, bucket_len) == -1
        || s3_store_path(path, root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    if (s3_store_read_record_at(AT_FDCWD, path, S3_RECORD_BUCKET, buf, size,
                                rec, &sb)
        != S3_OK)
    {
        return (errno == ENOENT || errno == ENOTDIR) ? S3_STORE_NO_BUCKET
                                                     : S3_ERR;
    }

    return S3_OK;
}


int
s3_store_list_buckets(const char *root, s3_store_record_pt cb, void *data)
{
    return s3_store_list(root, S3_PLACE_BUCKETS, s3_store_read_bucket, cb,
                         data);
}

