
/*
 * Copyright (C) ngx_s3 developers
 */


#include <string.h>

#include "repld_metrics.h"


typedef struct {
    repld_buf_t      *out;
    uint64_t          objects;
    uint64_t          bytes;
    int               failed;
} repld_metrics_counts_t;


static void repld_metrics_bucket(const s3_str_t *bucket, uint64_t objects,
    uint64_t bytes, void *data);


/* The catalog keeps the counts as it changes: a scrape scans nothing. */

int
repld_metrics(repld_catalog_t *cat, repld_journal_t *j, repld_reconcile_t *r,
    repld_buf_t *out)
{
    repld_journal_stats_t    js;
    repld_catalog_stats_t    cs;
    repld_reconcile_stats_t  rs;
    repld_metrics_counts_t   m;

    memset(&m, 0, sizeof(m));
    m.out = out;

    if (repld_buf_printf(out, "# TYPE s3_bucket_objects gauge\n"
                         "# TYPE s3_bucket_bytes gauge\n") != 0)
    {
        return -1;
    }

    repld_catalog_counts(cat, repld_metrics_bucket, &m);

    if (m.failed) {
        return -1;
    }

    repld_journal_stats(j, &js);
    repld_catalog_stats(cat, &cs);
    repld_reconcile_stats(r, &rs);

    return repld_buf_printf(out,
        "# TYPE s3_objects gauge\ns3_objects %llu\n"
        "# TYPE s3_bytes gauge\ns3_bytes %llu\n"
        "# TYPE s3_multipart_uploads gauge\ns3_multipart_uploads %llu\n"
        "# TYPE s3_journal_backlog_bytes gauge\n"
        "s3_journal_backlog_bytes %llu\n"
        "# TYPE s3_journal_files gauge\ns3_journal_files %llu\n"
        "# TYPE s3_repld_ingested_frames_total counter\n"
        "s3_repld_ingested_frames_total %llu\n"
        "# TYPE s3_repld_ingested_bytes_total counter\n"
        "s3_repld_ingested_bytes_total %llu\n"
        "# TYPE s3_repld_catalog_writes_total counter\n"
        "s3_repld_catalog_writes_total %llu\n"
        "# TYPE s3_repld_catalog_failures_total counter\n"
        "s3_repld_catalog_failures_total %llu\n"
        "# TYPE s3_repld_reconcile_passes_total counter\n"
        "s3_repld_reconcile_passes_total %llu\n"
        "# TYPE s3_repld_reconcile_repairs_total counter\n"
        "s3_repld_reconcile_repairs_total %llu\n",
        (unsigned long long) m.objects, (unsigned long long) m.bytes,
        (unsigned long long) repld_catalog_uploads(cat),
        (unsigned long long) js.backlog, (unsigned long long) js.files,
        (unsigned long long) js.frames, (unsigned long long) js.bytes,
        (unsigned long long) cs.writes, (unsigned long long) cs.failures,
        (unsigned long long) rs.passes, (unsigned long long) rs.repaired);
}



static void
repld_metrics_bucket(const s3_str_t *bucket, uint64_t objects,
    uint64_t bytes, void *data)
{
    repld_metrics_counts_t *m = data;

    if (repld_buf_printf(m->out, "s3_bucket_objects{bucket=\"%.*s\"} %llu\n"
                         "s3_bucket_bytes{bucket=\"%.*s\"} %llu\n",
                         (int) bucket->len, bucket->data,
                         (unsigned long long) objects,
                         (int) bucket->len, bucket->data,
                         (unsigned long long) bytes)
        != 0)
    {
        m->failed = 1;
    }

    m->objects += objects;
    m->bytes += bytes;
}
