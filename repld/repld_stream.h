
/*
 * Copyright (C) ngx_s3 developers
 *
 * The metadata change stream between repld processes
 * (docs/REPLICATION.md): every change this node journals is logged in the
 * catalog (repld_journal_ship()), shipped in batches to every peer over
 * one NN_PUSH socket each (core/s3_replproto.h), applied there through
 * the store's apply functions and the catalog, and acknowledged once the
 * receiver's batch is synced.  Cursors in the catalog make restarts
 * resume; unacknowledged batches are sent again after a time-out.
 */


#ifndef _REPLD_STREAM_H_INCLUDED_
#define _REPLD_STREAM_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "repld_catalog.h"
#include "repld_cluster.h"
#include "repld_journal.h"


typedef struct repld_stream_s  repld_stream_t;


typedef struct {
    uint64_t          batches;       /* CHANGES messages sent */
    uint64_t          resent;        /* times a peer was sent again */
    uint64_t          applied;       /* changes applied here */
    uint64_t          stale;         /* changes older than the version here */
    uint64_t          refused;       /* messages that did not decode */
} repld_stream_stats_t;


/*
 * Connects to every peer of conf; node_id is this node's, root the data
 * directory (kept by the caller).  Returns NULL after logging why.
 */
repld_stream_t *repld_stream_create(const repld_cluster_conf_t *conf,
    uint32_t node_id, const char *root, repld_catalog_t *cat,
    repld_journal_t *journal);

void repld_stream_free(repld_stream_t *st);

/* A message received on the node's NN_PULL socket. */
void repld_stream_recv(repld_stream_t *st, const unsigned char *msg,
    size_t len);

/*
 * After the catalog's batch was written: acknowledges what was applied,
 * sends what peers have not seen, and again what they did not
 * acknowledge in time.
 */
void repld_stream_flushed(repld_stream_t *st);

/*
 * How far behind the i-th peer of the configuration is with this node's
 * changes, as of now: 0, or -1 (no such peer, a catalog error logged).
 */
int repld_stream_lag(repld_stream_t *st, int i, repld_lag_t *lag);

void repld_stream_stats(const repld_stream_t *st, repld_stream_stats_t *s);


#endif /* _REPLD_STREAM_H_INCLUDED_ */
