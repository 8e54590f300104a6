
/*
 * Copyright (C) ngx_s3 developers
 *
 * What the libFuzzer targets share: the entry point libFuzzer calls, and
 * the one property every parser promises besides not crashing, that the
 * slices it returns lie inside the buffer it was given.
 */


#ifndef _FUZZ_H_INCLUDED_
#define _FUZZ_H_INCLUDED_


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_core.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* aborts, which libFuzzer reports as a crash, when s is outside buf */
#define fuzz_inside(s, buf, len)                                              \
    fuzz_check_inside(&(s), (const char *) (buf), len, __FILE__, __LINE__)


static inline void
fuzz_check_inside(const s3_str_t *s, const char *buf, size_t len,
    const char *file, int line)
{
    if (s->len == 0) {
        return;
    }

    if (s->data < buf || s->data > buf + len
        || (size_t) (buf + len - s->data) < s->len)
    {
        fprintf(stderr, "%s:%d: slice outside the buffer\n", file, line);
        abort();
    }
}


/* a copy of the input in a heap block of its exact size, for ASan */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
    char  *p;

    p = malloc(size + (size == 0));
    if (p == NULL) {
        abort();
    }

    memcpy(p, data, size);

    return p;
}


#endif /* _FUZZ_H_INCLUDED_ */
