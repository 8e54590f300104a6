"""PutObject (ngx_http_s3_put.c): ETag, digests, headers, sizes, and
the on-disk result."""

import hashlib
import os

import pytest

from lib import s3raw
from lib.checks import (assert_not_stored, assert_raw_error, assert_stored,
                        assert_tmp_clean, etag, md5_b64, md5_hex, s3_error)

MiB = 1024 * 1024


def test_put_etag_is_md5(s3, alice, bucket):
    body = b'hello, world\n'
    resp = alice.put_object(Bucket=bucket, Key='hello', Body=body)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 200
    assert resp['ETag'] == etag(body)
    assert_stored(s3, bucket, 'hello', len(body))
    assert_tmp_clean(s3)


def test_put_raw_response(s3, bucket):
    body = b'raw'
    r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, 'r'),
                      body=body)
    assert r.status == 200, r
    assert r.header('ETag') == etag(body)
    assert r.header('x-amz-request-id')
    assert r.body == b''


def test_put_overwrite(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='k', Body=b'first version')
    alice.put_object(Bucket=bucket, Key='k', Body=b'second')
    got = alice.get_object(Bucket=bucket, Key='k')
    assert got['Body'].read() == b'second'
    assert got['ETag'] == etag(b'second')
    assert_stored(s3, bucket, 'k', len(b'second'))
    assert_tmp_clean(s3)


def test_put_content_md5_good(s3, alice, bucket):
    body = b'checked body'
    resp = alice.put_object(Bucket=bucket, Key='md5', Body=body,
                            ContentMD5=md5_b64(body))
    assert resp['ETag'] == etag(body)
    assert_stored(s3, bucket, 'md5', len(body))


def test_put_content_md5_mismatch_is_bad_digest(s3, alice, bucket):
    body = b'the body'
    with s3_error('BadDigest', 400):
        alice.put_object(Bucket=bucket, Key='bad', Body=body,
                         ContentMD5=md5_b64(b'another body'))
    with s3_error('404', 404):
        alice.head_object(Bucket=bucket, Key='bad')
    assert_not_stored(s3, bucket, 'bad')
    assert_tmp_clean(s3)


@pytest.mark.parametrize('value', [
    'not base64!',                        # not base64 at all
    'AAAA',                               # base64, 3 bytes: not an MD5
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAA',       # 21 bytes
    '////////////////////////',           # 24 characters, no padding:
                                          # 18 bytes, once a stack overflow
])
def test_put_content_md5_invalid_is_invalid_digest(s3, bucket, value):
    r = s3raw.request(s3, s3.alice, 'PUT',
                      s3raw.object_path(bucket, 'inv'), body=b'data',
                      headers={'Content-MD5': value})
    assert_raw_error(r, 'InvalidDigest', 400)
    assert_not_stored(s3, bucket, 'inv')


def test_put_content_type_and_metadata(s3, alice, bucket):
    body = b'{"a": 1}'
    alice.put_object(Bucket=bucket, Key='doc.json', Body=body,
                     ContentType='application/json; charset=utf-8',
                     Metadata={'color': 'blue', 'owner-name': 'Alice A.'})
    for resp in (alice.head_object(Bucket=bucket, Key='doc.json'),
                 alice.get_object(Bucket=bucket, Key='doc.json')):
        assert resp['ContentType'] == 'application/json; charset=utf-8'
        assert resp['Metadata'] == {'color': 'blue', 'owner-name': 'Alice A.'}
        assert resp['ContentLength'] == len(body)


def test_put_metadata_raw_headers(s3, bucket):
    r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, 'm'),
                      body=b'x', headers={'x-amz-meta-Mixed-Case': 'V1'})
    assert r.status == 200, r
    r = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, 'm'))
    assert r.status == 200, r
    assert r.header('x-amz-meta-mixed-case') == 'V1', r.headers
    assert r.body == b'x'


def test_put_metadata_replaced_on_overwrite(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='m', Body=b'1',
                     Metadata={'old': 'yes'}, ContentType='text/plain')
    alice.put_object(Bucket=bucket, Key='m', Body=b'2',
                     Metadata={'new': 'yes'})
    resp = alice.head_object(Bucket=bucket, Key='m')
    assert resp['Metadata'] == {'new': 'yes'}
    assert resp['ContentType'] != 'text/plain'


def test_put_empty_object(s3, alice, bucket):
    resp = alice.put_object(Bucket=bucket, Key='empty', Body=b'')
    assert resp['ETag'] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = alice.get_object(Bucket=bucket, Key='empty')
    assert got['ContentLength'] == 0
    assert got['Body'].read() == b''
    assert alice.head_object(Bucket=bucket, Key='empty')['ContentLength'] == 0
    assert_stored(s3, bucket, 'empty', 0)
    assert_tmp_clean(s3)


def test_put_5mib(s3, alice, bucket):
    body = os.urandom(5 * MiB)
    resp = alice.put_object(Bucket=bucket, Key='five', Body=body)
    assert resp['ETag'] == etag(body)
    got = alice.get_object(Bucket=bucket, Key='five')
    assert got['ContentLength'] == len(body)
    data = got['Body'].read()
    assert hashlib.sha256(data).digest() == hashlib.sha256(body).digest()
    assert_stored(s3, bucket, 'five', len(body))
    assert_tmp_clean(s3)


def test_put_64mib_streamed(s3, alice, bucket, tmp_path):
    path = tmp_path / 'big'
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, 'wb') as f:
        for _ in range(64):
            chunk = os.urandom(MiB)
            sha.update(chunk)
            md5.update(chunk)
            f.write(chunk)

    with open(path, 'rb') as f:
        resp = alice.put_object(Bucket=bucket, Key='big/object', Body=f)
    assert resp['ETag'] == f'"{md5.hexdigest()}"'

    got = alice.get_object(Bucket=bucket, Key='big/object')
    assert got['ContentLength'] == 64 * MiB
    back = hashlib.sha256()
    for chunk in got['Body'].iter_chunks(MiB):
        back.update(chunk)
    assert back.hexdigest() == sha.hexdigest()
    assert_stored(s3, bucket, 'big/object', 64 * MiB)
    assert_tmp_clean(s3)


def test_put_to_missing_bucket(s3, alice, new_bucket_name):
    with s3_error('NoSuchBucket', 404):
        alice.put_object(Bucket=new_bucket_name, Key='k', Body=b'x')
    assert not s3.bucket_dir(new_bucket_name).exists()
    assert_tmp_clean(s3)


def test_put_to_others_bucket(s3, bob, bucket):
    with s3_error('AccessDenied', 403):
        bob.put_object(Bucket=bucket, Key='intruder', Body=b'x')
    assert_not_stored(s3, bucket, 'intruder')


def test_put_md5_of_stored_file(s3, alice, bucket):
    # the object file starts with exactly the object's bytes
    body = os.urandom(100000)
    alice.put_object(Bucket=bucket, Key='exact', Body=body)
    path = assert_stored(s3, bucket, 'exact', len(body))
    with open(path, 'rb') as f:
        assert md5_hex(f.read(len(body))) == md5_hex(body)


def test_put_storage_class_standard(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='std', Body=b'x',
                     StorageClass='STANDARD')
    head = alice.head_object(Bucket=bucket, Key='std')
    assert 'StorageClass' not in head, head
    assert_stored(s3, bucket, 'std', 1)


@pytest.mark.parametrize('cls', ['GLACIER', 'STANDARD_IA', 'standard',
                                 'NO_SUCH_CLASS'])
def test_put_storage_class_other_is_refused(s3, alice, bucket, cls):
    with s3_error('InvalidStorageClass', 400):
        alice.put_object(Bucket=bucket, Key='cold', Body=b'x',
                         StorageClass=cls)
    assert_not_stored(s3, bucket, 'cold')
    with s3_error('InvalidStorageClass', 400):
        alice.create_multipart_upload(Bucket=bucket, Key='cold',
                                      StorageClass=cls)


def test_put_aws_chunked_is_not_stored_framed(s3, bucket):
    """An aws-chunked body is stored decoded, its trailer checksum kept
    (t/s3/test_chunked.py has the rest)."""
    body = b'5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n'
    r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, 'ch'),
                      body=body,
                      payload_hash='STREAMING-UNSIGNED-PAYLOAD-TRAILER',
                      headers={'Content-Encoding': 'aws-chunked',
                               'x-amz-decoded-content-length': '5',
                               'x-amz-trailer': 'x-amz-checksum-crc32'})
    assert r.status == 200, r
    assert r.header('ETag') == etag(b'hello')
    assert r.header('x-amz-checksum-crc32') == 'NhCmhg=='
    got = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, 'ch'))
    assert got.body == b'hello'
    assert got.header('Content-Encoding') is None
    assert_stored(s3, bucket, 'ch', 5)
