
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>

#include "s3_record.h"
#include "test.h"


static void test_round_trip(void);
static void test_short_tail(void);
static void test_damage(void);
static void test_unknown_tag(void);
static void test_headers(void);
static void test_holders(void);
static size_t test_build(unsigned char *buf, uint16_t kind,
    const unsigned char *fields, size_t len);
static ssize_t test_object_file(unsigned char *file, size_t size,
    char *hdrs, size_t *hlen);
static size_t test_field(unsigned char *p, uint16_t tag, const char *data,
    uint32_t len);
static void test_w16(unsigned char *p, uint16_t v);
static void test_w32(unsigned char *p, uint32_t v);


static const char  data[] = "0123456789abcdefghij";


int
main(void)
{
    test_round_trip();
    test_short_tail();
    test_damage();
    test_unknown_tag();
    test_headers();
    test_holders();

    return test_report("test_record");
}


/* A file image: 20 data bytes, then the record of an object. */

static ssize_t
test_object_file(unsigned char *file, size_t size, char *hdrs, size_t *hlen)
{
    ssize_t      n;
    s3_record_t  rec;

    *hlen = 0;
    s3_record_add_header(hdrs, hlen, 256, "content-type", 12, "text/plain",
                         10);
    s3_record_add_header(hdrs, hlen, 256, "x-amz-meta-a", 12, "", 0);

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_OBJECT;
    rec.size = 20;
    rec.hlc = 0x0123456789abcdefULL;
    rec.mtime_ms = 1369353600000ULL;
    rec.origin = 0xdeadbeef;
    memcpy(rec.md5, "0123456789ABCDEF", 16);
    rec.bucket.data = "bucket";
    rec.bucket.len = 6;
    rec.key.data = "a/b\0c";
    rec.key.len = 5;
    rec.headers.data = hdrs;
    rec.headers.len = *hlen;

    memcpy(file, data, 20);

    n = s3_record_encode(&rec, file + 20, size - 20);

    return (n < 0) ? n : n + 20;
}


static void
test_round_trip(void)
{
    char           hdrs[256];
    size_t         hlen, need;
    ssize_t        n;
    s3_record_t    rec, out;
    unsigned char  file[1024];

    test_section("round trip");

    n = test_object_file(file, sizeof(file), hdrs, &hlen);
    test_cond("object encoded", n > 20 + S3_RECORD_TRAILER_LEN);

    test_cond("trailer magic at the end",
              memcmp(file + n - 16, S3_RECORD_MAGIC, 8) == 0);

    test_cond("decoded from the whole file",
              s3_record_decode(file, n, n, &out, &need) == S3_OK);
    test_cond("kind, size, hlc, mtime, origin",
              out.kind == S3_RECORD_OBJECT && out.size == 20
              && out.hlc == 0x0123456789abcdefULL
              && out.mtime_ms == 1369353600000ULL
              && out.origin == 0xdeadbeef);
    test_cond("md5", memcmp(out.md5, "0123456789ABCDEF", 16) == 0);
    test_mem("bucket", out.bucket.data, out.bucket.len, "bucket");
    test_cond("key with a NUL",
              out.key.len == 5 && memcmp(out.key.data, "a/b\0c", 5) == 0);
    test_cond("headers", out.headers.len == hlen
                         && memcmp(out.headers.data, hdrs, hlen) == 0);
    test_cond("unused slices are empty",
              out.owner.len == 0 && out.user.len == 0
              && out.access_key.len == 0 && out.secret_key.len == 0);
    test_cond("slices point into the tail",
              (unsigned char *) out.bucket.data > file
              && (unsigned char *) out.bucket.data < file + n);

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_USER;
    rec.user.data = "alice";
    rec.user.len = 5;
    rec.access_key.data = "AKIAIOSFODNN7EXAMPLE";
    rec.access_key.len = 20;
    rec.secret_key.data = "secret";
    rec.secret_key.len = 6;

    n = s3_record_encode(&rec, file, sizeof(file));
    test_cond("user record decodes",
              n > 0 && s3_record_decode(file, n, n, &out, &need) == S3_OK
              && out.kind == S3_RECORD_USER && out.size == 0
              && out.user.len == 5 && out.access_key.len == 20
              && memcmp(out.secret_key.data, "secret", 6) == 0);

    test_cond("small buffer is ENOSPC",
              s3_record_encode(&rec, file, 40) == -1 && errno == ENOSPC);

    rec.headers.data = (const char *) file;
    rec.headers.len = S3_RECORD_MAX_LEN;
    test_cond("body over S3_RECORD_MAX_LEN is ENOSPC",
              s3_record_encode(&rec, file, 2 * S3_RECORD_MAX_LEN) == -1
              && errno == ENOSPC);
}


static void
test_short_tail(void)
{
    char           hdrs[256];
    size_t         hlen, need, rlen;
    ssize_t        n;
    s3_record_t    out;
    unsigned char  file[1024];

    test_section("short tail");

    n = test_object_file(file, sizeof(file), hdrs, &hlen);
    rlen = n - 20;

    need = 0;
    test_cond("10 bytes: S3_AGAIN, need 16",
              s3_record_decode(file + n - 10, 10, n, &out, &need) == S3_AGAIN
              && need == S3_RECORD_TRAILER_LEN);

    need = 0;
    test_cond("trailer only: S3_AGAIN, need the record length",
              s3_record_decode(file + n - 16, 16, n, &out, &need) == S3_AGAIN
              && need == rlen);

    need = 0;
    test_cond("one byte short: S3_AGAIN, same need",
              s3_record_decode(file + n - rlen + 1, rlen - 1, n, &out, &need)
              == S3_AGAIN && need == rlen);

    need = 0;
    test_cond("exactly the record: S3_OK, need the record length",
              s3_record_decode(file + n - rlen, rlen, n, &out, &need)
              == S3_OK && out.size == 20 && need == rlen);

    need = 0;
    test_cond("the whole file: S3_OK, need the record length",
              s3_record_decode(file, n, n, &out, &need) == S3_OK
              && need == rlen);

    test_cond("tail longer than the file is EINVAL",
              s3_record_decode(file, n, n - 1, &out, &need) == S3_ERR
              && errno == EINVAL);

    test_cond("file shorter than a trailer is EINVAL",
              s3_record_decode(file, 8, 8, &out, &need) == S3_ERR
              && errno == EINVAL);

    test_cond("record longer than the file is EINVAL",
              s3_record_decode(file + n - 16, 16, rlen - 1, &out, &need)
              == S3_ERR && errno == EINVAL);
}


static void
test_damage(void)
{
    char           hdrs[256];
    size_t         hlen, need, i, bad;
    ssize_t        n;
    s3_record_t    out;
    unsigned char  file[1024];

    test_section("damage");

    n = test_object_file(file, sizeof(file), hdrs, &hlen);

    bad = 0;

    for (i = 20; i < (size_t) n; i++) {
        file[i] ^= 0x40;

        if (s3_record_decode(file, n, n, &out, &need) != S3_ERR
            || errno != EINVAL)
        {
            /* a flipped length may ask for more instead */
            if (!(i >= (size_t) n - 8 && i < (size_t) n - 4)) {
                bad++;
            }
        }

        file[i] ^= 0x40;
    }

    test_cond("every flipped record byte is detected", bad == 0);

    file[5] ^= 0xff;
    test_cond("data bytes are not covered (the md5 is)",
              s3_record_decode(file, n, n, &out, &need) == S3_OK);
    file[5] ^= 0xff;

    file[n - 16] = 'X';
    test_cond("foreign file (no magic) is EINVAL",
              s3_record_decode(file, n, n, &out, &need) == S3_ERR
              && errno == EINVAL);

    memset(file, 0, 64);
    test_cond("zeros are EINVAL",
              s3_record_decode(file, 64, 64, &out, &need) == S3_ERR);
}


static void
test_w16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
}


static void
test_w32(unsigned char *p, uint32_t v)
{
    test_w16(p, (uint16_t) v);
    test_w16(p + 2, (uint16_t) (v >> 16));
}


static size_t
test_field(unsigned char *p, uint16_t tag, const char *data, uint32_t len)
{
    test_w16(p, tag);
    test_w32(p + 2, len);
    memcpy(p + 6, data, len);

    return 6 + len;
}


/* Wraps raw fields in a body and a valid trailer. */

static size_t
test_build(unsigned char *buf, uint16_t kind, const unsigned char *fields,
    size_t len)
{
    size_t  body;

    test_w16(buf, S3_RECORD_FORMAT);
    test_w16(buf + 2, kind);
    memcpy(buf + 4, fields, len);
    body = 4 + len;

    memcpy(buf + body, S3_RECORD_MAGIC, 8);
    test_w32(buf + body + 8, (uint32_t) body);
    test_w32(buf + body + 12, s3_crc32c(0, buf, body));

    return body + 16;
}


static void
test_unknown_tag(void)
{
    size_t         n, need;
    s3_record_t    out;
    unsigned char  f[64], buf[128];

    test_section("forward compatibility");

    /* tag 6 (bucket) "abc", tag 999 "zzzz", tag 7 (key) "k" */

    n = test_field(f, 6, "abc", 3);
    n += test_field(f + n, 999, "zzzz", 4);
    n += test_field(f + n, 7, "k", 1);

    n = test_build(buf, S3_RECORD_OBJECT, f, n);

    test_cond("unknown tag is skipped",
              s3_record_decode(buf, n, n, &out, &need) == S3_OK
              && out.bucket.len == 3 && memcmp(out.bucket.data, "abc", 3) == 0
              && out.key.len == 1 && out.key.data[0] == 'k');

    /* a field whose length runs past the body, with a valid crc */

    test_w16(f, 6);
    test_w32(f + 2, 30);
    memcpy(f + 6, "abc", 3);
    n = test_build(buf, S3_RECORD_OBJECT, f, 9);
    test_cond("truncated field is EINVAL",
              s3_record_decode(buf, n, n, &out, &need) == S3_ERR
              && errno == EINVAL);

    /* a known numeric field of the wrong width */

    test_w16(f, 2);
    test_w32(f + 2, 4);
    memcpy(f + 6, "abcd", 4);
    n = test_build(buf, S3_RECORD_OBJECT, f, 10);
    test_cond("hlc of 4 bytes is EINVAL",
              s3_record_decode(buf, n, n, &out, &need) == S3_ERR);

    buf[0] = 2;
    n = test_build(buf, S3_RECORD_OBJECT, f, 0);
    buf[0] = 2;
    test_w32(buf + n - 4, s3_crc32c(0, buf, n - 16));
    test_cond("format 2 is EINVAL",
              s3_record_decode(buf, n, n, &out, &need) == S3_ERR
              && errno == EINVAL);
}


static void
test_headers(void)
{
    int          i;
    char         buf[64];
    size_t       len, pos;
    s3_str_t     name, value;
    s3_record_t  rec;

    test_section("headers");

    len = 0;
    test_cond("add content-type",
              s3_record_add_header(buf, &len, sizeof(buf), "content-type", 12,
                                   "text/plain", 10) == S3_OK);
    test_cond("add empty value",
              s3_record_add_header(buf, &len, sizeof(buf), "x-amz-meta-e", 12,
                                   "", 0) == S3_OK);
    test_cond("add past the end is ENOSPC",
              s3_record_add_header(buf, &len, sizeof(buf), "x-amz-meta-long",
                                   15, "0123456789012345678901234567890",
                                   31) == S3_ERR && errno == ENOSPC);
    test_cond("failed add leaves len", len == 13 + 11 + 13 + 1);

    memset(&rec, 0, sizeof(rec));
    rec.headers.data = buf;
    rec.headers.len = len;

    pos = 0;
    i = s3_record_next_header(&rec, &pos, &name, &value);
    test_cond("first header", i == 1 && name.len == 12
                              && memcmp(name.data, "content-type", 12) == 0
                              && value.len == 10
                              && memcmp(value.data, "text/plain", 10) == 0);
    i = s3_record_next_header(&rec, &pos, &name, &value);
    test_cond("second header, empty value",
              i == 1 && name.len == 12 && value.len == 0);
    test_cond("then the end", s3_record_next_header(&rec, &pos, &name, &value)
                              == 0);

    rec.headers.len = 5;
    pos = 0;
    test_cond("unterminated pair ends the walk",
              s3_record_next_header(&rec, &pos, &name, &value) == 0);
}


static void
test_holders(void)
{
    size_t          need;
    ssize_t         n;
    s3_record_t     rec, out;
    unsigned char   ids[8], buf[256], f[16];

    test_section("holders");

    s3_record_set_holder(ids, 0x5e1a2b3c);
    s3_record_set_holder(ids + 4, 7);

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_OBJECT;
    rec.size = 1 << 20;
    rec.hlc = 42;
    rec.origin = 0x5e1a2b3c;
    rec.holders.data = (const char *) ids;
    rec.holders.len = 8;

    n = s3_record_encode(&rec, buf, sizeof(buf));

    /* a record-only file: the size names bytes the file does not hold */

    test_cond("round trip of a record-only object",
              n > 0 && s3_record_decode(buf, n, n, &out, &need) == S3_OK
              && out.size == 1 << 20 && s3_record_nholders(&out) == 2
              && s3_record_holder(&out, 0) == 0x5e1a2b3c
              && s3_record_holder(&out, 1) == 7);
    test_cond("little-endian on the wire",
              memcmp(ids, "\x3c\x2b\x1a\x5e\x07\0\0\0", 8) == 0);

    rec.holders.len = 0;
    n = s3_record_encode(&rec, buf, sizeof(buf));
    test_cond("no holders: no field, a local object",
              n > 0 && s3_record_decode(buf, n, n, &out, &need) == S3_OK
              && out.holders.len == 0 && s3_record_nholders(&out) == 0);

    rec.holders.data = (const char *) ids;
    rec.holders.len = 6;
    test_cond("holders of a partial entry are not encoded",
              s3_record_encode(&rec, buf, sizeof(buf)) == -1
              && errno == EINVAL);

    n = test_field(f, 22, "abcde", 5);
    n = test_build(buf, S3_RECORD_OBJECT, f, n);
    test_cond("holders of a partial entry are EINVAL",
              s3_record_decode(buf, n, n, &out, &need) == S3_ERR
              && errno == EINVAL);
}
