
/*
 * Copyright (C) ngx_s3 developers
 *
 * The catalog's counts: objects and bytes per bucket (the "o" entries)
 * and the uploads in progress (the "u" entries), so that a metrics scrape
 * reads them instead of scanning the catalog on repld's only thread.
 *
 * They are kept in memory, not in the catalog: one scan at open counts
 * what is durable, and each "o" or "u" change then adds its difference
 * to the pending figures of its bucket, which a flush folds in when
 * LevelDB took the batch and drops when it refused it.  So the counts
 * follow exactly what was written, a crash loses nothing (the next start
 * counts again), and no catalog format change or migration is needed; a
 * start-up costs one scan (about a second per million objects, logged).
 */


#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "repld_catalog_int.h"
#include "repld_event.h"
#include "repld_log.h"


#define REPLD_COUNTS_NOTICE    10000


struct repld_count_s {
    uint64_t          objects;       /* written */
    uint64_t          bytes;
    int64_t           pending_objects;   /* of the pending batch */
    int64_t           pending_bytes;
    size_t            len;
    char              name[REPLD_BUCKET_MAX];
};


struct repld_counts_s {
    repld_count_t    *buckets;       /* sorted by name */
    size_t            n;
    size_t            capacity;
    uint64_t          uploads;
    int64_t           pending_uploads;
};


static int repld_counts_scan_object(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_counts_scan_upload(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_counts_object(const char *key, size_t key_len,
    const char *value, size_t value_len, s3_str_t *bucket, uint64_t *size);
static repld_count_t *repld_counts_bucket(repld_counts_t *c,
    const s3_str_t *bucket);
static size_t repld_counts_find(const repld_counts_t *c,
    const s3_str_t *bucket, int *found);


repld_counts_t *
repld_counts_load(repld_catalog_t *cat)
{
    int64_t          start, objects;
    repld_counts_t  *c;

    c = calloc(1, sizeof(repld_counts_t));
    if (c == NULL) {
        repld_log(REPLD_LOG_ERR, "catalog: out of memory");
        return NULL;
    }

    start = repld_time_us();

    objects = repld_catalog_scan(cat, "o", 1, NULL, 0,
                                 repld_counts_scan_object, c);

    if (objects == -1
        || repld_catalog_scan(cat, "u", 1, NULL, 0,
                              repld_counts_scan_upload, c)
           == -1)
    {
        repld_log(REPLD_LOG_ERR, "catalog: cannot count the objects");
        repld_counts_free(c);
        return NULL;
    }

    /* as a journal catch-up: a count that can take a while at notice */

    repld_log((objects >= REPLD_COUNTS_NOTICE) ? REPLD_LOG_NOTICE
                                               : REPLD_LOG_INFO,
              "catalog: counted %lld objects of %zu buckets in %lld ms",
              (long long) objects, c->n,
              (long long) (repld_time_us() - start) / 1000);

    return c;
}


void
repld_counts_free(repld_counts_t *c)
{
    if (c != NULL) {
        free(c->buckets);
        free(c);
    }
}


static int
repld_counts_scan_object(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    repld_counts_t *c = data;

    uint64_t        size;
    s3_str_t        bucket;
    repld_count_t  *b;

    if (!repld_counts_object(key, key_len, value, value_len, &bucket,
                             &size))
    {
        return 0;
    }

    b = repld_counts_bucket(c, &bucket);
    if (b == NULL) {
        return -1;
    }

    b->objects++;
    b->bytes += size;

    return 0;
}


static int
repld_counts_scan_upload(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    repld_counts_t *c = data;

    (void) key;
    (void) key_len;
    (void) value;
    (void) value_len;

    c->uploads++;

    return 0;
}


/*
 * Called before key's change enters the batch, with its value before
 * (old NULL: absent) and after (value NULL: deleted).  Only the bucket's
 * entry is made here, so that nothing can fail once the change is in the
 * batch: repld_counts_apply() then adds the difference.  0 or -1.
 */

int
repld_counts_prepare(repld_counts_t *c, const char *key, size_t key_len,
    const char *old, size_t old_len, const char *value, size_t value_len,
    repld_count_change_t *ch)
{
    uint64_t  size;
    s3_str_t  bucket;

    memset(ch, 0, sizeof(repld_count_change_t));

    if (key_len != 0 && key[0] == 'u') {
        ch->uploads = (value != NULL) - (old != NULL);
        return 0;
    }

    if (repld_counts_object(key, key_len, old, old_len, &bucket, &size)) {
        ch->objects--;
        ch->bytes -= (int64_t) size;
    }

    if (repld_counts_object(key, key_len, value, value_len, &bucket,
                            &size))
    {
        ch->objects++;
        ch->bytes += (int64_t) size;
    }

    if (ch->objects == 0 && ch->bytes == 0) {
        return 0;
    }

    ch->bucket = repld_counts_bucket(c, &bucket);

    return (ch->bucket == NULL) ? -1 : 0;
}


void
repld_counts_apply(repld_counts_t *c, const repld_count_change_t *ch)
{
    repld_count_t  *b;

    c->pending_uploads += ch->uploads;

    b = ch->bucket;

    if (b != NULL) {
        b->pending_objects += ch->objects;
        b->pending_bytes += ch->bytes;
    }
}


/* After a flush: written 1, the pending figures count; 0, they do not. */

void
repld_counts_flushed(repld_counts_t *c, int written)
{
    size_t          i, n;
    repld_count_t  *b;

    if (written) {
        c->uploads += c->pending_uploads;
    }

    c->pending_uploads = 0;

    for (i = 0, n = 0; i < c->n; i++) {
        b = &c->buckets[i];

        if (written) {
            b->objects += b->pending_objects;
            b->bytes += b->pending_bytes;
        }

        b->pending_objects = 0;
        b->pending_bytes = 0;

        if (b->objects == 0) {
            continue;
        }

        if (n != i) {
            c->buckets[n] = *b;
        }

        n++;
    }

    c->n = n;
}


void
repld_catalog_counts(repld_catalog_t *cat, repld_catalog_count_pt cb,
    void *data)
{
    size_t                i;
    s3_str_t              bucket;
    repld_count_t        *b;
    const repld_counts_t *c;

    c = repld_catalog_counts_of(cat);

    for (i = 0; i < c->n; i++) {
        b = &c->buckets[i];

        if (b->objects == 0) {
            continue;                      /* made by the pending batch */
        }

        bucket.data = b->name;
        bucket.len = b->len;
        cb(&bucket, b->objects, b->bytes, data);
    }
}


uint64_t
repld_catalog_uploads(repld_catalog_t *cat)
{
    return repld_catalog_counts_of(cat)->uploads;
}


/*
 * 1 with the bucket and size of an "o" entry that counts: a key and a
 * value that decode (a damaged one is reconciliation's business); else 0.
 */

static int
repld_counts_object(const char *key, size_t key_len, const char *value,
    size_t value_len, s3_str_t *bucket, uint64_t *size)
{
    s3_str_t        okey;
    repld_object_t  obj;

    if (value == NULL || key_len == 0 || key[0] != 'o'
        || repld_catalog_split_key(key, key_len, bucket, &okey) != 0
        || bucket->len > REPLD_BUCKET_MAX
        || repld_catalog_decode_object(value, value_len, &obj) != 0)
    {
        return 0;
    }

    *size = obj.size;

    return 1;
}


/* The bucket's entry, made (with zero counts) if missing. */

static repld_count_t *
repld_counts_bucket(repld_counts_t *c, const s3_str_t *bucket)
{
    int             found;
    size_t          i, capacity;
    repld_count_t  *b;

    i = repld_counts_find(c, bucket, &found);

    if (found) {
        return &c->buckets[i];
    }

    if (c->n == c->capacity) {
        capacity = (c->capacity == 0) ? 16 : c->capacity * 2;

        b = realloc(c->buckets, capacity * sizeof(repld_count_t));
        if (b == NULL) {
            errno = ENOMEM;
            return NULL;
        }

        c->buckets = b;
        c->capacity = capacity;
    }

    memmove(&c->buckets[i + 1], &c->buckets[i],
            (c->n - i) * sizeof(repld_count_t));
    c->n++;

    b = &c->buckets[i];
    memset(b, 0, offsetof(repld_count_t, name));
    b->len = bucket->len;
    memcpy(b->name, bucket->data, bucket->len);

    return b;
}


/* Binary search: the bucket's index, or where it would go. */

static size_t
repld_counts_find(const repld_counts_t *c, const s3_str_t *bucket,
    int *found)
{
    int                   cmp;
    size_t                lo, hi, mid, len;
    const repld_count_t  *b;

    lo = 0;
    hi = c->n;
    *found = 0;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        b = &c->buckets[mid];

        len = (b->len < bucket->len) ? b->len : bucket->len;
        cmp = memcmp(b->name, bucket->data, len);

        if (cmp == 0) {
            cmp = (b->len > bucket->len) - (b->len < bucket->len);
        }

        if (cmp == 0) {
            *found = 1;
            return mid;
        }

        if (cmp < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}
