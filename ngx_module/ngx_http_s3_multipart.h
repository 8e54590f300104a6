
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
#include "s3_xml.h"


typedef struct {
    s3_store_t                *store;         /* the request's */
    s3_xml_complete_t          xml;           /* complete: as sent */
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


#endif /* _NGX_HTTP_S3_MULTIPART_H_INCLUDED_ */
