
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "s3_digest.h"

/* S3_CRC32C_PORTABLE forces the table (the unit tests build both) */
#if (defined __x86_64__ && (defined __GNUC__ || defined __clang__)           \
     && !defined S3_CRC32C_PORTABLE)
#define S3_CRC32C_SSE42  1
#include <nmmintrin.h>
#endif


#define S3_HMAC_BLOCK   64                  /* SHA-256's block size */


static const EVP_MD *s3_md(s3_digest_algo_e algo);
static void s3_md_fetch(void);
static void s3_hmac_pass(const EVP_MD *md, const unsigned char *pad,
    const void *data, size_t len, unsigned char *out);
static uint32_t s3_crc32c_table(uint32_t crc, const unsigned char *p,
    size_t len);
#if (S3_CRC32C_SSE42)
static uint32_t s3_crc32c_sse42(uint32_t crc, const unsigned char *p,
    size_t len);
#endif


/*
 * OpenSSL 3 looks an algorithm up by name at every use of EVP_sha256() or
 * HMAC(); SigV4 hashes several times per request, so the algorithms are
 * fetched once per process and kept (read-only afterwards).
 */
static pthread_once_t   s3_md_once = PTHREAD_ONCE_INIT;
static EVP_MD          *s3_md_md5;
static EVP_MD          *s3_md_sha256;
static EVP_MD          *s3_md_sha1;


/* reflected CRC32C table, polynomial 0x82f63b78 */
static const uint32_t  s3_crc32c_tab[256] = {
    0x00000000U, 0xf26b8303U, 0xe13b70f7U, 0x1350f3f4U,
    0xc79a971fU, 0x35f1141cU, 0x26a1e7e8U, 0xd4ca64ebU,
    0x8ad958cfU, 0x78b2dbccU, 0x6be22838U, 0x9989ab3bU,
    0x4d43cfd0U, 0xbf284cd3U, 0xac78bf27U, 0x5e133c24U,
    0x105ec76fU, 0xe235446cU, 0xf165b798U, 0x030e349bU,
    0xd7c45070U, 0x25afd373U, 0x36ff2087U, 0xc494a384U,
    0x9a879fa0U, 0x68ec1ca3U, 0x7bbcef57U, 0x89d76c54U,
    0x5d1d08bfU, 0xaf768bbcU, 0xbc267848U, 0x4e4dfb4bU,
    0x20bd8edeU, 0xd2d60dddU, 0xc186fe29U, 0x33ed7d2aU,
    0xe72719c1U, 0x154c9ac2U, 0x061c6936U, 0xf477ea35U,
    0xaa64d611U, 0x580f5512U, 0x4b5fa6e6U, 0xb93425e5U,
    0x6dfe410eU, 0x9f95c20dU, 0x8cc531f9U, 0x7eaeb2faU,
    0x30e349b1U, 0xc288cab2U, 0xd1d83946U, 0x23b3ba45U,
    0xf779deaeU, 0x05125dadU, 0x1642ae59U, 0xe4292d5aU,
    0xba3a117eU, 0x4851927dU, 0x5b016189U, 0xa96ae28aU,
    0x7da08661U, 0x8fcb0562U, 0x9c9bf696U, 0x6ef07595U,
    0x417b1dbcU, 0xb3109ebfU, 0xa0406d4bU, 0x522bee48U,
    0x86e18aa3U, 0x748a09a0U, 0x67dafa54U, 0x95b17957U,
    0xcba24573U, 0x39c9c670U, 0x2a993584U, 0xd8f2b687U,
    0x0c38d26cU, 0xfe53516fU, 0xed03a29bU, 0x1f682198U,
    0x5125dad3U, 0xa34e59d0U, 0xb01eaa24U, 0x42752927U,
    0x96bf4dccU, 0x64d4cecfU, 0x77843d3bU, 0x85efbe38U,
    0xdbfc821cU, 0x2997011fU, 0x3ac7f2ebU, 0xc8ac71e8U,
    0x1c661503U, 0xee0d9600U, 0xfd5d65f4U, 0x0f36e6f7U,
    0x61c69362U, 0x93ad1061U, 0x80fde395U, 0x72966096U,
    0xa65c047dU, 0x5437877eU, 0x4767748aU, 0xb50cf789U,
    0xeb1fcbadU, 0x197448aeU, 0x0a24bb5aU, 0xf84f3859U,
    0x2c855cb2U, 0xdeeedfb1U, 0xcdbe2c45U, 0x3fd5af46U,
    0x7198540dU, 0x83f3d70eU, 0x90a324faU, 0x62c8a7f9U,
    0xb602c312U, 0x44694011U, 0x5739b3e5U, 0xa55230e6U,
    0xfb410cc2U, 0x092a8fc1U, 0x1a7a7c35U, 0xe811ff36U,
    0x3cdb9bddU, 0xceb018deU, 0xdde0eb2aU, 0x2f8b6829U,
    0x82f63b78U, 0x709db87bU, 0x63cd4b8fU, 0x91a6c88cU,
    0x456cac67U, 0xb7072f64U, 0xa457dc90U, 0x563c5f93U,
    0x082f63b7U, 0xfa44e0b4U, 0xe9141340U, 0x1b7f9043U,
    0xcfb5f4a8U, 0x3dde77abU, 0x2e8e845fU, 0xdce5075cU,
    0x92a8fc17U, 0x60c37f14U, 0x73938ce0U, 0x81f80fe3U,
    0x55326b08U, 0xa759e80bU, 0xb4091bffU, 0x466298fcU,
    0x1871a4d8U, 0xea1a27dbU, 0xf94ad42fU, 0x0b21572cU,
    0xdfeb33c7U, 0x2d80b0c4U, 0x3ed04330U, 0xccbbc033U,
    0xa24bb5a6U, 0x502036a5U, 0x4370c551U, 0xb11b4652U,
    0x65d122b9U, 0x97baa1baU, 0x84ea524eU, 0x7681d14dU,
    0x2892ed69U, 0xdaf96e6aU, 0xc9a99d9eU, 0x3bc21e9dU,
    0xef087a76U, 0x1d63f975U, 0x0e330a81U, 0xfc588982U,
    0xb21572c9U, 0x407ef1caU, 0x532e023eU, 0xa145813dU,
    0x758fe5d6U, 0x87e466d5U, 0x94b49521U, 0x66df1622U,
    0x38cc2a06U, 0xcaa7a905U, 0xd9f75af1U, 0x2b9cd9f2U,
    0xff56bd19U, 0x0d3d3e1aU, 0x1e6dcdeeU, 0xec064eedU,
    0xc38d26c4U, 0x31e6a5c7U, 0x22b65633U, 0xd0ddd530U,
    0x0417b1dbU, 0xf67c32d8U, 0xe52cc12cU, 0x1747422fU,
    0x49547e0bU, 0xbb3ffd08U, 0xa86f0efcU, 0x5a048dffU,
    0x8ecee914U, 0x7ca56a17U, 0x6ff599e3U, 0x9d9e1ae0U,
    0xd3d3e1abU, 0x21b862a8U, 0x32e8915cU, 0xc083125fU,
    0x144976b4U, 0xe622f5b7U, 0xf5720643U, 0x07198540U,
    0x590ab964U, 0xab613a67U, 0xb831c993U, 0x4a5a4a90U,
    0x9e902e7bU, 0x6cfbad78U, 0x7fab5e8cU, 0x8dc0dd8fU,
    0xe330a81aU, 0x115b2b19U, 0x020bd8edU, 0xf0605beeU,
    0x24aa3f05U, 0xd6c1bc06U, 0xc5914ff2U, 0x37faccf1U,
    0x69e9f0d5U, 0x9b8273d6U, 0x88d28022U, 0x7ab90321U,
    0xae7367caU, 0x5c18e4c9U, 0x4f48173dU, 0xbd23943eU,
    0xf36e6f75U, 0x0105ec76U, 0x12551f82U, 0xe03e9c81U,
    0x34f4f86aU, 0xc69f7b69U, 0xd5cf889dU, 0x27a40b9eU,
    0x79b737baU, 0x8bdcb4b9U, 0x988c474dU, 0x6ae7c44eU,
    0xbe2da0a5U, 0x4c4623a6U, 0x5f16d052U, 0xad7d5351U
};


int
s3_digest_init(s3_digest_t *d, s3_digest_algo_e algo)
{
    EVP_MD_CTX    *ctx;
    const EVP_MD  *md;

    d->ctx = NULL;

    md = s3_md(algo);
    if (md == NULL) {
        errno = EINVAL;
        return S3_ERR;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        errno = ENOMEM;
        return S3_ERR;
    }

    if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        errno = ENOMEM;
        return S3_ERR;
    }

    d->ctx = ctx;

    return S3_OK;
}


int
s3_digest_update(s3_digest_t *d, const void *data, size_t len)
{
    if (d->ctx == NULL) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (len == 0) {
        return S3_OK;
    }

    if (EVP_DigestUpdate(d->ctx, data, len) != 1) {
        errno = EINVAL;
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_digest_final(s3_digest_t *d, unsigned char *out)
{
    int  rc;

    if (d->ctx == NULL) {
        errno = EINVAL;
        return S3_ERR;
    }

    rc = EVP_DigestFinal_ex(d->ctx, out, NULL);

    s3_digest_free(d);

    if (rc != 1) {
        errno = EINVAL;
        return S3_ERR;
    }

    return S3_OK;
}


void
s3_digest_free(s3_digest_t *d)
{
    if (d->ctx != NULL) {
        EVP_MD_CTX_free(d->ctx);
        d->ctx = NULL;
    }
}


void
s3_sha256(const void *data, size_t len, unsigned char *out)
{
    if (EVP_Digest(data, len, out, NULL, s3_md(S3_DIGEST_SHA256), NULL) != 1)
    {
        memset(out, 0, S3_SHA256_LEN);
    }
}


/* RFC 2104 over the prefetched SHA-256: H(K ^ opad, H(K ^ ipad, data)) */

void
s3_hmac_sha256(const void *key, size_t key_len, const void *data,
    size_t len, unsigned char *out)
{
    size_t         i;
    unsigned char  k[S3_HMAC_BLOCK], pad[S3_HMAC_BLOCK];
    unsigned char  inner[S3_SHA256_LEN];
    const EVP_MD  *md;

    md = s3_md(S3_DIGEST_SHA256);

    memset(k, 0, sizeof(k));

    if (key_len > S3_HMAC_BLOCK) {
        s3_sha256(key, key_len, k);

    } else if (key_len != 0) {
        memcpy(k, key, key_len);
    }

    for (i = 0; i < S3_HMAC_BLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    s3_hmac_pass(md, pad, data, len, inner);

    for (i = 0; i < S3_HMAC_BLOCK; i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    s3_hmac_pass(md, pad, inner, sizeof(inner), out);
}


static void
s3_hmac_pass(const EVP_MD *md, const unsigned char *pad, const void *data,
    size_t len, unsigned char *out)
{
    int          ok;
    EVP_MD_CTX  *ctx;

    ctx = EVP_MD_CTX_new();

    ok = ctx != NULL
         && EVP_DigestInit_ex(ctx, md, NULL) == 1
         && EVP_DigestUpdate(ctx, pad, S3_HMAC_BLOCK) == 1
         && (len == 0 || EVP_DigestUpdate(ctx, data, len) == 1)
         && EVP_DigestFinal_ex(ctx, out, NULL) == 1;

    EVP_MD_CTX_free(ctx);

    if (!ok) {
        memset(out, 0, S3_SHA256_LEN);
    }
}


static const EVP_MD *
s3_md(s3_digest_algo_e algo)
{
    (void) pthread_once(&s3_md_once, s3_md_fetch);

    switch (algo) {

    case S3_DIGEST_MD5:
        return (s3_md_md5 != NULL) ? s3_md_md5 : EVP_md5();

    case S3_DIGEST_SHA256:
        return (s3_md_sha256 != NULL) ? s3_md_sha256 : EVP_sha256();

    case S3_DIGEST_SHA1:
        return (s3_md_sha1 != NULL) ? s3_md_sha1 : EVP_sha1();
    }

    return NULL;
}


static void
s3_md_fetch(void)
{
    s3_md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    s3_md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    s3_md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}


uint32_t
s3_crc32c(uint32_t crc, const void *data, size_t len)
{
    crc = ~crc;

#if (S3_CRC32C_SSE42)
    if (__builtin_cpu_supports("sse4.2")) {
        return ~s3_crc32c_sse42(crc, data, len);
    }
#endif

    return ~s3_crc32c_table(crc, data, len);
}


static uint32_t
s3_crc32c_table(uint32_t crc, const unsigned char *p, size_t len)
{
    while (len--) {
        crc = s3_crc32c_tab[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return crc;
}


#if (S3_CRC32C_SSE42)

__attribute__((target("sse4.2")))
static uint32_t
s3_crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
    uint64_t  c, v;

    while (len > 0 && ((uintptr_t) p & 7) != 0) {
        crc = _mm_crc32_u8(crc, *p++);
        len--;
    }

    c = crc;

    while (len >= 8) {
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }

    crc = (uint32_t) c;

    while (len--) {
        crc = _mm_crc32_u8(crc, *p++);
    }

    return crc;
}

#endif


char *
s3_hex_encode(char *dst, const unsigned char *src, size_t len)
{
    static const char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


int
s3_hex_decode(unsigned char *dst, const char *src, size_t len)
{
    int  hi, lo;

    if (len % 2 != 0) {
        errno = EINVAL;
        return S3_ERR;
    }

    while (len > 0) {
        hi = s3_hex_digit(src[0]);
        lo = s3_hex_digit(src[1]);

        if (hi < 0 || lo < 0) {
            errno = EINVAL;
            return S3_ERR;
        }

        *dst++ = (unsigned char) (hi << 4 | lo);
        src += 2;
        len -= 2;
    }

    return S3_OK;
}


int
s3_hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
s3_const_time_cmp(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len);
}
