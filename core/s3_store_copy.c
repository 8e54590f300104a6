
/*
 * Copyright (C) ngx_s3 developers
 *
 * UploadPartCopy and CopyObject: the bytes of a source the caller has
 * opened, plain or multipart, go to a temp file, then are committed as a
 * part or published as an object.  Bytes that must be hashed pass through
 * one buffer; others are copied in the kernel.
 */


#ifndef _GNU_SOURCE
#define _GNU_SOURCE                   /* copy_file_range() */
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_store_int.h"


#define S3_STORE_COPY_CHUNK   (128 * 1024)


static int s3_store_copy(const s3_store_t *st, s3_store_copy_t *c,
    uint64_t end, int hash, s3_cksum_algo_e algo);
static int s3_store_copy_hashed(const s3_store_t *st, s3_store_copy_t *c,
    uint64_t end, s3_cksum_algo_e algo);
static int s3_store_copy_source(const s3_store_t *st, s3_store_copy_t *c,
    uint64_t end, s3_digest_t *md5, s3_cksum_t *cksum);
static int s3_store_copy_kernel(int src, uint64_t *off, uint64_t *len,
    int dst, uint64_t *pos);


int
s3_store_copy_part(const s3_store_t *st, s3_store_copy_t *c)
{
    uint64_t         size;
    s3_cksum_algo_e  algo;

    size = c->src->size;

    algo = s3_cksum_algo(c->dst.checksum.data, c->dst.checksum.len);

    if (algo == S3_CKSUM_NONE && c->dst.checksum.len != 0) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (!c->ranged) {
        c->start = 0;
        c->last = size - 1;             /* unused for an empty source */

    } else if (c->last < c->start || c->last >= size) {
        return S3_STORE_BAD_RANGE;
    }

    c->dst.kind = S3_RECORD_PART;

    return s3_store_copy(st, c, (size == 0) ? 0 : c->last + 1, 1, algo);
}


int
s3_store_copy_object(const s3_store_t *st, s3_store_copy_t *c)
{
    c->ranged = 0;
    c->start = 0;
    c->dst.kind = S3_RECORD_OBJECT;

    return s3_store_copy(st, c, c->src->size, c->src->parts.len != 0,
                         S3_CKSUM_NONE);
}


/*
 * Copies [c->start, end) of the source into a temp file and commits it;
 * hash: through the buffer, for the md5 and the checksum algo (or NONE).
 */

static int
s3_store_copy(const s3_store_t *st, s3_store_copy_t *c, uint64_t end,
    int hash, s3_cksum_algo_e algo)
{
    int   rc;
    char  tmp[PATH_MAX];

    c->fd = -1;

    if (s3_store_tmp_path(tmp, st->root) != S3_OK) {
        return S3_ERR;
    }

    c->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (c->fd == -1) {
        return S3_ERR;
    }

    if (hash) {
        rc = s3_store_copy_hashed(st, c, end, algo);

    } else {
        memcpy(c->dst.md5, c->src->md5, S3_MD5_LEN);
        rc = s3_store_copy_source(st, c, end, NULL, NULL);
    }

    if (rc == S3_OK) {
        rc = (c->dst.kind == S3_RECORD_PART)
             ? s3_store_commit_part(st, c->fd, tmp, &c->dst)
             : s3_store_put_object(st, c->fd, tmp, &c->dst);
    }

    s3_store_close(c->fd);
    c->fd = -1;

    if (rc != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 0);
    }

    return rc;
}


/*
 * The md5 of the bytes copied into c->dst.md5 and, when algo is not NONE,
 * their checksum in base64 into c->checksum, pointed at by
 * c->dst.checksum_value: one read of the source feeds both.
 */

static int
s3_store_copy_hashed(const s3_store_t *st, s3_store_copy_t *c, uint64_t end,
    s3_cksum_algo_e algo)
{
    int            rc;
    s3_cksum_t     cksum, *ck;
    s3_digest_t    md5;
    unsigned char  raw[S3_CKSUM_MAX_LEN];

    cksum.ctx = NULL;
    ck = (algo != S3_CKSUM_NONE) ? &cksum : NULL;

    if (ck != NULL && s3_cksum_init(ck, algo) != S3_OK) {
        return S3_ERR;
    }

    if (s3_digest_init(&md5, S3_DIGEST_MD5) != S3_OK) {
        s3_cksum_free(&cksum);
        return S3_ERR;
    }

    rc = s3_store_copy_source(st, c, end, &md5, ck);

    if (rc == S3_OK) {
        rc = s3_digest_final(&md5, c->dst.md5);
    }

    if (rc == S3_OK && ck != NULL) {
        rc = s3_cksum_final(ck, raw);

        c->dst.checksum_value.data = c->checksum;
        c->dst.checksum_value.len = (rc != S3_OK)
                                    ? 0
                                    : s3_base64_encode(c->checksum, raw,
                                                       s3_cksum_len(algo));
    }

    s3_digest_free(&md5);
    s3_cksum_free(&cksum);

    return rc;
}


static int
s3_store_copy_source(const s3_store_t *st, s3_store_copy_t *c, uint64_t end,
    s3_digest_t *md5, s3_cksum_t *cksum)
{
    int                 fd, rc;
    char                path[PATH_MAX];
    size_t              i;
    uint32_t            number;
    uint64_t            off, size, pos, from, to;
    const s3_record_t  *src;

    src = c->src;
    pos = 0;

    if (src->parts.len == 0) {
        rc = s3_store_copy_bytes(c->src_fd, c->start, end - c->start, c->fd,
                                 &pos, md5, cksum);
        c->dst.size = pos;
        return rc;
    }

    off = 0;

    for (i = 0; i < s3_record_nparts(src) && off < end; i++) {
        s3_record_part(src, i, &number, &size);

        from = (c->start > off) ? c->start - off : 0;
        to = (end < off + size) ? end - off : size;
        off += size;

        if (from >= to) {
            continue;
        }

        fd = s3_store_open_part(st->root, src, number, path);
        if (fd == -1) {
            return S3_ERR;
        }

        rc = s3_store_copy_bytes(fd, from, to - from, c->fd, &pos, md5,
                                 cksum);

        s3_store_close(fd);

        if (rc != S3_OK) {
            return rc;
        }
    }

    c->dst.size = pos;

    return S3_OK;
}


int
s3_store_copy_bytes(int src, uint64_t off, uint64_t len, int dst,
    uint64_t *pos, s3_digest_t *md5, s3_cksum_t *cksum)
{
    size_t         n;
    unsigned char  buf[S3_STORE_COPY_CHUNK];

    if (md5 == NULL && cksum == NULL) {
        if (s3_store_copy_kernel(src, &off, &len, dst, pos) == S3_OK) {
            return S3_OK;
        }

        if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP
            && errno != EINVAL)
        {
            return S3_ERR;
        }

        /* the kernel cannot: copy what is left through the buffer */
    }

    while (len > 0) {
        n = (len < sizeof(buf)) ? len : sizeof(buf);

        if (s3_store_read_full(src, buf, n, off) != S3_OK) {
            if (errno == EINVAL) {
                errno = EIO;          /* the source is shorter than said */
            }

            return S3_ERR;
        }

        if ((md5 != NULL && s3_digest_update(md5, buf, n) != S3_OK)
            || (cksum != NULL && s3_cksum_update(cksum, buf, n) != S3_OK)
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


/*
 * copy_file_range() of *len bytes at *off to *pos; on failure the three
 * say where it stopped, for the caller's fallback.
 */

static int
s3_store_copy_kernel(int src, uint64_t *off, uint64_t *len, int dst,
    uint64_t *pos)
{
    off_t    in, out;
    ssize_t  n;

    in = *off;
    out = *pos;

    while (*len > 0) {
        n = copy_file_range(src, &in, dst, &out, *len, 0);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == 0) {
            errno = EIO;              /* the source is shorter than said */
        }

        if (n <= 0) {
            return S3_ERR;
        }

        *off = in;
        *len -= n;
        *pos = out;
    }

    return S3_OK;
}
