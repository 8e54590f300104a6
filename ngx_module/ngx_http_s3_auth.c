
/*
 * Copyright (C) ngx_s3 developers
 *
 * AWS Signature Version 4 in the Authorization header, over core/s3_sigv4.
 * The canonical request is built from the request as it came on the wire:
 * raw method, raw path, raw query and the raw values of the signed headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_err_e ngx_http_s3_auth_parse(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth);
static ngx_http_s3_err_e ngx_http_s3_auth_date(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_str_t *amz_date);
static ngx_http_s3_err_e ngx_http_s3_auth_payload(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_http_s3_err_e ngx_http_s3_auth_user(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, s3_record_t *user);
static ngx_http_s3_err_e ngx_http_s3_auth_canonical(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_str_t *canon);
static ngx_http_s3_err_e ngx_http_s3_auth_values(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, s3_str_t *values,
    size_t *size);
static ngx_int_t ngx_http_s3_auth_header_value(ngx_http_request_t *r,
    u_char *name, size_t len, s3_str_t *value);
static ngx_http_s3_err_e ngx_http_s3_auth_verify(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, s3_record_t *user,
    ngx_str_t *amz_date, ngx_str_t *canon);
static void ngx_http_s3_signing_key(ngx_http_request_t *r,
    s3_sigv4_auth_t *auth, s3_record_t *user, u_char *key);


static ngx_str_t  ngx_http_s3_x_amz_date = ngx_string("x-amz-date");
static ngx_str_t  ngx_http_s3_x_amz_sha256 =
    ngx_string("x-amz-content-sha256");


ngx_http_s3_err_e
ngx_http_s3_authenticate(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_str_t           amz_date, canon;
    s3_record_t         user;
    s3_sigv4_auth_t     auth;
    ngx_http_s3_err_e   err;

    err = ngx_http_s3_auth_parse(r, ctx, &auth);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_date(r, ctx, &auth, &amz_date);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_payload(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_user(r, ctx, &auth, &user);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_canonical(r, ctx, &auth, &canon);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_verify(r, ctx, &auth, &user, &amz_date, &canon);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    ctx->user.data = (u_char *) user.user.data;
    ctx->user.len = user.user.len;

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_parse(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth)
{
    int                      rc;
    u_char                  *p;
    ngx_table_elt_t         *h;
    ngx_http_s3_loc_conf_t  *slcf;

    h = r->headers_in.authorization;

    if (h == NULL) {
        if (ctx->query.len > sizeof("X-Amz-Signature=") - 1
            && ngx_strlcasestrn(ctx->query.data,
                                ctx->query.data + ctx->query.len,
                                (u_char *) "X-Amz-Signature=",
                                sizeof("X-Amz-Signature=") - 2)
               != NULL)
        {
            ngx_str_set(&ctx->message,
                        "Presigned URLs are not implemented yet.");
            return NGX_HTTP_S3_NOT_IMPLEMENTED;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 anonymous request denied");
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    rc = s3_sigv4_parse_header((char *) h->value.data, h->value.len, auth);

    if (rc == S3_DECLINED) {
        ngx_str_set(&ctx->message,
                    "The authorization mechanism you have provided is not "
                    "supported. Please use AWS4-HMAC-SHA256.");
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    if (rc != S3_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 malformed Authorization \"%V\"", &h->value);
        return NGX_HTTP_S3_AUTH_HEADER_MALFORMED;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    if (auth->region.len != slcf->region.len
        || ngx_strncmp(auth->region.data, slcf->region.data,
                       slcf->region.len) != 0)
    {
        p = ngx_pnalloc(r->pool, 128 + auth->region.len + slcf->region.len);
        if (p == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ctx->message.data = p;
        ctx->message.len = ngx_sprintf(p, "The authorization header is "
                                       "malformed; the region '%*s' is "
                                       "wrong; expecting '%V'",
                                       auth->region.len, auth->region.data,
                                       &slcf->region)
                           - p;
        return NGX_HTTP_S3_AUTH_HEADER_MALFORMED;
    }

    if (auth->service.len != 2 || ngx_strncmp(auth->service.data, "s3", 2))
    {
        ngx_str_set(&ctx->message, "The authorization header is malformed; "
                    "incorrect service. This endpoint belongs to \"s3\".");
        return NGX_HTTP_S3_AUTH_HEADER_MALFORMED;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_date(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_str_t *amz_date)
{
    time_t                   t;
    ngx_tm_t                 tm;
    ngx_table_elt_t         *h;
    ngx_http_s3_loc_conf_t  *slcf;

    h = ngx_http_s3_find_header(r, ngx_http_s3_x_amz_date.data,
                                ngx_http_s3_x_amz_date.len);

    if (h != NULL) {
        if (s3_sigv4_parse_date((char *) h->value.data, h->value.len, &t)
            != S3_OK)
        {
            t = NGX_ERROR;
        }

        *amz_date = h->value;

    } else if (r->headers_in.date != NULL) {
        t = ngx_parse_http_time(r->headers_in.date->value.data,
                                r->headers_in.date->value.len);

        amz_date->data = ngx_pnalloc(r->pool, S3_SIGV4_DATE_LEN);
        if (amz_date->data == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ngx_gmtime(t == NGX_ERROR ? 0 : t, &tm);
        amz_date->len = ngx_sprintf(amz_date->data,
                                    "%4d%02d%02dT%02d%02d%02dZ",
                                    tm.ngx_tm_year, tm.ngx_tm_mon,
                                    tm.ngx_tm_mday, tm.ngx_tm_hour,
                                    tm.ngx_tm_min, tm.ngx_tm_sec)
                        - amz_date->data;

    } else {
        t = NGX_ERROR;
    }

    if (t == NGX_ERROR) {
        ngx_str_set(&ctx->message, "AWS authentication requires a valid "
                    "Date or x-amz-date header");
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    if (t > ngx_time() + slcf->clock_skew || t < ngx_time() - slcf->clock_skew)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 request time \"%V\" is too skewed", amz_date);
        return NGX_HTTP_S3_REQUEST_TIME_TOO_SKEWED;
    }

    if (auth->date.len != 8 || amz_date->len < 8
        || ngx_strncmp(auth->date.data, amz_date->data, 8) != 0)
    {
        ngx_str_set(&ctx->message, "The authorization header is malformed; "
                    "Invalid credential date. Date is not the same as "
                    "X-Amz-Date.");
        return NGX_HTTP_S3_AUTH_HEADER_MALFORMED;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_payload(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char            digest[S3_SHA256_LEN];
    ngx_table_elt_t  *h;

    h = ngx_http_s3_find_header(r, ngx_http_s3_x_amz_sha256.data,
                                ngx_http_s3_x_amz_sha256.len);

    if (h == NULL) {
        ngx_str_set(&ctx->message, "Missing required header for this "
                    "request: x-amz-content-sha256");
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    ctx->payload_hash = h->value;

    if (h->value.len == sizeof(S3_SIGV4_UNSIGNED_PAYLOAD) - 1
        && ngx_strncmp(h->value.data, S3_SIGV4_UNSIGNED_PAYLOAD,
                       h->value.len) == 0)
    {
        return NGX_HTTP_S3_OK;
    }

    if (h->value.len == 2 * S3_SHA256_LEN
        && s3_hex_decode(digest, (char *) h->value.data, h->value.len)
           == S3_OK)
    {
        ctx->check_sha256 = 1;
        return NGX_HTTP_S3_OK;
    }

    if (h->value.len > 10
        && ngx_strncmp(h->value.data, "STREAMING-", 10) == 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 payload \"%V\" is not implemented", &h->value);
        ngx_str_set(&ctx->message, "A header you provided implies "
                    "functionality that is not implemented "
                    "(x-amz-content-sha256: STREAMING-*)");
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    ngx_str_set(&ctx->message, "x-amz-content-sha256 must be "
                "UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
                "or a valid sha256 value.");

    return NGX_HTTP_S3_INVALID_ARGUMENT;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_user(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, s3_record_t *user)
{
    int        rc;
    ngx_err_t  err;

    if (!s3_access_key_valid(auth->access_key.data, auth->access_key.len)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 invalid access key \"%*s\"",
                      auth->access_key.len, auth->access_key.data);
        return NGX_HTTP_S3_INVALID_ACCESS_KEY_ID;
    }

    rc = ngx_http_s3_read_user(r, ctx->store.root,
                               (u_char *) auth->access_key.data,
                               auth->access_key.len, user);

    if (rc == S3_STORE_NOT_FOUND) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 unknown access key \"%*s\"",
                      auth->access_key.len, auth->access_key.data);
        return NGX_HTTP_S3_INVALID_ACCESS_KEY_ID;
    }

    if (rc != S3_OK) {
        err = ngx_errno;
        return ngx_http_s3_errno(r->connection->log, err,
                                 "ngx_http_s3_read_user()", ctx->store.root);
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_canonical(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_str_t *canon)
{
    size_t              size;
    ssize_t             n;
    ngx_err_t           err;
    s3_str_t           *values;
    ngx_http_s3_err_e   rc;
    s3_sigv4_request_t  req;

    values = ngx_pcalloc(r->pool, S3_SIGV4_MAX_HEADERS * sizeof(s3_str_t));
    if (values == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    rc = ngx_http_s3_auth_values(r, ctx, auth, values, &size);
    if (rc != NGX_HTTP_S3_OK) {
        return rc;
    }

    size += 3 * ctx->path.len + 3 * ctx->query.len + r->method_name.len
            + 2 * auth->signed_headers.len + ctx->payload_hash.len + 64;

    req.method.data = (char *) r->method_name.data;
    req.method.len = r->method_name.len;
    req.path.data = (char *) ctx->path.data;
    req.path.len = ctx->path.len;
    req.query.data = (char *) ctx->query.data;
    req.query.len = ctx->query.len;
    req.signed_headers = auth->signed_headers;
    req.header_values = values;
    req.payload_hash.data = (char *) ctx->payload_hash.data;
    req.payload_hash.len = ctx->payload_hash.len;

    canon->data = ngx_pnalloc(r->pool, size);
    if (canon->data == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    n = s3_sigv4_canonical_request(&req, (char *) canon->data, size);

    if (n < 0) {
        err = ngx_errno;

        if (err == NGX_ENOSPC) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 canonical request exceeds %uz bytes", size);
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, err,
                      "s3 canonical request of \"%V\" failed",
                      &r->unparsed_uri);
        return NGX_HTTP_S3_INVALID_URI;
    }

    canon->len = n;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 canonical request:\n%V", canon);

    return NGX_HTTP_S3_OK;
}


/*
 * Collects the raw value of every signed header, in the order of
 * SignedHeaders; "host" must be one of them.  *size is set to the bytes
 * the values need.
 */

static ngx_http_s3_err_e
ngx_http_s3_auth_values(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, s3_str_t *values, size_t *size)
{
    u_char      *p, *last, *end;
    ngx_uint_t   i, host;

    p = (u_char *) auth->signed_headers.data;
    last = p + auth->signed_headers.len;
    host = 0;
    *size = 0;

    for (i = 0; p < last && i < S3_SIGV4_MAX_HEADERS; i++) {
        end = ngx_strlchr(p, last, ';');
        if (end == NULL) {
            end = last;
        }

        if (end - p == 4 && ngx_strncmp(p, "host", 4) == 0) {
            host = 1;
        }

        if (ngx_http_s3_auth_header_value(r, p, end - p, &values[i])
            != NGX_OK)
        {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        *size += values[i].len + 2;
        p = end + 1;
    }

    if (!host) {
        ngx_str_set(&ctx->message, "The authorization header is malformed; "
                    "the host header must be signed.");
        return NGX_HTTP_S3_AUTH_HEADER_MALFORMED;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_auth_header_value(ngx_http_request_t *r, u_char *name,
    size_t len, s3_str_t *value)
{
    u_char           *p;
    size_t            size;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found[16];

    part = &r->headers_in.headers.part;
    h = part->elts;
    n = 0;
    size = 0;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len && n < 16
            && ngx_strncmp(h[i].lowcase_key, name, len) == 0)
        {
            found[n++] = &h[i];
            size += h[i].value.len + 1;
        }
    }

    if (n <= 1) {
        value->data = n ? (char *) found[0]->value.data : "";
        value->len = n ? found[0]->value.len : 0;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value->data = (char *) p;

    for (i = 0; i < n; i++) {
        if (i > 0) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, found[i]->value.data, found[i]->value.len);
    }

    value->len = p - (u_char *) value->data;

    return NGX_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_verify(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, s3_record_t *user, ngx_str_t *amz_date,
    ngx_str_t *canon)
{
    size_t   size;
    ssize_t  n;
    u_char  *sts, key[S3_SIGV4_KEY_LEN], sig[S3_SIGV4_SIG_HEX_LEN];

    size = sizeof(S3_SIGV4_ALGORITHM "\n\n\n/aws4_request///")
           + amz_date->len + auth->date.len + auth->region.len
           + auth->service.len + 2 * S3_SHA256_LEN;

    sts = ngx_pnalloc(r->pool, size);
    if (sts == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    n = s3_sigv4_string_to_sign(auth, (char *) amz_date->data, amz_date->len,
                                (char *) canon->data, canon->len,
                                (char *) sts, size);
    if (n < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_sigv4_string_to_sign() failed");
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 string to sign:\n%*s", (size_t) n, sts);

    ngx_http_s3_signing_key(r, auth, user, key);
    s3_sigv4_signature(key, (char *) sts, n, (char *) sig);

    if (s3_const_time_cmp(sig, auth->signature.data, S3_SIGV4_SIG_HEX_LEN)
        != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 signature does not match for access key \"%*s\"",
                      auth->access_key.len, auth->access_key.data);
        return NGX_HTTP_S3_SIGNATURE_DOES_NOT_MATCH;
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_signing_key(ngx_http_request_t *r, s3_sigv4_auth_t *auth,
    s3_record_t *user, u_char *key)
{
    u_char                      hash[S3_SHA256_LEN];
    ngx_uint_t                  i;
    ngx_http_s3_signing_key_t  *k;
    ngx_http_s3_main_conf_t    *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->keys == NULL
        || auth->access_key.len > S3_ACCESS_KEY_MAX_LEN
        || auth->region.len > sizeof(k->region)
        || auth->date.len != sizeof(k->date))
    {
        s3_sigv4_signing_key(user->secret_key.data, user->secret_key.len,
                             auth, key);
        return;
    }

    s3_sha256(user->secret_key.data, user->secret_key.len, hash);

    for (i = 0; i < NGX_HTTP_S3_KEY_CACHE_SIZE; i++) {
        k = &smcf->keys[i];

        if (k->access_key_len == auth->access_key.len
            && k->region_len == auth->region.len
            && ngx_memcmp(k->access_key, auth->access_key.data,
                          k->access_key_len) == 0
            && ngx_memcmp(k->region, auth->region.data, k->region_len) == 0
            && ngx_memcmp(k->date, auth->date.data, sizeof(k->date)) == 0
            && ngx_memcmp(k->secret_hash, hash, sizeof(hash)) == 0)
        {
            ngx_memcpy(key, k->key, S3_SIGV4_KEY_LEN);
            return;
        }
    }

    s3_sigv4_signing_key(user->secret_key.data, user->secret_key.len, auth,
                         key);

    k = &smcf->keys[smcf->next_key++ % NGX_HTTP_S3_KEY_CACHE_SIZE];

    k->access_key_len = auth->access_key.len;
    ngx_memcpy(k->access_key, auth->access_key.data, k->access_key_len);
    k->region_len = auth->region.len;
    ngx_memcpy(k->region, auth->region.data, k->region_len);
    ngx_memcpy(k->date, auth->date.data, sizeof(k->date));
    ngx_memcpy(k->secret_hash, hash, sizeof(hash));
    ngx_memcpy(k->key, key, S3_SIGV4_KEY_LEN);
}


ngx_int_t
ngx_http_s3_auth_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    smcf->keys = ngx_pcalloc(cycle->pool, NGX_HTTP_S3_KEY_CACHE_SIZE
                                          * sizeof(ngx_http_s3_signing_key_t));
    if (smcf->keys == NULL) {
        return NGX_ERROR;
    }

    smcf->next_key = 0;

    return NGX_OK;
}
