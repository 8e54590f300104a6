
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld's Unix sockets for the nginx workers of its node
 * (s3_listproto.h): the listing socket DATA/repld.list.sock (stream; one
 * request frame, one response frame per connection, many connections at
 * once, never blocking) and the wake-up socket DATA/repld.hint.sock
 * (datagrams, drained and counted).
 *
 * Requests are answered in the loop's before-sleep hook: first the fence
 * (repld catches up with every journal file to its end and writes the
 * catalog), once for all the requests complete in that turn, then each
 * answer from the catalog.  A change acknowledged to its client before
 * the request arrived has its frame in a journal by then, so listings
 * read the writes that came before them.
 */


#ifndef _REPLD_SERVER_H_INCLUDED_
#define _REPLD_SERVER_H_INCLUDED_


#include <stdint.h>

#include "repld_buf.h"
#include "repld_catalog.h"
#include "repld_event.h"


typedef struct repld_server_s  repld_server_t;

/* Catches up with the journal; returns REPLD_OK or REPLD_ERR. */
typedef int (*repld_fence_pt)(void *data);

/* Called when a wake-up datagram arrived. */
typedef void (*repld_wake_pt)(void *data);

/*
 * Answers an admin request (payload without the frame header): appends
 * the complete response frame to out.  Returns 0, or -1 (the connection
 * is closed).
 */
typedef int (*repld_admin_pt)(void *data, const char *payload, size_t len,
    repld_buf_t *out);


typedef struct {
    uint64_t          requests;      /* listings answered */
    uint64_t          refused;       /* bad frames, failed fences */
    uint64_t          hints;         /* wake-up datagrams */
    uint64_t          open;          /* connections open now */
} repld_server_stats_t;


/*
 * Binds both sockets under root (stale socket files are replaced) and
 * watches them in loop.  The listing socket is made connectable by any
 * local user (0666): the data directory's own permissions guard it.
 * Returns NULL after logging why.
 */
repld_server_t *repld_server_open(repld_loop_t *loop, const char *root,
    repld_catalog_t *cat, repld_fence_pt fence, repld_wake_pt wake,
    repld_admin_pt admin, void *data);

/* Closes every connection and both sockets, and removes the files. */
void repld_server_close(repld_server_t *srv);

/* The before-sleep work: fence once, then answer the complete requests. */
void repld_server_answer(repld_server_t *srv);

/* Closes connections older than timeout_ms; call it from the timer. */
void repld_server_expire(repld_server_t *srv, int64_t timeout_ms);

void repld_server_stats(const repld_server_t *srv,
    repld_server_stats_t *stats);


#endif /* _REPLD_SERVER_H_INCLUDED_ */
