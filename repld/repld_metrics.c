
/*
 * Copyright (C) ngx_s3 developers
 */


#include <string.h>

#include "repld_metrics.h"


typedef struct {
    repld_buf_t      *out;
    s3_str_t          bucket;        /* points into bucket_buf */
    char              bucket_buf[REPLD_BUCKET_MAX];
    uint64_t          objects;       /* of the bucket */
    uint64_t          bytes;
    uint64_t          total_objects;
    uint64_t          total_bytes;
    int               failed;
} repld_metrics_scan_t;


static int repld_metrics_object(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_metrics_upload(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static void repld_metrics_bucket(repld_metrics_scan_t *s);


int
repld_metrics(repld_catalog_t *cat, repld_journal_t *j, repld_reconcile_t *r,
    repld_buf_t *out)
{
    int64_t                  uploads;
    repld_journal_stats_t    js;
    repld_catalog_stats_t    cs;
    repld_reconcile_stats_t  rs;
    repld_metrics_scan_t     s;

    memset(&s, 0, sizeof(s));
    s.out = out;

    if (repld_buf_printf(out, "# TYPE s3_bucket_objects gauge\n"
                         "# TYPE s3_bucket_bytes gauge\n") != 0
        || repld_catalog_scan(cat, "o", 1, NULL, 0, repld_metrics_object,
                              &s) == -1)
    {
        return -1;
    }

    repld_metrics_bucket(&s);

    uploads = repld_catalog_scan(cat, "u", 1, NULL, 0, repld_metrics_upload,
                                 NULL);

    if (s.failed || uploads == -1) {
        return -1;
    }

    repld_journal_stats(j, &js);
    repld_catalog_stats(cat, &cs);
    repld_reconcile_stats(r, &rs);

    return repld_buf_printf(out,
        "# TYPE s3_objects gauge\ns3_objects %llu\n"
        "# TYPE s3_bytes gauge\ns3_bytes %llu\n"
        "# TYPE s3_multipart_uploads gauge\ns3_multipart_uploads %lld\n"
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
        (unsigned long long) s.total_objects,
        (unsigned long long) s.total_bytes, (long long) uploads,
        (unsigned long long) js.backlog, (unsigned long long) js.files,
        (unsigned long long) js.frames, (unsigned long long) js.bytes,
        (unsigned long long) cs.writes, (unsigned long long) cs.failures,
        (unsigned long long) rs.passes, (unsigned long long) rs.repaired);
}


/* "o" keys come in bucket order: a bucket's line when the next begins */

static int
repld_metrics_object(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    repld_metrics_scan_t *s = data;

    s3_str_t        bucket, okey;
    repld_object_t  obj;

    if (repld_catalog_split_key(key, key_len, &bucket, &okey) != 0
        || repld_catalog_decode_object(value, value_len, &obj) != 0)
    {
        return 0;                          /* reconciliation's business */
    }

    if (bucket.len != s->bucket.len
        || memcmp(bucket.data, s->bucket.data, bucket.len) != 0)
    {
        repld_metrics_bucket(s);

        if (bucket.len > sizeof(s->bucket_buf)) {
            return 0;
        }

        memcpy(s->bucket_buf, bucket.data, bucket.len);
        s->bucket.data = s->bucket_buf;
        s->bucket.len = bucket.len;
    }

    s->objects++;
    s->bytes += obj.size;

    return 0;
}


static int
repld_metrics_upload(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    (void) key;
    (void) key_len;
    (void) value;
    (void) value_len;
    (void) data;

    return 0;
}


static void
repld_metrics_bucket(repld_metrics_scan_t *s)
{
    if (s->bucket.len == 0) {
        return;
    }

    if (repld_buf_printf(s->out, "s3_bucket_objects{bucket=\"%.*s\"} %llu\n"
                         "s3_bucket_bytes{bucket=\"%.*s\"} %llu\n",
                         (int) s->bucket.len, s->bucket.data,
                         (unsigned long long) s->objects,
                         (int) s->bucket.len, s->bucket.data,
                         (unsigned long long) s->bytes)
        != 0)
    {
        s->failed = 1;
    }

    s->total_objects += s->objects;
    s->total_bytes += s->bytes;
    s->objects = 0;
    s->bytes = 0;
}
