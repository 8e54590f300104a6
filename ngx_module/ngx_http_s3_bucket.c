
/*
 * Copyright (C) ngx_s3 developers
 *
 * ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
 * and the task that changes a bucket's attributes (ACL, CORS).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"
#include "s3_xml.h"


typedef struct {
    u_char                     name[S3_BUCKET_MAX_LEN];
    size_t                     len;
    uint64_t                   created_ms;
} ngx_http_s3_bucket_entry_t;


typedef struct {
    const char                *root;
    ngx_str_t                  owner;
    ngx_http_s3_bucket_entry_t *entries;
    ngx_uint_t                 nelts;
    ngx_uint_t                 nalloc;
    ngx_uint_t                 truncated;
} ngx_http_s3_bucket_list_t;


static void ngx_http_s3_list_buckets_run(ngx_http_s3_task_t *t);
static int ngx_http_s3_list_buckets_add(const s3_record_t *rec, void *data);
static ngx_int_t ngx_http_s3_list_buckets_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static int ngx_libc_cdecl ngx_http_s3_bucket_cmp(const void *one,
    const void *two);
static ngx_buf_t *ngx_http_s3_list_buckets_xml(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_bucket_list_t *list);
static ngx_int_t ngx_http_s3_create_bucket_parse(ngx_http_request_t *r,
    u_char *buf, size_t len);
static ngx_http_s3_err_e ngx_http_s3_check_location(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_str_t *location);
static void ngx_http_s3_create_bucket_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_create_bucket_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static void ngx_http_s3_delete_bucket_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_delete_bucket_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_uint_t ngx_http_s3_default_region(ngx_str_t *region);
static void ngx_http_s3_bucket_attrs_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_bucket_attrs_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);


ngx_int_t
ngx_http_s3_list_buckets(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t          *ctx;
    ngx_http_s3_bucket_list_t  *list;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    list = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_bucket_list_t));
    if (list == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    /* the thread must not allocate from r->pool: room for all, up front */

    list->nalloc = NGX_HTTP_S3_MAX_BUCKETS;
    list->entries = ngx_palloc(r->pool, list->nalloc
                                        * sizeof(ngx_http_s3_bucket_entry_t));
    if (list->entries == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    list->root = ctx->store.root;
    list->owner = ctx->user;

    return ngx_http_s3_task_post(r, ngx_http_s3_list_buckets_run,
                                 ngx_http_s3_list_buckets_done, list);
}


static void
ngx_http_s3_list_buckets_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_bucket_list_t *list = t->data;

    t->rc = s3_store_list_buckets(list->root, ngx_http_s3_list_buckets_add,
                                  list);
}


static int
ngx_http_s3_list_buckets_add(const s3_record_t *rec, void *data)
{
    ngx_http_s3_bucket_list_t *list = data;

    ngx_http_s3_bucket_entry_t  *e;

    if (rec->owner.len != list->owner.len
        || ngx_memcmp(rec->owner.data, list->owner.data, list->owner.len)
           != 0
        || rec->bucket.len > S3_BUCKET_MAX_LEN)
    {
        return S3_OK;
    }

    if (list->nelts == list->nalloc) {
        list->truncated = 1;
        return S3_OK;
    }

    e = &list->entries[list->nelts++];

    ngx_memcpy(e->name, rec->bucket.data, rec->bucket.len);
    e->len = rec->bucket.len;
    e->created_ms = rec->mtime_ms ? rec->mtime_ms : s3_hlc_ms(rec->hlc);

    return S3_OK;
}


static ngx_int_t
ngx_http_s3_list_buckets_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_buf_t                  *b;
    ngx_http_s3_ctx_t          *ctx;
    ngx_http_s3_bucket_list_t  *list;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    list = t->data;

    if (t->rc != S3_OK) {
        return ngx_http_s3_send_error(r,
                   ngx_http_s3_errno(r->connection->log, t->err,
                                     "s3_store_list_buckets()",
                                     list->root));
    }

    if (list->truncated) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "s3 user \"%V\" owns more than %ui buckets, "
                      "the list is truncated", &ctx->user, list->nalloc);
    }

    ngx_qsort(list->entries, list->nelts, sizeof(ngx_http_s3_bucket_entry_t),
              ngx_http_s3_bucket_cmp);

    b = ngx_http_s3_list_buckets_xml(r, ctx, list);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


static int ngx_libc_cdecl
ngx_http_s3_bucket_cmp(const void *one, const void *two)
{
    ngx_int_t                    rc;
    ngx_http_s3_bucket_entry_t  *a, *b;

    a = (ngx_http_s3_bucket_entry_t *) one;
    b = (ngx_http_s3_bucket_entry_t *) two;

    rc = ngx_memcmp(a->name, b->name, ngx_min(a->len, b->len));

    if (rc != 0) {
        return (int) rc;
    }

    return (a->len > b->len) - (a->len < b->len);
}


static ngx_buf_t *
ngx_http_s3_list_buckets_xml(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_bucket_list_t *list)
{
    size_t       len, user;
    u_char      *p;
    ngx_buf_t   *b;
    ngx_uint_t   i;

    static u_char  head[] = NGX_HTTP_S3_XML_DECL
                            "<ListAllMyBucketsResult xmlns=\""
                            NGX_HTTP_S3_XMLNS "\"><Owner><ID>";

    user = s3_xml_escape(NULL, (char *) ctx->user.data, ctx->user.len);

    len = sizeof(head) + 2 * user
          + sizeof("</ID><DisplayName></DisplayName></Owner><Buckets>")
          + sizeof("</Buckets></ListAllMyBucketsResult>");

    for (i = 0; i < list->nelts; i++) {
        len += sizeof("<Bucket><Name></Name><CreationDate></CreationDate>"
                      "</Bucket>") + NGX_HTTP_S3_ISO8601_LEN
               + list->entries[i].len;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);
    p += s3_xml_escape((char *) p, (char *) ctx->user.data,
                       ctx->user.len);
    p = ngx_cpymem(p, "</ID><DisplayName>", sizeof("</ID><DisplayName>") - 1);
    p += s3_xml_escape((char *) p, (char *) ctx->user.data,
                       ctx->user.len);
    p = ngx_cpymem(p, "</DisplayName></Owner><Buckets>",
                   sizeof("</DisplayName></Owner><Buckets>") - 1);

    for (i = 0; i < list->nelts; i++) {
        p = ngx_cpymem(p, "<Bucket><Name>", sizeof("<Bucket><Name>") - 1);
        p = ngx_cpymem(p, list->entries[i].name, list->entries[i].len);
        p = ngx_cpymem(p, "</Name><CreationDate>",
                       sizeof("</Name><CreationDate>") - 1);
        p = ngx_http_s3_xml_time(p, list->entries[i].created_ms);
        p = ngx_cpymem(p, "</CreationDate></Bucket>",
                       sizeof("</CreationDate></Bucket>") - 1);
    }

    p = ngx_cpymem(p, "</Buckets></ListAllMyBucketsResult>",
                   sizeof("</Buckets></ListAllMyBucketsResult>") - 1);

    b->last = p;

    return b;
}


ngx_int_t
ngx_http_s3_create_bucket(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_acl_header(r, ctx, &ctx->rec.acl);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ctx->rec.bucket.data = (char *) ctx->bucket.data;
    ctx->rec.bucket.len = ctx->bucket.len;
    ctx->rec.owner.data = (char *) ctx->user.data;
    ctx->rec.owner.len = ctx->user.len;

    return ngx_http_s3_read_xml_body(r, ngx_http_s3_create_bucket_parse);
}


/* The body, empty or a CreateBucketConfiguration naming our region. */

static ngx_int_t
ngx_http_s3_create_bucket_parse(ngx_http_request_t *r, u_char *buf,
    size_t len)
{
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_err_e        err;
    s3_xml_create_bucket_t   doc;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (s3_xml_parse_create_bucket((char *) buf, len, &doc) != S3_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    err = ngx_http_s3_check_location(r, ctx, &doc.location);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_create_bucket_run,
                                 ngx_http_s3_create_bucket_done, ctx);
}


/*
 * As S3: no LocationConstraint, or the endpoint's region, is fine, but
 * us-east-1 is never named (InvalidLocationConstraint); another region
 * is IllegalLocationConstraintException.
 */

static ngx_http_s3_err_e
ngx_http_s3_check_location(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_str_t *location)
{
    u_char                  *p;
    ngx_http_s3_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    if (location->len == 0) {
        return NGX_HTTP_S3_OK;
    }

    if (location->len == slcf->region.len
        && ngx_strncmp(location->data, slcf->region.data, location->len)
           == 0)
    {
        return ngx_http_s3_default_region(&slcf->region)
               ? NGX_HTTP_S3_INVALID_LOCATION : NGX_HTTP_S3_OK;
    }

    p = ngx_pnalloc(r->pool, location->len
                             + sizeof("The  location constraint is "
                                      "incompatible for the region specific "
                                      "endpoint this request was sent to."));
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, "The %*s location constraint is "
                                   "incompatible for the region specific "
                                   "endpoint this request was sent to.",
                                   location->len, location->data)
                       - p;

    return NGX_HTTP_S3_ILLEGAL_LOCATION;
}


static void
ngx_http_s3_create_bucket_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t *ctx = t->data;

    t->rc = s3_store_create_bucket_rec(&ctx->store, &ctx->rec);
}


static ngx_int_t
ngx_http_s3_create_bucket_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    u_char             *p;
    ngx_table_elt_t    *h;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = t->data;

    if (t->rc == S3_ERR && t->err == NGX_EINVAL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_BUCKET_NAME);
    }

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_BUCKET,
                                 "s3_store_create_bucket()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, ctx->bucket.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *p = '/';
    ngx_memcpy(p + 1, ctx->bucket.data, ctx->bucket.len);

    h->hash = 1;
    ngx_str_set(&h->key, "Location");
    h->value.data = p;
    h->value.len = ctx->bucket.len + 1;

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}


ngx_int_t
ngx_http_s3_head_bucket(ngx_http_request_t *r)
{
    s3_record_t               rec;
    ngx_table_elt_t          *h;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_err_e         err;
    ngx_http_s3_loc_conf_t   *slcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-bucket-region");
    h->value = slcf->region;

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}


ngx_int_t
ngx_http_s3_delete_bucket(ngx_http_request_t *r)
{
    s3_record_t         rec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_delete_bucket_run,
                                 ngx_http_s3_delete_bucket_done, ctx);
}


static void
ngx_http_s3_delete_bucket_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t *ctx = t->data;

    t->rc = s3_store_delete_bucket(&ctx->store, (char *) ctx->bucket.data,
                                   ctx->bucket.len);
}


static ngx_int_t
ngx_http_s3_delete_bucket_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_err_e  err;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_BUCKET,
                                 "s3_store_delete_bucket()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    return ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
}


ngx_int_t
ngx_http_s3_get_bucket_location(ngx_http_request_t *r)
{
    size_t                   len;
    u_char                  *p;
    ngx_buf_t               *b;
    s3_record_t              rec;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_err_e        err;
    ngx_http_s3_loc_conf_t  *slcf;

    static u_char  head[] = NGX_HTTP_S3_XML_DECL
                            "<LocationConstraint xmlns=\""
                            NGX_HTTP_S3_XMLNS "\"";

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    len = sizeof(head) + sizeof("></LocationConstraint>")
          + s3_xml_escape(NULL, (char *) slcf->region.data,
                          slcf->region.len);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);

    /* as S3, an empty element for us-east-1 */

    if (ngx_http_s3_default_region(&slcf->region)) {
        p = ngx_cpymem(p, "/>", 2);

    } else {
        *p++ = '>';
        p += s3_xml_escape((char *) p, (char *) slcf->region.data,
                           slcf->region.len);
        p = ngx_cpymem(p, "</LocationConstraint>",
                       sizeof("</LocationConstraint>") - 1);
    }

    b->last = p;

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


static ngx_uint_t
ngx_http_s3_default_region(ngx_str_t *region)
{
    return region->len == sizeof("us-east-1") - 1
           && ngx_strncmp(region->data, "us-east-1", region->len) == 0;
}


/*
 * Replaces the ACL (PutBucketAcl), the CORS rules (Put- and
 * DeleteBucketCors) or the tags (Put- and DeleteBucketTagging) of the
 * bucket with those of ctx->rec, in a task.
 */

ngx_int_t
ngx_http_s3_set_bucket_attrs(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ctx->rec.kind = S3_RECORD_BUCKET;
    ctx->rec.bucket.data = (char *) ctx->bucket.data;
    ctx->rec.bucket.len = ctx->bucket.len;

    return ngx_http_s3_task_post(r, ngx_http_s3_bucket_attrs_run,
                                 ngx_http_s3_bucket_attrs_done, ctx);
}


static void
ngx_http_s3_bucket_attrs_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t *ctx = t->data;

    unsigned  which;

    switch (ctx->op) {

    case S3_OP_PUT_BUCKET_ACL:
        which = S3_STORE_ATTR_ACL;
        break;

    case S3_OP_PUT_BUCKET_TAGGING:
    case S3_OP_DELETE_BUCKET_TAGGING:
        which = S3_STORE_ATTR_TAGS;
        break;

    default:
        which = S3_STORE_ATTR_CORS;
        break;
    }

    t->rc = s3_store_set_bucket_attrs(&ctx->store, &ctx->rec, which);
}


static ngx_int_t
ngx_http_s3_bucket_attrs_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = t->data;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_BUCKET,
                                 "s3_store_set_bucket_attrs()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    return ngx_http_s3_send_empty(r,
               (ctx->op == S3_OP_DELETE_BUCKET_CORS
                || ctx->op == S3_OP_DELETE_BUCKET_TAGGING)
               ? NGX_HTTP_NO_CONTENT : NGX_HTTP_OK);
}
