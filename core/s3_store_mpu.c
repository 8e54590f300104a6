
/*
 * Copyright (C) ngx_s3 developers
 *
 * Multipart uploads.  An upload is a directory, buckets/<b>/mpu/<id>/,
 * holding its record ("upload") and its parts ("<N>" = [data][PART
 * record]).  Parts are published by rename under the upload's stripe held
 * shared; completion and abort hold it exclusive, after the key stripe.
 *
 * Completion costs no copy: the object record lists the parts, is
 * published as put publishes (temp, fsync, journal, rename), and only
 * then is mpu/<id> renamed to parts/<id>.  A crash between the two leaves
 * a published object whose parts are still in mpu/<id>: readers look
 * there too (s3_store_open_part), and the sweep finishes the rename.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_store_int.h"


#define S3_STORE_COPY_CHUNK   (128 * 1024)
#define S3_STORE_OBJECT_BUF   (S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN)


static int s3_store_upload_path(char *path, const char *root,
    const s3_str_t *bucket, const char *id, int completed, uint32_t part);
static int s3_store_write_file(const char *path, const unsigned char *p,
    size_t len, int sync);
static int s3_store_create_locked(const s3_store_t *st, s3_record_t *rec,
    const char *tmp);
static int s3_store_lock_upload(const char *root, const char *id,
    s3_lock_mode_e mode, int fd);
static int s3_store_upload_of(const char *root, const s3_str_t *bucket,
    const s3_str_t *key, const char *id, unsigned char *buf, size_t size,
    s3_record_t *rec);
static int s3_store_commit_locked(const s3_store_t *st, int fd,
    const char *tmp_path, s3_record_t *rec);
static int s3_store_complete_locked(const s3_store_t *st,
    s3_store_complete_t *c, const char *id);
static int s3_store_check_parts(const char *root, s3_store_complete_t *c,
    const char *id, uint64_t *total);
static int s3_store_prune_parts(const char *root, const s3_store_complete_t *c,
    const char *id);
static int s3_store_has_part(const s3_store_complete_t *c, uint32_t number);
static int s3_store_publish_object(const s3_store_t *st, s3_record_t *rec,
    const char *path);
static int s3_store_move_upload(const s3_store_t *st, const s3_str_t *bucket,
    const char *id);
static int s3_store_abort_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, const char *id);
static uint32_t s3_store_part_name(const char *name);
static int s3_store_copy_source(const s3_store_t *st, s3_store_copy_t *c,
    s3_digest_t *md5);
static int s3_store_copy_object(const s3_store_t *st, s3_store_copy_t *c,
    int src, const s3_record_t *rec, s3_digest_t *md5);
static int s3_store_copy_range(int src, uint64_t off, uint64_t len, int dst,
    uint64_t *pos, s3_digest_t *md5);
static int s3_store_sweep_bucket(const s3_store_t *st, const char *bucket,
    uint64_t before_ms);
static int s3_store_sweep_dir(const s3_store_t *st, const s3_str_t *bucket,
    int completed, uint64_t before_ms);
static int s3_store_sweep_one(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, int completed, uint64_t before_ms);
static int s3_store_sweep_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_record_t *up, const char *id, int completed, uint64_t before_ms);


/* helpers */


static int
s3_store_upload_path(char *path, const char *root, const s3_str_t *bucket,
    const char *id, int completed, uint32_t part)
{
    char  rel[S3_PLACE_MAX_LEN];

    if (s3_place_upload(rel, sizeof(rel), bucket->data, bucket->len, id,
                        S3_UPLOAD_ID_LEN, completed, part)
        == -1)
    {
        return S3_ERR;
    }

    return s3_store_path(path, root, rel);
}


/* Creates path (O_EXCL) holding p; on failure nothing is left. */

static int
s3_store_write_file(const char *path, const unsigned char *p, size_t len,
    int sync)
{
    int  fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return S3_ERR;
    }

    if (s3_store_write_full(fd, p, len, 0) != S3_OK
        || (sync && fsync(fd) == -1))
    {
        s3_store_close(fd);
        (void) s3_store_remove_tree(AT_FDCWD, path, 0);
        return S3_ERR;
    }

    if (close(fd) == -1) {
        (void) s3_store_remove_tree(AT_FDCWD, path, 0);
        return S3_ERR;
    }

    return S3_OK;
}


/* Takes the upload's stripe on fd, or on a new descriptor when fd is -1. */

static int
s3_store_lock_upload(const char *root, const char *id, s3_lock_mode_e mode,
    int fd)
{
    int  lfd;

    lfd = (fd == -1) ? s3_lock_open(root) : fd;
    if (lfd == -1) {
        return -1;
    }

    if (s3_lock_upload(lfd, id, S3_UPLOAD_ID_LEN, mode) != S3_OK) {
        if (fd == -1) {
            s3_store_close(lfd);
        }

        return -1;
    }

    return lfd;
}


/* Reads the upload record and checks that it belongs to key. */

static int
s3_store_upload_of(const char *root, const s3_str_t *bucket,
    const s3_str_t *key, const char *id, unsigned char *buf, size_t size,
    s3_record_t *rec)
{
    int  rc;

    rc = s3_store_read_upload(root, bucket->data, bucket->len, id,
                              S3_UPLOAD_ID_LEN, buf, size, rec);
    if (rc != S3_OK) {
        return rc;
    }

    if (rec->key.len != key->len
        || memcmp(rec->key.data, key->data, key->len) != 0)
    {
        return S3_STORE_NO_UPLOAD;
    }

    return S3_OK;
}


int
s3_store_read_upload(const char *root, const char *bucket,
    size_t bucket_len, const char *id, size_t id_len, unsigned char *buf,
    size_t size, s3_record_t *rec)
{
    char      path[PATH_MAX];
    s3_str_t  b;

    if (!s3_upload_id_valid(id, id_len)) {
        return S3_STORE_NO_UPLOAD;
    }

    b.data = bucket;
    b.len = bucket_len;

    if (s3_store_upload_path(path, root, &b, id, 0, 0) != S3_OK
        || strlen(path) + sizeof("/" S3_PLACE_UPLOAD_RECORD) > PATH_MAX)
    {
        return S3_ERR;
    }

    strcat(path, "/" S3_PLACE_UPLOAD_RECORD);

    if (s3_store_read_record_file(path, buf, size, rec) != S3_OK) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EINVAL) {
            return S3_STORE_NO_UPLOAD;
        }

        return S3_ERR;
    }

    if (rec->kind != S3_RECORD_UPLOAD) {
        return S3_STORE_NO_UPLOAD;
    }

    return S3_OK;
}


/* create */


int
s3_store_create_upload(const s3_store_t *st, s3_record_t *rec, char *id)
{
    int            rc;
    char           tmp[PATH_MAX], path[PATH_MAX];
    unsigned char  rnd[S3_UPLOAD_ID_LEN / 2];

    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        return S3_ERR;
    }

    *s3_hex_encode(id, rnd, sizeof(rnd)) = '\0';

    rec->kind = S3_RECORD_UPLOAD;
    rec->upload_id.data = id;
    rec->upload_id.len = S3_UPLOAD_ID_LEN;
    rec->mtime_ms = s3_store_now_ms();
    rec->hlc = s3_hlc_next(st->clock, 0);
    rec->origin = st->node_id;

    /* the directory is built under tmp/, then renamed into mpu/ */

    if (s3_store_tmp_path(tmp, st->root) != S3_OK
        || s3_store_path(path, tmp, S3_PLACE_UPLOAD_RECORD) != S3_OK)
    {
        return S3_ERR;
    }

    if (mkdir(tmp, 0700) == -1) {
        return S3_ERR;
    }

    rc = s3_store_create_locked(st, rec, tmp);

    if (rc != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 1);
    }

    return rc;
}


static int
s3_store_create_locked(const s3_store_t *st, s3_record_t *rec,
    const char *tmp)
{
    int                 lfd, rc;
    char                path[PATH_MAX], *slash;
    ssize_t             n;
    s3_journal_entry_t  e;
    unsigned char       buf[S3_STORE_UPLOAD_BUF];

    n = s3_record_encode(rec, buf, sizeof(buf));

    if (n == -1
        || s3_store_path(path, tmp, S3_PLACE_UPLOAD_RECORD) != S3_OK
        || s3_store_write_file(path, buf, n, st->fsync) != S3_OK
        || (st->fsync && s3_store_fsync_dir(tmp) != S3_OK)
        || s3_store_upload_path(path, st->root, &rec->bucket,
                                rec->upload_id.data, 0, 0)
           != S3_OK)
    {
        return S3_ERR;
    }

    lfd = s3_lock_open(st->root);
    if (lfd == -1) {
        return S3_ERR;
    }

    if (s3_lock_bucket(lfd, rec->bucket.data, rec->bucket.len,
                       S3_LOCK_SHARED) != S3_OK)
    {
        s3_store_close(lfd);
        return S3_ERR;
    }

    rc = s3_store_bucket_exists(st->root, &rec->bucket);
    if (rc != S3_OK) {
        s3_store_close(lfd);
        return rc;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_CREATE_UPLOAD;
    e.hlc = rec->hlc;
    e.bucket = rec->bucket;
    e.key = rec->key;
    e.upload_id = rec->upload_id;

    slash = strrchr(path, '/');

    *slash = '\0';
    rc = s3_store_mkdir(path, st->fsync);
    *slash = '/';

    if (rc == S3_OK) {
        rc = s3_store_journal(st, &e);
    }

    if (rc == S3_OK && rename(tmp, path) == -1) {
        rc = S3_ERR;
    }

    if (rc == S3_OK && st->fsync) {
        rc = s3_store_fsync_parent(path);
    }

    s3_store_close(lfd);

    return rc;
}


/* parts */


int
s3_store_commit_part(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec)
{
    int   lfd, rc;
    char  tmp[PATH_MAX];

    if (rec->kind != S3_RECORD_PART
        || rec->part_number < 1 || rec->part_number > S3_PART_NUMBER_MAX)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    if (!s3_upload_id_valid(rec->upload_id.data, rec->upload_id.len)) {
        return S3_STORE_NO_UPLOAD;
    }

    if (tmp_path[0] != '/') {
        if (s3_store_path(tmp, st->root, tmp_path) != S3_OK) {
            return S3_ERR;
        }

        tmp_path = tmp;
    }

    lfd = s3_store_lock_upload(st->root, rec->upload_id.data,
                               S3_LOCK_SHARED, -1);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_commit_locked(st, fd, tmp_path, rec);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_commit_locked(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec)
{
    int            rc;
    char           path[PATH_MAX];
    ssize_t        n;
    s3_record_t    up;
    struct stat    sb;
    unsigned char  buf[S3_STORE_UPLOAD_BUF];

    rc = s3_store_upload_of(st->root, &rec->bucket, &rec->key,
                            rec->upload_id.data, buf, sizeof(buf), &up);
    if (rc != S3_OK) {
        return rc;
    }

    rec->mtime_ms = s3_store_now_ms();
    rec->origin = st->node_id;

    n = s3_record_encode(rec, buf, sizeof(buf));
    if (n == -1 || fstat(fd, &sb) == -1) {
        return S3_ERR;
    }

    if ((uint64_t) sb.st_size < rec->size) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (ftruncate(fd, rec->size) == -1
        || s3_store_write_full(fd, buf, n, rec->size) != S3_OK
        || (st->fsync && fsync(fd) == -1)
        || s3_store_upload_path(path, st->root, &rec->bucket,
                                rec->upload_id.data, 0, rec->part_number)
           != S3_OK)
    {
        return S3_ERR;
    }

    if (rename(tmp_path, path) == -1) {
        return S3_ERR;
    }

    if (st->fsync) {
        return s3_store_fsync_parent(path);
    }

    return S3_OK;
}


/* complete */


int
s3_store_complete_upload(const s3_store_t *st, s3_store_complete_t *c)
{
    int   lfd, rc;
    char  id[S3_UPLOAD_ID_LEN + 1];

    if (!s3_upload_id_valid(c->upload_id.data, c->upload_id.len)) {
        return S3_STORE_NO_UPLOAD;
    }

    if (c->nparts == 0 || c->nparts > S3_PART_NUMBER_MAX) {
        errno = EINVAL;
        return S3_ERR;
    }

    memcpy(id, c->upload_id.data, S3_UPLOAD_ID_LEN);
    id[S3_UPLOAD_ID_LEN] = '\0';

    lfd = s3_store_lock_key(st->root, &c->bucket, &c->key);
    if (lfd == -1) {
        return S3_ERR;
    }

    if (s3_store_lock_upload(st->root, id, S3_LOCK_EXCLUSIVE, lfd) == -1) {
        s3_store_close(lfd);
        return S3_ERR;
    }

    rc = s3_store_complete_locked(st, c, id);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_complete_locked(const s3_store_t *st, s3_store_complete_t *c,
    const char *id)
{
    int            rc;
    char           rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    uint64_t       total;
    s3_record_t    up, *rec;
    unsigned char  buf[S3_STORE_UPLOAD_BUF];

    memset(&c->rec, 0, sizeof(s3_record_t));

    rc = s3_store_bucket_exists(st->root, &c->bucket);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_upload_of(st->root, &c->bucket, &c->key, id, buf,
                            sizeof(buf), &up);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_check_parts(st->root, c, id, &total);
    if (rc != S3_OK) {
        return rc;
    }

    if (s3_store_prune_parts(st->root, c, id) != S3_OK
        || s3_place_object(rel, sizeof(rel), c->bucket.data, c->bucket.len,
                           c->key.data, c->key.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    rec = &c->rec;
    rec->kind = S3_RECORD_OBJECT;
    rec->size = total;
    rec->bucket = c->bucket;
    rec->key = c->key;
    rec->headers = up.headers;
    rec->upload_id.data = id;
    rec->upload_id.len = S3_UPLOAD_ID_LEN;
    rec->parts.data = (const char *) c->table;
    rec->parts.len = c->nparts * S3_RECORD_PART_LEN;

    rc = s3_store_publish_object(st, rec, path);

    /* only the numbers outlive the call */

    memset(&rec->headers, 0, sizeof(s3_str_t));
    memset(&rec->upload_id, 0, sizeof(s3_str_t));

    if (rc != S3_OK) {
        return rc;
    }

    /* published: a crash from here on is finished by the sweep */

    (void) s3_store_move_upload(st, &c->bucket, id);

    return S3_OK;
}


/* Checks every listed part, fills the table and the ETag's md5. */

static int
s3_store_check_parts(const char *root, s3_store_complete_t *c,
    const char *id, uint64_t *total)
{
    int            rc;
    char           path[PATH_MAX];
    size_t         i;
    uint32_t       small;
    s3_record_t    part;
    s3_digest_t    md5;
    unsigned char  buf[S3_RECORD_READ_LEN];

    if (s3_digest_init(&md5, S3_DIGEST_MD5) != S3_OK) {
        return S3_ERR;
    }

    /* a missing part is reported before a small one, as S3 does */

    *total = 0;
    small = 0;
    rc = S3_OK;

    for (i = 0; i < c->nparts; i++) {
        c->bad_part = c->parts[i].number;

        if (s3_store_upload_path(path, root, &c->bucket, id, 0,
                                 c->parts[i].number)
            != S3_OK)
        {
            rc = (errno == EINVAL) ? S3_STORE_INVALID_PART : S3_ERR;
            break;
        }

        if (s3_store_read_record_file(path, buf, sizeof(buf), &part)
            != S3_OK)
        {
            rc = (errno == ENOENT || errno == EINVAL)
                 ? S3_STORE_INVALID_PART : S3_ERR;
            break;
        }

        if (part.kind != S3_RECORD_PART
            || memcmp(part.md5, c->parts[i].md5, S3_MD5_LEN) != 0)
        {
            rc = S3_STORE_INVALID_PART;
            break;
        }

        if (i + 1 < c->nparts && part.size < S3_STORE_PART_MIN_SIZE
            && small == 0)
        {
            small = c->parts[i].number;
        }

        s3_record_set_part(c->table + i * S3_RECORD_PART_LEN,
                           c->parts[i].number, part.size);
        *total += part.size;

        if (s3_digest_update(&md5, part.md5, S3_MD5_LEN) != S3_OK) {
            rc = S3_ERR;
            break;
        }
    }

    if (rc == S3_OK && small != 0) {
        c->bad_part = small;
        rc = S3_STORE_TOO_SMALL;
    }

    if (rc == S3_OK) {
        c->bad_part = 0;
        rc = s3_digest_final(&md5, c->rec.md5);
    }

    s3_digest_free(&md5);

    return rc;
}


/* Removes the part files the completion does not list. */

static int
s3_store_prune_parts(const char *root, const s3_store_complete_t *c,
    const char *id)
{
    int             rc, err;
    DIR            *d;
    char            path[PATH_MAX];
    uint32_t        number;
    struct dirent  *de;

    if (s3_store_upload_path(path, root, &c->bucket, id, 0, 0) != S3_OK) {
        return S3_ERR;
    }

    d = opendir(path);
    if (d == NULL) {
        return S3_ERR;
    }

    rc = S3_OK;

    while ((de = readdir(d)) != NULL) {
        number = s3_store_part_name(de->d_name);

        if (number == 0 || s3_store_has_part(c, number)) {
            continue;
        }

        if (unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT) {
            rc = S3_ERR;
            break;
        }
    }

    err = errno;
    (void) closedir(d);
    errno = err;

    return rc;
}


/* c->parts is ascending: a binary search */

static int
s3_store_has_part(const s3_store_complete_t *c, uint32_t number)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = c->nparts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (c->parts[mid].number == number) {
            return 1;
        }

        if (c->parts[mid].number < number) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


/* Returns the number a part file is named by, or 0 for another name. */

static uint32_t
s3_store_part_name(const char *name)
{
    uint32_t  n;

    if (name[0] < '1' || name[0] > '9') {
        return 0;
    }

    for (n = 0; *name; name++) {
        if (*name < '0' || *name > '9' || n > S3_PART_NUMBER_MAX) {
            return 0;
        }

        n = n * 10 + (*name - '0');
    }

    return (n <= S3_PART_NUMBER_MAX) ? n : 0;
}


/*
 * Publishes an object record with no data at path, as a put does: temp
 * file, fsync, journal (one complete-upload frame), rename, fsync of the
 * directory; then removes the parts of the multipart object it replaced.
 */

static int
s3_store_publish_object(const s3_store_t *st, s3_record_t *rec,
    const char *path)
{
    int                 rc;
    char                tmp[PATH_MAX], dir[PATH_MAX], *slash;
    char                old[S3_UPLOAD_ID_LEN + 1];
    ssize_t             n;
    uint64_t            floor;
    s3_journal_entry_t  e;
    unsigned char       buf[S3_STORE_OBJECT_BUF];

    if (s3_store_object_hlc(path, &floor, old) == S3_ERR) {
        return S3_ERR;
    }

    rec->hlc = s3_hlc_next(st->clock, floor);
    rec->mtime_ms = s3_store_now_ms();
    rec->origin = st->node_id;

    n = s3_record_encode(rec, buf, sizeof(buf));

    if (n == -1
        || s3_store_tmp_path(tmp, st->root) != S3_OK
        || s3_store_write_file(tmp, buf, n, st->fsync) != S3_OK)
    {
        return S3_ERR;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_COMPLETE_UPLOAD;
    e.hlc = rec->hlc;
    e.size = rec->size;
    memcpy(e.md5, rec->md5, S3_MD5_LEN);
    e.bucket = rec->bucket;
    e.key = rec->key;
    e.upload_id = rec->upload_id;
    e.parts = s3_record_nparts(rec);

    strcpy(dir, path);
    slash = strrchr(dir, '/');
    *slash = '\0';

    rc = S3_OK;

    if (s3_store_journal(st, &e) != S3_OK
        || s3_store_mkdir_p(dir, strlen(st->root), st->fsync) != S3_OK)
    {
        rc = S3_ERR;
    }

    if (rc != S3_OK || s3_store_publish(st, tmp, path) != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 0);
        return S3_ERR;
    }

    if (old[0] != '\0' && memcmp(old, rec->upload_id.data, S3_UPLOAD_ID_LEN)
                          != 0)
    {
        s3_store_remove_parts(st, &rec->bucket, old);
    }

    return S3_OK;
}


/* Renames mpu/<id> to parts/<id>. */

static int
s3_store_move_upload(const s3_store_t *st, const s3_str_t *bucket,
    const char *id)
{
    int   rc;
    char  from[PATH_MAX], to[PATH_MAX], *slash;

    if (s3_store_upload_path(from, st->root, bucket, id, 0, 0) != S3_OK
        || s3_store_upload_path(to, st->root, bucket, id, 1, 0) != S3_OK)
    {
        return S3_ERR;
    }

    slash = strrchr(to, '/');

    *slash = '\0';
    rc = s3_store_mkdir(to, st->fsync);
    *slash = '/';

    if (rc != S3_OK || rename(from, to) == -1) {
        return S3_ERR;
    }

    if (st->fsync
        && (s3_store_fsync_parent(to) != S3_OK
            || s3_store_fsync_parent(from) != S3_OK))
    {
        return S3_ERR;
    }

    return S3_OK;
}


void
s3_store_remove_parts(const s3_store_t *st, const s3_str_t *bucket,
    const char *id)
{
    char  path[PATH_MAX];

    if (s3_store_upload_path(path, st->root, bucket, id, 1, 0) == S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, path, 1);
    }

    if (s3_store_upload_path(path, st->root, bucket, id, 0, 0) == S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, path, 1);
    }
}


int
s3_store_open_part(const char *root, const s3_record_t *obj,
    uint32_t number, char *path)
{
    int        fd, i;
    s3_str_t   id;

    id = obj->upload_id;

    if (!s3_upload_id_valid(id.data, id.len)) {
        errno = EINVAL;
        return -1;
    }

    for (i = 0; i < 3; i++) {
        if (s3_store_upload_path(path, root, &obj->bucket, id.data,
                                 (i != 1), number)
            != S3_OK)
        {
            return -1;
        }

        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

        if (fd != -1 || errno != ENOENT) {
            return fd;
        }
    }

    return -1;
}


/* abort */


int
s3_store_abort_upload(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id)
{
    int   lfd, rc;
    char  sid[S3_UPLOAD_ID_LEN + 1];

    if (!s3_upload_id_valid(id->data, id->len)) {
        return S3_STORE_NO_UPLOAD;
    }

    memcpy(sid, id->data, S3_UPLOAD_ID_LEN);
    sid[S3_UPLOAD_ID_LEN] = '\0';

    lfd = s3_store_lock_key(st->root, bucket, key);
    if (lfd == -1) {
        return S3_ERR;
    }

    if (s3_store_lock_upload(st->root, sid, S3_LOCK_EXCLUSIVE, lfd) == -1) {
        s3_store_close(lfd);
        return S3_ERR;
    }

    rc = s3_store_abort_locked(st, bucket, key, sid);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_abort_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, const char *id)
{
    int                 rc;
    char                rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    char                tmp[PATH_MAX], cur[S3_UPLOAD_ID_LEN + 1];
    uint64_t            hlc;
    s3_record_t         up;
    s3_journal_entry_t  e;
    unsigned char       buf[S3_STORE_UPLOAD_BUF];

    rc = s3_store_upload_of(st->root, bucket, key, id, buf, sizeof(buf),
                            &up);
    if (rc != S3_OK) {
        return rc;
    }

    if (s3_place_object(rel, sizeof(rel), bucket->data, bucket->len,
                        key->data, key->len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK
        || s3_store_object_hlc(path, &hlc, cur) == S3_ERR)
    {
        return S3_ERR;
    }

    if (strcmp(cur, id) == 0) {

        /* completed, and a crash came before the rename: finish it */

        (void) s3_store_move_upload(st, bucket, id);
        return S3_STORE_NO_UPLOAD;
    }

    /* one rename unpublishes the upload; the tree goes afterwards */

    if (s3_store_upload_path(path, st->root, bucket, id, 0, 0) != S3_OK
        || s3_store_tmp_path(tmp, st->root) != S3_OK)
    {
        return S3_ERR;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_ABORT_UPLOAD;
    e.hlc = s3_hlc_next(st->clock, up.hlc);
    e.bucket = *bucket;
    e.key = *key;
    e.upload_id.data = id;
    e.upload_id.len = S3_UPLOAD_ID_LEN;

    if (s3_store_journal(st, &e) != S3_OK) {
        return S3_ERR;
    }

    if (rename(path, tmp) == -1) {
        return S3_ERR;
    }

    if (st->fsync && s3_store_fsync_parent(path) != S3_OK) {
        return S3_ERR;
    }

    (void) s3_store_remove_tree(AT_FDCWD, tmp, 1);

    return S3_OK;
}


/* list parts */


int
s3_store_list_parts(const char *root, const s3_str_t *bucket,
    const s3_str_t *id, uint32_t marker, s3_store_part_info_t *out,
    size_t max, size_t *n, int *truncated)
{
    int             err;
    DIR            *d;
    char            path[PATH_MAX], sid[S3_UPLOAD_ID_LEN + 1];
    uint32_t        number;
    s3_record_t     rec;
    struct dirent  *de;
    unsigned char   seen[S3_PART_NUMBER_MAX / 8 + 1];
    unsigned char   buf[S3_RECORD_READ_LEN];

    *n = 0;
    *truncated = 0;

    if (!s3_upload_id_valid(id->data, id->len)) {
        return S3_STORE_NO_UPLOAD;
    }

    memcpy(sid, id->data, S3_UPLOAD_ID_LEN);
    sid[S3_UPLOAD_ID_LEN] = '\0';

    if (s3_store_upload_path(path, root, bucket, sid, 0, 0) != S3_OK) {
        return S3_ERR;
    }

    d = opendir(path);
    if (d == NULL) {
        return (errno == ENOENT || errno == ENOTDIR) ? S3_STORE_NO_UPLOAD
                                                    : S3_ERR;
    }

    memset(seen, 0, sizeof(seen));

    while ((de = readdir(d)) != NULL) {
        number = s3_store_part_name(de->d_name);

        if (number > marker) {
            seen[number / 8] |= (unsigned char) (1 << (number % 8));
        }
    }

    err = errno;
    (void) closedir(d);
    errno = err;

    for (number = marker + 1; number <= S3_PART_NUMBER_MAX; number++) {
        if (!(seen[number / 8] & (1 << (number % 8)))) {
            continue;
        }

        if (s3_store_upload_path(path, root, bucket, sid, 0, number) != S3_OK)
        {
            return S3_ERR;
        }

        if (s3_store_read_record_file(path, buf, sizeof(buf), &rec) != S3_OK)
        {
            if (errno == ENOENT || errno == EINVAL) {
                continue;             /* replaced or aborted meanwhile */
            }

            return S3_ERR;
        }

        if (*n == max) {
            *truncated = 1;
            break;
        }

        out[*n].number = number;
        out[*n].size = rec.size;
        out[*n].mtime_ms = rec.mtime_ms;
        memcpy(out[*n].md5, rec.md5, S3_MD5_LEN);
        (*n)++;
    }

    return S3_OK;
}


/* copy */


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
    size_t         chunk;
    ssize_t        n;
    unsigned char  buf[S3_STORE_COPY_CHUNK];

    while (len > 0) {
        chunk = (len < sizeof(buf)) ? len : sizeof(buf);

        n = pread(src, buf, chunk, off);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            return S3_ERR;
        }

        if (n == 0) {
            errno = EIO;              /* the source is shorter than said */
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


/* sweep */


int
s3_store_sweep_uploads(const s3_store_t *st, uint64_t before_ms)
{
    int             n, total, err;
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

    err = errno;
    (void) closedir(d);
    errno = err;

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
    int             n, err;
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

    err = errno;
    (void) closedir(d);
    errno = err;

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

    if (s3_store_upload_path(path, st->root, bucket, id, completed, 0)
        != S3_OK
        || strlen(path) + sizeof("/" S3_PLACE_UPLOAD_RECORD) > PATH_MAX)
    {
        return -1;
    }

    strcat(path, "/" S3_PLACE_UPLOAD_RECORD);

    if (s3_store_read_record_file(path, buf, sizeof(buf), &up) != S3_OK
        || up.kind != S3_RECORD_UPLOAD)
    {
        return 0;                     /* gone, or not ours: left alone */
    }

    if (!completed && up.mtime_ms >= before_ms) {
        return 0;
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
        || s3_store_remove_tree(AT_FDCWD, path, 1) != S3_OK)
    {
        return -1;
    }

    return 1;
}
