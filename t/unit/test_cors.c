
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>

#include "s3_cors.h"
#include "test.h"


#define V(kind, s)  { S3_XML_CORS_##kind, s3_string(s) }


static void test_encode(void);
static void test_invalid(void);
static void test_decode(void);
static void test_match(void);
static int match(const s3_str_t *cors, const char *origin,
    const char *method, const char *headers, s3_cors_rule_t *rule);
static s3_str_t encode(char *buf, size_t size);


/*
 * rule 0: one origin, two methods, headers "x-amz-*" and "Content-Type"
 * rule 1: any origin, GET only, a max age and an exposed header
 */
static s3_xml_cors_value_t  values[] = {
    V(ID, "upload"),
    V(ORIGIN, "https://*.example.com"),
    V(METHOD, "PUT"),
    V(METHOD, "POST"),
    V(HEADER, "x-amz-*"),
    V(HEADER, "Content-Type"),
    V(EXPOSE, "ETag"),
    V(ORIGIN, "*"),
    V(METHOD, "GET"),
    V(MAX_AGE, "3000"),
    V(EXPOSE, "x-amz-request-id")
};

static s3_xml_cors_rule_t  rules[] = { { 0, 7 }, { 7, 4 } };


int
main(void)
{
    test_encode();
    test_invalid();
    test_decode();
    test_match();

    return test_report("test_cors");
}


static s3_str_t
encode(char *buf, size_t size)
{
    size_t         len;
    s3_str_t       bad, cors;
    s3_xml_cors_t  doc;

    memset(&doc, 0, sizeof(doc));
    doc.rules = rules;
    doc.nrules = 2;
    doc.values = values;
    doc.nvalues = sizeof(values) / sizeof(values[0]);

    cors.data = buf;
    cors.len = 0;

    if (s3_cors_encode(&doc, buf, size, &len, &bad) == S3_OK) {
        cors.len = len;
    }

    return cors;
}


static void
test_encode(void)
{
    char      buf[1024];
    s3_str_t  cors;

    static const char  want[] =
        "R\0Iupload\0Ohttps://*.example.com\0MPUT\0MPOST\0Hx-amz-*\0"
        "HContent-Type\0EETag\0R\0O*\0MGET\0A3000\0Ex-amz-request-id";

    test_section("encode");

    cors = encode(buf, sizeof(buf));
    test_cond("encoded as items", cors.len == sizeof(want)
                                  && memcmp(cors.data, want, cors.len) == 0);

    cors = encode(buf, 20);
    test_cond("a small buffer is ENOSPC", cors.len == 0 && errno == ENOSPC);
}


static void
test_invalid(void)
{
    int                  rc;
    char                 buf[4096];
    size_t               len, i;
    s3_str_t             bad;
    s3_xml_cors_t        doc;
    s3_xml_cors_rule_t   rule, many[S3_CORS_MAX_RULES + 1];
    s3_xml_cors_value_t  v[2];

    static const struct {
        s3_xml_cors_value_t  value;
        int                  rc;
        const char          *descr;
    } cases[] = {
        { V(METHOD, "PATCH"), S3_CORS_BAD_METHOD, "PATCH is refused" },
        { V(METHOD, "get"), S3_CORS_BAD_METHOD, "methods are uppercase" },
        { V(METHOD, "OPTIONS"), S3_CORS_BAD_METHOD, "OPTIONS is refused" },
        { V(ORIGIN, "http://*.*.com"), S3_CORS_BAD_ORIGIN,
          "two wildcards in an origin" },
        { V(HEADER, "**"), S3_CORS_BAD_HEADER, "two wildcards in a header" },
        { V(MAX_AGE, "-1"), S3_CORS_BAD_MAX_AGE, "a negative max age" },
        { V(MAX_AGE, "12x"), S3_CORS_BAD_MAX_AGE, "max age not a number" },
        { V(MAX_AGE, ""), S3_CORS_BAD_MAX_AGE, "an empty max age" },
        { V(HEADER, "*"), S3_OK, "one wildcard header is fine" },
        { V(MAX_AGE, "0"), S3_OK, "max age 0 is fine" }
    };

    test_section("invalid configurations");

    memset(&doc, 0, sizeof(doc));
    doc.rules = &rule;
    doc.nrules = 1;
    doc.values = v;
    doc.nvalues = 2;
    rule.first = 0;
    rule.n = 2;
    v[0].kind = S3_XML_CORS_ORIGIN;
    v[0].value.data = "*";
    v[0].value.len = 1;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v[1] = cases[i].value;
        bad.data = NULL;
        rc = s3_cors_encode(&doc, buf, sizeof(buf), &len, &bad);
        test_cond(cases[i].descr, rc == cases[i].rc
                  && (rc == S3_OK || bad.data == cases[i].value.value.data));
    }

    for (i = 0; i <= S3_CORS_MAX_RULES; i++) {
        many[i] = rule;
    }

    doc.rules = many;
    doc.nrules = S3_CORS_MAX_RULES;
    test_cond("100 rules are fine",
              s3_cors_encode(&doc, buf, sizeof(buf), &len, &bad) == S3_OK);

    doc.nrules = S3_CORS_MAX_RULES + 1;
    test_cond("101 rules are too many",
              s3_cors_encode(&doc, buf, sizeof(buf), &len, &bad)
              == S3_CORS_TOO_MANY);
}


static void
test_decode(void)
{
    int                 n;
    char                buf[1024];
    size_t              pos, ipos;
    s3_str_t            cors, value, bad;
    s3_cors_rule_t      rule;
    s3_xml_cors_kind_e  kind;

    static const char  *broken[] = {
        "X\0",                  /* not a rule mark first */
        "R",                    /* mark without its NUL */
        "R\0Oabc",              /* value without its NUL */
        "R\0Zabc\0",            /* unknown kind */
        "R\0\0"                 /* an empty kind */
    };
    static const size_t  broken_len[] = { 2, 1, 6, 7, 3 };

    test_section("decode");

    cors = encode(buf, sizeof(buf));

    pos = 0;
    n = 0;

    while (s3_cors_next_rule(&cors, &pos, &rule) == 1) {
        n++;
    }

    test_cond("two rules", n == 2 && pos == cors.len);

    pos = 0;
    (void) s3_cors_next_rule(&cors, &pos, &rule);
    ipos = 0;
    n = 0;

    while (s3_cors_next_item(&rule, &ipos, &kind, &value)) {
        if (n++ == 0) {
            test_cond("first item is the id", kind == S3_XML_CORS_ID);
            test_mem("id value", value.data, value.len, "upload");
        }
    }

    test_cond("seven items in rule 0", n == 7);

    for (n = 0; n < 5; n++) {
        bad.data = broken[n];
        bad.len = broken_len[n];
        pos = 0;
        test_cond("a broken encoding is EINVAL",
                  s3_cors_next_rule(&bad, &pos, &rule) == S3_ERR
                  && errno == EINVAL);
    }

    bad.data = "";
    bad.len = 0;
    pos = 0;
    test_cond("no rules", s3_cors_next_rule(&bad, &pos, &rule) == 0);
}


static int
match(const s3_str_t *cors, const char *origin, const char *method,
    const char *headers, s3_cors_rule_t *rule)
{
    s3_cors_request_t  req;

    req.origin.data = origin;
    req.origin.len = strlen(origin);
    req.method.data = method;
    req.method.len = strlen(method);
    req.headers.data = headers;
    req.headers.len = strlen(headers);

    return s3_cors_match(cors, &req, rule);
}


static void
test_match(void)
{
    char            buf[1024];
    s3_str_t        cors, bad;
    s3_cors_rule_t  rule;

    test_section("match");

    cors = encode(buf, sizeof(buf));

    test_cond("wildcard origin, PUT: rule 0",
              match(&cors, "https://app.example.com", "PUT", "", &rule) == 1
              && rule.items.data == cors.data + 2);
    test_mem("matched origin is the pattern", rule.origin.data,
             rule.origin.len, "https://*.example.com");

    test_cond("an empty run matches the star",
              match(&cors, "https://.example.com", "PUT", "", &rule) == 1
              && rule.items.data == cors.data + 2);

    test_cond("origins are case-sensitive",
              match(&cors, "https://app.EXAMPLE.com", "PUT", "", &rule)
              == 0);

    test_cond("methods are case-sensitive",
              match(&cors, "https://app.example.com", "put", "", &rule)
              == 0);

    test_cond("GET goes to rule 1 (any origin)",
              match(&cors, "https://app.example.com", "GET", "", &rule) == 1
              && rule.items.data != cors.data + 2);
    test_mem("rule 1 origin is *", rule.origin.data, rule.origin.len, "*");

    test_cond("DELETE is nowhere",
              match(&cors, "https://app.example.com", "DELETE", "", &rule)
              == 0);

    test_cond("requested headers, any case, spaces",
              match(&cors, "https://a.example.com", "POST",
                    "X-Amz-Date , content-type,x-amz-meta-a", &rule) == 1);

    test_cond("a header no rule allows",
              match(&cors, "https://a.example.com", "POST",
                    "x-amz-date, authorization", &rule) == 0);

    test_cond("GET with a header rule 1 does not allow",
              match(&cors, "http://other", "GET", "x-custom", &rule) == 0);

    test_cond("empty list items are ignored",
              match(&cors, "http://other", "GET", " , ,", &rule) == 1);

    test_cond("the prefix and suffix may not overlap",
              match(&cors, "https://example.com", "PUT", "", &rule) == 0);

    bad.data = "R\0Oabc";
    bad.len = 6;
    test_cond("a broken encoding is an error",
              match(&bad, "abc", "GET", "", &rule) == S3_ERR);
}
