
/*
 * Copyright (C) ngx_s3 developers
 *
 * The only table of S3 errors, the XML error body, the mapping of errno
 * and of the store's results to S3 errors, and the request id every
 * response carries.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


typedef struct {
    ngx_http_s3_err_e   err;
    ngx_str_t           code;
    ngx_uint_t          status;
    ngx_str_t           message;
} ngx_http_s3_error_t;


static ngx_buf_t *ngx_http_s3_error_body(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_error_t *e, ngx_str_t *message);


#define ngx_http_s3_error(err, code, status, message)                        \
    { err, ngx_string(code), status, ngx_string(message) }


/* indexed by ngx_http_s3_err_e */

static ngx_http_s3_error_t  ngx_http_s3_errors[] = {

    ngx_http_s3_error(NGX_HTTP_S3_OK, "OK", 200, "OK"),

    ngx_http_s3_error(NGX_HTTP_S3_ACCESS_DENIED,
        "AccessDenied", 403, "Access Denied"),

    ngx_http_s3_error(NGX_HTTP_S3_ACCESS_FORBIDDEN,
        "AccessForbidden", 403,
        "CORSResponse: This CORS request is not allowed. This is usually "
        "because the evalution of Origin, request method / "
        "Access-Control-Request-Method or Access-Control-Request-Headers "
        "are not whitelisted by the resource's CORS spec."),

    ngx_http_s3_error(NGX_HTTP_S3_AUTH_HEADER_MALFORMED,
        "AuthorizationHeaderMalformed", 400,
        "The authorization header you provided is invalid."),

    ngx_http_s3_error(NGX_HTTP_S3_AUTH_QUERY_ERROR,
        "AuthorizationQueryParametersError", 400,
        "Query-string authentication version 4 requires the "
        "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, "
        "X-Amz-SignedHeaders, and X-Amz-Expires parameters."),

    ngx_http_s3_error(NGX_HTTP_S3_BAD_DIGEST,
        "BadDigest", 400,
        "The Content-MD5 you specified did not match what we received."),

    ngx_http_s3_error(NGX_HTTP_S3_BAD_REQUEST,
        "BadRequest", 400, "Bad Request"),

    ngx_http_s3_error(NGX_HTTP_S3_BUCKET_EXISTS,
        "BucketAlreadyExists", 409,
        "The requested bucket name is not available. The bucket namespace "
        "is shared by all users of the system. Please select a different "
        "name and try again."),

    ngx_http_s3_error(NGX_HTTP_S3_BUCKET_OWNED,
        "BucketAlreadyOwnedByYou", 409,
        "Your previous request to create the named bucket succeeded and "
        "you already own it."),

    ngx_http_s3_error(NGX_HTTP_S3_BUCKET_NOT_EMPTY,
        "BucketNotEmpty", 409,
        "The bucket you tried to delete is not empty"),

    ngx_http_s3_error(NGX_HTTP_S3_ENTITY_TOO_LARGE,
        "EntityTooLarge", 400,
        "Your proposed upload exceeds the maximum allowed object size."),

    ngx_http_s3_error(NGX_HTTP_S3_ENTITY_TOO_SMALL,
        "EntityTooSmall", 400,
        "Your proposed upload is smaller than the minimum allowed object "
        "size."),

    ngx_http_s3_error(NGX_HTTP_S3_ILLEGAL_LOCATION,
        "IllegalLocationConstraintException", 400,
        "The location constraint is incompatible for the region specific "
        "endpoint this request was sent to."),

    ngx_http_s3_error(NGX_HTTP_S3_INCOMPLETE_BODY,
        "IncompleteBody", 400,
        "You did not provide the number of bytes specified by the "
        "Content-Length HTTP header."),

    ngx_http_s3_error(NGX_HTTP_S3_INSUFFICIENT_STORAGE,
        "InsufficientStorage", 507,
        "There is not enough space left on the storage to complete the "
        "request."),

    ngx_http_s3_error(NGX_HTTP_S3_INTERNAL_ERROR,
        "InternalError", 500,
        "We encountered an internal error. Please try again."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_ACCESS_KEY_ID,
        "InvalidAccessKeyId", 403,
        "The AWS Access Key Id you provided does not exist in our records."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_ARGUMENT,
        "InvalidArgument", 400, "Invalid Argument"),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_BUCKET_NAME,
        "InvalidBucketName", 400, "The specified bucket is not valid."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_DIGEST,
        "InvalidDigest", 400, "The Content-MD5 you specified is not valid."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_LOCATION,
        "InvalidLocationConstraint", 400,
        "The specified location-constraint is not valid."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_PART,
        "InvalidPart", 400,
        "One or more of the specified parts could not be found.  The part "
        "may not have been uploaded, or the specified entity tag may not "
        "match the part's entity tag."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_PART_NUMBER,
        "InvalidPartNumber", 416,
        "The requested partnumber is not satisfiable"),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_PART_ORDER,
        "InvalidPartOrder", 400,
        "The list of parts was not in ascending order. The parts list must "
        "be specified in order by part number."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_RANGE,
        "InvalidRange", 416, "The requested range is not satisfiable"),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_REQUEST,
        "InvalidRequest", 400, "Invalid Request"),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_STORAGE_CLASS,
        "InvalidStorageClass", 400,
        "The storage class you specified is not valid"),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_TAG,
        "InvalidTag", 400, "The tag provided was not a valid tag."),

    ngx_http_s3_error(NGX_HTTP_S3_INVALID_URI,
        "InvalidURI", 400, "Couldn't parse the specified URI."),

    ngx_http_s3_error(NGX_HTTP_S3_KEY_TOO_LONG,
        "KeyTooLongError", 400, "Your key is too long"),

    ngx_http_s3_error(NGX_HTTP_S3_MALFORMED_ACL,
        "MalformedACLError", 400,
        "The XML you provided was not well-formed or did not validate "
        "against our published schema."),

    ngx_http_s3_error(NGX_HTTP_S3_MALFORMED_TRAILER,
        "MalformedTrailerError", 400,
        "The request contained trailing data that was not well-formed or "
        "did not conform to our published schema."),

    ngx_http_s3_error(NGX_HTTP_S3_MALFORMED_XML,
        "MalformedXML", 400,
        "The XML you provided was not well-formed or did not validate "
        "against our published schema"),

    ngx_http_s3_error(NGX_HTTP_S3_METADATA_TOO_LARGE,
        "MetadataTooLarge", 400,
        "Your metadata headers exceed the maximum allowed metadata size"),

    ngx_http_s3_error(NGX_HTTP_S3_METHOD_NOT_ALLOWED,
        "MethodNotAllowed", 405,
        "The specified method is not allowed against this resource."),

    ngx_http_s3_error(NGX_HTTP_S3_MISSING_CONTENT_LENGTH,
        "MissingContentLength", 411,
        "You must provide the Content-Length HTTP header."),

    ngx_http_s3_error(NGX_HTTP_S3_NO_SUCH_BUCKET,
        "NoSuchBucket", 404, "The specified bucket does not exist"),

    ngx_http_s3_error(NGX_HTTP_S3_NO_SUCH_CORS,
        "NoSuchCORSConfiguration", 404,
        "The CORS configuration does not exist"),

    ngx_http_s3_error(NGX_HTTP_S3_NO_SUCH_KEY,
        "NoSuchKey", 404, "The specified key does not exist."),

    ngx_http_s3_error(NGX_HTTP_S3_NO_SUCH_TAG_SET,
        "NoSuchTagSet", 404, "The TagSet does not exist"),

    ngx_http_s3_error(NGX_HTTP_S3_NO_SUCH_UPLOAD,
        "NoSuchUpload", 404,
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed."),

    ngx_http_s3_error(NGX_HTTP_S3_NO_SUCH_VERSION,
        "NoSuchVersion", 404,
        "The specified version does not exist."),

    ngx_http_s3_error(NGX_HTTP_S3_NOT_IMPLEMENTED,
        "NotImplemented", 501,
        "A header you provided implies functionality that is not "
        "implemented"),

    ngx_http_s3_error(NGX_HTTP_S3_PRECONDITION_FAILED,
        "PreconditionFailed", 412,
        "At least one of the pre-conditions you specified did not hold"),

    ngx_http_s3_error(NGX_HTTP_S3_REQUEST_TIME_TOO_SKEWED,
        "RequestTimeTooSkewed", 403,
        "The difference between the request time and the current time is "
        "too large."),

    ngx_http_s3_error(NGX_HTTP_S3_SERVICE_UNAVAILABLE,
        "ServiceUnavailable", 503,
        "Please reduce your request rate."),

    ngx_http_s3_error(NGX_HTTP_S3_SIGNATURE_DOES_NOT_MATCH,
        "SignatureDoesNotMatch", 403,
        "The request signature we calculated does not match the signature "
        "you provided. Check your key and signing method."),

    ngx_http_s3_error(NGX_HTTP_S3_SHA256_MISMATCH,
        "XAmzContentSHA256Mismatch", 400,
        "The provided 'x-amz-content-sha256' header does not match what "
        "was computed."),

    ngx_http_s3_error(NGX_HTTP_S3_SLOW_DOWN,
        "SlowDown", 503,
        "Please reduce your request rate."),

    ngx_http_s3_error(NGX_HTTP_S3_USER_KEY_MUST_BE_SPECIFIED,
        "UserKeyMustBeSpecified", 400,
        "The bucket POST must contain the specified field name. If it is "
        "specified, please check the order of the fields.")
};


ngx_int_t
ngx_http_s3_send_error(ngx_http_request_t *r, ngx_http_s3_err_e err)
{
    ngx_buf_t            *b;
    ngx_str_t            *message;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_error_t  *e;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    if (err <= NGX_HTTP_S3_OK || err >= NGX_HTTP_S3_ERR_LAST
        || ngx_http_s3_errors[err].err != err)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 error %d is not in the error table", (int) err);
        err = NGX_HTTP_S3_INTERNAL_ERROR;
    }

    e = &ngx_http_s3_errors[err];
    message = ctx->message.len ? &ctx->message : &e->message;
    ctx->error = err;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 error %V: %V", &e->code, message);

    ngx_http_s3_metrics_error(r, err);

    if (r->request_body == NULL && r->headers_in.expect != NULL) {

        /* no "100 Continue" for a body we refuse; close after the answer */

        r->expect_tested = 1;
        r->keepalive = 0;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.content_type_len = 0;
    ngx_str_null(&r->headers_out.content_type);

    if (r->method == NGX_HTTP_HEAD) {
        return ngx_http_s3_send_empty(r, e->status);
    }

    b = ngx_http_s3_error_body(r, ctx, e, message);
    if (b == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, e->status, b);
}


/*
 * A replicated version whose bytes are still on other nodes (rec->holders):
 * never served from here.  Until this node has them (or proxies to a
 * holder, a later step), the client is told to come back.
 */

ngx_http_s3_err_e
ngx_http_s3_bytes_elsewhere(ngx_http_request_t *r, s3_record_t *rec)
{
    ngx_table_elt_t    *h;
    ngx_http_s3_ctx_t  *ctx;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 object \"%*s\" is replicated, its bytes are not here "
                  "yet", rec->key.len, rec->key.data);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "1");

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    ngx_str_set(&ctx->message, "The object's bytes are being replicated to "
                "this node; retry shortly.");

    return NGX_HTTP_S3_SLOW_DOWN;
}


static ngx_buf_t *
ngx_http_s3_error_body(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_error_t *e, ngx_str_t *message)
{
    size_t      len;
    u_char     *p;
    ngx_buf_t  *b;
    ngx_str_t   rid;

    rid.data = ctx->request_id;
    rid.len = NGX_HTTP_S3_REQUEST_ID_LEN;

    len = sizeof(NGX_HTTP_S3_XML_DECL "<Error></Error>")
          + sizeof("<Code></Code>") + e->code.len
          + sizeof("<Message></Message>")
          + s3_xml_escape(NULL, (char *) message->data, message->len)
          + ctx->error_extra.len
          + sizeof("<BucketName></BucketName>")
          + s3_xml_escape(NULL, (char *) ctx->bucket.data, ctx->bucket.len)
          + sizeof("<Key></Key>")
          + s3_xml_escape(NULL, (char *) ctx->key.data, ctx->key.len)
          + sizeof("<Resource>//</Resource>")
          + s3_xml_escape(NULL, (char *) ctx->bucket.data, ctx->bucket.len)
          + s3_xml_escape(NULL, (char *) ctx->key.data, ctx->key.len)
          + sizeof("<RequestId></RequestId>") + rid.len;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_cpymem(b->last, NGX_HTTP_S3_XML_DECL "<Error>",
                   sizeof(NGX_HTTP_S3_XML_DECL "<Error>") - 1);
    p = ngx_http_s3_xml_element(p, "Code", e->code.data, e->code.len);
    p = ngx_http_s3_xml_element(p, "Message", message->data, message->len);

    if (ctx->error_extra.len) {
        p = ngx_cpymem(p, ctx->error_extra.data, ctx->error_extra.len);
    }

    if (ctx->bucket.len) {
        p = ngx_http_s3_xml_element(p, "BucketName", ctx->bucket.data,
                                    ctx->bucket.len);
    }

    if (ctx->key.len) {
        p = ngx_http_s3_xml_element(p, "Key", ctx->key.data, ctx->key.len);
    }

    p = ngx_cpymem(p, "<Resource>/", sizeof("<Resource>/") - 1);
    p += s3_xml_escape((char *) p, (char *) ctx->bucket.data, ctx->bucket.len);

    if (ctx->key.len) {
        *p++ = '/';
        p += s3_xml_escape((char *) p, (char *) ctx->key.data, ctx->key.len);
    }

    p = ngx_cpymem(p, "</Resource>", sizeof("</Resource>") - 1);
    p = ngx_http_s3_xml_element(p, "RequestId", rid.data, rid.len);
    p = ngx_cpymem(p, "</Error>", sizeof("</Error>") - 1);

    b->last = p;

    return b;
}


ngx_http_s3_err_e
ngx_http_s3_errno(ngx_log_t *log, ngx_err_t err, const char *failed,
    const char *path)
{
    ngx_uint_t         level;
    ngx_http_s3_err_e  rc;

    switch (err) {

    case NGX_ENOSPC:
    case EDQUOT:
        level = NGX_LOG_CRIT;
        rc = NGX_HTTP_S3_INSUFFICIENT_STORAGE;
        break;

    case NGX_EACCES:
    case NGX_EPERM:
        level = NGX_LOG_ERR;
        rc = NGX_HTTP_S3_ACCESS_DENIED;
        break;

    case NGX_ENOMEM:
    case NGX_EMFILE:
    case NGX_ENFILE:
    case NGX_EAGAIN:
        level = NGX_LOG_CRIT;
        rc = NGX_HTTP_S3_SERVICE_UNAVAILABLE;
        break;

    default:
        level = NGX_LOG_CRIT;
        rc = NGX_HTTP_S3_INTERNAL_ERROR;
        break;
    }

    ngx_log_error(level, log, err, "%s \"%s\" failed", failed, path);

    return rc;
}


/*
 * The error for a store call's status rc (and errno err when it is
 * S3_ERR), every status mapped here once, as ngx_http_dav_error() maps
 * errno.  not_found is what S3_STORE_NOT_FOUND means to the operation
 * (NGX_HTTP_S3_OK for a DELETE: nothing was there, nothing to report);
 * failed names the call and path its subject, for the log.
 */

ngx_http_s3_err_e
ngx_http_s3_store_error(ngx_log_t *log, int rc, ngx_err_t err,
    ngx_http_s3_err_e not_found, const char *failed, const char *path)
{
    switch (rc) {

    case S3_OK:
        return NGX_HTTP_S3_OK;

    case S3_ERR:
        return ngx_http_s3_errno(log, err, failed, path);

    case S3_STORE_NOT_FOUND:
        return not_found;

    case S3_STORE_NO_BUCKET:
        return NGX_HTTP_S3_NO_SUCH_BUCKET;

    case S3_STORE_BUCKET_OWNED:
        return NGX_HTTP_S3_BUCKET_OWNED;

    case S3_STORE_BUCKET_EXISTS:
        return NGX_HTTP_S3_BUCKET_EXISTS;

    case S3_STORE_BUCKET_NOT_EMPTY:
        return NGX_HTTP_S3_BUCKET_NOT_EMPTY;

    case S3_STORE_NO_UPLOAD:
        return NGX_HTTP_S3_NO_SUCH_UPLOAD;

    case S3_STORE_INVALID_PART:
        return NGX_HTTP_S3_INVALID_PART;

    case S3_STORE_TOO_SMALL:
        return NGX_HTTP_S3_ENTITY_TOO_SMALL;

    case S3_STORE_BAD_RANGE:
        return NGX_HTTP_S3_INVALID_ARGUMENT;

    case S3_STORE_PRECONDITION:
        return NGX_HTTP_S3_PRECONDITION_FAILED;

    case S3_STORE_NO_CHECKSUM:
        return NGX_HTTP_S3_INVALID_REQUEST;

    default:

        /* S3_STORE_USER_EXISTS, S3_AGAIN: not from a call the module makes */

        ngx_log_error(NGX_LOG_ALERT, log, 0, "%s \"%s\" returned %d",
                      failed, path, rc);
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }
}


/* ngx_http_s3_store_error() for a task's status, the bucket its subject */

ngx_http_s3_err_e
ngx_http_s3_task_error(ngx_http_request_t *r, ngx_http_s3_task_t *t,
    ngx_http_s3_err_e not_found, const char *failed)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    return ngx_http_s3_store_error(r->connection->log, t->rc, t->err,
                                   not_found, failed,
                                   (char *) ctx->bucket.data);
}


/*
 * Sets the request's error message to fmt with one "%s" argument, for the
 * messages S3 words around a name ("The CRC32 you specified ..."), and
 * returns err.
 */

ngx_http_s3_err_e
ngx_http_s3_error_message(ngx_http_request_t *r, ngx_http_s3_err_e err,
    const char *fmt, const char *arg)
{
    u_char             *p;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    p = ngx_pnalloc(r->pool, ngx_strlen(fmt) + ngx_strlen(arg));
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, fmt, arg) - p;

    return err;
}


/* the code and message of err, for errors inside a 200 (DeleteObjects) */

void
ngx_http_s3_error_text(ngx_http_s3_err_e err, ngx_str_t **code,
    ngx_str_t **message)
{
    if (err <= NGX_HTTP_S3_OK || err >= NGX_HTTP_S3_ERR_LAST
        || ngx_http_s3_errors[err].err != err)
    {
        err = NGX_HTTP_S3_INTERNAL_ERROR;
    }

    *code = &ngx_http_s3_errors[err].code;
    *message = &ngx_http_s3_errors[err].message;
}


ngx_int_t
ngx_http_s3_set_request_id(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char           *p;
    ngx_uint_t        i;
    ngx_table_elt_t  *h;

    p = ctx->request_id;

    for (i = 0; i < NGX_HTTP_S3_REQUEST_ID_LEN / 4; i++) {
        p = ngx_sprintf(p, "%04XD", (uint32_t) (ngx_random() & 0xffff));
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-request-id");
    h->value.data = ctx->request_id;
    h->value.len = NGX_HTTP_S3_REQUEST_ID_LEN;

    ctx->request_id_header = h;

    return NGX_OK;
}
