
/*
 * Copyright (C) ngx_s3 developers
 *
 * Maintenance mode (s3_maintenance.h): a write refused with 503
 * ServiceUnavailable, the operator's message and Retry-After.  Only
 * writes ask, and each worker reads the file at most once per
 * millisecond of its clock (ngx_current_msec, the record cache's
 * pattern), so reads pay nothing and writes nearly nothing.  Writes
 * already past this check finish.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_RETRY_AFTER  "60"


ngx_uint_t
ngx_http_s3_maintenance(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    int                  rc;
    ngx_table_elt_t     *h;
    ngx_http_s3_root_t  *root;

    root = ctx->root;

    if (root->maint_checked != ngx_current_msec) {
        rc = s3_maintenance_get((char *) root->path.data,
                                (char *) root->maint_msg, S3_MAINTENANCE_MAX,
                                &root->maint_len);
        if (rc == -1) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                          "s3 maintenance file of \"%V\" unreadable",
                          &root->path);
        }

        root->maint_on = (rc == 1);
        root->maint_checked = ngx_current_msec;
    }

    if (!root->maint_on) {
        return 0;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h != NULL) {
        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, NGX_HTTP_S3_RETRY_AFTER);
    }

    ctx->message.data = ngx_pnalloc(r->pool, root->maint_len);

    if (ctx->message.data != NULL && root->maint_len > 0) {
        ngx_memcpy(ctx->message.data, root->maint_msg, root->maint_len);
        ctx->message.len = root->maint_len;

    } else {
        ngx_str_set(&ctx->message, "This node is in maintenance.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 write refused: the node is in maintenance");

    return 1;
}
