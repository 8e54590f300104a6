
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "s3_admin.h"
#include "s3_listproto.h"


static int s3_admin_connect(const char *data, int timeout_ms);
static int s3_admin_read(int fd, char *buf, size_t len);


ssize_t
s3_admin_ask(const char *data, const char *cmd, char *buf, size_t size,
    int timeout_ms, unsigned *status)
{
    int       fd, err;
    char      req[S3_LISTPROTO_HEADER_LEN + S3_LISTPROTO_STATUS_LEN + 256];
    size_t    len;
    ssize_t   n;
    s3_str_t  c;

    c.data = cmd;
    c.len = strlen(cmd);

    n = s3_listproto_encode_admin(req, sizeof(req), &c);
    if (n == -1) {
        return -1;
    }

    fd = s3_admin_connect(data, timeout_ms);
    if (fd == -1) {
        return -1;
    }

    len = 0;

    if (write(fd, req, n) != n
        || s3_admin_read(fd, req, S3_LISTPROTO_HEADER_LEN) != 0)
    {
        goto failed;
    }

    len = s3_listproto_frame_len(req);

    if (len < S3_LISTPROTO_STATUS_LEN) {
        errno = EPROTO;
        goto failed;
    }

    if (len - S3_LISTPROTO_STATUS_LEN > size) {
        errno = EMSGSIZE;
        goto failed;
    }

    if (s3_admin_read(fd, req, S3_LISTPROTO_STATUS_LEN) != 0
        || s3_admin_read(fd, buf, len - S3_LISTPROTO_STATUS_LEN) != 0)
    {
        goto failed;
    }

    *status = s3_listproto_status(req);
    close(fd);

    return len - S3_LISTPROTO_STATUS_LEN;

failed:

    err = errno;
    close(fd);
    errno = err;

    return -1;
}


static int
s3_admin_connect(const char *data, int timeout_ms)
{
    int                 fd, n;
    struct timeval      tv;
    struct sockaddr_un  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;

    n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", data,
                 S3_LISTPROTO_LIST_SOCK);
    if (n < 0 || (size_t) n >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }

    /* a repld that accepts but never answers must not hang the caller */

    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1
        || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1
        || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1)
    {
        n = errno;
        close(fd);
        errno = n;
        return -1;
    }

    return fd;
}


/* Reads exactly len bytes: 0, or -1 (errno EPROTO for an early end). */

static int
s3_admin_read(int fd, char *buf, size_t len)
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
            errno = EPROTO;
        }

        return -1;
    }

    return 0;
}
