
/*
 * Copyright (C) ngx_s3 developers
 *
 * Multipart uploads in a mkdtemp() store: create, parts, list, complete
 * and its errors, copy, abort, the parts of replaced objects, the sweep,
 * the checksums of uploaded and copied parts.
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


#define BUCKET   "mpu"
#define BIG      S3_STORE_PART_MIN_SIZE


static int test_create(const s3_store_t *st, const char *key, char *id);
static int test_part(const s3_store_t *st, const char *key, const char *id,
    uint32_t number, const char *data, size_t len, unsigned char *md5);
static int test_complete(const s3_store_t *st, const char *key,
    const char *id, s3_store_part_t *parts, size_t n, s3_store_complete_t *c);
static int test_exists(const char *root, const char *bucket, const char *id,
    int completed, uint32_t part);
static int test_object(const s3_store_t *st, const char *key,
    unsigned char *buf, size_t size, s3_record_t *rec);
static int test_open_object(const s3_store_t *st, const char *key,
    unsigned char *buf, size_t size, s3_record_t *rec);
static void test_parts(const s3_store_t *st);
static void test_completion(const s3_store_t *st);
static void test_copy(const s3_store_t *st);
static void test_abort_sweep(const s3_store_t *st);
static void test_checksums(const s3_store_t *st);
static void test_copy_checksums(const s3_store_t *st);
static int test_copy_sum(const s3_store_t *st, s3_store_copy_t *cp,
    const char *key, char *id, const char *algo, const char *type);
static int test_create_sum(const s3_store_t *st, const char *key, char *id,
    const char *algo, const char *type);
static void test_raw(s3_cksum_algo_e algo, const char *data, size_t len,
    unsigned char *raw);


static char            *big;
static int              tmps;
static s3_cksum_algo_e  test_algo;   /* what test_part() gives its parts */


int
main(void)
{
    char          root[] = "/tmp/s3_mpu_XXXXXX";
    s3_hlc_t      clock;
    s3_store_t    st;
    s3_journal_t  journal;

    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    big = malloc(BIG);
    if (big == NULL) {
        return 1;
    }

    memset(big, 'b', BIG);

    test_store_open(root, &st, &clock, &journal, 0);

    test_cond("bucket", s3_store_create_bucket(&st, BUCKET, 3, "alice", 5)
                        == S3_OK);

    test_parts(&st);
    test_completion(&st);
    test_copy(&st);
    test_abort_sweep(&st);
    test_checksums(&st);
    test_copy_checksums(&st);

    s3_journal_close(&journal);
    free(big);

    return test_store_report("test_store_mpu", root);
}


static int
test_create(const s3_store_t *st, const char *key, char *id)
{
    s3_record_t  rec;

    memset(&rec, 0, sizeof(rec));
    rec.bucket.data = BUCKET;
    rec.bucket.len = strlen(BUCKET);
    rec.key.data = key;
    rec.key.len = strlen(key);
    rec.owner.data = "alice";
    rec.owner.len = 5;
    rec.headers.data = "content-type\0text/x\0";
    rec.headers.len = 20;

    return s3_store_create_upload(st, &rec, id);
}


static int
test_part(const s3_store_t *st, const char *key, const char *id,
    uint32_t number, const char *data, size_t len, unsigned char *md5)
{
    int             fd, rc;
    char            tmp[PATH_MAX], b64[S3_CKSUM_B64_MAX_LEN];
    s3_cksum_t      c;
    s3_digest_t     d;
    s3_record_t     rec;
    unsigned char   raw[S3_CKSUM_MAX_LEN];

    snprintf(tmp, sizeof(tmp), "%s/tmp/part.%d", st->root, tmps++);

    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1 || write(fd, data, len) != (ssize_t) len) {
        return S3_ERR;
    }

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_PART;
    rec.bucket.data = BUCKET;
    rec.bucket.len = strlen(BUCKET);
    rec.key.data = key;
    rec.key.len = strlen(key);
    rec.upload_id.data = id;
    rec.upload_id.len = strlen(id);
    rec.part_number = number;
    rec.size = len;

    s3_digest_init(&d, S3_DIGEST_MD5);
    s3_digest_update(&d, data, len);
    s3_digest_final(&d, rec.md5);
    s3_digest_free(&d);

    if (md5 != NULL) {
        memcpy(md5, rec.md5, S3_MD5_LEN);
    }

    if (test_algo != S3_CKSUM_NONE) {
        s3_cksum_init(&c, test_algo);
        s3_cksum_update(&c, data, len);
        s3_cksum_final(&c, raw);

        rec.checksum.data = s3_cksum_name(test_algo);
        rec.checksum.len = strlen(rec.checksum.data);
        rec.checksum_value.data = b64;
        rec.checksum_value.len = s3_base64_encode(b64, raw,
                                                  s3_cksum_len(test_algo));
    }

    rc = s3_store_commit_part(st, fd, tmp, &rec);

    close(fd);

    if (rc != S3_OK) {
        unlink(tmp);
    }

    return rc;
}


static int
test_complete(const s3_store_t *st, const char *key, const char *id,
    s3_store_part_t *parts, size_t n, s3_store_complete_t *c)
{
    static unsigned char  table[16 * S3_RECORD_PART_LEN];

    memset(c, 0, sizeof(s3_store_complete_t));
    c->bucket.data = BUCKET;
    c->bucket.len = strlen(BUCKET);
    c->key.data = key;
    c->key.len = strlen(key);
    c->upload_id.data = id;
    c->upload_id.len = strlen(id);
    c->parts = parts;
    c->nparts = n;
    c->table = table;

    return s3_store_complete_upload(st, c);
}


static int
test_exists(const char *root, const char *bucket, const char *id,
    int completed, uint32_t part)
{
    char         rel[256], path[PATH_MAX];
    struct stat  sb;

    s3_place_upload(rel, sizeof(rel), bucket, strlen(bucket), id,
                    strlen(id), completed, part);
    snprintf(path, sizeof(path), "%s/%s", root, rel);

    return stat(path, &sb) == 0;
}


static int
test_object(const s3_store_t *st, const char *key, unsigned char *buf,
    size_t size, s3_record_t *rec)
{
    char  rel[256], path[PATH_MAX];

    s3_place_object(rel, sizeof(rel), BUCKET, strlen(BUCKET), key,
                    strlen(key));
    snprintf(path, sizeof(path), "%s/%s", st->root, rel);

    return s3_store_read_record_file(path, buf, size, rec);
}


/* opens an object file and reads its record, as a copy's caller does */

static int
test_open_object(const s3_store_t *st, const char *key, unsigned char *buf,
    size_t size, s3_record_t *rec)
{
    int          fd;
    char         rel[256], path[PATH_MAX];
    size_t       need;
    struct stat  sb;

    s3_place_object(rel, sizeof(rel), BUCKET, strlen(BUCKET), key,
                    strlen(key));
    snprintf(path, sizeof(path), "%s/%s", st->root, rel);

    fd = open(path, O_RDONLY);

    if (fd == -1 || fstat(fd, &sb) == -1
        || s3_store_read_record(fd, sb.st_size, buf, size, rec, &need)
           != S3_OK)
    {
        return -1;
    }

    return fd;
}


static void
test_parts(const s3_store_t *st)
{
    int                   truncated;
    char                  id[S3_UPLOAD_ID_LEN + 1];
    size_t                n;
    uint32_t              node;
    s3_str_t              b, sid;
    s3_record_t           rec;
    unsigned char         buf[S3_STORE_UPLOAD_BUF];
    s3_store_part_info_t  info[4];

    test_section("create, parts, list");

    test_cond("create", test_create(st, "k", id) == S3_OK);
    test_cond("id is 32 hex digits", s3_upload_id_valid(id, strlen(id)));
    test_cond("id names this node",
              s3_upload_id_node(id, strlen(id), &node) == S3_OK
              && node == st->node_id);

    test_cond("read upload",
              s3_store_read_upload(st->root, BUCKET, 3, id, 32, buf,
                                   sizeof(buf), &rec) == S3_OK
              && rec.kind == S3_RECORD_UPLOAD && rec.key.len == 1
              && rec.owner.len == 5 && rec.mtime_ms != 0);
    test_cond("unknown id is NO_UPLOAD",
              s3_store_read_upload(st->root, BUCKET, 3,
                                   "0123456789abcdef0123456789abcdef", 32,
                                   buf, sizeof(buf), &rec)
              == S3_STORE_NO_UPLOAD);
    test_cond("bad id is NO_UPLOAD",
              s3_store_read_upload(st->root, BUCKET, 3, "../../x", 7, buf,
                                   sizeof(buf), &rec)
              == S3_STORE_NO_UPLOAD);

    test_cond("part 1", test_part(st, "k", id, 1, "one", 3, NULL) == S3_OK);
    test_cond("part 3", test_part(st, "k", id, 3, "three", 5, NULL)
                        == S3_OK);
    test_cond("part 2", test_part(st, "k", id, 2, "two", 3, NULL) == S3_OK);
    test_algo = S3_CKSUM_CRC32;
    test_cond("part 2 again, with a CRC32",
              test_part(st, "k", id, 2, "TWO!", 4, NULL) == S3_OK);
    test_algo = S3_CKSUM_NONE;
    test_cond("part of another key is NO_UPLOAD",
              test_part(st, "other", id, 1, "x", 1, NULL)
              == S3_STORE_NO_UPLOAD);
    test_cond("part of an unknown upload is NO_UPLOAD",
              test_part(st, "k", "0123456789abcdef0123456789abcdef", 1,
                        "x", 1, NULL)
              == S3_STORE_NO_UPLOAD);

    b.data = BUCKET;
    b.len = 3;
    sid.data = id;
    sid.len = 32;

    test_cond("list 2 of 3",
              s3_store_list_parts(st->root, &b, &sid, 0, info, 2, &n,
                                  &truncated) == S3_OK
              && n == 2 && truncated && info[0].number == 1
              && info[1].number == 2 && info[1].size == 4);
    test_cond("list: the part's checksum",
              info[0].checksum == S3_CKSUM_NONE && info[0].checksum_len == 0
              && info[1].checksum == S3_CKSUM_CRC32
              && info[1].checksum_len == 8
              && memcmp(info[1].checksum_value, "N1A8SA==", 8) == 0);
    test_cond("list after 2",
              s3_store_list_parts(st->root, &b, &sid, 2, info, 2, &n,
                                  &truncated) == S3_OK
              && n == 1 && !truncated && info[0].number == 3
              && info[0].size == 5);

    test_cond("abort", s3_store_abort_upload(st, &b, &(s3_str_t) { 1, "k" },
                                             &sid) == S3_OK);
    test_cond("aborted upload is gone", !test_exists(st->root, BUCKET, id,
                                                     0, 0));
    test_cond("abort twice is NO_UPLOAD",
              s3_store_abort_upload(st, &b, &(s3_str_t) { 1, "k" }, &sid)
              == S3_STORE_NO_UPLOAD);
    test_cond("list of aborted is NO_UPLOAD",
              s3_store_list_parts(st->root, &b, &sid, 0, info, 2, &n,
                                  &truncated) == S3_STORE_NO_UPLOAD);
}


static void
test_completion(const s3_store_t *st)
{
    int                  fd;
    char                 id[S3_UPLOAD_ID_LEN + 1], id2[S3_UPLOAD_ID_LEN + 1];
    char                 path[PATH_MAX], data[8];
    uint32_t             number;
    uint64_t             size;
    s3_record_t          rec;
    s3_digest_t          d;
    unsigned char        buf[S3_STORE_UPLOAD_BUF], etag[S3_MD5_LEN];
    s3_store_part_t      parts[3];
    s3_store_complete_t  c;

    test_section("complete");

    memset(parts, 0, sizeof(parts));
    test_create(st, "big", id);
    test_part(st, "big", id, 1, big, BIG, parts[0].md5);
    test_part(st, "big", id, 2, "small", 5, parts[1].md5);
    test_part(st, "big", id, 3, "tail", 4, parts[2].md5);
    test_part(st, "big", id, 7, "unlisted", 8, NULL);
    parts[0].number = 1;
    parts[1].number = 2;
    parts[2].number = 3;

    parts[1].md5[0] ^= 1;
    test_cond("wrong md5 is INVALID_PART",
              test_complete(st, "big", id, parts, 3, &c)
              == S3_STORE_INVALID_PART && c.bad_part == 2);
    parts[1].md5[0] ^= 1;

    parts[1].number = 4;
    test_cond("missing part is INVALID_PART",
              test_complete(st, "big", id, parts, 2, &c)
              == S3_STORE_INVALID_PART && c.bad_part == 4);
    parts[1].number = 2;

    test_cond("small middle part is TOO_SMALL",
              test_complete(st, "big", id, parts, 3, &c)
              == S3_STORE_TOO_SMALL && c.bad_part == 2);

    test_cond("the upload is intact", test_exists(st->root, BUCKET, id, 0,
                                                  2));

    parts[1] = parts[2];
    test_cond("complete 1, 3",
              test_complete(st, "big", id, parts, 2, &c) == S3_OK
              && c.rec.size == BIG + 4);

    s3_digest_init(&d, S3_DIGEST_MD5);
    s3_digest_update(&d, parts[0].md5, 16);
    s3_digest_update(&d, parts[1].md5, 16);
    s3_digest_final(&d, etag);
    s3_digest_free(&d);

    test_cond("md5 of the md5s", memcmp(c.rec.md5, etag, 16) == 0);
    test_cond("mpu dir gone", !test_exists(st->root, BUCKET, id, 0, 0));
    test_cond("parts dir holds 1 and 3",
              test_exists(st->root, BUCKET, id, 1, 1)
              && test_exists(st->root, BUCKET, id, 1, 3)
              && !test_exists(st->root, BUCKET, id, 1, 2)
              && !test_exists(st->root, BUCKET, id, 1, 7));

    test_cond("object record lists the parts",
              test_object(st, "big", buf, sizeof(buf), &rec) == S3_OK
              && rec.size == BIG + 4 && s3_record_nparts(&rec) == 2
              && rec.upload_id.len == 32 && rec.headers.len == 20);

    s3_record_part(&rec, 1, &number, &size);
    test_cond("second entry is part 3 of 4 bytes", number == 3 && size == 4);

    fd = s3_store_open_part(st->root, &rec, 3, path);
    test_cond("open part 3",
              fd != -1 && pread(fd, data, 4, 0) == 4
              && memcmp(data, "tail", 4) == 0);
    close(fd);

    test_cond("complete twice is NO_UPLOAD",
              test_complete(st, "big", id, parts, 2, &c)
              == S3_STORE_NO_UPLOAD);

    /* a second multipart version replaces the first and its parts */

    test_create(st, "big", id2);
    test_part(st, "big", id2, 1, "x", 1, parts[0].md5);
    parts[0].number = 1;
    test_cond("complete a new version",
              test_complete(st, "big", id2, parts, 1, &c) == S3_OK);
    test_cond("old parts removed", !test_exists(st->root, BUCKET, id, 1, 0));

    test_cond("delete", s3_store_delete_object(st, BUCKET, 3, "big", 3)
                        == S3_OK);
    test_cond("parts removed with the object",
              !test_exists(st->root, BUCKET, id2, 1, 0));
}


static void
test_copy(const s3_store_t *st)
{
    int                  fd;
    char                 id[S3_UPLOAD_ID_LEN + 1], path[PATH_MAX], data[16];
    s3_record_t          rec, src;
    unsigned char        buf[S3_STORE_UPLOAD_BUF];
    s3_store_part_t      parts[2];
    s3_store_copy_t      cp;
    s3_store_complete_t  c;

    test_section("copy");

    memset(parts, 0, sizeof(parts));

    /* a multipart source: "bbb...b" (5 MiB) + "tail" */

    test_create(st, "src", id);
    test_part(st, "src", id, 1, big, BIG, parts[0].md5);
    test_part(st, "src", id, 2, "tail", 4, parts[1].md5);
    parts[0].number = 1;
    parts[1].number = 2;
    test_complete(st, "src", id, parts, 2, &c);

    test_create(st, "dst", id);

    memset(&cp, 0, sizeof(cp));
    cp.src_fd = test_open_object(st, "src", buf, sizeof(buf), &src);
    cp.src = &src;
    cp.ranged = 1;
    cp.start = BIG - 2;
    cp.last = BIG + 1;
    cp.dst.bucket.data = BUCKET;
    cp.dst.bucket.len = 3;
    cp.dst.key.data = "dst";
    cp.dst.key.len = 3;
    cp.dst.upload_id.data = id;
    cp.dst.upload_id.len = 32;
    cp.dst.part_number = 5;

    test_cond("copy across parts", s3_store_copy_part(st, &cp) == S3_OK
                                   && cp.dst.size == 4);

    s3_place_upload(path, sizeof(path), BUCKET, 3, id, 32, 0, 5);
    snprintf((char *) buf, sizeof(buf), "%s/%s", st->root, path);
    fd = open((char *) buf, O_RDONLY);
    test_cond("copied bytes", fd != -1 && pread(fd, data, 4, 0) == 4
                              && memcmp(data, "bbta", 4) == 0);
    close(fd);

    cp.last = BIG + 4;
    test_cond("range past the end is BAD_RANGE",
              s3_store_copy_part(st, &cp) == S3_STORE_BAD_RANGE);

    /* CopyObject: a multipart source becomes one file, md5 of it all */

    memset(&cp.dst, 0, sizeof(s3_record_t));
    cp.dst.bucket.data = BUCKET;
    cp.dst.bucket.len = 3;
    cp.dst.key.data = "whole";
    cp.dst.key.len = 5;

    test_cond("copy object", s3_store_copy_object(st, &cp) == S3_OK
                             && cp.dst.size == BIG + 4
                             && cp.dst.mtime_ms != 0);
    test_cond("copy is one file",
              test_object(st, "whole", buf, sizeof(buf), &rec) == S3_OK
              && rec.size == BIG + 4 && rec.parts.len == 0
              && memcmp(rec.md5, cp.dst.md5, S3_MD5_LEN) == 0
              && memcmp(rec.md5, src.md5, S3_MD5_LEN) != 0);

    close(cp.src_fd);

    /* a single-file source: copied in the kernel, same md5 */

    cp.src_fd = test_open_object(st, "whole", buf, sizeof(buf), &src);
    cp.src = &src;
    memset(&cp.dst, 0, sizeof(s3_record_t));
    cp.dst.bucket.data = BUCKET;
    cp.dst.bucket.len = 3;
    cp.dst.key.data = "again";
    cp.dst.key.len = 5;

    test_cond("copy a plain object", s3_store_copy_object(st, &cp) == S3_OK
                                     && cp.dst.size == BIG + 4
                                     && memcmp(cp.dst.md5, src.md5,
                                               S3_MD5_LEN) == 0);

    close(cp.src_fd);

    snprintf((char *) buf, sizeof(buf), "%s/", st->root);
    s3_place_object((char *) buf + strlen((char *) buf), 256, BUCKET, 3,
                    "again", 5);
    fd = open((char *) buf, O_RDONLY);
    test_cond("kernel-copied bytes",
              fd != -1 && pread(fd, data, 4, BIG) == 4
              && memcmp(data, "tail", 4) == 0
              && pread(fd, data, 2, 0) == 2 && memcmp(data, "bb", 2) == 0);
    close(fd);

    s3_store_delete_object(st, BUCKET, 3, "whole", 5);
    s3_store_delete_object(st, BUCKET, 3, "again", 5);

    snprintf(path, sizeof(path), "%s/tmp", st->root);
    test_cond("no temp files left", rmdir(path) == 0 && mkdir(path, 0700)
                                                       == 0);
    (void) rec;
}


static void
test_abort_sweep(const s3_store_t *st)
{
    char      id[S3_UPLOAD_ID_LEN + 1], id2[S3_UPLOAD_ID_LEN + 1];
    char      from[PATH_MAX], to[PATH_MAX], rel[256];
    s3_str_t  bucket = s3_string(BUCKET), keep;
    s3_store_part_t      parts[1];
    s3_store_complete_t  c;

    test_section("sweep");

    memset(parts, 0, sizeof(parts));
    test_create(st, "old", id);
    test_part(st, "old", id, 1, "x", 1, NULL);

    test_cond("a fresh upload stays",
              s3_store_sweep_uploads(st, 1) >= 0
              && test_exists(st->root, BUCKET, id, 0, 1));

    /* a completion that crashed after its publish: parts still in mpu/ */

    test_create(st, "rf", id2);
    test_part(st, "rf", id2, 1, "y", 1, parts[0].md5);
    parts[0].number = 1;
    test_complete(st, "rf", id2, parts, 1, &c);

    s3_place_upload(rel, sizeof(rel), BUCKET, 3, id2, 32, 1, 0);
    snprintf(from, sizeof(from), "%s/%s", st->root, rel);
    s3_place_upload(rel, sizeof(rel), BUCKET, 3, id2, 32, 0, 0);
    snprintf(to, sizeof(to), "%s/%s", st->root, rel);
    test_cond("undo the rename", rename(from, to) == 0);

    /* the completion is finished however young: nothing has expired */

    test_cond("sweep: a young interrupted completion finished",
              s3_store_sweep_uploads(st, 1) == 1
              && test_exists(st->root, BUCKET, id2, 1, 1)
              && !test_exists(st->root, BUCKET, id2, 0, 0)
              && test_exists(st->root, BUCKET, id, 0, 1));

    /* "old" and "dst" (test_copy) go */

    test_cond("sweep: old uploads removed",
              s3_store_sweep_uploads(st, s3_hlc_wall_ms() + 1000) == 2
              && !test_exists(st->root, BUCKET, id, 0, 0)
              && test_exists(st->root, BUCKET, id2, 1, 1));

    /* a delete that crashed before removing the parts */

    snprintf(to, sizeof(to), "%s/keep", st->root);
    test_cond("delete, parts kept aside",
              rename(from, to) == 0
              && s3_store_delete_object(st, BUCKET, 3, "rf", 2) == S3_OK
              && rename(to, from) == 0);
    test_cond("sweep removes the parts no record names",
              s3_store_sweep_uploads(st, 1) == 1
              && !test_exists(st->root, BUCKET, id2, 1, 0));

    /* a change over an object whose completion a crash left in mpu/ */

    test_create(st, "st", id2);
    keep.data = id2;
    keep.len = S3_UPLOAD_ID_LEN;
    test_part(st, "st", id2, 1, "z", 1, parts[0].md5);
    test_complete(st, "st", id2, parts, 1, &c);
    s3_place_upload(rel, sizeof(rel), BUCKET, 3, id2, 32, 1, 0);
    snprintf(from, sizeof(from), "%s/%s", st->root, rel);
    s3_place_upload(rel, sizeof(rel), BUCKET, 3, id2, 32, 0, 0);
    snprintf(to, sizeof(to), "%s/%s", st->root, rel);

    test_cond("settle keeps the parts of the upload being completed",
              rename(from, to) == 0
              && s3_store_settle_parts(st, &bucket, id2, &keep) == S3_OK
              && test_exists(st->root, BUCKET, id2, 0, 1));
    test_cond("settle moves them to parts/ before a change",
              s3_store_settle_parts(st, &bucket, id2, NULL) == S3_OK
              && test_exists(st->root, BUCKET, id2, 1, 1)
              && !test_exists(st->root, BUCKET, id2, 0, 0));
    test_cond("settle again, or of no upload, is a no-op",
              s3_store_settle_parts(st, &bucket, id2, NULL) == S3_OK
              && s3_store_settle_parts(st, &bucket, "", NULL) == S3_OK
              && test_exists(st->root, BUCKET, id2, 1, 1));
}


static void
test_checksums(const s3_store_t *st)
{
    char                 id[S3_UPLOAD_ID_LEN + 1], b64[S3_CKSUM_B64_MAX_LEN];
    char                 expect[S3_CKSUM_VALUE_MAX_LEN];
    size_t               n;
    s3_cksum_t           c;
    s3_store_part_t      parts[2];
    s3_store_complete_t  done;
    unsigned char        raw[S3_CKSUM_MAX_LEN];

    test_section("checksums");

    /* COMPOSITE: CRC32 over the parts' raw CRC32s, "-2" */

    memset(parts, 0, sizeof(parts));
    test_create_sum(st, "comp", id, "CRC32", "COMPOSITE");
    test_algo = S3_CKSUM_CRC32;
    test_part(st, "comp", id, 1, big, BIG, parts[0].md5);
    test_part(st, "comp", id, 2, "tail", 4, parts[1].md5);
    test_algo = S3_CKSUM_NONE;
    parts[0].number = 1;
    parts[1].number = 2;

    test_cond("a COMPOSITE part listed without checksum",
              test_complete(st, "comp", id, parts, 2, &done)
              == S3_STORE_NO_CHECKSUM && done.bad_part == 1);

    parts[0].cksum_algo = S3_CKSUM_CRC32;
    parts[1].cksum_algo = S3_CKSUM_CRC32;
    test_raw(S3_CKSUM_CRC32, big, BIG, parts[0].cksum);
    test_raw(S3_CKSUM_CRC32, "TAIL", 4, parts[1].cksum);

    test_cond("a listed checksum not the part's",
              test_complete(st, "comp", id, parts, 2, &done)
              == S3_STORE_INVALID_PART && done.bad_part == 2);

    parts[1].cksum_algo = S3_CKSUM_SHA256;
    test_raw(S3_CKSUM_SHA256, "tail", 4, parts[1].cksum);

    test_cond("a listed checksum of another algorithm",
              test_complete(st, "comp", id, parts, 2, &done)
              == S3_STORE_INVALID_PART && done.bad_part == 2);

    parts[1].cksum_algo = S3_CKSUM_CRC32;
    test_raw(S3_CKSUM_CRC32, "tail", 4, parts[1].cksum);

    s3_cksum_init(&c, S3_CKSUM_CRC32);
    s3_cksum_update(&c, parts[0].cksum, 4);
    s3_cksum_update(&c, parts[1].cksum, 4);
    s3_cksum_final(&c, raw);
    n = s3_base64_encode(b64, raw, 4);
    snprintf(expect, sizeof(expect), "%.*s-2", (int) n, b64);

    test_cond("COMPOSITE", test_complete(st, "comp", id, parts, 2, &done)
                           == S3_OK);
    test_cond("COMPOSITE value",
              done.rec.checksum_value.len == strlen(expect)
              && memcmp(done.rec.checksum_value.data, expect,
                        strlen(expect)) == 0
              && done.rec.checksum.len == 5
              && memcmp(done.rec.checksum.data, "CRC32", 5) == 0
              && done.rec.checksum_type.len == 9
              && memcmp(done.rec.checksum_type.data, "COMPOSITE", 9) == 0);

    /* FULL_OBJECT: the CRC32C of all the bytes, parts listed or not */

    memset(parts, 0, sizeof(parts));
    test_create_sum(st, "full", id, "CRC32C", "FULL_OBJECT");
    test_algo = S3_CKSUM_CRC32C;
    test_part(st, "full", id, 1, big, BIG, parts[0].md5);
    test_part(st, "full", id, 2, "tail", 4, parts[1].md5);
    test_algo = S3_CKSUM_NONE;
    parts[0].number = 1;
    parts[1].number = 2;
    parts[1].cksum_algo = S3_CKSUM_CRC32C;
    test_raw(S3_CKSUM_CRC32C, "tail", 4, parts[1].cksum);

    s3_cksum_init(&c, S3_CKSUM_CRC32C);
    s3_cksum_update(&c, big, BIG);
    s3_cksum_update(&c, "tail", 4);
    s3_cksum_final(&c, raw);
    n = s3_base64_encode(expect, raw, 4);

    test_cond("FULL_OBJECT", test_complete(st, "full", id, parts, 2, &done)
                             == S3_OK);
    test_cond("FULL_OBJECT value",
              done.rec.checksum_value.len == n
              && memcmp(done.rec.checksum_value.data, expect, n) == 0
              && done.rec.checksum_type.len == 11);

    /* no algorithm: no checksum, a listed one still checked */

    memset(parts, 0, sizeof(parts));
    test_create(st, "none", id);
    test_part(st, "none", id, 1, "only", 4, parts[0].md5);
    parts[0].number = 1;
    parts[0].cksum_algo = S3_CKSUM_CRC32;
    test_raw(S3_CKSUM_CRC32, "only", 4, parts[0].cksum);

    test_cond("a listed checksum the part has not",
              test_complete(st, "none", id, parts, 1, &done)
              == S3_STORE_INVALID_PART);

    parts[0].cksum_algo = S3_CKSUM_NONE;

    test_cond("no algorithm", test_complete(st, "none", id, parts, 1, &done)
                              == S3_OK
                              && done.rec.checksum_value.len == 0);
}


/*
 * UploadPartCopy into an upload with an algorithm: the part gets the
 * checksum of the bytes copied, across the parts of a multipart source,
 * and the upload completes with it.
 */

static void
test_copy_checksums(const s3_store_t *st)
{
    int                    truncated;
    char                   id[S3_UPLOAD_ID_LEN + 1];
    char                   b64[S3_CKSUM_VALUE_MAX_LEN];
    size_t                 n, got;
    s3_str_t               b, sid;
    s3_cksum_t             c;
    s3_record_t            src;
    unsigned char          buf[S3_STORE_UPLOAD_BUF];
    unsigned char          raw[S3_CKSUM_MAX_LEN];
    s3_store_part_t        parts[1];
    s3_store_copy_t        cp;
    s3_store_complete_t    done;
    s3_store_part_info_t   info[1];

    test_section("copy checksums");

    memset(&cp, 0, sizeof(cp));
    cp.src_fd = test_open_object(st, "src", buf, sizeof(buf), &src);
    cp.src = &src;
    cp.ranged = 1;
    cp.start = BIG - 2;
    cp.last = BIG + 1;

    /* FULL_OBJECT CRC64NVME: "bbta", the end of part 1, part 2's start */

    test_raw(S3_CKSUM_CRC64NVME, "bbta", 4, raw);
    n = s3_base64_encode(b64, raw, 8);

    test_cond("copied part's CRC64NVME",
              test_copy_sum(st, &cp, "cfull", id, "CRC64NVME", "FULL_OBJECT")
              == S3_OK
              && cp.dst.size == 4
              && cp.dst.checksum_value.len == n
              && memcmp(cp.dst.checksum_value.data, b64, n) == 0);

    b.data = BUCKET;
    b.len = 3;
    sid.data = id;
    sid.len = 32;

    test_cond("listed with it",
              s3_store_list_parts(st->root, &b, &sid, 0, info, 1, &got,
                                  &truncated) == S3_OK
              && got == 1 && info[0].checksum == S3_CKSUM_CRC64NVME
              && info[0].checksum_len == 12
              && memcmp(info[0].checksum_value, b64, 12) == 0);

    memset(parts, 0, sizeof(parts));
    parts[0].number = 1;
    memcpy(parts[0].md5, cp.dst.md5, S3_MD5_LEN);

    test_cond("completed with it",
              test_complete(st, "cfull", id, parts, 1, &done) == S3_OK
              && done.rec.checksum_value.len == 12
              && memcmp(done.rec.checksum_value.data, b64, 12) == 0);

    /* COMPOSITE SHA256 of the whole source, listed as the client sees it */

    s3_cksum_init(&c, S3_CKSUM_SHA256);
    s3_cksum_update(&c, big, BIG);
    s3_cksum_update(&c, "tail", 4);
    s3_cksum_final(&c, parts[0].cksum);
    n = s3_base64_encode(b64, parts[0].cksum, 32);

    cp.ranged = 0;

    test_cond("copied part's SHA256",
              test_copy_sum(st, &cp, "csha", id, "SHA256", "COMPOSITE")
              == S3_OK
              && cp.dst.size == BIG + 4
              && cp.dst.checksum_value.len == n
              && memcmp(cp.dst.checksum_value.data, b64, n) == 0);

    parts[0].cksum_algo = S3_CKSUM_SHA256;
    memcpy(parts[0].md5, cp.dst.md5, S3_MD5_LEN);

    test_raw(S3_CKSUM_SHA256, (char *) parts[0].cksum, 32, raw);
    n = s3_base64_encode(b64, raw, 32);
    memcpy(b64 + n, "-1", 2);

    test_cond("COMPOSITE with a copied part",
              test_complete(st, "csha", id, parts, 1, &done) == S3_OK
              && done.rec.checksum_value.len == n + 2
              && memcmp(done.rec.checksum_value.data, b64, n + 2) == 0);

    cp.dst.checksum.data = "MD4";
    cp.dst.checksum.len = 3;

    test_cond("an unknown algorithm is EINVAL",
              s3_store_copy_part(st, &cp) == S3_ERR && errno == EINVAL);

    close(cp.src_fd);
}


/* a new upload of key with algo and type, and part 1 copied into it */

static int
test_copy_sum(const s3_store_t *st, s3_store_copy_t *cp, const char *key,
    char *id, const char *algo, const char *type)
{
    test_create_sum(st, key, id, algo, type);

    memset(&cp->dst, 0, sizeof(s3_record_t));
    cp->dst.bucket.data = BUCKET;
    cp->dst.bucket.len = 3;
    cp->dst.key.data = key;
    cp->dst.key.len = strlen(key);
    cp->dst.upload_id.data = id;
    cp->dst.upload_id.len = 32;
    cp->dst.part_number = 1;
    cp->dst.checksum.data = algo;
    cp->dst.checksum.len = strlen(algo);

    return s3_store_copy_part(st, cp);
}


static int
test_create_sum(const s3_store_t *st, const char *key, char *id,
    const char *algo, const char *type)
{
    s3_record_t  rec;

    memset(&rec, 0, sizeof(rec));
    rec.bucket.data = BUCKET;
    rec.bucket.len = strlen(BUCKET);
    rec.key.data = key;
    rec.key.len = strlen(key);
    rec.checksum.data = algo;
    rec.checksum.len = strlen(algo);
    rec.checksum_type.data = type;
    rec.checksum_type.len = strlen(type);

    return s3_store_create_upload(st, &rec, id);
}


static void
test_raw(s3_cksum_algo_e algo, const char *data, size_t len,
    unsigned char *raw)
{
    s3_cksum_t  c;

    s3_cksum_init(&c, algo);
    s3_cksum_update(&c, data, len);
    s3_cksum_final(&c, raw);
}
