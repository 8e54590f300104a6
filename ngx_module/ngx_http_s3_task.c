
/*
 * Copyright (C) ngx_s3 developers
 *
 * The generic thread-pool task: a blocking core call runs in a thread of
 * the location's pool while the request is pinned (r->main->blocked,
 * r->aio), then the request resumes in the worker, as
 * ngx_http_copy_thread_handler() and its event handler do.
 *
 * A task holds a timer while it is in flight: a worker shutting down
 * gracefully exits as soon as no timer is left (ngx_event_no_timers_left()),
 * and the request waiting for the task has none of its own, so without it
 * the worker would exit with the request still open.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_TASK_WAIT  60000


static void ngx_http_s3_task_handler(void *data, ngx_log_t *log);
static void ngx_http_s3_task_event_handler(ngx_event_t *ev);
static void ngx_http_s3_task_wait_handler(ngx_event_t *ev);


/*
 * Posts run(t) to the thread pool.  Returns NGX_DONE (the request is
 * referenced once more and is finalized with what done() returns), or an
 * S3 error response when the task cannot be posted.
 */

ngx_int_t
ngx_http_s3_task_post(ngx_http_request_t *r, ngx_http_s3_task_run_pt run,
    ngx_http_s3_task_done_pt done, void *data)
{
    ngx_thread_task_t       *task;
    ngx_thread_pool_t       *tp;
    ngx_http_s3_task_t      *t;
    ngx_http_s3_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &slcf->thread_pool);

    if (tp == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "thread pool \"%V\" not found", &slcf->thread_pool);
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_s3_task_t));
    if (task == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    t = task->ctx;

    t->request = r;
    t->run = run;
    t->done = done;
    t->data = data;
    t->rc = S3_ERR;
    t->err = 0;

    task->handler = ngx_http_s3_task_handler;
    task->event.data = t;
    task->event.handler = ngx_http_s3_task_event_handler;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE);
    }

    t->wait.handler = ngx_http_s3_task_wait_handler;
    t->wait.data = t;
    t->wait.log = r->connection->log;

    ngx_add_timer(&t->wait, NGX_HTTP_S3_TASK_WAIT);

    r->main->blocked++;
    r->aio = 1;
    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_task_handler(void *data, ngx_log_t *log)
{
    ngx_http_s3_task_t *t = data;

    ngx_log_debug0(NGX_LOG_DEBUG_CORE, log, 0, "s3 thread task");

    t->run(t);
    t->err = ngx_errno;
}


static void
ngx_http_s3_task_event_handler(ngx_event_t *ev)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;
    ngx_http_s3_task_t  *t;

    t = ev->data;
    r = t->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "s3 thread task done: \"%V?%V\"", &r->uri, &r->args);

    if (t->wait.timer_set) {
        ngx_del_timer(&t->wait);
    }

    r->main->blocked--;
    r->aio = 0;

    ngx_http_s3_cache_changed(r);

    /* done() runs even for a closed connection: it may own a commit */

    rc = t->done(r, t);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* the task cannot be canceled: keep waiting for it */

static void
ngx_http_s3_task_wait_handler(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "s3 thread task still running");

    ngx_add_timer(ev, NGX_HTTP_S3_TASK_WAIT);
}
