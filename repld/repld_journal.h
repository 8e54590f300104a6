
/*
 * Copyright (C) ngx_s3 developers
 *
 * Journal ingest: tails every DATA/journal/<pid>-<ms>.jnl into the
 * catalog from the file's cursor ("j" + file name), applying frames
 * idempotently (last writer wins on hlc, deletes leave tombstones), and
 * removes the files that are fully applied: sealed ones, and those of
 * dead writers.
 */


#ifndef _REPLD_JOURNAL_H_INCLUDED_
#define _REPLD_JOURNAL_H_INCLUDED_


#include <stdint.h>

#include "s3_journal.h"

#include "repld_catalog.h"


typedef struct repld_journal_s  repld_journal_t;


typedef struct {
    uint64_t          frames;        /* frames applied */
    uint64_t          passes;        /* repld_journal_ingest() calls */
    uint64_t          files;         /* files being tailed now */
    uint64_t          trimmed;       /* files removed */
    uint64_t          bytes;         /* journal bytes applied */
    uint64_t          backlog;       /* bytes written, not yet applied */
} repld_journal_stats_t;


/*
 * Creates the ingest state for the store at root (kept by the caller).
 * Returns NULL with errno set.
 */
repld_journal_t *repld_journal_create(const char *root,
    repld_catalog_t *cat);

void repld_journal_free(repld_journal_t *j);

/*
 * Reads every journal file to its current end and applies its frames to
 * the catalog's pending batch, flushing with repld_journal_commit() when
 * the batch grows large.  Returns the number of frames applied, or -1.
 */
int64_t repld_journal_ingest(repld_journal_t *j);

/*
 * Flushes the catalog (entries and cursors in one synced batch), then
 * removes the files whose cursors that batch deleted.  On a failed flush
 * every in-memory position is forgotten and re-read from the catalog on
 * the next pass.  Returns 0 or -1.
 */
int repld_journal_commit(repld_journal_t *j);

/*
 * From now on every frame applied is also logged for the peers
 * (repld_catalog_log_append()), in the same batch.
 */
void repld_journal_ship(repld_journal_t *j);

/*
 * Applies e to the catalog's pending batch as a frame of the journal
 * would be.  With ties set, a change whose hlc equals the entry's
 * replaces it: the store already chose it on (hlc, node id), which the
 * catalog does not hold.  Returns 0 or -1.
 */
int repld_journal_apply(repld_journal_t *j, const s3_journal_entry_t *e,
    int ties);

void repld_journal_stats(const repld_journal_t *j,
    repld_journal_stats_t *stats);


#endif /* _REPLD_JOURNAL_H_INCLUDED_ */
