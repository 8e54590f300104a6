
/*
 * Copyright (C) ngx_s3 developers
 *
 * The audit log (s3_audit_log): one JSON line per write and per denied
 * request, written from the log phase with one O_APPEND write(), as the
 * access log writes without a buffer.  The file is one of the cycle's
 * open files (ngx_conf_open_file()), so "nginx -s reopen" reopens it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "s3_json_escape.h"


static ngx_int_t ngx_http_s3_audit_handler(ngx_http_request_t *r);
static u_char *ngx_http_s3_audit_line(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_uint_t status, size_t *len);
static u_char *ngx_http_s3_audit_str(u_char *p, const char *name,
    ngx_str_t *value);


/* every name but the first comes after a comma */
#define NGX_HTTP_S3_AUDIT_NAMES                                              \
    "{\"time\":\"\",\"request_id\":\"\",\"user\":\"\",\"access_key\":\"\","  \
    "\"remote_addr\":\"\",\"operation\":\"\",\"bucket\":\"\",\"key\":\"\","  \
    "\"status\":,\"error\":\"\",\"bytes_in\":,\"bytes_out\":}\n"


char *
ngx_http_s3_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->audit_log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        slcf->audit_log = NULL;
        return NGX_CONF_OK;
    }

    slcf->audit_log = ngx_conf_open_file(cf->cycle, &value[1]);
    if (slcf->audit_log == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_s3_audit_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_s3_audit_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_audit_handler(ngx_http_request_t *r)
{
    size_t                   len;
    u_char                  *line;
    ssize_t                  n;
    ngx_uint_t               status;
    ngx_open_file_t         *file;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_loc_conf_t  *slcf;

    static time_t            failed;          /* the last error logged */

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);
    file = slcf->audit_log;

    if (file == NULL) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (!(s3_ops[ctx->op].flags & S3_OP_CHANGE)
        && status != NGX_HTTP_FORBIDDEN)
    {
        return NGX_OK;
    }

    line = ngx_http_s3_audit_line(r, ctx, status, &len);
    if (line == NULL) {
        return NGX_ERROR;
    }

    n = ngx_write_fd(file->fd, line, len);

    if (n == (ssize_t) len || failed == ngx_time()) {
        return NGX_OK;
    }

    /* one line a second at most, as ngx_http_log_write() does */

    failed = ngx_time();

    if (n == -1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      ngx_write_fd_n " to \"%s\" failed", file->name.data);

    } else {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      ngx_write_fd_n " to \"%s\" was incomplete: "
                      "%z of %uz", file->name.data, n, len);
    }

    return NGX_OK;
}


static u_char *
ngx_http_s3_audit_line(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_uint_t status, size_t *len)
{
    u_char      *line, *p;
    size_t       size;
    ngx_str_t    rid, op, *code, *message;
    ngx_time_t  *tp;

    rid.data = ctx->request_id;
    rid.len = NGX_HTTP_S3_REQUEST_ID_LEN;

    op.data = (u_char *) s3_ops[ctx->op].action;
    op.len = (op.data == NULL) ? 0 : ngx_strlen(op.data);

    if (ctx->error == NGX_HTTP_S3_OK) {
        code = NULL;

    } else {
        ngx_http_s3_error_text(ctx->error, &code, &message);
    }

    size = sizeof(NGX_HTTP_S3_AUDIT_NAMES) + NGX_HTTP_S3_ISO8601_LEN
           + rid.len + op.len + NGX_INT_T_LEN + 2 * NGX_OFF_T_LEN
           + S3_JSON_ESCAPE_MAX * (ctx->user.len + ctx->access_key.len
                                   + r->connection->addr_text.len
                                   + ctx->bucket.len + ctx->key.len)
           + (code ? code->len : 0);

    line = ngx_pnalloc(r->pool, size);
    if (line == NULL) {
        return NULL;
    }

    tp = ngx_timeofday();

    p = ngx_cpymem(line, "{\"time\":\"", sizeof("{\"time\":\"") - 1);
    p = ngx_http_s3_xml_time(p, (uint64_t) tp->sec * 1000 + tp->msec);
    *p++ = '"';

    p = ngx_http_s3_audit_str(p, "request_id", &rid);
    p = ngx_http_s3_audit_str(p, "user", &ctx->user);
    p = ngx_http_s3_audit_str(p, "access_key", &ctx->access_key);
    p = ngx_http_s3_audit_str(p, "remote_addr", &r->connection->addr_text);
    p = ngx_http_s3_audit_str(p, "operation", &op);
    p = ngx_http_s3_audit_str(p, "bucket", &ctx->bucket);
    p = ngx_http_s3_audit_str(p, "key", &ctx->key);

    p = ngx_sprintf(p, ",\"status\":%ui", status);

    if (code == NULL) {
        p = ngx_cpymem(p, ",\"error\":\"\"", sizeof(",\"error\":\"\"") - 1);

    } else {
        p = ngx_http_s3_audit_str(p, "error", code);
    }

    p = ngx_sprintf(p, ",\"bytes_in\":%O,\"bytes_out\":%O}\n",
                    r->request_length, r->connection->sent);

    *len = p - line;

    return line;
}


static u_char *
ngx_http_s3_audit_str(u_char *p, const char *name, ngx_str_t *value)
{
    p = ngx_sprintf(p, ",\"%s\":\"", name);
    p += s3_json_escape((char *) p, (char *) value->data, value->len);
    *p++ = '"';

    return p;
}
