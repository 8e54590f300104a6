
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "s3_digest.h"
#include "s3_place.h"


static int s3_place_is_ipv4(const char *name, size_t len);
static int s3_place_has_suffix(const char *name, size_t len,
    const char *suffix);
static ssize_t s3_place_done(int n, size_t size);


int
s3_bucket_name_valid(const char *name, size_t len)
{
    size_t  i;
    char    c;

    if (len < S3_BUCKET_MIN_LEN || len > S3_BUCKET_MAX_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '.' || c == '-'))
        {
            return 0;
        }

        if (c == '.' && i > 0 && name[i - 1] == '.') {
            return 0;
        }
    }

    if (name[0] == '.' || name[0] == '-'
        || name[len - 1] == '.' || name[len - 1] == '-')
    {
        return 0;
    }

    if ((len >= 4 && memcmp(name, "xn--", 4) == 0)
        || s3_place_has_suffix(name, len, "-s3alias")
        || s3_place_has_suffix(name, len, "--ol-s3")
        || s3_place_is_ipv4(name, len))
    {
        return 0;
    }

    return 1;
}


static int
s3_place_has_suffix(const char *name, size_t len, const char *suffix)
{
    size_t  n;

    n = strlen(suffix);

    return len >= n && memcmp(name + len - n, suffix, n) == 0;
}


/* "d.d.d.d", four groups of 1 to 3 digits */

static int
s3_place_is_ipv4(const char *name, size_t len)
{
    size_t  i, digits, dots;

    digits = 0;
    dots = 0;

    for (i = 0; i < len; i++) {
        if (name[i] >= '0' && name[i] <= '9') {
            if (++digits > 3) {
                return 0;
            }

            continue;
        }

        if (name[i] != '.' || digits == 0) {
            return 0;
        }

        dots++;
        digits = 0;
    }

    return dots == 3 && digits > 0;
}


int
s3_access_key_valid(const char *ak, size_t len)
{
    size_t  i;
    char    c;

    if (len < S3_ACCESS_KEY_MIN_LEN || len > S3_ACCESS_KEY_MAX_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = ak[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')))
        {
            return 0;
        }
    }

    return 1;
}


static ssize_t
s3_place_done(int n, size_t size)
{
    if (n < 0 || (size_t) n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }

    return n;
}


ssize_t
s3_place_object(char *buf, size_t size, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len)
{
    char           hex[2 * S3_SHA256_LEN + 1];
    unsigned char  hash[S3_SHA256_LEN];

    if (!s3_bucket_name_valid(bucket, bucket_len)
        || key_len > S3_KEY_MAX_LEN)
    {
        errno = EINVAL;
        return -1;
    }

    s3_sha256(key, key_len, hash);
    *s3_hex_encode(hex, hash, S3_SHA256_LEN) = '\0';

    return s3_place_done(snprintf(buf, size,
                                  S3_PLACE_BUCKETS "/%.*s/" S3_PLACE_OBJECTS
                                  "/%.2s/%.2s/%s",
                                  (int) bucket_len, bucket, hex, hex + 2,
                                  hex),
                         size);
}


ssize_t
s3_place_bucket_dir(char *buf, size_t size, const char *bucket,
    size_t bucket_len)
{
    if (!s3_bucket_name_valid(bucket, bucket_len)) {
        errno = EINVAL;
        return -1;
    }

    return s3_place_done(snprintf(buf, size, S3_PLACE_BUCKETS "/%.*s",
                                  (int) bucket_len, bucket),
                         size);
}


ssize_t
s3_place_bucket_record(char *buf, size_t size, const char *bucket,
    size_t bucket_len)
{
    if (!s3_bucket_name_valid(bucket, bucket_len)) {
        errno = EINVAL;
        return -1;
    }

    return s3_place_done(snprintf(buf, size,
                                  S3_PLACE_BUCKETS "/%.*s/"
                                  S3_PLACE_BUCKET_RECORD,
                                  (int) bucket_len, bucket),
                         size);
}


int
s3_upload_id_valid(const char *id, size_t len)
{
    size_t  i;

    if (len != S3_UPLOAD_ID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
        {
            return 0;
        }
    }

    return 1;
}


int
s3_node_id_parse(const char *s, size_t len, uint32_t *id)
{
    unsigned char  b[4];

    if (len != 8 || s3_hex_decode(b, s, len) != S3_OK) {
        errno = EINVAL;
        return S3_ERR;
    }

    *id = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16
          | (uint32_t) b[2] << 8 | b[3];

    return S3_OK;
}


int
s3_upload_id_node(const char *id, size_t len, uint32_t *node)
{
    if (!s3_upload_id_valid(id, len)) {
        errno = EINVAL;
        return S3_ERR;
    }

    return s3_node_id_parse(id, S3_UPLOAD_ID_NODE_LEN, node);
}


ssize_t
s3_place_upload(char *buf, size_t size, const char *bucket,
    size_t bucket_len, const char *id, size_t id_len, int completed,
    uint32_t part)
{
    int          n;
    const char  *dir;

    if (!s3_bucket_name_valid(bucket, bucket_len)
        || !s3_upload_id_valid(id, id_len))
    {
        errno = EINVAL;
        return -1;
    }

    dir = completed ? S3_PLACE_PARTS : S3_PLACE_UPLOADS;

    if (part == 0) {
        n = snprintf(buf, size, S3_PLACE_BUCKETS "/%.*s/%s/%.*s",
                     (int) bucket_len, bucket, dir, (int) id_len, id);

    } else {
        n = snprintf(buf, size, S3_PLACE_BUCKETS "/%.*s/%s/%.*s/%u",
                     (int) bucket_len, bucket, dir, (int) id_len, id,
                     (unsigned) part);
    }

    return s3_place_done(n, size);
}


ssize_t
s3_place_user(char *buf, size_t size, const char *ak, size_t len)
{
    if (!s3_access_key_valid(ak, len)) {
        errno = EINVAL;
        return -1;
    }

    return s3_place_done(snprintf(buf, size, S3_PLACE_USERS "/%.*s",
                                  (int) len, ak),
                         size);
}
