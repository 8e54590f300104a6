
/*
 * Copyright (C) ngx_s3 developers
 *
 * The cluster's nodes (s3_node) and proxying a request to one of them.
 * The module has no HTTP client: ngx_http_s3_proxy() sets $s3_peer to the
 * node's address and hands the request to the "@s3_peer" named location,
 * whose proxy_pass streams it there with its request line unchanged (the
 * SigV4 signature covers it).  When the node cannot be reached, that
 * location's error_page sends the request to a location holding
 * s3_peer_unreachable, which answers 503 in XML.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_http_s3_node_t *ngx_http_s3_node_find(
    ngx_http_s3_main_conf_t *smcf, uint32_t id, ngx_str_t *addr);
static ngx_int_t ngx_http_s3_proxy_mark(ngx_http_request_t *r,
    uint32_t self);
static ngx_int_t ngx_http_s3_peer_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_peer_unreachable_handler(ngx_http_request_t *r);


static ngx_str_t  ngx_http_s3_peer_location = ngx_string("@s3_peer");
static ngx_str_t  ngx_http_s3_peer_name = ngx_string("s3_peer");


/*
 * UploadPart, UploadPartCopy, ListParts, CompleteMultipartUpload and
 * AbortMultipartUpload (every row needing ?uploadId) whose upload id names
 * another configured node go there; NGX_DECLINED: served here.  An id
 * naming no configured node (one made before ids named their node, or an
 * unknown one) is this node's.
 */

ngx_int_t
ngx_http_s3_proxy_upload(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    uint32_t                  id;
    ngx_http_s3_node_t       *node;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->nodes.nelts == 0
        || !(s3_ops[ctx->op].args & S3_ARG_UPLOAD_ID)
        || s3_upload_id_node((char *) ctx->upload_id.data,
                             ctx->upload_id.len, &id)
           != S3_OK
        || id == ctx->store.node_id)
    {
        return NGX_DECLINED;
    }

    node = ngx_http_s3_node_find(smcf, id, NULL);
    if (node == NULL) {
        return NGX_DECLINED;
    }

    return ngx_http_s3_proxy(r, node);
}


/*
 * Sends r, authenticated here but with its body unread, to node through
 * "@s3_peer"; what the node answers is the client's answer.  A request
 * that was proxied here by another node is answered 503 instead: it is
 * never proxied twice, so two nodes disagreeing never make a loop.
 */

ngx_int_t
ngx_http_s3_proxy(ngx_http_request_t *r, ngx_http_s3_node_t *node)
{
    ngx_table_elt_t            *mark;
    ngx_http_s3_ctx_t          *ctx;
    ngx_http_s3_main_conf_t    *smcf;
    ngx_http_variable_value_t  *v;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    mark = ctx->headers[S3_HDR_PROXIED];

    if (mark != NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 request proxied here by node \"%V\" belongs on "
                      "node %08xD (%V): not proxied again",
                      &mark->value, node->id, &node->addr);

        return ngx_http_s3_send_error(r,
                   ngx_http_s3_error_message(r,
                       NGX_HTTP_S3_SERVICE_UNAVAILABLE,
                       "This request was proxied here by another node but "
                       "belongs on node %s; the nodes disagree on where it "
                       "lives, so it is not proxied again.",
                       (char *) node->name));
    }

    if (ngx_http_s3_proxy_mark(r, ctx->store.node_id) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v = &r->variables[smcf->peer_index];
    v->data = node->addr.data;
    v->len = node->addr.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    /* the node answers with its own request id */

    ctx->request_id_header->hash = 0;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 %s proxied to node %08xD (%V)",
                  s3_ops[ctx->op].action, node->id, &node->addr);

    return ngx_http_named_location(r, &ngx_http_s3_peer_location);
}


static ngx_http_s3_node_t *
ngx_http_s3_node_find(ngx_http_s3_main_conf_t *smcf, uint32_t id,
    ngx_str_t *addr)
{
    ngx_uint_t           i;
    ngx_http_s3_node_t  *node;

    node = smcf->nodes.elts;

    for (i = 0; i < smcf->nodes.nelts; i++) {

        if (addr == NULL ? node[i].id == id
            : node[i].addr.len == addr->len
              && ngx_strncmp(node[i].addr.data, addr->data, addr->len) == 0)
        {
            return &node[i];
        }
    }

    return NULL;
}


/* the mark is not signed: the peer's SigV4 check does not see it */

static ngx_int_t
ngx_http_s3_proxy_mark(ngx_http_request_t *r, uint32_t self)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, NGX_HTTP_S3_PROXIED);
    h->lowcase_key = (u_char *) NGX_HTTP_S3_PROXIED;
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%08xD", self) - p;

    return NGX_OK;
}


/* s3_node ID ADDRESS: ID as in repld.conf (8 hex digits), ADDRESS host:port */

char *
ngx_http_s3_node(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    u_char              *p;
    uint32_t             id;
    ngx_str_t           *value;
    ngx_http_s3_node_t  *node;

    value = cf->args->elts;

    if (s3_node_id_parse((char *) value[1].data, value[1].len, &id)
        != S3_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid s3_node id \"%V\": 8 hex digits, as "
                           "\"s3ctl node id\" prints", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || ngx_strlchr(value[2].data,
                                         value[2].data + value[2].len, '/'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid s3_node address \"%V\": HOST:PORT, "
                           "without scheme or path", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_s3_node_find(smcf, id, NULL) != NULL
        || ngx_http_s3_node_find(smcf, 0, &value[2]) != NULL)
    {
        return "names a node id or an address twice";
    }

    node = ngx_array_push(&smcf->nodes);
    if (node == NULL) {
        return NGX_CONF_ERROR;
    }

    node->id = id;
    node->addr = value[2];

    p = ngx_cpymem(node->name, value[1].data, 8);
    *p = '\0';
    ngx_strlow(node->name, node->name, 8);

    return NGX_CONF_OK;
}


/* s3_peer_unreachable: the location "@s3_peer"'s error_page goes to */

char *
ngx_http_s3_peer_unreachable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_s3_peer_unreachable_handler;

    return NGX_CONF_OK;
}


/*
 * Every server holding an s3_store location, with s3_node given, needs
 * "@s3_peer": checked here, once the named locations are known.
 */

ngx_int_t
ngx_http_s3_proxy_init(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_variable_t        *var;
    ngx_http_core_srv_conf_t  **cscfp;
    ngx_http_core_loc_conf_t  **clcfp;
    ngx_http_s3_main_conf_t    *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    var = ngx_http_add_variable(cf, &ngx_http_s3_peer_name, 0);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_s3_peer_variable;

    smcf->peer_index = ngx_http_get_variable_index(cf,
                                                   &ngx_http_s3_peer_name);
    if (smcf->peer_index == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (smcf->nodes.nelts == 0) {
        return NGX_OK;
    }

    cscfp = smcf->servers.elts;

    for (i = 0; i < smcf->servers.nelts; i++) {

        for (clcfp = cscfp[i]->named_locations; clcfp && *clcfp; clcfp++) {
            if ((*clcfp)->name.len == ngx_http_s3_peer_location.len
                && ngx_strncmp((*clcfp)->name.data,
                               ngx_http_s3_peer_location.data,
                               ngx_http_s3_peer_location.len)
                   == 0)
            {
                break;
            }
        }

        if (clcfp == NULL || *clcfp == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "s3_node is set but the server \"%V\" holding an "
                          "s3_store location has no \"location @s3_peer\" "
                          "to proxy requests to other nodes "
                          "(docs/CONFIG.md)", &cscfp[i]->server_name);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a server holding an s3_store location */

ngx_int_t
ngx_http_s3_proxy_server(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_core_srv_conf_t   *cscf, **cscfp;
    ngx_http_s3_main_conf_t    *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    cscfp = smcf->servers.elts;

    for (i = 0; i < smcf->servers.nelts; i++) {
        if (cscfp[i] == cscf) {
            return NGX_OK;
        }
    }

    cscfp = ngx_array_push(&smcf->servers);
    if (cscfp == NULL) {
        return NGX_ERROR;
    }

    *cscfp = cscf;

    return NGX_OK;
}


/* $s3_peer is set by ngx_http_s3_proxy() only */

static ngx_int_t
ngx_http_s3_peer_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    v->not_found = 1;

    return NGX_OK;
}


/*
 * The node "@s3_peer" was sent to did not answer (error_page 502 504):
 * a 503 in XML that names it.  Its body was being streamed there, so the
 * connection is closed after the answer.
 */

static ngx_int_t
ngx_http_s3_peer_unreachable_handler(ngx_http_request_t *r)
{
    char                        name[sizeof("00000000 (") + NGX_SOCKADDRLEN
                                     + sizeof(")")];
    ngx_str_t                   addr;
    ngx_http_s3_ctx_t          *ctx;
    ngx_http_s3_node_t         *node;
    ngx_http_s3_main_conf_t    *smcf;
    ngx_http_variable_value_t  *v;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_s3_module);

    if (ngx_http_s3_set_request_id(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (r->request_body != NULL) {
        r->keepalive = 0;
    }

    v = ngx_http_get_indexed_variable(r, smcf->peer_index);

    if (v == NULL || v->not_found) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3_peer_unreachable reached without $s3_peer");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_INTERNAL_ERROR);
    }

    addr.data = v->data;
    addr.len = v->len;

    node = ngx_http_s3_node_find(smcf, 0, &addr);

    *ngx_snprintf((u_char *) name, sizeof(name) - 1, "%s (%V)",
                  node ? node->name : (u_char *) "?", &addr) = '\0';

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "s3 node %s cannot be reached", name);

    return ngx_http_s3_send_error(r,
               ngx_http_s3_error_message(r, NGX_HTTP_S3_SERVICE_UNAVAILABLE,
                   "This request is served by node %s, where its upload "
                   "lives, and that node cannot be reached; try again once "
                   "it is back.", name));
}
