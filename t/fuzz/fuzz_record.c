
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_record_decode(): the input is decoded twice, as a file's tail as it
 * is (the trailer checks), and as a record body given a valid trailer, so
 * that the fields behind the crc are reached too.
 */


#include "s3_record.h"
#include "fuzz.h"


static void fuzz_decode(const unsigned char *file, size_t size);
static void fuzz_fields(const s3_record_t *rec, const unsigned char *tail,
    size_t len);
static void fuzz_w32(unsigned char *p, uint32_t v);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char  *buf;

    fuzz_decode(data, size);

    if (size > S3_RECORD_MAX_LEN) {
        return 0;
    }

    buf = malloc(size + S3_RECORD_TRAILER_LEN);
    if (buf == NULL) {
        abort();
    }

    memcpy(buf, data, size);
    memcpy(buf + size, S3_RECORD_MAGIC, 8);
    fuzz_w32(buf + size + 8, (uint32_t) size);
    fuzz_w32(buf + size + 12, s3_crc32c(0, data, size));

    fuzz_decode(buf, size + S3_RECORD_TRAILER_LEN);
    free(buf);

    return 0;
}


/* the whole file, then its second half: S3_AGAIN must ask for more */

static void
fuzz_decode(const unsigned char *file, size_t size)
{
    int           rc;
    size_t        need, half;
    s3_record_t   rec;

    if (s3_record_decode(file, size, size, &rec, &need) == S3_OK) {
        fuzz_fields(&rec, file, size);
    }

    half = size / 2;

    rc = s3_record_decode(file + size - half, half, size, &rec, &need);

    if (rc == S3_AGAIN && (need <= half || need > size)) {
        fprintf(stderr, "need %zu of a %zu byte file, %zu given\n",
                need, size, half);
        abort();
    }
}


static void
fuzz_fields(const s3_record_t *rec, const unsigned char *tail, size_t len)
{
    size_t     pos, i;
    uint32_t   number;
    uint64_t   psize;
    s3_str_t   name, value;

    fuzz_inside(rec->bucket, tail, len);
    fuzz_inside(rec->key, tail, len);
    fuzz_inside(rec->owner, tail, len);
    fuzz_inside(rec->headers, tail, len);
    fuzz_inside(rec->upload_id, tail, len);
    fuzz_inside(rec->parts, tail, len);
    fuzz_inside(rec->checksum_value, tail, len);
    fuzz_inside(rec->tags, tail, len);
    fuzz_inside(rec->cors, tail, len);

    pos = 0;

    while (s3_record_next_header(rec, &pos, &name, &value)) {
        fuzz_inside(name, tail, len);
        fuzz_inside(value, tail, len);
    }

    for (i = 0; i < s3_record_nparts(rec); i++) {
        s3_record_part(rec, i, &number, &psize);
    }
}


static void
fuzz_w32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
    p[2] = (unsigned char) (v >> 16);
    p[3] = (unsigned char) (v >> 24);
}
