
/*
 * Copyright (C) ngx_s3 developers
 *
 * ListObjects (v1), ListObjectsV2 and ListMultipartUploads (a query with
 * an "uploads" parameter): the query's parameters, then one page of the
 * catalog's bucket ("o" entries, or "u" entries, key "\0" upload id)
 * scanned in key order.  A page resumes
 * strictly after the marker, start-after or continuation token key, so
 * keys added or deleted between pages are never skipped nor repeated
 * beyond what a changing bucket implies; with a delimiter, every key of a
 * CommonPrefix is skipped with one seek.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3_uri.h"

#include "repld_list_int.h"


static int repld_list_params(repld_list_t *ls, char *scratch);
static int repld_list_param(repld_list_t *ls, s3_str_t *name,
    s3_str_t *value);
static int repld_list_param_uploads(repld_list_t *ls, s3_str_t *name,
    s3_str_t *value);
static void repld_list_max_keys(repld_list_t *ls, s3_str_t *value);
static void repld_list_max_uploads(repld_list_t *ls, s3_str_t *value);
static int64_t repld_list_number(s3_str_t *value);
static void repld_list_invalid(repld_list_t *ls, const char *message,
    const char *arg_name, s3_str_t *arg_value);
static void repld_list_resume(repld_list_t *ls);
static int repld_list_scan(repld_list_t *ls, repld_catalog_t *cat);
static int repld_list_start(repld_list_t *ls, repld_cursor_t *c);
static int repld_list_start_upload(repld_list_t *ls, repld_cursor_t *c);
static size_t repld_list_key_len(repld_list_t *ls, const char *key,
    size_t len);
static int repld_list_step(repld_list_t *ls, repld_cursor_t *c,
    const char *key, size_t klen, size_t len);
static int repld_list_add_upload(repld_list_t *ls, repld_cursor_t *c,
    const char *key, size_t klen, size_t len);
static int repld_list_skip_prefix(repld_cursor_t *c, const char *s,
    size_t len);
static int repld_list_add(repld_list_t *ls, const char *name, size_t len,
    const repld_object_t *obj);
static int repld_list_respond(repld_list_t *ls, int scanned,
    repld_buf_t *out);
static int repld_str_eq(const s3_str_t *s, const char *c);
static int repld_str_starts(const char *s, size_t len, const s3_str_t *p);
static int repld_str_cmp(const s3_str_t *a, const s3_str_t *b);


int
repld_list_answer(repld_catalog_t *cat, const char *payload, size_t len,
    repld_buf_t *out)
{
    int            rc, scanned;
    char          *scratch;
    repld_list_t   ls;

    memset(&ls, 0, sizeof(repld_list_t));

    if (s3_listproto_decode_request(&ls.req, payload, len) != S3_OK) {
        return -1;
    }

    scratch = malloc(ls.req.query.len + 1);
    if (scratch == NULL) {
        return -1;
    }

    ls.max_keys = REPLD_LIST_MAX_KEYS;
    ls.max_uploads = REPLD_LIST_MAX_KEYS;
    scanned = 0;

    repld_list_params(&ls, scratch);

    if (ls.error == NULL) {
        repld_list_resume(&ls);
    }

    if (ls.error == NULL) {
        scanned = repld_list_scan(&ls, cat);
    }

    rc = (scanned == -1 && errno == ENOMEM)
         ? -1 : repld_list_respond(&ls, scanned, out);

    free(ls.entries);
    free(ls.names.data);
    free(scratch);

    return rc;
}


/* splits the raw query on '&' and '=' and decodes names and values */

static int
repld_list_params(repld_list_t *ls, char *scratch)
{
    ssize_t      n;
    s3_str_t     name, value;
    const char  *p, *last, *end, *eq;

    p = ls->req.query.data;
    last = p + ls->req.query.len;

    while (p < last && ls->error == NULL) {
        end = memchr(p, '&', last - p);
        end = end ? end : last;
        eq = memchr(p, '=', end - p);
        eq = eq ? eq : end;

        n = s3_uri_decode(scratch, p, eq - p, 1);
        name.data = scratch;
        name.len = (size_t) n;
        scratch += (n > 0) ? n : 0;

        value.data = scratch;
        value.len = 0;

        if (n >= 0 && eq < end) {
            n = s3_uri_decode(scratch, eq + 1, end - eq - 1, 1);
            value.len = (n > 0) ? (size_t) n : 0;
            scratch += value.len;
        }

        if (n < 0) {
            repld_list_invalid(ls, "The query string is not properly "
                               "percent-encoded", NULL, NULL);
            return -1;
        }

        repld_list_param(ls, &name, &value);

        p = end + 1;
    }

    return (ls->error == NULL) ? 0 : -1;
}


static int
repld_list_param(repld_list_t *ls, s3_str_t *name, s3_str_t *value)
{
    if (repld_list_param_uploads(ls, name, value)) {
        return 0;
    }

    if (repld_str_eq(name, "list-type")) {
        ls->v2 = repld_str_eq(value, "2");

    } else if (repld_str_eq(name, "prefix")) {
        ls->prefix = *value;

    } else if (repld_str_eq(name, "delimiter")) {
        ls->delimiter = *value;

    } else if (repld_str_eq(name, "max-keys")) {
        repld_list_max_keys(ls, value);

    } else if (repld_str_eq(name, "start-after")) {
        ls->start_after = *value;

    } else if (repld_str_eq(name, "continuation-token")) {
        ls->token = *value;
        ls->has_token = 1;

    } else if (repld_str_eq(name, "marker")) {
        ls->marker = *value;

    } else if (repld_str_eq(name, "fetch-owner")) {
        ls->fetch_owner = repld_str_eq(value, "true");

    } else if (repld_str_eq(name, "encoding-type")) {
        if (!repld_str_eq(value, "url")) {
            repld_list_invalid(ls, "Invalid Encoding Method specified in "
                               "Request", "encoding-type", value);
            return -1;
        }

        ls->url = 1;
    }

    return 0;
}


/*
 * The parameters only ListMultipartUploads has; returns 1 when name is
 * one.  max-keys and max-uploads are both kept: the query's "uploads"
 * decides, whatever the order of the parameters.
 */

static int
repld_list_param_uploads(repld_list_t *ls, s3_str_t *name, s3_str_t *value)
{
    if (repld_str_eq(name, "uploads")) {
        ls->uploads = 1;

    } else if (repld_str_eq(name, "key-marker")) {
        ls->key_marker = *value;

    } else if (repld_str_eq(name, "upload-id-marker")) {
        ls->upload_id_marker = *value;

    } else if (repld_str_eq(name, "max-uploads")) {
        repld_list_max_uploads(ls, value);

    } else {
        return 0;
    }

    return 1;
}


static void
repld_list_max_uploads(repld_list_t *ls, s3_str_t *value)
{
    int64_t  n;

    n = repld_list_number(value);

    if (n < 0) {
        repld_list_invalid(ls, "Provided max-uploads not an integer or "
                           "within integer range", "max-uploads", value);
        return;
    }

    ls->max_uploads = (n > REPLD_LIST_MAX_KEYS) ? REPLD_LIST_MAX_KEYS : n;
}


/* a decimal number up to 2147483647, or -1 */

static int64_t
repld_list_number(s3_str_t *value)
{
    size_t   i;
    int64_t  n;

    n = 0;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < '0' || value->data[i] > '9') {
            return -1;
        }

        n = n * 10 + (value->data[i] - '0');

        if (n > 2147483647) {
            return -1;
        }
    }

    return value->len ? n : -1;
}


static void
repld_list_max_keys(repld_list_t *ls, s3_str_t *value)
{
    size_t   i;
    int64_t  n;

    if (value->len > 1 && value->data[0] == '-') {
        for (i = 1; i < value->len; i++) {
            if (value->data[i] < '0' || value->data[i] > '9') {
                break;
            }
        }

        if (i == value->len && value->len <= 11) {
            repld_list_invalid(ls, "Argument maxKeys must be an integer "
                               "between 0 and 2147483647", "maxKeys",
                               value);
            return;
        }
    }

    n = 0;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < '0' || value->data[i] > '9') {
            break;
        }

        n = n * 10 + (value->data[i] - '0');

        if (n > 2147483647) {
            break;
        }
    }

    if (value->len == 0 || i != value->len) {
        repld_list_invalid(ls, "Provided max-keys not an integer or within "
                           "integer range", "max-keys", value);
        return;
    }

    ls->max_keys = (n > REPLD_LIST_MAX_KEYS) ? REPLD_LIST_MAX_KEYS : n;
}


static void
repld_list_invalid(repld_list_t *ls, const char *message,
    const char *arg_name, s3_str_t *arg_value)
{
    if (ls->error != NULL) {
        return;
    }

    ls->error = message;
    ls->arg_name = arg_name;

    if (arg_value != NULL) {
        ls->arg_value = *arg_value;
    }
}


/* the key to list after: the token wins over start-after, as in S3 */

static void
repld_list_resume(repld_list_t *ls)
{
    ssize_t  n;

    if (ls->uploads) {
        ls->resume = ls->key_marker;
        ls->max_keys = ls->max_uploads;
        return;
    }

    if (!ls->v2) {
        ls->resume = ls->marker;
        return;
    }

    if (!ls->has_token) {
        ls->resume = ls->start_after;
        return;
    }

    n = repld_list_token_decode(ls->resume_buf, ls->token.data,
                                ls->token.len);
    if (n < 0) {
        repld_list_invalid(ls, "The continuation token provided is "
                           "incorrect", "continuation-token", &ls->token);
        return;
    }

    ls->resume.data = ls->resume_buf;
    ls->resume.len = (size_t) n;
}


/* returns 1, or -1 with errno (ENOMEM: no answer can be made) */

static int
repld_list_scan(repld_list_t *ls, repld_catalog_t *cat)
{
    int              rc, err;
    size_t           len, klen;
    const char      *key;
    repld_cursor_t  *c;

    ls->entries = malloc((ls->max_keys ? ls->max_keys : 1)
                         * sizeof(repld_list_entry_t));
    if (ls->entries == NULL) {
        return -1;
    }

    c = ls->uploads
        ? repld_cursor_open_uploads(cat, ls->req.bucket.data,
                                    ls->req.bucket.len)
        : repld_cursor_open(cat, ls->req.bucket.data, ls->req.bucket.len);
    if (c == NULL) {
        return -1;
    }

    rc = repld_list_start(ls, c);

    while (rc == 0 && repld_cursor_valid(c)) {
        key = repld_cursor_key(c, &len);
        klen = repld_list_key_len(ls, key, len);

        if (!repld_str_starts(key, klen, &ls->prefix)) {
            break;
        }

        if (ls->nentries == (size_t) ls->max_keys) {
            ls->truncated = (ls->max_keys != 0);
            break;
        }

        rc = repld_list_step(ls, c, key, klen, len);
    }

    err = errno;
    repld_cursor_close(c);
    errno = err;

    return (rc == -1) ? -1 : 1;
}


/*
 * Positions the cursor on the first key to list.  S3 returns only entries
 * after the resume key, and a CommonPrefix sorts before every key it
 * holds: when the resume key lies in a CommonPrefix (it has the delimiter
 * after the prefix), that CommonPrefix was returned by a previous page or
 * sorts before the resume key, so all of its keys are skipped.  Returns
 * 0, or 1 when nothing is left.
 */

static int
repld_list_start(repld_list_t *ls, repld_cursor_t *c)
{
    size_t           len;
    const char      *key, *d;
    const s3_str_t  *r, *p, *dl;

    r = &ls->resume;
    p = &ls->prefix;
    dl = &ls->delimiter;

    if (r->len == 0 || repld_str_cmp(r, p) < 0) {
        repld_cursor_seek(c, p->len ? p->data : "", p->len);
        return 0;
    }

    if (dl->len && repld_str_starts(r->data, r->len, p)) {
        d = memmem(r->data + p->len, r->len - p->len, dl->data, dl->len);

        if (d != NULL) {
            return repld_list_skip_prefix(c, r->data,
                                          d - r->data + dl->len)
                   ? 0 : 1;
        }
    }

    if (ls->uploads) {
        return repld_list_start_upload(ls, c);
    }

    repld_cursor_seek(c, r->data, r->len);

    if (repld_cursor_valid(c)) {
        key = repld_cursor_key(c, &len);

        if (len == r->len && memcmp(key, r->data, len) == 0) {
            repld_cursor_next(c);
        }
    }

    return 0;
}


/*
 * After key-marker alone, every upload of that key is skipped (they sort
 * as key "\0" upload id, so "\0" + 1 follows them all); with an
 * upload-id-marker, the uploads of that key with a greater id are kept.
 */

static int
repld_list_start_upload(repld_list_t *ls, repld_cursor_t *c)
{
    char             buf[REPLD_LIST_SEEK_MAX];
    size_t           len, klen;
    const char      *key;
    const s3_str_t  *r, *id;

    r = &ls->resume;
    id = &ls->upload_id_marker;

    if (r->len > S3_KEY_MAX_LEN || id->len > REPLD_UPLOAD_ID_MAX) {
        return repld_list_skip_prefix(c, r->data, r->len) ? 0 : 1;
    }

    memcpy(buf, r->data, r->len);
    buf[r->len] = '\0';

    if (id->len == 0) {
        return repld_list_skip_prefix(c, buf, r->len + 1) ? 0 : 1;
    }

    memcpy(buf + r->len + 1, id->data, id->len);
    len = r->len + 1 + id->len;

    repld_cursor_seek(c, buf, len);

    if (repld_cursor_valid(c)) {
        key = repld_cursor_key(c, &klen);

        if (klen == len && memcmp(key, buf, len) == 0) {
            repld_cursor_next(c);
        }
    }

    return 0;
}


/* the S3 key of a cursor key: all of it, or up to " \0" upload id */

static size_t
repld_list_key_len(repld_list_t *ls, const char *key, size_t len)
{
    const char  *nul;

    if (!ls->uploads) {
        return len;
    }

    nul = memrchr(key, '\0', len);

    return nul ? (size_t) (nul - key) : len;
}


/* adds the current key or its CommonPrefix; 0, 1: nothing left, -1 */

static int
repld_list_step(repld_list_t *ls, repld_cursor_t *c, const char *key,
    size_t klen, size_t len)
{
    size_t           n;
    const char      *d;
    repld_object_t   obj;
    const s3_str_t  *p, *dl;

    p = &ls->prefix;
    dl = &ls->delimiter;

    d = dl->len ? memmem(key + p->len, klen - p->len, dl->data, dl->len)
                : NULL;

    if (d != NULL) {
        n = d - key + dl->len;

        if (repld_list_add(ls, key, n, NULL) != 0) {
            return -1;
        }

        return repld_list_skip_prefix(c,
                   ls->names.data + ls->entries[ls->nentries - 1].off, n)
               ? 0 : 1;
    }

    if (ls->uploads) {
        return repld_list_add_upload(ls, c, key, klen, len);
    }

    /* a damaged catalog value is not listed */

    if (repld_cursor_object(c, &obj) == 0
        && repld_list_add(ls, key, len, &obj) != 0)
    {
        return -1;
    }

    repld_cursor_next(c);

    return 0;
}


/*
 * Seeks past every key that starts with s: to s with its last byte
 * incremented, trailing 0xff bytes dropped.  Returns 0 when no key can
 * follow them.
 */

static int
repld_list_add_upload(repld_list_t *ls, repld_cursor_t *c, const char *key,
    size_t klen, size_t len)
{
    repld_list_entry_t  *e;

    e = &ls->entries[ls->nentries];

    /* a damaged catalog value is not listed */

    if (klen < len && repld_cursor_upload(c, &e->u.upload) == 0) {
        e->off = ls->names.len;
        e->len = klen;
        e->prefix = 0;
        e->id_len = len - klen - 1;

        if (repld_buf_add(&ls->names, key, klen) != 0
            || repld_buf_add(&ls->names, key + klen + 1, e->id_len) != 0)
        {
            return -1;
        }

        ls->nentries++;
        ls->nkeys++;
    }

    repld_cursor_next(c);

    return 0;
}


static int
repld_list_skip_prefix(repld_cursor_t *c, const char *s, size_t len)
{
    char  buf[REPLD_LIST_SEEK_MAX];

    if (len > REPLD_LIST_SEEK_MAX) {

        /* no key is that long: the first key >= s follows them all */

        repld_cursor_seek(c, s, len);
        return 1;
    }

    while (len && (unsigned char) s[len - 1] == 0xff) {
        len--;
    }

    if (len == 0) {
        return 0;
    }

    memcpy(buf, s, len);
    buf[len - 1] = (char) ((unsigned char) buf[len - 1] + 1);

    repld_cursor_seek(c, buf, len);

    return 1;
}


static int
repld_list_add(repld_list_t *ls, const char *name, size_t len,
    const repld_object_t *obj)
{
    repld_list_entry_t  *e;

    e = &ls->entries[ls->nentries];

    e->off = ls->names.len;
    e->len = len;
    e->prefix = (obj == NULL);
    e->id_len = 0;

    if (obj != NULL) {
        e->u.obj = *obj;
        ls->nkeys++;
    }

    if (repld_buf_add(&ls->names, name, len) != 0) {
        return -1;
    }

    ls->nentries++;

    return 0;
}


/* appends the response frame: u32 length | u16 status | XML */

static int
repld_list_respond(repld_list_t *ls, int scanned, repld_buf_t *out)
{
    int        rc;
    size_t     start;
    unsigned   status;

    if (repld_buf_frame_open(out, &start) != 0) {
        return -1;
    }

    if (ls->error != NULL) {
        status = 400;
        rc = repld_list_xml_error(ls, "InvalidArgument", ls->error, out);

    } else if (scanned == -1) {
        status = 500;
        ls->arg_name = NULL;
        rc = repld_list_xml_error(ls, "InternalError", "We encountered an "
                                  "internal error. Please try again.", out);

    } else {
        status = 200;
        rc = ls->uploads ? repld_list_xml_uploads(ls, out)
                         : repld_list_xml(ls, out);
    }

    if (rc != 0) {
        return -1;
    }

    repld_buf_frame_close(out, start, status);

    return 0;
}


static int
repld_str_eq(const s3_str_t *s, const char *c)
{
    size_t  len;

    len = strlen(c);

    return s->len == len && memcmp(s->data, c, len) == 0;
}


static int
repld_str_starts(const char *s, size_t len, const s3_str_t *p)
{
    return len >= p->len && (p->len == 0 || memcmp(s, p->data, p->len) == 0);
}


static int
repld_str_cmp(const s3_str_t *a, const s3_str_t *b)
{
    int     rc;
    size_t  n;

    n = (a->len < b->len) ? a->len : b->len;

    rc = n ? memcmp(a->data, b->data, n) : 0;

    if (rc != 0) {
        return rc;
    }

    return (a->len > b->len) - (a->len < b->len);
}
