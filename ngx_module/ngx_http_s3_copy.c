
/*
 * Copyright (C) ngx_s3 developers
 *
 * UploadPartCopy: a range of a plain or a multipart object becomes a part
 * (the copy runs in a thread task, core/s3_store_copy.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "ngx_http_s3_multipart.h"


static ngx_http_s3_err_e ngx_http_s3_copy_source(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_mpu_ctx_t *m);
static ngx_http_s3_err_e ngx_http_s3_copy_range(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_copy_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_copy_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);


ngx_int_t
ngx_http_s3_upload_part_copy(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_mpu_start(r, NGX_HTTP_S3_DISCARD_BODY
                                   |NGX_HTTP_S3_CHANGE, &m);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_source(r, ctx, m);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_range(r, m);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_part_check(r, ctx);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m->copy.part.bucket = m->bucket;
    m->copy.part.key = m->key;
    m->copy.part.upload_id = m->upload_id;
    m->copy.part.part_number = ctx->part_number;

    return ngx_http_s3_task_post(r, ngx_http_s3_copy_run,
                                 ngx_http_s3_copy_done, m);
}


/* x-amz-copy-source: [/]bucket/key, percent-encoded; a source we own */

static ngx_http_s3_err_e
ngx_http_s3_copy_source(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_mpu_ctx_t *m)
{
    u_char            *p, *last, *slash, *dst;
    ssize_t            n;
    ngx_str_t          bucket, user;
    s3_record_t        brec;
    ngx_table_elt_t   *h;
    ngx_http_s3_err_e  err;

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-copy-source",
                                sizeof("x-amz-copy-source") - 1);

    p = h->value.data;
    last = p + h->value.len;

    if (p < last && *p == '/') {
        p++;
    }

    if (ngx_strlchr(p, last, '?') != NULL) {
        ngx_str_set(&ctx->message, "Copying a version is not implemented.");
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    dst = ngx_pnalloc(r->pool, last - p + 1);
    if (dst == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    n = s3_uri_decode((char *) dst, (const char *) p, last - p, 0);
    slash = (n > 0) ? ngx_strlchr(dst, dst + n, '/') : NULL;

    if (slash == NULL || slash == dst || slash + 1 == dst + n
        || !s3_bucket_name_valid((char *) dst, slash - dst)
        || (dst + n) - (slash + 1) > S3_KEY_MAX_LEN)
    {
        ngx_str_set(&ctx->message, "Invalid copy source encoding.");
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    m->copy.src_bucket.data = (char *) dst;
    m->copy.src_bucket.len = slash - dst;
    m->copy.src_key.data = (char *) slash + 1;
    m->copy.src_key.len = (dst + n) - (slash + 1);

    /* the source bucket must be the requester's too */

    bucket = ctx->bucket;
    user = ctx->user;
    ctx->bucket.data = dst;
    ctx->bucket.len = slash - dst;

    err = ngx_http_s3_check_bucket(r, ctx, &brec);

    ctx->bucket = bucket;
    ctx->user = user;

    return err;
}


static ngx_http_s3_err_e
ngx_http_s3_copy_range(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    u_char            *p, *last, *dash;
    off_t              a, b;
    ngx_table_elt_t   *h;
    ngx_http_s3_ctx_t *ctx;

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-copy-source-range",
                                sizeof("x-amz-copy-source-range") - 1);
    if (h == NULL) {
        return NGX_HTTP_S3_OK;
    }

    p = h->value.data;
    last = p + h->value.len;

    if (h->value.len > 6 && ngx_strncmp(p, "bytes=", 6) == 0) {
        p += 6;
        dash = ngx_strlchr(p, last, '-');

        if (dash != NULL) {
            a = ngx_atoof(p, dash - p);
            b = ngx_atoof(dash + 1, last - dash - 1);

            if (a >= 0 && b >= a) {
                m->copy.ranged = 1;
                m->copy.start = a;
                m->copy.last = b;
                return NGX_HTTP_S3_OK;
            }
        }
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    ngx_str_set(&ctx->message, "The x-amz-copy-source-range value must be "
                "of the form bytes=first-last where first and last are the "
                "zero-based offsets of the first and last bytes to copy");

    return NGX_HTTP_S3_INVALID_ARGUMENT;
}


static void
ngx_http_s3_copy_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_mpu_ctx_t *m = t->data;

    t->rc = s3_store_copy_part(m->store, &m->copy);
}


static ngx_int_t
ngx_http_s3_copy_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    u_char                 *p, etag[NGX_HTTP_S3_ETAG_LEN];
    ngx_buf_t              *b;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (t->rc == S3_STORE_BAD_RANGE) {
        ctx->message.data = ngx_pnalloc(r->pool, 64 + NGX_OFF_T_LEN);
        if (ctx->message.data != NULL) {
            ctx->message.len = ngx_sprintf(ctx->message.data,
                                   "Range specified is not valid for "
                                   "source object of size: %uL",
                                   m->copy.src_size)
                               - ctx->message.data;
        }

        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_ARGUMENT);
    }

    err = ngx_http_s3_mpu_status(r, t, "s3_store_copy_part()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    b = ngx_create_temp_buf(r->pool, 512);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<CopyPartResult xmlns=\""
                   NGX_HTTP_S3_XMLNS "\"><LastModified>",
                   sizeof(NGX_HTTP_S3_XML_DECL "<CopyPartResult xmlns=\""
                          NGX_HTTP_S3_XMLNS "\"><LastModified>") - 1);
    p = ngx_http_s3_xml_time(p, m->copy.part.mtime_ms);
    p = ngx_cpymem(p, "</LastModified>", sizeof("</LastModified>") - 1);
    p = ngx_http_s3_xml_element(p, "ETag", etag,
                                ngx_http_s3_etag(etag, m->copy.part.md5, 0)
                                - etag);
    b->last = ngx_cpymem(p, "</CopyPartResult>",
                         sizeof("</CopyPartResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}
