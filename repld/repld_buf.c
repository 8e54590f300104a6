
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_listproto.h"

#include "repld_buf.h"


int
repld_buf_add(repld_buf_t *b, const void *data, size_t len)
{
    if (repld_buf_reserve(b, len) != 0) {
        return -1;
    }

    if (len) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
    }

    return 0;
}


int
repld_buf_str(repld_buf_t *b, const char *s)
{
    return repld_buf_add(b, s, strlen(s));
}


int
repld_buf_printf(repld_buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0 || repld_buf_reserve(b, (size_t) n + 1) != 0) {
        errno = ENOMEM;
        return -1;
    }

    va_start(ap, fmt);
    (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);

    b->len += n;

    return 0;
}


int
repld_buf_frame_open(repld_buf_t *b, size_t *start)
{
    *start = b->len;

    return repld_buf_add(b, "\0\0\0\0\0\0", S3_LISTPROTO_HEADER_LEN
                                            + S3_LISTPROTO_STATUS_LEN);
}


void
repld_buf_frame_close(repld_buf_t *b, size_t start, unsigned status)
{
    char  *p;

    p = s3_listproto_put_frame_len(b->data + start,
                                   (uint32_t) (b->len - start
                                               - S3_LISTPROTO_HEADER_LEN));
    (void) s3_listproto_put_status(p, status);
}


int
repld_buf_reserve(repld_buf_t *b, size_t n)
{
    char    *p;
    size_t   cap;

    if (b->cap - b->len >= n) {
        return 0;
    }

    cap = b->cap ? b->cap : 4096;

    while (cap - b->len < n) {
        cap *= 2;
    }

    p = realloc(b->data, cap);
    if (p == NULL) {
        errno = ENOMEM;
        return -1;
    }

    b->data = p;
    b->cap = cap;

    return 0;
}
