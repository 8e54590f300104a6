
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>

#include "s3_digest.h"
#include "s3_place.h"
#include "test.h"


static void test_bucket_names(void);
static void test_access_keys(void);
static void test_paths(void);
static void test_upload_node(void);


int
main(void)
{
    test_bucket_names();
    test_access_keys();
    test_paths();
    test_upload_node();

    return test_report("test_place");
}


#define VALID(s)  s3_bucket_name_valid(s, sizeof(s) - 1)


static void
test_bucket_names(void)
{
    test_section("bucket names");

    test_cond("examplebucket", VALID("examplebucket"));
    test_cond("my.bucket-1", VALID("my.bucket-1"));
    test_cond("abc (3)", VALID("abc"));
    test_cond("63 characters",
              VALID("a23456789012345678901234567890123456789012345678901234"
                    "567890123"));
    test_cond("64 characters",
              !VALID("a23456789012345678901234567890123456789012345678901234"
                     "5678901234"));
    test_cond("ab (2, shorter than AWS allows)", VALID("ab"));
    test_cond("b (1)", VALID("b"));
    test_cond("empty", !VALID(""));
    test_cond("uppercase", !VALID("MyBucket"));
    test_cond("underscore", !VALID("my_bucket"));
    test_cond("slash", !VALID("my/bucket"));
    test_cond("leading dash", !VALID("-bucket"));
    test_cond("trailing dot", !VALID("bucket."));
    test_cond("two dots", !VALID("my..bucket"));
    test_cond("IPv4 address", !VALID("192.168.5.4"));
    test_cond("not quite IPv4", VALID("192.168.5.4a") && VALID("1.2.3"));
    test_cond("xn-- prefix", !VALID("xn--bucket"));
    test_cond("-s3alias suffix", !VALID("bucket-s3alias"));
    test_cond("--ol-s3 suffix", !VALID("bucket--ol-s3"));
    test_cond("NUL inside", !s3_bucket_name_valid("ab\0c", 4));
    test_cond("..", !VALID(".."));
}


static void
test_access_keys(void)
{
    test_section("access keys");

    test_cond("AKIAIOSFODNN7EXAMPLE",
              s3_access_key_valid("AKIAIOSFODNN7EXAMPLE", 20));
    test_cond("16 characters", s3_access_key_valid("abcdefABCDEF0123", 16));
    test_cond("15 characters", !s3_access_key_valid("abcdefABCDEF012", 15));
    test_cond("a slash", !s3_access_key_valid("AKIAIOSFODNN7EXA/", 17));
    test_cond("a dot", !s3_access_key_valid("..IAIOSFODNN7EXAMPLE", 20));
}


static void
test_paths(void)
{
    char           buf[S3_PLACE_MAX_LEN], want[S3_PLACE_MAX_LEN];
    char           hex[2 * S3_SHA256_LEN + 1];
    char           key[S3_KEY_MAX_LEN + 1];
    ssize_t        n;
    unsigned char  hash[S3_SHA256_LEN];

    static const char  b63[] =
        "a23456789012345678901234567890123456789012345678901234567890123";

    test_section("paths");

    s3_sha256("photos/2013/a.jpg", 17, hash);
    *s3_hex_encode(hex, hash, S3_SHA256_LEN) = '\0';
    snprintf(want, sizeof(want), "buckets/bkt/obj/%.2s/%.2s/%s", hex,
             hex + 2, hex);

    n = s3_place_object(buf, sizeof(buf), "bkt", 3, "photos/2013/a.jpg", 17);
    test_mem("object: buckets/B/obj/HH/HH/sha256(key)", buf, n, want);
    test_cond("NUL-terminated", buf[n] == '\0');

    n = s3_place_object(buf, sizeof(buf), "bkt", 3, "../../../etc/passwd",
                        19);
    test_cond("a key of .. stays inside",
              n > 0 && strstr(buf, "..") == NULL
              && strncmp(buf, "buckets/bkt/obj/", 16) == 0);

    memset(key, 'k', sizeof(key));
    n = s3_place_object(buf, sizeof(buf), b63, 63, key, S3_KEY_MAX_LEN);
    test_cond("longest bucket and key fit S3_PLACE_MAX_LEN",
              n == (ssize_t) S3_PLACE_MAX_LEN - 1);

    test_cond("key over 1024 is EINVAL",
              s3_place_object(buf, sizeof(buf), "bkt", 3, key,
                              S3_KEY_MAX_LEN + 1) == -1 && errno == EINVAL);
    test_cond("bad bucket is EINVAL",
              s3_place_object(buf, sizeof(buf), "..", 2, "k", 1) == -1
              && errno == EINVAL);
    test_cond("small buffer is ENAMETOOLONG",
              s3_place_object(buf, 20, "bkt", 3, "k", 1) == -1
              && errno == ENAMETOOLONG);

    n = s3_place_bucket_dir(buf, sizeof(buf), "bkt", 3);
    test_mem("bucket dir", buf, n, "buckets/bkt");

    n = s3_place_bucket_record(buf, sizeof(buf), "bkt", 3);
    test_mem("bucket record", buf, n, "buckets/bkt/bucket");

    test_cond("bucket record of a bad name is EINVAL",
              s3_place_bucket_record(buf, sizeof(buf), "B/..", 4) == -1
              && errno == EINVAL);

    n = s3_place_user(buf, sizeof(buf), "AKIAIOSFODNN7EXAMPLE", 20);
    test_mem("user", buf, n, "users/AKIAIOSFODNN7EXAMPLE");

    test_cond("user with a bad key is EINVAL",
              s3_place_user(buf, sizeof(buf), "../../../../etc/x", 17) == -1
              && errno == EINVAL);
}


static void
test_upload_node(void)
{
    uint32_t  node;

    node = 0;
    test_cond("the first 8 hex digits are the node",
              s3_upload_id_node("5e1a2b3c0123456789abcdef01234567", 32,
                                &node) == S3_OK
              && node == 0x5e1a2b3c);
    test_cond("all digits a-f",
              s3_upload_id_node("ffffffff0123456789abcdef01234567", 32,
                                &node) == S3_OK
              && node == 0xffffffff);
    test_cond("node 0",
              s3_upload_id_node("000000000123456789abcdef01234567", 32,
                                &node) == S3_OK
              && node == 0);

    test_cond("a node id of either case",
              s3_node_id_parse("5E1A2b3c", 8, &node) == S3_OK
              && node == 0x5e1a2b3c);
    test_cond("a node id of 7 digits is EINVAL",
              s3_node_id_parse("5e1a2b3", 7, &node) == S3_ERR
              && errno == EINVAL);
    test_cond("a node id of 9 digits is EINVAL",
              s3_node_id_parse("5e1a2b3c0", 9, &node) == S3_ERR
              && errno == EINVAL);

    node = 7;
    test_cond("short id is EINVAL, node untouched",
              s3_upload_id_node("5e1a2b3c", 8, &node) == S3_ERR
              && errno == EINVAL && node == 7);
    test_cond("upper case is EINVAL",
              s3_upload_id_node("5E1A2B3C0123456789abcdef01234567", 32,
                                &node) == S3_ERR && errno == EINVAL);
    test_cond("non-hex is EINVAL",
              s3_upload_id_node("5e1a2b3g0123456789abcdef01234567", 32,
                                &node) == S3_ERR && errno == EINVAL);
}
