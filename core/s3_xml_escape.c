
/*
 * Copyright (C) ngx_s3 developers
 */


#include <string.h>

#include "s3_xml_escape.h"


/* what each byte becomes; NULL: the byte itself (s3_xml_escape.h) */
static const char  *s3_xml_escape_refs[256] = {
    "&#x0;", "&#x1;", "&#x2;", "&#x3;", "&#x4;", "&#x5;", "&#x6;", "&#x7;",
    "&#x8;", "&#x9;", "&#xa;", "&#xb;", "&#xc;", "&#xd;", "&#xe;", "&#xf;",
    "&#x10;", "&#x11;", "&#x12;", "&#x13;",
    "&#x14;", "&#x15;", "&#x16;", "&#x17;",
    "&#x18;", "&#x19;", "&#x1a;", "&#x1b;",
    "&#x1c;", "&#x1d;", "&#x1e;", "&#x1f;",
    ['"'] = "&quot;",
    ['&'] = "&amp;",
    ['\''] = "&apos;",
    ['<'] = "&lt;",
    ['>'] = "&gt;"
};


size_t
s3_xml_escape(char *dst, const char *src, size_t len)
{
    size_t       n, i, rlen;
    const char  *ref;

    n = 0;

    for (i = 0; i < len; i++) {
        ref = s3_xml_escape_refs[(unsigned char) src[i]];

        if (ref == NULL) {
            if (dst != NULL) {
                dst[n] = src[i];
            }

            n++;
            continue;
        }

        rlen = strlen(ref);

        if (dst != NULL) {
            memcpy(dst + n, ref, rlen);
        }

        n += rlen;
    }

    return n;
}
