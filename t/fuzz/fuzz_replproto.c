
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_replproto_decode() and _next() over a message from the network, and
 * each change's record as the receiver decodes it; a message that decodes
 * is encoded again and must give back the same bytes.
 */


#include "s3_replproto.h"
#include "fuzz.h"


static void fuzz_reencode(const unsigned char *data, size_t size,
    const s3_replproto_msg_t *msg);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                    rc;
    size_t                 need;
    s3_record_t            rec;
    s3_replproto_msg_t     msg;
    s3_replproto_iter_t    it;
    s3_replproto_change_t  c;

    if (s3_replproto_decode(data, size, &msg, &it) != S3_OK) {
        return 0;
    }

    if (msg.type == S3_REPLPROTO_ACK) {
        return 0;
    }

    while ((rc = s3_replproto_next(&it, &c)) == S3_OK) {
        fuzz_inside(c.name, data, size);
        fuzz_inside(c.key, data, size);
        fuzz_inside(c.record, data, size);

        if (c.record.len != 0
            && s3_record_decode((const unsigned char *) c.record.data,
                                c.record.len, c.record.len, &rec, &need)
               == S3_OK)
        {
            fuzz_inside(rec.holders, c.record.data, c.record.len);
            fuzz_inside(rec.key, c.record.data, c.record.len);
        }
    }

    if (rc == S3_REPLPROTO_DONE) {
        fuzz_reencode(data, size, &msg);
    }

    return 0;
}


static void
fuzz_reencode(const unsigned char *data, size_t size,
    const s3_replproto_msg_t *msg)
{
    size_t                 len;
    ssize_t                n;
    unsigned char         *buf;
    s3_replproto_iter_t    it;
    s3_replproto_msg_t     again;
    s3_replproto_change_t  c;

    buf = malloc(size);
    if (buf == NULL) {
        abort();
    }

    len = s3_replproto_encode(msg, buf, size);

    (void) s3_replproto_decode(data, size, &again, &it);

    while (s3_replproto_next(&it, &c) == S3_OK) {
        n = s3_replproto_encode_change(&c, buf + len, size - len);
        if (n == -1) {
            abort();
        }

        len += n;
    }

    if (len != size || memcmp(buf, data, size) != 0) {
        fprintf(stderr, "re-encoding gave other bytes\n");
        abort();
    }

    free(buf);
}
