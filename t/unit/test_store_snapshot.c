
/*
 * Copyright (C) ngx_s3 developers
 *
 * Snapshots in mkdtemp() stores: a bucket with a plain object, a
 * multipart object and a foreign file is captured by hard links (the
 * same inodes) and by copies (other inodes, the same bytes); the MANIFEST
 * line of each object parses back; the check finds a missing part file
 * and a manifest that does not match; a restore lays the snapshot out
 * again.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_journal.h"
#include "s3_line.h"
#include "s3_place.h"
#include "s3_store.h"
#include "s3_store_int.h"
#include "s3_store_snapshot.h"
#include "test.h"
#include "test_tmpstore.h"


#define BUCKET   "snap"


typedef struct {
    int                   n;
    char                  lines[4][S3_SNAPSHOT_LINE_MAX];
} test_lines_t;


static void test_fill(const s3_store_t *st, char *id);
static void test_capture(const char *root, const char *snap, int copy,
    const char *id);
static void test_check(const char *snap, test_lines_t *t, const char *id);
static void test_restore(const char *snap, const char *to, test_lines_t *t);
static int test_collect(const s3_record_t *rec, void *data);
static int test_entry(test_lines_t *t, const char *key,
    s3_snapshot_entry_t *e);
static int test_same_file(const char *a, const char *b, const char *rel);
static int test_put(const s3_store_t *st, const char *key, const char *data,
    size_t len);


int
main(void)
{
    char          root[] = "/tmp/s3_snap_XXXXXX", id[S3_UPLOAD_ID_LEN + 1];
    char          snap[PATH_MAX], copy[PATH_MAX];
    s3_hlc_t      clock;
    s3_store_t    st;
    s3_journal_t  journal;

    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_store_open(root, &st, &clock, &journal, 0);

    snprintf(snap, sizeof(snap), "%s/tmp/snap", root);
    snprintf(copy, sizeof(copy), "%s/tmp/copy", root);

    test_fill(&st, id);
    test_capture(root, snap, 0, id);
    test_capture(root, copy, 1, id);

    s3_journal_close(&journal);

    return test_store_report("test_store_snapshot", root);
}


/* a plain object "p", a multipart object "m" of one part, a stray file */

static void
test_fill(const s3_store_t *st, char *id)
{
    int                  fd;
    char                 tmp[PATH_MAX], path[PATH_MAX];
    s3_record_t          rec;
    unsigned char        table[S3_RECORD_PART_LEN];
    s3_store_part_t      part;
    s3_store_complete_t  c;

    test_cond("bucket", s3_store_create_bucket(st, BUCKET, 4, "alice", 5)
                        == S3_OK);
    test_cond("plain object", test_put(st, "p", "plain", 5) == S3_OK);

    memset(&rec, 0, sizeof(rec));
    rec.bucket.data = BUCKET;
    rec.bucket.len = 4;
    rec.key.data = "m";
    rec.key.len = 1;
    test_cond("upload", s3_store_create_upload(st, &rec, id) == S3_OK);

    snprintf(tmp, sizeof(tmp), "%s/tmp/part", st->root);
    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    test_cond("part temp file", fd != -1 && write(fd, "part1", 5) == 5);

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_PART;
    rec.bucket.data = BUCKET;
    rec.bucket.len = 4;
    rec.key.data = "m";
    rec.key.len = 1;
    rec.upload_id.data = id;
    rec.upload_id.len = S3_UPLOAD_ID_LEN;
    rec.part_number = 1;
    rec.size = 5;
    memset(rec.md5, 7, S3_MD5_LEN);
    test_cond("part", s3_store_commit_part(st, fd, tmp, &rec) == S3_OK);
    close(fd);

    memset(&part, 0, sizeof(part));
    part.number = 1;
    memset(part.md5, 7, S3_MD5_LEN);

    memset(&c, 0, sizeof(c));
    c.bucket.data = BUCKET;
    c.bucket.len = 4;
    c.key.data = "m";
    c.key.len = 1;
    c.upload_id.data = id;
    c.upload_id.len = S3_UPLOAD_ID_LEN;
    c.parts = &part;
    c.nparts = 1;
    c.table = table;
    test_cond("complete", s3_store_complete_upload(st, &c) == S3_OK);

    snprintf(path, sizeof(path), "%s/buckets/" BUCKET "/obj/00", st->root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/buckets/" BUCKET "/obj/00/00", st->root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/buckets/" BUCKET "/obj/00/00/stray",
             st->root);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    test_cond("stray file", fd != -1 && write(fd, "junk", 4) == 4);
    close(fd);
}


static void
test_capture(const char *root, const char *snap, int copy, const char *id)
{
    char           rel[S3_PLACE_MAX_LEN], to[PATH_MAX];
    s3_snapshot_t  sn;
    test_lines_t   t;

    test_section(copy ? "capture by copies" : "capture by hard links");

    memset(&sn, 0, sizeof(sn));
    memset(&t, 0, sizeof(t));
    sn.from = root;
    sn.to = snap;
    sn.copy = copy;

    test_cond("FORMAT", s3_snapshot_file(&sn, S3_STORE_FORMAT_FILE) == S3_OK);
    test_cond("missing file", s3_snapshot_file(&sn, "users/NOSUCHKEY")
                              == S3_STORE_NOT_FOUND);
    test_cond("bucket", s3_snapshot_bucket(&sn, BUCKET, 4, test_collect, &t)
                        == S3_OK);
    test_cond("two objects", t.n == 2);
    test_cond("stray file left out", sn.skipped == 1);
    test_cond("files: FORMAT, two objects, one part", sn.files == 4);
    test_cond("mode kept", sn.copy == copy);

    s3_place_object(rel, sizeof(rel), BUCKET, 4, "p", 1);
    test_cond(copy ? "plain object copied" : "plain object linked",
              test_same_file(root, snap, rel) == (copy ? 0 : 1));

    s3_place_upload(rel, sizeof(rel), BUCKET, 4, id, S3_UPLOAD_ID_LEN, 1, 1);
    test_cond("part captured", test_same_file(root, snap, rel)
                               == (copy ? 0 : 1));

    test_check(snap, &t, id);

    snprintf(to, sizeof(to), "%s.restored", snap);
    test_restore(snap, to, &t);
}


static void
test_check(const char *snap, test_lines_t *t, const char *id)
{
    char                 path[PATH_MAX], rel[S3_PLACE_MAX_LEN];
    char                 moved[PATH_MAX + 8];
    s3_record_t          rec;
    s3_snapshot_entry_t  e;
    static unsigned char buf[S3_STORE_BUCKET_BUF];

    test_cond("plain line parses", test_entry(t, "p", &e) == S3_OK
                                   && e.size == 5 && e.parts == 0);
    test_cond("plain object checks",
              s3_snapshot_check(snap, &e, buf, sizeof(buf), &rec, path)
              == S3_OK);

    e.size = 6;
    test_cond("another size is told",
              s3_snapshot_check(snap, &e, buf, sizeof(buf), &rec, path)
              == S3_ERR && errno == EINVAL);

    test_cond("multipart line parses", test_entry(t, "m", &e) == S3_OK
                                       && e.parts == 1 && e.size == 5);
    test_cond("multipart object checks",
              s3_snapshot_check(snap, &e, buf, sizeof(buf), &rec, path)
              == S3_OK);

    s3_place_upload(rel, sizeof(rel), BUCKET, 4, id, S3_UPLOAD_ID_LEN, 1, 1);
    snprintf(path, sizeof(path), "%s/%s", snap, rel);
    snprintf(moved, sizeof(moved), "%s.moved", path);
    test_cond("part moved away", rename(path, moved) == 0);

    test_cond("a missing part is told",
              s3_snapshot_check(snap, &e, buf, sizeof(buf), &rec, path)
              == S3_ERR && errno == ENOENT && strstr(path, rel) != NULL);

    test_cond("part moved back", rename(moved, path) == 0);
}


static void
test_restore(const char *snap, const char *to, test_lines_t *t)
{
    char                 path[PATH_MAX], rel[S3_PLACE_MAX_LEN];
    s3_record_t          rec;
    s3_snapshot_t        sn;
    s3_snapshot_entry_t  e;
    static unsigned char buf[S3_STORE_BUCKET_BUF];

    memset(&sn, 0, sizeof(sn));
    sn.from = snap;
    sn.to = to;

    test_cond("restore: directory", mkdir(to, 0700) == 0);

    test_cond("restore: multipart object",
              test_entry(t, "m", &e) == S3_OK
              && s3_snapshot_check(snap, &e, buf, sizeof(buf), &rec, path)
                 == S3_OK
              && s3_place_object(rel, sizeof(rel), BUCKET, 4, "m", 1) != -1
              && s3_snapshot_file(&sn, rel) == S3_OK
              && s3_snapshot_parts(&sn, &rec) == S3_OK);

    test_cond("restore: the restored object checks",
              test_entry(t, "m", &e) == S3_OK
              && s3_snapshot_check(to, &e, buf, sizeof(buf), &rec, path)
                 == S3_OK);

    test_cond("restore: a file there already",
              s3_snapshot_file(&sn, rel) == S3_ERR && errno == EEXIST);
}


static int
test_collect(const s3_record_t *rec, void *data)
{
    ssize_t        n;
    test_lines_t  *t;

    t = data;

    if (t->n == 4) {
        return S3_ERR;
    }

    n = s3_snapshot_line(t->lines[t->n], S3_SNAPSHOT_LINE_MAX, rec);

    if (n <= 0 || t->lines[t->n][n - 1] != '\n') {
        return S3_ERR;
    }

    t->lines[t->n][n - 1] = '\0';
    t->n++;

    return S3_OK;
}


/* Parses (a copy of) the line of key. */

static int
test_entry(test_lines_t *t, const char *key, s3_snapshot_entry_t *e)
{
    int           i;
    char         *pos, needle[64];
    static char   line[S3_SNAPSHOT_LINE_MAX];

    snprintf(needle, sizeof(needle), " key=%s ", key);

    for (i = 0; i < t->n; i++) {
        if (strstr(t->lines[i], needle) != NULL) {
            break;
        }
    }

    if (i == t->n) {
        return S3_ERR;
    }

    strcpy(line, t->lines[i]);

    if (s3_line_kind(line, line + strlen(line), &pos).len != 6) {
        return S3_ERR;
    }

    return s3_snapshot_parse(pos, line + strlen(line), e);
}


/* 1: the same inode, 0: other inodes and the same bytes, -1: else */

static int
test_same_file(const char *a, const char *b, const char *rel)
{
    int          fa, fb, rc;
    char         pa[PATH_MAX], pb[PATH_MAX], ba[4096], bb[4096];
    ssize_t      na, nb;
    struct stat  sa, sb;

    snprintf(pa, sizeof(pa), "%s/%s", a, rel);
    snprintf(pb, sizeof(pb), "%s/%s", b, rel);

    if (stat(pa, &sa) == -1 || stat(pb, &sb) == -1) {
        return -1;
    }

    if (sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev) {
        return 1;
    }

    fa = open(pa, O_RDONLY);
    fb = open(pb, O_RDONLY);

    na = read(fa, ba, sizeof(ba));
    nb = read(fb, bb, sizeof(bb));

    rc = (na > 0 && na == nb && memcmp(ba, bb, na) == 0) ? 0 : -1;

    close(fa);
    close(fb);

    return rc;
}


static int
test_put(const s3_store_t *st, const char *key, const char *data,
    size_t len)
{
    int          fd, rc;
    char         tmp[PATH_MAX];
    s3_record_t  rec;

    snprintf(tmp, sizeof(tmp), "%s/tmp/put.%s", st->root, key);

    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1 || write(fd, data, len) != (ssize_t) len) {
        return S3_ERR;
    }

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_OBJECT;
    rec.bucket.data = BUCKET;
    rec.bucket.len = 4;
    rec.key.data = key;
    rec.key.len = strlen(key);
    rec.size = len;
    memset(rec.md5, 0xcd, S3_MD5_LEN);

    rc = s3_store_put_object(st, fd, tmp, &rec);

    close(fd);

    return rc;
}
