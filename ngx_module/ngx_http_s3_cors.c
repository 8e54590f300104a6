
/*
 * Copyright (C) ngx_s3 developers
 *
 * CORS: Get-, Put- and DeleteBucketCors, the preflight OPTIONS request
 * (unauthenticated), and a header filter that adds the CORS headers to
 * any other response of a bucket whose rules allow the request's Origin.
 * The rules live in the bucket record's cors field, encoded by
 * core/s3_cors.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "s3_cors.h"


#define NGX_HTTP_S3_CORS_VARY                                                \
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


static ngx_int_t ngx_http_s3_cors_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_cors_set(ngx_http_request_t *r,
    s3_cors_rule_t *rule, ngx_str_t *origin, ngx_str_t *headers);
static ngx_int_t ngx_http_s3_cors_list(ngx_http_request_t *r,
    s3_cors_rule_t *rule, s3_xml_cors_kind_e kind, char *name);
static ngx_int_t ngx_http_s3_cors_add(ngx_http_request_t *r, char *name,
    u_char *value, size_t len);
static ngx_int_t ngx_http_s3_cors_parse(ngx_http_request_t *r, u_char *buf,
    size_t len);
static ngx_http_s3_err_e ngx_http_s3_cors_invalid(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, int rc, s3_str_t *bad);
static ngx_buf_t *ngx_http_s3_cors_xml(ngx_http_request_t *r,
    s3_str_t *cors);
static ngx_int_t ngx_http_s3_cors_rules_xml(s3_str_t *cors, u_char **p,
    size_t *len);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* the elements of a CORSRule, indexed by s3_xml_cors_kind_e */

static char  *ngx_http_s3_cors_elements[] = {
    NULL,
    "ID",
    "AllowedOrigin",
    "AllowedMethod",
    "AllowedHeader",
    "ExposeHeader",
    "MaxAgeSeconds"
};


ngx_int_t
ngx_http_s3_cors_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_s3_cors_header_filter;

    return NGX_OK;
}


/*
 * A request of ours that sent Origin to a bucket with CORS rules: S3 adds
 * the headers of the first rule allowing the origin and the method.  A
 * request without Origin costs a walk over its headers.
 */

static ngx_int_t
ngx_http_s3_cors_header_filter(ngx_http_request_t *r)
{
    int                 rc;
    s3_record_t         rec;
    s3_cors_rule_t      rule;
    ngx_table_elt_t    *origin;
    s3_cors_request_t   req;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ctx == NULL || r != r->main || ctx->bucket.len == 0
        || ctx->op == S3_OP_PREFLIGHT)
    {
        return ngx_http_next_header_filter(r);
    }

    origin = ctx->headers[S3_HDR_ORIGIN];
    if (origin == NULL) {
        return ngx_http_next_header_filter(r);
    }

    rc = ngx_http_s3_read_bucket(r, ctx->root, ctx->bucket.data,
                                 ctx->bucket.len, &rec);

    if (rc != S3_OK || rec.cors.len == 0) {
        return ngx_http_next_header_filter(r);
    }

    req.origin.data = (char *) origin->value.data;
    req.origin.len = origin->value.len;
    req.method.data = (char *) r->method_name.data;
    req.method.len = r->method_name.len;
    req.headers.data = NULL;
    req.headers.len = 0;

    if (s3_cors_match(&rec.cors, &req, &rule) == 1
        && ngx_http_s3_cors_set(r, &rule, &origin->value, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


ngx_int_t
ngx_http_s3_preflight(ngx_http_request_t *r)
{
    int                 rc;
    s3_record_t         rec;
    s3_cors_rule_t      rule;
    ngx_table_elt_t    *origin, *method, *headers;
    s3_cors_request_t   req;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    origin = ctx->headers[S3_HDR_ORIGIN];
    if (origin == NULL) {
        ngx_str_set(&ctx->message,
                    "Insufficient information. Origin request header "
                    "needed.");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_BAD_REQUEST);
    }

    method = ctx->headers[S3_HDR_AC_REQUEST_METHOD];
    if (method == NULL) {
        ngx_str_set(&ctx->message,
                    "Invalid Access-Control-Request-Method: null");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_BAD_REQUEST);
    }

    rc = ngx_http_s3_read_bucket(r, ctx->root, ctx->bucket.data,
                                 ctx->bucket.len, &rec);

    if (rc == S3_STORE_NO_BUCKET) {
        ngx_str_set(&ctx->message, "CORSResponse: Bucket not found");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ACCESS_FORBIDDEN);
    }

    if (rc != S3_OK) {
        return ngx_http_s3_send_error(r,
                   ngx_http_s3_errno(r->connection->log, ngx_errno,
                                     "ngx_http_s3_read_bucket()",
                                     (char *) ctx->bucket.data));
    }

    if (rec.cors.len == 0) {
        ngx_str_set(&ctx->message,
                    "CORSResponse: CORS is not enabled for this bucket.");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ACCESS_FORBIDDEN);
    }

    headers = ctx->headers[S3_HDR_AC_REQUEST_HEADERS];

    req.origin.data = (char *) origin->value.data;
    req.origin.len = origin->value.len;
    req.method.data = (char *) method->value.data;
    req.method.len = method->value.len;
    req.headers.data = headers ? (char *) headers->value.data : NULL;
    req.headers.len = headers ? headers->value.len : 0;

    rc = s3_cors_match(&rec.cors, &req, &rule);

    if (rc == S3_ERR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 bucket \"%V\" has invalid CORS rules",
                      &ctx->bucket);
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (rc == 0) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ACCESS_FORBIDDEN);
    }

    if (ngx_http_s3_cors_set(r, &rule, &origin->value,
                             headers ? &headers->value : NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}


/*
 * The headers of a rule that allowed the request: the origin ("*" for a
 * rule allowing any), methods, requested headers (a preflight's, echoed),
 * exposed headers, max age; credentials are allowed unless the origin is
 * "*".
 */

static ngx_int_t
ngx_http_s3_cors_set(ngx_http_request_t *r, s3_cors_rule_t *rule,
    ngx_str_t *origin, ngx_str_t *headers)
{
    size_t              pos;
    s3_str_t            value;
    ngx_uint_t          any;
    s3_xml_cors_kind_e  kind;

    any = (rule->origin.len == 1 && rule->origin.data[0] == '*');

    if (ngx_http_s3_cors_add(r, "Access-Control-Allow-Origin",
                             any ? (u_char *) "*" : origin->data,
                             any ? 1 : origin->len)
           != NGX_OK
        || ngx_http_s3_cors_list(r, rule, S3_XML_CORS_METHOD,
                                 "Access-Control-Allow-Methods")
           != NGX_OK
        || ngx_http_s3_cors_list(r, rule, S3_XML_CORS_EXPOSE,
                                 "Access-Control-Expose-Headers")
           != NGX_OK
        || ngx_http_s3_cors_add(r, "Vary", (u_char *) NGX_HTTP_S3_CORS_VARY,
                                sizeof(NGX_HTTP_S3_CORS_VARY) - 1)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!any
        && ngx_http_s3_cors_add(r, "Access-Control-Allow-Credentials",
                                (u_char *) "true", 4)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (headers != NULL
        && ngx_http_s3_cors_add(r, "Access-Control-Allow-Headers",
                                headers->data, headers->len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    pos = 0;

    while (s3_cors_next_item(rule, &pos, &kind, &value)) {
        if (kind == S3_XML_CORS_MAX_AGE) {
            return ngx_http_s3_cors_add(r, "Access-Control-Max-Age",
                                        (u_char *) value.data, value.len);
        }
    }

    return NGX_OK;
}


/* One header joining the rule's values of kind with ", "; none: none. */

static ngx_int_t
ngx_http_s3_cors_list(ngx_http_request_t *r, s3_cors_rule_t *rule,
    s3_xml_cors_kind_e kind, char *name)
{
    size_t              pos, len;
    u_char             *p, *start;
    s3_str_t            value;
    s3_xml_cors_kind_e  k;

    len = 0;
    pos = 0;

    while (s3_cors_next_item(rule, &pos, &k, &value)) {
        if (k == kind) {
            len += value.len + 2;
        }
    }

    if (len == 0) {
        return NGX_OK;
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = start;
    pos = 0;

    while (s3_cors_next_item(rule, &pos, &k, &value)) {
        if (k == kind) {
            if (p != start) {
                *p++ = ',';
                *p++ = ' ';
            }

            p = ngx_cpymem(p, value.data, value.len);
        }
    }

    return ngx_http_s3_cors_add(r, name, start, p - start);
}


static ngx_int_t
ngx_http_s3_cors_add(ngx_http_request_t *r, char *name, u_char *value,
    size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = value;
    h->value.len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_get_bucket_cors(ngx_http_request_t *r)
{
    ngx_buf_t          *b;
    s3_record_t         rec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (rec.cors.len == 0) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_NO_SUCH_CORS);
    }

    b = ngx_http_s3_cors_xml(r, &rec.cors);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* S3 takes a CORS configuration of 64 KB at most */

ngx_int_t
ngx_http_s3_put_bucket_cors(ngx_http_request_t *r)
{
    s3_record_t         rec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, 0, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_read_xml_body_md5(r, ngx_http_s3_cors_parse);
}


static ngx_int_t
ngx_http_s3_cors_parse(ngx_http_request_t *r, u_char *buf, size_t len)
{
    int                 rc;
    char               *cors;
    size_t              n;
    s3_str_t            bad;
    s3_xml_cors_t       doc;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    /* one rule over the limit, to tell it from a document that is bad */

    doc.max_rules = S3_CORS_MAX_RULES + 1;
    doc.rules = ngx_palloc(r->pool,
                           doc.max_rules * sizeof(s3_xml_cors_rule_t));

    /* the shortest value is "<ID/>" */

    doc.max_values = len / (sizeof("<ID/>") - 1) + 1;
    doc.values = ngx_palloc(r->pool,
                            doc.max_values * sizeof(s3_xml_cors_value_t));

    /* values, two bytes of overhead each, are shorter than their XML */

    cors = ngx_pnalloc(r->pool, len + 1);

    if (doc.rules == NULL || doc.values == NULL || cors == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (s3_xml_parse_cors((char *) buf, len, &doc) != S3_OK) {
        if (ngx_errno == E2BIG) {
            return ngx_http_s3_send_error(r,
                       ngx_http_s3_cors_invalid(r, ctx, S3_CORS_TOO_MANY,
                                                NULL));
        }

        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    if (doc.nrules == 0) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    rc = s3_cors_encode(&doc, cors, len + 1, &n, &bad);

    if (rc != S3_OK) {
        return ngx_http_s3_send_error(r,
                   ngx_http_s3_cors_invalid(r, ctx, rc, &bad));
    }

    ctx->rec.cors.data = cors;
    ctx->rec.cors.len = n;

    return ngx_http_s3_set_bucket_attrs(r, ctx);
}


/* The error, and its message, of a configuration s3_cors_encode() refused */

static ngx_http_s3_err_e
ngx_http_s3_cors_invalid(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    int rc, s3_str_t *bad)
{
    u_char  *p;
    char    *fmt;

    switch (rc) {

    case S3_CORS_TOO_MANY:
        ngx_str_set(&ctx->message, "The CORS configuration may hold 100 "
                    "rules at most.");
        return NGX_HTTP_S3_MALFORMED_XML;

    case S3_CORS_BAD_MAX_AGE:
        return NGX_HTTP_S3_MALFORMED_XML;

    case S3_CORS_BAD_METHOD:
        fmt = "Found unsupported HTTP method in CORS config. Unsupported "
              "method is %*s";
        break;

    case S3_CORS_BAD_ORIGIN:
        fmt = "AllowedOrigin \"%*s\" can not have more than one wildcard.";
        break;

    case S3_CORS_BAD_HEADER:
        fmt = "AllowedHeader \"%*s\" can not have more than one wildcard.";
        break;

    case S3_CORS_BAD_ID:
        ngx_str_set(&ctx->message, "ID length should not exceed allowed "
                    "limit of 255");
        return NGX_HTTP_S3_INVALID_ARGUMENT;

    default:
        return ngx_http_s3_errno(r->connection->log, ngx_errno,
                                 "s3_cors_encode()",
                                 (char *) ctx->bucket.data);
    }

    p = ngx_pnalloc(r->pool, ngx_strlen(fmt) + bad->len);
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, fmt, bad->len, bad->data) - p;

    return NGX_HTTP_S3_INVALID_REQUEST;
}


ngx_int_t
ngx_http_s3_delete_bucket_cors(ngx_http_request_t *r)
{
    s3_record_t         rec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_str_null(&ctx->rec.cors);

    return ngx_http_s3_set_bucket_attrs(r, ctx);
}


static ngx_buf_t *
ngx_http_s3_cors_xml(ngx_http_request_t *r, s3_str_t *cors)
{
    size_t      len;
    u_char     *p;
    ngx_buf_t  *b;

    static u_char  head[] = NGX_HTTP_S3_XML_DECL
                            "<CORSConfiguration xmlns=\""
                            NGX_HTTP_S3_XMLNS "\">";

    if (ngx_http_s3_cors_rules_xml(cors, NULL, &len) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 bucket has invalid CORS rules");
        return NULL;
    }

    len += sizeof(head) + sizeof("</CORSConfiguration>");

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);

    (void) ngx_http_s3_cors_rules_xml(cors, &p, &len);

    b->last = ngx_cpymem(p, "</CORSConfiguration>",
                         sizeof("</CORSConfiguration>") - 1);

    return b;
}


/*
 * Writes the rules as CORSRule elements at *p, or, with p NULL, sets
 * *len to the length they need.
 */

static ngx_int_t
ngx_http_s3_cors_rules_xml(s3_str_t *cors, u_char **p, size_t *len)
{
    int                 rc;
    char               *name;
    size_t              pos, ipos, n;
    s3_str_t            value;
    s3_cors_rule_t      rule;
    s3_xml_cors_kind_e  kind;

    n = 0;
    pos = 0;

    while ((rc = s3_cors_next_rule(cors, &pos, &rule)) == 1) {
        n += sizeof("<CORSRule></CORSRule>") - 1;

        if (p != NULL) {
            *p = ngx_cpymem(*p, "<CORSRule>", sizeof("<CORSRule>") - 1);
        }

        ipos = 0;

        while (s3_cors_next_item(&rule, &ipos, &kind, &value)) {
            name = ngx_http_s3_cors_elements[kind];

            n += 2 * ngx_strlen(name) + sizeof("<></>") - 1
                 + s3_xml_escape(NULL, value.data, value.len);

            if (p != NULL) {
                *p = ngx_http_s3_xml_element(*p, name, (u_char *) value.data,
                                             value.len);
            }
        }

        if (p != NULL) {
            *p = ngx_cpymem(*p, "</CORSRule>", sizeof("</CORSRule>") - 1);
        }
    }

    *len = n;

    return (rc == 0) ? NGX_OK : NGX_ERROR;
}
