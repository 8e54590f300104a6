"""Checksums of multipart uploads (ngx_http_s3_multipart.c,
ngx_http_s3_complete.c, core/s3_store_mpu.c, core/s3_store_complete.c):
ListParts shows each part's checksum and the upload's algorithm and type;
CompleteMultipartUpload checks the listed part checksums and gives the
object its COMPOSITE or FULL_OBJECT checksum, shown by GET and HEAD."""

import os

import pytest

from lib import s3raw
from lib.checks import assert_not_stored, assert_raw_error
from lib.cksums import RAW, b64, cksum

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


# CompleteMultipartUpload: the object's checksum


MiB = 1024 * 1024


def composite(algo, bodies):
    raw = b''.join(RAW[algo](b) for b in bodies)
    return f'{b64(RAW[algo](raw))}-{len(bodies)}'


def upload(alice, bucket, key, uid, bodies, algo=None):
    """Uploads bodies as parts 1..n; returns the CompletedPart list, with
    the checksums UploadPart answered."""
    parts = []
    for n, body in enumerate(bodies, 1):
        kw = {'ChecksumAlgorithm': algo} if algo else {}
        r = alice.upload_part(Bucket=bucket, Key=key, UploadId=uid,
                              PartNumber=n, Body=body, **kw)
        part = {'PartNumber': n, 'ETag': r['ETag']}
        if algo:
            part[f'Checksum{algo}'] = r[f'Checksum{algo}']
        parts.append(part)
    return parts


def head_checksum(s3, bucket, key):
    r = s3raw.request(s3, s3.alice, 'HEAD', s3raw.object_path(bucket, key),
                      headers={'x-amz-checksum-mode': 'ENABLED'})
    assert r.status == 200, r
    algos = [h for h in r.headers if h.lower().startswith('x-amz-checksum-')
             and h.lower() != 'x-amz-checksum-type']
    assert len(algos) == 1, r.headers
    return algos[0].lower(), r.header(algos[0]), r.header('x-amz-checksum-type')


@pytest.mark.parametrize('algo', BOTO3_ALGOS)
def test_complete_composite(s3, alice, bucket, algo):
    bodies = [os.urandom(5 * MiB), os.urandom(1000)]
    uid = alice.create_multipart_upload(Bucket=bucket, Key='c',
                                        ChecksumAlgorithm=algo)['UploadId']
    parts = upload(alice, bucket, 'c', uid, bodies, algo)
    done = alice.complete_multipart_upload(
        Bucket=bucket, Key='c', UploadId=uid,
        MultipartUpload={'Parts': parts})
    want = composite(algo, bodies)
    assert done[f'Checksum{algo}'] == want

    assert head_checksum(s3, bucket, 'c') == (
        f'x-amz-checksum-{algo.lower()}', want, 'COMPOSITE')
    got = alice.get_object(Bucket=bucket, Key='c', ChecksumMode='ENABLED')
    assert got[f'Checksum{algo}'] == want
    assert got['Body'].read() == b''.join(bodies)


def complete_raw(s3, bucket, key, uid, parts):
    xml = '<CompleteMultipartUpload>' + ''.join(
        f'<Part><PartNumber>{p["PartNumber"]}</PartNumber>'
        f'<ETag>{p["ETag"]}</ETag>'
        + ''.join(f'<{k}>{v}</{k}>' for k, v in p.items()
                  if k.startswith('Checksum'))
        + '</Part>' for p in parts) + '</CompleteMultipartUpload>'
    return s3raw.request(s3, s3.alice, 'POST', s3raw.object_path(bucket, key),
                         query=f'uploadId={uid}', body=xml.encode())


def test_complete_composite_needs_every_part_checksum(s3, alice, bucket):
    bodies = [os.urandom(5 * MiB), b'tail']
    uid = alice.create_multipart_upload(Bucket=bucket, Key='c',
                                        ChecksumAlgorithm='CRC32C')['UploadId']
    parts = upload(alice, bucket, 'c', uid, bodies, 'CRC32C')
    del parts[1]['ChecksumCRC32C']
    err = assert_raw_error(complete_raw(s3, bucket, 'c', uid, parts),
                           'InvalidRequest', 400)
    assert err['Message'] == ('The upload was created using a crc32c '
                              'checksum. The complete request must include '
                              'the checksum for each part. It was missing '
                              'for part 2 in the request.')
    assert_not_stored(s3, bucket, 'c')


@pytest.mark.parametrize('wrong', [
    ('ChecksumCRC32', lambda body: cksum('CRC32', b'other')),
    ('ChecksumCRC32', lambda body: 'not base64'),
    ('ChecksumSHA256', lambda body: cksum('SHA256', body)),
])
def test_complete_wrong_part_checksum(s3, alice, bucket, wrong):
    bodies = [os.urandom(5 * MiB), b'tail']
    uid = alice.create_multipart_upload(Bucket=bucket, Key='c',
                                        ChecksumAlgorithm='CRC32')['UploadId']
    parts = upload(alice, bucket, 'c', uid, bodies, 'CRC32')
    del parts[1]['ChecksumCRC32']
    parts[1][wrong[0]] = wrong[1](bodies[1])
    assert_raw_error(complete_raw(s3, bucket, 'c', uid, parts),
                     'InvalidPart', 400)
    assert_not_stored(s3, bucket, 'c')

    # the right one then completes
    parts = upload(alice, bucket, 'c', uid, bodies, 'CRC32')
    r = complete_raw(s3, bucket, 'c', uid, parts)
    assert r.status == 200, r
    assert r.xml().find('{*}ChecksumCRC32').text == composite('CRC32', bodies)
    assert r.xml().find('{*}ChecksumType').text == 'COMPOSITE'


@pytest.mark.parametrize('algo', ['CRC32', 'CRC32C', 'CRC64NVME'])
def test_complete_full_object(s3, alice, bucket, algo):
    bodies = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(777)]
    r = s3raw.request(s3, s3.alice, 'POST', s3raw.object_path(bucket, 'f'),
                      query='uploads',
                      headers={'x-amz-checksum-algorithm': algo,
                               'x-amz-checksum-type': 'FULL_OBJECT'})
    assert r.status == 200, r
    uid = r.xml().find('{*}UploadId').text
    parts = upload(alice, bucket, 'f', uid, bodies)
    parts[0][f'Checksum{algo}'] = cksum(algo, bodies[0])
    r = complete_raw(s3, bucket, 'f', uid, parts)
    assert r.status == 200, r
    want = cksum(algo, b''.join(bodies))
    assert r.xml().find(f'{{*}}Checksum{algo}').text == want
    assert r.xml().find('{*}ChecksumType').text == 'FULL_OBJECT'
    assert head_checksum(s3, bucket, 'f') == (
        f'x-amz-checksum-{algo.lower()}', want, 'FULL_OBJECT')


def test_complete_without_algorithm_has_no_checksum(s3, alice, bucket):
    bodies = [os.urandom(5 * MiB), b'tail']
    uid = alice.create_multipart_upload(Bucket=bucket, Key='n')['UploadId']
    parts = upload(alice, bucket, 'n', uid, bodies)
    r = complete_raw(s3, bucket, 'n', uid, parts)
    assert r.status == 200, r
    assert not [e for e in r.xml() if 'Checksum' in e.tag]
    got = alice.head_object(Bucket=bucket, Key='n', ChecksumMode='ENABLED')
    assert not [k for k in got if k.startswith('Checksum')]
