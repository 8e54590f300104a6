
/*
 * Copyright (C) ngx_s3 developers
 *
 * CompleteMultipartUpload: its XML body is parsed as it streams past
 * (ngx_http_s3_put.c's request body filter feeds it here), then the store
 * publishes the object (core/s3_store_complete.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "ngx_http_s3_multipart.h"


static void ngx_http_s3_complete_tag(ngx_http_s3_mpu_xml_t *x);
static void ngx_http_s3_complete_close(ngx_http_s3_mpu_xml_t *x,
    u_char *name, size_t len);
static void ngx_http_s3_complete_etag(ngx_http_s3_mpu_xml_t *x);
static void ngx_http_s3_complete_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_complete_post(ngx_http_request_t *r);
static void ngx_http_s3_complete_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_complete_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_complete_xml(ngx_http_request_t *r,
    ngx_http_s3_mpu_ctx_t *m);


ngx_int_t
ngx_http_s3_complete_upload(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_err_e       err;
    ngx_http_s3_mpu_ctx_t  *m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_mpu_start(r, NGX_HTTP_S3_CHANGE, &m);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (ngx_array_init(&m->xml.parts, r->pool, 16, sizeof(s3_store_part_t))
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
            ngx_http_s3_complete_tag(x);
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
ngx_http_s3_complete_tag(ngx_http_s3_mpu_xml_t *x)
{
    u_char  *name;
    size_t   len;

    if (x->tag_len == 0 || x->tag[0] == '?' || x->tag[0] == '!') {
        return;
    }

    if (x->tag[0] == '/') {
        ngx_http_s3_complete_close(x, x->tag + 1, x->tag_len - 1);
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
        ngx_http_s3_complete_close(x, name, len);
    }
}


static void
ngx_http_s3_complete_close(ngx_http_s3_mpu_xml_t *x, u_char *name, size_t len)
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
            ngx_http_s3_complete_etag(x);
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
ngx_http_s3_complete_etag(ngx_http_s3_mpu_xml_t *x)
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
    u_char           *p, *loc, etag[NGX_HTTP_S3_ETAG_LEN];
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
    b->last = ngx_cpymem(b->last, "</CompleteMultipartUploadResult>",
                         sizeof("</CompleteMultipartUploadResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}
