
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <string.h>

#include "s3_record.h"


/* field tags; numbers are never reused */
#define S3_RECORD_TAG_SIZE        1
#define S3_RECORD_TAG_HLC         2
#define S3_RECORD_TAG_MTIME       3
#define S3_RECORD_TAG_ORIGIN      4
#define S3_RECORD_TAG_MD5         5
#define S3_RECORD_TAG_BUCKET      6
#define S3_RECORD_TAG_KEY         7
#define S3_RECORD_TAG_OWNER       8
#define S3_RECORD_TAG_USER        9
#define S3_RECORD_TAG_ACCESS_KEY  10
#define S3_RECORD_TAG_SECRET_KEY  11
#define S3_RECORD_TAG_HEADERS     12
#define S3_RECORD_TAG_UPLOAD_ID   13
#define S3_RECORD_TAG_PARTS       14
#define S3_RECORD_TAG_PART_NUMBER 15
#define S3_RECORD_TAG_CHECKSUM    16
#define S3_RECORD_TAG_ACL         17
#define S3_RECORD_TAG_CKSUM_VALUE 18
#define S3_RECORD_TAG_CKSUM_TYPE  19
#define S3_RECORD_TAG_TAGS        20
#define S3_RECORD_TAG_CORS        21
#define S3_RECORD_TAG_HOLDERS     22

#define S3_RECORD_FIELD_HEADER    6   /* u16 tag | u32 length */
#define S3_RECORD_BODY_HEADER     4   /* u16 format | u16 kind */


typedef struct {
    unsigned char    *p;
    unsigned char    *end;
} s3_record_buf_t;


static void s3_record_w16(unsigned char *p, uint16_t v);
static void s3_record_w32(unsigned char *p, uint32_t v);
static uint16_t s3_record_r16(const unsigned char *p);
static uint32_t s3_record_r32(const unsigned char *p);
static uint64_t s3_record_r64(const unsigned char *p);
static int s3_record_put(s3_record_buf_t *b, uint16_t tag, const void *data,
    size_t len);
static int s3_record_put_u64(s3_record_buf_t *b, uint16_t tag, uint64_t v);
static int s3_record_put_str(s3_record_buf_t *b, uint16_t tag,
    const s3_str_t *s);
static int s3_record_put_attrs(s3_record_buf_t *b, const s3_record_t *rec);
static int s3_record_fields(const unsigned char *p, size_t len,
    s3_record_t *rec);
static int s3_record_field(s3_record_t *rec, uint16_t tag,
    const unsigned char *p, uint32_t len);


static void
s3_record_w16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
}


static void
s3_record_w32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
    p[2] = (unsigned char) (v >> 16);
    p[3] = (unsigned char) (v >> 24);
}


static uint16_t
s3_record_r16(const unsigned char *p)
{
    return (uint16_t) (p[0] | p[1] << 8);
}


static uint32_t
s3_record_r32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8
           | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}


static uint64_t
s3_record_r64(const unsigned char *p)
{
    return (uint64_t) s3_record_r32(p) | (uint64_t) s3_record_r32(p + 4) << 32;
}


static int
s3_record_put(s3_record_buf_t *b, uint16_t tag, const void *data,
    size_t len)
{
    if ((size_t) (b->end - b->p) < S3_RECORD_FIELD_HEADER + len) {
        errno = ENOSPC;
        return S3_ERR;
    }

    s3_record_w16(b->p, tag);
    s3_record_w32(b->p + 2, (uint32_t) len);

    if (len != 0) {
        memcpy(b->p + S3_RECORD_FIELD_HEADER, data, len);
    }

    b->p += S3_RECORD_FIELD_HEADER + len;

    return S3_OK;
}


static int
s3_record_put_u64(s3_record_buf_t *b, uint16_t tag, uint64_t v)
{
    unsigned char  le[8];

    s3_record_w32(le, (uint32_t) v);
    s3_record_w32(le + 4, (uint32_t) (v >> 32));

    return s3_record_put(b, tag, le, 8);
}


static int
s3_record_put_str(s3_record_buf_t *b, uint16_t tag, const s3_str_t *s)
{
    if (s->len == 0) {
        return S3_OK;
    }

    return s3_record_put(b, tag, s->data, s->len);
}


/* the fields of multipart uploads and parts, checksums, ACL, tags, CORS */

static int
s3_record_put_attrs(s3_record_buf_t *b, const s3_record_t *rec)
{
    unsigned char  le[4];

    if (rec->part_number != 0) {
        s3_record_w32(le, rec->part_number);

        if (s3_record_put(b, S3_RECORD_TAG_PART_NUMBER, le, 4) != S3_OK) {
            return S3_ERR;
        }
    }

    if (rec->parts.len % S3_RECORD_PART_LEN != 0
        || rec->holders.len % S3_RECORD_HOLDER_LEN != 0)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    if (s3_record_put_str(b, S3_RECORD_TAG_UPLOAD_ID, &rec->upload_id)
        != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_PARTS, &rec->parts) != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_CHECKSUM, &rec->checksum)
           != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_ACL, &rec->acl) != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_CKSUM_VALUE,
                             &rec->checksum_value) != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_CKSUM_TYPE,
                             &rec->checksum_type) != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_TAGS, &rec->tags) != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_CORS, &rec->cors) != S3_OK
        || s3_record_put_str(b, S3_RECORD_TAG_HOLDERS, &rec->holders)
           != S3_OK)
    {
        return S3_ERR;
    }

    return S3_OK;
}


ssize_t
s3_record_encode(const s3_record_t *rec, unsigned char *buf, size_t size)
{
    size_t           body;
    unsigned char    origin[4];
    s3_record_buf_t  b;

    if (size < S3_RECORD_BODY_HEADER + S3_RECORD_TRAILER_LEN) {
        errno = ENOSPC;
        return -1;
    }

    /* the body may not use more than S3_RECORD_MAX_LEN bytes */

    b.p = buf + S3_RECORD_BODY_HEADER;
    b.end = buf + size - S3_RECORD_TRAILER_LEN;

    if (b.end > buf + S3_RECORD_MAX_LEN) {
        b.end = buf + S3_RECORD_MAX_LEN;
    }

    s3_record_w16(buf, S3_RECORD_FORMAT);
    s3_record_w16(buf + 2, (uint16_t) rec->kind);
    s3_record_w32(origin, rec->origin);

    if (s3_record_put_u64(&b, S3_RECORD_TAG_SIZE, rec->size) != S3_OK
        || s3_record_put_u64(&b, S3_RECORD_TAG_HLC, rec->hlc) != S3_OK
        || s3_record_put_u64(&b, S3_RECORD_TAG_MTIME, rec->mtime_ms) != S3_OK
        || s3_record_put(&b, S3_RECORD_TAG_ORIGIN, origin, 4) != S3_OK
        || s3_record_put(&b, S3_RECORD_TAG_MD5, rec->md5, S3_MD5_LEN)
           != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_BUCKET, &rec->bucket) != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_KEY, &rec->key) != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_OWNER, &rec->owner) != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_USER, &rec->user) != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_ACCESS_KEY, &rec->access_key)
           != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_SECRET_KEY, &rec->secret_key)
           != S3_OK
        || s3_record_put_str(&b, S3_RECORD_TAG_HEADERS, &rec->headers)
           != S3_OK
        || s3_record_put_attrs(&b, rec) != S3_OK)
    {
        return -1;
    }

    body = b.p - buf;

    memcpy(b.p, S3_RECORD_MAGIC, 8);
    s3_record_w32(b.p + 8, (uint32_t) body);
    s3_record_w32(b.p + 12, s3_crc32c(0, buf, body));

    return body + S3_RECORD_TRAILER_LEN;
}


int
s3_record_decode(const unsigned char *tail, size_t len, uint64_t file_size,
    s3_record_t *rec, size_t *need)
{
    uint32_t              body_len, crc;
    const unsigned char  *trailer, *body;

    if (len > file_size || file_size < S3_RECORD_TRAILER_LEN) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (len < S3_RECORD_TRAILER_LEN) {
        *need = S3_RECORD_TRAILER_LEN;
        return S3_AGAIN;
    }

    trailer = tail + len - S3_RECORD_TRAILER_LEN;
    body_len = s3_record_r32(trailer + 8);
    crc = s3_record_r32(trailer + 12);

    if (memcmp(trailer, S3_RECORD_MAGIC, 8) != 0
        || body_len < S3_RECORD_BODY_HEADER
        || body_len > S3_RECORD_MAX_LEN
        || (uint64_t) body_len + S3_RECORD_TRAILER_LEN > file_size)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    if (len < body_len + S3_RECORD_TRAILER_LEN) {
        *need = body_len + S3_RECORD_TRAILER_LEN;
        return S3_AGAIN;
    }

    body = trailer - body_len;

    if (s3_crc32c(0, body, body_len) != crc
        || s3_record_r16(body) != S3_RECORD_FORMAT)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    memset(rec, 0, sizeof(s3_record_t));
    rec->kind = (s3_record_kind_e) s3_record_r16(body + 2);

    if (s3_record_fields(body + S3_RECORD_BODY_HEADER,
                         body_len - S3_RECORD_BODY_HEADER, rec)
        != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    *need = body_len + S3_RECORD_TRAILER_LEN;

    return S3_OK;
}


static int
s3_record_fields(const unsigned char *p, size_t len, s3_record_t *rec)
{
    uint16_t  tag;
    uint32_t  flen;

    while (len > 0) {
        if (len < S3_RECORD_FIELD_HEADER) {
            return S3_ERR;
        }

        tag = s3_record_r16(p);
        flen = s3_record_r32(p + 2);

        p += S3_RECORD_FIELD_HEADER;
        len -= S3_RECORD_FIELD_HEADER;

        if (flen > len || s3_record_field(rec, tag, p, flen) != S3_OK) {
            return S3_ERR;
        }

        p += flen;
        len -= flen;
    }

    return S3_OK;
}


static int
s3_record_field(s3_record_t *rec, uint16_t tag, const unsigned char *p,
    uint32_t len)
{
    s3_str_t  *s;

    switch (tag) {

    case S3_RECORD_TAG_SIZE:
    case S3_RECORD_TAG_HLC:
    case S3_RECORD_TAG_MTIME:
        if (len != 8) {
            return S3_ERR;
        }

        if (tag == S3_RECORD_TAG_SIZE) {
            rec->size = s3_record_r64(p);

        } else if (tag == S3_RECORD_TAG_HLC) {
            rec->hlc = s3_record_r64(p);

        } else {
            rec->mtime_ms = s3_record_r64(p);
        }

        return S3_OK;

    case S3_RECORD_TAG_ORIGIN:
    case S3_RECORD_TAG_PART_NUMBER:
        if (len != 4) {
            return S3_ERR;
        }

        if (tag == S3_RECORD_TAG_ORIGIN) {
            rec->origin = s3_record_r32(p);

        } else {
            rec->part_number = s3_record_r32(p);
        }

        return S3_OK;

    case S3_RECORD_TAG_MD5:
        if (len != S3_MD5_LEN) {
            return S3_ERR;
        }

        memcpy(rec->md5, p, S3_MD5_LEN);
        return S3_OK;

    case S3_RECORD_TAG_BUCKET:
        s = &rec->bucket;
        break;

    case S3_RECORD_TAG_KEY:
        s = &rec->key;
        break;

    case S3_RECORD_TAG_OWNER:
        s = &rec->owner;
        break;

    case S3_RECORD_TAG_USER:
        s = &rec->user;
        break;

    case S3_RECORD_TAG_ACCESS_KEY:
        s = &rec->access_key;
        break;

    case S3_RECORD_TAG_SECRET_KEY:
        s = &rec->secret_key;
        break;

    case S3_RECORD_TAG_HEADERS:
        s = &rec->headers;
        break;

    case S3_RECORD_TAG_UPLOAD_ID:
        s = &rec->upload_id;
        break;

    case S3_RECORD_TAG_PARTS:
        if (len % S3_RECORD_PART_LEN != 0) {
            return S3_ERR;
        }

        s = &rec->parts;
        break;

    case S3_RECORD_TAG_CHECKSUM:
        s = &rec->checksum;
        break;

    case S3_RECORD_TAG_ACL:
        s = &rec->acl;
        break;

    case S3_RECORD_TAG_CKSUM_VALUE:
        s = &rec->checksum_value;
        break;

    case S3_RECORD_TAG_CKSUM_TYPE:
        s = &rec->checksum_type;
        break;

    case S3_RECORD_TAG_TAGS:
        s = &rec->tags;
        break;

    case S3_RECORD_TAG_CORS:
        s = &rec->cors;
        break;

    case S3_RECORD_TAG_HOLDERS:
        if (len % S3_RECORD_HOLDER_LEN != 0) {
            return S3_ERR;
        }

        s = &rec->holders;
        break;

    default:
        /* a field of a later version */
        return S3_OK;
    }

    s->data = (const char *) p;
    s->len = len;

    return S3_OK;
}


void
s3_record_part(const s3_record_t *rec, size_t i, uint32_t *number,
    uint64_t *size)
{
    const unsigned char  *p;

    p = (const unsigned char *) rec->parts.data + i * S3_RECORD_PART_LEN;

    *number = s3_record_r32(p);
    *size = s3_record_r64(p + 4);
}


uint32_t
s3_record_holder(const s3_record_t *rec, size_t i)
{
    return s3_record_r32((const unsigned char *) rec->holders.data
                         + i * S3_RECORD_HOLDER_LEN);
}


void
s3_record_set_holder(unsigned char *p, uint32_t node)
{
    s3_record_w32(p, node);
}


void
s3_record_set_part(unsigned char *p, uint32_t number, uint64_t size)
{
    s3_record_w32(p, number);
    s3_record_w32(p + 4, (uint32_t) size);
    s3_record_w32(p + 8, (uint32_t) (size >> 32));
}


int
s3_record_next_header(const s3_record_t *rec, size_t *pos, s3_str_t *name,
    s3_str_t *value)
{
    const char  *p, *end, *nul;

    if (*pos >= rec->headers.len) {
        return 0;
    }

    p = rec->headers.data + *pos;
    end = rec->headers.data + rec->headers.len;

    nul = memchr(p, '\0', end - p);
    if (nul == NULL) {
        *pos = rec->headers.len;
        return 0;
    }

    name->data = p;
    name->len = nul - p;

    p = nul + 1;

    nul = memchr(p, '\0', end - p);
    if (nul == NULL) {
        *pos = rec->headers.len;
        return 0;
    }

    value->data = p;
    value->len = nul - p;

    *pos = nul + 1 - rec->headers.data;

    return 1;
}


int
s3_record_add_header(char *buf, size_t *len, size_t size, const char *name,
    size_t name_len, const char *value, size_t value_len)
{
    char  *p;

    if (*len > size || size - *len < name_len + value_len + 2) {
        errno = ENOSPC;
        return S3_ERR;
    }

    p = buf + *len;

    memcpy(p, name, name_len);
    p += name_len;
    *p++ = '\0';

    memcpy(p, value, value_len);
    p += value_len;
    *p++ = '\0';

    *len = p - buf;

    return S3_OK;
}
