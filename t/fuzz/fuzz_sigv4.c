
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_sigv4_parse_header() and s3_sigv4_parse_query(): every input is
 * given to both, as an Authorization value and as a raw query.
 */


#include "s3_sigv4.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char              *in, *buf;
    s3_sigv4_auth_t    auth;
    s3_sigv4_query_t   q;

    in = fuzz_copy(data, size);

    if (s3_sigv4_parse_header(in, size, &auth) == S3_OK) {
        fuzz_inside(auth.access_key, in, size);
        fuzz_inside(auth.date, in, size);
        fuzz_inside(auth.region, in, size);
        fuzz_inside(auth.service, in, size);
        fuzz_inside(auth.signed_headers, in, size);
        fuzz_inside(auth.signature, in, size);
    }

    /* "len bytes always suffice" for the decoded parameters */

    buf = fuzz_copy(data, size);

    if (s3_sigv4_parse_query(in, size, buf, size, &q) == S3_OK) {
        fuzz_inside(q.amz_date, buf, size);
        fuzz_inside(q.token, buf, size);
    }

    free(buf);
    free(in);

    return 0;
}
