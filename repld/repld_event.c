
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "repld_event.h"


#define REPLD_EVENT_BATCH  64


typedef struct {
    int                 mask;        /* REPLD_READABLE | REPLD_WRITABLE */
    repld_file_pt       handler;
    void               *data;
} repld_file_t;


struct repld_loop_s {
    int                 epfd;
    int                 setsize;     /* fds must stay below it */
    int                 stop;
    repld_file_t       *files;       /* indexed by fd */

    int64_t             timer_at;    /* monotonic ms, -1: disarmed */
    repld_timer_pt      timer_handler;
    void               *timer_data;

    repld_hook_pt       before_sleep;
    void               *before_sleep_data;
};


static uint32_t repld_epoll_events(int mask);
static int repld_loop_timeout(repld_loop_t *loop);
static void repld_loop_timer(repld_loop_t *loop);


repld_loop_t *
repld_loop_create(int setsize)
{
    repld_loop_t  *loop;

    loop = calloc(1, sizeof(repld_loop_t));
    if (loop == NULL) {
        return NULL;
    }

    loop->files = calloc(setsize, sizeof(repld_file_t));
    if (loop->files == NULL) {
        free(loop);
        return NULL;
    }

    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd == -1) {
        free(loop->files);
        free(loop);
        return NULL;
    }

    loop->setsize = setsize;
    loop->timer_at = -1;

    return loop;
}


void
repld_loop_free(repld_loop_t *loop)
{
    close(loop->epfd);
    free(loop->files);
    free(loop);
}


int
repld_file_add(repld_loop_t *loop, int fd, int mask, repld_file_pt handler,
    void *data)
{
    int                  op;
    repld_file_t        *f;
    struct epoll_event   ee;

    if (fd < 0 || fd >= loop->setsize) {
        errno = ERANGE;
        return REPLD_ERR;
    }

    f = &loop->files[fd];
    op = (f->mask == 0) ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

    memset(&ee, 0, sizeof(ee));
    ee.events = repld_epoll_events(f->mask | mask);
    ee.data.fd = fd;

    if (epoll_ctl(loop->epfd, op, fd, &ee) == -1) {
        return REPLD_ERR;
    }

    f->mask |= mask;
    f->handler = handler;
    f->data = data;

    return REPLD_OK;
}


void
repld_file_del(repld_loop_t *loop, int fd, int mask)
{
    repld_file_t        *f;
    struct epoll_event   ee;

    if (fd < 0 || fd >= loop->setsize || loop->files[fd].mask == 0) {
        return;
    }

    f = &loop->files[fd];
    f->mask &= ~mask;

    memset(&ee, 0, sizeof(ee));
    ee.events = repld_epoll_events(f->mask);
    ee.data.fd = fd;

    /* the fd may already be closed: an error here changes nothing */

    (void) epoll_ctl(loop->epfd, f->mask ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd,
                     &ee);
}


void
repld_timer_set(repld_loop_t *loop, int64_t ms, repld_timer_pt handler,
    void *data)
{
    loop->timer_at = repld_time_ms() + ms;
    loop->timer_handler = handler;
    loop->timer_data = data;
}


void
repld_timer_del(repld_loop_t *loop)
{
    loop->timer_at = -1;
}


void
repld_loop_before_sleep(repld_loop_t *loop, repld_hook_pt hook, void *data)
{
    loop->before_sleep = hook;
    loop->before_sleep_data = data;
}


int
repld_loop_once(repld_loop_t *loop)
{
    int                  i, n, fd, mask;
    repld_file_t        *f;
    struct epoll_event   events[REPLD_EVENT_BATCH];

    if (loop->before_sleep) {
        loop->before_sleep(loop, loop->before_sleep_data);
    }

    n = epoll_wait(loop->epfd, events, REPLD_EVENT_BATCH,
                   repld_loop_timeout(loop));

    if (n == -1) {
        if (errno != EINTR) {
            return REPLD_ERR;
        }

        n = 0;
    }

    for (i = 0; i < n; i++) {
        fd = events[i].data.fd;
        f = &loop->files[fd];

        mask = 0;

        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
            mask |= REPLD_READABLE;
        }

        if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            mask |= REPLD_WRITABLE;
        }

        /* an earlier handler of this turn may have removed the fd */

        mask &= f->mask;

        if (mask) {
            f->handler(loop, fd, f->data, mask);
        }
    }

    repld_loop_timer(loop);

    return n;
}


int
repld_loop_run(repld_loop_t *loop)
{
    loop->stop = 0;

    while (!loop->stop) {
        if (repld_loop_once(loop) == REPLD_ERR) {
            return REPLD_ERR;
        }
    }

    return REPLD_OK;
}


void
repld_loop_stop(repld_loop_t *loop)
{
    loop->stop = 1;
}


int64_t
repld_time_ms(void)
{
    return repld_time_us() / 1000;
}


int64_t
repld_time_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static uint32_t
repld_epoll_events(int mask)
{
    uint32_t  events;

    events = 0;

    if (mask & REPLD_READABLE) {
        events |= EPOLLIN;
    }

    if (mask & REPLD_WRITABLE) {
        events |= EPOLLOUT;
    }

    return events;
}


static int
repld_loop_timeout(repld_loop_t *loop)
{
    int64_t  left;

    if (loop->stop) {
        return 0;
    }

    if (loop->timer_at == -1) {
        return -1;
    }

    left = loop->timer_at - repld_time_ms();

    if (left <= 0) {
        return 0;
    }

    return (left > 60000) ? 60000 : (int) left;
}


static void
repld_loop_timer(repld_loop_t *loop)
{
    int64_t  next;

    if (loop->timer_at == -1 || repld_time_ms() < loop->timer_at) {
        return;
    }

    next = loop->timer_handler(loop, loop->timer_data);

    if (next < 0) {
        loop->timer_at = -1;
        return;
    }

    loop->timer_at = repld_time_ms() + next;
}
