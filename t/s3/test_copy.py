"""CopyObject and the copy-source conditions of UploadPartCopy
(ngx_http_s3_copy.c, core/s3_store_copy.c)."""

import datetime
import email.utils
import hashlib
import json
import os

from lib import s3raw
from lib.checks import (assert_raw_error, assert_stored, assert_tmp_clean,
                        etag, s3_error)
from lib.clients import AWS, aws_env, run

MIB = 1024 * 1024


def src_of(bucket, key):
    return {'Bucket': bucket, 'Key': key}


def http_date(dt):
    return email.utils.format_datetime(dt, usegmt=True)


def test_copy_same_bucket_keeps_bytes_etag_metadata(s3, alice, bucket):
    body = os.urandom(100000)
    alice.put_object(Bucket=bucket, Key='src', Body=body,
                     ContentType='image/png', Metadata={'a': '1'},
                     CacheControl='no-cache')
    r = alice.copy_object(Bucket=bucket, Key='dst',
                          CopySource=src_of(bucket, 'src'))
    assert r['CopyObjectResult']['ETag'] == etag(body)
    assert r['CopyObjectResult']['LastModified']
    got = alice.get_object(Bucket=bucket, Key='dst')
    assert got['Body'].read() == body
    assert got['ETag'] == etag(body)
    assert got['ContentType'] == 'image/png'
    assert got['Metadata'] == {'a': '1'}
    assert got['CacheControl'] == 'no-cache'
    assert_stored(s3, bucket, 'dst', len(body))
    assert alice.get_object(Bucket=bucket, Key='src')['Body'].read() == body
    assert_tmp_clean(s3)


def test_copy_across_buckets_and_odd_keys(s3, alice, bucket,
                                          new_bucket_name):
    alice.create_bucket(Bucket=new_bucket_name)
    key = 'dir/ä ü+%?#&=x'
    alice.put_object(Bucket=bucket, Key=key, Body=b'odd')
    alice.copy_object(Bucket=new_bucket_name, Key='b/' + key,
                      CopySource=src_of(bucket, key))
    got = alice.get_object(Bucket=new_bucket_name, Key='b/' + key)
    assert got['Body'].read() == b'odd'


def test_copy_source_forms_raw(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='a b', Body=b'raw')
    for n, src in enumerate((f'{bucket}/a%20b', f'/{bucket}/a%20b',
                             f'/{bucket}/a%20b?versionId=null')):
        r = s3raw.request(s3, s3.alice, 'PUT',
                          s3raw.object_path(bucket, f'c{n}'),
                          headers={'x-amz-copy-source': src})
        assert r.status == 200, r
        root = r.xml()
        assert s3raw.strip_ns(root.tag) == 'CopyObjectResult'
        assert root.tag.startswith('{http://s3.amazonaws.com/doc/2006-03-01/')
        names = [s3raw.strip_ns(c.tag) for c in root]
        assert names == ['LastModified', 'ETag'], r
        assert alice.get_object(Bucket=bucket,
                                Key=f'c{n}')['Body'].read() == b'raw'


def test_copy_bad_version_and_encoding(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='v', Body=b'v')
    for src in (f'{bucket}/v?versionId=abc', f'{bucket}', f'{bucket}/',
                f'{bucket}/%zz'):
        r = s3raw.request(s3, s3.alice, 'PUT',
                          s3raw.object_path(bucket, 'out'),
                          headers={'x-amz-copy-source': src})
        assert_raw_error(r, 'InvalidArgument', 400)


def test_copy_missing_source(s3, alice, bucket, new_bucket_name):
    with s3_error('NoSuchKey', 404):
        alice.copy_object(Bucket=bucket, Key='d',
                          CopySource=src_of(bucket, 'nope'))
    with s3_error('NoSuchBucket', 404):
        alice.copy_object(Bucket=bucket, Key='d',
                          CopySource=src_of(new_bucket_name, 'x'))
    with s3_error('NoSuchBucket', 404):
        alice.copy_object(Bucket=new_bucket_name, Key='d',
                          CopySource=src_of(bucket, 'x'))
    assert_tmp_clean(s3)


def test_copy_needs_both_buckets(s3, alice, bob, bucket, new_bucket_name):
    bob.create_bucket(Bucket=new_bucket_name)
    bob.put_object(Bucket=new_bucket_name, Key='b', Body=b'bob')
    alice.put_object(Bucket=bucket, Key='a', Body=b'alice')
    with s3_error('AccessDenied', 403):
        alice.copy_object(Bucket=bucket, Key='stolen',
                          CopySource=src_of(new_bucket_name, 'b'))
    with s3_error('AccessDenied', 403):
        bob.copy_object(Bucket=new_bucket_name, Key='stolen',
                        CopySource=src_of(bucket, 'a'))


def test_copy_onto_itself(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='self', Body=b'me',
                     ContentType='text/a', Metadata={'x': '1'})
    with s3_error('InvalidRequest', 400) as ei:
        alice.copy_object(Bucket=bucket, Key='self',
                          CopySource=src_of(bucket, 'self'))
    assert 'copy an object to itself' in ei.value.response['Error']['Message']
    alice.copy_object(Bucket=bucket, Key='self',
                      CopySource=src_of(bucket, 'self'),
                      MetadataDirective='REPLACE', ContentType='text/b',
                      Metadata={'y': '2'})
    got = alice.get_object(Bucket=bucket, Key='self')
    assert got['Body'].read() == b'me'
    assert got['ContentType'] == 'text/b'
    assert got['Metadata'] == {'y': '2'}
    assert_stored(s3, bucket, 'self', 2)


def test_metadata_directive(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='m', Body=b'm',
                     ContentType='text/a', Metadata={'x': '1'})
    alice.copy_object(Bucket=bucket, Key='keep', CopySource=src_of(bucket, 'm'),
                      MetadataDirective='COPY', ContentType='text/ignored',
                      Metadata={'y': '2'})
    got = alice.head_object(Bucket=bucket, Key='keep')
    assert got['ContentType'] == 'text/a' and got['Metadata'] == {'x': '1'}
    alice.copy_object(Bucket=bucket, Key='new', CopySource=src_of(bucket, 'm'),
                      MetadataDirective='REPLACE')
    got = alice.head_object(Bucket=bucket, Key='new')
    assert got['Metadata'] == {}
    assert got['ContentType'] == 'binary/octet-stream'
    r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, 'bad'),
                      headers={'x-amz-copy-source': f'{bucket}/m',
                               'x-amz-metadata-directive': 'MOVE'})
    err = assert_raw_error(r, 'InvalidArgument', 400)
    assert err['Message'] == 'Unknown metadata directive.'


def test_copy_multipart_source(s3, alice, bucket):
    parts = [os.urandom(5 * MIB), b'tail of it']
    up = alice.create_multipart_upload(Bucket=bucket, Key='mp',
                                       ContentType='text/mp')
    done = []
    for n, data in enumerate(parts, 1):
        r = alice.upload_part(Bucket=bucket, Key='mp', PartNumber=n,
                              UploadId=up['UploadId'], Body=data)
        done.append({'PartNumber': n, 'ETag': r['ETag']})
    alice.complete_multipart_upload(Bucket=bucket, Key='mp',
                                    UploadId=up['UploadId'],
                                    MultipartUpload={'Parts': done})
    whole = b''.join(parts)
    r = alice.copy_object(Bucket=bucket, Key='single',
                          CopySource=src_of(bucket, 'mp'))
    # one file now: the ETag is the MD5 of the bytes, no "-N"
    assert r['CopyObjectResult']['ETag'] == etag(whole)
    got = alice.get_object(Bucket=bucket, Key='single')
    assert hashlib.sha256(got['Body'].read()).digest() == \
        hashlib.sha256(whole).digest()
    assert got['ETag'] == etag(whole)
    assert got['ContentType'] == 'text/mp'
    assert_stored(s3, bucket, 'single', len(whole))
    assert_tmp_clean(s3)


def test_copy_replaces_existing_and_lists(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='old', Body=b'old contents')
    alice.put_object(Bucket=bucket, Key='new', Body=b'new')
    alice.copy_object(Bucket=bucket, Key='old',
                      CopySource=src_of(bucket, 'new'))
    assert alice.get_object(Bucket=bucket, Key='old')['Body'].read() == b'new'
    listed = {o['Key']: o for o in
              alice.list_objects_v2(Bucket=bucket)['Contents']}
    assert listed['old']['Size'] == 3
    assert listed['old']['ETag'] == etag(b'new')


def test_copy_conditions(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='c', Body=b'cond')
    tag = etag(b'cond')
    now = datetime.datetime.now(datetime.timezone.utc)
    past = http_date(now - datetime.timedelta(days=1))
    future = http_date(now + datetime.timedelta(days=1))
    ok = [{'CopySourceIfMatch': tag},
          {'CopySourceIfNoneMatch': '"0123456789abcdef0123456789abcdef"'},
          {'CopySourceIfModifiedSince': past},
          {'CopySourceIfUnmodifiedSince': future},
          # AWS: if-match true wins over if-unmodified-since false
          {'CopySourceIfMatch': tag, 'CopySourceIfUnmodifiedSince': past}]
    bad = [{'CopySourceIfMatch': '"0123456789abcdef0123456789abcdef"'},
           {'CopySourceIfNoneMatch': tag},
           {'CopySourceIfModifiedSince': future},
           {'CopySourceIfUnmodifiedSince': past},
           # if-none-match false and if-modified-since true: 412
           {'CopySourceIfNoneMatch': tag, 'CopySourceIfModifiedSince': past}]
    for n, kw in enumerate(ok):
        alice.copy_object(Bucket=bucket, Key=f'ok{n}',
                          CopySource=src_of(bucket, 'c'), **kw)
    for n, kw in enumerate(bad):
        with s3_error('PreconditionFailed', 412):
            alice.copy_object(Bucket=bucket, Key=f'bad{n}',
                              CopySource=src_of(bucket, 'c'), **kw)
        with s3_error('404', 404):          # HEAD: no body
            alice.head_object(Bucket=bucket, Key=f'bad{n}')


def test_upload_part_copy_conditions(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='p', Body=b'part source')
    up = alice.create_multipart_upload(Bucket=bucket, Key='d')
    kw = dict(Bucket=bucket, Key='d', UploadId=up['UploadId'], PartNumber=1,
              CopySource=src_of(bucket, 'p'))
    with s3_error('PreconditionFailed', 412):
        alice.upload_part_copy(CopySourceIfNoneMatch=etag(b'part source'),
                               **kw)
    r = alice.upload_part_copy(CopySourceIfMatch=etag(b'part source'), **kw)
    assert r['CopyPartResult']['ETag'] == etag(b'part source')
    assert_tmp_clean(s3)


def test_copy_in_missing_or_foreign_dest(s3, alice, bucket):
    r = s3raw.request(s3, None, 'PUT', s3raw.object_path(bucket, 'x'),
                      headers={'x-amz-copy-source': f'{bucket}/y'})
    assert_raw_error(r, 'AccessDenied', 403)


def test_aws_cli_copy(s3, alice, bucket, new_bucket_name, tmp_path):
    alice.create_bucket(Bucket=new_bucket_name)
    alice.put_object(Bucket=bucket, Key='x', Body=b'cli copy')
    env = aws_env(s3, tmp_path)
    run([AWS, '--endpoint-url', s3.endpoint, 's3', 'cp',
         f's3://{bucket}/x', f's3://{new_bucket_name}/y'], env)
    got = alice.get_object(Bucket=new_bucket_name, Key='y')
    assert got['Body'].read() == b'cli copy'
    out = run([AWS, '--endpoint-url', s3.endpoint, 's3api', 'copy-object',
               '--bucket', bucket, '--key', 'z',
               '--copy-source', f'{bucket}/x'], env)
    assert json.loads(out)['CopyObjectResult']['ETag'] == etag(b'cli copy')


def test_copy_takes_the_requests_acl_not_the_sources(s3, alice, bucket):
    # S3 never copies an ACL: the copy gets x-amz-acl, or private
    alice.put_object(Bucket=bucket, Key='open', Body=b'x',
                     ACL='public-read')
    alice.copy_object(Bucket=bucket, Key='closed',
                      CopySource={'Bucket': bucket, 'Key': 'open'})
    r = s3raw.request(s3, None, 'GET', s3raw.object_path(bucket, 'closed'))
    assert r.status == 403, r

    alice.put_object(Bucket=bucket, Key='private', Body=b'y')
    for directive in ('COPY', 'REPLACE'):
        key = f'opened-{directive}'
        alice.copy_object(Bucket=bucket, Key=key, ACL='public-read',
                          MetadataDirective=directive,
                          CopySource={'Bucket': bucket, 'Key': 'private'})
        r = s3raw.request(s3, None, 'GET', s3raw.object_path(bucket, key))
        assert r.status == 200 and r.body == b'y', (directive, r)
        grants = alice.get_object_acl(Bucket=bucket, Key=key)['Grants']
        assert any(g['Grantee'].get('URI', '').endswith('/AllUsers')
                   for g in grants), grants
