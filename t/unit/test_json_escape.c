
/*
 * Copyright (C) ngx_s3 developers
 */


#include <stdio.h>
#include <stdlib.h>

#include "s3_json_escape.h"
#include "test.h"


#define test_case(descr, src, want)  { descr, src, sizeof(src) - 1, want }


typedef struct {
    const char  *descr;
    const char  *src;
    size_t       len;
    const char  *want;
} test_case_t;


static void test_table(void);
static void test_lengths(void);
static void test_random(void);
static int test_valid(const char *s, size_t len);
static size_t test_escape(const char *src, size_t len);


static char  out[4096 * S3_JSON_ESCAPE_MAX];


static test_case_t  test_cases[] = {
    test_case("plain", "photos/2024/a.jpg", "photos/2024/a.jpg"),
    test_case("quote and backslash", "a\"b\\c", "a\\\"b\\\\c"),
    test_case("short escapes", "\b\t\n\f\r", "\\b\\t\\n\\f\\r"),
    test_case("NUL and ESC", "a\0\x1b", "a\\u0000\\u001b"),
    test_case("DEL", "\x7f", "\\u007f"),
    test_case("slash kept", "a/b", "a/b"),
    test_case("UTF-8 of 2, 3 and 4 bytes",
              "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80",
              "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"),
    test_case("U+10FFFF kept", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),
    test_case("a lone byte above 0x7f", "\xff", "\\udcff"),
    test_case("a truncated sequence", "\xc3(", "\\udcc3("),
    test_case("a sequence cut by the end", "\xe6\x97", "\\udce6\\udc97"),
    test_case("overlong '/'", "\xc0\xaf", "\\udcc0\\udcaf"),
    test_case("overlong of 3 bytes", "\xe0\x80\xaf",
              "\\udce0\\udc80\\udcaf"),
    test_case("a UTF-16 surrogate", "\xed\xa0\x80",
              "\\udced\\udca0\\udc80"),
    test_case("above U+10FFFF", "\xf4\x90\x80\x80",
              "\\udcf4\\udc90\\udc80\\udc80"),
    test_case("a continuation byte alone", "\x80x", "\\udc80x"),
    { NULL, NULL, 0, NULL }
};


int
main(void)
{
    test_table();
    test_lengths();
    test_random();

    return test_report("test_json_escape");
}


static void
test_table(void)
{
    size_t        n;
    test_case_t  *tc;

    test_section("escapes, UTF-8 kept, other bytes as \\udcXX");

    for (tc = test_cases; tc->descr != NULL; tc++) {
        n = test_escape(tc->src, tc->len);
        test_mem(tc->descr, out, n, tc->want);
    }
}


static void
test_lengths(void)
{
    int     c, ok;
    char    all[256];
    size_t  n, want;

    test_section("the length asked with NULL is the length written");

    ok = 1;
    want = 0;

    for (c = 0; c < 256; c++) {
        all[c] = (char) c;
        n = test_escape(&all[c], 1);

        if (s3_json_escape(NULL, &all[c], 1) != n
            || n > S3_JSON_ESCAPE_MAX)
        {
            printf("        0x%02x: %zu written\n", (unsigned) c, n);
            ok = 0;
        }

        want += n;
    }

    test_cond("each of the 256 byte values", ok);

    n = test_escape(all, sizeof(all));
    test_cond("all 256 at once", n == want
              && s3_json_escape(NULL, all, sizeof(all)) == want);
    test_cond("empty input", s3_json_escape(out, "", 0) == 0);
}


/* random bytes always give a valid JSON string body */

static void
test_random(void)
{
    int     i, ok;
    char    src[64];
    size_t  j, n;

    test_section("random input");

    srandom(13);
    ok = 1;

    for (i = 0; i < 100000 && ok; i++) {
        for (j = 0; j < sizeof(src); j++) {
            src[j] = (char) (random() & 0xff);
        }

        n = test_escape(src, sizeof(src));

        if (n != s3_json_escape(NULL, src, sizeof(src))
            || !test_valid(out, n))
        {
            ok = 0;
        }
    }

    test_cond("100000 strings of 64 random bytes are valid JSON", ok);
}


/*
 * A JSON string body: no raw '"', '\' only before an escape, no byte
 * below 0x20 (that the UTF-8 kept is well-formed, the table checks).
 */

static int
test_valid(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c < 0x20) {
            return 0;
        }

        if (c != '\\') {
            continue;
        }

        if (++i == len) {
            return 0;
        }

        if (s[i] == 'u') {
            if (i + 4 >= len) {
                return 0;
            }

            i += 4;
            continue;
        }

        if (strchr("\"\\bfnrt", s[i]) == NULL) {
            return 0;
        }
    }

    return 1;
}


static size_t
test_escape(const char *src, size_t len)
{
    size_t  n;

    n = s3_json_escape(out, src, len);
    out[n] = '\0';

    return n;
}
