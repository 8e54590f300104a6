
/*
 * Copyright (C) ngx_s3 developers
 *
 * Reconciliation: the disk is the truth for one node.  A pass checks the
 * bucket records against the "b" entries, walks every published object
 * file (adding or raising entries whose journal frame was lost), then
 * walks the "o" entries (removing or fixing those whose commit never got
 * published).  An entry is lowered or removed only after the object is
 * read again under its key's stripe lock, so a commit in flight (frame
 * journaled, rename pending) is never undone.  Passes run in steps of
 * bounded work, so the event loop keeps answering between them.
 */


#ifndef _REPLD_RECONCILE_H_INCLUDED_
#define _REPLD_RECONCILE_H_INCLUDED_


#include <stdint.h>

#include "repld_catalog.h"


typedef struct repld_reconcile_s  repld_reconcile_t;

/*
 * Applies the journal written so far to the catalog's pending batch;
 * returns REPLD_OK or REPLD_ERR.  A mismatch is only a repair if it is
 * still there after this: an object published since the last catch-up
 * has its frame in a journal already.
 */
typedef int (*repld_catch_up_pt)(void *data);


typedef struct {
    uint64_t          passes;        /* completed passes */
    uint64_t          repaired;      /* entries added, fixed or removed */
    uint64_t          objects;       /* "o" entries seen by the last pass */
    uint64_t          files;         /* object files seen by the last pass */
    int64_t           last_ms;       /* duration of the last pass */
    int               running;
} repld_reconcile_stats_t;


/*
 * Creates the state for the store at root (kept by the caller); a step
 * does about `step` units of work (an object file, a directory or an
 * entry each).  Returns NULL with errno set.
 */
repld_reconcile_t *repld_reconcile_create(const char *root,
    repld_catalog_t *cat, size_t step, repld_catch_up_pt catch_up,
    void *data);

void repld_reconcile_free(repld_reconcile_t *r);

/* Starts a pass unless one is running. */
void repld_reconcile_start(repld_reconcile_t *r);

/*
 * Does one step of the running pass, adding its repairs to the catalog's
 * pending batch.  Returns 1 while the pass goes on, 0 when no pass is
 * running (any more), -1 on a catalog error (the pass is abandoned).
 */
int repld_reconcile_step(repld_reconcile_t *r);

void repld_reconcile_stats(const repld_reconcile_t *r,
    repld_reconcile_stats_t *stats);

/*
 * The object file of (b, k) under root into path (PATH_MAX bytes).
 * Returns 0, or -1 when the key cannot be placed or the path is too long.
 */
int repld_reconcile_object_path(char *path, const char *root,
    const s3_str_t *b, const s3_str_t *k);


#endif /* _REPLD_RECONCILE_H_INCLUDED_ */
