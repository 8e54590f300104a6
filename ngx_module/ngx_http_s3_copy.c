
/*
 * Copyright (C) ngx_s3 developers
 *
 * CopyObject and UploadPartCopy.  The worker opens the source named by
 * x-amz-copy-source and reads its record, as GET does, and judges the
 * x-amz-copy-source-if-* conditions on it; a thread task then copies the
 * bytes from that descriptor (core/s3_store_copy.c), so the version judged
 * is the version copied.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "ngx_http_s3_multipart.h"


#define NGX_HTTP_S3_DIRECTIVE_COPY     0
#define NGX_HTTP_S3_DIRECTIVE_REPLACE  1


typedef struct {
    s3_store_t                *store;
    s3_store_copy_t            copy;
} ngx_http_s3_copy_ctx_t;


static ngx_http_s3_err_e ngx_http_s3_copy_open(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_store_copy_t *c);
static ngx_http_s3_err_e ngx_http_s3_copy_source(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_str_t *bucket, ngx_str_t *key);
static ngx_http_s3_err_e ngx_http_s3_copy_conditions(ngx_http_request_t *r,
    s3_record_t *src);
static ngx_http_s3_err_e ngx_http_s3_copy_directive(ngx_http_s3_ctx_t *ctx,
    ngx_table_elt_t *h, char *unknown, ngx_uint_t *directive);
static ngx_http_s3_err_e ngx_http_s3_copy_record(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_store_copy_t *c);
static ngx_http_s3_err_e ngx_http_s3_copy_range(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_copy_object_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_copy_object_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static void ngx_http_s3_copy_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_copy_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_copy_result(ngx_http_request_t *r,
    char *root, s3_record_t *rec);


ngx_int_t
ngx_http_s3_copy_object(ngx_http_request_t *r)
{
    s3_record_t              brec;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_err_e        err;
    ngx_http_s3_copy_ctx_t  *cc;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    cc = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_copy_ctx_t));
    if (cc == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    cc->store = &ctx->store;

    err = ngx_http_s3_copy_open(r, ctx, &cc->copy);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_record(r, ctx, &cc->copy);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_copy_object_run,
                                 ngx_http_s3_copy_object_done, cc);
}


ngx_int_t
ngx_http_s3_upload_part_copy(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_mpu_start(r, NGX_HTTP_S3_DISCARD_BODY, &m);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_range(r, m);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_part_check(r, ctx);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_open(r, ctx, &m->copy);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m->copy.dst.bucket = m->bucket;
    m->copy.dst.key = m->key;
    m->copy.dst.upload_id = m->upload_id;
    m->copy.dst.part_number = ctx->part_number;

    /* the upload's algorithm, computed over the copied bytes */

    m->copy.dst.checksum = ctx->rec.checksum;

    return ngx_http_s3_task_post(r, ngx_http_s3_copy_run,
                                 ngx_http_s3_copy_done, m);
}


/*
 * The source: named, in a bucket of the requester, opened, its record
 * read into r->pool and the x-amz-copy-source-if-* conditions met.
 */

static ngx_http_s3_err_e
ngx_http_s3_copy_open(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_store_copy_t *c)
{
    ngx_str_t          bucket, key;
    ngx_file_t        *file;
    s3_record_t       *src;
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_copy_source(r, ctx, &bucket, &key);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    src = ngx_pcalloc(r->pool, sizeof(s3_record_t));

    if (file == NULL || src == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    err = ngx_http_s3_open_object(r, &bucket, &key, 0, file, src);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (src->holders.len != 0) {
        return ngx_http_s3_bytes_elsewhere(r, src);
    }

    c->src_fd = file->fd;
    c->src = src;

    return ngx_http_s3_copy_conditions(r, src);
}


/*
 * x-amz-copy-source: [/]bucket/key, percent-encoded, with an optional
 * ?versionId=null (there are no other versions); a bucket we own.
 */

static ngx_http_s3_err_e
ngx_http_s3_copy_source(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_str_t *bucket, ngx_str_t *key)
{
    u_char            *p, *last, *q, *slash, *dst;
    ssize_t            n;
    ngx_str_t          save, user;
    s3_record_t        brec;
    ngx_table_elt_t   *h;
    ngx_http_s3_err_e  err;

    h = ctx->headers[S3_HDR_COPY_SOURCE];

    p = h->value.data;
    last = p + h->value.len;

    if (p < last && *p == '/') {
        p++;
    }

    q = ngx_strlchr(p, last, '?');

    if (q != NULL) {
        if ((size_t) (last - q) != sizeof("?versionId=null") - 1
            || ngx_strncmp(q, "?versionId=null", last - q) != 0)
        {
            ngx_str_set(&ctx->message, "Invalid version id specified");
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }

        last = q;
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

    bucket->data = dst;
    bucket->len = slash - dst;
    key->data = slash + 1;
    key->len = (dst + n) - (slash + 1);

    /* the source bucket must be the requester's too */

    save = ctx->bucket;
    user = ctx->user;
    ctx->bucket = *bucket;

    err = ngx_http_s3_check_bucket(r, ctx, &brec,
                            ctx->headers[S3_HDR_SOURCE_EXPECTED_BUCKET_OWNER]);

    ctx->bucket = save;
    ctx->user = user;

    return err;
}


/* as GET's If-* conditions, but a failed If-None-Match is 412 too */

static ngx_http_s3_err_e
ngx_http_s3_copy_conditions(ngx_http_request_t *r, s3_record_t *src)
{
    ngx_table_elt_t           **h;
    ngx_http_s3_ctx_t          *ctx;
    ngx_http_s3_conditions_t    cond;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    h = ctx->headers;

    cond.if_match = h[S3_HDR_COPY_SOURCE_IF_MATCH];
    cond.if_unmodified_since = h[S3_HDR_COPY_SOURCE_IF_UNMODIFIED_SINCE];
    cond.if_none_match = h[S3_HDR_COPY_SOURCE_IF_NONE_MATCH];
    cond.if_modified_since = h[S3_HDR_COPY_SOURCE_IF_MODIFIED_SINCE];

    if (ngx_http_s3_conditions(&cond, src) != NGX_OK) {
        return NGX_HTTP_S3_PRECONDITION_FAILED;
    }

    return NGX_HTTP_S3_OK;
}


/* x-amz-metadata-directive, x-amz-tagging-directive: COPY or REPLACE */

static ngx_http_s3_err_e
ngx_http_s3_copy_directive(ngx_http_s3_ctx_t *ctx, ngx_table_elt_t *h,
    char *unknown, ngx_uint_t *directive)
{
    *directive = NGX_HTTP_S3_DIRECTIVE_COPY;

    if (h == NULL
        || (h->value.len == sizeof("COPY") - 1
            && ngx_strncmp(h->value.data, "COPY", h->value.len) == 0))
    {
        return NGX_HTTP_S3_OK;
    }

    if (h->value.len == sizeof("REPLACE") - 1
        && ngx_strncmp(h->value.data, "REPLACE", h->value.len) == 0)
    {
        *directive = NGX_HTTP_S3_DIRECTIVE_REPLACE;
        return NGX_HTTP_S3_OK;
    }

    ctx->message.data = (u_char *) unknown;
    ctx->message.len = ngx_strlen(unknown);

    return NGX_HTTP_S3_INVALID_ARGUMENT;
}


/*
 * The new object's record: headers and tags copied or replaced, the ACL
 * the request's.
 */

static ngx_http_s3_err_e
ngx_http_s3_copy_record(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_store_copy_t *c)
{
    ngx_uint_t          meta, tagging;
    s3_record_t        *dst;
    const s3_record_t  *src;
    ngx_http_s3_err_e   err;

    err = ngx_http_s3_copy_directive(ctx,
                                     ctx->headers[S3_HDR_METADATA_DIRECTIVE],
                                     "Unknown metadata directive.", &meta);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_directive(ctx,
                                      ctx->headers[S3_HDR_TAGGING_DIRECTIVE],
                                      "Unknown tagging directive.",
                                      &tagging);
    }

    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    src = c->src;
    dst = &c->dst;

    if (meta == NGX_HTTP_S3_DIRECTIVE_COPY
        && src->bucket.len == ctx->bucket.len
        && src->key.len == ctx->key.len
        && ngx_memcmp(src->bucket.data, ctx->bucket.data, ctx->bucket.len)
           == 0
        && ngx_memcmp(src->key.data, ctx->key.data, ctx->key.len) == 0)
    {
        ngx_str_set(&ctx->message, "This copy request is illegal because "
                    "it is trying to copy an object to itself without "
                    "changing the object's metadata, storage class, website "
                    "redirect location or encryption attributes.");
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    /* the ACL is never copied: the request's x-amz-acl, or private */

    if (meta == NGX_HTTP_S3_DIRECTIVE_REPLACE) {
        err = ngx_http_s3_put_headers(r, ctx);

    } else {
        err = ngx_http_s3_acl_header(r, ctx, &ctx->rec.acl);

        if (err == NGX_HTTP_S3_OK
            && tagging == NGX_HTTP_S3_DIRECTIVE_REPLACE)
        {
            err = ngx_http_s3_tagging_header(r, ctx);
        }
    }

    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    dst->bucket.data = (char *) ctx->bucket.data;
    dst->bucket.len = ctx->bucket.len;
    dst->key.data = (char *) ctx->key.data;
    dst->key.len = ctx->key.len;
    dst->headers = (meta == NGX_HTTP_S3_DIRECTIVE_REPLACE) ? ctx->rec.headers
                                                           : src->headers;
    dst->tags = (tagging == NGX_HTTP_S3_DIRECTIVE_REPLACE) ? ctx->rec.tags
                                                           : src->tags;
    dst->acl = ctx->rec.acl;

    /* a composite checksum of parts does not survive becoming one file */

    if (src->parts.len == 0
        || (src->checksum_type.len == sizeof("FULL_OBJECT") - 1
            && ngx_strncmp(src->checksum_type.data, "FULL_OBJECT",
                           src->checksum_type.len) == 0))
    {
        dst->checksum = src->checksum;
        dst->checksum_value = src->checksum_value;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_copy_range(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    u_char            *p, *last, *dash;
    off_t              a, b;
    ngx_table_elt_t   *h;
    ngx_http_s3_ctx_t *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    h = ctx->headers[S3_HDR_COPY_SOURCE_RANGE];
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

    ngx_str_set(&ctx->message, "The x-amz-copy-source-range value must be "
                "of the form bytes=first-last where first and last are the "
                "zero-based offsets of the first and last bytes to copy");

    return NGX_HTTP_S3_INVALID_ARGUMENT;
}


static void
ngx_http_s3_copy_object_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_copy_ctx_t *cc = t->data;

    t->rc = s3_store_copy_object(cc->store, &cc->copy);
}


static ngx_int_t
ngx_http_s3_copy_object_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e        err;
    ngx_http_s3_copy_ctx_t  *cc;

    cc = t->data;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_KEY,
                                 "s3_store_copy_object()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    return ngx_http_s3_copy_result(r, "CopyObjectResult", &cc->copy.dst);
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
                                   m->copy.src->size)
                               - ctx->message.data;
        }
    }

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_UPLOAD,
                                 "s3_store_copy_part()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_copy_result(r, "CopyPartResult", &m->copy.dst);
}


/* <root><LastModified/><ETag/>[<ChecksumALGO/>]</root> */

static ngx_int_t
ngx_http_s3_copy_result(ngx_http_request_t *r, char *root, s3_record_t *rec)
{
    u_char     *p, etag[NGX_HTTP_S3_ETAG_LEN];
    size_t      len;
    ngx_buf_t  *b;

    len = sizeof(NGX_HTTP_S3_XML_DECL "<  xmlns=\"" NGX_HTTP_S3_XMLNS "\">"
                 "</>") + 2 * ngx_strlen(root)
          + sizeof("<LastModified></LastModified>") + NGX_HTTP_S3_ISO8601_LEN
          + sizeof("<ETag></ETag>") + 6 * NGX_HTTP_S3_ETAG_LEN
          + 2 * sizeof("<Checksum></Checksum>") + 2 * rec->checksum.len
          + s3_xml_escape(NULL, rec->checksum_value.data,
                          rec->checksum_value.len);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_sprintf(b->last, NGX_HTTP_S3_XML_DECL "<%s xmlns=\""
                    NGX_HTTP_S3_XMLNS "\"><LastModified>", root);
    p = ngx_http_s3_xml_time(p, rec->mtime_ms);
    p = ngx_cpymem(p, "</LastModified>", sizeof("</LastModified>") - 1);
    p = ngx_http_s3_xml_element(p, "ETag", etag,
                                ngx_http_s3_etag(etag, rec->md5, 0) - etag);

    if (rec->checksum.len) {
        p = ngx_sprintf(p, "<Checksum%*s>", rec->checksum.len,
                        rec->checksum.data);
        p += s3_xml_escape((char *) p, rec->checksum_value.data,
                           rec->checksum_value.len);
        p = ngx_sprintf(p, "</Checksum%*s>", rec->checksum.len,
                        rec->checksum.data);
    }

    b->last = ngx_sprintf(p, "</%s>", root);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}
