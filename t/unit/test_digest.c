
/*
 * Copyright (C) ngx_s3 developers
 *
 * CRC32C vectors from RFC 3720 (B.4), digests from FIPS 180-2 / RFC 1321,
 * HMAC-SHA256 from RFC 4231 (test cases 2 and 6).
 */


#include <errno.h>
#include <stdlib.h>

#include "s3_digest.h"
#include "test.h"


static void test_crc32c(void);
static void test_digests(void);
static void test_hex(void);


int
main(void)
{
    test_crc32c();
    test_digests();
    test_hex();

#if (S3_CRC32C_PORTABLE)
    return test_report("test_digest (portable crc32c)");
#else
    return test_report("test_digest");
#endif
}


static void
test_crc32c(void)
{
    int            i;
    uint32_t       crc;
    unsigned char  buf[64], big[4099 + 8];

    test_section("crc32c");

    memset(buf, 0, 32);
    test_cond("32 bytes of zeros -> 0x8a9136aa",
              s3_crc32c(0, buf, 32) == 0x8a9136aa);

    memset(buf, 0xff, 32);
    test_cond("32 bytes of 0xff -> 0x62a8ab43",
              s3_crc32c(0, buf, 32) == 0x62a8ab43);

    for (i = 0; i < 32; i++) {
        buf[i] = (unsigned char) i;
    }

    test_cond("32 incrementing bytes -> 0x46dd794e",
              s3_crc32c(0, buf, 32) == 0x46dd794e);

    for (i = 0; i < 32; i++) {
        buf[i] = (unsigned char) (31 - i);
    }

    test_cond("32 decrementing bytes -> 0x113fdb5c",
              s3_crc32c(0, buf, 32) == 0x113fdb5c);

    test_cond("\"123456789\" -> 0xe3069283",
              s3_crc32c(0, "123456789", 9) == 0xe3069283);

    test_cond("empty input leaves the crc", s3_crc32c(0, "", 0) == 0);

    crc = s3_crc32c(0, "1234", 4);
    crc = s3_crc32c(crc, "56789", 5);
    test_cond("split buffers continue the crc", crc == 0xe3069283);

    for (i = 0; i < (int) sizeof(big); i++) {
        big[i] = (unsigned char) (i * 7 + 3);
    }

    crc = s3_crc32c(0, big + 1, 1000);
    crc = s3_crc32c(crc, big + 1001, 3);
    crc = s3_crc32c(crc, big + 1004, 3096);
    test_cond("unaligned, split and whole agree",
              crc == s3_crc32c(0, big + 1, 4099));
}


static void
test_digests(void)
{
    char           hex[2 * S3_SHA256_LEN];
    s3_digest_t    d;
    unsigned char  out[S3_SHA256_LEN], big[131];

    test_section("digests");

    test_cond("md5 init", s3_digest_init(&d, S3_DIGEST_MD5) == S3_OK);
    test_cond("md5 update", s3_digest_update(&d, "a", 1) == S3_OK
                            && s3_digest_update(&d, "bc", 2) == S3_OK
                            && s3_digest_update(&d, NULL, 0) == S3_OK);
    test_cond("md5 final", s3_digest_final(&d, out) == S3_OK);
    s3_hex_encode(hex, out, S3_MD5_LEN);
    test_mem("md5(\"abc\")", hex, 32, "900150983cd24fb0d6963f7d28e17f72");

    test_cond("final released the context", d.ctx == NULL);
    test_cond("update after final is EINVAL",
              s3_digest_update(&d, "x", 1) == S3_ERR && errno == EINVAL);
    s3_digest_free(&d);
    s3_digest_free(&d);
    test_cond("free twice is safe", d.ctx == NULL);

    test_cond("md5(\"\")", s3_digest_init(&d, S3_DIGEST_MD5) == S3_OK
                           && s3_digest_final(&d, out) == S3_OK);
    s3_hex_encode(hex, out, S3_MD5_LEN);
    test_mem("md5(\"\") value", hex, 32, "d41d8cd98f00b204e9800998ecf8427e");

    test_cond("sha256 streaming",
              s3_digest_init(&d, S3_DIGEST_SHA256) == S3_OK
              && s3_digest_update(&d, "ab", 2) == S3_OK
              && s3_digest_update(&d, "c", 1) == S3_OK
              && s3_digest_final(&d, out) == S3_OK);
    s3_hex_encode(hex, out, S3_SHA256_LEN);
    test_mem("sha256(\"abc\") streaming", hex, 64,
             "ba7816bf8f01cfea414140de5dae2223"
             "b00361a396177a9cb410ff61f20015ad");

    s3_sha256("abc", 3, out);
    s3_hex_encode(hex, out, S3_SHA256_LEN);
    test_mem("sha256(\"abc\") one-shot", hex, 64,
             "ba7816bf8f01cfea414140de5dae2223"
             "b00361a396177a9cb410ff61f20015ad");

    s3_sha256("", 0, out);
    s3_hex_encode(hex, out, S3_SHA256_LEN);
    test_mem("sha256(\"\")", hex, 64,
             "e3b0c44298fc1c149afbf4c8996fb924"
             "27ae41e4649b934ca495991b7852b855");

    test_cond("unknown algorithm is EINVAL",
              s3_digest_init(&d, (s3_digest_algo_e) 99) == S3_ERR
              && errno == EINVAL && d.ctx == NULL);

    s3_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
    s3_hex_encode(hex, out, S3_SHA256_LEN);
    test_mem("hmac-sha256 RFC 4231 case 2", hex, 64,
             "5bdcc146bf60754e6a042426089575c7"
             "5a003f089d2739839dec58b964ec3843");

    /* a key longer than the block is hashed first */
    memset(big, 0xaa, 131);
    s3_hmac_sha256(big, 131, "Test Using Larger Than Block-Size Key - "
                   "Hash Key First", 54, out);
    s3_hex_encode(hex, out, S3_SHA256_LEN);
    test_mem("hmac-sha256 RFC 4231 case 6", hex, 64,
             "60e431591ee0b67f0d8a26aacbf5b77f"
             "8e0bc6213728c5140546040f0ee37f54");
}


static void
test_hex(void)
{
    char           hex[8];
    unsigned char  bin[4];

    test_section("hex");

    bin[0] = 0x00;
    bin[1] = 0xab;
    bin[2] = 0x7f;
    bin[3] = 0xff;

    test_cond("encode returns the end", s3_hex_encode(hex, bin, 4) == hex + 8);
    test_mem("encode is lowercase", hex, 8, "00ab7fff");

    memset(bin, 0, sizeof(bin));
    test_cond("decode either case",
              s3_hex_decode(bin, "00AB7fFf", 8) == S3_OK
              && bin[0] == 0 && bin[1] == 0xab && bin[2] == 0x7f
              && bin[3] == 0xff);
    test_cond("decode odd length is EINVAL",
              s3_hex_decode(bin, "abc", 3) == S3_ERR && errno == EINVAL);
    test_cond("decode non-hex is EINVAL",
              s3_hex_decode(bin, "0g", 2) == S3_ERR && errno == EINVAL);

    test_cond("const_time_cmp equal", s3_const_time_cmp("abcd", "abcd", 4)
                                      == 0);
    test_cond("const_time_cmp differs", s3_const_time_cmp("abcd", "abce", 4)
                                        != 0);
}
