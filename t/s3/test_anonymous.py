"""Requests without credentials, and requesters who do not own the
bucket: refused unless a canned ACL grants the read (ngx_http_s3_auth.c)."""

import pytest

from lib import s3raw
from lib.checks import assert_not_stored, assert_raw_error, s3_error


def anon(s3, method, path, **kw):
    return s3raw.request(s3, None, method, path, **kw)


def test_anonymous_list_buckets(s3):
    assert_raw_error(anon(s3, 'GET', '/'), 'AccessDenied', 403)


def test_anonymous_create_bucket(s3, alice, new_bucket_name):
    r = anon(s3, 'PUT', f'/{new_bucket_name}')
    assert_raw_error(r, 'AccessDenied', 403)
    with s3_error('404', 404):
        alice.head_bucket(Bucket=new_bucket_name)


def test_anonymous_list_private_bucket(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='hidden-name', Body=b'x')
    for query in ('', 'list-type=2'):
        r = anon(s3, 'GET', f'/{bucket}', query=query)
        assert_raw_error(r, 'AccessDenied', 403)
        assert b'hidden-name' not in r.body


def test_anonymous_get_private_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='private', Body=b'secret')
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'private'))
    assert_raw_error(r, 'AccessDenied', 403)
    assert b'secret' not in r.body


def test_anonymous_head_private_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='private', Body=b'secret')
    r = anon(s3, 'HEAD', s3raw.object_path(bucket, 'private'))
    assert r.status == 403, r
    assert r.body == b''


def test_anonymous_get_missing_key_of_private_bucket(s3, bucket):
    # without the right to list, a missing key is not told apart
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'no-such-key'))
    assert_raw_error(r, 'AccessDenied', 403)


def test_anonymous_get_in_missing_bucket(s3, new_bucket_name):
    r = anon(s3, 'GET', s3raw.object_path(new_bucket_name, 'k'))
    assert_raw_error(r, 'NoSuchBucket', 404)


def test_anonymous_put(s3, bucket):
    r = anon(s3, 'PUT', s3raw.object_path(bucket, 'anon'), body=b'data')
    assert_raw_error(r, 'AccessDenied', 403)
    assert_not_stored(s3, bucket, 'anon')


def test_anonymous_put_does_not_replace(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='keep', Body=b'old')
    r = anon(s3, 'PUT', s3raw.object_path(bucket, 'keep'), body=b'new')
    assert_raw_error(r, 'AccessDenied', 403)
    assert alice.get_object(Bucket=bucket, Key='keep')['Body'].read() == \
        b'old'


def test_anonymous_delete(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='stay', Body=b'x')
    r = anon(s3, 'DELETE', s3raw.object_path(bucket, 'stay'))
    assert_raw_error(r, 'AccessDenied', 403)
    assert alice.get_object(Bucket=bucket, Key='stay')['Body'].read() == b'x'


def test_anonymous_delete_bucket(s3, alice, bucket):
    assert_raw_error(anon(s3, 'DELETE', f'/{bucket}'), 'AccessDenied', 403)
    alice.head_bucket(Bucket=bucket)


@pytest.mark.parametrize('method, key, query', [
    ('POST', 'k', 'uploads'),
    ('GET', '', 'uploads'),
    ('GET', 'k', 'acl'),
    ('PUT', 'k', 'tagging'),
    ('POST', '', 'delete'),
])
def test_anonymous_subresources(s3, bucket, method, key, query):
    r = anon(s3, method, s3raw.object_path(bucket, key), query=query)
    assert_raw_error(r, 'AccessDenied', 403)


def test_anonymous_preflight_is_not_refused_for_credentials(s3, bucket):
    # CORS preflights carry no credentials: whatever answers them, it is
    # not the authentication (a bucket without CORS rules is S3's 403
    # AccessForbidden, not AccessDenied)
    r = anon(s3, 'OPTIONS', s3raw.object_path(bucket, 'k'),
             headers={'Origin': 'http://example.com',
                      'Access-Control-Request-Method': 'GET'})
    assert r.status != 403 or r.code == 'AccessForbidden', r


def test_other_user_reads_private_object(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='alice-only', Body=b'secret')
    with s3_error('AccessDenied', 403):
        bob.get_object(Bucket=bucket, Key='alice-only')
    with s3_error('AccessDenied', 403):
        bob.get_object(Bucket=bucket, Key='no-such-key')
    with s3_error('AccessDenied', 403):
        bob.list_objects_v2(Bucket=bucket)


# what canned ACLs open (the ACL is written by x-amz-acl and Put*Acl)

def test_anonymous_reads_public_read_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='open', Body=b'for all',
                     ACL='public-read', ContentType='text/plain')
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'open'))
    assert r.status == 200, r
    assert r.body == b'for all'
    assert r.headers['content-type'] == 'text/plain'
    r = anon(s3, 'HEAD', s3raw.object_path(bucket, 'open'))
    assert r.status == 200, r
    assert r.headers['content-length'] == '7'


def test_anonymous_range_of_public_read_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='open', Body=b'0123456789',
                     ACL='public-read')
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'open'),
             headers={'Range': 'bytes=2-4'})
    assert r.status == 206, r
    assert r.body == b'234'


def test_anonymous_object_acl_back_to_private(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='was-open', Body=b'x',
                     ACL='public-read')
    assert anon(s3, 'GET', s3raw.object_path(bucket, 'was-open')).status \
        == 200
    alice.put_object_acl(Bucket=bucket, Key='was-open', ACL='private')
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'was-open'))
    assert_raw_error(r, 'AccessDenied', 403)


def test_anonymous_public_object_is_read_only(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='open', Body=b'old',
                     ACL='public-read')
    r = anon(s3, 'PUT', s3raw.object_path(bucket, 'open'), body=b'new')
    assert_raw_error(r, 'AccessDenied', 403)
    r = anon(s3, 'DELETE', s3raw.object_path(bucket, 'open'))
    assert_raw_error(r, 'AccessDenied', 403)
    assert alice.get_object(Bucket=bucket, Key='open')['Body'].read() \
        == b'old'


def test_anonymous_lists_public_read_bucket(s3, alice, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    alice.put_object(Bucket=bucket, Key='listed', Body=b'x')
    for query in ('', 'list-type=2'):
        r = anon(s3, 'GET', f'/{bucket}', query=query)
        assert r.status == 200, r
        assert b'<Key>listed</Key>' in r.body


def test_anonymous_public_bucket_does_not_open_objects(s3, alice, bucket):
    # as in S3: a bucket's public-read grants the listing, not the reads
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    alice.put_object(Bucket=bucket, Key='private', Body=b'secret')
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'private'))
    assert_raw_error(r, 'AccessDenied', 403)
    assert b'secret' not in r.body


def test_anonymous_missing_key_of_public_bucket(s3, alice, bucket):
    # who may list the bucket may learn that a key is not there
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    r = anon(s3, 'GET', s3raw.object_path(bucket, 'no-such-key'))
    assert_raw_error(r, 'NoSuchKey', 404)
