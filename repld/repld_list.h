
/*
 * Copyright (C) ngx_s3 developers
 *
 * ListObjects (v1) and ListObjectsV2 answered from the catalog: the
 * request a worker sent (s3_listproto.h) in, the response frame's status
 * and XML body out.
 */


#ifndef _REPLD_LIST_H_INCLUDED_
#define _REPLD_LIST_H_INCLUDED_


#include <stddef.h>

#include "repld_buf.h"
#include "repld_catalog.h"


/*
 * Answers one listing request (payload as the worker encoded it, without
 * the frame header).  Appends to out the complete response frame: u32
 * length, u16 HTTP status and the XML body (a ListBucketResult, or an S3
 * error for bad parameters).  Returns 0, or -1 with errno ENOMEM (out may
 * hold a partial frame then; discard it) or EINVAL when the payload is
 * not a request (the caller closes the connection).
 */
int repld_list_answer(repld_catalog_t *cat, const char *payload, size_t len,
    repld_buf_t *out);


#endif /* _REPLD_LIST_H_INCLUDED_ */
