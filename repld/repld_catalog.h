
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
 *                                         [| u32 parts: multipart only]
 *     "t" bucket "\0" key         tombstone: u64 hlc of the delete
 *     "u" bucket "\0" key "\0" upload id
 *                                 multipart upload in progress: u64 hlc of
 *                                 its creation | u64 initiated ms | owner
 *     "x" bucket "\0" key "\0" upload id
 *                                 ended upload (aborted or completed):
 *                                 u64 hlc of the abort or completion
 *     "j" journal file name       cursor: u64 offset applied up to
 *     "m" "format"                "repld catalog 1"
 *
 * and the change stream between nodes (docs/REPLICATION.md):
 *
 *     "n"                         u64 sequence of the last change logged
 *     "q" u64 sequence            outbound log, a change this node made:
 *                                 u8 op | u64 hlc | u16 name length
 *                                 | name | key
 *     "p" u32 peer id             u64 sequence the peer acknowledged
 *     "r" u32 origin id           u64 sequence of the origin's changes
 *                                 applied here
 *
 * Each is written in the batch of the effects it covers: a log entry and
 * "n" with the journal cursor of its frame, "r" with the entries of the
 * changes it counts, so a restart resumes exactly.
 *
 * Every value starts with the hlc of the change that wrote it.  Within a
 * bucket, uploads sort by key, then by upload id, which is the order
 * ListMultipartUploads needs (upload ids hold no NUL, and S3 keys hold
 * none either: a key ends at the last NUL of a "u" key).  Upload ids are
 * never reused, so an end is final: a create-upload frame adds a "u"
 * entry unless a "u" entry with an hlc >= its own or any "x" entry
 * exists; an abort-upload or complete-upload frame removes the "u" entry
 * (whatever its hlc) and writes (or raises) the "x" entry, so a create
 * frame applied late (it was in another writer's journal file) cannot
 * bring the upload back.  "x" entries are
 * collected by reconciliation after REPLD_UPLOAD_TOMB_GRACE_MS, or
 * earlier when the disk shows the end was journaled but never done
 * (repld_upload.h).
 */


#ifndef _REPLD_CATALOG_H_INCLUDED_
#define _REPLD_CATALOG_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "s3_core.h"
#include "s3_digest.h"


typedef struct repld_catalog_s  repld_catalog_t;
typedef struct repld_cursor_s   repld_cursor_t;


typedef struct {
    uint64_t          hlc;
    uint64_t          size;
    uint64_t          mtime_ms;
    unsigned char     md5[S3_MD5_LEN];
    uint32_t          parts;         /* multipart: ETag "md5-parts"; else 0 */
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


/*
 * The ingest side: repld's journal tailing and reconciliation.
 *
 * Changes are not written at once: they go into one pending LevelDB
 * write batch, and an in-memory overlay of the keys it touches makes the
 * getters below see them (so two changes of one key before a flush apply
 * in order).  repld_catalog_flush() writes the batch with sync=1.  The
 * cursor API above reads only what was flushed.  Getters return 1 (found,
 * outputs set), 0 (absent) or -1 (LevelDB error, logged); setters return
 * 0 or -1 (ENOMEM; ENAMETOOLONG for a bucket over REPLD_BUCKET_MAX or a
 * key over REPLD_OBJECT_KEY_MAX bytes).
 */

#define REPLD_BUCKET_MAX       255
#define REPLD_OBJECT_KEY_MAX   1024
#define REPLD_OWNER_MAX        256
#define REPLD_UPLOAD_ID_MAX    255
#define REPLD_CATALOG_KEY_MAX  (1 + REPLD_BUCKET_MAX + 1                 \
                                + REPLD_OBJECT_KEY_MAX + 1             \
                                + REPLD_UPLOAD_ID_MAX)
#define REPLD_UPLOAD_TOMB_GRACE_MS  (3600 * 1000)


typedef struct {
    uint64_t          hlc;
    size_t            owner_len;
    char              owner[REPLD_OWNER_MAX];
} repld_bucket_t;


typedef struct {
    uint64_t          hlc;           /* of the creation */
    uint64_t          initiated_ms;
    size_t            owner_len;     /* 0: unknown, the bucket's owner */
    char              owner[REPLD_OWNER_MAX];
} repld_upload_t;


typedef struct {
    uint64_t          flushes;       /* batches written */
    uint64_t          writes;        /* puts and deletes written */
    uint64_t          failures;      /* batches LevelDB refused */
    uint64_t          flush_us;      /* time spent in the writes */
} repld_catalog_stats_t;


/*
 * Called by repld_catalog_scan() for each key; returns 0 to go on, 1 to
 * stop, -1 to stop with an error.
 */
typedef int (*repld_catalog_scan_pt)(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);


/*
 * Opens (creating if missing) the catalog at path and checks its format
 * key.  *created is set to 1 for a new catalog.  Returns NULL after
 * logging why on failure.
 */
repld_catalog_t *repld_catalog_open(const char *path, int *created);

/* Drops any pending change and closes the catalog. */
void repld_catalog_close(repld_catalog_t *cat);

int repld_catalog_object_get(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, repld_object_t *obj);
int repld_catalog_object_put(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len,
    const repld_object_t *obj);
int repld_catalog_object_del(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len);

int repld_catalog_tombstone_get(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, uint64_t *hlc);
int repld_catalog_tombstone_put(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len, uint64_t hlc);
int repld_catalog_tombstone_del(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const char *key, size_t key_len);

int repld_catalog_bucket_get(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, repld_bucket_t *b);
int repld_catalog_bucket_put(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, const repld_bucket_t *b);
int repld_catalog_bucket_del(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len);

/* Journal cursors: the offset a journal file is applied up to. */
int repld_catalog_offset_get(repld_catalog_t *cat, const char *name,
    size_t len, uint64_t *offset);
int repld_catalog_offset_put(repld_catalog_t *cat, const char *name,
    size_t len, uint64_t offset);
int repld_catalog_offset_del(repld_catalog_t *cat, const char *name,
    size_t len);

/*
 * Removes the "o" and "t" entries of bucket whose hlc is below hlc
 * (flushed or pending).  Returns the number removed, or -1.
 */
int64_t repld_catalog_drop_bucket(repld_catalog_t *cat, const char *bucket,
    size_t bucket_len, uint64_t hlc);

/*
 * Calls cb for the flushed keys that start with prefix, in order,
 * beginning after `after` (after_len 0: from the first).  Pending changes
 * are not seen: use the getters for a key's current value.  Returns the
 * number of keys passed to cb, or -1.
 */
int64_t repld_catalog_scan(repld_catalog_t *cat, const char *prefix,
    size_t prefix_len, const char *after, size_t after_len,
    repld_catalog_scan_pt cb, void *data);

/*
 * The multipart uploads: "u" entries (repld_upload_t) and their "x"
 * tombstones (the hlc of the abort or completion).  id is the upload id
 * (at most REPLD_UPLOAD_ID_MAX bytes).  Same return values as above.
 */
int repld_catalog_upload_get(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id, repld_upload_t *u);
int repld_catalog_upload_put(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id, const repld_upload_t *u);
int repld_catalog_upload_del(repld_catalog_t *cat, const s3_str_t *bucket,
    const s3_str_t *key, const s3_str_t *id);
int repld_catalog_upload_tomb_get(repld_catalog_t *cat,
    const s3_str_t *bucket, const s3_str_t *key, const s3_str_t *id,
    uint64_t *hlc);
int repld_catalog_upload_tomb_put(repld_catalog_t *cat,
    const s3_str_t *bucket, const s3_str_t *key, const s3_str_t *id,
    uint64_t hlc);
int repld_catalog_upload_tomb_del(repld_catalog_t *cat,
    const s3_str_t *bucket, const s3_str_t *key, const s3_str_t *id);

/* Splits a "u" or "x" key into bucket, key and upload id.  0 or -1. */
int repld_catalog_split_upload_key(const char *ckey, size_t len,
    s3_str_t *bucket, s3_str_t *key, s3_str_t *id);

/* Decodes a "u" value.  Returns 0, or -1 for a damaged value. */
int repld_catalog_decode_upload(const char *value, size_t len,
    repld_upload_t *u);

/*
 * Opens a cursor over the uploads of bucket, as repld_cursor_open() does
 * over its objects: repld_cursor_key() gives key "\0" upload id, and
 * repld_cursor_upload() decodes the entry.
 */
repld_cursor_t *repld_cursor_open_uploads(repld_catalog_t *cat,
    const char *bucket, size_t bucket_len);
int repld_cursor_upload(const repld_cursor_t *c, repld_upload_t *u);

/* The current value; valid until the cursor moves. */
const char *repld_cursor_value(const repld_cursor_t *c, size_t *len);

/* Splits an "o" or "t" key into bucket and object key.  0 or -1. */
int repld_catalog_split_key(const char *ckey, size_t len, s3_str_t *bucket,
    s3_str_t *key);

/* Decodes an "o" value.  Returns 0, or -1 for a damaged value. */
int repld_catalog_decode_object(const char *value, size_t len,
    repld_object_t *obj);

/*
 * The change stream's keyspaces (repld_catalog_stream.c).  A logged
 * change: op, hlc and names of a journal frame of this node.
 */
typedef struct {
    uint64_t          seq;
    int               op;            /* s3_journal_op_e */
    uint64_t          hlc;
    s3_str_t          name;          /* bucket, or a user's access key */
    s3_str_t          key;
} repld_logged_t;

/* Called by repld_catalog_log_scan(); returns 0 to go on, 1 to stop. */
typedef int (*repld_catalog_log_pt)(const repld_logged_t *c, void *data);

/*
 * Appends a change to the outbound log with the next sequence (into
 * *seq).  Returns 0 or -1.
 */
int repld_catalog_log_append(repld_catalog_t *cat, int op, uint64_t hlc,
    const s3_str_t *name, const s3_str_t *key, uint64_t *seq);

/* The sequence of the last change logged (0: none yet): 0 or -1. */
int repld_catalog_log_last(repld_catalog_t *cat, uint64_t *seq);

/*
 * Calls cb for the flushed log entries after sequence `after`, in order.
 * Returns the number passed, or -1.
 */
int64_t repld_catalog_log_scan(repld_catalog_t *cat, uint64_t after,
    repld_catalog_log_pt cb, void *data);

/* Removes the entries from sequence from to sequence to, included. */
int repld_catalog_log_trim(repld_catalog_t *cat, uint64_t from,
    uint64_t to);

/*
 * A node's cursor: type 'p' (acknowledged by the peer) or 'r' (applied
 * here of the origin's changes); 0 when none.  0 or -1.
 */
int repld_catalog_cursor_get(repld_catalog_t *cat, int type, uint32_t node,
    uint64_t *seq);
int repld_catalog_cursor_put(repld_catalog_t *cat, int type, uint32_t node,
    uint64_t seq);

/*
 * Calls cb for each bucket with objects, in bucket order, with its
 * object count and byte total as written (the pending batch is not
 * seen); kept as the catalog changes, so no scan (repld_catalog_count.c).
 */
typedef void (*repld_catalog_count_pt)(const s3_str_t *bucket,
    uint64_t objects, uint64_t bytes, void *data);

void repld_catalog_counts(repld_catalog_t *cat, repld_catalog_count_pt cb,
    void *data);

/* The multipart uploads in progress ("u" entries), as written. */
uint64_t repld_catalog_uploads(repld_catalog_t *cat);

/* The number of changes waiting for repld_catalog_flush(). */
size_t repld_catalog_pending(const repld_catalog_t *cat);

/*
 * Writes the pending changes as one batch with sync=1 and forgets them.
 * Returns 0 (also when nothing was pending), or -1 after logging LevelDB's
 * error: the pending changes are dropped, and the caller must forget what
 * it derived from them (journal positions).
 */
int repld_catalog_flush(repld_catalog_t *cat);

void repld_catalog_stats(const repld_catalog_t *cat,
    repld_catalog_stats_t *stats);


#endif /* _REPLD_CATALOG_H_INCLUDED_ */
