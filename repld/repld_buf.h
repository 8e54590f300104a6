
/*
 * Copyright (C) ngx_s3 developers
 *
 * A growable output buffer, and the response frame of the workers'
 * socket (s3_listproto.h) built in it.
 */


#ifndef _REPLD_BUF_H_INCLUDED_
#define _REPLD_BUF_H_INCLUDED_


#include <stddef.h>


/* malloc()ed; free data when done. */
typedef struct {
    char             *data;
    size_t            len;
    size_t            cap;
} repld_buf_t;


/* Makes room for n more bytes; returns 0, or -1 with errno ENOMEM. */
int repld_buf_reserve(repld_buf_t *b, size_t n);

/* Appends len bytes; returns 0, or -1 with errno ENOMEM. */
int repld_buf_add(repld_buf_t *b, const void *data, size_t len);

/* Appends a NUL-terminated string; returns 0 or -1 (ENOMEM). */
int repld_buf_str(repld_buf_t *b, const char *s);

/* Appends printf() output; returns 0 or -1 (ENOMEM). */
int repld_buf_printf(repld_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Opens a response frame: room for its u32 length and u16 status, whose
 * offset goes to *start.  Returns 0 or -1 (ENOMEM).
 */
int repld_buf_frame_open(repld_buf_t *b, size_t *start);

/* Fills in the length and status of the frame opened at start. */
void repld_buf_frame_close(repld_buf_t *b, size_t start, unsigned status);


#endif /* _REPLD_BUF_H_INCLUDED_ */
