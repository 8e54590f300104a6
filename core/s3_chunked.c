
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <string.h>

#include "s3_chunked.h"


#define S3_CHUNKED_MAX_SIZE      (5ULL << 30)  /* a chunk: 5 GiB, S3's PUT */
#define S3_CHUNKED_MAX_DIGITS    16            /* hex digits of a size */
#define S3_CHUNKED_EXT           ";chunk-signature="
#define S3_CHUNKED_TRAILER_SIG   "x-amz-trailer-signature"
#define S3_CHUNKED_EMPTY_SHA256                                               \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* "AWS4-HMAC-SHA256-PAYLOAD\n" date scope, the signatures and hashes */
#define S3_CHUNKED_STS_LEN                                                    \
    (sizeof("AWS4-HMAC-SHA256-PAYLOAD\n\n\n\n\n") + S3_SIGV4_DATE_LEN          \
     + S3_CHUNKED_MAX_SCOPE + 3 * S3_SIGV4_SIG_HEX_LEN)


/*
 * The states: a chunk header line, its data and the CRLF after it; after
 * the final (empty) chunk's header the lines up to the empty one: LAST
 * before any trailer (where the signed trailer mode also lets the blank
 * line AWS's example shows pass), TRAILER between trailers, SIGNED after
 * x-amz-trailer-signature, which must be the last.
 */
enum {
    S3_CHUNKED_ST_HEADER = 0,
    S3_CHUNKED_ST_DATA,
    S3_CHUNKED_ST_DATA_CR,
    S3_CHUNKED_ST_DATA_LF,
    S3_CHUNKED_ST_LAST,
    S3_CHUNKED_ST_LAST_BLANK,
    S3_CHUNKED_ST_TRAILER,
    S3_CHUNKED_ST_SIGNED,
    S3_CHUNKED_ST_DONE,
    S3_CHUNKED_ST_ERROR
};


static int s3_chunked_line(s3_chunked_t *ck, const unsigned char **pos,
    const unsigned char *last);
static int s3_chunked_header(s3_chunked_t *ck);
static int s3_chunked_end_line(s3_chunked_t *ck);
static int s3_chunked_trailer_line(s3_chunked_t *ck);
static int s3_chunked_add_trailer(s3_chunked_t *ck, const char *name,
    size_t name_len, const char *value, size_t value_len);
static int s3_chunked_check_chunk(s3_chunked_t *ck);
static int s3_chunked_check_trailer(s3_chunked_t *ck, const char *sig,
    size_t len);
static int s3_chunked_check(s3_chunked_t *ck, const char *algorithm,
    size_t algorithm_len, const char *hashes, size_t hashes_len,
    const char *sig);
static int s3_chunked_is_sig(const char *p, size_t len);
static int s3_chunked_fail(s3_chunked_t *ck, s3_chunked_error_e error);


/* RFC 9110 tchar, the bytes a trailer's name is made of */
static const unsigned char  s3_chunked_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1,
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


int
s3_chunked_mode(const char *value, size_t len, s3_chunked_mode_e *mode)
{
    size_t  i;

    /* 0 for the ECDSA (SigV4a) values */

    static const struct {
        s3_str_t            value;
        s3_chunked_mode_e   mode;
    } modes[] = {
        { s3_string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
          S3_CHUNKED_SIGNED },
        { s3_string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
          S3_CHUNKED_SIGNED_TRAILER },
        { s3_string("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
          S3_CHUNKED_UNSIGNED_TRAILER },
        { s3_string("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"), 0 },
        { s3_string("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"), 0 }
    };

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (len != modes[i].value.len
            || memcmp(value, modes[i].value.data, len) != 0)
        {
            continue;
        }

        if (modes[i].mode == 0) {
            errno = ENOTSUP;
            return S3_ERR;
        }

        *mode = modes[i].mode;

        return S3_OK;
    }

    return S3_DECLINED;
}


int
s3_chunked_init(s3_chunked_t *ck, s3_chunked_mode_e mode,
    const unsigned char *key, const char *seed, const char *date,
    const char *scope, size_t scope_len)
{
    memset(ck, 0, sizeof(s3_chunked_t));

    ck->mode = mode;

    if (mode == S3_CHUNKED_UNSIGNED_TRAILER) {
        return S3_OK;
    }

    if (scope_len > S3_CHUNKED_MAX_SCOPE) {
        errno = ENAMETOOLONG;
        return S3_ERR;
    }

    memcpy(ck->key, key, S3_SIGV4_KEY_LEN);
    memcpy(ck->prev, seed, S3_SIGV4_SIG_HEX_LEN);
    memcpy(ck->date, date, S3_SIGV4_DATE_LEN);
    memcpy(ck->scope, scope, scope_len);
    ck->scope_len = scope_len;

    return S3_OK;
}


void
s3_chunked_free(s3_chunked_t *ck)
{
    s3_digest_free(&ck->chunk);
}


int
s3_chunked_parse(s3_chunked_t *ck, const unsigned char **pos,
    const unsigned char *last, const unsigned char **data, size_t *len)
{
    int                   rc;
    size_t                n;
    const unsigned char  *p;

    p = *pos;

    for ( ;; ) {

        switch (ck->state) {

        case S3_CHUNKED_ST_DATA:

            if (ck->left == 0) {
                if (s3_chunked_check_chunk(ck) != S3_OK) {
                    goto failed;
                }

                ck->state = S3_CHUNKED_ST_DATA_CR;
                break;
            }

            if (p == last) {
                *pos = p;
                return S3_AGAIN;
            }

            n = (size_t) (last - p);
            if (n > ck->left) {
                n = (size_t) ck->left;
            }

            if (ck->mode != S3_CHUNKED_UNSIGNED_TRAILER
                && s3_digest_update(&ck->chunk, p, n) != S3_OK)
            {
                (void) s3_chunked_fail(ck, S3_CHUNKED_E_NONE);
                goto failed;
            }

            *data = p;
            *len = n;
            *pos = p + n;

            ck->left -= n;
            ck->decoded += n;

            return S3_OK;

        case S3_CHUNKED_ST_DATA_CR:
        case S3_CHUNKED_ST_DATA_LF:

            if (p == last) {
                *pos = p;
                return S3_AGAIN;
            }

            if (*p++ != (ck->state == S3_CHUNKED_ST_DATA_CR ? '\r' : '\n')) {
                (void) s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
                goto failed;
            }

            ck->state = (ck->state == S3_CHUNKED_ST_DATA_CR)
                        ? S3_CHUNKED_ST_DATA_LF : S3_CHUNKED_ST_HEADER;
            break;

        case S3_CHUNKED_ST_DONE:
            *pos = p;
            return S3_DONE;

        case S3_CHUNKED_ST_ERROR:
            goto failed;

        default:

            rc = s3_chunked_line(ck, &p, last);

            if (rc == S3_AGAIN) {
                *pos = p;
                return S3_AGAIN;
            }

            if (rc == S3_OK) {
                rc = (ck->state == S3_CHUNKED_ST_HEADER)
                     ? s3_chunked_header(ck) : s3_chunked_end_line(ck);
                ck->line_len = 0;
            }

            if (rc != S3_OK) {
                goto failed;
            }

            break;
        }
    }

failed:

    *pos = p;
    ck->state = S3_CHUNKED_ST_ERROR;

    return S3_ERR;
}


/*
 * Gathers one line into ck->line, without its CRLF.  Returns S3_OK when
 * it is complete, S3_AGAIN when the input ends first, S3_ERR for a line
 * longer than S3_CHUNKED_MAX_LINE or one that ends in a bare LF.
 */
static int
s3_chunked_line(s3_chunked_t *ck, const unsigned char **pos,
    const unsigned char *last)
{
    size_t                n;
    const unsigned char  *p, *lf;

    p = *pos;

    lf = memchr(p, '\n', (size_t) (last - p));
    n = (size_t) ((lf != NULL ? lf : last) - p);

    if (n > S3_CHUNKED_MAX_LINE - ck->line_len) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_TOO_BIG);
    }

    memcpy(ck->line + ck->line_len, p, n);
    ck->line_len += n;

    if (lf == NULL) {
        *pos = last;
        return S3_AGAIN;
    }

    *pos = lf + 1;

    if (ck->line_len == 0 || ck->line[ck->line_len - 1] != '\r') {
        return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
    }

    ck->line_len--;

    return S3_OK;
}


/*
 * "<hex size>;chunk-signature=<64 hex>" in the signed modes, "<hex size>"
 * in the unsigned one; either case of hex digits in the size, as
 * aws-sdk-js sends lowercase and others uppercase.
 */
static int
s3_chunked_header(s3_chunked_t *ck)
{
    int       d;
    size_t    i, rest;
    uint64_t  size;

    size = 0;

    for (i = 0; i < ck->line_len; i++) {
        d = s3_hex_digit((unsigned char) ck->line[i]);
        if (d < 0) {
            break;
        }

        if (i == S3_CHUNKED_MAX_DIGITS) {
            return s3_chunked_fail(ck, S3_CHUNKED_E_TOO_BIG);
        }

        size = size << 4 | (uint64_t) d;
    }

    if (i == 0) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
    }

    if (size > S3_CHUNKED_MAX_SIZE) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_TOO_BIG);
    }

    rest = ck->line_len - i;

    if (ck->mode == S3_CHUNKED_UNSIGNED_TRAILER) {
        if (rest != 0) {
            return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
        }

    } else {
        if (rest != sizeof(S3_CHUNKED_EXT) - 1 + S3_SIGV4_SIG_HEX_LEN
            || memcmp(ck->line + i, S3_CHUNKED_EXT,
                      sizeof(S3_CHUNKED_EXT) - 1) != 0
            || !s3_chunked_is_sig(ck->line + ck->line_len
                                  - S3_SIGV4_SIG_HEX_LEN,
                                  S3_SIGV4_SIG_HEX_LEN))
        {
            return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
        }

        memcpy(ck->sig, ck->line + ck->line_len - S3_SIGV4_SIG_HEX_LEN,
               S3_SIGV4_SIG_HEX_LEN);

        if (s3_digest_init(&ck->chunk, S3_DIGEST_SHA256) != S3_OK) {
            return s3_chunked_fail(ck, S3_CHUNKED_E_NONE);
        }
    }

    ck->left = size;

    if (size != 0) {
        ck->state = S3_CHUNKED_ST_DATA;
        return S3_OK;
    }

    /* the final chunk: no data, no CRLF after it, the trailer part next */

    if (ck->mode != S3_CHUNKED_UNSIGNED_TRAILER
        && s3_chunked_check_chunk(ck) != S3_OK)
    {
        return S3_ERR;
    }

    ck->state = S3_CHUNKED_ST_LAST;

    return S3_OK;
}


/* A line after the final chunk's header. */
static int
s3_chunked_end_line(s3_chunked_t *ck)
{
    if (ck->line_len != 0) {

        if (ck->mode == S3_CHUNKED_SIGNED
            || ck->state == S3_CHUNKED_ST_SIGNED)
        {
            return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
        }

        ck->state = S3_CHUNKED_ST_TRAILER;

        return s3_chunked_trailer_line(ck);
    }

    if (ck->mode != S3_CHUNKED_SIGNED_TRAILER
        || ck->state == S3_CHUNKED_ST_SIGNED)
    {
        ck->state = S3_CHUNKED_ST_DONE;
        return S3_OK;
    }

    if (ck->state == S3_CHUNKED_ST_LAST) {
        ck->state = S3_CHUNKED_ST_LAST_BLANK;
        return S3_OK;
    }

    /* the trailers ended without x-amz-trailer-signature */

    return s3_chunked_fail(ck, S3_CHUNKED_E_SIGNATURE);
}


/* "name:value", spaces around the value trimmed, the name lowercased */
static int
s3_chunked_trailer_line(s3_chunked_t *ck)
{
    size_t       n, i;
    const char  *v, *end;

    for (n = 0; n < ck->line_len; n++) {
        if (!s3_chunked_tchar[(unsigned char) ck->line[n]]) {
            break;
        }

        if (ck->line[n] >= 'A' && ck->line[n] <= 'Z') {
            ck->line[n] |= 0x20;
        }
    }

    if (n == 0 || n == ck->line_len || ck->line[n] != ':') {
        return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
    }

    v = ck->line + n + 1;
    end = ck->line + ck->line_len;

    for (i = 0; v + i < end; i++) {
        if (((unsigned char) v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f) {
            return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
        }
    }

    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }

    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    if (n == sizeof(S3_CHUNKED_TRAILER_SIG) - 1
        && memcmp(ck->line, S3_CHUNKED_TRAILER_SIG, n) == 0)
    {
        if (ck->mode == S3_CHUNKED_UNSIGNED_TRAILER) {
            return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
        }

        if (s3_chunked_check_trailer(ck, v, (size_t) (end - v)) != S3_OK) {
            return S3_ERR;
        }

        ck->state = S3_CHUNKED_ST_SIGNED;

        return S3_OK;
    }

    return s3_chunked_add_trailer(ck, ck->line, n, v, (size_t) (end - v));
}


static int
s3_chunked_add_trailer(s3_chunked_t *ck, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
    char      *p;
    s3_str_t   old;

    if (s3_chunked_trailer(ck, name, name_len, &old) == S3_OK) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
    }

    if (name_len + value_len + 2 > S3_CHUNKED_MAX_TRAILER - ck->trailer_len) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_TOO_BIG);
    }

    p = ck->trailer + ck->trailer_len;

    memcpy(p, name, name_len);
    p += name_len;
    *p++ = ':';
    memcpy(p, value, value_len);
    p += value_len;
    *p++ = '\n';

    ck->trailer_len = (size_t) (p - ck->trailer);

    return S3_OK;
}


/*
 * The signature of the chunk just read, its data hashed in ck->chunk; the
 * chunk's string to sign has sha256("") (of its "headers") before that.
 */
static int
s3_chunked_check_chunk(s3_chunked_t *ck)
{
    char           hashes[2 * S3_SIGV4_SIG_HEX_LEN + 1];
    unsigned char  md[S3_SHA256_LEN];

    if (ck->mode == S3_CHUNKED_UNSIGNED_TRAILER) {
        return S3_OK;
    }

    if (s3_digest_final(&ck->chunk, md) != S3_OK) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_NONE);
    }

    memcpy(hashes, S3_CHUNKED_EMPTY_SHA256 "\n", S3_SIGV4_SIG_HEX_LEN + 1);
    s3_hex_encode(hashes + S3_SIGV4_SIG_HEX_LEN + 1, md, S3_SHA256_LEN);

    return s3_chunked_check(ck, "AWS4-HMAC-SHA256-PAYLOAD\n",
                            sizeof("AWS4-HMAC-SHA256-PAYLOAD\n") - 1,
                            hashes, sizeof(hashes), ck->sig);
}


/* x-amz-trailer-signature over the trailers gathered so far */
static int
s3_chunked_check_trailer(s3_chunked_t *ck, const char *sig, size_t len)
{
    char           hash[S3_SIGV4_SIG_HEX_LEN];
    unsigned char  md[S3_SHA256_LEN];

    if (!s3_chunked_is_sig(sig, len)) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_MALFORMED);
    }

    s3_sha256(ck->trailer, ck->trailer_len, md);
    s3_hex_encode(hash, md, S3_SHA256_LEN);

    return s3_chunked_check(ck, "AWS4-HMAC-SHA256-TRAILER\n",
                            sizeof("AWS4-HMAC-SHA256-TRAILER\n") - 1,
                            hash, sizeof(hash), sig);
}


/*
 * Signs "algorithm date\nscope\nprevious\nhashes", compares the result
 * with sig and, when they match, makes it the next previous signature.
 */
static int
s3_chunked_check(s3_chunked_t *ck, const char *algorithm,
    size_t algorithm_len, const char *hashes, size_t hashes_len,
    const char *sig)
{
    char   *p;
    char    sts[S3_CHUNKED_STS_LEN];
    char    expect[S3_SIGV4_SIG_HEX_LEN];

    p = sts;

    memcpy(p, algorithm, algorithm_len);
    p += algorithm_len;
    memcpy(p, ck->date, S3_SIGV4_DATE_LEN);
    p += S3_SIGV4_DATE_LEN;
    *p++ = '\n';
    memcpy(p, ck->scope, ck->scope_len);
    p += ck->scope_len;
    *p++ = '\n';
    memcpy(p, ck->prev, S3_SIGV4_SIG_HEX_LEN);
    p += S3_SIGV4_SIG_HEX_LEN;
    *p++ = '\n';
    memcpy(p, hashes, hashes_len);
    p += hashes_len;

    s3_sigv4_signature(ck->key, sts, (size_t) (p - sts), expect);

    if (s3_const_time_cmp(expect, sig, S3_SIGV4_SIG_HEX_LEN) != 0) {
        return s3_chunked_fail(ck, S3_CHUNKED_E_SIGNATURE);
    }

    memcpy(ck->prev, expect, S3_SIGV4_SIG_HEX_LEN);

    return S3_OK;
}


/* 64 lowercase hex digits */
static int
s3_chunked_is_sig(const char *p, size_t len)
{
    size_t  i;

    if (len != S3_SIGV4_SIG_HEX_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


/*
 * Records why the body is refused: S3_CHUNKED_E_NONE when OpenSSL failed,
 * with errno as the s3_digest_*() call left it.
 */
static int
s3_chunked_fail(s3_chunked_t *ck, s3_chunked_error_e error)
{
    ck->error = error;

    return S3_ERR;
}


int
s3_chunked_trailer(const s3_chunked_t *ck, const char *name,
    size_t name_len, s3_str_t *value)
{
    size_t    pos;
    s3_str_t  n;

    pos = 0;

    while (s3_chunked_next_trailer(ck, &pos, &n, value)) {
        if (n.len == name_len && memcmp(n.data, name, name_len) == 0) {
            return S3_OK;
        }
    }

    errno = ENOENT;

    return S3_ERR;
}


int
s3_chunked_next_trailer(const s3_chunked_t *ck, size_t *pos,
    s3_str_t *name, s3_str_t *value)
{
    const char  *p, *colon, *lf, *end;

    if (*pos >= ck->trailer_len) {
        return 0;
    }

    p = ck->trailer + *pos;
    end = ck->trailer + ck->trailer_len;

    colon = memchr(p, ':', (size_t) (end - p));
    lf = memchr(colon, '\n', (size_t) (end - colon));

    name->data = p;
    name->len = (size_t) (colon - p);
    value->data = colon + 1;
    value->len = (size_t) (lf - colon - 1);

    *pos = (size_t) (lf + 1 - ck->trailer);

    return 1;
}
