
/*
 * Copyright (C) ngx_s3 developers
 *
 * What the files of the multipart upload family share:
 * ngx_http_s3_multipart.c, ngx_http_s3_complete.c and ngx_http_s3_copy.c.
 */


#ifndef _NGX_HTTP_S3_MULTIPART_H_INCLUDED_
#define _NGX_HTTP_S3_MULTIPART_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


/* ngx_http_s3_mpu_start() */

#define NGX_HTTP_S3_XML_TAG_LEN      32
#define NGX_HTTP_S3_XML_TEXT_LEN     80


/* the streaming parser of the CompleteMultipartUpload body */
typedef struct {
    ngx_array_t                parts;         /* s3_store_part_t */
    ngx_http_s3_err_e          err;
    ngx_uint_t                 depth;
    ngx_int_t                  number;        /* -1: none yet */
    u_char                     md5[S3_MD5_LEN];
    size_t                     tag_len;
    size_t                     text_len;
    u_char                     prev;
    u_char                     tag[NGX_HTTP_S3_XML_TAG_LEN];
    u_char                     text[NGX_HTTP_S3_XML_TEXT_LEN];
    unsigned                   in_tag:1;
    unsigned                   name_done:1;
    unsigned                   text_overflow:1;
    unsigned                   in_part:1;
    unsigned                   has_etag:1;
} ngx_http_s3_mpu_xml_t;


typedef struct {
    s3_store_t                *store;         /* the request's */
    ngx_http_s3_mpu_xml_t      xml;
    s3_record_t                rec;           /* create: the upload */
    char                       id[S3_UPLOAD_ID_LEN + 1];
    s3_store_complete_t        complete;
    s3_store_copy_t            copy;
    s3_str_t                   bucket;
    s3_str_t                   key;
    s3_str_t                   upload_id;
    uint32_t                   marker;
    size_t                     max;
    size_t                     n;
    int                        truncated;
    s3_store_part_info_t      *info;
} ngx_http_s3_mpu_ctx_t;


ngx_http_s3_err_e ngx_http_s3_mpu_start(ngx_http_request_t *r,
    ngx_uint_t flags, ngx_http_s3_mpu_ctx_t **mp);
ngx_http_s3_err_e ngx_http_s3_mpu_status(ngx_http_request_t *r,
    ngx_http_s3_task_t *t, const char *failed);


#endif /* _NGX_HTTP_S3_MULTIPART_H_INCLUDED_ */
