
/*
 * Copyright (C) ngx_s3 developers
 *
 * Percent-encoding as S3 and SigV4 define it: every byte outside
 * A-Z a-z 0-9 - _ . ~ is written as %XX with uppercase hex digits.
 */


#ifndef _S3_URI_H_INCLUDED_
#define _S3_URI_H_INCLUDED_


#include "s3_core.h"


/* 1 for the bytes SigV4 leaves unescaped: A-Z a-z 0-9 - _ . ~ */
extern const unsigned char  s3_uri_unreserved[256];


/*
 * Encodes len bytes of src into dst.  '/' is kept as is unless
 * encode_slash is set.  Returns the number of bytes written; with
 * dst == NULL it only returns the length the encoding needs.
 */
size_t s3_uri_encode(char *dst, const char *src, size_t len,
    int encode_slash);

/*
 * Decodes %XX sequences of src into dst (which may be src itself); '+' is
 * left as '+' (a path never means space by it).  With plus_is_space set,
 * '+' becomes ' ' (query strings as browsers send them).  Returns the
 * decoded length, or -1 with errno EINVAL on a truncated or non-hex escape.
 */
ssize_t s3_uri_decode(char *dst, const char *src, size_t len,
    int plus_is_space);


#endif /* _S3_URI_H_INCLUDED_ */
