
/*
 * Copyright (C) ngx_s3 developers
 *
 * Abandoned multipart uploads: a timer in worker 0 posts, for each
 * store, a sweep task (s3_store_sweep_uploads()) to the store's thread
 * pool.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


/* the expiry sweep of one store, in a thread of its pool */
typedef struct {
    s3_store_t                 store;
    uint64_t                   before_ms;
    int                        rc;
    ngx_err_t                  err;
    ngx_http_s3_root_t        *root;
    ngx_log_t                 *log;
} ngx_http_s3_expire_t;


static void ngx_http_s3_expire_handler(ngx_event_t *ev);
static void ngx_http_s3_expire_run(void *data, ngx_log_t *log);
static void ngx_http_s3_expire_done(ngx_event_t *ev);


ngx_int_t
ngx_http_s3_mpu_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    ngx_uint_t             i;
    ngx_event_t           *ev;
    ngx_thread_task_t     *task;
    ngx_http_s3_root_t   **rootp;
    ngx_http_s3_expire_t  *x;

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    rootp = smcf->roots.elts;

    for (i = 0; i < smcf->roots.nelts; i++) {
        if (rootp[i]->thread_pool == NULL) {
            continue;
        }

        /* one task per store, posted again at every tick */

        task = ngx_thread_task_alloc(cycle->pool,
                                     sizeof(ngx_http_s3_expire_t));
        if (task == NULL) {
            return NGX_ERROR;
        }

        x = task->ctx;
        x->root = rootp[i];
        x->log = cycle->log;

        task->handler = ngx_http_s3_expire_run;
        task->event.data = x;
        task->event.handler = ngx_http_s3_expire_done;

        rootp[i]->expire_task = task;

        ev = &rootp[i]->expire;
        ngx_memzero(ev, sizeof(ngx_event_t));

        ev->handler = ngx_http_s3_expire_handler;
        ev->data = rootp[i];
        ev->log = cycle->log;
        ev->cancelable = 1;

        ngx_add_timer(ev, 1000);
    }

    return NGX_OK;
}


/* every half expiry time, between 1 s and 1 h */

static void
ngx_http_s3_expire_handler(ngx_event_t *ev)
{
    ngx_msec_t                interval;
    ngx_thread_task_t        *task;
    ngx_thread_pool_t        *tp;
    ngx_http_s3_root_t       *root;
    ngx_http_s3_expire_t     *x;
    ngx_http_s3_main_conf_t  *smcf;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    root = ev->data;
    smcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_s3_module);

    interval = (ngx_msec_t) smcf->multipart_expire * 500;
    interval = ngx_max(interval, 1000);
    interval = ngx_min(interval, 3600000);

    ngx_add_timer(ev, interval);

    if (root->expiring || root->journal == NULL) {
        return;
    }

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, root->thread_pool);
    if (tp == NULL) {
        return;
    }

    task = root->expire_task;
    x = task->ctx;
    x->store.root = (const char *) root->path.data;
    x->store.fsync = 1;
    x->store.journal = root->journal;
    x->store.node_id = root->node_id;
    x->store.clock = &smcf->clock;
    x->before_ms = (uint64_t) ngx_time() * 1000
                   - (uint64_t) smcf->multipart_expire * 1000;

    if (ngx_thread_task_post(tp, task) == NGX_OK) {
        root->expiring = 1;
    }
}


static void
ngx_http_s3_expire_run(void *data, ngx_log_t *log)
{
    ngx_http_s3_expire_t *x = data;

    x->rc = s3_store_sweep_uploads(&x->store, x->before_ms);
    x->err = ngx_errno;
}


static void
ngx_http_s3_expire_done(ngx_event_t *ev)
{
    ngx_http_s3_expire_t *x = ev->data;

    x->root->expiring = 0;

    if (x->rc == -1) {
        ngx_log_error(NGX_LOG_CRIT, x->log, x->err,
                      "s3_store_sweep_uploads(\"%V\") failed",
                      &x->root->path);
        return;
    }

    if (x->rc > 0) {
        ngx_log_error(NGX_LOG_NOTICE, x->log, 0,
                      "s3 store \"%V\": %d abandoned uploads or parts "
                      "removed", &x->root->path, x->rc);
    }
}
