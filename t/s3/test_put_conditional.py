"""Conditional PutObject (ngx_http_s3_put.c, s3_store_put_object_if()):
If-None-Match: * creates only, If-Match: <etag> replaces only that
version, both checked by the commit under the key lock."""

import os
import threading

from lib import s3raw
from lib.checks import (assert_not_stored, assert_raw_error, assert_stored,
                        assert_tmp_clean, etag)


def put(s3, bucket, key, body, **headers):
    return s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, key),
                         body=body, headers=headers)


def get_body(s3, bucket, key):
    r = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, key))
    assert r.status == 200, r
    return r.body


def test_if_none_match_creates(s3, bucket):
    r = put(s3, bucket, 'new', b'first', **{'If-None-Match': '*'})
    assert r.status == 200, r
    assert r.header('ETag') == etag(b'first')
    assert get_body(s3, bucket, 'new') == b'first'


def test_if_none_match_existing_is_412(s3, bucket):
    assert put(s3, bucket, 'k', b'first').status == 200
    r = put(s3, bucket, 'k', b'second', **{'If-None-Match': '*'})
    assert_raw_error(r, 'PreconditionFailed', 412)
    assert get_body(s3, bucket, 'k') == b'first'
    assert_stored(s3, bucket, 'k', len(b'first'))
    assert_tmp_clean(s3)


def test_if_none_match_other_value_not_implemented(s3, bucket):
    r = put(s3, bucket, 'k', b'x', **{'If-None-Match': etag(b'x')})
    assert_raw_error(r, 'NotImplemented', 501)
    assert_not_stored(s3, bucket, 'k')


def test_if_match_same_etag_replaces(s3, bucket):
    assert put(s3, bucket, 'k', b'first').status == 200
    r = put(s3, bucket, 'k', b'second', **{'If-Match': etag(b'first')})
    assert r.status == 200, r
    assert get_body(s3, bucket, 'k') == b'second'


def test_if_match_star_replaces(s3, bucket):
    assert put(s3, bucket, 'k', b'first').status == 200
    r = put(s3, bucket, 'k', b'second', **{'If-Match': '*'})
    assert r.status == 200, r
    assert get_body(s3, bucket, 'k') == b'second'


def test_if_match_other_etag_is_412(s3, bucket):
    assert put(s3, bucket, 'k', b'first').status == 200
    for value in (etag(b'other'), 'garbage', etag(b'first')[:-1] + '-2"'):
        r = put(s3, bucket, 'k', b'second', **{'If-Match': value})
        assert_raw_error(r, 'PreconditionFailed', 412)
    assert get_body(s3, bucket, 'k') == b'first'
    assert_tmp_clean(s3)


def test_if_match_no_object_is_404(s3, bucket):
    r = put(s3, bucket, 'none', b'x', **{'If-Match': etag(b'x')})
    assert_raw_error(r, 'NoSuchKey', 404)
    assert_not_stored(s3, bucket, 'none')
    assert_tmp_clean(s3)


def test_if_match_multipart_etag(s3, alice, bucket):
    part = os.urandom(5 << 20)
    up = alice.create_multipart_upload(Bucket=bucket, Key='mp')
    p1 = alice.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                           PartNumber=1, Body=part)
    p2 = alice.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                           PartNumber=2, Body=b'tail')
    done = alice.complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [
            {'PartNumber': 1, 'ETag': p1['ETag']},
            {'PartNumber': 2, 'ETag': p2['ETag']}]})
    r = put(s3, bucket, 'mp', b'x', **{'If-Match': done['ETag'][:-3] + '-3"'})
    assert_raw_error(r, 'PreconditionFailed', 412)
    r = put(s3, bucket, 'mp', b'x', **{'If-Match': done['ETag']})
    assert r.status == 200, r
    assert get_body(s3, bucket, 'mp') == b'x'


def test_concurrent_if_none_match_one_wins(s3, bucket):
    """Eight PUTs race to create one key: exactly one is stored."""
    bodies = [os.urandom(256 << 10) for _ in range(8)]
    results = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def run(i):
        start.wait()
        results[i] = put(s3, bucket, 'race', bodies[i],
                         **{'If-None-Match': '*'})

    threads = [threading.Thread(target=run, args=(i,))
               for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    won = [i for i, r in enumerate(results) if r.status == 200]
    assert len(won) == 1, [r.status for r in results]
    for i, r in enumerate(results):
        if i not in won:
            assert_raw_error(r, 'PreconditionFailed', 412)
    assert get_body(s3, bucket, 'race') == bodies[won[0]]
    assert_stored(s3, bucket, 'race', len(bodies[won[0]]))
    assert_tmp_clean(s3)


def test_concurrent_if_match_one_wins(s3, bucket):
    """Eight PUTs replace the same version: one wins, the others see
    another ETag by the time they commit."""
    assert put(s3, bucket, 'cas', b'v0').status == 200
    bodies = [os.urandom(128 << 10) for _ in range(8)]
    results = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def run(i):
        start.wait()
        results[i] = put(s3, bucket, 'cas', bodies[i],
                         **{'If-Match': etag(b'v0')})

    threads = [threading.Thread(target=run, args=(i,))
               for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    won = [i for i, r in enumerate(results) if r.status == 200]
    assert len(won) == 1, [r.status for r in results]
    assert get_body(s3, bucket, 'cas') == bodies[won[0]]
