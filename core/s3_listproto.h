
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
 * request payload is
 *
 *     u8 version (1)
 *     | u16 bucket length | bucket
 *     | u16 owner length | owner        the bucket owner's user name
 *     | u16 request id length | id      for error bodies
 *     | u16 query length | query        the raw query string, no '?'
 *
 * built by s3_listproto_encode_request(); the response body is the XML
 * S3 answers with, an error included.
 *
 * Admin requests (s3ctl) use the listing socket too: their payload is
 *
 *     u8 S3_LISTPROTO_ADMIN (2) | u16 command length | command
 *
 * built by s3_listproto_encode_admin(), the command a line of words
 * ("cluster status", "cluster status json"); the response frame is the
 * listing's, the status 200 (or 400 for a command repld does not know)
 * and the body text or JSON.  The first payload byte tells the two
 * kinds apart, so each keeps its own version.
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
#define S3_LISTPROTO_VERSION       1
#define S3_LISTPROTO_ADMIN         2


typedef struct {
    s3_str_t          bucket;
    s3_str_t          owner;
    s3_str_t          request_id;
    s3_str_t          query;         /* raw: still percent-encoded */
} s3_listproto_request_t;


/*
 * Writes the complete request frame (header and payload) for req into
 * buf of size bytes.  Returns the frame length, or -1 with errno
 * EMSGSIZE when a field is longer than 65535 bytes or the payload longer
 * than S3_LISTPROTO_MAX_REQUEST, ENOSPC when buf is too small.  With
 * buf == NULL it only returns the length the frame needs.
 */
ssize_t s3_listproto_encode_request(char *buf, size_t size,
    const s3_listproto_request_t *req);

/*
 * Decodes a request payload (without the frame header).  The fields of
 * req point into payload.  Returns S3_OK, or S3_ERR with errno EINVAL
 * when the payload is truncated, has trailing bytes or another version.
 */
int s3_listproto_decode_request(s3_listproto_request_t *req,
    const char *payload, size_t len);

/*
 * Writes the complete admin request frame for the command cmd into buf
 * of size bytes.  Returns the frame length, or -1 with errno EMSGSIZE
 * (cmd longer than S3_LISTPROTO_MAX_REQUEST allows) or ENOSPC.
 */
ssize_t s3_listproto_encode_admin(char *buf, size_t size,
    const s3_str_t *cmd);

/*
 * Decodes an admin request payload (without the frame header); cmd
 * points into payload.  Returns S3_OK, or S3_ERR with errno EINVAL when
 * it is not one.
 */
int s3_listproto_decode_admin(s3_str_t *cmd, const char *payload,
    size_t len);

/*
 * Reads a frame header: the payload length the u32 at p announces.
 * p must hold S3_LISTPROTO_HEADER_LEN bytes.
 */
uint32_t s3_listproto_frame_len(const char *p);

/* Writes the u32 frame header for a payload of len bytes; returns p + 4. */
char *s3_listproto_put_frame_len(char *p, uint32_t len);

/*
 * Reads the status of a response payload.  p must hold
 * S3_LISTPROTO_STATUS_LEN bytes.
 */
unsigned s3_listproto_status(const char *p);

/* Writes the u16 status of a response; returns p + 2. */
char *s3_listproto_put_status(char *p, unsigned status);


#endif /* _S3_LISTPROTO_H_INCLUDED_ */
