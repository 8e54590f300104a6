
/*
 * Copyright (C) ngx_s3 developers
 *
 * Snapshots: capturing published files by hard link or copy, walking a
 * bucket's objects, checking and describing them in a MANIFEST.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_line.h"
#include "s3_store_int.h"
#include "s3_store_snapshot.h"


#define S3_SNAPSHOT_ALL      0x1f        /* the 5 tokens of an object */

#define S3_SNAPSHOT_DEPTH    3           /* obj/HH/HH/<file> */


typedef struct {
    s3_snapshot_t       *sn;
    s3_store_record_pt   cb;
    void                *data;
    unsigned char       *buf;
    size_t               size;
} s3_snapshot_walk_t;


static int s3_snapshot_put(s3_snapshot_t *sn, int fd, const char *src,
    const char *rel);
static int s3_snapshot_link(s3_snapshot_t *sn, const char *src,
    const char *dst);
static int s3_snapshot_copy(int fd, const char *src, const char *dst);
static int s3_snapshot_copy_to(int fd, const char *dst, mode_t mode,
    uint64_t size);
static int s3_snapshot_mkdir(s3_snapshot_t *sn, const char *dst);
static int s3_snapshot_walk(s3_snapshot_walk_t *w, char *rel, int depth);
static int s3_snapshot_object(s3_snapshot_walk_t *w, const char *rel);
static int s3_snapshot_read(s3_snapshot_walk_t *w, const char *rel,
    s3_record_t *rec);
static int s3_snapshot_check_parts(const char *root, const s3_record_t *rec,
    char *path);
static int s3_snapshot_parse_etag(const s3_str_t *v, s3_snapshot_entry_t *e);


int
s3_snapshot_file(s3_snapshot_t *sn, const char *rel)
{
    char  src[PATH_MAX];

    if (s3_store_path(src, sn->from, rel) != S3_OK) {
        return S3_ERR;
    }

    return s3_snapshot_put(sn, -1, src, rel);
}


/*
 * Captures src (open as fd, or -1) as to/rel: a hard link unless the
 * snapshot copies.
 */

static int
s3_snapshot_put(s3_snapshot_t *sn, int fd, const char *src, const char *rel)
{
    int   rc;
    char  dst[PATH_MAX];

    if (s3_store_path(dst, sn->to, rel) != S3_OK) {
        return S3_ERR;
    }

    rc = S3_ERR;
    errno = EXDEV;

    if (!sn->copy) {
        rc = s3_snapshot_link(sn, src, dst);
    }

    if (rc == S3_ERR && errno == EXDEV) {
        sn->copy = 1;

        rc = s3_snapshot_copy(fd, src, dst);

        if (rc == S3_ERR && errno == ENOENT && access(src, F_OK) == 0) {
            rc = s3_snapshot_mkdir(sn, dst);

            if (rc == S3_OK) {
                rc = s3_snapshot_copy(fd, src, dst);
            }
        }
    }

    if (rc == S3_OK) {
        sn->files++;
        return S3_OK;
    }

    return (errno == ENOENT) ? S3_STORE_NOT_FOUND : S3_ERR;
}


/* link(); a missing directory of dst is created and the link tried again */

static int
s3_snapshot_link(s3_snapshot_t *sn, const char *src, const char *dst)
{
    if (link(src, dst) == 0) {
        return S3_OK;
    }

    if (errno != ENOENT || s3_snapshot_mkdir(sn, dst) != S3_OK) {
        return S3_ERR;
    }

    return (link(src, dst) == 0) ? S3_OK : S3_ERR;
}


static int
s3_snapshot_copy(int fd, const char *src, const char *dst)
{
    int          rc, own;
    struct stat  sb;

    own = (fd == -1);

    if (own) {
        fd = open(src, O_RDONLY | O_CLOEXEC);
        if (fd == -1) {
            return S3_ERR;
        }
    }

    rc = S3_ERR;

    if (fstat(fd, &sb) == 0) {
        rc = s3_snapshot_copy_to(fd, dst, sb.st_mode & 0777, sb.st_size);
    }

    if (own) {
        s3_store_close(fd);
    }

    return rc;
}


/* Copies size bytes of fd into a new file dst, fsynced; none on failure. */

static int
s3_snapshot_copy_to(int fd, const char *dst, mode_t mode, uint64_t size)
{
    int       out, rc;
    uint64_t  pos;

    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out == -1) {
        return S3_ERR;
    }

    pos = 0;

    rc = s3_store_copy_bytes(fd, 0, size, out, &pos, NULL, NULL);

    if (rc == S3_OK && fsync(out) == -1) {
        rc = S3_ERR;
    }

    s3_store_close(out);

    if (rc != S3_OK) {
        s3_store_remove_tree(AT_FDCWD, dst, 0);
    }

    return rc;
}


/* Creates the missing directories above dst, below sn->to. */

static int
s3_snapshot_mkdir(s3_snapshot_t *sn, const char *dst)
{
    char  dir[PATH_MAX], *slash;

    memcpy(dir, dst, strlen(dst) + 1);

    slash = strrchr(dir, '/');
    if (slash == NULL) {
        errno = EINVAL;
        return S3_ERR;
    }

    *slash = '\0';

    return s3_store_mkdir_p(dir, strlen(sn->to), 0);
}


int
s3_snapshot_bucket(s3_snapshot_t *sn, const char *bucket, size_t len,
    s3_store_record_pt cb, void *data)
{
    char                rel[S3_PLACE_MAX_LEN];
    ssize_t             n;
    s3_snapshot_walk_t  w;
    unsigned char       buf[S3_STORE_OBJECT_BUF];

    n = s3_place_bucket_dir(rel, sizeof(rel) - sizeof("/" S3_PLACE_OBJECTS),
                            bucket, len);
    if (n == -1) {
        return S3_ERR;
    }

    memcpy(rel + n, "/" S3_PLACE_OBJECTS, sizeof("/" S3_PLACE_OBJECTS));

    w.sn = sn;
    w.cb = cb;
    w.data = data;
    w.buf = buf;
    w.size = sizeof(buf);

    return s3_snapshot_walk(&w, rel, 0);
}


/* Walks the directory rel (in a S3_PLACE_MAX_LEN buffer) of the source. */

static int
s3_snapshot_walk(s3_snapshot_walk_t *w, char *rel, int depth)
{
    int             rc;
    DIR            *d;
    char            path[PATH_MAX];
    size_t          len, name_len;
    struct dirent  *de;

    if (s3_store_path(path, w->sn->from, rel) != S3_OK) {
        return S3_ERR;
    }

    d = opendir(path);
    if (d == NULL) {
        /* a bucket or a fan-out directory removed meanwhile */
        return (errno == ENOENT) ? S3_OK : S3_ERR;
    }

    len = strlen(rel);
    rc = S3_OK;

    while (rc == S3_OK) {
        errno = 0;

        de = readdir(d);
        if (de == NULL) {
            rc = (errno == 0) ? S3_OK : S3_ERR;
            break;
        }

        name_len = strlen(de->d_name);

        if (de->d_name[0] == '.'
            || len + 1 + name_len >= S3_PLACE_MAX_LEN)
        {
            continue;
        }

        rel[len] = '/';
        memcpy(rel + len + 1, de->d_name, name_len + 1);

        if (depth + 1 < S3_SNAPSHOT_DEPTH) {
            rc = s3_snapshot_walk(w, rel, depth + 1);

        } else if (de->d_type == DT_REG || de->d_type == DT_UNKNOWN) {
            rc = s3_snapshot_object(w, rel);
        }

        rel[len] = '\0';
    }

    s3_store_closedir(d);

    return rc;
}


/*
 * Captures the object file rel.  A multipart object is captured again
 * holding its key's stripe shared: a change of the key holds it
 * exclusive until the old parts are gone, so the record and the part
 * files captured then are of one version.
 */

static int
s3_snapshot_object(s3_snapshot_walk_t *w, const char *rel)
{
    int           rc, lfd;
    char          dst[PATH_MAX];
    s3_record_t   rec;

    rc = s3_snapshot_file(w->sn, rel);

    if (rc == S3_OK) {
        rc = s3_snapshot_read(w, rel, &rec);
    }

    if (rc != S3_OK) {
        return (rc == S3_STORE_NOT_FOUND) ? S3_OK : rc;
    }

    if (rec.upload_id.len == 0) {
        return w->cb(&rec, w->data);
    }

    lfd = s3_lock_open(w->sn->from);
    if (lfd == -1) {
        return S3_ERR;
    }

    if (s3_lock_key(lfd, rec.bucket.data, rec.bucket.len, rec.key.data,
                    rec.key.len, S3_LOCK_SHARED)
        != S3_OK
        || s3_store_path(dst, w->sn->to, rel) != S3_OK
        || unlink(dst) == -1)
    {
        s3_store_close(lfd);
        return S3_ERR;
    }

    w->sn->files--;

    rc = s3_snapshot_file(w->sn, rel);

    if (rc == S3_OK) {
        rc = s3_snapshot_read(w, rel, &rec);
    }

    if (rc == S3_OK && rec.upload_id.len != 0) {
        rc = s3_snapshot_parts(w->sn, &rec);
    }

    s3_store_close(lfd);

    if (rc != S3_OK) {
        return (rc == S3_STORE_NOT_FOUND) ? S3_OK : rc;
    }

    return w->cb(&rec, w->data);
}


/*
 * Reads the record of the captured to/rel.  A file that is not a
 * published object of its name (a foreign or damaged file, never
 * served) is removed again and counted: S3_STORE_NOT_FOUND.
 */

static int
s3_snapshot_read(s3_snapshot_walk_t *w, const char *rel, s3_record_t *rec)
{
    char     path[PATH_MAX], placed[S3_PLACE_MAX_LEN];
    ssize_t  n;

    if (s3_store_path(path, w->sn->to, rel) != S3_OK) {
        return S3_ERR;
    }

    if (s3_store_read_record_file(path, w->buf, w->size, rec) == S3_OK) {

        n = s3_place_object(placed, sizeof(placed), rec->bucket.data,
                            rec->bucket.len, rec->key.data, rec->key.len);

        if (rec->kind == S3_RECORD_OBJECT && n != -1
            && strcmp(placed, rel) == 0)
        {
            return S3_OK;
        }

    } else if (errno != EINVAL && errno != ENOBUFS) {
        return S3_ERR;
    }

    if (unlink(path) == -1) {
        return S3_ERR;
    }

    w->sn->files--;
    w->sn->skipped++;

    return S3_STORE_NOT_FOUND;
}


int
s3_snapshot_parts(s3_snapshot_t *sn, const s3_record_t *rec)
{
    int       fd, rc;
    char      path[PATH_MAX], rel[S3_PLACE_MAX_LEN];
    size_t    i;
    uint32_t  number;
    uint64_t  size;

    for (i = 0; i < s3_record_nparts(rec); i++) {
        s3_record_part(rec, i, &number, &size);

        if (s3_place_upload(rel, sizeof(rel), rec->bucket.data,
                            rec->bucket.len, rec->upload_id.data,
                            rec->upload_id.len, 1, number)
            == -1)
        {
            return S3_ERR;
        }

        fd = s3_store_open_part(sn->from, rec, number, path);
        if (fd == -1) {
            return S3_ERR;
        }

        rc = s3_snapshot_put(sn, fd, path, rel);

        s3_store_close(fd);

        if (rc != S3_OK) {
            errno = (rc == S3_STORE_NOT_FOUND) ? ENOENT : errno;
            return S3_ERR;
        }
    }

    return S3_OK;
}


int
s3_snapshot_check(const char *root, const s3_snapshot_entry_t *e,
    unsigned char *buf, size_t size, s3_record_t *rec, char *path)
{
    char  rel[S3_PLACE_MAX_LEN];

    if (s3_place_object(rel, sizeof(rel), e->bucket.data, e->bucket.len,
                        e->key.data, e->key.len)
        == -1
        || s3_store_path(path, root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    if (s3_store_read_record_file(path, buf, size, rec) != S3_OK) {
        errno = (errno == ENOBUFS) ? EINVAL : errno;
        return S3_ERR;
    }

    if (rec->kind != S3_RECORD_OBJECT
        || rec->bucket.len != e->bucket.len
        || memcmp(rec->bucket.data, e->bucket.data, e->bucket.len) != 0
        || rec->key.len != e->key.len
        || memcmp(rec->key.data, e->key.data, e->key.len) != 0
        || rec->size != e->size || rec->hlc != e->hlc
        || memcmp(rec->md5, e->md5, S3_MD5_LEN) != 0
        || s3_record_nparts(rec) != e->parts
        || (e->parts != 0 && rec->upload_id.len == 0))
    {
        errno = EINVAL;
        return S3_ERR;
    }

    return s3_snapshot_check_parts(root, rec, path);
}


static int
s3_snapshot_check_parts(const char *root, const s3_record_t *rec,
    char *path)
{
    size_t         i;
    uint32_t       number;
    uint64_t       size;
    s3_record_t    part;
    unsigned char  buf[S3_RECORD_READ_LEN];

    if (s3_record_nparts(rec) > 0
        && !s3_upload_id_valid(rec->upload_id.data, rec->upload_id.len))
    {
        errno = EINVAL;
        return S3_ERR;
    }

    for (i = 0; i < s3_record_nparts(rec); i++) {
        s3_record_part(rec, i, &number, &size);

        if (s3_store_upload_path(path, root, &rec->bucket,
                                 rec->upload_id.data, 1, number)
            != S3_OK)
        {
            return S3_ERR;
        }

        if (s3_store_read_record_file(path, buf, sizeof(buf), &part)
            != S3_OK)
        {
            errno = (errno == ENOBUFS) ? EINVAL : errno;
            return S3_ERR;
        }

        if (part.kind != S3_RECORD_PART || part.part_number != number
            || part.size != size)
        {
            errno = EINVAL;
            return S3_ERR;
        }
    }

    return S3_OK;
}


ssize_t
s3_snapshot_line(char *buf, size_t size, const s3_record_t *rec)
{
    int     k;
    char    etag[2 * S3_MD5_LEN + 16];
    size_t  len, nparts;

    nparts = s3_record_nparts(rec);

    s3_hex_encode(etag, rec->md5, S3_MD5_LEN);
    k = 2 * S3_MD5_LEN;

    if (nparts > 0) {
        k += snprintf(etag + k, sizeof(etag) - k, "-%zu", nparts);
    }

    len = sizeof("object") - 1;

    if (len >= size) {
        errno = ENOSPC;
        return -1;
    }

    memcpy(buf, "object", len);

    if (s3_line_token(buf, &len, size, "bucket", rec->bucket.data,
                      rec->bucket.len) != S3_OK
        || s3_line_token(buf, &len, size, "key", rec->key.data,
                         rec->key.len) != S3_OK
        || s3_line_number(buf, &len, size, "size", rec->size) != S3_OK
        || s3_line_token(buf, &len, size, "etag", etag, k) != S3_OK
        || s3_line_number(buf, &len, size, "hlc", rec->hlc) != S3_OK
        || len + 1 > size)
    {
        errno = ENOSPC;
        return -1;
    }

    buf[len++] = '\n';

    return len;
}


int
s3_snapshot_parse(char *pos, char *end, s3_snapshot_entry_t *e)
{
    int64_t   seen;
    s3_str_t  v[5];

    static const char *const  names[] = {
        "bucket", "key", "size", "etag", "hlc"
    };

    memset(e, 0, sizeof(s3_snapshot_entry_t));

    seen = s3_line_fields(pos, end, names, 5, v);

    if (seen != S3_SNAPSHOT_ALL || v[1].len == 0
        || s3_line_parse_number(&v[2], &e->size) != S3_OK
        || s3_snapshot_parse_etag(&v[3], e) != S3_OK
        || s3_line_parse_number(&v[4], &e->hlc) != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    e->bucket = v[0];
    e->key = v[1];

    return S3_OK;
}


/* "<32 hex digits>" or "<32 hex digits>-<parts>" */

static int
s3_snapshot_parse_etag(const s3_str_t *v, s3_snapshot_entry_t *e)
{
    s3_str_t  n;
    uint64_t  parts;

    if (v->len < 2 * S3_MD5_LEN
        || s3_hex_decode(e->md5, v->data, 2 * S3_MD5_LEN) != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    if (v->len == 2 * S3_MD5_LEN) {
        e->parts = 0;
        return S3_OK;
    }

    n.data = v->data + 2 * S3_MD5_LEN + 1;
    n.len = v->len - 2 * S3_MD5_LEN - 1;

    if (v->data[2 * S3_MD5_LEN] != '-'
        || s3_line_parse_number(&n, &parts) != S3_OK
        || parts == 0 || parts > S3_PART_NUMBER_MAX)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    e->parts = (uint32_t) parts;

    return S3_OK;
}
