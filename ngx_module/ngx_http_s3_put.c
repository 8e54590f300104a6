
/*
 * Copyright (C) ngx_s3 developers
 *
 * PutObject.  Our request body filter (ngx_http_s3_body.c) streams the
 * body into a temp file under the store's tmp/ directory, hashing it, so
 * memory stays bounded; the commit task appends the record and renames
 * the temp file into place.  UploadPart takes the same path: only its
 * checks and its commit differ.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_err_e ngx_http_s3_put_check(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_http_s3_err_e ngx_http_s3_put_cond(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_http_s3_err_e ngx_http_s3_storage_class(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_int_t ngx_http_s3_put_keep_header(ngx_http_request_t *r,
    ngx_table_elt_t *h, ngx_str_t *value);
static ngx_int_t ngx_http_s3_put_encoding(ngx_http_request_t *r,
    ngx_str_t *value);
static void ngx_http_s3_put_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_put_commit(ngx_http_request_t *r);
static ngx_http_s3_err_e ngx_http_s3_put_verify(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static void ngx_http_s3_put_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_put_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);


static ngx_str_t  ngx_http_s3_kept_headers[] = {
    ngx_string("cache-control"),
    ngx_string("content-disposition"),
    ngx_string("content-encoding"),
    ngx_string("content-language"),
    ngx_string("content-type"),
    ngx_string("expires"),
    ngx_null_string
};


ngx_int_t
ngx_http_s3_put_object(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_s3_body_t  *body;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    /* our If-Match and If-None-Match are about the version we replace */

    r->disable_not_modified = 1;

    err = ngx_http_s3_put_check(r, ctx);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_body_start(r, ctx);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_s3_put_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        body = ctx->body;
        body->reading = 0;
        r->keepalive = 0;

        switch (rc) {

        case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ENTITY_TOO_LARGE);

        case NGX_HTTP_BAD_REQUEST:
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_REQUEST);

        default:
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
        }
    }

    return NGX_DONE;
}


static ngx_http_s3_err_e
ngx_http_s3_put_check(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char             md5[S3_MD5_LEN];
    ngx_uint_t         sent;
    s3_record_t        brec;
    ngx_http_s3_err_e  err;

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        return NGX_HTTP_S3_MISSING_CONTENT_LENGTH;
    }

    if (r->headers_in.content_range != NULL) {
        ngx_str_set(&ctx->message, "Content-Range is not supported by "
                    "PutObject.");
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    err = ngx_http_s3_content_md5(r, md5, &sent);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec,
                                   ctx->headers[S3_HDR_EXPECTED_BUCKET_OWNER]);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (ctx->op == S3_OP_UPLOAD_PART) {
        return ngx_http_s3_part_check(r, ctx);
    }

    err = ngx_http_s3_put_cond(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    return ngx_http_s3_put_headers(r, ctx);
}


/*
 * If-None-Match: "*" and If-Match: "*" or one ETag, checked by the commit
 * under the key lock; an If-Match value that is no ETag of ours matches
 * no version.
 */

static ngx_http_s3_err_e
ngx_http_s3_put_cond(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char           *p, *last, *dash;
    ngx_int_t         n;
    ngx_table_elt_t  *h;
    s3_store_cond_t  *cond;

    if (r->headers_in.if_match == NULL && r->headers_in.if_none_match == NULL)
    {
        return NGX_HTTP_S3_OK;
    }

    cond = ngx_pcalloc(r->pool, sizeof(s3_store_cond_t));
    if (cond == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h = r->headers_in.if_none_match;

    if (h != NULL) {
        if (h->value.len != 1 || h->value.data[0] != '*') {
            ngx_str_set(&ctx->message, "A header you provided implies "
                        "functionality that is not implemented");
            return NGX_HTTP_S3_NOT_IMPLEMENTED;
        }

        cond->none_match = 1;
    }

    h = r->headers_in.if_match;

    if (h != NULL) {
        cond->match = 1;
        p = h->value.data;
        last = p + h->value.len;

        if (last - p >= 2 && p[0] == '"' && last[-1] == '"') {
            p++;
            last--;
        }

        dash = ngx_strlchr(p, last, '-');
        n = (dash != NULL) ? ngx_atoi(dash + 1, last - dash - 1) : 0;

        if (last - p == 1 && p[0] == '*') {
            cond->match_any = 1;

        } else if ((dash ? dash : last) - p != 2 * S3_MD5_LEN
                   || s3_hex_decode(cond->md5, (char *) p, 2 * S3_MD5_LEN)
                      != S3_OK
                   || n == NGX_ERROR || (dash != NULL && n == 0))
        {
            cond->nparts = (size_t) -1;

        } else {
            cond->nparts = n;
        }
    }

    ctx->cond = cond;

    return NGX_HTTP_S3_OK;
}


/* the headers and tags a PutObject or CreateMultipartUpload stores */

ngx_http_s3_err_e
ngx_http_s3_put_headers(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    char               *buf;
    size_t              len, meta;
    ngx_str_t           value;
    ngx_uint_t          i;
    ngx_list_part_t    *part;
    ngx_table_elt_t    *h;
    ngx_http_s3_err_e   err;

    if (ngx_http_s3_storage_class(r, ctx) != NGX_HTTP_S3_OK) {
        return NGX_HTTP_S3_INVALID_STORAGE_CLASS;
    }

    buf = ngx_pnalloc(r->pool, NGX_HTTP_S3_HEADERS_SIZE);
    if (buf == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    len = 0;
    meta = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        switch (ngx_http_s3_put_keep_header(r, &h[i], &value)) {

        case NGX_ERROR:
            return NGX_HTTP_S3_INTERNAL_ERROR;

        case 0:
            continue;

        case 2:
            meta += h[i].key.len - (sizeof("x-amz-meta-") - 1) + value.len;
            break;
        }

        if (meta > NGX_HTTP_S3_MAX_META_SIZE
            || s3_record_add_header(buf, &len, NGX_HTTP_S3_HEADERS_SIZE,
                                    (char *) h[i].lowcase_key, h[i].key.len,
                                    (char *) value.data, value.len)
               != S3_OK)
        {
            return NGX_HTTP_S3_METADATA_TOO_LARGE;
        }
    }

    ctx->rec.headers.data = buf;
    ctx->rec.headers.len = len;

    err = ngx_http_s3_acl_header(r, ctx, &ctx->rec.acl);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    return ngx_http_s3_tagging_header(r, ctx);
}


/*
 * Objects are stored one way, S3's STANDARD, which is not stored since S3
 * does not show it; any other class, valid or not, is refused.
 */

static ngx_http_s3_err_e
ngx_http_s3_storage_class(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    h = ctx->headers[S3_HDR_STORAGE_CLASS];

    if (h == NULL
        || (h->value.len == sizeof("STANDARD") - 1
            && ngx_strncmp(h->value.data, "STANDARD", h->value.len) == 0))
    {
        return NGX_HTTP_S3_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 storage class \"%V\" is not STANDARD", &h->value);

    return NGX_HTTP_S3_INVALID_STORAGE_CLASS;
}


/*
 * Returns 0 for a header we drop, 1 to keep with *value, 2 for
 * x-amz-meta-*, NGX_ERROR.
 */

static ngx_int_t
ngx_http_s3_put_keep_header(ngx_http_request_t *r, ngx_table_elt_t *h,
    ngx_str_t *value)
{
    ngx_str_t  *s;

    *value = h->value;

    if (h->key.len > sizeof("x-amz-meta-") - 1
        && ngx_strncmp(h->lowcase_key, "x-amz-meta-",
                       sizeof("x-amz-meta-") - 1) == 0)
    {
        return 2;
    }

    for (s = ngx_http_s3_kept_headers; s->len; s++) {
        if (h->key.len == s->len
            && ngx_strncmp(h->lowcase_key, s->data, s->len) == 0)
        {
            break;
        }
    }

    if (s->len == 0) {
        return 0;
    }

    if (h->key.len == sizeof("content-encoding") - 1
        && ngx_strncmp(h->lowcase_key, "content-encoding",
                       sizeof("content-encoding") - 1) == 0
        && ngx_strlcasestrn(value->data, value->data + value->len,
                            (u_char *) "aws-chunked",
                            sizeof("aws-chunked") - 1 - 1)
           != NULL)
    {
        return ngx_http_s3_put_encoding(r, value);
    }

    return 1;
}


/*
 * Content-Encoding without the aws-chunked the body was sent in:
 * "aws-chunked,gzip" is stored "gzip", "aws-chunked" not at all.
 */

static ngx_int_t
ngx_http_s3_put_encoding(ngx_http_request_t *r, ngx_str_t *value)
{
    u_char  *p, *last, *start, *end, *out;
    size_t   n;

    out = ngx_pnalloc(r->pool, value->len);
    if (out == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    p = value->data;
    last = p + value->len;

    while (p < last) {
        start = p;
        end = ngx_strlchr(p, last, ',');

        if (end == NULL) {
            end = last;
        }

        p = end + 1;

        while (start < end && (*start == ' ' || *start == '\t')) {
            start++;
        }

        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }

        if (start == end
            || (end - start == sizeof("aws-chunked") - 1
                && ngx_strncasecmp(start, (u_char *) "aws-chunked",
                                   sizeof("aws-chunked") - 1) == 0))
        {
            continue;
        }

        if (n != 0) {
            out[n++] = ',';
        }

        n = ngx_cpymem(out + n, start, end - start) - out;
    }

    value->data = out;
    value->len = n;

    return (n != 0) ? 1 : 0;
}


/*
 * Decodes Content-MD5 into md5[S3_MD5_LEN]; *sent tells whether the
 * request had one.
 */

ngx_http_s3_err_e
ngx_http_s3_content_md5(ngx_http_request_t *r, u_char *md5, ngx_uint_t *sent)
{
    ngx_str_t         dst;
    ngx_table_elt_t    *h;
    ngx_http_s3_ctx_t  *ctx;

    /* 24 characters without padding decode to 18 bytes */
    u_char              decoded[S3_MD5_LEN + 2];

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    h = ctx->headers[S3_HDR_CONTENT_MD5];

    *sent = (h != NULL);

    if (h == NULL) {
        return NGX_HTTP_S3_OK;
    }

    dst.data = decoded;

    if (h->value.len != ngx_base64_encoded_length(S3_MD5_LEN)
        || ngx_decode_base64(&dst, &h->value) != NGX_OK
        || dst.len != S3_MD5_LEN)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 invalid Content-MD5 \"%V\"", &h->value);
        return NGX_HTTP_S3_INVALID_DIGEST;
    }

    ngx_memcpy(md5, decoded, S3_MD5_LEN);

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_put_body_handler(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_s3_put_commit(r));
}


static ngx_int_t
ngx_http_s3_put_commit(ngx_http_request_t *r)
{
    ngx_temp_file_t     *tf;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_s3_body_t  *body;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    body = ctx->body;
    tf = &body->temp;

    err = ngx_http_s3_body_finish(r, ctx);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_put_verify(r, ctx);
    }

    if (err != NGX_HTTP_S3_OK) {
        ngx_http_s3_body_remove(r, body);
        return ngx_http_s3_send_error(r, err);
    }

    ctx->rec.kind = S3_RECORD_OBJECT;

    if (ctx->op == S3_OP_UPLOAD_PART) {
        ctx->rec.kind = S3_RECORD_PART;
        ctx->rec.upload_id.data = (char *) ctx->upload_id.data;
        ctx->rec.upload_id.len = ctx->upload_id.len;
        ctx->rec.part_number = ctx->part_number;
    }

    ctx->rec.bucket.data = (char *) ctx->bucket.data;
    ctx->rec.bucket.len = ctx->bucket.len;
    ctx->rec.key.data = (char *) ctx->key.data;
    ctx->rec.key.len = ctx->key.len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 put commit: \"%s\" fd:%d size:%O",
                   tf->file.name.data, tf->file.fd, ctx->rec.size);

    return ngx_http_s3_task_post(r, ngx_http_s3_put_run,
                                 ngx_http_s3_put_done, ctx);
}


static ngx_http_s3_err_e
ngx_http_s3_put_verify(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char             md5[S3_MD5_LEN];
    ngx_uint_t         sent;
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_content_md5(r, md5, &sent);

    if (err == NGX_HTTP_S3_OK && sent
        && ngx_memcmp(md5, ctx->rec.md5, S3_MD5_LEN) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 body does not match Content-MD5");
        return NGX_HTTP_S3_BAD_DIGEST;
    }

    return err;
}


static void
ngx_http_s3_put_run(ngx_http_s3_task_t *t)
{
    ngx_temp_file_t     *tf;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_body_t  *body;

    ctx = t->data;
    body = ctx->body;
    tf = &body->temp;

    if (ctx->rec.kind == S3_RECORD_PART) {
        t->rc = s3_store_commit_part(&ctx->store, tf->file.fd,
                                     (char *) tf->file.name.data, &ctx->rec);

    } else {
        t->rc = s3_store_put_object_if(&ctx->store, tf->file.fd,
                                       (char *) tf->file.name.data,
                                       &ctx->rec, ctx->cond);
    }

}


static ngx_int_t
ngx_http_s3_put_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_temp_file_t     *tf;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_s3_body_t  *body;

    ctx = t->data;
    body = ctx->body;
    tf = &body->temp;

    err = ngx_http_s3_store_error(r->connection->log, t->rc, t->err,
                                  NGX_HTTP_S3_NO_SUCH_KEY,
                                  "s3_store_put_object()",
                                  (char *) tf->file.name.data);
    if (err != NGX_HTTP_S3_OK) {
        ngx_http_s3_body_remove(r, body);
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_body_keep(r, body);

    if (ctx->rec.kind == S3_RECORD_OBJECT) {
        ngx_http_s3_notify(r);
    }

    if (ngx_http_s3_set_etag(r, ctx->rec.md5, 0) != NGX_OK
        || ngx_http_s3_set_checksum(r, &ctx->rec) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}

