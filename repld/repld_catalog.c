
/*
 * Copyright (C) ngx_s3 developers
 *
 * The catalog's database: opening and closing it, the cursors over its
 * flushed state, and the pending write batch with the in-memory overlay
 * that makes the getters see it (repld_catalog_get/set), its flush, scans
 * and the drop of a bucket's entries.  The keyspaces are
 * repld_catalog_keys.c and repld_catalog_upload.c.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <leveldb/c.h>

#include "repld_catalog_int.h"
#include "repld_event.h"
#include "repld_log.h"


#define REPLD_CATALOG_FORMAT_KEY   "mformat"
#define REPLD_CATALOG_FORMAT       "repld catalog 1"
#define REPLD_CATALOG_OLD_FORMAT   "format"
#define REPLD_CATALOG_CACHE        (32 * 1024 * 1024)
#define REPLD_CATALOG_WRITE_BUFFER (16 * 1024 * 1024)
#define REPLD_CATALOG_BLOOM_BITS   10
#define REPLD_CATALOG_TABLE_MIN    1024


typedef struct repld_over_s  repld_over_t;

/* A key changed by the pending batch: its new value, or its deletion. */
struct repld_over_s {
    repld_over_t             *next;
    uint32_t                  hash;
    uint32_t                  key_len;
    uint32_t                  value_len;
    uint32_t                  capacity;      /* value bytes allocated */
    int                       present;
    char                      data[];        /* key, then value */
};


struct repld_catalog_s {
    leveldb_t                *db;
    leveldb_cache_t          *cache;
    leveldb_filterpolicy_t   *filter;
    leveldb_readoptions_t    *ro;
    leveldb_writeoptions_t   *wo;
    leveldb_writebatch_t     *batch;
    repld_over_t            **table;
    size_t                    size;          /* table slots, power of 2 */
    size_t                    count;         /* keys in the overlay */
    size_t                    ops;           /* changes in the batch */
    repld_counts_t           *counts;
    repld_catalog_stats_t     stats;
};


struct repld_cursor_s {
    const leveldb_snapshot_t *snap;
    leveldb_t                *db;
    leveldb_readoptions_t    *ro;
    leveldb_iterator_t       *it;
    size_t                    prefix_len;
    char                      key[REPLD_CATALOG_KEY_MAX];
};


typedef struct {
    repld_catalog_t          *cat;
    uint64_t                  hlc;
    int64_t                   dropped;
} repld_drop_t;


static int repld_catalog_format(repld_catalog_t *cat, int *created);
static repld_over_t *repld_over_find(repld_catalog_t *cat, const char *key,
    size_t key_len, uint32_t hash);
static int repld_over_set(repld_catalog_t *cat, const char *key,
    size_t key_len, const char *value, size_t value_len, int present);
static int repld_over_grow(repld_catalog_t *cat);
static void repld_over_clear(repld_catalog_t *cat);
static uint32_t repld_catalog_hash(const char *p, size_t len);
static int repld_drop_entry(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_drop_key(repld_drop_t *d, const char *key, size_t key_len);
static int repld_catalog_error(const char *what, char *err);


repld_catalog_t *
repld_catalog_open(const char *path, int *created)
{
    char               *err;
    repld_catalog_t    *cat;
    leveldb_options_t  *opts;

    cat = calloc(1, sizeof(repld_catalog_t));
    if (cat == NULL) {
        repld_log(REPLD_LOG_ERR, "catalog: out of memory");
        return NULL;
    }

    cat->size = REPLD_CATALOG_TABLE_MIN;
    cat->table = calloc(cat->size, sizeof(repld_over_t *));
    cat->cache = leveldb_cache_create_lru(REPLD_CATALOG_CACHE);
    cat->filter = leveldb_filterpolicy_create_bloom(REPLD_CATALOG_BLOOM_BITS);
    cat->ro = leveldb_readoptions_create();
    cat->wo = leveldb_writeoptions_create();
    cat->batch = leveldb_writebatch_create();

    if (cat->table == NULL) {
        repld_log(REPLD_LOG_ERR, "catalog: out of memory");
        repld_catalog_close(cat);
        return NULL;
    }

    leveldb_writeoptions_set_sync(cat->wo, 1);

    opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(opts, 1);
    leveldb_options_set_cache(opts, cat->cache);
    leveldb_options_set_filter_policy(opts, cat->filter);
    leveldb_options_set_write_buffer_size(opts, REPLD_CATALOG_WRITE_BUFFER);

    err = NULL;
    cat->db = leveldb_open(opts, path, &err);
    leveldb_options_destroy(opts);

    if (err != NULL) {
        repld_log(REPLD_LOG_ERR, "cannot open the catalog \"%s\": %s", path,
                  err);
        leveldb_free(err);
        repld_catalog_close(cat);
        return NULL;
    }

    if (repld_catalog_format(cat, created) != 0) {
        repld_catalog_close(cat);
        return NULL;
    }

    cat->counts = repld_counts_load(cat);
    if (cat->counts == NULL) {
        repld_catalog_close(cat);
        return NULL;
    }

    return cat;
}


/*
 * Writes "m" "format" into a new catalog; the first version wrote a bare
 * "format" key, which is replaced.
 */

static int
repld_catalog_format(repld_catalog_t *cat, int *created)
{
    int      rc;
    char    *err, *value;
    size_t   len;

    err = NULL;
    value = leveldb_get(cat->db, cat->ro, REPLD_CATALOG_FORMAT_KEY,
                        sizeof(REPLD_CATALOG_FORMAT_KEY) - 1, &len, &err);
    if (err != NULL) {
        return repld_catalog_error("get", err);
    }

    if (value != NULL) {
        rc = (len == sizeof(REPLD_CATALOG_FORMAT) - 1
              && memcmp(value, REPLD_CATALOG_FORMAT, len) == 0) ? 0 : -1;

        if (rc != 0) {
            repld_log(REPLD_LOG_ERR, "catalog of another format \"%.*s\"",
                      (int) len, value);
        }

        leveldb_free(value);
        *created = 0;
        return rc;
    }

    value = leveldb_get(cat->db, cat->ro, REPLD_CATALOG_OLD_FORMAT,
                        sizeof(REPLD_CATALOG_OLD_FORMAT) - 1, &len, &err);
    if (err != NULL) {
        return repld_catalog_error("get", err);
    }

    *created = (value == NULL);
    leveldb_free(value);

    leveldb_writebatch_delete(cat->batch, REPLD_CATALOG_OLD_FORMAT,
                              sizeof(REPLD_CATALOG_OLD_FORMAT) - 1);
    leveldb_writebatch_put(cat->batch, REPLD_CATALOG_FORMAT_KEY,
                           sizeof(REPLD_CATALOG_FORMAT_KEY) - 1,
                           REPLD_CATALOG_FORMAT,
                           sizeof(REPLD_CATALOG_FORMAT) - 1);
    cat->ops += 2;

    return repld_catalog_flush(cat);
}


void
repld_catalog_close(repld_catalog_t *cat)
{
    repld_over_clear(cat);
    free(cat->table);
    repld_counts_free(cat->counts);

    if (cat->db != NULL) {
        leveldb_close(cat->db);
    }

    if (cat->batch != NULL) {
        leveldb_writebatch_destroy(cat->batch);
    }

    if (cat->ro != NULL) {
        leveldb_readoptions_destroy(cat->ro);
    }

    if (cat->wo != NULL) {
        leveldb_writeoptions_destroy(cat->wo);
    }

    if (cat->filter != NULL) {
        leveldb_filterpolicy_destroy(cat->filter);
    }

    if (cat->cache != NULL) {
        leveldb_cache_destroy(cat->cache);
    }

    free(cat);
}


/* The cursors: flushed state only, through a snapshot. */

repld_cursor_t *
repld_cursor_open(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len)
{
    return repld_cursor_open_type(cat, 'o', bucket, bucket_len);
}


repld_cursor_t *
repld_cursor_open_type(repld_catalog_t *cat, int type, const char *bucket,
    size_t bucket_len)
{
    repld_cursor_t  *c;

    if (bucket_len > REPLD_BUCKET_MAX) {
        errno = EINVAL;
        return NULL;
    }

    c = calloc(1, sizeof(repld_cursor_t));
    if (c == NULL) {
        return NULL;
    }

    c->db = cat->db;
    c->prefix_len = repld_catalog_key(c->key, type, bucket, bucket_len, "",
                                      0);

    c->ro = leveldb_readoptions_create();
    c->snap = leveldb_create_snapshot(cat->db);
    leveldb_readoptions_set_snapshot(c->ro, c->snap);
    c->it = leveldb_create_iterator(cat->db, c->ro);

    leveldb_iter_seek(c->it, c->key, c->prefix_len);

    return c;
}


void
repld_cursor_seek(repld_cursor_t *c, const char *key, size_t len)
{
    char  *buf;

    if (len <= REPLD_OBJECT_KEY_MAX) {
        memcpy(c->key + c->prefix_len, key, len);
        leveldb_iter_seek(c->it, c->key, c->prefix_len + len);
        return;
    }

    /* longer than any stored key, but it still orders the seek */

    buf = malloc(c->prefix_len + len);
    if (buf == NULL) {
        leveldb_iter_seek(c->it, c->key, c->prefix_len
                          + REPLD_OBJECT_KEY_MAX);
        return;
    }

    memcpy(buf, c->key, c->prefix_len);
    memcpy(buf + c->prefix_len, key, len);
    leveldb_iter_seek(c->it, buf, c->prefix_len + len);
    free(buf);
}


int
repld_cursor_valid(const repld_cursor_t *c)
{
    size_t       len;
    const char  *key;

    if (!leveldb_iter_valid(c->it)) {
        return 0;
    }

    key = leveldb_iter_key(c->it, &len);

    return len >= c->prefix_len && memcmp(key, c->key, c->prefix_len) == 0;
}


const char *
repld_cursor_key(const repld_cursor_t *c, size_t *len)
{
    const char  *key;

    key = leveldb_iter_key(c->it, len);
    *len -= c->prefix_len;

    return key + c->prefix_len;
}


int
repld_cursor_object(const repld_cursor_t *c, repld_object_t *obj)
{
    size_t       len;
    const char  *value;

    value = leveldb_iter_value(c->it, &len);

    return repld_catalog_decode_object(value, len, obj);
}


const char *
repld_cursor_value(const repld_cursor_t *c, size_t *len)
{
    return leveldb_iter_value(c->it, len);
}


void
repld_cursor_next(repld_cursor_t *c)
{
    leveldb_iter_next(c->it);
}


void
repld_cursor_close(repld_cursor_t *c)
{
    char  *err;

    err = NULL;
    leveldb_iter_get_error(c->it, &err);

    if (err != NULL) {
        (void) repld_catalog_error("listing", err);
    }

    leveldb_iter_destroy(c->it);
    leveldb_release_snapshot(c->db, c->snap);
    leveldb_readoptions_destroy(c->ro);
    free(c);
}


/*
 * The flushed entries are scanned, then the pending ones, which may be
 * new; a key seen twice is decided twice, with the same outcome.
 */

int64_t
repld_catalog_drop_bucket(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, uint64_t hlc)
{
    int            t;
    char           prefix[REPLD_CATALOG_KEY_MAX];

    static const char  types[] = "otux";

    size_t         i, plen;
    repld_over_t  *o;
    repld_drop_t   d;

    if (bucket_len > REPLD_BUCKET_MAX) {
        return 0;
    }

    d.cat = cat;
    d.hlc = hlc;
    d.dropped = 0;

    for (t = 0; types[t] != '\0'; t++) {
        plen = repld_catalog_key(prefix, types[t], bucket, bucket_len, "",
                                 0);

        if (repld_catalog_scan(cat, prefix, plen, NULL, 0, repld_drop_entry,
                               &d)
            == -1)
        {
            return -1;
        }

        /* deleting a key the overlay holds changes no chain */

        for (i = 0; i < cat->size; i++) {
            for (o = cat->table[i]; o != NULL; o = o->next) {
                if (o->present && o->key_len >= plen
                    && memcmp(o->data, prefix, plen) == 0
                    && repld_drop_key(&d, o->data, o->key_len) == -1)
                {
                    return -1;
                }
            }
        }
    }

    return d.dropped;
}


static int
repld_drop_entry(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    (void) value;
    (void) value_len;

    return (repld_drop_key(data, key, key_len) == -1) ? -1 : 0;
}


static int
repld_drop_key(repld_drop_t *d, const char *key, size_t key_len)
{
    int     rc;
    char    v[REPLD_VALUE_MAX];
    size_t  vlen;

    rc = repld_catalog_get(d->cat, key, key_len, v, sizeof(v), &vlen);

    if (rc != 1) {
        return rc;
    }

    if (vlen >= 8 && repld_get64(v) >= d->hlc) {
        return 0;
    }

    d->dropped++;

    return repld_catalog_set(d->cat, key, key_len, NULL, 0, 0);
}


int64_t
repld_catalog_scan(repld_catalog_t *cat, const char *prefix,
    size_t prefix_len, const char *after, size_t after_len,
    repld_catalog_scan_pt cb, void *data)
{
    int                  rc;
    char                *err;
    size_t               klen, vlen;
    int64_t              n;
    const char          *key, *value;
    leveldb_iterator_t  *it;

    it = leveldb_create_iterator(cat->db, cat->ro);

    if (after_len != 0) {
        leveldb_iter_seek(it, after, after_len);

        if (leveldb_iter_valid(it)) {
            key = leveldb_iter_key(it, &klen);

            if (klen == after_len && memcmp(key, after, klen) == 0) {
                leveldb_iter_next(it);
            }
        }

    } else {
        leveldb_iter_seek(it, prefix, prefix_len);
    }

    n = 0;
    rc = 0;

    while (rc == 0 && leveldb_iter_valid(it)) {
        key = leveldb_iter_key(it, &klen);

        if (klen < prefix_len || memcmp(key, prefix, prefix_len) != 0) {
            break;
        }

        value = leveldb_iter_value(it, &vlen);
        n++;

        rc = cb(key, klen, value, vlen, data);
        leveldb_iter_next(it);
    }

    err = NULL;
    leveldb_iter_get_error(it, &err);
    leveldb_iter_destroy(it);

    if (err != NULL) {
        return repld_catalog_error("scan", err);
    }

    return (rc == -1) ? -1 : n;
}


size_t
repld_catalog_pending(const repld_catalog_t *cat)
{
    return cat->ops;
}


int
repld_catalog_flush(repld_catalog_t *cat)
{
    char     *err;
    int64_t   start;

    if (cat->ops == 0) {
        return 0;
    }

    start = repld_time_us();

    err = NULL;
    leveldb_write(cat->db, cat->wo, cat->batch, &err);

    cat->stats.flush_us += repld_time_us() - start;

    leveldb_writebatch_clear(cat->batch);
    repld_over_clear(cat);

    if (cat->counts != NULL) {
        repld_counts_flushed(cat->counts, err == NULL);
    }

    if (err != NULL) {
        cat->stats.failures++;
        cat->ops = 0;
        return repld_catalog_error("write", err);
    }

    cat->stats.flushes++;
    cat->stats.writes += cat->ops;
    cat->ops = 0;

    return 0;
}


void
repld_catalog_stats(const repld_catalog_t *cat, repld_catalog_stats_t *stats)
{
    *stats = cat->stats;
}


/* Returns 1 (found), 0 (absent) or -1 (logged). */

int
repld_catalog_get(repld_catalog_t *cat, const char *key, size_t key_len,
    char *value, size_t size, size_t *len)
{
    char          *err, *v;
    size_t         vlen;
    repld_over_t  *o;

    o = repld_over_find(cat, key, key_len,
                        repld_catalog_hash(key, key_len));

    if (o != NULL) {
        if (!o->present || o->value_len > size) {
            return 0;
        }

        memcpy(value, o->data + o->key_len, o->value_len);
        *len = o->value_len;

        return 1;
    }

    err = NULL;
    v = leveldb_get(cat->db, cat->ro, key, key_len, &vlen, &err);

    if (err != NULL) {
        return repld_catalog_error("get", err);
    }

    if (v == NULL) {
        return 0;
    }

    if (vlen > size) {
        leveldb_free(v);
        return 0;
    }

    memcpy(value, v, vlen);
    *len = vlen;
    leveldb_free(v);

    return 1;
}


/* The counts see each change of an "o" or "u" key with its old value. */

int
repld_catalog_set(repld_catalog_t *cat, const char *key, size_t key_len,
    const char *value, size_t value_len, int present)
{
    int                   rc;
    char                  old[REPLD_VALUE_MAX];
    size_t                old_len;
    repld_count_change_t  ch;

    if (key_len != 0 && (key[0] == 'o' || key[0] == 'u')) {
        rc = repld_catalog_get(cat, key, key_len, old, sizeof(old),
                               &old_len);

        if (rc == -1
            || repld_counts_prepare(cat->counts, key, key_len,
                                    (rc == 1) ? old : NULL, old_len,
                                    present ? value : NULL, value_len, &ch)
               != 0)
        {
            return -1;
        }

    } else {
        memset(&ch, 0, sizeof(repld_count_change_t));
    }

    if (repld_over_set(cat, key, key_len, value, value_len, present) != 0) {
        return -1;
    }

    repld_counts_apply(cat->counts, &ch);

    return repld_catalog_set_unread(cat, key, key_len, value, value_len,
                                    present);
}


int
repld_catalog_set_unread(repld_catalog_t *cat, const char *key,
    size_t key_len, const char *value, size_t value_len, int present)
{
    if (present) {
        leveldb_writebatch_put(cat->batch, key, key_len, value, value_len);

    } else {
        leveldb_writebatch_delete(cat->batch, key, key_len);
    }

    cat->ops++;

    return 0;
}


static repld_over_t *
repld_over_find(repld_catalog_t *cat, const char *key, size_t key_len,
    uint32_t hash)
{
    repld_over_t  *o;

    for (o = cat->table[hash & (cat->size - 1)]; o != NULL; o = o->next) {
        if (o->hash == hash && o->key_len == key_len
            && memcmp(o->data, key, key_len) == 0)
        {
            return o;
        }
    }

    return NULL;
}


static int
repld_over_set(repld_catalog_t *cat, const char *key, size_t key_len,
    const char *value, size_t value_len, int present)
{
    size_t         slot;
    uint32_t       hash;
    repld_over_t  *o;

    hash = repld_catalog_hash(key, key_len);
    o = repld_over_find(cat, key, key_len, hash);

    if (o != NULL && o->capacity >= value_len) {
        if (value_len != 0) {
            memcpy(o->data + key_len, value, value_len);
        }

        o->value_len = value_len;
        o->present = present;
        return 0;
    }

    if (o == NULL && cat->count >= cat->size && repld_over_grow(cat) != 0) {
        return -1;
    }

    if (o == NULL) {
        o = malloc(sizeof(repld_over_t) + key_len + REPLD_VALUE_MAX);
        if (o == NULL) {
            return -1;
        }

        o->hash = hash;
        o->key_len = key_len;
        o->capacity = REPLD_VALUE_MAX;
        memcpy(o->data, key, key_len);

        slot = hash & (cat->size - 1);
        o->next = cat->table[slot];
        cat->table[slot] = o;
        cat->count++;
    }

    if (value_len > o->capacity) {
        errno = EINVAL;
        return -1;
    }

    if (value_len != 0) {
        memcpy(o->data + key_len, value, value_len);
    }

    o->value_len = value_len;
    o->present = present;

    return 0;
}


static int
repld_over_grow(repld_catalog_t *cat)
{
    size_t          i, size, slot;
    repld_over_t   *o, *next, **table;

    size = cat->size * 2;

    table = calloc(size, sizeof(repld_over_t *));
    if (table == NULL) {
        return -1;
    }

    for (i = 0; i < cat->size; i++) {
        for (o = cat->table[i]; o != NULL; o = next) {
            next = o->next;
            slot = o->hash & (size - 1);
            o->next = table[slot];
            table[slot] = o;
        }
    }

    free(cat->table);
    cat->table = table;
    cat->size = size;

    return 0;
}


static void
repld_over_clear(repld_catalog_t *cat)
{
    size_t          i;
    repld_over_t   *o, *next;

    if (cat->table == NULL || cat->count == 0) {
        return;
    }

    for (i = 0; i < cat->size; i++) {
        for (o = cat->table[i]; o != NULL; o = next) {
            next = o->next;
            free(o);
        }

        cat->table[i] = NULL;
    }

    cat->count = 0;
}


repld_counts_t *
repld_catalog_counts_of(repld_catalog_t *cat)
{
    return cat->counts;
}


/* FNV-1a */

static uint32_t
repld_catalog_hash(const char *p, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) p[i];
        h *= 16777619u;
    }

    return h;
}


static int
repld_catalog_error(const char *what, char *err)
{
    repld_log(REPLD_LOG_ERR, "catalog: leveldb %s failed: %s", what, err);
    leveldb_free(err);

    return -1;
}
