
/*
 * Copyright (C) ngx_s3 developers
 *
 * Walks every row of the operation table: a request shaped for it is
 * matched to it, a subresource it does not read is refused, and the
 * multipart rows keep their precedence.
 */


#include <stdio.h>

#include "s3_op.h"
#include "test.h"


static void test_rows(void);
static void test_refused_args(void);
static void test_multipart(void);
static void test_methods(void);
static void test_names(void);
static void test_headers(void);
static unsigned test_target_of(const s3_op_t *op);


int
main(void)
{
    test_rows();
    test_refused_args();
    test_multipart();
    test_methods();
    test_names();
    test_headers();

    return test_report("test_op");
}


static unsigned
test_target_of(const s3_op_t *op)
{
    unsigned  t;

    for (t = S3_TARGET_SERVICE; !(op->target & t); t <<= 1) {
        /* void */
    }

    return t;
}


static void
test_rows(void)
{
    int             unique;
    char            descr[128];
    size_t          i, j;
    const s3_op_t  *op, *got;

    test_section("every row is what a request shaped for it matches");

    for (i = 1; i < S3_OP_LAST; i++) {
        op = &s3_ops[i];

        got = s3_op_match(op->method, test_target_of(op), op->args,
                          op->headers);

        snprintf(descr, sizeof(descr), "%s matches its own request",
                 op->action);
        test_cond(descr, got == op);

        snprintf(descr, sizeof(descr), "%s is row %zu", op->action, i);
        test_cond(descr, op->id == (s3_op_e) i);

        test_cond("the required arguments are consumed",
                  (op->consumes & op->args) == op->args);

        unique = 1;

        for (j = 1; j < S3_OP_LAST; j++) {
            if (j != i && strcmp(s3_ops[j].action, op->action) == 0) {
                unique = 0;
            }
        }

        snprintf(descr, sizeof(descr), "%s is the only row of its action",
                 op->action);
        test_cond(descr, unique);

        test_cond("a change is never anonymous",
                  !((op->flags & S3_OP_CHANGE)
                    && (op->flags & S3_OP_ANONYMOUS)));
    }

    test_cond("row 0 matches nothing",
              s3_op_match(0, S3_TARGET_OBJECT, 0, 0) == NULL);
}


/* for every row, some subresource it does not read is refused */

static void
test_refused_args(void)
{
    char            descr[128];
    size_t          i;
    unsigned        arg, args, refused;
    const s3_op_t  *op, *got;

    test_section("subresources a row does not read are refused");

    for (i = 1; i < S3_OP_LAST; i++) {
        op = &s3_ops[i];

        for (arg = 1; arg & S3_ARG_SUBRESOURCES; arg <<= 1) {
            if (op->consumes & arg) {
                continue;
            }

            args = op->args | arg;
            got = s3_op_match(op->method, test_target_of(op), args,
                              op->headers);
            if (got != op) {
                continue;
            }

            refused = s3_op_refused_arg(got, args);

            snprintf(descr, sizeof(descr), "%s refuses subresource 0x%x",
                     op->action, arg);
            test_cond(descr, refused == arg);
        }

        snprintf(descr, sizeof(descr), "%s refuses none of its own",
                 op->action);
        test_cond(descr, s3_op_refused_arg(op, op->consumes) == 0);
    }

    args = s3_op_arg("versionId", 9);
    test_cond("?versionId is a subresource nothing reads",
              args == S3_ARG_OTHER);

    op = s3_op_match(S3_METHOD_GET, S3_TARGET_OBJECT, args, 0);
    test_cond("GET ?versionId is GetObject, refused",
              op == &s3_ops[S3_OP_GET_OBJECT]
              && s3_op_refused_arg(op, args) == S3_ARG_OTHER);

    args = S3_ARG_TAGGING | S3_ARG_ACL;
    op = s3_op_match(S3_METHOD_GET, S3_TARGET_OBJECT, args, 0);
    test_cond("GET ?tagging&acl: tagging, acl refused",
              op == &s3_ops[S3_OP_GET_OBJECT_TAGGING]
              && s3_op_refused_arg(op, args) == S3_ARG_ACL);

    args = S3_ARG_TAGGING | S3_ARG_CORS;
    op = s3_op_match(S3_METHOD_OPTIONS, S3_TARGET_BUCKET, args, 0);
    test_cond("a preflight takes any subresource",
              op == &s3_ops[S3_OP_PREFLIGHT]
              && s3_op_refused_arg(op, args) == 0);

    test_cond("list-type is no subresource",
              s3_op_arg("list-type", 9) == S3_ARG_LIST_TYPE
              && s3_op_refused_arg(&s3_ops[S3_OP_GET_OBJECT],
                                   S3_ARG_LIST_TYPE) == 0);

    test_cond("names compare whole and case-sensitively",
              s3_op_arg("tag", 3) == 0 && s3_op_arg("Tagging", 7) == 0
              && s3_op_arg("taggings", 8) == 0
              && s3_op_arg("X-Amz-Signature", 15) == 0);
}


static void
test_multipart(void)
{
    const s3_op_t  *op;

    test_section("multipart");

    op = s3_op_match(S3_METHOD_PUT, S3_TARGET_OBJECT,
                     S3_ARG_UPLOAD_ID | S3_ARG_PART_NUMBER, 0);
    test_cond("PUT ?uploadId&partNumber is UploadPart",
              op == &s3_ops[S3_OP_UPLOAD_PART]);

    op = s3_op_match(S3_METHOD_PUT, S3_TARGET_OBJECT, S3_ARG_UPLOAD_ID, 0);
    test_cond("PUT ?uploadId needs a partNumber",
              op == &s3_ops[S3_OP_UPLOAD_PART]
              && (op->flags & S3_OP_NEEDS_PART));

    op = s3_op_match(S3_METHOD_PUT, S3_TARGET_OBJECT,
                     S3_ARG_UPLOAD_ID | S3_ARG_PART_NUMBER,
                     S3_HB(COPY_SOURCE));
    test_cond("with x-amz-copy-source it is UploadPartCopy",
              op == &s3_ops[S3_OP_UPLOAD_PART_COPY]);

    op = s3_op_match(S3_METHOD_PUT, S3_TARGET_OBJECT, 0, S3_HB(COPY_SOURCE));
    test_cond("PUT with x-amz-copy-source is CopyObject",
              op == &s3_ops[S3_OP_COPY_OBJECT]);

    op = s3_op_match(S3_METHOD_PUT, S3_TARGET_OBJECT, S3_ARG_PART_NUMBER, 0);
    test_cond("PUT ?partNumber alone is PutObject, refused",
              op == &s3_ops[S3_OP_PUT_OBJECT]
              && s3_op_refused_arg(op, S3_ARG_PART_NUMBER)
                 == S3_ARG_PART_NUMBER);

    op = s3_op_match(S3_METHOD_GET, S3_TARGET_OBJECT, S3_ARG_PART_NUMBER, 0);
    test_cond("GET ?partNumber is GetObject of a part",
              op == &s3_ops[S3_OP_GET_OBJECT]
              && s3_op_refused_arg(op, S3_ARG_PART_NUMBER) == 0);

    op = s3_op_match(S3_METHOD_HEAD, S3_TARGET_OBJECT, S3_ARG_PART_NUMBER,
                     0);
    test_cond("HEAD ?partNumber is HeadObject of a part",
              op == &s3_ops[S3_OP_HEAD_OBJECT]
              && s3_op_refused_arg(op, S3_ARG_PART_NUMBER) == 0);

    op = s3_op_match(S3_METHOD_GET, S3_TARGET_OBJECT,
                     S3_ARG_UPLOAD_ID | S3_ARG_PART_NUMBER, 0);
    test_cond("GET ?uploadId is ListParts",
              op == &s3_ops[S3_OP_LIST_PARTS]);

    op = s3_op_match(S3_METHOD_GET, S3_TARGET_BUCKET, S3_ARG_UPLOADS, 0);
    test_cond("GET bucket ?uploads is ListMultipartUploads",
              op == &s3_ops[S3_OP_LIST_UPLOADS]);

    op = s3_op_match(S3_METHOD_POST, S3_TARGET_OBJECT, S3_ARG_UPLOADS, 0);
    test_cond("POST ?uploads is CreateMultipartUpload",
              op == &s3_ops[S3_OP_CREATE_UPLOAD]);

    op = s3_op_match(S3_METHOD_POST, S3_TARGET_OBJECT,
                     S3_ARG_UPLOADS | S3_ARG_UPLOAD_ID, 0);
    test_cond("POST ?uploadId is CompleteMultipartUpload first",
              op == &s3_ops[S3_OP_COMPLETE_UPLOAD]);

    op = s3_op_match(S3_METHOD_DELETE, S3_TARGET_OBJECT, S3_ARG_UPLOAD_ID,
                     0);
    test_cond("DELETE ?uploadId is AbortMultipartUpload",
              op == &s3_ops[S3_OP_ABORT_UPLOAD]);

    op = s3_op_match(S3_METHOD_HEAD, S3_TARGET_OBJECT, S3_ARG_UPLOAD_ID, 0);
    test_cond("HEAD ?uploadId is HeadObject, refused",
              op == &s3_ops[S3_OP_HEAD_OBJECT]
              && s3_op_refused_arg(op, S3_ARG_UPLOAD_ID) != 0);
}


static void
test_methods(void)
{
    test_section("methods and targets");

    test_cond("GET / is ListBuckets",
              s3_op_match(S3_METHOD_GET, S3_TARGET_SERVICE, 0, 0)
              == &s3_ops[S3_OP_LIST_BUCKETS]);

    test_cond("PUT / matches nothing",
              s3_op_match(S3_METHOD_PUT, S3_TARGET_SERVICE, 0, 0) == NULL);

    test_cond("OPTIONS / matches nothing",
              s3_op_match(S3_METHOD_OPTIONS, S3_TARGET_SERVICE, 0, 0)
              == NULL);

    test_cond("POST to a bucket without ?delete matches nothing",
              s3_op_match(S3_METHOD_POST, S3_TARGET_BUCKET, 0, 0) == NULL);

    test_cond("GET ?list-type is ListObjectsV2",
              s3_op_match(S3_METHOD_GET, S3_TARGET_BUCKET, S3_ARG_LIST_TYPE,
                          0)
              == &s3_ops[S3_OP_LIST_OBJECTS_V2]);

    test_cond("known methods",
              s3_op_method_known(S3_METHOD_GET)
              && s3_op_method_known(S3_METHOD_OPTIONS)
              && !s3_op_method_known(0x40));
}


static void
test_names(void)
{
    test_section("actions");

    test_cond("PutObject", strcmp(s3_ops[S3_OP_PUT_OBJECT].action,
                                  "PutObject") == 0);
    test_cond("ListObjectsV2", strcmp(s3_ops[S3_OP_LIST_OBJECTS_V2].action,
                                      "ListObjectsV2") == 0);
    test_cond("UploadPart", strcmp(s3_ops[S3_OP_UPLOAD_PART].action,
                                   "UploadPart") == 0);
}


static void
test_headers(void)
{
    int             h;
    const s3_op_t  *op;

    static const struct {
        const char  *name;
        int          hdr;
    } names[] = {
        { "x-amz-date", S3_HDR_DATE },
        { "x-amz-checksum-crc64nvme", S3_HDR_CHECKSUM },
        { "x-amz-checksum-sha1", S3_HDR_CHECKSUM },
        { "content-md5", S3_HDR_CONTENT_MD5 },
        { "origin", S3_HDR_ORIGIN },
        { "x-amz-server-side-encryption", S3_HDR_SSE },
        { "x-amz-server-side-encryption-customer-key-md5", S3_HDR_SSE_C },
        { "x-amz-copy-source-server-side-encryption-customer-key",
          S3_HDR_COPY_SOURCE_SSE_C },
        { "x-amz-object-lock-legal-hold", S3_HDR_OBJECT_LOCK },
        { "x-amz-bypass-governance-retention", S3_HDR_OBJECT_LOCK },
        { "x-amz-grant-read-acp", S3_HDR_GRANT },
        { "x-amz-write-offset-bytes", S3_HDR_WRITE_OFFSET },
        { "x-amz-meta-a", -1 },
        { "x-amz-checksum-crc", -1 },
        { "accept", -1 },
        { "X-Amz-Date", -1 },
    };

    size_t  i;
    char    descr[128];

    test_section("headers");

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        h = s3_op_header(names[i].name, strlen(names[i].name));
        snprintf(descr, sizeof(descr), "%s", names[i].name);
        test_cond(descr, h == names[i].hdr);
    }

    test_cond("fewer than 64 headers", S3_HDR_LAST <= 64);

    op = &s3_ops[S3_OP_PUT_OBJECT];

    test_cond("PutObject refuses SSE-C",
              s3_op_refused_header(op, S3_HB(DATE) | S3_HB(SSE_C))
              == S3_HDR_SSE_C);
    test_cond("PutObject takes checksums and tags",
              s3_op_refused_header(op, S3_HDR_BODY_MASK | S3_HDR_STORE_MASK)
              == -1);
    test_cond("GetObject refuses SSE-C too",
              s3_op_refused_header(&s3_ops[S3_OP_GET_OBJECT],
                                   S3_HB(SSE_C)) == S3_HDR_SSE_C);
    test_cond("the lowest refused is named first",
              s3_op_refused_header(op, S3_HB(MFA) | S3_HB(SSE))
              == S3_HDR_SSE);

    test_cond("object lock enabled: true asks",
              s3_op_header_asks(S3_HDR_BUCKET_OBJECT_LOCK, "True", 4)
              && !s3_op_header_asks(S3_HDR_BUCKET_OBJECT_LOCK, "false", 5));
    test_cond("ownership: only BucketOwnerEnforced asks",
              s3_op_header_asks(S3_HDR_OBJECT_OWNERSHIP,
                                "BucketOwnerEnforced", 19)
              && !s3_op_header_asks(S3_HDR_OBJECT_OWNERSHIP,
                                    "ObjectWriter", 12)
              && !s3_op_header_asks(S3_HDR_OBJECT_OWNERSHIP,
                                    "BucketOwnerPreferred", 20));
    test_cond("SSE asks whatever its value",
              s3_op_header_asks(S3_HDR_SSE, "", 0));
}
