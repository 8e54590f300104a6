
/*
 * Copyright (C) ngx_s3 developers
 *
 * Escaping of bytes for a JSON string (the audit log's lines): whatever
 * the bytes, the result is a valid JSON string body.
 */


#ifndef _S3_JSON_ESCAPE_H_INCLUDED_
#define _S3_JSON_ESCAPE_H_INCLUDED_


#include "s3_core.h"


/* the longest a byte becomes: "\u001f", "\udcff" */
#define S3_JSON_ESCAPE_MAX  6


/*
 * Escapes len bytes of src into dst, which has room for what
 * s3_json_escape(NULL, src, len) returns (at most S3_JSON_ESCAPE_MAX
 * times len).  Returns the number of bytes written; with dst == NULL it
 * only returns the length the escaping needs.  The quotes around the
 * string are the caller's.
 *
 * '"' and '\' become \" and \\; BS, TAB, LF, FF and CR their short
 * escapes; every other byte below 0x20, and DEL, \u00XX (lowercase hex).
 * Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF) is copied.  Every byte that is not part of well-formed
 * UTF-8 becomes the lone low surrogate \udcXX, XX the byte: Python's
 * "surrogateescape" convention, so the exact bytes come back with
 * json.loads(line)["key"].encode("utf-8", "surrogateescape"); a reader
 * that does not know it sees U+FFFD.
 */
size_t s3_json_escape(char *dst, const char *src, size_t len);


#endif /* _S3_JSON_ESCAPE_H_INCLUDED_ */
