
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
static ngx_http_s3_err_e ngx_http_s3_body_checksum(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_http_s3_err_e ngx_http_s3_body_chunked_finish(
    ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_http_s3_err_e ngx_http_s3_body_trailer(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_http_s3_err_e ngx_http_s3_body_checksum_final(
    ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static s3_cksum_algo_e ngx_http_s3_body_part_algo(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_cksum_algo_e algo);
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
static ngx_http_s3_err_e ngx_http_s3_cksum_query(ngx_http_request_t *r,
    ngx_table_elt_t **found);
static ngx_http_s3_err_e ngx_http_s3_cksum_multiple(ngx_http_request_t *r);


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

    err = ngx_http_s3_body_checksum(r, ctx, body);
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

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-decoded-content-length",
                                sizeof("x-amz-decoded-content-length") - 1);
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

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-trailer",
                                sizeof("x-amz-trailer") - 1);

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


/*
 * The flexible checksum: one x-amz-checksum-<algo> header or trailer to
 * verify, or x-amz-sdk-checksum-algorithm (x-amz-checksum-algorithm)
 * alone for one to compute and store.
 */

static ngx_http_s3_err_e
ngx_http_s3_body_checksum(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body)
{
    char               *name;
    s3_cksum_algo_e     algo, a;
    ngx_table_elt_t    *sent, *sdk;
    ngx_http_s3_err_e   err;

    /* a trailer's value is checked once the body has ended */

    algo = s3_cksum_header_algo((char *) body->trailer.data,
                                body->trailer.len);

    err = ngx_http_s3_cksum_header(r, &sent);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (sent != NULL) {
        if (body->trailer.len != 0) {
            return ngx_http_s3_cksum_multiple(r);
        }

        algo = s3_cksum_header_algo((char *) sent->lowcase_key,
                                    sent->key.len);
    }

    name = "x-amz-sdk-checksum-algorithm";
    sdk = ngx_http_s3_find_header(r, (u_char *) name, ngx_strlen(name));

    if (sdk == NULL) {
        name = "x-amz-checksum-algorithm";
        sdk = ngx_http_s3_find_header(r, (u_char *) name, ngx_strlen(name));
    }

    if (sdk != NULL) {
        a = s3_cksum_algo((char *) sdk->value.data, sdk->value.len);

        if (a == S3_CKSUM_NONE || (algo != S3_CKSUM_NONE && a != algo)) {
            return ngx_http_s3_error_message(r, NGX_HTTP_S3_INVALID_REQUEST,
                                             "Value for %s header is "
                                             "invalid.", name);
        }

        algo = a;
    }

    if (sent != NULL) {
        if (s3_cksum_decode(algo, (char *) sent->value.data, sent->value.len,
                            body->expected)
            != S3_OK)
        {
            return ngx_http_s3_cksum_invalid(r, algo);
        }

        body->verify = 1;
    }

    if (ctx->op == NGX_HTTP_S3_OP_UPLOAD_PART) {
        algo = ngx_http_s3_body_part_algo(r, ctx, algo);

        if (algo == S3_CKSUM_NONE && ctx->rec.checksum.len != 0) {
            return NGX_HTTP_S3_INVALID_REQUEST;
        }

        /* the part's own, set once its body has been checked */

        ngx_str_null(&ctx->rec.checksum);
        ngx_str_null(&ctx->rec.checksum_type);
    }

    if (algo != S3_CKSUM_NONE && s3_cksum_init(&body->cksum, algo) != S3_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3_cksum_init() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * A part of an upload created with an algorithm carries its checksum; a
 * FULL_OBJECT upload's part may leave it to us.  Returns the algorithm,
 * or S3_CKSUM_NONE with ctx->message set when the part's is not the
 * upload's.
 */

static s3_cksum_algo_e
ngx_http_s3_body_part_algo(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_cksum_algo_e algo)
{
    u_char           *p, want[sizeof("crc64nvme")], got[sizeof("crc64nvme")];
    const char       *name;
    s3_cksum_algo_e   upload;

    upload = s3_cksum_algo(ctx->rec.checksum.data, ctx->rec.checksum.len);

    if (upload == S3_CKSUM_NONE || algo == upload) {
        return algo;
    }

    if (algo == S3_CKSUM_NONE && ctx->rec.checksum_type.len
        == sizeof("FULL_OBJECT") - 1
        && ngx_strncmp(ctx->rec.checksum_type.data, "FULL_OBJECT",
                       sizeof("FULL_OBJECT") - 1) == 0)
    {
        return upload;
    }

    name = s3_cksum_name(upload);
    ngx_strlow(want, (u_char *) name, ngx_strlen(name) + 1);

    name = (algo == S3_CKSUM_NONE) ? "null" : s3_cksum_name(algo);
    ngx_strlow(got, (u_char *) name, ngx_strlen(name) + 1);

    p = ngx_pnalloc(r->pool, sizeof("Checksum Type mismatch occurred, "
                                    "expected checksum Type: , actual "
                                    "checksum Type: ")
                             + 2 * sizeof("crc64nvme"));
    if (p == NULL) {
        return S3_CKSUM_NONE;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, "Checksum Type mismatch occurred, "
                                   "expected checksum Type: %s, actual "
                                   "checksum Type: %s", want, got) - p;

    return S3_CKSUM_NONE;
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

    return ngx_http_s3_body_checksum_final(r, ctx, body);
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


/* checks the flexible checksum and puts it in ctx->rec */

static ngx_http_s3_err_e
ngx_http_s3_body_checksum_final(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body)
{
    u_char           *p, raw[S3_CKSUM_MAX_LEN];
    const char       *name;
    s3_cksum_algo_e   algo;

    algo = body->cksum.algo;

    if (algo == S3_CKSUM_NONE) {
        return NGX_HTTP_S3_OK;
    }

    if (s3_cksum_final(&body->cksum, raw) != S3_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_cksum_final() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    name = s3_cksum_name(algo);

    if (body->verify
        && ngx_memcmp(raw, body->expected, s3_cksum_len(algo)) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 body does not match its %s", name);

        return ngx_http_s3_cksum_mismatch(r, algo);
    }

    p = ngx_pnalloc(r->pool, S3_CKSUM_B64_MAX_LEN);
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ctx->rec.checksum.data = name;
    ctx->rec.checksum.len = ngx_strlen(name);
    ctx->rec.checksum_value.data = (char *) p;
    ctx->rec.checksum_value.len = s3_base64_encode((char *) p, raw,
                                                   s3_cksum_len(algo));

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
 * The request's x-amz-checksum-<algorithm> into *found, NULL when there is
 * none: a header or, in a presigned URL, where presigners hoist it, a
 * query parameter.  Two are InvalidRequest.
 */

ngx_http_s3_err_e
ngx_http_s3_cksum_header(ngx_http_request_t *r, ngx_table_elt_t **found)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    *found = NULL;
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

        if (s3_cksum_header_algo((char *) h[i].lowcase_key, h[i].key.len)
            == S3_CKSUM_NONE)
        {
            continue;
        }

        if (*found != NULL) {
            return ngx_http_s3_cksum_multiple(r);
        }

        *found = &h[i];
    }

    return ngx_http_s3_cksum_query(r, found);
}


static ngx_http_s3_err_e
ngx_http_s3_cksum_query(ngx_http_request_t *r, ngx_table_elt_t **found)
{
    u_char             *p;
    ssize_t             n;
    ngx_str_t           v;
    s3_cksum_algo_e     algo;
    ngx_table_elt_t    *h;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (!ngx_http_s3_query_arg(ctx, "X-Amz-Signature", NULL)) {
        return NGX_HTTP_S3_OK;
    }

    for (algo = S3_CKSUM_CRC32; algo <= S3_CKSUM_SHA256; algo++) {

        if (!ngx_http_s3_query_arg(ctx, (char *) s3_cksum_header(algo), &v)) {
            continue;
        }

        if (*found != NULL) {
            return ngx_http_s3_cksum_multiple(r);
        }

        h = ngx_pcalloc(r->pool, sizeof(ngx_table_elt_t));
        p = ngx_pnalloc(r->pool, v.len);
        if (h == NULL || p == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        n = s3_uri_decode((char *) p, (char *) v.data, v.len, 0);
        if (n < 0) {
            return ngx_http_s3_cksum_invalid(r, algo);
        }

        h->key.data = (u_char *) s3_cksum_header(algo);
        h->key.len = ngx_strlen(h->key.data);
        h->lowcase_key = h->key.data;
        h->value.data = p;
        h->value.len = n;

        *found = h;
    }

    return NGX_HTTP_S3_OK;
}


ngx_http_s3_err_e
ngx_http_s3_cksum_invalid(ngx_http_request_t *r, s3_cksum_algo_e algo)
{
    return ngx_http_s3_error_message(r, NGX_HTTP_S3_INVALID_REQUEST,
                                     "Value for %s header is invalid.",
                                     s3_cksum_header(algo));
}


ngx_http_s3_err_e
ngx_http_s3_cksum_mismatch(ngx_http_request_t *r, s3_cksum_algo_e algo)
{
    return ngx_http_s3_error_message(r, NGX_HTTP_S3_BAD_DIGEST,
                                     "The %s you specified did not match "
                                     "the calculated checksum.",
                                     s3_cksum_name(algo));
}


static ngx_http_s3_err_e
ngx_http_s3_cksum_multiple(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    ngx_str_set(&ctx->message, "Expecting a single x-amz-checksum- header. "
                "Multiple checksum Types are not allowed.");

    return NGX_HTTP_S3_INVALID_REQUEST;
}


/*
 * The x-amz-checksum-<algo> and x-amz-checksum-type headers of a record
 * that has a checksum.
 */

ngx_int_t
ngx_http_s3_set_checksum(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_str_t         type;
    s3_cksum_algo_e   algo;
    ngx_table_elt_t  *h;

    algo = s3_cksum_algo(rec->checksum.data, rec->checksum.len);

    if (algo == S3_CKSUM_NONE || rec->checksum_value.len == 0) {
        return NGX_OK;
    }

    if (rec->checksum_type.len != 0) {
        type.data = (u_char *) rec->checksum_type.data;
        type.len = rec->checksum_type.len;

    } else if (ngx_strlchr((u_char *) rec->checksum_value.data,
                           (u_char *) rec->checksum_value.data
                           + rec->checksum_value.len, '-')
               != NULL)
    {
        ngx_str_set(&type, "COMPOSITE");

    } else {
        ngx_str_set(&type, "FULL_OBJECT");
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) s3_cksum_header(algo);
    h->key.len = ngx_strlen(h->key.data);
    h->value.data = (u_char *) rec->checksum_value.data;
    h->value.len = rec->checksum_value.len;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-checksum-type");
    h->value = type;

    return NGX_OK;
}


/*
 * GET and HEAD show the checksum when the request has x-amz-checksum-mode:
 * ENABLED, as S3 does, and not for a range or a part, whose bytes it does
 * not cover.
 */

ngx_int_t
ngx_http_s3_checksum_out(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_table_elt_t    *h;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (rec->checksum_value.len == 0 || r->headers_in.range != NULL
        || ctx->part_number != 0)
    {
        return NGX_OK;
    }

    h = ngx_http_s3_find_header(r, (u_char *) "x-amz-checksum-mode",
                                sizeof("x-amz-checksum-mode") - 1);

    if (h == NULL || h->value.len != sizeof("ENABLED") - 1
        || ngx_strncasecmp(h->value.data, (u_char *) "ENABLED",
                           h->value.len) != 0)
    {
        return NGX_OK;
    }

    return ngx_http_s3_set_checksum(r, rec);
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
