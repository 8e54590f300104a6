
/*
 * Copyright (C) ngx_s3 developers
 *
 * The catalog: repld's LevelDB database (DATA/catalog), the node's sorted
 * index of buckets and objects, fed from the change journal.  repld is
 * the only process that opens it.
 *
 * Key layout (integers big-endian; LevelDB's bytewise order is S3's
 * binary UTF-8 order of keys):
 *
 *     "b" bucket                  bucket: u64 hlc | owner
 *     "o" bucket "\0" key         object: u64 hlc | u64 size
 *                                         | u64 mtime ms | md5[16]
 *     "t" bucket "\0" key         tombstone: u64 hlc of the delete
 *     "j" journal file name       cursor: u64 offset applied up to
 *     "m" "format"                "repld catalog 1"
 */


#ifndef _REPLD_CATALOG_H_INCLUDED_
#define _REPLD_CATALOG_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "s3_checksum.h"


typedef struct repld_catalog_s  repld_catalog_t;
typedef struct repld_cursor_s   repld_cursor_t;


typedef struct {
    uint64_t          hlc;
    uint64_t          size;
    uint64_t          mtime_ms;
    unsigned char     md5[S3_MD5_LEN];
} repld_object_t;


/*
 * Opens a cursor over the objects of bucket, positioned on its first key.
 * It sees the catalog as it is at this call (a LevelDB snapshot), so
 * changes applied while it is open do not move it.  Returns NULL with
 * errno set on failure.  Close it with repld_cursor_close().
 */
repld_cursor_t *repld_cursor_open(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len);

/* Moves to the first key >= key within the bucket. */
void repld_cursor_seek(repld_cursor_t *c, const char *key, size_t len);

/* Returns 1 while the cursor is on an object of its bucket, else 0. */
int repld_cursor_valid(const repld_cursor_t *c);

/* The current key; valid until the cursor moves. */
const char *repld_cursor_key(const repld_cursor_t *c, size_t *len);

/* Decodes the current object.  Returns 0, or -1 for a damaged value. */
int repld_cursor_object(const repld_cursor_t *c, repld_object_t *obj);

void repld_cursor_next(repld_cursor_t *c);

void repld_cursor_close(repld_cursor_t *c);

/*
 * Reads a bucket's owner into owner (size bytes, NUL-terminated).
 * Returns 1 when the bucket is in the catalog, 0 when it is not, -1 on a
 * LevelDB error.
 */
int repld_catalog_bucket(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, char *owner, size_t size);


#endif /* _REPLD_CATALOG_H_INCLUDED_ */
