
/*
 * Copyright (C) ngx_s3 developers
 *
 * Object and bucket tagging: GetObjectTagging, PutObjectTagging,
 * DeleteObjectTagging, their bucket twins, and the x-amz-tagging header
 * of PutObject, CreateMultipartUpload and CopyObject.  Tags are kept in
 * the record's tags field as "key\0value\0" pairs; an object's change is
 * s3_store_set_object_attrs() in a thread task, a bucket's
 * s3_store_set_bucket_attrs() in ngx_http_s3_set_bucket_attrs()'s.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_OBJECT_TAGS      10
#define NGX_HTTP_S3_BUCKET_TAGS      50
#define NGX_HTTP_S3_TAG_KEY_MAX      128      /* characters */
#define NGX_HTTP_S3_TAG_VALUE_MAX    256
#define NGX_HTTP_S3_TAGS_SIZE                                                \
    (NGX_HTTP_S3_BUCKET_TAGS                                                 \
     * (4 * (NGX_HTTP_S3_TAG_KEY_MAX + NGX_HTTP_S3_TAG_VALUE_MAX) + 2))


/* a tag set being built: "key\0value\0" pairs in buf */
typedef struct {
    char                      *buf;
    size_t                     len;
    ngx_uint_t                 n;
    ngx_uint_t                 max;
} ngx_http_s3_tags_t;


static ngx_int_t ngx_http_s3_tags_init(ngx_http_request_t *r,
    ngx_http_s3_tags_t *tags, ngx_uint_t max);
static ngx_http_s3_err_e ngx_http_s3_tags_add(ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_tags_t *tags, s3_str_t *key, s3_str_t *value);
static ngx_http_s3_err_e ngx_http_s3_tags_too_many(ngx_http_s3_ctx_t *ctx,
    ngx_uint_t max);
static ngx_uint_t ngx_http_s3_tag_valid(s3_str_t *s, size_t max);
static ngx_uint_t ngx_http_s3_tags_find(ngx_http_s3_tags_t *tags,
    s3_str_t *key);
static ngx_int_t ngx_http_s3_send_tags(ngx_http_request_t *r,
    s3_str_t *tags);
static ngx_int_t ngx_http_s3_tagging_parse(ngx_http_request_t *r,
    u_char *buf, size_t len);
static void ngx_http_s3_tagging_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_tagging_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);


/* x-amz-tagging: "k1=v1&k2=v2", URL-encoded, into ctx->rec.tags */

ngx_http_s3_err_e
ngx_http_s3_tagging_header(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char              *p, *last, *end, *eq, *dst;
    ssize_t              n, m;
    s3_str_t             key, value;
    ngx_table_elt_t     *h;
    ngx_http_s3_err_e    err;
    ngx_http_s3_tags_t   tags;

    ngx_memzero(&ctx->rec.tags, sizeof(s3_str_t));

    h = ctx->headers[S3_HDR_TAGGING];
    if (h == NULL || h->value.len == 0) {
        return NGX_HTTP_S3_OK;
    }

    if (ngx_http_s3_tags_init(r, &tags, NGX_HTTP_S3_OBJECT_TAGS) != NGX_OK) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    dst = ngx_pnalloc(r->pool, h->value.len);
    if (dst == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    p = h->value.data;
    last = p + h->value.len;

    while (p < last) {
        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        eq = ngx_strlchr(p, end, '=');
        if (eq == NULL) {
            eq = end;
        }

        n = s3_uri_decode((char *) dst, (char *) p, eq - p, 1);
        m = (eq < end) ? s3_uri_decode((char *) dst + n, (char *) eq + 1,
                                       end - eq - 1, 1)
                       : 0;

        if (n < 0 || m < 0) {
            ngx_str_set(&ctx->message, "The header 'x-amz-tagging' shall be "
                        "encoded as UTF-8 then URLEncoded URL query "
                        "parameters without tag name duplicates.");
            return NGX_HTTP_S3_INVALID_ARGUMENT;
        }

        key.data = (char *) dst;
        key.len = n;
        value.data = (char *) dst + n;
        value.len = m;
        dst += n + m;

        err = ngx_http_s3_tags_add(ctx, &tags, &key, &value);
        if (err != NGX_HTTP_S3_OK) {
            return err;
        }

        p = end + 1;
    }

    ctx->rec.tags.data = tags.buf;
    ctx->rec.tags.len = tags.len;

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_tags_init(ngx_http_request_t *r, ngx_http_s3_tags_t *tags,
    ngx_uint_t max)
{
    tags->buf = ngx_pnalloc(r->pool, NGX_HTTP_S3_TAGS_SIZE);
    if (tags->buf == NULL) {
        return NGX_ERROR;
    }

    tags->len = 0;
    tags->n = 0;
    tags->max = max;

    return NGX_OK;
}


/* Adds one tag, refused as S3 refuses it. */

static ngx_http_s3_err_e
ngx_http_s3_tags_add(ngx_http_s3_ctx_t *ctx, ngx_http_s3_tags_t *tags,
    s3_str_t *key, s3_str_t *value)
{
    if (tags->n == tags->max) {
        return ngx_http_s3_tags_too_many(ctx, tags->max);
    }

    if (key->len == 0 || !ngx_http_s3_tag_valid(key, NGX_HTTP_S3_TAG_KEY_MAX))
    {
        ngx_str_set(&ctx->message, "The TagKey you have provided is "
                    "invalid");
        return NGX_HTTP_S3_INVALID_TAG;
    }

    if (!ngx_http_s3_tag_valid(value, NGX_HTTP_S3_TAG_VALUE_MAX)) {
        ngx_str_set(&ctx->message, "The TagValue you have provided is "
                    "invalid");
        return NGX_HTTP_S3_INVALID_TAG;
    }

    if (key->len >= sizeof("aws:") - 1
        && ngx_strncasecmp((u_char *) key->data, (u_char *) "aws:",
                           sizeof("aws:") - 1) == 0)
    {
        ngx_str_set(&ctx->message, "Your TagKey cannot be prefixed with "
                    "aws:");
        return NGX_HTTP_S3_INVALID_TAG;
    }

    if (ngx_http_s3_tags_find(tags, key)) {
        ngx_str_set(&ctx->message, "Cannot provide multiple Tags with the "
                    "same key");
        return NGX_HTTP_S3_INVALID_TAG;
    }

    if (s3_record_add_header(tags->buf, &tags->len, NGX_HTTP_S3_TAGS_SIZE,
                             key->data, key->len, value->data, value->len)
        != S3_OK)
    {
        return NGX_HTTP_S3_INVALID_TAG;
    }

    tags->n++;

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_tags_too_many(ngx_http_s3_ctx_t *ctx, ngx_uint_t max)
{
    if (max == NGX_HTTP_S3_OBJECT_TAGS) {
        ngx_str_set(&ctx->message, "Object tags cannot be greater than 10");

    } else {
        ngx_str_set(&ctx->message,
                    "Bucket tag count cannot be greater than 50");
    }

    return NGX_HTTP_S3_INVALID_TAG;
}


/*
 * At most max characters (UTF-8 lead bytes): letters, digits, space and
 * + - = . _ : / @ in ASCII, anything outside it.
 */

static ngx_uint_t
ngx_http_s3_tag_valid(s3_str_t *s, size_t max)
{
    u_char  c, *p, *last;
    size_t  n;

    n = 0;
    p = (u_char *) s->data;
    last = p + s->len;

    for ( /* void */ ; p < last; p++) {
        c = *p;

        if ((c & 0xc0) != 0x80) {
            n++;
        }

        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z') || ngx_strchr(" +-=._:/@", c) != NULL)
        {
            continue;
        }

        return 0;
    }

    return n <= max;
}


static ngx_uint_t
ngx_http_s3_tags_find(ngx_http_s3_tags_t *tags, s3_str_t *key)
{
    size_t       pos;
    s3_str_t     name, value;
    s3_record_t  set;

    set.headers.data = tags->buf;
    set.headers.len = tags->len;
    pos = 0;

    while (s3_record_next_header(&set, &pos, &name, &value)) {
        if (name.len == key->len
            && ngx_memcmp(name.data, key->data, key->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* GetObjectTagging, GetBucketTagging */

ngx_int_t
ngx_http_s3_get_tagging(ngx_http_request_t *r)
{
    ngx_file_t         *file;
    s3_record_t         brec, rec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (ctx->op == S3_OP_GET_BUCKET_TAGGING) {
        if (brec.tags.len == 0) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_NO_SUCH_TAG_SET);
        }

        return ngx_http_s3_send_tags(r, &brec.tags);
    }

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    if (file == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_open_object(r, &ctx->bucket, &ctx->key, 0, file, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_send_tags(r, &rec.tags);
}


/* <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> */

static ngx_int_t
ngx_http_s3_send_tags(ngx_http_request_t *r, s3_str_t *tags)
{
    u_char       *p;
    size_t        len, pos;
    s3_str_t      name, value;
    ngx_buf_t    *b;
    s3_record_t   set;

    set.headers = *tags;

    len = sizeof(NGX_HTTP_S3_XML_DECL "<Tagging xmlns=\"" NGX_HTTP_S3_XMLNS
                 "\"><TagSet></TagSet></Tagging>");
    pos = 0;

    while (s3_record_next_header(&set, &pos, &name, &value)) {
        len += sizeof("<Tag><Key></Key><Value></Value></Tag>")
               + s3_xml_escape(NULL, name.data, name.len)
               + s3_xml_escape(NULL, value.data, value.len);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<Tagging xmlns=\""
                   NGX_HTTP_S3_XMLNS "\"><TagSet>",
                   sizeof(NGX_HTTP_S3_XML_DECL "<Tagging xmlns=\""
                          NGX_HTTP_S3_XMLNS "\"><TagSet>") - 1);
    pos = 0;

    while (s3_record_next_header(&set, &pos, &name, &value)) {
        p = ngx_cpymem(p, "<Tag>", sizeof("<Tag>") - 1);
        p = ngx_http_s3_xml_element(p, "Key", (u_char *) name.data,
                                    name.len);
        p = ngx_http_s3_xml_element(p, "Value", (u_char *) value.data,
                                    value.len);
        p = ngx_cpymem(p, "</Tag>", sizeof("</Tag>") - 1);
    }

    b->last = ngx_cpymem(p, "</TagSet></Tagging>",
                         sizeof("</TagSet></Tagging>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* PutObjectTagging, PutBucketTagging */

ngx_int_t
ngx_http_s3_put_tagging(ngx_http_request_t *r)
{
    s3_record_t         brec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, 0, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    /* S3 wants an integrity check on a bucket's tags, not on an object's */

    if (ctx->op == S3_OP_PUT_BUCKET_TAGGING) {
        return ngx_http_s3_read_xml_body_md5(r, ngx_http_s3_tagging_parse);
    }

    return ngx_http_s3_read_xml_body(r, ngx_http_s3_tagging_parse);
}


static ngx_int_t
ngx_http_s3_tagging_parse(ngx_http_request_t *r, u_char *buf, size_t len)
{
    size_t               i;
    ngx_uint_t           max;
    s3_xml_tagging_t     xml;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_s3_tags_t   tags;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    max = (ctx->op == S3_OP_PUT_BUCKET_TAGGING)
          ? NGX_HTTP_S3_BUCKET_TAGS : NGX_HTTP_S3_OBJECT_TAGS;

    if (ngx_http_s3_tags_init(r, &tags, max) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    xml.max = max;
    xml.tags = ngx_palloc(r->pool, max * sizeof(s3_xml_tag_t));
    if (xml.tags == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (s3_xml_parse_tagging((char *) buf, len, &xml) != S3_OK) {
        if (ngx_errno == E2BIG) {
            return ngx_http_s3_send_error(r,
                                          ngx_http_s3_tags_too_many(ctx, max));
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, ngx_errno,
                      "s3 tagging: malformed XML body");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    for (i = 0; i < xml.ntags; i++) {
        err = ngx_http_s3_tags_add(ctx, &tags, &xml.tags[i].key,
                                   &xml.tags[i].value);
        if (err != NGX_HTTP_S3_OK) {
            return ngx_http_s3_send_error(r, err);
        }
    }

    ctx->rec.tags.data = tags.buf;
    ctx->rec.tags.len = tags.len;

    if (ctx->op == S3_OP_PUT_BUCKET_TAGGING) {
        return ngx_http_s3_set_bucket_attrs(r, ctx);
    }

    return ngx_http_s3_set_object_attrs(r, ctx);
}


/* DeleteObjectTagging, DeleteBucketTagging */

ngx_int_t
ngx_http_s3_delete_tagging(ngx_http_request_t *r)
{
    s3_record_t         brec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_memzero(&ctx->rec.tags, sizeof(s3_str_t));

    if (ctx->op == S3_OP_DELETE_BUCKET_TAGGING) {
        return ngx_http_s3_set_bucket_attrs(r, ctx);
    }

    return ngx_http_s3_set_object_attrs(r, ctx);
}


/*
 * ctx->rec.tags become the object's, in a thread task, or its acl for
 * PutObjectAcl (ngx_http_s3_acl.c)
 */

ngx_int_t
ngx_http_s3_set_object_attrs(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ctx->rec.bucket.data = (char *) ctx->bucket.data;
    ctx->rec.bucket.len = ctx->bucket.len;
    ctx->rec.key.data = (char *) ctx->key.data;
    ctx->rec.key.len = ctx->key.len;

    return ngx_http_s3_task_post(r, ngx_http_s3_tagging_run,
                                 ngx_http_s3_tagging_done, ctx);
}


static void
ngx_http_s3_tagging_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t *ctx = t->data;

    unsigned  which;

    which = (ctx->op == S3_OP_PUT_OBJECT_ACL) ? S3_STORE_ATTR_ACL
                                                      : S3_STORE_ATTR_TAGS;

    t->rc = s3_store_set_object_attrs(&ctx->store, &ctx->rec, which);
}


static ngx_int_t
ngx_http_s3_tagging_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = t->data;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_NO_SUCH_KEY,
                                 "s3_store_set_object_attrs()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    ngx_http_s3_notify(r);

    if (ctx->op == S3_OP_DELETE_OBJECT_TAGGING) {
        return ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}
