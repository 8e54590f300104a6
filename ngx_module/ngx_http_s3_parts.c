
/*
 * Copyright (C) ngx_s3 developers
 *
 * GET and HEAD of a multipart object: the slice a Range or ?partNumber
 * asks for, and the body as file buffers across the part files, sent in
 * batches of at most NGX_HTTP_S3_PARTS_BATCH open part files so that an
 * object of any number of parts fits the worker's descriptor limit.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_PARTS_BATCH  64


/* the body of one GET: [start, end) of the object, batch by batch */
typedef struct {
    s3_record_t                rec;
    off_t                      start;
    off_t                      end;
    off_t                      off;           /* where part "next" starts */
    size_t                     next;          /* the next part to look at */
    ngx_chain_t               *out;           /* the batch to send */
    ngx_log_t                 *log;
    ngx_uint_t                 nfiles;        /* open in files[] */
    ngx_file_t                *files[NGX_HTTP_S3_PARTS_BATCH];
    unsigned                   last:1;        /* out ends the body */
} ngx_http_s3_parts_t;


static ngx_http_s3_err_e ngx_http_s3_parts_slice(ngx_http_request_t *r,
    s3_record_t *rec, off_t *start, off_t *end);
static ngx_http_s3_err_e ngx_http_s3_parts_header(ngx_http_request_t *r,
    char *name, off_t value, off_t start, off_t end, off_t size);
static ngx_http_s3_parts_t *ngx_http_s3_parts_create(ngx_http_request_t *r,
    s3_record_t *rec, off_t start, off_t end);
static ngx_int_t ngx_http_s3_parts_batch(ngx_http_request_t *r,
    ngx_http_s3_parts_t *p);
static ngx_file_t *ngx_http_s3_parts_open(ngx_http_request_t *r,
    ngx_http_s3_parts_t *p, uint32_t number);
static void ngx_http_s3_parts_close(void *data);
static ngx_int_t ngx_http_s3_parts_send(ngx_http_request_t *r,
    ngx_http_s3_parts_t *p);
static ngx_int_t ngx_http_s3_parts_wait(ngx_http_request_t *r);
static void ngx_http_s3_parts_writer(ngx_http_request_t *r);


/*
 * Sends [start, end) of the object: the whole object, the single Range
 * that ngx_http_s3_check_range() accepted, or ?partNumber.  nginx's range
 * filter is kept out (r->allow_ranges = 0): the slice is made here.  The
 * first batch is opened before the header, so that a part file that
 * cannot be opened is still an error response.
 */

ngx_int_t
ngx_http_s3_send_parts(ngx_http_request_t *r, s3_record_t *rec)
{
    off_t                 start, end;
    ngx_int_t             rc;
    ngx_http_s3_err_e     err;
    ngx_http_s3_parts_t  *p;

    err = ngx_http_s3_parts_slice(r, rec, &start, &end);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    p = NULL;

    if (!r->header_only && end > start) {
        p = ngx_http_s3_parts_create(r, rec, start, end);

        if (p == NULL || ngx_http_s3_parts_batch(r, p) != NGX_OK) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
        }
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only || p == NULL) {
        if (rc == NGX_OK && !r->header_only) {
            return ngx_http_send_special(r, NGX_HTTP_LAST);
        }

        return rc;
    }

    rc = ngx_http_s3_parts_send(r, p);

    if (rc == NGX_AGAIN && !p->last) {

        /* ngx_http_s3_parts_writer() finalizes the request */

        r->main->count++;
        return NGX_DONE;
    }

    return rc;
}


static ngx_http_s3_err_e
ngx_http_s3_parts_slice(ngx_http_request_t *r, s3_record_t *rec,
    off_t *start, off_t *end)
{
    size_t              i;
    uint32_t            number;
    uint64_t            size, off;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    *start = 0;
    *end = rec->size;

    if (ctx->part_number == 0) {
        if (ngx_http_s3_range(r, rec->size, start, end) != NGX_OK) {
            *start = 0;
            *end = rec->size;
            r->allow_ranges = 0;
            return NGX_HTTP_S3_OK;
        }

        r->allow_ranges = 0;

        return ngx_http_s3_parts_header(r, NULL, 0, *start, *end, rec->size);
    }

    r->allow_ranges = 0;

    if (ctx->part_number > s3_record_nparts(rec)) {
        return NGX_HTTP_S3_INVALID_PART_NUMBER;
    }

    off = 0;

    for (i = 0; i < ctx->part_number; i++) {
        s3_record_part(rec, i, &number, &size);
        *start = off;
        off += size;
    }

    *end = off;

    return ngx_http_s3_parts_header(r, "x-amz-mp-parts-count",
                                    s3_record_nparts(rec), *start, *end,
                                    rec->size);
}


/* 206 with Content-Range (and one more header when name is set) */

static ngx_http_s3_err_e
ngx_http_s3_parts_header(ngx_http_request_t *r, char *name, off_t value,
    off_t start, off_t end, off_t size)
{
    ngx_table_elt_t  *h;

    r->headers_out.status = NGX_HTTP_PARTIAL_CONTENT;
    r->headers_out.content_length_n = end - start;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, sizeof("bytes -/")
                                         + 3 * NGX_OFF_T_LEN);
    if (h->value.data == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Content-Range");
    h->value.len = ngx_sprintf(h->value.data, "bytes %O-%O/%O", start,
                               end - 1, size)
                   - h->value.data;

    if (end == start) {
        h->value.len = ngx_sprintf(h->value.data, "bytes */%O", size)
                       - h->value.data;
    }

    r->headers_out.content_range = h;

    if (name == NULL) {
        return NGX_HTTP_S3_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (h->value.data == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.len = ngx_sprintf(h->value.data, "%O", value) - h->value.data;

    return NGX_HTTP_S3_OK;
}



static ngx_http_s3_parts_t *
ngx_http_s3_parts_create(ngx_http_request_t *r, s3_record_t *rec,
    off_t start, off_t end)
{
    ngx_http_s3_ctx_t    *ctx;
    ngx_pool_cleanup_t   *cln;
    ngx_http_s3_parts_t  *p;

    p = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_parts_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (p == NULL || cln == NULL) {
        return NULL;
    }

    p->rec = *rec;
    p->start = start;
    p->end = end;
    p->log = r->pool->log;

    /* the pool cleanup closes the files of a batch not sent to the end */

    cln->handler = ngx_http_s3_parts_close;
    cln->data = p;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    ctx->parts = p;

    return p;
}


/*
 * Opens the part files of the next batch and chains a file buffer for
 * each.  A batch that does not end the body ends with a flush, so that
 * it leaves nginx entirely before its files are closed.
 */

static ngx_int_t
ngx_http_s3_parts_batch(ngx_http_request_t *r, ngx_http_s3_parts_t *p)
{
    off_t          from, to;
    uint32_t       number;
    uint64_t       size;
    ngx_buf_t     *b;
    ngx_file_t    *file;
    ngx_chain_t  **ll, *cl;

    b = NULL;
    ll = &p->out;

    while (p->next < s3_record_nparts(&p->rec) && p->off < p->end
           && p->nfiles < NGX_HTTP_S3_PARTS_BATCH)
    {
        s3_record_part(&p->rec, p->next++, &number, &size);

        from = (p->start > p->off) ? p->start - p->off : 0;
        to = (p->end < p->off + (off_t) size) ? p->end - p->off
                                               : (off_t) size;
        p->off += size;

        if (from >= to) {
            continue;
        }

        file = ngx_http_s3_parts_open(r, p, number);
        if (file == NULL) {
            return NGX_ERROR;
        }

        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->file = file;
        b->file_pos = from;
        b->file_last = to;
        b->in_file = 1;

        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    if (b == NULL) {
        return NGX_ERROR;
    }

    if (p->next < s3_record_nparts(&p->rec) && p->off < p->end) {
        b->flush = 1;
        return NGX_OK;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    p->last = 1;

    return NGX_OK;
}


/*
 * Opens a part file into the next slot of the batch.  A slot is used
 * again only once its batch has been sent and its file closed.
 */

static ngx_file_t *
ngx_http_s3_parts_open(ngx_http_request_t *r, ngx_http_s3_parts_t *p,
    uint32_t number)
{
    u_char             *name;
    ngx_file_t         *file;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    file = p->files[p->nfiles];

    if (file == NULL) {
        file = ngx_palloc(r->pool, sizeof(ngx_file_t));
        name = ngx_pnalloc(r->pool, NGX_MAX_PATH);

        if (file == NULL || name == NULL) {
            return NULL;
        }

        p->files[p->nfiles] = file;

    } else {
        name = file->name.data;
    }

    ngx_memzero(file, sizeof(ngx_file_t));

    file->name.data = name;
    file->fd = s3_store_open_part(ctx->store.root, &p->rec, number,
                                  (char *) name);

    if (file->fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "s3 part %uD of \"%V\" cannot be opened", number,
                      &ctx->key);
        return NULL;
    }

    p->nfiles++;

    file->name.len = ngx_strlen(name);
    file->log = r->connection->log;

    return file;
}


/* Closes the files of the batch: once it was sent, or with the pool. */

static void
ngx_http_s3_parts_close(void *data)
{
    ngx_http_s3_parts_t *p = data;

    ngx_uint_t  i;

    for (i = 0; i < p->nfiles; i++) {
        if (ngx_close_file(p->files[i]->fd) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, p->log, ngx_errno,
                          ngx_close_file_n " \"%s\" failed",
                          p->files[i]->name.data);
        }
    }

    p->nfiles = 0;
}


/*
 * Passes the batch in p->out (NULL: only what is still buffered) to the
 * output filters, and the next batches while each leaves at once.  Once
 * the batch that ends the body is passed (p->last), it is left to nginx
 * as any last buffer is, and the output filter status is returned.
 * Before, NGX_AGAIN means that a batch is still buffered, and that
 * ngx_http_s3_parts_writer() goes on when the client takes it.
 */

static ngx_int_t
ngx_http_s3_parts_send(ngx_http_request_t *r, ngx_http_s3_parts_t *p)
{
    ngx_int_t  rc;

    for ( ;; ) {
        rc = ngx_http_output_filter(r, p->out);
        p->out = NULL;

        if (rc == NGX_ERROR || p->last) {
            return rc;
        }

        if (r->buffered || r->postponed || r->connection->buffered
            || r->out != NULL)
        {
            return ngx_http_s3_parts_wait(r);
        }

        ngx_http_s3_parts_close(p);

        if (ngx_http_s3_parts_batch(r, p) != NGX_OK) {
            return NGX_ERROR;
        }
    }
}


/* as ngx_http_writer() waits for a buffered response */

static ngx_int_t
ngx_http_s3_parts_wait(ngx_http_request_t *r)
{
    ngx_event_t               *wev;
    ngx_http_core_loc_conf_t  *clcf;

    wev = r->connection->write;
    clcf = ngx_http_get_module_loc_conf(r->main, ngx_http_core_module);

    r->write_event_handler = ngx_http_s3_parts_writer;

    if (!wev->delayed) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


static void
ngx_http_s3_parts_writer(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_event_t          *wev;
    ngx_connection_t     *c;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_parts_t  *p;

    c = r->connection;
    wev = c->write;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "client timed out");
        c->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    p = ctx->parts;

    if (wev->delayed || r->aio) {
        rc = ngx_http_s3_parts_wait(r);

    } else {
        rc = ngx_http_s3_parts_send(r, p);
    }

    if (rc == NGX_AGAIN && !p->last) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}
