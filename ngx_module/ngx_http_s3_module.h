
/*
 * Copyright (C) ngx_s3 developers
 *
 * The configuration, the per-request context and the functions the files
 * of ngx_http_s3_module share.
 */


#ifndef _NGX_HTTP_S3_MODULE_H_INCLUDED_
#define _NGX_HTTP_S3_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "s3_core.h"
#include "s3_digest.h"
#include "s3_chunked.h"
#include "s3_cksum.h"
#include "s3_hlc.h"
#include "s3_journal.h"
#include "s3_listproto.h"
#include "s3_maintenance.h"
#include "s3_op.h"
#include "s3_place.h"
#include "s3_record.h"
#include "s3_sigv4.h"
#include "s3_store.h"
#include "s3_uri.h"
#include "s3_xml.h"
#include "s3_xml_escape.h"


#define NGX_HTTP_S3_REQUEST_ID_LEN   16
#define NGX_HTTP_S3_MAX_OBJECT_SIZE  (5LL * 1024 * 1024 * 1024)
#define NGX_HTTP_S3_MAX_META_SIZE    2048
#define NGX_HTTP_S3_HEADERS_SIZE     16384
#define NGX_HTTP_S3_MAX_BUCKETS      10000
#define NGX_HTTP_S3_KEY_CACHE_SIZE   32
#define NGX_HTTP_S3_MAX_ARGS         (S3_SIGV4_MAX_PARAMS + 1)
                                              /* and X-Amz-Signature */

/* the mark ngx_http_s3_proxy() puts on a request it sends to a node */
#define NGX_HTTP_S3_PROXIED          "x-ngx-s3-proxied"  /* S3_HDR_PROXIED */

/* ngx_http_s3_start_op() flags */
#define NGX_HTTP_S3_DISCARD_BODY     0x01     /* the body is not ours */
#define NGX_HTTP_S3_ETAG_LEN         (2 * S3_MD5_LEN + 3 + NGX_SIZE_T_LEN)
#define NGX_HTTP_S3_ISO8601_LEN      (sizeof("2009-10-12T17:50:30.000Z") - 1)

#define NGX_HTTP_S3_XML_DECL                                                 \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define NGX_HTTP_S3_XMLNS                                                    \
    "http://s3.amazonaws.com/doc/2006-03-01/"


typedef enum {
    NGX_HTTP_S3_OK = 0,
    NGX_HTTP_S3_ACCESS_DENIED,
    NGX_HTTP_S3_ACCESS_FORBIDDEN,
    NGX_HTTP_S3_AUTH_HEADER_MALFORMED,
    NGX_HTTP_S3_AUTH_QUERY_ERROR,
    NGX_HTTP_S3_BAD_DIGEST,
    NGX_HTTP_S3_BAD_REQUEST,
    NGX_HTTP_S3_BUCKET_EXISTS,
    NGX_HTTP_S3_BUCKET_OWNED,
    NGX_HTTP_S3_BUCKET_NOT_EMPTY,
    NGX_HTTP_S3_ENTITY_TOO_LARGE,
    NGX_HTTP_S3_ENTITY_TOO_SMALL,
    NGX_HTTP_S3_ILLEGAL_LOCATION,
    NGX_HTTP_S3_INCOMPLETE_BODY,
    NGX_HTTP_S3_INSUFFICIENT_STORAGE,
    NGX_HTTP_S3_INTERNAL_ERROR,
    NGX_HTTP_S3_INVALID_ACCESS_KEY_ID,
    NGX_HTTP_S3_INVALID_ARGUMENT,
    NGX_HTTP_S3_INVALID_BUCKET_NAME,
    NGX_HTTP_S3_INVALID_DIGEST,
    NGX_HTTP_S3_INVALID_LOCATION,
    NGX_HTTP_S3_INVALID_PART,
    NGX_HTTP_S3_INVALID_PART_NUMBER,
    NGX_HTTP_S3_INVALID_PART_ORDER,
    NGX_HTTP_S3_INVALID_RANGE,
    NGX_HTTP_S3_INVALID_REQUEST,
    NGX_HTTP_S3_INVALID_STORAGE_CLASS,
    NGX_HTTP_S3_INVALID_TAG,
    NGX_HTTP_S3_INVALID_URI,
    NGX_HTTP_S3_KEY_TOO_LONG,
    NGX_HTTP_S3_MALFORMED_ACL,
    NGX_HTTP_S3_MALFORMED_TRAILER,
    NGX_HTTP_S3_MALFORMED_XML,
    NGX_HTTP_S3_METADATA_TOO_LARGE,
    NGX_HTTP_S3_METHOD_NOT_ALLOWED,
    NGX_HTTP_S3_MISSING_CONTENT_LENGTH,
    NGX_HTTP_S3_NO_SUCH_BUCKET,
    NGX_HTTP_S3_NO_SUCH_CORS,
    NGX_HTTP_S3_NO_SUCH_KEY,
    NGX_HTTP_S3_NO_SUCH_TAG_SET,
    NGX_HTTP_S3_NO_SUCH_UPLOAD,
    NGX_HTTP_S3_NO_SUCH_VERSION,
    NGX_HTTP_S3_NOT_IMPLEMENTED,
    NGX_HTTP_S3_PRECONDITION_FAILED,
    NGX_HTTP_S3_REQUEST_TIME_TOO_SKEWED,
    NGX_HTTP_S3_SERVICE_UNAVAILABLE,
    NGX_HTTP_S3_SIGNATURE_DOES_NOT_MATCH,
    NGX_HTTP_S3_SHA256_MISMATCH,
    NGX_HTTP_S3_SLOW_DOWN,
    NGX_HTTP_S3_USER_KEY_MUST_BE_SPECIFIED,
    NGX_HTTP_S3_ERR_LAST
} ngx_http_s3_err_e;


/* one per distinct s3_store path; journal is per worker */
typedef struct {
    ngx_str_t                  path;          /* absolute, NUL-terminated */
    ngx_fd_t                   fd;            /* the directory, for
                                                 openat(): shorter walks */
    uint32_t                   node_id;
    s3_journal_t              *journal;       /* NULL: read-only worker */

    /* repld's sockets; socklen 0: the path is too long for sun_path */
    struct sockaddr_un         list_addr;
    socklen_t                  list_socklen;
    struct sockaddr_un         hint_addr;
    socklen_t                  hint_socklen;

    ngx_str_t                 *thread_pool;   /* of a location using it */
    ngx_event_t                expire;        /* multipart expiry timer */
    ngx_thread_task_t         *expire_task;
    ngx_uint_t                 expiring;      /* a sweep task in flight */

    /* maintenance mode as this worker last read it (once per msec) */
    ngx_msec_t                 maint_checked;
    ngx_uint_t                 maint_on;
    size_t                     maint_len;
    u_char                     maint_msg[S3_MAINTENANCE_MAX];
} ngx_http_s3_root_t;


typedef struct {
    u_char                     access_key[S3_ACCESS_KEY_MAX_LEN];
    u_char                     secret[64];    /* longer ones: not cached */
    u_char                     date[8];
    u_char                     region[64];
    size_t                     access_key_len;
    size_t                     secret_len;
    size_t                     region_len;
    u_char                     key[S3_SIGV4_KEY_LEN];
} ngx_http_s3_signing_key_t;


/* the latency histogram's upper bounds, in ms; one more slot: +Inf */
#define NGX_HTTP_S3_LATENCY_BOUNDS                                           \
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
#define NGX_HTTP_S3_LATENCY_SLOTS    12
#define NGX_HTTP_S3_STATUS_CLASSES   5        /* 1xx to 5xx */


/* the counters of the shared zone: per node, kept across reloads */
typedef struct {
    ngx_atomic_t               requests[S3_OP_LAST]
                                       [NGX_HTTP_S3_STATUS_CLASSES];
    ngx_atomic_t               latency[S3_OP_LAST]
                                      [NGX_HTTP_S3_LATENCY_SLOTS];
    ngx_atomic_t               latency_ms[S3_OP_LAST];
    ngx_atomic_t               errors[NGX_HTTP_S3_ERR_LAST];
    ngx_atomic_t               received;
    ngx_atomic_t               sent;
    time_t                     started;       /* the first start */
} ngx_http_s3_metrics_t;


/* what the health and metrics endpoints learn in a thread of the pool */
typedef struct {
    ngx_http_s3_root_t        *root;
    u_char                    *repld;         /* its "metrics" answer */
    ssize_t                    repld_len;     /* -1: unreachable */
    off_t                      disk_size;
    off_t                      disk_used;
    off_t                      disk_avail;    /* to unprivileged users */
    ngx_uint_t                 disk_ok;       /* statvfs() succeeded */
    ngx_uint_t                 writable;
    ngx_uint_t                 maintenance;
    size_t                     message_len;
    u_char                     message[S3_MAINTENANCE_MAX];
} ngx_http_s3_probe_t;


typedef struct ngx_http_s3_cache_s  ngx_http_s3_cache_t;
typedef struct ngx_http_s3_ocache_s  ngx_http_s3_ocache_t;


/* what an aws-chunked signed body is checked with (s3_chunked.h) */
typedef struct {
    u_char                     key[S3_SIGV4_KEY_LEN];
    u_char                     seed[S3_SIGV4_SIG_HEX_LEN];
    u_char                     date[S3_SIGV4_DATE_LEN];
    u_char                     scope[S3_CHUNKED_MAX_SCOPE];
    size_t                     scope_len;
} ngx_http_s3_signing_t;


/* s3_node: a node of the cluster */
typedef struct {
    uint32_t                   id;
    u_char                     name[9];       /* the id in hex, for logs */
    ngx_str_t                  addr;          /* HOST:PORT of its S3 */
} ngx_http_s3_node_t;


typedef struct {
    ngx_array_t                roots;         /* ngx_http_s3_root_t * */
    ngx_array_t                nodes;         /* ngx_http_s3_node_t */
    ngx_array_t                servers;       /* ngx_http_core_srv_conf_t *
                                                 holding an s3_store */
    ngx_int_t                  peer_index;    /* $s3_peer */
    size_t                     journal_size;
    time_t                     multipart_expire;

    /* per worker process, set up in init_process */
    s3_hlc_t                   clock;
    ngx_http_s3_signing_key_t *keys;
    ngx_uint_t                 next_key;
    ngx_socket_t               hint_fd;       /* -1: no hints */
    ngx_http_s3_cache_t       *cache;         /* user and bucket records */
    ngx_uint_t                 cache_generation; /* tasks finished */
    ngx_http_s3_ocache_t      *ocache;        /* open object files */

    ngx_shm_zone_t            *metrics_zone;  /* its data:
                                                 ngx_http_s3_metrics_t */
    ngx_uint_t                 probes;        /* s3_metrics, s3_health */

    /* s3_object_cache */
    ngx_uint_t                 ocache_max;    /* 0: off */
    off_t                      ocache_size;
    ngx_msec_t                 ocache_inactive;
} ngx_http_s3_main_conf_t;


typedef struct {
    ngx_http_s3_root_t        *root;          /* s3_store, not inherited */
    ngx_str_t                  region;
    ngx_str_t                  domain;
    ngx_flag_t                 fsync;
    time_t                     clock_skew;
    ngx_str_t                  thread_pool;
    ngx_msec_t                 list_timeout;
    ngx_open_file_t           *audit_log;     /* NULL: off */
    ngx_uint_t                 probe;         /* s3_metrics, s3_health */
} ngx_http_s3_loc_conf_t;


/* a query argument as sent: the name runs to the first '=' */
typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  value;         /* empty without '=' */
} ngx_http_s3_arg_t;


/* an XML body read whole: what finalizes the request */
typedef ngx_int_t (*ngx_http_s3_xml_body_pt)(ngx_http_request_t *r,
    u_char *buf, size_t len);


typedef struct {
    s3_op_e                    op;            /* its row: s3_ops[op] */
    ngx_str_t                  bucket;        /* decoded */
    ngx_str_t                  key;           /* decoded, may hold NULs */
    ngx_str_t                  path;          /* raw path, no query */
    ngx_str_t                  query;         /* raw query, no '?' */
    ngx_array_t                args;          /* ngx_http_s3_arg_t: the
                                                 query split, in order */
    ngx_str_t                  user;          /* the authenticated requester,
                                                 empty when anonymous */
    ngx_str_t                  access_key;    /* as sent, once parsed */
    ngx_str_t                  payload_hash;  /* x-amz-content-sha256 */
    ngx_str_t                  message;       /* overrides the table's */
    ngx_str_t                  error_extra;   /* XML elements an error
                                                 adds after its Message */
    u_char                     request_id[NGX_HTTP_S3_REQUEST_ID_LEN];
    ngx_table_elt_t           *request_id_header; /* x-amz-request-id */
    ngx_http_s3_err_e          error;         /* the error answered */

    s3_store_t                 store;
    ngx_http_s3_root_t        *root;          /* the store's directory */

    /* STREAMING-AWS4-HMAC-SHA256-*: set by authentication, else NULL */
    ngx_http_s3_signing_t     *signing;

    /* a body we read ourselves: ngx_http_s3_body_t */
    void                      *body;

    /* ngx_http_s3_read_xml_body() */
    ngx_http_s3_xml_body_pt    xml_handler;

    /* ListObjects: ngx_http_s3_list_ctx_t */
    void                      *list;

    /* multipart: ngx_http_s3_mpu_ctx_t */
    void                      *mpu;
    void                      *parts;         /* GET: ngx_http_s3_parts_t */
    ngx_str_t                  upload_id;     /* ?uploadId */
    ngx_uint_t                 part_number;   /* ?partNumber, 0: none */

    /* the headers the operations read, filed in one walk: the first of
       each s3_hdr_e, and which are present (of S3_HDR_NOT_IMPLEMENTED,
       only those whose value asks for what is not done) */
    ngx_table_elt_t           *headers[S3_HDR_LAST];
    uint64_t                   header_bits;
    ngx_uint_t                 checksums;     /* x-amz-checksum-<algo> */

    /* PutObject */
    s3_record_t                rec;
    s3_store_cond_t           *cond;          /* If-Match, If-None-Match */
    unsigned                   check_sha256:1;
    unsigned                   anonymous:1;   /* no credentials were sent */
} ngx_http_s3_ctx_t;


/* the preconditions ngx_http_s3_conditions() evaluates; NULL: absent */
typedef struct {
    ngx_table_elt_t           *if_match;
    ngx_table_elt_t           *if_unmodified_since;
    ngx_table_elt_t           *if_none_match;
    ngx_table_elt_t           *if_modified_since;
} ngx_http_s3_conditions_t;


/* the body of PutObject and UploadPart (ngx_http_s3_body.c) */
typedef struct {
    ngx_temp_file_t            temp;          /* the decoded bytes; fd
                                                 NGX_INVALID_FILE once
                                                 removed after an error */
    struct iovec               pending[NGX_IOVS_PREALLOCATE];
                                              /* read, not yet written */
    ngx_uint_t                 npending;
    off_t                      sent;          /* bytes as sent */
    off_t                      received;      /* decoded bytes */
    ngx_http_s3_err_e          error;         /* the answer once the body
                                                 has ended: swallowing */
    s3_digest_t                md5;
    s3_digest_t                sha256;
    s3_cksum_t                 cksum;         /* flexible checksum; algo
                                                 NONE: none asked for */
    u_char                     expected[S3_CKSUM_MAX_LEN];

    /* aws-chunked: the decoder, else NULL */
    s3_chunked_t              *chunked;
    off_t                      declared;      /* x-amz-decoded-content-length */
    ngx_str_t                  trailer;       /* x-amz-trailer, lowercase */

    unsigned                   reading:1;
    unsigned                   check_sha256:1;
    unsigned                   verify:1;      /* expected was sent */
    unsigned                   done:1;        /* aws-chunked: its end */
} ngx_http_s3_body_t;


typedef struct ngx_http_s3_task_s  ngx_http_s3_task_t;

/*
 * runs in a thread of the pool: syscalls on t->data only, no pool use;
 * it sets t->rc, and errno as it returns is kept in t->err
 */
typedef void (*ngx_http_s3_task_run_pt)(ngx_http_s3_task_t *t);

/* runs in the worker when the task is done; returns what to finalize with */
typedef ngx_int_t (*ngx_http_s3_task_done_pt)(ngx_http_request_t *r,
    ngx_http_s3_task_t *t);

struct ngx_http_s3_task_s {
    ngx_http_request_t        *request;
    ngx_http_s3_task_run_pt    run;
    ngx_http_s3_task_done_pt   done;
    void                      *data;
    int                        rc;            /* the core call's status */
    ngx_err_t                  err;           /* errno when rc is S3_ERR */
    ngx_event_t                wait;          /* timer held while in flight */
};


/* ngx_http_s3_module.c */
ngx_int_t ngx_http_s3_store_init(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

/* ngx_http_s3_root.c */
ngx_http_s3_root_t *ngx_http_s3_root_add(ngx_conf_t *cf, ngx_str_t *path);
char *ngx_http_s3_root_temp_path(ngx_conf_t *cf, ngx_http_s3_root_t *root);
void ngx_http_s3_root_init_module(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);

/* ngx_http_s3_request.c */
ngx_http_s3_err_e ngx_http_s3_parse_request(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_uint_t ngx_http_s3_query_arg(ngx_http_s3_ctx_t *ctx, char *name,
    ngx_str_t *value);
ngx_http_s3_err_e ngx_http_s3_start_op(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_uint_t flags, s3_record_t *brec);
ngx_http_s3_err_e ngx_http_s3_check_bucket(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_record_t *rec, ngx_table_elt_t *owner);

/* ngx_http_s3_headers.c */
void ngx_http_s3_read_headers(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_http_s3_err_e ngx_http_s3_refuse_header(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_hdr_e hdr);

/* ngx_http_s3_auth.c */
ngx_http_s3_err_e ngx_http_s3_authenticate(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_int_t ngx_http_s3_auth_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
ngx_uint_t ngx_http_s3_owns(ngx_http_s3_ctx_t *ctx, s3_record_t *brec);
ngx_http_s3_err_e ngx_http_s3_auth_bucket(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_record_t *rec);
ngx_http_s3_err_e ngx_http_s3_auth_object(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_record_t *brec, s3_record_t *rec,
    ngx_http_s3_err_e err);

/* ngx_http_s3_cache.c */
ngx_int_t ngx_http_s3_cache_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
void ngx_http_s3_cache_changed(ngx_http_request_t *r);
int ngx_http_s3_read_user(ngx_http_request_t *r, ngx_http_s3_root_t *root,
    u_char *ak, size_t len, s3_record_t *rec);
int ngx_http_s3_read_bucket(ngx_http_request_t *r, ngx_http_s3_root_t *root,
    u_char *bucket, size_t len, s3_record_t *rec);

/* ngx_http_s3_bucket.c */
ngx_int_t ngx_http_s3_list_buckets(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_create_bucket(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_head_bucket(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_bucket(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_location(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_set_bucket_attrs(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

/* ngx_http_s3_acl.c */
ngx_http_s3_err_e ngx_http_s3_acl_header(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, s3_str_t *acl);
ngx_int_t ngx_http_s3_get_bucket_acl(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_acl(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_acl(ngx_http_request_t *r);

/* ngx_http_s3_cors.c */
ngx_int_t ngx_http_s3_cors_init(ngx_conf_t *cf);
ngx_int_t ngx_http_s3_preflight(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_cors(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_bucket_cors(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_bucket_cors(ngx_http_request_t *r);

/* ngx_http_s3_open.c */
char *ngx_http_s3_object_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_s3_ocache_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
ngx_http_s3_err_e ngx_http_s3_open_object(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_uint_t cache, ngx_file_t *file,
    s3_record_t *rec);
void ngx_http_s3_ocache_forget(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key);

/* ngx_http_s3_object.c */
ngx_int_t ngx_http_s3_get_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_conditions(ngx_http_s3_conditions_t *c,
    s3_record_t *rec);
ngx_int_t ngx_http_s3_set_etag(ngx_http_request_t *r, u_char *md5,
    size_t nparts);
u_char *ngx_http_s3_etag(u_char *p, u_char *md5, size_t nparts);
ngx_int_t ngx_http_s3_range(ngx_http_request_t *r, off_t size,
    off_t *start, off_t *end);

/* ngx_http_s3_put.c */
ngx_int_t ngx_http_s3_put_object(ngx_http_request_t *r);
ngx_http_s3_err_e ngx_http_s3_put_headers(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_http_s3_err_e ngx_http_s3_content_md5(ngx_http_request_t *r,
    u_char *md5, ngx_uint_t *sent);

/* ngx_http_s3_body.c */
ngx_int_t ngx_http_s3_body_init(ngx_conf_t *cf);
ngx_http_s3_err_e ngx_http_s3_body_start(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_http_s3_err_e ngx_http_s3_body_finish(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
void ngx_http_s3_body_keep(ngx_http_request_t *r, ngx_http_s3_body_t *body);
void ngx_http_s3_body_remove(ngx_http_request_t *r,
    ngx_http_s3_body_t *body);
ngx_http_s3_err_e ngx_http_s3_payload_hash_check(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, u_char *sha256);

/* ngx_http_s3_checksum.c */
ngx_http_s3_err_e ngx_http_s3_checksum_start(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
ngx_http_s3_err_e ngx_http_s3_checksum_finish(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_body_t *body);
ngx_int_t ngx_http_s3_set_checksum(ngx_http_request_t *r, s3_record_t *rec);
ngx_http_s3_err_e ngx_http_s3_cksum_header(ngx_http_request_t *r,
    ngx_table_elt_t **found);
ngx_http_s3_err_e ngx_http_s3_cksum_invalid(ngx_http_request_t *r,
    s3_cksum_algo_e algo);
ngx_http_s3_err_e ngx_http_s3_cksum_mismatch(ngx_http_request_t *r,
    s3_cksum_algo_e algo);
ngx_int_t ngx_http_s3_checksum_out(ngx_http_request_t *r, s3_record_t *rec);

/* ngx_http_s3_multipart.c */
ngx_int_t ngx_http_s3_create_upload(ngx_http_request_t *r);
ngx_http_s3_err_e ngx_http_s3_part_check(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_int_t ngx_http_s3_abort_upload(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_list_parts(ngx_http_request_t *r);

/* ngx_http_s3_complete.c */
ngx_int_t ngx_http_s3_complete_upload(ngx_http_request_t *r);

/* ngx_http_s3_copy.c */
ngx_int_t ngx_http_s3_copy_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_upload_part_copy(ngx_http_request_t *r);

/* ngx_http_s3_delete.c */
ngx_int_t ngx_http_s3_delete_objects(ngx_http_request_t *r);

/* ngx_http_s3_tagging.c */
ngx_int_t ngx_http_s3_get_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_set_object_attrs(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_http_s3_err_e ngx_http_s3_tagging_header(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

/* ngx_http_s3_parts.c */
ngx_int_t ngx_http_s3_send_parts(ngx_http_request_t *r, s3_record_t *rec);

/* ngx_http_s3_expire.c */
ngx_int_t ngx_http_s3_mpu_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);

/* ngx_http_s3_proxy.c */
char *ngx_http_s3_node(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_s3_peer_unreachable(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_s3_proxy_server(ngx_conf_t *cf);
ngx_int_t ngx_http_s3_proxy_init(ngx_conf_t *cf);
ngx_int_t ngx_http_s3_proxy_upload(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
ngx_int_t ngx_http_s3_proxy(ngx_http_request_t *r, ngx_http_s3_node_t *node);

/* ngx_http_s3_list.c */
ngx_int_t ngx_http_s3_list_objects(ngx_http_request_t *r);

/* ngx_http_s3_notify.c */
ngx_int_t ngx_http_s3_notify_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
void ngx_http_s3_notify_exit_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
void ngx_http_s3_notify(ngx_http_request_t *r);

/* ngx_http_s3_metrics.c */
char *ngx_http_s3_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_s3_metrics_init(ngx_conf_t *cf);
void ngx_http_s3_metrics_error(ngx_http_request_t *r, ngx_http_s3_err_e err);

/* ngx_http_s3_probe.c */
char *ngx_http_s3_probe_location(ngx_conf_t *cf, void *conf,
    ngx_http_handler_pt handler);
ngx_int_t ngx_http_s3_probe(ngx_http_request_t *r,
    ngx_http_s3_task_done_pt done);
ngx_uint_t ngx_http_s3_probe_value(ngx_http_s3_probe_t *p, char *name,
    off_t *value);
double ngx_http_s3_disk_ratio(ngx_http_s3_probe_t *p);

/* ngx_http_s3_health.c */
char *ngx_http_s3_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_s3_maintenance.c */
ngx_uint_t ngx_http_s3_maintenance(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

/* ngx_http_s3_error.c */
ngx_int_t ngx_http_s3_send_error(ngx_http_request_t *r,
    ngx_http_s3_err_e err);
ngx_http_s3_err_e ngx_http_s3_errno(ngx_log_t *log, ngx_err_t err,
    const char *failed, const char *path);
ngx_http_s3_err_e ngx_http_s3_store_error(ngx_log_t *log, int rc,
    ngx_err_t err, ngx_http_s3_err_e not_found, const char *failed,
    const char *path);
ngx_http_s3_err_e ngx_http_s3_task_error(ngx_http_request_t *r,
    ngx_http_s3_task_t *t, ngx_http_s3_err_e not_found, const char *failed);
ngx_http_s3_err_e ngx_http_s3_error_message(ngx_http_request_t *r,
    ngx_http_s3_err_e err, const char *fmt, const char *arg);
void ngx_http_s3_error_text(ngx_http_s3_err_e err, ngx_str_t **code,
    ngx_str_t **message);
ngx_int_t ngx_http_s3_set_request_id(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

/* ngx_http_s3_xml.c */
u_char *ngx_http_s3_xml_element(u_char *p, char *name, u_char *data,
    size_t len);
u_char *ngx_http_s3_xml_time(u_char *p, uint64_t ms);
ngx_int_t ngx_http_s3_send_xml(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b);
ngx_int_t ngx_http_s3_send_body(ngx_http_request_t *r, ngx_uint_t status,
    char *type, ngx_buf_t *b);
ngx_int_t ngx_http_s3_send_empty(ngx_http_request_t *r, ngx_uint_t status);
ngx_http_s3_err_e ngx_http_s3_bytes_elsewhere(ngx_http_request_t *r,
    s3_record_t *rec);
ngx_int_t ngx_http_s3_read_xml_body(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler);
ngx_int_t ngx_http_s3_read_xml_body_md5(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler);

/* ngx_http_s3_audit.c */
char *ngx_http_s3_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_s3_audit_init(ngx_conf_t *cf);

/* ngx_http_s3_task.c */
ngx_int_t ngx_http_s3_task_post(ngx_http_request_t *r,
    ngx_http_s3_task_run_pt run, ngx_http_s3_task_done_pt done, void *data);


extern ngx_module_t  ngx_http_s3_module;


#endif /* _NGX_HTTP_S3_MODULE_H_INCLUDED_ */
