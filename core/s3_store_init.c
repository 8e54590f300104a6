
/*
 * Copyright (C) ngx_s3 developers
 *
 * The store's start-up: layout, FORMAT and node id, temp file sweep.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_place.h"
#include "s3_store_int.h"


#define S3_STORE_FORMAT_LEN   (sizeof(S3_STORE_FORMAT "\nnode 01234567\n") - 1)


static int s3_store_format(const char *root, uint32_t *node_id);
static int s3_store_format_read(const char *path, uint32_t *node_id);
static int s3_store_format_create(const char *root, const char *path);
static int s3_store_probe(const char *root);
static int s3_store_tmp_in_use(const char *name);


int
s3_store_init(const char *root, uint32_t *node_id)
{
    int          fd;
    size_t       i;
    char         path[PATH_MAX];
    struct stat  sb;

    static const char  *dirs[] = {
        S3_PLACE_TMP, S3_JOURNAL_DIR, S3_PLACE_USERS, S3_PLACE_BUCKETS
    };

    if (stat(root, &sb) == -1) {
        return S3_ERR;
    }

    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return S3_ERR;
    }

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (s3_store_path(path, root, dirs[i]) != S3_OK
            || s3_store_mkdir(path, 1) != S3_OK)
        {
            return S3_ERR;
        }
    }

    fd = s3_lock_open(root);
    if (fd == -1) {
        return S3_ERR;
    }

    (void) close(fd);

    if (s3_store_format(root, node_id) != S3_OK) {
        return S3_ERR;
    }

    return s3_store_probe(root);
}


static int
s3_store_format(const char *root, uint32_t *node_id)
{
    char  path[PATH_MAX];

    if (s3_store_path(path, root, S3_STORE_FORMAT_FILE) != S3_OK) {
        return S3_ERR;
    }

    if (s3_store_format_read(path, node_id) == S3_OK) {
        return S3_OK;
    }

    if (errno != ENOENT) {
        return S3_ERR;
    }

    if (s3_store_format_create(root, path) != S3_OK) {
        return S3_ERR;
    }

    return s3_store_format_read(path, node_id);
}


static int
s3_store_format_read(const char *path, uint32_t *node_id)
{
    int            fd;
    ssize_t   n;
    char      buf[S3_STORE_FORMAT_LEN + 1];

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return S3_ERR;
    }

    n = read(fd, buf, sizeof(buf));

    s3_store_close(fd);

    if (n == -1) {
        return S3_ERR;
    }

    if ((size_t) n != S3_STORE_FORMAT_LEN
        || memcmp(buf, S3_STORE_FORMAT "\nnode ",
                  sizeof(S3_STORE_FORMAT "\nnode ") - 1) != 0
        || buf[n - 1] != '\n'
        || s3_node_id_parse(buf + n - 9, 8, node_id) != S3_OK)
    {
        errno = EPROTO;
        return S3_ERR;
    }

    return S3_OK;
}


/*
 * Writes FORMAT through a temp file and link(), so that a crash never
 * leaves a torn FORMAT and two processes starting at once agree on one
 * node id.
 */

static int
s3_store_format_create(const char *root, const char *path)
{
    int       fd, n, rc;
    char      tmp[PATH_MAX], buf[S3_STORE_FORMAT_LEN + 1];
    uint32_t  id;

    if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
        return S3_ERR;
    }

    if (id == 0) {
        id = 1;
    }

    n = snprintf(buf, sizeof(buf), S3_STORE_FORMAT "\nnode %08x\n", id);

    if (s3_store_tmp_path(tmp, root) != S3_OK) {
        return S3_ERR;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return S3_ERR;
    }

    rc = s3_store_write_full(fd, (unsigned char *) buf, n, 0);

    if (rc == S3_OK && fsync(fd) == -1) {
        rc = S3_ERR;
    }

    s3_store_close(fd);

    if (rc == S3_OK && link(tmp, path) == -1 && errno != EEXIST) {
        rc = S3_ERR;
    }

    s3_store_remove_tree(AT_FDCWD, tmp, 0);

    if (rc != S3_OK) {
        return S3_ERR;
    }

    return s3_store_fsync_dir(root);
}


/* Creates and removes a file under tmp/ to surface EACCES or EROFS. */

static int
s3_store_probe(const char *root)
{
    int   fd;
    char  tmp[PATH_MAX];

    if (s3_store_tmp_path(tmp, root) != S3_OK) {
        return S3_ERR;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return S3_ERR;
    }

    (void) close(fd);

    if (unlink(tmp) == -1) {
        return S3_ERR;
    }

    return S3_OK;
}


/*
 * Our own temp files are named "s3.<pid>.<random>" (s3_store_tmp_path());
 * one whose process is alive belongs to a writer at work (s3ctl, repld)
 * and is left alone.  Every other name is nginx's request body temp file.
 */

static int
s3_store_tmp_in_use(const char *name)
{
    long   pid;
    char  *end;

    if (strncmp(name, "s3.", 3) != 0) {
        return 0;
    }

    pid = strtol(name + 3, &end, 10);

    if (end == name + 3 || *end != '.' || pid <= 0 || pid == (long) getpid())
    {
        return 0;
    }

    return kill((pid_t) pid, 0) == 0 || errno == EPERM;
}


int
s3_store_sweep_tmp(const char *root)
{
    int             n;
    DIR            *d;
    char            path[PATH_MAX];
    struct dirent  *de;

    if (s3_store_path(path, root, S3_PLACE_TMP) != S3_OK) {
        return -1;
    }

    d = opendir(path);
    if (d == NULL) {
        return -1;
    }

    n = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0
            || s3_store_tmp_in_use(de->d_name))
        {
            continue;
        }

        if (s3_store_remove_tree(dirfd(d), de->d_name, S3_STORE_TREE_DEPTH)
            != S3_OK)
        {
            s3_store_closedir(d);
            return -1;
        }

        n++;
    }

    (void) closedir(d);

    return n;
}
