
/*
 * Copyright (C) ngx_s3 developers
 *
 * The flexible checksums of a request and of the answer: the
 * x-amz-checksum-<algorithm> a body is sent with (header, trailer or, in
 * a presigned URL, query parameter), the algorithm it asks to be stored
 * with (x-amz-sdk-checksum-algorithm), the part of an upload created
 * with one, and the x-amz-checksum-* headers GET and HEAD show.  The body
 * filter (ngx_http_s3_body.c) feeds the bytes; the CRCs are
 * core/s3_cksum.c, the digests core/s3_digest.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static s3_cksum_algo_e ngx_http_s3_checksum_part_algo(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_cksum_algo_e algo);
static ngx_http_s3_err_e ngx_http_s3_cksum_query(ngx_http_request_t *r,
    ngx_table_elt_t **found);
static ngx_http_s3_err_e ngx_http_s3_cksum_multiple(ngx_http_request_t *r);


/*
 * The flexible checksum: one x-amz-checksum-<algo> header or trailer to
 * verify, or x-amz-sdk-checksum-algorithm (x-amz-checksum-algorithm)
 * alone for one to compute and store.
 */

ngx_http_s3_err_e
ngx_http_s3_checksum_start(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
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
    sdk = ctx->headers[S3_HDR_SDK_CHECKSUM_ALGORITHM];

    if (sdk == NULL) {
        name = "x-amz-checksum-algorithm";
        sdk = ctx->headers[S3_HDR_CHECKSUM_ALGORITHM];
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

    if (ctx->op == S3_OP_UPLOAD_PART) {
        algo = ngx_http_s3_checksum_part_algo(r, ctx, algo);

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
ngx_http_s3_checksum_part_algo(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
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


/* checks the flexible checksum and puts it in ctx->rec */

ngx_http_s3_err_e
ngx_http_s3_checksum_finish(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
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


/*
 * The request's x-amz-checksum-<algorithm> into *found, NULL when there is
 * none: a header or, in a presigned URL, where presigners hoist it, a
 * query parameter.  Two are InvalidRequest.
 */

ngx_http_s3_err_e
ngx_http_s3_cksum_header(ngx_http_request_t *r, ngx_table_elt_t **found)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ctx->checksums > 1) {
        return ngx_http_s3_cksum_multiple(r);
    }

    *found = ctx->headers[S3_HDR_CHECKSUM];

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

    h = ctx->headers[S3_HDR_CHECKSUM_MODE];

    if (h == NULL || h->value.len != sizeof("ENABLED") - 1
        || ngx_strncasecmp(h->value.data, (u_char *) "ENABLED",
                           h->value.len) != 0)
    {
        return NGX_OK;
    }

    return ngx_http_s3_set_checksum(r, rec);
}
