
/*
 * Copyright (C) ngx_s3 developers
 *
 * Multipart uploads.  An upload is a directory, buckets/<b>/mpu/<id>/,
 * holding its record ("upload") and its parts ("<N>" = [data][PART
 * record]).  Parts are published by rename under the upload's stripe held
 * shared; completion (s3_store_complete.c) and abort hold it exclusive,
 * after the key stripe.  This file creates, reads and aborts uploads,
 * commits, lists and opens parts; UploadPartCopy is s3_store_copy.c, the
 * expiry sweep s3_store_sweep.c.
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


static int s3_store_create_locked(const s3_store_t *st, s3_record_t *rec,
    const char *tmp);
static int s3_store_commit_locked(const s3_store_t *st, int fd,
    const char *tmp_path, s3_record_t *rec);
static void s3_store_part_checksum(const s3_record_t *rec,
    s3_store_part_info_t *info);


/* helpers */


int
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


int
s3_store_upload_record_path(char *path, const char *root,
    const s3_str_t *bucket, const char *id, int completed)
{
    if (s3_store_upload_path(path, root, bucket, id, completed, 0) != S3_OK) {
        return S3_ERR;
    }

    if (strlen(path) + sizeof("/" S3_PLACE_UPLOAD_RECORD) > PATH_MAX) {
        errno = ENAMETOOLONG;
        return S3_ERR;
    }

    strcat(path, "/" S3_PLACE_UPLOAD_RECORD);

    return S3_OK;
}


/* Creates path (O_EXCL) holding p; on failure nothing is left. */

int
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

int
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

int
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

    if (s3_store_upload_record_path(path, root, &b, id, 0) != S3_OK) {
        return S3_ERR;
    }

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
    unsigned char  rnd[(S3_UPLOAD_ID_LEN - S3_UPLOAD_ID_NODE_LEN) / 2];

    /* the node's id, then random (s3_upload_id_node()) */

    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        return S3_ERR;
    }

    snprintf(id, S3_UPLOAD_ID_NODE_LEN + 1, "%08x",
             (unsigned) st->node_id);
    *s3_hex_encode(id + S3_UPLOAD_ID_NODE_LEN, rnd, sizeof(rnd)) = '\0';

    rec->kind = S3_RECORD_UPLOAD;
    rec->upload_id.data = id;
    rec->upload_id.len = S3_UPLOAD_ID_LEN;
    rec->mtime_ms = s3_hlc_wall_ms();
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
    s3_record_t    up;
    unsigned char  buf[S3_STORE_UPLOAD_BUF];

    rc = s3_store_upload_of(st->root, &rec->bucket, &rec->key,
                            rec->upload_id.data, buf, sizeof(buf), &up);
    if (rc != S3_OK) {
        return rc;
    }

    rec->mtime_ms = s3_hlc_wall_ms();
    rec->origin = st->node_id;

    if (s3_store_append_record(fd, rec, st->fsync) != S3_OK
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


/* Returns the number a part file is named by, or 0 for another name. */

uint32_t
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


int
s3_store_abort_locked(const s3_store_t *st, const s3_str_t *bucket,
    const s3_str_t *key, const char *id)
{
    int                 rc;
    char                rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    char                cur[S3_UPLOAD_ID_LEN + 1];
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

    if (s3_store_upload_path(path, st->root, bucket, id, 0, 0) != S3_OK) {
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

    return s3_store_unpublish(st, path, 1);
}


/* list parts */


int
s3_store_list_parts(const char *root, const s3_str_t *bucket,
    const s3_str_t *id, uint32_t marker, s3_store_part_info_t *out,
    size_t max, size_t *n, int *truncated)
{
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

    s3_store_closedir(d);

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
        s3_store_part_checksum(&rec, &out[*n]);
        (*n)++;
    }

    return S3_OK;
}


/* the part's checksum, if its record has one that fits */
static void
s3_store_part_checksum(const s3_record_t *rec, s3_store_part_info_t *info)
{
    info->checksum = s3_cksum_algo(rec->checksum.data, rec->checksum.len);
    info->checksum_len = rec->checksum_value.len;

    if (info->checksum == S3_CKSUM_NONE
        || info->checksum_len > S3_CKSUM_B64_MAX_LEN)
    {
        info->checksum = S3_CKSUM_NONE;
        info->checksum_len = 0;
        return;
    }

    memcpy(info->checksum_value, rec->checksum_value.data,
           info->checksum_len);
}
