
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "s3_line.h"
#include "s3_uri.h"


int
s3_line_token(char *buf, size_t *len, size_t size, const char *name,
    const char *value, size_t value_len)
{
    char    *p;
    size_t   name_len, need;

    name_len = strlen(name);
    need = 1 + name_len + 1 + s3_uri_encode(NULL, value, value_len, 0);

    if (*len + need > size) {
        errno = ENOSPC;
        return S3_ERR;
    }

    p = buf + *len;

    *p++ = ' ';
    memcpy(p, name, name_len);
    p += name_len;
    *p++ = '=';
    s3_uri_encode(p, value, value_len, 0);

    *len += need;

    return S3_OK;
}


ssize_t
s3_line_format(char *buf, size_t size, const char *kind,
    const char *const *names, const s3_str_t *values, size_t n)
{
    size_t  i, len;

    len = strlen(kind);

    if (len >= size) {
        errno = ENOSPC;
        return -1;
    }

    memcpy(buf, kind, len);

    for (i = 0; i < n; i++) {
        if (s3_line_token(buf, &len, size - 1, names[i], values[i].data,
                          values[i].len)
            != S3_OK)
        {
            return -1;
        }
    }

    buf[len++] = '\n';

    return len;
}


int
s3_line_number(char *buf, size_t *len, size_t size, const char *name,
    uint64_t n)
{
    int   k;
    char  num[24];

    k = snprintf(num, sizeof(num), "%llu", (unsigned long long) n);

    return s3_line_token(buf, len, size, name, num, k);
}


s3_str_t
s3_line_kind(char *line, char *end, char **pos)
{
    char      *p;
    s3_str_t   kind;

    for (p = line; p < end && *p != ' '; p++) {
        /* void */
    }

    kind.data = line;
    kind.len = p - line;

    *pos = p;

    return kind;
}


int
s3_line_next(char **pos, char *end, s3_str_t *name, s3_str_t *value)
{
    char     *p, *start, *eq;
    ssize_t   n;

    p = *pos;

    while (p < end && *p == ' ') {
        p++;
    }

    if (p == end) {
        *pos = p;
        return 0;
    }

    start = p;
    eq = NULL;

    for ( /* void */ ; p < end && *p != ' '; p++) {
        if (*p == '=' && eq == NULL) {
            eq = p;
        }
    }

    if (eq == NULL || eq == start) {
        errno = EINVAL;
        return S3_ERR;
    }

    n = s3_uri_decode(eq + 1, eq + 1, p - (eq + 1), 0);
    if (n == -1) {
        return S3_ERR;
    }

    name->data = start;
    name->len = eq - start;
    value->data = eq + 1;
    value->len = n;

    *pos = p;

    return 1;
}


int64_t
s3_line_fields(char *pos, char *end, const char *const *names, size_t n,
    s3_str_t *values)
{
    int       rc;
    size_t    i;
    int64_t   seen;
    s3_str_t  name, value;

    seen = 0;

    while ((rc = s3_line_next(&pos, end, &name, &value)) == 1) {
        for (i = 0; i < n && i < 32; i++) {
            if (strlen(names[i]) == name.len
                && memcmp(names[i], name.data, name.len) == 0)
            {
                values[i] = value;
                seen |= (int64_t) 1 << i;
                break;
            }
        }
    }

    return (rc == S3_ERR) ? S3_ERR : seen;
}


int
s3_line_parse_number(const s3_str_t *value, uint64_t *n)
{
    size_t    i;
    uint64_t  v;

    if (value->len == 0 || value->len > 20) {
        errno = EINVAL;
        return S3_ERR;
    }

    v = 0;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < '0' || value->data[i] > '9'
            || v > (UINT64_MAX - (value->data[i] - '0')) / 10)
        {
            errno = EINVAL;
            return S3_ERR;
        }

        v = v * 10 + (value->data[i] - '0');
    }

    *n = v;

    return S3_OK;
}
