
/*
 * Copyright (C) ngx_s3 developers
 *
 * An LD_PRELOAD shim for t/fault/test_event_loop.py: while the file
 * SLOW_FSYNC_MARKER exists, fsync() and fdatasync() first create
 * SLOW_FSYNC_MARKER ".hit" (so the test knows a sync is under way) and
 * sleep SLOW_FSYNC_MS milliseconds.  Both macros are given by the test
 * when it builds the shim: nginx clears the environment of its workers,
 * so the shim cannot read its settings from there.
 *
 *     cc -shared -fPIC -DSLOW_FSYNC_MARKER='"/path"' -DSLOW_FSYNC_MS=1000
 *        t/fault/slow_fsync.c -o slow_fsync.so -ldl
 */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>


static void slow_fsync_maybe_sleep(void);


int
fsync(int fd)
{
    static int  (*real)(int);

    if (real == NULL) {
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    }

    slow_fsync_maybe_sleep();

    return real(fd);
}


int
fdatasync(int fd)
{
    static int  (*real)(int);

    if (real == NULL) {
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
    }

    slow_fsync_maybe_sleep();

    return real(fd);
}


static void
slow_fsync_maybe_sleep(void)
{
    int              fd, err;
    struct timespec  ts;

    err = errno;

    if (access(SLOW_FSYNC_MARKER, F_OK) == 0) {
        fd = open(SLOW_FSYNC_MARKER ".hit", O_WRONLY | O_CREAT | O_CLOEXEC,
                  0600);
        if (fd != -1) {
            (void) close(fd);
        }

        ts.tv_sec = SLOW_FSYNC_MS / 1000;
        ts.tv_nsec = (SLOW_FSYNC_MS % 1000) * 1000000L;

        while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
            /* void */
        }
    }

    errno = err;
}
