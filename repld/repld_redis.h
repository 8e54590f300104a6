
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld's connection to Redis: hiredis's asynchronous API (0.14.1)
 * driven by repld's own event loop, so that a slow or lost Redis never
 * blocks it.  The connection is made again, with backoff, whenever it is
 * lost or too slow; the loss and the recovery are logged once each.
 */


#ifndef _REPLD_REDIS_H_INCLUDED_
#define _REPLD_REDIS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "repld_event.h"


typedef struct repld_redis_s  repld_redis_t;

/*
 * Called with the reply to a command, or with NULL when the connection
 * went before it came (lost, timed out, repld stopping).
 */
typedef void (*repld_redis_reply_pt)(redisReply *reply, void *data);


/*
 * A connection to host:port watched by loop; the first attempt is made
 * by the first repld_redis_tick().  A connection attempt, or commands
 * waiting for their reply, that take longer than timeout_ms drop the
 * connection.  Returns NULL (out of memory).
 */
repld_redis_t *repld_redis_create(repld_loop_t *loop, const char *host,
    int port, int64_t timeout_ms);

/* Drops the connection (pending replies get NULL) and frees rr. */
void repld_redis_free(repld_redis_t *rr);

/*
 * Call from the timer: connects when a retry is due, drops a connection
 * that is late.
 */
void repld_redis_tick(repld_redis_t *rr, int64_t now);

/* 1 while connected. */
int repld_redis_up(const repld_redis_t *rr);

/*
 * Sends a command (argv form, copied) on the connection; handler gets
 * its reply.  Returns REPLD_OK, or REPLD_ERR when not connected or out of
 * memory (handler is not called then).
 */
int repld_redis_command(repld_redis_t *rr, repld_redis_reply_pt handler,
    void *data, int argc, const char **argv, const size_t *argvlen);


#endif /* _REPLD_REDIS_H_INCLUDED_ */
