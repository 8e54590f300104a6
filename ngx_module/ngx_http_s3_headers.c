
/*
 * Copyright (C) ngx_s3 developers
 *
 * The request headers the operations read, filed in one walk into
 * ctx->headers (s3_op.h names them), and the refusal of those asking for
 * what is not implemented.  nginx's own r->headers_in fields (If-Match,
 * Range, Content-Type...) are read there, not here.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_AC_REQUEST_LEN  (sizeof("access-control-request-") - 1)


/*
 * Only names that can be ours are looked up: x-amz-*, content-md5,
 * origin and access-control-request-*; the table search compares
 * lengths first, so the others cost a byte test.  Every request has an
 * Authorization header and most an Accept-Encoding, and SDKs add
 * amz-sdk-*: an a* name shorter than access-control-request-* is not
 * looked up at all.
 */

void
ngx_http_s3_read_headers(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    int               id;
    u_char            c;
    uint64_t          bit;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        c = h[i].lowcase_key[0];

        if (c != 'x' && c != 'c' && c != 'o'
            && (c != 'a' || h[i].key.len < NGX_HTTP_S3_AC_REQUEST_LEN))
        {
            continue;
        }

        id = s3_op_header((char *) h[i].lowcase_key, h[i].key.len);
        if (id < 0) {
            continue;
        }

        bit = (uint64_t) 1 << id;

        if ((bit & S3_HDR_NOT_IMPLEMENTED)
            && !s3_op_header_asks((s3_hdr_e) id, (char *) h[i].value.data,
                                  h[i].value.len))
        {
            continue;
        }

        if (id == S3_HDR_CHECKSUM) {
            ctx->checksums++;
        }

        if (ctx->headers[id] == NULL) {
            ctx->headers[id] = &h[i];
        }

        ctx->header_bits |= bit;
    }
}


ngx_http_s3_err_e
ngx_http_s3_refuse_header(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    s3_hdr_e hdr)
{
    u_char           *p;
    size_t            len;
    const char       *why;
    ngx_table_elt_t  *h;

    h = ctx->headers[hdr];
    why = s3_op_header_why(hdr);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 header \"%V\" of %s refused: %s",
                  &h->key, s3_ops[ctx->op].action, why);

    len = sizeof("The  header is not supported: .") - 1 + h->key.len
          + ngx_strlen(why);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    ctx->message.data = p;
    ctx->message.len = ngx_sprintf(p, "The %V header is not supported: %s.",
                                   &h->key, why)
                       - p;

    return NGX_HTTP_S3_NOT_IMPLEMENTED;
}
