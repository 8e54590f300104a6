
/*
 * Copyright (C) ngx_s3 developers
 *
 * AWS Signature Version 4, in the Authorization header or in the query
 * (presigned URLs), over core/s3_sigv4, and what a requester who does not
 * own the bucket may read through canned ACLs.  The canonical request is
 * built from the request as it came on the wire: raw method, raw path,
 * raw query and the raw values of the signed headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_err_e ngx_http_s3_auth_header(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_str_t *amz_date);
static ngx_http_s3_err_e ngx_http_s3_auth_query(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_str_t *amz_date);
static ngx_http_s3_err_e ngx_http_s3_auth_query_time(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_query_t *q);
static void ngx_http_s3_auth_expired(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_query_t *q, time_t now);
static ngx_http_s3_err_e ngx_http_s3_auth_date(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_str_t *amz_date);
static ngx_http_s3_err_e ngx_http_s3_auth_scope(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_str_t *amz_date,
    ngx_uint_t presigned);
static ngx_http_s3_err_e ngx_http_s3_auth_payload(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_uint_t presigned);
static ngx_uint_t ngx_http_s3_auth_signs(s3_sigv4_auth_t *auth,
    ngx_str_t *name);
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
    s3_sigv4_auth_t *auth, s3_record_t *user, ngx_str_t *amz_date,
    ngx_str_t *canon, u_char *key);
static ngx_http_s3_err_e ngx_http_s3_auth_signing(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_sigv4_auth_t *auth, ngx_str_t *amz_date,
    u_char *key);
static void ngx_http_s3_signing_key(ngx_http_request_t *r,
    s3_sigv4_auth_t *auth, s3_record_t *user, u_char *key);
static ngx_uint_t ngx_http_s3_acl_reads(s3_str_t *acl);


static ngx_str_t  ngx_http_s3_x_amz_sha256 =
    ngx_string("x-amz-content-sha256");


/* indexed by s3_sigv4_query_error_e; empty: the table's message */

static ngx_str_t  ngx_http_s3_query_errors[] = {
    ngx_null_string,
    ngx_null_string,
    ngx_string("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""),
    ngx_string("Error parsing the X-Amz-Credential parameter; the "
               "Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/"
               "REGION/SERVICE/aws4_request\"."),
    ngx_string("X-Amz-Date must be in the ISO8601 Long Format "
               "\"yyyyMMdd'T'HHmmss'Z'\""),
    ngx_string("X-Amz-Expires should be a number"),
    ngx_string("X-Amz-Expires must be non-negative"),
    ngx_string("X-Amz-Expires must be less than a week (in seconds); that "
               "is, the given X-Amz-Expires must be less than 604800 "
               "seconds"),
    ngx_string("X-Amz-SignedHeaders must be lowercase header names, "
               "sorted and separated by ';'"),
    ngx_null_string
};


ngx_http_s3_err_e
ngx_http_s3_authenticate(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char              key[S3_SIGV4_KEY_LEN];
    ngx_str_t           amz_date, canon;
    ngx_uint_t          presigned;
    s3_record_t         user;
    s3_sigv4_auth_t     auth;
    ngx_http_s3_err_e   err;

    presigned = ngx_http_s3_query_arg(ctx, "X-Amz-Algorithm", NULL);

    if (r->headers_in.authorization == NULL && !presigned) {
        ctx->anonymous = 1;
        return NGX_HTTP_S3_OK;
    }

    if (r->headers_in.authorization != NULL && presigned) {
        ngx_str_set(&ctx->message, "Only one auth mechanism allowed; only "
                    "the X-Amz-Algorithm query parameter, Signature query "
                    "string parameter or the Authorization header should "
                    "be specified");
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    if (ctx->headers[S3_HDR_SECURITY_TOKEN] != NULL) {
        ngx_str_set(&ctx->message, "The provided token is malformed or "
                    "otherwise invalid.");
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    err = presigned ? ngx_http_s3_auth_query(r, ctx, &auth, &amz_date)
                    : ngx_http_s3_auth_header(r, ctx, &auth, &amz_date);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    ctx->access_key.data = (u_char *) auth.access_key.data;
    ctx->access_key.len = auth.access_key.len;

    err = ngx_http_s3_auth_scope(r, ctx, &auth, &amz_date, presigned);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_payload(r, ctx, &auth, presigned);
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

    err = ngx_http_s3_auth_verify(r, &auth, &user, &amz_date, &canon, key);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_signing(r, ctx, &auth, &amz_date, key);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    ctx->user.data = (u_char *) user.user.data;
    ctx->user.len = user.user.len;

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_header(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_str_t *amz_date)
{
    int               rc;
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;

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

    return ngx_http_s3_auth_date(r, ctx, amz_date);
}


static ngx_http_s3_err_e
ngx_http_s3_auth_query(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_str_t *amz_date)
{
    int                rc;
    u_char            *buf;
    ngx_err_t          err;
    s3_sigv4_query_t   q;

    buf = ngx_pnalloc(r->pool, ctx->query.len);
    if (buf == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    rc = s3_sigv4_parse_query((char *) ctx->query.data, ctx->query.len,
                              (char *) buf, ctx->query.len, &q);

    if (rc != S3_OK) {
        err = ngx_errno;

        if (rc != S3_ERR || err != NGX_EINVAL) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, err,
                          "s3_sigv4_parse_query() failed");
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 malformed presigned query \"%V\", error %d",
                      &ctx->query, (int) q.error);

        if (q.error == S3_SIGV4_QUERY_SIGNATURE) {
            return NGX_HTTP_S3_SIGNATURE_DOES_NOT_MATCH;
        }

        ctx->message = ngx_http_s3_query_errors[q.error];
        return NGX_HTTP_S3_AUTH_QUERY_ERROR;
    }

    if (q.token.len != 0) {
        ngx_str_set(&ctx->message, "The provided token is malformed or "
                    "otherwise invalid.");
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    *auth = q.auth;
    amz_date->data = (u_char *) q.amz_date.data;
    amz_date->len = q.amz_date.len;

    return ngx_http_s3_auth_query_time(r, ctx, &q);
}


/*
 * A presigned URL is valid from X-Amz-Date (give or take the clock skew
 * allowed) until X-Amz-Expires seconds later, excluded, as in S3, where a
 * URL signed to expire in 0 seconds is refused.
 */

static ngx_http_s3_err_e
ngx_http_s3_auth_query_time(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_query_t *q)
{
    time_t                   now;
    ngx_http_s3_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);
    now = ngx_time();

    if (q->date > now + slcf->clock_skew) {
        ngx_str_set(&ctx->message, "Request is not yet valid");
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    if (now >= q->date + q->expires) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 presigned URL of %*s expired %T s ago",
                      q->amz_date.len, q->amz_date.data,
                      now - q->date - q->expires);
        ngx_str_set(&ctx->message, "Request has expired");
        ngx_http_s3_auth_expired(r, ctx, q, now);
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    return NGX_HTTP_S3_OK;
}


/* S3 tells when an expired URL expired, and what time the server has */

static void
ngx_http_s3_auth_expired(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_query_t *q, time_t now)
{
    u_char     *p;
    ngx_tm_t    expires, server;

    p = ngx_pnalloc(r->pool, sizeof("<X-Amz-Expires></X-Amz-Expires>")
                             + NGX_TIME_T_LEN
                             + sizeof("<Expires>2024-03-11T19:45:57Z"
                                      "</Expires>")
                             + sizeof("<ServerTime>2024-03-11T20:03:49Z"
                                      "</ServerTime>"));
    if (p == NULL) {
        return;
    }

    ngx_gmtime(q->date + q->expires, &expires);
    ngx_gmtime(now, &server);

    ctx->error_extra.data = p;
    p = ngx_sprintf(p, "<X-Amz-Expires>%T</X-Amz-Expires>"
                    "<Expires>%4d-%02d-%02dT%02d:%02d:%02dZ</Expires>"
                    "<ServerTime>%4d-%02d-%02dT%02d:%02d:%02dZ</ServerTime>",
                    q->expires,
                    expires.ngx_tm_year, expires.ngx_tm_mon,
                    expires.ngx_tm_mday, expires.ngx_tm_hour,
                    expires.ngx_tm_min, expires.ngx_tm_sec,
                    server.ngx_tm_year, server.ngx_tm_mon,
                    server.ngx_tm_mday, server.ngx_tm_hour,
                    server.ngx_tm_min, server.ngx_tm_sec);
    ctx->error_extra.len = p - ctx->error_extra.data;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_date(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_str_t *amz_date)
{
    time_t                   t;
    ngx_tm_t                 tm;
    ngx_table_elt_t         *h;
    ngx_http_s3_loc_conf_t  *slcf;

    h = ctx->headers[S3_HDR_DATE];

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

    return NGX_HTTP_S3_OK;
}


/* The credential scope: our region, "s3", the day of the request's date. */

static ngx_http_s3_err_e
ngx_http_s3_auth_scope(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_str_t *amz_date, ngx_uint_t presigned)
{
    u_char                  *p;
    ngx_str_t                what;
    ngx_http_s3_err_e        err;
    ngx_http_s3_loc_conf_t  *slcf;

    if (presigned) {
        ngx_str_set(&what, "Error parsing the X-Amz-Credential parameter; ");
        err = NGX_HTTP_S3_AUTH_QUERY_ERROR;

    } else {
        ngx_str_set(&what, "The authorization header is malformed; ");
        err = NGX_HTTP_S3_AUTH_HEADER_MALFORMED;
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
        ctx->message.len = ngx_sprintf(p, "%Vthe region '%*s' is wrong; "
                                       "expecting '%V'", &what,
                                       auth->region.len, auth->region.data,
                                       &slcf->region)
                           - p;
        return err;
    }

    if (auth->service.len == 2 && ngx_strncmp(auth->service.data, "s3", 2)
                                  == 0
        && auth->date.len == 8 && amz_date->len >= 8
        && ngx_strncmp(auth->date.data, amz_date->data, 8) == 0)
    {
        return NGX_HTTP_S3_OK;
    }

    p = ngx_pnalloc(r->pool, 128);
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, "%V%s", &what,
                                   (auth->service.len != 2
                                    || ngx_strncmp(auth->service.data, "s3",
                                                   2) != 0)
                                   ? "incorrect service. This endpoint "
                                     "belongs to \"s3\"."
                                   : "Invalid credential date. Date is not "
                                     "the same as X-Amz-Date.")
                       - p;
    return err;
}


/*
 * The payload hash the signature covers: x-amz-content-sha256 as sent;
 * for a presigned URL UNSIGNED-PAYLOAD unless that header is signed.
 */

static ngx_http_s3_err_e
ngx_http_s3_auth_payload(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_uint_t presigned)
{
    int                 rc;
    u_char              digest[S3_SHA256_LEN];
    ngx_table_elt_t    *h;
    s3_chunked_mode_e   mode;

    h = ctx->headers[S3_HDR_CONTENT_SHA256];

    if (presigned
        && (h == NULL || !ngx_http_s3_auth_signs(auth,
                                                 &ngx_http_s3_x_amz_sha256)))
    {
        ngx_str_set(&ctx->payload_hash, S3_SIGV4_UNSIGNED_PAYLOAD);
        return NGX_HTTP_S3_OK;
    }

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

    rc = presigned ? S3_DECLINED
                   : s3_chunked_mode((char *) h->value.data, h->value.len,
                                     &mode);

    if (rc == S3_OK) {
        return NGX_HTTP_S3_OK;
    }

    if (rc == S3_ERR) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 payload \"%V\" is not implemented", &h->value);
        ngx_str_set(&ctx->message, "A header you provided implies "
                    "functionality that is not implemented "
                    "(x-amz-content-sha256: STREAMING-AWS4-ECDSA-*)");
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


/* Whether name is one of the signed headers. */

static ngx_uint_t
ngx_http_s3_auth_signs(s3_sigv4_auth_t *auth, ngx_str_t *name)
{
    u_char  *p, *last, *end;

    p = (u_char *) auth->signed_headers.data;
    last = p + auth->signed_headers.len;

    for ( /* void */ ; p < last; p = end + 1) {
        end = ngx_strlchr(p, last, ';');
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) == name->len
            && ngx_strncmp(p, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
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

    rc = ngx_http_s3_read_user(r, ctx->root,
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
ngx_http_s3_auth_verify(ngx_http_request_t *r, s3_sigv4_auth_t *auth,
    s3_record_t *user, ngx_str_t *amz_date, ngx_str_t *canon, u_char *key)
{
    size_t   size;
    ssize_t  n;
    u_char  *sts, sig[S3_SIGV4_SIG_HEX_LEN];

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


/*
 * A body sent as STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) has every
 * chunk signed with the request's key, chained from its signature.
 */

static ngx_http_s3_err_e
ngx_http_s3_auth_signing(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_sigv4_auth_t *auth, ngx_str_t *amz_date, u_char *key)
{
    s3_chunked_mode_e       mode;
    ngx_http_s3_signing_t  *s;

    if (s3_chunked_mode((char *) ctx->payload_hash.data,
                        ctx->payload_hash.len, &mode)
        != S3_OK
        || mode == S3_CHUNKED_UNSIGNED_TRAILER)
    {
        return NGX_HTTP_S3_OK;
    }

    if (amz_date->len != S3_SIGV4_DATE_LEN
        || auth->date.len + auth->region.len + auth->service.len
           + sizeof("///aws4_request") - 1 > S3_CHUNKED_MAX_SCOPE)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 scope of region \"%*s\" too long to sign chunks",
                      auth->region.len, auth->region.data);
        return NGX_HTTP_S3_INVALID_REQUEST;
    }

    s = ngx_palloc(r->pool, sizeof(ngx_http_s3_signing_t));
    if (s == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ngx_memcpy(s->key, key, S3_SIGV4_KEY_LEN);
    ngx_memcpy(s->seed, auth->signature.data, S3_SIGV4_SIG_HEX_LEN);
    ngx_memcpy(s->date, amz_date->data, S3_SIGV4_DATE_LEN);

    s->scope_len = ngx_sprintf(s->scope, "%*s/%*s/%*s/aws4_request",
                               auth->date.len, auth->date.data,
                               auth->region.len, auth->region.data,
                               auth->service.len, auth->service.data)
                   - s->scope;

    ctx->signing = s;

    return NGX_HTTP_S3_OK;
}


/*
 * The derived key of (access key, secret, date, region), cached per
 * worker.  The secret is compared as it is: a hash of it cost one more
 * SHA-256 a request.
 */

static void
ngx_http_s3_signing_key(ngx_http_request_t *r, s3_sigv4_auth_t *auth,
    s3_record_t *user, u_char *key)
{
    ngx_uint_t                  i;
    ngx_http_s3_signing_key_t  *k;
    ngx_http_s3_main_conf_t    *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->keys == NULL
        || auth->access_key.len > S3_ACCESS_KEY_MAX_LEN
        || user->secret_key.len > sizeof(k->secret)
        || auth->region.len > sizeof(k->region)
        || auth->date.len != sizeof(k->date))
    {
        s3_sigv4_signing_key(user->secret_key.data, user->secret_key.len,
                             auth, key);
        return;
    }

    for (i = 0; i < NGX_HTTP_S3_KEY_CACHE_SIZE; i++) {
        k = &smcf->keys[i];

        if (k->access_key_len == auth->access_key.len
            && k->secret_len == user->secret_key.len
            && k->region_len == auth->region.len
            && ngx_memcmp(k->access_key, auth->access_key.data,
                          k->access_key_len) == 0
            && ngx_memcmp(k->region, auth->region.data, k->region_len) == 0
            && ngx_memcmp(k->date, auth->date.data, sizeof(k->date)) == 0
            && ngx_memcmp(k->secret, user->secret_key.data, k->secret_len)
               == 0)
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
    k->secret_len = user->secret_key.len;
    ngx_memcpy(k->secret, user->secret_key.data, k->secret_len);
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


/*
 * For a requester who does not own the bucket rec: listing needs the
 * bucket's ACL to grant reading (as READ on a bucket grants s3:ListBucket
 * in S3), an object read waits for the object's ACL.
 */

ngx_http_s3_err_e
ngx_http_s3_auth_bucket(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_record_t *rec)
{
    switch (ctx->op) {

    case S3_OP_PREFLIGHT:
    case S3_OP_GET_OBJECT:
    case S3_OP_HEAD_OBJECT:
        return NGX_HTTP_S3_OK;

    case S3_OP_LIST_OBJECTS:
    case S3_OP_LIST_OBJECTS_V2:
        if (ngx_http_s3_acl_reads(&rec->acl)) {
            return NGX_HTTP_S3_OK;
        }

        break;

    default:
        break;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 user \"%V\" does not own bucket \"%V\"",
                  &ctx->user, &ctx->bucket);

    return NGX_HTTP_S3_ACCESS_DENIED;
}


/*
 * GetObject and HeadObject by a requester who does not own the bucket
 * brec: err is what opening the object gave, rec its record.  The object's
 * ACL must grant reading; a missing key is NoSuchKey only to one who may
 * list the bucket, as in S3.
 */

ngx_http_s3_err_e
ngx_http_s3_auth_object(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_record_t *brec, s3_record_t *rec, ngx_http_s3_err_e err)
{
    if (ngx_http_s3_owns(ctx, brec)) {
        return err;
    }

    if (err == NGX_HTTP_S3_OK) {
        if (ngx_http_s3_acl_reads(&rec->acl)) {
            return NGX_HTTP_S3_OK;
        }

    } else if (err == NGX_HTTP_S3_NO_SUCH_KEY) {
        if (ngx_http_s3_acl_reads(&brec->acl)) {
            return err;
        }

    } else {
        return err;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 user \"%V\" may not read \"%V\" in bucket \"%V\"",
                  &ctx->user, &ctx->key, &ctx->bucket);

    return NGX_HTTP_S3_ACCESS_DENIED;
}


ngx_uint_t
ngx_http_s3_owns(ngx_http_s3_ctx_t *ctx, s3_record_t *brec)
{
    return !ctx->anonymous
           && brec->owner.len == ctx->user.len
           && ngx_strncmp(brec->owner.data, ctx->user.data, ctx->user.len)
              == 0;
}


/*
 * Whether a stored canned ACL grants reading to anyone: public-read is
 * the only such ACL that can be set (ngx_http_s3_acl.c).
 */

static ngx_uint_t
ngx_http_s3_acl_reads(s3_str_t *acl)
{
    return acl->len == sizeof("public-read") - 1
           && ngx_strncmp(acl->data, "public-read", acl->len) == 0;
}
