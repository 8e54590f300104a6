"""Request headers asking for what is not implemented (core/s3_op.h,
S3_HDR_NOT_IMPLEMENTED) are refused with 501 NotImplemented naming the
header, before anything is read or stored; subresources an operation does
not read likewise."""

import base64
import hashlib

import pytest

from lib import s3raw
from lib.checks import assert_not_stored, assert_raw_error, unique_bucket

KEY = base64.b64encode(b'k' * 32).decode()
KEY_MD5 = base64.b64encode(hashlib.md5(b'k' * 32).digest()).decode()

SSE_C = {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': KEY,
    'x-amz-server-side-encryption-customer-key-md5': KEY_MD5,
}

# what a client sends on PutObject (and CreateMultipartUpload, CopyObject)
PUT_HEADERS = [
    {'x-amz-server-side-encryption': 'AES256'},
    {'x-amz-server-side-encryption': 'aws:kms',
     'x-amz-server-side-encryption-aws-kms-key-id': 'k1'},
    {'x-amz-server-side-encryption-context': 'e30='},
    {'x-amz-server-side-encryption-bucket-key-enabled': 'true'},
    SSE_C,
    {'x-amz-object-lock-mode': 'GOVERNANCE',
     'x-amz-object-lock-retain-until-date': '2099-01-01T00:00:00Z'},
    {'x-amz-object-lock-legal-hold': 'ON'},
    {'x-amz-website-redirect-location': '/elsewhere'},
    {'x-amz-request-payer': 'requester'},
    {'x-amz-write-offset-bytes': '0'},
    {'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/'
                         'AllUsers"'},
]


def ids(headers):
    return sorted(headers)[0]


def assert_refused(r, headers):
    err = assert_raw_error(r, 'NotImplemented', 501)
    named = [h for h in headers if h in err['Message'].lower()]
    assert named, (headers, err['Message'])
    return err


@pytest.mark.parametrize('headers', PUT_HEADERS, ids=ids)
def test_put_object_refused(s3, bucket, headers):
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'data',
                      headers=headers)
    assert_refused(r, headers)
    assert_not_stored(s3, bucket, 'k')
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}/k')
    assert_raw_error(r, 'NoSuchKey', 404)


@pytest.mark.parametrize('headers', PUT_HEADERS, ids=ids)
def test_create_upload_refused(s3, bucket, headers):
    r = s3raw.request(s3, s3.alice, 'POST', f'/{bucket}/k', query='uploads=',
                      headers=headers)
    assert_refused(r, headers)
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}', query='uploads=')
    assert r.status == 200, r
    assert b'<UploadId>' not in r.body, r.body


def test_put_over_keeps_old_bytes(s3, bucket):
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'old')
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'new',
                      headers=SSE_C)
    assert_refused(r, SSE_C)
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}/k')
    assert r.status == 200 and r.body == b'old', r


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_read_with_sse_c_refused(s3, bucket, method):
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'old')
    r = s3raw.request(s3, s3.alice, method, f'/{bucket}/k', headers=SSE_C)
    assert r.status == 501, r
    if method == 'GET':
        assert_refused(r, SSE_C)
        assert b'old' not in r.body


def test_copy_source_sse_c_refused(s3, bucket):
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/src', body=b'x')
    headers = {'x-amz-copy-source': f'{bucket}/src'}
    headers.update({h.replace('x-amz-', 'x-amz-copy-source-'): v
                    for h, v in SSE_C.items()})
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/dst', headers=headers)
    assert_refused(r, [h for h in headers if 'encryption' in h])
    assert_not_stored(s3, bucket, 'dst')


@pytest.mark.parametrize('headers', [
    {'x-amz-mfa': '123456 654321'},
    {'x-amz-bypass-governance-retention': 'true'},
    {'x-amz-if-match-size': '1'},
], ids=ids)
def test_delete_object_refused(s3, bucket, headers):
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'kept')
    r = s3raw.request(s3, s3.alice, 'DELETE', f'/{bucket}/k',
                      headers=headers)
    assert_refused(r, headers)
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}/k')
    assert r.status == 200 and r.body == b'kept', r


@pytest.mark.parametrize('headers', [
    {'x-amz-bucket-object-lock-enabled': 'true'},
    {'x-amz-object-ownership': 'BucketOwnerEnforced'},
    {'x-amz-grant-full-control': 'id="someone"'},
], ids=ids)
def test_create_bucket_refused(s3, headers):
    name = unique_bucket()
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{name}', headers=headers)
    assert_refused(r, headers)
    r = s3raw.request(s3, s3.alice, 'HEAD', f'/{name}')
    assert r.status == 404, r


@pytest.mark.parametrize('headers', [
    {'x-amz-bucket-object-lock-enabled': 'false'},
    {'x-amz-object-ownership': 'ObjectWriter'},
    {'x-amz-object-ownership': 'BucketOwnerPreferred'},
], ids=lambda h: '-'.join(h.values()))
def test_create_bucket_accepted(s3, headers):
    # what asks for what we do anyway is taken
    name = unique_bucket()
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{name}', headers=headers)
    assert r.status == 200, r
    r = s3raw.request(s3, s3.alice, 'HEAD', f'/{name}')
    assert r.status == 200, r


def test_expected_bucket_owner(s3, alice, bucket):
    owner = alice.list_buckets()['Owner']['ID']
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'x',
                      headers={'x-amz-expected-bucket-owner': owner})
    assert r.status == 200, r
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'y',
                      headers={'x-amz-expected-bucket-owner': '111122223333'})
    assert_raw_error(r, 'AccessDenied', 403)
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}',
                      headers={'x-amz-expected-bucket-owner': '111122223333'})
    assert_raw_error(r, 'AccessDenied', 403)
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}/k')
    assert r.body == b'x', r


def test_copy_source_expected_owner(s3, alice, bucket):
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/src', body=b'x')
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/dst',
                      headers={'x-amz-copy-source': f'{bucket}/src',
                               'x-amz-source-expected-bucket-owner': 'nobody'})
    assert_raw_error(r, 'AccessDenied', 403)
    assert_not_stored(s3, bucket, 'dst')


@pytest.mark.parametrize('query', ['tagging=&acl=', 'acl=&versionId=1',
                                   'uploadId=x&partNumber=1&tagging='])
def test_subresource_not_read_refused(s3, bucket, query):
    # the first row matched reads one subresource, not the other
    s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}/k', body=b'x')
    method = 'PUT' if query.startswith('uploadId') else 'GET'
    r = s3raw.request(s3, s3.alice, method, f'/{bucket}/k', query=query,
                      body=b'')
    assert_raw_error(r, 'NotImplemented', 501)
