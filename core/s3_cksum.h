
/*
 * Copyright (C) ngx_s3 developers
 *
 * S3's flexible checksums: CRC32 (ISO-HDLC, as zlib), CRC32C (Castagnoli),
 * CRC64NVME, SHA-1 and SHA-256, streamed, in the byte order AWS sends
 * them (CRCs big-endian), plus the base64 form they travel in and what a
 * multipart object's checksum is made of: the COMPOSITE checksum (the
 * algorithm over the concatenated raw part checksums, shown "-N") and the
 * FULL_OBJECT CRC combined from the parts' CRCs and sizes.
 */


#ifndef _S3_CKSUM_H_INCLUDED_
#define _S3_CKSUM_H_INCLUDED_


#include "s3_core.h"
#include "s3_digest.h"


#define S3_CKSUM_MAX_LEN      32   /* raw bytes: SHA-256 */
#define S3_CKSUM_B64_MAX_LEN  44   /* base64 of S3_CKSUM_MAX_LEN bytes */

/* the longest stored value: base64, then "-N" for a composite of N parts */
#define S3_CKSUM_VALUE_MAX_LEN  (S3_CKSUM_B64_MAX_LEN + sizeof("-10000") - 1)


typedef enum {
    S3_CKSUM_NONE = 0,
    S3_CKSUM_CRC32,
    S3_CKSUM_CRC32C,
    S3_CKSUM_CRC64NVME,
    S3_CKSUM_SHA1,
    S3_CKSUM_SHA256
} s3_cksum_algo_e;


typedef struct {
    s3_cksum_algo_e   algo;
    uint64_t          crc;            /* CRC so far, as s3_crc32() gives */
    void             *ctx;            /* SHA: EVP_MD_CTX *, owned */
} s3_cksum_t;


/* "CRC32", "crc64nvme", ... (any case) to an algorithm, or S3_CKSUM_NONE. */
s3_cksum_algo_e s3_cksum_algo(const char *name, size_t len);

/*
 * A header name "x-amz-checksum-crc32" ... (lowercase, as nginx keeps
 * lowcase_key) to its algorithm, or S3_CKSUM_NONE for any other name,
 * including x-amz-checksum-algorithm, -mode and -type.
 */
s3_cksum_algo_e s3_cksum_header_algo(const char *name, size_t len);

/* "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"; "" for NONE. */
const char *s3_cksum_name(s3_cksum_algo_e algo);

/* "x-amz-checksum-crc32" ...; "" for NONE. */
const char *s3_cksum_header(s3_cksum_algo_e algo);

/* "ChecksumCRC32" ... as XML element names; "" for NONE. */
const char *s3_cksum_element(s3_cksum_algo_e algo);

/* Raw length: 4, 4, 8, 20, 32; 0 for NONE. */
size_t s3_cksum_len(s3_cksum_algo_e algo);

/*
 * Starts a checksum.  Returns S3_OK, or S3_ERR (EINVAL for NONE, ENOMEM).
 * A successful init must be paired with s3_cksum_final() or
 * s3_cksum_free().
 */
int s3_cksum_init(s3_cksum_t *c, s3_cksum_algo_e algo);

/* Feeds len bytes.  Returns S3_OK or S3_ERR (EINVAL). */
int s3_cksum_update(s3_cksum_t *c, const void *data, size_t len);

/*
 * Writes the raw checksum, s3_cksum_len() bytes, big-endian for CRCs, to
 * out and releases what init took.  Returns S3_OK or S3_ERR (EINVAL).
 */
int s3_cksum_final(s3_cksum_t *c, unsigned char *out);

/* Releases what init took if it is still held; safe to call twice. */
void s3_cksum_free(s3_cksum_t *c);

/* CRC-32/ISO-HDLC (zlib's crc32()): start with 0, chain over buffers. */
uint32_t s3_crc32(uint32_t crc, const void *data, size_t len);

/* CRC-64/NVME: start with 0, chain over buffers. */
uint64_t s3_crc64nvme(uint64_t crc, const void *data, size_t len);

/*
 * FULL_OBJECT: given the raw CRC of A in ab and the raw CRC of B in b (B
 * being len_b bytes), rewrites ab as the raw CRC of A followed by B, as
 * zlib's crc32_combine().  CRC algorithms only; returns S3_OK, or S3_ERR
 * (EINVAL) for SHA-1 and SHA-256, which cannot be combined.
 */
int s3_cksum_combine(s3_cksum_algo_e algo, unsigned char *ab,
    const unsigned char *b, uint64_t len_b);

/* Writes the base64 of len bytes to dst; returns the length written. */
size_t s3_base64_encode(char *dst, const unsigned char *src, size_t len);

/*
 * Decodes len base64 characters (standard alphabet, padded) into dst,
 * which has room for 3 * len / 4 bytes; sets *out_len.  Returns S3_OK or
 * S3_ERR (EINVAL).
 */
int s3_base64_decode(unsigned char *dst, size_t *out_len, const char *src,
    size_t len);

/*
 * Decodes a checksum value as sent in a header or trailer (base64 of
 * exactly s3_cksum_len(algo) bytes) into raw.  Returns S3_OK, or S3_ERR
 * (EINVAL) when it is not.
 */
int s3_cksum_decode(s3_cksum_algo_e algo, const char *src, size_t len,
    unsigned char *raw);


#endif /* _S3_CKSUM_H_INCLUDED_ */
