
/*
 * Copyright (C) ngx_s3 developers
 *
 * AWS Signature Version 4, as S3 uses it: the canonical request is built
 * from the path as the client sent it (decoded once and re-encoded, never
 * normalised, so "//", "." and ".." segments sign as they are), the sorted
 * query, the signed headers and the payload hash the client declared.
 */


#ifndef _S3_SIGV4_H_INCLUDED_
#define _S3_SIGV4_H_INCLUDED_


#include <time.h>

#include "s3_core.h"


#define S3_SIGV4_ALGORITHM      "AWS4-HMAC-SHA256"
#define S3_SIGV4_KEY_LEN        32
#define S3_SIGV4_SIG_HEX_LEN    64
#define S3_SIGV4_DATE_LEN       16     /* 20130524T000000Z */
#define S3_SIGV4_MAX_PARAMS     128    /* query parameters we sort */
#define S3_SIGV4_MAX_HEADERS    64     /* signed headers we accept */
#define S3_SIGV4_MAX_EXPIRES    604800 /* a presigned URL lives a week */

#define S3_SIGV4_UNSIGNED_PAYLOAD  "UNSIGNED-PAYLOAD"

#define S3_DECLINED   1                /* not a SigV4 Authorization */


/* The parts of an Authorization header; every slice points into it. */
typedef struct {
    s3_str_t          access_key;
    s3_str_t          date;            /* YYYYMMDD, from the scope */
    s3_str_t          region;
    s3_str_t          service;
    s3_str_t          signed_headers;  /* "host;x-amz-date", as sent */
    s3_str_t          signature;       /* 64 lowercase hex digits */
} s3_sigv4_auth_t;


/* Why s3_sigv4_parse_query() refused a query. */
typedef enum {
    S3_SIGV4_QUERY_NONE = 0,
    S3_SIGV4_QUERY_MISSING,            /* a parameter absent or repeated */
    S3_SIGV4_QUERY_ALGORITHM,          /* not AWS4-HMAC-SHA256 */
    S3_SIGV4_QUERY_CREDENTIAL,         /* not AK/DATE/REGION/SERVICE/... */
    S3_SIGV4_QUERY_DATE,               /* not YYYYMMDDTHHMMSSZ */
    S3_SIGV4_QUERY_EXPIRES,            /* not a number */
    S3_SIGV4_QUERY_EXPIRES_NEGATIVE,
    S3_SIGV4_QUERY_EXPIRES_WEEK,       /* over S3_SIGV4_MAX_EXPIRES */
    S3_SIGV4_QUERY_SIGNED_HEADERS,     /* not lowercase, sorted, unique */
    S3_SIGV4_QUERY_SIGNATURE           /* not 64 lowercase hex digits */
} s3_sigv4_query_error_e;


/* A presigned URL's parameters, decoded; slices point into a buffer. */
typedef struct {
    s3_sigv4_auth_t         auth;
    s3_str_t                amz_date;  /* X-Amz-Date */
    time_t                  date;      /* X-Amz-Date, parsed */
    time_t                  expires;   /* X-Amz-Expires, seconds */
    s3_str_t                token;     /* X-Amz-Security-Token, or empty */
    s3_sigv4_query_error_e  error;     /* set when parsing fails */
} s3_sigv4_query_t;


/* What the canonical request is built from. */
typedef struct {
    s3_str_t          method;
    s3_str_t          path;            /* raw path as sent, no query */
    s3_str_t          query;           /* raw query as sent, no '?' */
    s3_str_t          signed_headers;
    const s3_str_t   *header_values;   /* one per name in signed_headers,
                                          in that order; repeated headers
                                          already joined by ',' */
    s3_str_t          payload_hash;    /* x-amz-content-sha256 as sent */
} s3_sigv4_request_t;


/*
 * Parses "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=HEX".  Returns S3_OK; S3_DECLINED when the
 * value names another scheme (e.g. SigV2 "AWS AK:SIG"); S3_ERR with errno
 * EINVAL when it is malformed (missing part, bad scope, signature not 64
 * hex digits, signed headers not lowercase and sorted, or more than
 * S3_SIGV4_MAX_HEADERS of them).
 */
int s3_sigv4_parse_header(const char *value, size_t len,
    s3_sigv4_auth_t *auth);

/*
 * Parses the query-string form of SigV4 (presigned URLs): the raw query
 * as sent, no '?'.  The parameters X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature and
 * the optional X-Amz-Security-Token are percent-decoded into buf (len
 * bytes always suffice) and q's slices point there.  Returns S3_OK;
 * S3_DECLINED when the query has no X-Amz-Algorithm (not a presigned
 * request); S3_ERR with errno EINVAL and q->error saying what is wrong,
 * or ENOSPC when buf is too small.  X-Amz-Expires 0 parses: such a URL
 * has expired when it is used.
 */
int s3_sigv4_parse_query(const char *query, size_t len, char *buf,
    size_t size, s3_sigv4_query_t *q);

/*
 * Parses an ISO 8601 basic timestamp "YYYYMMDDTHHMMSSZ" into *t (UTC).
 * Returns S3_OK or S3_ERR (EINVAL).
 */
int s3_sigv4_parse_date(const char *value, size_t len, time_t *t);

/*
 * Writes the canonical request into buf.  Returns its length, or -1 with
 * errno ENOSPC when buf is too small, EINVAL on a bad percent escape in
 * the path or query, E2BIG past S3_SIGV4_MAX_PARAMS query parameters.
 * The query parameter X-Amz-Signature is left out (presigned URLs).
 */
ssize_t s3_sigv4_canonical_request(const s3_sigv4_request_t *req, char *buf,
    size_t size);

/*
 * Writes "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(sha256(canon))
 * into buf, the scope being date/region/service/aws4_request.  Returns its
 * length, or -1 with errno ENOSPC.
 */
ssize_t s3_sigv4_string_to_sign(const s3_sigv4_auth_t *auth,
    const char *amz_date, size_t amz_date_len, const char *canon,
    size_t canon_len, char *buf, size_t size);

/* Derives the signing key HMAC chain ("AWS4" secret, date, region, service,
 * "aws4_request") into key[S3_SIGV4_KEY_LEN]. */
void s3_sigv4_signing_key(const char *secret, size_t secret_len,
    const s3_sigv4_auth_t *auth, unsigned char *key);

/* Writes hex(HMAC(key, string_to_sign)) to hex[S3_SIGV4_SIG_HEX_LEN]. */
void s3_sigv4_signature(const unsigned char *key, const char *sts,
    size_t sts_len, char *hex);


#endif /* _S3_SIGV4_H_INCLUDED_ */
