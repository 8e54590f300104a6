"""DeleteObject (ngx_http_s3_object.c)."""

from lib import s3raw
from lib.checks import (assert_not_stored, assert_stored, assert_tmp_clean,
                        s3_error)


def test_delete_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='gone', Body=b'bye')
    assert_stored(s3, bucket, 'gone', 3)
    resp = alice.delete_object(Bucket=bucket, Key='gone')
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204
    with s3_error('NoSuchKey', 404):
        alice.get_object(Bucket=bucket, Key='gone')
    assert_not_stored(s3, bucket, 'gone')
    assert_tmp_clean(s3)


def test_delete_twice_is_204(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='twice', Body=b'x')
    for _ in range(2):
        resp = alice.delete_object(Bucket=bucket, Key='twice')
        assert resp['ResponseMetadata']['HTTPStatusCode'] == 204


def test_delete_missing_key_is_204(s3, bucket):
    r = s3raw.request(s3, s3.alice, 'DELETE',
                      s3raw.object_path(bucket, 'never-existed'))
    assert r.status == 204, r
    assert r.body == b''
    assert r.header('x-amz-request-id')


def test_delete_keeps_neighbours(s3, alice, bucket):
    for k in ('a', 'a/b', 'a/'):
        alice.put_object(Bucket=bucket, Key=k, Body=k.encode())
    alice.delete_object(Bucket=bucket, Key='a/')
    assert alice.get_object(Bucket=bucket, Key='a')['Body'].read() == b'a'
    assert alice.get_object(Bucket=bucket, Key='a/b')['Body'].read() == b'a/b'
    assert_not_stored(s3, bucket, 'a/')


def test_delete_in_missing_bucket(s3, alice, new_bucket_name):
    with s3_error('NoSuchBucket', 404):
        alice.delete_object(Bucket=new_bucket_name, Key='k')


def test_delete_others_object(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='keep', Body=b'keep')
    with s3_error('AccessDenied', 403):
        bob.delete_object(Bucket=bucket, Key='keep')
    got = alice.get_object(Bucket=bucket, Key='keep')
    assert got['Body'].read() == b'keep'
    assert_stored(s3, bucket, 'keep', 4)


def test_delete_then_put_again(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='again', Body=b'one')
    alice.delete_object(Bucket=bucket, Key='again')
    alice.put_object(Bucket=bucket, Key='again', Body=b'two')
    got = alice.get_object(Bucket=bucket, Key='again')
    assert got['Body'].read() == b'two'
    assert_stored(s3, bucket, 'again', 3)
