
/*
 * Copyright (C) ngx_s3 developers
 *
 * Check values for "123456789" from the CRC catalogue (CRC-32/ISO-HDLC,
 * CRC-32/ISCSI, CRC-64/NVME), vectors from the AWS CRT checksum tests and
 * SPDK's NVMe CRC tests, SHA-1 from RFC 3174, SHA-256 from FIPS 180-2;
 * then streaming, combining and base64 against those, and a speed print.
 */


#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "s3_cksum.h"
#include "test.h"


#define TEST_SPEED_LEN   (64 * 1024 * 1024)


static void test_names(void);
static void test_crc_vectors(void);
static void test_crc_reference(void);
static int test_value(s3_cksum_algo_e algo, const void *data, size_t len,
    const char *want);
static void test_streaming(void);
static void test_sha1(void);
static void test_combine(void);
static void test_combine_zeros(s3_cksum_algo_e algo);
static void test_base64(void);
static void test_speed(void);
static void test_fill(unsigned char *p, size_t len, uint32_t seed);
static uint64_t test_crc_bitwise(uint64_t poly, int width,
    const unsigned char *p, size_t len);


static const s3_cksum_algo_e  test_algos[] = {
    S3_CKSUM_CRC32, S3_CKSUM_CRC32C, S3_CKSUM_CRC64NVME, S3_CKSUM_SHA1,
    S3_CKSUM_SHA256
};

static const s3_cksum_algo_e  test_crcs[] = {
    S3_CKSUM_CRC32, S3_CKSUM_CRC32C, S3_CKSUM_CRC64NVME
};


int
main(void)
{
    test_names();
    test_crc_vectors();
    test_crc_reference();
    test_streaming();
    test_sha1();
    test_combine();
    test_base64();
    test_speed();

    return test_report("test_cksum");
}


static void
test_names(void)
{
    test_section("names");

    test_cond("algo CRC32", s3_cksum_algo("CRC32", 5) == S3_CKSUM_CRC32);
    test_cond("algo crc32c", s3_cksum_algo("crc32c", 6) == S3_CKSUM_CRC32C);
    test_cond("algo Crc64Nvme",
              s3_cksum_algo("Crc64Nvme", 9) == S3_CKSUM_CRC64NVME);
    test_cond("algo SHA1", s3_cksum_algo("SHA1", 4) == S3_CKSUM_SHA1);
    test_cond("algo sha256", s3_cksum_algo("sha256", 6) == S3_CKSUM_SHA256);
    test_cond("algo by length, not prefix",
              s3_cksum_algo("CRC32C", 5) == S3_CKSUM_CRC32
              && s3_cksum_algo("CRC3", 4) == S3_CKSUM_NONE
              && s3_cksum_algo("SHA2566", 7) == S3_CKSUM_NONE);
    test_cond("algo MD5 and empty are NONE",
              s3_cksum_algo("MD5", 3) == S3_CKSUM_NONE
              && s3_cksum_algo("", 0) == S3_CKSUM_NONE);

    test_cond("header crc64nvme",
              s3_cksum_header_algo("x-amz-checksum-crc64nvme", 24)
              == S3_CKSUM_CRC64NVME);
    test_cond("header sha1",
              s3_cksum_header_algo("x-amz-checksum-sha1", 19)
              == S3_CKSUM_SHA1);
    test_cond("header -algorithm, -mode, -type are NONE",
              s3_cksum_header_algo("x-amz-checksum-algorithm", 24)
              == S3_CKSUM_NONE
              && s3_cksum_header_algo("x-amz-checksum-mode", 19)
                 == S3_CKSUM_NONE
              && s3_cksum_header_algo("x-amz-checksum-type", 19)
                 == S3_CKSUM_NONE);
    test_cond("header x-amz-checksum-crc32 cut short is NONE",
              s3_cksum_header_algo("x-amz-checksum-crc3", 19)
              == S3_CKSUM_NONE);

    test_cond("name", strcmp(s3_cksum_name(S3_CKSUM_CRC64NVME), "CRC64NVME")
                      == 0
                      && strcmp(s3_cksum_name(S3_CKSUM_NONE), "") == 0);
    test_cond("header", strcmp(s3_cksum_header(S3_CKSUM_CRC32C),
                               "x-amz-checksum-crc32c") == 0
                        && strcmp(s3_cksum_header(S3_CKSUM_NONE), "") == 0);
    test_cond("element", strcmp(s3_cksum_element(S3_CKSUM_SHA256),
                                "ChecksumSHA256") == 0
                         && strcmp(s3_cksum_element(S3_CKSUM_NONE), "")
                            == 0);
    test_cond("lengths", s3_cksum_len(S3_CKSUM_NONE) == 0
                         && s3_cksum_len(S3_CKSUM_CRC32) == 4
                         && s3_cksum_len(S3_CKSUM_CRC32C) == 4
                         && s3_cksum_len(S3_CKSUM_CRC64NVME) == 8
                         && s3_cksum_len(S3_CKSUM_SHA1) == 20
                         && s3_cksum_len(S3_CKSUM_SHA256) == 32
                         && s3_cksum_len((s3_cksum_algo_e) 99) == 0);
}


static void
test_crc_vectors(void)
{
    int            i;
    unsigned char  buf[4096];

    test_section("crc vectors");

    test_cond("crc32(\"123456789\") = 0xcbf43926",
              s3_crc32(0, "123456789", 9) == 0xcbf43926);
    test_cond("crc32c(\"123456789\") = 0xe3069283",
              s3_crc32c(0, "123456789", 9) == 0xe3069283);
    test_cond("crc64nvme(\"123456789\") = 0xae8b14860a799888",
              s3_crc64nvme(0, "123456789", 9) == 0xae8b14860a799888ULL);

    test_cond("crc32(\"\") = 0, crc64nvme(\"\") = 0",
              s3_crc32(0, "", 0) == 0 && s3_crc64nvme(0, "", 0) == 0);
    test_cond("crc32(\"Hello\") = 4157704578 (AWS CRT)",
              s3_crc32(0, "Hello", 5) == 4157704578U);
    test_cond("crc32c(\"Hello\") = 2178485787 (AWS CRT)",
              s3_crc32c(0, "Hello", 5) == 2178485787U);

    memset(buf, 0, sizeof(buf));
    test_cond("crc32(32 zeros) = 0x190a55ad (AWS CRT)",
              s3_crc32(0, buf, 32) == 0x190a55ad);
    test_cond("crc64nvme(32 zeros) = 0xcf3473434d4ecf3b (AWS CRT)",
              s3_crc64nvme(0, buf, 32) == 0xcf3473434d4ecf3bULL);
    test_cond("crc64nvme(4096 zeros) = 0x6482d367eb22b64e (SPDK)",
              s3_crc64nvme(0, buf, 4096) == 0x6482d367eb22b64eULL);

    memset(buf, 0xff, sizeof(buf));
    test_cond("crc64nvme(4096 0xff) = 0xc0ddba7302eca3ac (SPDK)",
              s3_crc64nvme(0, buf, 4096) == 0xc0ddba7302eca3acULL);

    for (i = 0; i < 32; i++) {
        buf[i] = (unsigned char) i;
    }

    test_cond("crc64nvme(0..31) = 0xb9d9d4a8492cbd7f (AWS CRT)",
              s3_crc64nvme(0, buf, 32) == 0xb9d9d4a8492cbd7fULL);

    test_cond("crc32 as sent: \"\" -> AAAAAA==",
              test_value(S3_CKSUM_CRC32, "", 0, "AAAAAA=="));
    test_cond("crc64nvme as sent: \"\" -> AAAAAAAAAAA=",
              test_value(S3_CKSUM_CRC64NVME, "", 0, "AAAAAAAAAAA="));
    test_cond("crc64nvme as sent: \"aaaaaaaaaa\" -> 0c1a80036d65c555 (AWS)",
              test_value(S3_CKSUM_CRC64NVME, "aaaaaaaaaa", 10,
                         "DBqAA21lxVU="));
    test_cond("crc64nvme as sent: \"Hello, World!\\n\" -> SoXXbx67KpE=",
              test_value(S3_CKSUM_CRC64NVME, "Hello, World!\n", 14,
                         "SoXXbx67KpE="));
    test_cond("crc32 as sent: \"Hello world\" -> i9aeUg==",
              test_value(S3_CKSUM_CRC32, "Hello world", 11, "i9aeUg=="));
    test_cond("crc32c as sent: \"Hello world\" -> crUfeA==",
              test_value(S3_CKSUM_CRC32C, "Hello world", 11, "crUfeA=="));
    test_cond("sha256 as sent: \"abc\"",
              test_value(S3_CKSUM_SHA256, "abc", 3,
                         "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="));
    test_cond("sha1 as sent: \"abc\"",
              test_value(S3_CKSUM_SHA1, "abc", 3,
                         "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));
}


/* slicing-by-8 against one bit at a time, every length and alignment */

static void
test_crc_reference(void)
{
    int            ok32, ok64;
    size_t         off, len;
    unsigned char  buf[8 + 200];

    test_section("crc against a bitwise reference");

    test_fill(buf, sizeof(buf), 1);

    ok32 = 1;
    ok64 = 1;

    for (off = 0; off < 8; off++) {
        for (len = 0; len <= 200; len++) {
            ok32 &= s3_crc32(0, buf + off, len)
                    == test_crc_bitwise(0xedb88320U, 32, buf + off, len);
            ok64 &= s3_crc64nvme(0, buf + off, len)
                    == test_crc_bitwise(0x9a6c9329ac4bc9b5ULL, 64,
                                        buf + off, len);
        }
    }

    test_cond("crc32: lengths 0..200 at offsets 0..7", ok32);
    test_cond("crc64nvme: lengths 0..200 at offsets 0..7", ok64);
}


static int
test_value(s3_cksum_algo_e algo, const void *data, size_t len,
    const char *want)
{
    char           b64[S3_CKSUM_B64_MAX_LEN];
    size_t         n;
    s3_cksum_t     c;
    unsigned char  raw[S3_CKSUM_MAX_LEN];

    if (s3_cksum_init(&c, algo) != S3_OK
        || s3_cksum_update(&c, data, len) != S3_OK
        || s3_cksum_final(&c, raw) != S3_OK)
    {
        return 0;
    }

    n = s3_base64_encode(b64, raw, s3_cksum_len(algo));

    return n == strlen(want) && memcmp(b64, want, n) == 0;
}


static void
test_streaming(void)
{
    int             ok;
    char            descr[64];
    size_t          i, off, step, len;
    s3_cksum_t      c;
    unsigned char  *buf, one[S3_CKSUM_MAX_LEN], split[S3_CKSUM_MAX_LEN];

    static const size_t  steps[] = { 1, 3, 7, 8, 13, 64, 4095, 65537 };

    test_section("streaming in odd splits equals one-shot");

    len = 300007;
    buf = malloc(len);
    if (buf == NULL) {
        test_cond("malloc", 0);
        return;
    }

    test_fill(buf, len, 2);

    for (i = 0; i < sizeof(test_algos) / sizeof(test_algos[0]); i++) {
        ok = s3_cksum_init(&c, test_algos[i]) == S3_OK
             && s3_cksum_update(&c, buf, len) == S3_OK
             && s3_cksum_final(&c, one) == S3_OK;

        for (step = 0; ok && step < sizeof(steps) / sizeof(steps[0]); step++)
        {
            ok = s3_cksum_init(&c, test_algos[i]) == S3_OK;

            for (off = 0; ok && off < len; off += steps[step]) {
                ok = s3_cksum_update(&c, buf + off,
                                     len - off < steps[step]
                                     ? len - off : steps[step]) == S3_OK;
            }

            ok = ok && s3_cksum_update(&c, NULL, 0) == S3_OK
                 && s3_cksum_final(&c, split) == S3_OK
                 && memcmp(one, split, s3_cksum_len(test_algos[i])) == 0;
        }

        snprintf(descr, sizeof(descr), "%s in steps of 1 ... 65537",
                 s3_cksum_name(test_algos[i]));
        test_cond(descr, ok);
    }

    free(buf);

    test_cond("init NONE is EINVAL",
              s3_cksum_init(&c, S3_CKSUM_NONE) == S3_ERR && errno == EINVAL);
    test_cond("update NONE is EINVAL",
              s3_cksum_update(&c, "x", 1) == S3_ERR && errno == EINVAL);
    test_cond("final NONE is EINVAL",
              s3_cksum_final(&c, one) == S3_ERR && errno == EINVAL);

    test_cond("sha256 final releases the context",
              s3_cksum_init(&c, S3_CKSUM_SHA256) == S3_OK
              && s3_cksum_final(&c, one) == S3_OK && c.ctx == NULL);
    test_cond("sha256 update after final is EINVAL",
              s3_cksum_update(&c, "x", 1) == S3_ERR && errno == EINVAL);

    test_cond("sha1 init", s3_cksum_init(&c, S3_CKSUM_SHA1) == S3_OK);
    s3_cksum_free(&c);
    s3_cksum_free(&c);
    test_cond("free twice is safe", c.ctx == NULL);
}


static void
test_sha1(void)
{
    int             i, ok;
    char            hex[2 * S3_SHA1_LEN];
    s3_cksum_t      c;
    unsigned char   out[S3_SHA1_LEN], a[1000];

    static const char  rep[] =
        "0123456701234567012345670123456701234567012345670123456701234567";

    test_section("sha1 (RFC 3174)");

    ok = s3_cksum_init(&c, S3_CKSUM_SHA1) == S3_OK
         && s3_cksum_update(&c, "abc", 3) == S3_OK
         && s3_cksum_final(&c, out) == S3_OK;
    s3_hex_encode(hex, out, S3_SHA1_LEN);
    test_cond("TEST1 runs", ok);
    test_mem("TEST1 \"abc\"", hex, 40,
             "a9993e364706816aba3e25717850c26c9cd0d89d");

    ok = s3_cksum_init(&c, S3_CKSUM_SHA1) == S3_OK
         && s3_cksum_update(&c, "abcdbcdecdefdefgefghfghighijhi", 30)
            == S3_OK
         && s3_cksum_update(&c, "jkijkljklmklmnlmnomnopnopq", 26) == S3_OK
         && s3_cksum_final(&c, out) == S3_OK;
    s3_hex_encode(hex, out, S3_SHA1_LEN);
    test_cond("TEST2 runs", ok);
    test_mem("TEST2 \"abcdbcdecdef...\"", hex, 40,
             "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

    memset(a, 'a', sizeof(a));
    ok = s3_cksum_init(&c, S3_CKSUM_SHA1) == S3_OK;

    for (i = 0; ok && i < 1000; i++) {
        ok = s3_cksum_update(&c, a, sizeof(a)) == S3_OK;
    }

    ok = ok && s3_cksum_final(&c, out) == S3_OK;
    s3_hex_encode(hex, out, S3_SHA1_LEN);
    test_cond("TEST3 runs", ok);
    test_mem("TEST3 a million \"a\"", hex, 40,
             "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

    ok = s3_cksum_init(&c, S3_CKSUM_SHA1) == S3_OK;

    for (i = 0; ok && i < 10; i++) {
        ok = s3_cksum_update(&c, rep, sizeof(rep) - 1) == S3_OK;
    }

    ok = ok && s3_cksum_final(&c, out) == S3_OK;
    s3_hex_encode(hex, out, S3_SHA1_LEN);
    test_cond("TEST4 runs", ok);
    test_mem("TEST4 \"01234567\" x 80", hex, 40,
             "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}


static void
test_combine(void)
{
    int             ok, round;
    char            descr[64];
    size_t          i, la, lb, n;
    s3_cksum_t      c;
    unsigned char  *buf, a[8], b[8], ab[8];

    test_section("combine");

    buf = malloc(70000);
    if (buf == NULL) {
        test_cond("malloc", 0);
        return;
    }

    test_fill(buf, 70000, 3);
    srand(4);

    for (i = 0; i < sizeof(test_crcs) / sizeof(test_crcs[0]); i++) {
        n = s3_cksum_len(test_crcs[i]);
        ok = 1;

        for (round = 0; ok && round < 200; round++) {
            la = (round % 4 == 0) ? 0 : (size_t) rand() % 35000;
            lb = (round % 5 == 0) ? 0 : (size_t) rand() % 35000;

            if (round == 1) {
                lb = 1;
            }

            ok = s3_cksum_init(&c, test_crcs[i]) == S3_OK
                 && s3_cksum_update(&c, buf, la) == S3_OK
                 && s3_cksum_final(&c, a) == S3_OK
                 && s3_cksum_init(&c, test_crcs[i]) == S3_OK
                 && s3_cksum_update(&c, buf + la, lb) == S3_OK
                 && s3_cksum_final(&c, b) == S3_OK
                 && s3_cksum_init(&c, test_crcs[i]) == S3_OK
                 && s3_cksum_update(&c, buf, la + lb) == S3_OK
                 && s3_cksum_final(&c, ab) == S3_OK
                 && s3_cksum_combine(test_crcs[i], a, b, lb) == S3_OK
                 && memcmp(a, ab, n) == 0;
        }

        snprintf(descr, sizeof(descr),
                 "%s: combine(A, B, |B|) = crc(A || B), 200 random pairs",
                 s3_cksum_name(test_crcs[i]));
        test_cond(descr, ok);

        test_combine_zeros(test_crcs[i]);
    }

    free(buf);

    memset(a, 0, sizeof(a));
    test_cond("combine sha1 is EINVAL",
              s3_cksum_combine(S3_CKSUM_SHA1, a, b, 1) == S3_ERR
              && errno == EINVAL);
    test_cond("combine sha256 is EINVAL",
              s3_cksum_combine(S3_CKSUM_SHA256, a, b, 1) == S3_ERR
              && errno == EINVAL);
    test_cond("combine none is EINVAL",
              s3_cksum_combine(S3_CKSUM_NONE, a, b, 1) == S3_ERR
              && errno == EINVAL);
}


/*
 * Terabytes cannot be hashed here, but zeros can be doubled by combining:
 * Z(2n) = combine(Z(n), Z(n), n); then Z(big) || Z(4096) must equal
 * Z(4096) || Z(big), which uses the high powers of x both ways.
 */

static void
test_combine_zeros(s3_cksum_algo_e algo)
{
    int             k, ok;
    char            descr[64];
    size_t          n;
    s3_cksum_t      c;
    unsigned char   z[8], zbig[8], x[8], y[8], zeros[8192];

    n = s3_cksum_len(algo);
    memset(zeros, 0, sizeof(zeros));

    ok = s3_cksum_init(&c, algo) == S3_OK
         && s3_cksum_update(&c, zeros, 4096) == S3_OK
         && s3_cksum_final(&c, z) == S3_OK;

    memcpy(x, z, n);
    memcpy(y, z, n);
    ok = ok && s3_cksum_combine(algo, x, y, 4096) == S3_OK
         && s3_cksum_init(&c, algo) == S3_OK
         && s3_cksum_update(&c, zeros, 8192) == S3_OK
         && s3_cksum_final(&c, y) == S3_OK
         && memcmp(x, y, n) == 0;

    memcpy(zbig, z, n);

    for (k = 12; ok && k < 50; k++) {
        memcpy(x, zbig, n);
        ok = s3_cksum_combine(algo, zbig, x, (uint64_t) 1 << k) == S3_OK;
    }

    memcpy(x, zbig, n);
    memcpy(y, z, n);
    ok = ok && s3_cksum_combine(algo, x, z, 4096) == S3_OK
         && s3_cksum_combine(algo, y, zbig, (uint64_t) 1 << 50) == S3_OK
         && memcmp(x, y, n) == 0;

    snprintf(descr, sizeof(descr), "%s: 1 PiB of zeros combines both ways",
             s3_cksum_name(algo));
    test_cond(descr, ok);
}


static void
test_base64(void)
{
    int            ok;
    char           b64[64];
    size_t         len, n, out_len;
    unsigned char  raw[S3_CKSUM_MAX_LEN], buf[48], back[48];

    static const unsigned char  foobar[] = "foobar";

    test_section("base64");

    test_mem("encode \"\"", b64, s3_base64_encode(b64, foobar, 0), "");
    test_mem("encode \"f\"", b64, s3_base64_encode(b64, foobar, 1), "Zg==");
    test_mem("encode \"fo\"", b64, s3_base64_encode(b64, foobar, 2), "Zm8=");
    test_mem("encode \"foobar\"", b64, s3_base64_encode(b64, foobar, 6),
             "Zm9vYmFy");

    test_cond("decode \"Zm9vYg==\" (RFC 4648)",
              s3_base64_decode(back, &out_len, "Zm9vYg==", 8) == S3_OK
              && out_len == 4 && memcmp(back, "foob", 4) == 0);
    test_cond("decode \"\"",
              s3_base64_decode(back, &out_len, "", 0) == S3_OK
              && out_len == 0);

    test_fill(buf, sizeof(buf), 5);
    ok = 1;

    for (len = 0; ok && len <= sizeof(buf); len++) {
        n = s3_base64_encode(b64, buf, len);
        ok = n == (len + 2) / 3 * 4
             && s3_base64_decode(back, &out_len, b64, n) == S3_OK
             && out_len == len && memcmp(back, buf, len) == 0;
    }

    test_cond("round trips of 0 ... 48 bytes", ok);

    test_cond("reject a length not a multiple of 4",
              s3_base64_decode(back, &out_len, "AAAAAA=", 7) == S3_ERR
              && errno == EINVAL);
    test_cond("reject an unpadded tail",
              s3_base64_decode(back, &out_len, "Zm9vYg", 6) == S3_ERR);
    test_cond("reject a space",
              s3_base64_decode(back, &out_len, "AAAA AA=", 8) == S3_ERR);
    test_cond("reject url-safe characters",
              s3_base64_decode(back, &out_len, "AA-_", 4) == S3_ERR);
    test_cond("reject a NUL",
              s3_base64_decode(back, &out_len, "AA\0A", 4) == S3_ERR);
    test_cond("reject three pads",
              s3_base64_decode(back, &out_len, "AAAAA===", 8) == S3_ERR);
    test_cond("reject four pads",
              s3_base64_decode(back, &out_len, "====", 4) == S3_ERR);
    test_cond("reject a pad inside",
              s3_base64_decode(back, &out_len, "AA=AAAAA", 8) == S3_ERR
              && s3_base64_decode(back, &out_len, "AAAA=AAA", 8) == S3_ERR
              && s3_base64_decode(back, &out_len, "A=A=", 4) == S3_ERR);
    test_cond("reject nonzero bits under the padding",
              s3_base64_decode(back, &out_len, "AAAAAB==", 8) == S3_ERR
              && s3_base64_decode(back, &out_len, "Zm9=", 4) == S3_ERR);

    test_section("s3_cksum_decode");

    test_cond("crc32 \"i9aeUg==\"",
              s3_cksum_decode(S3_CKSUM_CRC32, "i9aeUg==", 8, raw) == S3_OK
              && raw[0] == 0x8b && raw[1] == 0xd6 && raw[2] == 0x9e
              && raw[3] == 0x52);
    test_cond("crc64nvme \"SoXXbx67KpE=\"",
              s3_cksum_decode(S3_CKSUM_CRC64NVME, "SoXXbx67KpE=", 12, raw)
              == S3_OK && raw[0] == 0x4a && raw[7] == 0x91);
    test_cond("sha256 of 44 characters",
              s3_cksum_decode(S3_CKSUM_SHA256,
                              "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
                              44, raw) == S3_OK
              && raw[0] == 0xba && raw[31] == 0xad);
    test_cond("sha1 of 28 characters",
              s3_cksum_decode(S3_CKSUM_SHA1, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=",
                              28, raw) == S3_OK
              && raw[0] == 0xa9 && raw[19] == 0x9d);
    test_cond("crc32 of 6 bytes is EINVAL",
              s3_cksum_decode(S3_CKSUM_CRC32, "AAAAAAAA", 8, raw) == S3_ERR
              && errno == EINVAL);
    test_cond("crc32 of 5 bytes is EINVAL",
              s3_cksum_decode(S3_CKSUM_CRC32, "AAAAAAA=", 8, raw) == S3_ERR);
    test_cond("crc32 of 3 bytes is EINVAL",
              s3_cksum_decode(S3_CKSUM_CRC32, "AAAA", 4, raw) == S3_ERR);
    test_cond("crc32 given a crc64nvme value is EINVAL",
              s3_cksum_decode(S3_CKSUM_CRC32, "SoXXbx67KpE=", 12, raw)
              == S3_ERR);
    test_cond("sha256 given 45 characters is EINVAL",
              s3_cksum_decode(S3_CKSUM_SHA256,
                              "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0==",
                              45, raw) == S3_ERR);
    test_cond("a bad character is EINVAL",
              s3_cksum_decode(S3_CKSUM_CRC32, "i9ae!g==", 8, raw) == S3_ERR);
    test_cond("NONE is EINVAL",
              s3_cksum_decode(S3_CKSUM_NONE, "", 0, raw) == S3_ERR
              && errno == EINVAL);
}


static void
test_speed(void)
{
    size_t            i;
    double            secs;
    s3_cksum_t        c;
    unsigned char    *buf, out[S3_CKSUM_MAX_LEN];
    struct timespec   t0, t1;

    test_section("speed (not asserted)");

    buf = malloc(TEST_SPEED_LEN);
    if (buf == NULL) {
        return;
    }

    test_fill(buf, TEST_SPEED_LEN, 6);

    for (i = 0; i < sizeof(test_algos) / sizeof(test_algos[0]); i++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);

        if (s3_cksum_init(&c, test_algos[i]) != S3_OK
            || s3_cksum_update(&c, buf, TEST_SPEED_LEN) != S3_OK
            || s3_cksum_final(&c, out) != S3_OK)
        {
            break;
        }

        clock_gettime(CLOCK_MONOTONIC, &t1);

        secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

        printf("  %-10s %8.0f MB/s over 64 MiB\n",
               s3_cksum_name(test_algos[i]),
               TEST_SPEED_LEN / 1e6 / (secs > 0 ? secs : 1e-9));
    }

    free(buf);
}


/* xorshift32: reproducible bytes without depending on rand() */

static void
test_fill(unsigned char *p, size_t len, uint32_t seed)
{
    uint32_t  x;

    x = 2463534242U ^ seed;

    while (len--) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *p++ = (unsigned char) x;
    }
}


/* the definition: reflected, initial value and final xor all ones */

static uint64_t
test_crc_bitwise(uint64_t poly, int width, const unsigned char *p,
    size_t len)
{
    int       k;
    uint64_t  mask, c;

    mask = (width == 64) ? ~0ULL : ((uint64_t) 1 << width) - 1;
    c = mask;

    while (len--) {
        c ^= *p++;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        }
    }

    return c ^ mask;
}
