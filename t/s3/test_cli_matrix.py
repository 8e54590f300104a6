"""The command-line clients' everyday commands against one server: aws cli
`s3 sync` and `s3 cp --recursive` both ways and the s3api calls of the
features beyond PUT and GET; rclone copy, sync (with deletes), lsf -R and
check; s3cmd put, get, ls, del and sync.  A second sync must transfer
nothing.  Small trees (under 2 MiB), so the whole file takes seconds.
"""

import base64
import json
import os
import zlib

import pytest

from lib.checks import etag, md5_hex
from lib.clients import (AWS, RCLONE, S3CMD, aws_env, base_env, rclone_env,
                         run, s3cmd_config)

# relative path -> bytes; names every client keeps as they are
TREE = {
    'a.txt': b'alpha\n',
    'empty': b'',
    'dir/b.bin': os.urandom(64 * 1024),
    'dir/sub/c d.txt': b'with a space\n',
    'dir/sub/x+y.txt': b'plus\n',
    'caf\u00e9/\u65e5\u672c.txt': 'unicode\n'.encode(),
    'big.bin': os.urandom(1536 * 1024),
}


def write_tree(root, tree):
    for rel, data in tree.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def read_tree(root):
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


def remote_tree(client, bucket, prefix=''):
    """{key relative to prefix: bytes} of the bucket's objects under
    prefix."""
    out = {}
    pages = client.get_paginator('list_objects_v2').paginate(
        Bucket=bucket, Prefix=prefix)
    for page in pages:
        for o in page.get('Contents', []):
            body = client.get_object(Bucket=bucket, Key=o['Key'])['Body']
            out[o['Key'][len(prefix):]] = body.read()
    return out


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()


@pytest.fixture
def tree(tmp_path):
    return write_tree(tmp_path / 'tree', TREE)


# aws cli

def aws(s3, home, *args):
    return run([AWS, '--endpoint-url', s3.endpoint, *args],
               aws_env(s3, home))


def s3api(s3, home, *args):
    out = aws(s3, home, '--output', 'json', 's3api', *args)
    return json.loads(out) if out.strip() else {}


def test_aws_sync_up_and_down(s3, alice, bucket, tree, tmp_path):
    out = aws(s3, tmp_path, 's3', 'sync', '--no-progress', str(tree),
              f's3://{bucket}/up/')
    assert out.count('upload:') == len(TREE), out
    assert remote_tree(alice, bucket, 'up/') == TREE

    out = aws(s3, tmp_path, 's3', 'sync', '--no-progress', str(tree),
              f's3://{bucket}/up/')
    assert out == '', f'second sync up transferred:\n{out}'

    down = tmp_path / 'down'
    out = aws(s3, tmp_path, 's3', 'sync', '--no-progress',
              f's3://{bucket}/up/', str(down))
    assert out.count('download:') == len(TREE), out
    assert read_tree(down) == TREE

    out = aws(s3, tmp_path, 's3', 'sync', '--no-progress',
              f's3://{bucket}/up/', str(down))
    assert out == '', f'second sync down transferred:\n{out}'


def test_aws_sync_delete(s3, alice, bucket, tree, tmp_path):
    aws(s3, tmp_path, 's3', 'sync', '--no-progress', str(tree),
        f's3://{bucket}/')
    (tree / 'a.txt').unlink()
    (tree / 'dir/sub/c d.txt').write_bytes(b'changed, and longer\n')
    out = aws(s3, tmp_path, 's3', 'sync', '--no-progress', '--delete',
              str(tree), f's3://{bucket}/')
    assert 'delete: s3://' in out and 'upload:' in out, out
    assert remote_tree(alice, bucket) == read_tree(tree)


def test_aws_cp_recursive(s3, alice, bucket, tree, tmp_path):
    aws(s3, tmp_path, 's3', 'cp', '--recursive', '--no-progress', str(tree),
        f's3://{bucket}/cp')
    assert remote_tree(alice, bucket, 'cp/') == TREE
    down = tmp_path / 'down'
    aws(s3, tmp_path, 's3', 'cp', '--recursive', '--no-progress',
        f's3://{bucket}/cp', str(down))
    assert read_tree(down) == TREE


def test_aws_s3api_tagging(s3, alice, bucket, tmp_path):
    alice.put_object(Bucket=bucket, Key='t', Body=b'tagged')
    s3api(s3, tmp_path, 'put-object-tagging', '--bucket', bucket, '--key',
          't', '--tagging', 'TagSet=[{Key=team,Value=storage},'
          '{Key=env,Value=test}]')
    got = s3api(s3, tmp_path, 'get-object-tagging', '--bucket', bucket,
                '--key', 't')
    assert sorted((t['Key'], t['Value']) for t in got['TagSet']) == \
        [('env', 'test'), ('team', 'storage')]


def test_aws_s3api_get_object_acl(s3, alice, bucket, tmp_path):
    alice.put_object(Bucket=bucket, Key='acl', Body=b'x')
    owner = alice.list_buckets()['Owner']['ID']
    got = s3api(s3, tmp_path, 'get-object-acl', '--bucket', bucket,
                '--key', 'acl')
    assert got['Owner']['ID'] == owner
    assert got['Grants'] == [{
        'Grantee': {'ID': owner, 'Type': 'CanonicalUser',
                    **({'DisplayName': got['Owner']['DisplayName']}
                       if 'DisplayName' in got['Owner'] else {})},
        'Permission': 'FULL_CONTROL',
    }]


def test_aws_s3api_copy_object(s3, alice, bucket, tmp_path):
    data = os.urandom(10000)
    alice.put_object(Bucket=bucket, Key='src', Body=data,
                     ContentType='text/x-src')
    got = s3api(s3, tmp_path, 'copy-object', '--bucket', bucket, '--key',
                'dst', '--copy-source', f'{bucket}/src')
    assert got['CopyObjectResult']['ETag'] == etag(data)
    obj = alice.get_object(Bucket=bucket, Key='dst')
    assert obj['Body'].read() == data
    assert obj['ContentType'] == 'text/x-src'


def test_aws_s3api_delete_objects(s3, alice, bucket, tmp_path):
    for k in ('d1', 'd2', 'keep'):
        alice.put_object(Bucket=bucket, Key=k, Body=k.encode())
    got = s3api(s3, tmp_path, 'delete-objects', '--bucket', bucket,
                '--delete', 'Objects=[{Key=d1},{Key=d2},{Key=none}]')
    assert sorted(d['Key'] for d in got['Deleted']) == ['d1', 'd2', 'none']
    assert 'Errors' not in got, got
    keys = [o['Key'] for o in alice.list_objects_v2(Bucket=bucket)['Contents']]
    assert keys == ['keep']


def test_aws_s3api_get_bucket_location(s3, bucket, tmp_path):
    got = s3api(s3, tmp_path, 'get-bucket-location', '--bucket', bucket)
    # us-east-1 is an empty LocationConstraint
    assert got == {'LocationConstraint': None}


def test_aws_s3api_head_object_checksum_mode(s3, bucket, tmp_path):
    data = os.urandom(20000)
    src = tmp_path / 'ck.bin'
    src.write_bytes(data)
    put = s3api(s3, tmp_path, 'put-object', '--bucket', bucket, '--key',
                'ck', '--body', str(src), '--checksum-algorithm', 'CRC32')
    assert put['ChecksumCRC32'] == crc32_b64(data)
    got = s3api(s3, tmp_path, 'head-object', '--bucket', bucket, '--key',
                'ck', '--checksum-mode', 'ENABLED')
    assert got['ChecksumCRC32'] == crc32_b64(data)
    assert got['ContentLength'] == len(data)
    plain = s3api(s3, tmp_path, 'head-object', '--bucket', bucket, '--key',
                  'ck')
    assert 'ChecksumCRC32' not in plain


# rclone

def test_rclone_copy_sync_lsf_check(s3, alice, bucket, tree, tmp_path):
    env = rclone_env(s3, tmp_path)
    remote = f'x:{bucket}/r'
    run([RCLONE, 'copy', str(tree), remote], env)
    assert remote_tree(alice, bucket, 'r/') == TREE
    # rclone check compares sizes and MD5 (the ETag): 0 differences
    run([RCLONE, 'check', str(tree), remote], env)

    out = run([RCLONE, 'lsf', '-R', '--files-only', remote], env)
    assert sorted(out.splitlines()) == sorted(TREE)

    (tree / 'a.txt').unlink()
    (tree / 'dir/b.bin').write_bytes(b'smaller now')
    (tree / 'new.txt').write_bytes(b'new\n')
    run([RCLONE, 'sync', str(tree), remote], env)
    assert remote_tree(alice, bucket, 'r/') == read_tree(tree)
    run([RCLONE, 'check', str(tree), remote], env)

    down = tmp_path / 'down'
    run([RCLONE, 'copy', remote, str(down)], env)
    assert read_tree(down) == read_tree(tree)
    run([RCLONE, 'check', str(down), remote], env)


def test_rclone_check_finds_a_difference(s3, alice, bucket, tree, tmp_path):
    """The check above can fail: one changed object is one difference."""
    env = rclone_env(s3, tmp_path)
    run([RCLONE, 'copy', str(tree), f'x:{bucket}'], env)
    alice.put_object(Bucket=bucket, Key='a.txt', Body=b'ALPHA\n')
    with pytest.raises(AssertionError, match='1 differences found'):
        run([RCLONE, 'check', str(tree), f'x:{bucket}'], env)


# s3cmd

def s3cmd(s3, home, *args):
    cfg = s3cmd_config(s3, home)
    return run([S3CMD, '-c', str(cfg), '--no-progress', *args],
               base_env(home))


def test_s3cmd_put_get_ls_del(s3, alice, bucket, tmp_path):
    data = os.urandom(300 * 1024)
    src = tmp_path / 'one.bin'
    src.write_bytes(data)
    s3cmd(s3, tmp_path, 'put', str(src), f's3://{bucket}/d/one.bin')
    assert alice.head_object(Bucket=bucket, Key='d/one.bin')['ETag'] == \
        f'"{md5_hex(data)}"'

    out = tmp_path / 'got.bin'
    s3cmd(s3, tmp_path, 'get', f's3://{bucket}/d/one.bin', str(out))
    assert out.read_bytes() == data

    ls = s3cmd(s3, tmp_path, 'ls', f's3://{bucket}/d/')
    lines = [ln.split() for ln in ls.splitlines() if ln]
    assert [(ln[2], ln[3]) for ln in lines] == \
        [(str(len(data)), f's3://{bucket}/d/one.bin')]

    s3cmd(s3, tmp_path, 'del', f's3://{bucket}/d/one.bin')
    assert alice.list_objects_v2(Bucket=bucket)['KeyCount'] == 0


def test_s3cmd_sync(s3, alice, bucket, tree, tmp_path):
    s3cmd(s3, tmp_path, 'sync', f'{tree}/', f's3://{bucket}/s/')
    assert remote_tree(alice, bucket, 's/') == TREE

    out = s3cmd(s3, tmp_path, 'sync', '--stats', f'{tree}/',
                f's3://{bucket}/s/')
    assert 'upload:' not in out, f'second sync up transferred:\n{out}'

    (tree / 'a.txt').unlink()
    s3cmd(s3, tmp_path, 'sync', '--delete-removed', f'{tree}/',
          f's3://{bucket}/s/')
    assert remote_tree(alice, bucket, 's/') == read_tree(tree)

    down = tmp_path / 'down'
    down.mkdir()
    s3cmd(s3, tmp_path, 'sync', f's3://{bucket}/s/', f'{down}/')
    assert read_tree(down) == read_tree(tree)
    out = s3cmd(s3, tmp_path, 'sync', f's3://{bucket}/s/', f'{down}/')
    assert 'download:' not in out, f'second sync down transferred:\n{out}'

