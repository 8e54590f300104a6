
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>

#include "s3_listproto.h"
#include "test.h"


static void test_request(void);
static void test_bad_request(void);
static void test_admin(void);
static void test_frame(void);


int
main(void)
{
    test_request();
    test_bad_request();
    test_admin();
    test_frame();

    return test_report("test_listproto");
}


static void
test_request(void)
{
    char                    buf[256];
    ssize_t                 n;
    s3_listproto_request_t  req, got;

    static const char  want[] =
        "\x1f\x00\x00\x00" "\x01"
        "\x01\x00" "b" "\x05\x00" "alice" "\x02\x00" "id"
        "\x0e\x00" "list-type=2&a+";

    test_section("request");

    req.bucket = (s3_str_t) s3_string("b");
    req.owner = (s3_str_t) s3_string("alice");
    req.request_id = (s3_str_t) s3_string("id");
    req.query = (s3_str_t) s3_string("list-type=2&a+");

    n = s3_listproto_encode_request(NULL, 0, &req);
    test_cond("length without a buffer", n == (ssize_t) sizeof(want) - 1);

    n = s3_listproto_encode_request(buf, sizeof(buf), &req);
    test_cond("frame as documented",
              n == (ssize_t) sizeof(want) - 1
              && memcmp(buf, want, sizeof(want) - 1) == 0);

    test_cond("frame header is the payload length",
              s3_listproto_frame_len(buf) == (uint32_t) n - 4);

    test_cond("decodes",
              s3_listproto_decode_request(&got, buf + 4, n - 4) == S3_OK);

    test_mem("bucket", got.bucket.data, got.bucket.len, "b");
    test_mem("owner", got.owner.data, got.owner.len, "alice");
    test_mem("request id", got.request_id.data, got.request_id.len, "id");
    test_mem("query", got.query.data, got.query.len, "list-type=2&a+");

    errno = 0;
    n = s3_listproto_encode_request(buf, 10, &req);
    test_cond("small buffer: ENOSPC", n == -1 && errno == ENOSPC);

    req.query.len = 70000;
    errno = 0;
    n = s3_listproto_encode_request(NULL, 0, &req);
    test_cond("long field: EMSGSIZE", n == -1 && errno == EMSGSIZE);

    req.bucket = (s3_str_t) s3_null_string;
    req.owner = (s3_str_t) s3_null_string;
    req.request_id = (s3_str_t) s3_null_string;
    req.query = (s3_str_t) s3_null_string;

    n = s3_listproto_encode_request(buf, sizeof(buf), &req);
    test_cond("empty fields",
              n == 13
              && s3_listproto_decode_request(&got, buf + 4, n - 4) == S3_OK
              && got.query.len == 0);
}


static void
test_bad_request(void)
{
    s3_listproto_request_t  got;

    static const char  ok[] = "\x01" "\x01\x00" "b" "\x00\x00" "\x00\x00"
                              "\x01\x00" "q";

    test_section("bad request");

    test_cond("valid payload",
              s3_listproto_decode_request(&got, ok, sizeof(ok) - 1)
              == S3_OK);

    errno = 0;
    test_cond("truncated",
              s3_listproto_decode_request(&got, ok, sizeof(ok) - 2) == S3_ERR
              && errno == EINVAL);

    test_cond("trailing byte",
              s3_listproto_decode_request(&got, ok, sizeof(ok)) == S3_ERR);

    test_cond("empty",
              s3_listproto_decode_request(&got, ok, 0) == S3_ERR);

    test_cond("other version",
              s3_listproto_decode_request(&got, "\x02" "\x00\x00" "\x00\x00"
                                          "\x00\x00" "\x00\x00", 9)
              == S3_ERR);
}


static void
test_admin(void)
{
    char                     buf[64];
    ssize_t                  n;
    s3_str_t                 cmd, got;
    s3_listproto_request_t   req;

    static const char  want[] = "\x11\x00\x00\x00" "\x02"
                                "\x0e\x00" "cluster status";

    test_section("admin request");

    cmd = (s3_str_t) s3_string("cluster status");

    n = s3_listproto_encode_admin(buf, sizeof(buf), &cmd);
    test_cond("frame as documented",
              n == (ssize_t) sizeof(want) - 1
              && memcmp(buf, want, sizeof(want) - 1) == 0);

    test_cond("decodes",
              s3_listproto_decode_admin(&got, buf + 4, n - 4) == S3_OK);
    test_mem("command", got.data, got.len, "cluster status");

    test_cond("is not a listing",
              s3_listproto_decode_request(&req, buf + 4, n - 4) == S3_ERR);

    errno = 0;
    test_cond("truncated",
              s3_listproto_decode_admin(&got, buf + 4, n - 5) == S3_ERR
              && errno == EINVAL);

    test_cond("trailing byte",
              s3_listproto_decode_admin(&got, buf + 4, n - 3) == S3_ERR);

    test_cond("a listing is not an admin request",
              s3_listproto_decode_admin(&got, "\x01\x00\x00", 3)
              == S3_ERR);

    errno = 0;
    n = s3_listproto_encode_admin(buf, 10, &cmd);
    test_cond("small buffer: ENOSPC", n == -1 && errno == ENOSPC);

    cmd.len = 70000;
    errno = 0;
    n = s3_listproto_encode_admin(buf, sizeof(buf), &cmd);
    test_cond("long command: EMSGSIZE", n == -1 && errno == EMSGSIZE);
}


static void
test_frame(void)
{
    char  buf[8], *p;

    test_section("response header");

    p = s3_listproto_put_frame_len(buf, 0x01020304);
    p = s3_listproto_put_status(p, 503);

    test_cond("header is 6 bytes", p == buf + 6);
    test_cond("length little-endian",
              memcmp(buf, "\x04\x03\x02\x01", 4) == 0
              && s3_listproto_frame_len(buf) == 0x01020304);
    test_cond("status round trip", s3_listproto_status(buf + 4) == 503);
}
