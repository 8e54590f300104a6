
/*
 * Copyright (C) ngx_s3 developers
 *
 * Two threads of one process contend on one stripe (OFD locks, one open
 * per holder) but not on different stripes.
 */


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "s3_lock.h"
#include "test.h"


typedef struct {
    const char       *root;
    const char       *bucket;
    const char       *key;           /* NULL: the bucket stripe */
    s3_lock_mode_e    mode;
    int               acquired;
    int               release;
} test_holder_t;


static void *test_holder(void *data);
static int test_wait(int *flag, int ms);
static void test_sleep_ms(int ms);
static off_t test_locked_byte(const char *root);
static void test_contention(const char *root);
static void test_modes(const char *root);
static void test_stripes(const char *root);
static void test_start(pthread_t *tid, test_holder_t *h, const char *root,
    const char *bucket, const char *key, s3_lock_mode_e mode);
static void test_stop(pthread_t tid, test_holder_t *h);


int
main(void)
{
    char  root[] = "/tmp/s3_lock_XXXXXX";
    char  path[PATH_MAX];

    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_contention(root);
    test_modes(root);
    test_stripes(root);

    snprintf(path, sizeof(path), "%s/" S3_LOCK_FILE, root);
    unlink(path);
    rmdir(root);

    return test_report("test_lock");
}


static void *
test_holder(void *data)
{
    int             fd, rc;
    test_holder_t  *h = data;

    fd = s3_lock_open(h->root);
    if (fd == -1) {
        return NULL;
    }

    if (h->key != NULL) {
        rc = s3_lock_key(fd, h->bucket, strlen(h->bucket), h->key,
                         strlen(h->key), h->mode);

    } else {
        rc = s3_lock_bucket(fd, h->bucket, strlen(h->bucket), h->mode);
    }

    if (rc == S3_OK) {
        __atomic_store_n(&h->acquired, 1, __ATOMIC_SEQ_CST);
    }

    while (!__atomic_load_n(&h->release, __ATOMIC_SEQ_CST)) {
        test_sleep_ms(5);
    }

    close(fd);

    return NULL;
}


static void
test_sleep_ms(int ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}


/* Returns 1 once *flag is set, 0 after ms milliseconds. */

static int
test_wait(int *flag, int ms)
{
    while (ms > 0) {
        if (__atomic_load_n(flag, __ATOMIC_SEQ_CST)) {
            return 1;
        }

        test_sleep_ms(5);
        ms -= 5;
    }

    return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}


static void
test_start(pthread_t *tid, test_holder_t *h, const char *root,
    const char *bucket, const char *key, s3_lock_mode_e mode)
{
    h->root = root;
    h->bucket = bucket;
    h->key = key;
    h->mode = mode;
    h->acquired = 0;
    h->release = 0;

    pthread_create(tid, NULL, test_holder, h);
}


static void
test_stop(pthread_t tid, test_holder_t *h)
{
    __atomic_store_n(&h->release, 1, __ATOMIC_SEQ_CST);
    pthread_join(tid, NULL);
}


static void
test_contention(const char *root)
{
    int            fd;
    pthread_t      tid;
    test_holder_t  h;

    test_section("one stripe, two threads");

    fd = s3_lock_open(root);
    test_cond("lock file opened", fd >= 0);
    test_cond("main thread holds bkt/k1 exclusive",
              s3_lock_key(fd, "bkt", 3, "k1", 2, S3_LOCK_EXCLUSIVE) == S3_OK);

    test_start(&tid, &h, root, "bkt", "k1", S3_LOCK_EXCLUSIVE);
    test_cond("second thread waits on the same stripe",
              !test_wait(&h.acquired, 300));

    close(fd);
    test_cond("and gets it when the holder closes its descriptor",
              test_wait(&h.acquired, 3000));
    test_stop(tid, &h);

    test_section("different stripes, two threads");

    fd = s3_lock_open(root);
    s3_lock_key(fd, "bkt", 3, "k1", 2, S3_LOCK_EXCLUSIVE);

    test_start(&tid, &h, root, "bkt", "k2", S3_LOCK_EXCLUSIVE);
    test_cond("bkt/k2 is not blocked by bkt/k1", test_wait(&h.acquired, 3000));
    test_stop(tid, &h);

    test_start(&tid, &h, root, "bkt", NULL, S3_LOCK_EXCLUSIVE);
    test_cond("the bucket stripe is not blocked by a key stripe",
              test_wait(&h.acquired, 3000));
    test_stop(tid, &h);

    close(fd);
}


static void
test_modes(const char *root)
{
    int            fd;
    pthread_t      tid;
    test_holder_t  h;

    test_section("shared and exclusive");

    fd = s3_lock_open(root);

    test_cond("put pattern: bucket shared + key exclusive on one fd",
              s3_lock_bucket(fd, "bkt", 3, S3_LOCK_SHARED) == S3_OK
              && s3_lock_key(fd, "bkt", 3, "k", 1, S3_LOCK_EXCLUSIVE)
                 == S3_OK);

    test_start(&tid, &h, root, "bkt", NULL, S3_LOCK_SHARED);
    test_cond("another shared holder of the bucket gets in",
              test_wait(&h.acquired, 3000));
    test_stop(tid, &h);

    test_start(&tid, &h, root, "bkt", NULL, S3_LOCK_EXCLUSIVE);
    test_cond("bucket deletion (exclusive) waits for the put",
              !test_wait(&h.acquired, 300));

    close(fd);
    test_cond("and proceeds after it", test_wait(&h.acquired, 3000));
    test_stop(tid, &h);

    fd = s3_lock_open(root);
    test_cond("user table byte",
              s3_lock_users(fd, S3_LOCK_EXCLUSIVE) == S3_OK);
    close(fd);
}


/* Finds the byte another descriptor holds in the lock file, or -1. */

static off_t
test_locked_byte(const char *root)
{
    int           fd;
    struct flock  fl;

    fd = s3_lock_open(root);

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;

    if (fcntl(fd, F_OFD_GETLK, &fl) == -1 || fl.l_type == F_UNLCK) {
        close(fd);
        return -1;
    }

    close(fd);

    return fl.l_start;
}


static void
test_stripes(const char *root)
{
    int    fd;
    off_t  k1, k1b, k2, b;

    test_section("stripe ranges");

    fd = s3_lock_open(root);
    s3_lock_key(fd, "bkt", 3, "k1", 2, S3_LOCK_EXCLUSIVE);
    k1 = test_locked_byte(root);
    close(fd);

    fd = s3_lock_open(root);
    s3_lock_key(fd, "bkt", 3, "k1", 2, S3_LOCK_SHARED);
    k1b = test_locked_byte(root);
    close(fd);

    fd = s3_lock_open(root);
    s3_lock_key(fd, "bkt", 3, "k2", 2, S3_LOCK_EXCLUSIVE);
    k2 = test_locked_byte(root);
    close(fd);

    fd = s3_lock_open(root);
    s3_lock_bucket(fd, "bkt", 3, S3_LOCK_EXCLUSIVE);
    b = test_locked_byte(root);
    close(fd);

    test_cond("a key stripe is in [0, 4096)",
              k1 >= 0 && k1 < S3_LOCK_KEY_STRIPES);
    test_cond("the same key maps to the same stripe", k1 == k1b);
    test_cond("k1 and k2 map to different stripes", k2 >= 0 && k1 != k2);
    test_cond("a bucket stripe is in [4096, 4352)",
              b >= S3_LOCK_KEY_STRIPES
              && b < S3_LOCK_KEY_STRIPES + S3_LOCK_BUCKET_STRIPES);

    fd = s3_lock_open(root);
    s3_lock_users(fd, S3_LOCK_EXCLUSIVE);
    test_cond("the user byte follows the bucket stripes",
              test_locked_byte(root) == S3_LOCK_USERS_STRIPE);
    close(fd);

    test_cond("lock_open on a missing root fails",
              s3_lock_open("/nonexistent/s3") == -1 && errno == ENOENT);
}
