
/*
 * Copyright (C) ngx_s3 developers
 *
 * Hybrid logical clock: a 64-bit timestamp whose upper 48 bits are wall
 * clock milliseconds and lower 16 bits a logical counter, so it orders
 * like time yet never goes backwards and never repeats within a clock.
 * A clock is safe to share between threads (atomic compare-and-swap).
 */


#ifndef _S3_HLC_H_INCLUDED_
#define _S3_HLC_H_INCLUDED_


#include "s3_core.h"


#define S3_HLC_LOGICAL_BITS   16


typedef struct {
    uint64_t          last;           /* last timestamp handed out */
} s3_hlc_t;


/* Returns a timestamp above every one this clock gave and above floor. */
uint64_t s3_hlc_next(s3_hlc_t *clock, uint64_t floor);

/* Returns the wall-clock milliseconds part of a timestamp. */
uint64_t s3_hlc_ms(uint64_t hlc);

/*
 * Returns the wall clock (CLOCK_REALTIME) in milliseconds, the one
 * s3_hlc_next() stamps with: what an age computed from s3_hlc_ms() of a
 * stored timestamp must be measured against.
 */
uint64_t s3_hlc_wall_ms(void);


#endif /* _S3_HLC_H_INCLUDED_ */
