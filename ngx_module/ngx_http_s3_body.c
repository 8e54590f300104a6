
/*
 * Copyright (C) ngx_s3 developers
 *
 * The body of PutObject and UploadPart.  Our request body filter consumes
 * every buffer nginx reads: it hashes the bytes and writes them to our own
 * temp file under the store's tmp/ (client_body_temp_path), then marks the
 * buffer consumed and passes nothing on but the final last_buf, so nginx's
 * save filter keeps nothing and memory stays at client_body_buffer_size.
 *
 * Bytes are written when the buffer nginx reads into is about to be
 * reused (the filter is then called with no input) or at the end of the
 * body, so a write is usually a whole client_body_buffer_size; the slices
 * waiting need not be contiguous (HTTP chunks, aws-chunked framing) and
 * go out with one writev().
 *
 * An aws-chunked body (x-amz-content-sha256: STREAMING-*) is decoded as
 * it streams (s3_chunked.h): only its data is hashed and written, its
 * chunk signatures are checked, and its trailer may carry the checksum.
 *
 * A failure (a write error, a bad digest the filter can see) is
 * remembered, the temp file removed at once and the rest of the body
 * swallowed; once the body has ended the post handler answers with
 * ngx_http_s3_body_finish()'s error.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_err_e ngx_http_s3_body_length(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_http_s3_err_e ngx_http_s3_body_chunked(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body,
    s3_chunked_mode_e mode);
static ngx_http_s3_err_e ngx_http_s3_body_chunked_finish(
    ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_http_s3_err_e ngx_http_s3_body_trailer(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_int_t ngx_http_s3_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_s3_body_decode(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body, u_char *pos,
    u_char *last);
static ngx_http_s3_err_e ngx_http_s3_body_chunked_error(
    ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx, s3_chunked_t *ck);
static void ngx_http_s3_body_data(ngx_http_request_t *r,
    ngx_http_s3_body_t *body, u_char *p, size_t len);
static void ngx_http_s3_body_flush(ngx_http_request_t *r,
    ngx_http_s3_body_t *body);
static void ngx_http_s3_body_fail(ngx_http_request_t *r,
    ngx_http_s3_body_t *body, ngx_http_s3_err_e err);
static ngx_pool_cleanup_t *ngx_http_s3_body_file_cleanup(
    ngx_http_request_t *r, ngx_http_s3_body_t *body);
static void ngx_http_s3_body_cleanup(void *data);


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;


ngx_int_t
ngx_http_s3_body_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_s3_body_filter;

    return NGX_OK;
}


/*
 * Before the body is read: the digests and the temp file.  A temp file
 * that cannot be created (a full disk) is answered before the body.
 */

ngx_http_s3_err_e
ngx_http_s3_body_start(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_err_t                  errn;
    ngx_http_s3_err_e          err;
    ngx_temp_file_t           *tf;
    ngx_pool_cleanup_t        *cln;
    ngx_http_s3_body_t        *body;
    ngx_http_core_loc_conf_t  *clcf;

    body = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_body_t));
    if (body == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    cln->handler = ngx_http_s3_body_cleanup;
    cln->data = body;

    err = ngx_http_s3_body_length(r, ctx, body);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_checksum_start(r, ctx, body);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (s3_digest_init(&body->md5, S3_DIGEST_MD5) != S3_OK
        || (ctx->check_sha256
            && s3_digest_init(&body->sha256, S3_DIGEST_SHA256) != S3_OK))
    {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_digest_init() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    tf = &body->temp;
    tf->file.fd = NGX_INVALID_FILE;
    tf->file.log = r->connection->log;
    tf->path = clcf->client_body_temp_path;
    tf->pool = r->pool;
    tf->persistent = 1;
    tf->clean = 1;

    if (ngx_create_temp_file(&tf->file, tf->path, tf->pool, 1, 1, 0)
        != NGX_OK)
    {
        errn = ngx_errno;
        tf->file.fd = NGX_INVALID_FILE;

        return ngx_http_s3_errno(r->connection->log, errn,
                                 "ngx_create_temp_file()",
                                 (char *) tf->path->name.data);
    }

    body->check_sha256 = ctx->check_sha256;
    body->reading = 1;
    ctx->body = body;

    return NGX_HTTP_S3_OK;
}


/*
 * The size the body will have: Content-Length, or for an aws-chunked body
 * x-amz-decoded-content-length, which it must send.
 */

static ngx_http_s3_err_e
ngx_http_s3_body_length(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body)
{
    ngx_table_elt_t    *h;
    s3_chunked_mode_e   mode;

    if (s3_chunked_mode((char *) ctx->payload_hash.data,
                        ctx->payload_hash.len, &mode)
        != S3_OK)
    {
        return (r->headers_in.content_length_n > NGX_HTTP_S3_MAX_OBJECT_SIZE)
               ? NGX_HTTP_S3_ENTITY_TOO_LARGE : NGX_HTTP_S3_OK;
    }

    h = ctx->headers[S3_HDR_DECODED_LENGTH];
    if (h == NULL) {
        return NGX_HTTP_S3_MISSING_CONTENT_LENGTH;
    }

    body->declared = ngx_atoof(h->value.data, h->value.len);

    if (body->declared == NGX_ERROR) {
        ngx_str_set(&ctx->message, "Invalid value for "
                    "x-amz-decoded-content-length.");
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    if (body->declared > NGX_HTTP_S3_MAX_OBJECT_SIZE) {
        return NGX_HTTP_S3_ENTITY_TOO_LARGE;
    }

    return ngx_http_s3_body_chunked(r, ctx, body, mode);
}


/*
 * The aws-chunked decoder, given the request's signing in the signed
 * modes, and the trailer x-amz-trailer announces, which must be a
 * checksum.
 */

static ngx_http_s3_err_e
ngx_http_s3_body_chunked(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body, s3_chunked_mode_e mode)
{
    int                     rc;
    s3_chunked_t           *ck;
    ngx_table_elt_t        *h;
    ngx_http_s3_signing_t  *s;

    h = ctx->headers[S3_HDR_TRAILER];

    if (h != NULL) {
        body->trailer.data = ngx_pnalloc(r->pool, h->value.len);
        if (body->trailer.data == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        body->trailer.len = h->value.len;
        ngx_strlow(body->trailer.data, h->value.data, h->value.len);

        if (s3_cksum_header_algo((char *) body->trailer.data,
                                 body->trailer.len)
            == S3_CKSUM_NONE)
        {
            ngx_str_set(&ctx->message, "The value specified in the "
                        "x-amz-trailer header is not supported");
            return NGX_HTTP_S3_INVALID_REQUEST;
        }
    }

    s = ctx->signing;

    if (s == NULL && mode != S3_CHUNKED_UNSIGNED_TRAILER) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 signed aws-chunked body without its signing");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ck = ngx_palloc(r->pool, sizeof(s3_chunked_t));
    if (ck == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (s == NULL) {
        rc = s3_chunked_init(ck, mode, NULL, NULL, NULL, NULL, 0);

    } else {
        rc = s3_chunked_init(ck, mode, s->key, (char *) s->seed,
                             (char *) s->date, (char *) s->scope,
                             s->scope_len);
    }

    if (rc != S3_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_chunked_init() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    body->chunked = ck;

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_body_t  *body;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_s3_module);

    if (ctx == NULL || ctx->body == NULL) {
        return ngx_http_next_request_body_filter(r, in);
    }

    body = ctx->body;

    if (!body->reading) {
        return ngx_http_next_request_body_filter(r, in);
    }

    if (in == NULL) {

        /* nginx is about to reuse its buffer */

        ngx_http_s3_body_flush(r, body);

        return ngx_http_next_request_body_filter(r, NULL);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 request body buffer in file");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        body->sent += b->last - b->pos;

        if (body->chunked != NULL) {
            ngx_http_s3_body_decode(r, ctx, body, b->pos, b->last);

        } else {
            ngx_http_s3_body_data(r, body, b->pos, b->last - b->pos);
        }

        b->pos = b->last;

        if (b->last_buf) {
            ngx_http_s3_body_flush(r, body);

            /* cl is the last link: the save filter keeps an empty body */

            return ngx_http_next_request_body_filter(r, cl);
        }
    }

#if (NGX_HTTP_V2)

    /* HTTP/2 reuses its buffer without telling the filters */

    if (r->stream != NULL) {
        ngx_http_s3_body_flush(r, body);
    }

#endif

    return NGX_OK;
}


/*
 * Runs the input through the aws-chunked decoder: its data slices are the
 * body, anything after its end or beyond x-amz-decoded-content-length is
 * an error.
 */

static void
ngx_http_s3_body_decode(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body, u_char *pos, u_char *last)
{
    size_t         len;
    const u_char  *p, *data;

    p = pos;

    while (body->error == NGX_HTTP_S3_OK) {

        switch (s3_chunked_parse(body->chunked, &p, last, &data, &len)) {

        case S3_OK:

            if (body->received + (off_t) len > body->declared) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "s3 aws-chunked body longer than "
                              "x-amz-decoded-content-length %O",
                              body->declared);
                ngx_http_s3_body_fail(r, body, NGX_HTTP_S3_INCOMPLETE_BODY);
                return;
            }

            ngx_http_s3_body_data(r, body, (u_char *) data, len);
            break;

        case S3_AGAIN:
            return;

        case S3_DONE:

            body->done = 1;

            if (p != last) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "s3 data after the end of an aws-chunked body");
                ngx_str_set(&ctx->message, "The request body terminated "
                            "unexpectedly");
                ngx_http_s3_body_fail(r, body, NGX_HTTP_S3_INCOMPLETE_BODY);
            }

            return;

        default: /* S3_ERR */
            ngx_http_s3_body_fail(r, body,
                ngx_http_s3_body_chunked_error(r, ctx, body->chunked));
            return;
        }
    }
}


static ngx_http_s3_err_e
ngx_http_s3_body_chunked_error(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_chunked_t *ck)
{
    switch (ck->error) {

    case S3_CHUNKED_E_SIGNATURE:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 aws-chunked signature does not match");
        return NGX_HTTP_S3_SIGNATURE_DOES_NOT_MATCH;

    case S3_CHUNKED_E_MALFORMED:
    case S3_CHUNKED_E_TOO_BIG:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 malformed aws-chunked body (%d)", ck->error);
        ngx_str_set(&ctx->message, "The request body terminated "
                    "unexpectedly");
        return NGX_HTTP_S3_INCOMPLETE_BODY;

    default:
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_chunked_parse() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }
}


/* hashes the bytes and queues them for the temp file */

static void
ngx_http_s3_body_data(ngx_http_request_t *r, ngx_http_s3_body_t *body,
    u_char *p, size_t len)
{
    struct iovec  *iov;

    if (len == 0 || body->error != NGX_HTTP_S3_OK) {
        return;
    }

    body->received += len;

    if (body->received > NGX_HTTP_S3_MAX_OBJECT_SIZE) {
        ngx_http_s3_body_fail(r, body, NGX_HTTP_S3_ENTITY_TOO_LARGE);
        return;
    }

    if (s3_digest_update(&body->md5, p, len) != S3_OK
        || (body->check_sha256
            && s3_digest_update(&body->sha256, p, len) != S3_OK)
        || (body->cksum.algo != S3_CKSUM_NONE
            && s3_cksum_update(&body->cksum, p, len) != S3_OK))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3 body digest update failed");
        ngx_http_s3_body_fail(r, body, NGX_HTTP_S3_INTERNAL_ERROR);
        return;
    }

    if (body->npending != 0) {
        iov = &body->pending[body->npending - 1];

        if ((u_char *) iov->iov_base + iov->iov_len == p) {
            iov->iov_len += len;
            return;
        }
    }

    if (body->npending == NGX_IOVS_PREALLOCATE) {
        ngx_http_s3_body_flush(r, body);

        if (body->error != NGX_HTTP_S3_OK) {
            return;
        }
    }

    iov = &body->pending[body->npending++];
    iov->iov_base = p;
    iov->iov_len = len;
}


static void
ngx_http_s3_body_flush(ngx_http_request_t *r, ngx_http_s3_body_t *body)
{
    ssize_t        n;
    ngx_err_t      err;
    ngx_uint_t     niov;
    struct iovec  *iov;

    iov = body->pending;
    niov = body->npending;

    while (niov != 0 && body->error == NGX_HTTP_S3_OK) {

        n = writev(body->temp.file.fd, iov, niov);

        if (n == -1) {
            err = ngx_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            ngx_http_s3_body_fail(r, body,
                ngx_http_s3_errno(r->connection->log, err, "writev()",
                                  (char *) body->temp.file.name.data));
            break;
        }

        body->temp.file.offset += n;

        /* past what a short write took */

        while (niov != 0 && (size_t) n >= iov->iov_len) {
            n -= iov->iov_len;
            iov++;
            niov--;
        }

        if (niov != 0) {
            iov->iov_base = (u_char *) iov->iov_base + n;
            iov->iov_len -= n;
        }
    }

    body->npending = 0;
}


/* the answer is err; the temp file goes now, the rest of the body later */

static void
ngx_http_s3_body_fail(ngx_http_request_t *r, ngx_http_s3_body_t *body,
    ngx_http_s3_err_e err)
{
    if (body->error == NGX_HTTP_S3_OK) {
        body->error = err;
    }

    body->npending = 0;

    ngx_http_s3_body_remove(r, body);
}


/*
 * Once the body has ended: the error to answer, or NGX_HTTP_S3_OK with
 * ctx->rec's size and md5 set and every byte in the temp file.
 */

ngx_http_s3_err_e
ngx_http_s3_body_finish(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char               sha256[S3_SHA256_LEN];
    ngx_http_s3_err_e    err;
    ngx_http_s3_body_t  *body;

    body = ctx->body;
    body->reading = 0;

    ngx_http_s3_body_flush(r, body);

    if (body->error != NGX_HTTP_S3_OK) {
        return body->error;
    }

    if (r->headers_in.content_length_n >= 0
        && body->sent != r->headers_in.content_length_n)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 body filter saw %O bytes of %O",
                      body->sent, r->headers_in.content_length_n);
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (body->chunked != NULL) {
        err = ngx_http_s3_body_chunked_finish(r, ctx, body);
        if (err != NGX_HTTP_S3_OK) {
            return err;
        }
    }

    if (s3_digest_final(&body->md5, ctx->rec.md5) != S3_OK
        || (body->check_sha256
            && s3_digest_final(&body->sha256, sha256) != S3_OK))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_digest_final() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    if (body->check_sha256) {
        err = ngx_http_s3_payload_hash_check(r, ctx, sha256);
        if (err != NGX_HTTP_S3_OK) {
            return err;
        }
    }

    ctx->rec.size = body->received;

    return ngx_http_s3_checksum_finish(r, ctx, body);
}


/*
 * An aws-chunked body must have reached its end with as many bytes as
 * x-amz-decoded-content-length says.
 */

static ngx_http_s3_err_e
ngx_http_s3_body_chunked_finish(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body)
{
    if (!body->done) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 aws-chunked body ended before its final chunk");
        ngx_str_set(&ctx->message, "The request body terminated "
                    "unexpectedly");
        return NGX_HTTP_S3_INCOMPLETE_BODY;
    }

    if (body->received != body->declared) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 aws-chunked body of %O bytes, "
                      "x-amz-decoded-content-length %O",
                      body->received, body->declared);
        return NGX_HTTP_S3_INCOMPLETE_BODY;
    }

    return ngx_http_s3_body_trailer(r, ctx, body);
}


/*
 * The trailer must be the one x-amz-trailer announced, and its checksum
 * is then the one to verify.
 */

static ngx_http_s3_err_e
ngx_http_s3_body_trailer(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body)
{
    u_char           *p;
    size_t            pos;
    s3_str_t          name, value;
    s3_cksum_algo_e   algo;

    pos = 0;

    while (s3_chunked_next_trailer(body->chunked, &pos, &name, &value)) {
        if (name.len != body->trailer.len
            || ngx_strncmp(name.data, body->trailer.data, name.len) != 0)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s3 aws-chunked trailer \"%*s\" not announced",
                          name.len, name.data);
            return NGX_HTTP_S3_MALFORMED_TRAILER;
        }
    }

    if (body->trailer.len == 0) {
        return NGX_HTTP_S3_OK;
    }

    if (s3_chunked_trailer(body->chunked, (char *) body->trailer.data,
                           body->trailer.len, &value)
        != S3_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 aws-chunked trailer \"%V\" missing",
                      &body->trailer);
        return NGX_HTTP_S3_MALFORMED_TRAILER;
    }

    algo = body->cksum.algo;

    if (s3_cksum_decode(algo, value.data, value.len, body->expected)
        != S3_OK)
    {
        p = ngx_pnalloc(r->pool, sizeof("Value for  trailing header is "
                                        "invalid.")
                                 + body->trailer.len);
        if (p == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ctx->message.data = p;
        ctx->message.len = ngx_sprintf(p, "Value for %V trailing header is "
                                       "invalid.", &body->trailer) - p;
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    body->verify = 1;

    return NGX_HTTP_S3_OK;
}


/* The body's SHA-256 against the hex x-amz-content-sha256 it was sent with */

ngx_http_s3_err_e
ngx_http_s3_payload_hash_check(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    u_char *sha256)
{
    u_char  declared[S3_SHA256_LEN];

    (void) s3_hex_decode(declared, (char *) ctx->payload_hash.data,
                         ctx->payload_hash.len);

    if (s3_const_time_cmp(declared, sha256, S3_SHA256_LEN) != 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 body does not match x-amz-content-sha256");
        return NGX_HTTP_S3_SHA256_MISMATCH;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * The temp file was renamed into place: its pool cleanup must only close
 * it, since another request may already have a temp file of that name.
 */

void
ngx_http_s3_body_keep(ngx_http_request_t *r, ngx_http_s3_body_t *body)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_http_s3_body_file_cleanup(r, body);

    if (cln == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 cleanup of the committed temp file not found");
        return;
    }

    cln->handler = ngx_pool_cleanup_file;
}


/* a body that will not be committed: its temp file goes now */

void
ngx_http_s3_body_remove(ngx_http_request_t *r, ngx_http_s3_body_t *body)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_http_s3_body_file_cleanup(r, body);

    if (cln != NULL) {
        cln->handler(cln->data);
        cln->handler = NULL;
        body->temp.file.fd = NGX_INVALID_FILE;
    }
}


/* the cleanup ngx_create_temp_file() added to remove the temp file */

static ngx_pool_cleanup_t *
ngx_http_s3_body_file_cleanup(ngx_http_request_t *r,
    ngx_http_s3_body_t *body)
{
    ngx_pool_cleanup_t       *cln;
    ngx_pool_cleanup_file_t  *clnf;

    if (body->temp.file.fd == NGX_INVALID_FILE) {
        return NULL;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler != ngx_pool_delete_file) {
            continue;
        }

        clnf = cln->data;

        if (clnf->fd == body->temp.file.fd) {
            return cln;
        }
    }

    return NULL;
}


static void
ngx_http_s3_body_cleanup(void *data)
{
    ngx_http_s3_body_t *body = data;

    s3_digest_free(&body->md5);
    s3_digest_free(&body->sha256);
    s3_cksum_free(&body->cksum);

    if (body->chunked != NULL) {
        s3_chunked_free(body->chunked);
    }
}
