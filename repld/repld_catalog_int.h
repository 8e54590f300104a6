
/*
 * Copyright (C) ngx_s3 developers
 *
 * What repld_catalog.c (LevelDB, the batch and its overlay, cursors),
 * repld_catalog_keys.c (buckets, objects, tombstones, journal offsets)
 * and repld_catalog_upload.c (the multipart upload keyspaces) share.
 * Private to those three files.
 */


#ifndef _REPLD_CATALOG_INT_H_INCLUDED_
#define _REPLD_CATALOG_INT_H_INCLUDED_


#include "repld_catalog.h"


/* the largest value of any keyspace: an upload's u64 hlc | u64 ms | owner */
#define REPLD_VALUE_MAX        (8 + 8 + REPLD_OWNER_MAX)


/*
 * Reads a key through the pending overlay, then LevelDB.  Returns 1 with
 * the value copied into value (size bytes; a longer one counts as
 * absent), 0 when absent, -1 on a LevelDB error (logged).
 */
int repld_catalog_get(repld_catalog_t *cat, const char *key, size_t key_len,
    char *value, size_t size, size_t *len);

/*
 * Adds a put (present 1) or a delete (present 0) of key to the pending
 * batch and its overlay; value_len is at most REPLD_VALUE_MAX.  0 or -1.
 */
int repld_catalog_set(repld_catalog_t *cat, const char *key, size_t key_len,
    const char *value, size_t value_len, int present);

/*
 * As repld_catalog_set(), for keys that are never read before the batch
 * is written (the outbound log): the batch only, no overlay, so a value
 * may be of any length.  0.
 */
int repld_catalog_set_unread(repld_catalog_t *cat, const char *key,
    size_t key_len, const char *value, size_t value_len, int present);

/*
 * A value that is one u64 (a tombstone's hlc, a journal offset): get as
 * repld_catalog_get(), an entry of another length counting as absent;
 * put as repld_catalog_set().
 */
int repld_catalog_get_u64(repld_catalog_t *cat, const char *key,
    size_t key_len, uint64_t *v);
int repld_catalog_put_u64(repld_catalog_t *cat, const char *key,
    size_t key_len, uint64_t v);

/*
 * Writes the key type bucket ["\0" key] into buf (REPLD_CATALOG_KEY_MAX
 * bytes) and returns its length; key NULL: no "\0" either.
 */
size_t repld_catalog_key(char *buf, int type, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len);

/* Opens a cursor over the keys type bucket "\0" (see repld_cursor_open). */
repld_cursor_t *repld_cursor_open_type(repld_catalog_t *cat, int type,
    const char *bucket, size_t bucket_len);

/*
 * The counts of the "o" and "u" entries (repld_catalog_count.c).
 * repld_counts_load() counts what is written (one scan) and returns
 * NULL after logging why.  A change of a key is counted in two steps
 * around its entry into the batch: repld_counts_prepare() (0, or -1 when
 * out of memory) and repld_counts_apply(); repld_counts_flushed() keeps
 * (written 1) or drops (0) what the batch changed.
 */
typedef struct repld_counts_s  repld_counts_t;
typedef struct repld_count_s   repld_count_t;

typedef struct {
    repld_count_t    *bucket;        /* NULL: no object count changes */
    int64_t           objects;
    int64_t           bytes;
    int64_t           uploads;
} repld_count_change_t;

repld_counts_t *repld_counts_load(repld_catalog_t *cat);
void repld_counts_free(repld_counts_t *c);
int repld_counts_prepare(repld_counts_t *c, const char *key, size_t key_len,
    const char *old, size_t old_len, const char *value, size_t value_len,
    repld_count_change_t *ch);
void repld_counts_apply(repld_counts_t *c, const repld_count_change_t *ch);
void repld_counts_flushed(repld_counts_t *c, int written);
repld_counts_t *repld_catalog_counts_of(repld_catalog_t *cat);

/* Big-endian integers of the values. */
void repld_put64(char *p, uint64_t v);
uint64_t repld_get64(const char *p);
void repld_put32(char *p, uint32_t v);
uint32_t repld_get32(const char *p);


#endif /* _REPLD_CATALOG_INT_H_INCLUDED_ */
