
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl cluster status: an admin request (s3_listproto.h) on the listing
 * socket of the data directory's repld, whose answer is printed as it
 * comes.  repld renders it: s3ctl links neither hiredis nor nanomsg, and
 * knows nothing of Redis.
 */


#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "s3_listproto.h"

#include "s3ctl.h"


#define S3CTL_CLUSTER_TIMEOUT   5            /* seconds */
#define S3CTL_CLUSTER_MAX       (1024 * 1024)


static int s3ctl_cluster_connect(const char *path);
static int s3ctl_cluster_read(int fd, char *buf, size_t len);


int
s3ctl_cluster(const char *data, int argc, char **argv)
{
    int  json;

    if (argc < 1 || strcmp(argv[0], "status") != 0 || argc > 2) {
        fprintf(stderr, "s3ctl: usage: cluster status [--json]\n");
        return S3CTL_USAGE;
    }

    json = 0;

    if (argc == 2) {
        if (strcmp(argv[1], "--json") != 0) {
            fprintf(stderr, "s3ctl: unknown option \"%s\"\n", argv[1]);
            return S3CTL_USAGE;
        }

        json = 1;
    }

    return s3ctl_admin(data, json ? "cluster status json"
                                  : "cluster status");
}


int
s3ctl_admin(const char *data, const char *cmd)
{
    int       fd, rc;
    char      path[PATH_MAX], req[64], head[S3_LISTPROTO_HEADER_LEN], *body;
    size_t    len;
    ssize_t   n;
    s3_str_t  c;
    unsigned  status;

    n = snprintf(path, sizeof(path), "%s/%s", data, S3_LISTPROTO_LIST_SOCK);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        return s3ctl_fail("data directory path too long");
    }

    fd = s3ctl_cluster_connect(path);
    if (fd == -1) {
        return s3ctl_fail("cannot reach repld at %s: %s", path,
                          strerror(errno));
    }

    c.data = cmd;
    c.len = strlen(cmd);
    n = s3_listproto_encode_admin(req, sizeof(req), &c);

    if (n == -1 || write(fd, req, n) != n
        || s3ctl_cluster_read(fd, head, sizeof(head)) != 0)
    {
        rc = s3ctl_fail("repld at %s did not answer: %s", path,
                        errno ? strerror(errno) : "connection closed");
        close(fd);
        return rc;
    }

    len = s3_listproto_frame_len(head);

    if (len < S3_LISTPROTO_STATUS_LEN || len > S3CTL_CLUSTER_MAX) {
        close(fd);
        return s3ctl_fail("repld at %s answered a frame of %zu bytes", path,
                          len);
    }

    body = malloc(len);
    if (body == NULL) {
        close(fd);
        return s3ctl_fail("out of memory");
    }

    if (s3ctl_cluster_read(fd, body, len) != 0) {
        rc = s3ctl_fail("repld at %s did not answer: %s", path,
                        errno ? strerror(errno) : "connection closed");

    } else {
        status = s3_listproto_status(body);
        fwrite(body + S3_LISTPROTO_STATUS_LEN, 1,
               len - S3_LISTPROTO_STATUS_LEN,
               status == 200 ? stdout : stderr);
        rc = (status == 200) ? S3CTL_OK : S3CTL_FAIL;
    }

    free(body);
    close(fd);

    return rc;
}


static int
s3ctl_cluster_connect(const char *path)
{
    int                 fd;
    struct timeval      tv;
    struct sockaddr_un  sa;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }

    /* a repld that accepts but never answers must not hang scripts */

    tv.tv_sec = S3CTL_CLUSTER_TIMEOUT;
    tv.tv_usec = 0;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1
        || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1
        || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1)
    {
        close(fd);
        return -1;
    }

    return fd;
}


/* Reads exactly len bytes: 0, or -1 (errno 0 for an early end). */

static int
s3ctl_cluster_read(int fd, char *buf, size_t len)
{
    ssize_t  n;

    while (len > 0) {
        n = read(fd, buf, len);

        if (n > 0) {
            buf += n;
            len -= n;
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == 0) {
            errno = 0;
        }

        return -1;
    }

    return 0;
}
