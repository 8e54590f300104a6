
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "s3_maintenance.h"


static int s3_maintenance_path(char *buf, size_t size, const char *root,
    const char *suffix);


int
s3_maintenance_get(const char *root, char *msg, size_t size, size_t *len)
{
    int      fd, err;
    char     path[PATH_MAX];
    ssize_t  n;

    if (s3_maintenance_path(path, sizeof(path), root, "") != S3_OK) {
        return -1;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return (errno == ENOENT) ? 0 : -1;
    }

    n = read(fd, msg, size);
    err = errno;
    close(fd);

    if (n == -1) {
        errno = err;
        return -1;
    }

    *len = n;

    return 1;
}


int
s3_maintenance_set(const char *root, const char *msg, size_t len)
{
    int      fd, err;
    char     path[PATH_MAX], tmp[PATH_MAX];
    ssize_t  n;

    if (len > S3_MAINTENANCE_MAX) {
        errno = EMSGSIZE;
        return S3_ERR;
    }

    if (s3_maintenance_path(path, sizeof(path), root, "") != S3_OK
        || s3_maintenance_path(tmp, sizeof(tmp), root, ".new") != S3_OK)
    {
        return S3_ERR;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        return S3_ERR;
    }

    n = write(fd, msg, len);

    if (n != (ssize_t) len || fsync(fd) == -1) {
        err = (n >= 0 && n != (ssize_t) len) ? EIO : errno;
        close(fd);
        (void) unlink(tmp);
        errno = err;
        return S3_ERR;
    }

    if (close(fd) == -1 || rename(tmp, path) == -1) {
        err = errno;
        (void) unlink(tmp);
        errno = err;
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_maintenance_clear(const char *root)
{
    char  path[PATH_MAX];

    if (s3_maintenance_path(path, sizeof(path), root, "") != S3_OK) {
        return S3_ERR;
    }

    if (unlink(path) == -1 && errno != ENOENT) {
        return S3_ERR;
    }

    return S3_OK;
}


static int
s3_maintenance_path(char *buf, size_t size, const char *root,
    const char *suffix)
{
    int  n;

    n = snprintf(buf, size, "%s/%s%s", root, S3_MAINTENANCE_FILE, suffix);

    if (n < 0 || (size_t) n >= size) {
        errno = ENAMETOOLONG;
        return S3_ERR;
    }

    return S3_OK;
}
