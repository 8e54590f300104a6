
/*
 * Copyright (C) ngx_s3 developers
 */


#include <time.h>

#include "s3_hlc.h"


uint64_t
s3_hlc_next(s3_hlc_t *clock, uint64_t floor)
{
    uint64_t  last, next, wall;

    wall = s3_hlc_wall_ms() << S3_HLC_LOGICAL_BITS;

    last = __atomic_load_n(&clock->last, __ATOMIC_ACQUIRE);

    for ( ;; ) {
        next = wall;

        if (next <= last) {
            next = last + 1;
        }

        if (next <= floor) {
            next = floor + 1;
        }

        if (__atomic_compare_exchange_n(&clock->last, &last, next, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        {
            return next;
        }

        /* another thread moved the clock: last holds its value, retry */
    }
}


uint64_t
s3_hlc_ms(uint64_t hlc)
{
    return hlc >> S3_HLC_LOGICAL_BITS;
}


uint64_t
s3_hlc_wall_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
