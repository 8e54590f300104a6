
/*
 * Copyright (C) ngx_s3 developers
 *
 * UploadPartCopy: a byte range of an object, plain or multipart, is read
 * and written through one buffer, hashed as it goes, and committed as a
 * part.
 */


#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_store_int.h"


#define S3_STORE_COPY_CHUNK   (128 * 1024)


static int s3_store_copy_source(const s3_store_t *st, s3_store_copy_t *c,
    s3_digest_t *md5);
static int s3_store_copy_object(const s3_store_t *st, s3_store_copy_t *c,
    int src, const s3_record_t *rec, s3_digest_t *md5);
static int s3_store_copy_range(int src, uint64_t off, uint64_t len, int dst,
    uint64_t *pos, s3_digest_t *md5);


int
s3_store_copy_part(const s3_store_t *st, s3_store_copy_t *c)
{
    int          rc;
    char         tmp[PATH_MAX];
    s3_digest_t  md5;

    c->fd = -1;

    if (s3_store_tmp_path(tmp, st->root) != S3_OK) {
        return S3_ERR;
    }

    c->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (c->fd == -1) {
        return S3_ERR;
    }

    if (s3_digest_init(&md5, S3_DIGEST_MD5) != S3_OK) {
        rc = S3_ERR;
        goto done;
    }

    rc = s3_store_copy_source(st, c, &md5);

    if (rc == S3_OK) {
        rc = s3_digest_final(&md5, c->part.md5);
    }

    s3_digest_free(&md5);

    if (rc == S3_OK) {
        c->part.kind = S3_RECORD_PART;
        rc = s3_store_commit_part(st, c->fd, tmp, &c->part);
    }

done:

    s3_store_close(c->fd);
    c->fd = -1;

    if (rc != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 0);
    }

    return rc;
}


static int
s3_store_copy_source(const s3_store_t *st, s3_store_copy_t *c,
    s3_digest_t *md5)
{
    int            src, rc;
    char           rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    size_t         need;
    s3_record_t    rec;
    struct stat    sb;
    unsigned char  buf[S3_STORE_OBJECT_BUF];

    if (s3_place_object(rel, sizeof(rel), c->src_bucket.data,
                        c->src_bucket.len, c->src_key.data, c->src_key.len)
        == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    src = open(path, O_RDONLY | O_CLOEXEC);
    if (src == -1) {
        return (errno == ENOENT || errno == ENOTDIR) ? S3_STORE_NOT_FOUND
                                                     : S3_ERR;
    }

    if (fstat(src, &sb) == -1) {
        rc = S3_ERR;

    } else {
        rc = s3_store_read_record(src, sb.st_size, buf, S3_STORE_OBJECT_BUF,
                                  &rec, &need);

        if (rc == S3_OK
            && (rec.kind != S3_RECORD_OBJECT
                || rec.key.len != c->src_key.len
                || memcmp(rec.key.data, c->src_key.data, rec.key.len) != 0))
        {
            rc = S3_STORE_NOT_FOUND;

        } else if (rc == S3_OK) {
            rc = s3_store_copy_object(st, c, src, &rec, md5);

        } else if (errno == EINVAL) {
            rc = S3_STORE_NOT_FOUND;
        }
    }

    s3_store_close(src);

    return rc;
}


static int
s3_store_copy_object(const s3_store_t *st, s3_store_copy_t *c, int src,
    const s3_record_t *rec, s3_digest_t *md5)
{
    int       fd, rc;
    char      path[PATH_MAX];
    size_t    i;
    uint32_t  number;
    uint64_t  off, end, size, pos, from, to;

    c->src_size = rec->size;

    if (!c->ranged) {
        c->start = 0;
        c->last = rec->size - 1;
    }

    if (rec->size == 0 && !c->ranged) {
        c->part.size = 0;
        return S3_OK;
    }

    if (c->last < c->start || c->last >= rec->size) {
        return S3_STORE_BAD_RANGE;
    }

    end = c->last + 1;
    pos = 0;

    if (rec->parts.len == 0) {
        rc = s3_store_copy_range(src, c->start, end - c->start, c->fd, &pos,
                                 md5);
        c->part.size = pos;
        return rc;
    }

    off = 0;

    for (i = 0; i < s3_record_nparts(rec) && off < end; i++) {
        s3_record_part(rec, i, &number, &size);

        from = (c->start > off) ? c->start - off : 0;
        to = (end < off + size) ? end - off : size;
        off += size;

        if (from >= to) {
            continue;
        }

        fd = s3_store_open_part(st->root, rec, number, path);
        if (fd == -1) {
            return S3_ERR;
        }

        rc = s3_store_copy_range(fd, from, to - from, c->fd, &pos, md5);

        s3_store_close(fd);

        if (rc != S3_OK) {
            return rc;
        }
    }

    c->part.size = pos;

    return S3_OK;
}


/* Copies len bytes at off of src to dst at *pos, hashing them. */

static int
s3_store_copy_range(int src, uint64_t off, uint64_t len, int dst,
    uint64_t *pos, s3_digest_t *md5)
{
    size_t         n;
    unsigned char  buf[S3_STORE_COPY_CHUNK];

    while (len > 0) {
        n = (len < sizeof(buf)) ? len : sizeof(buf);

        if (s3_store_read_full(src, buf, n, off) != S3_OK) {
            if (errno == EINVAL) {
                errno = EIO;          /* the source is shorter than said */
            }

            return S3_ERR;
        }

        if (s3_digest_update(md5, buf, n) != S3_OK
            || s3_store_write_full(dst, buf, n, *pos) != S3_OK)
        {
            return S3_ERR;
        }

        off += n;
        len -= n;
        *pos += n;
    }

    return S3_OK;
}
