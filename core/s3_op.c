
/*
 * Copyright (C) ngx_s3 developers
 *
 * The operation table and the names a request is reduced to before it is
 * matched (s3_op.h).
 */


#include <string.h>
#include <strings.h>

#include "s3_op.h"


typedef struct {
    s3_str_t          name;
    unsigned          id;
} s3_op_name_t;


static int s3_op_find(const s3_op_name_t *table, size_t n, const char *name,
    size_t len);
static int s3_op_value_is(const char *value, size_t len, const char *s);


const s3_op_t  s3_ops[S3_OP_LAST] = {
    { S3_OP_NONE, "", 0, 0, 0, 0, 0, 0, 0, 0 },
#define S3_OP(id, action, method, target, args, headers, consumes, flags,   \
              body_max, honours, handler)                                    \
    { S3_OP_##id, action, S3_METHOD_##method, target, args, headers,         \
      consumes, flags, body_max, honours },
#include "s3_op_list.h"
#undef S3_OP
};


/*
 * Both tables are sorted by length, then bytes, so that a search mostly
 * compares lengths, then first bytes: a request's other headers rarely
 * get to memcmp().
 */

static const s3_op_name_t  s3_op_args[] = {
    { s3_string("acl"), S3_ARG_ACL },
    { s3_string("abac"), S3_ARG_OTHER },
    { s3_string("cors"), S3_ARG_CORS },
    { s3_string("delete"), S3_ARG_DELETE },
    { s3_string("policy"), S3_ARG_OTHER },
    { s3_string("select"), S3_ARG_OTHER },
    { s3_string("logging"), S3_ARG_OTHER },
    { s3_string("metrics"), S3_ARG_OTHER },
    { s3_string("restore"), S3_ARG_OTHER },
    { s3_string("session"), S3_ARG_OTHER },
    { s3_string("tagging"), S3_ARG_TAGGING },
    { s3_string("torrent"), S3_ARG_OTHER },
    { s3_string("uploads"), S3_ARG_UPLOADS },
    { s3_string("website"), S3_ARG_OTHER },
    { s3_string("location"), S3_ARG_LOCATION },
    { s3_string("uploadId"), S3_ARG_UPLOAD_ID },
    { s3_string("versions"), S3_ARG_OTHER },
    { s3_string("analytics"), S3_ARG_OTHER },
    { s3_string("inventory"), S3_ARG_OTHER },
    { s3_string("lifecycle"), S3_ARG_OTHER },
    { s3_string("list-type"), S3_ARG_LIST_TYPE },
    { s3_string("retention"), S3_ARG_OTHER },
    { s3_string("versionId"), S3_ARG_OTHER },
    { s3_string("accelerate"), S3_ARG_OTHER },
    { s3_string("attributes"), S3_ARG_OTHER },
    { s3_string("encryption"), S3_ARG_OTHER },
    { s3_string("legal-hold"), S3_ARG_OTHER },
    { s3_string("partNumber"), S3_ARG_PART_NUMBER },
    { s3_string("versioning"), S3_ARG_OTHER },
    { s3_string("object-lock"), S3_ARG_OTHER },
    { s3_string("replication"), S3_ARG_OTHER },
    { s3_string("notification"), S3_ARG_OTHER },
    { s3_string("policyStatus"), S3_ARG_OTHER },
    { s3_string("renameObject"), S3_ARG_OTHER },
    { s3_string("metadataTable"), S3_ARG_OTHER },
    { s3_string("requestPayment"), S3_ARG_OTHER },
    { s3_string("ownershipControls"), S3_ARG_OTHER },
    { s3_string("publicAccessBlock"), S3_ARG_OTHER },
    { s3_string("intelligent-tiering"), S3_ARG_OTHER },
    { s3_string("metadataJournalTable"), S3_ARG_OTHER },
    { s3_string("metadataConfiguration"), S3_ARG_OTHER },
    { s3_string("metadataInventoryTable"), S3_ARG_OTHER },
};


static const s3_op_name_t  s3_op_headers[] = {
    { s3_string("origin"), S3_HDR_ORIGIN },
    { s3_string("x-amz-acl"), S3_HDR_ACL },
    { s3_string("x-amz-mfa"), S3_HDR_MFA },
    { s3_string("x-amz-date"), S3_HDR_DATE },
    { s3_string("content-md5"), S3_HDR_CONTENT_MD5 },
    { s3_string("x-amz-tagging"), S3_HDR_TAGGING },
    { s3_string("x-amz-trailer"), S3_HDR_TRAILER },
    { s3_string("x-amz-grant-read"), S3_HDR_GRANT },
    { s3_string("x-ngx-s3-proxied"), S3_HDR_PROXIED },
    { s3_string("x-amz-copy-source"), S3_HDR_COPY_SOURCE },
    { s3_string("x-amz-grant-write"), S3_HDR_GRANT },
    { s3_string("x-amz-checksum-mode"), S3_HDR_CHECKSUM_MODE },
    { s3_string("x-amz-checksum-sha1"), S3_HDR_CHECKSUM },
    { s3_string("x-amz-checksum-type"), S3_HDR_CHECKSUM_TYPE },
    { s3_string("x-amz-if-match-size"), S3_HDR_IF_MATCH_META },
    { s3_string("x-amz-request-payer"), S3_HDR_REQUEST_PAYER },
    { s3_string("x-amz-storage-class"), S3_HDR_STORAGE_CLASS },
    { s3_string("x-amz-checksum-crc32"), S3_HDR_CHECKSUM },
    { s3_string("x-amz-content-sha256"), S3_HDR_CONTENT_SHA256 },
    { s3_string("x-amz-grant-read-acp"), S3_HDR_GRANT },
    { s3_string("x-amz-security-token"), S3_HDR_SECURITY_TOKEN },
    { s3_string("x-amz-checksum-crc32c"), S3_HDR_CHECKSUM },
    { s3_string("x-amz-checksum-sha256"), S3_HDR_CHECKSUM },
    { s3_string("x-amz-grant-write-acp"), S3_HDR_GRANT },
    { s3_string("x-amz-object-lock-mode"), S3_HDR_OBJECT_LOCK },
    { s3_string("x-amz-object-ownership"), S3_HDR_OBJECT_OWNERSHIP },
    { s3_string("x-amz-copy-source-range"), S3_HDR_COPY_SOURCE_RANGE },
    { s3_string("x-amz-tagging-directive"), S3_HDR_TAGGING_DIRECTIVE },
    { s3_string("x-amz-checksum-algorithm"), S3_HDR_CHECKSUM_ALGORITHM },
    { s3_string("x-amz-checksum-crc64nvme"), S3_HDR_CHECKSUM },
    { s3_string("x-amz-grant-full-control"), S3_HDR_GRANT },
    { s3_string("x-amz-metadata-directive"), S3_HDR_METADATA_DIRECTIVE },
    { s3_string("x-amz-write-offset-bytes"), S3_HDR_WRITE_OFFSET },
    { s3_string("x-amz-copy-source-if-match"), S3_HDR_COPY_SOURCE_IF_MATCH },
    { s3_string("x-amz-expected-bucket-owner"), S3_HDR_EXPECTED_BUCKET_OWNER },
    { s3_string("x-amz-decoded-content-length"), S3_HDR_DECODED_LENGTH },
    { s3_string("x-amz-object-lock-legal-hold"), S3_HDR_OBJECT_LOCK },
    { s3_string("x-amz-sdk-checksum-algorithm"),
      S3_HDR_SDK_CHECKSUM_ALGORITHM },
    { s3_string("x-amz-server-side-encryption"), S3_HDR_SSE },
    { s3_string("access-control-request-method"), S3_HDR_AC_REQUEST_METHOD },
    { s3_string("x-amz-if-match-initiated-time"), S3_HDR_IF_MATCH_META },
    { s3_string("access-control-request-headers"), S3_HDR_AC_REQUEST_HEADERS },
    { s3_string("x-amz-copy-source-if-none-match"),
      S3_HDR_COPY_SOURCE_IF_NONE_MATCH },
    { s3_string("x-amz-website-redirect-location"), S3_HDR_WEBSITE_REDIRECT },
    { s3_string("x-amz-bucket-object-lock-enabled"),
      S3_HDR_BUCKET_OBJECT_LOCK },
    { s3_string("x-amz-bypass-governance-retention"), S3_HDR_OBJECT_LOCK },
    { s3_string("x-amz-if-match-last-modified-time"), S3_HDR_IF_MATCH_META },
    { s3_string("x-amz-source-expected-bucket-owner"),
      S3_HDR_SOURCE_EXPECTED_BUCKET_OWNER },
    { s3_string("x-amz-copy-source-if-modified-since"),
      S3_HDR_COPY_SOURCE_IF_MODIFIED_SINCE },
    { s3_string("x-amz-object-lock-retain-until-date"), S3_HDR_OBJECT_LOCK },
    { s3_string("x-amz-server-side-encryption-context"), S3_HDR_SSE },
    { s3_string("x-amz-copy-source-if-unmodified-since"),
      S3_HDR_COPY_SOURCE_IF_UNMODIFIED_SINCE },
    { s3_string("x-amz-server-side-encryption-customer-key"), S3_HDR_SSE_C },
    { s3_string("x-amz-server-side-encryption-aws-kms-key-id"), S3_HDR_SSE },
    { s3_string("x-amz-server-side-encryption-customer-key-md5"),
      S3_HDR_SSE_C },
    { s3_string("x-amz-server-side-encryption-bucket-key-enabled"),
      S3_HDR_SSE },
    { s3_string("x-amz-server-side-encryption-customer-algorithm"),
      S3_HDR_SSE_C },
    { s3_string("x-amz-copy-source-server-side-encryption-customer-key"),
      S3_HDR_COPY_SOURCE_SSE_C },
    { s3_string("x-amz-copy-source-server-side-encryption-customer-key-md5"),
      S3_HDR_COPY_SOURCE_SSE_C },
    { s3_string("x-amz-copy-source-server-side-encryption-customer-algorithm"),
      S3_HDR_COPY_SOURCE_SSE_C },
};


static const char  *s3_op_why[S3_HDR_LAST] = {
    [S3_HDR_SSE] = "server-side encryption is not implemented",
    [S3_HDR_SSE_C] = "server-side encryption with customer keys is not "
                     "implemented",
    [S3_HDR_COPY_SOURCE_SSE_C] = "server-side encryption with customer "
                                 "keys is not implemented",
    [S3_HDR_OBJECT_LOCK] = "object lock is not implemented",
    [S3_HDR_BUCKET_OBJECT_LOCK] = "object lock is not implemented",
    [S3_HDR_OBJECT_OWNERSHIP] = "only the object ownership ObjectWriter "
                                "and BucketOwnerPreferred are supported",
    [S3_HDR_GRANT] = "only the canned ACLs private and public-read are "
                     "supported, x-amz-grant-* headers are not",
    [S3_HDR_WEBSITE_REDIRECT] = "website hosting is not implemented",
    [S3_HDR_REQUEST_PAYER] = "requester pays is not implemented",
    [S3_HDR_MFA] = "MFA delete is not implemented",
    [S3_HDR_WRITE_OFFSET] = "appending to an object is not implemented",
    [S3_HDR_IF_MATCH_META] = "conditional deletes are not implemented"
};


const s3_op_t *
s3_op_match(unsigned method, unsigned target, unsigned args,
    uint64_t headers)
{
    const s3_op_t  *op;

    for (op = &s3_ops[1]; op < &s3_ops[S3_OP_LAST]; op++) {
        if (op->method == method
            && (op->target & target)
            && (op->args & args) == op->args
            && (op->headers & headers) == op->headers)
        {
            return op;
        }
    }

    return NULL;
}


int
s3_op_method_known(unsigned method)
{
    const s3_op_t  *op;

    for (op = &s3_ops[1]; op < &s3_ops[S3_OP_LAST]; op++) {
        if (op->method == method) {
            return 1;
        }
    }

    return 0;
}


unsigned
s3_op_arg(const char *name, size_t len)
{
    int  i;

    i = s3_op_find(s3_op_args, sizeof(s3_op_args) / sizeof(s3_op_args[0]),
                   name, len);

    return (i < 0) ? 0 : s3_op_args[i].id;
}


int
s3_op_header(const char *name, size_t len)
{
    int  i;

    i = s3_op_find(s3_op_headers,
                   sizeof(s3_op_headers) / sizeof(s3_op_headers[0]),
                   name, len);

    return (i < 0) ? -1 : (int) s3_op_headers[i].id;
}


static int
s3_op_find(const s3_op_name_t *table, size_t n, const char *name,
    size_t len)
{
    int                  rc;
    size_t               lo, hi, mid;
    const s3_op_name_t  *e;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        e = &table[mid];

        rc = (len < e->name.len) ? -1
             : (len > e->name.len) ? 1
             : (unsigned char) name[0] - (unsigned char) e->name.data[0];

        if (rc == 0) {
            rc = memcmp(name, e->name.data, len);
        }

        if (rc == 0) {
            return (int) mid;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return -1;
}


int
s3_op_header_asks(s3_hdr_e hdr, const char *value, size_t len)
{
    switch (hdr) {

    case S3_HDR_BUCKET_OBJECT_LOCK:
        return s3_op_value_is(value, len, "true");

    case S3_HDR_OBJECT_OWNERSHIP:
        return !s3_op_value_is(value, len, "ObjectWriter")
               && !s3_op_value_is(value, len, "BucketOwnerPreferred");

    default:
        return 1;
    }
}


static int
s3_op_value_is(const char *value, size_t len, const char *s)
{
    return len == strlen(s) && strncasecmp(value, s, len) == 0;
}


unsigned
s3_op_refused_arg(const s3_op_t *op, unsigned args)
{
    return args & S3_ARG_SUBRESOURCES & ~op->consumes;
}


int
s3_op_refused_header(const s3_op_t *op, uint64_t headers)
{
    int       i;
    uint64_t  refused;

    refused = headers & S3_HDR_NOT_IMPLEMENTED & ~op->honours;

    if (refused == 0) {
        return -1;
    }

    for (i = 0; !(refused & ((uint64_t) 1 << i)); i++) {
        /* void */
    }

    return i;
}


const char *
s3_op_header_why(s3_hdr_e hdr)
{
    return (hdr < S3_HDR_LAST && s3_op_why[hdr]) ? s3_op_why[hdr]
                                                 : "it is not implemented";
}
