
/*
 * Copyright (C) ngx_s3 developers
 *
 * What repld_list.c (parameters, pagination) and repld_list_xml.c
 * (rendering) share.  Private to those two files.
 */


#ifndef _REPLD_LIST_INT_H_INCLUDED_
#define _REPLD_LIST_INT_H_INCLUDED_


#include "s3_core.h"
#include "s3_listproto.h"
#include "s3_place.h"

#include "repld_catalog.h"
#include "repld_list.h"


#define REPLD_LIST_MAX_KEYS      1000
#define REPLD_LIST_SEEK_MAX      (S3_KEY_MAX_LEN + 1 + REPLD_UPLOAD_ID_MAX)
#define REPLD_LIST_TOKEN_TAG     0x01     /* first byte of a decoded token */
#define REPLD_LIST_TOKEN_MAX     (((1 + S3_KEY_MAX_LEN + 2) / 3) * 4)


/*
 * One Contents, Upload or CommonPrefixes element of the page.  An
 * Upload's id follows its key in list->names.
 */
typedef struct {
    size_t               off;             /* of the name, in list->names */
    size_t               len;
    unsigned             prefix;          /* 1: a CommonPrefix */
    size_t               id_len;          /* Upload only */
    union {
        repld_object_t   obj;             /* Contents only */
        repld_upload_t   upload;          /* Upload only */
    } u;
} repld_list_entry_t;


typedef struct {
    s3_listproto_request_t  req;

    /* parameters, decoded */
    s3_str_t             prefix;
    s3_str_t             delimiter;
    s3_str_t             start_after;
    s3_str_t             token;           /* as sent, echoed */
    s3_str_t             marker;
    s3_str_t             resume;          /* list strictly after this key */
    s3_str_t             key_marker;      /* ListMultipartUploads */
    s3_str_t             upload_id_marker;
    int64_t              max_keys;        /* of the page */
    int64_t              max_uploads;
    unsigned             v2:1;
    unsigned             uploads:1;       /* ListMultipartUploads */
    unsigned             url:1;
    unsigned             fetch_owner:1;
    unsigned             has_token:1;

    /* a 400 answer instead of a listing */
    const char          *error;           /* message; NULL: no error */
    const char          *arg_name;
    s3_str_t             arg_value;

    /* the page */
    repld_list_entry_t  *entries;
    size_t               nentries;
    size_t               nkeys;
    repld_buf_t          names;
    unsigned             truncated:1;

    char                 resume_buf[S3_KEY_MAX_LEN];
} repld_list_t;


/* repld_list_xml.c */

/* Renders the ListBucketResult of a listing; returns 0 or -1 (ENOMEM). */
int repld_list_xml(repld_list_t *ls, repld_buf_t *out);

/* Renders a ListMultipartUploadsResult; returns 0 or -1 (ENOMEM). */
int repld_list_xml_uploads(repld_list_t *ls, repld_buf_t *out);

/*
 * Renders an <Error> body with Code, Message, ArgumentName and
 * ArgumentValue when arg_name is set, Resource /bucket and RequestId.
 * Returns 0 or -1 (ENOMEM).
 */
int repld_list_xml_error(repld_list_t *ls, const char *code,
    const char *message, repld_buf_t *out);

/*
 * Writes the continuation token of key (base64url of a tag byte and the
 * key, no padding) to dst, which holds REPLD_LIST_TOKEN_MAX bytes.
 * Returns its length.
 */
size_t repld_list_token_encode(char *dst, const char *key, size_t len);

/*
 * Decodes a continuation token into dst (S3_KEY_MAX_LEN bytes).  Returns
 * the key's length, or -1 for a token this server did not make.
 */
ssize_t repld_list_token_decode(char *dst, const char *token, size_t len);


#endif /* _REPLD_LIST_INT_H_INCLUDED_ */
