
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <string.h>

#include "s3_listproto.h"


static char *s3_listproto_put_str(char *p, const s3_str_t *s);
static int s3_listproto_get_str(s3_str_t *s, const unsigned char **pp,
    const unsigned char *last);


ssize_t
s3_listproto_encode_request(char *buf, size_t size,
    const s3_listproto_request_t *req)
{
    char    *p;
    size_t   len;

    if (req->bucket.len > 0xffff || req->owner.len > 0xffff
        || req->request_id.len > 0xffff || req->query.len > 0xffff)
    {
        errno = EMSGSIZE;
        return -1;
    }

    len = 1 + 2 + req->bucket.len + 2 + req->owner.len
          + 2 + req->request_id.len + 2 + req->query.len;

    if (len > S3_LISTPROTO_MAX_REQUEST) {
        errno = EMSGSIZE;
        return -1;
    }

    if (buf == NULL) {
        return (ssize_t) (S3_LISTPROTO_HEADER_LEN + len);
    }

    if (size < S3_LISTPROTO_HEADER_LEN + len) {
        errno = ENOSPC;
        return -1;
    }

    p = s3_listproto_put_frame_len(buf, (uint32_t) len);
    *p++ = S3_LISTPROTO_VERSION;
    p = s3_listproto_put_str(p, &req->bucket);
    p = s3_listproto_put_str(p, &req->owner);
    p = s3_listproto_put_str(p, &req->request_id);
    p = s3_listproto_put_str(p, &req->query);

    return p - buf;
}


static char *
s3_listproto_put_str(char *p, const s3_str_t *s)
{
    *p++ = (char) (s->len & 0xff);
    *p++ = (char) (s->len >> 8);

    if (s->len) {
        memcpy(p, s->data, s->len);
    }

    return p + s->len;
}


int
s3_listproto_decode_request(s3_listproto_request_t *req,
    const char *payload, size_t len)
{
    const unsigned char  *p, *last;

    p = (const unsigned char *) payload;
    last = p + len;

    if (len < 1 || *p++ != S3_LISTPROTO_VERSION
        || s3_listproto_get_str(&req->bucket, &p, last) != S3_OK
        || s3_listproto_get_str(&req->owner, &p, last) != S3_OK
        || s3_listproto_get_str(&req->request_id, &p, last) != S3_OK
        || s3_listproto_get_str(&req->query, &p, last) != S3_OK
        || p != last)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    return S3_OK;
}


static int
s3_listproto_get_str(s3_str_t *s, const unsigned char **pp,
    const unsigned char *last)
{
    size_t                n;
    const unsigned char  *p;

    p = *pp;

    if (last - p < 2) {
        return S3_ERR;
    }

    n = (size_t) p[0] | (size_t) p[1] << 8;
    p += 2;

    if ((size_t) (last - p) < n) {
        return S3_ERR;
    }

    s->len = n;
    s->data = (const char *) p;
    *pp = p + n;

    return S3_OK;
}


ssize_t
s3_listproto_encode_admin(char *buf, size_t size, const s3_str_t *cmd)
{
    char    *p;
    size_t   len;

    len = 1 + 2 + cmd->len;

    if (cmd->len > 0xffff || len > S3_LISTPROTO_MAX_REQUEST) {
        errno = EMSGSIZE;
        return -1;
    }

    if (size < S3_LISTPROTO_HEADER_LEN + len) {
        errno = ENOSPC;
        return -1;
    }

    p = s3_listproto_put_frame_len(buf, (uint32_t) len);
    *p++ = S3_LISTPROTO_ADMIN;
    p = s3_listproto_put_str(p, cmd);

    return p - buf;
}


int
s3_listproto_decode_admin(s3_str_t *cmd, const char *payload, size_t len)
{
    const unsigned char  *p, *last;

    p = (const unsigned char *) payload;
    last = p + len;

    if (len < 1 || *p++ != S3_LISTPROTO_ADMIN
        || s3_listproto_get_str(cmd, &p, last) != S3_OK
        || p != last)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    return S3_OK;
}


uint32_t
s3_listproto_frame_len(const char *p)
{
    const unsigned char  *u = (const unsigned char *) p;

    return (uint32_t) u[0] | (uint32_t) u[1] << 8 | (uint32_t) u[2] << 16
           | (uint32_t) u[3] << 24;
}


char *
s3_listproto_put_frame_len(char *p, uint32_t len)
{
    *p++ = (char) (len & 0xff);
    *p++ = (char) ((len >> 8) & 0xff);
    *p++ = (char) ((len >> 16) & 0xff);
    *p++ = (char) (len >> 24);

    return p;
}


unsigned
s3_listproto_status(const char *p)
{
    const unsigned char  *u = (const unsigned char *) p;

    return (unsigned) u[0] | (unsigned) u[1] << 8;
}


char *
s3_listproto_put_status(char *p, unsigned status)
{
    *p++ = (char) (status & 0xff);
    *p++ = (char) ((status >> 8) & 0xff);

    return p;
}
