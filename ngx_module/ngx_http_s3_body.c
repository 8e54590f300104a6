
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
 * reused (the filter is then called with no input), at the end of the
 * body, or when they are not contiguous with the bytes waiting, so a
 * write is usually a whole client_body_buffer_size.
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


static ngx_http_s3_err_e ngx_http_s3_body_checksum(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static ngx_http_s3_err_e ngx_http_s3_body_checksum_final(
    ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
static s3_cksum_algo_e ngx_http_s3_body_part_algo(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_cksum_algo_e algo);
static ngx_int_t ngx_http_s3_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
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
 * The flexible checksum: one x-amz-checksum-<algo> header to verify, or
 * x-amz-sdk-checksum-algorithm (x-amz-checksum-algorithm) alone for one
 * to compute and store.
 */

static ngx_http_s3_err_e
ngx_http_s3_body_checksum(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_body_t *body)
{
    u_char           *p;
    ngx_uint_t        i;
    s3_cksum_algo_e   algo, a;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *sent, *sdk;

    algo = S3_CKSUM_NONE;
    sent = NULL;
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

        a = s3_cksum_header_algo((char *) h[i].lowcase_key, h[i].key.len);

        if (a == S3_CKSUM_NONE) {
            continue;
        }

        if (sent != NULL) {
            ngx_str_set(&ctx->message, "Expecting a single x-amz-checksum- "
                        "header. Multiple checksum Types are not allowed.");
            return NGX_HTTP_S3_INVALID_REQUEST;
        }

        sent = &h[i];
        algo = a;
    }

    sdk = ngx_http_s3_find_header(r, (u_char *) "x-amz-sdk-checksum-algorithm",
                                  sizeof("x-amz-sdk-checksum-algorithm") - 1);
    if (sdk == NULL) {
        sdk = ngx_http_s3_find_header(r, (u_char *) "x-amz-checksum-algorithm",
                                      sizeof("x-amz-checksum-algorithm") - 1);
    }

    if (sdk != NULL) {
        a = s3_cksum_algo((char *) sdk->value.data, sdk->value.len);

        if (a == S3_CKSUM_NONE || (sent != NULL && a != algo)) {
            p = ngx_pnalloc(r->pool, sizeof("Value for  header is invalid.")
                                     + sdk->key.len);
            if (p == NULL) {
                return NGX_HTTP_S3_INTERNAL_ERROR;
            }

            ctx->message.data = p;
            ctx->message.len = ngx_sprintf(p, "Value for %V header is "
                                           "invalid.", &sdk->key) - p;
            return NGX_HTTP_S3_INVALID_REQUEST;
        }

        algo = a;
    }

    if (sent != NULL) {
        if (s3_cksum_decode(algo, (char *) sent->value.data, sent->value.len,
                            body->expected)
            != S3_OK)
        {
            p = ngx_pnalloc(r->pool, sizeof("Value for  header is invalid.")
                                     + sent->key.len);
            if (p == NULL) {
                return NGX_HTTP_S3_INTERNAL_ERROR;
            }

            ctx->message.data = p;
            ctx->message.len = ngx_sprintf(p, "Value for %s header is "
                                           "invalid.", s3_cksum_header(algo))
                               - p;
            return NGX_HTTP_S3_INVALID_REQUEST;
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

        ngx_http_s3_body_data(r, body, b->pos, b->last - b->pos);
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


static void
ngx_http_s3_body_data(ngx_http_request_t *r, ngx_http_s3_body_t *body,
    u_char *p, size_t len)
{
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

    if (body->pending + body->pending_len != p) {
        ngx_http_s3_body_flush(r, body);
        body->pending = p;
    }

    body->pending_len += len;
}


static void
ngx_http_s3_body_flush(ngx_http_request_t *r, ngx_http_s3_body_t *body)
{
    ssize_t    n;
    ngx_err_t  err;

    while (body->pending_len != 0 && body->error == NGX_HTTP_S3_OK) {

        n = ngx_write_fd(body->temp.file.fd, body->pending,
                         body->pending_len);

        if (n == -1) {
            err = ngx_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            ngx_http_s3_body_fail(r, body,
                ngx_http_s3_errno(r->connection->log, err, ngx_write_fd_n,
                                  (char *) body->temp.file.name.data));
            return;
        }

        body->pending += n;
        body->pending_len -= n;
        body->temp.file.offset += n;
    }
}


/* the answer is err; the temp file goes now, the rest of the body later */

static void
ngx_http_s3_body_fail(ngx_http_request_t *r, ngx_http_s3_body_t *body,
    ngx_http_s3_err_e err)
{
    if (body->error == NGX_HTTP_S3_OK) {
        body->error = err;
    }

    body->pending_len = 0;

    ngx_http_s3_body_remove(r, body);
}


/*
 * Once the body has ended: the error to answer, or NGX_HTTP_S3_OK with
 * ctx->rec's size and md5 set and every byte in the temp file.
 */

ngx_http_s3_err_e
ngx_http_s3_body_finish(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char               sha256[S3_SHA256_LEN], declared[S3_SHA256_LEN];
    ngx_http_s3_body_t  *body;

    body = ctx->body;
    body->reading = 0;

    ngx_http_s3_body_flush(r, body);

    if (body->error != NGX_HTTP_S3_OK) {
        return body->error;
    }

    if (r->headers_in.content_length_n >= 0
        && body->received != r->headers_in.content_length_n)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 body filter saw %O bytes of %O",
                      body->received, r->headers_in.content_length_n);
        return NGX_HTTP_S3_INTERNAL_ERROR;
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
        (void) s3_hex_decode(declared, (char *) ctx->payload_hash.data,
                             ctx->payload_hash.len);

        if (s3_const_time_cmp(declared, sha256, S3_SHA256_LEN) != 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s3 body does not match x-amz-content-sha256");
            return NGX_HTTP_S3_SHA256_MISMATCH;
        }
    }

    ctx->rec.size = body->received;

    return ngx_http_s3_body_checksum_final(r, ctx, body);
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

        p = ngx_pnalloc(r->pool, sizeof("The  you specified did not match "
                                        "the calculated checksum.")
                                 + ngx_strlen(name));
        if (p == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ctx->message.data = p;
        ctx->message.len = ngx_sprintf(p, "The %s you specified did not "
                                       "match the calculated checksum.",
                                       name) - p;
        return NGX_HTTP_S3_BAD_DIGEST;
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
}
