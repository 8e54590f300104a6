
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld's answer to the admin command "metrics": Prometheus text lines
 * the module's s3_metrics location appends to its own, and s3_health
 * reads the totals from.
 */


#ifndef _REPLD_METRICS_H_INCLUDED_
#define _REPLD_METRICS_H_INCLUDED_


#include "repld_buf.h"
#include "repld_catalog.h"
#include "repld_journal.h"
#include "repld_reconcile.h"


/*
 * Writes the figures into out: objects and bytes per bucket and in all
 * (one scan of the catalog's objects: a sorted LevelDB read, no file is
 * opened), multipart uploads in progress, the journal backlog, what was
 * ingested and repaired.  Returns 0, or -1 (ENOMEM, a LevelDB error).
 */
int repld_metrics(repld_catalog_t *cat, repld_journal_t *j,
    repld_reconcile_t *r, repld_buf_t *out);


#endif /* _REPLD_METRICS_H_INCLUDED_ */
