
/*
 * Copyright (C) ngx_s3 developers
 *
 * Multipart uploads in the catalog: the upload ops of the journal
 * applied to the "u" and "x" entries (repld_catalog.h), and their
 * reconciliation with the upload directories DATA/buckets/<b>/mpu/<id>/.
 */


#ifndef _REPLD_UPLOAD_H_INCLUDED_
#define _REPLD_UPLOAD_H_INCLUDED_


#include "s3_journal.h"

#include "repld_catalog.h"
#include "repld_reconcile.h"


/*
 * Applies a create-upload frame: adds the "u" entry unless a "u" entry
 * with an hlc >= the frame's or any "x" entry exists (upload ids are
 * never reused: an ended upload stays ended).  The owner and initiation time
 * come from the upload record when it is already published (the frame is
 * journaled before it is); else the owner is left empty (the listing
 * shows the bucket's owner) and reconciliation fills it in.  0 or -1.
 */
int repld_upload_create(repld_catalog_t *cat, const char *root,
    const s3_journal_entry_t *e);

/*
 * Applies the upload half of an abort-upload or complete-upload frame:
 * removes the "u" entry, whatever its hlc, and writes or raises the "x"
 * entry.  0 or -1.
 */
int repld_upload_end(repld_catalog_t *cat, const s3_journal_entry_t *e);

/*
 * One reconciliation pass over the uploads, in one step (uploads in
 * progress are few): every DATA/buckets/<b>/mpu/<id>/upload record
 * against its "u" entry (added or fixed; if an "x" entry says the upload
 * ended, only when, under the key's and the upload's stripes, the record
 * is still there and the object's record does not name the upload: its
 * end was journaled by a worker killed before its rename, and the "x"
 * entry goes), then every "u" entry against its record (removed, with an
 * "x" entry, when the record is still missing after a catch-up with the
 * journal and under the upload's stripe lock, and the entry is older
 * than REPLD_UPLOAD_YOUNG_MS), then "x" entries older than
 * REPLD_UPLOAD_TOMB_GRACE_MS are dropped.  Adds the number of repairs to
 * *repaired.  Returns 0, or -1 on a catalog error.
 */
int repld_upload_reconcile(const char *root, repld_catalog_t *cat,
    repld_catch_up_pt catch_up, void *data, uint64_t *repaired);


#define REPLD_UPLOAD_YOUNG_MS   10000


#endif /* _REPLD_UPLOAD_H_INCLUDED_ */
