
/*
 * Copyright (C) ngx_s3 developers
 *
 * A node's maintenance mode: the file DATA/maintenance, whose presence
 * turns it on and whose content is the message writes are refused with.
 * s3ctl sets and clears it; the module reads it (at most once per
 * millisecond per worker, and only for writes), so the state survives
 * restarts and needs no process to hold it.
 */


#ifndef _S3_MAINTENANCE_H_INCLUDED_
#define _S3_MAINTENANCE_H_INCLUDED_


#include "s3_core.h"


#define S3_MAINTENANCE_FILE     "maintenance"
#define S3_MAINTENANCE_MAX      512     /* message bytes kept */


/*
 * Reads the state of the store at root.  Returns 1 (on: the message, at
 * most size bytes of it, in msg and its length in *len), 0 (off), or -1
 * with errno set.
 */
int s3_maintenance_get(const char *root, char *msg, size_t size,
    size_t *len);

/*
 * Turns maintenance on with msg (len bytes, at most S3_MAINTENANCE_MAX):
 * written to a temp file and renamed into place, so a reader sees the
 * old message or the new one.  Returns S3_OK, or S3_ERR with errno set.
 */
int s3_maintenance_set(const char *root, const char *msg, size_t len);

/* Turns maintenance off.  Returns S3_OK (also when it was off) or S3_ERR. */
int s3_maintenance_clear(const char *root);


#endif /* _S3_MAINTENANCE_H_INCLUDED_ */
