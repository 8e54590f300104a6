
/*
 * Copyright (C) ngx_s3 developers
 *
 * The multipart upload family: CreateMultipartUpload,
 * UploadPart's upload check (its body takes PutObject's path,
 * ngx_http_s3_put.c), AbortMultipartUpload and ListParts.  Completion is
 * in ngx_http_s3_complete.c, UploadPartCopy in ngx_http_s3_copy.c, GET and
 * HEAD of a multipart object in ngx_http_s3_parts.c, the expiry of
 * abandoned uploads in ngx_http_s3_expire.c; the store side is
 * core/s3_store_mpu.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "ngx_http_s3_multipart.h"


#define NGX_HTTP_S3_MAX_PARTS_LIST   1000


static ngx_http_s3_err_e ngx_http_s3_create_headers(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_record_t *rec);
static ngx_http_s3_err_e ngx_http_s3_create_checksum_type(
    ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx, s3_record_t *rec);
static ngx_int_t ngx_http_s3_create_echo(ngx_http_request_t *r,
    s3_record_t *rec);
static void ngx_http_s3_create_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_create_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
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


static ngx_str_t  ngx_http_s3_checksums[] = {
    ngx_string("CRC32"),
    ngx_string("CRC32C"),
    ngx_string("CRC64NVME"),
    ngx_string("SHA1"),
    ngx_string("SHA256"),
    ngx_null_string
};


/*
 * The start of every multipart operation but UploadPart: the body is
 * discarded unless it is the operation's, a change needs a journal, the
 * bucket must be the requester's.  Then *mp is the operation's context.
 */

ngx_http_s3_err_e
ngx_http_s3_mpu_start(ngx_http_request_t *r, ngx_uint_t flags,
    ngx_http_s3_mpu_ctx_t **mp)
{
    s3_record_t             brec;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, flags, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    m = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_mpu_ctx_t));
    if (m == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    m->store = &ctx->store;
    m->bucket.data = (char *) ctx->bucket.data;
    m->bucket.len = ctx->bucket.len;
    m->key.data = (char *) ctx->key.data;
    m->key.len = ctx->key.len;
    m->upload_id.data = (char *) ctx->upload_id.data;
    m->upload_id.len = ctx->upload_id.len;

    ctx->mpu = m;
    *mp = m;

    return NGX_HTTP_S3_OK;
}


/* CreateMultipartUpload */


ngx_int_t
ngx_http_s3_create_upload(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_mpu_start(r, NGX_HTTP_S3_DISCARD_BODY, &m);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_create_headers(r, ctx, &m->rec);
    }

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
    rec->tags = ctx->rec.tags;

    rec->acl = ctx->rec.acl;

    h = ctx->headers[S3_HDR_CHECKSUM_ALGORITHM];
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

    return ngx_http_s3_create_checksum_type(r, ctx, rec);
}


/*
 * x-amz-checksum-type: COMPOSITE (the default with an algorithm) or
 * FULL_OBJECT, which SHA-1 and SHA-256 cannot be combined into; CRC64NVME
 * is FULL_OBJECT only.
 */

static ngx_http_s3_err_e
ngx_http_s3_create_checksum_type(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_record_t *rec)
{
    ngx_uint_t        full;
    s3_cksum_algo_e   algo;
    ngx_table_elt_t  *h;

    algo = s3_cksum_algo(rec->checksum.data, rec->checksum.len);

    h = ctx->headers[S3_HDR_CHECKSUM_TYPE];

    if (h == NULL) {
        full = (algo == S3_CKSUM_CRC64NVME);

    } else if (h->value.len == sizeof("FULL_OBJECT") - 1
               && ngx_strncasecmp(h->value.data, (u_char *) "FULL_OBJECT",
                                  h->value.len) == 0)
    {
        full = 1;

    } else if (h->value.len == sizeof("COMPOSITE") - 1
               && ngx_strncasecmp(h->value.data, (u_char *) "COMPOSITE",
                                  h->value.len) == 0)
    {
        full = 0;

    } else {
        ngx_str_set(&ctx->message, "Value for x-amz-checksum-type header is "
                    "invalid.");
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    if (algo == S3_CKSUM_NONE) {
        if (h != NULL) {
            ngx_str_set(&ctx->message, "The x-amz-checksum-type header can "
                        "only be used with the x-amz-checksum-algorithm "
                        "header.");
            return NGX_HTTP_S3_INVALID_REQUEST;
        }

        return NGX_HTTP_S3_OK;
    }

    if (full ? (algo == S3_CKSUM_SHA1 || algo == S3_CKSUM_SHA256)
             : (algo == S3_CKSUM_CRC64NVME))
    {
        ngx_str_set(&ctx->message, "The FULL_OBJECT checksum type is only "
                    "supported with CRC checksums, and CRC64NVME only with "
                    "it.");
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    if (full) {
        rec->checksum_type.data = "FULL_OBJECT";
        rec->checksum_type.len = sizeof("FULL_OBJECT") - 1;

    } else {
        rec->checksum_type.data = "COMPOSITE";
        rec->checksum_type.len = sizeof("COMPOSITE") - 1;
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_create_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_mpu_ctx_t *m = t->data;

    t->rc = s3_store_create_upload(m->store, &m->rec, m->id);
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

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_UPLOAD,
                                 "s3_store_create_upload()");
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
    p = ngx_http_s3_xml_element(p, "Bucket", (u_char *) m->bucket.data,
                                m->bucket.len);
    p = ngx_http_s3_xml_element(p, "Key", (u_char *) m->key.data,
                                m->key.len);
    p = ngx_http_s3_xml_element(p, "UploadId", (u_char *) m->id,
                                S3_UPLOAD_ID_LEN);
    b->last = ngx_cpymem(p, "</InitiateMultipartUploadResult>",
                         sizeof("</InitiateMultipartUploadResult>") - 1);

    if (ngx_http_s3_create_echo(r, &m->rec) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* x-amz-checksum-algorithm and -type, as S3 echoes them */

static ngx_int_t
ngx_http_s3_create_echo(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_table_elt_t  *h;

    if (rec->checksum.len == 0) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-checksum-algorithm");
    h->value.data = (u_char *) rec->checksum.data;
    h->value.len = rec->checksum.len;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-checksum-type");
    h->value.data = (u_char *) rec->checksum_type.data;
    h->value.len = rec->checksum_type.len;

    return NGX_OK;
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

    /* the checksum its parts must carry (ngx_http_s3_body.c) */

    ctx->rec.checksum = rec.checksum;
    ctx->rec.checksum_type = rec.checksum_type;

    return NGX_HTTP_S3_OK;
}


/* AbortMultipartUpload */


ngx_int_t
ngx_http_s3_abort_upload(ngx_http_request_t *r)
{
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    err = ngx_http_s3_mpu_start(r, NGX_HTTP_S3_DISCARD_BODY, &m);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_abort_run,
                                 ngx_http_s3_abort_done, m);
}


static void
ngx_http_s3_abort_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_mpu_ctx_t *m = t->data;

    t->rc = s3_store_abort_upload(m->store, &m->bucket, &m->key,
                                  &m->upload_id);
}


static ngx_int_t
ngx_http_s3_abort_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_UPLOAD,
                                 "s3_store_abort_upload()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
}


/* ListParts */


ngx_int_t
ngx_http_s3_list_parts(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_mpu_start(r, NGX_HTTP_S3_DISCARD_BODY, &m);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_list_parts_args(ctx, m);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_part_check(r, ctx);
    }

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
    ngx_http_s3_mpu_ctx_t *m = t->data;

    t->rc = s3_store_list_parts(m->store->root, &m->bucket, &m->upload_id,
                                m->marker, m->info, m->max, &m->n,
                                &m->truncated);
}


static ngx_int_t
ngx_http_s3_list_parts_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_UPLOAD,
                                 "s3_store_list_parts()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_list_parts_xml(r, t->data);
}


static ngx_int_t
ngx_http_s3_list_parts_xml(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    size_t               len, i;
    u_char              *p, etag[NGX_HTTP_S3_ETAG_LEN];
    ngx_buf_t           *b;
    ngx_http_s3_ctx_t   *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    len = sizeof(NGX_HTTP_S3_XML_DECL "<ListPartsResult xmlns=\""
                 NGX_HTTP_S3_XMLNS "\"></ListPartsResult>")
          + 512 + m->bucket.len + 6 * m->key.len + S3_UPLOAD_ID_LEN
          + 4 * 6 * ctx->user.len
          + sizeof("<ChecksumAlgorithm></ChecksumAlgorithm><ChecksumType>"
                   "</ChecksumType>")
          + ctx->rec.checksum.len + ctx->rec.checksum_type.len
          + m->n * (sizeof("<Part><PartNumber></PartNumber><LastModified>"
                           "</LastModified><ETag></ETag><Size></Size>"
                           "<ChecksumCRC64NVME></ChecksumCRC64NVME></Part>")
                    + 8 + 24 + 2 * 6 + 2 * S3_MD5_LEN + NGX_OFF_T_LEN
                    + S3_CKSUM_B64_MAX_LEN);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<ListPartsResult xmlns=\""
                   NGX_HTTP_S3_XMLNS "\">",
                   sizeof(NGX_HTTP_S3_XML_DECL "<ListPartsResult xmlns=\""
                          NGX_HTTP_S3_XMLNS "\">") - 1);
    p = ngx_http_s3_xml_element(p, "Bucket", (u_char *) m->bucket.data,
                                m->bucket.len);
    p = ngx_http_s3_xml_element(p, "Key", (u_char *) m->key.data,
                                m->key.len);
    p = ngx_http_s3_xml_element(p, "UploadId", (u_char *) m->upload_id.data,
                                m->upload_id.len);

    p = ngx_cpymem(p, "<Initiator>", sizeof("<Initiator>") - 1);
    p = ngx_http_s3_xml_element(p, "ID", ctx->user.data, ctx->user.len);
    p = ngx_http_s3_xml_element(p, "DisplayName", ctx->user.data,
                                ctx->user.len);
    p = ngx_cpymem(p, "</Initiator><Owner>",
                   sizeof("</Initiator><Owner>") - 1);
    p = ngx_http_s3_xml_element(p, "ID", ctx->user.data, ctx->user.len);
    p = ngx_http_s3_xml_element(p, "DisplayName", ctx->user.data,
                                ctx->user.len);

    p = ngx_cpymem(p, "</Owner><StorageClass>STANDARD</StorageClass>",
                   sizeof("</Owner><StorageClass>STANDARD</StorageClass>")
                   - 1);

    if (ctx->rec.checksum.len != 0) {
        p = ngx_http_s3_xml_element(p, "ChecksumAlgorithm",
                                    (u_char *) ctx->rec.checksum.data,
                                    ctx->rec.checksum.len);
        p = ngx_http_s3_xml_element(p, "ChecksumType",
                                    (u_char *) ctx->rec.checksum_type.data,
                                    ctx->rec.checksum_type.len);
    }

    p = ngx_sprintf(p, "<PartNumberMarker>%uD</PartNumberMarker>"
                    "<NextPartNumberMarker>%uD</NextPartNumberMarker>"
                    "<MaxParts>%uz</MaxParts>"
                    "<IsTruncated>%s</IsTruncated>",
                    m->marker, m->n ? m->info[m->n - 1].number : 0,
                    m->max, m->truncated ? "true" : "false");

    for (i = 0; i < m->n; i++) {
        p = ngx_sprintf(p, "<Part><PartNumber>%uD</PartNumber>"
                        "<LastModified>", m->info[i].number);
        p = ngx_http_s3_xml_time(p, m->info[i].mtime_ms);
        p = ngx_cpymem(p, "</LastModified>", sizeof("</LastModified>") - 1);
        p = ngx_http_s3_xml_element(p, "ETag", etag,
                                    ngx_http_s3_etag(etag, m->info[i].md5, 0)
                                    - etag);
        p = ngx_sprintf(p, "<Size>%uL</Size>", m->info[i].size);

        if (m->info[i].checksum != S3_CKSUM_NONE) {
            p = ngx_http_s3_xml_element(p,
                             (char *) s3_cksum_element(m->info[i].checksum),
                             (u_char *) m->info[i].checksum_value,
                             m->info[i].checksum_len);
        }

        p = ngx_cpymem(p, "</Part>", sizeof("</Part>") - 1);
    }

    b->last = ngx_cpymem(p, "</ListPartsResult>",
                         sizeof("</ListPartsResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}
