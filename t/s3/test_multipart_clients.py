"""Multipart uploads as Debian's clients make them: boto3's transfer
manager (upload_file/download_file, 8 MiB parts), aws cli `s3 cp` (its
default 8 MiB parts), rclone `copy` (4 parts at once) and s3cmd `put`
(5 MiB parts), every byte compared by SHA-256 after a download; then
ListMultipartUploads (answered by repld from its catalog) through boto3
and `aws s3api list-multipart-uploads`; and the memory of the nginx
workers while a 2 GiB object goes up in 64 MiB parts.

The big files are written once per module under pytest's tmp directory
(`df -h /tmp` had 79 GB free where this was written); the 2 GiB body of
the memory test is made on the fly and never touches /tmp.
"""

import hashlib
import json
import os

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from lib import clients, rss, s3raw
from lib.checks import unique_bucket
from lib.clients import (AWS, RCLONE, S3CMD, aws_env, base_env, rclone_env,
                         s3cmd_config)
from lib.server import DOMAIN

MiB = 1 << 20


def make_file(path, size):
    """size bytes, random MiB blocks; returns the SHA-256."""
    h = hashlib.sha256()
    with open(path, 'wb') as f:
        left = size
        while left:
            b = os.urandom(min(left, 4 * MiB))
            f.write(b)
            h.update(b)
            left -= len(b)
    return h.hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(4 * MiB), b''):
            h.update(b)
    return h.hexdigest()


def parts_of(size, part):
    return (size + part - 1) // part


def run(cmd, env):
    return clients.run(cmd, env, timeout=600)    # transfers of 300 MiB


@pytest.fixture(scope='module')
def mb(s3):
    client = s3.client(s3.alice, pool=16)
    b = unique_bucket('mp')
    client.create_bucket(Bucket=b)
    return b


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """Two big files, made once: {size: (path, sha256)}."""
    d = tmp_path_factory.mktemp('mpfiles')
    out = {}
    for mib in (200, 300):
        path = d / f'f{mib}'
        out[mib] = (path, make_file(path, mib * MiB))
    return out


def check_object(client, bucket, key, size, nparts):
    """HEAD and the listing (repld's catalog) agree on a multipart
    object: its size and an ETag "<md5>-<parts>"."""
    head = client.head_object(Bucket=bucket, Key=key)
    assert head['ContentLength'] == size, head
    assert head['ETag'].endswith(f'-{nparts}"'), head['ETag']
    listed = client.list_objects_v2(Bucket=bucket, Prefix=key)['Contents']
    entry = [c for c in listed if c['Key'] == key]
    assert entry, listed
    assert entry[0]['Size'] == size
    assert entry[0]['ETag'] == head['ETag'], (entry[0], head)


# uploads and downloads


def test_boto3_upload_download_file(s3, mb, files, tmp_path):
    client = s3.client(s3.alice, pool=16)
    path, digest = files[200]
    cfg = TransferConfig(multipart_threshold=8 * MiB,
                         multipart_chunksize=8 * MiB, max_concurrency=4)
    client.upload_file(str(path), mb, 'boto3/f200', Config=cfg)
    check_object(client, mb, 'boto3/f200', 200 * MiB, 25)
    out = tmp_path / 'down'
    client.download_file(mb, 'boto3/f200', str(out), Config=cfg)
    assert out.stat().st_size == 200 * MiB
    assert sha256_file(out) == digest


def test_aws_cli_cp(s3, mb, files, tmp_path):
    path, digest = files[300]
    env = aws_env(s3, tmp_path)
    run([AWS, '--endpoint-url', s3.endpoint, 's3', 'cp', str(path),
         f's3://{mb}/cli/f300'], env)
    check_object(s3.client(s3.alice), mb, 'cli/f300', 300 * MiB,
                 parts_of(300 * MiB, 8 * MiB))
    out = tmp_path / 'down'
    run([AWS, '--endpoint-url', s3.endpoint, 's3', 'cp',
         f's3://{mb}/cli/f300', str(out)], env)
    assert sha256_file(out) == digest


def test_rclone_copy(s3, mb, tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    size = 42 * MiB + 123
    digest = make_file(src / 'r.bin', size)
    env = rclone_env(s3, tmp_path)
    run([RCLONE, 'copy', '--s3-upload-concurrency', '4',
         '--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M',
         str(src), f'x:{mb}/rclone'], env)
    check_object(s3.client(s3.alice), mb, 'rclone/r.bin', size,
                 parts_of(size, 5 * MiB))
    dst = tmp_path / 'dst'
    run([RCLONE, 'copy', f'x:{mb}/rclone', str(dst)], env)
    assert sha256_file(dst / 'r.bin') == digest
    # rclone checks what it copied against the listing: nothing differs
    run([RCLONE, 'check', str(src), f'x:{mb}/rclone'], env)


def test_s3cmd_put_multipart(s3, mb, tmp_path):
    cfg = s3cmd_config(s3, tmp_path)
    src = tmp_path / 's.bin'
    size = 23 * MiB + 7
    digest = make_file(src, size)
    run([S3CMD, '-c', str(cfg), 'put', '--multipart-chunk-size-mb=5',
         str(src), f's3://{mb}/s3cmd/s.bin'], base_env(tmp_path))
    check_object(s3.client(s3.alice), mb, 's3cmd/s.bin', size,
                 parts_of(size, 5 * MiB))
    out = tmp_path / 'down'
    run([S3CMD, '-c', str(cfg), 'get', f's3://{mb}/s3cmd/s.bin', str(out)],
        base_env(tmp_path))
    assert sha256_file(out) == digest


# ListMultipartUploads


UPLOAD_KEYS = ['a/1', 'a/2', 'a/2', 'b', 'b+c', 'caf\u00e9/x', 'd/e/f',
               'sp ace', 'z']


@pytest.fixture
def open_uploads(s3):
    """A bucket with uploads left open on UPLOAD_KEYS (one part in the
    first); returns (client, bucket, [(key, upload id)] in S3's order)."""
    client = s3.client(s3.alice)
    b = unique_bucket('lu')
    client.create_bucket(Bucket=b)
    ups = []
    for k in UPLOAD_KEYS:
        u = client.create_multipart_upload(Bucket=b, Key=k)['UploadId']
        ups.append((k, u))
    client.upload_part(Bucket=b, Key=ups[0][0], UploadId=ups[0][1],
                       PartNumber=1, Body=b'x' * 1024)
    ups.sort(key=lambda u: (u[0].encode(), u[1]))
    yield client, b, ups
    for k, u in ups:
        try:
            client.abort_multipart_upload(Bucket=b, Key=k, UploadId=u)
        except ClientError as e:        # a test that completed or aborted it
            if e.response['Error']['Code'] != 'NoSuchUpload':
                raise


def listed(r):
    return [(u['Key'], u['UploadId']) for u in r.get('Uploads', [])]


def test_list_uploads_boto3(s3, open_uploads):
    client, b, ups = open_uploads
    r = client.list_multipart_uploads(Bucket=b)
    assert listed(r) == ups
    assert r['IsTruncated'] is False
    assert r['Bucket'] == b
    owner = client.list_buckets()['Owner']
    for u in r['Uploads']:
        assert u['Owner']['ID'] == owner['ID'], u
        assert u['Initiator']['ID'] == owner['ID'], u
        assert u['StorageClass'] == 'STANDARD'
        assert u['Initiated'].year >= 2024


def test_list_uploads_prefix_delimiter(s3, open_uploads):
    client, b, ups = open_uploads
    r = client.list_multipart_uploads(Bucket=b, Prefix='a/')
    assert listed(r) == [u for u in ups if u[0].startswith('a/')]
    assert r['Prefix'] == 'a/'
    r = client.list_multipart_uploads(Bucket=b, Delimiter='/')
    assert [p['Prefix'] for p in r['CommonPrefixes']] == \
        ['a/', 'caf\u00e9/', 'd/']
    assert listed(r) == [u for u in ups if '/' not in u[0]]
    r = client.list_multipart_uploads(Bucket=b, Prefix='d/',
                                      Delimiter='/')
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['d/e/']
    assert listed(r) == []


def test_list_uploads_markers(s3, open_uploads):
    client, b, ups = open_uploads
    r = client.list_multipart_uploads(Bucket=b, KeyMarker='a/2')
    assert listed(r) == [u for u in ups if u[0].encode() > b'a/2']
    first_a2 = [u for u in ups if u[0] == 'a/2'][0]
    r = client.list_multipart_uploads(Bucket=b, KeyMarker='a/2',
                                      UploadIdMarker=first_a2[1])
    assert listed(r) == ups[ups.index(first_a2) + 1:]


@pytest.mark.parametrize('page', [1, 2, 4])
def test_list_uploads_paging(s3, open_uploads, page):
    client, b, ups = open_uploads
    got, kw, pages = [], {}, 0
    while True:
        r = client.list_multipart_uploads(Bucket=b, MaxUploads=page, **kw)
        pages += 1
        assert len(listed(r)) <= page
        assert r['MaxUploads'] == page
        got += listed(r)
        if not r['IsTruncated']:
            break
        kw = {'KeyMarker': r['NextKeyMarker'],
              'UploadIdMarker': r['NextUploadIdMarker']}
        assert pages < 50
    assert got == ups
    # the paginator follows NextKeyMarker/NextUploadIdMarker as well
    pag = client.get_paginator('list_multipart_uploads')
    got = [(u['Key'], u['UploadId'])
           for p in pag.paginate(Bucket=b, PaginationConfig={'PageSize':
                                                              page})
           for u in p.get('Uploads', [])]
    assert got == ups


def test_list_uploads_abort_and_complete(s3, open_uploads):
    client, b, ups = open_uploads
    k, u = ups[-1]
    client.abort_multipart_upload(Bucket=b, Key=k, UploadId=u)
    assert (k, u) not in listed(client.list_multipart_uploads(Bucket=b))
    k, u = [x for x in ups if x[0] == 'b'][0]
    e = client.upload_part(Bucket=b, Key=k, UploadId=u, PartNumber=1,
                           Body=b'y' * 100)['ETag']
    client.complete_multipart_upload(
        Bucket=b, Key=k, UploadId=u,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})
    left = listed(client.list_multipart_uploads(Bucket=b))
    assert (k, u) not in left
    assert left == [x for x in ups if x not in ((k, u), ups[-1])]
    check_object(client, b, k, 100, 1)


def test_list_uploads_encoding_url(s3, open_uploads):
    client, b, ups = open_uploads
    r = client.list_multipart_uploads(Bucket=b, EncodingType='url',
                                      Prefix='b')
    # botocore does not decode this listing: the keys come back encoded
    assert [u['Key'] for u in r['Uploads']] == ['b', 'b%2Bc']


def test_list_uploads_aws_cli(s3, open_uploads, tmp_path):
    client, b, ups = open_uploads
    env = aws_env(s3, tmp_path)

    def cli(*args):
        out = run([AWS, '--endpoint-url', s3.endpoint, 's3api',
                   'list-multipart-uploads', '--bucket', b, *args], env)
        return [(u['Key'], u['UploadId'])
                for u in json.loads(out or '{}').get('Uploads', [])]

    assert cli() == ups
    # the cli pages by itself with --page-size
    assert cli('--page-size', '2') == ups
    assert cli('--prefix', 'a/') == [u for u in ups if u[0][:2] == 'a/']
    k, u = ups[0]
    run([AWS, '--endpoint-url', s3.endpoint, 's3api',
         'abort-multipart-upload', '--bucket', b, '--key', k,
         '--upload-id', u], env)
    assert cli() == ups[1:]


def test_list_uploads_vhost(s3, open_uploads, tmp_path):
    """Virtual-host style through nginx as the proxy (see
    test_list_clients.py)."""
    client, b, ups = open_uploads
    env = aws_env(s3, tmp_path)
    env['HTTP_PROXY'] = env['http_proxy'] = s3.endpoint
    cfg = tmp_path / 'aws-config'
    cfg.write_text('[default]\ns3 =\n    addressing_style = virtual\n')
    env['AWS_CONFIG_FILE'] = str(cfg)
    out = run([AWS, '--endpoint-url', f'http://{DOMAIN}:{s3.port}',
               's3api', 'list-multipart-uploads', '--bucket', b], env)
    assert [(u['Key'], u['UploadId'])
            for u in json.loads(out)['Uploads']] == ups


def test_list_uploads_bad_max_uploads(s3, open_uploads):
    client, b, ups = open_uploads
    r = s3raw.request(s3, s3.alice, 'GET', f'/{b}',
                      query='uploads&max-uploads=abc')
    assert r.status == 400, r
    assert r.code == 'InvalidArgument', r


# memory


@pytest.mark.skipif(bool(os.environ.get('NGX_S3_LD_PRELOAD')),
                    reason='release pass only: 2 GiB under ASan is too '
                           'slow for the suite')
def test_mpu_worker_rss(s3, mb):
    """A 2 GiB object in 64 MiB parts costs each nginx worker less than
    16 MiB of RSS (VmRSS and peak VmHWM, /proc/<pid>/status): bodies are
    streamed to disk, never held.  Runs in the release pass only (skipped
    when NGX_S3_LD_PRELOAD is set, i.e. under ASan); t/bench/mpu_rss.py
    runs the same on its own server."""
    client = s3.client(s3.alice)
    before = rss.workers(s3.proc.pid)
    assert before, 'no nginx worker found'
    secs = rss.upload_streamed(client, mb, 'rss/2g', 2048 * MiB, 64 * MiB)
    after = rss.workers(s3.proc.pid)
    client.delete_object(Bucket=mb, Key='rss/2g')
    print(f'\n2 GiB in 64 MiB parts: {secs:.1f} s')
    worst = 0
    for pid, r0, r1, h0, h1 in rss.growth(before, after):
        grew = max(r1 - r0, h1 - h0)
        worst = max(worst, grew)
        print(f'worker {pid}: VmRSS {r0} -> {r1} KiB, VmHWM {h0} -> {h1} '
              f'KiB, growth {grew} KiB')
    assert worst < 16 * 1024, f'a worker grew by {worst} KiB'

