
/*
 * Copyright (C) ngx_s3 developers
 *
 * XML escaping, elements and times, and sending of XML and empty
 * responses.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


/*
 * Control characters other than tab, LF and CR cannot appear in XML 1.0
 * even as references; like S3, we write them as references anyway.
 */

size_t
ngx_http_s3_xml_escape_len(u_char *src, size_t len)
{
    size_t  n;

    for (n = len; len; len--, src++) {

        switch (*src) {

        case '<':
        case '>':
            n += sizeof("&lt;") - 2;
            break;

        case '&':
            n += sizeof("&amp;") - 2;
            break;

        case '"':
        case '\'':
            n += sizeof("&quot;") - 2;
            break;

        default:
            if (*src < 0x20) {
                n += sizeof("&#x00;") - 2;
            }

            break;
        }
    }

    return n;
}


u_char *
ngx_http_s3_xml_escape(u_char *dst, u_char *src, size_t len)
{
    u_char  c;

    while (len--) {
        c = *src++;

        switch (c) {

        case '<':
            dst = ngx_cpymem(dst, "&lt;", sizeof("&lt;") - 1);
            break;

        case '>':
            dst = ngx_cpymem(dst, "&gt;", sizeof("&gt;") - 1);
            break;

        case '&':
            dst = ngx_cpymem(dst, "&amp;", sizeof("&amp;") - 1);
            break;

        case '"':
            dst = ngx_cpymem(dst, "&quot;", sizeof("&quot;") - 1);
            break;

        case '\'':
            dst = ngx_cpymem(dst, "&apos;", sizeof("&apos;") - 1);
            break;

        default:
            if (c < 0x20) {
                dst = ngx_sprintf(dst, "&#x%02xd;", (int) c);
                break;
            }

            *dst++ = c;
            break;
        }
    }

    return dst;
}


u_char *
ngx_http_s3_xml_element(u_char *p, char *name, u_char *data, size_t len)
{
    size_t  n;

    n = ngx_strlen(name);

    *p++ = '<';
    p = ngx_cpymem(p, name, n);
    *p++ = '>';
    p = ngx_http_s3_xml_escape(p, data, len);
    *p++ = '<';
    *p++ = '/';
    p = ngx_cpymem(p, name, n);
    *p++ = '>';

    return p;
}


/* ISO 8601 with milliseconds, NGX_HTTP_S3_ISO8601_LEN bytes */

u_char *
ngx_http_s3_xml_time(u_char *p, uint64_t ms)
{
    ngx_tm_t  tm;

    ngx_gmtime((time_t) (ms / 1000), &tm);

    return ngx_sprintf(p, "%4d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                       (int) (ms % 1000));
}


ngx_int_t
ngx_http_s3_send_xml(ngx_http_request_t *r, ngx_uint_t status, ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;

    ngx_str_set(&r->headers_out.content_type, "application/xml");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_s3_send_empty(ngx_http_request_t *r, ngx_uint_t status)
{
    r->headers_out.status = status;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}
