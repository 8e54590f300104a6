
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>

#include "s3_digest.h"
#include "s3_uri.h"




const unsigned char  s3_uri_unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1
};


size_t
s3_uri_encode(char *dst, const char *src, size_t len, int encode_slash)
{
    size_t          n, i;
    unsigned char   c;

    static const char  hex[] = "0123456789ABCDEF";

    n = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) src[i];

        if (s3_uri_unreserved[c] || (c == '/' && !encode_slash)) {
            if (dst != NULL) {
                dst[n] = (char) c;
            }

            n++;
            continue;
        }

        if (dst != NULL) {
            dst[n] = '%';
            dst[n + 1] = hex[c >> 4];
            dst[n + 2] = hex[c & 0xf];
        }

        n += 3;
    }

    return n;
}


ssize_t
s3_uri_decode(char *dst, const char *src, size_t len, int plus_is_space)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {

        if (src[i] == '%') {
            if (len - i < 3) {
                errno = EINVAL;
                return -1;
            }

            hi = s3_hex_digit((unsigned char) src[i + 1]);
            lo = s3_hex_digit((unsigned char) src[i + 2]);

            if (hi < 0 || lo < 0) {
                errno = EINVAL;
                return -1;
            }

            dst[n++] = (char) (hi << 4 | lo);
            i += 2;
            continue;
        }

        if (src[i] == '+' && plus_is_space) {
            dst[n++] = ' ';
            continue;
        }

        dst[n++] = src[i];
    }

    return (ssize_t) n;
}
