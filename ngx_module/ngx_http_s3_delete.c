
/*
 * Copyright (C) ngx_s3 developers
 *
 * DeleteObjects (POST /bucket?delete): the body, checked against its
 * Content-MD5 or x-amz-checksum-<algorithm>, is parsed by core/s3_xml.c;
 * the keys are deleted one by one in a single thread-pool task with
 * s3_store_delete_object(), which journals each delete as DeleteObject
 * does, and the answer lists every key's outcome.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_DELETE_MAX_KEYS  1000


/* one key's outcome */
typedef struct {
    ngx_http_s3_err_e          refused;       /* OK: the store was asked */
    int                        rc;            /* s3_store_delete_object() */
    ngx_err_t                  err;           /* errno when rc is S3_ERR */
} ngx_http_s3_delete_key_t;


typedef struct {
    ngx_http_s3_ctx_t         *ctx;
    s3_xml_delete_t            xml;
    ngx_http_s3_delete_key_t  *keys;          /* one per xml.objects[] */
} ngx_http_s3_delete_t;


static ngx_int_t ngx_http_s3_delete_parse(ngx_http_request_t *r,
    u_char *buf, size_t len);
static ngx_http_s3_err_e ngx_http_s3_delete_check(ngx_http_s3_delete_t *d);
static void ngx_http_s3_delete_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_delete_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);
static ngx_http_s3_err_e ngx_http_s3_delete_outcome(ngx_http_request_t *r,
    ngx_http_s3_delete_t *d, ngx_http_s3_delete_key_t *k);
static size_t ngx_http_s3_delete_len(s3_xml_object_t *o,
    ngx_http_s3_err_e err);
static u_char *ngx_http_s3_delete_write(u_char *p, s3_xml_object_t *o,
    ngx_http_s3_err_e err);


ngx_int_t
ngx_http_s3_delete_objects(ngx_http_request_t *r)
{
    s3_record_t         brec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, 0, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_read_xml_body_md5(r, ngx_http_s3_delete_parse);
}


static ngx_int_t
ngx_http_s3_delete_parse(ngx_http_request_t *r, u_char *buf, size_t len)
{
    ngx_http_s3_err_e      err;
    ngx_http_s3_delete_t  *d;

    d = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_delete_t));
    if (d == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    d->ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    d->xml.max = NGX_HTTP_S3_DELETE_MAX_KEYS;
    d->xml.objects = ngx_palloc(r->pool, NGX_HTTP_S3_DELETE_MAX_KEYS
                                         * sizeof(s3_xml_object_t));
    if (d->xml.objects == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    /* more than 1000 objects (E2BIG) are MalformedXML too, as S3 has it */

    if (s3_xml_parse_delete((char *) buf, len, &d->xml) != S3_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, ngx_errno,
                      "s3 delete objects: malformed XML body");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_MALFORMED_XML);
    }

    d->keys = ngx_pcalloc(r->pool, d->xml.nobjects
                                   * sizeof(ngx_http_s3_delete_key_t));
    if (d->keys == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_delete_check(d);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_delete_run,
                                 ngx_http_s3_delete_done, d);
}


/*
 * An empty key refuses the whole request; a key too long, or a version
 * other than "null" (the version of every object of an unversioned
 * bucket), is an error of that key only.
 */

static ngx_http_s3_err_e
ngx_http_s3_delete_check(ngx_http_s3_delete_t *d)
{
    size_t            i;
    s3_xml_object_t  *o;

    for (i = 0; i < d->xml.nobjects; i++) {
        o = &d->xml.objects[i];

        if (o->key.len == 0) {
            return NGX_HTTP_S3_USER_KEY_MUST_BE_SPECIFIED;
        }

        if (o->key.len > S3_KEY_MAX_LEN) {
            d->keys[i].refused = NGX_HTTP_S3_KEY_TOO_LONG;

        } else if (o->version_id.len != 0
                   && (o->version_id.len != sizeof("null") - 1
                       || ngx_strncmp(o->version_id.data, "null",
                                      sizeof("null") - 1)
                          != 0))
        {
            d->keys[i].refused = NGX_HTTP_S3_NO_SUCH_VERSION;
        }
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_delete_run(ngx_http_s3_task_t *t)
{
    size_t                     i;
    s3_xml_object_t           *o;
    ngx_http_s3_ctx_t         *ctx;
    ngx_http_s3_delete_t      *d;
    ngx_http_s3_delete_key_t  *k;

    d = t->data;
    ctx = d->ctx;

    for (i = 0; i < d->xml.nobjects; i++) {
        o = &d->xml.objects[i];
        k = &d->keys[i];

        if (k->refused != NGX_HTTP_S3_OK) {
            continue;
        }

        k->rc = s3_store_delete_object(&ctx->store, (char *) ctx->bucket.data,
                                       ctx->bucket.len, o->key.data,
                                       o->key.len);
        if (k->rc == S3_ERR) {
            k->err = ngx_errno;
        }
    }

    t->rc = S3_OK;
}


/*
 * <DeleteResult><Deleted><Key/></Deleted>...<Error><Key/><Code/><Message/>
 * </Error>...</DeleteResult>; a quiet request hears of errors only.
 */

static ngx_int_t
ngx_http_s3_delete_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    u_char                *p;
    size_t                 i, len;
    ngx_buf_t             *b;
    ngx_uint_t             changed;
    ngx_http_s3_err_e     *errs;
    ngx_http_s3_delete_t  *d;

    d = t->data;

    errs = ngx_palloc(r->pool, d->xml.nobjects * sizeof(ngx_http_s3_err_e));
    if (errs == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    len = sizeof(NGX_HTTP_S3_XML_DECL "<DeleteResult xmlns=\""
                 NGX_HTTP_S3_XMLNS "\"></DeleteResult>");
    changed = 0;

    for (i = 0; i < d->xml.nobjects; i++) {
        errs[i] = ngx_http_s3_delete_outcome(r, d, &d->keys[i]);

        if (d->keys[i].refused == NGX_HTTP_S3_OK && d->keys[i].rc == S3_OK) {
            changed = 1;
        }

        if (errs[i] != NGX_HTTP_S3_OK || !d->xml.quiet) {
            len += ngx_http_s3_delete_len(&d->xml.objects[i], errs[i]);
        }
    }

    if (changed) {
        ngx_http_s3_notify(r);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<DeleteResult xmlns=\""
                   NGX_HTTP_S3_XMLNS "\">",
                   sizeof(NGX_HTTP_S3_XML_DECL "<DeleteResult xmlns=\""
                          NGX_HTTP_S3_XMLNS "\">") - 1);

    for (i = 0; i < d->xml.nobjects; i++) {
        if (errs[i] != NGX_HTTP_S3_OK || !d->xml.quiet) {
            p = ngx_http_s3_delete_write(p, &d->xml.objects[i], errs[i]);
        }
    }

    b->last = ngx_cpymem(p, "</DeleteResult>",
                         sizeof("</DeleteResult>") - 1);

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, b);
}


/* a key that was not there is deleted, as S3 reports it */

static ngx_http_s3_err_e
ngx_http_s3_delete_outcome(ngx_http_request_t *r, ngx_http_s3_delete_t *d,
    ngx_http_s3_delete_key_t *k)
{
    if (k->refused != NGX_HTTP_S3_OK) {
        return k->refused;
    }

    return ngx_http_s3_store_error(r->connection->log, k->rc, k->err,
                                   NGX_HTTP_S3_OK, "s3_store_delete_object()",
                                   (char *) d->ctx->bucket.data);
}


static size_t
ngx_http_s3_delete_len(s3_xml_object_t *o, ngx_http_s3_err_e err)
{
    size_t      len;
    ngx_str_t  *code, *message;

    len = sizeof("<Deleted><Key></Key></Deleted>")
          + s3_xml_escape(NULL, o->key.data, o->key.len);

    if (o->version_id.len) {
        len += sizeof("<VersionId></VersionId>")
               + s3_xml_escape(NULL, o->version_id.data, o->version_id.len);
    }

    if (err != NGX_HTTP_S3_OK) {
        ngx_http_s3_error_text(err, &code, &message);

        len += sizeof("<Code></Code><Message></Message>") + code->len
               + s3_xml_escape(NULL, (char *) message->data, message->len);
    }

    return len;
}


static u_char *
ngx_http_s3_delete_write(u_char *p, s3_xml_object_t *o,
    ngx_http_s3_err_e err)
{
    ngx_str_t  *code, *message;

    if (err == NGX_HTTP_S3_OK) {
        p = ngx_cpymem(p, "<Deleted>", sizeof("<Deleted>") - 1);

    } else {
        p = ngx_cpymem(p, "<Error>", sizeof("<Error>") - 1);
    }

    p = ngx_http_s3_xml_element(p, "Key", (u_char *) o->key.data,
                                o->key.len);

    if (o->version_id.len) {
        p = ngx_http_s3_xml_element(p, "VersionId",
                                    (u_char *) o->version_id.data,
                                    o->version_id.len);
    }

    if (err == NGX_HTTP_S3_OK) {
        return ngx_cpymem(p, "</Deleted>", sizeof("</Deleted>") - 1);
    }

    ngx_http_s3_error_text(err, &code, &message);

    p = ngx_http_s3_xml_element(p, "Code", code->data, code->len);
    p = ngx_http_s3_xml_element(p, "Message", message->data, message->len);

    return ngx_cpymem(p, "</Error>", sizeof("</Error>") - 1);
}
