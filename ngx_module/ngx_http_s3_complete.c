
/*
 * Copyright (C) ngx_s3 developers
 *
 * CompleteMultipartUpload: its XML body is read whole and parsed by
 * core/s3_xml.c, then the store publishes the object
 * (core/s3_store_complete.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "ngx_http_s3_multipart.h"


/* the shortest <Part> there can be */
#define NGX_HTTP_S3_PART_MIN_LEN                                             \
    (sizeof("<Part><PartNumber>1</PartNumber><ETag/></Part>") - 1)


static ngx_int_t ngx_http_s3_complete_parse(ngx_http_request_t *r,
    u_char *buf, size_t len);
static ngx_http_s3_err_e ngx_http_s3_complete_parts(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_complete_etag(s3_str_t *etag, u_char *md5);
static ngx_int_t ngx_http_s3_complete_missing(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);
static void ngx_http_s3_complete_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_complete_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_complete_xml(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);


ngx_int_t
ngx_http_s3_complete_upload(ngx_http_request_t *r)
{
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    err = ngx_http_s3_mpu_start(r, 0, &m);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_read_xml_body(r, ngx_http_s3_complete_parse);
}


static ngx_int_t
ngx_http_s3_complete_parse(ngx_http_request_t *r, u_char *buf, size_t len)
{
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    m = ctx->mpu;

    /* room for every part the body can hold, S3_PART_NUMBER_MAX at most */

    m->xml.max = ngx_min(len / NGX_HTTP_S3_PART_MIN_LEN + 1,
                         S3_PART_NUMBER_MAX);
    m->xml.parts = ngx_palloc(r->pool, m->xml.max * sizeof(s3_xml_part_t));
    if (m->xml.parts == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (s3_xml_parse_complete((char *) buf, len, &m->xml) != S3_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, ngx_errno,
                      "s3 complete: malformed XML body");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    err = ngx_http_s3_complete_parts(r, m);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_complete_run,
                                 ngx_http_s3_complete_done, m);
}


/* the parts as the store takes them: numbers in order, ETags as MD5s */

static ngx_http_s3_err_e
ngx_http_s3_complete_parts(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    size_t            i, n;
    s3_xml_part_t    *xp;
    s3_store_part_t  *parts;

    n = m->xml.nparts;
    xp = m->xml.parts;

    parts = ngx_palloc(r->pool, n * sizeof(s3_store_part_t));
    if (parts == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (xp[i].number < 1 || xp[i].number > S3_PART_NUMBER_MAX) {
            return NGX_HTTP_S3_INVALID_PART;
        }

        if (i > 0 && xp[i].number <= xp[i - 1].number) {
            return NGX_HTTP_S3_INVALID_PART_ORDER;
        }

        parts[i].number = xp[i].number;
        ngx_http_s3_complete_etag(&xp[i].etag, parts[i].md5);

        /* a checksum that is none can match no part's */

        parts[i].cksum_algo = xp[i].cksum_algo;

        if (xp[i].cksum_algo != S3_CKSUM_NONE
            && s3_cksum_decode(xp[i].cksum_algo, xp[i].cksum.data,
                               xp[i].cksum.len, parts[i].cksum)
               != S3_OK)
        {
            return NGX_HTTP_S3_INVALID_PART;
        }
    }

    m->complete.bucket = m->bucket;
    m->complete.key = m->key;
    m->complete.upload_id = m->upload_id;
    m->complete.parts = parts;
    m->complete.nparts = n;
    m->complete.table = ngx_pnalloc(r->pool, n * S3_RECORD_PART_LEN);
    if (m->complete.table == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    return NGX_HTTP_S3_OK;
}


/* "hex" or hex, whitespace around; another ETag can match no part */

static void
ngx_http_s3_complete_etag(s3_str_t *etag, u_char *md5)
{
    const char  *p, *last;

    p = etag->data;
    last = etag->data + etag->len;

    while (p < last && (*p == '"' || *p == ' ' || *p == '\t'
                        || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    while (last > p && (last[-1] == '"' || last[-1] == ' '
                        || last[-1] == '\t' || last[-1] == '\n'
                        || last[-1] == '\r'))
    {
        last--;
    }

    if (last - p != 2 * S3_MD5_LEN
        || s3_hex_decode(md5, p, 2 * S3_MD5_LEN) != S3_OK)
    {
        /* no part has this md5: the store answers InvalidPart */
        ngx_memzero(md5, S3_MD5_LEN);
    }
}


static void
ngx_http_s3_complete_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_mpu_ctx_t *m = t->data;

    t->rc = s3_store_complete_upload(m->store, &m->complete);
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
    }

    if (t->rc == S3_STORE_NO_CHECKSUM
        && ngx_http_s3_complete_missing(r, m) != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_UPLOAD,
                                 "s3_store_complete_upload()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    return ngx_http_s3_complete_xml(r, m);
}


/* the message for a COMPOSITE upload's part listed without its checksum */

static ngx_int_t
ngx_http_s3_complete_missing(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    u_char             *p, algo[sizeof("crc64nvme")];
    s3_str_t           *name;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    name = &m->complete.rec.checksum;

    if (name->len >= sizeof(algo)) {
        return NGX_ERROR;
    }

    ngx_strlow(algo, (u_char *) name->data, name->len);
    algo[name->len] = '\0';

    p = ngx_pnalloc(r->pool, sizeof("The upload was created using a  "
                                    "checksum. The complete request must "
                                    "include the checksum for each part. It "
                                    "was missing for part  in the request.")
                             + sizeof("crc64nvme") + NGX_INT32_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, "The upload was created using a %s "
                                   "checksum. The complete request must "
                                   "include the checksum for each part. It "
                                   "was missing for part %uD in the "
                                   "request.", algo, m->complete.bad_part)
                       - p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_complete_xml(ngx_http_request_t *r, ngx_http_s3_mpu_ctx_t *m)
{
    size_t            len;
    u_char           *p, *loc, etag[NGX_HTTP_S3_ETAG_LEN];
    uintptr_t         esc;
    ngx_buf_t        *b;
    ngx_str_t        *host;
    s3_record_t      *rec;
    s3_cksum_algo_e   algo;

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
                   "<ETag></ETag><ChecksumCRC64NVME></ChecksumCRC64NVME>"
                   "<ChecksumType>FULL_OBJECT</ChecksumType>")
          + S3_CKSUM_VALUE_MAX_LEN
          + 6 * (p - loc) + m->bucket.len + 6 * m->key.len + 6 * 48;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    len = ngx_http_s3_etag(etag, m->complete.rec.md5, m->complete.nparts)
          - etag;

    b->last = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL
                         "<CompleteMultipartUploadResult xmlns=\""
                         NGX_HTTP_S3_XMLNS "\">",
                         sizeof(NGX_HTTP_S3_XML_DECL
                                "<CompleteMultipartUploadResult xmlns=\""
                                NGX_HTTP_S3_XMLNS "\">") - 1);
    b->last = ngx_http_s3_xml_element(b->last, "Location", loc, p - loc);
    b->last = ngx_http_s3_xml_element(b->last, "Bucket",
                                      (u_char *) m->bucket.data,
                                      m->bucket.len);
    b->last = ngx_http_s3_xml_element(b->last, "Key", (u_char *) m->key.data,
                                      m->key.len);
    b->last = ngx_http_s3_xml_element(b->last, "ETag", etag, len);

    rec = &m->complete.rec;
    algo = s3_cksum_algo(rec->checksum.data, rec->checksum.len);

    if (algo != S3_CKSUM_NONE && rec->checksum_value.len != 0) {
        b->last = ngx_http_s3_xml_element(b->last,
                                          (char *) s3_cksum_element(algo),
                                          (u_char *) rec->checksum_value.data,
                                          rec->checksum_value.len);
        b->last = ngx_http_s3_xml_element(b->last, "ChecksumType",
                                          (u_char *) rec->checksum_type.data,
                                          rec->checksum_type.len);
    }

    b->last = ngx_cpymem(b->last, "</CompleteMultipartUploadResult>",
                         sizeof("</CompleteMultipartUploadResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}
