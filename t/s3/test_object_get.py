"""GetObject and HeadObject (ngx_http_s3_object.c)."""

import datetime
import email.utils
import os
import re

from lib import s3raw
from lib.checks import assert_raw_error, etag, s3_error

HTTP_DATE = re.compile(r'^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} '
                       r'\d\d:\d\d:\d\d GMT$')


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def test_get_bytes_and_headers(s3, alice, bucket):
    body = os.urandom(4096)
    before = utcnow().replace(microsecond=0)
    alice.put_object(Bucket=bucket, Key='obj', Body=body,
                     ContentType='image/png')
    after = utcnow()
    got = alice.get_object(Bucket=bucket, Key='obj')
    assert got['Body'].read() == body
    assert got['ContentLength'] == len(body)
    assert got['ETag'] == etag(body)
    assert got['ContentType'] == 'image/png'
    assert before <= got['LastModified'] <= after, got['LastModified']


def test_records_larger_than_the_first_read(s3, alice, bucket):
    """GET and HEAD read 512 bytes of an object's tail first: records
    below, around and above that (user metadata up to S3's 2 KB), in
    files shorter and longer than the read, all come out whole."""
    for meta in (0, 300, 360, 380, 400, 1900):
        for size in (0, 100, 4096):
            key = f'rec-{meta}-{size}'
            body = os.urandom(size)
            md = {'pad': 'm' * meta} if meta else {}
            alice.put_object(Bucket=bucket, Key=key, Body=body, Metadata=md)
            got = alice.get_object(Bucket=bucket, Key=key)
            assert got['Body'].read() == body, key
            assert got['Metadata'] == md, key
            assert got['ETag'] == etag(body), key
            head = alice.head_object(Bucket=bucket, Key=key)
            assert head['ContentLength'] == size, key
            assert head['Metadata'] == md, key


def test_get_raw_headers(s3, alice, bucket):
    body = b'0123456789' * 10
    alice.put_object(Bucket=bucket, Key='raw', Body=body)
    r = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, 'raw'))
    assert r.status == 200, r
    assert r.body == body
    assert r.header('Content-Length') == str(len(body))
    assert r.header('ETag') == etag(body)
    assert HTTP_DATE.match(r.header('Last-Modified') or ''), r.headers
    assert r.header('Accept-Ranges') == 'bytes', r.headers
    assert r.header('x-amz-request-id'), r.headers


def test_last_modified_is_commit_time(s3, alice, bucket):
    before = utcnow().replace(microsecond=0)
    alice.put_object(Bucket=bucket, Key='t', Body=b't')
    after = utcnow()
    r = s3raw.request(s3, s3.alice, 'HEAD', s3raw.object_path(bucket, 't'))
    lm = email.utils.parsedate_to_datetime(r.header('Last-Modified'))
    assert before <= lm <= after, (before, lm, after)


def test_head_object(s3, alice, bucket):
    body = b'head me'
    alice.put_object(Bucket=bucket, Key='h', Body=body,
                     ContentType='text/plain', Metadata={'k': 'v'})
    resp = alice.head_object(Bucket=bucket, Key='h')
    assert resp['ContentLength'] == len(body)
    assert resp['ETag'] == etag(body)
    assert resp['ContentType'] == 'text/plain'
    assert resp['Metadata'] == {'k': 'v'}
    r = s3raw.request(s3, s3.alice, 'HEAD', s3raw.object_path(bucket, 'h'))
    assert r.status == 200
    assert r.body == b''
    assert r.header('Content-Length') == str(len(body))


def test_range(s3, alice, bucket):
    body = bytes(range(256)) * 40
    alice.put_object(Bucket=bucket, Key='r', Body=body)
    got = alice.get_object(Bucket=bucket, Key='r', Range='bytes=10-19')
    assert got['ResponseMetadata']['HTTPStatusCode'] == 206
    assert got['ContentRange'] == f'bytes 10-19/{len(body)}'
    assert got['ContentLength'] == 10
    assert got['Body'].read() == body[10:20]


def test_range_suffix_and_open_end(s3, alice, bucket):
    body = os.urandom(1000)
    alice.put_object(Bucket=bucket, Key='r2', Body=body)
    path = s3raw.object_path(bucket, 'r2')
    r = s3raw.request(s3, s3.alice, 'GET', path,
                      headers={'Range': 'bytes=-7'})
    assert r.status == 206, r
    assert r.body == body[-7:]
    assert r.header('Content-Range') == 'bytes 993-999/1000'
    r = s3raw.request(s3, s3.alice, 'GET', path,
                      headers={'Range': 'bytes=990-'})
    assert r.status == 206, r
    assert r.body == body[990:]


def test_range_not_satisfiable_is_xml(s3, alice, bucket):
    # nginx's own 416 page is HTML; S3 clients expect InvalidRange XML
    alice.put_object(Bucket=bucket, Key='small', Body=b'x' * 100)
    r = s3raw.request(s3, s3.alice, 'GET',
                      s3raw.object_path(bucket, 'small'),
                      headers={'Range': 'bytes=500-'})
    assert_raw_error(r, 'InvalidRange', 416)


def test_missing_key(s3, alice, bucket):
    with s3_error('NoSuchKey', 404):
        alice.get_object(Bucket=bucket, Key='nothing-here')
    r = s3raw.request(s3, s3.alice, 'GET',
                      s3raw.object_path(bucket, 'nothing-here'))
    err = assert_raw_error(r, 'NoSuchKey', 404)
    assert err['Resource'] == f'/{bucket}/nothing-here', err


def test_missing_bucket(s3, alice, new_bucket_name):
    with s3_error('NoSuchBucket', 404):
        alice.get_object(Bucket=new_bucket_name, Key='k')
    r = s3raw.request(s3, s3.alice, 'GET',
                      s3raw.object_path(new_bucket_name, 'k'))
    err = assert_raw_error(r, 'NoSuchBucket', 404)
    assert err['Resource'] == f'/{new_bucket_name}/k', err


def test_request_ids_differ(s3, alice, bucket):
    path = s3raw.object_path(bucket, 'nope')
    ids = {s3raw.request(s3, s3.alice, 'GET', path).error()['RequestId']
           for _ in range(3)}
    assert len(ids) == 3, ids


def test_head_missing_key(s3, alice, bucket):
    with s3_error('404', 404):
        alice.head_object(Bucket=bucket, Key='nope')
    r = s3raw.request(s3, s3.alice, 'HEAD', s3raw.object_path(bucket, 'nope'))
    assert r.status == 404
    assert r.body == b''
    assert r.header('x-amz-request-id')


def test_get_others_object(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='mine', Body=b'private')
    with s3_error('AccessDenied', 403):
        bob.get_object(Bucket=bucket, Key='mine')
    with s3_error('403', 403):
        bob.head_object(Bucket=bucket, Key='mine')


def test_get_virtual_host(s3, alice, bucket):
    body = b'virtual host body'
    alice.put_object(Bucket=bucket, Key='dir/v', Body=body)
    r = s3.vhost_client(s3.alice).get(bucket, 'dir/v')
    assert r.status == 200, r
    assert r.body == body
    assert r.header('ETag') == etag(body)


def test_put_delete_virtual_host(s3, alice, bucket):
    vh = s3.vhost_client(s3.alice)
    body = b'put through the virtual host'
    r = vh.put(bucket, 'v//x', body)
    assert r.status == 200, r
    assert r.header('ETag') == etag(body)
    got = alice.get_object(Bucket=bucket, Key='v//x')
    assert got['Body'].read() == body
    r = vh.delete(bucket, 'v//x')
    assert r.status == 204, r
    with s3_error('NoSuchKey', 404):
        alice.get_object(Bucket=bucket, Key='v//x')


def test_virtual_host_missing_key(s3, bucket):
    r = s3.vhost_client(s3.alice).get(bucket, 'missing')
    assert_raw_error(r, 'NoSuchKey', 404)


def test_virtual_host_other_user(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='v', Body=b'alice')
    r = s3.vhost_client(s3.bob).get(bucket, 'v')
    assert_raw_error(r, 'AccessDenied', 403)
    assert b'alice' not in r.body


def test_small_bodies_from_memory_and_from_disk(s3, alice, bucket):
    """Up to 32 KiB, a body the page cache holds goes out from memory,
    one that it does not by sendfile(): both whole, and in ranges, on
    either side of the limit."""
    for size in (1, 4096, 32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1):
        body = os.urandom(size)
        key = f'inline/{size}'
        alice.put_object(Bucket=bucket, Key=key, Body=body)
        (path,) = s3.object_files(bucket, key)
        for cold in (False, True):
            if cold:
                os.sync()
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
            got = alice.get_object(Bucket=bucket, Key=key)['Body'].read()
            assert got == body, (size, cold)
            r = alice.get_object(Bucket=bucket, Key=key,
                                 Range=f'bytes={size // 2}-')
            assert r['Body'].read() == body[size // 2:], (size, cold)
