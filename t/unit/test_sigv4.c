
/*
 * Copyright (C) ngx_s3 developers
 *
 * Vectors from the AWS documentation: the four S3 examples of "Signature
 * Calculations for the Authorization Header: Transferring Payload in a
 * Single Chunk (AWS Signature Version 4)", the key of "Examples of how
 * to derive a signing key for Signature Version 4" and the presigned
 * "Example: GET Object" of "Authenticating Requests: Using Query
 * Parameters (AWS Signature Version 4)".
 */


#include <errno.h>
#include <stdlib.h>

#include "s3_digest.h"
#include "s3_sigv4.h"
#include "test.h"


#define EMPTY_SHA256                                                          \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PUT_SHA256                                                            \
    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
#define HOST        "examplebucket.s3.amazonaws.com"
#define AMZ_DATE    "20130524T000000Z"
#define SECRET      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define CREDENTIAL  "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/" \
                    "aws4_request"


typedef struct {
    const char   *name;
    const char   *method;
    const char   *path;
    const char   *query;
    const char   *signed_headers;
    const char   *values[5];
    const char   *payload;
    const char   *canonical;
    const char   *sts_hash;          /* NULL: not checked */
    const char   *signature;
} test_vector_t;


static void test_vector(const test_vector_t *v);
static void test_signing_key(void);
static void test_parse_header(void);
static void test_parse_date(void);
static void test_canonical_details(void);
static void test_canonical_plain(void);
static void test_canon_line(const char *descr, const char *path,
    const char *query, int line, const char *want);
static void test_presigned_example(void);
static void test_parse_query(void);
static int test_query(const char *query, s3_sigv4_query_t *q);
static ssize_t test_canon(const char *path, const char *query,
    const char *sh, const s3_str_t *values, char *buf, size_t size);


static const test_vector_t  vectors[] = {

    { "GET Object",
      "GET", "/test.txt", "",
      "host;range;x-amz-content-sha256;x-amz-date",
      { HOST, "bytes=0-9", EMPTY_SHA256, AMZ_DATE },
      EMPTY_SHA256,
      "GET\n"
      "/test.txt\n"
      "\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:" EMPTY_SHA256 "\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      EMPTY_SHA256,
      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },

    { "PUT Object",
      "PUT", "/test$file.text", "",
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
      { "Fri, 24 May 2013 00:00:00 GMT", HOST, PUT_SHA256, AMZ_DATE,
        "REDUCED_REDUNDANCY" },
      PUT_SHA256,
      "PUT\n"
      "/test%24file.text\n"
      "\n"
      "date:Fri, 24 May 2013 00:00:00 GMT\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:" PUT_SHA256 "\n"
      "x-amz-date:20130524T000000Z\n"
      "x-amz-storage-class:REDUCED_REDUNDANCY\n"
      "\n"
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
      PUT_SHA256,
      "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },

    { "GET Bucket Lifecycle",
      "GET", "/", "lifecycle",
      "host;x-amz-content-sha256;x-amz-date",
      { HOST, EMPTY_SHA256, AMZ_DATE },
      EMPTY_SHA256,
      "GET\n"
      "/\n"
      "lifecycle=\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:" EMPTY_SHA256 "\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      EMPTY_SHA256,
      NULL,
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },

    { "GET Bucket (List Objects)",
      "GET", "/", "max-keys=2&prefix=J",
      "host;x-amz-content-sha256;x-amz-date",
      { HOST, EMPTY_SHA256, AMZ_DATE },
      EMPTY_SHA256,
      "GET\n"
      "/\n"
      "max-keys=2&prefix=J\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:" EMPTY_SHA256 "\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      EMPTY_SHA256,
      "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },

    /* the same request, parameters sent in another order and encoding */

    { "List Objects, query reordered",
      "GET", "/", "prefix=%4A&max-keys=2",
      "host;x-amz-content-sha256;x-amz-date",
      { HOST, EMPTY_SHA256, AMZ_DATE },
      EMPTY_SHA256,
      NULL, NULL,
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },

    { "PUT Object, path sent encoded",
      "PUT", "/test%24file.text", "",
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
      { "Fri, 24 May 2013 00:00:00 GMT", HOST, PUT_SHA256, AMZ_DATE,
        "  REDUCED_REDUNDANCY " },
      PUT_SHA256,
      NULL, NULL,
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" }
};


int
main(void)
{
    size_t         i;
    char           hex[2 * S3_SHA256_LEN];
    unsigned char  hash[S3_SHA256_LEN];

    s3_sha256("Welcome to Amazon S3.", 21, hash);
    s3_hex_encode(hex, hash, S3_SHA256_LEN);
    test_mem("PUT example payload hash", hex, 64, PUT_SHA256);

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        test_vector(&vectors[i]);
    }

    test_signing_key();
    test_parse_header();
    test_parse_date();
    test_canonical_details();
    test_canonical_plain();
    test_presigned_example();
    test_parse_query();

    return test_report("test_sigv4");
}


static void
test_vector(const test_vector_t *v)
{
    int                 i;
    char                canon[2048], sts[512], hdr[512], want[512];
    char                sig[64];
    char                descr[128];
    ssize_t             n, m;
    s3_str_t            values[5];
    s3_sigv4_auth_t     auth;
    s3_sigv4_request_t  req;
    unsigned char       key[S3_SIGV4_KEY_LEN];

    test_section(v->name);

    for (i = 0; i < 5; i++) {
        values[i].data = v->values[i];
        values[i].len = (v->values[i] != NULL) ? strlen(v->values[i]) : 0;
    }

    req.method.data = v->method;
    req.method.len = strlen(v->method);
    req.path.data = v->path;
    req.path.len = strlen(v->path);
    req.query.data = v->query;
    req.query.len = strlen(v->query);
    req.signed_headers.data = v->signed_headers;
    req.signed_headers.len = strlen(v->signed_headers);
    req.header_values = values;
    req.payload_hash.data = v->payload;
    req.payload_hash.len = strlen(v->payload);

    n = s3_sigv4_canonical_request(&req, canon, sizeof(canon));
    test_cond("canonical request built", n > 0);
    if (n <= 0) {
        return;
    }

    if (v->canonical != NULL) {
        test_mem("canonical request", canon, n, v->canonical);
    }

    snprintf(hdr, sizeof(hdr), "AWS4-HMAC-SHA256 " CREDENTIAL
             ",SignedHeaders=%s,Signature=%s", v->signed_headers,
             v->signature);

    test_cond("authorization parsed",
              s3_sigv4_parse_header(hdr, strlen(hdr), &auth) == S3_OK);

    m = s3_sigv4_string_to_sign(&auth, AMZ_DATE, 16, canon, n, sts,
                                sizeof(sts));
    test_cond("string to sign built", m > 0);

    if (v->sts_hash != NULL) {
        snprintf(descr, sizeof(descr), "string to sign, hash %.8s...",
                 v->sts_hash);
        snprintf(want, sizeof(want), "AWS4-HMAC-SHA256\n" AMZ_DATE "\n"
                 "20130524/us-east-1/s3/aws4_request\n%s", v->sts_hash);
        test_mem(descr, sts, m, want);
    }

    s3_sigv4_signing_key(SECRET, sizeof(SECRET) - 1, &auth, key);
    s3_sigv4_signature(key, sts, m, sig);

    snprintf(descr, sizeof(descr), "signature %.8s...", v->signature);
    test_mem(descr, sig, 64, v->signature);

    test_cond("signature matches the parsed header",
              auth.signature.len == 64
              && s3_const_time_cmp(sig, auth.signature.data, 64) == 0);
}


static void
test_signing_key(void)
{
    char             hex[2 * S3_SIGV4_KEY_LEN];
    unsigned char    key[S3_SIGV4_KEY_LEN];
    unsigned char    long_key[S3_SIGV4_KEY_LEN];
    char             secret[400];
    s3_sigv4_auth_t  auth;

    static const char  sk[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    test_section("signing key");

    memset(&auth, 0, sizeof(auth));
    auth.date.data = "20120215";
    auth.date.len = 8;
    auth.region.data = "us-east-1";
    auth.region.len = 9;
    auth.service.data = "iam";
    auth.service.len = 3;

    s3_sigv4_signing_key(sk, sizeof(sk) - 1, &auth, key);
    s3_hex_encode(hex, key, S3_SIGV4_KEY_LEN);
    test_mem("AWS example (iam, us-east-1, 20120215)", hex, 64,
             "f4780e2d9f65fa895f9c67b32ce1baf0"
             "b0d8a43505a000a1a9e090d414db404d");

    /* a secret past the stack buffer takes the pre-hashed key path */

    memset(secret, 'k', sizeof(secret));
    s3_sigv4_signing_key(secret, sizeof(secret), &auth, long_key);
    s3_sigv4_signing_key(secret, 252, &auth, key);
    test_cond("long secrets derive distinct keys",
              memcmp(key, long_key, S3_SIGV4_KEY_LEN) != 0);
    s3_sigv4_signing_key(secret, sizeof(secret), &auth, key);
    test_cond("long secret is deterministic",
              memcmp(key, long_key, S3_SIGV4_KEY_LEN) == 0);
}


static void
test_parse_header(void)
{
    s3_sigv4_auth_t  a;

    static const char  good[] =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
        "us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, "
        "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630"
        "326f1024";

#define PARSE(s)  s3_sigv4_parse_header(s, strlen(s), &a)
#define SIG64     "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630" \
                  "326f1024"

    test_section("parse header");

    test_cond("documented header parses",
              s3_sigv4_parse_header(good, sizeof(good) - 1, &a) == S3_OK);
    test_mem("access key", a.access_key.data, a.access_key.len,
             "AKIAIOSFODNN7EXAMPLE");
    test_mem("date", a.date.data, a.date.len, "20130524");
    test_mem("region", a.region.data, a.region.len, "us-east-1");
    test_mem("service", a.service.data, a.service.len, "s3");
    test_mem("signed headers", a.signed_headers.data, a.signed_headers.len,
             "host;range;x-amz-date");
    test_mem("signature", a.signature.data, a.signature.len, SIG64);

    test_cond("parts in another order",
              PARSE("AWS4-HMAC-SHA256 Signature=" SIG64 ",SignedHeaders=host,"
                    CREDENTIAL) == S3_OK);

    test_cond("SigV2 is declined",
              PARSE("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
              == S3_DECLINED);
    test_cond("empty value is declined", PARSE("") == S3_DECLINED);

    test_cond("scheme alone is EINVAL",
              PARSE("AWS4-HMAC-SHA256") == S3_ERR && errno == EINVAL);
    test_cond("missing signature is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=host")
              == S3_ERR && errno == EINVAL);
    test_cond("short signature is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=host,"
                    "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe285"
                    "5ddc963176630326f102") == S3_ERR);
    test_cond("uppercase signature is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=host,"
                    "Signature=FE5F80F77D5FA3BECA038A248FF027D0445342FE2855"
                    "DDC963176630326F1024") == S3_ERR);
    test_cond("unsorted signed headers are EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=x-amz-date;"
                    "host,Signature=" SIG64) == S3_ERR);
    test_cond("duplicate signed headers are EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=host;host,"
                    "Signature=" SIG64) == S3_ERR);
    test_cond("uppercase signed header is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=Host,"
                    "Signature=" SIG64) == S3_ERR);
    test_cond("empty signed header is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",SignedHeaders=host;,"
                    "Signature=" SIG64) == S3_ERR);
    test_cond("scope without aws4_request is EINVAL",
              PARSE("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/"
                    "aws4,SignedHeaders=host,Signature=" SIG64) == S3_ERR);
    test_cond("scope with a bad date is EINVAL",
              PARSE("AWS4-HMAC-SHA256 Credential=AK/2013052/us-east-1/s3/"
                    "aws4_request,SignedHeaders=host,Signature=" SIG64)
              == S3_ERR);
    test_cond("scope with an extra part is EINVAL",
              PARSE("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/"
                    "aws4_request/x,SignedHeaders=host,Signature=" SIG64)
              == S3_ERR);
    test_cond("duplicate part is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL "," CREDENTIAL
                    ",SignedHeaders=host,Signature=" SIG64) == S3_ERR);
    test_cond("unknown part is EINVAL",
              PARSE("AWS4-HMAC-SHA256 " CREDENTIAL ",Foo=bar,SignedHeaders="
                    "host,Signature=" SIG64) == S3_ERR);

#undef PARSE
#undef SIG64
}


static void
test_parse_date(void)
{
    int        ok;
    long       day;
    char       date[32];
    time_t     t, want;
    struct tm  tm;

    test_section("parse date");

    test_cond("20130524T000000Z",
              s3_sigv4_parse_date(AMZ_DATE, 16, &t) == S3_OK
              && t == 1369353600);
    test_cond("20000229T235959Z (leap day)",
              s3_sigv4_parse_date("20000229T235959Z", 16, &t) == S3_OK
              && t == 951868799);
    test_cond("February 30 is EINVAL",
              s3_sigv4_parse_date("20130230T000000Z", 16, &t) == S3_ERR
              && errno == EINVAL);
    test_cond("hour 24 is EINVAL",
              s3_sigv4_parse_date("20130524T240000Z", 16, &t) == S3_ERR);
    test_cond("missing Z is EINVAL",
              s3_sigv4_parse_date("20130524T000000", 15, &t) == S3_ERR);
    test_cond("extended format is EINVAL",
              s3_sigv4_parse_date("2013-05-24T00:0Z", 16, &t) == S3_ERR);
    test_cond("20240229T000000Z (leap year)",
              s3_sigv4_parse_date("20240229T000000Z", 16, &t) == S3_OK
              && t == 1709164800);
    test_cond("February 29 of 2023 is EINVAL",
              s3_sigv4_parse_date("20230229T000000Z", 16, &t) == S3_ERR
              && errno == EINVAL);
    test_cond("February 29 of 2100 (not a leap year) is EINVAL",
              s3_sigv4_parse_date("21000229T000000Z", 16, &t) == S3_ERR
              && errno == EINVAL);
    test_cond("April 31 is EINVAL",
              s3_sigv4_parse_date("20130431T000000Z", 16, &t) == S3_ERR);
    test_cond("day 0 is EINVAL",
              s3_sigv4_parse_date("20130500T000000Z", 16, &t) == S3_ERR);
    test_cond("1969 is EINVAL",
              s3_sigv4_parse_date("19691231T235959Z", 16, &t) == S3_ERR);

    for (ok = 1, day = 0; ok && day < 160000; day += 1) {
        want = (time_t) day * 86400 + (day * 7919) % 86400;

        ok = (gmtime_r(&want, &tm) != NULL
              && strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm) == 16
              && s3_sigv4_parse_date(date, 16, &t) == S3_OK
              && t == want);
    }

    test_cond("every day from 1970 to 2407 as gmtime_r() has it", ok);
}


static ssize_t
test_canon(const char *path, const char *query, const char *sh,
    const s3_str_t *values, char *buf, size_t size)
{
    s3_sigv4_request_t  req;

    req.method.data = "GET";
    req.method.len = 3;
    req.path.data = path;
    req.path.len = strlen(path);
    req.query.data = query;
    req.query.len = strlen(query);
    req.signed_headers.data = sh;
    req.signed_headers.len = strlen(sh);
    req.header_values = values;
    req.payload_hash.data = "UNSIGNED-PAYLOAD";
    req.payload_hash.len = 16;

    return s3_sigv4_canonical_request(&req, buf, size);
}


static void
test_canonical_details(void)
{
    int       i;
    char      buf[8192], *q;
    ssize_t   n;
    s3_str_t  v[2];

    test_section("canonical request details");

    v[0].data = "  a   b \t c  ";
    v[0].len = strlen(v[0].data);
    v[1].data = "x";
    v[1].len = 1;

    n = test_canon("//b/a b/%2F/./../c+d", "", "host;x-a", v, buf,
                   sizeof(buf));
    test_mem("path decoded once (%2F is '/'), not normalised; header "
             "values trimmed", buf, n,
             "GET\n//b/a%20b///./../c%2Bd\n\nhost:a b c\nx-a:x\n\n"
             "host;x-a\nUNSIGNED-PAYLOAD");

    n = test_canon("", "", "host", v + 1, buf, sizeof(buf));
    test_mem("empty path is /", buf, n,
             "GET\n/\n\nhost:x\n\nhost\nUNSIGNED-PAYLOAD");

    n = test_canon("/k", "b=2&a=x+y&a=%2B&c&a/=1&A=0&&X-Amz-Signature=ff"
                   "&X-Amz-Date=1", "host", v + 1, buf, sizeof(buf));
    q = (n > 0) ? memchr(buf + 4, '\n', n - 4) : NULL;
    test_cond("query canonicalised", q != NULL);
    if (q != NULL) {
        q++;
        test_mem("query sorted by encoded name then value, plus kept, "
                 "signature left out",
                 q, (char *) memchr(q, '\n', buf + n - q) - q,
                 "A=0&X-Amz-Date=1&a=%2B&a=x%2By&a%2F=1&b=2&c=");
    }

    test_cond("bad escape in the path is EINVAL",
              test_canon("/a%zz", "", "host", v + 1, buf, sizeof(buf)) == -1
              && errno == EINVAL);
    test_cond("bad escape in the query is EINVAL",
              test_canon("/a", "x=%4", "host", v + 1, buf, sizeof(buf))
              == -1 && errno == EINVAL);
    test_cond("small buffer is ENOSPC",
              test_canon("/a", "", "host", v + 1, buf, 10) == -1
              && errno == ENOSPC);

    q = buf + 4096;
    for (i = 0; i <= S3_SIGV4_MAX_PARAMS; i++) {
        q += sprintf(q, "%sp%d=", i ? "&" : "", i);
    }

    test_cond("too many parameters is E2BIG",
              test_canon("/a", buf + 4096, "host", v + 1, buf, 4096) == -1
              && errno == E2BIG);

    test_cond("X-Amz-Signature does not count",
              test_canon("/a", "X-Amz-Signature=1&p=1", "host", v + 1, buf,
                         4096) > 0);
}


/* checks line 1 (the path) or 2 (the query) of a canonical request */

static void
test_canon_line(const char *descr, const char *path, const char *query,
    int line, const char *want)
{
    char      buf[4096], *p, *nl;
    ssize_t   n;
    s3_str_t  v = s3_string("x");

    n = test_canon(path, query, "host", &v, buf, sizeof(buf));
    p = buf;
    nl = NULL;

    for ( ;; ) {
        nl = (n > 0) ? memchr(p, '\n', buf + n - p) : NULL;

        if (nl == NULL || line-- == 0) {
            break;
        }

        p = nl + 1;
    }

    if (nl == NULL) {
        test_cond(descr, 0);
        return;
    }

    test_mem(descr, p, nl - p, want);
}


/*
 * Components already canonical are compared and copied as they are, the
 * others through the cursor: the two must agree, in output and in order.
 */

static void
test_canonical_plain(void)
{
    s3_str_t  v = s3_string("x");
    char      buf[256];

    test_section("canonical request: canonical components as they are");

    test_canon_line("plain query kept", "/k", "b=1&a=2", 2, "a=2&b=1");
    test_canon_line("uppercase escapes of reserved bytes kept", "/k",
                    "a=%2F%20%2B&%3D=%25", 2, "%3D=%25&a=%2F%20%2B");
    test_canon_line("lowercase escapes made uppercase", "/k",
                    "a%2f=%2b%3d", 2, "a%2F=%2B%3D");
    test_canon_line("%2f and %2F sort as one name, then by value", "/k",
                    "a%2F=2&a%2f=1&a%2F=0", 2, "a%2F=0&a%2F=1&a%2F=2");
    test_canon_line("escapes of unreserved bytes decoded", "/k",
                    "%61%7e=%41%2d", 2, "a~=A-");
    test_canon_line("escaped names sort among plain ones", "/k",
                    "b=1&%61=2&a=1&a%2b=0&a+=9&A=0", 2,
                    "A=0&a=1&a=2&a%2B=0&a%2B=9&b=1");
    test_canon_line("'%' of an escape sorts before '-' and digits", "/k",
                    "a0=1&a%2a=2&a-=3&a%20=4", 2,
                    "a%20=4&a%2A=2&a-=3&a0=1");
    test_canon_line("a prefix sorts first, plain or not", "/k",
                    "abc=0&ab=1&%61=2&a=3&a%62c=4", 2,
                    "a=2&a=3&ab=1&abc=0&abc=4");
    test_canon_line("escaped X-Amz-Signature left out too", "/k",
                    "X-Amz-Sign%61ture=ff&p=1", 2, "p=1");
    test_canon_line("raw bytes encoded", "/k", "a=b c/d", 2,
                    "a=b%20c%2Fd");

    test_canon_line("plain path kept", "/b/o-1_2.3~4", "", 1,
                    "/b/o-1_2.3~4");
    test_canon_line("path: uppercase escape kept", "/b/a%20b", "", 1,
                    "/b/a%20b");
    test_canon_line("path: %2f and %2F are '/'", "/b/a%2fb%2Fc", "", 1,
                    "/b/a/b/c");
    test_canon_line("path: lowercase escape made uppercase", "/b/a%3a", "",
                    1, "/b/a%3A");
    test_canon_line("path: escaped unreserved byte decoded", "/b/%41%7E",
                    "", 1, "/b/A~");

    test_cond("bad escape in a name is EINVAL",
              test_canon("/a", "x%=1", "host", &v, buf, sizeof(buf)) == -1
              && errno == EINVAL);
    test_cond("non-hex escape in a name is EINVAL",
              test_canon("/a", "%zz=1", "host", &v, buf, sizeof(buf)) == -1
              && errno == EINVAL);
    test_cond("truncated escape at the end of the path is EINVAL",
              test_canon("/a%2", "", "host", &v, buf, sizeof(buf)) == -1
              && errno == EINVAL);
}


#define PRESIGNED_QUERY                                                       \
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"                                        \
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"      \
    "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"         \
    "&X-Amz-SignedHeaders=host"                                               \
    "&X-Amz-Signature="                                                       \
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"


static void
test_presigned_example(void)
{
    char                 buf[sizeof(PRESIGNED_QUERY)], canon[1024];
    char                 sts[512], sig[S3_SIGV4_SIG_HEX_LEN];
    ssize_t              n, m;
    s3_str_t             host = s3_string(HOST);
    unsigned char        key[S3_SIGV4_KEY_LEN];
    s3_sigv4_query_t     q;
    s3_sigv4_request_t   req;

    test_section("presigned GET Object");

    test_cond("query parses",
              s3_sigv4_parse_query(PRESIGNED_QUERY,
                                   sizeof(PRESIGNED_QUERY) - 1, buf,
                                   sizeof(buf), &q)
              == S3_OK);
    test_mem("access key decoded", q.auth.access_key.data,
             q.auth.access_key.len, "AKIAIOSFODNN7EXAMPLE");
    test_mem("scope date", q.auth.date.data, q.auth.date.len, "20130524");
    test_mem("region", q.auth.region.data, q.auth.region.len, "us-east-1");
    test_mem("service", q.auth.service.data, q.auth.service.len, "s3");
    test_mem("signed headers", q.auth.signed_headers.data,
             q.auth.signed_headers.len, "host");
    test_mem("amz date", q.amz_date.data, q.amz_date.len, AMZ_DATE);
    test_cond("date parsed", q.date == 1369353600);
    test_cond("expires 86400", q.expires == 86400);
    test_cond("no token", q.token.len == 0);

    req.method.data = "GET";
    req.method.len = 3;
    req.path.data = "/test.txt";
    req.path.len = 9;
    req.query.data = PRESIGNED_QUERY;
    req.query.len = sizeof(PRESIGNED_QUERY) - 1;
    req.signed_headers = q.auth.signed_headers;
    req.header_values = &host;
    req.payload_hash.data = S3_SIGV4_UNSIGNED_PAYLOAD;
    req.payload_hash.len = sizeof(S3_SIGV4_UNSIGNED_PAYLOAD) - 1;

    n = s3_sigv4_canonical_request(&req, canon, sizeof(canon));
    test_mem("canonical request", canon, n,
             "GET\n/test.txt\n"
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
             "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
             "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
             "&X-Amz-SignedHeaders=host\n"
             "host:" HOST "\n\nhost\nUNSIGNED-PAYLOAD");

    m = s3_sigv4_string_to_sign(&q.auth, q.amz_date.data, q.amz_date.len,
                                canon, n, sts, sizeof(sts));
    test_mem("string to sign", sts, m,
             "AWS4-HMAC-SHA256\n" AMZ_DATE "\n"
             "20130524/us-east-1/s3/aws4_request\n"
             "3bfa292879f6447bbcda7001decf97f4"
             "a54dc650c8942174ae0a9121cf58ad04");

    s3_sigv4_signing_key(SECRET, sizeof(SECRET) - 1, &q.auth, key);
    s3_sigv4_signature(key, sts, m, sig);
    test_mem("signature is AWS's", sig, sizeof(sig),
             "aeeed9bbccd4d02ee5c0109b86d86835"
             "f995330da4c265957d157751f604d404");
    test_cond("signature matches the parsed one",
              memcmp(sig, q.auth.signature.data, sizeof(sig)) == 0);
}


static int
test_query(const char *query, s3_sigv4_query_t *q)
{
    char  buf[1024];

    errno = 0;

    return s3_sigv4_parse_query(query, strlen(query), buf, sizeof(buf), q);
}


#define ALG   "X-Amz-Algorithm=AWS4-HMAC-SHA256"
#define CRED  "&X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
#define DATE  "&X-Amz-Date=20130524T000000Z"
#define EXP   "&X-Amz-Expires="
#define SH    "&X-Amz-SignedHeaders=host%3Bx-amz-date"
#define SIG   "&X-Amz-Signature="                                             \
              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
#define Q(exp)  ALG CRED DATE EXP exp SH SIG

#define QUERY_ERR(descr, query, e)                                            \
    test_cond(descr, test_query(query, &q) == S3_ERR && errno == EINVAL       \
                     && q.error == e)


static void
test_parse_query(void)
{
    char              small[8];
    s3_sigv4_query_t  q;

    test_section("parse query");

    test_cond("parameters in any order, with others",
              test_query("uploadId=1" SH SIG EXP "3600" DATE CRED "&" ALG
                         "&X-Amz-Security-Token=a%2Bb", &q) == S3_OK
              && q.expires == 3600);
    test_mem("signed headers decoded", q.auth.signed_headers.data,
             q.auth.signed_headers.len, "host;x-amz-date");
    test_mem("token decoded", q.token.data, q.token.len, "a+b");

    test_cond("no X-Amz-Algorithm is declined",
              test_query("list-type=2&X-Amz-Signature=ab", &q)
              == S3_DECLINED);
    test_cond("empty query is declined", test_query("", &q) == S3_DECLINED);
    test_cond("lowercase name is not the parameter",
              test_query("x-amz-algorithm=AWS4-HMAC-SHA256", &q)
              == S3_DECLINED);

    test_cond("expires 0 parses", test_query(Q("0"), &q) == S3_OK
                                  && q.expires == 0);
    test_cond("expires a week parses", test_query(Q("604800"), &q) == S3_OK
                                       && q.expires == 604800);

    QUERY_ERR("other algorithm", "X-Amz-Algorithm=AWS4-HMAC-SHA1" CRED DATE
              EXP "1" SH SIG, S3_SIGV4_QUERY_ALGORITHM);
    QUERY_ERR("algorithm checked before the rest",
              "X-Amz-Algorithm=x", S3_SIGV4_QUERY_ALGORITHM);
    QUERY_ERR("missing credential", ALG DATE EXP "1" SH SIG,
              S3_SIGV4_QUERY_MISSING);
    QUERY_ERR("missing date", ALG CRED EXP "1" SH SIG,
              S3_SIGV4_QUERY_MISSING);
    QUERY_ERR("missing expires", ALG CRED DATE SH SIG,
              S3_SIGV4_QUERY_MISSING);
    QUERY_ERR("missing signed headers", ALG CRED DATE EXP "1" SIG,
              S3_SIGV4_QUERY_MISSING);
    QUERY_ERR("missing signature", ALG CRED DATE EXP "1" SH,
              S3_SIGV4_QUERY_MISSING);
    QUERY_ERR("repeated parameter", Q("1") DATE, S3_SIGV4_QUERY_MISSING);
    QUERY_ERR("credential not decoded: one part",
              ALG "&X-Amz-Credential=AK/20130524/us-east-1/s3" DATE EXP "1"
              SH SIG, S3_SIGV4_QUERY_CREDENTIAL);
    QUERY_ERR("bad escape in credential",
              ALG "&X-Amz-Credential=AK%2" DATE EXP "1" SH SIG,
              S3_SIGV4_QUERY_CREDENTIAL);
    QUERY_ERR("date not ISO 8601 basic",
              ALG CRED "&X-Amz-Date=2013-05-24" EXP "1" SH SIG,
              S3_SIGV4_QUERY_DATE);
    QUERY_ERR("expires not a number", Q("1h"), S3_SIGV4_QUERY_EXPIRES);
    QUERY_ERR("expires empty", Q(""), S3_SIGV4_QUERY_EXPIRES);
    QUERY_ERR("expires negative", Q("-1"), S3_SIGV4_QUERY_EXPIRES_NEGATIVE);
    QUERY_ERR("expires a week and a second", Q("604801"),
              S3_SIGV4_QUERY_EXPIRES_WEEK);
    QUERY_ERR("expires past any integer",
              Q("99999999999999999999999999"), S3_SIGV4_QUERY_EXPIRES_WEEK);
    QUERY_ERR("uppercase signed header",
              ALG CRED DATE EXP "1" "&X-Amz-SignedHeaders=Host" SIG,
              S3_SIGV4_QUERY_SIGNED_HEADERS);
    QUERY_ERR("short signature",
              ALG CRED DATE EXP "1" SH "&X-Amz-Signature=abc",
              S3_SIGV4_QUERY_SIGNATURE);

    test_cond("small buffer is ENOSPC",
              s3_sigv4_parse_query(Q("1"), sizeof(Q("1")) - 1, small,
                                   sizeof(small), &q) == S3_ERR
              && errno == ENOSPC);
}

#undef QUERY_ERR
#undef Q
#undef SIG
#undef SH
#undef EXP
#undef DATE
#undef CRED
#undef ALG
