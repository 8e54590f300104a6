
/*
 * Copyright (C) ngx_s3 developers
 *
 * PutObject.  nginx streams the body into a temp file under the store's
 * tmp/ directory (client_body_temp_path) while our request body filter
 * feeds every buffer to MD5 and SHA-256, so memory stays bounded; the
 * commit task appends the record and renames the temp file into place.
 * UploadPart takes the same path: only its checks and its commit differ.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_err_e ngx_http_s3_put_check(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_uint_t ngx_http_s3_put_keep_header(ngx_table_elt_t *h);
static ngx_http_s3_err_e ngx_http_s3_content_md5(ngx_http_request_t *r,
    u_char *md5);
static ngx_int_t ngx_http_s3_put_digests(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static void ngx_http_s3_put_cleanup(void *data);
static ngx_int_t ngx_http_s3_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_s3_put_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_put_commit(ngx_http_request_t *r);
static ngx_http_s3_err_e ngx_http_s3_put_verify(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_temp_file_t *ngx_http_s3_put_temp_file(ngx_http_request_t *r);
static void ngx_http_s3_put_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_put_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static void ngx_http_s3_put_keep_file(ngx_http_request_t *r, ngx_fd_t fd);


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;


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
    ngx_int_t           rc;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_put_check(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (ngx_http_s3_put_digests(r, ctx) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    r->request_body_in_file_only = 1;
    r->request_body_in_persistent_file = 1;
    r->request_body_in_clean_file = 1;
    r->request_body_file_log_level = 0;

    ctx->hashing = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_s3_put_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ctx->hashing = 0;
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
    s3_record_t        brec;
    ngx_http_s3_err_e  err;

    if (ctx->store.journal == NULL) {
        return NGX_HTTP_S3_SERVICE_UNAVAILABLE;
    }

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        return NGX_HTTP_S3_MISSING_CONTENT_LENGTH;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_S3_MAX_OBJECT_SIZE) {
        return NGX_HTTP_S3_ENTITY_TOO_LARGE;
    }

    if (r->headers_in.content_range != NULL) {
        ngx_str_set(&ctx->message, "Content-Range is not supported by "
                    "PutObject.");
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    err = ngx_http_s3_content_md5(r, md5);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (ctx->op == NGX_HTTP_S3_OP_UPLOAD_PART) {
        return ngx_http_s3_part_check(r, ctx);
    }

    return ngx_http_s3_put_headers(r, ctx);
}


/* the headers a PutObject or CreateMultipartUpload stores */

ngx_http_s3_err_e
ngx_http_s3_put_headers(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    char             *buf;
    size_t            len, meta;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

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

        switch (ngx_http_s3_put_keep_header(&h[i])) {

        case 0:
            continue;

        case 2:
            meta += h[i].key.len - (sizeof("x-amz-meta-") - 1)
                    + h[i].value.len;
            break;
        }

        if (meta > NGX_HTTP_S3_MAX_META_SIZE
            || s3_record_add_header(buf, &len, NGX_HTTP_S3_HEADERS_SIZE,
                                    (char *) h[i].lowcase_key, h[i].key.len,
                                    (char *) h[i].value.data, h[i].value.len)
               != S3_OK)
        {
            return NGX_HTTP_S3_METADATA_TOO_LARGE;
        }
    }

    ctx->rec.headers.data = buf;
    ctx->rec.headers.len = len;

    return NGX_HTTP_S3_OK;
}


/* returns 0 for a header we drop, 1 to keep, 2 for x-amz-meta-* */

static ngx_uint_t
ngx_http_s3_put_keep_header(ngx_table_elt_t *h)
{
    ngx_str_t  *s;

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

    if (h->value.len == sizeof("aws-chunked") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "aws-chunked",
                           h->value.len) == 0)
    {
        return 0;
    }

    return 1;
}


static ngx_http_s3_err_e
ngx_http_s3_content_md5(ngx_http_request_t *r, u_char *md5)
{
    ngx_str_t         dst;
    ngx_table_elt_t  *h;

    h = ngx_http_s3_find_header(r, (u_char *) "content-md5",
                                sizeof("content-md5") - 1);
    if (h == NULL) {
        return NGX_HTTP_S3_OK;
    }

    dst.data = md5;

    if (h->value.len != ngx_base64_encoded_length(S3_MD5_LEN)
        || ngx_decode_base64(&dst, &h->value) != NGX_OK
        || dst.len != S3_MD5_LEN)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 invalid Content-MD5 \"%V\"", &h->value);
        return NGX_HTTP_S3_INVALID_DIGEST;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_put_digests(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_put_cleanup;
    cln->data = ctx;

    if (s3_digest_init(&ctx->md5, S3_DIGEST_MD5) != S3_OK
        || (ctx->check_sha256
            && s3_digest_init(&ctx->sha256, S3_DIGEST_SHA256) != S3_OK))
    {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_digest_init() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_s3_put_cleanup(void *data)
{
    ngx_http_s3_ctx_t *ctx = data;

    s3_digest_free(&ctx->md5);
    s3_digest_free(&ctx->sha256);
}


ngx_int_t
ngx_http_s3_put_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_s3_request_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_request_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t              len;
    ngx_buf_t          *b;
    ngx_chain_t        *cl;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_s3_module);

    if (ctx == NULL || !ctx->hashing) {
        return ngx_http_next_request_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 request body buffer in file");
            return NGX_ERROR;
        }

        len = b->last - b->pos;

        if (len == 0) {
            continue;
        }

        if (s3_digest_update(&ctx->md5, b->pos, len) != S3_OK
            || (ctx->check_sha256
                && s3_digest_update(&ctx->sha256, b->pos, len) != S3_OK))
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                          "s3_digest_update() failed");
            return NGX_ERROR;
        }

        ctx->received += len;
    }

    return ngx_http_next_request_body_filter(r, in);
}


static void
ngx_http_s3_put_body_handler(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_s3_put_commit(r));
}


static ngx_int_t
ngx_http_s3_put_commit(ngx_http_request_t *r)
{
    ngx_temp_file_t    *tf;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    ctx->hashing = 0;

    if (r->request_body == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 PUT request body is unavailable");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_put_verify(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    tf = ngx_http_s3_put_temp_file(r);
    if (tf == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    ctx->rec.kind = S3_RECORD_OBJECT;

    if (ctx->op == NGX_HTTP_S3_OP_UPLOAD_PART) {
        ctx->rec.kind = S3_RECORD_PART;
        ctx->rec.upload_id.data = (char *) ctx->upload_id.data;
        ctx->rec.upload_id.len = ctx->upload_id.len;
        ctx->rec.part_number = ctx->part_number;
    }

    ctx->rec.size = ctx->received;
    ctx->rec.bucket.data = (char *) ctx->bucket.data;
    ctx->rec.bucket.len = ctx->bucket.len;
    ctx->rec.key.data = (char *) ctx->key.data;
    ctx->rec.key.len = ctx->key.len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 put commit: \"%s\" fd:%d size:%O",
                   tf->file.name.data, tf->file.fd, ctx->received);

    return ngx_http_s3_task_post(r, ngx_http_s3_put_run,
                                 ngx_http_s3_put_done, ctx);
}


static ngx_http_s3_err_e
ngx_http_s3_put_verify(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char             sha256[S3_SHA256_LEN], declared[S3_SHA256_LEN];
    u_char             md5[S3_MD5_LEN];
    ngx_http_s3_err_e  err;

    if (s3_digest_final(&ctx->md5, ctx->rec.md5) != S3_OK
        || (ctx->check_sha256
            && s3_digest_final(&ctx->sha256, sha256) != S3_OK))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_digest_final() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (r->headers_in.content_length_n >= 0
        && ctx->received != r->headers_in.content_length_n)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 body filter saw %O bytes of %O",
                      ctx->received, r->headers_in.content_length_n);
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (ctx->check_sha256) {
        (void) s3_hex_decode(declared, (char *) ctx->payload_hash.data,
                             ctx->payload_hash.len);

        if (s3_const_time_cmp(declared, sha256, S3_SHA256_LEN) != 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s3 body does not match x-amz-content-sha256");
            return NGX_HTTP_S3_SHA256_MISMATCH;
        }
    }

    err = ngx_http_s3_content_md5(r, md5);

    if (err == NGX_HTTP_S3_OK
        && ngx_http_s3_find_header(r, (u_char *) "content-md5",
                                   sizeof("content-md5") - 1) != NULL
        && ngx_memcmp(md5, ctx->rec.md5, S3_MD5_LEN) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 body does not match Content-MD5");
        return NGX_HTTP_S3_BAD_DIGEST;
    }

    return err;
}


static ngx_temp_file_t *
ngx_http_s3_put_temp_file(ngx_http_request_t *r)
{
    ngx_temp_file_t           *tf;
    ngx_http_core_loc_conf_t  *clcf;

    if (r->request_body->temp_file != NULL) {
        return r->request_body->temp_file;
    }

    /* an empty body: nginx wrote nothing, the object needs a file */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    tf = ngx_pcalloc(r->pool, sizeof(ngx_temp_file_t));
    if (tf == NULL) {
        return NULL;
    }

    tf->file.fd = NGX_INVALID_FILE;
    tf->file.log = r->connection->log;
    tf->path = clcf->client_body_temp_path;
    tf->pool = r->pool;
    tf->persistent = 1;
    tf->clean = 1;

    if (ngx_create_temp_file(&tf->file, tf->path, tf->pool, 1, 1, 0)
        != NGX_OK)
    {
        return NULL;
    }

    r->request_body->temp_file = tf;

    return tf;
}


static void
ngx_http_s3_put_run(ngx_http_s3_task_t *t)
{
    ngx_temp_file_t    *tf;
    ngx_http_s3_ctx_t  *ctx;

    ctx = t->data;
    tf = t->request->request_body->temp_file;

    if (ctx->rec.kind == S3_RECORD_PART) {
        t->rc = s3_store_commit_part(&ctx->store, tf->file.fd,
                                     (char *) tf->file.name.data, &ctx->rec);

    } else {
        t->rc = s3_store_put_object(&ctx->store, tf->file.fd,
                                    (char *) tf->file.name.data, &ctx->rec);
    }

}


static ngx_int_t
ngx_http_s3_put_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_temp_file_t    *tf;
    ngx_http_s3_ctx_t  *ctx;

    ctx = t->data;
    tf = r->request_body->temp_file;

    switch (t->rc) {

    case S3_OK:
        ngx_http_s3_put_keep_file(r, tf->file.fd);
        break;

    case S3_STORE_NO_BUCKET:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_NO_SUCH_BUCKET);

    case S3_STORE_NO_UPLOAD:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_NO_SUCH_UPLOAD);

    default:
        return ngx_http_s3_send_error(r,
                   ngx_http_s3_errno(r->connection->log, t->err,
                                     "s3_store_put_object()",
                                     (char *) tf->file.name.data));
    }

    if (ctx->rec.kind == S3_RECORD_OBJECT) {
        ngx_http_s3_notify(r);
    }

    if (ngx_http_s3_set_etag(r, ctx->rec.md5, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}


/*
 * The temp file was renamed into place: its pool cleanup must only close
 * it, since another request may already have a temp file of that name.
 */

static void
ngx_http_s3_put_keep_file(ngx_http_request_t *r, ngx_fd_t fd)
{
    ngx_pool_cleanup_t       *cln;
    ngx_pool_cleanup_file_t  *clnf;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler != ngx_pool_delete_file) {
            continue;
        }

        clnf = cln->data;

        if (clnf->fd == fd) {
            cln->handler = ngx_pool_cleanup_file;
            return;
        }
    }

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "s3 cleanup of the committed temp file not found");
}
