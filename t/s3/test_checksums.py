"""Flexible checksums on PutObject (ngx_http_s3_body.c): a sent
x-amz-checksum-<algo> is verified, x-amz-sdk-checksum-algorithm alone
asks for one to be computed; either is stored and shown by GET and HEAD
with x-amz-checksum-mode: ENABLED."""

import os

import pytest

from lib import s3raw
from lib.cksums import RAW, b64, cksum, crc64nvme
from lib.checks import (assert_not_stored, assert_raw_error, assert_stored,
                        assert_tmp_clean, s3_error)


# what Debian's boto3 (1.26) can send itself
BOTO3_ALGOS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256']


def header(algo):
    return f'x-amz-checksum-{algo.lower()}'


def put(s3, bucket, key, body, headers):
    return s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, key),
                         body=body, headers=headers)


def head(s3, bucket, key, headers=None):
    return s3raw.request(s3, s3.alice, 'HEAD',
                         s3raw.object_path(bucket, key), headers=headers)


def test_crc64nvme_reference():
    assert crc64nvme(b'123456789') == 0xae8b14860a799888


@pytest.mark.parametrize('algo', BOTO3_ALGOS)
def test_boto3_put_with_checksum(s3, alice, bucket, algo):
    body = os.urandom(100000)
    resp = alice.put_object(Bucket=bucket, Key='k', Body=body,
                            ChecksumAlgorithm=algo)
    assert resp[f'Checksum{algo}'] == cksum(algo, body)

    got = alice.head_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    assert got[f'Checksum{algo}'] == cksum(algo, body)
    got = alice.get_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    assert got['Body'].read() == body
    assert got[f'Checksum{algo}'] == cksum(algo, body)

    got = alice.head_object(Bucket=bucket, Key='k')
    assert f'Checksum{algo}' not in got
    assert_stored(s3, bucket, 'k', len(body))


@pytest.mark.parametrize('algo', sorted(RAW))
def test_raw_put_with_checksum(s3, bucket, algo):
    body = b'checked ' * 1000
    r = put(s3, bucket, 'k', body, {header(algo): cksum(algo, body)})
    assert r.status == 200, r
    assert r.header(header(algo)) == cksum(algo, body)
    assert r.header('x-amz-checksum-type') == 'FULL_OBJECT'

    r = head(s3, bucket, 'k', {'x-amz-checksum-mode': 'ENABLED'})
    assert r.status == 200, r
    assert r.header(header(algo)) == cksum(algo, body)
    assert r.header('x-amz-checksum-type') == 'FULL_OBJECT'


@pytest.mark.parametrize('algo', sorted(RAW))
def test_mismatch_is_bad_digest(s3, bucket, algo):
    body = b'the body'
    r = put(s3, bucket, 'bad', body, {header(algo): cksum(algo, b'other')})
    err = assert_raw_error(r, 'BadDigest', 400)
    assert err['Message'] == (f'The {algo} you specified did not match the '
                              'calculated checksum.')
    assert_not_stored(s3, bucket, 'bad')
    assert_tmp_clean(s3)


@pytest.mark.parametrize('algo', sorted(RAW))
def test_invalid_value_is_invalid_request(s3, bucket, algo):
    for value in ('not base64!', b64(b'\0' * 3), ''):
        r = put(s3, bucket, 'bad', b'x', {header(algo): value})
        err = assert_raw_error(r, 'InvalidRequest', 400)
        assert err['Message'] == f'Value for {header(algo)} header is invalid.'
    assert_not_stored(s3, bucket, 'bad')


def test_two_checksum_headers_are_refused(s3, bucket):
    body = b'two'
    r = put(s3, bucket, 'two', body, {header('CRC32'): cksum('CRC32', body),
                                      header('SHA1'): cksum('SHA1', body)})
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert err['Message'] == ('Expecting a single x-amz-checksum- header. '
                              'Multiple checksum Types are not allowed.')
    assert_not_stored(s3, bucket, 'two')


@pytest.mark.parametrize('algo', sorted(RAW))
def test_algorithm_alone_is_computed(s3, bucket, algo):
    body = os.urandom(70000)
    r = put(s3, bucket, 'c', body, {'x-amz-sdk-checksum-algorithm': algo})
    assert r.status == 200, r
    assert r.header(header(algo)) == cksum(algo, body)
    r = head(s3, bucket, 'c', {'x-amz-checksum-mode': 'ENABLED'})
    assert r.header(header(algo)) == cksum(algo, body)


def test_algorithm_other_than_header_is_refused(s3, bucket):
    body = b'x'
    r = put(s3, bucket, 'k', body, {'x-amz-sdk-checksum-algorithm': 'CRC32',
                                    header('CRC32C'): cksum('CRC32C', body)})
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert err['Message'] == ('Value for x-amz-sdk-checksum-algorithm header '
                              'is invalid.')
    r = put(s3, bucket, 'k', body, {'x-amz-sdk-checksum-algorithm': 'MD5'})
    assert_raw_error(r, 'InvalidRequest', 400)
    assert_not_stored(s3, bucket, 'k')


def test_range_get_has_no_checksum(s3, alice, bucket):
    body = os.urandom(1000)
    alice.put_object(Bucket=bucket, Key='r', Body=body,
                     ChecksumAlgorithm='SHA256')
    got = alice.get_object(Bucket=bucket, Key='r', Range='bytes=0-9',
                           ChecksumMode='ENABLED')
    assert got['Body'].read() == body[:10]
    assert 'ChecksumSHA256' not in got


def test_no_checksum_without_one(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='plain', Body=b'plain')
    got = alice.head_object(Bucket=bucket, Key='plain',
                            ChecksumMode='ENABLED')
    assert not [k for k in got if k.startswith('Checksum')], got


def test_boto3_mismatch(s3, alice, bucket):
    with s3_error('BadDigest', 400):
        alice.put_object(Bucket=bucket, Key='bad', Body=b'body',
                         ChecksumSHA256=cksum('SHA256', b'other'))
    assert_not_stored(s3, bucket, 'bad')


def mpu(s3, bucket, key, headers):
    return s3raw.request(s3, s3.alice, 'POST', s3raw.object_path(bucket, key),
                         query='uploads', headers=headers)


def upload_part(s3, bucket, key, upload_id, body, headers):
    return s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, key),
                         query=f'partNumber=1&uploadId={upload_id}',
                         body=body, headers=headers)


def upload_id(r):
    assert r.status == 200, r
    return r.xml().find('{*}UploadId').text


def test_create_upload_echoes_algorithm_and_type(s3, bucket):
    r = mpu(s3, bucket, 'm', {'x-amz-checksum-algorithm': 'CRC32'})
    assert r.status == 200, r
    assert r.header('x-amz-checksum-algorithm') == 'CRC32'
    assert r.header('x-amz-checksum-type') == 'COMPOSITE'
    r = mpu(s3, bucket, 'm', {'x-amz-checksum-algorithm': 'CRC32C',
                              'x-amz-checksum-type': 'FULL_OBJECT'})
    assert r.header('x-amz-checksum-type') == 'FULL_OBJECT', r
    r = mpu(s3, bucket, 'm', {'x-amz-checksum-algorithm': 'CRC64NVME'})
    assert r.header('x-amz-checksum-type') == 'FULL_OBJECT', r
    r = mpu(s3, bucket, 'm', {})
    assert r.header('x-amz-checksum-algorithm') is None, r


@pytest.mark.parametrize('algo,kind', [('SHA256', 'FULL_OBJECT'),
                                       ('SHA1', 'FULL_OBJECT'),
                                       ('CRC64NVME', 'COMPOSITE'),
                                       ('CRC32', 'BOGUS')])
def test_create_upload_bad_type(s3, bucket, algo, kind):
    r = mpu(s3, bucket, 'm', {'x-amz-checksum-algorithm': algo,
                              'x-amz-checksum-type': kind})
    assert_raw_error(r, 'InvalidRequest', 400)


def test_part_must_carry_the_upload_checksum(s3, bucket):
    uid = upload_id(mpu(s3, bucket, 'm',
                        {'x-amz-checksum-algorithm': 'CRC32'}))
    body = b'part'
    r = upload_part(s3, bucket, 'm', uid, body, {})
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert err['Message'] == ('Checksum Type mismatch occurred, expected '
                              'checksum Type: crc32, actual checksum Type: '
                              'null')
    r = upload_part(s3, bucket, 'm', uid, body,
                    {header('SHA1'): cksum('SHA1', body)})
    assert_raw_error(r, 'InvalidRequest', 400)
    r = upload_part(s3, bucket, 'm', uid, body,
                    {header('CRC32'): cksum('CRC32', b'other')})
    assert_raw_error(r, 'BadDigest', 400)
    r = upload_part(s3, bucket, 'm', uid, body,
                    {header('CRC32'): cksum('CRC32', body)})
    assert r.status == 200, r
    assert r.header(header('CRC32')) == cksum('CRC32', body)
    assert_tmp_clean(s3)


def test_full_object_part_checksum_is_computed(s3, bucket):
    uid = upload_id(mpu(s3, bucket, 'm',
                        {'x-amz-checksum-algorithm': 'CRC32C',
                         'x-amz-checksum-type': 'FULL_OBJECT'}))
    body = b'a part'
    r = upload_part(s3, bucket, 'm', uid, body, {})
    assert r.status == 200, r
    assert r.header(header('CRC32C')) == cksum('CRC32C', body)
