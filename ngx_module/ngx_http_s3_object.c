
/*
 * Copyright (C) ngx_s3 developers
 *
 * GetObject, HeadObject and DeleteObject.  GET and HEAD open the object
 * file in the worker, read its record and send [0, size) of it, as
 * ngx_http_static_handler() sends a file.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


/*
 * GET of an object up to this size sends its bytes from memory when the
 * page cache holds them: copying 32 KiB costs less than the thread hop of
 * sendfile() with `aio threads`.
 */
#define NGX_HTTP_S3_INLINE_MAX  (32 * 1024)


typedef struct {
    ngx_str_t                  name;          /* as stored, lowercase */
    ngx_str_t                  out;           /* as sent */
} ngx_http_s3_header_name_t;


static ngx_int_t ngx_http_s3_object_headers(ngx_http_request_t *r,
    s3_record_t *rec);
static ngx_int_t ngx_http_s3_stored_header(ngx_http_request_t *r,
    s3_str_t *name, s3_str_t *value);
static ngx_uint_t ngx_http_s3_override(ngx_http_request_t *r,
    s3_str_t *name, s3_str_t *value);
static ngx_uint_t ngx_http_s3_has_override(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_overrides(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_tagging_count(ngx_http_request_t *r,
    s3_record_t *rec);
static ngx_uint_t ngx_http_s3_etag_match(ngx_table_elt_t *h,
    s3_record_t *rec);
static ngx_int_t ngx_http_s3_check_range(ngx_http_request_t *r,
    s3_record_t *rec);
static ngx_uint_t ngx_http_s3_if_range(ngx_http_request_t *r,
    s3_record_t *rec);
static ngx_int_t ngx_http_s3_parse_range(ngx_str_t *spec, off_t size,
    off_t *from, off_t *to);
static ngx_int_t ngx_http_s3_range_error(ngx_http_request_t *r,
    s3_record_t *rec);
static ngx_int_t ngx_http_s3_send_object(ngx_http_request_t *r,
    ngx_file_t *file, s3_record_t *rec);
static ngx_buf_t *ngx_http_s3_cached_bytes(ngx_http_request_t *r,
    ngx_file_t *file, s3_record_t *rec);
static void ngx_http_s3_delete_object_run(ngx_http_s3_task_t *t);
static ngx_int_t ngx_http_s3_delete_object_done(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);


static ngx_http_s3_header_name_t  ngx_http_s3_header_names[] = {
    { ngx_string("cache-control"), ngx_string("Cache-Control") },
    { ngx_string("content-disposition"), ngx_string("Content-Disposition") },
    { ngx_string("content-encoding"), ngx_string("Content-Encoding") },
    { ngx_string("content-language"), ngx_string("Content-Language") },
    { ngx_string("expires"), ngx_string("Expires") },
    { ngx_null_string, ngx_null_string }
};


/* the stored headers GetObject's response-* query parameters override */

static ngx_str_t  ngx_http_s3_overridable[] = {
    ngx_string("cache-control"),
    ngx_string("content-disposition"),
    ngx_string("content-encoding"),
    ngx_string("content-language"),
    ngx_string("content-type"),
    ngx_string("expires"),
    ngx_null_string
};


ngx_int_t
ngx_http_s3_get_object(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_file_t              *file;
    s3_record_t              brec, rec;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_err_e        err;
    ngx_http_s3_conditions_t  cond;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (ctx->anonymous && ngx_http_s3_has_override(r)) {
        ngx_str_set(&ctx->message, "Request specific response headers "
                    "cannot be used for anonymous GET requests.");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_REQUEST);
    }

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    if (file == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    err = ngx_http_s3_open_object(r, &ctx->bucket, &ctx->key, 1, file, &rec);
    err = ngx_http_s3_auth_object(r, ctx, &brec, &rec, err);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    r->allow_ranges = 1;
    r->single_range = 1;
    r->disable_not_modified = 1;

    cond.if_match = r->headers_in.if_match;
    cond.if_unmodified_since = r->headers_in.if_unmodified_since;
    cond.if_none_match = r->headers_in.if_none_match;
    cond.if_modified_since = r->headers_in.if_modified_since;

    rc = ngx_http_s3_conditions(&cond, &rec);

    if (rc == NGX_HTTP_PRECONDITION_FAILED) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_PRECONDITION_FAILED);
    }

    if (rc == NGX_OK
        && ngx_http_s3_check_range(r, &rec) == NGX_HTTP_RANGE_NOT_SATISFIABLE)
    {
        return ngx_http_s3_range_error(r, &rec);
    }

    /* HEAD answers from the record, unless it asks about a part's bytes */

    if (rc == NGX_OK && rec.holders.len != 0
        && (r->method != NGX_HTTP_HEAD || ctx->part_number != 0))
    {
        return ngx_http_s3_send_error(r, ngx_http_s3_bytes_elsewhere(r,
                                                                     &rec));
    }

    if (ngx_http_s3_object_headers(r, &rec) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (rc == NGX_HTTP_NOT_MODIFIED) {
        r->headers_out.content_type_len = 0;
        ngx_str_null(&r->headers_out.content_type);
        r->headers_out.content_length_n = -1;
        r->header_only = 1;
        r->headers_out.status = NGX_HTTP_NOT_MODIFIED;
        return ngx_http_send_header(r);
    }

    if (rec.parts.len != 0 && rec.holders.len == 0) {
        return ngx_http_s3_send_parts(r, &rec);
    }

    if (ctx->part_number > 1) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_PART_NUMBER);
    }

    return ngx_http_s3_send_object(r, file, &rec);
}


static ngx_int_t
ngx_http_s3_object_headers(ngx_http_request_t *r, s3_record_t *rec)
{
    size_t    pos;
    s3_str_t  name, value;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = rec->size;
    r->headers_out.last_modified_time = rec->mtime_ms / 1000;

    ngx_str_set(&r->headers_out.content_type, "binary/octet-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    pos = 0;

    while (s3_record_next_header(rec, &pos, &name, &value)) {
        if (!ngx_http_s3_override(r, &name, NULL)
            && ngx_http_s3_stored_header(r, &name, &value) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_s3_overrides(r) != NGX_OK
        || ngx_http_s3_tagging_count(r, rec) != NGX_OK
        || ngx_http_s3_checksum_out(r, rec) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_s3_set_etag(r, rec->md5, s3_record_nparts(rec));
}


/*
 * Finds the response-<name> query parameter overriding the stored header
 * name; its raw value goes to value when not NULL.
 */

static ngx_uint_t
ngx_http_s3_override(ngx_http_request_t *r, s3_str_t *name,
    s3_str_t *value)
{
    u_char              arg[sizeof("response-content-disposition")];
    ngx_str_t           v;
    ngx_http_s3_ctx_t  *ctx;

    if (name->len > sizeof("content-disposition") - 1) {
        return 0;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    *ngx_cpymem(ngx_cpymem(arg, "response-", sizeof("response-") - 1),
                name->data, name->len) = '\0';

    if (!ngx_http_s3_query_arg(ctx, (char *) arg, &v)) {
        return 0;
    }

    if (value != NULL) {
        value->data = (char *) v.data;
        value->len = v.len;
    }

    return 1;
}


static ngx_uint_t
ngx_http_s3_has_override(ngx_http_request_t *r)
{
    s3_str_t    name;
    ngx_str_t  *s;

    for (s = ngx_http_s3_overridable; s->len; s++) {
        name.data = (char *) s->data;
        name.len = s->len;

        if (ngx_http_s3_override(r, &name, NULL)) {
            return 1;
        }
    }

    return 0;
}


/* response-content-type and the like: decoded, they replace the stored */

static ngx_int_t
ngx_http_s3_overrides(ngx_http_request_t *r)
{
    u_char     *p;
    ssize_t     n;
    s3_str_t    name, value;
    ngx_str_t  *s;

    for (s = ngx_http_s3_overridable; s->len; s++) {
        name.data = (char *) s->data;
        name.len = s->len;

        if (!ngx_http_s3_override(r, &name, &value)) {
            continue;
        }

        p = ngx_pnalloc(r->pool, value.len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        n = s3_uri_decode((char *) p, value.data, value.len, 0);
        if (n < 0) {
            n = 0;
        }

        value.data = (char *) p;
        value.len = n;

        if (ngx_http_s3_stored_header(r, &name, &value) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_tagging_count(ngx_http_request_t *r, s3_record_t *rec)
{
    size_t            pos, n;
    s3_str_t          name, value;
    s3_record_t       tags;
    ngx_table_elt_t  *h;

    tags.headers = rec->tags;
    pos = 0;

    for (n = 0; s3_record_next_header(&tags, &pos, &name, &value); n++) {
        /* void */
    }

    if (n == 0) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_SIZE_T_LEN);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-tagging-count");
    h->value.len = ngx_sprintf(h->value.data, "%uz", n) - h->value.data;

    return NGX_OK;
}


/* Sets the ETag header, as S3 sends it (see ngx_http_s3_etag()). */

ngx_int_t
ngx_http_s3_set_etag(ngx_http_request_t *r, u_char *md5, size_t nparts)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_S3_ETAG_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "ETag");
    h->value.data = p;
    h->value.len = ngx_http_s3_etag(p, md5, nparts) - p;

    r->headers_out.etag = h;

    return NGX_OK;
}


/*
 * Writes an ETag, at most NGX_HTTP_S3_ETAG_LEN bytes: the quoted hex MD5,
 * followed by "-N" inside the quotes for an object of N parts.
 */

u_char *
ngx_http_s3_etag(u_char *p, u_char *md5, size_t nparts)
{
    *p++ = '"';
    p = (u_char *) s3_hex_encode((char *) p, md5, S3_MD5_LEN);

    if (nparts != 0) {
        p = ngx_sprintf(p, "-%uz", nparts);
    }

    *p++ = '"';

    return p;
}


static ngx_int_t
ngx_http_s3_stored_header(ngx_http_request_t *r, s3_str_t *name,
    s3_str_t *value)
{
    ngx_table_elt_t            *h;
    ngx_http_s3_header_name_t  *hn;

    if (name->len == sizeof("content-type") - 1
        && ngx_strncmp(name->data, "content-type", name->len) == 0)
    {
        r->headers_out.content_type.data = (u_char *) value->data;
        r->headers_out.content_type.len = value->len;
        r->headers_out.content_type_len = value->len;
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name->data;
    h->key.len = name->len;
    h->value.data = (u_char *) value->data;
    h->value.len = value->len;

    for (hn = ngx_http_s3_header_names; hn->name.len; hn++) {
        if (hn->name.len == name->len
            && ngx_strncmp(hn->name.data, name->data, name->len) == 0)
        {
            h->key = hn->out;
            break;
        }
    }

    if (h->key.len == sizeof("Content-Encoding") - 1
        && ngx_strncmp(h->key.data, "Content-Encoding", h->key.len) == 0)
    {
        r->headers_out.content_encoding = h;
    }

    return NGX_OK;
}


/*
 * S3's rules, evaluated here so that a failed condition gets an XML body
 * (nginx's not_modified filter would answer 412 in HTML): If-Match before
 * If-Unmodified-Since, If-None-Match before If-Modified-Since.  GET passes
 * the If-* headers, CopyObject and UploadPartCopy the
 * x-amz-copy-source-if-* ones.  Returns NGX_OK,
 * NGX_HTTP_PRECONDITION_FAILED or NGX_HTTP_NOT_MODIFIED.
 */

ngx_int_t
ngx_http_s3_conditions(ngx_http_s3_conditions_t *c, s3_record_t *rec)
{
    time_t            t, mtime;
    ngx_table_elt_t  *h;

    mtime = rec->mtime_ms / 1000;

    if (c->if_match != NULL) {
        if (!ngx_http_s3_etag_match(c->if_match, rec)) {
            return NGX_HTTP_PRECONDITION_FAILED;
        }

    } else if (c->if_unmodified_since != NULL) {
        h = c->if_unmodified_since;
        t = ngx_parse_http_time(h->value.data, h->value.len);

        if (t != NGX_ERROR && mtime > t) {
            return NGX_HTTP_PRECONDITION_FAILED;
        }
    }

    if (c->if_none_match != NULL) {
        if (ngx_http_s3_etag_match(c->if_none_match, rec)) {
            return NGX_HTTP_NOT_MODIFIED;
        }

    } else if (c->if_modified_since != NULL) {
        h = c->if_modified_since;
        t = ngx_parse_http_time(h->value.data, h->value.len);

        if (t != NGX_ERROR && mtime <= t) {
            return NGX_HTTP_NOT_MODIFIED;
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_s3_etag_match(ngx_table_elt_t *h, s3_record_t *rec)
{
    u_char  hex[2 * S3_MD5_LEN];

    if (h->value.len == 1 && h->value.data[0] == '*') {
        return 1;
    }

    if (h->value.len < 2 * S3_MD5_LEN) {
        return 0;
    }

    (void) s3_hex_encode((char *) hex, rec->md5, S3_MD5_LEN);

    return ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                            hex, 2 * S3_MD5_LEN - 1)
           != NULL;
}


/*
 * nginx's range filter answers an unsatisfiable or malformed range with an
 * HTML 416 page: we judge the Range first and answer in XML, leaving the
 * filter only single satisfiable ranges.  Several ranges and malformed
 * ones are ignored, as S3 does; an If-Range that does not match is left to
 * the filter, which then sends the whole object.
 */

static ngx_int_t
ngx_http_s3_check_range(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    h = r->headers_in.range;

    if (h == NULL || !ngx_http_s3_if_range(r, rec)) {
        return NGX_OK;
    }

    rc = NGX_DECLINED;

    if (h->value.len >= sizeof("bytes=") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "bytes=",
                           sizeof("bytes=") - 1) == 0
        && ngx_strlchr(h->value.data, h->value.data + h->value.len, ',')
           == NULL)
    {
        rc = ngx_http_s3_parse_range(&h->value, rec->size, NULL, NULL);
    }

    if (rc == NGX_DECLINED) {

        /* S3 ignores a Range it cannot use: the whole object is sent */

        r->allow_ranges = 0;
        return NGX_OK;
    }

    return rc;
}


/* returns 1 when there is no If-Range or it matches, as nginx decides */

static ngx_uint_t
ngx_http_s3_if_range(ngx_http_request_t *r, s3_record_t *rec)
{
    time_t            t;
    ngx_table_elt_t  *h;

    h = r->headers_in.if_range;

    if (h == NULL) {
        return 1;
    }

    if (h->value.len >= 2 && h->value.data[h->value.len - 1] == '"') {
        return ngx_http_s3_etag_match(h, rec);
    }

    t = ngx_parse_http_time(h->value.data, h->value.len);

    return t == (time_t) (rec->mtime_ms / 1000);
}


/*
 * The single range a GET asks for, once ngx_http_s3_check_range() has
 * accepted it: NGX_OK with [*start, *end), or NGX_DECLINED when the whole
 * object is to be sent.
 */

ngx_int_t
ngx_http_s3_range(ngx_http_request_t *r, off_t size, off_t *start,
    off_t *end)
{
    ngx_table_elt_t  *h;

    h = r->headers_in.range;

    if (h == NULL || !r->allow_ranges) {
        return NGX_DECLINED;
    }

    return ngx_http_s3_parse_range(&h->value, size, start, end);
}


/*
 * Parses "bytes=START-[END]" or "bytes=-SUFFIX".  Returns NGX_OK for a
 * satisfiable range (set in [*from, *to) when from is not NULL),
 * NGX_HTTP_RANGE_NOT_SATISFIABLE, or NGX_DECLINED for a malformed one.
 */

static ngx_int_t
ngx_http_s3_parse_range(ngx_str_t *spec, off_t size, off_t *from, off_t *to)
{
    u_char      *p, *last;
    off_t        start, end;
    ngx_uint_t   suffix, open;

    p = spec->data + sizeof("bytes=") - 1;
    last = spec->data + spec->len;

    suffix = (p < last && *p == '-');
    start = 0;
    end = 0;

    for ( /* void */ ; p < last && *p >= '0' && *p <= '9'; p++) {
        if (start >= NGX_MAX_OFF_T_VALUE / 10) {
            return NGX_HTTP_RANGE_NOT_SATISFIABLE;
        }

        start = start * 10 + (*p - '0');
    }

    if (p == last || *p++ != '-') {
        return NGX_DECLINED;
    }

    open = (p == last);

    for ( /* void */ ; p < last && *p >= '0' && *p <= '9'; p++) {
        if (end >= NGX_MAX_OFF_T_VALUE / 10) {
            return NGX_DECLINED;
        }

        end = end * 10 + (*p - '0');
    }

    if (p != last || (suffix && open)) {
        return NGX_DECLINED;
    }

    if (suffix) {
        if (end == 0 || size == 0) {
            return NGX_HTTP_RANGE_NOT_SATISFIABLE;
        }

        start = (end < size) ? size - end : 0;
        end = size - 1;

    } else if (!open && end < start) {
        return NGX_DECLINED;

    } else if (start >= size) {
        return NGX_HTTP_RANGE_NOT_SATISFIABLE;

    } else if (open || end >= size) {
        end = size - 1;
    }

    if (from != NULL) {
        *from = start;
        *to = end + 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_range_error(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, sizeof("bytes */") - 1
                                         + NGX_OFF_T_LEN);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Content-Range");
    h->value.len = ngx_sprintf(h->value.data, "bytes */%O",
                               (off_t) rec->size)
                   - h->value.data;

    return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_RANGE);
}


static ngx_int_t
ngx_http_s3_send_object(ngx_http_request_t *r, ngx_file_t *file,
    s3_record_t *rec)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    /* we need to allocate all before the header would be sent */

    b = ngx_http_s3_cached_bytes(r, file, rec);

    if (b != NULL) {
        goto send;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    b->file_pos = 0;
    b->file_last = rec->size;

    b->in_file = b->file_last ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (b->last_buf || b->in_file) ? 0 : 1;

    b->file = file;

send:

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * The body of a small object that the page cache holds, read into memory
 * without waiting for the disk (RWF_NOWAIT), or NULL: it goes out with
 * the headers in one writev(), where sendfile() with `aio threads` costs
 * a hop to a thread of the pool and back.  A body that is not all cached
 * (EAGAIN, a short read) goes by sendfile() as usual.
 */

static ngx_buf_t *
ngx_http_s3_cached_bytes(ngx_http_request_t *r, ngx_file_t *file,
    s3_record_t *rec)
{
    ssize_t       n;
    ngx_buf_t    *b;
    struct iovec  iov;

    /* r->header_only of a HEAD is set by the header filter, later */

    if (r->header_only || r->method == NGX_HTTP_HEAD || rec->size == 0
        || rec->size > NGX_HTTP_S3_INLINE_MAX)
    {
        return NULL;
    }

    b = ngx_create_temp_buf(r->pool, (size_t) rec->size);
    if (b == NULL) {
        return NULL;
    }

    iov.iov_base = b->pos;
    iov.iov_len = (size_t) rec->size;

    n = preadv2(file->fd, &iov, 1, 0, RWF_NOWAIT);

    if (n != (ssize_t) rec->size) {
        return NULL;
    }

    b->last = b->pos + n;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return b;
}


ngx_int_t
ngx_http_s3_delete_object(ngx_http_request_t *r)
{
    s3_record_t         brec;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &brec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_task_post(r, ngx_http_s3_delete_object_run,
                                 ngx_http_s3_delete_object_done, ctx);
}


static void
ngx_http_s3_delete_object_run(ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t *ctx = t->data;

    t->rc = s3_store_delete_object(&ctx->store, (char *) ctx->bucket.data,
                                   ctx->bucket.len, (char *) ctx->key.data,
                                   ctx->key.len);
}


static ngx_int_t
ngx_http_s3_delete_object_done(ngx_http_request_t *r, ngx_http_s3_task_t *t)
{
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    ctx = t->data;

    err = ngx_http_s3_task_error(r, t, NGX_HTTP_S3_OK,
                                 "s3_store_delete_object()");
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    if (t->rc == S3_OK) {
        ngx_http_s3_ocache_forget(r, &ctx->bucket, &ctx->key);
        ngx_http_s3_notify(r);
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
}
