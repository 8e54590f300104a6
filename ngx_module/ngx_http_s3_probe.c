
/*
 * Copyright (C) ngx_s3 developers
 *
 * The probe behind s3_metrics and s3_health: in a thread of the pool, as
 * it blocks, it asks repld for its figures (a short time-out: a scrape
 * must not wait for a stuck repld), reads the data directory's disk
 * figures and maintenance file, and checks the directory is writable.
 * These locations serve the first s3_store of their http block.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/statvfs.h>

#include "s3_admin.h"

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_PROBE_TIMEOUT  1000            /* ms */
#define NGX_HTTP_S3_PROBE_MAX      (4 * 1024 * 1024)  /* repld's answer
                                                        for 10000 buckets */


static void ngx_http_s3_probe_run(ngx_http_s3_task_t *t);


char *
ngx_http_s3_probe_location(ngx_conf_t *cf, void *conf,
    ngx_http_handler_pt handler)
{
    ngx_http_s3_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_s3_main_conf_t   *smcf;

    if (slcf->probe) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "conflicts with another handler of the location (s3_store, "
               "s3_metrics, s3_health, proxy_pass...)";
    }

    clcf->handler = handler;
    slcf->probe = 1;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);
    smcf->probes++;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_s3_probe(ngx_http_request_t *r, ngx_http_s3_task_done_pt done)
{
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_probe_t      *p;
    ngx_http_s3_root_t      **rootp;
    ngx_http_s3_main_conf_t  *smcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* ngx_http_s3_task_post() answers its own failures as S3 errors */

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_probe_t));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_s3_module);

    if (ngx_http_s3_set_request_id(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->repld = ngx_pnalloc(r->pool, NGX_HTTP_S3_PROBE_MAX);
    if (p->repld == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    rootp = smcf->roots.elts;
    p->root = rootp[0];

    /* a worker that could not open its journal refuses every write */

    p->writable = (p->root->journal != NULL);

    return ngx_http_s3_task_post(r, ngx_http_s3_probe_run, done, p);
}


static void
ngx_http_s3_probe_run(ngx_http_s3_task_t *t)
{
    int                   rc;
    char                 *path;
    unsigned              status;
    struct statvfs        vfs;
    ngx_http_s3_probe_t  *p;

    p = t->data;
    path = (char *) p->root->path.data;

    p->repld_len = s3_admin_ask(path, "metrics", (char *) p->repld,
                                NGX_HTTP_S3_PROBE_MAX,
                                NGX_HTTP_S3_PROBE_TIMEOUT, &status);

    if (p->repld_len >= 0 && status != 200) {
        p->repld_len = -1;
    }

    if (statvfs(path, &vfs) == 0) {
        p->disk_ok = 1;
        p->disk_size = (off_t) vfs.f_blocks * vfs.f_frsize;
        p->disk_used = (off_t) (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
        p->disk_avail = (off_t) vfs.f_bavail * vfs.f_frsize;

        if (vfs.f_flag & ST_RDONLY) {
            p->writable = 0;
        }
    }

    if (access(path, W_OK) == -1) {
        p->writable = 0;
    }

    rc = s3_maintenance_get(path, (char *) p->message, S3_MAINTENANCE_MAX,
                            &p->message_len);

    p->maintenance = (rc == 1);
    t->rc = S3_OK;
}


/* the value of repld's line "name value", or 0 when it has none */

ngx_uint_t
ngx_http_s3_probe_value(ngx_http_s3_probe_t *p, char *name, off_t *value)
{
    u_char  *s, *last, *eol;
    size_t   len;

    if (p->repld_len <= 0) {
        return 0;
    }

    len = ngx_strlen(name);
    last = p->repld + p->repld_len;

    for (s = p->repld; s < last; s = eol + 1) {
        eol = ngx_strlchr(s, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        if ((size_t) (eol - s) > len + 1 && s[len] == ' '
            && ngx_strncmp(s, name, len) == 0)
        {
            *value = ngx_atoof(s + len + 1, eol - s - len - 1);
            return *value != NGX_ERROR;
        }
    }

    return 0;
}


/* used / (used + available), as df counts it */

double
ngx_http_s3_disk_ratio(ngx_http_s3_probe_t *p)
{
    off_t  total;

    total = p->disk_used + p->disk_avail;

    return (total > 0) ? (double) p->disk_used / total : 0;
}
