
/*
 * Copyright (C) ngx_s3 developers
 *
 * Digests and checksums: MD5, SHA-1 and SHA-256 through OpenSSL's EVP,
 * HMAC-SHA256 for SigV4, CRC32C (Castagnoli) for the store's framing, and
 * hexadecimal conversion.
 */


#ifndef _S3_DIGEST_H_INCLUDED_
#define _S3_DIGEST_H_INCLUDED_


#include "s3_core.h"


#define S3_MD5_LEN         16
#define S3_SHA1_LEN        20
#define S3_SHA256_LEN      32


typedef enum {
    S3_DIGEST_MD5 = 1,
    S3_DIGEST_SHA256,
    S3_DIGEST_SHA1                   /* for S3's flexible checksums */
} s3_digest_algo_e;


typedef struct {
    void              *ctx;          /* EVP_MD_CTX *, owned by the digest */
} s3_digest_t;


/*
 * Starts a streaming digest.  Returns S3_OK, or S3_ERR (ENOMEM) when
 * OpenSSL cannot allocate its context.  Every successful init must be paired
 * with s3_digest_final() or s3_digest_free().
 */
int s3_digest_init(s3_digest_t *d, s3_digest_algo_e algo);

/* Feeds len bytes.  Returns S3_OK or S3_ERR (EINVAL). */
int s3_digest_update(s3_digest_t *d, const void *data, size_t len);

/*
 * Writes the digest (16 bytes for MD5, 20 for SHA-1, 32 for SHA-256) to
 * out and releases the context.  Returns S3_OK or S3_ERR (EINVAL).
 */
int s3_digest_final(s3_digest_t *d, unsigned char *out);

/* Releases the context if it is still held; safe to call twice. */
void s3_digest_free(s3_digest_t *d);

/* One-shot SHA-256 of data into out[32]. */
void s3_sha256(const void *data, size_t len, unsigned char *out);

/* HMAC-SHA256 of data with key into out[32]. */
void s3_hmac_sha256(const void *key, size_t key_len, const void *data,
    size_t len, unsigned char *out);

/*
 * CRC32C (Castagnoli, reflected, as in iSCSI and ext4).  Start with crc = 0
 * and pass the previous result to continue over split buffers.
 */
uint32_t s3_crc32c(uint32_t crc, const void *data, size_t len);

/* Writes 2 * len lowercase hex digits to dst; returns dst + 2 * len. */
char *s3_hex_encode(char *dst, const unsigned char *src, size_t len);

/* Returns the value of one hex digit (either case), or -1. */
int s3_hex_digit(int c);

/*
 * Decodes len hex digits (either case) into len / 2 bytes.  Returns S3_OK,
 * or S3_ERR (EINVAL) for an odd length or a non-hex digit.
 */
int s3_hex_decode(unsigned char *dst, const char *src, size_t len);

/*
 * Compares two buffers in time that depends only on len.  Returns 0 when
 * they are equal.
 */
int s3_const_time_cmp(const void *a, const void *b, size_t len);


#endif /* _S3_DIGEST_H_INCLUDED_ */
