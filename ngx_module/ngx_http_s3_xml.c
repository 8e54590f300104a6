
/*
 * Copyright (C) ngx_s3 developers
 *
 * XML elements (escaped by core/s3_xml_escape.c) and times, sending of
 * XML and empty responses, and reading of the XML bodies requests carry.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static void ngx_http_s3_xml_body_handler(ngx_http_request_t *r);
static ngx_http_s3_err_e ngx_http_s3_xml_body_gather(ngx_http_request_t *r,
    size_t max, u_char **buf, size_t *len);
static ngx_http_s3_err_e ngx_http_s3_xml_body_verify(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, u_char *buf, size_t len);
static ngx_http_s3_err_e ngx_http_s3_xml_body_md5(ngx_http_request_t *r,
    u_char *buf, size_t len);
static ngx_http_s3_err_e ngx_http_s3_xml_body_cksum(ngx_http_request_t *r,
    ngx_table_elt_t *h, u_char *buf, size_t len);


u_char *
ngx_http_s3_xml_element(u_char *p, char *name, u_char *data, size_t len)
{
    size_t  n;

    n = ngx_strlen(name);

    *p++ = '<';
    p = ngx_cpymem(p, name, n);
    *p++ = '>';
    p += s3_xml_escape((char *) p, (char *) data, len);
    *p++ = '<';
    *p++ = '/';
    p = ngx_cpymem(p, name, n);
    *p++ = '>';

    return p;
}


/* ISO 8601 with milliseconds, NGX_HTTP_S3_ISO8601_LEN bytes */

u_char *
ngx_http_s3_xml_time(u_char *p, uint64_t ms)
{
    ngx_tm_t  tm;

    ngx_gmtime((time_t) (ms / 1000), &tm);

    return ngx_sprintf(p, "%4d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                       (int) (ms % 1000));
}


ngx_int_t
ngx_http_s3_send_xml(ngx_http_request_t *r, ngx_uint_t status, ngx_buf_t *b)
{
    return ngx_http_s3_send_body(r, status, "application/xml", b);
}


/* b whole as the answer; type: a literal */

ngx_int_t
ngx_http_s3_send_body(ngx_http_request_t *r, ngx_uint_t status, char *type,
    ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;

    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_s3_send_empty(ngx_http_request_t *r, ngx_uint_t status)
{
    r->headers_out.status = status;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


/*
 * Reads the request body whole, up to the operation's body_max bytes
 * (s3_op_list.h), into one buffer of the
 * request pool, checks it against x-amz-content-sha256, Content-MD5 and
 * an x-amz-checksum-<algorithm> header, then finalizes the request with
 * what handler returns for it.  A larger body is MalformedXML, as S3
 * answers a document it will not take.
 */

ngx_int_t
ngx_http_s3_read_xml_body(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler)
{
    size_t              max;
    ngx_int_t           rc;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    max = s3_ops[ctx->op].body_max;

    if (r->headers_in.content_length_n > (off_t) max) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 XML body of %O bytes is over %uz",
                      r->headers_in.content_length_n, max);
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    ctx->xml_handler = handler;

    r->request_body_file_log_level = 0;

    rc = ngx_http_read_client_request_body(r, ngx_http_s3_xml_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        r->keepalive = 0;
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    return NGX_DONE;
}


/*
 * The same for requests S3 wants an integrity check on (DeleteObjects):
 * without a Content-MD5 or an x-amz-checksum-<algorithm> header the
 * request is refused before its body is read.
 */

ngx_int_t
ngx_http_s3_read_xml_body_md5(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler)
{
    ngx_table_elt_t    *h;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_cksum_header(r, &h);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (h == NULL && ctx->headers[S3_HDR_CONTENT_MD5] == NULL) {
        ngx_str_set(&ctx->message,
                    "Missing required header for this request: Content-MD5");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_REQUEST);
    }

    return ngx_http_s3_read_xml_body(r, handler);
}


static void
ngx_http_s3_xml_body_handler(ngx_http_request_t *r)
{
    u_char             *buf;
    size_t              len;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_xml_body_gather(r, s3_ops[ctx->op].body_max, &buf,
                                      &len);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_xml_body_verify(r, ctx, buf, len);
    }

    if (err != NGX_HTTP_S3_OK) {
        ngx_http_finalize_request(r, ngx_http_s3_send_error(r, err));
        return;
    }

    ngx_http_finalize_request(r, ctx->xml_handler(r, buf, len));
}


/* the body, from memory buffers or nginx's temp file, into one buffer */

static ngx_http_s3_err_e
ngx_http_s3_xml_body_gather(ngx_http_request_t *r, size_t max, u_char **buf,
    size_t *len)
{
    off_t         size;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 XML request body is unavailable");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size > (off_t) max) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 XML body of %O bytes is over %uz", size, max);
        return NGX_HTTP_S3_MALFORMED_XML;
    }

    p = ngx_pnalloc(r->pool, (size_t) size + 1);
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    *buf = p;
    *len = (size_t) size;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_special(b)) {
            continue;
        }

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n == NGX_ERROR) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          ngx_read_file_n " \"%V\" returned only %z bytes",
                          &b->file->name, n);
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        p += n;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_xml_body_verify(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    u_char *buf, size_t len)
{
    u_char              sha256[S3_SHA256_LEN];
    ngx_table_elt_t    *h;
    ngx_http_s3_err_e   err;

    if (ctx->check_sha256) {
        s3_sha256(buf, len, sha256);

        err = ngx_http_s3_payload_hash_check(r, ctx, sha256);
        if (err != NGX_HTTP_S3_OK) {
            return err;
        }
    }

    if (ctx->headers[S3_HDR_CONTENT_MD5] != NULL) {
        err = ngx_http_s3_xml_body_md5(r, buf, len);
        if (err != NGX_HTTP_S3_OK) {
            return err;
        }
    }

    err = ngx_http_s3_cksum_header(r, &h);

    if (err != NGX_HTTP_S3_OK || h == NULL) {
        return err;
    }

    return ngx_http_s3_xml_body_cksum(r, h, buf, len);
}


static ngx_http_s3_err_e
ngx_http_s3_xml_body_md5(ngx_http_request_t *r, u_char *buf, size_t len)
{
    u_char             md5[S3_MD5_LEN], declared[S3_MD5_LEN];
    ngx_uint_t         sent;
    s3_digest_t        d;
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_content_md5(r, declared, &sent);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (s3_digest_init(&d, S3_DIGEST_MD5) != S3_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_digest_init() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (s3_digest_update(&d, buf, len) != S3_OK
        || s3_digest_final(&d, md5) != S3_OK)
    {
        s3_digest_free(&d);
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_digest_final() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (ngx_memcmp(md5, declared, S3_MD5_LEN) != 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 body does not match Content-MD5");
        return NGX_HTTP_S3_BAD_DIGEST;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_xml_body_cksum(ngx_http_request_t *r, ngx_table_elt_t *h,
    u_char *buf, size_t len)
{
    s3_cksum_t       c;
    s3_cksum_algo_e  algo;
    u_char           sum[S3_CKSUM_MAX_LEN], declared[S3_CKSUM_MAX_LEN];

    algo = s3_cksum_header_algo((char *) h->lowcase_key, h->key.len);

    if (s3_cksum_decode(algo, (char *) h->value.data, h->value.len,
                        declared)
        != S3_OK)
    {
        return ngx_http_s3_cksum_invalid(r, algo);
    }

    if (s3_cksum_init(&c, algo) != S3_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_cksum_init() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (s3_cksum_update(&c, buf, len) != S3_OK
        || s3_cksum_final(&c, sum) != S3_OK)
    {
        s3_cksum_free(&c);
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_cksum_final() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (ngx_memcmp(sum, declared, s3_cksum_len(algo)) != 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 XML body does not match its %s",
                      s3_cksum_name(algo));
        return ngx_http_s3_cksum_mismatch(r, algo);
    }

    return NGX_HTTP_S3_OK;
}
