
/*
 * Copyright (C) ngx_s3 developers
 *
 * The text format of s3ctl's files (a snapshot's MANIFEST, the state
 * file): one record per line, a word naming its kind, then tokens
 * separated by one space, each "name=value" with the value
 * percent-encoded (s3_uri.h, '/' kept), so that no value holds a space,
 * a '=' or a newline and any bytes round-trip:
 *
 *     object bucket=photos key=2024/a%20b.jpg size=5 etag=...
 *
 * An empty value is "name=".  Readers skip tokens they do not know, so
 * later versions can add some.
 */


#ifndef _S3_LINE_H_INCLUDED_
#define _S3_LINE_H_INCLUDED_


#include "s3_core.h"


/*
 * Appends " name=value" (value percent-encoded) at buf + *len, within
 * size.  Returns S3_OK, or S3_ERR with errno ENOSPC (buf is unchanged).
 */
int s3_line_token(char *buf, size_t *len, size_t size, const char *name,
    const char *value, size_t value_len);

/*
 * Writes a whole line into buf: kind, then " names[i]=values[i]" for the
 * n values, then a newline.  Returns its length, or -1 with errno ENOSPC.
 */
ssize_t s3_line_format(char *buf, size_t size, const char *kind,
    const char *const *names, const s3_str_t *values, size_t n);

/* s3_line_token() of a decimal number. */
int s3_line_number(char *buf, size_t *len, size_t size, const char *name,
    uint64_t n);

/*
 * Reads the next token of a line from *pos (before end, no newline):
 * returns 1 with name and value set, the value decoded in place (the
 * line's bytes are overwritten), 0 at the end of the line, or S3_ERR with
 * errno EINVAL for a token without '=' or with a bad escape.  Start with
 * *pos after the kind word (s3_line_kind()).
 */
int s3_line_next(char **pos, char *end, s3_str_t *name, s3_str_t *value);

/*
 * Reads every token of a line from pos: the value of names[i] (n names,
 * at most 32) goes to values[i], decoded in place; other names are
 * skipped, and a name given twice keeps its last value.  Returns the
 * bitmask of the names seen (bit i: names[i]), or S3_ERR with errno
 * EINVAL.
 */
int64_t s3_line_fields(char *pos, char *end, const char *const *names,
    size_t n, s3_str_t *values);

/* Returns the first word of a line and sets *pos after it. */
s3_str_t s3_line_kind(char *line, char *end, char **pos);

/*
 * Parses a decimal value of a token into *n.  Returns S3_OK, or S3_ERR
 * with errno EINVAL (empty, not a number, over 64 bits).
 */
int s3_line_parse_number(const s3_str_t *value, uint64_t *n);


#endif /* _S3_LINE_H_INCLUDED_ */
