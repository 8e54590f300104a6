
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <string.h>

#include "s3_cors.h"


#define S3_CORS_RULE  'R'


static int s3_cors_check(const s3_xml_cors_value_t *v);
static int s3_cors_put(char *buf, size_t size, size_t *n, int kind,
    const s3_str_t *value);
static s3_xml_cors_kind_e s3_cors_kind(int c);
static int s3_cors_allows(s3_cors_rule_t *rule,
    const s3_cors_request_t *req);
static int s3_cors_headers_allowed(const s3_cors_rule_t *rule,
    const s3_str_t *headers);
static int s3_cors_header_allowed(const s3_cors_rule_t *rule,
    const char *name, size_t len);
static int s3_cors_glob(const s3_str_t *pattern, const char *s, size_t len,
    int icase);
static int s3_cors_eq(const char *a, const char *b, size_t len, int icase);
static size_t s3_cors_stars(const s3_str_t *s);


/* indexed by s3_xml_cors_kind_e */
static const char  s3_cors_kinds[] = "\0IOMHEA";

static const s3_str_t  s3_cors_methods[] = {
    s3_string("GET"),
    s3_string("PUT"),
    s3_string("POST"),
    s3_string("DELETE"),
    s3_string("HEAD")
};


int
s3_cors_encode(const s3_xml_cors_t *doc, char *buf, size_t size,
    size_t *len, s3_str_t *bad)
{
    int                         rc;
    size_t                      i, j, n;
    static const s3_str_t       none = s3_null_string;
    const s3_xml_cors_rule_t   *r;
    const s3_xml_cors_value_t  *v;

    if (doc->nrules > S3_CORS_MAX_RULES) {
        bad->data = NULL;
        bad->len = 0;
        return S3_CORS_TOO_MANY;
    }

    if (size > S3_CORS_MAX_LEN) {
        size = S3_CORS_MAX_LEN;
    }

    n = 0;

    for (i = 0; i < doc->nrules; i++) {
        r = &doc->rules[i];

        if (r->first > doc->nvalues || r->n > doc->nvalues - r->first) {
            errno = EINVAL;
            return S3_ERR;
        }

        if (s3_cors_put(buf, size, &n, S3_CORS_RULE, &none) != S3_OK) {
            return S3_ERR;
        }

        for (j = 0; j < r->n; j++) {
            v = &doc->values[r->first + j];

            rc = s3_cors_check(v);
            if (rc != S3_OK) {
                *bad = v->value;
                return rc;
            }

            if (s3_cors_put(buf, size, &n, s3_cors_kinds[v->kind], &v->value)
                != S3_OK)
            {
                return S3_ERR;
            }
        }
    }

    *len = n;

    return S3_OK;
}


/* Returns S3_OK or the S3_CORS_* status that v is refused with. */

static int
s3_cors_check(const s3_xml_cors_value_t *v)
{
    size_t  i;

    switch (v->kind) {

    case S3_XML_CORS_ID:
        return (v->value.len > S3_CORS_MAX_ID_LEN) ? S3_CORS_BAD_ID : S3_OK;

    case S3_XML_CORS_ORIGIN:
        return (s3_cors_stars(&v->value) > 1) ? S3_CORS_BAD_ORIGIN : S3_OK;

    case S3_XML_CORS_HEADER:
        return (s3_cors_stars(&v->value) > 1) ? S3_CORS_BAD_HEADER : S3_OK;

    case S3_XML_CORS_METHOD:
        for (i = 0; i < sizeof(s3_cors_methods) / sizeof(s3_str_t); i++) {
            if (v->value.len == s3_cors_methods[i].len
                && memcmp(v->value.data, s3_cors_methods[i].data,
                          v->value.len) == 0)
            {
                return S3_OK;
            }
        }

        return S3_CORS_BAD_METHOD;

    case S3_XML_CORS_MAX_AGE:
        if (v->value.len == 0 || v->value.len > 10) {
            return S3_CORS_BAD_MAX_AGE;
        }

        for (i = 0; i < v->value.len; i++) {
            if (v->value.data[i] < '0' || v->value.data[i] > '9') {
                return S3_CORS_BAD_MAX_AGE;
            }
        }

        return S3_OK;

    case S3_XML_CORS_EXPOSE:
        return S3_OK;

    default:
        errno = EINVAL;
        return S3_ERR;
    }
}


static int
s3_cors_put(char *buf, size_t size, size_t *n, int kind,
    const s3_str_t *value)
{
    if (size - *n < value->len + 2) {
        errno = ENOSPC;
        return S3_ERR;
    }

    if (value->len != 0 && memchr(value->data, '\0', value->len) != NULL) {
        errno = EINVAL;
        return S3_ERR;
    }

    buf[*n] = (char) kind;

    if (value->len != 0) {
        memcpy(buf + *n + 1, value->data, value->len);
    }

    buf[*n + 1 + value->len] = '\0';
    *n += value->len + 2;

    return S3_OK;
}


/* The kind an item byte names, or 0 (the rule mark or not a kind). */

static s3_xml_cors_kind_e
s3_cors_kind(int c)
{
    const char  *p;

    if (c == '\0') {
        return 0;
    }

    p = memchr(s3_cors_kinds, c, sizeof(s3_cors_kinds) - 1);

    return (p == NULL) ? 0 : (s3_xml_cors_kind_e) (p - s3_cors_kinds);
}


int
s3_cors_next_rule(const s3_str_t *cors, size_t *pos, s3_cors_rule_t *rule)
{
    const char  *p, *end, *nul;

    if (*pos >= cors->len) {
        return 0;
    }

    p = cors->data + *pos;
    end = cors->data + cors->len;

    if (end - p < 2 || p[0] != S3_CORS_RULE || p[1] != '\0') {
        errno = EINVAL;
        return S3_ERR;
    }

    p += 2;
    rule->items.data = p;

    while (p < end && *p != S3_CORS_RULE) {
        nul = memchr(p, '\0', end - p);

        if (s3_cors_kind(*p) == 0 || nul == NULL) {
            errno = EINVAL;
            return S3_ERR;
        }

        p = nul + 1;
    }

    rule->items.len = p - rule->items.data;
    rule->origin.data = NULL;
    rule->origin.len = 0;

    *pos = p - cors->data;

    return 1;
}


int
s3_cors_next_item(const s3_cors_rule_t *rule, size_t *pos,
    s3_xml_cors_kind_e *kind, s3_str_t *value)
{
    const char  *p, *end, *nul;

    if (*pos >= rule->items.len) {
        return 0;
    }

    p = rule->items.data + *pos;
    end = rule->items.data + rule->items.len;

    nul = memchr(p, '\0', end - p);
    if (nul == NULL) {
        *pos = rule->items.len;
        return 0;
    }

    *kind = s3_cors_kind(*p);
    value->data = p + 1;
    value->len = nul - p - 1;

    *pos = nul + 1 - rule->items.data;

    return 1;
}


int
s3_cors_match(const s3_str_t *cors, const s3_cors_request_t *req,
    s3_cors_rule_t *rule)
{
    int     rc;
    size_t  pos;

    pos = 0;

    for ( ;; ) {
        rc = s3_cors_next_rule(cors, &pos, rule);

        if (rc != 1 || s3_cors_allows(rule, req)) {
            return rc;
        }
    }
}


static int
s3_cors_allows(s3_cors_rule_t *rule, const s3_cors_request_t *req)
{
    int                 method;
    size_t              pos;
    s3_str_t            value;
    s3_xml_cors_kind_e  kind;

    method = 0;
    pos = 0;

    while (s3_cors_next_item(rule, &pos, &kind, &value)) {
        if (kind == S3_XML_CORS_ORIGIN && rule->origin.data == NULL
            && s3_cors_glob(&value, req->origin.data, req->origin.len, 0))
        {
            rule->origin = value;

        } else if (kind == S3_XML_CORS_METHOD
                   && value.len == req->method.len
                   && memcmp(value.data, req->method.data, value.len) == 0)
        {
            method = 1;
        }
    }

    if (rule->origin.data == NULL || !method
        || !s3_cors_headers_allowed(rule, &req->headers))
    {
        rule->origin.data = NULL;
        rule->origin.len = 0;
        return 0;
    }

    return 1;
}


/* Every name of the comma-separated list must match an AllowedHeader. */

static int
s3_cors_headers_allowed(const s3_cors_rule_t *rule, const s3_str_t *headers)
{
    const char  *p, *end, *name, *last;

    p = headers->data;
    end = p + headers->len;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        name = p;

        while (p < end && *p != ',') {
            p++;
        }

        last = p;

        while (last > name && (last[-1] == ' ' || last[-1] == '\t')) {
            last--;
        }

        if (last > name && !s3_cors_header_allowed(rule, name, last - name))
        {
            return 0;
        }
    }

    return 1;
}


static int
s3_cors_header_allowed(const s3_cors_rule_t *rule, const char *name,
    size_t len)
{
    size_t              pos;
    s3_str_t            value;
    s3_xml_cors_kind_e  kind;

    pos = 0;

    while (s3_cors_next_item(rule, &pos, &kind, &value)) {
        if (kind == S3_XML_CORS_HEADER && s3_cors_glob(&value, name, len, 1))
        {
            return 1;
        }
    }

    return 0;
}


/* pattern holds at most one '*', which matches any run of bytes */

static int
s3_cors_glob(const s3_str_t *pattern, const char *s, size_t len, int icase)
{
    size_t       pre, suf;
    const char  *star;

    star = memchr(pattern->data, '*', pattern->len);

    if (star == NULL) {
        return pattern->len == len && s3_cors_eq(pattern->data, s, len, icase);
    }

    pre = star - pattern->data;
    suf = pattern->len - pre - 1;

    return len >= pre + suf
           && s3_cors_eq(pattern->data, s, pre, icase)
           && s3_cors_eq(star + 1, s + len - suf, suf, icase);
}


static int
s3_cors_eq(const char *a, const char *b, size_t len, int icase)
{
    size_t         i;
    unsigned char  ca, cb;

    if (!icase) {
        return len == 0 || memcmp(a, b, len) == 0;
    }

    for (i = 0; i < len; i++) {
        ca = (unsigned char) a[i];
        cb = (unsigned char) b[i];

        if (ca >= 'A' && ca <= 'Z') {
            ca |= 0x20;
        }

        if (cb >= 'A' && cb <= 'Z') {
            cb |= 0x20;
        }

        if (ca != cb) {
            return 0;
        }
    }

    return 1;
}


static size_t
s3_cors_stars(const s3_str_t *s)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < s->len; i++) {
        n += (s->data[i] == '*');
    }

    return n;
}
