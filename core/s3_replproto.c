
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <string.h>

#include "s3_digest.h"
#include "s3_replproto.h"


static void s3_replproto_w16(unsigned char *p, uint16_t v);
static void s3_replproto_w32(unsigned char *p, uint32_t v);
static void s3_replproto_w64(unsigned char *p, uint64_t v);
static uint16_t s3_replproto_r16(const unsigned char *p);
static uint32_t s3_replproto_r32(const unsigned char *p);
static uint64_t s3_replproto_r64(const unsigned char *p);
static int s3_replproto_str(s3_replproto_iter_t *it, size_t width,
    size_t max, s3_str_t *s);


ssize_t
s3_replproto_encode(const s3_replproto_msg_t *msg, unsigned char *buf,
    size_t size)
{
    size_t  len;

    if (msg->type == S3_REPLPROTO_CHANGES) {
        len = S3_REPLPROTO_CHANGES_LEN;

    } else if (msg->type == S3_REPLPROTO_ACK) {
        len = S3_REPLPROTO_ACK_LEN;

    } else {
        errno = EINVAL;
        return -1;
    }

    if (size < len) {
        errno = ENOSPC;
        return -1;
    }

    memcpy(buf, S3_REPLPROTO_MAGIC, 4);
    buf[4] = S3_REPLPROTO_VERSION;
    buf[5] = (unsigned char) msg->type;
    s3_replproto_w16(buf + 6, 0);
    s3_replproto_w32(buf + 8, msg->sender);
    s3_replproto_w32(buf + 12, msg->cluster);
    s3_replproto_w32(buf + 16, msg->origin);
    s3_replproto_w64(buf + 20, msg->seq);

    if (msg->type == S3_REPLPROTO_CHANGES) {
        s3_replproto_w32(buf + 28, msg->count);
    }

    return len;
}


ssize_t
s3_replproto_encode_change(const s3_replproto_change_t *c,
    unsigned char *buf, size_t size)
{
    size_t          len;
    unsigned char  *p;

    if (!s3_replproto_op(c->op)
        || c->record.len > S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN)
    {
        errno = EINVAL;
        return -1;
    }

    if (c->name.len > S3_REPLPROTO_NAME_MAX
        || c->key.len > S3_REPLPROTO_KEY_MAX)
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    len = 1 + 8 + 4 + 2 + c->name.len + 2 + c->key.len + 4 + c->record.len;

    if (size < len) {
        errno = ENOSPC;
        return -1;
    }

    p = buf;
    *p++ = (unsigned char) c->op;
    s3_replproto_w64(p, c->hlc);
    s3_replproto_w32(p + 8, c->node);
    p += 12;

    s3_replproto_w16(p, (uint16_t) c->name.len);

    if (c->name.len != 0) {
        memcpy(p + 2, c->name.data, c->name.len);
    }

    p += 2 + c->name.len;

    s3_replproto_w16(p, (uint16_t) c->key.len);

    if (c->key.len != 0) {
        memcpy(p + 2, c->key.data, c->key.len);
    }

    p += 2 + c->key.len;

    s3_replproto_w32(p, (uint32_t) c->record.len);

    if (c->record.len != 0) {
        memcpy(p + 4, c->record.data, c->record.len);
    }

    return len;
}


int
s3_replproto_decode(const unsigned char *buf, size_t len,
    s3_replproto_msg_t *msg, s3_replproto_iter_t *it)
{
    if (len < S3_REPLPROTO_HEADER_LEN
        || memcmp(buf, S3_REPLPROTO_MAGIC, 4) != 0
        || buf[4] != S3_REPLPROTO_VERSION
        || s3_replproto_r16(buf + 6) != 0)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    memset(msg, 0, sizeof(s3_replproto_msg_t));
    msg->type = (s3_replproto_type_e) buf[5];
    msg->sender = s3_replproto_r32(buf + 8);
    msg->cluster = s3_replproto_r32(buf + 12);

    if (msg->type == S3_REPLPROTO_ACK && len == S3_REPLPROTO_ACK_LEN) {
        msg->origin = s3_replproto_r32(buf + 16);
        msg->seq = s3_replproto_r64(buf + 20);
        return S3_OK;
    }

    if (msg->type != S3_REPLPROTO_CHANGES || len < S3_REPLPROTO_CHANGES_LEN) {
        errno = EINVAL;
        return S3_ERR;
    }

    msg->origin = s3_replproto_r32(buf + 16);
    msg->seq = s3_replproto_r64(buf + 20);
    msg->count = s3_replproto_r32(buf + 28);

    it->p = buf + S3_REPLPROTO_CHANGES_LEN;
    it->end = buf + len;
    it->left = msg->count;

    return S3_OK;
}


int
s3_replproto_next(s3_replproto_iter_t *it, s3_replproto_change_t *c)
{
    uint32_t  rlen;

    if (it->left == 0) {
        if (it->p != it->end) {
            errno = EINVAL;
            return S3_ERR;
        }

        return S3_REPLPROTO_DONE;
    }

    if ((size_t) (it->end - it->p) < 1 + 8 + 4) {
        errno = EINVAL;
        return S3_ERR;
    }

    memset(c, 0, sizeof(s3_replproto_change_t));
    c->op = (s3_journal_op_e) it->p[0];
    c->hlc = s3_replproto_r64(it->p + 1);
    c->node = s3_replproto_r32(it->p + 9);
    it->p += 13;

    if (!s3_replproto_op(c->op)
        || s3_replproto_str(it, 2, S3_REPLPROTO_NAME_MAX, &c->name) != S3_OK
        || s3_replproto_str(it, 2, S3_REPLPROTO_KEY_MAX, &c->key) != S3_OK
        || (size_t) (it->end - it->p) < 4)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    rlen = s3_replproto_r32(it->p);

    if (rlen > S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN
        || s3_replproto_str(it, 4, rlen, &c->record) != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    it->left--;

    return S3_OK;
}


int
s3_replproto_op(s3_journal_op_e op)
{
    switch (op) {

    case S3_JOURNAL_PUT_OBJECT:
    case S3_JOURNAL_DELETE_OBJECT:
    case S3_JOURNAL_CREATE_BUCKET:
    case S3_JOURNAL_DELETE_BUCKET:
    case S3_JOURNAL_PUT_USER:
    case S3_JOURNAL_DELETE_USER:
        return 1;

    default:
        return 0;
    }
}


uint32_t
s3_replproto_cluster(const char *name, size_t len)
{
    return s3_crc32c(0, name, len);
}


/* a length of width bytes (2 or 4), then that many bytes, at most max */

static int
s3_replproto_str(s3_replproto_iter_t *it, size_t width, size_t max,
    s3_str_t *s)
{
    size_t  len;

    if ((size_t) (it->end - it->p) < width) {
        return S3_ERR;
    }

    len = (width == 2) ? s3_replproto_r16(it->p) : s3_replproto_r32(it->p);
    it->p += width;

    if (len > max || (size_t) (it->end - it->p) < len) {
        return S3_ERR;
    }

    s->data = (const char *) it->p;
    s->len = len;
    it->p += len;

    return S3_OK;
}


static void
s3_replproto_w16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
}


static void
s3_replproto_w32(unsigned char *p, uint32_t v)
{
    s3_replproto_w16(p, (uint16_t) v);
    s3_replproto_w16(p + 2, (uint16_t) (v >> 16));
}


static void
s3_replproto_w64(unsigned char *p, uint64_t v)
{
    s3_replproto_w32(p, (uint32_t) v);
    s3_replproto_w32(p + 4, (uint32_t) (v >> 32));
}


static uint16_t
s3_replproto_r16(const unsigned char *p)
{
    return (uint16_t) (p[0] | p[1] << 8);
}


static uint32_t
s3_replproto_r32(const unsigned char *p)
{
    return (uint32_t) s3_replproto_r16(p)
           | (uint32_t) s3_replproto_r16(p + 2) << 16;
}


static uint64_t
s3_replproto_r64(const unsigned char *p)
{
    return (uint64_t) s3_replproto_r32(p)
           | (uint64_t) s3_replproto_r32(p + 4) << 32;
}
