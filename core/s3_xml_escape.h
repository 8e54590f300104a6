
/*
 * Copyright (C) ngx_s3 developers
 *
 * Escaping of text for the XML S3 answers with (listings, results,
 * errors): the one rule the module and repld share.
 */


#ifndef _S3_XML_ESCAPE_H_INCLUDED_
#define _S3_XML_ESCAPE_H_INCLUDED_


#include "s3_core.h"


/* the longest a byte becomes: "&quot;", "&apos;", "&#x1f;" */
#define S3_XML_ESCAPE_MAX  6


/*
 * Escapes len bytes of src into dst, which has room for what
 * s3_xml_escape(NULL, src, len) returns (at most S3_XML_ESCAPE_MAX times
 * len).  Returns the number of bytes written; with dst == NULL it only
 * returns the length the escaping needs.
 *
 * '&', '<', '>', '"' and '\'' become &amp; &lt; &gt; &quot; &apos;, so
 * the text may stand in an element or an attribute.  Every byte below
 * 0x20 becomes a hexadecimal character reference, lowercase and without
 * leading zeros, as S3 writes them (&#x1; &#xa; &#x1b;).  For TAB, LF and
 * CR that is XML 1.0 and gives the client back the exact byte, where a
 * literal CR would reach it as LF (end-of-line normalization).  The other
 * C0 controls are not XML 1.0 characters at all, not even as references:
 * S3 writes the reference all the same, an XML 1.1 parser takes it and
 * expat (botocore, the aws cli) refuses the document, which is why
 * listing clients ask for encoding-type=url (botocore does by default for
 * ListObjects, ListObjectsV2 and ListObjectVersions) and get the keys
 * percent-encoded instead.  Every other byte is copied: DEL and the C1
 * controls are XML 1.0 characters, and a byte that is not UTF-8 has no
 * reference (a reference names a character, not a byte).
 */
size_t s3_xml_escape(char *dst, const char *src, size_t len);


#endif /* _S3_XML_ESCAPE_H_INCLUDED_ */
