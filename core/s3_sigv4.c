
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <string.h>

#include "s3_digest.h"
#include "s3_sigv4.h"
#include "s3_uri.h"


/*
 * A cursor yields the canonical form of a raw URI component one byte at a
 * time: %XX escapes are decoded once and every byte re-encoded as
 * s3_uri_encode() would, so canonical strings can be compared and copied
 * without a scratch buffer.
 */
typedef struct {
    const char       *p;
    const char       *end;
    char              enc[3];
    unsigned          pos;
    unsigned          n;
    int               encode_slash;
} s3_sigv4_cursor_t;


typedef struct {
    s3_str_t          name;            /* raw, as sent */
    s3_str_t          value;
    unsigned          name_plain:1;    /* already canonical */
    unsigned          value_plain:1;
} s3_sigv4_param_t;


typedef struct {
    char             *p;
    char             *end;
} s3_sigv4_buf_t;


/* a parameter of a presigned URL and what its malformed value means */
typedef struct {
    s3_str_t                 name;
    s3_sigv4_query_error_e   error;
} s3_sigv4_query_param_t;


enum {
    S3_SIGV4_Q_ALGORITHM = 0,
    S3_SIGV4_Q_CREDENTIAL,
    S3_SIGV4_Q_DATE,
    S3_SIGV4_Q_EXPIRES,
    S3_SIGV4_Q_SIGNED_HEADERS,
    S3_SIGV4_Q_SIGNATURE,
    S3_SIGV4_Q_TOKEN,
    S3_SIGV4_Q_N
};


static const s3_sigv4_query_param_t  s3_sigv4_query_params[] = {
    { s3_string("X-Amz-Algorithm"), S3_SIGV4_QUERY_ALGORITHM },
    { s3_string("X-Amz-Credential"), S3_SIGV4_QUERY_CREDENTIAL },
    { s3_string("X-Amz-Date"), S3_SIGV4_QUERY_DATE },
    { s3_string("X-Amz-Expires"), S3_SIGV4_QUERY_EXPIRES },
    { s3_string("X-Amz-SignedHeaders"), S3_SIGV4_QUERY_SIGNED_HEADERS },
    { s3_string("X-Amz-Signature"), S3_SIGV4_QUERY_SIGNATURE },
    { s3_string("X-Amz-Security-Token"), S3_SIGV4_QUERY_MISSING }
};


static void s3_sigv4_cursor_init(s3_sigv4_cursor_t *c, const char *p,
    size_t len, int encode_slash);
static int s3_sigv4_cursor_next(s3_sigv4_cursor_t *c);
static int s3_sigv4_scan(const char *p, size_t len, int encode_slash);
static int s3_sigv4_str_cmp(const s3_str_t *a, unsigned a_plain,
    const s3_str_t *b, unsigned b_plain);
static int s3_sigv4_param_cmp(const s3_sigv4_param_t *a,
    const s3_sigv4_param_t *b);
static int s3_sigv4_is_signature(const s3_sigv4_param_t *prm);
static ssize_t s3_sigv4_split_query(const s3_str_t *query,
    s3_sigv4_param_t *params);
static void s3_sigv4_sort(s3_sigv4_param_t *params, size_t n);
static int s3_sigv4_put(s3_sigv4_buf_t *b, const char *p, size_t len);
static int s3_sigv4_put_canonical(s3_sigv4_buf_t *b, const char *p,
    size_t len, int encode_slash);
static int s3_sigv4_put_component(s3_sigv4_buf_t *b, const s3_str_t *s,
    unsigned plain);
static int s3_sigv4_put_uri(s3_sigv4_buf_t *b, const s3_str_t *path);
static int s3_sigv4_put_query(s3_sigv4_buf_t *b, const s3_str_t *query);
static int s3_sigv4_put_headers(s3_sigv4_buf_t *b,
    const s3_sigv4_request_t *req);
static int s3_sigv4_put_value(s3_sigv4_buf_t *b, const s3_str_t *v);
static int s3_sigv4_parse_credential(const char *p, size_t len,
    s3_sigv4_auth_t *auth);
static int s3_sigv4_check_signed_headers(const char *p, size_t len);
static int s3_sigv4_check_signature(const char *p, size_t len);
static int s3_sigv4_query_collect(const char *query, size_t len,
    char *buf, size_t size, s3_str_t *v, s3_sigv4_query_t *q);
static int s3_sigv4_query_check(const s3_str_t *v, s3_sigv4_query_t *q);
static int s3_sigv4_parse_expires(const s3_str_t *v, s3_sigv4_query_t *q);
static int s3_sigv4_digits(const char *p, size_t len, int *out);
static int s3_sigv4_eq(const char *p, size_t len, const char *lit);


#define s3_sigv4_space(c)  ((c) == ' ' || (c) == '\t')

/* a byte s3_uri_encode() writes as it is */
#define s3_sigv4_kept(ch, encode_slash)                                      \
    (s3_uri_unreserved[ch] || ((ch) == '/' && !(encode_slash)))


static void
s3_sigv4_cursor_init(s3_sigv4_cursor_t *c, const char *p, size_t len,
    int encode_slash)
{
    c->p = p;
    c->end = p + len;
    c->pos = 0;
    c->n = 0;
    c->encode_slash = encode_slash;
}


/* Returns the next canonical byte, -1 at the end, -2 on a bad escape. */

static int
s3_sigv4_cursor_next(s3_sigv4_cursor_t *c)
{
    size_t         len;
    unsigned char  ch;

    if (c->pos < c->n) {
        return (unsigned char) c->enc[c->pos++];
    }

    if (c->p == c->end) {
        return -1;
    }

    ch = (unsigned char) *c->p;

    /* most bytes stay as they are: no call, no copy */

    if (s3_sigv4_kept(ch, c->encode_slash)) {
        c->p++;
        return ch;
    }

    if (ch == '%') {
        if (c->end - c->p < 3
            || s3_uri_decode((char *) &ch, c->p, 3, 0) != 1)
        {
            return -2;
        }

        c->p += 3;

    } else {
        ch = (unsigned char) *c->p++;
    }

    len = s3_uri_encode(c->enc, (const char *) &ch, 1, c->encode_slash);

    c->pos = 1;
    c->n = (unsigned) len;

    return (unsigned char) c->enc[0];
}


/*
 * Checks the escapes of a raw component in one pass and tells whether it
 * is canonical already, every byte one s3_uri_encode() keeps and every
 * escape one it writes (uppercase hex, of a byte it does not keep), as
 * most components are: then its canonical form is the component itself.
 * Returns 1 if so, 0 if not, -1 on a truncated or non-hex escape.
 */

static int
s3_sigv4_scan(const char *p, size_t len, int encode_slash)
{
    int            hi, lo, plain;
    const char    *end;
    unsigned char  ch;

    plain = 1;

    for (end = p + len; p < end; p++) {
        ch = (unsigned char) *p;

        if (s3_sigv4_kept(ch, encode_slash)) {
            continue;
        }

        if (ch != '%') {
            plain = 0;
            continue;
        }

        if (end - p < 3) {
            return -1;
        }

        hi = s3_hex_digit((unsigned char) p[1]);
        lo = s3_hex_digit((unsigned char) p[2]);

        if (hi < 0 || lo < 0) {
            return -1;
        }

        ch = (unsigned char) (hi << 4 | lo);

        /* valid hex digits from 'a' up are the lowercase ones */

        if (s3_sigv4_kept(ch, encode_slash) || p[1] >= 'a' || p[2] >= 'a') {
            plain = 0;
        }

        p += 2;
    }

    return plain;
}


/*
 * Compares the canonical (query-encoded) forms of two raw components;
 * canonical ones compare as they are.
 */

static int
s3_sigv4_str_cmp(const s3_str_t *a, unsigned a_plain, const s3_str_t *b,
    unsigned b_plain)
{
    int                ca, cb;
    s3_sigv4_cursor_t  x, y;

    if (a_plain && b_plain) {
        ca = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);

        if (ca != 0) {
            return ca;
        }

        return (a->len > b->len) - (a->len < b->len);
    }

    s3_sigv4_cursor_init(&x, a->data, a->len, 1);
    s3_sigv4_cursor_init(&y, b->data, b->len, 1);

    for ( ;; ) {
        ca = s3_sigv4_cursor_next(&x);
        cb = s3_sigv4_cursor_next(&y);

        if (ca != cb || ca < 0) {
            return ca - cb;
        }
    }
}


static int
s3_sigv4_param_cmp(const s3_sigv4_param_t *a, const s3_sigv4_param_t *b)
{
    int  rc;

    rc = s3_sigv4_str_cmp(&a->name, a->name_plain, &b->name, b->name_plain);
    if (rc != 0) {
        return rc;
    }

    return s3_sigv4_str_cmp(&a->value, a->value_plain, &b->value,
                            b->value_plain);
}


static int
s3_sigv4_is_signature(const s3_sigv4_param_t *prm)
{
    s3_str_t  sig = s3_string("X-Amz-Signature");

    return s3_sigv4_str_cmp(&prm->name, prm->name_plain, &sig, 1) == 0;
}


/*
 * Splits a raw query into at most S3_SIGV4_MAX_PARAMS parameters, checking
 * every escape and leaving X-Amz-Signature out.  Returns the count or -1
 * with errno EINVAL or E2BIG.
 */

static ssize_t
s3_sigv4_split_query(const s3_str_t *query, s3_sigv4_param_t *params)
{
    int                name, value;
    size_t             n;
    const char        *p, *end, *amp, *eq;
    s3_sigv4_param_t   prm;

    n = 0;
    p = query->data;
    end = p + query->len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        if (amp == p) {
            p++;
            continue;
        }

        eq = memchr(p, '=', amp - p);

        prm.name.data = p;
        prm.name.len = (eq != NULL ? eq : amp) - p;
        prm.value.data = (eq != NULL) ? eq + 1 : amp;
        prm.value.len = amp - prm.value.data;

        p = amp;

        name = s3_sigv4_scan(prm.name.data, prm.name.len, 1);
        value = s3_sigv4_scan(prm.value.data, prm.value.len, 1);

        if (name < 0 || value < 0) {
            errno = EINVAL;
            return -1;
        }

        prm.name_plain = name;
        prm.value_plain = value;

        if (s3_sigv4_is_signature(&prm)) {
            continue;
        }

        if (n == S3_SIGV4_MAX_PARAMS) {
            errno = E2BIG;
            return -1;
        }

        params[n++] = prm;
    }

    return (ssize_t) n;
}


/* insertion sort: n is small, and qsort() may allocate */

static void
s3_sigv4_sort(s3_sigv4_param_t *params, size_t n)
{
    size_t            i, j;
    s3_sigv4_param_t  tmp;

    for (i = 1; i < n; i++) {
        tmp = params[i];

        for (j = i; j > 0 && s3_sigv4_param_cmp(&params[j - 1], &tmp) > 0;
             j--)
        {
            params[j] = params[j - 1];
        }

        params[j] = tmp;
    }
}


static int
s3_sigv4_put(s3_sigv4_buf_t *b, const char *p, size_t len)
{
    if ((size_t) (b->end - b->p) < len) {
        errno = ENOSPC;
        return S3_ERR;
    }

    memcpy(b->p, p, len);
    b->p += len;

    return S3_OK;
}


static int
s3_sigv4_put_canonical(s3_sigv4_buf_t *b, const char *p, size_t len,
    int encode_slash)
{
    int                ch;
    s3_sigv4_cursor_t  c;

    s3_sigv4_cursor_init(&c, p, len, encode_slash);

    for ( ;; ) {
        ch = s3_sigv4_cursor_next(&c);

        if (ch == -1) {
            return S3_OK;
        }

        if (ch == -2) {
            errno = EINVAL;
            return S3_ERR;
        }

        if (b->p == b->end) {
            errno = ENOSPC;
            return S3_ERR;
        }

        *b->p++ = (char) ch;
    }
}


static int
s3_sigv4_put_component(s3_sigv4_buf_t *b, const s3_str_t *s, unsigned plain)
{
    if (plain) {
        return s3_sigv4_put(b, s->data, s->len);
    }

    return s3_sigv4_put_canonical(b, s->data, s->len, 1);
}


static int
s3_sigv4_put_uri(s3_sigv4_buf_t *b, const s3_str_t *path)
{
    int  plain;

    if (path->len == 0) {
        return s3_sigv4_put(b, "/", 1);
    }

    plain = s3_sigv4_scan(path->data, path->len, 0);

    if (plain < 0) {
        errno = EINVAL;
        return S3_ERR;
    }

    if (plain) {
        return s3_sigv4_put(b, path->data, path->len);
    }

    return s3_sigv4_put_canonical(b, path->data, path->len, 0);
}


static int
s3_sigv4_put_query(s3_sigv4_buf_t *b, const s3_str_t *query)
{
    size_t            i;
    ssize_t           n;
    s3_sigv4_param_t  params[S3_SIGV4_MAX_PARAMS];

    n = s3_sigv4_split_query(query, params);
    if (n < 0) {
        return S3_ERR;
    }

    s3_sigv4_sort(params, (size_t) n);

    for (i = 0; i < (size_t) n; i++) {
        if ((i > 0 && s3_sigv4_put(b, "&", 1) != S3_OK)
            || s3_sigv4_put_component(b, &params[i].name,
                                      params[i].name_plain) != S3_OK
            || s3_sigv4_put(b, "=", 1) != S3_OK
            || s3_sigv4_put_component(b, &params[i].value,
                                      params[i].value_plain) != S3_OK)
        {
            return S3_ERR;
        }
    }

    return S3_OK;
}


static int
s3_sigv4_put_headers(s3_sigv4_buf_t *b, const s3_sigv4_request_t *req)
{
    size_t       i;
    const char  *p, *end, *semi;

    p = req->signed_headers.data;
    end = p + req->signed_headers.len;

    for (i = 0; p < end; i++) {
        semi = memchr(p, ';', end - p);
        if (semi == NULL) {
            semi = end;
        }

        if (s3_sigv4_put(b, p, semi - p) != S3_OK
            || s3_sigv4_put(b, ":", 1) != S3_OK
            || s3_sigv4_put_value(b, &req->header_values[i]) != S3_OK
            || s3_sigv4_put(b, "\n", 1) != S3_OK)
        {
            return S3_ERR;
        }

        p = semi + 1;
    }

    return S3_OK;
}


/* Writes a header value trimmed, inner runs of blanks made one space. */

static int
s3_sigv4_put_value(s3_sigv4_buf_t *b, const s3_str_t *v)
{
    const char  *p, *end;

    p = v->data;
    end = p + v->len;

    while (p < end && s3_sigv4_space(*p)) {
        p++;
    }

    while (end > p && s3_sigv4_space(end[-1])) {
        end--;
    }

    while (p < end) {

        if (s3_sigv4_space(*p)) {
            while (s3_sigv4_space(*p)) {
                p++;
            }

            if (s3_sigv4_put(b, " ", 1) != S3_OK) {
                return S3_ERR;
            }

            continue;
        }

        if (s3_sigv4_put(b, p++, 1) != S3_OK) {
            return S3_ERR;
        }
    }

    return S3_OK;
}


ssize_t
s3_sigv4_canonical_request(const s3_sigv4_request_t *req, char *buf,
    size_t size)
{
    s3_sigv4_buf_t  b;

    b.p = buf;
    b.end = buf + size;

    if (s3_sigv4_put(&b, req->method.data, req->method.len) != S3_OK
        || s3_sigv4_put(&b, "\n", 1) != S3_OK
        || s3_sigv4_put_uri(&b, &req->path) != S3_OK
        || s3_sigv4_put(&b, "\n", 1) != S3_OK
        || s3_sigv4_put_query(&b, &req->query) != S3_OK
        || s3_sigv4_put(&b, "\n", 1) != S3_OK
        || s3_sigv4_put_headers(&b, req) != S3_OK
        || s3_sigv4_put(&b, "\n", 1) != S3_OK
        || s3_sigv4_put(&b, req->signed_headers.data,
                        req->signed_headers.len) != S3_OK
        || s3_sigv4_put(&b, "\n", 1) != S3_OK
        || s3_sigv4_put(&b, req->payload_hash.data, req->payload_hash.len)
           != S3_OK)
    {
        return -1;
    }

    return b.p - buf;
}


ssize_t
s3_sigv4_string_to_sign(const s3_sigv4_auth_t *auth, const char *amz_date,
    size_t amz_date_len, const char *canon, size_t canon_len, char *buf,
    size_t size)
{
    unsigned char   hash[S3_SHA256_LEN];
    char            hex[2 * S3_SHA256_LEN];
    s3_sigv4_buf_t  b;

    s3_sha256(canon, canon_len, hash);
    s3_hex_encode(hex, hash, S3_SHA256_LEN);

    b.p = buf;
    b.end = buf + size;

    if (s3_sigv4_put(&b, S3_SIGV4_ALGORITHM "\n",
                     sizeof(S3_SIGV4_ALGORITHM "\n") - 1) != S3_OK
        || s3_sigv4_put(&b, amz_date, amz_date_len) != S3_OK
        || s3_sigv4_put(&b, "\n", 1) != S3_OK
        || s3_sigv4_put(&b, auth->date.data, auth->date.len) != S3_OK
        || s3_sigv4_put(&b, "/", 1) != S3_OK
        || s3_sigv4_put(&b, auth->region.data, auth->region.len) != S3_OK
        || s3_sigv4_put(&b, "/", 1) != S3_OK
        || s3_sigv4_put(&b, auth->service.data, auth->service.len) != S3_OK
        || s3_sigv4_put(&b, "/aws4_request\n", 14) != S3_OK
        || s3_sigv4_put(&b, hex, sizeof(hex)) != S3_OK)
    {
        return -1;
    }

    return b.p - buf;
}


void
s3_sigv4_signing_key(const char *secret, size_t secret_len,
    const s3_sigv4_auth_t *auth, unsigned char *key)
{
    size_t         klen;
    unsigned char  k[S3_SIGV4_KEY_LEN];
    unsigned char  ksecret[4 + 256];
    s3_digest_t    d;

    /*
     * HMAC hashes a key longer than its block, so a long secret is
     * replaced by SHA-256("AWS4" secret) with the same result.
     */

    if (secret_len <= sizeof(ksecret) - 4) {
        memcpy(ksecret, "AWS4", 4);
        memcpy(ksecret + 4, secret, secret_len);
        klen = 4 + secret_len;

    } else {
        if (s3_digest_init(&d, S3_DIGEST_SHA256) != S3_OK
            || s3_digest_update(&d, "AWS4", 4) != S3_OK
            || s3_digest_update(&d, secret, secret_len) != S3_OK
            || s3_digest_final(&d, ksecret) != S3_OK)
        {
            s3_digest_free(&d);
            memset(ksecret, 0, S3_SHA256_LEN);
        }

        klen = S3_SHA256_LEN;
    }

    s3_hmac_sha256(ksecret, klen, auth->date.data, auth->date.len, k);
    s3_hmac_sha256(k, sizeof(k), auth->region.data, auth->region.len, k);
    s3_hmac_sha256(k, sizeof(k), auth->service.data, auth->service.len, k);
    s3_hmac_sha256(k, sizeof(k), "aws4_request", 12, key);

    memset(ksecret, 0, sizeof(ksecret));
    memset(k, 0, sizeof(k));
}


void
s3_sigv4_signature(const unsigned char *key, const char *sts,
    size_t sts_len, char *hex)
{
    unsigned char  mac[S3_SHA256_LEN];

    s3_hmac_sha256(key, S3_SIGV4_KEY_LEN, sts, sts_len, mac);
    s3_hex_encode(hex, mac, S3_SHA256_LEN);
}


int
s3_sigv4_parse_header(const char *value, size_t len, s3_sigv4_auth_t *auth)
{
    size_t       n;
    const char  *p, *end, *name, *eq, *v, *vend;

    p = value;
    end = value + len;

    while (p < end && s3_sigv4_space(*p)) {
        p++;
    }

    for (n = 0; p + n < end && !s3_sigv4_space(p[n]); n++) {
        /* void */
    }

    if (!s3_sigv4_eq(p, n, S3_SIGV4_ALGORITHM)) {
        return S3_DECLINED;
    }

    memset(auth, 0, sizeof(s3_sigv4_auth_t));

    p += n;

    for ( ;; ) {
        while (p < end && (s3_sigv4_space(*p) || *p == ',')) {
            p++;
        }

        if (p == end) {
            break;
        }

        name = p;

        eq = memchr(p, '=', end - p);
        if (eq == NULL) {
            goto invalid;
        }

        v = eq + 1;
        vend = memchr(v, ',', end - v);
        if (vend == NULL) {
            vend = end;
        }

        p = vend;

        while (vend > v && s3_sigv4_space(vend[-1])) {
            vend--;
        }

        n = vend - v;

        if (s3_sigv4_eq(name, eq - name, "Credential")
            && auth->access_key.data == NULL)
        {
            if (s3_sigv4_parse_credential(v, n, auth) != S3_OK) {
                goto invalid;
            }

        } else if (s3_sigv4_eq(name, eq - name, "SignedHeaders")
                   && auth->signed_headers.data == NULL)
        {
            if (s3_sigv4_check_signed_headers(v, n) != S3_OK) {
                goto invalid;
            }

            auth->signed_headers.data = v;
            auth->signed_headers.len = n;

        } else if (s3_sigv4_eq(name, eq - name, "Signature")
                   && auth->signature.data == NULL)
        {
            if (s3_sigv4_check_signature(v, n) != S3_OK) {
                goto invalid;
            }

            auth->signature.data = v;
            auth->signature.len = n;

        } else {
            goto invalid;
        }
    }

    if (auth->access_key.data != NULL
        && auth->signed_headers.data != NULL
        && auth->signature.data != NULL)
    {
        return S3_OK;
    }

invalid:

    errno = EINVAL;
    return S3_ERR;
}


/* AK/YYYYMMDD/REGION/SERVICE/aws4_request */

static int
s3_sigv4_parse_credential(const char *p, size_t len,
    s3_sigv4_auth_t *auth)
{
    int          i, d;
    s3_str_t     part[5];
    const char  *end, *slash;

    end = p + len;

    for (i = 0; i < 5; i++) {
        slash = memchr(p, '/', end - p);

        if (i < 4 && slash == NULL) {
            return S3_ERR;
        }

        if (i == 4) {
            if (slash != NULL) {
                return S3_ERR;
            }

            slash = end;
        }

        part[i].data = p;
        part[i].len = slash - p;

        if (part[i].len == 0) {
            return S3_ERR;
        }

        p = slash + 1;
    }

    if (part[1].len != 8
        || s3_sigv4_digits(part[1].data, 8, &d) != S3_OK
        || !s3_sigv4_eq(part[4].data, part[4].len, "aws4_request"))
    {
        return S3_ERR;
    }

    auth->access_key = part[0];
    auth->date = part[1];
    auth->region = part[2];
    auth->service = part[3];

    return S3_OK;
}


static int
s3_sigv4_check_signed_headers(const char *p, size_t len)
{
    size_t       n, prev_len, count, i;
    const char  *end, *semi, *prev;

    end = p + len;
    prev = NULL;
    prev_len = 0;
    count = 0;

    if (len == 0) {
        return S3_ERR;
    }

    while (p <= end) {
        semi = memchr(p, ';', end - p);
        if (semi == NULL) {
            semi = end;
        }

        n = semi - p;

        if (n == 0 || ++count > S3_SIGV4_MAX_HEADERS) {
            return S3_ERR;
        }

        for (i = 0; i < n; i++) {
            if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == ':'
                || (p[i] >= 'A' && p[i] <= 'Z'))
            {
                return S3_ERR;
            }
        }

        if (prev != NULL) {
            i = (prev_len < n) ? prev_len : n;

            if (memcmp(prev, p, i) > 0
                || (memcmp(prev, p, i) == 0 && prev_len >= n))
            {
                return S3_ERR;
            }
        }

        prev = p;
        prev_len = n;
        p = semi + 1;
    }

    return S3_OK;
}


static int
s3_sigv4_check_signature(const char *p, size_t len)
{
    size_t  i;

    if (len != S3_SIGV4_SIG_HEX_LEN) {
        return S3_ERR;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return S3_ERR;
        }
    }

    return S3_OK;
}


int
s3_sigv4_parse_query(const char *query, size_t len, char *buf, size_t size,
    s3_sigv4_query_t *q)
{
    s3_str_t  v[S3_SIGV4_Q_N];

    memset(q, 0, sizeof(s3_sigv4_query_t));
    memset(v, 0, sizeof(v));

    if (s3_sigv4_query_collect(query, len, buf, size, v, q) != S3_OK) {
        return S3_ERR;
    }

    if (v[S3_SIGV4_Q_ALGORITHM].data == NULL) {
        return S3_DECLINED;
    }

    if (s3_sigv4_query_check(v, q) != S3_OK) {
        errno = EINVAL;
        return S3_ERR;
    }

    return S3_OK;
}


/*
 * Decodes the value of every parameter s3_sigv4_query_params[] names into
 * buf, v[i] pointing to it; names are compared as sent, case-sensitive,
 * as S3 does.
 */

static int
s3_sigv4_query_collect(const char *query, size_t len, char *buf,
    size_t size, s3_str_t *v, s3_sigv4_query_t *q)
{
    size_t           i, used;
    ssize_t          n;
    const char      *p, *end, *amp, *eq;
    const s3_str_t  *name;

    used = 0;
    p = query;
    end = query + len;

    for ( /* void */ ; p < end; p = amp + (amp < end)) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', amp - p);
        if (eq == NULL) {
            eq = amp;
        }

        for (i = 0; i < S3_SIGV4_Q_N; i++) {
            name = &s3_sigv4_query_params[i].name;

            if (name->len == (size_t) (eq - p)
                && memcmp(p, name->data, name->len) == 0)
            {
                break;
            }
        }

        if (i == S3_SIGV4_Q_N) {
            continue;
        }

        if (v[i].data != NULL) {
            q->error = S3_SIGV4_QUERY_MISSING;
            errno = EINVAL;
            return S3_ERR;
        }

        if (eq == amp) {
            eq = amp - 1;                   /* "name" alone: empty value */
        }

        if (size - used < (size_t) (amp - eq - 1)) {
            errno = ENOSPC;
            return S3_ERR;
        }

        n = s3_uri_decode(buf + used, eq + 1, amp - eq - 1, 0);
        if (n < 0) {
            q->error = s3_sigv4_query_params[i].error;
            errno = EINVAL;
            return S3_ERR;
        }

        v[i].data = buf + used;
        v[i].len = (size_t) n;
        used += (size_t) n;
    }

    return S3_OK;
}


static int
s3_sigv4_query_check(const s3_str_t *v, s3_sigv4_query_t *q)
{
    size_t  i;

    if (!s3_sigv4_eq(v[S3_SIGV4_Q_ALGORITHM].data,
                     v[S3_SIGV4_Q_ALGORITHM].len, S3_SIGV4_ALGORITHM))
    {
        q->error = S3_SIGV4_QUERY_ALGORITHM;
        return S3_ERR;
    }

    for (i = 0; i < S3_SIGV4_Q_TOKEN; i++) {
        if (v[i].data == NULL) {
            q->error = S3_SIGV4_QUERY_MISSING;
            return S3_ERR;
        }
    }

    q->error = S3_SIGV4_QUERY_CREDENTIAL;

    if (s3_sigv4_parse_credential(v[S3_SIGV4_Q_CREDENTIAL].data,
                                  v[S3_SIGV4_Q_CREDENTIAL].len, &q->auth)
        != S3_OK)
    {
        return S3_ERR;
    }

    q->error = S3_SIGV4_QUERY_DATE;

    if (s3_sigv4_parse_date(v[S3_SIGV4_Q_DATE].data, v[S3_SIGV4_Q_DATE].len,
                            &q->date)
        != S3_OK)
    {
        return S3_ERR;
    }

    if (s3_sigv4_parse_expires(&v[S3_SIGV4_Q_EXPIRES], q) != S3_OK) {
        return S3_ERR;
    }

    q->error = S3_SIGV4_QUERY_SIGNED_HEADERS;

    if (s3_sigv4_check_signed_headers(v[S3_SIGV4_Q_SIGNED_HEADERS].data,
                                      v[S3_SIGV4_Q_SIGNED_HEADERS].len)
        != S3_OK)
    {
        return S3_ERR;
    }

    q->error = S3_SIGV4_QUERY_SIGNATURE;

    if (s3_sigv4_check_signature(v[S3_SIGV4_Q_SIGNATURE].data,
                                 v[S3_SIGV4_Q_SIGNATURE].len)
        != S3_OK)
    {
        return S3_ERR;
    }

    q->error = S3_SIGV4_QUERY_NONE;
    q->auth.signed_headers = v[S3_SIGV4_Q_SIGNED_HEADERS];
    q->auth.signature = v[S3_SIGV4_Q_SIGNATURE];
    q->amz_date = v[S3_SIGV4_Q_DATE];
    q->token = v[S3_SIGV4_Q_TOKEN];

    return S3_OK;
}


/* "-0" is 0; digits past the limit are only checked */

static int
s3_sigv4_parse_expires(const s3_str_t *v, s3_sigv4_query_t *q)
{
    int          negative;
    size_t       i, len;
    time_t       n;
    const char  *p;

    p = v->data;
    len = v->len;
    negative = (len > 0 && p[0] == '-');

    if (negative) {
        p++;
        len--;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            break;
        }

        if (n <= S3_SIGV4_MAX_EXPIRES) {
            n = n * 10 + (p[i] - '0');
        }
    }

    if (len == 0 || i < len) {
        q->error = S3_SIGV4_QUERY_EXPIRES;
        return S3_ERR;
    }

    if (negative && n != 0) {
        q->error = S3_SIGV4_QUERY_EXPIRES_NEGATIVE;
        return S3_ERR;
    }

    if (n > S3_SIGV4_MAX_EXPIRES) {
        q->error = S3_SIGV4_QUERY_EXPIRES_WEEK;
        return S3_ERR;
    }

    q->expires = n;

    return S3_OK;
}


int
s3_sigv4_parse_date(const char *value, size_t len, time_t *t)
{
    int        year, mon, day, hour, min, sec, leap;
    int64_t    days, r;

    static const int  mdays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len != S3_SIGV4_DATE_LEN
        || value[8] != 'T' || value[15] != 'Z'
        || s3_sigv4_digits(value, 4, &year) != S3_OK
        || s3_sigv4_digits(value + 4, 2, &mon) != S3_OK
        || s3_sigv4_digits(value + 6, 2, &day) != S3_OK
        || s3_sigv4_digits(value + 9, 2, &hour) != S3_OK
        || s3_sigv4_digits(value + 11, 2, &min) != S3_OK
        || s3_sigv4_digits(value + 13, 2, &sec) != S3_OK
        || year < 1970 || mon < 1 || mon > 12 || day < 1
        || hour > 23 || min > 59 || sec > 59)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    leap = (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));

    if (day > mdays[mon - 1] + (mon == 2 && leap)) {
        errno = EINVAL;
        return S3_ERR;
    }

    /*
     * days from 1970-01-01 (Howard Hinnant's days_from_civil(), for years
     * from 0 on): years start in March, so that February's leap day is
     * the last of a year
     */

    if (mon <= 2) {
        year--;
    }

    days = (int64_t) year * 365 + year / 4 - year / 100 + year / 400
           + (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1
           - 719468;

    r = days * 86400 + hour * 3600 + min * 60 + sec;

    /* a 32-bit time_t ends in 2038 */

    if ((time_t) r != r) {
        errno = EINVAL;
        return S3_ERR;
    }

    *t = (time_t) r;

    return S3_OK;
}


static int
s3_sigv4_digits(const char *p, size_t len, int *out)
{
    int     v;
    size_t  i;

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return S3_ERR;
        }

        v = v * 10 + (p[i] - '0');
    }

    *out = v;

    return S3_OK;
}


static int
s3_sigv4_eq(const char *p, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(p, lit, len) == 0;
}
