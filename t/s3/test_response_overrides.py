"""GetObject's response-* query parameters (ngx_http_s3_object.c)."""

from urllib.parse import quote

from lib import s3raw
from lib.checks import assert_raw_error


def test_overrides_replace_stored_headers(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='o', Body=b'body',
                     ContentType='text/plain', CacheControl='no-cache',
                     ContentLanguage='en')
    got = alice.get_object(
        Bucket=bucket, Key='o',
        ResponseContentType='application/x-test; charset=utf-8',
        ResponseContentDisposition='attachment; filename="a b.txt"',
        ResponseCacheControl='max-age=60',
        ResponseContentLanguage='de',
        ResponseContentEncoding='identity',
        ResponseExpires='Thu, 01 Dec 1994 16:00:00 GMT')
    assert got['Body'].read() == b'body'
    assert got['ContentType'] == 'application/x-test; charset=utf-8'
    assert got['ContentDisposition'] == 'attachment; filename="a b.txt"'
    assert got['CacheControl'] == 'max-age=60'
    assert got['ContentLanguage'] == 'de'
    assert got['ContentEncoding'] == 'identity'
    assert got['ResponseMetadata']['HTTPHeaders']['expires'] == \
        'Thu, 01 Dec 1994 16:00:00 GMT'


def test_override_sent_once_raw(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='r', Body=b'r',
                     CacheControl='no-cache')
    q = 'response-cache-control=' + quote('private, max-age=1', safe='')
    r = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, 'r'),
                      query=q)
    assert r.status == 200, r
    assert r.headers.get_all('Cache-Control') == ['private, max-age=1']
    assert r.header('Content-Type') == 'binary/octet-stream'


def test_without_overrides_stored_headers_stay(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='s', Body=b's',
                     ContentType='text/stored')
    r = s3raw.request(s3, s3.alice, 'HEAD', s3raw.object_path(bucket, 's'),
                      query='response-content-type=text%2Fhead')
    assert r.header('Content-Type') == 'text/head', r.headers
    assert alice.get_object(Bucket=bucket,
                            Key='s')['ContentType'] == 'text/stored'


def test_anonymous_overrides_refused(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='a', Body=b'a')
    r = s3raw.request(s3, None, 'GET', s3raw.object_path(bucket, 'a'),
                      query='response-content-type=text%2Fx')
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert 'anonymous' in err['Message']
