
/*
 * Copyright (C) ngx_s3 developers
 *
 * The change stream's keyspaces of the catalog: the outbound log ("n",
 * "q") and the cursors of peers ("p") and origins ("r").
 */


#include <string.h>

#include "repld_catalog_int.h"


#define REPLD_LOG_KEY_LEN     9         /* "q" u64 */
#define REPLD_LOG_VALUE_MAX   (1 + 8 + 2 + REPLD_BUCKET_MAX              \
                               + REPLD_OBJECT_KEY_MAX)


typedef struct {
    repld_catalog_log_pt    cb;
    void                   *data;
} repld_log_scan_t;


static void repld_catalog_log_key(char *k, uint64_t seq);
static int repld_catalog_log_entry(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);


int
repld_catalog_log_append(repld_catalog_t *cat, int op, uint64_t hlc,
    const s3_str_t *name, const s3_str_t *key, uint64_t *seq)
{
    char      k[REPLD_LOG_KEY_LEN], v[REPLD_LOG_VALUE_MAX];
    size_t    len;
    uint64_t  last;

    if (name->len > REPLD_BUCKET_MAX || key->len > REPLD_OBJECT_KEY_MAX
        || repld_catalog_log_last(cat, &last) != 0)
    {
        return -1;
    }

    *seq = last + 1;

    v[0] = (char) op;
    repld_put64(v + 1, hlc);
    v[9] = (char) (name->len >> 8);
    v[10] = (char) name->len;
    memcpy(v + 11, name->data, name->len);
    len = 11 + name->len;

    if (key->len != 0) {
        memcpy(v + len, key->data, key->len);
        len += key->len;
    }

    repld_catalog_log_key(k, *seq);

    if (repld_catalog_put_u64(cat, "n", 1, *seq) != 0) {
        return -1;
    }

    return repld_catalog_set_unread(cat, k, sizeof(k), v, len, 1);
}


int
repld_catalog_log_last(repld_catalog_t *cat, uint64_t *seq)
{
    int  rc;

    rc = repld_catalog_get_u64(cat, "n", 1, seq);

    if (rc == 0) {
        *seq = 0;
    }

    return (rc == -1) ? -1 : 0;
}


int64_t
repld_catalog_log_scan(repld_catalog_t *cat, uint64_t after,
    repld_catalog_log_pt cb, void *data)
{
    char              k[REPLD_LOG_KEY_LEN];
    repld_log_scan_t  s;

    s.cb = cb;
    s.data = data;

    repld_catalog_log_key(k, after);

    return repld_catalog_scan(cat, "q", 1, k, sizeof(k),
                              repld_catalog_log_entry, &s);
}


static int
repld_catalog_log_entry(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    size_t             nlen;
    repld_logged_t     c;
    repld_log_scan_t  *s;

    s = data;

    if (key_len != REPLD_LOG_KEY_LEN || value_len < 11) {
        return -1;
    }

    nlen = (size_t) (unsigned char) value[9] << 8
           | (unsigned char) value[10];

    if (nlen > value_len - 11) {
        return -1;
    }

    c.seq = repld_get64(key + 1);
    c.op = (unsigned char) value[0];
    c.hlc = repld_get64(value + 1);
    c.name.data = value + 11;
    c.name.len = nlen;
    c.key.data = value + 11 + nlen;
    c.key.len = value_len - 11 - nlen;

    return s->cb(&c, s->data);
}


int
repld_catalog_log_trim(repld_catalog_t *cat, uint64_t from, uint64_t to)
{
    char  k[REPLD_LOG_KEY_LEN];

    for ( /* void */ ; from <= to; from++) {
        repld_catalog_log_key(k, from);

        if (repld_catalog_set_unread(cat, k, sizeof(k), NULL, 0, 0) != 0) {
            return -1;
        }
    }

    return 0;
}


int
repld_catalog_cursor_get(repld_catalog_t *cat, int type, uint32_t node,
    uint64_t *seq)
{
    int   rc;
    char  k[5];

    k[0] = (char) type;
    repld_put32(k + 1, node);

    rc = repld_catalog_get_u64(cat, k, sizeof(k), seq);

    if (rc == 0) {
        *seq = 0;
    }

    return (rc == -1) ? -1 : 0;
}


int
repld_catalog_cursor_put(repld_catalog_t *cat, int type, uint32_t node,
    uint64_t seq)
{
    char  k[5];

    k[0] = (char) type;
    repld_put32(k + 1, node);

    return repld_catalog_put_u64(cat, k, sizeof(k), seq);
}


static void
repld_catalog_log_key(char *k, uint64_t seq)
{
    k[0] = 'q';
    repld_put64(k + 1, seq);
}
