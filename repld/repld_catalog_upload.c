
/*
 * Copyright (C) ngx_s3 developers
 *
 * The catalog's multipart upload keyspaces: "u" (uploads in progress)
 * and "x" (ended uploads), keyed by bucket "\0" key "\0" upload id.
 */


#include <errno.h>
#include <string.h>

#include "repld_catalog_int.h"


#define REPLD_UPLOAD_VALUE_MIN  16


static size_t repld_upload_key(char *buf, int type, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id);
static int repld_upload_del(repld_catalog_t *cat, int type,
    const s3_str_t *bucket, const s3_str_t *key, const s3_str_t *id);
static int repld_upload_names_ok(const s3_str_t *bucket, const s3_str_t *key,
    const s3_str_t *id);


int
repld_catalog_upload_get(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id, repld_upload_t *u)
{
    int     rc;
    char    k[REPLD_CATALOG_KEY_MAX], v[REPLD_VALUE_MAX];
    size_t  klen, vlen;

    if (!repld_upload_names_ok(bucket, key, id)) {
        return 0;
    }

    klen = repld_upload_key(k, 'u', bucket, key, id);

    rc = repld_catalog_get(cat, k, klen, v, sizeof(v), &vlen);

    if (rc == 1 && repld_catalog_decode_upload(v, vlen, u) != 0) {
        return 0;
    }

    return rc;
}


int
repld_catalog_upload_put(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id, const repld_upload_t *u)
{
    char    k[REPLD_CATALOG_KEY_MAX], v[REPLD_VALUE_MAX];
    size_t  klen;

    if (!repld_upload_names_ok(bucket, key, id)
        || u->owner_len > REPLD_OWNER_MAX)
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_upload_key(k, 'u', bucket, key, id);

    repld_put64(v, u->hlc);
    repld_put64(v + 8, u->initiated_ms);
    memcpy(v + REPLD_UPLOAD_VALUE_MIN, u->owner, u->owner_len);

    return repld_catalog_set(cat, k, klen, v,
                             REPLD_UPLOAD_VALUE_MIN + u->owner_len, 1);
}


int
repld_catalog_upload_del(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id)
{
    return repld_upload_del(cat, 'u', bucket, key, id);
}


int
repld_catalog_upload_tomb_get(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id, uint64_t *hlc)
{
    char    k[REPLD_CATALOG_KEY_MAX];
    size_t  klen;

    if (!repld_upload_names_ok(bucket, key, id)) {
        return 0;
    }

    klen = repld_upload_key(k, 'x', bucket, key, id);

    return repld_catalog_get_u64(cat, k, klen, hlc);
}


int
repld_catalog_upload_tomb_put(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id, uint64_t hlc)
{
    char    k[REPLD_CATALOG_KEY_MAX];
    size_t  klen;

    if (!repld_upload_names_ok(bucket, key, id)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_upload_key(k, 'x', bucket, key, id);

    return repld_catalog_put_u64(cat, k, klen, hlc);
}


int
repld_catalog_upload_tomb_del(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id)
{
    return repld_upload_del(cat, 'x', bucket, key, id);
}


/* The bucket ends at the first NUL, the key at the last one. */

int
repld_catalog_split_upload_key(const char *ckey, size_t len,
    s3_str_t *bucket, s3_str_t *key, s3_str_t *id)
{
    const char  *first, *last;

    if (len < 3 || (ckey[0] != 'u' && ckey[0] != 'x')) {
        return -1;
    }

    first = memchr(ckey + 1, '\0', len - 1);
    last = memrchr(ckey + 1, '\0', len - 1);

    if (first == NULL || last == first || last == ckey + len - 1) {
        return -1;
    }

    bucket->data = ckey + 1;
    bucket->len = first - (ckey + 1);
    key->data = first + 1;
    key->len = last - (first + 1);
    id->data = last + 1;
    id->len = ckey + len - (last + 1);

    return 0;
}


int
repld_catalog_decode_upload(const char *value, size_t len,
    repld_upload_t *u)
{
    if (len < REPLD_UPLOAD_VALUE_MIN
        || len > REPLD_UPLOAD_VALUE_MIN + REPLD_OWNER_MAX)
    {
        return -1;
    }

    u->hlc = repld_get64(value);
    u->initiated_ms = repld_get64(value + 8);
    u->owner_len = len - REPLD_UPLOAD_VALUE_MIN;
    memcpy(u->owner, value + REPLD_UPLOAD_VALUE_MIN, u->owner_len);

    return 0;
}


repld_cursor_t *
repld_cursor_open_uploads(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len)
{
    return repld_cursor_open_type(cat, 'u', bucket, bucket_len);
}


int
repld_cursor_upload(const repld_cursor_t *c, repld_upload_t *u)
{
    size_t       len;
    const char  *value;

    value = repld_cursor_value(c, &len);

    return repld_catalog_decode_upload(value, len, u);
}


static size_t
repld_upload_key(char *buf, int type, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id)
{
    char  *p;

    p = buf;
    *p++ = (char) type;
    memcpy(p, bucket->data, bucket->len);
    p += bucket->len;
    *p++ = '\0';

    if (key->len) {
        memcpy(p, key->data, key->len);
        p += key->len;
    }

    *p++ = '\0';
    memcpy(p, id->data, id->len);
    p += id->len;

    return p - buf;
}


static int
repld_upload_del(repld_catalog_t *cat, int type, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id)
{
    char    k[REPLD_CATALOG_KEY_MAX];
    size_t  klen;

    if (!repld_upload_names_ok(bucket, key, id)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    klen = repld_upload_key(k, type, bucket, key, id);

    return repld_catalog_set(cat, k, klen, NULL, 0, 0);
}


static int
repld_upload_names_ok(const s3_str_t *bucket, const s3_str_t *key,
    const s3_str_t *id)
{
    return bucket->len <= REPLD_BUCKET_MAX
           && key->len <= REPLD_OBJECT_KEY_MAX
           && id->len != 0 && id->len <= REPLD_UPLOAD_ID_MAX
           && memchr(id->data, '\0', id->len) == NULL;
}
