"""Checksums of multipart uploads (ngx_http_s3_multipart.c,
ngx_http_s3_complete.c, ngx_http_s3_copy.c, core/s3_store_mpu.c,
core/s3_store_complete.c, core/s3_store_copy.c): ListParts shows each
part's checksum and the upload's algorithm and type; UploadPartCopy gives
a copied part its checksum; CompleteMultipartUpload checks the listed part
checksums and gives the object its COMPOSITE or FULL_OBJECT checksum,
shown by GET and HEAD."""

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


# UploadPartCopy (ngx_http_s3_copy.c, core/s3_store_copy.c): a copied part
# gets the upload's checksum of the bytes copied, as UploadPart does


def copy_sources(alice, bucket):
    """A multipart source 'msrc' (5 MiB + 2000 bytes, no checksums) and a
    plain 'small'; returns their bytes."""
    bodies = [os.urandom(5 * MiB), os.urandom(2000)]
    uid = alice.create_multipart_upload(Bucket=bucket,
                                        Key='msrc')['UploadId']
    parts = upload(alice, bucket, 'msrc', uid, bodies)
    alice.complete_multipart_upload(Bucket=bucket, Key='msrc', UploadId=uid,
                                    MultipartUpload={'Parts': parts})
    small = os.urandom(1000)
    alice.put_object(Bucket=bucket, Key='small', Body=small)
    return b''.join(bodies), small


def copy_part(alice, bucket, key, uid, n, src, rng=None):
    kw = {'CopySourceRange': f'bytes={rng[0]}-{rng[1]}'} if rng else {}
    return alice.upload_part_copy(Bucket=bucket, Key=key, UploadId=uid,
                                  PartNumber=n,
                                  CopySource={'Bucket': bucket, 'Key': src},
                                  **kw)['CopyPartResult']


def test_upload_part_copy_composite(s3, alice, bucket):
    whole, small = copy_sources(alice, bucket)
    uid = alice.create_multipart_upload(Bucket=bucket, Key='c',
                                        ChecksumAlgorithm='CRC32')['UploadId']

    # part 1 crosses the source's two parts
    bodies = [whole[1000:1000 + 5 * MiB], small]
    r1 = copy_part(alice, bucket, 'c', uid, 1, 'msrc',
                   (1000, 1000 + 5 * MiB - 1))
    r2 = copy_part(alice, bucket, 'c', uid, 2, 'small')
    assert r1['ChecksumCRC32'] == cksum('CRC32', bodies[0])
    assert r2['ChecksumCRC32'] == cksum('CRC32', small)

    listed = alice.list_parts(Bucket=bucket, Key='c', UploadId=uid)['Parts']
    assert [p['ChecksumCRC32'] for p in listed] == [r1['ChecksumCRC32'],
                                                    r2['ChecksumCRC32']]

    parts = [{'PartNumber': n, 'ETag': r['ETag'],
              'ChecksumCRC32': r['ChecksumCRC32']}
             for n, r in enumerate((r1, r2), 1)]
    done = alice.complete_multipart_upload(Bucket=bucket, Key='c',
                                           UploadId=uid,
                                           MultipartUpload={'Parts': parts})
    want = composite('CRC32', bodies)
    assert done['ChecksumCRC32'] == want

    got = alice.get_object(Bucket=bucket, Key='c', ChecksumMode='ENABLED')
    assert got['ChecksumCRC32'] == want
    assert got['Body'].read() == b''.join(bodies)


def test_upload_part_copy_full_object(s3, alice, bucket):
    whole, small = copy_sources(alice, bucket)
    r = s3raw.request(s3, s3.alice, 'POST', s3raw.object_path(bucket, 'f'),
                      query='uploads',
                      headers={'x-amz-checksum-algorithm': 'CRC64NVME',
                               'x-amz-checksum-type': 'FULL_OBJECT'})
    assert r.status == 200, r
    uid = r.xml().find('{*}UploadId').text

    # this botocore does not know CRC64NVME: part 2's answer is read raw
    r1 = copy_part(alice, bucket, 'f', uid, 1, 'msrc',
                   (2000, 2000 + 5 * MiB - 1))
    r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, 'f'),
                      query=f'partNumber=2&uploadId={uid}',
                      headers={'x-amz-copy-source': f'{bucket}/small'})
    assert r.status == 200, r
    result = r.xml()
    assert result.tag.endswith('CopyPartResult')
    assert text(result, 'ChecksumCRC64NVME') == cksum('CRC64NVME', small)
    assert text(result, 'ChecksumType') is None

    root = raw_list_parts(s3, bucket, 'f', uid)
    assert [text(p, 'ChecksumCRC64NVME') is not None
            for p in root.findall('{*}Part')] == [True, True]

    parts = [{'PartNumber': 1, 'ETag': r1['ETag']},
             {'PartNumber': 2, 'ETag': text(result, 'ETag')}]
    r = complete_raw(s3, bucket, 'f', uid, parts)
    assert r.status == 200, r
    want = cksum('CRC64NVME', whole[2000:2000 + 5 * MiB] + small)
    assert text(r.xml(), 'ChecksumCRC64NVME') == want
    assert text(r.xml(), 'ChecksumType') == 'FULL_OBJECT'
    assert head_checksum(s3, bucket, 'f') == (
        'x-amz-checksum-crc64nvme', want, 'FULL_OBJECT')


def test_upload_part_copy_without_algorithm(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='src', Body=b'has its own CRC32',
                     ChecksumAlgorithm='CRC32')
    uid = alice.create_multipart_upload(Bucket=bucket, Key='n')['UploadId']
    r = copy_part(alice, bucket, 'n', uid, 1, 'src')
    assert not [k for k in r if k.startswith('Checksum')], r
    listed = alice.list_parts(Bucket=bucket, Key='n', UploadId=uid)['Parts']
    assert not [k for k in listed[0] if k.startswith('Checksum')]
