
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
static ngx_http_s3_root_t *ngx_http_s3_add_root(ngx_conf_t *cf,
    ngx_str_t *path);
static ngx_int_t ngx_http_s3_open_root(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static void ngx_http_s3_root_sockets(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static ngx_int_t ngx_http_s3_check_workers(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static ngx_uint_t ngx_http_s3_may_search(ngx_file_info_t *fi, ngx_uid_t uid,
    gid_t *groups, int ngroups);
static socklen_t ngx_http_s3_sockaddr(ngx_http_s3_root_t *root,
    struct sockaddr_un *sun, char *name);
static char *ngx_http_s3_set_temp_path(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static void *ngx_http_s3_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_s3_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_s3_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_s3_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_s3_init(ngx_conf_t *cf);

static ngx_int_t ngx_http_s3_init_module(ngx_cycle_t *cycle);
static void ngx_http_s3_chown_layout(ngx_cycle_t *cycle,
    ngx_http_s3_root_t *root, ngx_uid_t user);
static void ngx_http_s3_chown_users(ngx_cycle_t *cycle,
    ngx_http_s3_root_t *root, ngx_uid_t user);
static void ngx_http_s3_chown(ngx_cycle_t *cycle, u_char *name,
    ngx_uid_t user);
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


static ngx_str_t  ngx_http_s3_tmp = ngx_string("/" S3_PLACE_TMP);


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

    slcf->root = ngx_http_s3_add_root(cf, &path);
    if (slcf->root == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_s3_handler;

    return ngx_http_s3_set_temp_path(cf, slcf->root);
}


static ngx_http_s3_root_t *
ngx_http_s3_add_root(ngx_conf_t *cf, ngx_str_t *path)
{
    ngx_err_t                  err;
    ngx_uint_t                 i;
    ngx_http_s3_root_t        *root, **rootp;
    ngx_http_s3_main_conf_t   *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    rootp = smcf->roots.elts;
    for (i = 0; i < smcf->roots.nelts; i++) {
        if (rootp[i]->path.len == path->len
            && ngx_strncmp(rootp[i]->path.data, path->data, path->len) == 0)
        {
            return rootp[i];
        }
    }

    root = ngx_pcalloc(cf->pool, sizeof(ngx_http_s3_root_t));
    if (root == NULL) {
        return NULL;
    }

    root->path.len = path->len;
    root->path.data = ngx_pnalloc(cf->pool, path->len + 1);
    if (root->path.data == NULL) {
        return NULL;
    }

    (void) ngx_cpystrn(root->path.data, path->data, path->len + 1);

    if (s3_store_init((char *) root->path.data, &root->node_id) != S3_OK) {
        err = ngx_errno;
        if (err == EPROTO) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_store \"%s\" is not a store of format "
                               "\"%s\" (see its FORMAT file)",
                               root->path.data, S3_STORE_FORMAT);
            return NULL;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "s3_store \"%s\" cannot be used",
                           root->path.data);
        return NULL;
    }

    if (ngx_http_s3_check_workers(cf, root) != NGX_OK
        || ngx_http_s3_open_root(cf, root) != NGX_OK)
    {
        return NULL;
    }

    ngx_http_s3_root_sockets(cf, root);

    rootp = ngx_array_push(&smcf->roots);
    if (rootp == NULL) {
        return NULL;
    }

    *rootp = root;

    return root;
}


/*
 * The store's directory stays open in the master, and the workers inherit
 * it: every record and object is opened relative to it, so that a path
 * walk starts at the store and not at "/".  Closed with the cycle.
 */

static ngx_int_t
ngx_http_s3_open_root(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    ngx_pool_cleanup_t       *cln;
    ngx_pool_cleanup_file_t  *clnf;

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_pool_cleanup_file_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    root->fd = open((char *) root->path.data,
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (root->fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "open(\"%s\") failed", root->path.data);
        return NGX_ERROR;
    }

    cln->handler = ngx_pool_cleanup_file;
    clnf = cln->data;
    clnf->fd = root->fd;
    clnf->name = root->path.data;
    clnf->log = cf->log;

    return NGX_OK;
}


static void
ngx_http_s3_root_sockets(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    root->list_socklen = ngx_http_s3_sockaddr(root, &root->list_addr,
                                              S3_LISTPROTO_LIST_SOCK);
    root->hint_socklen = ngx_http_s3_sockaddr(root, &root->hint_addr,
                                              S3_LISTPROTO_HINT_SOCK);

    if (root->list_socklen == 0 || root->hint_socklen == 0) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "s3_store \"%s\" is too long a path for repld's "
                           "Unix sockets (%uz bytes at most): listings "
                           "will answer 503",
                           root->path.data,
                           sizeof(root->list_addr.sun_path)
                           - sizeof("/" S3_LISTPROTO_LIST_SOCK));
    }
}


/*
 * s3_store_init() ran as the master.  A master running as root passes its
 * checks whatever the modes, while the workers run as the "user"
 * directive says: each directory from "/" to the store must let that user
 * search it, or every request would fail.  The entries inside the store
 * are given to the user by ngx_http_s3_chown_layout().  Checked from the
 * modes (ACLs are not read), with the user's supplementary groups; the
 * "user" directive must precede the http block, as it always does.
 */

static ngx_int_t
ngx_http_s3_check_workers(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    int               ngroups;
    char             *name;
    u_char           *p, *end, path[NGX_MAX_PATH], mode[5];
    gid_t             gid, groups[64];
    ngx_uid_t         uid;
    struct passwd    *pwd;
    struct group     *grp;
    ngx_file_info_t   fi;
    ngx_core_conf_t  *ccf;

    if (geteuid() != 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        name = ccf->username;
        uid = ccf->user;
        gid = ccf->group;

    } else {
        /* what ngx_core_module_init_conf() will choose */

        pwd = getpwnam(NGX_USER);
        grp = getgrnam(NGX_GROUP);

        if (pwd == NULL || grp == NULL) {
            return NGX_OK;
        }

        name = NGX_USER;
        uid = pwd->pw_uid;
        gid = grp->gr_gid;
    }

    if (uid == 0 || root->path.len >= NGX_MAX_PATH) {
        return NGX_OK;
    }

    ngroups = sizeof(groups) / sizeof(gid_t);

    if (getgrouplist(name, gid, groups, &ngroups) == -1) {
        ngroups = sizeof(groups) / sizeof(gid_t);
    }

    end = ngx_cpymem(path, root->path.data, root->path.len);
    *end = '\0';

    for (p = path + 1; p <= end; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }

        *p = '\0';

        if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "s3_store \"%s\": " ngx_file_info_n
                               " \"%s\" failed", root->path.data, path);
            return NGX_ERROR;
        }

        if (!ngx_http_s3_may_search(&fi, uid, groups, ngroups)) {

            /* ngx_sprintf() has no octal */

            mode[0] = '0' + ((fi.st_mode >> 9) & 7);
            mode[1] = '0' + ((fi.st_mode >> 6) & 7);
            mode[2] = '0' + ((fi.st_mode >> 3) & 7);
            mode[3] = '0' + (fi.st_mode & 7);
            mode[4] = '\0';

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_store \"%s\" cannot be used by the "
                               "worker processes: their user \"%s\" "
                               "(uid %d) may not search \"%s\" (owner "
                               "uid %d, gid %d, mode %s)",
                               root->path.data, name, (int) uid, path,
                               (int) fi.st_uid, (int) fi.st_gid, mode);
            return NGX_ERROR;
        }

        if (p < end) {
            *p = '/';
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_s3_may_search(ngx_file_info_t *fi, ngx_uid_t uid, gid_t *groups,
    int ngroups)
{
    int  i;

    if (fi->st_uid == uid) {
        return (fi->st_mode & S_IXUSR) != 0;
    }

    for (i = 0; i < ngroups; i++) {
        if (fi->st_gid == groups[i]) {
            return (fi->st_mode & S_IXGRP) != 0;
        }
    }

    return (fi->st_mode & S_IXOTH) != 0;
}


/* returns the address length, or 0 when the path does not fit */

static socklen_t
ngx_http_s3_sockaddr(ngx_http_s3_root_t *root, struct sockaddr_un *sun,
    char *name)
{
    u_char  *p;
    size_t   len;

    len = root->path.len + 1 + ngx_strlen(name);

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    if (len >= sizeof(sun->sun_path)) {
        (void) ngx_cpystrn((u_char *) sun->sun_path, root->path.data,
                           sizeof(sun->sun_path));
        return 0;
    }

    p = ngx_sprintf((u_char *) sun->sun_path, "%V/%s", &root->path, name);
    *p = '\0';

    return offsetof(struct sockaddr_un, sun_path) + len + 1;
}


static char *
ngx_http_s3_set_temp_path(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    u_char                    *p;
    ngx_path_t                *path;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->client_body_temp_path != NULL) {
        return "conflicts with client_body_temp_path in the same location";
    }

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name.len = root->path.len + ngx_http_s3_tmp.len;
    path->name.data = ngx_pnalloc(cf->pool, path->name.len + 1);
    if (path->name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(path->name.data, root->path.data, root->path.len);
    p = ngx_cpymem(p, ngx_http_s3_tmp.data, ngx_http_s3_tmp.len);
    *p = '\0';

    /*
     * tmp/N/: every create and every commit's rename locks the directory
     * it takes the file from, and with one directory the pool's threads
     * spun on that lock (22% of the CPU time of 4 KiB PUTs)
     */

    path->level[0] = 1;
    path->len = 2;

    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    clcf->client_body_temp_path = path;

    if (ngx_add_path(cf, &clcf->client_body_temp_path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
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
    int                        n;
    ngx_uint_t                 i;
    ngx_core_conf_t           *ccf;
    ngx_http_s3_root_t       **rootp;
    ngx_http_s3_main_conf_t   *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);
    if (smcf == NULL) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);
    rootp = smcf->roots.elts;

    for (i = 0; i < smcf->roots.nelts; i++) {
        if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
            ngx_http_s3_chown_layout(cycle, rootp[i], ccf->user);
        }
    }

    /* sweep at the first start only: no reload, test or binary upgrade */

    if (ngx_test_config || ngx_inherited || ngx_process == NGX_PROCESS_SIGNALLER
        || cycle->old_cycle == NULL || cycle->old_cycle->conf_ctx != NULL)
    {
        return NGX_OK;
    }

    for (i = 0; i < smcf->roots.nelts; i++) {
        n = s3_store_sweep_tmp((char *) rootp[i]->path.data);

        if (n == -1) {
            ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                          "s3_store_sweep_tmp(\"%s\") failed",
                          rootp[i]->path.data);
            continue;
        }

        if (n > 0) {
            ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                          "s3 store \"%s\": %d entries of tmp/ swept",
                          rootp[i]->path.data, n);
        }
    }

    return NGX_OK;
}


static void
ngx_http_s3_chown_layout(ngx_cycle_t *cycle, ngx_http_s3_root_t *root,
    ngx_uid_t user)
{
    u_char      *p, name[NGX_MAX_PATH];
    ngx_uint_t   i;

    static char  *entries[] = {
        "FORMAT", "lock", S3_PLACE_TMP, S3_JOURNAL_DIR, S3_PLACE_USERS,
        S3_PLACE_BUCKETS, NULL
    };

    for (i = 0; entries[i] != NULL; i++) {
        p = ngx_snprintf(name, NGX_MAX_PATH - 1, "%V/%s", &root->path,
                         entries[i]);
        *p = '\0';

        ngx_http_s3_chown(cycle, name, user);
    }

    ngx_http_s3_chown_users(cycle, root, user);
}


/* user records written by s3ctl running as root must be readable */

static void
ngx_http_s3_chown_users(ngx_cycle_t *cycle, ngx_http_s3_root_t *root,
    ngx_uid_t user)
{
    u_char      *p, name[NGX_MAX_PATH];
    ngx_dir_t    dir;
    ngx_str_t    path;

    p = ngx_snprintf(name, NGX_MAX_PATH - 1, "%V/%s", &root->path,
                     S3_PLACE_USERS);
    *p = '\0';

    path.data = name;
    path.len = p - name;

    if (ngx_open_dir(&path, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      ngx_open_dir_n " \"%s\" failed", name);
        return;
    }

    while (ngx_read_dir(&dir) == NGX_OK) {
        if (ngx_de_name(&dir)[0] == '.') {
            continue;
        }

        p = ngx_snprintf(name, NGX_MAX_PATH - 1, "%V/%s/%s", &root->path,
                         S3_PLACE_USERS, ngx_de_name(&dir));
        *p = '\0';

        ngx_http_s3_chown(cycle, name, user);
    }

    if (ngx_close_dir(&dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      ngx_close_dir_n " \"%V\" failed", &path);
    }
}


static void
ngx_http_s3_chown(ngx_cycle_t *cycle, u_char *name, ngx_uid_t user)
{
    ngx_file_info_t  fi;

    if (ngx_file_info(name, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      ngx_file_info_n " \"%s\" failed", name);
        return;
    }

    if (fi.st_uid == user) {
        return;
    }

    if (chown((const char *) name, user, -1) == -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      "chown(\"%s\", %d) failed", name, (int) user);
    }
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
