
/*
 * Copyright (C) ngx_s3 developers
 *
 * The catalog's keyspaces of buckets ("b"), objects ("o"), tombstones
 * ("t") and journal offsets ("j"), and the big-endian integers of their
 * values.  The uploads' keyspaces are repld_catalog_upload.c.
 */


#include <errno.h>
#include <string.h>

#include "repld_catalog_int.h"
#include "repld_log.h"


#define REPLD_OBJECT_VALUE_LEN     (8 + 8 + 8 + S3_MD5_LEN)


static int repld_catalog_name_get(repld_catalog_t *cat, int type,
    const char *bucket, size_t bucket_len, const char *key, size_t key_len,
    uint64_t *v);
static int repld_catalog_name_put(repld_catalog_t *cat, int type,
    const char *bucket, size_t bucket_len, const char *key, size_t key_len,
    uint64_t v);
static int repld_catalog_name_del(repld_catalog_t *cat, int type,
    const char *bucket, size_t bucket_len, const char *key, size_t key_len);
static int repld_catalog_names_ok(size_t bucket_len, size_t key_len);


int
repld_catalog_bucket(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, char *owner, size_t size)
{
    int             rc;
    size_t          n;
    repld_bucket_t  b;

    rc = repld_catalog_bucket_get(cat, bucket, bucket_len, &b);

    if (rc == 1 && size > 0) {
        n = (b.owner_len < size - 1) ? b.owner_len : size - 1;
        memcpy(owner, b.owner, n);
        owner[n] = '\0';
    }

    return rc;
}


/* Objects, tombstones, buckets and journal offsets. */

int
repld_catalog_object_get(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, repld_object_t *obj)
{
    int     rc;
    char    k[REPLD_CATALOG_KEY_MAX], v[REPLD_VALUE_MAX];
    size_t  klen, vlen;

    if (!repld_catalog_names_ok(bucket_len, key_len)) {
        return 0;
    }

    klen = repld_catalog_key(k, 'o', bucket, bucket_len, key, key_len);

    rc = repld_catalog_get(cat, k, klen, v, sizeof(v), &vlen);

    if (rc == 1 && repld_catalog_decode_object(v, vlen, obj) != 0) {
        repld_log(REPLD_LOG_WARN, "catalog: damaged object entry of "
                  "\"%.*s\", ignored", (int) bucket_len, bucket);
        return 0;
    }

    return rc;
}


int
repld_catalog_object_put(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len,
    const repld_object_t *obj)
{
    char    k[REPLD_CATALOG_KEY_MAX], v[REPLD_OBJECT_VALUE_LEN + 4];
    size_t  klen;

    if (!repld_catalog_names_ok(bucket_len, key_len)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_catalog_key(k, 'o', bucket, bucket_len, key, key_len);

    repld_put64(v, obj->hlc);
    repld_put64(v + 8, obj->size);
    repld_put64(v + 16, obj->mtime_ms);
    memcpy(v + 24, obj->md5, S3_MD5_LEN);

    if (obj->parts == 0) {
        return repld_catalog_set(cat, k, klen, v, REPLD_OBJECT_VALUE_LEN, 1);
    }

    repld_put32(v + REPLD_OBJECT_VALUE_LEN, obj->parts);

    return repld_catalog_set(cat, k, klen, v, sizeof(v), 1);
}


int
repld_catalog_object_del(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len)
{
    return repld_catalog_name_del(cat, 'o', bucket, bucket_len, key, key_len);
}


int
repld_catalog_tombstone_get(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, uint64_t *hlc)
{
    return repld_catalog_name_get(cat, 't', bucket, bucket_len, key, key_len,
                                  hlc);
}


int
repld_catalog_tombstone_put(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, uint64_t hlc)
{
    return repld_catalog_name_put(cat, 't', bucket, bucket_len, key, key_len,
                                  hlc);
}


int
repld_catalog_tombstone_del(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len)
{
    return repld_catalog_name_del(cat, 't', bucket, bucket_len, key, key_len);
}


int
repld_catalog_bucket_get(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, repld_bucket_t *b)
{
    int     rc;
    char    k[REPLD_CATALOG_KEY_MAX], v[REPLD_VALUE_MAX];
    size_t  klen, vlen;

    if (!repld_catalog_names_ok(bucket_len, 0)) {
        return 0;
    }

    klen = repld_catalog_key(k, 'b', bucket, bucket_len, NULL, 0);

    rc = repld_catalog_get(cat, k, klen, v, sizeof(v), &vlen);

    if (rc == 1) {
        if (vlen < 8) {
            return 0;
        }

        b->hlc = repld_get64(v);
        b->owner_len = vlen - 8;
        memcpy(b->owner, v + 8, vlen - 8);
    }

    return rc;
}


int
repld_catalog_bucket_put(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const repld_bucket_t *b)
{
    char    k[REPLD_CATALOG_KEY_MAX], v[REPLD_VALUE_MAX];
    size_t  klen;

    if (!repld_catalog_names_ok(bucket_len, 0)
        || b->owner_len > REPLD_OWNER_MAX)
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_catalog_key(k, 'b', bucket, bucket_len, NULL, 0);
    repld_put64(v, b->hlc);
    memcpy(v + 8, b->owner, b->owner_len);

    return repld_catalog_set(cat, k, klen, v, 8 + b->owner_len, 1);
}


int
repld_catalog_bucket_del(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len)
{
    return repld_catalog_name_del(cat, 'b', bucket, bucket_len, NULL, 0);
}


int
repld_catalog_offset_get(repld_catalog_t *cat, const char *name, size_t len,
    uint64_t *offset)
{
    return repld_catalog_name_get(cat, 'j', name, len, NULL, 0, offset);
}


int
repld_catalog_offset_put(repld_catalog_t *cat, const char *name, size_t len,
    uint64_t offset)
{
    return repld_catalog_name_put(cat, 'j', name, len, NULL, 0, offset);
}


int
repld_catalog_offset_del(repld_catalog_t *cat, const char *name, size_t len)
{
    return repld_catalog_name_del(cat, 'j', name, len, NULL, 0);
}


/*
 * The entries of a bucket, or of a key in a bucket (key NULL: none), whose
 * value is one u64.
 */

static int
repld_catalog_name_get(repld_catalog_t *cat, int type, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, uint64_t *v)
{
    char    k[REPLD_CATALOG_KEY_MAX];
    size_t  klen;

    if (!repld_catalog_names_ok(bucket_len, key_len)) {
        return 0;
    }

    klen = repld_catalog_key(k, type, bucket, bucket_len, key, key_len);

    return repld_catalog_get_u64(cat, k, klen, v);
}


static int
repld_catalog_name_put(repld_catalog_t *cat, int type, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, uint64_t v)
{
    char    k[REPLD_CATALOG_KEY_MAX];
    size_t  klen;

    if (!repld_catalog_names_ok(bucket_len, key_len)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_catalog_key(k, type, bucket, bucket_len, key, key_len);

    return repld_catalog_put_u64(cat, k, klen, v);
}


static int
repld_catalog_name_del(repld_catalog_t *cat, int type, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len)
{
    char    k[REPLD_CATALOG_KEY_MAX];
    size_t  klen;

    if (!repld_catalog_names_ok(bucket_len, key_len)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_catalog_key(k, type, bucket, bucket_len, key, key_len);

    return repld_catalog_set(cat, k, klen, NULL, 0, 0);
}


/* A value of 8 bytes: as repld_catalog_get(); another length is absent. */

int
repld_catalog_get_u64(repld_catalog_t *cat, const char *key, size_t key_len,
    uint64_t *v)
{
    int     rc;
    char    value[REPLD_VALUE_MAX];
    size_t  len;

    rc = repld_catalog_get(cat, key, key_len, value, sizeof(value), &len);

    if (rc == 1) {
        if (len != 8) {
            return 0;
        }

        *v = repld_get64(value);
    }

    return rc;
}


int
repld_catalog_put_u64(repld_catalog_t *cat, const char *key, size_t key_len,
    uint64_t v)
{
    char  value[8];

    repld_put64(value, v);

    return repld_catalog_set(cat, key, key_len, value, sizeof(value), 1);
}


int
repld_catalog_split_key(const char *ckey, size_t len, s3_str_t *bucket,
    s3_str_t *key)
{
    const char  *nul;

    if (len < 2 || (ckey[0] != 'o' && ckey[0] != 't')) {
        return -1;
    }

    nul = memchr(ckey + 1, '\0', len - 1);
    if (nul == NULL) {
        return -1;
    }

    bucket->data = ckey + 1;
    bucket->len = nul - (ckey + 1);
    key->data = nul + 1;
    key->len = len - (nul + 1 - ckey);

    return 0;
}


int
repld_catalog_decode_object(const char *value, size_t len,
    repld_object_t *obj)
{
    if (len != REPLD_OBJECT_VALUE_LEN && len != REPLD_OBJECT_VALUE_LEN + 4) {
        return -1;
    }

    obj->hlc = repld_get64(value);
    obj->size = repld_get64(value + 8);
    obj->mtime_ms = repld_get64(value + 16);
    memcpy(obj->md5, value + 24, S3_MD5_LEN);
    obj->parts = (len == REPLD_OBJECT_VALUE_LEN)
                 ? 0 : repld_get32(value + REPLD_OBJECT_VALUE_LEN);

    return 0;
}


size_t
repld_catalog_key(char *buf, int type, const char *bucket, size_t bucket_len,
    const char *key, size_t key_len)
{
    char  *p;

    p = buf;
    *p++ = (char) type;
    memcpy(p, bucket, bucket_len);
    p += bucket_len;

    if (key != NULL) {
        *p++ = '\0';
        memcpy(p, key, key_len);
        p += key_len;
    }

    return p - buf;
}


static int
repld_catalog_names_ok(size_t bucket_len, size_t key_len)
{
    return bucket_len <= REPLD_BUCKET_MAX && key_len <= REPLD_OBJECT_KEY_MAX;
}


void
repld_put64(char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (char) (v & 0xff);
        v >>= 8;
    }
}


uint64_t
repld_get64(const char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | (unsigned char) p[i];
    }

    return v;
}


void
repld_put32(char *p, uint32_t v)
{
    p[0] = (char) (v >> 24);
    p[1] = (char) (v >> 16);
    p[2] = (char) (v >> 8);
    p[3] = (char) v;
}


uint32_t
repld_get32(const char *p)
{
    return (uint32_t) (unsigned char) p[0] << 24
           | (uint32_t) (unsigned char) p[1] << 16
           | (uint32_t) (unsigned char) p[2] << 8
           | (uint32_t) (unsigned char) p[3];
}
