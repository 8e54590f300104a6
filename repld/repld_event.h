
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld's event loop: one epoll instance, file events indexed by fd, one
 * timer and a before-sleep hook, in the shape of Redis's ae.  Single
 * threaded; nothing here is safe to call from another thread.
 */


#ifndef _REPLD_EVENT_H_INCLUDED_
#define _REPLD_EVENT_H_INCLUDED_


#include <stdint.h>


#define REPLD_OK           0
#define REPLD_ERR         -1

#define REPLD_READABLE     1
#define REPLD_WRITABLE     2


typedef struct repld_loop_s  repld_loop_t;

/* Called with the mask of the events that fired on fd. */
typedef void (*repld_file_pt)(repld_loop_t *loop, int fd, void *data,
    int mask);

/*
 * Called when the timer expires.  Returns the delay in milliseconds until
 * the next call, or -1 to stop the timer.
 */
typedef int64_t (*repld_timer_pt)(repld_loop_t *loop, void *data);

/* Called once per loop turn, before waiting for events. */
typedef void (*repld_hook_pt)(repld_loop_t *loop, void *data);


/*
 * Creates a loop for descriptors below setsize.  Returns NULL with errno
 * set on failure.  Free it with repld_loop_free().
 */
repld_loop_t *repld_loop_create(int setsize);

/* Closes the epoll descriptor and frees the loop; not the watched fds. */
void repld_loop_free(repld_loop_t *loop);

/*
 * Watches fd for the events in mask (added to those already watched),
 * calling handler with data.  Returns REPLD_OK, or REPLD_ERR with errno
 * (ERANGE: fd >= setsize).
 */
int repld_file_add(repld_loop_t *loop, int fd, int mask,
    repld_file_pt handler, void *data);

/* Stops watching fd for the events in mask. */
void repld_file_del(repld_loop_t *loop, int fd, int mask);

/* Arms the loop's single timer to fire in ms milliseconds. */
void repld_timer_set(repld_loop_t *loop, int64_t ms, repld_timer_pt handler,
    void *data);

/* Disarms the timer. */
void repld_timer_del(repld_loop_t *loop);

/* Sets the before-sleep hook (NULL removes it). */
void repld_loop_before_sleep(repld_loop_t *loop, repld_hook_pt hook,
    void *data);

/*
 * Waits for events once, for at most the time left on the timer, and
 * calls their handlers.  Returns the number of file events handled, or
 * REPLD_ERR with errno when epoll_wait() fails for a reason other than
 * EINTR.
 */
int repld_loop_once(repld_loop_t *loop);

/* Runs repld_loop_once() until repld_loop_stop() is called. */
int repld_loop_run(repld_loop_t *loop);

/* Makes repld_loop_run() return after the current turn. */
void repld_loop_stop(repld_loop_t *loop);

/*
 * repld's clock: CLOCK_MONOTONIC in milliseconds and in microseconds,
 * for timers and durations.  Never compare it with a stored time: an HLC
 * timestamp or an mtime is wall-clock time, s3_hlc_wall_ms().
 */
int64_t repld_time_ms(void);
int64_t repld_time_us(void);


#endif /* _REPLD_EVENT_H_INCLUDED_ */
