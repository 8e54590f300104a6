
/*
 * Copyright (C) ngx_s3 developers
 *
 * ListObjects and ListObjectsV2: answered by repld from its catalog.  The
 * worker checks the bucket, connects to DATA/repld.list.sock without
 * blocking (one connection per listing), sends one request frame
 * (s3_listproto.h) and relays the response to the client as it arrives,
 * through one fixed buffer: repld is read only once the client has taken
 * what was read before.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_LIST_BUFFER  16384
#define NGX_HTTP_S3_LIST_HEAD    (S3_LISTPROTO_HEADER_LEN                   \
                                  + S3_LISTPROTO_STATUS_LEN)


typedef struct {
    ngx_http_request_t        *request;
    ngx_http_s3_root_t        *root;
    ngx_connection_t          *peer;          /* to repld, NULL: closed */
    ngx_buf_t                 *frame;         /* the request frame */
    ngx_buf_t                 *buf;           /* the relay buffer */
    ngx_chain_t               *out;           /* buf, not yet passed on */
    ngx_chain_t                link;
    ngx_msec_t                 timeout;
    off_t                      rest;          /* body bytes still to read */
    size_t                     head_len;
    u_char                     head[NGX_HTTP_S3_LIST_HEAD];
    unsigned                   header_sent:1;
} ngx_http_s3_list_ctx_t;


static ngx_http_s3_list_ctx_t *ngx_http_s3_list_create(ngx_http_request_t *r,
    s3_record_t *rec);
static ngx_int_t ngx_http_s3_list_frame(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc, s3_record_t *rec);
static ngx_int_t ngx_http_s3_list_connect(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static ngx_int_t ngx_http_s3_list_unreachable(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc, ngx_err_t err);
static void ngx_http_s3_list_write_handler(ngx_event_t *wev);
static void ngx_http_s3_list_send(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static void ngx_http_s3_list_read_handler(ngx_event_t *rev);
static void ngx_http_s3_list_read_header(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static ngx_int_t ngx_http_s3_list_send_header(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static void ngx_http_s3_list_downstream(ngx_http_request_t *r);
static void ngx_http_s3_list_relay(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc, ngx_uint_t do_write);
static ngx_int_t ngx_http_s3_list_read_body(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static ngx_int_t ngx_http_s3_list_events(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static void ngx_http_s3_list_timeout(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc);
static void ngx_http_s3_list_fail(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc, char *reason);
static void ngx_http_s3_list_finalize(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc, ngx_int_t rc);
static void ngx_http_s3_list_empty_handler(ngx_event_t *ev);
static void ngx_http_s3_list_cleanup(void *data);
static void ngx_http_s3_list_close(ngx_http_s3_list_ctx_t *lc);


ngx_int_t
ngx_http_s3_list_objects(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    s3_record_t              rec;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_err_e        err;
    ngx_http_s3_list_ctx_t  *lc;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    err = ngx_http_s3_start_op(r, ctx, NGX_HTTP_S3_DISCARD_BODY, &rec);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    lc = ngx_http_s3_list_create(r, &rec);
    if (lc == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    if (lc->frame == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INVALID_ARGUMENT);
    }

    rc = ngx_http_s3_list_connect(r, lc);

    if (rc == NGX_DECLINED) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE);
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    r->main->count++;

    ngx_http_s3_list_send(r, lc);

    return NGX_DONE;
}


/* everything is allocated before the connection is made */

static ngx_http_s3_list_ctx_t *
ngx_http_s3_list_create(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_list_ctx_t   *lc;
    ngx_http_s3_loc_conf_t   *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    lc = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_list_ctx_t));
    if (lc == NULL) {
        return NULL;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    ctx->list = lc;

    lc->request = r;
    lc->root = slcf->root;
    lc->timeout = slcf->list_timeout;

    lc->buf = ngx_create_temp_buf(r->pool, NGX_HTTP_S3_LIST_BUFFER);
    if (lc->buf == NULL) {
        return NULL;
    }

    lc->buf->tag = (ngx_buf_tag_t) &ngx_http_s3_module;
    lc->link.buf = lc->buf;
    lc->link.next = NULL;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_s3_list_cleanup;
    cln->data = lc;

    if (ngx_http_s3_list_frame(r, lc, rec) == NGX_ERROR) {
        return NULL;
    }

    return lc;
}


/* NGX_OK with lc->frame NULL: the request does not fit in a frame */

static ngx_int_t
ngx_http_s3_list_frame(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc,
    s3_record_t *rec)
{
    ssize_t                  n;
    ngx_buf_t               *b;
    ngx_http_s3_ctx_t       *ctx;
    s3_listproto_request_t   req;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    req.bucket.data = (const char *) ctx->bucket.data;
    req.bucket.len = ctx->bucket.len;
    req.owner = rec->owner;
    req.request_id.data = (const char *) ctx->request_id;
    req.request_id.len = NGX_HTTP_S3_REQUEST_ID_LEN;
    req.query.data = (const char *) ctx->query.data;
    req.query.len = ctx->query.len;

    n = s3_listproto_encode_request(NULL, 0, &req);
    if (n == -1) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 listing query of %uz bytes is too long",
                      ctx->query.len);
        return NGX_OK;
    }

    b = ngx_create_temp_buf(r->pool, n);
    if (b == NULL) {
        return NGX_ERROR;
    }

    n = s3_listproto_encode_request((char *) b->last, n, &req);
    if (n == -1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "s3_listproto_encode_request() failed");
        return NGX_ERROR;
    }

    b->last += n;
    lc->frame = b;

    return NGX_OK;
}


/*
 * Returns NGX_OK (connected or in progress), NGX_DECLINED (repld is not
 * there: ctx->message says why) or NGX_ERROR.
 */

static ngx_int_t
ngx_http_s3_list_connect(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc)
{
    int                  rc;
    ngx_err_t            err;
    ngx_socket_t         s;
    ngx_connection_t    *c;
    ngx_http_s3_root_t  *root;

    root = lc->root;

    if (root->list_socklen == 0) {
        return ngx_http_s3_list_unreachable(r, lc, NGX_ENAMETOOLONG);
    }

    s = ngx_socket(AF_UNIX, SOCK_STREAM, 0);

    if (s == (ngx_socket_t) -1) {
        err = ngx_socket_errno;
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                      ngx_socket_n " failed");
        return ngx_http_s3_list_unreachable(r, lc, err);
    }

    c = ngx_get_connection(s, r->connection->log);
    if (c == NULL) {
        (void) ngx_close_socket(s);
        return NGX_ERROR;
    }

    lc->peer = c;

    c->data = lc;
    c->recv = ngx_recv;
    c->send = ngx_send;
    c->recv_chain = ngx_recv_chain;
    c->send_chain = ngx_send_chain;
    c->log_error = NGX_ERROR_ERR;
    c->read->log = c->log;
    c->write->log = c->log;
    c->read->handler = ngx_http_s3_list_read_handler;
    c->write->handler = ngx_http_s3_list_write_handler;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    if (ngx_nonblocking(s) == -1) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_socket_errno,
                      ngx_nonblocking_n " failed");
        return NGX_ERROR;
    }

    rc = connect(s, (struct sockaddr *) &root->list_addr,
                 root->list_socklen);

    if (rc == -1) {
        err = ngx_socket_errno;

        if (err != NGX_EINPROGRESS) {
            ngx_http_s3_list_close(lc);
            return ngx_http_s3_list_unreachable(r, lc, err);
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    c->write->ready = (rc == 0);

    if (rc == -1 && ngx_handle_write_event(c->write, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_add_timer(c->read, lc->timeout);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_list_unreachable(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc, ngx_err_t err)
{
    u_char             *p, *last, errstr[NGX_MAX_ERROR_STR];
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                  "connect() to repld at \"%s\" failed",
                  lc->root->list_addr.sun_path);

    last = ngx_strerror(err, errstr, NGX_MAX_ERROR_STR);

    p = ngx_pnalloc(r->pool, 256 + NGX_MAX_PATH + (last - errstr));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->message.data = p;

    p = ngx_sprintf(p, "The listing service (repld) is not reachable: "
                    "connect() to \"%s\" failed (%d: %*s); GET, PUT and "
                    "DELETE still work", lc->root->list_addr.sun_path,
                    (int) err, last - errstr, errstr);

    ctx->message.len = p - ctx->message.data;

    return NGX_DECLINED;
}


static void
ngx_http_s3_list_write_handler(ngx_event_t *wev)
{
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_s3_list_ctx_t  *lc;

    lc = ((ngx_connection_t *) wev->data)->data;
    r = lc->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_http_s3_list_send(r, lc);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_s3_list_send(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc)
{
    ssize_t            n;
    ngx_buf_t         *b;
    ngx_connection_t  *c;

    c = lc->peer;
    b = lc->frame;

    while (b->pos < b->last) {
        n = c->send(c, b->pos, b->last - b->pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_s3_list_fail(r, lc, "closed the connection before "
                                  "taking the request");
            return;
        }

        b->pos += n;
    }

    c->write->handler = ngx_http_s3_list_empty_handler;
}


static void
ngx_http_s3_list_read_handler(ngx_event_t *rev)
{
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_s3_list_ctx_t  *lc;

    lc = ((ngx_connection_t *) rev->data)->data;
    r = lc->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (rev->timedout) {
        ngx_http_s3_list_timeout(r, lc);

    } else if (!lc->header_sent) {
        ngx_http_s3_list_read_header(r, lc);

    } else {
        ngx_http_s3_list_relay(r, lc, 0);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_s3_list_read_header(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc)
{
    ssize_t            n;
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = lc->peer;

    while (lc->head_len < NGX_HTTP_S3_LIST_HEAD) {
        n = c->recv(c, lc->head + lc->head_len,
                    NGX_HTTP_S3_LIST_HEAD - lc->head_len);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
                ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_http_s3_list_fail(r, lc, "closed the connection before "
                                  "answering");
            return;
        }

        lc->head_len += n;
    }

    rc = ngx_http_s3_list_send_header(r, lc);

    if (rc == NGX_DECLINED) {
        ngx_http_s3_list_fail(r, lc, "sent a malformed answer");
        return;
    }

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_s3_list_finalize(r, lc, rc);
        return;
    }

    if (lc->rest == 0) {
        ngx_http_s3_list_finalize(r, lc,
                                  ngx_http_send_special(r, NGX_HTTP_LAST));
        return;
    }

    r->write_event_handler = ngx_http_s3_list_downstream;

    ngx_http_s3_list_relay(r, lc, 0);
}


/* returns NGX_DECLINED for a header that is not one */

static ngx_int_t
ngx_http_s3_list_send_header(ngx_http_request_t *r,
    ngx_http_s3_list_ctx_t *lc)
{
    uint32_t  len;
    unsigned  status;

    len = s3_listproto_frame_len((char *) lc->head);
    status = s3_listproto_status((char *) lc->head
                                 + S3_LISTPROTO_HEADER_LEN);

    if (len < S3_LISTPROTO_STATUS_LEN || status < 200 || status > 599) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "repld sent a frame of %uD bytes with status %ui",
                      len, (ngx_uint_t) status);
        return NGX_DECLINED;
    }

    lc->rest = len - S3_LISTPROTO_STATUS_LEN;
    lc->header_sent = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = lc->rest;

    ngx_str_set(&r->headers_out.content_type, "application/xml");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    return ngx_http_send_header(r);
}


static void
ngx_http_s3_list_downstream(ngx_http_request_t *r)
{
    ngx_connection_t   *c;
    ngx_http_s3_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (c->write->timedout) {
        c->timedout = 1;
        ngx_connection_error(c, NGX_ETIMEDOUT, "client timed out");
        ngx_http_s3_list_finalize(r, ctx->list, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    ngx_http_s3_list_relay(r, ctx->list, 1);
}


/*
 * Moves the body from repld to the client: passes the buffer on, and
 * reads into it again only once the filters have sent all of it.
 */

static void
ngx_http_s3_list_relay(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc,
    ngx_uint_t do_write)
{
    ngx_int_t   rc;
    ngx_buf_t  *b;

    b = lc->buf;

    for ( ;; ) {

        if (do_write) {
            rc = ngx_http_output_filter(r, lc->out);
            lc->out = NULL;

            if (rc == NGX_ERROR || lc->rest == 0) {
                ngx_http_s3_list_finalize(r, lc, rc);
                return;
            }
        }

        if (b->pos != b->last) {
            break;
        }

        rc = ngx_http_s3_list_read_body(r, lc);

        if (rc == NGX_AGAIN) {
            break;
        }

        if (rc == NGX_ERROR) {
            ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
            return;
        }

        do_write = 1;
    }

    if (ngx_http_s3_list_events(r, lc) != NGX_OK) {
        ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
    }
}


/* NGX_OK: lc->out holds what was read; NGX_AGAIN; NGX_ERROR (logged) */

static ngx_int_t
ngx_http_s3_list_read_body(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc)
{
    size_t             size;
    ssize_t            n;
    ngx_buf_t         *b;
    ngx_connection_t  *c;

    c = lc->peer;
    b = lc->buf;

    size = (size_t) ngx_min((off_t) (b->end - b->start), lc->rest);

    n = c->recv(c, b->start, size);

    if (n == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (n == NGX_ERROR || n == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "repld closed the connection with %O bytes of the "
                      "listing not sent", lc->rest);
        return NGX_ERROR;
    }

    lc->rest -= n;

    b->pos = b->start;
    b->last = b->start + n;
    b->flush = 1;
    b->last_buf = (lc->rest == 0 && r == r->main);
    b->last_in_chain = (lc->rest == 0);

    lc->out = &lc->link;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_list_events(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc)
{
    ngx_event_t               *rev, *wev;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    wev = r->connection->write;

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    if (wev->active && !wev->ready) {
        ngx_add_timer(wev, clcf->send_timeout);

    } else if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    rev = lc->peer->read;

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    /* repld's time counts only while the client is not the one waited for */

    if (lc->buf->pos == lc->buf->last && !rev->timer_set) {
        ngx_add_timer(rev, lc->timeout);

    } else if (lc->buf->pos != lc->buf->last && rev->timer_set) {
        ngx_del_timer(rev);
    }

    return NGX_OK;
}


static void
ngx_http_s3_list_timeout(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc)
{
    u_char             *p;
    ngx_http_s3_ctx_t  *ctx;

    if (lc->header_sent) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, NGX_ETIMEDOUT,
                      "repld timed out sending a listing, %O bytes not "
                      "sent", lc->rest);
        ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, NGX_ETIMEDOUT,
                  "repld at \"%s\" did not answer within %Mms",
                  lc->root->list_addr.sun_path, lc->timeout);

    p = ngx_pnalloc(r->pool, 64 + NGX_TIME_T_LEN);
    if (p == NULL) {
        ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
        return;
    }

    ctx->message.data = p;

    if (lc->timeout % 1000 == 0) {
        p = ngx_sprintf(p, "repld did not answer within %Ms",
                        lc->timeout / 1000);

    } else {
        p = ngx_sprintf(p, "repld did not answer within %Mms", lc->timeout);
    }

    ctx->message.len = p - ctx->message.data;

    ngx_http_s3_list_close(lc);

    ngx_http_s3_list_finalize(r, lc,
        ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE));
}


/* repld failed before the header was sent: 503 with the reason */

static void
ngx_http_s3_list_fail(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc,
    char *reason)
{
    u_char             *p;
    size_t              len;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "repld at \"%s\" %s", lc->root->list_addr.sun_path,
                  reason);

    ngx_http_s3_list_close(lc);

    len = sizeof("The listing service (repld) ; GET, PUT and DELETE still "
                 "work") + ngx_strlen(reason);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        ngx_http_s3_list_finalize(r, lc, NGX_ERROR);
        return;
    }

    ctx->message.data = p;
    p = ngx_sprintf(p, "The listing service (repld) %s; GET, PUT and "
                    "DELETE still work", reason);
    ctx->message.len = p - ctx->message.data;

    ngx_http_s3_list_finalize(r, lc,
        ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE));
}


static void
ngx_http_s3_list_finalize(ngx_http_request_t *r, ngx_http_s3_list_ctx_t *lc,
    ngx_int_t rc)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 list finalize: %i", rc);

    ngx_http_s3_list_close(lc);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_s3_list_empty_handler(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0, "s3 list empty handler");
}


static void
ngx_http_s3_list_cleanup(void *data)
{
    ngx_http_s3_list_ctx_t *lc = data;

    ngx_http_s3_list_close(lc);
}


static void
ngx_http_s3_list_close(ngx_http_s3_list_ctx_t *lc)
{
    if (lc->peer == NULL) {
        return;
    }

    ngx_close_connection(lc->peer);
    lc->peer = NULL;
}
