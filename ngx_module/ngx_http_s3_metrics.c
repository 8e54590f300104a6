
/*
 * Copyright (C) ngx_s3 developers
 *
 * Metrics: counters in one shared zone (per node, not per worker, kept
 * across reloads), added to without locks in the log phase, and the
 * s3_metrics location that renders them in Prometheus's text format
 * together with what a probe learned (disk, maintenance) and repld's own
 * figures (objects and bytes stored, journal backlog, uploads).
 *
 * Every counter has a fixed place (per operation row, status class,
 * latency slot, error code), so the zone is sized by the build and needs
 * no directive; per-bucket figures come from repld's catalog, which
 * already knows them.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_METRICS_LINE  160         /* bytes per rendered line */


static ngx_int_t ngx_http_s3_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_s3_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_metrics_send(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static u_char *ngx_http_s3_metrics_ops(u_char *p, ngx_http_s3_metrics_t *m);
static u_char *ngx_http_s3_metrics_op(u_char *p, ngx_http_s3_metrics_t *m,
    ngx_uint_t op);
static u_char *ngx_http_s3_metrics_errors(u_char *p,
    ngx_http_s3_metrics_t *m);
static u_char *ngx_http_s3_metrics_node(u_char *p, ngx_http_s3_metrics_t *m,
    ngx_http_s3_probe_t *probe);


static ngx_str_t  ngx_http_s3_metrics_zone_name =
    ngx_string("ngx_http_s3_metrics");

static ngx_msec_t  ngx_http_s3_latency_bounds[] = {
    NGX_HTTP_S3_LATENCY_BOUNDS
};


char *
ngx_http_s3_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_s3_probe_location(cf, conf, ngx_http_s3_metrics_handler);
}


/* postconfiguration: the zone, and the log-phase handler that counts */

ngx_int_t
ngx_http_s3_metrics_init(ngx_conf_t *cf)
{
    size_t                      size;
    ngx_shm_zone_t             *zone;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_s3_main_conf_t    *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    if (smcf->roots.nelts == 0) {
        if (smcf->probes) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_metrics and s3_health need an s3_store "
                               "in the same http block");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    /* the slab pool's own pages, then the counters */

    size = 8 * ngx_pagesize
           + ngx_align(sizeof(ngx_http_s3_metrics_t), ngx_pagesize);

    zone = ngx_shared_memory_add(cf, &ngx_http_s3_metrics_zone_name, size,
                                 &ngx_http_s3_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_s3_metrics_init_zone;
    smcf->metrics_zone = zone;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_s3_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t        *shpool;
    ngx_http_s3_metrics_t  *m;

    if (data) {
        shm_zone->data = data;             /* a reload: keep the counts */
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_http_s3_metrics_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    m->started = ngx_time();

    shpool->data = m;
    shm_zone->data = m;

    return NGX_OK;
}


/* S3 requests only: a location without s3_store is none */

static ngx_int_t
ngx_http_s3_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                status, slot;
    ngx_msec_int_t            ms;
    ngx_time_t               *tp;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_loc_conf_t   *slcf;
    ngx_http_s3_metrics_t    *m;
    ngx_http_s3_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (slcf->root == NULL || ctx == NULL) {
        return NGX_OK;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    m = smcf->metrics_zone->data;

    status = r->headers_out.status / 100;
    status = (status >= 1 && status <= 5) ? status - 1 : 4;

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));
    ms = ngx_max(ms, 0);

    for (slot = 0; slot < NGX_HTTP_S3_LATENCY_SLOTS - 1; slot++) {
        if ((ngx_msec_t) ms <= ngx_http_s3_latency_bounds[slot]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->requests[ctx->op][status], 1);
    (void) ngx_atomic_fetch_add(&m->latency[ctx->op][slot], 1);
    (void) ngx_atomic_fetch_add(&m->latency_ms[ctx->op], ms);
    (void) ngx_atomic_fetch_add(&m->received, r->request_length);
    (void) ngx_atomic_fetch_add(&m->sent, r->connection->sent);

    return NGX_OK;
}


void
ngx_http_s3_metrics_error(ngx_http_request_t *r, ngx_http_s3_err_e err)
{
    ngx_http_s3_metrics_t    *m;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->metrics_zone != NULL) {
        m = smcf->metrics_zone->data;
        (void) ngx_atomic_fetch_add(&m->errors[err], 1);
    }
}


static ngx_int_t
ngx_http_s3_metrics_handler(ngx_http_request_t *r)
{
    return ngx_http_s3_probe(r, ngx_http_s3_metrics_send);
}


static ngx_int_t
ngx_http_s3_metrics_send(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    size_t                    len;
    ngx_buf_t                *b;
    ngx_http_s3_probe_t      *probe;
    ngx_http_s3_metrics_t    *m;
    ngx_http_s3_main_conf_t  *smcf;

    probe = t->data;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    m = smcf->metrics_zone->data;

    len = (S3_OP_LAST * (NGX_HTTP_S3_STATUS_CLASSES
                         + NGX_HTTP_S3_LATENCY_SLOTS + 2)
           + NGX_HTTP_S3_ERR_LAST + 64)
          * NGX_HTTP_S3_METRICS_LINE
          + ngx_max(probe->repld_len, 0);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_s3_metrics_ops(b->last, m);
    b->last = ngx_http_s3_metrics_errors(b->last, m);
    b->last = ngx_http_s3_metrics_node(b->last, m, probe);

    if (probe->repld_len > 0) {
        b->last = ngx_cpymem(b->last, probe->repld, probe->repld_len);
    }

    return ngx_http_s3_send_body(r, NGX_HTTP_OK, "text/plain; version=0.0.4",
                                 b);
}


static u_char *
ngx_http_s3_metrics_ops(u_char *p, ngx_http_s3_metrics_t *m)
{
    ngx_uint_t  op;

    p = ngx_cpymem(p, "# TYPE s3_requests_total counter\n"
                   "# TYPE s3_request_duration_seconds histogram\n",
                   sizeof("# TYPE s3_requests_total counter\n"
                          "# TYPE s3_request_duration_seconds histogram\n")
                   - 1);

    for (op = 0; op < S3_OP_LAST; op++) {
        p = ngx_http_s3_metrics_op(p, m, op);
    }

    return p;
}


/* an operation nothing was counted for has no lines */

static u_char *
ngx_http_s3_metrics_op(u_char *p, ngx_http_s3_metrics_t *m, ngx_uint_t op)
{
    char               *name;
    ngx_uint_t          i;
    ngx_atomic_uint_t   n, count;

    count = 0;

    for (i = 0; i < NGX_HTTP_S3_LATENCY_SLOTS; i++) {
        count += m->latency[op][i];
    }

    if (count == 0) {
        return p;
    }

    /* requests refused before they had an operation */

    name = (op == S3_OP_NONE) ? "Unknown" : (char *) s3_ops[op].action;

    for (i = 0; i < NGX_HTTP_S3_STATUS_CLASSES; i++) {
        p = ngx_sprintf(p, "s3_requests_total{op=\"%s\",status=\"%uixx\"} "
                        "%uA\n", name, i + 1, m->requests[op][i]);
    }

    n = 0;

    for (i = 0; i < NGX_HTTP_S3_LATENCY_SLOTS - 1; i++) {
        n += m->latency[op][i];
        p = ngx_sprintf(p, "s3_request_duration_seconds_bucket{op=\"%s\","
                        "le=\"%.3f\"} %uA\n", name,
                        (double) ngx_http_s3_latency_bounds[i] / 1000, n);
    }

    p = ngx_sprintf(p, "s3_request_duration_seconds_bucket{op=\"%s\","
                    "le=\"+Inf\"} %uA\n", name, count);
    p = ngx_sprintf(p, "s3_request_duration_seconds_sum{op=\"%s\"} %.3f\n",
                    name, (double) m->latency_ms[op] / 1000);

    return ngx_sprintf(p, "s3_request_duration_seconds_count{op=\"%s\"} "
                       "%uA\n", name, count);
}


static u_char *
ngx_http_s3_metrics_errors(u_char *p, ngx_http_s3_metrics_t *m)
{
    ngx_str_t   *code, *message;
    ngx_uint_t   err;

    p = ngx_cpymem(p, "# TYPE s3_errors_total counter\n",
                   sizeof("# TYPE s3_errors_total counter\n") - 1);

    for (err = NGX_HTTP_S3_OK + 1; err < NGX_HTTP_S3_ERR_LAST; err++) {
        if (m->errors[err] == 0) {
            continue;
        }

        ngx_http_s3_error_text(err, &code, &message);

        p = ngx_sprintf(p, "s3_errors_total{code=\"%V\"} %uA\n", code,
                        m->errors[err]);
    }

    return p;
}


static u_char *
ngx_http_s3_metrics_node(u_char *p, ngx_http_s3_metrics_t *m,
    ngx_http_s3_probe_t *probe)
{
    p = ngx_sprintf(p, "# TYPE s3_received_bytes_total counter\n"
                    "s3_received_bytes_total %uA\n"
                    "# TYPE s3_sent_bytes_total counter\n"
                    "s3_sent_bytes_total %uA\n"
                    "# TYPE s3_start_time_seconds gauge\n"
                    "s3_start_time_seconds %T\n"
                    "# TYPE s3_maintenance gauge\n"
                    "s3_maintenance %ui\n"
                    "# TYPE s3_repld_up gauge\n"
                    "s3_repld_up %d\n",
                    m->received, m->sent, m->started, probe->maintenance,
                    probe->repld_len >= 0);

    if (!probe->disk_ok) {
        return p;
    }

    return ngx_sprintf(p, "# TYPE s3_disk_size_bytes gauge\n"
                       "s3_disk_size_bytes %O\n"
                       "# TYPE s3_disk_used_bytes gauge\n"
                       "s3_disk_used_bytes %O\n"
                       "# TYPE s3_disk_free_bytes gauge\n"
                       "s3_disk_free_bytes %O\n"
                       "# TYPE s3_disk_used_ratio gauge\n"
                       "s3_disk_used_ratio %.4f\n",
                       probe->disk_size, probe->disk_used, probe->disk_avail,
                       ngx_http_s3_disk_ratio(probe));
}
