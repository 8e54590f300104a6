
/*
 * Copyright (C) ngx_s3 developers
 *
 * The S3 operations, one S3_OP() each, in the order they are matched:
 * the first row whose method, target, required query arguments and
 * required headers the request has is the operation, so rows that need
 * more come before those that need less.  Include this file after
 * defining
 *
 *   S3_OP(id, action, method, target, args, headers, consumes, flags,
 *         body_max, honours, handler)
 *
 *   id        the operation is S3_OP_<id>
 *   action    its name in AWS's API reference (and IAM's)
 *   method    S3_METHOD_<method>
 *   target    the S3_TARGET_* it applies to
 *   args      the query arguments it requires (S3_ARG_*)
 *   headers   the headers it requires (S3_HB())
 *   consumes  the query arguments it reads: any other known subresource
 *             present makes the request 501 NotImplemented
 *   flags     S3_OP_CHANGE, S3_OP_ANONYMOUS, S3_OP_NEEDS_PART
 *   body_max  the largest XML body it reads, 0: none
 *   honours   the optional headers it acts on (S3_HB()); one of
 *             S3_HDR_NOT_IMPLEMENTED it does not honour is refused
 *   handler   the module's handler (core ignores it)
 *
 * Adding an operation is adding its row here and writing its handler.
 */


/* multipart: ?uploadId and ?uploads before the plain object rows */

S3_OP(UPLOAD_PART_COPY, "UploadPartCopy", PUT, S3_TARGET_OBJECT,
      S3_ARG_UPLOAD_ID, S3_HB(COPY_SOURCE),
      S3_ARG_UPLOAD_ID|S3_ARG_PART_NUMBER, S3_OP_CHANGE|S3_OP_NEEDS_PART,
      0, S3_HDR_COPY_MASK, ngx_http_s3_upload_part_copy)

S3_OP(UPLOAD_PART, "UploadPart", PUT, S3_TARGET_OBJECT,
      S3_ARG_UPLOAD_ID, 0,
      S3_ARG_UPLOAD_ID|S3_ARG_PART_NUMBER, S3_OP_CHANGE|S3_OP_NEEDS_PART,
      0, S3_HDR_BODY_MASK, ngx_http_s3_put_object)

S3_OP(COMPLETE_UPLOAD, "CompleteMultipartUpload", POST, S3_TARGET_OBJECT,
      S3_ARG_UPLOAD_ID, 0,
      S3_ARG_UPLOAD_ID|S3_ARG_PART_NUMBER, S3_OP_CHANGE,
      S3_OP_COMPLETE_BODY, S3_HDR_CHECKSUM_MASK, ngx_http_s3_complete_upload)

S3_OP(CREATE_UPLOAD, "CreateMultipartUpload", POST, S3_TARGET_OBJECT,
      S3_ARG_UPLOADS, 0,
      S3_ARG_UPLOADS, S3_OP_CHANGE,
      0, S3_HDR_STORE_MASK|S3_HB(CHECKSUM_ALGORITHM)|S3_HB(CHECKSUM_TYPE),
      ngx_http_s3_create_upload)

S3_OP(ABORT_UPLOAD, "AbortMultipartUpload", DELETE, S3_TARGET_OBJECT,
      S3_ARG_UPLOAD_ID, 0,
      S3_ARG_UPLOAD_ID|S3_ARG_PART_NUMBER, S3_OP_CHANGE,
      0, 0, ngx_http_s3_abort_upload)

S3_OP(LIST_PARTS, "ListParts", GET, S3_TARGET_OBJECT,
      S3_ARG_UPLOAD_ID, 0,
      S3_ARG_UPLOAD_ID|S3_ARG_PART_NUMBER, 0,
      0, 0, ngx_http_s3_list_parts)

/* object subresources */

S3_OP(GET_OBJECT_TAGGING, "GetObjectTagging", GET, S3_TARGET_OBJECT,
      S3_ARG_TAGGING, 0, S3_ARG_TAGGING, 0,
      0, 0, ngx_http_s3_get_tagging)

S3_OP(PUT_OBJECT_TAGGING, "PutObjectTagging", PUT, S3_TARGET_OBJECT,
      S3_ARG_TAGGING, 0, S3_ARG_TAGGING, S3_OP_CHANGE,
      S3_OP_TAGGING_BODY, S3_HDR_CHECKSUM_MASK, ngx_http_s3_put_tagging)

S3_OP(DELETE_OBJECT_TAGGING, "DeleteObjectTagging", DELETE,
      S3_TARGET_OBJECT,
      S3_ARG_TAGGING, 0, S3_ARG_TAGGING, S3_OP_CHANGE,
      0, 0, ngx_http_s3_delete_tagging)

S3_OP(GET_OBJECT_ACL, "GetObjectAcl", GET, S3_TARGET_OBJECT,
      S3_ARG_ACL, 0, S3_ARG_ACL, 0,
      0, 0, ngx_http_s3_get_object_acl)

S3_OP(PUT_OBJECT_ACL, "PutObjectAcl", PUT, S3_TARGET_OBJECT,
      S3_ARG_ACL, 0, S3_ARG_ACL, S3_OP_CHANGE,
      S3_OP_ACL_BODY, S3_HB(ACL), ngx_http_s3_put_acl)

/* objects */

S3_OP(COPY_OBJECT, "CopyObject", PUT, S3_TARGET_OBJECT,
      0, S3_HB(COPY_SOURCE), 0, S3_OP_CHANGE,
      0, S3_HDR_COPY_MASK|S3_HDR_STORE_MASK|S3_HB(METADATA_DIRECTIVE)
         |S3_HB(TAGGING_DIRECTIVE),
      ngx_http_s3_copy_object)

S3_OP(PUT_OBJECT, "PutObject", PUT, S3_TARGET_OBJECT,
      0, 0, 0, S3_OP_CHANGE,
      0, S3_HDR_BODY_MASK|S3_HDR_STORE_MASK, ngx_http_s3_put_object)

S3_OP(GET_OBJECT, "GetObject", GET, S3_TARGET_OBJECT,
      0, 0, S3_ARG_PART_NUMBER, S3_OP_ANONYMOUS,
      0, S3_HB(CHECKSUM_MODE), ngx_http_s3_get_object)

S3_OP(HEAD_OBJECT, "HeadObject", HEAD, S3_TARGET_OBJECT,
      0, 0, S3_ARG_PART_NUMBER, S3_OP_ANONYMOUS,
      0, S3_HB(CHECKSUM_MODE), ngx_http_s3_get_object)

S3_OP(DELETE_OBJECT, "DeleteObject", DELETE, S3_TARGET_OBJECT,
      0, 0, 0, S3_OP_CHANGE,
      0, 0, ngx_http_s3_delete_object)

/* bucket subresources */

S3_OP(DELETE_OBJECTS, "DeleteObjects", POST, S3_TARGET_BUCKET,
      S3_ARG_DELETE, 0, S3_ARG_DELETE, S3_OP_CHANGE,
      S3_OP_DELETE_BODY, S3_HDR_CHECKSUM_MASK, ngx_http_s3_delete_objects)

S3_OP(LIST_UPLOADS, "ListMultipartUploads", GET, S3_TARGET_BUCKET,
      S3_ARG_UPLOADS, 0, S3_ARG_UPLOADS, 0,
      0, 0, ngx_http_s3_list_objects)

S3_OP(GET_BUCKET_LOCATION, "GetBucketLocation", GET, S3_TARGET_BUCKET,
      S3_ARG_LOCATION, 0, S3_ARG_LOCATION, 0,
      0, 0, ngx_http_s3_get_bucket_location)

S3_OP(GET_BUCKET_TAGGING, "GetBucketTagging", GET, S3_TARGET_BUCKET,
      S3_ARG_TAGGING, 0, S3_ARG_TAGGING, 0,
      0, 0, ngx_http_s3_get_tagging)

S3_OP(PUT_BUCKET_TAGGING, "PutBucketTagging", PUT, S3_TARGET_BUCKET,
      S3_ARG_TAGGING, 0, S3_ARG_TAGGING, S3_OP_CHANGE,
      S3_OP_TAGGING_BODY, S3_HDR_CHECKSUM_MASK, ngx_http_s3_put_tagging)

S3_OP(DELETE_BUCKET_TAGGING, "DeleteBucketTagging", DELETE,
      S3_TARGET_BUCKET,
      S3_ARG_TAGGING, 0, S3_ARG_TAGGING, S3_OP_CHANGE,
      0, 0, ngx_http_s3_delete_tagging)

S3_OP(GET_BUCKET_ACL, "GetBucketAcl", GET, S3_TARGET_BUCKET,
      S3_ARG_ACL, 0, S3_ARG_ACL, 0,
      0, 0, ngx_http_s3_get_bucket_acl)

S3_OP(PUT_BUCKET_ACL, "PutBucketAcl", PUT, S3_TARGET_BUCKET,
      S3_ARG_ACL, 0, S3_ARG_ACL, S3_OP_CHANGE,
      S3_OP_ACL_BODY, S3_HB(ACL), ngx_http_s3_put_acl)

S3_OP(GET_BUCKET_CORS, "GetBucketCors", GET, S3_TARGET_BUCKET,
      S3_ARG_CORS, 0, S3_ARG_CORS, 0,
      0, 0, ngx_http_s3_get_bucket_cors)

S3_OP(PUT_BUCKET_CORS, "PutBucketCors", PUT, S3_TARGET_BUCKET,
      S3_ARG_CORS, 0, S3_ARG_CORS, S3_OP_CHANGE,
      S3_OP_CORS_BODY, S3_HDR_CHECKSUM_MASK, ngx_http_s3_put_bucket_cors)

S3_OP(DELETE_BUCKET_CORS, "DeleteBucketCors", DELETE, S3_TARGET_BUCKET,
      S3_ARG_CORS, 0, S3_ARG_CORS, S3_OP_CHANGE,
      0, 0, ngx_http_s3_delete_bucket_cors)

/* buckets */

S3_OP(LIST_OBJECTS_V2, "ListObjectsV2", GET, S3_TARGET_BUCKET,
      S3_ARG_LIST_TYPE, 0, S3_ARG_LIST_TYPE, S3_OP_ANONYMOUS,
      0, 0, ngx_http_s3_list_objects)

S3_OP(LIST_OBJECTS, "ListObjects", GET, S3_TARGET_BUCKET,
      0, 0, 0, S3_OP_ANONYMOUS,
      0, 0, ngx_http_s3_list_objects)

S3_OP(CREATE_BUCKET, "CreateBucket", PUT, S3_TARGET_BUCKET,
      0, 0, 0, S3_OP_CHANGE,
      S3_OP_BUCKET_BODY, S3_HB(ACL), ngx_http_s3_create_bucket)

S3_OP(HEAD_BUCKET, "HeadBucket", HEAD, S3_TARGET_BUCKET,
      0, 0, 0, 0,
      0, 0, ngx_http_s3_head_bucket)

S3_OP(DELETE_BUCKET, "DeleteBucket", DELETE, S3_TARGET_BUCKET,
      0, 0, 0, S3_OP_CHANGE,
      0, 0, ngx_http_s3_delete_bucket)

/* a CORS preflight (no AWS action): any subresource, never signed */

S3_OP(PREFLIGHT, "Preflight", OPTIONS, S3_TARGET_BUCKET|S3_TARGET_OBJECT,
      0, 0, S3_ARG_ALL, S3_OP_ANONYMOUS,
      0, S3_HB(ORIGIN)|S3_HB(AC_REQUEST_METHOD)|S3_HB(AC_REQUEST_HEADERS),
      ngx_http_s3_preflight)

/* the service */

S3_OP(LIST_BUCKETS, "ListBuckets", GET, S3_TARGET_SERVICE,
      0, 0, 0, 0,
      0, 0, ngx_http_s3_list_buckets)
