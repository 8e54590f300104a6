
/*
 * Copyright (C) ngx_s3 developers
 *
 * Parsers of the XML documents S3 requests carry: CompleteMultipartUpload,
 * Delete (DeleteObjects), Tagging, CORSConfiguration, AccessControlPolicy
 * and CreateBucketConfiguration.
 *
 * Each takes the whole body in a buffer the caller owns (bodies are small
 * and bounded) and decodes it IN PLACE: entity and character references
 * (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;) are resolved by rewriting
 * the buffer, and every s3_str_t of the result points into it.  The
 * caller gives the arrays results go to, with their capacity.
 *
 * What is accepted: an optional <?xml ...?> declaration, comments,
 * whitespace between elements, any xmlns attribute on the root; elements
 * are matched by local name (a prefix is ignored), unknown elements are
 * skipped with their content.  What is refused with S3_ERR and errno
 * EINVAL (MalformedXML): anything not well-formed (mismatched or unclosed
 * tags, text outside the root, a bad reference, a NUL byte), the wrong
 * root element, a required element missing, a number that is not one,
 * CDATA and DOCTYPE (never sent by S3 clients, and DOCTYPE is where
 * entity expansion attacks live).  errno E2BIG: more items than the
 * caller's capacity.  Depth is bounded by S3_XML_MAX_DEPTH.
 */


#ifndef _S3_XML_H_INCLUDED_
#define _S3_XML_H_INCLUDED_


#include "s3_core.h"
#include "s3_cksum.h"


#define S3_XML_MAX_DEPTH  16


/* <CompleteMultipartUpload><Part><PartNumber/><ETag/><ChecksumCRC32/>... */
typedef struct {
    uint32_t          number;         /* PartNumber, as sent (may be 0) */
    s3_str_t          etag;           /* as sent, quotes included if any */
    s3_cksum_algo_e   cksum_algo;     /* NONE: no Checksum* element */
    s3_str_t          cksum;          /* base64 as sent */
} s3_xml_part_t;

typedef struct {
    s3_xml_part_t    *parts;          /* in: room for max */
    size_t            max;
    size_t            nparts;         /* out */
} s3_xml_complete_t;

int s3_xml_parse_complete(char *buf, size_t len, s3_xml_complete_t *doc);


/* <Delete><Quiet/><Object><Key/><VersionId/></Object>...</Delete> */
typedef struct {
    s3_str_t          key;            /* may be empty: the caller refuses */
    s3_str_t          version_id;
} s3_xml_object_t;

typedef struct {
    s3_xml_object_t  *objects;        /* in: room for max */
    size_t            max;
    size_t            nobjects;       /* out */
    int               quiet;          /* <Quiet>true</Quiet> */
} s3_xml_delete_t;

int s3_xml_parse_delete(char *buf, size_t len, s3_xml_delete_t *doc);


/* <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> */
typedef struct {
    s3_str_t          key;
    s3_str_t          value;
} s3_xml_tag_t;

typedef struct {
    s3_xml_tag_t     *tags;           /* in: room for max */
    size_t            max;
    size_t            ntags;          /* out; limits are the caller's */
} s3_xml_tagging_t;

int s3_xml_parse_tagging(char *buf, size_t len, s3_xml_tagging_t *doc);


/*
 * <CORSConfiguration><CORSRule><ID/><AllowedOrigin/>... <AllowedMethod/>...
 * <AllowedHeader/>... <ExposeHeader/>... <MaxAgeSeconds/></CORSRule>...
 * Every value of every rule goes to one array, values; a rule's values
 * are values[first .. first + n), in document order, each tagged by kind.
 */
typedef enum {
    S3_XML_CORS_ID = 1,
    S3_XML_CORS_ORIGIN,
    S3_XML_CORS_METHOD,
    S3_XML_CORS_HEADER,
    S3_XML_CORS_EXPOSE,
    S3_XML_CORS_MAX_AGE
} s3_xml_cors_kind_e;

typedef struct {
    s3_xml_cors_kind_e  kind;
    s3_str_t            value;
} s3_xml_cors_value_t;

typedef struct {
    size_t            first;
    size_t            n;
} s3_xml_cors_rule_t;

typedef struct {
    s3_xml_cors_rule_t   *rules;      /* in: room for max_rules */
    size_t                max_rules;
    s3_xml_cors_value_t  *values;     /* in: room for max_values */
    size_t                max_values;
    size_t                nrules;     /* out */
    size_t                nvalues;    /* out */
} s3_xml_cors_t;

/* Also refuses a rule without AllowedOrigin or AllowedMethod. */
int s3_xml_parse_cors(char *buf, size_t len, s3_xml_cors_t *doc);


/*
 * <AccessControlPolicy><Owner><ID/></Owner><AccessControlList>
 *   <Grant><Grantee xsi:type="CanonicalUser|Group"><ID/>|<URI/></Grantee>
 *   <Permission/></Grant>...</AccessControlList></AccessControlPolicy>
 */
typedef struct {
    s3_str_t          type;           /* xsi:type attribute of Grantee */
    s3_str_t          id;             /* CanonicalUser */
    s3_str_t          uri;            /* Group */
    s3_str_t          permission;     /* FULL_CONTROL, READ, ... */
} s3_xml_grant_t;

typedef struct {
    s3_str_t          owner_id;
    s3_xml_grant_t   *grants;         /* in: room for max */
    size_t            max;
    size_t            ngrants;        /* out */
} s3_xml_acl_t;

int s3_xml_parse_acl(char *buf, size_t len, s3_xml_acl_t *doc);


/* <CreateBucketConfiguration><LocationConstraint/>; len 0 is valid. */
typedef struct {
    s3_str_t          location;       /* out, empty when absent */
} s3_xml_create_bucket_t;

int s3_xml_parse_create_bucket(char *buf, size_t len,
    s3_xml_create_bucket_t *doc);


#endif /* _S3_XML_H_INCLUDED_ */
