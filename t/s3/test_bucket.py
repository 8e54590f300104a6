"""ListBuckets, CreateBucket, HeadBucket, DeleteBucket
(ngx_http_s3_bucket.c)."""

import datetime

import pytest

from lib import s3raw
from lib.checks import assert_raw_error, s3_error, unique_bucket

XMLNS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

INVALID_NAMES = [
    '-',                        # a lone hyphen
    'a' * 64,                   # too long
    'ABC',                      # uppercase
    'Abc-bucket',
    'a_b',                      # underscore
    '-abc',                     # must start with a letter or digit
    'abc-',                     # ... and end with one
    '.abc',
    'abc.',
    'a..b',                     # adjacent periods
    '192.168.1.1',              # IPv4 address
    'xn--abc',                  # reserved prefix
    'abc-s3alias',              # reserved suffixes
    'abc--ol-s3',
    'a b',
    'ab!',
    'ab%',
    'caf\u00e9',
]


def test_list_buckets(s3, alice):
    names = [unique_bucket(), unique_bucket()]
    before = datetime.datetime.now(datetime.timezone.utc)
    for n in names:
        alice.create_bucket(Bucket=n)
    resp = alice.list_buckets()
    listed = {b['Name']: b for b in resp['Buckets']}
    for n in names:
        assert n in listed, resp
        created = listed[n]['CreationDate']
        assert before - datetime.timedelta(seconds=2) <= created, created
        assert created <= (datetime.datetime.now(datetime.timezone.utc)
                           + datetime.timedelta(seconds=2)), created
    assert resp['Owner'].get('ID') or resp['Owner'].get('DisplayName'), resp


def test_list_buckets_sorted(s3, alice):
    for _ in range(3):
        alice.create_bucket(Bucket=unique_bucket('s'))
    names = [b['Name'] for b in alice.list_buckets()['Buckets']]
    assert names == sorted(names)


def test_list_buckets_xml(s3, bucket):
    r = s3raw.request(s3, s3.alice, 'GET', '/')
    assert r.status == 200, r
    assert r.header('Content-Type').startswith('application/xml'), r.headers
    assert r.header('x-amz-request-id'), r.headers
    root = r.xml()
    assert root.tag == XMLNS + 'ListAllMyBucketsResult', root.tag
    names = [e.text for e in root.iter(XMLNS + 'Name')]
    assert bucket in names


@pytest.mark.parametrize('name', ['b', 'ab', 'abc', 'a' * 63, 'my.bucket-1', '123',
                                  'a-b.c-d'])
def test_create_valid_names(s3, alice, name):
    # names are global to the store, and the store is new for the session
    if s3.bucket_dir(name).exists():
        pytest.fail(f'{name} exists before the test')
    resp = alice.create_bucket(Bucket=name)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 200
    assert (s3.bucket_dir(name) / 'bucket').is_file()
    alice.head_bucket(Bucket=name)


@pytest.mark.parametrize('name', INVALID_NAMES)
def test_create_invalid_name(s3, name):
    r = s3raw.request(s3, s3.alice, 'PUT', '/' + s3raw.key_path(name))
    assert_raw_error(r, 'InvalidBucketName', 400)
    if '/' not in name and name not in ('.', '..'):
        assert not s3.bucket_dir(name).exists()


def test_create_location_response(s3, new_bucket_name):
    r = s3raw.request(s3, s3.alice, 'PUT', '/' + new_bucket_name)
    assert r.status == 200, r
    assert r.header('Location') in ('/' + new_bucket_name, None), r.headers


def test_create_twice_is_already_owned_by_you(s3, alice, bucket):
    with s3_error('BucketAlreadyOwnedByYou', 409):
        alice.create_bucket(Bucket=bucket)


def test_create_others_bucket_is_already_exists(s3, bob, bucket):
    with s3_error('BucketAlreadyExists', 409):
        bob.create_bucket(Bucket=bucket)
    # still alice's
    r = s3raw.request(s3, s3.alice, 'HEAD', '/' + bucket)
    assert r.status == 200


def test_head_bucket(s3, alice, bucket):
    resp = alice.head_bucket(Bucket=bucket)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 200


def test_head_missing_bucket(s3, alice, new_bucket_name):
    with s3_error('404', 404):
        alice.head_bucket(Bucket=new_bucket_name)
    r = s3raw.request(s3, s3.alice, 'HEAD', '/' + new_bucket_name)
    assert r.status == 404
    assert r.body == b''
    assert r.header('x-amz-request-id')


def test_head_bucket_of_other_user_is_forbidden(s3, bob, bucket):
    with s3_error('403', 403):
        bob.head_bucket(Bucket=bucket)


def test_delete_bucket(s3, alice, bucket):
    resp = alice.delete_bucket(Bucket=bucket)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204
    assert not s3.bucket_dir(bucket).exists()
    with s3_error('404', 404):
        alice.head_bucket(Bucket=bucket)
    assert bucket not in [b['Name'] for b in alice.list_buckets()['Buckets']]


def test_delete_then_recreate(s3, alice, bob, bucket):
    # warm the workers' record caches with alice's bucket record first: a
    # cache must notice the record replaced by bob's
    for _ in range(8):
        alice.head_bucket(Bucket=bucket)
    alice.delete_bucket(Bucket=bucket)
    bob.create_bucket(Bucket=bucket)
    bob.head_bucket(Bucket=bucket)
    for _ in range(8):
        with s3_error('403', 403):
            alice.head_bucket(Bucket=bucket)


def test_delete_non_empty_bucket(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='x', Body=b'1')
    with s3_error('BucketNotEmpty', 409):
        alice.delete_bucket(Bucket=bucket)
    assert alice.get_object(Bucket=bucket, Key='x')['Body'].read() == b'1'
    alice.delete_object(Bucket=bucket, Key='x')
    alice.delete_bucket(Bucket=bucket)
    assert not s3.bucket_dir(bucket).exists()


def test_delete_missing_bucket(s3, alice, new_bucket_name):
    with s3_error('NoSuchBucket', 404):
        alice.delete_bucket(Bucket=new_bucket_name)


def test_delete_others_bucket_is_access_denied(s3, bob, bucket):
    with s3_error('AccessDenied', 403):
        bob.delete_bucket(Bucket=bucket)
    assert (s3.bucket_dir(bucket) / 'bucket').is_file()


def test_virtual_host_head_bucket(s3, bucket, new_bucket_name):
    vh = s3.vhost_client(s3.alice)
    r = vh.head(bucket)
    assert r.status == 200, r
    r = vh.head(new_bucket_name)
    assert r.status == 404, r


def test_virtual_host_create_and_delete_bucket(s3, alice, new_bucket_name):
    vh = s3.vhost_client(s3.alice)
    r = vh.request('PUT', new_bucket_name)
    assert r.status == 200, r
    alice.head_bucket(Bucket=new_bucket_name)
    assert (s3.bucket_dir(new_bucket_name) / 'bucket').is_file()
    r = vh.delete(new_bucket_name)
    assert r.status == 204, r
    assert not s3.bucket_dir(new_bucket_name).exists()


def test_virtual_host_list_buckets_is_not_bucket(s3, bucket):
    # the bare domain is the service: ListBuckets
    r = s3raw.request(s3, s3.alice, 'GET', '/', host=f's3.test:{s3.port}')
    assert r.status == 200, r
    names = [e.text for e in r.xml().iter(XMLNS + 'Name')]
    assert bucket in names
