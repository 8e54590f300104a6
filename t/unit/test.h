
/*
 * Copyright (C) ngx_s3 developers
 *
 * A test_cond-sized harness (after Redis's testhelp.h): every check
 * prints one line, test_report() prints "N passed, N failed" and returns
 * the exit status for main().
 */


#ifndef _TEST_H_INCLUDED_
#define _TEST_H_INCLUDED_


#include <stdio.h>
#include <string.h>


static int  test_passed;
static int  test_failed;


#define test_cond(descr, cond)                                                \
    do {                                                                      \
        if (cond) {                                                           \
            test_passed++;                                                    \
            printf("  ok    %s\n", descr);                                    \
                                                                              \
        } else {                                                              \
            test_failed++;                                                    \
            printf("  FAIL  %s  (%s:%d)\n", descr, __FILE__, __LINE__);       \
        }                                                                     \
    } while (0)


/* compares got[len] with the C string want, printing both on a mismatch */
#define test_mem(descr, got, len, want)                                       \
    do {                                                                      \
        size_t  test_len_ = (size_t) (len);                                   \
        int     test_ok_ = (test_len_ == strlen(want)                         \
                            && memcmp(got, want, test_len_) == 0);            \
                                                                              \
        test_cond(descr, test_ok_);                                           \
                                                                              \
        if (!test_ok_) {                                                      \
            printf("        got:  \"%.*s\"\n        want: \"%s\"\n",        \
                   (int) test_len_, (const char *) (got), want);              \
        }                                                                     \
    } while (0)


#define test_section(name)  printf("%s\n", name)


#define test_report(name)                                                     \
    (printf("%s: %d passed, %d failed\n", name, test_passed, test_failed),    \
     test_failed == 0 ? 0 : 1)


#endif /* _TEST_H_INCLUDED_ */
