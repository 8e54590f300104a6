
/*
 * Copyright (C) ngx_s3 developers
 *
 * The multipart upload family: CreateMultipartUpload, UploadPart (whose
 * body takes PutObject's path, ngx_http_s3_put.c), UploadPartCopy,
 * CompleteMultipartUpload (its XML parsed as the body streams past),
 * AbortMultipartUpload, ListParts; GET and HEAD of a multipart object
 * (a chain of file buffers across the part files); and the timer that
 * removes abandoned uploads.  The store side is core/s3_store_mpu.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_MAX_PARTS_LIST   1000
#define NGX_HTTP_S3_XML_TAG_LEN      32
#define NGX_HTTP_S3_XML_TEXT_LEN     80


/* the streaming parser of the CompleteMultipartUpload body */
typedef struct {
    ngx_array_t                parts;         /* s3_store_part_t */
    ngx_http_s3_err_e          err;
    ngx_uint_t                 depth;
    ngx_int_t                  number;        /* -1: none yet */
    u_char                     md5[S3_MD5_LEN];
    size_t                     tag_len;
    size_t                     text_len;
    u_char                     prev;
    u_char                     tag[NGX_HTTP_S3_XML_TAG_LEN];
    u_char                     text[NGX_HTTP_S3_XML_TEXT_LEN];
    unsigned                   in_tag:1;
    unsigned                   name_done:1;
    unsigned                   text_overflow:1;
    unsigned                   in_part:1;
    unsigned                   has_etag:1;
} ngx_http_s3_mpu_xml_t;


typedef struct {
    ngx_http_s3_mpu_xml_t      xml;
    s3_record_t                rec;           /* create: the upload */
    char                       id[S3_UPLOAD_ID_LEN + 1];
    s3_store_complete_t        complete;
    s3_store_copy_t            copy;
    s3_str_t                   bucket;
    s3_str_t                   key;
    s3_str_t                   upload_id;
    uint32_t                   marker;
    size_t                     max;
    size_t                     n;
    int                        truncated;
    s3_store_part_info_t      *info;
} ngx_http_s3_mpu_ctx_t;


/* the expiry sweep of one store, in a thread of its pool */
typedef struct {
    s3_store_t                 store;
    uint64_t                   before_ms;
    int                        rc;
    ngx_err_t                  err;
    ngx_http_s3_root_t        *root;
    ngx_log_t                 *log;
} ngx_http_s3_expire_t;


static ngx_uint_t ngx_http_s3_query_arg(ngx_http_s3_ctx_t *ctx, char *name,
    ngx_str_t *value);
static ngx_http_s3_err_e ngx_http_s3_part_number(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_str_t *value);
static ngx_http_s3_mpu_ctx_t *ngx_http_s3_mpu_ctx(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_http_s3_err_e ngx_http_s3_create_headers(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_record_t *rec);
static void ngx_http_s3_create_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_create_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static void ngx_http_s3_xml_tag(ngx_http_s3_mpu_xml_t *x);
static void ngx_http_s3_xml_close(ngx_http_s3_mpu_xml_t *x, u_char *name,
    size_t len);
static void ngx_http_s3_xml_etag(ngx_http_s3_mpu_xml_t *x);
static void ngx_http_s3_complete_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_complete_post(ngx_http_request_t *r);
static void ngx_http_s3_complete_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_complete_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_complete_xml(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_abort_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_abort_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_http_s3_err_e ngx_http_s3_list_parts_args(ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_list_parts_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_list_parts_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_list_parts_xml(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static ngx_http_s3_err_e ngx_http_s3_copy_source(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_mpu_ctx_t *m);
static ngx_http_s3_err_e ngx_http_s3_copy_range(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_copy_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_copy_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_http_s3_err_e ngx_http_s3_parts_slice(ngx_http_request_t *r,
    s3_record_t *rec, off_t *start, off_t *end);
static ngx_http_s3_err_e ngx_http_s3_parts_header(ngx_http_request_t *r,
    char *name, off_t value, off_t start, off_t end, off_t size);
static ngx_int_t ngx_http_s3_parts_chain(ngx_http_request_t *r,
    s3_record_t *rec, off_t start, off_t end, ngx_chain_t **out);
static ngx_file_t *ngx_http_s3_open_part(ngx_http_request_t *r,
    s3_record_t *rec, uint32_t number);
static u_char *ngx_http_s3_mpu_element(u_char *p, char *name, u_char *data,
    size_t len);
static u_char *ngx_http_s3_mpu_time(u_char *p, uint64_t ms);
static ngx_http_s3_err_e ngx_http_s3_mpu_status(ngx_http_request_t *r,
    ngx_http_s3_task_t *t, const char *failed);
static void ngx_http_s3_expire_handler(ngx_event_t *ev);
static void ngx_http_s3_expire_run(void *data, ngx_log_t *log);
static void ngx_http_s3_expire_done(ngx_event_t *ev);


static ngx_str_t  ngx_http_s3_acls[] = {
    ngx_string("private"),
    ngx_string("public-read"),
    ngx_string("public-read-write"),
    ngx_string("authenticated-read"),
    ngx_string("aws-exec-read"),
    ngx_string("bucket-owner-read"),
    ngx_string("bucket-owner-full-control"),
    ngx_null_string
};


static ngx_str_t  ngx_http_s3_checksums[] = {
    ngx_string("CRC32"),
    ngx_string("CRC32C"),
    ngx_string("CRC64NVME"),
    ngx_string("SHA1"),
    ngx_string("SHA256"),
    ngx_null_string
};


/* dispatch */


/*
 * Turns (method, ?uploads, ?uploadId, ?partNumber) on a key into a
 * multipart operation, or sets ctx->part_number for GET and HEAD; a GET
 * of a bucket with ?uploads is ListMultipartUploads, which repld answers.
 */

ngx_http_s3_err_e
ngx_http_s3_mpu_dispatch(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_str_t   number;
    ngx_uint_t  uploads, id, part;

    uploads = ngx_http_s3_query_arg(ctx, "uploads", NULL);

    if (ctx->key.len == 0) {
        if (uploads && ctx->op == NGX_HTTP_S3_OP_LIST_OBJECTS) {
            ctx->op = NGX_HTTP_S3_OP_LIST_UPLOADS;
        }

        return NGX_HTTP_S3_OK;
    }

    id = ngx_http_s3_query_arg(ctx, "uploadId", &ctx->upload_id);
    part = ngx_http_s3_query_arg(ctx, "partNumber", &number);

    if (part && (r->method != NGX_HTTP_PUT || id)) {
        if (ngx_http_s3_part_number(r, ctx, &number) != NGX_HTTP_S3_OK) {
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }
    }

    switch (r->method) {

    case NGX_HTTP_POST:
        if (id) {
            ctx->op = NGX_HTTP_S3_OP_COMPLETE_UPLOAD;

        } else if (uploads) {
            ctx->op = NGX_HTTP_S3_OP_CREATE_UPLOAD;
        }

        break;

    case NGX_HTTP_PUT:
        if (!id) {
            break;
        }

        if (!part) {
            ngx_str_set(&ctx->message, "This operation needs a partNumber.");
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }

        ctx->op = (ngx_http_s3_find_header(r, (u_char *) "x-amz-copy-source",
                                           sizeof("x-amz-copy-source") - 1)
                   != NULL)
                  ? NGX_HTTP_S3_OP_UPLOAD_PART_COPY
                  : NGX_HTTP_S3_OP_UPLOAD_PART;
        break;

    case NGX_HTTP_DELETE:
        if (id) {
            ctx->op = NGX_HTTP_S3_OP_ABORT_UPLOAD;
        }

        break;

    case NGX_HTTP_GET:
        if (id) {
            ctx->op = NGX_HTTP_S3_OP_LIST_PARTS;
            ctx->part_number = 0;
        }

        break;
    }

    return NGX_HTTP_S3_OK;
}


/* Finds name or name=value in the raw query; value may be NULL. */

static ngx_uint_t
ngx_http_s3_query_arg(ngx_http_s3_ctx_t *ctx, char *name, ngx_str_t *value)
{
    size_t   len;
    u_char  *p, *last, *end;

    len = ngx_strlen(name);
    p = ctx->query.data;
    last = p + ctx->query.len;

    while (p < last) {
        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) >= len && ngx_strncmp(p, name, len) == 0
            && (p + len == end || p[len] == '='))
        {
            if (value != NULL) {
                value->data = (p + len == end) ? end : p + len + 1;
                value->len = end - value->data;
            }

            return 1;
        }

        p = end + 1;
    }

    return 0;
}


static ngx_http_s3_err_e
ngx_http_s3_part_number(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_str_t *value)
{
    ngx_int_t  n;

    n = (value->len > 0 && value->len <= 5)
        ? ngx_atoi(value->data, value->len) : NGX_ERROR;

    if (n < 1 || n > S3_PART_NUMBER_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 invalid partNumber \"%V\"", value);
        ngx_str_set(&ctx->message, "Part number must be an integer between "
                    "1 and 10000, inclusive");
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    ctx->part_number = n;

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_mpu_ctx_t *
ngx_http_s3_mpu_ctx(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_http_s3_mpu_ctx_t  *m;

    m = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_mpu_ctx_t));
    if (m == NULL) {
        return NULL;
    }

    m->bucket.data = (char *) ctx->bucket.data;
    m->bucket.len = ctx->bucket.len;
    m->key.data = (char *) ctx->key.data;
    m->key.len = ctx->key.len;
    m->upload_id.data = (char *) ctx->upload_id.data;
    m->upload_id.len = ctx->upload_id.len;

    ctx->mpu = m;

    return m;
}


/* CreateMultipartUpload */


ngx_int_t
ngx_http_s3_create_upload(ngx_http_request_t *r)
{
    s3_record_t             brec;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (ctx->store.journal == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE);
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m = ngx_http_s3_mpu_ctx(r, ctx);
    if (m == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_create_headers(r, ctx, &m->rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m->rec.bucket = m->bucket;
    m->rec.key = m->key;
    m->rec.owner.data = (char *) ctx->user.data;
    m->rec.owner.len = ctx->user.len;

    return ngx_http_s3_task_post(r, ngx_http_s3_create_run,
                                 ngx_http_s3_create_done, m);
}


/* stored headers, x-amz-acl and x-amz-checksum-algorithm */

static ngx_http_s3_err_e
ngx_http_s3_create_headers(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_record_t *rec)
{
    ngx_str_t          *s;
    ngx_table_elt_t    *h;
    ngx_http_s3_err_e   err;

    err = ngx_http_s3_put_headers(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    rec->headers = ctx->rec.headers;

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-acl",
                                sizeof("x-amz-acl") - 1);
    if (h != NULL) {
        for (s = ngx_http_s3_acls; s->len; s++) {
            if (s->len == h->value.len
                && ngx_strncmp(s->data, h->value.data, s->len) == 0)
            {
                break;
            }
        }

        if (s->len == 0) {
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }

        rec->acl.data = (char *) s->data;
        rec->acl.len = s->len;
    }

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-checksum-algorithm",
                                sizeof("x-amz-checksum-algorithm") - 1);
    if (h != NULL) {
        for (s = ngx_http_s3_checksums; s->len; s++) {
            if (s->len == h->value.len
                && ngx_strncasecmp(s->data, h->value.data, s->len) == 0)
            {
                break;
            }
        }

        if (s->len == 0) {
            ngx_str_set(&ctx->message, "Checksum algorithm provided is "
                        "unsupported.");
            return NGX_HTTP_S3_INVALID_REQUEST;
        }

        rec->checksum.data = (char *) s->data;
        rec->checksum.len = s->len;
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_create_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;
    ctx = ngx_http_get_module_ctx(t->request, ngx_http_s3_module);

    t->rc = s3_store_create_upload(&ctx->store, &m->rec, m->id);
    t->err = ngx_errno;
}


static ngx_int_t
ngx_http_s3_create_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    size_t                  len;
    u_char                 *p;
    ngx_buf_t              *b;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;

    err = ngx_http_s3_mpu_status(r, t, "s3_store_create_upload()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    len = sizeof(NGX_HTTP_S3_XML_DECL "<InitiateMultipartUploadResult "
                 "xmlns=\"" NGX_HTTP_S3_XMLNS "\">"
                 "</InitiateMultipartUploadResult>")
          + sizeof("<Bucket></Bucket><Key></Key><UploadId></UploadId>")
          + m->bucket.len + 6 * m->key.len + S3_UPLOAD_ID_LEN;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL
                   "<InitiateMultipartUploadResult xmlns=\""
                   NGX_HTTP_S3_XMLNS "\">",
                   sizeof(NGX_HTTP_S3_XML_DECL
                          "<InitiateMultipartUploadResult xmlns=\""
                          NGX_HTTP_S3_XMLNS "\">") - 1);
    p = ngx_http_s3_mpu_element(p, "Bucket", (u_char *) m->bucket.data,
                                m->bucket.len);
    p = ngx_http_s3_mpu_element(p, "Key", (u_char *) m->key.data,
                                m->key.len);
    p = ngx_http_s3_mpu_element(p, "UploadId", (u_char *) m->id,
                                S3_UPLOAD_ID_LEN);
    b->last = ngx_cpymem(p, "</InitiateMultipartUploadResult>",
                         sizeof("</InitiateMultipartUploadResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* UploadPart: the upload must exist and belong to the key */


ngx_http_s3_err_e
ngx_http_s3_part_check(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    int           rc;
    u_char       *buf;
    s3_record_t   rec;

    buf = ngx_pnalloc(r->pool, S3_STORE_UPLOAD_BUF);
    if (buf == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    rc = s3_store_read_upload(ctx->store.root, (char *) ctx->bucket.data,
                              ctx->bucket.len, (char *) ctx->upload_id.data,
                              ctx->upload_id.len, buf, S3_STORE_UPLOAD_BUF,
                              &rec);

    if (rc == S3_ERR) {
        return ngx_http_s3_errno(r->connection->log, ngx_errno,
                                 "s3_store_read_upload()",
                                 (char *) ctx->bucket.data);
    }

    if (rc != S3_OK || rec.key.len != ctx->key.len
        || ngx_memcmp(rec.key.data, ctx->key.data, ctx->key.len) != 0)
    {
        return NGX_HTTP_S3_NO_SUCH_UPLOAD;
    }

    return NGX_HTTP_S3_OK;
}


/* CompleteMultipartUpload */


ngx_int_t
ngx_http_s3_complete_upload(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    s3_record_t             brec;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ctx->store.journal == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE);
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m = ngx_http_s3_mpu_ctx(r, ctx);
    if (m == NULL
        || ngx_array_init(&m->xml.parts, r->pool, 16,
                          sizeof(s3_store_part_t))
           != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    m->xml.number = -1;

    r->request_body_in_file_only = 1;
    r->request_body_in_clean_file = 1;
    r->request_body_file_log_level = 0;

    ctx->parsing = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_s3_complete_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ctx->parsing = 0;
        r->keepalive = 0;
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    return NGX_DONE;
}


/* Feeds one body buffer to the parser; NGX_ERROR only for a failure. */

ngx_int_t
ngx_http_s3_complete_body(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_buf_t *b)
{
    u_char                 *p, c;
    ngx_http_s3_mpu_xml_t  *x;
    ngx_http_s3_mpu_ctx_t  *m;

    m = ctx->mpu;
    x = &m->xml;

    if (b->in_file) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 request body buffer in file");
        return NGX_ERROR;
    }

    for (p = b->pos; p < b->last && x->err == NGX_HTTP_S3_OK; p++) {
        c = *p;

        if (!x->in_tag) {
            if (c == '<') {
                x->in_tag = 1;
                x->name_done = 0;
                x->tag_len = 0;

            } else if (x->text_len < NGX_HTTP_S3_XML_TEXT_LEN) {
                x->text[x->text_len++] = c;

            } else {
                x->text_overflow = 1;
            }

            continue;
        }

        if (c == '>') {
            x->in_tag = 0;
            ngx_http_s3_xml_tag(x);
            x->text_len = 0;
            x->text_overflow = 0;
            continue;
        }

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            x->name_done = 1;

        } else if (!x->name_done && x->tag_len < NGX_HTTP_S3_XML_TAG_LEN) {
            x->tag[x->tag_len++] = c;
        }

        x->prev = c;
    }

    if (x->parts.nelts > S3_PART_NUMBER_MAX) {
        x->err = NGX_HTTP_S3_MALFORMED_XML;
    }

    return NGX_OK;
}


/* a tag ended: "<name ...>", "</name>", "<name/>", "<?...?>", "<!...>" */

static void
ngx_http_s3_xml_tag(ngx_http_s3_mpu_xml_t *x)
{
    u_char  *name;
    size_t   len;

    if (x->tag_len == 0 || x->tag[0] == '?' || x->tag[0] == '!') {
        return;
    }

    if (x->tag[0] == '/') {
        ngx_http_s3_xml_close(x, x->tag + 1, x->tag_len - 1);
        return;
    }

    name = x->tag;
    len = x->tag_len;

    if (x->prev == '/' && name[len - 1] == '/') {
        len--;
    }

    x->depth++;

    if (x->depth == 1
        && !(len == sizeof("CompleteMultipartUpload") - 1
             && ngx_strncmp(name, "CompleteMultipartUpload", len) == 0))
    {
        x->err = NGX_HTTP_S3_MALFORMED_XML;
        return;
    }

    if (x->depth == 2 && len == 4 && ngx_strncmp(name, "Part", 4) == 0) {
        x->in_part = 1;
        x->number = -1;
        x->has_etag = 0;
    }

    if (x->prev == '/') {
        ngx_http_s3_xml_close(x, name, len);
    }
}


static void
ngx_http_s3_xml_close(ngx_http_s3_mpu_xml_t *x, u_char *name, size_t len)
{
    s3_store_part_t  *part;

    if (x->depth == 0) {
        x->err = NGX_HTTP_S3_MALFORMED_XML;
        return;
    }

    if (x->depth == 3 && x->in_part) {
        if (len == 10 && ngx_strncmp(name, "PartNumber", 10) == 0) {
            x->number = (x->text_len > 0 && x->text_len <= 9
                         && !x->text_overflow)
                        ? ngx_atoi(x->text, x->text_len) : NGX_ERROR;

            if (x->number == NGX_ERROR) {
                x->err = NGX_HTTP_S3_MALFORMED_XML;
            }

        } else if (len == 4 && ngx_strncmp(name, "ETag", 4) == 0) {
            ngx_http_s3_xml_etag(x);
        }
    }

    if (x->depth == 2 && x->in_part) {
        x->in_part = 0;

        if (x->number < 0 || !x->has_etag) {
            x->err = NGX_HTTP_S3_MALFORMED_XML;
            return;
        }

        part = ngx_array_push(&x->parts);
        if (part == NULL) {
            x->err = NGX_HTTP_S3_INTERNAL_ERROR;
            return;
        }

        part->number = (uint32_t) x->number;
        ngx_memcpy(part->md5, x->md5, S3_MD5_LEN);
    }

    x->depth--;
}


/* "hex", &quot;hex&quot; or hex; another ETag can match no part */

static void
ngx_http_s3_xml_etag(ngx_http_s3_mpu_xml_t *x)
{
    u_char   hex[2 * S3_MD5_LEN], *p, *last, *semi;
    size_t   n;

    n = 0;
    p = x->text;
    last = x->text + x->text_len;

    while (p < last) {
        if (*p == '"' || *p == ' ' || *p == '\n' || *p == '\r'
            || *p == '\t')
        {
            p++;
            continue;
        }

        if (*p == '&') {

            /* &quot; or &#34; (Go's encoding/xml): an ETag's quotes */

            semi = ngx_strlchr(p, last, ';');
            if (semi != NULL && semi - p <= 6) {
                p = semi + 1;
                continue;
            }
        }

        if (n == sizeof(hex)) {
            n++;
            break;
        }

        hex[n++] = *p++;
    }

    x->has_etag = 1;

    if (x->text_overflow || n != sizeof(hex)
        || s3_hex_decode(x->md5, (char *) hex, sizeof(hex)) != S3_OK)
    {
        /* no part has this md5: the store answers InvalidPart */
        ngx_memset(x->md5, 0, S3_MD5_LEN);
    }
}


static void
ngx_http_s3_complete_handler(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_s3_complete_post(r));
}


static ngx_int_t
ngx_http_s3_complete_post(ngx_http_request_t *r)
{
    ngx_uint_t              i;
    s3_store_part_t        *parts;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_mpu_xml_t  *x;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    ctx->parsing = 0;

    m = ctx->mpu;
    x = &m->xml;

    if (x->err == NGX_HTTP_S3_OK
        && (x->depth != 0 || x->in_tag || x->parts.nelts == 0))
    {
        x->err = NGX_HTTP_S3_MALFORMED_XML;
    }

    if (x->err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, x->err);
    }

    parts = x->parts.elts;

    for (i = 0; i < x->parts.nelts; i++) {
        if (parts[i].number < 1 || parts[i].number > S3_PART_NUMBER_MAX) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_PART);
        }

        if (i > 0 && parts[i].number <= parts[i - 1].number) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_PART_ORDER);
        }
    }

    m->complete.bucket = m->bucket;
    m->complete.key = m->key;
    m->complete.upload_id = m->upload_id;
    m->complete.parts = parts;
    m->complete.nparts = x->parts.nelts;
    m->complete.table = ngx_pnalloc(r->pool,
                                    x->parts.nelts * S3_RECORD_PART_LEN);
    if (m->complete.table == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_complete_run,
                                 ngx_http_s3_complete_done, m);
}


static void
ngx_http_s3_complete_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;
    ctx = ngx_http_get_module_ctx(t->request, ngx_http_s3_module);

    t->rc = s3_store_complete_upload(&ctx->store, &m->complete);
    t->err = ngx_errno;
}


static ngx_int_t
ngx_http_s3_complete_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;

    if (t->rc == S3_STORE_INVALID_PART || t->rc == S3_STORE_TOO_SMALL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 complete: part %uD refused", m->complete.bad_part);

        return ngx_http_s3_send_error(r, (t->rc == S3_STORE_TOO_SMALL)
                                         ? NGX_HTTP_S3_ENTITY_TOO_SMALL
                                         : NGX_HTTP_S3_INVALID_PART);
    }

    err = ngx_http_s3_mpu_status(r, t, "s3_store_complete_upload()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    return ngx_http_s3_complete_xml(r, m);
}


static ngx_int_t
ngx_http_s3_complete_xml(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    size_t            len;
    u_char           *p, *loc, etag[2 * S3_MD5_LEN + 16];
    uintptr_t         esc;
    ngx_buf_t        *b;
    ngx_str_t        *host;

    host = (r->headers_in.host != NULL) ? &r->headers_in.host->value
                                        : &r->headers_in.server;

    esc = ngx_escape_uri(NULL, (u_char *) m->key.data, m->key.len,
                         NGX_ESCAPE_URI);

    loc = ngx_pnalloc(r->pool, sizeof("http:///") + host->len
                               + m->bucket.len + m->key.len + 2 * esc);
    if (loc == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_sprintf(loc, "http://%V/%*s/", host, m->bucket.len,
                    m->bucket.data);
    p = (u_char *) ngx_escape_uri(p, (u_char *) m->key.data, m->key.len,
                                  NGX_ESCAPE_URI);

    len = sizeof(NGX_HTTP_S3_XML_DECL "<CompleteMultipartUploadResult "
                 "xmlns=\"" NGX_HTTP_S3_XMLNS "\">"
                 "</CompleteMultipartUploadResult>")
          + sizeof("<Location></Location><Bucket></Bucket><Key></Key>"
                   "<ETag></ETag>")
          + 6 * (p - loc) + m->bucket.len + 6 * m->key.len + 6 * 48;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    etag[0] = '"';
    (void) s3_hex_encode((char *) etag + 1, m->complete.rec.md5, S3_MD5_LEN);
    len = ngx_sprintf(etag + 1 + 2 * S3_MD5_LEN, "-%uz\"",
                      m->complete.nparts) - etag;

    b->last = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL
                         "<CompleteMultipartUploadResult xmlns=\""
                         NGX_HTTP_S3_XMLNS "\">",
                         sizeof(NGX_HTTP_S3_XML_DECL
                                "<CompleteMultipartUploadResult xmlns=\""
                                NGX_HTTP_S3_XMLNS "\">") - 1);
    b->last = ngx_http_s3_mpu_element(b->last, "Location", loc, p - loc);
    b->last = ngx_http_s3_mpu_element(b->last, "Bucket",
                                      (u_char *) m->bucket.data,
                                      m->bucket.len);
    b->last = ngx_http_s3_mpu_element(b->last, "Key", (u_char *) m->key.data,
                                      m->key.len);
    b->last = ngx_http_s3_mpu_element(b->last, "ETag", etag, len);
    b->last = ngx_cpymem(b->last, "</CompleteMultipartUploadResult>",
                         sizeof("</CompleteMultipartUploadResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* AbortMultipartUpload */


ngx_int_t
ngx_http_s3_abort_upload(ngx_http_request_t *r)
{
    s3_record_t             brec;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (ctx->store.journal == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE);
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m = ngx_http_s3_mpu_ctx(r, ctx);
    if (m == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_abort_run,
                                 ngx_http_s3_abort_done, m);
}


static void
ngx_http_s3_abort_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;
    ctx = ngx_http_get_module_ctx(t->request, ngx_http_s3_module);

    t->rc = s3_store_abort_upload(&ctx->store, &m->bucket, &m->key,
                                  &m->upload_id);
    t->err = ngx_errno;
}


static ngx_int_t
ngx_http_s3_abort_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_mpu_status(r, t, "s3_store_abort_upload()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
}


/* ListParts */


ngx_int_t
ngx_http_s3_list_parts(ngx_http_request_t *r)
{
    s3_record_t             brec;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m = ngx_http_s3_mpu_ctx(r, ctx);
    if (m == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_list_parts_args(ctx, m);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    err = ngx_http_s3_part_check(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m->info = ngx_palloc(r->pool, m->max * sizeof(s3_store_part_info_t));
    if (m->info == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_list_parts_run,
                                 ngx_http_s3_list_parts_done, m);
}


static ngx_http_s3_err_e
ngx_http_s3_list_parts_args(ngx_http_s3_ctx_t *ctx, ngx_http_s3_mpu_ctx_t *m)
{
    ngx_int_t  n;
    ngx_str_t  value;

    m->max = NGX_HTTP_S3_MAX_PARTS_LIST;

    if (ngx_http_s3_query_arg(ctx, "max-parts", &value)) {
        n = ngx_atoi(value.data, value.len);

        if (n < 0) {
            ngx_str_set(&ctx->message, "Provided max-parts not an integer "
                        "or within integer range");
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }

        if (n < NGX_HTTP_S3_MAX_PARTS_LIST) {
            m->max = n;
        }
    }

    if (ngx_http_s3_query_arg(ctx, "part-number-marker", &value)) {
        n = ngx_atoi(value.data, value.len);

        if (n < 0) {
            ngx_str_set(&ctx->message, "Provided part-number-marker not an "
                        "integer or within integer range");
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }

        m->marker = (n > S3_PART_NUMBER_MAX) ? S3_PART_NUMBER_MAX : n;
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_list_parts_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;
    ctx = ngx_http_get_module_ctx(t->request, ngx_http_s3_module);

    t->rc = s3_store_list_parts(ctx->store.root, &m->bucket, &m->upload_id,
                                m->marker, m->info, m->max, &m->n,
                                &m->truncated);
    t->err = ngx_errno;
}


static ngx_int_t
ngx_http_s3_list_parts_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_mpu_status(r, t, "s3_store_list_parts()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_list_parts_xml(r, t->data);
}


static ngx_int_t
ngx_http_s3_list_parts_xml(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    size_t               len, i;
    u_char              *p, etag[2 * S3_MD5_LEN + 2];
    ngx_buf_t           *b;
    ngx_http_s3_ctx_t   *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    len = sizeof(NGX_HTTP_S3_XML_DECL "<ListPartsResult xmlns=\""
                 NGX_HTTP_S3_XMLNS "\"></ListPartsResult>")
          + 512 + m->bucket.len + 6 * m->key.len + S3_UPLOAD_ID_LEN
          + 4 * 6 * ctx->user.len
          + m->n * (sizeof("<Part><PartNumber></PartNumber><LastModified>"
                           "</LastModified><ETag></ETag><Size></Size>"
                           "</Part>")
                    + 8 + 24 + 2 * 6 + 2 * S3_MD5_LEN + NGX_OFF_T_LEN);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<ListPartsResult xmlns=\""
                   NGX_HTTP_S3_XMLNS "\">",
                   sizeof(NGX_HTTP_S3_XML_DECL "<ListPartsResult xmlns=\""
                          NGX_HTTP_S3_XMLNS "\">") - 1);
    p = ngx_http_s3_mpu_element(p, "Bucket", (u_char *) m->bucket.data,
                                m->bucket.len);
    p = ngx_http_s3_mpu_element(p, "Key", (u_char *) m->key.data,
                                m->key.len);
    p = ngx_http_s3_mpu_element(p, "UploadId", (u_char *) m->upload_id.data,
                                m->upload_id.len);

    p = ngx_cpymem(p, "<Initiator>", sizeof("<Initiator>") - 1);
    p = ngx_http_s3_mpu_element(p, "ID", ctx->user.data, ctx->user.len);
    p = ngx_http_s3_mpu_element(p, "DisplayName", ctx->user.data,
                                ctx->user.len);
    p = ngx_cpymem(p, "</Initiator><Owner>",
                   sizeof("</Initiator><Owner>") - 1);
    p = ngx_http_s3_mpu_element(p, "ID", ctx->user.data, ctx->user.len);
    p = ngx_http_s3_mpu_element(p, "DisplayName", ctx->user.data,
                                ctx->user.len);

    p = ngx_sprintf(p, "</Owner><StorageClass>STANDARD</StorageClass>"
                    "<PartNumberMarker>%uD</PartNumberMarker>"
                    "<NextPartNumberMarker>%uD</NextPartNumberMarker>"
                    "<MaxParts>%uz</MaxParts>"
                    "<IsTruncated>%s</IsTruncated>",
                    m->marker, m->n ? m->info[m->n - 1].number : 0,
                    m->max, m->truncated ? "true" : "false");

    for (i = 0; i < m->n; i++) {
        etag[0] = '"';
        (void) s3_hex_encode((char *) etag + 1, m->info[i].md5, S3_MD5_LEN);
        etag[2 * S3_MD5_LEN + 1] = '"';

        p = ngx_sprintf(p, "<Part><PartNumber>%uD</PartNumber>"
                        "<LastModified>", m->info[i].number);
        p = ngx_http_s3_mpu_time(p, m->info[i].mtime_ms);
        p = ngx_cpymem(p, "</LastModified>", sizeof("</LastModified>") - 1);
        p = ngx_http_s3_mpu_element(p, "ETag", etag, sizeof(etag));
        p = ngx_sprintf(p, "<Size>%uL</Size></Part>", m->info[i].size);
    }

    b->last = ngx_cpymem(p, "</ListPartsResult>",
                         sizeof("</ListPartsResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* UploadPartCopy */


ngx_int_t
ngx_http_s3_upload_part_copy(ngx_http_request_t *r)
{
    s3_record_t             brec;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (ctx->store.journal == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE);
    }

    err = ngx_http_s3_check_bucket(r, ctx, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    m = ngx_http_s3_mpu_ctx(r, ctx);
    if (m == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_copy_source(r, ctx, m);

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
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_mpu_ctx_t  *m;

    m = t->data;
    ctx = ngx_http_get_module_ctx(t->request, ngx_http_s3_module);

    t->rc = s3_store_copy_part(&ctx->store, &m->copy);
    t->err = ngx_errno;
}


static ngx_int_t
ngx_http_s3_copy_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    u_char                 *p, etag[2 * S3_MD5_LEN + 2];
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

    etag[0] = '"';
    (void) s3_hex_encode((char *) etag + 1, m->copy.part.md5, S3_MD5_LEN);
    etag[2 * S3_MD5_LEN + 1] = '"';

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<CopyPartResult xmlns=\""
                   NGX_HTTP_S3_XMLNS "\"><LastModified>",
                   sizeof(NGX_HTTP_S3_XML_DECL "<CopyPartResult xmlns=\""
                          NGX_HTTP_S3_XMLNS "\"><LastModified>") - 1);
    p = ngx_http_s3_mpu_time(p, m->copy.part.mtime_ms);
    p = ngx_cpymem(p, "</LastModified>", sizeof("</LastModified>") - 1);
    p = ngx_http_s3_mpu_element(p, "ETag", etag, sizeof(etag));
    b->last = ngx_cpymem(p, "</CopyPartResult>",
                         sizeof("</CopyPartResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* GET and HEAD of a multipart object */


/* ETag "md5-N" */

ngx_int_t
ngx_http_s3_set_mp_etag(ngx_http_request_t *r, s3_record_t *rec)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 2 * S3_MD5_LEN + 2 + 1 + NGX_SIZE_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->value.data = p;

    *p++ = '"';
    p = (u_char *) s3_hex_encode((char *) p, rec->md5, S3_MD5_LEN);
    p = ngx_sprintf(p, "-%uz\"", (size_t) s3_record_nparts(rec));

    h->hash = 1;
    ngx_str_set(&h->key, "ETag");
    h->value.len = p - h->value.data;

    r->headers_out.etag = h;

    return NGX_OK;
}


/*
 * Sends [start, end) of the object as a chain of file buffers, one per
 * part file it covers: the whole object, the single Range that
 * ngx_http_s3_check_range() accepted, or ?partNumber.  nginx's range
 * filter is kept out (r->allow_ranges = 0): the slice is made here.
 */

ngx_int_t
ngx_http_s3_send_parts(ngx_http_request_t *r, s3_record_t *rec)
{
    off_t              start, end;
    ngx_int_t          rc;
    ngx_chain_t       *out;
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_parts_slice(r, rec, &start, &end);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    out = NULL;

    if (!r->header_only && end > start
        && ngx_http_s3_parts_chain(r, rec, start, end, &out) != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only || out == NULL) {
        if (rc == NGX_OK && !r->header_only) {
            return ngx_http_send_special(r, NGX_HTTP_LAST);
        }

        return rc;
    }

    return ngx_http_output_filter(r, out);
}


static ngx_http_s3_err_e
ngx_http_s3_parts_slice(ngx_http_request_t *r, s3_record_t *rec,
    off_t *start, off_t *end)
{
    size_t              i;
    uint32_t            number;
    uint64_t            size, off;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    *start = 0;
    *end = rec->size;

    if (ctx->part_number == 0) {
        if (ngx_http_s3_range(r, rec->size, start, end) != NGX_OK) {
            *start = 0;
            *end = rec->size;
            r->allow_ranges = 0;
            return NGX_HTTP_S3_OK;
        }

        r->allow_ranges = 0;

        return ngx_http_s3_parts_header(r, NULL, 0, *start, *end, rec->size);
    }

    r->allow_ranges = 0;

    if (ctx->part_number > s3_record_nparts(rec)) {
        return NGX_HTTP_S3_INVALID_PART_NUMBER;
    }

    off = 0;

    for (i = 0; i < ctx->part_number; i++) {
        s3_record_part(rec, i, &number, &size);
        *start = off;
        off += size;
    }

    *end = off;

    return ngx_http_s3_parts_header(r, "x-amz-mp-parts-count",
                                    s3_record_nparts(rec), *start, *end,
                                    rec->size);
}


/* 206 with Content-Range (and one more header when name is set) */

static ngx_http_s3_err_e
ngx_http_s3_parts_header(ngx_http_request_t *r, char *name, off_t value,
    off_t start, off_t end, off_t size)
{
    ngx_table_elt_t  *h;

    r->headers_out.status = NGX_HTTP_PARTIAL_CONTENT;
    r->headers_out.content_length_n = end - start;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, sizeof("bytes -/")
                                         + 3 * NGX_OFF_T_LEN);
    if (h->value.data == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Content-Range");
    h->value.len = ngx_sprintf(h->value.data, "bytes %O-%O/%O", start,
                               end - 1, size)
                   - h->value.data;

    if (end == start) {
        h->value.len = ngx_sprintf(h->value.data, "bytes */%O", size)
                       - h->value.data;
    }

    r->headers_out.content_range = h;

    if (name == NULL) {
        return NGX_HTTP_S3_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (h->value.data == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.len = ngx_sprintf(h->value.data, "%O", value) - h->value.data;

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_parts_chain(ngx_http_request_t *r, s3_record_t *rec,
    off_t start, off_t end, ngx_chain_t **out)
{
    off_t          off, from, to;
    size_t         i;
    uint32_t       number;
    uint64_t       size;
    ngx_buf_t     *b;
    ngx_file_t    *file;
    ngx_chain_t  **ll, *cl;

    b = NULL;
    ll = out;
    off = 0;

    for (i = 0; i < s3_record_nparts(rec) && off < end; i++) {
        s3_record_part(rec, i, &number, &size);

        from = (start > off) ? start - off : 0;
        to = (end < off + (off_t) size) ? end - off : (off_t) size;
        off += size;

        if (from >= to) {
            continue;
        }

        file = ngx_http_s3_open_part(r, rec, number);
        if (file == NULL) {
            return NGX_ERROR;
        }

        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->file = file;
        b->file_pos = from;
        b->file_last = to;
        b->in_file = 1;

        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return NGX_OK;
}


/* Opens a part file; the pool cleanup owns the descriptor. */

static ngx_file_t *
ngx_http_s3_open_part(ngx_http_request_t *r, s3_record_t *rec,
    uint32_t number)
{
    ngx_http_s3_ctx_t        *ctx;
    ngx_file_t               *file;
    ngx_pool_cleanup_t       *cln;
    ngx_pool_cleanup_file_t  *clnf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_pool_cleanup_file_t));

    if (file == NULL || cln == NULL) {
        return NULL;
    }

    file->name.data = ngx_pnalloc(r->pool, NGX_MAX_PATH);
    if (file->name.data == NULL) {
        return NULL;
    }

    file->fd = s3_store_open_part(ctx->store.root, rec, number,
                                  (char *) file->name.data);

    if (file->fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3 part %uD of \"%V\" cannot be opened", number,
                      &ctx->key);
        return NULL;
    }

    file->name.len = ngx_strlen(file->name.data);
    file->log = r->connection->log;

    cln->handler = ngx_pool_cleanup_file;
    clnf = cln->data;
    clnf->fd = file->fd;
    clnf->name = file->name.data;
    clnf->log = r->pool->log;

    return file;
}


/* helpers */


static u_char *
ngx_http_s3_mpu_element(u_char *p, char *name, u_char *data, size_t len)
{
    size_t  n;

    n = ngx_strlen(name);

    *p++ = '<';
    p = ngx_cpymem(p, name, n);
    *p++ = '>';
    p = ngx_http_s3_xml_escape(p, data, len);
    *p++ = '<';
    *p++ = '/';
    p = ngx_cpymem(p, name, n);
    *p++ = '>';

    return p;
}


static u_char *
ngx_http_s3_mpu_time(u_char *p, uint64_t ms)
{
    ngx_tm_t  tm;

    ngx_gmtime((time_t) (ms / 1000), &tm);

    return ngx_sprintf(p, "%4d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                       (int) (ms % 1000));
}


/* the error for a store status other than the operation's own */

static ngx_http_s3_err_e
ngx_http_s3_mpu_status(ngx_http_request_t *r, ngx_http_s3_task_t *t,
    const char *failed)
{
    ngx_http_s3_ctx_t  *ctx;

    switch (t->rc) {

    case S3_OK:
        return NGX_HTTP_S3_OK;

    case S3_STORE_NO_BUCKET:
        return NGX_HTTP_S3_NO_SUCH_BUCKET;

    case S3_STORE_NO_UPLOAD:
        return NGX_HTTP_S3_NO_SUCH_UPLOAD;

    case S3_STORE_NOT_FOUND:
        return NGX_HTTP_S3_NO_SUCH_KEY;

    default:
        ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
        return ngx_http_s3_errno(r->connection->log, t->err, failed,
                                 (char *) ctx->bucket.data);
    }
}


/* abandoned uploads: a timer in worker 0 */


ngx_int_t
ngx_http_s3_mpu_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    ngx_uint_t             i;
    ngx_event_t           *ev;
    ngx_thread_task_t     *task;
    ngx_http_s3_root_t   **rootp;
    ngx_http_s3_expire_t  *x;

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    rootp = smcf->roots.elts;

    for (i = 0; i < smcf->roots.nelts; i++) {
        if (rootp[i]->thread_pool == NULL) {
            continue;
        }

        /* one task per store, posted again at every tick */

        task = ngx_thread_task_alloc(cycle->pool,
                                     sizeof(ngx_http_s3_expire_t));
        if (task == NULL) {
            return NGX_ERROR;
        }

        x = task->ctx;
        x->root = rootp[i];
        x->log = cycle->log;

        task->handler = ngx_http_s3_expire_run;
        task->event.data = x;
        task->event.handler = ngx_http_s3_expire_done;

        rootp[i]->expire_task = task;

        ev = &rootp[i]->expire;
        ngx_memzero(ev, sizeof(ngx_event_t));

        ev->handler = ngx_http_s3_expire_handler;
        ev->data = rootp[i];
        ev->log = cycle->log;
        ev->cancelable = 1;

        ngx_add_timer(ev, 1000);
    }

    return NGX_OK;
}


/* every half expiry time, between 1 s and 1 h */

static void
ngx_http_s3_expire_handler(ngx_event_t *ev)
{
    ngx_msec_t                interval;
    ngx_thread_task_t        *task;
    ngx_thread_pool_t        *tp;
    ngx_http_s3_root_t       *root;
    ngx_http_s3_expire_t     *x;
    ngx_http_s3_main_conf_t  *smcf;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    root = ev->data;
    smcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_s3_module);

    interval = (ngx_msec_t) smcf->multipart_expire * 500;
    interval = ngx_max(interval, 1000);
    interval = ngx_min(interval, 3600000);

    ngx_add_timer(ev, interval);

    if (root->expiring || root->journal == NULL) {
        return;
    }

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, root->thread_pool);
    if (tp == NULL) {
        return;
    }

    task = root->expire_task;
    x = task->ctx;
    x->store.root = (const char *) root->path.data;
    x->store.fsync = 1;
    x->store.journal = root->journal;
    x->store.node_id = root->node_id;
    x->store.clock = &smcf->clock;
    x->before_ms = (uint64_t) ngx_time() * 1000
                   - (uint64_t) smcf->multipart_expire * 1000;

    if (ngx_thread_task_post(tp, task) == NGX_OK) {
        root->expiring = 1;
    }
}


static void
ngx_http_s3_expire_run(void *data, ngx_log_t *log)
{
    ngx_http_s3_expire_t *x = data;

    x->rc = s3_store_sweep_uploads(&x->store, x->before_ms);
    x->err = ngx_errno;
}


static void
ngx_http_s3_expire_done(ngx_event_t *ev)
{
    ngx_http_s3_expire_t *x = ev->data;

    x->root->expiring = 0;

    if (x->rc == -1) {
        ngx_log_error(NGX_LOG_CRIT, x->log, x->err,
                      "s3_store_sweep_uploads(\"%V\") failed",
                      &x->root->path);
        return;
    }

    if (x->rc > 0) {
        ngx_log_error(NGX_LOG_NOTICE, x->log, 0,
                      "s3 store \"%V\": %d abandoned uploads or parts "
                      "removed", &x->root->path, x->rc);
    }
}
