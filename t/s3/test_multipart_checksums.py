"""Checksums of multipart uploads (ngx_http_s3_multipart.c,
core/s3_store_mpu.c): ListParts shows each part's checksum and the
upload's algorithm and type."""

import os

import pytest

from lib import s3raw
from lib.cksums import cksum

BOTO3_ALGOS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256']


def raw_list_parts(s3, bucket, key, uid):
    r = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, key),
                      query=f'uploadId={uid}')
    assert r.status == 200, r
    return r.xml()


def text(root, tag):
    el = root.find('{*}' + tag)
    return None if el is None else el.text


@pytest.mark.parametrize('algo', BOTO3_ALGOS)
def test_list_parts_shows_checksums(s3, alice, bucket, algo):
    uid = alice.create_multipart_upload(Bucket=bucket, Key='m',
                                        ChecksumAlgorithm=algo)['UploadId']
    bodies = [os.urandom(1000), os.urandom(10), b'last']
    for n, body in enumerate(bodies, 1):
        alice.upload_part(Bucket=bucket, Key='m', UploadId=uid,
                          PartNumber=n, Body=body, ChecksumAlgorithm=algo)

    got = alice.list_parts(Bucket=bucket, Key='m', UploadId=uid)
    assert got['ChecksumAlgorithm'] == algo
    assert [p['PartNumber'] for p in got['Parts']] == [1, 2, 3]
    for part, body in zip(got['Parts'], bodies):
        assert part[f'Checksum{algo}'] == cksum(algo, body), part

    page = alice.list_parts(Bucket=bucket, Key='m', UploadId=uid,
                            MaxParts=1, PartNumberMarker=1)
    assert page['Parts'][0][f'Checksum{algo}'] == cksum(algo, bodies[1])

    root = raw_list_parts(s3, bucket, 'm', uid)
    assert text(root, 'ChecksumAlgorithm') == algo
    assert text(root, 'ChecksumType') == 'COMPOSITE'


def test_list_parts_full_object(s3, bucket):
    r = s3raw.request(s3, s3.alice, 'POST', s3raw.object_path(bucket, 'm'),
                      query='uploads',
                      headers={'x-amz-checksum-algorithm': 'CRC64NVME'})
    assert r.status == 200, r
    uid = r.xml().find('{*}UploadId').text
    body = b'its CRC is computed'
    r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, 'm'),
                      query=f'partNumber=1&uploadId={uid}', body=body)
    assert r.status == 200, r

    root = raw_list_parts(s3, bucket, 'm', uid)
    assert text(root, 'ChecksumAlgorithm') == 'CRC64NVME'
    assert text(root, 'ChecksumType') == 'FULL_OBJECT'
    part = root.find('{*}Part')
    assert text(part, 'ChecksumCRC64NVME') == cksum('CRC64NVME', body)


def test_list_parts_without_checksums(s3, alice, bucket):
    uid = alice.create_multipart_upload(Bucket=bucket, Key='m')['UploadId']
    alice.upload_part(Bucket=bucket, Key='m', UploadId=uid, PartNumber=1,
                      Body=b'plain')
    got = alice.list_parts(Bucket=bucket, Key='m', UploadId=uid)
    assert 'ChecksumAlgorithm' not in got
    assert not [k for k in got['Parts'][0] if k.startswith('Checksum')]
    root = raw_list_parts(s3, bucket, 'm', uid)
    assert text(root, 'ChecksumType') is None
