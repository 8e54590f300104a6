"""Multipart upload API: CreateMultipartUpload, UploadPart, UploadPartCopy,
CompleteMultipartUpload, AbortMultipartUpload, ListParts, and GET/HEAD of
the result (whole, Range, partNumber), with what they leave on disk."""

import concurrent.futures
import hashlib
import http.client
import os
import resource
import signal
import subprocess
import time

import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lib.checks import assert_raw_error, assert_tmp_clean, s3_error
from lib.s3raw import UNSIGNED, Signer, object_path, request
from lib.server import Server

MIB = 1024 * 1024


def blob(n, seed):
    return (hashlib.sha256(seed.encode()).digest() * (n // 32 + 1))[:n]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def mp_etag(parts):
    md5s = b''.join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"'


def upload(client, bucket, key, datas, **extra):
    up = client.create_multipart_upload(Bucket=bucket, Key=key, **extra)
    uid = up['UploadId']
    parts = []
    # the parts of an upload created with an algorithm must carry it, and
    # so must the completion's list of a COMPOSITE upload
    algo = {k: v for k, v in extra.items() if k == 'ChecksumAlgorithm'}
    for i, d in enumerate(datas, 1):
        r = client.upload_part(Bucket=bucket, Key=key, UploadId=uid,
                               PartNumber=i, Body=d, **algo)
        parts.append({'PartNumber': i, 'ETag': r['ETag']})
        for v in algo.values():
            parts[-1][f'Checksum{v}'] = r[f'Checksum{v}']
    return uid, parts


def complete(client, bucket, key, uid, parts):
    return client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={'Parts': parts})


def mpu_dir(s3, bucket, uid):
    return s3.bucket_dir(bucket) / 'mpu' / uid


def parts_dir(s3, bucket, uid):
    return s3.bucket_dir(bucket) / 'parts' / uid


@pytest.fixture(scope='module')
def big():
    return [blob(5 * MIB, 'a'), blob(5 * MIB + 7, 'b'), blob(1234, 'c')]


def test_create_upload_complete_get(s3, alice, bucket, big):
    uid, parts = upload(alice, bucket, 'k', big, ContentType='text/x',
                        Metadata={'color': 'red'}, ACL='public-read',
                        ChecksumAlgorithm='SHA256')
    assert len(uid) == 32
    assert (mpu_dir(s3, bucket, uid) / 'upload').is_file()
    assert sorted(os.listdir(mpu_dir(s3, bucket, uid))) == \
        ['1', '2', '3', 'upload']
    r = complete(alice, bucket, 'k', uid, parts)
    assert r['ETag'] == mp_etag(big)
    assert r['Bucket'] == bucket and r['Key'] == 'k'
    assert r['Location'].endswith(f'/{bucket}/k')
    assert not mpu_dir(s3, bucket, uid).exists()
    assert sorted(os.listdir(parts_dir(s3, bucket, uid))) == \
        ['1', '2', '3', 'upload']
    assert_tmp_clean(s3)

    whole = b''.join(big)
    g = alice.get_object(Bucket=bucket, Key='k')
    body = g['Body'].read()
    assert sha(body) == sha(whole)
    assert g['ETag'] == mp_etag(big)
    assert g['ContentType'] == 'text/x'
    assert g['Metadata'] == {'color': 'red'}
    assert 'PartsCount' not in g
    h = alice.head_object(Bucket=bucket, Key='k')
    assert h['ContentLength'] == len(whole)
    assert h['ETag'] == mp_etag(big)


def test_range_across_parts(s3, alice, bucket, big):
    uid, parts = upload(alice, bucket, 'r', big)
    complete(alice, bucket, 'r', uid, parts)
    whole = b''.join(big)
    n = len(whole)
    for a, b in [(0, 0), (5 * MIB - 3, 5 * MIB + 2), (10 * MIB, n - 1),
                 (5 * MIB - 1, n - 1), (1, 10 * MIB + 10)]:
        g = alice.get_object(Bucket=bucket, Key='r', Range=f'bytes={a}-{b}')
        assert g['ResponseMetadata']['HTTPStatusCode'] == 206
        assert g['ContentRange'] == f'bytes {a}-{b}/{n}'
        assert sha(g['Body'].read()) == sha(whole[a:b + 1])
    g = alice.get_object(Bucket=bucket, Key='r', Range='bytes=-100')
    assert g['Body'].read() == whole[-100:]
    r = request(s3, s3.alice, 'GET', object_path(bucket, 'r'),
                headers={'Range': f'bytes={n}-'})
    assert_raw_error(r, 'InvalidRange', 416)


def test_part_number_get_head(s3, alice, bucket, big):
    uid, parts = upload(alice, bucket, 'p', big)
    complete(alice, bucket, 'p', uid, parts)
    whole = b''.join(big)
    off = 0
    for i, d in enumerate(big, 1):
        g = alice.get_object(Bucket=bucket, Key='p', PartNumber=i)
        assert g['ResponseMetadata']['HTTPStatusCode'] == 206
        assert g['PartsCount'] == 3
        assert g['ContentRange'] == \
            f'bytes {off}-{off + len(d) - 1}/{len(whole)}'
        assert sha(g['Body'].read()) == sha(d)
        h = alice.head_object(Bucket=bucket, Key='p', PartNumber=i)
        assert h['ContentLength'] == len(d) and h['PartsCount'] == 3
        off += len(d)
    r = request(s3, s3.alice, 'GET', object_path(bucket, 'p'),
                query='partNumber=4')
    assert_raw_error(r, 'InvalidPartNumber', 416)
    r = request(s3, s3.alice, 'GET', object_path(bucket, 'p'),
                query='partNumber=0')
    assert_raw_error(r, 'InvalidArgument', 400)


def test_reupload_replaces_part(s3, alice, bucket, big):
    uid, parts = upload(alice, bucket, 'x', [big[0], b'old'])
    r = alice.upload_part(Bucket=bucket, Key='x', UploadId=uid,
                          PartNumber=2, Body=b'new!')
    parts[1]['ETag'] = r['ETag']
    complete(alice, bucket, 'x', uid, parts)
    body = alice.get_object(Bucket=bucket, Key='x')['Body'].read()
    assert body == big[0] + b'new!'


def test_errors(s3, alice, bucket, big):
    uid, parts = upload(alice, bucket, 'e', [b'small', big[2]])
    with s3_error('EntityTooSmall', 400):
        complete(alice, bucket, 'e', uid, parts)
    bad = [dict(parts[0]), dict(parts[1])]
    bad[1]['ETag'] = '"' + '0' * 32 + '"'
    with s3_error('InvalidPart', 400):
        complete(alice, bucket, 'e', uid, bad)
    with s3_error('InvalidPart', 400):
        complete(alice, bucket, 'e', uid,
                 [parts[0], {'PartNumber': 9, 'ETag': parts[1]['ETag']}])
    with s3_error('InvalidPartOrder', 400):
        complete(alice, bucket, 'e', uid, [parts[1], parts[0]])
    r = request(s3, s3.alice, 'POST', object_path(bucket, 'e'),
                query=f'uploadId={uid}', body=b'<Complete')
    assert_raw_error(r, 'MalformedXML', 400)
    r = request(s3, s3.alice, 'POST', object_path(bucket, 'e'),
                query=f'uploadId={uid}',
                body=b'<CompleteMultipartUpload></CompleteMultipartUpload>')
    assert_raw_error(r, 'MalformedXML', 400)
    for n in ('0', '10001', 'x', '-1'):
        r = request(s3, s3.alice, 'PUT', object_path(bucket, 'e'),
                    query=f'partNumber={n}&uploadId={uid}', body=b'x')
        assert_raw_error(r, 'InvalidArgument', 400)
    # the upload survived every refusal
    assert mpu_dir(s3, bucket, uid).is_dir()
    fake = 'f' * 32
    with s3_error('NoSuchUpload', 404):
        alice.upload_part(Bucket=bucket, Key='e', UploadId=fake,
                          PartNumber=1, Body=b'x')
    with s3_error('NoSuchUpload', 404):
        alice.upload_part(Bucket=bucket, Key='other', UploadId=uid,
                          PartNumber=1, Body=b'x')
    with s3_error('NoSuchUpload', 404):
        complete(alice, bucket, 'e', fake, parts)
    with s3_error('NoSuchUpload', 404):
        alice.list_parts(Bucket=bucket, Key='e', UploadId='nothex')
    with s3_error('NoSuchUpload', 404):
        alice.abort_multipart_upload(Bucket=bucket, Key='e', UploadId=fake)
    assert_tmp_clean(s3)


@pytest.mark.parametrize('quote', ['"', '&quot;', '&#34;', ''])
def test_complete_etag_spellings(s3, alice, bucket, quote):
    uid, parts = upload(alice, bucket, 'q', [b'one', b'two'][:1])
    e = parts[0]['ETag'].strip('"')
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/'
            f'2006-03-01/"><Part><ETag>{quote}{e}{quote}</ETag>'
            f'<PartNumber>1</PartNumber></Part>'
            f'</CompleteMultipartUpload>').encode()
    r = request(s3, s3.alice, 'POST', object_path(bucket, 'q'),
                query=f'uploadId={uid}', body=body)
    assert r.status == 200, r
    assert r.xml().find('{http://s3.amazonaws.com/doc/2006-03-01/}ETag') \
        .text == mp_etag([b'one'])


def test_complete_twice_and_abort(s3, alice, bucket):
    uid, parts = upload(alice, bucket, 'c', [b'one'])
    complete(alice, bucket, 'c', uid, parts)
    with s3_error('NoSuchUpload', 404):
        complete(alice, bucket, 'c', uid, parts)
    assert alice.get_object(Bucket=bucket, Key='c')['Body'].read() == b'one'

    uid, parts = upload(alice, bucket, 'a', [b'1', b'2'])
    r = alice.abort_multipart_upload(Bucket=bucket, Key='a', UploadId=uid)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    assert not mpu_dir(s3, bucket, uid).exists()
    with s3_error('NoSuchUpload', 404):
        alice.list_parts(Bucket=bucket, Key='a', UploadId=uid)
    assert_tmp_clean(s3)


def test_list_parts_pagination(s3, alice, bucket):
    datas = [bytes([i]) * (i + 1) for i in range(7)]
    uid, parts = upload(alice, bucket, 'l', datas)
    seen, marker = [], 0
    while True:
        r = alice.list_parts(Bucket=bucket, Key='l', UploadId=uid,
                             MaxParts=3, PartNumberMarker=marker)
        assert r['MaxParts'] == 3
        assert r['Initiator']['DisplayName'] == 'alice'
        assert r['StorageClass'] == 'STANDARD'
        seen += r['Parts']
        if not r['IsTruncated']:
            break
        marker = r['NextPartNumberMarker']
        assert marker == r['Parts'][-1]['PartNumber']
    assert [p['PartNumber'] for p in seen] == list(range(1, 8))
    assert [p['Size'] for p in seen] == [len(d) for d in datas]
    assert [p['ETag'] for p in seen] == [p['ETag'] for p in parts]


def test_upload_part_copy(s3, alice, bucket, big):
    whole = b''.join(big)
    uid, parts = upload(alice, bucket, 'src', big)
    complete(alice, bucket, 'src', uid, parts)
    alice.put_object(Bucket=bucket, Key='plain', Body=b'0123456789')

    up = alice.create_multipart_upload(Bucket=bucket, Key='dst')
    uid = up['UploadId']
    a, b = 5 * MIB - 100, 10 * MIB + 99
    r1 = alice.upload_part_copy(Bucket=bucket, Key='dst', UploadId=uid,
                                PartNumber=1,
                                CopySource={'Bucket': bucket, 'Key': 'src'},
                                CopySourceRange=f'bytes={a}-{b}')
    r2 = alice.upload_part_copy(Bucket=bucket, Key='dst', UploadId=uid,
                                PartNumber=2,
                                CopySource={'Bucket': bucket,
                                            'Key': 'plain'})
    e1 = r1['CopyPartResult']['ETag']
    assert e1 == f'"{hashlib.md5(whole[a:b + 1]).hexdigest()}"'
    complete(alice, bucket, 'dst', uid,
             [{'PartNumber': 1, 'ETag': e1},
              {'PartNumber': 2, 'ETag': r2['CopyPartResult']['ETag']}])
    body = alice.get_object(Bucket=bucket, Key='dst')['Body'].read()
    assert sha(body) == sha(whole[a:b + 1] + b'0123456789')

    up = alice.create_multipart_upload(Bucket=bucket, Key='dst2')
    with s3_error('InvalidArgument', 400) as ei:
        alice.upload_part_copy(Bucket=bucket, Key='dst2',
                               UploadId=up['UploadId'], PartNumber=1,
                               CopySource={'Bucket': bucket, 'Key': 'plain'},
                               CopySourceRange='bytes=5-10')
    assert ei.value.response['Error']['Message'] == \
        'Range specified is not valid for source object of size: 10'
    with s3_error('NoSuchKey', 404):
        alice.upload_part_copy(Bucket=bucket, Key='dst2',
                               UploadId=up['UploadId'], PartNumber=1,
                               CopySource={'Bucket': bucket, 'Key': 'nope'})
    assert_tmp_clean(s3)


def test_overwrite_and_delete_remove_parts(s3, alice, bucket):
    uid, parts = upload(alice, bucket, 'o', [b'first'])
    complete(alice, bucket, 'o', uid, parts)
    assert parts_dir(s3, bucket, uid).is_dir()
    alice.put_object(Bucket=bucket, Key='o', Body=b'plain')
    assert not parts_dir(s3, bucket, uid).exists()
    assert alice.get_object(Bucket=bucket, Key='o')['Body'].read() == b'plain'

    uid, parts = upload(alice, bucket, 'o', [b'second'])
    complete(alice, bucket, 'o', uid, parts)
    alice.delete_object(Bucket=bucket, Key='o')
    assert not parts_dir(s3, bucket, uid).exists()
    with s3_error('NoSuchKey', 404):
        alice.get_object(Bucket=bucket, Key='o')


def test_other_user_cannot_touch(s3, alice, bob, bucket):
    uid, parts = upload(alice, bucket, 'u', [b'x'])
    with s3_error('AccessDenied', 403):
        bob.upload_part(Bucket=bucket, Key='u', UploadId=uid, PartNumber=2,
                        Body=b'y')
    with s3_error('AccessDenied', 403):
        bob.abort_multipart_upload(Bucket=bucket, Key='u', UploadId=uid)


@pytest.fixture(scope='module')
def expiring(tmp_path_factory):
    """An nginx whose uploads expire after 2 s."""
    srv = Server(tmp_path_factory.mktemp('ngx_s3_expire'), repld=False)
    srv.journal_size = None
    orig = srv.render

    def render():
        orig()
        text = srv.conf.read_text()
        srv.conf.write_text(text.replace('http {',
                                         'http {\n    s3_multipart_expire 2s;',
                                         1))
    srv.render = render
    srv.start()
    srv.alice = srv.add_user('alice')
    yield srv
    problems = srv.stop()
    assert not problems, problems


def test_expiry(expiring):
    srv = expiring
    c = srv.client(srv.alice)
    c.create_bucket(Bucket='exp')
    uid, parts = upload(c, 'exp', 'k', [b'abc'])
    assert mpu_dir(srv, 'exp', uid).is_dir()
    deadline = time.monotonic() + 15
    while mpu_dir(srv, 'exp', uid).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not mpu_dir(srv, 'exp', uid).exists()
    with s3_error('NoSuchUpload', 404):
        c.list_parts(Bucket='exp', Key='k', UploadId=uid)


@pytest.fixture(scope='module')
def crashing(tmp_path_factory):
    """An nginx whose workers the test kills with SIGKILL."""
    srv = Server(tmp_path_factory.mktemp('ngx_s3_kill'), repld=False)
    srv.start()
    srv.alice = srv.add_user('alice')
    yield srv
    problems = [p for p in srv.stop()
                if 'exited on signal 9' not in p]
    assert not problems, problems


def workers(srv):
    out = subprocess.run(['ps', '-o', 'pid=', '--ppid', str(srv.proc.pid)],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_kill_mid_part(crashing):
    """kill -9 while a part streams in: the upload is intact, the part
    absent, and the upload completes from the parts that were there."""
    srv = crashing
    c = srv.client(srv.alice)
    c.create_bucket(Bucket='kill')
    first = blob(5 * MIB, 'k1')
    uid, parts = upload(c, 'kill', 'k', [first])

    body = blob(6 * MIB, 'k2')
    conn = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=30)
    path = object_path('kill', 'k')
    query = f'partNumber=2&uploadId={uid}'
    creds = Credentials(srv.alice.access_key, srv.alice.secret_key)
    aws = AWSRequest(method='PUT', url=f'{srv.endpoint}{path}?{query}',
                     data=body, headers={'x-amz-content-sha256':
                                         UNSIGNED})
    Signer(creds, payload_hash=UNSIGNED).add_auth(aws)
    conn.putrequest('PUT', f'{path}?{query}', skip_accept_encoding=True)
    for k, v in aws.headers.items():
        conn.putheader(k, v)
    conn.putheader('Content-Length', str(len(body)))
    conn.endheaders()
    conn.send(body[:2 * MIB])
    time.sleep(0.3)
    for pid in workers(srv):
        os.kill(pid, signal.SIGKILL)
    conn.close()
    deadline = time.monotonic() + 10
    while len(workers(srv)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    assert sorted(os.listdir(mpu_dir(srv, 'kill', uid))) == ['1', 'upload']
    r = c.list_parts(Bucket='kill', Key='k', UploadId=uid)
    assert [p['PartNumber'] for p in r['Parts']] == [1]
    complete(c, 'kill', 'k', uid, parts)
    assert sha(c.get_object(Bucket='kill', Key='k')['Body'].read()) == \
        sha(first)


@pytest.fixture(scope='module')
def many(tmp_path_factory):
    """An nginx of its own: the test lowers its workers' descriptor limit."""
    srv = Server(tmp_path_factory.mktemp('ngx_s3_many'), repld=False)
    srv.start()
    srv.alice = srv.add_user('alice')
    yield srv
    problems = srv.stop()
    assert not problems, problems


@pytest.mark.skipif(os.environ.get('NGX_S3_LD_PRELOAD') is not None,
                    reason='release pass only: 700 MB under ASan is too '
                           'slow for the suite')
def test_get_more_parts_than_descriptors(many):
    """GET streams a 140-part object in batches of at most 64 open part
    files (NGX_HTTP_S3_PARTS_BATCH): under a limit of 100 descriptors per
    worker, the whole object, a Range across batches and a part of the
    last batch come back intact."""
    srv = many
    c = srv.client(srv.alice)
    c.create_bucket(Bucket='many')
    src = blob(6 * MIB, 'many')
    c.put_object(Bucket='many', Key='src', Body=src)

    # 139 distinct parts of 5 MiB copied out of src, and a small last one
    n = 140
    ranges = [((i * 4099) % MIB, (i * 4099) % MIB + 5 * MIB - 1)
              for i in range(n - 1)] + [(17, 1016)]
    uid = c.create_multipart_upload(Bucket='many', Key='big')['UploadId']

    def copy(i):
        a, b = ranges[i]
        r = c.upload_part_copy(Bucket='many', Key='big', UploadId=uid,
                               PartNumber=i + 1,
                               CopySource={'Bucket': 'many', 'Key': 'src'},
                               CopySourceRange=f'bytes={a}-{b}')
        return {'PartNumber': i + 1, 'ETag': r['CopyPartResult']['ETag']}

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        parts = list(pool.map(copy, range(n)))
    complete(c, 'many', 'big', uid, parts)

    starts = []
    size = 0
    for a, b in ranges:
        starts.append(size)
        size += b - a + 1

    def expected(first, last):
        h = hashlib.sha256()
        for i, (a, b) in enumerate(ranges):
            lo = max(first, starts[i])
            hi = min(last, starts[i] + b - a)
            if lo <= hi:
                h.update(src[a + lo - starts[i]:a + hi - starts[i] + 1])
        return h.hexdigest()

    def got(**extra):
        g = c.get_object(Bucket='many', Key='big', **extra)
        h = hashlib.sha256()
        for chunk in g['Body'].iter_chunks(MIB):
            h.update(chunk)
        return g, h.hexdigest()

    for pid in workers(srv):
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (100, hard))

    g, digest = got()
    assert g['ContentLength'] == size
    assert g['ETag'].endswith(f'-{n}"')
    assert digest == expected(0, size - 1)

    # parts 4 to 71 (68 files, two batches) and parts 63 to 140 (three)
    for a, b in [(3 * 5 * MIB + 12345, 70 * 5 * MIB + 999),
                 (62 * 5 * MIB + 1, size - 2)]:
        g, digest = got(Range=f'bytes={a}-{b}')
        assert g['ContentRange'] == f'bytes {a}-{b}/{size}'
        assert digest == expected(a, b)

    g, digest = got(PartNumber=130)
    assert g['PartsCount'] == n
    assert digest == expected(starts[129], starts[130] - 1)

    # a client that leaves mid-body leaves no part file open
    def open_fds():
        return sum(len(os.listdir(f'/proc/{pid}/fd'))
                   for pid in workers(srv))

    before = open_fds()
    path = object_path('many', 'big')
    aws = AWSRequest(method='GET', url=f'{srv.endpoint}{path}',
                     headers={'x-amz-content-sha256': UNSIGNED})
    Signer(Credentials(srv.alice.access_key, srv.alice.secret_key),
           payload_hash=UNSIGNED).add_auth(aws)
    conn = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=30)
    conn.request('GET', path, headers=dict(aws.headers.items()))
    r = conn.getresponse()
    assert r.status == 200 and len(r.read(400 * MIB)) == 400 * MIB
    conn.close()
    deadline = time.monotonic() + 10
    while open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_fds() <= before

    c.delete_object(Bucket='many', Key='big')
    assert not parts_dir(srv, 'many', uid).exists()
