
/*
 * Copyright (C) ngx_s3 developers
 *
 * Canned ACLs: x-amz-acl on the requests that create a bucket or an
 * object, Get- and PutBucketAcl, Get- and PutObjectAcl (x-amz-acl, or an
 * AccessControlPolicy that grants one of them).  Two ACLs exist here:
 * private (the owner has FULL_CONTROL) and public-read (everyone may also
 * read), stored in the record's acl field ("public-read" or empty).  The
 * bucket's owner owns its objects.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "s3_xml.h"


#define NGX_HTTP_S3_ACL_PUBLIC_READ  "public-read"
#define NGX_HTTP_S3_ALL_USERS                                                \
    "http://acs.amazonaws.com/groups/global/AllUsers"
#define NGX_HTTP_S3_ACL_GRANTS       100      /* S3's limit */


typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 public_read;   /* 0: stored as private */
    ngx_uint_t                 supported;
} ngx_http_s3_canned_acl_t;


static ngx_http_s3_err_e ngx_http_s3_acl_value(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_str_t *value, s3_str_t *acl);
static ngx_int_t ngx_http_s3_acl_parse(ngx_http_request_t *r, u_char *buf,
    size_t len);
static ngx_http_s3_err_e ngx_http_s3_acl_grants(ngx_http_s3_ctx_t *ctx,
    s3_xml_acl_t *doc, s3_str_t *acl);
static ngx_int_t ngx_http_s3_acl_set(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_buf_t *ngx_http_s3_acl_xml(ngx_http_request_t *r,
    s3_str_t *owner, s3_str_t *acl);


static ngx_http_s3_canned_acl_t  ngx_http_s3_canned_acls[] = {

    { ngx_string("private"), 0, 1 },
    { ngx_string("public-read"), 1, 1 },

    /* tools send these; here the bucket owner owns the objects */
    { ngx_string("bucket-owner-full-control"), 0, 1 },
    { ngx_string("bucket-owner-read"), 0, 1 },

    { ngx_string("public-read-write"), 0, 0 },
    { ngx_string("authenticated-read"), 0, 0 },
    { ngx_string("aws-exec-read"), 0, 0 },
    { ngx_string("log-delivery-write"), 0, 0 },

    { ngx_null_string, 0, 0 }
};


/*
 * Reads x-amz-acl into acl: "public-read", or empty for private; acl->data
 * is NULL when the request sent none.  The canned ACLs other than private
 * and public-read are not implemented; x-amz-grant-* headers are refused
 * by the dispatch (S3_HDR_GRANT).
 */

ngx_http_s3_err_e
ngx_http_s3_acl_header(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_str_t *acl)
{
    ngx_table_elt_t  *h;

    acl->data = NULL;
    acl->len = 0;

    h = ctx->headers[S3_HDR_ACL];
    if (h == NULL) {
        return NGX_HTTP_S3_OK;
    }

    return ngx_http_s3_acl_value(r, ctx, &h->value, acl);
}


static ngx_http_s3_err_e
ngx_http_s3_acl_value(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_str_t *value, s3_str_t *acl)
{
    u_char                    *p;
    ngx_http_s3_canned_acl_t  *c;

    for (c = ngx_http_s3_canned_acls; c->name.len; c++) {
        if (c->name.len == value->len
            && ngx_strncmp(c->name.data, value->data, value->len) == 0)
        {
            break;
        }
    }

    if (c->name.len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 unknown canned ACL \"%V\"", value);
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    if (!c->supported) {
        p = ngx_pnalloc(r->pool, sizeof("The canned ACL '' is not "
                                        "supported: only private and "
                                        "public-read are.") + c->name.len);
        if (p == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        ctx->message.data = p;
        ctx->message.len = ngx_sprintf(p, "The canned ACL '%V' is not "
                                       "supported: only private and "
                                       "public-read are.", &c->name)
                           - p;
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    if (c->public_read) {
        acl->data = NGX_HTTP_S3_ACL_PUBLIC_READ;
        acl->len = sizeof(NGX_HTTP_S3_ACL_PUBLIC_READ) - 1;

    } else {
        acl->data = "";
    }

    return NGX_HTTP_S3_OK;
}


ngx_int_t
ngx_http_s3_get_bucket_acl(ngx_http_request_t *r)
{
    ngx_buf_t          *b;
    s3_record_t         brec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    b = ngx_http_s3_acl_xml(r, &brec.owner, &brec.acl);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


ngx_int_t
ngx_http_s3_get_object_acl(ngx_http_request_t *r)
{
    ngx_buf_t          *b;
    ngx_file_t         *file;
    s3_record_t         brec, rec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    if (file == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_open_object(r, &ctx->bucket, &ctx->key, 0, file, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    b = ngx_http_s3_acl_xml(r, &brec.owner, &rec.acl);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* PutBucketAcl, PutObjectAcl: x-amz-acl, or an AccessControlPolicy body */

ngx_int_t
ngx_http_s3_put_acl(ngx_http_request_t *r)
{
    s3_record_t         brec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_acl_header(r, ctx, &ctx->rec.acl);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    err = ngx_http_s3_start_op(r, ctx,
                               ctx->rec.acl.data ? NGX_HTTP_S3_DISCARD_BODY
                                                 : 0,
                               &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (ctx->rec.acl.data == NULL) {
        return ngx_http_s3_read_xml_body(r, ngx_http_s3_acl_parse);
    }

    return ngx_http_s3_acl_set(r, ctx);
}


static ngx_int_t
ngx_http_s3_acl_parse(ngx_http_request_t *r, u_char *buf, size_t len)
{
    s3_xml_acl_t        doc;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    doc.max = NGX_HTTP_S3_ACL_GRANTS;
    doc.grants = ngx_palloc(r->pool, doc.max * sizeof(s3_xml_grant_t));
    if (doc.grants == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (s3_xml_parse_acl((char *) buf, len, &doc) != S3_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_ACL);
    }

    err = ngx_http_s3_acl_grants(ctx, &doc, &ctx->rec.acl);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_acl_set(r, ctx);
}


/*
 * The canned ACL the grants amount to: the owner's FULL_CONTROL, plus
 * AllUsers READ for public-read.  Any other grant is not implemented.
 */

static ngx_http_s3_err_e
ngx_http_s3_acl_grants(ngx_http_s3_ctx_t *ctx, s3_xml_acl_t *doc,
    s3_str_t *acl)
{
    size_t           i;
    ngx_uint_t       owner, all_users;
    s3_xml_grant_t  *g;

    owner = 0;
    all_users = 0;

    for (i = 0; i < doc->ngrants; i++) {
        g = &doc->grants[i];

        if (g->id.len == ctx->user.len
            && ngx_strncmp(g->id.data, ctx->user.data, g->id.len) == 0
            && g->permission.len == sizeof("FULL_CONTROL") - 1
            && ngx_strncmp(g->permission.data, "FULL_CONTROL",
                           g->permission.len) == 0)
        {
            owner = 1;
            continue;
        }

        if (g->uri.len == sizeof(NGX_HTTP_S3_ALL_USERS) - 1
            && ngx_strncmp(g->uri.data, NGX_HTTP_S3_ALL_USERS, g->uri.len)
               == 0
            && g->permission.len == sizeof("READ") - 1
            && ngx_strncmp(g->permission.data, "READ", g->permission.len)
               == 0)
        {
            all_users = 1;
            continue;
        }

        owner = 0;
        break;
    }

    if (!owner) {
        ngx_str_set(&ctx->message, "Only the ACLs of the canned private "
                    "and public-read are supported: the owner's "
                    "FULL_CONTROL grant, and an AllUsers READ grant.");
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    if (all_users) {
        acl->data = NGX_HTTP_S3_ACL_PUBLIC_READ;
        acl->len = sizeof(NGX_HTTP_S3_ACL_PUBLIC_READ) - 1;

    } else {
        acl->data = "";
        acl->len = 0;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_acl_set(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    if (ctx->op == S3_OP_PUT_BUCKET_ACL) {
        return ngx_http_s3_set_bucket_attrs(r, ctx);
    }

    return ngx_http_s3_set_object_attrs(r, ctx);
}


static ngx_buf_t *
ngx_http_s3_acl_xml(ngx_http_request_t *r, s3_str_t *owner, s3_str_t *acl)
{
    size_t      len, n;
    u_char     *p;
    ngx_buf_t  *b;
    ngx_uint_t  public_read;

    static u_char  head[] = NGX_HTTP_S3_XML_DECL
                            "<AccessControlPolicy xmlns=\""
                            NGX_HTTP_S3_XMLNS "\"><Owner>";
    static u_char  grantee[] = "<Grant><Grantee xmlns:xsi=\""
                               "http://www.w3.org/2001/XMLSchema-instance\" "
                               "xsi:type=\"";
    static u_char  all_users[] = "Group\"><URI>" NGX_HTTP_S3_ALL_USERS
                                 "</URI></Grantee><Permission>READ"
                                 "</Permission></Grant>";

    public_read = (acl->len == sizeof(NGX_HTTP_S3_ACL_PUBLIC_READ) - 1
                   && ngx_strncmp(acl->data, NGX_HTTP_S3_ACL_PUBLIC_READ,
                                  acl->len) == 0);

    n = s3_xml_escape(NULL, owner->data, owner->len);

    len = sizeof(head)
          + 2 * (sizeof("<ID></ID><DisplayName></DisplayName>") + 2 * n)
          + sizeof("</Owner><AccessControlList>") + sizeof(grantee)
          + sizeof("CanonicalUser\"></Grantee><Permission>FULL_CONTROL"
                   "</Permission></Grant>")
          + sizeof(grantee) + sizeof(all_users)
          + sizeof("</AccessControlList></AccessControlPolicy>");

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);
    p = ngx_http_s3_xml_element(p, "ID", (u_char *) owner->data, owner->len);
    p = ngx_http_s3_xml_element(p, "DisplayName", (u_char *) owner->data,
                                owner->len);
    p = ngx_cpymem(p, "</Owner><AccessControlList>",
                   sizeof("</Owner><AccessControlList>") - 1);

    p = ngx_cpymem(p, grantee, sizeof(grantee) - 1);
    p = ngx_cpymem(p, "CanonicalUser\">", sizeof("CanonicalUser\">") - 1);
    p = ngx_http_s3_xml_element(p, "ID", (u_char *) owner->data, owner->len);
    p = ngx_http_s3_xml_element(p, "DisplayName", (u_char *) owner->data,
                                owner->len);
    p = ngx_cpymem(p, "</Grantee><Permission>FULL_CONTROL</Permission>"
                   "</Grant>",
                   sizeof("</Grantee><Permission>FULL_CONTROL</Permission>"
                          "</Grant>") - 1);

    if (public_read) {
        p = ngx_cpymem(p, grantee, sizeof(grantee) - 1);
        p = ngx_cpymem(p, all_users, sizeof(all_users) - 1);
    }

    p = ngx_cpymem(p, "</AccessControlList></AccessControlPolicy>",
                   sizeof("</AccessControlList></AccessControlPolicy>") - 1);

    b->last = p;

    return b;
}
