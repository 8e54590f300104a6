
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_journal.h"
#include "test.h"


static void test_round_trip(void);
static void test_stream(void);
static void test_torn_and_corrupt(void);
static void test_limits(void);
static void test_uploads(void);
static void test_upload_strict(void);
static void test_file(void);
static void test_reframe(unsigned char *buf, size_t plen);
static void test_entry(s3_journal_entry_t *e, s3_journal_op_e op,
    const char *bucket, const char *key);


int
main(void)
{
    test_round_trip();
    test_stream();
    test_torn_and_corrupt();
    test_limits();
    test_uploads();
    test_upload_strict();
    test_file();

    return test_report("test_journal");
}


static void
test_entry(s3_journal_entry_t *e, s3_journal_op_e op, const char *bucket,
    const char *key)
{
    memset(e, 0, sizeof(s3_journal_entry_t));
    e->op = op;
    e->hlc = 0x1122334455667788ULL;
    e->size = 1234567890123ULL;
    memcpy(e->md5, "fedcba9876543210", 16);
    e->bucket.data = bucket;
    e->bucket.len = strlen(bucket);
    e->key.data = key;
    e->key.len = strlen(key);
}


static void
test_round_trip(void)
{
    size_t              used;
    ssize_t             n;
    s3_journal_entry_t  e, d;
    unsigned char       buf[S3_JOURNAL_MAX_FRAME];

    test_section("round trip");

    test_entry(&e, S3_JOURNAL_PUT_OBJECT, "bucket", "dir/key");
    n = s3_journal_encode(&e, buf, sizeof(buf));
    test_cond("encoded length", n == 8 + 37 + 6 + 7);

    test_cond("decoded", s3_journal_decode(buf, n, &d, &used) == S3_OK
                         && used == (size_t) n);
    test_cond("fields", d.op == S3_JOURNAL_PUT_OBJECT
                        && d.hlc == e.hlc && d.size == e.size
                        && memcmp(d.md5, e.md5, 16) == 0);
    test_mem("bucket", d.bucket.data, d.bucket.len, "bucket");
    test_mem("key", d.key.data, d.key.len, "dir/key");

    test_entry(&e, S3_JOURNAL_DELETE_USER, "AKIAIOSFODNN7EXAMPLE", "");
    n = s3_journal_encode(&e, buf, sizeof(buf));
    test_cond("user change with an empty key",
              s3_journal_decode(buf, n, &d, &used) == S3_OK
              && d.op == S3_JOURNAL_DELETE_USER && d.key.len == 0
              && d.bucket.len == 20);

    test_cond("op names",
              strcmp(s3_journal_op_name(S3_JOURNAL_PUT_OBJECT), "put-object")
              == 0
              && strcmp(s3_journal_op_name(S3_JOURNAL_DELETE_BUCKET),
                        "delete-bucket") == 0
              && strcmp(s3_journal_op_name((s3_journal_op_e) 42), "unknown")
                 == 0);
}


static void
test_stream(void)
{
    int                 count, ok;
    size_t              off, used, len;
    ssize_t             n;
    s3_journal_entry_t  e, d;
    unsigned char       buf[4096];

    static const s3_journal_op_e  ops[] = {
        S3_JOURNAL_CREATE_BUCKET, S3_JOURNAL_PUT_OBJECT,
        S3_JOURNAL_DELETE_OBJECT, S3_JOURNAL_DELETE_BUCKET
    };

    test_section("stream of frames");

    len = 0;

    for (count = 0; count < 4; count++) {
        test_entry(&e, ops[count], "bkt", count % 2 ? "k" : "");
        e.hlc = count;
        n = s3_journal_encode(&e, buf + len, sizeof(buf) - len);
        len += n;
    }

    off = 0;
    count = 0;
    ok = 1;

    while (s3_journal_decode(buf + off, len - off, &d, &used) == S3_OK) {
        ok = ok && d.op == ops[count] && d.hlc == (uint64_t) count;
        off += used;
        count++;
    }

    test_cond("four frames read back in order", ok && count == 4);
    test_cond("the end is S3_AGAIN",
              off == len && s3_journal_decode(buf + off, 0, &d, &used)
                            == S3_AGAIN);
}


static void
test_torn_and_corrupt(void)
{
    size_t              i, used, again, bad;
    ssize_t             n;
    s3_journal_entry_t  e, d;
    unsigned char       buf[S3_JOURNAL_MAX_FRAME];

    test_section("torn and corrupt frames");

    test_entry(&e, S3_JOURNAL_PUT_OBJECT, "bucket", "some/key");
    n = s3_journal_encode(&e, buf, sizeof(buf));

    again = 0;

    for (i = 0; i < (size_t) n; i++) {
        if (s3_journal_decode(buf, i, &d, &used) == S3_AGAIN) {
            again++;
        }
    }

    test_cond("every truncation of the last frame is S3_AGAIN",
              again == (size_t) n);

    bad = 0;

    for (i = 0; i < (size_t) n; i++) {
        buf[i] ^= 0x01;

        if (s3_journal_decode(buf, n, &d, &used) == S3_OK) {
            bad++;
        }

        buf[i] ^= 0x01;
    }

    test_cond("no flipped byte decodes", bad == 0);

    buf[20] ^= 0x80;
    test_cond("flipped payload byte is S3_ERR EINVAL",
              s3_journal_decode(buf, n, &d, &used) == S3_ERR
              && errno == EINVAL);
    buf[20] ^= 0x80;

    buf[3] = 0x7f;
    test_cond("absurd length is S3_ERR EINVAL",
              s3_journal_decode(buf, n, &d, &used) == S3_ERR
              && errno == EINVAL);
    buf[3] = 0;

    memset(buf, 0, 16);
    test_cond("zeros are S3_ERR",
              s3_journal_decode(buf, 16, &d, &used) == S3_ERR);
}


static void
test_limits(void)
{
    char                big[1100];
    ssize_t             n;
    s3_journal_entry_t  e, d;
    size_t              used;
    unsigned char       buf[S3_JOURNAL_MAX_FRAME];

    test_section("limits");

    memset(big, 'b', sizeof(big));

    test_entry(&e, S3_JOURNAL_PUT_OBJECT, "b", "k");
    e.bucket.data = big;
    e.bucket.len = 255;
    e.key.data = big;
    e.key.len = 1024;

    n = s3_journal_encode(&e, buf, sizeof(buf));
    test_cond("largest put-object frame decodes",
              n == S3_JOURNAL_MAX_FRAME - 2 - S3_JOURNAL_MAX_UPLOAD_ID - 4
              && s3_journal_decode(buf, n, &d, &used) == S3_OK
              && d.key.len == 1024 && d.bucket.len == 255
              && d.upload_id.len == 0);

    e.op = S3_JOURNAL_COMPLETE_UPLOAD;
    e.upload_id.data = big;
    e.upload_id.len = S3_JOURNAL_MAX_UPLOAD_ID;
    e.parts = 10000;

    n = s3_journal_encode(&e, buf, sizeof(buf));
    test_cond("largest frame (complete-upload) fits S3_JOURNAL_MAX_FRAME",
              n == S3_JOURNAL_MAX_FRAME
              && s3_journal_decode(buf, n, &d, &used) == S3_OK
              && d.key.len == 1024 && d.bucket.len == 255
              && d.upload_id.len == S3_JOURNAL_MAX_UPLOAD_ID
              && d.parts == 10000);

    e.upload_id.len = S3_JOURNAL_MAX_UPLOAD_ID + 1;
    test_cond("upload id of 256 is ENAMETOOLONG",
              s3_journal_encode(&e, buf, sizeof(buf)) == -1
              && errno == ENAMETOOLONG);

    e.upload_id.len = 0;
    test_cond("upload op without an upload id is EINVAL",
              s3_journal_encode(&e, buf, sizeof(buf)) == -1
              && errno == EINVAL);

    e.op = S3_JOURNAL_PUT_OBJECT;

    e.bucket.len = 256;
    test_cond("bucket of 256 is ENAMETOOLONG",
              s3_journal_encode(&e, buf, sizeof(buf)) == -1
              && errno == ENAMETOOLONG);

    e.bucket.len = 3;
    e.key.len = 1025;
    test_cond("key of 1025 is ENAMETOOLONG",
              s3_journal_encode(&e, buf, sizeof(buf)) == -1
              && errno == ENAMETOOLONG);

    e.key.len = 3;
    test_cond("small buffer is ENOSPC",
              s3_journal_encode(&e, buf, 20) == -1 && errno == ENOSPC);
}


static void
test_uploads(void)
{
    int                 i, ok;
    size_t              used;
    ssize_t             n;
    s3_journal_entry_t  e, d;
    unsigned char       buf[S3_JOURNAL_MAX_FRAME];

    static const s3_journal_op_e  ops[] = {
        S3_JOURNAL_CREATE_UPLOAD, S3_JOURNAL_ABORT_UPLOAD,
        S3_JOURNAL_COMPLETE_UPLOAD
    };

    test_section("upload ops");

    ok = 1;

    for (i = 0; i < 3; i++) {
        test_entry(&e, ops[i], "bucket", "dir/key");
        e.upload_id.data = "upload-id-1";
        e.upload_id.len = 11;
        e.parts = 7;

        n = s3_journal_encode(&e, buf, sizeof(buf));

        ok = ok
             && n == 8 + 37 + 6 + 7 + 2 + 11
                     + (ops[i] == S3_JOURNAL_COMPLETE_UPLOAD ? 4 : 0)
             && s3_journal_decode(buf, n, &d, &used) == S3_OK
             && used == (size_t) n && d.op == ops[i] && d.hlc == e.hlc
             && d.size == e.size && memcmp(d.md5, e.md5, 16) == 0
             && d.upload_id.len == 11
             && memcmp(d.upload_id.data, "upload-id-1", 11) == 0
             && d.key.len == 7 && memcmp(d.key.data, "dir/key", 7) == 0
             && d.parts == (ops[i] == S3_JOURNAL_COMPLETE_UPLOAD ? 7 : 0);
    }

    test_cond("create, abort and complete round trip", ok);

    test_entry(&e, S3_JOURNAL_PUT_OBJECT, "bucket", "dir/key");
    e.upload_id.data = "ignored";
    e.upload_id.len = 7;
    e.parts = 3;
    n = s3_journal_encode(&e, buf, sizeof(buf));
    test_cond("put-object keeps its encoding (no upload id written)",
              n == 8 + 37 + 6 + 7
              && s3_journal_decode(buf, n, &d, &used) == S3_OK
              && d.upload_id.len == 0 && d.parts == 0);

    test_cond("upload op names",
              strcmp(s3_journal_op_name(S3_JOURNAL_CREATE_UPLOAD),
                     "create-upload") == 0
              && strcmp(s3_journal_op_name(S3_JOURNAL_ABORT_UPLOAD),
                        "abort-upload") == 0
              && strcmp(s3_journal_op_name(S3_JOURNAL_COMPLETE_UPLOAD),
                        "complete-upload") == 0
              && s3_journal_op_upload(S3_JOURNAL_ABORT_UPLOAD)
              && !s3_journal_op_upload(S3_JOURNAL_SEAL));
}


/* Rewrites the length and crc of a frame whose payload was edited. */

static void
test_reframe(unsigned char *buf, size_t plen)
{
    uint32_t  crc;

    buf[0] = (unsigned char) plen;
    buf[1] = (unsigned char) (plen >> 8);
    buf[2] = 0;
    buf[3] = 0;

    crc = s3_crc32c(0, buf + 8, plen);
    buf[4] = (unsigned char) crc;
    buf[5] = (unsigned char) (crc >> 8);
    buf[6] = (unsigned char) (crc >> 16);
    buf[7] = (unsigned char) (crc >> 24);
}


static void
test_upload_strict(void)
{
    size_t              used, plen;
    ssize_t             n;
    s3_journal_entry_t  e, d;
    unsigned char       buf[S3_JOURNAL_MAX_FRAME];

    test_section("strict decoding of the upload fields");

    test_entry(&e, S3_JOURNAL_CREATE_UPLOAD, "bucket", "key");
    e.upload_id.data = "uid";
    e.upload_id.len = 3;
    n = s3_journal_encode(&e, buf, sizeof(buf));
    plen = n - 8;

    buf[8] = S3_JOURNAL_PUT_OBJECT;
    test_reframe(buf, plen);
    test_cond("put-object with trailing bytes is S3_ERR",
              s3_journal_decode(buf, n, &d, &used) == S3_ERR
              && errno == EINVAL);

    buf[8] = S3_JOURNAL_COMPLETE_UPLOAD;
    test_reframe(buf, plen);
    test_cond("complete-upload without its part count is S3_ERR",
              s3_journal_decode(buf, n, &d, &used) == S3_ERR);

    buf[8] = S3_JOURNAL_ABORT_UPLOAD;
    test_reframe(buf, plen - 1);
    test_cond("upload id cut short is S3_ERR",
              s3_journal_decode(buf, n - 1, &d, &used) == S3_ERR);

    test_reframe(buf, plen - 5);
    test_cond("upload op without an upload id is S3_ERR",
              s3_journal_decode(buf, n - 5, &d, &used) == S3_ERR);

    buf[8] = S3_JOURNAL_COMPLETE_UPLOAD + 1;
    test_reframe(buf, plen);
    test_cond("op past complete-upload is S3_ERR",
              s3_journal_decode(buf, n, &d, &used) == S3_ERR);

    buf[8] = S3_JOURNAL_ABORT_UPLOAD;
    test_reframe(buf, plen);
    test_cond("abort-upload decodes after the edits",
              s3_journal_decode(buf, n, &d, &used) == S3_OK
              && d.op == S3_JOURNAL_ABORT_UPLOAD && d.upload_id.len == 3);
}


static void
test_file(void)
{
    int                 rfd;
    char                dir[] = "/tmp/s3_journal_XXXXXX";
    char                jdir[PATH_MAX], first[PATH_MAX];
    size_t              used, off;
    ssize_t             n, r;
    s3_journal_t        j;
    s3_journal_entry_t  e, d;
    unsigned char       buf[S3_JOURNAL_MAX_FRAME], back[4 * sizeof(buf)];

    test_section("journal file");

    if (mkdtemp(dir) == NULL) {
        test_cond("mkdtemp", 0);
        return;
    }

    snprintf(jdir, sizeof(jdir), "%s/" S3_JOURNAL_DIR, dir);
    mkdir(jdir, 0700);

    test_entry(&e, S3_JOURNAL_CREATE_BUCKET, "bucket", "");
    n = s3_journal_encode(&e, buf, sizeof(buf));

    /* room for two frames: the third moves to a new file */
    test_cond("opened", s3_journal_open(&j, dir, 2 * n) == S3_OK);
    test_cond("named <pid>-<ms>.jnl under journal/",
              strncmp(j.name, jdir, strlen(jdir)) == 0
              && strcmp(j.name + strlen(j.name) - 4, ".jnl") == 0
              && atoi(j.name + strlen(jdir) + 1) == (int) getpid());

    test_cond("two writes",
              s3_journal_write(&j, &e) == S3_OK
              && s3_journal_write(&j, &e) == S3_OK);

    strcpy(first, j.name);

    test_cond("a third write past the limit moves to a new file",
              s3_journal_write(&j, &e) == S3_OK
              && strcmp(first, j.name) != 0 && j.size == (uint64_t) n);

    rfd = open(first, O_RDONLY);
    r = read(rfd, back, sizeof(back));
    close(rfd);

    off = 0;
    test_cond("the first file holds both frames then a seal",
              r > 2 * n
              && s3_journal_decode(back, r, &d, &used) == S3_OK
              && (off = used) == (size_t) n
              && s3_journal_decode(back + off, r - off, &d, &used) == S3_OK
              && (off += used) == (size_t) (2 * n)
              && s3_journal_decode(back + off, r - off, &d, &used) == S3_OK
              && d.op == S3_JOURNAL_SEAL && off + used == (size_t) r);

    test_cond("close seals the second file",
              s3_journal_close(&j) == S3_OK);

    rfd = open(j.name, O_RDONLY);
    r = read(rfd, back, sizeof(back));
    close(rfd);

    test_cond("the second file holds the third frame then a seal",
              s3_journal_decode(back, r, &d, &used) == S3_OK
              && d.op == S3_JOURNAL_CREATE_BUCKET
              && s3_journal_decode(back + used, r - used, &d, &used) == S3_OK
              && d.op == S3_JOURNAL_SEAL);

    unlink(first);
    unlink(j.name);
    rmdir(jdir);
    rmdir(dir);
}
