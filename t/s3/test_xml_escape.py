"""One XML escaping rule (core/s3_xml_escape.c) for the module and repld.

A key with every kind of byte the rule treats apart is written into
repld's listings and into the module's own answers; each must hold the
very same bytes, and those bytes must be the rule's: the five specials
as entities, every byte below 0x20 as a lowercase reference as S3 writes
them, everything else (DEL, UTF-8) as it is.
"""

import re

from lib import s3raw
from lib.checks import etag

KEY = 'q"\'<>&\t\n\r\x01\x1b\x1f\x7f caf\u00e9/\U0001f600'
ESCAPED = ('q&quot;&apos;&lt;&gt;&amp;&#x9;&#xa;&#xd;&#x1;&#x1b;&#x1f;'
           '\x7f caf\u00e9/\U0001f600').encode()


def texts(resp, tag):
    """The raw bytes of every <tag> element of a response body."""
    return re.findall(rb'<%s>(.*?)</%s>' % (tag, tag), resp.body, re.S)


def call(s3, method, path, query='', body=b'', status=200):
    r = s3raw.request(s3, s3.alice, method, path, query=query, body=body)
    assert r.status == status, r
    return r


def test_module_and_repld_escape_a_key_alike(s3, bucket):
    path = s3raw.object_path(bucket, KEY)
    written = {}

    r = call(s3, 'POST', path, query='uploads')
    written['CreateMultipartUpload (module)'] = texts(r, b'Key')
    upload_id = texts(r, b'UploadId')[0].decode()

    r = call(s3, 'PUT', path, body=b'part',
             query=f'partNumber=1&uploadId={upload_id}')
    assert r.header('ETag') == etag(b'part')

    r = call(s3, 'GET', f'/{bucket}', query='uploads')
    written['ListMultipartUploads (repld)'] = texts(r, b'Key')

    r = call(s3, 'GET', path, query=f'uploadId={upload_id}')
    written['ListParts (module)'] = texts(r, b'Key')

    done = ('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>'
            f'<ETag>{etag(b"part")}</ETag></Part>'
            '</CompleteMultipartUpload>').encode()
    r = call(s3, 'POST', path, query=f'uploadId={upload_id}', body=done)
    written['CompleteMultipartUpload (module)'] = texts(r, b'Key')

    r = call(s3, 'GET', f'/{bucket}', query='list-type=2')
    written['ListObjectsV2 (repld)'] = texts(r, b'Key')

    r = call(s3, 'GET', f'/{bucket}')
    written['ListObjects (repld)'] = texts(r, b'Key')

    r = call(s3, 'DELETE', path, status=204)
    r = call(s3, 'GET', path, status=404)
    written['NoSuchKey error (module)'] = texts(r, b'Key')
    assert texts(r, b'Resource') == [b'/' + bucket.encode() + b'/' + ESCAPED]

    assert written == {what: [ESCAPED] for what in written}
