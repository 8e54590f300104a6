
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "s3_cksum.h"


/* x^(2^k) for k = 3 (a byte) up to 3 + 63, as lengths are 64-bit */
#define S3_CRC_X2N   (3 + 64)


typedef struct {
    const char         *name;
    const char         *header;
    const char         *element;
    size_t              len;
    s3_digest_algo_e    digest;         /* 0 for CRCs */
} s3_cksum_info_t;


/*
 * A reflected CRC up to 64 bits wide: the polynomial as it is shifted
 * right, x^0 as its top bit, the slicing-by-8 tables (slice[k][b] is the
 * CRC of byte b followed by k zero bytes, from a zero state) and x^(2^k)
 * modulo the polynomial, to combine CRCs in O(log n).
 */
typedef struct {
    uint64_t            poly;
    uint64_t            one;
    uint64_t          (*slice)[256];    /* NULL: CRC32C has its own code */
    uint64_t            x2n[S3_CRC_X2N];
} s3_crc_t;


static const s3_cksum_info_t *s3_cksum_info(s3_cksum_algo_e algo);
static s3_crc_t *s3_crc(s3_cksum_algo_e algo);
static void s3_crc_tables(void);
static void s3_crc_init(s3_crc_t *crc);
static uint64_t s3_crc_slice8(const s3_crc_t *crc, uint64_t c,
    const unsigned char *p, size_t len);
static uint64_t s3_crc_multmodp(const s3_crc_t *crc, uint64_t a, uint64_t b);
static uint64_t s3_crc_x8nmodp(const s3_crc_t *crc, uint64_t n);
static void s3_cksum_put_be(unsigned char *p, uint64_t v, size_t n);
static uint64_t s3_cksum_get_be(const unsigned char *p, size_t n);
static int s3_base64_value(int c);


/* indexed by s3_cksum_algo_e */
static const s3_cksum_info_t  s3_cksum_infos[] = {
    { "", "", "", 0, 0 },
    { "CRC32", "x-amz-checksum-crc32", "ChecksumCRC32", 4, 0 },
    { "CRC32C", "x-amz-checksum-crc32c", "ChecksumCRC32C", 4, 0 },
    { "CRC64NVME", "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", 8, 0 },
    { "SHA1", "x-amz-checksum-sha1", "ChecksumSHA1", S3_SHA1_LEN,
      S3_DIGEST_SHA1 },
    { "SHA256", "x-amz-checksum-sha256", "ChecksumSHA256", S3_SHA256_LEN,
      S3_DIGEST_SHA256 }
};

#define S3_CKSUM_NALGOS                                                       \
    (sizeof(s3_cksum_infos) / sizeof(s3_cksum_infos[0]))


/* the tables are computed once per process and only read afterwards */
static pthread_once_t   s3_crc_once = PTHREAD_ONCE_INIT;
static uint64_t         s3_crc32_slice[8][256];
static uint64_t         s3_crc64nvme_slice[8][256];

static s3_crc_t  s3_crc32_desc = {
    0xedb88320U, 0x80000000U, s3_crc32_slice, { 0 }
};

static s3_crc_t  s3_crc32c_desc = {
    0x82f63b78U, 0x80000000U, NULL, { 0 }
};

static s3_crc_t  s3_crc64nvme_desc = {
    0x9a6c9329ac4bc9b5ULL, 0x8000000000000000ULL, s3_crc64nvme_slice, { 0 }
};


static const char  s3_base64_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


s3_cksum_algo_e
s3_cksum_algo(const char *name, size_t len)
{
    size_t  i;

    for (i = 1; i < S3_CKSUM_NALGOS; i++) {
        if (strlen(s3_cksum_infos[i].name) == len
            && strncasecmp(name, s3_cksum_infos[i].name, len) == 0)
        {
            return (s3_cksum_algo_e) i;
        }
    }

    return S3_CKSUM_NONE;
}


s3_cksum_algo_e
s3_cksum_header_algo(const char *name, size_t len)
{
    size_t  i;

    for (i = 1; i < S3_CKSUM_NALGOS; i++) {
        if (strlen(s3_cksum_infos[i].header) == len
            && memcmp(name, s3_cksum_infos[i].header, len) == 0)
        {
            return (s3_cksum_algo_e) i;
        }
    }

    return S3_CKSUM_NONE;
}


const char *
s3_cksum_name(s3_cksum_algo_e algo)
{
    return s3_cksum_info(algo)->name;
}


const char *
s3_cksum_header(s3_cksum_algo_e algo)
{
    return s3_cksum_info(algo)->header;
}


const char *
s3_cksum_element(s3_cksum_algo_e algo)
{
    return s3_cksum_info(algo)->element;
}


size_t
s3_cksum_len(s3_cksum_algo_e algo)
{
    return s3_cksum_info(algo)->len;
}


static const s3_cksum_info_t *
s3_cksum_info(s3_cksum_algo_e algo)
{
    if ((size_t) algo >= S3_CKSUM_NALGOS) {
        return &s3_cksum_infos[S3_CKSUM_NONE];
    }

    return &s3_cksum_infos[algo];
}


int
s3_cksum_init(s3_cksum_t *c, s3_cksum_algo_e algo)
{
    s3_digest_t             d;
    const s3_cksum_info_t  *info;

    info = s3_cksum_info(algo);

    c->algo = algo;
    c->crc = 0;
    c->ctx = NULL;

    if (info->len == 0) {
        c->algo = S3_CKSUM_NONE;
        errno = EINVAL;
        return S3_ERR;
    }

    if (info->digest == 0) {
        return S3_OK;
    }

    if (s3_digest_init(&d, info->digest) != S3_OK) {
        return S3_ERR;
    }

    c->ctx = d.ctx;

    return S3_OK;
}


int
s3_cksum_update(s3_cksum_t *c, const void *data, size_t len)
{
    s3_digest_t  d;

    switch (c->algo) {

    case S3_CKSUM_CRC32:
        c->crc = s3_crc32((uint32_t) c->crc, data, len);
        return S3_OK;

    case S3_CKSUM_CRC32C:
        c->crc = s3_crc32c((uint32_t) c->crc, data, len);
        return S3_OK;

    case S3_CKSUM_CRC64NVME:
        c->crc = s3_crc64nvme(c->crc, data, len);
        return S3_OK;

    case S3_CKSUM_SHA1:
    case S3_CKSUM_SHA256:
        d.ctx = c->ctx;
        return s3_digest_update(&d, data, len);

    default:
        errno = EINVAL;
        return S3_ERR;
    }
}


int
s3_cksum_final(s3_cksum_t *c, unsigned char *out)
{
    s3_digest_t             d;
    const s3_cksum_info_t  *info;

    info = s3_cksum_info(c->algo);

    if (info->len == 0) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (info->digest == 0) {
        s3_cksum_put_be(out, c->crc, info->len);
        return S3_OK;
    }

    d.ctx = c->ctx;
    c->ctx = NULL;

    return s3_digest_final(&d, out);
}


void
s3_cksum_free(s3_cksum_t *c)
{
    s3_digest_t  d;

    d.ctx = c->ctx;
    c->ctx = NULL;

    s3_digest_free(&d);
}


uint32_t
s3_crc32(uint32_t crc, const void *data, size_t len)
{
    (void) pthread_once(&s3_crc_once, s3_crc_tables);

    return (uint32_t) ~s3_crc_slice8(&s3_crc32_desc, (uint32_t) ~crc, data,
                                     len);
}


uint64_t
s3_crc64nvme(uint64_t crc, const void *data, size_t len)
{
    (void) pthread_once(&s3_crc_once, s3_crc_tables);

    return ~s3_crc_slice8(&s3_crc64nvme_desc, ~crc, data, len);
}


/*
 * crc(A || B) = crc(A) * x^(8 * len(B)) + crc(B) modulo the polynomial,
 * for CRCs whose initial value equals their final xor (all of ours), as
 * zlib's crc32_combine().
 */

int
s3_cksum_combine(s3_cksum_algo_e algo, unsigned char *ab,
    const unsigned char *b, uint64_t len_b)
{
    size_t     n;
    uint64_t   crc_a, crc_b;
    s3_crc_t  *crc;

    crc = s3_crc(algo);
    if (crc == NULL) {
        errno = EINVAL;
        return S3_ERR;
    }

    (void) pthread_once(&s3_crc_once, s3_crc_tables);

    n = s3_cksum_len(algo);
    crc_a = s3_cksum_get_be(ab, n);
    crc_b = s3_cksum_get_be(b, n);

    crc_a = s3_crc_multmodp(crc, s3_crc_x8nmodp(crc, len_b), crc_a) ^ crc_b;

    s3_cksum_put_be(ab, crc_a, n);

    return S3_OK;
}


static s3_crc_t *
s3_crc(s3_cksum_algo_e algo)
{
    switch (algo) {

    case S3_CKSUM_CRC32:
        return &s3_crc32_desc;

    case S3_CKSUM_CRC32C:
        return &s3_crc32c_desc;

    case S3_CKSUM_CRC64NVME:
        return &s3_crc64nvme_desc;

    default:
        return NULL;
    }
}


static void
s3_crc_tables(void)
{
    s3_crc_init(&s3_crc32_desc);
    s3_crc_init(&s3_crc32c_desc);
    s3_crc_init(&s3_crc64nvme_desc);
}


static void
s3_crc_init(s3_crc_t *crc)
{
    int       i, k;
    uint64_t  c;

    crc->x2n[0] = crc->one >> 1;                        /* x^1 */

    for (k = 1; k < S3_CRC_X2N; k++) {
        crc->x2n[k] = s3_crc_multmodp(crc, crc->x2n[k - 1], crc->x2n[k - 1]);
    }

    if (crc->slice == NULL) {
        return;
    }

    for (i = 0; i < 256; i++) {
        c = i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ crc->poly : c >> 1;
        }

        crc->slice[0][i] = c;
    }

    for (k = 1; k < 8; k++) {
        for (i = 0; i < 256; i++) {
            c = crc->slice[k - 1][i];
            crc->slice[k][i] = (c >> 8) ^ crc->slice[0][c & 0xff];
        }
    }
}


/*
 * Slicing-by-8 over the reflected state c (no initial or final xor): the
 * state is xored into the next 8 bytes read little-endian, and each of
 * those bytes is then looked up as followed by the zero bytes after it.
 * It works for any width up to 64 bits.
 */

static uint64_t
s3_crc_slice8(const s3_crc_t *crc, uint64_t c, const unsigned char *p,
    size_t len)
{
    uint64_t     v;
    uint64_t   (*t)[256];

    t = crc->slice;

    while (len >= 8) {
        memcpy(&v, p, 8);
#if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
        v = __builtin_bswap64(v);
#endif
        v ^= c;

        c = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff]
            ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff]
            ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff]
            ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];

        p += 8;
        len -= 8;
    }

    while (len--) {
        c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    }

    return c;
}


/* a * b modulo the polynomial, both reflected (zlib's multmodp()) */

static uint64_t
s3_crc_multmodp(const s3_crc_t *crc, uint64_t a, uint64_t b)
{
    uint64_t  m, p;

    p = 0;

    for (m = crc->one; m != 0; m >>= 1) {
        if (a & m) {
            p ^= b;
        }

        b = (b & 1) ? (b >> 1) ^ crc->poly : b >> 1;
    }

    return p;
}


/* x^(8 * n) modulo the polynomial: n bytes of zeros shift a CRC so */

static uint64_t
s3_crc_x8nmodp(const s3_crc_t *crc, uint64_t n)
{
    int       k;
    uint64_t  p;

    p = crc->one;

    for (k = 3; n != 0; k++) {
        if (n & 1) {
            p = s3_crc_multmodp(crc, crc->x2n[k], p);
        }

        n >>= 1;
    }

    return p;
}


static void
s3_cksum_put_be(unsigned char *p, uint64_t v, size_t n)
{
    while (n--) {
        p[n] = (unsigned char) v;
        v >>= 8;
    }
}


static uint64_t
s3_cksum_get_be(const unsigned char *p, size_t n)
{
    uint64_t  v;

    v = 0;

    while (n--) {
        v = v << 8 | *p++;
    }

    return v;
}


size_t
s3_base64_encode(char *dst, const unsigned char *src, size_t len)
{
    char  *p;

    p = dst;

    while (len >= 3) {
        *p++ = s3_base64_tab[src[0] >> 2];
        *p++ = s3_base64_tab[(src[0] & 0x03) << 4 | src[1] >> 4];
        *p++ = s3_base64_tab[(src[1] & 0x0f) << 2 | src[2] >> 6];
        *p++ = s3_base64_tab[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len > 0) {
        *p++ = s3_base64_tab[src[0] >> 2];

        if (len == 1) {
            *p++ = s3_base64_tab[(src[0] & 0x03) << 4];
            *p++ = '=';

        } else {
            *p++ = s3_base64_tab[(src[0] & 0x03) << 4 | src[1] >> 4];
            *p++ = s3_base64_tab[(src[1] & 0x0f) << 2];
        }

        *p++ = '=';
    }

    return p - dst;
}


/*
 * Strict: whole quanta only, "=" only as the last one or two characters,
 * and the bits the padding leaves over must be zero, so that every value
 * has exactly one accepted form.
 */

int
s3_base64_decode(unsigned char *dst, size_t *out_len, const char *src,
    size_t len)
{
    int             v, bits;
    size_t          i, pad;
    uint32_t        acc;
    unsigned char  *p;

    if (len % 4 != 0) {
        errno = EINVAL;
        return S3_ERR;
    }

    pad = 0;

    if (len > 0 && src[len - 1] == '=') {
        pad = (src[len - 2] == '=') ? 2 : 1;
    }

    p = dst;
    acc = 0;
    bits = 0;

    for (i = 0; i < len - pad; i++) {
        v = s3_base64_value((unsigned char) src[i]);
        if (v < 0) {
            errno = EINVAL;
            return S3_ERR;
        }

        acc = acc << 6 | v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *p++ = (unsigned char) (acc >> bits);
        }
    }

    if ((acc & ((1U << bits) - 1)) != 0) {
        errno = EINVAL;
        return S3_ERR;
    }

    *out_len = p - dst;

    return S3_OK;
}


static int
s3_base64_value(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


int
s3_cksum_decode(s3_cksum_algo_e algo, const char *src, size_t len,
    unsigned char *raw)
{
    size_t         n, out_len;
    unsigned char  buf[S3_CKSUM_B64_MAX_LEN / 4 * 3];

    n = s3_cksum_len(algo);

    if (n == 0
        || len != (n + 2) / 3 * 4
        || s3_base64_decode(buf, &out_len, src, len) != S3_OK
        || out_len != n)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    memcpy(raw, buf, n);

    return S3_OK;
}
