"""GetBucketLocation (ngx_http_s3_bucket.c)."""

import pytest

from lib import s3raw
from lib.checks import assert_raw_error, s3_error, unique_bucket

XMLNS = '{http://s3.amazonaws.com/doc/2006-03-01/}'


def test_location_us_east_1(s3, alice, bucket):
    # as S3: us-east-1 is an empty LocationConstraint, None to boto3
    resp = alice.get_bucket_location(Bucket=bucket)
    assert resp['LocationConstraint'] is None, resp


def test_location_xml(s3, bucket):
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}', query='location=')
    assert r.status == 200, r
    assert r.header('Content-Type').startswith('application/xml')
    root = r.xml()
    assert root.tag == XMLNS + 'LocationConstraint', r.body
    assert (root.text or '') == '', r.body
    assert len(root) == 0, r.body


def test_location_no_bucket(s3, alice):
    with s3_error('NoSuchBucket', 404):
        alice.get_bucket_location(Bucket=unique_bucket())


def test_location_other_owner(s3, bob, bucket):
    with s3_error('AccessDenied', 403):
        bob.get_bucket_location(Bucket=bucket)


def test_location_anonymous(s3, bucket):
    r = s3raw.request(s3, None, 'GET', f'/{bucket}', query='location=')
    assert_raw_error(r, 'AccessDenied', 403)


def create(s3, name, location):
    body = ('<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/'
            f'2006-03-01/"><LocationConstraint>{location}'
            '</LocationConstraint></CreateBucketConfiguration>').encode()
    return s3raw.request(s3, s3.alice, 'PUT', f'/{name}', body=body)


def test_create_with_empty_configuration(s3, alice):
    name = unique_bucket()
    r = create(s3, name, '')
    assert r.status == 200, r
    assert alice.get_bucket_location(Bucket=name)['LocationConstraint'] \
        is None


def test_create_naming_us_east_1(s3, alice):
    # S3 never takes us-east-1 as a LocationConstraint
    name = unique_bucket()
    assert_raw_error(create(s3, name, 'us-east-1'),
                     'InvalidLocationConstraint', 400)
    with s3_error('NoSuchBucket', 404):
        alice.get_bucket_location(Bucket=name)


def test_create_in_other_region(s3, alice):
    name = unique_bucket()
    with s3_error('IllegalLocationConstraintException', 400) as ei:
        alice.create_bucket(Bucket=name, CreateBucketConfiguration={
            'LocationConstraint': 'eu-west-1'})
    assert 'eu-west-1' in ei.value.response['Error']['Message']
    with s3_error('NoSuchBucket', 404):
        alice.get_bucket_location(Bucket=name)


def test_create_malformed_configuration(s3):
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{unique_bucket()}',
                      body=b'<CreateBucketConfiguration><Location')
    assert_raw_error(r, 'MalformedXML', 400)
@pytest.mark.parametrize('method,key,query', [
    ('GET', 'k', 'tagging='),
    ('POST', '', 'delete='),
    ('PUT', 'k', 'tagging='),
])
def test_other_subresources_are_not_location(s3, alice, bucket, method,
                                             key, query):
    alice.put_object(Bucket=bucket, Key='k', Body=b'x')
    r = s3raw.request(s3, s3.alice, method, f'/{bucket}/{key}',
                      query=query, body=b'<x/>' if method != 'GET' else b'')
    assert b'LocationConstraint' not in r.body, r
