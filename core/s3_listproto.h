
/*
 * Copyright (C) ngx_s3 developers
 *
 * How nginx workers talk to repld on one node.
 *
 * Listing: a Unix stream socket at DATA/repld.list.sock.  The worker
 * connects, sends one request frame, reads one response frame, and the
 * connection is closed.
 *
 *     request frame:   u32 payload length | payload
 *     response frame:  u32 payload length | u16 HTTP status | body
 *
 * (little-endian; the response length counts the status too).  The
 * request payload's fields are encoded by s3_listproto_encode_request();
 * the response body is the XML S3 answers with, an error included.
 *
 * Wake-up hints: a Unix datagram socket at DATA/repld.hint.sock.  A worker
 * sends one byte after each journaled change, without waiting and without
 * caring whether it arrives: the journal is the truth, the hint only saves
 * repld a timer tick.
 */


#ifndef _S3_LISTPROTO_H_INCLUDED_
#define _S3_LISTPROTO_H_INCLUDED_


#include "s3_core.h"


#define S3_LISTPROTO_LIST_SOCK     "repld.list.sock"
#define S3_LISTPROTO_HINT_SOCK     "repld.hint.sock"
#define S3_LISTPROTO_HEADER_LEN    4
#define S3_LISTPROTO_STATUS_LEN    2
#define S3_LISTPROTO_MAX_REQUEST   16384


#endif /* _S3_LISTPROTO_H_INCLUDED_ */
