
/*
 * Copyright (C) ngx_s3 developers
 *
 * The aws-chunked payload encoding (Content-Encoding: aws-chunked), the
 * three ways S3 clients stream a body whose x-amz-content-sha256 is:
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 *       <hex size>;chunk-signature=<64 hex>\r\n<data>\r\n ...
 *       0;chunk-signature=<64 hex>\r\n\r\n
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
 *       the same up to 0;chunk-signature=<64 hex>\r\n, then
 *       <name>:<value>\r\n ... x-amz-trailer-signature:<64 hex>\r\n\r\n
 *       (SDKs send no blank line before the trailers, AWS's example
 *       does: both pass)
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER
 *       <hex size>\r\n<data>\r\n ... 0\r\n<name>:<value>\r\n ... \r\n
 *
 * Each chunk signature is HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n"
 * date "\n" scope "\n" previous signature "\n" sha256("") "\n"
 * sha256(chunk data)), the first "previous" being the request's seed
 * signature; the trailer signature is HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n"
 * date "\n" scope "\n" previous signature "\n" sha256(trailer lines, each
 * "name:value\n")).  The decoder checks them as the data streams, so the
 * caller learns of a bad chunk at that chunk's end.
 *
 * It is a push parser over the buffers a request body arrives in: no
 * allocation but OpenSSL's digest context per signed chunk, bounded state,
 * any split of the input.
 */


#ifndef _S3_CHUNKED_H_INCLUDED_
#define _S3_CHUNKED_H_INCLUDED_


#include "s3_core.h"
#include "s3_digest.h"
#include "s3_sigv4.h"


#define S3_DONE                    1     /* s3_chunked_parse(): the end */

#define S3_CHUNKED_MAX_LINE        256   /* a chunk header line */
#define S3_CHUNKED_MAX_TRAILER     2048  /* all trailer lines together */
#define S3_CHUNKED_MAX_SCOPE       128   /* date/region/s3/aws4_request */


typedef enum {
    S3_CHUNKED_SIGNED = 1,            /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    S3_CHUNKED_SIGNED_TRAILER,        /* ...-PAYLOAD-TRAILER */
    S3_CHUNKED_UNSIGNED_TRAILER       /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
} s3_chunked_mode_e;


typedef enum {
    S3_CHUNKED_E_NONE = 0,            /* OpenSSL failed: errno says why */
    S3_CHUNKED_E_MALFORMED,           /* framing: IncompleteBody */
    S3_CHUNKED_E_SIGNATURE,           /* SignatureDoesNotMatch */
    S3_CHUNKED_E_TOO_BIG              /* a chunk over 5 GiB or its size in
                                         more than 16 hex digits, a line or
                                         the trailers too long */
} s3_chunked_error_e;


typedef struct {
    s3_chunked_mode_e   mode;
    s3_chunked_error_e  error;        /* set when parse returns S3_ERR */

    /* signing: copied at init, unused by UNSIGNED_TRAILER */
    unsigned char       key[S3_SIGV4_KEY_LEN];
    char                prev[S3_SIGV4_SIG_HEX_LEN];
    char                date[S3_SIGV4_DATE_LEN];
    char                scope[S3_CHUNKED_MAX_SCOPE];
    size_t              scope_len;
    s3_digest_t         chunk;        /* sha256 of the current chunk */

    /* framing */
    int                 state;        /* S3_CHUNKED_ST_* in s3_chunked.c */
    uint64_t            left;         /* data bytes left in the chunk */
    uint64_t            decoded;      /* data bytes returned so far */
    char                sig[S3_SIGV4_SIG_HEX_LEN];  /* the chunk's */
    size_t              line_len;
    char                line[S3_CHUNKED_MAX_LINE];
    size_t              trailer_len;
    char                trailer[S3_CHUNKED_MAX_TRAILER];  /* "name:value\n"
                                                             lines, names
                                                             lowercased */
} s3_chunked_t;


/*
 * The mode an x-amz-content-sha256 value asks for.  Returns S3_OK and sets
 * *mode; S3_DECLINED (s3_sigv4.h) when the value is no STREAMING- one
 * (a hex hash, UNSIGNED-PAYLOAD, an unknown STREAMING- value); S3_ERR
 * (ENOTSUP) for the two ECDSA (SigV4a) ones, which are not implemented.
 */
int s3_chunked_mode(const char *value, size_t len, s3_chunked_mode_e *mode);

/*
 * Starts decoding.  For the signed modes key is the request's signing key,
 * seed its signature (64 hex digits), date its x-amz-date
 * ("20130524T000000Z") and scope "20130524/us-east-1/s3/aws4_request";
 * all are copied.  Returns S3_OK, or S3_ERR (ENAMETOOLONG for a scope
 * longer than S3_CHUNKED_MAX_SCOPE, ENOMEM).  Every successful init must
 * be paired with s3_chunked_free().
 */
int s3_chunked_init(s3_chunked_t *ck, s3_chunked_mode_e mode,
    const unsigned char *key, const char *seed, const char *date,
    const char *scope, size_t scope_len);

/* Releases what init took; safe to call twice. */
void s3_chunked_free(s3_chunked_t *ck);

/*
 * Decodes from *pos up to last, advancing *pos.  Returns
 *   S3_OK     with *data and *len (> 0) a slice of payload bytes inside
 *             the input; call again with the same *pos, last;
 *   S3_AGAIN  when all the input is consumed: call again with more;
 *   S3_DONE   at the end of the body (final chunk, trailers, checked);
 *             input after it is an error the caller sees by *pos != last;
 *   S3_ERR    with ck->error set; the body must be refused, and every
 *             later call returns S3_ERR again.
 */
int s3_chunked_parse(s3_chunked_t *ck, const unsigned char **pos,
    const unsigned char *last, const unsigned char **data, size_t *len);

/*
 * After S3_DONE: the value of trailer name (lowercase), or S3_ERR (ENOENT)
 * when the body had no such trailer.
 */
int s3_chunked_trailer(const s3_chunked_t *ck, const char *name,
    size_t name_len, s3_str_t *value);

/*
 * After S3_DONE, iterates over the trailers: start with *pos = 0; each
 * call sets name and value and returns 1, or returns 0 at the end.
 * x-amz-trailer-signature is not returned.
 */
int s3_chunked_next_trailer(const s3_chunked_t *ck, size_t *pos,
    s3_str_t *name, s3_str_t *value);


#endif /* _S3_CHUNKED_H_INCLUDED_ */
