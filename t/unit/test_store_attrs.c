
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_store_set_object_attrs() in a mkdtemp() store: the tags of a plain
 * and of a multipart object change, their data, headers, ETag and mtime
 * stay, the hlc grows; a missing object or bucket is told.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_journal.h"
#include "s3_place.h"
#include "s3_store.h"
#include "s3_store_int.h"
#include "test.h"
#include "test_tmpstore.h"


#define BUCKET   "tag"
#define BIG      S3_STORE_PART_MIN_SIZE


static void test_plain(const s3_store_t *st);
static void test_multipart(const s3_store_t *st);
static void test_missing(const s3_store_t *st);
static int test_tag(const s3_store_t *st, const char *key, const char *tags,
    size_t len);
static int test_read(const s3_store_t *st, const char *key,
    unsigned char *buf, s3_record_t *rec, char *data, size_t n);
static int test_file(const s3_store_t *st, const char *data, size_t len,
    char *tmp);


static int  test_tmps;


int
main(void)
{
    char          root[] = "/tmp/s3_attrs_XXXXXX";
    s3_hlc_t      clock;
    s3_store_t    st;
    s3_journal_t  journal;

    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_store_open(root, &st, &clock, &journal, 1);

    test_cond("bucket", s3_store_create_bucket(&st, BUCKET, 3, "alice", 5)
                        == S3_OK);

    test_plain(&st);
    test_multipart(&st);
    test_missing(&st);

    s3_journal_close(&journal);

    return test_store_report("test_store_attrs", root);
}


static void
test_plain(const s3_store_t *st)
{
    int            fd;
    char           tmp[PATH_MAX], data[16], path[PATH_MAX];
    s3_record_t    rec, old;
    unsigned char  buf[S3_STORE_UPLOAD_BUF], obuf[S3_STORE_UPLOAD_BUF];

    test_section("plain object");

    fd = test_file(st, "hello world", 11, tmp);

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_OBJECT;
    rec.bucket.data = BUCKET;
    rec.bucket.len = 3;
    rec.key.data = "k";
    rec.key.len = 1;
    rec.size = 11;
    rec.headers.data = "content-type\0text/x\0";
    rec.headers.len = 20;
    rec.acl.data = "public-read";
    rec.acl.len = 11;
    memset(rec.md5, 0xab, S3_MD5_LEN);

    test_cond("put", s3_store_put_object(st, fd, tmp, &rec) == S3_OK);
    close(fd);

    test_cond("read", test_read(st, "k", obuf, &old, NULL, 0) == S3_OK);

    usleep(5000);

    test_cond("set tags", test_tag(st, "k", "a\0b\0c\0\0", 6) == S3_OK);

    test_cond("read again",
              test_read(st, "k", buf, &rec, data, 11) == S3_OK);
    test_mem("data kept", data, 11, "hello world");
    test_cond("size, md5, mtime kept",
              rec.size == 11 && rec.mtime_ms == old.mtime_ms
              && memcmp(rec.md5, old.md5, S3_MD5_LEN) == 0);
    test_cond("hlc grows", rec.hlc > old.hlc);
    test_cond("headers, acl kept",
              rec.headers.len == 20 && rec.acl.len == 11
              && memcmp(rec.acl.data, "public-read", 11) == 0);
    test_cond("tags set", rec.tags.len == 6
                          && memcmp(rec.tags.data, "a\0b\0c\0", 6) == 0);

    test_cond("remove tags", test_tag(st, "k", "", 0) == S3_OK
                             && test_read(st, "k", buf, &rec, NULL, 0)
                                == S3_OK
                             && rec.tags.len == 0 && rec.size == 11);

    snprintf(path, sizeof(path), "%s/tmp", st->root);
    test_cond("no temp files left", rmdir(path) == 0 && mkdir(path, 0700)
                                                       == 0);
}


static void
test_multipart(const s3_store_t *st)
{
    int                  fd, i;
    char                 id[S3_UPLOAD_ID_LEN + 1], tmp[PATH_MAX];
    char                 rel[256], path[PATH_MAX];
    s3_record_t          rec, old;
    unsigned char        buf[S3_STORE_UPLOAD_BUF], obuf[S3_STORE_UPLOAD_BUF];
    unsigned char        table[2 * S3_RECORD_PART_LEN];
    struct stat          sb;
    s3_store_part_t      parts[2];
    s3_store_complete_t  c;
    static char          big[BIG];

    test_section("multipart object");

    memset(big, 'b', BIG);
    memset(parts, 0, sizeof(parts));

    memset(&rec, 0, sizeof(rec));
    rec.bucket.data = BUCKET;
    rec.bucket.len = 3;
    rec.key.data = "m";
    rec.key.len = 1;
    test_cond("create", s3_store_create_upload(st, &rec, id) == S3_OK);

    for (i = 0; i < 2; i++) {
        fd = test_file(st, i ? "tail" : big, i ? 4 : BIG, tmp);

        memset(&rec, 0, sizeof(rec));
        rec.kind = S3_RECORD_PART;
        rec.bucket.data = BUCKET;
        rec.bucket.len = 3;
        rec.key.data = "m";
        rec.key.len = 1;
        rec.upload_id.data = id;
        rec.upload_id.len = S3_UPLOAD_ID_LEN;
        rec.part_number = i + 1;
        rec.size = i ? 4 : BIG;
        memset(rec.md5, i, S3_MD5_LEN);

        test_cond("part", s3_store_commit_part(st, fd, tmp, &rec) == S3_OK);
        close(fd);

        parts[i].number = i + 1;
        memcpy(parts[i].md5, rec.md5, S3_MD5_LEN);
    }

    memset(&c, 0, sizeof(c));
    c.bucket.data = BUCKET;
    c.bucket.len = 3;
    c.key.data = "m";
    c.key.len = 1;
    c.upload_id.data = id;
    c.upload_id.len = S3_UPLOAD_ID_LEN;
    c.parts = parts;
    c.nparts = 2;
    c.table = table;
    test_cond("complete", s3_store_complete_upload(st, &c) == S3_OK);

    test_cond("read", test_read(st, "m", obuf, &old, NULL, 0) == S3_OK);
    test_cond("set tags", test_tag(st, "m", "x\0y\0", 4) == S3_OK);
    test_cond("read again", test_read(st, "m", buf, &rec, NULL, 0) == S3_OK);

    test_cond("parts, size, md5, mtime kept",
              rec.parts.len == 2 * S3_RECORD_PART_LEN
              && rec.size == BIG + 4 && rec.mtime_ms == old.mtime_ms
              && memcmp(rec.md5, old.md5, S3_MD5_LEN) == 0
              && rec.upload_id.len == S3_UPLOAD_ID_LEN);
    test_cond("tags set", rec.tags.len == 4 && rec.hlc > old.hlc);

    s3_place_upload(rel, sizeof(rel), BUCKET, 3, id, S3_UPLOAD_ID_LEN, 1, 2);
    snprintf(path, sizeof(path), "%s/%s", st->root, rel);
    test_cond("parts kept", stat(path, &sb) == 0);

    s3_place_object(rel, sizeof(rel), BUCKET, 3, "m", 1);
    snprintf(path, sizeof(path), "%s/%s", st->root, rel);
    test_cond("object file holds only the record",
              stat(path, &sb) == 0 && (uint64_t) sb.st_size < BIG);
}


static void
test_missing(const s3_store_t *st)
{
    s3_record_t  rec;

    test_section("missing");

    memset(&rec, 0, sizeof(rec));
    rec.bucket.data = BUCKET;
    rec.bucket.len = 3;
    rec.key.data = "nope";
    rec.key.len = 4;

    test_cond("no such key",
              s3_store_set_object_attrs(st, &rec, S3_STORE_ATTR_TAGS)
              == S3_STORE_NOT_FOUND);

    rec.bucket.data = "nob";
    test_cond("no such bucket",
              s3_store_set_object_attrs(st, &rec, S3_STORE_ATTR_TAGS)
              == S3_STORE_NO_BUCKET);
}


static int
test_tag(const s3_store_t *st, const char *key, const char *tags,
    size_t len)
{
    s3_record_t  rec;

    memset(&rec, 0, sizeof(rec));
    rec.bucket.data = BUCKET;
    rec.bucket.len = 3;
    rec.key.data = key;
    rec.key.len = strlen(key);
    rec.tags.data = tags;
    rec.tags.len = len;

    return s3_store_set_object_attrs(st, &rec, S3_STORE_ATTR_TAGS);
}


static int
test_read(const s3_store_t *st, const char *key, unsigned char *buf,
    s3_record_t *rec, char *data, size_t n)
{
    int          fd, rc;
    char         rel[256], path[PATH_MAX];
    size_t       need;
    struct stat  sb;

    s3_place_object(rel, sizeof(rel), BUCKET, 3, key, strlen(key));
    snprintf(path, sizeof(path), "%s/%s", st->root, rel);

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        return S3_ERR;
    }

    rc = S3_ERR;

    if (fstat(fd, &sb) == 0) {
        rc = s3_store_read_record(fd, sb.st_size, buf, S3_STORE_UPLOAD_BUF,
                                  rec, &need);
    }

    if (rc == S3_OK && data != NULL
        && pread(fd, data, n, 0) != (ssize_t) n)
    {
        rc = S3_ERR;
    }

    close(fd);

    return rc;
}


static int
test_file(const s3_store_t *st, const char *data, size_t len, char *tmp)
{
    int  fd;

    snprintf(tmp, PATH_MAX, "%s/tmp/attrs.%d", st->root, test_tmps++);

    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1 || write(fd, data, len) != (ssize_t) len) {
        return -1;
    }

    return fd;
}
