
/*
 * Copyright (C) ngx_s3 developers
 *
 * Users: users/<access key> holds a record with the name, the access key
 * and the secret.  Changes hold the user byte of the lock file, so a name
 * is checked and taken in one step.
 */


#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_place.h"
#include "s3_store_int.h"


static int s3_store_add_locked(const s3_store_t *st, const s3_record_t *rec,
    const char *path);
static int s3_store_same_name(const s3_record_t *rec, void *data);


int
s3_store_add_user(const s3_store_t *st, const char *name, size_t name_len,
    const char *ak, size_t ak_len, const char *sk, size_t sk_len)
{
    int          lfd, rc;
    char         rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    s3_record_t  rec;

    if (name_len == 0 || sk_len == 0
        || s3_place_user(rel, sizeof(rel), ak, ak_len) == -1)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    if (s3_store_path(path, st->root, rel) != S3_OK) {
        return S3_ERR;
    }

    memset(&rec, 0, sizeof(s3_record_t));
    rec.kind = S3_RECORD_USER;
    rec.user.data = name;
    rec.user.len = name_len;
    rec.access_key.data = ak;
    rec.access_key.len = ak_len;
    rec.secret_key.data = sk;
    rec.secret_key.len = sk_len;

    lfd = s3_store_lock_users(st);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_add_locked(st, &rec, path);

    s3_store_close(lfd);

    return rc;
}


int
s3_store_lock_users(const s3_store_t *st)
{
    int  fd;

    fd = s3_lock_open(st->root);
    if (fd == -1) {
        return -1;
    }

    if (s3_lock_users(fd, S3_LOCK_EXCLUSIVE) != S3_OK) {
        s3_store_close(fd);
        return -1;
    }

    return fd;
}


static int
s3_store_add_locked(const s3_store_t *st, const s3_record_t *rec,
    const char *path)
{
    int                 rc;
    char                tmp[PATH_MAX];
    s3_record_t         user;
    struct stat         sb;
    s3_journal_entry_t  e;

    if (stat(path, &sb) == 0) {
        return S3_STORE_USER_EXISTS;
    }

    if (errno != ENOENT) {
        return S3_ERR;
    }

    rc = s3_store_list_users(st->root, s3_store_same_name,
                             (void *) &rec->user);
    if (rc != S3_OK) {
        return rc;
    }

    user = *rec;
    user.hlc = s3_hlc_next(st->clock, 0);
    user.mtime_ms = s3_hlc_wall_ms();
    user.origin = st->node_id;

    if (s3_store_write_record_file(st, &user, tmp) != S3_OK) {
        return S3_ERR;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_PUT_USER;
    e.hlc = user.hlc;
    e.bucket = user.access_key;

    if (s3_store_journal(st, &e) != S3_OK) {
        (void) unlink(tmp);
        return S3_ERR;
    }

    return s3_store_publish(st, tmp, path);
}


static int
s3_store_same_name(const s3_record_t *rec, void *data)
{
    const s3_str_t  *name = data;

    if (rec->user.len == name->len
        && memcmp(rec->user.data, name->data, name->len) == 0)
    {
        return S3_STORE_USER_EXISTS;
    }

    return S3_OK;
}


int
s3_store_remove_user(const s3_store_t *st, const char *ak, size_t len)
{
    int       lfd, rc;
    char      rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    s3_str_t  key;

    if (s3_place_user(rel, sizeof(rel), ak, len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    key.data = ak;
    key.len = len;

    lfd = s3_store_lock_users(st);
    if (lfd == -1) {
        return S3_ERR;
    }

    rc = s3_store_remove_user_locked(st, &key, path);

    s3_store_close(lfd);

    return rc;
}


int
s3_store_remove_user_locked(const s3_store_t *st, const s3_str_t *ak,
    const char *path)
{
    s3_record_t         rec;
    s3_journal_entry_t  e;
    unsigned char       buf[S3_RECORD_READ_LEN];

    if (s3_store_read_record_file(path, buf, sizeof(buf), &rec) != S3_OK) {
        if (errno == ENOENT) {
            return S3_STORE_NOT_FOUND;
        }

        if (errno != EINVAL) {
            return S3_ERR;
        }

        /* a torn user file is removed all the same */
        rec.hlc = 0;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_DELETE_USER;
    e.hlc = s3_hlc_next(st->clock, rec.hlc);
    e.bucket = *ak;

    if (s3_store_journal(st, &e) != S3_OK) {
        return S3_ERR;
    }

    if (unlink(path) == -1) {
        return S3_ERR;
    }

    if (st->fsync) {
        return s3_store_fsync_parent(path);
    }

    return S3_OK;
}


int
s3_store_read_user(const char *root, const char *ak, size_t len,
    unsigned char *buf, size_t size, s3_record_t *rec)
{
    char         rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    struct stat  sb;

    if (s3_place_user(rel, sizeof(rel), ak, len) == -1
        || s3_store_path(path, root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    if (s3_store_read_record_at(AT_FDCWD, path, S3_RECORD_USER, buf, size,
                                rec, &sb)
        != S3_OK)
    {
        return (errno == ENOENT) ? S3_STORE_NOT_FOUND : S3_ERR;
    }

    return S3_OK;
}


int
s3_store_list_users(const char *root, s3_store_record_pt cb, void *data)
{
    return s3_store_list(root, S3_PLACE_USERS, s3_store_read_user, cb, data);
}
