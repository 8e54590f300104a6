
/*
 * Copyright (C) ngx_s3 developers
 *
 * Common definitions of the nginx-free core library.
 *
 * Conventions (leveldb's c.h and Redis): every input is (pointer, length),
 * every output goes to a buffer the caller provides, nothing here logs or
 * includes nginx headers.  The heap is used only where OpenSSL and libc
 * must: a digest's EVP context, which s3_digest_final() or
 * s3_digest_free() releases (the holders' _final()/_free() for s3_cksum
 * and s3_chunked), and a directory stream closed by the function that
 * opened it.  Functions return S3_OK, S3_ERR with errno set, or a
 * documented positive status.
 */


#ifndef _S3_CORE_H_INCLUDED_
#define _S3_CORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>


#define S3_OK          0
#define S3_ERR        -1
#define S3_AGAIN      -2       /* more input is needed */


typedef struct {
    size_t        len;
    const char   *data;
} s3_str_t;


#define s3_string(s)       { sizeof(s) - 1, (const char *) s }
#define s3_null_string     { 0, NULL }


/* equal bytes; an empty string's data may be NULL, which memcmp() refuses */
#define s3_str_eq(a, b)                                                      \
    ((a)->len == (b)->len                                                    \
     && ((a)->len == 0 || memcmp((a)->data, (b)->data, (a)->len) == 0))


#endif /* _S3_CORE_H_INCLUDED_ */
