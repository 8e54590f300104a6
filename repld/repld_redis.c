
/*
 * Copyright (C) ngx_s3 developers
 *
 * hiredis's async context with an adapter to repld's loop, in the shape
 * of hiredis's own adapters/ae.h.  The blocking API with a timeout would
 * stall every listing for up to that timeout at each heartbeat while
 * Redis is away; the async one only ever reads and writes a socket that
 * is ready.  hiredis 0.14.1 has no timers of its own (they came in 1.0),
 * so the connect and reply timeouts are checked from repld's timer.
 *
 * hiredis frees the context by itself when the connection fails or is
 * closed by the peer, and tells us through the connect callback (failed
 * attempt) or the disconnect callback (lost connection): both forget
 * rr->ac, which is never touched again after that.  Its errors are read
 * from ac->c.errstr: 0.14.1 copies them to ac->errstr only later.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>

#include "repld_log.h"
#include "repld_redis.h"


#define REPLD_REDIS_BACKOFF_MIN   100
#define REPLD_REDIS_BACKOFF_MAX   2000


typedef enum {
    REPLD_REDIS_NEW = 0,             /* never connected, never failed */
    REPLD_REDIS_UP,
    REPLD_REDIS_DOWN
} repld_redis_state_e;


struct repld_redis_s {
    repld_loop_t             *loop;
    redisAsyncContext        *ac;             /* NULL: no connection */
    int                       fd;
    int                       connected;
    repld_redis_state_e       state;
    int64_t                   timeout;
    int64_t                   started;        /* connect() or last reply */
    int64_t                   retry_at;
    int64_t                   backoff;
    int64_t                   down_since;
    unsigned                  pending;        /* replies awaited */
    int                       port;
    char                      host[256];
};


typedef struct {
    repld_redis_t            *rr;
    repld_redis_reply_pt      handler;
    void                     *data;
} repld_redis_cmd_t;


static void repld_redis_connect(repld_redis_t *rr, int64_t now);
static void repld_redis_drop(repld_redis_t *rr, const char *why);
static void repld_redis_lost(repld_redis_t *rr, const char *why);
static void repld_redis_on_connect(const redisAsyncContext *ac, int status);
static void repld_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void repld_redis_on_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void repld_redis_event(repld_loop_t *loop, int fd, void *data,
    int mask);
static void repld_redis_add_read(void *privdata);
static void repld_redis_del_read(void *privdata);
static void repld_redis_add_write(void *privdata);
static void repld_redis_del_write(void *privdata);
static void repld_redis_cleanup(void *privdata);


repld_redis_t *
repld_redis_create(repld_loop_t *loop, const char *host, int port,
    int64_t timeout_ms)
{
    repld_redis_t  *rr;

    rr = calloc(1, sizeof(repld_redis_t));
    if (rr == NULL) {
        return NULL;
    }

    rr->loop = loop;
    rr->fd = -1;
    rr->port = port;
    rr->timeout = timeout_ms;
    rr->backoff = REPLD_REDIS_BACKOFF_MIN;
    snprintf(rr->host, sizeof(rr->host), "%s", host);

    return rr;
}


void
repld_redis_free(repld_redis_t *rr)
{
    redisAsyncContext  *ac;

    ac = rr->ac;

    if (ac != NULL) {
        rr->ac = NULL;
        redisAsyncFree(ac);
    }

    free(rr);
}


void
repld_redis_tick(repld_redis_t *rr, int64_t now)
{
    if (rr->ac == NULL) {
        if (now >= rr->retry_at) {
            repld_redis_connect(rr, now);
        }

        return;
    }

    if (!rr->connected && now - rr->started > rr->timeout) {
        repld_redis_drop(rr, "connection timed out");
        return;
    }

    if (rr->pending && now - rr->started > rr->timeout) {
        repld_redis_drop(rr, "no reply in time");
    }
}


int
repld_redis_up(const repld_redis_t *rr)
{
    return rr->connected;
}


int
repld_redis_command(repld_redis_t *rr, repld_redis_reply_pt handler,
    void *data, int argc, const char **argv, const size_t *argvlen)
{
    repld_redis_cmd_t  *cmd;

    if (!rr->connected) {
        return REPLD_ERR;
    }

    cmd = malloc(sizeof(repld_redis_cmd_t));
    if (cmd == NULL) {
        return REPLD_ERR;
    }

    cmd->rr = rr;
    cmd->handler = handler;
    cmd->data = data;

    if (redisAsyncCommandArgv(rr->ac, repld_redis_on_reply, cmd, argc, argv,
                              argvlen)
        != REDIS_OK)
    {
        free(cmd);
        return REPLD_ERR;
    }

    if (rr->pending++ == 0) {
        rr->started = repld_time_ms();
    }

    return REPLD_OK;
}


/*
 * The host is resolved by getaddrinfo(), which blocks: an address (or a
 * name in /etc/hosts) keeps that short.
 */

static void
repld_redis_connect(repld_redis_t *rr, int64_t now)
{
    redisAsyncContext  *ac;

    rr->started = now;

    ac = redisAsyncConnect(rr->host, rr->port);
    if (ac == NULL) {
        repld_redis_lost(rr, "out of memory");
        return;
    }

    if (ac->c.err) {
        repld_redis_lost(rr, ac->c.errstr);
        redisAsyncFree(ac);
        return;
    }

    rr->ac = ac;
    rr->fd = ac->c.fd;

    ac->ev.data = rr;
    ac->ev.addRead = repld_redis_add_read;
    ac->ev.delRead = repld_redis_del_read;
    ac->ev.addWrite = repld_redis_add_write;
    ac->ev.delWrite = repld_redis_del_write;
    ac->ev.cleanup = repld_redis_cleanup;
    ac->data = rr;

    /* the connect callback arms the write event that ends connect() */

    (void) redisAsyncSetDisconnectCallback(ac, repld_redis_on_disconnect);
    (void) redisAsyncSetConnectCallback(ac, repld_redis_on_connect);
}


/* Not from a hiredis callback: it frees the context. */

static void
repld_redis_drop(repld_redis_t *rr, const char *why)
{
    redisAsyncContext  *ac;

    ac = rr->ac;
    rr->ac = NULL;

    repld_redis_lost(rr, why);

    redisAsyncFree(ac);
}


static void
repld_redis_lost(repld_redis_t *rr, const char *why)
{
    int64_t  now;

    now = repld_time_ms();

    rr->connected = 0;
    rr->retry_at = now + rr->backoff;
    rr->backoff *= 2;

    if (rr->backoff > REPLD_REDIS_BACKOFF_MAX) {
        rr->backoff = REPLD_REDIS_BACKOFF_MAX;
    }

    if (rr->state == REPLD_REDIS_DOWN) {
        repld_log(REPLD_LOG_DEBUG, "redis %s:%d: still unreachable: %s",
                  rr->host, rr->port, why);
        return;
    }

    repld_log(REPLD_LOG_WARN, "redis %s:%d: %s: %s (retrying)", rr->host,
              rr->port, rr->state == REPLD_REDIS_UP ? "connection lost"
                                                    : "unreachable", why);

    rr->state = REPLD_REDIS_DOWN;
    rr->down_since = now;
}


static void
repld_redis_on_connect(const redisAsyncContext *ac, int status)
{
    repld_redis_t  *rr;

    rr = ac->data;

    if (status != REDIS_OK) {
        rr->ac = NULL;
        repld_redis_lost(rr, ac->c.errstr[0] ? ac->c.errstr
                                              : "cannot connect");
        return;
    }

    rr->connected = 1;
    rr->pending = 0;
    rr->backoff = REPLD_REDIS_BACKOFF_MIN;

    if (rr->state == REPLD_REDIS_DOWN) {
        repld_log(REPLD_LOG_NOTICE, "redis %s:%d: reachable again after "
                  "%lld ms", rr->host, rr->port,
                  (long long) (repld_time_ms() - rr->down_since));

    } else {
        repld_log(REPLD_LOG_NOTICE, "redis %s:%d: connected", rr->host,
                  rr->port);
    }

    rr->state = REPLD_REDIS_UP;
}


static void
repld_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    repld_redis_t  *rr;

    rr = ac->data;

    if (rr->ac != ac) {
        return;                       /* dropped by repld_redis_drop() */
    }

    rr->ac = NULL;
    repld_redis_lost(rr, (status != REDIS_OK && ac->c.errstr[0])
                         ? ac->c.errstr : "closed by Redis");
}


static void
repld_redis_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    repld_redis_t      *rr;
    repld_redis_cmd_t  *cmd;

    (void) ac;

    cmd = privdata;
    rr = cmd->rr;

    if (rr->pending) {
        rr->pending--;
    }

    rr->started = repld_time_ms();

    cmd->handler(reply, cmd->data);
    free(cmd);
}


static void
repld_redis_event(repld_loop_t *loop, int fd, void *data, int mask)
{
    repld_redis_t  *rr;

    (void) loop;
    (void) fd;

    rr = data;

    if ((mask & REPLD_READABLE) && rr->ac != NULL) {
        redisAsyncHandleRead(rr->ac);
    }

    /* the read may have ended the connection and freed the context */

    if ((mask & REPLD_WRITABLE) && rr->ac != NULL) {
        redisAsyncHandleWrite(rr->ac);
    }
}


static void
repld_redis_add_read(void *privdata)
{
    repld_redis_t  *rr;

    rr = privdata;

    if (repld_file_add(rr->loop, rr->fd, REPLD_READABLE, repld_redis_event,
                       rr)
        != REPLD_OK)
    {
        repld_log(REPLD_LOG_ERR, "redis: cannot watch fd %d: %s", rr->fd,
                  strerror(errno));
    }
}


static void
repld_redis_del_read(void *privdata)
{
    repld_redis_t  *rr;

    rr = privdata;
    repld_file_del(rr->loop, rr->fd, REPLD_READABLE);
}


static void
repld_redis_add_write(void *privdata)
{
    repld_redis_t  *rr;

    rr = privdata;

    if (repld_file_add(rr->loop, rr->fd, REPLD_WRITABLE, repld_redis_event,
                       rr)
        != REPLD_OK)
    {
        repld_log(REPLD_LOG_ERR, "redis: cannot watch fd %d: %s", rr->fd,
                  strerror(errno));
    }
}


static void
repld_redis_del_write(void *privdata)
{
    repld_redis_t  *rr;

    rr = privdata;
    repld_file_del(rr->loop, rr->fd, REPLD_WRITABLE);
}


static void
repld_redis_cleanup(void *privdata)
{
    repld_redis_t  *rr;

    rr = privdata;
    repld_file_del(rr->loop, rr->fd, REPLD_READABLE | REPLD_WRITABLE);
    rr->fd = -1;
}
