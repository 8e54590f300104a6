
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_health: .../live answers 200 whenever a worker answers; .../ready
 * answers 200 only when the node can take writes (the store writable,
 * repld reachable, the disk under NGX_HTTP_S3_DISK_CRITICAL, not in
 * maintenance), else 503 with the reasons.  Both with a JSON body.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_DISK_CRITICAL  0.90
#define NGX_HTTP_S3_VERSION        "0.2.0"
#define NGX_HTTP_S3_REASONS_MAX    (256 + 6 * S3_MAINTENANCE_MAX)
                                   /* each byte escaped as \uXXXX at most */
#define NGX_HTTP_S3_HEALTH_MAX     (1024 + NGX_HTTP_S3_REASONS_MAX)


static ngx_int_t ngx_http_s3_health_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_health_send(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static u_char *ngx_http_s3_health_reasons(u_char *p,
    ngx_http_s3_probe_t *probe);
static u_char *ngx_http_s3_health_reason(u_char *p, ngx_uint_t *first,
    char *reason);


char *
ngx_http_s3_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_s3_probe_location(cf, conf, ngx_http_s3_health_handler);
}


static ngx_int_t
ngx_http_s3_health_handler(ngx_http_request_t *r)
{
    return ngx_http_s3_probe(r, ngx_http_s3_health_send);
}


static ngx_int_t
ngx_http_s3_health_send(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    off_t                     objects, bytes;
    u_char                   *p, *reasons;
    ngx_buf_t                *b;
    ngx_uint_t                ready, live;
    ngx_str_t                 status;
    ngx_http_s3_probe_t      *probe;
    ngx_http_s3_metrics_t    *m;
    ngx_http_s3_main_conf_t  *smcf;

    probe = t->data;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    m = smcf->metrics_zone->data;

    live = (r->uri.len >= sizeof("/live") - 1
            && ngx_strncmp(r->uri.data + r->uri.len - (sizeof("/live") - 1),
                           "/live", sizeof("/live") - 1) == 0);

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_S3_HEALTH_MAX);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    reasons = ngx_pnalloc(r->pool, NGX_HTTP_S3_REASONS_MAX);
    if (reasons == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_http_s3_health_reasons(reasons, probe);
    ready = (p == reasons);

    if (live) {
        ngx_str_set(&status, "live");

    } else if (ready) {
        ngx_str_set(&status, "ready");

    } else {
        ngx_str_set(&status, "not ready");
    }

    objects = -1;
    bytes = -1;
    (void) ngx_http_s3_probe_value(probe, "s3_objects", &objects);
    (void) ngx_http_s3_probe_value(probe, "s3_bytes", &bytes);

    b->last = ngx_sprintf(b->last, "{\"status\":\"%V\",\"version\":\""
                          NGX_HTTP_S3_VERSION "\",\"node_id\":\"%08xD\","
                          "\"uptime\":%T,\"storage\":{\"objects\":%O,"
                          "\"bytes\":%O,\"disk_used\":%O,\"disk_free\":%O},"
                          "\"repld\":\"%s\",\"maintenance\":%s,"
                          "\"reasons\":[",
                          &status, probe->root->node_id,
                          ngx_time() - m->started, objects, bytes,
                          probe->disk_used, probe->disk_avail,
                          probe->repld_len >= 0 ? "up" : "down",
                          probe->maintenance ? "true" : "false");

    if (!live) {
        b->last = ngx_cpymem(b->last, reasons, p - reasons);
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);

    return ngx_http_s3_send_body(r, (live || ready) ? NGX_HTTP_OK
                                        : NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "application/json", b);
}


/* the JSON strings of why the node is not ready; none: it is */

static u_char *
ngx_http_s3_health_reasons(u_char *p, ngx_http_s3_probe_t *probe)
{
    u_char      msg[S3_MAINTENANCE_MAX * 6 + sizeof("maintenance: ")];
    u_char     *q;
    ngx_uint_t  first;

    first = 1;

    if (!probe->writable) {
        p = ngx_http_s3_health_reason(p, &first, "store not writable");
    }

    if (probe->repld_len < 0) {
        p = ngx_http_s3_health_reason(p, &first, "repld unreachable");
    }

    if (!probe->disk_ok) {
        p = ngx_http_s3_health_reason(p, &first, "disk figures unknown");

    } else if (ngx_http_s3_disk_ratio(probe) >= NGX_HTTP_S3_DISK_CRITICAL) {
        p = ngx_http_s3_health_reason(p, &first, "disk above 90%");
    }

    if (probe->maintenance) {
        q = ngx_cpymem(msg, "maintenance: ", sizeof("maintenance: ") - 1);
        q = (u_char *) ngx_escape_json(q, probe->message,
                                       probe->message_len);
        *q = '\0';
        p = ngx_http_s3_health_reason(p, &first, (char *) msg);
    }

    return p;
}


static u_char *
ngx_http_s3_health_reason(u_char *p, ngx_uint_t *first, char *reason)
{
    p = ngx_sprintf(p, "%s\"%s\"", *first ? "" : ",", reason);
    *first = 0;

    return p;
}
