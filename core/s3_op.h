
/*
 * Copyright (C) ngx_s3 developers
 *
 * The S3 operations as one table (s3_op_list.h): what request each one
 * is (method, target, query arguments, headers), its action name, and
 * what it needs and honours.  The module dispatches by it; policies,
 * hooks and metrics name operations by it.
 *
 * A request is reduced to four values before it is matched: its method
 * (S3_METHOD_*), its target (S3_TARGET_*), the known query arguments it
 * has (S3_ARG_*, from s3_op_arg()) and the known headers it has (bits of
 * S3_HDR_*, from s3_op_header()).  s3_op_match() returns the first row
 * they fit; s3_op_refused_arg() and s3_op_refused_header() then say what
 * the request asks that the row does not do.
 */


#ifndef _S3_OP_H_INCLUDED_
#define _S3_OP_H_INCLUDED_


#include "s3_core.h"
#include "s3_place.h"


#define S3_METHOD_GET          0x01
#define S3_METHOD_HEAD         0x02
#define S3_METHOD_PUT          0x04
#define S3_METHOD_POST         0x08
#define S3_METHOD_DELETE       0x10
#define S3_METHOD_OPTIONS      0x20

#define S3_TARGET_SERVICE      0x01    /* no bucket */
#define S3_TARGET_BUCKET       0x02    /* a bucket, no key */
#define S3_TARGET_OBJECT       0x04    /* a bucket and a key */

/* query arguments; all but S3_ARG_LIST_TYPE are S3 subresources */
#define S3_ARG_ACL             0x0001
#define S3_ARG_CORS            0x0002
#define S3_ARG_DELETE          0x0004
#define S3_ARG_LOCATION        0x0008
#define S3_ARG_PART_NUMBER     0x0010
#define S3_ARG_TAGGING         0x0020
#define S3_ARG_UPLOAD_ID       0x0040
#define S3_ARG_UPLOADS         0x0080
#define S3_ARG_OTHER           0x0100  /* a subresource no row reads */
#define S3_ARG_LIST_TYPE       0x0200
#define S3_ARG_SUBRESOURCES    0x01ff
#define S3_ARG_ALL             0x03ff

/* row flags */
#define S3_OP_CHANGE           0x01    /* changes the store: a journal */
#define S3_OP_ANONYMOUS        0x02    /* an anonymous requester may try */
#define S3_OP_NEEDS_PART       0x04    /* ?partNumber is required */

/*
 * The largest XML body each operation reads: every character of the most
 * the document may hold written as the longest reference, with room for
 * the markup around.
 */
#define S3_OP_ACL_BODY         65536
#define S3_OP_BUCKET_BODY      4096
#define S3_OP_CORS_BODY        65536   /* S3_CORS_MAX_LEN */
#define S3_OP_COMPLETE_BODY    (4 * 1024 * 1024)
                                       /* 10,000 parts, a checksum each */
#define S3_OP_TAGGING_BODY     (50 * (9 * (128 + 256) + 1024))
                                       /* 50 tags, "&#x1F600;" each */
#define S3_OP_DELETE_BODY      (1000 * (6 * S3_KEY_MAX_LEN + 1024))
                                       /* 1,000 keys, "&quot;" each */


/*
 * The headers the operations read or refuse.  Several names may file
 * into one (the five x-amz-checksum-<algorithm>, a feature's headers);
 * the module keeps the first header of each.
 */
typedef enum {
    S3_HDR_DATE = 0,                   /* x-amz-date */
    S3_HDR_CONTENT_SHA256,
    S3_HDR_SECURITY_TOKEN,
    S3_HDR_DECODED_LENGTH,             /* x-amz-decoded-content-length */
    S3_HDR_TRAILER,
    S3_HDR_CHECKSUM,                   /* x-amz-checksum-<algorithm> */
    S3_HDR_SDK_CHECKSUM_ALGORITHM,
    S3_HDR_CHECKSUM_ALGORITHM,
    S3_HDR_CHECKSUM_MODE,
    S3_HDR_CHECKSUM_TYPE,
    S3_HDR_CONTENT_MD5,
    S3_HDR_COPY_SOURCE,
    S3_HDR_COPY_SOURCE_RANGE,
    S3_HDR_COPY_SOURCE_IF_MATCH,
    S3_HDR_COPY_SOURCE_IF_NONE_MATCH,
    S3_HDR_COPY_SOURCE_IF_MODIFIED_SINCE,
    S3_HDR_COPY_SOURCE_IF_UNMODIFIED_SINCE,
    S3_HDR_METADATA_DIRECTIVE,
    S3_HDR_TAGGING,
    S3_HDR_TAGGING_DIRECTIVE,
    S3_HDR_ACL,
    S3_HDR_STORAGE_CLASS,
    S3_HDR_EXPECTED_BUCKET_OWNER,
    S3_HDR_SOURCE_EXPECTED_BUCKET_OWNER,
    S3_HDR_ORIGIN,
    S3_HDR_AC_REQUEST_METHOD,          /* access-control-request-method */
    S3_HDR_AC_REQUEST_HEADERS,
    S3_HDR_PROXIED,                    /* x-ngx-s3-proxied: a peer's mark */

    /* S3_HDR_NOT_IMPLEMENTED */
    S3_HDR_SSE,                        /* x-amz-server-side-encryption* */
    S3_HDR_SSE_C,                      /* ...-customer-* */
    S3_HDR_COPY_SOURCE_SSE_C,
    S3_HDR_OBJECT_LOCK,                /* x-amz-object-lock-*, bypass */
    S3_HDR_BUCKET_OBJECT_LOCK,         /* when "true" */
    S3_HDR_OBJECT_OWNERSHIP,           /* when BucketOwnerEnforced */
    S3_HDR_GRANT,                      /* x-amz-grant-* */
    S3_HDR_WEBSITE_REDIRECT,
    S3_HDR_REQUEST_PAYER,
    S3_HDR_MFA,
    S3_HDR_WRITE_OFFSET,
    S3_HDR_IF_MATCH_META,              /* x-amz-if-match-<attribute> */

    S3_HDR_LAST
} s3_hdr_e;


#define S3_HB(id)              ((uint64_t) 1 << S3_HDR_##id)

#define S3_HDR_NOT_IMPLEMENTED                                               \
    (((uint64_t) 1 << S3_HDR_LAST) - ((uint64_t) 1 << S3_HDR_SSE))

#define S3_HDR_CHECKSUM_MASK                                                 \
    (S3_HB(CHECKSUM) | S3_HB(SDK_CHECKSUM_ALGORITHM)                         \
     | S3_HB(CHECKSUM_ALGORITHM) | S3_HB(CONTENT_MD5))

/* what a body uploaded as an object or a part is checked with */
#define S3_HDR_BODY_MASK                                                     \
    (S3_HDR_CHECKSUM_MASK | S3_HB(DECODED_LENGTH) | S3_HB(TRAILER))

/* what a new object is stored with */
#define S3_HDR_STORE_MASK                                                    \
    (S3_HB(TAGGING) | S3_HB(ACL) | S3_HB(STORAGE_CLASS))

#define S3_HDR_COPY_MASK                                                     \
    (S3_HB(COPY_SOURCE) | S3_HB(COPY_SOURCE_RANGE)                           \
     | S3_HB(COPY_SOURCE_IF_MATCH) | S3_HB(COPY_SOURCE_IF_NONE_MATCH)        \
     | S3_HB(COPY_SOURCE_IF_MODIFIED_SINCE)                                  \
     | S3_HB(COPY_SOURCE_IF_UNMODIFIED_SINCE))


typedef enum {
    S3_OP_NONE = 0,
#define S3_OP(id, action, method, target, args, headers, consumes, flags,   \
              body_max, honours, handler)                                    \
    S3_OP_##id,
#include "s3_op_list.h"
#undef S3_OP
    S3_OP_LAST
} s3_op_e;


typedef struct {
    s3_op_e           id;
    const char       *action;
    unsigned          method;
    unsigned          target;
    unsigned          args;            /* required */
    uint64_t          headers;         /* required */
    unsigned          consumes;
    unsigned          flags;
    size_t            body_max;
    uint64_t          honours;
} s3_op_t;


/* indexed by s3_op_e; s3_ops[S3_OP_NONE] matches nothing */
extern const s3_op_t  s3_ops[S3_OP_LAST];


/*
 * The first row the request fits, or NULL: then the method is refused
 * (405) when no row has it or the target is the service, else the
 * request is not implemented (501).
 */
const s3_op_t *s3_op_match(unsigned method, unsigned target, unsigned args,
    uint64_t headers);

/* 1 when some row has method */
int s3_op_method_known(unsigned method);

/* the S3_ARG_* of a query argument's name (as sent), 0: none */
unsigned s3_op_arg(const char *name, size_t len);

/* the s3_hdr_e of a lowercase header name, -1: none we read */
int s3_op_header(const char *name, size_t len);

/*
 * 1 when a header of S3_HDR_NOT_IMPLEMENTED asks, by its value, for what
 * is not implemented: x-amz-bucket-object-lock-enabled only when "true",
 * x-amz-object-ownership unless ObjectWriter or BucketOwnerPreferred
 * (with ACLs on and only the owner writing, both are what we do).
 */
int s3_op_header_asks(s3_hdr_e hdr, const char *value, size_t len);

/* the subresources present that op does not read, 0: none */
unsigned s3_op_refused_arg(const s3_op_t *op, unsigned args);

/* the first header present op refuses, -1: none */
int s3_op_refused_header(const s3_op_t *op, uint64_t headers);

/* why a refused header is refused, for the error message */
const char *s3_op_header_why(s3_hdr_e hdr);


#endif /* _S3_OP_H_INCLUDED_ */
