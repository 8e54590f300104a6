"""DeleteObjects (ngx_http_s3_delete.c): boto3, raw requests, the aws cli
and s3cmd."""

import base64
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from lib import s3raw
from lib.checks import (assert_not_stored, assert_raw_error, assert_stored,
                        assert_tmp_clean, md5_b64, s3_error)
from lib.clients import AWS, S3CMD, aws_env, base_env, run

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

AWKWARD = ['a&b', '<tag>', 'caf\u00e9/\u65e5\u672c', 'sp ace', 'q"uo\'te',
           'plus+sign', 'pct%20', 'x/../y', 'trailing/', '//double',
           'tab\there', 'a' * 1024]


def put_keys(client, bucket, keys, body=b'x'):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=bucket, Key=k,
                                                  Body=body), keys))


def listed(client, bucket):
    keys = []
    for page in client.get_paginator('list_objects_v2').paginate(
            Bucket=bucket):
        keys += [o['Key'] for o in page.get('Contents', [])]
    return keys


def delete_body(keys, quiet=None, versions=None):
    parts = ['<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">']
    if quiet is not None:
        parts.append(f'<Quiet>{quiet}</Quiet>')
    for i, k in enumerate(keys):
        v = '' if versions is None or versions[i] is None \
            else f'<VersionId>{versions[i]}</VersionId>'
        parts.append(f'<Object><Key>{k}</Key>{v}</Object>')
    parts.append('</Delete>')
    return ''.join(parts).encode()


def post_delete(s3, bucket, body, headers=None, md5=True, user=None):
    hdrs = {'Content-MD5': md5_b64(body)} if md5 else {}
    hdrs.update(headers or {})
    return s3raw.request(s3, user or s3.alice, 'POST', f'/{bucket}',
                         query='delete', body=body, headers=hdrs)


def result(resp):
    """(deleted keys, {key: (code, message)}) of a DeleteResult."""
    root = resp.xml()
    assert root.tag == NS + 'DeleteResult', resp.body
    deleted = [e.find(NS + 'Key').text for e in root.findall(NS + 'Deleted')]
    errors = {e.find(NS + 'Key').text: (e.find(NS + 'Code').text,
                                        e.find(NS + 'Message').text)
              for e in root.findall(NS + 'Error')}
    return deleted, errors


# boto3

def test_delete_objects(s3, alice, bucket):
    keys = ['one', 'two', 'dir/three']
    put_keys(alice, bucket, keys + ['keep'])
    r = alice.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': k} for k in keys]})
    assert r['ResponseMetadata']['HTTPStatusCode'] == 200
    assert sorted(d['Key'] for d in r['Deleted']) == sorted(keys)
    assert 'Errors' not in r
    for k in keys:
        assert_not_stored(s3, bucket, k)
        with s3_error('NoSuchKey', 404):
            alice.get_object(Bucket=bucket, Key=k)
    assert_stored(s3, bucket, 'keep', 1)
    assert listed(alice, bucket) == ['keep']
    assert_tmp_clean(s3)


def test_delete_objects_quiet(s3, alice, bucket):
    put_keys(alice, bucket, ['q1', 'q2'])
    r = alice.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': 'q1'}, {'Key': 'q2'}, {'Key': 'never'}],
        'Quiet': True})
    assert r['ResponseMetadata']['HTTPStatusCode'] == 200
    assert 'Deleted' not in r and 'Errors' not in r
    assert listed(alice, bucket) == []


def test_missing_keys_are_deleted(s3, alice, bucket):
    r = alice.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': 'none1'}, {'Key': 'none2'}]})
    assert [d['Key'] for d in r['Deleted']] == ['none1', 'none2']


def test_thousand_keys(s3, alice, bucket):
    keys = [f'k/{i:04d}' for i in range(1000)]
    put_keys(alice, bucket, keys[:600])
    assert len(listed(alice, bucket)) == 600
    r = alice.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': k} for k in keys]})
    assert len(r['Deleted']) == 1000
    assert sorted(d['Key'] for d in r['Deleted']) == keys
    assert listed(alice, bucket) == []
    assert_not_stored(s3, bucket, keys[0])
    assert_not_stored(s3, bucket, keys[599])


def test_awkward_keys(s3, alice, bucket):
    put_keys(alice, bucket, AWKWARD + ['stay&<'])
    r = alice.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': k} for k in AWKWARD]})
    assert sorted(d['Key'] for d in r['Deleted']) == sorted(AWKWARD)
    for k in AWKWARD:
        assert_not_stored(s3, bucket, k)
    assert listed(alice, bucket) == ['stay&<']


def test_raw_result_document(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='a&<b', Body=b'x')
    body = delete_body(['a&amp;&lt;b', 'gone'])
    r = post_delete(s3, bucket, body)
    assert r.status == 200, r
    assert r.header('Content-Type') == 'application/xml'
    assert r.header('x-amz-request-id')
    assert b'<Key>a&amp;&lt;b</Key>' in r.body
    assert r.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                             b'<DeleteResult xmlns="http://s3.amazonaws.com/'
                             b'doc/2006-03-01/"><Deleted>'), r.body
    assert result(r) == (['a&<b', 'gone'], {})
    assert_not_stored(s3, bucket, 'a&<b')


def test_quiet_raw_is_empty_result(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='x', Body=b'x')
    r = post_delete(s3, bucket, delete_body(['x'], quiet='TRUE'))
    assert r.status == 200, r
    assert result(r) == ([], {})
    assert_not_stored(s3, bucket, 'x')


# per-key errors

def test_version_ids(s3, alice, bucket):
    put_keys(alice, bucket, ['v1', 'v2'])
    body = delete_body(['v1', 'v2'], versions=['null', 'abc123'])
    r = post_delete(s3, bucket, body)
    assert r.status == 200, r
    deleted, errors = result(r)
    assert deleted == ['v1']
    assert errors == {'v2': ('NoSuchVersion',
                             'The specified version does not exist.')}
    root = r.xml()
    assert root.find(f'{NS}Deleted/{NS}VersionId').text == 'null'
    assert root.find(f'{NS}Error/{NS}VersionId').text == 'abc123'
    assert_not_stored(s3, bucket, 'v1')
    assert_stored(s3, bucket, 'v2', 1)
    # a quiet request still hears of the error
    r = post_delete(s3, bucket, delete_body(['v2'], quiet='true',
                                            versions=['abc']))
    assert result(r) == ([], {'v2': ('NoSuchVersion',
                                     'The specified version does not '
                                     'exist.')})


def test_key_too_long_is_a_key_error(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='ok', Body=b'x')
    r = post_delete(s3, bucket, delete_body(['ok', 'k' * 1025]))
    assert r.status == 200, r
    deleted, errors = result(r)
    assert deleted == ['ok']
    assert errors['k' * 1025][0] == 'KeyTooLongError'


def test_empty_key_refuses_request(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='kept', Body=b'x')
    r = post_delete(s3, bucket, delete_body(['kept', '']))
    assert_raw_error(r, 'UserKeyMustBeSpecified', 400)
    assert_stored(s3, bucket, 'kept', 1)


# the request as a whole

def test_missing_content_md5(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='kept', Body=b'x')
    r = post_delete(s3, bucket, delete_body(['kept']), md5=False)
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert 'Content-MD5' in err['Message']
    assert_stored(s3, bucket, 'kept', 1)


def test_bad_content_md5(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='kept', Body=b'x')
    r = post_delete(s3, bucket, delete_body(['kept']), md5=False,
                    headers={'Content-MD5': md5_b64(b'other')})
    assert_raw_error(r, 'BadDigest', 400)
    r = post_delete(s3, bucket, delete_body(['kept']), md5=False,
                    headers={'Content-MD5': 'not base64!'})
    assert_raw_error(r, 'InvalidDigest', 400)
    assert_stored(s3, bucket, 'kept', 1)


def test_crc32_instead_of_md5(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='c', Body=b'x')
    body = delete_body(['c'])
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, 'big')).decode()
    r = post_delete(s3, bucket, body, md5=False,
                    headers={'x-amz-checksum-crc32': crc})
    assert r.status == 200, r
    assert result(r) == (['c'], {})
    assert_not_stored(s3, bucket, 'c')
    alice.put_object(Bucket=bucket, Key='c', Body=b'x')
    r = post_delete(s3, bucket, body, md5=False,
                    headers={'x-amz-checksum-crc32': 'AAAAAA=='})
    assert_raw_error(r, 'BadDigest', 400)
    assert_stored(s3, bucket, 'c', 1)


def test_over_thousand_keys(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='k0', Body=b'x')
    keys = [f'k{i}' for i in range(1001)]
    r = post_delete(s3, bucket, delete_body(keys))
    assert_raw_error(r, 'MalformedXML', 400)
    assert_stored(s3, bucket, 'k0', 1)
    with s3_error('MalformedXML', 400):
        alice.delete_objects(Bucket=bucket, Delete={
            'Objects': [{'Key': k} for k in keys]})


@pytest.mark.parametrize('body', [
    b'', b'<Delete></Delete>', b'<Delete><Object></Object></Delete>',
    b'<Delete><Object><Key>a</Key></Object>', b'<Other/>',
    b'<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>'],
    ids=['empty', 'no-object', 'no-key', 'unclosed', 'root', 'quiet'])
def test_malformed(s3, alice, bucket, body):
    r = post_delete(s3, bucket, body)
    assert_raw_error(r, 'MalformedXML', 400)


def test_others_bucket_denied(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='mine', Body=b'x')
    with s3_error('AccessDenied', 403):
        bob.delete_objects(Bucket=bucket, Delete={
            'Objects': [{'Key': 'mine'}]})
    assert_stored(s3, bucket, 'mine', 1)


def test_missing_bucket(s3, alice, new_bucket_name):
    with s3_error('NoSuchBucket', 404):
        alice.delete_objects(Bucket=new_bucket_name, Delete={
            'Objects': [{'Key': 'k'}]})


# command-line clients

def test_aws_cli_rm_recursive(s3, alice, bucket, tmp_path):
    keys = [f'd/{i}' for i in range(30)] + ['d/sub/x y', 'other']
    put_keys(alice, bucket, keys)
    env = aws_env(s3, tmp_path)
    run([AWS, '--endpoint-url', s3.endpoint, 's3', 'rm', '--recursive',
         f's3://{bucket}/d/'], env)
    assert listed(alice, bucket) == ['other']
    assert_not_stored(s3, bucket, 'd/sub/x y')


def test_aws_cli_delete_objects(s3, alice, bucket, tmp_path):
    put_keys(alice, bucket, ['p', 'q&r'])
    env = aws_env(s3, tmp_path)
    out = run([AWS, '--endpoint-url', s3.endpoint, 's3api',
               'delete-objects', '--bucket', bucket, '--delete',
               '{"Objects":[{"Key":"p"},{"Key":"q&r"}]}'], env)
    assert '"q&r"' in out
    assert listed(alice, bucket) == []


def s3cmd_config(s3, tmp_path):
    cfg = tmp_path / 's3cfg'
    cfg.write_text(f'[default]\naccess_key = {s3.alice.access_key}\n'
                   f'secret_key = {s3.alice.secret_key}\n'
                   f'host_base = 127.0.0.1:{s3.port}\n'
                   f'host_bucket = 127.0.0.1:{s3.port}\n'
                   'use_https = False\nsignature_v2 = False\n'
                   'bucket_location = us-east-1\n')
    return str(cfg)


def test_s3cmd_del_recursive(s3, alice, bucket, tmp_path):
    put_keys(alice, bucket, [f'z/{i}' for i in range(12)] + ['y'])
    run([S3CMD, '-c', s3cmd_config(s3, tmp_path), 'del', '--recursive',
         f's3://{bucket}/z/'], base_env(tmp_path))
    assert listed(alice, bucket) == ['y']


def test_s3cmd_sync_delete_removed(s3, alice, bucket, tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('a', 'b', 'c'):
        (src / name).write_bytes(name.encode())
    cfg = s3cmd_config(s3, tmp_path)
    env = base_env(tmp_path)
    run([S3CMD, '-c', cfg, 'sync', f'{src}/', f's3://{bucket}/s/'], env)
    assert listed(alice, bucket) == ['s/a', 's/b', 's/c']
    (src / 'b').unlink()
    (src / 'c').unlink()
    run([S3CMD, '-c', cfg, 'sync', '--delete-removed', f'{src}/',
         f's3://{bucket}/s/'], env)
    assert listed(alice, bucket) == ['s/a']
    assert_not_stored(s3, bucket, 's/b')
