
/*
 * Copyright (C) ngx_s3 developers
 *
 * bench-fill: writes N small objects into a bucket through the store's own
 * code (s3_store_put_object, journaled like nginx does, fsync off), so
 * that the listing bench has a large bucket without N HTTP requests, and
 * repld has a journal to ingest.
 *
 *     bench-fill DATA BUCKET OWNER N DIRS THREADS [JOURNAL_LIMIT]
 *
 * Key i is "dDDDD/kIIIIIIIII" with DDDD = i % DIRS, so the keys are spread
 * over DIRS "directories"; its data is 0-16 bytes.  Once they are all
 * written, one more key, "~last", is written: it is the last frame of the
 * journal, so a reader that sees it has applied everything.  The bucket is
 * created (owned by OWNER) if missing.  Prints "filled N keys in S s (R
 * keys/s)".
 *
 * Build: cc -O2 -D_GNU_SOURCE -Icore core/\*.c t/bench/fill.c -lcrypto
 *        -lpthread -o build/bench-fill
 */


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s3_core.h"
#include "s3_digest.h"
#include "s3_hlc.h"
#include "s3_journal.h"
#include "s3_record.h"
#include "s3_store.h"


typedef struct {
    s3_store_t      *store;
    const char      *bucket;
    unsigned long    first;
    unsigned long    n;
    unsigned long    step;
    unsigned long    dirs;
    int              last;            /* write "~last" */
    int              failed;
} fill_job_t;


static void *fill_thread(void *arg);
static double fill_now(void);


int
main(int argc, char **argv)
{
    int            rc;
    char           root[PATH_MAX];
    double         t0, t;
    uint64_t       limit;
    s3_hlc_t       clock;
    s3_store_t     store;
    pthread_t     *tids;
    fill_job_t    *jobs;
    s3_journal_t   journal;
    unsigned long  n, dirs, threads, i;

    if (argc < 7) {
        fprintf(stderr, "usage: bench-fill DATA BUCKET OWNER N DIRS THREADS "
                "[JOURNAL_LIMIT]\n");
        return 1;
    }

    if (realpath(argv[1], root) == NULL) {
        fprintf(stderr, "bench-fill: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }

    n = strtoul(argv[4], NULL, 10);
    dirs = strtoul(argv[5], NULL, 10);
    threads = strtoul(argv[6], NULL, 10);
    limit = argc > 7 ? strtoull(argv[7], NULL, 10) : 64 * 1024 * 1024;

    if (dirs == 0 || threads == 0 || threads > 64) {
        fprintf(stderr, "bench-fill: DIRS >= 1, 1 <= THREADS <= 64\n");
        return 1;
    }

    memset(&clock, 0, sizeof(clock));
    memset(&store, 0, sizeof(store));

    store.root = root;
    store.fsync = 0;
    store.clock = &clock;

    if (s3_store_init(root, &store.node_id) != S3_OK) {
        fprintf(stderr, "bench-fill: s3_store_init(%s): %s\n", root,
                strerror(errno));
        return 1;
    }

    if (s3_journal_open(&journal, root, limit) != S3_OK) {
        fprintf(stderr, "bench-fill: s3_journal_open: %s\n", strerror(errno));
        return 1;
    }

    store.journal = &journal;

    rc = s3_store_create_bucket(&store, argv[2], strlen(argv[2]), argv[3],
                                strlen(argv[3]));
    if (rc != S3_OK && rc != S3_STORE_BUCKET_OWNED) {
        fprintf(stderr, "bench-fill: create bucket %s: %d %s\n", argv[2], rc,
                strerror(errno));
        return 1;
    }

    tids = calloc(threads, sizeof(pthread_t));
    jobs = calloc(threads, sizeof(fill_job_t));
    if (tids == NULL || jobs == NULL) {
        return 1;
    }

    t0 = fill_now();

    for (i = 0; i < threads; i++) {
        jobs[i].store = &store;
        jobs[i].bucket = argv[2];
        jobs[i].first = i;
        jobs[i].n = n;
        jobs[i].step = threads;
        jobs[i].dirs = dirs;

        if (pthread_create(&tids[i], NULL, fill_thread, &jobs[i]) != 0) {
            fprintf(stderr, "bench-fill: pthread_create failed\n");
            return 1;
        }
    }

    rc = 0;

    for (i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        rc |= jobs[i].failed;
    }

    t = fill_now() - t0;

    if (rc == 0) {
        jobs[0].first = 0;
        jobs[0].n = 1;
        jobs[0].step = 1;
        jobs[0].last = 1;
        fill_thread(&jobs[0]);
        rc |= jobs[0].failed;
    }

    if (s3_journal_close(&journal) != S3_OK) {
        fprintf(stderr, "bench-fill: s3_journal_close: %s\n",
                strerror(errno));
        rc = 1;
    }

    printf("filled %lu keys in %.1f s (%.0f keys/s)\n", n, t,
           t > 0 ? n / t : 0.0);

    free(tids);
    free(jobs);

    return rc;
}


static void *
fill_thread(void *arg)
{
    fill_job_t    *job = arg;

    int            fd, rc;
    char           key[64], tmp[PATH_MAX];
    size_t         len;
    unsigned long  i;
    s3_digest_t    d;
    s3_record_t    rec;
    unsigned char  data[16];

    for (i = job->first; i < job->n; i += job->step) {

        len = i % 17;
        memset(data, 'a' + (int) (i % 26), sizeof(data));

        snprintf(tmp, sizeof(tmp), "%s/tmp/bench.%ld.%lu", job->store->root,
                 (long) getpid(), i);

        fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd == -1 || (len && write(fd, data, len) != (ssize_t) len)) {
            fprintf(stderr, "bench-fill: %s: %s\n", tmp, strerror(errno));
            job->failed = 1;
            return NULL;
        }

        memset(&rec, 0, sizeof(rec));
        rec.kind = S3_RECORD_OBJECT;
        rec.size = len;
        rec.bucket.data = (char *) job->bucket;
        rec.bucket.len = strlen(job->bucket);
        rec.key.data = key;
        rec.key.len = job->last
                      ? (size_t) snprintf(key, sizeof(key), "~last")
                      : (size_t) snprintf(key, sizeof(key), "d%04lu/k%09lu",
                                          i % job->dirs, i);

        if (s3_digest_init(&d, S3_DIGEST_MD5) != S3_OK
            || s3_digest_update(&d, data, len) != S3_OK
            || s3_digest_final(&d, rec.md5) != S3_OK)
        {
            fprintf(stderr, "bench-fill: md5 failed\n");
            job->failed = 1;
            return NULL;
        }

        rc = s3_store_put_object(job->store, fd, tmp, &rec);
        close(fd);

        if (rc != S3_OK) {
            fprintf(stderr, "bench-fill: put %s: %d %s\n", key, rc,
                    strerror(errno));
            unlink(tmp);
            job->failed = 1;
            return NULL;
        }
    }

    return NULL;
}


static double
fill_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}
