
/*
 * Copyright (C) ngx_s3 developers
 *
 * Wake-up hints to repld: one byte sent to DATA/repld.hint.sock after
 * each journaled change, from one non-blocking datagram socket per
 * worker.  The journal is the truth; a lost hint only delays repld until
 * its next timer tick, so every failure to send is ignored.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


ngx_int_t
ngx_http_s3_notify_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    ngx_socket_t  s;

    s = ngx_socket(AF_UNIX, SOCK_DGRAM, 0);

    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_socket_errno,
                      ngx_socket_n " for repld hints failed");
        return NGX_OK;
    }

    if (ngx_nonblocking(s) == -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_socket_errno,
                      ngx_nonblocking_n " failed");
        (void) ngx_close_socket(s);
        return NGX_OK;
    }

    if (fcntl(s, F_SETFD, FD_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      "fcntl(FD_CLOEXEC) failed");
    }

    smcf->hint_fd = s;

    return NGX_OK;
}


void
ngx_http_s3_notify_exit_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    if (smcf->hint_fd == (ngx_socket_t) -1) {
        return;
    }

    if (ngx_close_socket(smcf->hint_fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      ngx_close_socket_n " failed");
    }

    smcf->hint_fd = (ngx_socket_t) -1;
}


void
ngx_http_s3_notify(ngx_http_request_t *r)
{
    ssize_t                   n;
    ngx_err_t                 err;
    ngx_http_s3_root_t       *root;
    ngx_http_s3_loc_conf_t   *slcf;
    ngx_http_s3_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    root = slcf->root;

    if (smcf->hint_fd == (ngx_socket_t) -1 || root->hint_socklen == 0) {
        return;
    }

    n = sendto(smcf->hint_fd, "h", 1, MSG_DONTWAIT,
               (struct sockaddr *) &root->hint_addr, root->hint_socklen);

    if (n != -1) {
        return;
    }

    err = ngx_socket_errno;

    /* repld is busy, stopped or not started yet: the journal has it */

    if (err == NGX_EAGAIN || err == NGX_ENOENT || err == NGX_ECONNREFUSED
        || err == ENOBUFS)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, err,
                       "s3 hint to \"%s\" not sent", root->hint_addr.sun_path);
        return;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, err,
                  "sendto(\"%s\") failed", root->hint_addr.sun_path);
}
