
/*
 * Copyright (C) ngx_s3 developers
 *
 * The aws-chunked decoder.  Vectors: the PUT example of "Signature
 * Calculations for the Authorization Header: Transferring Payload in
 * Multiple Chunks" (sigv4-streaming) and of "Including Trailing Headers"
 * (sigv4-streaming-trailers), both 66560 bytes of 'a' in chunks of 65536,
 * 1024 and 0.  Other bodies are signed here by test_sign(), which follows
 * the documented formula without the decoder's code.
 */


#include <errno.h>
#include <stdlib.h>

#include "s3_digest.h"
#include "s3_chunked.h"
#include "s3_sigv4.h"
#include "test.h"


#define SECRET      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define AMZ_DATE    "20130524T000000Z"
#define SCOPE       "20130524/us-east-1/s3/aws4_request"
#define EMPTY_SHA256                                                          \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* sigv4-streaming */
#define SEED                                                                  \
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define SIG1                                                                  \
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define SIG2                                                                  \
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define SIG3                                                                  \
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"

/* sigv4-streaming-trailers */
#define TSEED                                                                 \
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define TSIG1                                                                 \
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
#define TSIG2                                                                 \
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
#define TSIG3                                                                 \
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
#define TSIGT                                                                 \
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"

#define BIG         (65536 + 1024)
#define BODY_SIZE   (BIG + 4096)


typedef struct {
    int           rc;              /* the last parse result */
    size_t        out_len;         /* data bytes returned */
    size_t        rest;            /* input not consumed */
    int           bad;             /* a contract broken on the way */
} test_run_t;


static void test_mode(void);
static void test_init(void);
static void test_aws_example(void);
static void test_aws_trailer_example(void);
static void test_signed_trailer(void);
static void test_flipped(void);
static void test_truncated(void);
static void test_framing(void);
static void test_sizes(void);
static void test_unsigned_trailer(void);
static void test_after_end(void);
static int test_run(s3_chunked_t *ck, const char *body, size_t len,
    size_t step, test_run_t *run);
static int test_parse(s3_chunked_mode_e mode, const char *seed,
    const char *body, size_t len, size_t step, test_run_t *run);
static size_t test_aws_body(char *buf, const char *sig1, const char *sig2,
    const char *sig3);
static size_t test_sign(char *buf, s3_chunked_mode_e mode,
    const size_t *sizes, const char *const *trailers);
static void test_chunk_sig(char *prev, const char *hash, const char *algo,
    int empty_line);


static unsigned char  key[S3_SIGV4_KEY_LEN];
static unsigned char  out[BODY_SIZE];
static char           body[BODY_SIZE];
static char           data[BODY_SIZE];


int
main(void)
{
    s3_sigv4_auth_t  auth;

    memset(&auth, 0, sizeof(auth));
    auth.date.data = "20130524";
    auth.date.len = 8;
    auth.region.data = "us-east-1";
    auth.region.len = 9;
    auth.service.data = "s3";
    auth.service.len = 2;

    s3_sigv4_signing_key(SECRET, sizeof(SECRET) - 1, &auth, key);

    memset(data, 'a', sizeof(data));

    test_mode();
    test_init();
    test_aws_example();
    test_aws_trailer_example();
    test_signed_trailer();
    test_flipped();
    test_truncated();
    test_framing();
    test_sizes();
    test_unsigned_trailer();
    test_after_end();

    return test_report("test_chunked");
}


static void
test_mode(void)
{
    s3_chunked_mode_e  mode;

    test_section("s3_chunked_mode");

#define MODE(s)  s3_chunked_mode(s, sizeof(s) - 1, &mode)

    mode = 0;
    test_cond("STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
              MODE("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == S3_OK
              && mode == S3_CHUNKED_SIGNED);

    mode = 0;
    test_cond("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
              MODE("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == S3_OK
              && mode == S3_CHUNKED_SIGNED_TRAILER);

    mode = 0;
    test_cond("STREAMING-UNSIGNED-PAYLOAD-TRAILER",
              MODE("STREAMING-UNSIGNED-PAYLOAD-TRAILER") == S3_OK
              && mode == S3_CHUNKED_UNSIGNED_TRAILER);

    test_cond("UNSIGNED-PAYLOAD is declined",
              MODE("UNSIGNED-PAYLOAD") == S3_DECLINED);
    test_cond("a hex hash is declined", MODE(EMPTY_SHA256) == S3_DECLINED);
    test_cond("an empty value is declined", MODE("") == S3_DECLINED);

    errno = 0;
    test_cond("ECDSA is not supported",
              MODE("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") == S3_ERR
              && errno == ENOTSUP);

    errno = 0;
    test_cond("ECDSA with trailers is not supported",
              MODE("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER")
              == S3_ERR && errno == ENOTSUP);

    test_cond("an unknown STREAMING- value is declined",
              MODE("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILERS")
              == S3_DECLINED);

    test_cond("lowercase is no STREAMING- value",
              MODE("streaming-aws4-hmac-sha256-payload") == S3_DECLINED);

#undef MODE
}


static void
test_init(void)
{
    char          scope[S3_CHUNKED_MAX_SCOPE + 1];
    s3_chunked_t  ck;

    test_section("s3_chunked_init");

    memset(scope, 'x', sizeof(scope));

    errno = 0;
    test_cond("a scope too long is refused",
              s3_chunked_init(&ck, S3_CHUNKED_SIGNED, key, SEED, AMZ_DATE,
                              scope, sizeof(scope)) == S3_ERR
              && errno == ENAMETOOLONG);

    test_cond("the longest scope is taken",
              s3_chunked_init(&ck, S3_CHUNKED_SIGNED, key, SEED, AMZ_DATE,
                              scope, S3_CHUNKED_MAX_SCOPE) == S3_OK);
    s3_chunked_free(&ck);
    s3_chunked_free(&ck);

    test_cond("the unsigned mode needs no key",
              s3_chunked_init(&ck, S3_CHUNKED_UNSIGNED_TRAILER, NULL, NULL,
                              NULL, NULL, 0) == S3_OK);
    s3_chunked_free(&ck);
}


static void
test_aws_example(void)
{
    size_t        len, i;
    test_run_t    run;
    s3_chunked_t  ck;

    static const size_t  steps[] = { 1, 2, 3, 7, 64, 4096, 65537, BODY_SIZE };

    char  descr[64];

    test_section("sigv4-streaming example");

    len = test_aws_body(body, SIG1, SIG2, SIG3);

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        s3_chunked_init(&ck, S3_CHUNKED_SIGNED, key, SEED, AMZ_DATE,
                        SCOPE, sizeof(SCOPE) - 1);

        test_run(&ck, body, len, steps[i], &run);

        snprintf(descr, sizeof(descr), "split in %zu-byte buffers",
                 steps[i]);
        test_cond(descr, run.rc == S3_DONE && run.rest == 0 && !run.bad
                         && run.out_len == BIG && ck.decoded == BIG
                         && memcmp(out, data, BIG) == 0);

        s3_chunked_free(&ck);
    }
}


static void
test_aws_trailer_example(void)
{
    char        *p;
    size_t       len, i;
    s3_str_t     v;
    test_run_t   run;
    s3_chunked_t ck;

    static const char  trailer[] =
        "x-amz-checksum-crc32c:sOO8/Q==\r\n"
        "x-amz-trailer-signature:" TSIGT "\r\n\r\n";

    test_section("sigv4-streaming-trailers example");

    for (i = 0; i < 2; i++) {
        len = test_aws_body(body, TSIG1, TSIG2, TSIG3);

        /* the page shows a blank line after the final chunk, SDKs none */

        p = body + len - (i == 0 ? 2 : 0);
        memcpy(p, trailer, sizeof(trailer) - 1);
        len = (size_t) (p - body) + sizeof(trailer) - 1;

        s3_chunked_init(&ck, S3_CHUNKED_SIGNED_TRAILER, key, TSEED, AMZ_DATE,
                        SCOPE, sizeof(SCOPE) - 1);

        test_run(&ck, body, len, 1000, &run);

        test_cond(i == 0 ? "trailers right after the final chunk"
                         : "trailers after a blank line",
                  run.rc == S3_DONE && run.rest == 0 && !run.bad
                  && run.out_len == BIG && memcmp(out, data, BIG) == 0);

        test_cond("x-amz-checksum-crc32c",
                  s3_chunked_trailer(&ck, "x-amz-checksum-crc32c",
                                     sizeof("x-amz-checksum-crc32c") - 1, &v)
                  == S3_OK
                  && v.len == 8 && memcmp(v.data, "sOO8/Q==", 8) == 0);

        s3_chunked_free(&ck);
    }
}


static void
test_signed_trailer(void)
{
    int          k;
    char        *p;
    size_t       len, pos, i;
    s3_str_t     name, value;
    test_run_t   run;
    s3_chunked_t ck;

    static const size_t  sizes[] = { 0xab, 0x1fff, 1, 0 };
    static const char   *trailers[] = {
        "x-amz-checksum-crc32:AAAAAA==", "x-amz-meta-note:a b:c", NULL
    };
    static const size_t  steps[] = { 1, 2, 7, 4096, BODY_SIZE };

    test_section("signed trailers, signed here");

    len = test_sign(body, S3_CHUNKED_SIGNED_TRAILER, sizes, trailers);

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        s3_chunked_init(&ck, S3_CHUNKED_SIGNED_TRAILER, key, SEED, AMZ_DATE,
                        SCOPE, sizeof(SCOPE) - 1);

        test_run(&ck, body, len, steps[i], &run);
        test_cond("decoded",
                  run.rc == S3_DONE && run.rest == 0 && !run.bad
                  && run.out_len == 8363 && memcmp(out, data, 8363) == 0);

        s3_chunked_free(&ck);
    }

    s3_chunked_init(&ck, S3_CHUNKED_SIGNED_TRAILER, key, SEED, AMZ_DATE,
                    SCOPE, sizeof(SCOPE) - 1);
    test_run(&ck, body, len, 3, &run);

    name.data = "";
    name.len = 0;
    value = name;

    pos = 0;
    k = s3_chunked_next_trailer(&ck, &pos, &name, &value);
    test_mem("first trailer name", name.data, name.len,
             "x-amz-checksum-crc32");
    test_mem("first trailer value", value.data, value.len, "AAAAAA==");
    k += s3_chunked_next_trailer(&ck, &pos, &name, &value);
    test_mem("second trailer name", name.data, name.len, "x-amz-meta-note");
    test_mem("second trailer value", value.data, value.len, "a b:c");
    test_cond("two trailers, the signature not among them",
              k == 2 && s3_chunked_next_trailer(&ck, &pos, &name, &value)
                        == 0);

    errno = 0;
    test_cond("an absent trailer is ENOENT",
              s3_chunked_trailer(&ck, "x-amz-trailer-signature",
                                 sizeof("x-amz-trailer-signature") - 1,
                                 &value) == S3_ERR
              && errno == ENOENT);
    s3_chunked_free(&ck);

    /* a wrong trailer signature: flip its last digit */

    p = body + len - 5;
    *p = (*p == '0') ? '1' : '0';
    test_parse(S3_CHUNKED_SIGNED_TRAILER, SEED, body, len, 7, &run);
    test_cond("a wrong trailer signature",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100);

    /* a trailer value changed after signing */

    len = test_sign(body, S3_CHUNKED_SIGNED_TRAILER, sizes, trailers);
    p = memmem(body, len, "AAAAAA==", 8);
    *p = 'B';
    test_parse(S3_CHUNKED_SIGNED_TRAILER, SEED, body, len, 7, &run);
    test_cond("a trailer changed after signing",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100);

    /* no x-amz-trailer-signature at all */

    len = test_sign(body, S3_CHUNKED_SIGNED, sizes, NULL);
    memcpy(body + len - 2, "x-amz-meta-a:1\r\n\r\n", 18);
    len += 16;
    test_parse(S3_CHUNKED_SIGNED_TRAILER, SEED, body, len, 7, &run);
    test_cond("no trailer signature",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100);

    test_parse(S3_CHUNKED_SIGNED, SEED, body, len, 7, &run);
    test_cond("trailers in the signed mode without them",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    /* a trailer after the signature */

    len = test_sign(body, S3_CHUNKED_SIGNED_TRAILER, sizes, trailers);
    memcpy(body + len - 2, "x-amz-meta-a:1\r\n\r\n", 18);
    len += 16;
    test_parse(S3_CHUNKED_SIGNED_TRAILER, SEED, body, len, 7, &run);
    test_cond("a trailer after the signature",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);
}


static void
test_flipped(void)
{
    size_t      len, i;
    test_run_t  run;

    static const size_t  steps[] = { 1, 4096, BODY_SIZE };

    test_section("flipped bytes");

    len = test_aws_body(body, SIG1, SIG2, SIG3);

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        body[100] ^= 1;
        test_parse(S3_CHUNKED_SIGNED, SEED, body, len, steps[i], &run);
        test_cond("a data byte of chunk 1: refused at its end",
                  run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100
                  && run.out_len == 65536);
        body[100] ^= 1;

        body[len - 100] ^= 1;
        test_parse(S3_CHUNKED_SIGNED, SEED, body, len, steps[i], &run);
        test_cond("a data byte of chunk 2: refused at its end",
                  run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100
                  && run.out_len == BIG);
        body[len - 100] ^= 1;
    }

    /* the last digit of each signature: 0 <-> 1 stays lowercase hex */

    len = test_aws_body(body, SIG1, SIG2,
                        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ce"
                        "b9323e279d449df8");
    test_parse(S3_CHUNKED_SIGNED, SEED, body, len, 4096, &run);
    test_cond("a digit of the final chunk's signature",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100
              && run.out_len == BIG);

    len = test_aws_body(body,
                        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ad"
                        "e35a65485a288649", SIG2, SIG3);
    test_parse(S3_CHUNKED_SIGNED, SEED, body, len, 4096, &run);
    test_cond("a digit of the first chunk's signature",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100
              && run.out_len == 65536);

    test_parse(S3_CHUNKED_SIGNED, SIG1, body, len, 4096, &run);
    test_cond("the wrong seed",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_SIGNATURE + 100);

    len = test_aws_body(body,
                        "AD80C730A21E5B8D04586A2213DD63B9A0E99E0E2307B0AD"
                        "E35A65485A288648", SIG2, SIG3);
    test_parse(S3_CHUNKED_SIGNED, SEED, body, len, 4096, &run);
    test_cond("an uppercase signature",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100
              && run.out_len == 0);
}


static void
test_truncated(void)
{
    int          ok;
    size_t       len, cut, s;
    test_run_t   run;

    static const size_t  sizes[] = { 5, 3, 0 };
    static const char   *trailers[] = {
        "x-amz-checksum-crc32:AAAAAA==", NULL
    };
    static const size_t  steps[] = { 1, 2, 7, BODY_SIZE };

    test_section("truncated bodies");

    len = test_sign(body, S3_CHUNKED_SIGNED_TRAILER, sizes, trailers);

    ok = 1;

    for (cut = 0; cut < len; cut++) {
        for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            test_parse(S3_CHUNKED_SIGNED_TRAILER, SEED, body, cut, steps[s],
                       &run);
            if (run.rc != S3_AGAIN || run.rest != 0 || run.bad) {
                printf("        cut at %zu of %zu, step %zu: rc %d\n",
                       cut, len, steps[s], run.rc);
                ok = 0;
            }
        }
    }

    test_cond("every cut of a signed body with trailers is S3_AGAIN", ok);

    len = test_sign(body, S3_CHUNKED_UNSIGNED_TRAILER, sizes, trailers);

    ok = 1;

    for (cut = 0; cut < len; cut++) {
        test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL, body, cut, 1, &run);
        ok &= (run.rc == S3_AGAIN && !run.bad);
    }

    test_cond("every cut of an unsigned body is S3_AGAIN", ok);

    len = test_aws_body(body, SIG1, SIG2, SIG3);

    ok = 1;

    for (cut = len - 200; cut < len; cut++) {
        test_parse(S3_CHUNKED_SIGNED, SEED, body, cut, 4096, &run);
        ok &= (run.rc == S3_AGAIN && !run.bad);
    }

    for (cut = 0; cut < 200; cut++) {
        test_parse(S3_CHUNKED_SIGNED, SEED, body, cut, 1, &run);
        ok &= (run.rc == S3_AGAIN && !run.bad);
    }

    test_cond("the example's cuts near both ends are S3_AGAIN", ok);
}


static void
test_framing(void)
{
    size_t      i;
    test_run_t  run;

    static const struct {
        const char          *descr;
        s3_chunked_mode_e    mode;
        const char          *body;
        int                  error;
    } cases[] = {

        { "bad hex", S3_CHUNKED_SIGNED,
          "1g;chunk-signature=" SIG1 "\r\n", S3_CHUNKED_E_MALFORMED },
        { "no size", S3_CHUNKED_SIGNED,
          ";chunk-signature=" SIG1 "\r\n", S3_CHUNKED_E_MALFORMED },
        { "a space before the size", S3_CHUNKED_UNSIGNED_TRAILER,
          " 5\r\n", S3_CHUNKED_E_MALFORMED },
        { "a space after the size", S3_CHUNKED_UNSIGNED_TRAILER,
          "5 \r\n", S3_CHUNKED_E_MALFORMED },
        { "a negative size", S3_CHUNKED_UNSIGNED_TRAILER,
          "-5\r\n", S3_CHUNKED_E_MALFORMED },
        { "0x", S3_CHUNKED_UNSIGNED_TRAILER,
          "0x5\r\n", S3_CHUNKED_E_MALFORMED },
        { "a bare LF", S3_CHUNKED_UNSIGNED_TRAILER,
          "5\n", S3_CHUNKED_E_MALFORMED },
        { "an empty line first", S3_CHUNKED_UNSIGNED_TRAILER,
          "\r\n", S3_CHUNKED_E_MALFORMED },
        { "a CR inside the line", S3_CHUNKED_UNSIGNED_TRAILER,
          "5\r\r\n", S3_CHUNKED_E_MALFORMED },
        { "no signature in a signed mode", S3_CHUNKED_SIGNED,
          "5\r\n", S3_CHUNKED_E_MALFORMED },
        { "another extension in a signed mode", S3_CHUNKED_SIGNED,
          "5;chunk-sig=" SIG1 "\r\n", S3_CHUNKED_E_MALFORMED },
        { "a short signature", S3_CHUNKED_SIGNED,
          "5;chunk-signature=ad80c730\r\n", S3_CHUNKED_E_MALFORMED },
        { "a long signature", S3_CHUNKED_SIGNED,
          "5;chunk-signature=" SIG1 "0\r\n", S3_CHUNKED_E_MALFORMED },
        { "a second extension", S3_CHUNKED_SIGNED_TRAILER,
          "5;chunk-signature=" SIG1 ";a=b\r\n", S3_CHUNKED_E_MALFORMED },
        { "an extension in the unsigned mode", S3_CHUNKED_UNSIGNED_TRAILER,
          "5;chunk-signature=" SIG1 "\r\n", S3_CHUNKED_E_MALFORMED },
        { "any extension in the unsigned mode", S3_CHUNKED_UNSIGNED_TRAILER,
          "5;a\r\n", S3_CHUNKED_E_MALFORMED },
        { "no CRLF after the data", S3_CHUNKED_UNSIGNED_TRAILER,
          "3\r\nabcX\r\n", S3_CHUNKED_E_MALFORMED },
        { "only LF after the data", S3_CHUNKED_UNSIGNED_TRAILER,
          "3\r\nabc\n0\r\n\r\n", S3_CHUNKED_E_MALFORMED },
        { "CR and no LF after the data", S3_CHUNKED_UNSIGNED_TRAILER,
          "3\r\nabc\r0\r\n\r\n", S3_CHUNKED_E_MALFORMED },
        { "a line too long", S3_CHUNKED_SIGNED,
          "1;chunk-signature=000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000",
          S3_CHUNKED_E_TOO_BIG },
    };

    test_section("framing");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_parse(cases[i].mode, SEED, cases[i].body,
                   strlen(cases[i].body), 1, &run);
        test_cond(cases[i].descr,
                  run.rc == S3_ERR && run.bad == cases[i].error + 100);

        test_parse(cases[i].mode, SEED, cases[i].body,
                   strlen(cases[i].body), BODY_SIZE, &run);
        test_cond(cases[i].descr,
                  run.rc == S3_ERR && run.bad == cases[i].error + 100);
    }
}


static void
test_sizes(void)
{
    size_t        i;
    test_run_t    run;

    static const struct {
        const char  *descr;
        const char  *size;
        int          rc;
    } cases[] = {
        { "5 GiB is taken", "140000000", S3_AGAIN },
        { "5 GiB + 1 is refused", "140000001", S3_ERR },
        { "16 hex digits are taken", "0000000000000005", S3_AGAIN },
        { "17 hex digits are refused", "00000000000000005", S3_ERR },
        { "2^64 - 1 is refused", "FFFFFFFFFFFFFFFF", S3_ERR },
        { "lowercase hex", "fffe", S3_AGAIN },
        { "uppercase hex", "FFFE", S3_AGAIN },
        { "mixed case hex", "fFfE", S3_AGAIN }
    };

    test_section("chunk sizes");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body), "%s;chunk-signature=%s\r\n",
                 cases[i].size, SIG1);

        test_parse(S3_CHUNKED_SIGNED, SEED, body, strlen(body), 1, &run);
        test_cond(cases[i].descr,
                  run.rc == cases[i].rc
                  && (run.rc == S3_AGAIN
                      || run.bad == S3_CHUNKED_E_TOO_BIG + 100));
    }
}


static void
test_unsigned_trailer(void)
{
    size_t        i, len, start;
    s3_str_t      v;
    test_run_t    run;
    s3_chunked_t  ck;

    static const char  good[] =
        "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n"
        "X-Amz-Checksum-CRC32: NSRBwg== \r\n\r\n";

    test_section("unsigned payload with trailers");

    for (i = 1; i <= sizeof(good); i++) {
        s3_chunked_init(&ck, S3_CHUNKED_UNSIGNED_TRAILER, NULL, NULL, NULL,
                        NULL, 0);
        test_run(&ck, good, sizeof(good) - 1, i, &run);

        if (run.rc != S3_DONE || run.rest != 0 || run.bad
            || run.out_len != 20
            || memcmp(out, "0123456789abcdefghij", 20) != 0
            || s3_chunked_trailer(&ck, "x-amz-checksum-crc32",
                                  sizeof("x-amz-checksum-crc32") - 1, &v)
               != S3_OK
            || v.len != 8 || memcmp(v.data, "NSRBwg==", 8) != 0)
        {
            break;
        }

        s3_chunked_free(&ck);
    }

    test_cond("x-amz-checksum-crc32 at every split", i > sizeof(good));

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL, "0\r\n\r\n", 5, 1, &run);
    test_cond("no data, no trailers", run.rc == S3_DONE && run.out_len == 0);

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL,
               "0\r\nx-amz-trailer-signature:" SIG1 "\r\n\r\n",
               sizeof("0\r\nx-amz-trailer-signature:" SIG1 "\r\n\r\n") - 1,
               BODY_SIZE, &run);
    test_cond("a trailer signature is refused",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL,
               "0\r\na:1\r\nA:2\r\n\r\n", 15, BODY_SIZE, &run);
    test_cond("a trailer twice is refused",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL,
               "0\r\nnocolon\r\n\r\n", 14, BODY_SIZE, &run);
    test_cond("a trailer without a colon",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL,
               "0\r\n:v\r\n\r\n", 9, BODY_SIZE, &run);
    test_cond("a trailer without a name",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL,
               "0\r\na b:v\r\n\r\n", 12, BODY_SIZE, &run);
    test_cond("a space in a trailer's name",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL,
               "0\r\na:\001\r\n\r\n", 11, BODY_SIZE, &run);
    test_cond("a control byte in a trailer's value",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    /* 2048 bytes of "x-amz-meta-NNN:<100 bytes>\n" lines at most */

    len = (size_t) snprintf(body, sizeof(body), "0\r\n");

    for (i = 0; i < 20; i++) {
        len += (size_t) snprintf(body + len, sizeof(body) - len,
                                 "x-amz-meta-%03zu:%.100s\r\n", i, data);
    }

    memcpy(body + len, "\r\n", 2);
    len += 2;

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL, body, len, 1, &run);
    test_cond("trailers too long",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_TOO_BIG + 100);

    /* from the fourth line on: 17 lines, 116 bytes each as kept */

    start = 3 + 3 * 117;

    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL, body + start, len - start,
               1, &run);
    test_cond("no chunk before the trailers",
              run.rc == S3_ERR && run.bad == S3_CHUNKED_E_MALFORMED + 100);

    memcpy(body + start - 3, "0\r\n", 3);
    test_parse(S3_CHUNKED_UNSIGNED_TRAILER, NULL, body + start - 3,
               len - start + 3, 1, &run);
    test_cond("17 trailers of 117 bytes fit",
              run.rc == S3_DONE && run.rest == 0);
}


static void
test_after_end(void)
{
    size_t                len;
    const unsigned char  *p, *last, *d;
    size_t                n;
    test_run_t            run;
    s3_chunked_t          ck;

    test_section("after the end, after an error");

    len = test_aws_body(body, SIG1, SIG2, SIG3);
    memcpy(body + len, "extra", 5);

    test_parse(S3_CHUNKED_SIGNED, SEED, body, len + 5, BODY_SIZE, &run);
    test_cond("input after the end is left", run.rc == S3_DONE
                                             && run.rest == 5);

    test_parse(S3_CHUNKED_SIGNED, SEED, body, len + 5, 1, &run);
    test_cond("input after the end is left, 1-byte split",
              run.rc == S3_DONE && run.rest == 5);

    s3_chunked_init(&ck, S3_CHUNKED_UNSIGNED_TRAILER, NULL, NULL, NULL,
                    NULL, 0);

    p = (const unsigned char *) "0\r\n\r\nx";
    last = p + 6;
    test_cond("done", s3_chunked_parse(&ck, &p, last, &d, &n) == S3_DONE
                      && p == last - 1);
    test_cond("done again", s3_chunked_parse(&ck, &p, last, &d, &n)
                            == S3_DONE && p == last - 1);
    s3_chunked_free(&ck);

    s3_chunked_init(&ck, S3_CHUNKED_UNSIGNED_TRAILER, NULL, NULL, NULL,
                    NULL, 0);

    p = (const unsigned char *) "z\r\n0\r\n\r\n";
    last = p + 8;
    test_cond("an error", s3_chunked_parse(&ck, &p, last, &d, &n) == S3_ERR
                          && ck.error == S3_CHUNKED_E_MALFORMED);

    p = (const unsigned char *) "0\r\n\r\n";
    last = p + 5;
    test_cond("an error stays", s3_chunked_parse(&ck, &p, last, &d, &n)
                                == S3_ERR);
    s3_chunked_free(&ck);
}


/*
 * Feeds body in step-byte buffers, as a request body filter would, into
 * out.  Returns and sets run->rc; run->bad is the error + 100 after
 * S3_ERR, 1 when S3_OK returned nothing or S3_AGAIN left input.
 */
static int
test_run(s3_chunked_t *ck, const char *b, size_t len, size_t step,
    test_run_t *run)
{
    int                   rc;
    size_t                n;
    const unsigned char  *p, *last, *end, *d;

    p = (const unsigned char *) b;
    end = p + len;

    run->out_len = 0;
    run->bad = 0;

    for ( ;; ) {
        last = ((size_t) (end - p) > step) ? p + step : end;

        while ((rc = s3_chunked_parse(ck, &p, last, &d, &n)) == S3_OK) {
            if (n == 0 || d < (const unsigned char *) b || d + n > last
                || run->out_len + n > sizeof(out))
            {
                run->bad = 1;
                break;
            }

            memcpy(out + run->out_len, d, n);
            run->out_len += n;
        }

        if (rc == S3_AGAIN && p != last) {
            run->bad = 1;
        }

        if (rc != S3_AGAIN || p == end || run->bad) {
            break;
        }
    }

    if (rc == S3_ERR) {
        run->bad = ck->error + 100;
    }

    run->rc = rc;
    run->rest = (size_t) (end - p);

    return rc;
}


static int
test_parse(s3_chunked_mode_e mode, const char *seed, const char *b,
    size_t len, size_t step, test_run_t *run)
{
    s3_chunked_t  ck;

    if (s3_chunked_init(&ck, mode, key, seed, AMZ_DATE, SCOPE,
                        sizeof(SCOPE) - 1) != S3_OK)
    {
        run->rc = S3_ERR;
        run->bad = 1;
        return S3_ERR;
    }

    test_run(&ck, b, len, step, run);

    s3_chunked_free(&ck);

    return run->rc;
}


/* The documentation's body: 65536 and 1024 bytes of 'a', then 0. */
static size_t
test_aws_body(char *buf, const char *sig1, const char *sig2,
    const char *sig3)
{
    char  *p;

    p = buf;

    p += sprintf(p, "10000;chunk-signature=%s\r\n", sig1);
    memset(p, 'a', 65536);
    p += 65536;
    p += sprintf(p, "\r\n400;chunk-signature=%s\r\n", sig2);
    memset(p, 'a', 1024);
    p += 1024;
    p += sprintf(p, "\r\n0;chunk-signature=%s\r\n\r\n", sig3);

    return (size_t) (p - buf);
}


/*
 * Encodes chunks of 'a' of the sizes given (the last one 0) in mode,
 * signed with key from SEED, then the trailers ("name:value") and in the
 * signed trailer mode x-amz-trailer-signature.
 */
static size_t
test_sign(char *buf, s3_chunked_mode_e mode, const size_t *sizes,
    const char *const *trailers)
{
    char           *p;
    char            prev[S3_SIGV4_SIG_HEX_LEN + 1];
    char            hash[S3_SIGV4_SIG_HEX_LEN + 1];
    char            canon[S3_CHUNKED_MAX_TRAILER];
    size_t          i, clen;
    unsigned char   md[S3_SHA256_LEN];

    memcpy(prev, SEED, sizeof(prev));
    p = buf;

    for (i = 0; ; i++) {
        if (mode == S3_CHUNKED_UNSIGNED_TRAILER) {
            p += sprintf(p, "%zx\r\n", sizes[i]);

        } else {
            s3_sha256(data, sizes[i], md);
            s3_hex_encode(hash, md, S3_SHA256_LEN);
            hash[S3_SIGV4_SIG_HEX_LEN] = '\0';
            test_chunk_sig(prev, hash, "AWS4-HMAC-SHA256-PAYLOAD", 1);
            p += sprintf(p, "%zX;chunk-signature=%s\r\n", sizes[i], prev);
        }

        if (sizes[i] == 0) {
            break;
        }

        memcpy(p, data, sizes[i]);
        p += sizes[i];
        p += sprintf(p, "\r\n");
    }

    clen = 0;

    for (i = 0; trailers != NULL && trailers[i] != NULL; i++) {
        p += sprintf(p, "%s\r\n", trailers[i]);
        clen += (size_t) sprintf(canon + clen, "%s\n", trailers[i]);
    }

    if (mode == S3_CHUNKED_SIGNED_TRAILER) {
        s3_sha256(canon, clen, md);
        s3_hex_encode(hash, md, S3_SHA256_LEN);
        hash[S3_SIGV4_SIG_HEX_LEN] = '\0';
        test_chunk_sig(prev, hash, "AWS4-HMAC-SHA256-TRAILER", 0);
        p += sprintf(p, "x-amz-trailer-signature:%s\r\n", prev);
    }

    p += sprintf(p, "\r\n");

    return (size_t) (p - buf);
}


/* prev = hex(HMAC(key, algo date scope prev [sha256("")] hash)) */
static void
test_chunk_sig(char *prev, const char *hash, const char *algo,
    int empty_line)
{
    int            n;
    char           sts[512];
    unsigned char  mac[S3_SHA256_LEN];

    n = snprintf(sts, sizeof(sts), "%s\n%s\n%s\n%s\n%s%s%s", algo,
                 AMZ_DATE, SCOPE, prev, empty_line ? EMPTY_SHA256 : "",
                 empty_line ? "\n" : "", hash);

    s3_hmac_sha256(key, S3_SIGV4_KEY_LEN, sts, (size_t) n, mac);
    s3_hex_encode(prev, mac, S3_SHA256_LEN);
    prev[S3_SIGV4_SIG_HEX_LEN] = '\0';
}
