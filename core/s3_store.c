
/*
 * Copyright (C) ngx_s3 developers
 *
 * Objects, and the helpers the other store files share (s3_store_int.h).
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
#include "s3_place.h"
#include "s3_store_int.h"


static int s3_store_cond_holds(const s3_store_cond_t *cond,
    const s3_record_t *rec);
static int s3_store_rename_into(const s3_store_t *st, const char *tmp,
    char *path);
static int s3_store_delete_locked(const s3_store_t *st,
    const s3_record_t *key, const char *path);
static int s3_store_read_tail(int dfd, const char *name, unsigned char *buf,
    size_t size, s3_record_t *rec, struct stat *sb, size_t *need);


/* helpers shared by the store files */


int
s3_store_path(char *path, const char *root, const char *rel)
{
    int  n;

    n = snprintf(path, PATH_MAX, "%s/%s", root, rel);

    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return S3_ERR;
    }

    return S3_OK;
}


void
s3_store_close(int fd)
{
    int  err;

    err = errno;
    (void) close(fd);
    errno = err;
}


void
s3_store_closedir(DIR *d)
{
    int  err;

    err = errno;
    (void) closedir(d);
    errno = err;
}


int
s3_store_fsync_dir(const char *path)
{
    int  fd, rc;

    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return S3_ERR;
    }

    rc = fsync(fd);

    s3_store_close(fd);

    return (rc == 0) ? S3_OK : S3_ERR;
}


int
s3_store_fsync_parent(const char *path)
{
    char        dir[PATH_MAX];
    const char  *slash;

    slash = strrchr(path, '/');

    if (slash == NULL || slash == path) {
        return s3_store_fsync_dir(slash == NULL ? "." : "/");
    }

    memcpy(dir, path, slash - path);
    dir[slash - path] = '\0';

    return s3_store_fsync_dir(dir);
}


int
s3_store_mkdir(const char *path, int sync)
{
    if (mkdir(path, 0700) == -1) {
        return (errno == EEXIST) ? S3_OK : S3_ERR;
    }

    if (sync) {
        return s3_store_fsync_parent(path);
    }

    return S3_OK;
}


int
s3_store_mkdir_p(char *path, size_t root_len, int sync)
{
    int    rc;
    char  *slash;

    if (mkdir(path, 0700) == 0) {
        return sync ? s3_store_fsync_parent(path) : S3_OK;
    }

    if (errno == EEXIST) {
        return S3_OK;
    }

    slash = strrchr(path, '/');

    if (errno != ENOENT || slash == NULL
        || (size_t) (slash - path) <= root_len)
    {
        return S3_ERR;
    }

    *slash = '\0';
    rc = s3_store_mkdir_p(path, root_len, sync);
    *slash = '/';

    if (rc != S3_OK) {
        return S3_ERR;
    }

    return s3_store_mkdir(path, sync);
}


int
s3_store_tmp_path(char *path, const char *root)
{
    int            n;
    char           hex[17];
    unsigned char  rnd[8];

    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        return S3_ERR;
    }

    *s3_hex_encode(hex, rnd, sizeof(rnd)) = '\0';

    n = snprintf(path, PATH_MAX, "%s/" S3_PLACE_TMP "/s3.%ld.%s", root,
                 (long) getpid(), hex);

    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_write_record_file(const s3_store_t *st, const s3_record_t *rec,
    char *tmp)
{
    int            fd;
    ssize_t        n;
    unsigned char  buf[S3_STORE_BUCKET_BUF];

    n = s3_record_encode(rec, buf, sizeof(buf));
    if (n == -1) {
        return S3_ERR;
    }

    if (s3_store_tmp_path(tmp, st->root) != S3_OK) {
        return S3_ERR;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return S3_ERR;
    }

    if (s3_store_write_full(fd, buf, n, 0) != S3_OK
        || (st->fsync && fsync(fd) == -1))
    {
        s3_store_close(fd);
        s3_store_remove_tree(AT_FDCWD, tmp, 0);
        return S3_ERR;
    }

    if (close(fd) == -1) {
        s3_store_remove_tree(AT_FDCWD, tmp, 0);
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_read_record_file(const char *path, unsigned char *buf,
    size_t size, s3_record_t *rec)
{
    size_t       need;
    struct stat  sb;

    return s3_store_read_tail(AT_FDCWD, path, buf, size, rec, &sb, &need);
}


int
s3_store_read_record_at(int dfd, const char *name, s3_record_kind_e kind,
    unsigned char *buf, size_t size, s3_record_t *rec, struct stat *sb)
{
    size_t  need;

    if (s3_store_read_tail(dfd, name, buf, size, rec, sb, &need) != S3_OK) {
        return S3_ERR;
    }

    /* bytes before the record, or another kind: not this kind's file */

    if (need != (uint64_t) sb->st_size || rec->kind != kind) {
        errno = EINVAL;
        return S3_ERR;
    }

    return S3_OK;
}


static int
s3_store_read_tail(int dfd, const char *name, unsigned char *buf,
    size_t size, s3_record_t *rec, struct stat *sb, size_t *need)
{
    int  fd, rc;

    fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return S3_ERR;
    }

    if (fstat(fd, sb) == -1) {
        s3_store_close(fd);
        return S3_ERR;
    }

    rc = s3_store_read_record(fd, sb->st_size, buf, size, rec, need);

    s3_store_close(fd);

    if (rc == S3_AGAIN) {
        errno = ENOBUFS;
        return S3_ERR;
    }

    return rc;
}


int
s3_store_publish(const s3_store_t *st, const char *tmp, const char *path)
{
    if (rename(tmp, path) == -1) {
        s3_store_remove_tree(AT_FDCWD, tmp, 0);
        return S3_ERR;
    }

    if (st->fsync) {
        return s3_store_fsync_parent(path);
    }

    return S3_OK;
}


int
s3_store_journal(const s3_store_t *st, const s3_journal_entry_t *e)
{
    if (st->journal == NULL) {
        return S3_OK;
    }

    return s3_journal_write(st->journal, e);
}


int
s3_store_unpublish(const s3_store_t *st, const char *path, int depth)
{
    char  tmp[PATH_MAX];

    if (s3_store_tmp_path(tmp, st->root) != S3_OK) {
        return S3_ERR;
    }

    if (rename(path, tmp) == -1) {
        return (errno == ENOENT) ? S3_OK : S3_ERR;
    }

    if (st->fsync && s3_store_fsync_parent(path) != S3_OK) {
        return S3_ERR;
    }

    /* what fails to go now is swept from tmp/ at the next start */

    (void) s3_store_remove_tree(AT_FDCWD, tmp, depth);

    return S3_OK;
}


int
s3_store_remove_tree(int dfd, const char *name, int depth)
{
    int             fd, rc;
    DIR            *d;
    struct dirent  *de;

    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT) {
        return S3_OK;
    }

    if (errno != EISDIR && errno != EPERM) {
        return S3_ERR;
    }

    if (depth <= 0) {
        errno = ELOOP;
        return S3_ERR;
    }

    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        return S3_ERR;
    }

    d = fdopendir(fd);
    if (d == NULL) {
        s3_store_close(fd);
        return S3_ERR;
    }

    rc = S3_OK;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (s3_store_remove_tree(dirfd(d), de->d_name, depth - 1) != S3_OK) {
            rc = S3_ERR;
            break;
        }
    }

    s3_store_closedir(d);

    if (rc != S3_OK) {
        return S3_ERR;
    }

    if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT) {
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_list(const char *root, const char *dir, s3_store_reader_pt reader,
    s3_store_record_pt cb, void *data)
{
    int             rc;
    DIR            *d;
    char            path[PATH_MAX];
    s3_record_t     rec;
    struct dirent  *de;
    unsigned char   buf[S3_STORE_BUCKET_BUF];

    if (s3_store_path(path, root, dir) != S3_OK) {
        return S3_ERR;
    }

    d = opendir(path);
    if (d == NULL) {
        return S3_ERR;
    }

    rc = S3_OK;

    for ( ;; ) {
        errno = 0;

        de = readdir(d);
        if (de == NULL) {
            rc = (errno == 0) ? S3_OK : S3_ERR;
            break;
        }

        if (de->d_name[0] == '.') {
            continue;
        }

        rc = reader(root, de->d_name, strlen(de->d_name), buf, sizeof(buf),
                    &rec);

        if (rc > S3_OK || (rc == S3_ERR && errno == EINVAL)) {
            continue;
        }

        if (rc == S3_OK) {
            rc = cb(&rec, data);
        }

        if (rc != S3_OK) {
            break;
        }
    }

    s3_store_closedir(d);

    return rc;
}


int
s3_store_write_full(int fd, const unsigned char *p, size_t len, off_t off)
{
    ssize_t  n;

    while (len > 0) {
        n = pwrite(fd, p, len, off);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            return S3_ERR;
        }

        p += n;
        len -= n;
        off += n;
    }

    return S3_OK;
}


int
s3_store_read_full(int fd, unsigned char *p, size_t len, off_t off)
{
    ssize_t  n;

    while (len > 0) {
        n = pread(fd, p, len, off);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            return S3_ERR;
        }

        if (n == 0) {
            /* the file is shorter than its size said: not ours */
            errno = EINVAL;
            return S3_ERR;
        }

        p += n;
        len -= n;
        off += n;
    }

    return S3_OK;
}


/* objects */


int
s3_store_put_object(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec)
{
    return s3_store_put_object_if(st, fd, tmp_path, rec, NULL);
}


int
s3_store_put_object_if(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec, const s3_store_cond_t *cond)
{
    int   lfd, rc;
    char  path[PATH_MAX];

    if (rec->kind != S3_RECORD_OBJECT) {
        errno = EINVAL;
        return S3_ERR;
    }

    lfd = s3_store_lock_object(st, rec, path);
    if (lfd == -1) {
        return S3_ERR;
    }

    rec->mtime_ms = s3_hlc_wall_ms();

    rc = s3_store_put_locked(st, fd, tmp_path, rec, path, cond);

    s3_store_close(lfd);

    return rc;
}


/*
 * Takes the key stripe of rec's object, whose file's path goes to
 * path[PATH_MAX].  Returns the lock's descriptor, or -1 with errno.
 */

int
s3_store_lock_object(const s3_store_t *st, const s3_record_t *rec,
    char *path)
{
    char  rel[S3_PLACE_MAX_LEN];

    if (s3_place_object(rel, sizeof(rel), rec->bucket.data, rec->bucket.len,
                        rec->key.data, rec->key.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return -1;
    }

    return s3_store_lock_key(st->root, &rec->bucket, &rec->key);
}


int
s3_store_put_locked(const s3_store_t *st, int fd, const char *tmp_path,
    s3_record_t *rec, char *path, const s3_store_cond_t *cond)
{
    int                 rc;
    char                tmp[PATH_MAX], old[S3_UPLOAD_ID_LEN + 1];
    uint64_t            floor;
    s3_journal_entry_t  e;

    rc = s3_store_bucket_exists(st->root, &rec->bucket);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_object_cond(path, cond, &floor, old);

    if (rc == S3_ERR || rc == S3_STORE_PRECONDITION
        || (rc == S3_STORE_NOT_FOUND && cond != NULL && cond->match))
    {
        return rc;
    }

    rec->hlc = s3_hlc_next(st->clock, floor);
    rec->origin = st->node_id;

    if (s3_store_append_record(fd, rec, st->fsync) != S3_OK) {
        return S3_ERR;
    }

    e.op = S3_JOURNAL_PUT_OBJECT;
    e.hlc = rec->hlc;
    e.size = rec->size;
    memcpy(e.md5, rec->md5, S3_MD5_LEN);
    e.bucket = rec->bucket;
    e.key = rec->key;

    if (s3_store_settle_parts(st, &rec->bucket, old, &rec->upload_id)
        != S3_OK
        || s3_store_journal(st, &e) != S3_OK)
    {
        return S3_ERR;
    }

    if (tmp_path[0] != '/') {
        if (s3_store_path(tmp, st->root, tmp_path) != S3_OK) {
            return S3_ERR;
        }

        tmp_path = tmp;
    }

    if (s3_store_rename_into(st, tmp_path, path) != S3_OK) {
        return S3_ERR;
    }

    if (st->fsync && s3_store_fsync_parent(path) != S3_OK) {
        return S3_ERR;
    }

    /* the parts of the multipart object this one replaced */

    s3_store_remove_parts(st, &rec->bucket, old, &rec->upload_id);

    return S3_OK;
}


/*
 * rename() into the fan-out directory obj/HH/HH, made when missing: they
 * exist for all but a bucket's first keys, so a PUT mostly costs no
 * mkdir() (a path walk and the parent's lock, for EEXIST).
 */

static int
s3_store_rename_into(const s3_store_t *st, const char *tmp, char *path)
{
    int    rc;
    char  *slash;

    if (rename(tmp, path) == 0) {
        return S3_OK;
    }

    if (errno != ENOENT) {
        return S3_ERR;
    }

    slash = strrchr(path, '/');

    *slash = '\0';
    rc = s3_store_mkdir_p(path, strlen(st->root), st->fsync);
    *slash = '/';

    if (rc != S3_OK || rename(tmp, path) == -1) {
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_lock_key(const char *root, const s3_str_t *bucket,
    const s3_str_t *key)
{
    int  fd;

    fd = s3_lock_open(root);
    if (fd == -1) {
        return -1;
    }

    if (s3_lock_bucket(fd, bucket->data, bucket->len, S3_LOCK_SHARED)
        != S3_OK
        || s3_lock_key(fd, bucket->data, bucket->len, key->data, key->len,
                       S3_LOCK_EXCLUSIVE)
           != S3_OK)
    {
        s3_store_close(fd);
        return -1;
    }

    return fd;
}


int
s3_store_bucket_exists(const char *root, const s3_str_t *bucket)
{
    char         rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    struct stat  sb;

    if (s3_place_bucket_record(rel, sizeof(rel), bucket->data, bucket->len)
        == -1
        || s3_store_path(path, root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    if (stat(path, &sb) == -1) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return S3_STORE_NO_BUCKET;
        }

        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_object_hlc(const char *path, uint64_t *hlc, char *upload_id)
{
    return s3_store_object_cond(path, NULL, hlc, upload_id);
}


int
s3_store_object_cond(const char *path, const s3_store_cond_t *cond,
    uint64_t *hlc, char *upload_id)
{
    s3_record_t    rec;
    unsigned char  buf[S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN];

    *hlc = 0;
    upload_id[0] = '\0';

    if (s3_store_read_record_file(path, buf, sizeof(buf), &rec) != S3_OK) {
        if (errno == ENOENT) {
            return S3_STORE_NOT_FOUND;
        }

        if (errno != EINVAL) {
            return S3_ERR;
        }

        /* a torn record: a version whose ETag is unknown */

        return (cond != NULL && (cond->none_match || cond->match))
               ? S3_STORE_PRECONDITION : S3_OK;
    }

    if (cond != NULL && !s3_store_cond_holds(cond, &rec)) {
        return S3_STORE_PRECONDITION;
    }

    *hlc = rec.hlc;

    if (rec.kind == S3_RECORD_OBJECT
        && s3_upload_id_valid(rec.upload_id.data, rec.upload_id.len))
    {
        memcpy(upload_id, rec.upload_id.data, S3_UPLOAD_ID_LEN);
        upload_id[S3_UPLOAD_ID_LEN] = '\0';
    }

    return S3_OK;
}


static int
s3_store_cond_holds(const s3_store_cond_t *cond, const s3_record_t *rec)
{
    if (cond->none_match) {
        return 0;
    }

    if (!cond->match || cond->match_any) {
        return 1;
    }

    return memcmp(cond->md5, rec->md5, S3_MD5_LEN) == 0
           && cond->nparts == s3_record_nparts(rec);
}


/* Appends the record after exactly rec->size bytes of data. */

int
s3_store_append_record(int fd, const s3_record_t *rec, int sync)
{
    ssize_t        n;
    struct stat    sb;
    unsigned char  buf[S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN];

    n = s3_record_encode(rec, buf, sizeof(buf));
    if (n == -1) {
        return S3_ERR;
    }

    if (fstat(fd, &sb) == -1) {
        return S3_ERR;
    }

    if ((uint64_t) sb.st_size < rec->size) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (ftruncate(fd, rec->size) == -1
        || s3_store_write_full(fd, buf, n, rec->size) != S3_OK
        || (sync && fsync(fd) == -1))
    {
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_delete_object(const s3_store_t *st, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len)
{
    int          lfd, rc;
    char         rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    s3_record_t  obj;

    if (s3_place_object(rel, sizeof(rel), bucket, bucket_len, key, key_len)
        == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    memset(&obj, 0, sizeof(s3_record_t));
    obj.bucket.data = bucket;
    obj.bucket.len = bucket_len;
    obj.key.data = key;
    obj.key.len = key_len;

    lfd = s3_store_lock_key(st->root, &obj.bucket, &obj.key);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_delete_locked(st, &obj, path);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_delete_locked(const s3_store_t *st, const s3_record_t *key,
    const char *path)
{
    int                 rc;
    char                old[S3_UPLOAD_ID_LEN + 1];
    uint64_t            floor;
    s3_journal_entry_t  e;

    rc = s3_store_bucket_exists(st->root, &key->bucket);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_object_hlc(path, &floor, old);
    if (rc != S3_OK) {
        return rc;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_DELETE_OBJECT;
    e.hlc = s3_hlc_next(st->clock, floor);
    e.bucket = key->bucket;
    e.key = key->key;

    if (s3_store_settle_parts(st, &key->bucket, old, NULL) != S3_OK
        || s3_store_journal(st, &e) != S3_OK)
    {
        return S3_ERR;
    }

    if (unlink(path) == -1) {
        return S3_ERR;
    }

    if (st->fsync && s3_store_fsync_parent(path) != S3_OK) {
        return S3_ERR;
    }

    s3_store_remove_parts(st, &key->bucket, old, NULL);

    return S3_OK;
}


int
s3_store_read_record(int fd, uint64_t file_size, unsigned char *buf,
    size_t size, s3_record_t *rec, size_t *need)
{
    int     rc;
    size_t  n;

    n = S3_RECORD_READ_LEN;

    if (n > size) {
        n = size;
    }

    if (n > file_size) {
        n = file_size;
    }

    for ( ;; ) {
        if (s3_store_read_full(fd, buf, n, file_size - n) != S3_OK) {
            return S3_ERR;
        }

        rc = s3_record_decode(buf, n, file_size, rec, need);

        if (rc != S3_AGAIN || *need > size || *need <= n) {
            return rc;
        }

        n = *need;
    }
}

