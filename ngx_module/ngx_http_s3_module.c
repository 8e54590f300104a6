
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
static void ngx_http_s3_route(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx);
static ngx_int_t ngx_http_s3_run(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

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


/* the operations a subresource of a bucket or an object names */

typedef struct {
    ngx_str_t                  subresource;
    ngx_uint_t                 method;
    ngx_uint_t                 object;        /* 1: a key, 0: a bucket */
    ngx_http_s3_op_e           op;
} ngx_http_s3_route_t;


static ngx_http_s3_route_t  ngx_http_s3_routes[] = {

    { ngx_string("tagging"), NGX_HTTP_GET, 1,
      NGX_HTTP_S3_OP_GET_OBJECT_TAGGING },
    { ngx_string("tagging"), NGX_HTTP_PUT, 1,
      NGX_HTTP_S3_OP_PUT_OBJECT_TAGGING },
    { ngx_string("tagging"), NGX_HTTP_DELETE, 1,
      NGX_HTTP_S3_OP_DELETE_OBJECT_TAGGING },
    { ngx_string("acl"), NGX_HTTP_GET, 1, NGX_HTTP_S3_OP_GET_OBJECT_ACL },
    { ngx_string("acl"), NGX_HTTP_PUT, 1, NGX_HTTP_S3_OP_PUT_OBJECT_ACL },

    { ngx_string("delete"), NGX_HTTP_POST, 0,
      NGX_HTTP_S3_OP_DELETE_OBJECTS },
    { ngx_string("location"), NGX_HTTP_GET, 0,
      NGX_HTTP_S3_OP_GET_BUCKET_LOCATION },
    { ngx_string("tagging"), NGX_HTTP_GET, 0,
      NGX_HTTP_S3_OP_GET_BUCKET_TAGGING },
    { ngx_string("tagging"), NGX_HTTP_PUT, 0,
      NGX_HTTP_S3_OP_PUT_BUCKET_TAGGING },
    { ngx_string("tagging"), NGX_HTTP_DELETE, 0,
      NGX_HTTP_S3_OP_DELETE_BUCKET_TAGGING },
    { ngx_string("acl"), NGX_HTTP_GET, 0, NGX_HTTP_S3_OP_GET_BUCKET_ACL },
    { ngx_string("acl"), NGX_HTTP_PUT, 0, NGX_HTTP_S3_OP_PUT_BUCKET_ACL },
    { ngx_string("cors"), NGX_HTTP_GET, 0, NGX_HTTP_S3_OP_GET_BUCKET_CORS },
    { ngx_string("cors"), NGX_HTTP_PUT, 0, NGX_HTTP_S3_OP_PUT_BUCKET_CORS },
    { ngx_string("cors"), NGX_HTTP_DELETE, 0,
      NGX_HTTP_S3_OP_DELETE_BUCKET_CORS },

    { ngx_null_string, 0, 0, NGX_HTTP_S3_OP_NONE }
};


static ngx_int_t
ngx_http_s3_handler(ngx_http_request_t *r)
{
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

    err = ngx_http_s3_parse_request(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    /* a CORS preflight is never signed */

    if (r->method != NGX_HTTP_OPTIONS) {
        err = ngx_http_s3_authenticate(r, ctx);
        if (err != NGX_HTTP_S3_OK) {
            return ngx_http_s3_send_error(r, err);
        }
    }

    err = ngx_http_s3_dispatch(r, ctx);

    if (err == NGX_HTTP_S3_OK && ctx->anonymous) {
        err = ngx_http_s3_auth_anonymous(r, ctx);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err);
    }

    return ngx_http_s3_run(r, ctx);
}


static ngx_http_s3_err_e
ngx_http_s3_dispatch(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_uint_t         bucket, key;
    ngx_http_s3_err_e  err;

    bucket = (ctx->bucket.len != 0);
    key = (ctx->key.len != 0);

    switch (r->method) {

    case NGX_HTTP_GET:
        ctx->op = key ? NGX_HTTP_S3_OP_GET_OBJECT
                      : (bucket ? NGX_HTTP_S3_OP_LIST_OBJECTS
                                : NGX_HTTP_S3_OP_LIST_BUCKETS);
        break;

    case NGX_HTTP_HEAD:
        ctx->op = key ? NGX_HTTP_S3_OP_HEAD_OBJECT
                      : NGX_HTTP_S3_OP_HEAD_BUCKET;
        break;

    case NGX_HTTP_PUT:
        ctx->op = key ? NGX_HTTP_S3_OP_PUT_OBJECT
                      : NGX_HTTP_S3_OP_CREATE_BUCKET;
        break;

    case NGX_HTTP_DELETE:
        ctx->op = key ? NGX_HTTP_S3_OP_DELETE_OBJECT
                      : NGX_HTTP_S3_OP_DELETE_BUCKET;
        break;

    case NGX_HTTP_POST:
        ctx->op = NGX_HTTP_S3_OP_NONE;
        break;

    case NGX_HTTP_OPTIONS:
        ctx->op = NGX_HTTP_S3_OP_PREFLIGHT;
        break;

    default:
        return NGX_HTTP_S3_METHOD_NOT_ALLOWED;
    }

    if (!bucket && ctx->op != NGX_HTTP_S3_OP_LIST_BUCKETS) {
        return NGX_HTTP_S3_METHOD_NOT_ALLOWED;
    }

    err = ngx_http_s3_mpu_dispatch(r, ctx);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    ngx_http_s3_route(r, ctx);

    if (ctx->op == NGX_HTTP_S3_OP_NONE) {
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    if (ctx->op < NGX_HTTP_S3_OP_CREATE_UPLOAD && ctx->part_number == 0
        && ngx_http_s3_has_subresource(ctx))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 subresource \"%V\" is not implemented",
                      &ctx->query);
        return NGX_HTTP_S3_NOT_IMPLEMENTED;
    }

    if (bucket
        && !s3_bucket_name_valid((char *) ctx->bucket.data, ctx->bucket.len))
    {
        return NGX_HTTP_S3_INVALID_BUCKET_NAME;
    }

    if (ctx->key.len > S3_KEY_MAX_LEN) {
        return NGX_HTTP_S3_KEY_TOO_LONG;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * A plain operation becomes the one its subresource names, and a PUT of
 * an object with x-amz-copy-source a CopyObject; subresources left over
 * are refused by the caller as not implemented.
 */

static void
ngx_http_s3_route(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_uint_t            object;
    ngx_http_s3_route_t  *rt;

    if (ctx->op >= NGX_HTTP_S3_OP_CREATE_UPLOAD || ctx->part_number) {
        return;
    }

    object = (ctx->key.len != 0);

    for (rt = ngx_http_s3_routes; rt->subresource.len; rt++) {
        if (rt->method == r->method && rt->object == object
            && ngx_http_s3_query_arg(ctx, (char *) rt->subresource.data,
                                     NULL))
        {
            ctx->op = rt->op;
            return;
        }
    }

    if (ctx->op == NGX_HTTP_S3_OP_PUT_OBJECT
        && ngx_http_s3_find_header(r, (u_char *) "x-amz-copy-source",
                                   sizeof("x-amz-copy-source") - 1)
           != NULL)
    {
        ctx->op = NGX_HTTP_S3_OP_COPY_OBJECT;
    }
}


static ngx_int_t
ngx_http_s3_run(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 operation: %d", (int) ctx->op);

    switch (ctx->op) {

    case NGX_HTTP_S3_OP_LIST_BUCKETS:
        return ngx_http_s3_list_buckets(r);

    case NGX_HTTP_S3_OP_CREATE_BUCKET:
        return ngx_http_s3_create_bucket(r);

    case NGX_HTTP_S3_OP_HEAD_BUCKET:
        return ngx_http_s3_head_bucket(r);

    case NGX_HTTP_S3_OP_DELETE_BUCKET:
        return ngx_http_s3_delete_bucket(r);

    case NGX_HTTP_S3_OP_LIST_OBJECTS:
        return ngx_http_s3_list_objects(r);

    case NGX_HTTP_S3_OP_PUT_OBJECT:
        return ngx_http_s3_put_object(r);

    case NGX_HTTP_S3_OP_GET_OBJECT:
    case NGX_HTTP_S3_OP_HEAD_OBJECT:
        return ngx_http_s3_get_object(r);

    case NGX_HTTP_S3_OP_DELETE_OBJECT:
        return ngx_http_s3_delete_object(r);

    case NGX_HTTP_S3_OP_CREATE_UPLOAD:
        return ngx_http_s3_create_upload(r);

    case NGX_HTTP_S3_OP_UPLOAD_PART:
        return ngx_http_s3_put_object(r);

    case NGX_HTTP_S3_OP_UPLOAD_PART_COPY:
        return ngx_http_s3_upload_part_copy(r);

    case NGX_HTTP_S3_OP_COMPLETE_UPLOAD:
        return ngx_http_s3_complete_upload(r);

    case NGX_HTTP_S3_OP_ABORT_UPLOAD:
        return ngx_http_s3_abort_upload(r);

    case NGX_HTTP_S3_OP_LIST_PARTS:
        return ngx_http_s3_list_parts(r);

    case NGX_HTTP_S3_OP_LIST_UPLOADS:
        return ngx_http_s3_list_objects(r);    /* repld reads ?uploads */

    case NGX_HTTP_S3_OP_COPY_OBJECT:
        return ngx_http_s3_copy_object(r);

    case NGX_HTTP_S3_OP_GET_OBJECT_TAGGING:
    case NGX_HTTP_S3_OP_GET_BUCKET_TAGGING:
        return ngx_http_s3_get_tagging(r);

    case NGX_HTTP_S3_OP_PUT_OBJECT_TAGGING:
    case NGX_HTTP_S3_OP_PUT_BUCKET_TAGGING:
        return ngx_http_s3_put_tagging(r);

    case NGX_HTTP_S3_OP_DELETE_OBJECT_TAGGING:
    case NGX_HTTP_S3_OP_DELETE_BUCKET_TAGGING:
        return ngx_http_s3_delete_tagging(r);

    case NGX_HTTP_S3_OP_GET_BUCKET_LOCATION:
        return ngx_http_s3_get_bucket_location(r);

    case NGX_HTTP_S3_OP_GET_BUCKET_ACL:
        return ngx_http_s3_get_bucket_acl(r);

    case NGX_HTTP_S3_OP_GET_OBJECT_ACL:
        return ngx_http_s3_get_object_acl(r);

    case NGX_HTTP_S3_OP_PUT_BUCKET_ACL:
    case NGX_HTTP_S3_OP_PUT_OBJECT_ACL:
        return ngx_http_s3_put_acl(r);

    case NGX_HTTP_S3_OP_PUT_BUCKET_CORS:
        return ngx_http_s3_put_bucket_cors(r);

    case NGX_HTTP_S3_OP_GET_BUCKET_CORS:
        return ngx_http_s3_get_bucket_cors(r);

    case NGX_HTTP_S3_OP_DELETE_BUCKET_CORS:
        return ngx_http_s3_delete_bucket_cors(r);

    case NGX_HTTP_S3_OP_PREFLIGHT:
        return ngx_http_s3_preflight(r);

    case NGX_HTTP_S3_OP_DELETE_OBJECTS:
        return ngx_http_s3_delete_objects(r);

    default:
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 operation %d has no handler", (int) ctx->op);
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }
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
     */

    conf->fsync = NGX_CONF_UNSET;
    conf->clock_skew = NGX_CONF_UNSET;
    conf->list_timeout = NGX_CONF_UNSET_MSEC;

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

    ngx_strlow(conf->domain.data, conf->domain.data, conf->domain.len);

    if (conf->root == NULL) {
        return NGX_CONF_OK;
    }

    if (ngx_thread_pool_add(cf, &conf->thread_pool) == NULL) {
        return NGX_CONF_ERROR;
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
    if (ngx_http_s3_cors_init(cf) != NGX_OK) {
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
