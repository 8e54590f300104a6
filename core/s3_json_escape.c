
/*
 * Copyright (C) ngx_s3 developers
 */


#include <string.h>

#include "s3_json_escape.h"


static size_t s3_json_utf8_len(const unsigned char *p, size_t len);
static size_t s3_json_put(char *dst, size_t n, const char *s, size_t len);


static const char  s3_json_hex[] = "0123456789abcdef";

/* the two-byte escapes */
static const char  *s3_json_short[128] = {
    ['"'] = "\\\"",
    ['\\'] = "\\\\",
    ['\b'] = "\\b",
    ['\t'] = "\\t",
    ['\n'] = "\\n",
    ['\f'] = "\\f",
    ['\r'] = "\\r"
};


size_t
s3_json_escape(char *dst, const char *src, size_t len)
{
    char                  buf[S3_JSON_ESCAPE_MAX];
    size_t                n, i, u;
    unsigned char         c;
    const unsigned char  *p;

    p = (const unsigned char *) src;
    n = 0;

    for (i = 0; i < len; /* void */) {
        c = p[i];

        if (c >= 0x80) {
            u = s3_json_utf8_len(p + i, len - i);

            if (u > 0) {
                n += s3_json_put(dst, n, src + i, u);
                i += u;
                continue;
            }

            memcpy(buf, "\\udc", 4);
            buf[4] = s3_json_hex[c >> 4];
            buf[5] = s3_json_hex[c & 0xf];
            n += s3_json_put(dst, n, buf, 6);
            i++;
            continue;
        }

        i++;

        if (s3_json_short[c] != NULL) {
            n += s3_json_put(dst, n, s3_json_short[c], 2);
            continue;
        }

        if (c < 0x20 || c == 0x7f) {
            memcpy(buf, "\\u00", 4);
            buf[4] = s3_json_hex[c >> 4];
            buf[5] = s3_json_hex[c & 0xf];
            n += s3_json_put(dst, n, buf, 6);
            continue;
        }

        n += s3_json_put(dst, n, (const char *) &c, 1);
    }

    return n;
}


/* the length of the well-formed UTF-8 sequence at p, 0 if there is none */

static size_t
s3_json_utf8_len(const unsigned char *p, size_t len)
{
    size_t         n, i;
    unsigned char  lo, hi;

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        lo = (p[0] == 0xe0) ? 0xa0 : 0x80;       /* overlong */
        hi = (p[0] == 0xed) ? 0x9f : 0xbf;       /* surrogates */

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        lo = (p[0] == 0xf0) ? 0x90 : 0x80;       /* overlong */
        hi = (p[0] == 0xf4) ? 0x8f : 0xbf;       /* above U+10FFFF */

    } else {
        return 0;
    }

    if (len < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


static size_t
s3_json_put(char *dst, size_t n, const char *s, size_t len)
{
    if (dst != NULL) {
        memcpy(dst + n, s, len);
    }

    return len;
}
