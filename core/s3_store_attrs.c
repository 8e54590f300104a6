
/*
 * Copyright (C) ngx_s3 developers
 *
 * Changes of an object's attributes (ACL, tags) that keep its data: the
 * current version is rewritten with the new record into a temp file and
 * published as a put or a completion would publish it, with a new hlc
 * and the same mtime.
 */


#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_store_int.h"


static int s3_store_attrs_locked(const s3_store_t *st,
    const s3_record_t *want, unsigned which, char *path);
static int s3_store_attrs_publish(const s3_store_t *st, int src,
    s3_record_t *rec, char *path);


int
s3_store_set_object_attrs(const s3_store_t *st, const s3_record_t *rec,
    unsigned which)
{
    int   lfd, rc;
    char  path[PATH_MAX];

    lfd = s3_store_lock_object(st, rec, path);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_attrs_locked(st, rec, which, path);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_attrs_locked(const s3_store_t *st, const s3_record_t *want,
    unsigned which, char *path)
{
    int            src, rc;
    size_t         need;
    s3_record_t    rec;
    struct stat    sb;
    unsigned char  buf[S3_STORE_OBJECT_BUF];

    rc = s3_store_bucket_exists(st->root, &want->bucket);
    if (rc != S3_OK) {
        return rc;
    }

    src = open(path, O_RDONLY | O_CLOEXEC);
    if (src == -1) {
        return (errno == ENOENT || errno == ENOTDIR) ? S3_STORE_NOT_FOUND
                                                     : S3_ERR;
    }

    if (fstat(src, &sb) == -1) {
        rc = S3_ERR;

    } else {
        rc = s3_store_read_record(src, sb.st_size, buf, sizeof(buf), &rec,
                                  &need);

        if (rc == S3_ERR && errno == EINVAL) {
            rc = S3_STORE_NOT_FOUND;

        } else if (rc == S3_OK
                   && (rec.kind != S3_RECORD_OBJECT
                       || rec.key.len != want->key.len
                       || memcmp(rec.key.data, want->key.data,
                                 rec.key.len) != 0))
        {
            rc = S3_STORE_NOT_FOUND;
        }
    }

    if (rc == S3_OK) {
        if (which & S3_STORE_ATTR_ACL) {
            rec.acl = want->acl;
        }

        if (which & S3_STORE_ATTR_TAGS) {
            rec.tags = want->tags;
        }

        rc = s3_store_attrs_publish(st, src, &rec, path);
    }

    s3_store_close(src);

    return rc;
}


/* rec keeps its mtime_ms: the publishers set only hlc and origin */

static int
s3_store_attrs_publish(const s3_store_t *st, int src, s3_record_t *rec,
    char *path)
{
    int       fd, rc;
    char      tmp[PATH_MAX];
    uint64_t  pos;

    if (rec->parts.len != 0 || rec->holders.len != 0) {

        /*
         * a multipart object's file holds only its record, and so does
         * a replicated one whose bytes are still on other nodes
         */

        return s3_store_publish_object(st, rec, path);
    }

    if (s3_store_tmp_path(tmp, st->root) != S3_OK) {
        return S3_ERR;
    }

    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return S3_ERR;
    }

    pos = 0;

    rc = s3_store_copy_bytes(src, 0, rec->size, fd, &pos, NULL, NULL);

    if (rc == S3_OK) {
        rc = s3_store_put_locked(st, fd, tmp, rec, path, NULL);
    }

    s3_store_close(fd);

    if (rc != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 0);
    }

    return rc;
}
