
/*
 * Copyright (C) ngx_s3 developers
 *
 * The store in a mkdtemp() directory: layout, buckets, objects, users,
 * reading a record file, the journal they leave, conditional puts and
 * concurrent commits to one key.
 */


#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_journal.h"
#include "s3_place.h"
#include "s3_store.h"
#include "s3_store_int.h"
#include "test.h"
#include "test_tmpstore.h"


#define AK1      "AKIAIOSFODNN7EXAMPLE"
#define AK2      "AKIAI44QH8DHBEXAMPLE"
#define THREADS  8
#define PUTS     20


typedef struct {
    const s3_store_t  *st;
    int                id;
    int                failed;
} test_worker_t;


static void test_init(const char *root);
static void test_buckets(const s3_store_t *st);
static void test_objects(const s3_store_t *st);
static void test_odd_keys(const s3_store_t *st);
static void test_conditional(const s3_store_t *st);
static void test_delete_bucket(const s3_store_t *st);
static void test_users(const s3_store_t *st);
static void test_record_at(const s3_store_t *st);
static void test_journal(const char *jname);
static void test_concurrent(const s3_store_t *st, const char *jname);
static void test_bucket_attrs(const s3_store_t *st, const char *jname);
static int test_last_frame(const char *jname, s3_journal_entry_t *e,
    char *buf, size_t size);
static void test_sweep(const char *root);
static int test_upload(const s3_store_t *st, const char *data, size_t len,
    char *tmp);
static int test_put(const s3_store_t *st, const char *bucket,
    const char *key, size_t key_len, const char *data, uint64_t *hlc);
static int test_put_if(const s3_store_t *st, const char *bucket,
    const char *key, size_t key_len, const char *data, uint64_t *hlc,
    const s3_store_cond_t *cond);
static int test_read(const s3_store_t *st, const char *bucket,
    const char *key, size_t key_len, unsigned char *buf, size_t size,
    s3_record_t *rec, char *data);
static int test_exists(const char *root, const char *rel);
static int test_count(const s3_record_t *rec, void *data);
static void *test_worker(void *data);


static int  test_uploads;


int
main(void)
{
    char          root[] = "/tmp/s3_store_XXXXXX";
    s3_hlc_t      clock;
    s3_store_t    st;
    s3_journal_t  journal;

    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_init(root);

    test_store_open(root, &st, &clock, &journal, 1);

    test_buckets(&st);
    test_objects(&st);
    test_odd_keys(&st);
    test_delete_bucket(&st);
    test_users(&st);
    test_record_at(&st);
    test_journal(journal.name);
    test_conditional(&st);
    test_concurrent(&st, journal.name);
    test_bucket_attrs(&st, journal.name);
    test_sweep(root);

    test_cond("the journal is sealed and closed",
              s3_journal_close(&journal) == S3_OK);

    return test_store_report("test_store", root);
}


static void
test_init(const char *root)
{
    int       fd;
    char      path[PATH_MAX], buf[64], sub[1024];
    ssize_t   n;
    uint32_t  id, id2;

    test_section("init");

    test_cond("missing root is ENOENT",
              s3_store_init("/nonexistent/s3", &id) == S3_ERR
              && errno == ENOENT);

    snprintf(path, sizeof(path), "%s/afile", root);
    close(open(path, O_WRONLY | O_CREAT, 0600));
    test_cond("a file as root is ENOTDIR",
              s3_store_init(path, &id) == S3_ERR && errno == ENOTDIR);
    unlink(path);

    test_cond("init", s3_store_init(root, &id) == S3_OK);

    snprintf(path, sizeof(path), "%s/FORMAT", root);
    fd = open(path, O_RDONLY);
    n = read(fd, buf, sizeof(buf));
    close(fd);
    snprintf(sub, sizeof(sub), "ngx_s3 store 1\nnode %08x\n", id);
    test_mem("FORMAT holds the version and the node id", buf, n, sub);

    test_cond("layout created",
              test_exists(root, "lock") && test_exists(root, "tmp")
              && test_exists(root, "journal") && test_exists(root, "users")
              && test_exists(root, "buckets"));

    test_cond("init again keeps the node id",
              s3_store_init(root, &id2) == S3_OK && id2 == id);

    snprintf(sub, sizeof(sub), "%s/other", root);
    mkdir(sub, 0700);
    snprintf(path, sizeof(path), "%s/FORMAT", sub);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    n = write(fd, "ngx_s3 store 2\nnode 00000001\n", 29);
    close(fd);
    test_cond("another FORMAT version is EPROTO",
              s3_store_init(sub, &id2) == S3_ERR && errno == EPROTO);
    s3_store_remove_tree(AT_FDCWD, sub, S3_STORE_TREE_DEPTH);

    if (geteuid() != 0) {
        mkdir(sub, 0500);
        test_cond("read-only root is EACCES",
                  s3_store_init(sub, &id2) == S3_ERR && errno == EACCES);
        rmdir(sub);
    }
}


static int
test_exists(const char *root, const char *rel)
{
    char         path[PATH_MAX];
    struct stat  sb;

    snprintf(path, sizeof(path), "%s/%s", root, rel);

    return stat(path, &sb) == 0;
}


static int
test_count(const s3_record_t *rec, void *data)
{
    (void) rec;
    (*(int *) data)++;

    return S3_OK;
}


static void
test_buckets(const s3_store_t *st)
{
    int            n;
    s3_record_t    rec;
    unsigned char  buf[S3_RECORD_READ_LEN];

    test_section("buckets");

    test_cond("create photos (alice)",
              s3_store_create_bucket(st, "photos", 6, "alice", 5) == S3_OK);
    test_cond("bucket record and obj/ exist",
              test_exists(st->root, "buckets/photos/bucket")
              && test_exists(st->root, "buckets/photos/obj"));
    test_cond("create again, same owner: BUCKET_OWNED",
              s3_store_create_bucket(st, "photos", 6, "alice", 5)
              == S3_STORE_BUCKET_OWNED);
    test_cond("create again, other owner: BUCKET_EXISTS",
              s3_store_create_bucket(st, "photos", 6, "bob", 3)
              == S3_STORE_BUCKET_EXISTS);
    test_cond("invalid name is EINVAL",
              s3_store_create_bucket(st, "Bad_Name", 8, "bob", 3) == S3_ERR
              && errno == EINVAL);
    test_cond("create docs (bob)",
              s3_store_create_bucket(st, "docs", 4, "bob", 3) == S3_OK);

    test_cond("read photos",
              s3_store_read_bucket(st->root, "photos", 6, buf, sizeof(buf),
                                   &rec) == S3_OK
              && rec.kind == S3_RECORD_BUCKET && rec.hlc != 0
              && rec.origin == st->node_id);
    test_mem("owner", rec.owner.data, rec.owner.len, "alice");
    test_mem("name", rec.bucket.data, rec.bucket.len, "photos");
    test_cond("read a missing bucket: NO_BUCKET",
              s3_store_read_bucket(st->root, "nosuch", 6, buf, sizeof(buf),
                                   &rec) == S3_STORE_NO_BUCKET);

    n = 0;
    test_cond("list buckets",
              s3_store_list_buckets(st->root, test_count, &n) == S3_OK
              && n == 2);
}


/* Writes data to a new file under root/tmp; returns its fd. */

static int
test_upload(const s3_store_t *st, const char *data, size_t len, char *tmp)
{
    int  fd, id;

    id = __atomic_fetch_add(&test_uploads, 1, __ATOMIC_SEQ_CST);

    snprintf(tmp, PATH_MAX, "%s/tmp/upload.%d", st->root, id);

    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1 || write(fd, data, len) != (ssize_t) len) {
        return -1;
    }

    return fd;
}


static int
test_put(const s3_store_t *st, const char *bucket, const char *key,
    size_t key_len, const char *data, uint64_t *hlc)
{
    return test_put_if(st, bucket, key, key_len, data, hlc, NULL);
}


static int
test_put_if(const s3_store_t *st, const char *bucket, const char *key,
    size_t key_len, const char *data, uint64_t *hlc,
    const s3_store_cond_t *cond)
{
    int          fd, rc;
    char         tmp[PATH_MAX], hdrs[128];
    size_t       hlen;
    s3_digest_t  d;
    s3_record_t  rec;

    fd = test_upload(st, data, strlen(data), tmp);
    if (fd == -1) {
        return S3_ERR;
    }

    hlen = 0;
    s3_record_add_header(hdrs, &hlen, sizeof(hdrs), "content-type", 12,
                         "text/plain", 10);

    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_OBJECT;
    rec.bucket.data = bucket;
    rec.bucket.len = strlen(bucket);
    rec.key.data = key;
    rec.key.len = key_len;
    rec.size = strlen(data);
    rec.headers.data = hdrs;
    rec.headers.len = hlen;

    s3_digest_init(&d, S3_DIGEST_MD5);
    s3_digest_update(&d, data, rec.size);
    s3_digest_final(&d, rec.md5);

    rc = s3_store_put_object_if(st, fd, tmp, &rec, cond);

    close(fd);

    if (rc != S3_OK) {
        unlink(tmp);
    }

    if (hlc != NULL) {
        *hlc = rec.hlc;
    }

    return rc;
}


/* Reads an object's record and its data (up to 64 bytes) into data. */

static int
test_read(const s3_store_t *st, const char *bucket, const char *key,
    size_t key_len, unsigned char *buf, size_t size, s3_record_t *rec,
    char *data)
{
    int          fd, rc;
    char         rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    size_t       need;
    struct stat  sb;

    s3_place_object(rel, sizeof(rel), bucket, strlen(bucket), key, key_len);
    snprintf(path, sizeof(path), "%s/%s", st->root, rel);

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        return S3_ERR;
    }

    fstat(fd, &sb);

    rc = s3_store_read_record(fd, sb.st_size, buf, size, rec, &need);

    if (rc == S3_OK && data != NULL) {
        memset(data, 0, 64);
        if (pread(fd, data, rec->size < 63 ? rec->size : 63, 0) < 0) {
            rc = S3_ERR;
        }
    }

    close(fd);

    return rc;
}


static void
test_objects(const s3_store_t *st)
{
    int            fd;
    char           tmp[PATH_MAX], data[64], hex[33];
    size_t         pos, need;
    uint64_t       hlc1, hlc2, hlc3, now;
    s3_hlc_t       behind;
    s3_str_t       name, value;
    s3_store_t     st2;
    s3_record_t    rec;
    unsigned char  buf[S3_RECORD_READ_LEN], small[32];

    test_section("objects");

    test_cond("put into a missing bucket: NO_BUCKET",
              test_put(st, "nosuch", "k", 1, "x", NULL)
              == S3_STORE_NO_BUCKET);

    now = s3_hlc_wall_ms();

    test_cond("put photos/a/b.txt",
              test_put(st, "photos", "a/b.txt", 7, "hello world", &hlc1)
              == S3_OK);
    test_cond("temp file is gone", !test_exists(st->root, "tmp/upload.1"));

    test_cond("read it back",
              test_read(st, "photos", "a/b.txt", 7, buf, sizeof(buf), &rec,
                        data) == S3_OK);
    test_cond("data before the record", strcmp(data, "hello world") == 0);
    test_cond("kind, size, hlc, origin",
              rec.kind == S3_RECORD_OBJECT && rec.size == 11
              && rec.hlc == hlc1 && rec.origin == st->node_id);
    test_cond("mtime is the wall clock",
              rec.mtime_ms >= now && rec.mtime_ms <= s3_hlc_wall_ms()
              && s3_hlc_ms(rec.hlc) >= now);
    test_mem("bucket", rec.bucket.data, rec.bucket.len, "photos");
    test_mem("key", rec.key.data, rec.key.len, "a/b.txt");
    *s3_hex_encode(hex, rec.md5, 16) = '\0';
    test_mem("md5", hex, 32, "5eb63bbbe01eeed093cb22bb8f5acdc3");

    pos = 0;
    test_cond("stored header",
              s3_record_next_header(&rec, &pos, &name, &value) == 1
              && name.len == 12 && value.len == 10
              && memcmp(value.data, "text/plain", 10) == 0);

    test_cond("small buffer: S3_AGAIN with need",
              test_read(st, "photos", "a/b.txt", 7, small, sizeof(small), &rec,
                        NULL) == S3_AGAIN);

    fd = open(st->root, O_RDONLY);
    need = 0;
    test_cond("read_record of a directory fails",
              s3_store_read_record(fd, 0, buf, sizeof(buf), &rec, &need)
              == S3_ERR && errno == EINVAL);
    close(fd);

    test_cond("overwrite",
              test_put(st, "photos", "a/b.txt", 7, "bye", &hlc2) == S3_OK);
    test_cond("overwrite has a higher hlc", hlc2 > hlc1);
    test_cond("and the new bytes",
              test_read(st, "photos", "a/b.txt", 7, buf, sizeof(buf), &rec,
                        data) == S3_OK
              && rec.size == 3 && strcmp(data, "bye") == 0
              && rec.hlc == hlc2);

    /* a writer whose clock is far behind still commits above */

    st2 = *st;
    behind.last = 0;
    st2.clock = &behind;

    st2.clock->last = hlc2 + (1ULL << 40);
    test_put(&st2, "photos", "a/b.txt", 7, "future", &hlc3);
    behind.last = 0;
    test_cond("a clock behind the current version still commits above it",
              test_put(&st2, "photos", "a/b.txt", 7, "past", &hlc2) == S3_OK
              && hlc2 == hlc3 + 1);

    fd = test_upload(st, "abc", 3, tmp);
    memset(&rec, 0, sizeof(rec));
    rec.kind = S3_RECORD_OBJECT;
    rec.bucket.data = "photos";
    rec.bucket.len = 6;
    rec.key.data = "k";
    rec.key.len = 1;
    rec.size = 10;
    test_cond("temp file shorter than size is EINVAL",
              s3_store_put_object(st, fd, tmp, &rec) == S3_ERR
              && errno == EINVAL);
    rec.size = 3;
    rec.kind = S3_RECORD_BUCKET;
    test_cond("a record of another kind is EINVAL",
              s3_store_put_object(st, fd, tmp, &rec) == S3_ERR
              && errno == EINVAL);
    rec.kind = S3_RECORD_OBJECT;
    test_cond("a temp path relative to root works",
              s3_store_put_object(st, fd, tmp + strlen(st->root) + 1, &rec)
              == S3_OK);
    close(fd);

    test_cond("delete photos/k",
              s3_store_delete_object(st, "photos", 6, "k", 1) == S3_OK);
    test_cond("delete it again: NOT_FOUND",
              s3_store_delete_object(st, "photos", 6, "k", 1)
              == S3_STORE_NOT_FOUND);
    test_cond("delete in a missing bucket: NO_BUCKET",
              s3_store_delete_object(st, "nosuch", 6, "k", 1)
              == S3_STORE_NO_BUCKET);
}


static void
test_odd_keys(const s3_store_t *st)
{
    int            ok;
    char           key[S3_KEY_MAX_LEN + 1], data[64];
    size_t         i;
    s3_record_t    rec;
    unsigned char  buf[S3_RECORD_READ_LEN + 2048];

    static const char  *keys[] = {
        "a", "a/b", "..", "../../x", "//", "a//b/", "/", "caf\xc3\xa9 \x01"
    };

    test_section("any key");

    ok = 1;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ok = ok && test_put(st, "docs", keys[i], strlen(keys[i]), keys[i],
                            NULL) == S3_OK;
    }

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ok = ok && test_read(st, "docs", keys[i], strlen(keys[i]), buf,
                             sizeof(buf), &rec, data) == S3_OK
             && strcmp(data, keys[i]) == 0
             && rec.key.len == strlen(keys[i]);
    }

    test_cond("a, a/b, .., //, trailer / and UTF-8 keys side by side", ok);

    memset(key, 'k', sizeof(key));
    test_cond("a 1024-byte key",
              test_put(st, "docs", key, S3_KEY_MAX_LEN, "long", NULL) == S3_OK
              && test_read(st, "docs", key, S3_KEY_MAX_LEN, buf, sizeof(buf),
                           &rec, data) == S3_OK
              && rec.key.len == S3_KEY_MAX_LEN);
    test_cond("a 1025-byte key is EINVAL",
              test_put(st, "docs", key, S3_KEY_MAX_LEN + 1, "x", NULL)
              == S3_ERR && errno == EINVAL);

    ok = 1;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ok = ok && s3_store_delete_object(st, "docs", 4, keys[i],
                                          strlen(keys[i])) == S3_OK;
    }

    ok = ok && s3_store_delete_object(st, "docs", 4, key, S3_KEY_MAX_LEN)
               == S3_OK;

    test_cond("all deleted", ok);
}


static void
test_conditional(const s3_store_t *st)
{
    char             data[64];
    s3_digest_t      d;
    s3_record_t      rec;
    unsigned char    buf[S3_RECORD_READ_LEN];
    s3_store_cond_t  none, match;

    test_section("conditional puts");

    memset(&none, 0, sizeof(none));
    none.none_match = 1;

    memset(&match, 0, sizeof(match));
    match.match = 1;
    match.match_any = 1;

    test_cond("If-Match * and no version: NOT_FOUND",
              test_put_if(st, "photos", "c", 1, "one", NULL, &match)
              == S3_STORE_NOT_FOUND);
    test_cond("If-None-Match * and no version: put",
              test_put_if(st, "photos", "c", 1, "one", NULL, &none)
              == S3_OK);
    test_cond("If-None-Match * and a version: PRECONDITION",
              test_put_if(st, "photos", "c", 1, "two", NULL, &none)
              == S3_STORE_PRECONDITION);
    test_cond("the version is unchanged",
              test_read(st, "photos", "c", 1, buf, sizeof(buf), &rec, data)
              == S3_OK && strcmp(data, "one") == 0);
    test_cond("If-Match * and a version: put",
              test_put_if(st, "photos", "c", 1, "two", NULL, &match)
              == S3_OK);

    match.match_any = 0;
    s3_digest_init(&d, S3_DIGEST_MD5);
    s3_digest_update(&d, "one", 3);
    s3_digest_final(&d, match.md5);

    test_cond("If-Match of another ETag: PRECONDITION",
              test_put_if(st, "photos", "c", 1, "three", NULL, &match)
              == S3_STORE_PRECONDITION);

    s3_digest_init(&d, S3_DIGEST_MD5);
    s3_digest_update(&d, "two", 3);
    s3_digest_final(&d, match.md5);
    match.nparts = 2;

    test_cond("If-Match of a multipart ETag of the same md5: PRECONDITION",
              test_put_if(st, "photos", "c", 1, "three", NULL, &match)
              == S3_STORE_PRECONDITION);

    match.nparts = 0;

    test_cond("If-Match of its ETag: put",
              test_put_if(st, "photos", "c", 1, "three", NULL, &match)
              == S3_OK);
    test_cond("and the new bytes",
              test_read(st, "photos", "c", 1, buf, sizeof(buf), &rec, data)
              == S3_OK && strcmp(data, "three") == 0);
    test_cond("no temp file is left",
              !test_exists(st->root, "tmp/upload.1"));
    test_cond("delete photos/c",
              s3_store_delete_object(st, "photos", 6, "c", 1) == S3_OK);
}


static void
test_delete_bucket(const s3_store_t *st)
{
    int  n;

    test_section("delete bucket");

    test_cond("photos is not empty",
              s3_store_delete_bucket(st, "photos", 6)
              == S3_STORE_BUCKET_NOT_EMPTY);
    test_cond("delete its object",
              s3_store_delete_object(st, "photos", 6, "a/b.txt", 7) == S3_OK);
    test_cond("empty fan-out directories do not count; delete photos",
              s3_store_delete_bucket(st, "photos", 6) == S3_OK);
    test_cond("bucket directory gone",
              !test_exists(st->root, "buckets/photos"));
    test_cond("its tree is not left in tmp/",
              s3_store_sweep_tmp(st->root) == 0);
    test_cond("delete again: NO_BUCKET",
              s3_store_delete_bucket(st, "photos", 6) == S3_STORE_NO_BUCKET);
    test_cond("put into it now: NO_BUCKET",
              test_put(st, "photos", "k", 1, "x", NULL)
              == S3_STORE_NO_BUCKET);

    n = 0;
    test_cond("list: one bucket left",
              s3_store_list_buckets(st->root, test_count, &n) == S3_OK
              && n == 1);

    test_cond("create photos again",
              s3_store_create_bucket(st, "photos", 6, "bob", 3) == S3_OK);
}


static void
test_users(const s3_store_t *st)
{
    int            n;
    s3_record_t    rec;
    unsigned char  buf[S3_RECORD_READ_LEN];

    test_section("users");

    test_cond("add alice",
              s3_store_add_user(st, "alice", 5, AK1, 20, "secret1", 7)
              == S3_OK);
    test_cond("same access key: USER_EXISTS",
              s3_store_add_user(st, "bob", 3, AK1, 20, "secret2", 7)
              == S3_STORE_USER_EXISTS);
    test_cond("same name: USER_EXISTS",
              s3_store_add_user(st, "alice", 5, AK2, 20, "secret2", 7)
              == S3_STORE_USER_EXISTS);
    test_cond("add bob",
              s3_store_add_user(st, "bob", 3, AK2, 20, "secret2", 7)
              == S3_OK);
    test_cond("invalid access key is EINVAL",
              s3_store_add_user(st, "carol", 5, "AK/../x", 7, "s", 1)
              == S3_ERR && errno == EINVAL);

    test_cond("read alice",
              s3_store_read_user(st->root, AK1, 20, buf, sizeof(buf), &rec)
              == S3_OK && rec.kind == S3_RECORD_USER);
    test_mem("name", rec.user.data, rec.user.len, "alice");
    test_mem("access key", rec.access_key.data, rec.access_key.len, AK1);
    test_mem("secret", rec.secret_key.data, rec.secret_key.len, "secret1");

    n = 0;
    test_cond("list users",
              s3_store_list_users(st->root, test_count, &n) == S3_OK
              && n == 2);

    test_cond("remove alice", s3_store_remove_user(st, AK1, 20) == S3_OK);
    test_cond("remove again: NOT_FOUND",
              s3_store_remove_user(st, AK1, 20) == S3_STORE_NOT_FOUND);
    test_cond("read removed: NOT_FOUND",
              s3_store_read_user(st->root, AK1, 20, buf, sizeof(buf), &rec)
              == S3_STORE_NOT_FOUND);
    test_cond("the name is free again",
              s3_store_add_user(st, "alice", 5, AK1, 20, "secret3", 7)
              == S3_OK);

    n = 0;
    test_cond("list users",
              s3_store_list_users(st->root, test_count, &n) == S3_OK
              && n == 2);
}


static void
test_journal(const char *jname)
{
    int                 fd, ok, i;
    char                ops[64];
    size_t              off, used, len;
    ssize_t             n;
    s3_journal_entry_t  e;
    static char         buf[1 << 20];

    /* C create x2, P put, D delete, B bucket delete, U user, X user del */

    static const char   want[] = "CCPPPPPDPPPPPPPPPDDDDDDDDDDBCUUXU";

    test_section("journal left by the changes");

    fd = open(jname, O_RDONLY);
    n = read(fd, buf, sizeof(buf));
    close(fd);

    len = (n > 0) ? (size_t) n : 0;
    off = 0;
    i = 0;
    ok = 1;

    while (i < (int) sizeof(ops) - 1
           && s3_journal_decode((unsigned char *) buf + off, len - off, &e,
                                &used) == S3_OK)
    {
        ops[i++] = " PDCBUX"[e.op];
        ok = ok && e.hlc != 0;
        off += used;
    }

    ops[i] = '\0';

    test_cond("whole frames only", off == len);
    test_mem("ops in commit order", ops, i, want);
    test_cond("every change has an hlc", ok);
}


static void *
test_worker(void *data)
{
    int             i;
    char            key[16];
    test_worker_t  *w = data;

    for (i = 0; i < PUTS; i++) {
        snprintf(key, sizeof(key), "w%d-%d", w->id, i);

        if (test_put(w->st, "photos", "shared", 6, key, NULL) != S3_OK) {
            w->failed++;
        }
    }

    return NULL;
}


static void
test_concurrent(const s3_store_t *st, const char *jname)
{
    int                 i, fd, failed, ordered, frames;
    char                data[64];
    size_t              off, used, len;
    ssize_t             n;
    uint64_t            last;
    pthread_t           tid[THREADS];
    s3_store_t          st2;
    s3_record_t         rec;
    test_worker_t       w[THREADS];
    s3_journal_entry_t  e;
    unsigned char       rbuf[S3_RECORD_READ_LEN];
    static char         buf[1 << 20];

    test_section("concurrent puts to one key");

    st2 = *st;
    st2.fsync = 0;

    for (i = 0; i < THREADS; i++) {
        w[i].st = &st2;
        w[i].id = i;
        w[i].failed = 0;
        pthread_create(&tid[i], NULL, test_worker, &w[i]);
    }

    failed = 0;

    for (i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        failed += w[i].failed;
    }

    test_cond("160 puts from 8 threads succeed", failed == 0);

    fd = open(jname, O_RDONLY);
    n = read(fd, buf, sizeof(buf));
    close(fd);

    len = (n > 0) ? (size_t) n : 0;
    off = 0;
    last = 0;
    frames = 0;
    ordered = 1;

    while (s3_journal_decode((unsigned char *) buf + off, len - off, &e,
                             &used) == S3_OK)
    {
        if (e.key.len == 6 && memcmp(e.key.data, "shared", 6) == 0) {
            ordered = ordered && e.hlc > last;
            last = e.hlc;
            frames++;
        }

        off += used;
    }

    test_cond("one frame per put, hlc increasing in journal order",
              frames == THREADS * PUTS && ordered);
    test_cond("the object holds the last version",
              test_read(st, "photos", "shared", 6, rbuf, sizeof(rbuf), &rec,
                        data) == S3_OK
              && rec.hlc == last && data[0] == 'w');
}


static void
test_sweep(const char *root)
{
    int   fd;
    char  path[PATH_MAX];

    test_section("sweep");

    snprintf(path, sizeof(path), "%s/tmp/stale", root);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);

    snprintf(path, sizeof(path), "%s/tmp/tree", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/tmp/tree/obj", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/tmp/tree/obj/f", root);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);

    /* pid 1 is alive: its temp file belongs to a writer at work */
    snprintf(path, sizeof(path), "%s/tmp/s3.1.live", root);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);

    /* beyond the kernel's pid_max: no such process */
    snprintf(path, sizeof(path), "%s/tmp/s3.99999999.dead", root);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);

    test_cond("three entries swept", s3_store_sweep_tmp(root) == 3);
    test_cond("a live writer's temp file is kept",
              test_exists(root, "tmp/s3.1.live"));

    snprintf(path, sizeof(path), "%s/tmp/s3.1.live", root);
    unlink(path);

    test_cond("tmp/ is empty", s3_store_sweep_tmp(root) == 0);
    test_cond("tmp/ is still there", test_exists(root, "tmp"));
}


/* s3_store_read_record_at(): a record file relative to an open directory */

static void
test_record_at(const s3_store_t *st)
{
    int            dfd, fd;
    char           rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    size_t         need;
    ssize_t        n;
    s3_record_t    rec, again;
    struct stat    sb, seen;
    unsigned char  buf[S3_RECORD_READ_LEN], small[16];

    test_section("record files read relative to a directory");

    dfd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    test_cond("open the data directory", dfd != -1);

    test_cond("place of bob",
              s3_place_user(rel, sizeof(rel), AK2, 20) != -1
              && s3_store_path(path, st->root, rel) == S3_OK
              && stat(path, &seen) == 0);

    memset(&sb, 0, sizeof(struct stat));
    test_cond("read bob",
              s3_store_read_record_at(dfd, rel, S3_RECORD_USER, buf,
                                      sizeof(buf), &rec, &sb) == S3_OK);
    test_mem("name", rec.user.data, rec.user.len, "bob");
    test_cond("the identity of the file read",
              sb.st_dev == seen.st_dev && sb.st_ino == seen.st_ino
              && sb.st_size == seen.st_size
              && sb.st_mtim.tv_sec == seen.st_mtim.tv_sec
              && sb.st_mtim.tv_nsec == seen.st_mtim.tv_nsec);
    test_cond("buf holds the whole file, a record alone",
              s3_record_decode(buf, sb.st_size, sb.st_size, &again, &need)
              == S3_OK && need == (size_t) sb.st_size
              && again.secret_key.len == 7
              && memcmp(again.secret_key.data, "secret2", 7) == 0);

    test_cond("another kind is EINVAL",
              s3_store_read_record_at(dfd, rel, S3_RECORD_BUCKET, buf,
                                      sizeof(buf), &rec, &sb) == S3_ERR
              && errno == EINVAL);
    test_cond("a buffer smaller than the file is ENOBUFS",
              s3_store_read_record_at(dfd, rel, S3_RECORD_USER, small,
                                      sizeof(small), &rec, &sb) == S3_ERR
              && errno == ENOBUFS);
    test_cond("no file is ENOENT",
              s3_store_read_record_at(dfd, "users/nosuch", S3_RECORD_USER,
                                      buf, sizeof(buf), &rec, &sb) == S3_ERR
              && errno == ENOENT);
    test_cond("a file for a directory is ENOTDIR",
              s3_store_read_record_at(dfd, "FORMAT/x", S3_RECORD_USER,
                                      buf, sizeof(buf), &rec, &sb) == S3_ERR
              && errno == ENOTDIR);

    /* the same record after a byte of data: an object's tail, not a user */

    buf[0] = 'x';
    fd = open(path, O_RDONLY | O_CLOEXEC);
    n = (fd == -1) ? -1 : pread(fd, buf + 1, seen.st_size, 0);

    test_cond("copy the record", n == seen.st_size && close(fd) == 0);

    snprintf(path, sizeof(path), "%s/tmp/record_at", st->root);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    test_cond("write data and the record",
              fd != -1 && write(fd, buf, n + 1) == n + 1 && close(fd) == 0);
    test_cond("read as a file's tail",
              s3_store_read_record_file(path, buf, sizeof(buf), &rec)
              == S3_OK && rec.kind == S3_RECORD_USER);
    test_cond("not a record alone: EINVAL",
              s3_store_read_record_at(dfd, "tmp/record_at", S3_RECORD_USER,
                                      buf, sizeof(buf), &rec, &sb) == S3_ERR
              && errno == EINVAL);

    test_cond("removed", unlink(path) == 0);
    test_cond("closed", close(dfd) == 0);
}


static void
test_bucket_attrs(const s3_store_t *st, const char *jname)
{
    int                   n;
    uint64_t              hlc, mtime;
    s3_record_t           rec, set;
    s3_journal_entry_t    e;
    unsigned char         small[S3_RECORD_READ_LEN];
    static char           jbuf[1 << 20], cors[60000];
    static unsigned char  buf[S3_STORE_BUCKET_BUF];

    test_section("bucket attributes");

    memset(&set, 0, sizeof(s3_record_t));
    set.bucket.data = "attrs";
    set.bucket.len = 5;
    set.owner.data = "alice";
    set.owner.len = 5;
    set.acl.data = "public-read";
    set.acl.len = 11;

    test_cond("create with an acl",
              s3_store_create_bucket_rec(st, &set) == S3_OK
              && s3_store_read_bucket(st->root, "attrs", 5, buf, sizeof(buf),
                                      &rec) == S3_OK);
    test_mem("acl stored", rec.acl.data, rec.acl.len, "public-read");
    test_mem("owner stored", rec.owner.data, rec.owner.len, "alice");

    hlc = rec.hlc;
    mtime = rec.mtime_ms;

    memset(cors, 'c', sizeof(cors));
    set.cors.data = cors;
    set.cors.len = sizeof(cors);
    set.acl.len = 0;
    set.owner.len = 0;

    test_cond("set a large cors",
              s3_store_set_bucket_attrs(st, &set, S3_STORE_ATTR_CORS)
              == S3_OK);
    test_cond("a small buffer is ENOBUFS",
              s3_store_read_bucket(st->root, "attrs", 5, small,
                                   sizeof(small), &rec) == S3_ERR
              && errno == ENOBUFS);
    test_cond("read with S3_STORE_BUCKET_BUF",
              s3_store_read_bucket(st->root, "attrs", 5, buf, sizeof(buf),
                                   &rec) == S3_OK
              && rec.cors.len == sizeof(cors)
              && memcmp(rec.cors.data, cors, sizeof(cors)) == 0);
    test_mem("acl and owner kept", rec.acl.data, rec.acl.len, "public-read");
    test_mem("owner kept", rec.owner.data, rec.owner.len, "alice");
    test_cond("creation time kept, hlc above",
              rec.mtime_ms == mtime && rec.hlc > hlc);

    test_cond("journaled as the bucket's new record",
              test_last_frame(jname, &e, jbuf, sizeof(jbuf)) == S3_OK
              && e.op == S3_JOURNAL_CREATE_BUCKET && e.hlc == rec.hlc
              && e.bucket.len == 5 && memcmp(e.bucket.data, "attrs", 5) == 0);

    test_cond("make it private, cors kept",
              s3_store_set_bucket_attrs(st, &set, S3_STORE_ATTR_ACL) == S3_OK
              && s3_store_read_bucket(st->root, "attrs", 5, buf, sizeof(buf),
                                      &rec) == S3_OK
              && rec.acl.len == 0 && rec.cors.len == sizeof(cors));

    n = 0;
    test_cond("listed with the others",
              s3_store_list_buckets(st->root, test_count, &n) == S3_OK
              && n == 3);

    set.cors.len = 0;
    test_cond("drop the cors",
              s3_store_set_bucket_attrs(st, &set, S3_STORE_ATTR_CORS) == S3_OK
              && s3_store_read_bucket(st->root, "attrs", 5, small,
                                      sizeof(small), &rec) == S3_OK
              && rec.cors.len == 0);

    set.bucket.data = "nosuch";
    set.bucket.len = 6;
    test_cond("no bucket: NO_BUCKET",
              s3_store_set_bucket_attrs(st, &set, S3_STORE_ATTR_ACL)
              == S3_STORE_NO_BUCKET);

    set.bucket.data = "Bad_Name";
    set.bucket.len = 8;
    test_cond("invalid name: EINVAL",
              s3_store_set_bucket_attrs(st, &set, S3_STORE_ATTR_ACL)
              == S3_ERR && errno == EINVAL);
}


/* Decodes the last frame of the journal jname into e (slices in buf). */

static int
test_last_frame(const char *jname, s3_journal_entry_t *e, char *buf,
    size_t size)
{
    int      fd;
    size_t   off, used, len;
    ssize_t  n;

    fd = open(jname, O_RDONLY);
    n = read(fd, buf, size);
    close(fd);

    len = (n > 0) ? (size_t) n : 0;
    off = 0;
    used = 0;

    while (s3_journal_decode((unsigned char *) buf + off, len - off, e,
                             &used) == S3_OK)
    {
        if (off + used == len) {
            return S3_OK;
        }

        off += used;
    }

    return S3_ERR;
}
