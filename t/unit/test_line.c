
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_line: tokens and whole lines written and read back with any bytes
 * (spaces, '=', newlines, NUL, UTF-8), empty values, unknown names
 * skipped, malformed tokens refused, numbers bounded.
 */


#include <errno.h>

#include "s3_line.h"
#include "test.h"


static void test_round_trip(void);
static void test_format(void);
static void test_fields(void);
static void test_bad(void);
static void test_numbers(void);


int
main(void)
{
    test_round_trip();
    test_format();
    test_fields();
    test_bad();
    test_numbers();

    return test_report("test_line");
}


static void
test_round_trip(void)
{
    int       rc;
    char      buf[128], *pos;
    size_t    len;
    s3_str_t  kind, name, value;

    test_section("round trip");

    len = 4;
    memcpy(buf, "kind", 4);

    test_cond("token", s3_line_token(buf, &len, sizeof(buf), "key",
                                     "a b=c\n\0/\xc3\xa9", 10) == S3_OK);
    test_cond("empty", s3_line_token(buf, &len, sizeof(buf), "e", "", 0)
                       == S3_OK);
    test_cond("number", s3_line_number(buf, &len, sizeof(buf), "n",
                                       18446744073709551615ULL) == S3_OK);
    test_mem("encoded", buf, len, "kind key=a%20b%3Dc%0A%00/%C3%A9 e= "
             "n=18446744073709551615");

    kind = s3_line_kind(buf, buf + len, &pos);
    test_mem("kind", kind.data, kind.len, "kind");

    rc = s3_line_next(&pos, buf + len, &name, &value);
    test_cond("first token", rc == 1);
    test_mem("name", name.data, name.len, "key");
    test_cond("value decoded", value.len == 10
                               && memcmp(value.data, "a b=c\n\0/\xc3\xa9", 10)
                                  == 0);

    rc = s3_line_next(&pos, buf + len, &name, &value);
    test_cond("empty value", rc == 1 && value.len == 0);

    rc = s3_line_next(&pos, buf + len, &name, &value);
    test_mem("number value", value.data, value.len, "18446744073709551615");

    test_cond("end", s3_line_next(&pos, buf + len, &name, &value) == 0);

    len = 0;
    test_cond("no room", s3_line_token(buf, &len, 8, "key", "abcdef", 6)
                         == S3_ERR && errno == ENOSPC && len == 0);
}


static void
test_format(void)
{
    char      buf[64];
    ssize_t   n;
    s3_str_t  v[2] = { s3_string("a b"), s3_null_string };

    static const char *const  names[] = { "x", "y" };

    test_section("whole lines");

    n = s3_line_format(buf, sizeof(buf), "rec", names, v, 2);
    test_mem("a whole line", buf, n, "rec x=a%20b y=\n");
    test_cond("no room", s3_line_format(buf, 10, "rec", names, v, 2) == -1
                         && errno == ENOSPC);
}


static void
test_fields(void)
{
    char      line[] = "user x=1 name=al%20ice other=?? access_key=AK "
                       "name=bob";
    int64_t   seen;
    s3_str_t  v[3];
    char     *pos;

    static const char *const  names[] = { "name", "access_key", "secret" };

    test_section("fields");

    s3_line_kind(line, line + sizeof(line) - 1, &pos);

    seen = s3_line_fields(pos, line + sizeof(line) - 1, names, 3, v);

    test_cond("seen: name and access_key", seen == 3);
    test_mem("last of a repeated name", v[0].data, v[0].len, "bob");
    test_mem("access key", v[1].data, v[1].len, "AK");
}


static void
test_bad(void)
{
    char      no_eq[] = "k name=a bare";
    char      no_name[] = "k =a";
    char      bad_esc[] = "k name=%4";
    char     *pos;
    s3_str_t  v;

    static const char *const  names[] = { "name" };

    test_section("malformed");

    s3_line_kind(no_eq, no_eq + sizeof(no_eq) - 1, &pos);
    test_cond("token without '='",
              s3_line_fields(pos, no_eq + sizeof(no_eq) - 1, names, 1, &v)
              == S3_ERR && errno == EINVAL);

    s3_line_kind(no_name, no_name + sizeof(no_name) - 1, &pos);
    test_cond("token without name",
              s3_line_fields(pos, no_name + sizeof(no_name) - 1, names, 1,
                             &v) == S3_ERR);

    s3_line_kind(bad_esc, bad_esc + sizeof(bad_esc) - 1, &pos);
    test_cond("truncated escape",
              s3_line_fields(pos, bad_esc + sizeof(bad_esc) - 1, names, 1,
                             &v) == S3_ERR);
}


static void
test_numbers(void)
{
    uint64_t  n;
    s3_str_t  max = s3_string("18446744073709551615");
    s3_str_t  over = s3_string("18446744073709551616");
    s3_str_t  sign = s3_string("-1");
    s3_str_t  empty = s3_string("");

    test_section("numbers");

    test_cond("max", s3_line_parse_number(&max, &n) == S3_OK
                     && n == UINT64_MAX);
    test_cond("over 64 bits", s3_line_parse_number(&over, &n) == S3_ERR);
    test_cond("sign", s3_line_parse_number(&sign, &n) == S3_ERR);
    test_cond("empty", s3_line_parse_number(&empty, &n) == S3_ERR);
}
