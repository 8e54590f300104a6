
/*
 * Copyright (C) ngx_s3 developers
 *
 * Directives, configuration, module and process initialisation, and the
 * dispatcher that turns a request into one S3 operation.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_int_t ngx_http_s3_handler(ngx_http_request_t *r);
static ngx_http_s3_err_e ngx_http_s3_dispatch(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static const s3_op_t *ngx_http_s3_match(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, unsigned *args, ngx_str_t *part);
static unsigned ngx_http_s3_method(ngx_uint_t method);
static unsigned ngx_http_s3_args(ngx_http_s3_ctx_t *ctx, ngx_str_t *part);
static ngx_http_s3_err_e ngx_http_s3_check_op(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, const s3_op_t *op, unsigned args,
    ngx_str_t *part);
static ngx_http_s3_err_e ngx_http_s3_part_number(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_str_t *value);

static char *ngx_http_s3_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_s3_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_s3_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_s3_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_s3_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_s3_init(ngx_conf_t *cf);

static ngx_int_t ngx_http_s3_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_s3_init_process(ngx_cycle_t *cycle);
static void ngx_http_s3_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_s3_commands[] = {

    { ngx_string("s3_store"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_store,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, region),
      NULL },

    { ngx_string("s3_domain"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, domain),
      NULL },

    { ngx_string("s3_fsync"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, fsync),
      NULL },

    { ngx_string("s3_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, thread_pool),
      NULL },

    { ngx_string("s3_journal_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, journal_size),
      NULL },

    { ngx_string("s3_multipart_expire"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, multipart_expire),
      NULL },

    { ngx_string("s3_clock_skew"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, clock_skew),
      NULL },

    { ngx_string("s3_object_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_s3_object_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_list_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, list_timeout),
      NULL },

    { ngx_string("s3_node"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_s3_node,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_peer_unreachable"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_s3_peer_unreachable,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_s3_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_s3_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_s3_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_s3_init,                      /* postconfiguration */

    ngx_http_s3_create_main_conf,          /* create main configuration */
    ngx_http_s3_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_s3_create_loc_conf,           /* create location configuration */
    ngx_http_s3_merge_loc_conf             /* merge location configuration */
};


ngx_module_t  ngx_http_s3_module = {
    NGX_MODULE_V1,
    &ngx_http_s3_module_ctx,               /* module context */
    ngx_http_s3_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_s3_init_module,               /* init module */
    ngx_http_s3_init_process,              /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_s3_exit_process,              /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* each operation's handler, in s3_op_list.h's order: s3_op_e indexes it */

static ngx_http_handler_pt  ngx_http_s3_handlers[S3_OP_LAST] = {
    NULL,
#define S3_OP(id, action, method, target, args, headers, consumes, flags,   \
              body_max, honours, handler)                                    \
    handler,
#include "s3_op_list.h"
#undef S3_OP
};


static ngx_int_t
ngx_http_s3_handler(ngx_http_request_t *r)
{
    unsigned            args;
    ngx_int_t           rc;
    ngx_str_t           part;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_err_e   err;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_s3_module);

    if (ngx_http_s3_set_request_id(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_store_init(r, ctx) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    ngx_http_s3_read_headers(r, ctx);

    err = ngx_http_s3_parse_request(r, ctx);

    /* a CORS preflight is never signed */

    if (err == NGX_HTTP_S3_OK && r->method != NGX_HTTP_OPTIONS) {
        err = ngx_http_s3_authenticate(r, ctx);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_dispatch(r, ctx);
    }

    if (err != NGX_HTTP_S3_OK) {
        if (ctx->op == S3_OP_NONE) {
            /* for the audit log: the operation a refused request tried */
            (void) ngx_http_s3_match(r, ctx, &args, &part);
        }

        return ngx_http_s3_send_error(r, err);
    }

    rc = ngx_http_s3_proxy_upload(r, ctx);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 operation: %s", s3_ops[ctx->op].action);

    return ngx_http_s3_handlers[ctx->op](r);
}


/*
 * The request's operation into ctx->op: its row in s3_op_list.h, then
 * what the row says of the request (ngx_http_s3_check_op()).  No row:
 * a method none has, or anything but ListBuckets without a bucket, is
 * 405 MethodNotAllowed; the rest (POST without ?delete, ?uploads or
 * ?uploadId) 501 NotImplemented.
 */

static ngx_http_s3_err_e
ngx_http_s3_dispatch(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    unsigned         args;
    ngx_str_t        part;
    const s3_op_t   *op;

    op = ngx_http_s3_match(r, ctx, &args, &part);

    if (op == NULL) {
        return (ctx->bucket.len == 0
                || !s3_op_method_known(ngx_http_s3_method(r->method)))
               ? NGX_HTTP_S3_METHOD_NOT_ALLOWED
               : NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    return ngx_http_s3_check_op(r, ctx, op, args, &part);
}


/* the request's row, into ctx->op; NULL: none */

static const s3_op_t *
ngx_http_s3_match(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    unsigned *args, ngx_str_t *part)
{
    unsigned        target;
    const s3_op_t  *op;

    target = (ctx->bucket.len == 0) ? S3_TARGET_SERVICE
             : (ctx->key.len == 0) ? S3_TARGET_BUCKET : S3_TARGET_OBJECT;

    *args = ngx_http_s3_args(ctx, part);

    op = s3_op_match(ngx_http_s3_method(r->method), target, *args,
                     ctx->header_bits);

    if (op != NULL) {
        ctx->op = op->id;
    }

    return op;
}


static unsigned
ngx_http_s3_method(ngx_uint_t method)
{
    switch (method) {
    case NGX_HTTP_GET:
        return S3_METHOD_GET;
    case NGX_HTTP_HEAD:
        return S3_METHOD_HEAD;
    case NGX_HTTP_PUT:
        return S3_METHOD_PUT;
    case NGX_HTTP_POST:
        return S3_METHOD_POST;
    case NGX_HTTP_DELETE:
        return S3_METHOD_DELETE;
    case NGX_HTTP_OPTIONS:
        return S3_METHOD_OPTIONS;
    default:
        return 0;
    }
}


/*
 * The known query arguments present (S3_ARG_*); the first ?uploadId's
 * value goes to ctx->upload_id, the first ?partNumber's to part.
 */

static unsigned
ngx_http_s3_args(ngx_http_s3_ctx_t *ctx, ngx_str_t *part)
{
    unsigned            args, a;
    ngx_uint_t          i;
    ngx_http_s3_arg_t  *arg;

    args = 0;
    arg = ctx->args.elts;

    for (i = 0; i < ctx->args.nelts; i++) {
        a = s3_op_arg((char *) arg[i].name.data, arg[i].name.len);

        if (a == 0 || (args & a)) {
            continue;
        }

        if (a == S3_ARG_UPLOAD_ID) {
            ctx->upload_id = arg[i].value;

        } else if (a == S3_ARG_PART_NUMBER) {
            *part = arg[i].value;
        }

        args |= a;
    }

    return args;
}


/*
 * What the row says of the request: its ?partNumber, the subresources it
 * does not implement, the bucket name and key, whether an anonymous
 * requester may try it, the headers it does not implement (before any
 * byte is read or stored), and whether a worker without a journal may do
 * it.
 */

static ngx_http_s3_err_e
ngx_http_s3_check_op(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    const s3_op_t *op, unsigned args, ngx_str_t *part)
{
    int  hdr;

    if ((args & S3_ARG_PART_NUMBER) && (op->consumes & S3_ARG_PART_NUMBER)
        && ngx_http_s3_part_number(r, ctx, part) != NGX_HTTP_S3_OK)
    {
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    if ((op->flags & S3_OP_NEEDS_PART) && !(args & S3_ARG_PART_NUMBER)) {
        ngx_str_set(&ctx->message, "This operation needs a partNumber.");
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    if (s3_op_refused_arg(op, args)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 subresource of %s in \"%V\" is not implemented",
                      op->action, &ctx->query);
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    if (ctx->bucket.len
        && !s3_bucket_name_valid((char *) ctx->bucket.data, ctx->bucket.len))
    {
        return NGX_HTTP_S3_INVALID_BUCKET_NAME;
    }

    if (ctx->key.len > S3_KEY_MAX_LEN) {
        return NGX_HTTP_S3_KEY_TOO_LONG;
    }

    if (ctx->anonymous && !(op->flags & S3_OP_ANONYMOUS)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 anonymous %s denied", op->action);
        return NGX_HTTP_S3_ACCESS_DENIED;
    }

    hdr = s3_op_refused_header(op, ctx->header_bits);
    if (hdr >= 0) {
        return ngx_http_s3_refuse_header(r, ctx, (s3_hdr_e) hdr);
    }

    if ((op->flags & S3_OP_CHANGE)
        && (ctx->store.journal == NULL || ngx_http_s3_maintenance(r, ctx)))
    {
        return NGX_HTTP_S3_SERVICE_UNAVAILABLE;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_part_number(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_str_t *value)
{
    ngx_int_t  n;

    n = (value->len > 0 && value->len <= 5)
        ? ngx_atoi(value->data, value->len) : NGX_ERROR;

    if (n < 1 || n > S3_PART_NUMBER_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 invalid partNumber \"%V\"", value);
        ngx_str_set(&ctx->message, "Part number must be an integer between "
                    "1 and 10000, inclusive");
        return NGX_HTTP_S3_INVALID_ARGUMENT;
    }

    ctx->part_number = n;

    return NGX_HTTP_S3_OK;
}


ngx_int_t
ngx_http_s3_store_init(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_http_s3_loc_conf_t   *slcf;
    ngx_http_s3_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (slcf->root == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 handler called without s3_store");
        return NGX_ERROR;
    }

    ctx->root = slcf->root;
    ctx->store.root = (const char *) slcf->root->path.data;
    ctx->store.fsync = slcf->fsync;
    ctx->store.journal = slcf->root->journal;
    ctx->store.node_id = slcf->root->node_id;
    ctx->store.clock = &smcf->clock;

    return NGX_OK;
}


static char *
ngx_http_s3_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_loc_conf_t *slcf = conf;

    ngx_str_t                 *value, path;
    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->root != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    while (path.len > 1 && path.data[path.len - 1] == '/') {
        path.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    slcf->root = ngx_http_s3_root_add(cf, &path);
    if (slcf->root == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_s3_handler;

    if (ngx_http_s3_proxy_server(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_s3_root_temp_path(cf, slcf->root);
}


static void *
ngx_http_s3_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_s3_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->clock = { 0 };
     *     smcf->keys = NULL;
     *     smcf->next_key = 0;
     */

    smcf->hint_fd = (ngx_socket_t) -1;

    if (ngx_array_init(&smcf->roots, cf->pool, 4,
                       sizeof(ngx_http_s3_root_t *))
        != NGX_OK
        || ngx_array_init(&smcf->nodes, cf->pool, 4,
                          sizeof(ngx_http_s3_node_t))
           != NGX_OK
        || ngx_array_init(&smcf->servers, cf->pool, 4,
                          sizeof(ngx_http_core_srv_conf_t *))
           != NGX_OK)
    {
        return NULL;
    }

    smcf->journal_size = NGX_CONF_UNSET_SIZE;
    smcf->multipart_expire = NGX_CONF_UNSET;
    smcf->ocache_max = NGX_CONF_UNSET_UINT;

    return smcf;
}


static char *
ngx_http_s3_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ngx_conf_init_size_value(smcf->journal_size, 64 * 1024 * 1024);
    ngx_conf_init_value(smcf->multipart_expire, 7 * 86400);

    if (smcf->ocache_max == NGX_CONF_UNSET_UINT) {
        smcf->ocache_max = 1024;
        smcf->ocache_size = 1024 * 1024;
        smcf->ocache_inactive = 10000;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_s3_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_s3_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_s3_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->root = NULL;
     *     conf->region = { 0, NULL };
     *     conf->domain = { 0, NULL };
     *     conf->thread_pool = { 0, NULL };
     *     conf->probe = 0;
     */

    conf->fsync = NGX_CONF_UNSET;
    conf->clock_skew = NGX_CONF_UNSET;
    conf->list_timeout = NGX_CONF_UNSET_MSEC;
    conf->audit_log = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_s3_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_s3_loc_conf_t *prev = parent;
    ngx_http_s3_loc_conf_t *conf = child;

    ngx_http_core_srv_conf_t  *cscf;

    ngx_conf_merge_str_value(conf->region, prev->region, "us-east-1");
    ngx_conf_merge_str_value(conf->domain, prev->domain, "");
    ngx_conf_merge_value(conf->fsync, prev->fsync, 1);
    ngx_conf_merge_sec_value(conf->clock_skew, prev->clock_skew, 900);
    ngx_conf_merge_msec_value(conf->list_timeout, prev->list_timeout, 5000);
    ngx_conf_merge_str_value(conf->thread_pool, prev->thread_pool,
                             "default");
    ngx_conf_merge_ptr_value(conf->audit_log, prev->audit_log, NULL);

    ngx_strlow(conf->domain.data, conf->domain.data, conf->domain.len);

    if (conf->root == NULL && !conf->probe) {
        return NGX_CONF_OK;
    }

    if (ngx_thread_pool_add(cf, &conf->thread_pool) == NULL) {
        return NGX_CONF_ERROR;
    }

    if (conf->root == NULL) {
        return NGX_CONF_OK;
    }

    if (conf->root->thread_pool == NULL) {
        conf->root->thread_pool = &conf->thread_pool;
    }

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (cscf->merge_slashes) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "s3_store \"%s\" is used in a server with "
                           "\"merge_slashes on\": keys with double "
                           "slashes will not be found; set "
                           "\"merge_slashes off\"",
                           conf->root->path.data);
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_s3_init(ngx_conf_t *cf)
{
    if (ngx_http_s3_cors_init(cf) != NGX_OK
        || ngx_http_s3_proxy_init(cf) != NGX_OK
        || ngx_http_s3_audit_init(cf) != NGX_OK
        || ngx_http_s3_metrics_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_s3_body_init(cf);
}


static ngx_int_t
ngx_http_s3_init_module(ngx_cycle_t *cycle)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);

    if (smcf != NULL) {
        ngx_http_s3_root_init_module(cycle, smcf);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                 i;
    s3_journal_t              *j;
    ngx_http_s3_root_t       **rootp;
    ngx_http_s3_main_conf_t   *smcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);
    if (smcf == NULL || smcf->roots.nelts == 0) {
        return NGX_OK;
    }

    rootp = smcf->roots.elts;

    for (i = 0; i < smcf->roots.nelts; i++) {
        j = ngx_palloc(cycle->pool, sizeof(s3_journal_t));
        if (j == NULL) {
            return NGX_ERROR;
        }

        if (s3_journal_open(j, (char *) rootp[i]->path.data,
                            smcf->journal_size)
            != S3_OK)
        {
            ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                          "s3_journal_open(\"%s\") failed, the store is "
                          "read-only in this worker", rootp[i]->path.data);
            continue;
        }

        rootp[i]->journal = j;
    }

    ngx_memzero(&smcf->clock, sizeof(s3_hlc_t));

    if (ngx_http_s3_notify_init_process(cycle, smcf) != NGX_OK
        || ngx_http_s3_mpu_init_process(cycle, smcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_cache_init_process(cycle, smcf) != NGX_OK
        || ngx_http_s3_ocache_init_process(cycle, smcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_s3_auth_init_process(cycle, smcf);
}


static void
ngx_http_s3_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                 i;
    ngx_http_s3_root_t       **rootp;
    ngx_http_s3_main_conf_t   *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);
    if (smcf == NULL) {
        return;
    }

    ngx_http_s3_notify_exit_process(cycle, smcf);

    rootp = smcf->roots.elts;

    for (i = 0; i < smcf->roots.nelts; i++) {
        if (rootp[i]->journal == NULL) {
            continue;
        }

        /* sealed: repld may remove the file once it has applied it */

        if (s3_journal_close(rootp[i]->journal) != S3_OK) {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                          "s3 journal \"%s\" not sealed",
                          rootp[i]->journal->name);
        }

        rootp[i]->journal = NULL;
    }
}
