
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_chunked_parse(): the first byte chooses the mode and how the body is
 * split, the rest is the body.  It is decoded twice, whole and in pieces
 * each in a heap block of its own size, and both runs must agree: the
 * decoder promises any split of the input.
 */


#include "s3_chunked.h"
#include "fuzz.h"


typedef struct {
    int        rc;
    uint64_t   decoded;
    uint32_t   crc;
} fuzz_result_t;


static void fuzz_run(s3_chunked_mode_e mode, const uint8_t *in, size_t len,
    size_t step, fuzz_result_t *res);
static void fuzz_trailers(const s3_chunked_t *ck);


static const unsigned char  fuzz_key[S3_SIGV4_KEY_LEN];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t              step;
    fuzz_result_t       whole, split;
    s3_chunked_mode_e   mode;

    if (size == 0) {
        return 0;
    }

    mode = (s3_chunked_mode_e) (S3_CHUNKED_SIGNED + data[0] % 3);
    step = 1 + (data[0] >> 2);

    fuzz_run(mode, data + 1, size - 1, size, &whole);
    fuzz_run(mode, data + 1, size - 1, step, &split);

    if (whole.rc != split.rc
        || (whole.rc != S3_ERR
            && (whole.decoded != split.decoded || whole.crc != split.crc)))
    {
        fprintf(stderr, "whole: rc %d, %llu bytes; in pieces of %zu: "
                "rc %d, %llu bytes\n", whole.rc,
                (unsigned long long) whole.decoded, step, split.rc,
                (unsigned long long) split.decoded);
        abort();
    }

    return 0;
}


static void
fuzz_run(s3_chunked_mode_e mode, const uint8_t *in, size_t len, size_t step,
    fuzz_result_t *res)
{
    char                  seed[S3_SIGV4_SIG_HEX_LEN];
    size_t                off, n, dlen;
    s3_chunked_t          ck;
    const unsigned char  *buf, *pos, *data;

    static const char  scope[] = "20130524/us-east-1/s3/aws4_request";

    memset(seed, 'a', sizeof(seed));

    res->rc = S3_AGAIN;
    res->decoded = 0;
    res->crc = 0;

    if (s3_chunked_init(&ck, mode, fuzz_key, seed, "20130524T000000Z",
                        scope, sizeof(scope) - 1)
        != S3_OK)
    {
        abort();
    }

    for (off = 0; off < len && res->rc == S3_AGAIN; off += n) {
        n = (len - off < step) ? len - off : step;

        buf = (const unsigned char *) fuzz_copy(in + off, n);
        pos = buf;

        for ( ;; ) {
            res->rc = s3_chunked_parse(&ck, &pos, buf + n, &data, &dlen);

            if (res->rc != S3_OK) {
                break;
            }

            if (dlen == 0 || data < buf || data + dlen > buf + n) {
                fprintf(stderr, "a slice outside the input\n");
                abort();
            }

            res->decoded += dlen;
            res->crc = s3_crc32c(res->crc, data, dlen);
        }

        free((void *) buf);
    }

    if (res->rc == S3_DONE) {
        fuzz_trailers(&ck);
    }

    s3_chunked_free(&ck);
}


static void
fuzz_trailers(const s3_chunked_t *ck)
{
    size_t    pos;
    s3_str_t  name, value;

    pos = 0;

    while (s3_chunked_next_trailer(ck, &pos, &name, &value)) {
        fuzz_inside(name, ck->trailer, ck->trailer_len);
        fuzz_inside(value, ck->trailer, ck->trailer_len);
    }

    (void) s3_chunked_trailer(ck, "x-amz-checksum-crc32",
                              sizeof("x-amz-checksum-crc32") - 1, &value);
}
