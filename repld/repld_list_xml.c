
/*
 * Copyright (C) ngx_s3 developers
 *
 * The XML of a listing (ListBucketResult, ListMultipartUploadsResult) and
 * of its errors, as S3 writes them, and the continuation token.
 */


#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_digest.h"
#include "s3_hlc.h"
#include "s3_uri.h"
#include "s3_xml_escape.h"

#include "repld_list_int.h"


#define REPLD_LIST_XMLNS  "http://s3.amazonaws.com/doc/2006-03-01/"


static int repld_list_xml_head(repld_list_t *ls, repld_buf_t *out);
static int repld_list_xml_v1(repld_list_t *ls, repld_buf_t *out);
static int repld_list_xml_v2(repld_list_t *ls, repld_buf_t *out);
static int repld_list_xml_contents(repld_list_t *ls, repld_list_entry_t *e,
    repld_buf_t *out);
static int repld_list_xml_prefixes(repld_list_t *ls, repld_buf_t *out);
static int repld_list_xml_owner(repld_list_t *ls, repld_buf_t *out);
static int repld_list_xml_uploads_head(repld_list_t *ls, repld_buf_t *out);
static int repld_list_xml_upload(repld_list_t *ls, repld_list_entry_t *e,
    repld_buf_t *out);
static int repld_list_xml_user(const char *tag, const char *name,
    size_t len, repld_buf_t *out);
static void repld_list_xml_date(char *date, size_t size, uint64_t ms);
static int repld_list_xml_name(repld_list_t *ls, const char *tag,
    const char *s, size_t len, repld_buf_t *out);
static int repld_list_xml_elt(const char *tag, const char *s, size_t len,
    repld_buf_t *out);
static int repld_list_xml_num(const char *tag, uint64_t n, repld_buf_t *out);
static int repld_list_xml_text(repld_buf_t *b, const char *s, size_t len);
static int repld_list_xml_next(repld_list_t *ls, repld_buf_t *out);


static const char  repld_list_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


int
repld_list_xml(repld_list_t *ls, repld_buf_t *out)
{
    size_t  i;

    if (repld_list_xml_head(ls, out) != 0) {
        return -1;
    }

    for (i = 0; i < ls->nentries; i++) {
        if (!ls->entries[i].prefix
            && repld_list_xml_contents(ls, &ls->entries[i], out) != 0)
        {
            return -1;
        }
    }

    if (repld_list_xml_prefixes(ls, out) != 0) {
        return -1;
    }

    return repld_buf_str(out, "</ListBucketResult>");
}


/* Name, Prefix, Marker or StartAfter and tokens, ..., IsTruncated */

static int
repld_list_xml_head(repld_list_t *ls, repld_buf_t *out)
{
    if (repld_buf_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<ListBucketResult xmlns=\"" REPLD_LIST_XMLNS "\">")
        != 0
        || repld_list_xml_elt("Name", ls->req.bucket.data,
                              ls->req.bucket.len, out)
           != 0
        || repld_list_xml_name(ls, "Prefix", ls->prefix.data,
                               ls->prefix.len, out)
           != 0
        || (ls->v2 ? repld_list_xml_v2(ls, out)
                   : repld_list_xml_v1(ls, out))
           != 0
        || repld_list_xml_num("MaxKeys", (uint64_t) ls->max_keys, out) != 0)
    {
        return -1;
    }

    if (ls->delimiter.len
        && repld_list_xml_name(ls, "Delimiter", ls->delimiter.data,
                               ls->delimiter.len, out)
           != 0)
    {
        return -1;
    }

    if (ls->url && repld_buf_str(out, "<EncodingType>url</EncodingType>")
                   != 0)
    {
        return -1;
    }

    return repld_buf_str(out, ls->truncated
                              ? "<IsTruncated>true</IsTruncated>"
                              : "<IsTruncated>false</IsTruncated>");
}


/* NextMarker only with a delimiter, as S3: else the last Key serves */

static int
repld_list_xml_v1(repld_list_t *ls, repld_buf_t *out)
{
    repld_list_entry_t  *e;

    if (repld_list_xml_name(ls, "Marker", ls->marker.data, ls->marker.len,
                            out)
        != 0)
    {
        return -1;
    }

    if (!ls->truncated || ls->delimiter.len == 0 || ls->nentries == 0) {
        return 0;
    }

    e = &ls->entries[ls->nentries - 1];

    return repld_list_xml_name(ls, "NextMarker", ls->names.data + e->off,
                               e->len, out);
}


static int
repld_list_xml_v2(repld_list_t *ls, repld_buf_t *out)
{
    if (ls->start_after.len
        && repld_list_xml_name(ls, "StartAfter", ls->start_after.data,
                               ls->start_after.len, out)
           != 0)
    {
        return -1;
    }

    if (ls->has_token
        && repld_list_xml_elt("ContinuationToken", ls->token.data,
                              ls->token.len, out)
           != 0)
    {
        return -1;
    }

    if (ls->truncated && ls->nentries && repld_list_xml_next(ls, out) != 0)
    {
        return -1;
    }

    return repld_list_xml_num("KeyCount", ls->nentries, out);
}


static int
repld_list_xml_next(repld_list_t *ls, repld_buf_t *out)
{
    char                 token[REPLD_LIST_TOKEN_MAX];
    size_t               len;
    repld_list_entry_t  *e;

    e = &ls->entries[ls->nentries - 1];

    if (e->len > S3_KEY_MAX_LEN) {
        errno = EINVAL;
        return -1;
    }

    len = repld_list_token_encode(token, ls->names.data + e->off, e->len);

    return repld_list_xml_elt("NextContinuationToken", token, len, out);
}


static int
repld_list_xml_contents(repld_list_t *ls, repld_list_entry_t *e,
    repld_buf_t *out)
{
    char             date[80], etag[2 * S3_MD5_LEN + 16], *p;
    repld_object_t  *obj;

    obj = &e->u.obj;

    repld_list_xml_date(date, sizeof(date),
                        obj->mtime_ms ? obj->mtime_ms : s3_hlc_ms(obj->hlc));

    p = s3_hex_encode(etag, obj->md5, S3_MD5_LEN);

    if (obj->parts) {
        p += snprintf(p, 16, "-%u", (unsigned) obj->parts);
    }

    if (repld_buf_str(out, "<Contents>") != 0
        || repld_list_xml_name(ls, "Key", ls->names.data + e->off, e->len,
                               out)
           != 0
        || repld_list_xml_elt("LastModified", date, strlen(date), out) != 0
        || repld_buf_str(out, "<ETag>&quot;") != 0
        || repld_buf_add(out, etag, p - etag) != 0
        || repld_buf_str(out, "&quot;</ETag>") != 0
        || repld_list_xml_num("Size", obj->size, out) != 0
        || repld_buf_str(out, "<StorageClass>STANDARD</StorageClass>") != 0
        || ((!ls->v2 || ls->fetch_owner)
            && repld_list_xml_owner(ls, out) != 0))
    {
        return -1;
    }

    return repld_buf_str(out, "</Contents>");
}


static void
repld_list_xml_date(char *date, size_t size, uint64_t ms)
{
    time_t     sec;
    struct tm  tm;

    sec = (time_t) (ms / 1000);

    if (gmtime_r(&sec, &tm) == NULL) {
        memset(&tm, 0, sizeof(struct tm));
    }

    snprintf(date, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int) (ms % 1000));
}


/* ListMultipartUploadsResult, in the order of AWS's examples */

int
repld_list_xml_uploads(repld_list_t *ls, repld_buf_t *out)
{
    size_t  i;

    if (repld_list_xml_uploads_head(ls, out) != 0) {
        return -1;
    }

    for (i = 0; i < ls->nentries; i++) {
        if (!ls->entries[i].prefix
            && repld_list_xml_upload(ls, &ls->entries[i], out) != 0)
        {
            return -1;
        }
    }

    if (repld_list_xml_prefixes(ls, out) != 0) {
        return -1;
    }

    return repld_buf_str(out, "</ListMultipartUploadsResult>");
}


/*
 * Bucket, KeyMarker, UploadIdMarker, NextKeyMarker and NextUploadIdMarker
 * (the last element of the page: a CommonPrefix has no upload id),
 * Delimiter, Prefix, MaxUploads, EncodingType, IsTruncated.
 */

static int
repld_list_xml_uploads_head(repld_list_t *ls, repld_buf_t *out)
{
    repld_list_entry_t  *e;

    e = ls->nentries ? &ls->entries[ls->nentries - 1] : NULL;

    if (repld_buf_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<ListMultipartUploadsResult xmlns=\""
                      REPLD_LIST_XMLNS "\">") != 0
        || repld_list_xml_elt("Bucket", ls->req.bucket.data,
                              ls->req.bucket.len, out) != 0
        || repld_list_xml_name(ls, "KeyMarker", ls->key_marker.data,
                               ls->key_marker.len, out) != 0
        || repld_list_xml_elt("UploadIdMarker", ls->upload_id_marker.data,
                              ls->upload_id_marker.len, out) != 0
        || repld_list_xml_name(ls, "NextKeyMarker",
                               e ? ls->names.data + e->off : "",
                               e ? e->len : 0, out) != 0
        || repld_list_xml_elt("NextUploadIdMarker",
                              e ? ls->names.data + e->off + e->len : "",
                              e ? e->id_len : 0, out) != 0
        || (ls->delimiter.len
            && repld_list_xml_name(ls, "Delimiter", ls->delimiter.data,
                                   ls->delimiter.len, out) != 0)
        || repld_list_xml_name(ls, "Prefix", ls->prefix.data,
                               ls->prefix.len, out) != 0
        || repld_list_xml_num("MaxUploads", (uint64_t) ls->max_keys, out)
           != 0
        || (ls->url
            && repld_buf_str(out, "<EncodingType>url</EncodingType>") != 0))
    {
        return -1;
    }

    return repld_buf_str(out, ls->truncated
                              ? "<IsTruncated>true</IsTruncated>"
                              : "<IsTruncated>false</IsTruncated>");
}


/* an upload whose owner is not known yet shows the bucket's owner */

static int
repld_list_xml_upload(repld_list_t *ls, repld_list_entry_t *e,
    repld_buf_t *out)
{
    char             date[80];
    size_t           olen;
    const char      *owner;
    repld_upload_t  *u;

    u = &e->u.upload;

    owner = u->owner_len ? u->owner : ls->req.owner.data;
    olen = u->owner_len ? u->owner_len : ls->req.owner.len;

    repld_list_xml_date(date, sizeof(date), u->initiated_ms);

    if (repld_buf_str(out, "<Upload>") != 0
        || repld_list_xml_name(ls, "Key", ls->names.data + e->off, e->len,
                               out) != 0
        || repld_list_xml_elt("UploadId", ls->names.data + e->off + e->len,
                              e->id_len, out) != 0
        || repld_list_xml_user("Initiator", owner, olen, out) != 0
        || repld_list_xml_user("Owner", owner, olen, out) != 0
        || repld_buf_str(out, "<StorageClass>STANDARD</StorageClass>") != 0
        || repld_list_xml_elt("Initiated", date, strlen(date), out) != 0)
    {
        return -1;
    }

    return repld_buf_str(out, "</Upload>");
}


static int
repld_list_xml_user(const char *tag, const char *name, size_t len,
    repld_buf_t *out)
{
    if (repld_buf_str(out, "<") != 0
        || repld_buf_str(out, tag) != 0
        || repld_buf_str(out, ">") != 0
        || repld_list_xml_elt("ID", name, len, out) != 0
        || repld_list_xml_elt("DisplayName", name, len, out) != 0
        || repld_buf_str(out, "</") != 0
        || repld_buf_str(out, tag) != 0)
    {
        return -1;
    }

    return repld_buf_str(out, ">");
}


static int
repld_list_xml_prefixes(repld_list_t *ls, repld_buf_t *out)
{
    size_t               i;
    repld_list_entry_t  *e;

    for (i = 0; i < ls->nentries; i++) {
        e = &ls->entries[i];

        if (!e->prefix) {
            continue;
        }

        if (repld_buf_str(out, "<CommonPrefixes>") != 0
            || repld_list_xml_name(ls, "Prefix", ls->names.data + e->off,
                                   e->len, out)
               != 0
            || repld_buf_str(out, "</CommonPrefixes>") != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
repld_list_xml_owner(repld_list_t *ls, repld_buf_t *out)
{
    if (repld_buf_str(out, "<Owner>") != 0
        || repld_list_xml_elt("ID", ls->req.owner.data, ls->req.owner.len,
                              out)
           != 0
        || repld_list_xml_elt("DisplayName", ls->req.owner.data,
                              ls->req.owner.len, out)
           != 0)
    {
        return -1;
    }

    return repld_buf_str(out, "</Owner>");
}


/* an element naming keys: percent-encoded with encoding-type=url */

static int
repld_list_xml_name(repld_list_t *ls, const char *tag, const char *s,
    size_t len, repld_buf_t *out)
{
    size_t  n;

    if (!ls->url) {
        return repld_list_xml_elt(tag, s, len, out);
    }

    n = s3_uri_encode(NULL, s, len, 0);

    if (repld_buf_str(out, "<") != 0
        || repld_buf_str(out, tag) != 0
        || repld_buf_str(out, ">") != 0
        || repld_buf_reserve(out, n) != 0)
    {
        return -1;
    }

    out->len += s3_uri_encode(out->data + out->len, s, len, 0);

    if (repld_buf_str(out, "</") != 0
        || repld_buf_str(out, tag) != 0)
    {
        return -1;
    }

    return repld_buf_str(out, ">");
}


static int
repld_list_xml_elt(const char *tag, const char *s, size_t len,
    repld_buf_t *out)
{
    if (repld_buf_str(out, "<") != 0
        || repld_buf_str(out, tag) != 0
        || repld_buf_str(out, ">") != 0
        || repld_list_xml_text(out, s, len) != 0
        || repld_buf_str(out, "</") != 0
        || repld_buf_str(out, tag) != 0)
    {
        return -1;
    }

    return repld_buf_str(out, ">");
}


static int
repld_list_xml_num(const char *tag, uint64_t n, repld_buf_t *out)
{
    char  num[24];

    snprintf(num, sizeof(num), "%" PRIu64, n);

    return repld_list_xml_elt(tag, num, strlen(num), out);
}


/* escaped by the rule the module shares, core/s3_xml_escape.h */

static int
repld_list_xml_text(repld_buf_t *b, const char *s, size_t len)
{
    if (repld_buf_reserve(b, s3_xml_escape(NULL, s, len)) != 0) {
        return -1;
    }

    b->len += s3_xml_escape(b->data + b->len, s, len);

    return 0;
}


int
repld_list_xml_error(repld_list_t *ls, const char *code,
    const char *message, repld_buf_t *out)
{
    if (repld_buf_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<Error>") != 0
        || repld_list_xml_elt("Code", code, strlen(code), out) != 0
        || repld_list_xml_elt("Message", message, strlen(message), out)
           != 0)
    {
        return -1;
    }

    if (ls->arg_name != NULL
        && (repld_list_xml_elt("ArgumentName", ls->arg_name,
                               strlen(ls->arg_name), out)
            != 0
            || repld_list_xml_elt("ArgumentValue", ls->arg_value.data,
                                  ls->arg_value.len, out)
               != 0))
    {
        return -1;
    }

    if (repld_buf_str(out, "<Resource>/") != 0
        || repld_list_xml_text(out, ls->req.bucket.data,
                                 ls->req.bucket.len) != 0
        || repld_buf_str(out, "</Resource>") != 0
        || repld_list_xml_elt("RequestId", ls->req.request_id.data,
                              ls->req.request_id.len, out)
           != 0)
    {
        return -1;
    }

    return repld_buf_str(out, "</Error>");
}


size_t
repld_list_token_encode(char *dst, const char *key, size_t len)
{
    size_t          i, n, bits;
    uint32_t        acc;
    unsigned char   c;

    n = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i <= len; i++) {
        c = (i == 0) ? REPLD_LIST_TOKEN_TAG : (unsigned char) key[i - 1];
        acc = (acc << 8) | c;
        bits += 8;

        while (bits >= 6) {
            bits -= 6;
            dst[n++] = repld_list_b64[(acc >> bits) & 0x3f];
        }
    }

    if (bits) {
        dst[n++] = repld_list_b64[(acc << (6 - bits)) & 0x3f];
    }

    return n;
}


ssize_t
repld_list_token_decode(char *dst, const char *token, size_t len)
{
    char        *q;
    size_t       i, n, bits;
    uint32_t     acc;
    const char  *p;

    if (len < 2 || len > REPLD_LIST_TOKEN_MAX || len % 4 == 1) {
        return -1;
    }

    n = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        p = memchr(repld_list_b64, token[i], 64);
        if (p == NULL || token[i] == '\0') {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) (p - repld_list_b64);
        bits += 6;

        if (bits < 8) {
            continue;
        }

        bits -= 8;

        if (n == 0) {
            if (((acc >> bits) & 0xff) != REPLD_LIST_TOKEN_TAG) {
                return -1;
            }

        } else if (n > S3_KEY_MAX_LEN) {
            return -1;

        } else {
            q = dst + n - 1;
            *q = (char) ((acc >> bits) & 0xff);
        }

        n++;
    }

    /* the unused low bits of the last digit must be zero */

    if ((acc & ((1u << bits) - 1)) != 0 || n < 2) {
        return -1;
    }

    return (ssize_t) (n - 1);
}
