"""A multipart upload lives on the node that created it: its requests sent
to another node are proxied there by nginx (ngx_http_s3_proxy.c,
docs/REPLICATION.md step 4).  Buckets replicate (step 2), but an upload
does not: a part that another node stored itself would be left in its
mpu/ or parts/ directories, which the tests check stay empty there."""

import hashlib
import json
import os
import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError

from lib import awschunked, s3raw
from lib.cksums import cksum
from lib.clients import AWS, base_env, run
from lib.cluster import ACCESS_KEY, SECRET_KEY
from lib.server import NGINX, free_port

MIB = 1024 * 1024


def clients(cluster):
    return [srv.client(srv.admin) for srv in cluster.nodes]


def new_bucket(s3a):
    bucket = f'mpu-{uuid.uuid4().hex[:12]}'
    s3a.create_bucket(Bucket=bucket)
    return bucket


def upload_dirs(srv, bucket):
    mpu = srv.data / 'buckets' / bucket / 'mpu'
    return sorted(os.listdir(mpu)) if mpu.exists() else []


def upload_state(srv, bucket):
    """What a node holds of the bucket's uploads: mpu/ and parts/."""
    top = srv.data / 'buckets' / bucket
    return [(d, sorted(os.listdir(top / d))) for d in ('mpu', 'parts')
            if (top / d).exists() and os.listdir(top / d)]


def tmp_files(srv):
    return sorted(os.listdir(srv.data / 'tmp'))


def error(e):
    err = e.value.response['Error']
    return (e.value.response['ResponseMetadata']['HTTPStatusCode'],
            err['Code'], err.get('Message', ''))


def test_upload_id_names_its_node(cluster):
    a, b, _ = clients(cluster)
    bucket = new_bucket(a)
    up = a.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
    assert len(up) == 32 and up[:8] == cluster.ids[0]
    a.abort_multipart_upload(Bucket=bucket, Key='k', UploadId=up)


def test_parts_sprayed_over_nodes(cluster, tmp_path):
    a, b, c = clients(cluster)
    bucket = new_bucket(a)
    before = [tmp_files(srv) for srv in cluster.nodes[1:]]
    up = a.create_multipart_upload(Bucket=bucket, Key='big')['UploadId']

    parts = [os.urandom(5 * MIB) for _ in range(3)] + [os.urandom(12345)]
    etags = [a.upload_part(Bucket=bucket, Key='big', UploadId=up,
                           PartNumber=1, Body=parts[0])['ETag'],
             b.upload_part(Bucket=bucket, Key='big', UploadId=up,
                           PartNumber=2, Body=parts[1])['ETag']]

    # part 3 through the aws cli, to node c
    body = tmp_path / 'part3'
    body.write_bytes(parts[2])
    env = base_env(tmp_path)
    env.update({'AWS_ACCESS_KEY_ID': ACCESS_KEY,
                'AWS_SECRET_ACCESS_KEY': SECRET_KEY,
                'AWS_DEFAULT_REGION': 'us-east-1',
                'AWS_CONFIG_FILE': str(tmp_path / 'none'),
                'AWS_SHARED_CREDENTIALS_FILE': str(tmp_path / 'none'),
                'AWS_PAGER': '', 'AWS_EC2_METADATA_DISABLED': 'true'})
    out = run([AWS, '--endpoint-url', cluster.nodes[2].endpoint, 's3api',
               'upload-part', '--bucket', bucket, '--key', 'big',
               '--part-number', '3', '--upload-id', up,
               '--body', str(body)], env)
    etags.append(json.loads(out)['ETag'])
    etags.append(b.upload_part(Bucket=bucket, Key='big', UploadId=up,
                               PartNumber=4, Body=parts[3])['ETag'])

    for i, data in enumerate(parts):
        assert etags[i] == '"%s"' % hashlib.md5(data).hexdigest()

    listed = b.list_parts(Bucket=bucket, Key='big', UploadId=up)['Parts']
    assert [(p['PartNumber'], p['Size'], p['ETag']) for p in listed] == \
        [(i + 1, len(d), etags[i]) for i, d in enumerate(parts)]

    c.complete_multipart_upload(
        Bucket=bucket, Key='big', UploadId=up,
        MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e}
                                   for i, e in enumerate(etags)]})

    got = a.get_object(Bucket=bucket, Key='big')['Body'].read()
    assert hashlib.sha256(got).digest() == \
        hashlib.sha256(b''.join(parts)).digest()

    # nodes b and c only passed the bytes on
    for srv, tmp in zip(cluster.nodes[1:], before):
        assert upload_state(srv, bucket) == []
        assert tmp_files(srv) == tmp


def test_aws_chunked_parts(cluster):
    """aws-chunked bodies (signed chunks; a trailer; sent with
    Transfer-Encoding: chunked) go through the proxy as sent: the
    upload's node decodes and checks them."""
    a, _, _ = clients(cluster)
    bucket = new_bucket(a)
    up = a.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
    path = s3raw.object_path(bucket, 'k')
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(3000)]
    modes = [awschunked.SIGNED, awschunked.SIGNED_TRAILER,
             awschunked.UNSIGNED_TRAILER]
    etags = []
    for n, (data, mode) in enumerate(zip(parts, modes), 1):
        srv = cluster.nodes[1 + n % 2]
        trailers = [] if mode == awschunked.SIGNED else \
            [('x-amz-checksum-crc32', cksum('crc32', data))]
        req = awschunked.Request(
            srv, srv.admin, path, mode,
            query=f'partNumber={n}&uploadId={up}', decoded_length=len(data),
            trailer=trailers[0][0] if trailers else None)
        body = req.body(awschunked.split(data, 64 * 1024), trailers)
        r = req.send_chunked(body) if n == 2 else req.send(body)
        assert r.status == 200, r
        assert r.header('ETag') == '"%s"' % hashlib.md5(data).hexdigest()
        if trailers:
            assert r.header('x-amz-checksum-crc32') == trailers[0][1]
        etags.append(r.header('ETag'))

    # a chunk signature that does not match is refused by the upload's node
    srv = cluster.nodes[1]
    req = awschunked.Request(srv, srv.admin, path, awschunked.SIGNED,
                             query=f'partNumber=4&uploadId={up}',
                             decoded_length=100)
    body = bytearray(req.body(awschunked.split(b'z' * 100, 64)))
    at = body.index(b'chunk-signature=') + 16
    body[at] = ord('1') if body[at] == ord('0') else ord('0')
    assert req.send(bytes(body)).status == 403

    a.complete_multipart_upload(
        Bucket=bucket, Key='k', UploadId=up,
        MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e}
                                   for i, e in enumerate(etags)]})
    assert a.get_object(Bucket=bucket, Key='k')['Body'].read() == \
        b''.join(parts)


def test_upload_part_copy_sent_to_b(cluster):
    a, b, _ = clients(cluster)
    bucket = new_bucket(a)
    src = os.urandom(6 * MIB)
    a.put_object(Bucket=bucket, Key='src', Body=src)
    up = a.create_multipart_upload(Bucket=bucket, Key='dst')['UploadId']
    r1 = b.upload_part_copy(Bucket=bucket, Key='dst', UploadId=up,
                            PartNumber=1,
                            CopySource={'Bucket': bucket, 'Key': 'src'},
                            CopySourceRange=f'bytes=0-{5 * MIB - 1}')
    r2 = b.upload_part_copy(Bucket=bucket, Key='dst', UploadId=up,
                            PartNumber=2,
                            CopySource={'Bucket': bucket, 'Key': 'src'},
                            CopySourceRange=f'bytes={5 * MIB}-{6 * MIB - 1}')
    b.complete_multipart_upload(
        Bucket=bucket, Key='dst', UploadId=up,
        MultipartUpload={'Parts': [
            {'PartNumber': 1, 'ETag': r1['CopyPartResult']['ETag']},
            {'PartNumber': 2, 'ETag': r2['CopyPartResult']['ETag']}]})
    assert a.get_object(Bucket=bucket, Key='dst')['Body'].read() == src


def test_abort_sent_to_c(cluster):
    a, _, c = clients(cluster)
    bucket = new_bucket(a)
    up = a.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
    a.upload_part(Bucket=bucket, Key='k', UploadId=up, PartNumber=1,
                  Body=b'x' * 1000)
    assert upload_dirs(cluster.nodes[0], bucket) == [up]
    c.abort_multipart_upload(Bucket=bucket, Key='k', UploadId=up)
    assert upload_dirs(cluster.nodes[0], bucket) == []
    with pytest.raises(ClientError) as e:
        c.list_parts(Bucket=bucket, Key='k', UploadId=up)
    assert error(e)[:2] == (404, 'NoSuchUpload')


def test_create_stays_where_it_is_sent(cluster):
    a, b, _ = clients(cluster)
    bucket = new_bucket(a)
    cluster.wait(lambda: bucket in [x['Name'] for x in
                                    b.list_buckets()['Buckets']],
                 f'bucket {bucket} on b', 10)
    up = b.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
    assert up[:8] == cluster.ids[1]
    assert upload_dirs(cluster.nodes[1], bucket) == [up]
    assert upload_dirs(cluster.nodes[0], bucket) == []
    b.abort_multipart_upload(Bucket=bucket, Key='k', UploadId=up)


def test_unknown_node_is_local(cluster):
    """An id naming no configured node (made before ids named their
    node) is this node's: NoSuchUpload here, nothing proxied."""
    a, _, _ = clients(cluster)
    bucket = new_bucket(a)
    off = cluster.nodes[0].log_offset()
    with pytest.raises(ClientError) as e:
        a.list_parts(Bucket=bucket, Key='k',
                     UploadId='0badc0de' + '0' * 24)
    assert error(e)[:2] == (404, 'NoSuchUpload')
    assert not [ln for ln in cluster.nodes[0].log_since(off)
                if 'proxied' in ln]


def test_upload_node_down(cluster):
    a, b, _ = clients(cluster)
    bucket = new_bucket(a)
    up = a.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
    before = tmp_files(cluster.nodes[1])
    srv_a = cluster.nodes[0]
    assert not srv_a.stop_nginx()
    try:
        with pytest.raises(ClientError) as e:
            b.upload_part(Bucket=bucket, Key='k', UploadId=up,
                          PartNumber=1, Body=os.urandom(5 * MIB))
        status, code, message = error(e)
        assert (status, code) == (503, 'ServiceUnavailable')
        assert cluster.ids[0] in message and 'upload lives' in message
        assert upload_state(cluster.nodes[1], bucket) == []
        assert tmp_files(cluster.nodes[1]) == before
    finally:
        srv_a.start(start_repld=False)
    b.abort_multipart_upload(Bucket=bucket, Key='k', UploadId=up)
    assert upload_dirs(srv_a, bucket) == []


def test_proxied_mark_at_wrong_node(cluster):
    """A request marked as proxied that reaches a node which is not the
    upload's is answered 503 there, never sent on."""
    a, b, _ = clients(cluster)
    bucket = new_bucket(a)
    up = a.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']

    def mark(request, **kwargs):
        request.headers['x-ngx-s3-proxied'] = cluster.ids[2]

    b.meta.events.register('before-send.s3.UploadPart', mark)
    offs = [srv.log_offset() for srv in cluster.nodes]
    with pytest.raises(ClientError) as e:
        b.upload_part(Bucket=bucket, Key='k', UploadId=up, PartNumber=1,
                      Body=b'y' * 100)
    status, code, message = error(e)
    assert (status, code) == (503, 'ServiceUnavailable')
    assert 'not proxied again' in message and cluster.ids[0] in message
    assert any('not proxied again' in ln
               for ln in cluster.nodes[1].log_since(offs[1]))
    assert not [ln for ln in cluster.nodes[0].log_since(offs[0])
                if 'UploadPart' in ln or 'proxied' in ln]

    # at the upload's own node the mark changes nothing
    a.meta.events.register('before-send.s3.UploadPart', mark)
    a.upload_part(Bucket=bucket, Key='k', UploadId=up, PartNumber=1,
                  Body=b'y' * 100)
    a.abort_multipart_upload(Bucket=bucket, Key='k', UploadId=up)


def test_s3_node_needs_peer_location(cluster, tmp_path):
    srv = cluster.nodes[0]
    # on the host, not the node's address
    text = srv.conf.read_text().replace(
        f'listen {srv.host}:{srv.port};', f'listen 127.0.0.1:{free_port()};'
    ).replace(f'listen {srv.host}:{srv.admin_port};',
              f'listen 127.0.0.1:{free_port()};')
    start = text.index('location @s3_peer {')
    end = text.index('}', start) + 1

    def nginx_t(conf_text):
        conf = tmp_path / 'nginx.conf'
        conf.write_text(conf_text)
        return subprocess.run([NGINX, '-t', '-p', str(srv.run_dir), '-c',
                               str(conf), '-e', str(tmp_path / 'error.log')],
                              capture_output=True, text=True, timeout=30,
                              env=srv.nginx_env())

    p = nginx_t(text[:start] + text[end:])
    assert p.returncode != 0
    assert 'no "location @s3_peer"' in p.stderr

    p = nginx_t(text)
    assert p.returncode == 0, p.stderr
