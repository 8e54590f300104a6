"""The dispatch (core/s3_op_list.h, ngx_http_s3_module.c): one real
request per row of the operation table, each checked by the shape of its
answer, so that the table and the handlers cannot drift apart.  The rows
are read from core/s3_op_list.h itself: a row without a request here
fails the test."""

import re
from pathlib import Path

from lib import s3raw
from lib.checks import assert_raw_error, md5_b64, unique_bucket

TOP = Path(__file__).resolve().parents[2]
XMLNS = '{http://s3.amazonaws.com/doc/2006-03-01/}'
PART = b'p' * (5 * 1024 * 1024)

TAGGING = (b'<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>'
           b'</TagSet></Tagging>')
CORS = (b'<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>'
        b'<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>')

def table_actions():
    text = (TOP / 'core' / 's3_op_list.h').read_text()
    return set(re.findall(r'^S3_OP\(\w+, "(\w+)"', text, re.M))


class Caller:
    """Sends requests as alice (or anonymous), noting each one's action."""

    def __init__(self, s3):
        self.s3 = s3
        self.reached = set()

    def __call__(self, action, method, path, query='', body=b'',
                 headers=None, user=True):
        hdrs = dict(headers or {})
        if body:
            hdrs.setdefault('Content-MD5', md5_b64(body))
        s3 = self.s3
        self.reached.add(action)
        return s3raw.request(s3, s3.alice if user else None, method, path,
                             query=query, body=body, headers=hdrs)


def root(r, tag, status=200):
    assert r.status == status, r
    assert r.xml().tag == XMLNS + tag, r.body
    return r.xml()


def object_rows(s3, go, bucket):
    obj = f'/{bucket}/a'
    r = go('PutObject', 'PUT', obj, body=b'hello')
    assert r.status == 200 and r.header('ETag'), r

    r = go('GetObject', 'GET', obj)
    assert r.status == 200 and r.body == b'hello', r

    r = go('HeadObject', 'HEAD', obj)
    assert r.status == 200 and r.header('Content-Length') == '5', r

    r = go('CopyObject', 'PUT', f'/{bucket}/b',
             headers={'x-amz-copy-source': f'{bucket}/a'})
    root(r, 'CopyObjectResult')

    r = go('PutObjectTagging', 'PUT', obj, 'tagging=', TAGGING)
    assert r.status == 200, r
    tags = root(go('GetObjectTagging', 'GET', obj, 'tagging='),
                'Tagging')
    assert tags.find(f'.//{XMLNS}Key').text == 'k', r.body
    r = go('DeleteObjectTagging', 'DELETE', obj, 'tagging=')
    assert r.status == 204, r

    r = go('PutObjectAcl', 'PUT', obj, 'acl=',
             headers={'x-amz-acl': 'public-read'})
    assert r.status == 200, r
    root(go('GetObjectAcl', 'GET', obj, 'acl='), 'AccessControlPolicy')

    r = go('DeleteObject', 'DELETE', f'/{bucket}/b')
    assert r.status == 204, r
    assert s3raw.request(s3, s3.alice, 'GET', f'/{bucket}/b').status == 404


def multipart_rows(s3, go, bucket):
    obj = f'/{bucket}/m'
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/src', body=PART)

    r = go('CreateMultipartUpload', 'POST', obj, 'uploads=')
    upload = root(r, 'InitiateMultipartUploadResult') \
        .find(f'{XMLNS}UploadId').text
    q = f'uploadId={upload}'

    r = go('UploadPart', 'PUT', obj, f'partNumber=1&{q}', PART)
    assert r.status == 200 and r.header('ETag'), r
    etag1 = r.header('ETag')

    r = go('UploadPartCopy', 'PUT', obj, f'partNumber=2&{q}',
             headers={'x-amz-copy-source': f'{bucket}/src'})
    etag2 = root(r, 'CopyPartResult').find(f'{XMLNS}ETag').text

    parts = root(go('ListParts', 'GET', obj, q), 'ListPartsResult')
    assert len(parts.findall(f'{XMLNS}Part')) == 2, parts

    uploads = root(go('ListMultipartUploads', 'GET', f'/{bucket}',
                        'uploads='), 'ListMultipartUploadsResult')
    assert uploads.find(f'.//{XMLNS}UploadId').text == upload

    done = ('<CompleteMultipartUpload>'
            f'<Part><PartNumber>1</PartNumber><ETag>{etag1}</ETag></Part>'
            f'<Part><PartNumber>2</PartNumber><ETag>{etag2}</ETag></Part>'
            '</CompleteMultipartUpload>').encode()
    root(go('CompleteMultipartUpload', 'POST', obj, q, done),
         'CompleteMultipartUploadResult')

    r = go('CreateMultipartUpload', 'POST', obj, 'uploads=')
    upload = r.xml().find(f'{XMLNS}UploadId').text
    r = go('AbortMultipartUpload', 'DELETE', obj, f'uploadId={upload}')
    assert r.status == 204, r
    r = s3raw.request(s3, s3.alice, 'GET', obj, query=f'uploadId={upload}')
    assert_raw_error(r, 'NoSuchUpload', 404)


def bucket_rows(s3, go):
    name = unique_bucket()
    b = f'/{name}'

    r = go('CreateBucket', 'PUT', b)
    assert r.status == 200, r
    r = go('HeadBucket', 'HEAD', b)
    assert r.status == 200, r
    names = root(go('ListBuckets', 'GET', '/'),
                 'ListAllMyBucketsResult')
    assert name in [e.text for e in names.iter(f'{XMLNS}Name')]

    s3raw.request(s3, s3.alice, 'PUT', f'{b}/k', body=b'x')
    v2 = root(go('ListObjectsV2', 'GET', b, 'list-type=2'),
              'ListBucketResult')
    assert v2.find(f'{XMLNS}KeyCount').text == '1', v2
    v1 = root(go('ListObjects', 'GET', b), 'ListBucketResult')
    assert v1.find(f'{XMLNS}KeyCount') is None, v1
    assert v1.find(f'{XMLNS}Contents/{XMLNS}Key').text == 'k', v1

    root(go('GetBucketLocation', 'GET', b, 'location='),
         'LocationConstraint')

    r = go('PutBucketTagging', 'PUT', b, 'tagging=', TAGGING)
    assert r.status in (200, 204), r
    root(go('GetBucketTagging', 'GET', b, 'tagging='), 'Tagging')
    r = go('DeleteBucketTagging', 'DELETE', b, 'tagging=')
    assert r.status == 204, r

    r = go('PutBucketAcl', 'PUT', b, 'acl=',
             headers={'x-amz-acl': 'private'})
    assert r.status == 200, r
    root(go('GetBucketAcl', 'GET', b, 'acl='), 'AccessControlPolicy')

    r = go('PutBucketCors', 'PUT', b, 'cors=', CORS)
    assert r.status == 200, r
    root(go('GetBucketCors', 'GET', b, 'cors='), 'CORSConfiguration')
    r = go('Preflight', 'OPTIONS', f'{b}/k', user=False,
             headers={'Origin': 'http://example.com',
                      'Access-Control-Request-Method': 'GET'})
    assert r.status == 200, r
    assert r.header('Access-Control-Allow-Origin'), r.headers
    r = go('DeleteBucketCors', 'DELETE', b, 'cors=')
    assert r.status == 204, r

    delete = b'<Delete><Object><Key>k</Key></Object></Delete>'
    root(go('DeleteObjects', 'POST', b, 'delete=', delete),
         'DeleteResult')

    r = go('DeleteBucket', 'DELETE', b)
    assert r.status == 204, r


def test_every_row(s3, bucket):
    go = Caller(s3)
    object_rows(s3, go, bucket)
    multipart_rows(s3, go, bucket)
    bucket_rows(s3, go)
    reached = go.reached

    assert table_actions(), 'no S3_OP rows found'
    assert table_actions() - reached == set()
    assert reached - table_actions() == set()
