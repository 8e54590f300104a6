
/*
 * Copyright (C) ngx_s3 developers
 *
 * One admin request to the data directory's repld (s3_listproto.h), made
 * with blocking calls: s3ctl's commands, and the module's health and
 * metrics probes, which run it in a thread of the pool.
 */


#ifndef _S3_ADMIN_H_INCLUDED_
#define _S3_ADMIN_H_INCLUDED_


#include "s3_core.h"


/*
 * Sends the admin command cmd to repld at DATA/repld.list.sock (data is
 * the data directory) and reads its answer into buf (size bytes), each
 * step bounded by timeout_ms.  Returns the body's length with *status
 * set to repld's status, or -1 with errno set: ENAMETOOLONG (the
 * socket's path), a connect() or read() error (EAGAIN: repld did not
 * answer in time), EPROTO (the connection closed early), EMSGSIZE (an
 * answer longer than size).
 */
ssize_t s3_admin_ask(const char *data, const char *cmd, char *buf,
    size_t size, int timeout_ms, unsigned *status);


#endif /* _S3_ADMIN_H_INCLUDED_ */
