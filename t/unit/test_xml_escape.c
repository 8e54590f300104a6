
/*
 * Copyright (C) ngx_s3 developers
 */


#include <stdio.h>

#include "s3_xml.h"
#include "s3_xml_escape.h"
#include "test.h"


#define test_case(descr, src, want)  { descr, src, sizeof(src) - 1, want }


typedef struct {
    const char  *descr;
    const char  *src;
    size_t       len;
    const char  *want;
} test_case_t;


static void test_table(void);
static void test_controls(void);
static void test_kept(void);
static void test_lengths(void);
static void test_roundtrip(void);
static size_t test_escape(const char *src, size_t len);


static char  out[256 * S3_XML_ESCAPE_MAX + 1];


static test_case_t  test_cases[] = {
    test_case("& is &amp;", "&", "&amp;"),
    test_case("< is &lt;", "<", "&lt;"),
    test_case("> is &gt;", ">", "&gt;"),
    test_case("\" is &quot;", "\"", "&quot;"),
    test_case("' is &apos;", "'", "&apos;"),
    test_case("in a key, each one", "quote\"s'and<angle>&amp",
              "quote&quot;s&apos;and&lt;angle&gt;&amp;amp"),
    test_case("an entity is escaped again, not kept", "&amp;", "&amp;amp;"),
    test_case("TAB", "tab\there", "tab&#x9;here"),
    test_case("LF", "new\nline", "new&#xa;line"),
    test_case("CR LF: both kept apart", "a\r\nb", "a&#xd;&#xa;b"),
    test_case("ESC, two lowercase digits", "\x1b[0m", "&#x1b;[0m"),
    test_case("NUL", "a\0b", "a&#x0;b"),
    { NULL, NULL, 0, NULL }
};


int
main(void)
{
    test_table();
    test_controls();
    test_kept();
    test_lengths();
    test_roundtrip();

    return test_report("test_xml_escape");
}


static void
test_table(void)
{
    size_t        n;
    test_case_t  *tc;

    test_section("the five XML specials, control characters in keys");

    for (tc = test_cases; tc->descr != NULL; tc++) {
        n = test_escape(tc->src, tc->len);
        test_mem(tc->descr, out, n, tc->want);
    }
}


static void
test_controls(void)
{
    int     ok;
    char    c, want[16];
    size_t  n;

    test_section("control characters: references as S3 writes them");

    ok = 1;

    for (c = 0; c < 0x20; c++) {
        snprintf(want, sizeof(want), "&#x%x;", (unsigned) c);
        n = test_escape(&c, 1);

        if (n != strlen(want) || memcmp(out, want, n) != 0) {
            printf("        0x%02x: \"%.*s\"\n", (unsigned) c, (int) n, out);
            ok = 0;
        }
    }

    test_cond("every byte below 0x20 is &#x<lowercase hex>;", ok);
}


static void
test_kept(void)
{
    int            ok;
    size_t         n;
    unsigned int   c;
    unsigned char  b;

    static const char  utf8[] =
        "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80";

    test_section("bytes kept");

    n = test_escape(utf8, sizeof(utf8) - 1);
    test_mem("UTF-8 of 2, 3 and 4 bytes", out, n, utf8);

    n = test_escape("\x7f\xc2\x85\xef\xbf\xbe", 6);
    test_mem("DEL, a C1 control, U+FFFE", out, n,
             "\x7f\xc2\x85\xef\xbf\xbe");

    n = test_escape("\xff\xc3(\xed\xa0\x80", 6);
    test_mem("bytes that are not UTF-8", out, n, "\xff\xc3(\xed\xa0\x80");

    ok = 1;

    for (c = 0x20; c < 256; c++) {
        b = (unsigned char) c;

        if (strchr("&<>\"'", b) != NULL) {
            continue;
        }

        n = test_escape((char *) &b, 1);

        if (n != 1 || out[0] != (char) b) {
            printf("        0x%02x changed\n", c);
            ok = 0;
        }
    }

    test_cond("every other byte from 0x20 to 0xff is itself", ok);
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

        if (s3_xml_escape(NULL, &all[c], 1) != n
            || n > S3_XML_ESCAPE_MAX)
        {
            printf("        0x%02x: %zu written\n", (unsigned) c, n);
            ok = 0;
        }

        want += n;
    }

    test_cond("each of the 256 byte values", ok);

    n = test_escape(all, sizeof(all));
    test_cond("all 256 at once", n == want
              && s3_xml_escape(NULL, all, sizeof(all)) == want);
    test_cond("32 references of 5 or 6 bytes, 5 entities, 219 bytes",
              want == 16 * 5 + 16 * 6 + 5 + 4 + 4 + 6 + 6 + 219);

    test_cond("empty input", s3_xml_escape(out, "", 0) == 0
              && s3_xml_escape(NULL, "", 0) == 0);
}


/* what the escaper writes, our parser of request bodies reads back */

static void
test_roundtrip(void)
{
    char              doc[sizeof(out) + 64], key[255], *p;
    size_t            i;
    s3_xml_object_t   objects[1];
    s3_xml_delete_t   del;

    test_section("round trip through core/s3_xml.c");

    for (i = 0; i < sizeof(key); i++) {
        key[i] = (char) (i + 1);
    }

    p = doc;
    p += sprintf(p, "<Delete><Object><Key>");
    p += s3_xml_escape(p, key, sizeof(key));
    p += sprintf(p, "</Key></Object></Delete>");

    del.objects = objects;
    del.max = 1;

    test_cond("every byte but NUL comes back as it was",
              s3_xml_parse_delete(doc, p - doc, &del) == S3_OK
              && del.nobjects == 1
              && objects[0].key.len == sizeof(key)
              && memcmp(objects[0].key.data, key, sizeof(key)) == 0);
}


/* escapes into out, checking that nothing is written past the end */

static size_t
test_escape(const char *src, size_t len)
{
    size_t  n;

    memset(out, '#', sizeof(out));

    n = s3_xml_escape(out, src, len);

    if (n < sizeof(out) && out[n] != '#') {
        test_cond("nothing written past the returned length", 0);
    }

    return n;
}
