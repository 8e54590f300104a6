
/*
 * Copyright (C) ngx_s3 developers
 *
 * What a request addresses: bucket and key taken from the raw request line
 * (never r->uri, which nginx normalises), path-style or virtual-host style.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_err_e ngx_http_s3_parse_args(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_uint_t ngx_http_s3_virtual_host(ngx_http_request_t *r,
    ngx_str_t *bucket);
static ngx_int_t ngx_http_s3_decode(ngx_http_request_t *r, u_char *src,
    size_t len, ngx_str_t *dst);


ngx_http_s3_err_e
ngx_http_s3_parse_request(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char             *p, *last, *q, *slash;
    ngx_str_t           bucket;
    ngx_http_s3_err_e   err;

    p = r->unparsed_uri.data;
    last = p + r->unparsed_uri.len;

    q = ngx_strlchr(p, last, '?');

    ctx->path.data = p;
    ctx->path.len = (q ? q : last) - p;

    if (q != NULL) {
        ctx->query.data = q + 1;
        ctx->query.len = last - q - 1;
    }

    if (ctx->path.len == 0 || ctx->path.data[0] != '/') {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 request path \"%V\" is not absolute", &ctx->path);
        return NGX_HTTP_S3_INVALID_URI;
    }

    err = ngx_http_s3_parse_args(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    p = ctx->path.data + 1;
    last = ctx->path.data + ctx->path.len;

    if (ngx_http_s3_virtual_host(r, &bucket)) {
        ctx->bucket = bucket;

        if (ngx_http_s3_decode(r, p, last - p, &ctx->key) != NGX_OK) {
            return NGX_HTTP_S3_INVALID_URI;
        }

        return NGX_HTTP_S3_OK;
    }

    slash = ngx_strlchr(p, last, '/');

    if (ngx_http_s3_decode(r, p, (slash ? slash : last) - p, &ctx->bucket)
        != NGX_OK)
    {
        return NGX_HTTP_S3_INVALID_URI;
    }

    if (slash != NULL
        && ngx_http_s3_decode(r, slash + 1, last - slash - 1, &ctx->key)
           != NGX_OK)
    {
        return NGX_HTTP_S3_INVALID_URI;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * Splits the raw query once into ctx->args, so that routing and
 * authentication look names up without walking it again: the name runs
 * to the first '=', the value (maybe empty) after it; empty arguments
 * ("a&&b") are left out.  More than NGX_HTTP_S3_MAX_ARGS arguments are
 * refused as the canonical request refuses them (E2BIG).
 */

static ngx_http_s3_err_e
ngx_http_s3_parse_args(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char             *p, *last, *end, *eq;
    ngx_http_s3_arg_t  *arg;

    if (ctx->query.len == 0) {
        return NGX_HTTP_S3_OK;
    }

    if (ngx_array_init(&ctx->args, r->pool, 8, sizeof(ngx_http_s3_arg_t))
        != NGX_OK)
    {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    p = ctx->query.data;
    last = p + ctx->query.len;

    for ( /* void */ ; p < last; p = end + 1) {
        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        if (end == p) {
            continue;
        }

        if (ctx->args.nelts == NGX_HTTP_S3_MAX_ARGS) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s3 query of \"%V\" has more than %d arguments",
                          &ctx->path, NGX_HTTP_S3_MAX_ARGS);
            return NGX_HTTP_S3_INVALID_URI;
        }

        arg = ngx_array_push(&ctx->args);
        if (arg == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        eq = ngx_strlchr(p, end, '=');

        arg->name.data = p;
        arg->name.len = (eq ? eq : end) - p;
        arg->value.data = eq ? eq + 1 : end;
        arg->value.len = end - arg->value.data;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_uint_t
ngx_http_s3_virtual_host(ngx_http_request_t *r, ngx_str_t *bucket)
{
    size_t                   len;
    ngx_str_t               *host;
    ngx_http_s3_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    /* r->headers_in.server is lowercased and has no port */

    host = &r->headers_in.server;

    if (slcf->domain.len == 0 || host->len <= slcf->domain.len + 1) {
        return 0;
    }

    len = host->len - slcf->domain.len;

    if (host->data[len - 1] != '.'
        || ngx_strncmp(host->data + len, slcf->domain.data,
                       slcf->domain.len)
           != 0)
    {
        return 0;
    }

    bucket->data = host->data;
    bucket->len = len - 1;

    return 1;
}


static ngx_int_t
ngx_http_s3_decode(ngx_http_request_t *r, u_char *src, size_t len,
    ngx_str_t *dst)
{
    ssize_t  n;

    if (len == 0) {
        ngx_str_null(dst);
        return NGX_OK;
    }

    dst->data = ngx_pnalloc(r->pool, len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    n = s3_uri_decode((char *) dst->data, (const char *) src, len, 0);

    if (n < 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 bad escape in request path \"%*s\"", len, src);
        return NGX_ERROR;
    }

    dst->len = n;
    dst->data[n] = '\0';

    return NGX_OK;
}


/*
 * Finds the first argument named name, as sent (not decoded); its value
 * goes to value when not NULL.
 */

ngx_uint_t
ngx_http_s3_query_arg(ngx_http_s3_ctx_t *ctx, char *name, ngx_str_t *value)
{
    size_t              len;
    ngx_uint_t          i;
    ngx_http_s3_arg_t  *arg;

    len = ngx_strlen(name);
    arg = ctx->args.elts;

    for (i = 0; i < ctx->args.nelts; i++) {
        if (arg[i].name.len == len
            && ngx_memcmp(arg[i].name.data, name, len) == 0)
        {
            if (value != NULL) {
                *value = arg[i].value;
            }

            return 1;
        }
    }

    return 0;
}


/*
 * The start every operation on a bucket or its objects shares: a body the
 * operation does not read is discarded (NGX_HTTP_S3_DISCARD_BODY), and
 * the bucket must exist and belong to the requester, or its ACL let the
 * requester read (ngx_http_s3_auth_bucket()); its record goes to brec.
 */

ngx_http_s3_err_e
ngx_http_s3_start_op(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_uint_t flags, s3_record_t *brec)
{
    if ((flags & NGX_HTTP_S3_DISCARD_BODY)
        && ngx_http_discard_request_body(r) != NGX_OK)
    {
        r->keepalive = 0;
    }

    return ngx_http_s3_check_bucket(r, ctx, brec,
                                    ctx->headers[S3_HDR_EXPECTED_BUCKET_OWNER]);
}


/*
 * The bucket ctx->bucket into rec, and whether the requester may go on:
 * owner is the request's x-amz-expected-bucket-owner (or its source
 * twin), NULL when it sent none; a bucket owned by another is 403, as S3
 * answers.
 */

ngx_http_s3_err_e
ngx_http_s3_check_bucket(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_record_t *rec, ngx_table_elt_t *owner)
{
    int        rc;
    ngx_err_t  err;

    rc = ngx_http_s3_read_bucket(r, ctx->root, ctx->bucket.data,
                                 ctx->bucket.len, rec);

    if (rc == S3_STORE_NO_BUCKET) {
        return NGX_HTTP_S3_NO_SUCH_BUCKET;
    }

    if (rc != S3_OK) {
        err = ngx_errno;
        return ngx_http_s3_errno(r->connection->log, err,
                                 "ngx_http_s3_read_bucket()",
                                 (char *) ctx->bucket.data);
    }

    if (owner != NULL
        && (owner->value.len != rec->owner.len
            || ngx_strncmp(owner->value.data, rec->owner.data,
                           rec->owner.len) != 0))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 bucket \"%V\" is not owned by \"%V\"",
                      &ctx->bucket, &owner->value);
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    if (ngx_http_s3_owns(ctx, rec)) {
        return NGX_HTTP_S3_OK;
    }

    return ngx_http_s3_auth_bucket(r, ctx, rec);
}
