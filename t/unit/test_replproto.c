
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdlib.h>

#include "s3_replproto.h"
#include "test.h"


static void test_round_trip(void);
static void test_ack(void);
static void test_strict(void);
static void test_encode_limits(void);
static size_t test_message(unsigned char *buf, size_t size, uint32_t count);


static const unsigned char  test_rec[] = "a record's bytes";


int
main(void)
{
    test_round_trip();
    test_ack();
    test_strict();
    test_encode_limits();

    return test_report("test_replproto");
}


/* CHANGES of origin 7 from sequence 100: a put with a record, a delete */

static size_t
test_message(unsigned char *buf, size_t size, uint32_t count)
{
    size_t                 len;
    ssize_t                n;
    s3_replproto_msg_t     msg;
    s3_replproto_change_t  c;

    memset(&msg, 0, sizeof(msg));
    msg.type = S3_REPLPROTO_CHANGES;
    msg.sender = 7;
    msg.cluster = s3_replproto_cluster("test", 4);
    msg.origin = 7;
    msg.seq = 100;
    msg.count = count;

    len = s3_replproto_encode(&msg, buf, size);

    memset(&c, 0, sizeof(c));
    c.op = S3_JOURNAL_PUT_OBJECT;
    c.hlc = 0x1122334455667788ULL;
    c.node = 7;
    c.name.data = "bucket";
    c.name.len = 6;
    c.key.data = "a/b";
    c.key.len = 3;
    c.record.data = (const char *) test_rec;
    c.record.len = sizeof(test_rec);

    n = s3_replproto_encode_change(&c, buf + len, size - len);
    len += n;

    c.op = S3_JOURNAL_DELETE_OBJECT;
    c.record.len = 0;
    c.key.len = 0;

    n = s3_replproto_encode_change(&c, buf + len, size - len);

    return len + n;
}


static void
test_round_trip(void)
{
    int                    rc;
    size_t                 len;
    unsigned char          buf[256];
    s3_replproto_msg_t     msg;
    s3_replproto_iter_t    it;
    s3_replproto_change_t  c;

    test_section("changes");

    len = test_message(buf, sizeof(buf), 2);

    test_cond("header", memcmp(buf, "S3RP\x01\x01\0\0\x07\0\0\0", 12) == 0);

    rc = s3_replproto_decode(buf, len, &msg, &it);
    test_cond("decodes",
              rc == S3_OK && msg.type == S3_REPLPROTO_CHANGES
              && msg.sender == 7 && msg.origin == 7 && msg.seq == 100
              && msg.count == 2
              && msg.cluster == s3_replproto_cluster("test", 4));

    rc = s3_replproto_next(&it, &c);
    test_cond("first change",
              rc == S3_OK && c.op == S3_JOURNAL_PUT_OBJECT
              && c.hlc == 0x1122334455667788ULL && c.node == 7
              && c.name.len == 6 && memcmp(c.name.data, "bucket", 6) == 0
              && c.key.len == 3 && memcmp(c.key.data, "a/b", 3) == 0
              && c.record.len == sizeof(test_rec)
              && memcmp(c.record.data, test_rec, sizeof(test_rec)) == 0);

    rc = s3_replproto_next(&it, &c);
    test_cond("second change: a deletion without record",
              rc == S3_OK && c.op == S3_JOURNAL_DELETE_OBJECT
              && c.key.len == 0 && c.record.len == 0);

    test_cond("then done", s3_replproto_next(&it, &c) == S3_REPLPROTO_DONE);
    test_cond("cluster hashes differ",
              s3_replproto_cluster("test", 4)
              != s3_replproto_cluster("tesu", 4));
}


static void
test_ack(void)
{
    unsigned char           buf[64];
    s3_replproto_msg_t      msg, out;
    s3_replproto_iter_t     it;

    test_section("ack");

    memset(&msg, 0, sizeof(msg));
    msg.type = S3_REPLPROTO_ACK;
    msg.sender = 9;
    msg.cluster = 3;
    msg.origin = 7;
    msg.seq = 0x0102030405060708ULL;

    test_cond("encodes to its length",
              s3_replproto_encode(&msg, buf, sizeof(buf))
              == S3_REPLPROTO_ACK_LEN);
    test_cond("decodes",
              s3_replproto_decode(buf, S3_REPLPROTO_ACK_LEN, &out, &it)
              == S3_OK
              && out.type == S3_REPLPROTO_ACK && out.sender == 9
              && out.cluster == 3 && out.origin == 7
              && out.seq == 0x0102030405060708ULL);
    test_cond("an ack of another length is EINVAL",
              s3_replproto_decode(buf, S3_REPLPROTO_ACK_LEN + 1, &out, &it)
              == S3_ERR && errno == EINVAL
              && s3_replproto_decode(buf, S3_REPLPROTO_ACK_LEN - 1, &out,
                                     &it) == S3_ERR);
    test_cond("too small a buffer is ENOSPC",
              s3_replproto_encode(&msg, buf, S3_REPLPROTO_ACK_LEN - 1) == -1
              && errno == ENOSPC);
}


static void
test_strict(void)
{
    int                    rc, ok;
    size_t                 len, cut;
    unsigned char          buf[256], copy[256];
    s3_replproto_msg_t     msg;
    s3_replproto_iter_t    it;
    s3_replproto_change_t  c;

    test_section("strict");

    len = test_message(buf, sizeof(buf), 2);

    /* every prefix of the message is refused, at the header or a change */

    ok = 1;

    for (cut = 0; cut < len; cut++) {
        if (s3_replproto_decode(buf, cut, &msg, &it) != S3_OK) {
            continue;
        }

        while ((rc = s3_replproto_next(&it, &c)) == S3_OK) {
            /* void */
        }

        if (rc != S3_ERR) {
            ok = 0;
        }
    }

    test_cond("every truncation is refused", ok);

    memcpy(copy, buf, len);
    copy[len] = 0;
    (void) s3_replproto_decode(copy, len + 1, &msg, &it);
    (void) s3_replproto_next(&it, &c);
    (void) s3_replproto_next(&it, &c);
    test_cond("a byte after the last change is refused",
              s3_replproto_next(&it, &c) == S3_ERR);

    len = test_message(buf, sizeof(buf), 3);
    (void) s3_replproto_decode(buf, len, &msg, &it);
    (void) s3_replproto_next(&it, &c);
    (void) s3_replproto_next(&it, &c);
    test_cond("fewer changes than the count are refused",
              s3_replproto_next(&it, &c) == S3_ERR);

    len = test_message(buf, sizeof(buf), 2);
    memcpy(copy, buf, len);
    copy[S3_REPLPROTO_CHANGES_LEN] = S3_JOURNAL_SEAL;
    (void) s3_replproto_decode(copy, len, &msg, &it);
    test_cond("an op that is not replicated is refused",
              s3_replproto_next(&it, &c) == S3_ERR);

    memcpy(copy, buf, len);
    copy[4] = 2;
    test_cond("another version is refused",
              s3_replproto_decode(copy, len, &msg, &it) == S3_ERR);

    memcpy(copy, buf, len);
    copy[5] = 3;
    test_cond("an unknown type is refused",
              s3_replproto_decode(copy, len, &msg, &it) == S3_ERR);

    memcpy(copy, buf, len);
    copy[0] = 'X';
    test_cond("another magic is refused",
              s3_replproto_decode(copy, len, &msg, &it) == S3_ERR);
}


static void
test_encode_limits(void)
{
    char                   *key;
    unsigned char           buf[64];
    s3_replproto_change_t   c;

    test_section("encode limits");

    memset(&c, 0, sizeof(c));
    c.op = S3_JOURNAL_PUT_OBJECT;
    c.name.data = "b";
    c.name.len = 1;

    test_cond("fits exactly",
              s3_replproto_encode_change(&c, buf, 1 + 8 + 4 + 2 + 1 + 2 + 4)
              == 1 + 8 + 4 + 2 + 1 + 2 + 4);
    test_cond("one byte short is ENOSPC",
              s3_replproto_encode_change(&c, buf, 1 + 8 + 4 + 2 + 1 + 2 + 3)
              == -1 && errno == ENOSPC);

    key = calloc(1, S3_REPLPROTO_KEY_MAX + 1);
    if (key == NULL) {
        abort();
    }

    c.key.data = key;
    c.key.len = S3_REPLPROTO_KEY_MAX + 1;
    test_cond("a key over 1024 bytes is ENAMETOOLONG",
              s3_replproto_encode_change(&c, buf, sizeof(buf)) == -1
              && errno == ENAMETOOLONG);
    free(key);

    c.key.len = 0;
    c.op = S3_JOURNAL_CREATE_UPLOAD;
    test_cond("an upload op is EINVAL",
              s3_replproto_encode_change(&c, buf, sizeof(buf)) == -1
              && errno == EINVAL);
}
