
/*
 * Copyright (C) ngx_s3 developers
 */


#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "s3_hlc.h"
#include "test.h"


#define TEST_THREADS  4
#define TEST_STAMPS   20000


typedef struct {
    s3_hlc_t         *clock;
    uint64_t         *out;
    int               monotonic;
} test_worker_t;


static void *test_worker(void *data);
static int test_cmp(const void *a, const void *b);
static uint64_t test_now_ms(void);


int
main(void)
{
    int            i, ok;
    uint64_t       a, b, floor, now;
    uint64_t      *all;
    s3_hlc_t       clock;
    pthread_t      tid[TEST_THREADS];
    test_worker_t  w[TEST_THREADS];

    clock.last = 0;

    test_section("single thread");

    now = test_now_ms();
    a = s3_hlc_next(&clock, 0);
    b = s3_hlc_next(&clock, 0);
    test_cond("strictly increasing", b > a);
    test_cond("wall clock in the upper bits",
              s3_hlc_ms(a) >= now && s3_hlc_ms(a) <= test_now_ms());
    test_cond("s3_hlc_wall_ms() is that wall clock",
              s3_hlc_wall_ms() >= s3_hlc_ms(a)
              && s3_hlc_wall_ms() <= test_now_ms());

    floor = (s3_hlc_ms(b) + 60000) << S3_HLC_LOGICAL_BITS | 7;
    a = s3_hlc_next(&clock, floor);
    test_cond("above a floor from the future", a == floor + 1);
    b = s3_hlc_next(&clock, 0);
    test_cond("and never back after it", b == floor + 2);
    test_cond("logical counter in the low bits",
              (b & ((1 << S3_HLC_LOGICAL_BITS) - 1)) == 9);
    test_cond("floor in the past is ignored",
              s3_hlc_next(&clock, 5) == floor + 3);

    test_section("threads");

    clock.last = 0;
    all = malloc(sizeof(uint64_t) * TEST_THREADS * TEST_STAMPS);

    for (i = 0; i < TEST_THREADS; i++) {
        w[i].clock = &clock;
        w[i].out = all + i * TEST_STAMPS;
        pthread_create(&tid[i], NULL, test_worker, &w[i]);
    }

    ok = 1;

    for (i = 0; i < TEST_THREADS; i++) {
        pthread_join(tid[i], NULL);
        ok = ok && w[i].monotonic;
    }

    test_cond("each thread sees increasing stamps", ok);

    qsort(all, TEST_THREADS * TEST_STAMPS, sizeof(uint64_t), test_cmp);

    ok = 1;

    for (i = 1; i < TEST_THREADS * TEST_STAMPS; i++) {
        ok = ok && all[i] != all[i - 1];
    }

    test_cond("80000 stamps from 4 threads are all distinct", ok);

    free(all);

    return test_report("test_hlc");
}


static void *
test_worker(void *data)
{
    int             i;
    test_worker_t  *w = data;

    w->monotonic = 1;

    for (i = 0; i < TEST_STAMPS; i++) {
        w->out[i] = s3_hlc_next(w->clock, 0);

        if (i > 0 && w->out[i] <= w->out[i - 1]) {
            w->monotonic = 0;
        }
    }

    return NULL;
}


static int
test_cmp(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return (x > y) - (x < y);
}


static uint64_t
test_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
