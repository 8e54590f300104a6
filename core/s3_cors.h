
/*
 * Copyright (C) ngx_s3 developers
 *
 * A bucket's CORS rules: validated and encoded from a parsed
 * CORSConfiguration (s3_xml.h) into the bucket record's cors field,
 * decoded again for GetBucketCors, and matched against a request.
 *
 * Encoded form: a sequence of items, each one kind byte, the value and a
 * NUL: "R" starts a rule, then "I" id, "O" allowed origin, "M" allowed
 * method, "H" allowed header, "E" expose header, "A" max-age seconds (in
 * decimal), in document order.  Values never hold a NUL (the XML parser
 * refuses one).
 *
 * Matching follows S3: the rules are tried in order and the first one
 * whose AllowedOrigin matches the Origin, whose AllowedMethod holds the
 * method and whose AllowedHeaders match every requested header wins.  An
 * AllowedOrigin or AllowedHeader holds at most one '*', which matches any
 * run of bytes.  Origins and methods compare case-sensitively, header
 * names case-insensitively.
 */


#ifndef _S3_CORS_H_INCLUDED_
#define _S3_CORS_H_INCLUDED_


#include "s3_core.h"
#include "s3_xml.h"


#define S3_CORS_MAX_RULES      100
#define S3_CORS_MAX_LEN        65536   /* encoded rules */
#define S3_CORS_MAX_ID_LEN     255

/* s3_cors_encode(): what makes a configuration invalid */
#define S3_CORS_TOO_MANY       1       /* over S3_CORS_MAX_RULES rules */
#define S3_CORS_BAD_METHOD     2       /* not GET PUT POST DELETE HEAD */
#define S3_CORS_BAD_ORIGIN     3       /* more than one '*' */
#define S3_CORS_BAD_HEADER     4       /* more than one '*' */
#define S3_CORS_BAD_MAX_AGE    5       /* not a number */
#define S3_CORS_BAD_ID         6       /* over S3_CORS_MAX_ID_LEN bytes */


/* One rule of an encoded configuration; slices point into it. */
typedef struct {
    s3_str_t          items;          /* the rule's items, "R" excluded */
    s3_str_t          origin;         /* s3_cors_match(): the matching
                                         AllowedOrigin */
} s3_cors_rule_t;


/* What a CORS request asks; headers is Access-Control-Request-Headers. */
typedef struct {
    s3_str_t          origin;
    s3_str_t          method;
    s3_str_t          headers;        /* comma-separated; empty: none */
} s3_cors_request_t;


/*
 * Validates doc and encodes it into buf.  Returns S3_OK with *len set,
 * one of S3_CORS_* with *bad set to the offending value, or S3_ERR with
 * errno ENOSPC when buf (or S3_CORS_MAX_LEN) is too small.
 */
int s3_cors_encode(const s3_xml_cors_t *doc, char *buf, size_t size,
    size_t *len, s3_str_t *bad);

/*
 * Iterates over the rules of an encoded configuration: start with
 * *pos = 0; returns 1 with rule set, 0 at the end, or S3_ERR with errno
 * EINVAL when cors is not a valid encoding.
 */
int s3_cors_next_rule(const s3_str_t *cors, size_t *pos,
    s3_cors_rule_t *rule);

/*
 * Iterates over the items of a rule: start with *pos = 0; returns 1 with
 * kind and value set, or 0 at the end.
 */
int s3_cors_next_item(const s3_cors_rule_t *rule, size_t *pos,
    s3_xml_cors_kind_e *kind, s3_str_t *value);

/*
 * Finds the first rule of cors that allows req.  Returns 1 with rule set
 * (rule->origin is the AllowedOrigin that matched, "*" for any), 0 when
 * none does, or S3_ERR with errno EINVAL when cors is not a valid
 * encoding.
 */
int s3_cors_match(const s3_str_t *cors, const s3_cors_request_t *req,
    s3_cors_rule_t *rule);


#endif /* _S3_CORS_H_INCLUDED_ */
