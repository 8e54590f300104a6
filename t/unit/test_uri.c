
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>

#include "s3_uri.h"
#include "test.h"


static void test_encode(void);
static void test_decode(void);


int
main(void)
{
    test_encode();
    test_decode();

    return test_report("test_uri");
}


static void
test_encode(void)
{
    size_t  n;
    char    buf[256];

    static const char  all[] = "AZaz09-_.~";

    test_section("encode");

    n = s3_uri_encode(buf, all, sizeof(all) - 1, 1);
    test_mem("unreserved bytes stay", buf, n, "AZaz09-_.~");

    n = s3_uri_encode(buf, "a b+c/d", 7, 0);
    test_mem("space, plus; slash kept", buf, n, "a%20b%2Bc/d");

    n = s3_uri_encode(buf, "a b+c/d", 7, 1);
    test_mem("slash encoded on request", buf, n, "a%20b%2Bc%2Fd");

    n = s3_uri_encode(buf, "$!'()*=&?#%", 11, 1);
    test_mem("reserved bytes, uppercase hex", buf, n,
             "%24%21%27%28%29%2A%3D%26%3F%23%25");

    n = s3_uri_encode(buf, "\xd0\xba\x00\xff", 4, 1);
    test_mem("utf-8, NUL and 0xff", buf, n, "%D0%BA%00%FF");

    test_cond("NULL dst gives the length",
              s3_uri_encode(NULL, "a b/", 4, 1) == 8
              && s3_uri_encode(NULL, "a b/", 4, 0) == 6);

    test_cond("empty input", s3_uri_encode(buf, "", 0, 1) == 0);
}


static void
test_decode(void)
{
    char     buf[64];
    ssize_t  n;

    test_section("decode");

    n = s3_uri_decode(buf, "%41%2f%2F%c3%A9", 15, 0);
    test_mem("escapes of either case", buf, n, "A//\xc3\xa9");

    n = s3_uri_decode(buf, "a+b%2B", 6, 0);
    test_mem("plus kept in a path", buf, n, "a+b+");

    n = s3_uri_decode(buf, "a+b%2B", 6, 1);
    test_mem("plus is space on request", buf, n, "a b+");

    test_cond("truncated escape is EINVAL",
              s3_uri_decode(buf, "ab%4", 4, 0) == -1 && errno == EINVAL);
    test_cond("lone percent is EINVAL",
              s3_uri_decode(buf, "%", 1, 0) == -1 && errno == EINVAL);
    test_cond("non-hex escape is EINVAL",
              s3_uri_decode(buf, "%zz", 3, 0) == -1 && errno == EINVAL);

    memcpy(buf, "x%20y%00z", 9);
    n = s3_uri_decode(buf, buf, 9, 0);
    test_cond("in place, with NUL", n == 5 && memcmp(buf, "x y\0z", 5) == 0);
}
