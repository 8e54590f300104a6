
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
static void test_file(void);
static void test_entry(s3_journal_entry_t *e, s3_journal_op_e op,
    const char *bucket, const char *key);


int
main(void)
{
    test_round_trip();
    test_stream();
    test_torn_and_corrupt();
    test_limits();
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
    test_cond("largest frame fits S3_JOURNAL_MAX_FRAME",
              n == S3_JOURNAL_MAX_FRAME
              && s3_journal_decode(buf, n, &d, &used) == S3_OK
              && d.key.len == 1024 && d.bucket.len == 255);

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
