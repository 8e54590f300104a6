
/*
 * Copyright (C) ngx_s3 developers
 *
 * Applying a change received from a peer: the store first (the disk is
 * the truth of a node: s3_store_apply_*() choose the winner on (hlc,
 * node id) under the key's or the bucket's stripe), then the catalog in
 * repld's pending batch, as a journal frame would be applied, never
 * logged again for the peers.  Receiving a change raises this node's
 * clock above its hlc.
 */


#ifndef _REPLD_APPLY_H_INCLUDED_
#define _REPLD_APPLY_H_INCLUDED_


#include <stdint.h>

#include "s3_replproto.h"

#include "repld_catalog.h"
#include "repld_journal.h"


typedef struct repld_apply_s  repld_apply_t;


/* Returns NULL with errno set. */
repld_apply_t *repld_apply_create(const char *root, uint32_t node_id,
    repld_catalog_t *cat, repld_journal_t *journal);

void repld_apply_free(repld_apply_t *a);

/*
 * Applies c.  Returns 0 (applied, or nothing to do: a change this node
 * already holds), 1 (older than what this node holds, or refused and
 * logged: dropped, to be acknowledged), or -1 after logging a failure of
 * the disk or the catalog (not applied: try again later).
 */
int repld_apply_change(repld_apply_t *a, const s3_replproto_change_t *c);


#endif /* _REPLD_APPLY_H_INCLUDED_ */
