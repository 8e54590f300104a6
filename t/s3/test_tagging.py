"""Object and bucket tagging, x-amz-tagging and x-amz-tagging-count
(ngx_http_s3_tagging.c, core/s3_store_attrs.c)."""

import time

from lib import s3raw
from lib.checks import (assert_raw_error, assert_stored, etag, md5_b64,
                        s3_error)


def tagset(resp):
    return {t['Key']: t['Value'] for t in resp['TagSet']}


def test_put_object_with_tagging_header(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='t', Body=b'tagged',
                     Tagging='a=1&b=two%20words&empty=')
    got = alice.get_object_tagging(Bucket=bucket, Key='t')
    assert tagset(got) == {'a': '1', 'b': 'two words', 'empty': ''}
    head = alice.head_object(Bucket=bucket, Key='t')
    assert head['ResponseMetadata']['HTTPHeaders']['x-amz-tagging-count'] \
        == '3'
    obj = alice.get_object(Bucket=bucket, Key='t')
    assert obj['TagCount'] == 3


def test_untagged_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='u', Body=b'u')
    r = s3raw.request(s3, s3.alice, 'GET', s3raw.object_path(bucket, 'u'),
                      query='tagging')
    assert r.status == 200, r
    root = r.xml()
    assert s3raw.strip_ns(root.tag) == 'Tagging'
    assert [s3raw.strip_ns(c.tag) for c in root] == ['TagSet']
    assert len(root[0]) == 0
    head = alice.head_object(Bucket=bucket, Key='u')
    assert 'x-amz-tagging-count' not in head['ResponseMetadata']['HTTPHeaders']


def test_delete_object_tagging_keeps_object(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='d', Body=b'data', Tagging='k=v',
                     ContentType='text/d')
    before = alice.head_object(Bucket=bucket, Key='d')
    time.sleep(1.1)
    r = alice.delete_object_tagging(Bucket=bucket, Key='d')
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='d')) == {}
    got = alice.get_object(Bucket=bucket, Key='d')
    assert got['Body'].read() == b'data'
    assert got['ETag'] == etag(b'data')
    assert got['ContentType'] == 'text/d'
    assert got['LastModified'] == before['LastModified']
    assert_stored(s3, bucket, 'd', 4)


def test_tagging_of_missing_object(s3, alice, bucket):
    with s3_error('NoSuchKey', 404):
        alice.get_object_tagging(Bucket=bucket, Key='none')
    with s3_error('NoSuchKey', 404):
        alice.delete_object_tagging(Bucket=bucket, Key='none')


def test_tagging_header_invalid(s3, alice, bucket):
    cases = ['aws:x=1', 'a=1&a=2', 'k' * 129 + '=v', 'k=' + 'v' * 257,
             '&'.join(f'k{i}=v' for i in range(11)), '=v', 'k=a%7Cb']
    for tags in cases:
        r = s3raw.request(s3, s3.alice, 'PUT',
                          s3raw.object_path(bucket, 'bad'), body=b'x',
                          headers={'x-amz-tagging': tags})
        assert_raw_error(r, 'InvalidTag', 400)
    with s3_error('NoSuchKey', 404):
        alice.get_object_tagging(Bucket=bucket, Key='bad')
    # 128 and 256 characters, not bytes
    alice.put_object(Bucket=bucket, Key='ok', Body=b'x',
                     Tagging='%C3%A4' * 128 + '=' + '%E2%82%AC' * 256)
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='ok')) == \
        {'ä' * 128: '€' * 256}


def test_copy_tagging_directive(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='s', Body=b's', Tagging='a=1')
    alice.copy_object(Bucket=bucket, Key='c1',
                      CopySource={'Bucket': bucket, 'Key': 's'})
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='c1')) == \
        {'a': '1'}
    alice.copy_object(Bucket=bucket, Key='c2',
                      CopySource={'Bucket': bucket, 'Key': 's'},
                      TaggingDirective='REPLACE', Tagging='b=2')
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='c2')) == \
        {'b': '2'}
    alice.copy_object(Bucket=bucket, Key='c3',
                      CopySource={'Bucket': bucket, 'Key': 's'},
                      MetadataDirective='REPLACE', Tagging='c=3')
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='c3')) == \
        {'a': '1'}


def test_bucket_without_tags(s3, alice, bucket):
    with s3_error('NoSuchTagSet', 404):
        alice.get_bucket_tagging(Bucket=bucket)
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}', query='tagging')
    assert_raw_error(r, 'NoSuchTagSet', 404)


def test_others_tags_denied(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='o', Body=b'o', Tagging='a=1')
    with s3_error('AccessDenied', 403):
        bob.get_object_tagging(Bucket=bucket, Key='o')
    with s3_error('AccessDenied', 403):
        bob.delete_object_tagging(Bucket=bucket, Key='o')
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='o')) == \
        {'a': '1'}


def test_multipart_upload_tagging(s3, alice, bucket):
    up = alice.create_multipart_upload(Bucket=bucket, Key='mp',
                                       Tagging='p=1&q=2')
    r = alice.upload_part(Bucket=bucket, Key='mp', PartNumber=1,
                          UploadId=up['UploadId'], Body=b'only part')
    alice.complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': r['ETag']}]})
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='mp')) == \
        {'p': '1', 'q': '2'}
    before = alice.head_object(Bucket=bucket, Key='mp')
    alice.delete_object_tagging(Bucket=bucket, Key='mp')
    after = alice.head_object(Bucket=bucket, Key='mp')
    assert after['ETag'] == before['ETag'] and after['ETag'].endswith('-1"')
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='mp')) == {}
    got = alice.get_object(Bucket=bucket, Key='mp')
    assert got['Body'].read() == b'only part'
    listed = alice.list_objects_v2(Bucket=bucket, Prefix='mp')['Contents']
    assert listed[0]['ETag'] == before['ETag']


# PutObjectTagging

def put_tags(client, bucket, key, tags):
    return client.put_object_tagging(
        Bucket=bucket, Key=key,
        Tagging={'TagSet': [{'Key': k, 'Value': v} for k, v in tags]})


def test_put_object_tagging_round_trip(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='p', Body=b'payload', Tagging='a=1',
                     ContentType='text/p', Metadata={'m': 'v'})
    before = alice.head_object(Bucket=bucket, Key='p')
    time.sleep(1.1)
    r = put_tags(alice, bucket, 'p', [('x', 'y + z'), ('k', ''),
                                       ('caf\u00e9', 'v@1:/')])
    assert r['ResponseMetadata']['HTTPStatusCode'] == 200
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='p')) == \
        {'x': 'y + z', 'k': '', 'caf\u00e9': 'v@1:/'}
    got = alice.get_object(Bucket=bucket, Key='p')
    assert got['Body'].read() == b'payload'
    assert got['ETag'] == before['ETag'] == etag(b'payload')
    assert got['LastModified'] == before['LastModified']
    assert got['ContentType'] == 'text/p'
    assert got['Metadata'] == {'m': 'v'}
    assert got['TagCount'] == 3
    assert_stored(s3, bucket, 'p', 7)
    # replaced whole, and an empty set removes them
    put_tags(alice, bucket, 'p', [('only', '1')])
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='p')) == \
        {'only': '1'}
    put_tags(alice, bucket, 'p', [])
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='p')) == {}
    head = alice.head_object(Bucket=bucket, Key='p')
    assert 'x-amz-tagging-count' not in head['ResponseMetadata']['HTTPHeaders']
    assert head['ETag'] == before['ETag']


def test_put_object_tagging_limits(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='l', Body=b'l', Tagging='keep=1')
    cases = [[(f'k{i}', 'v') for i in range(11)], [('aws:x', '1')],
             [('a', '1'), ('a', '2')], [('k' * 129, 'v')],
             [('k', 'v' * 257)], [('k', 'a|b')], [('k', 'line\n')]]
    for tags in cases:
        with s3_error('InvalidTag', 400):
            put_tags(alice, bucket, 'l', tags)
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='l')) == \
        {'keep': '1'}
    tags = [(f'k{i}', 'v') for i in range(10)]
    put_tags(alice, bucket, 'l', tags)
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='l')) == \
        dict(tags)


def test_put_object_tagging_raw(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='r', Body=b'r')
    path = s3raw.object_path(bucket, 'r')
    for body in (b'', b'<Tagging/>', b'<Tagging><TagSet><Tag><Key>a</Key>'
                 b'</Tag></TagSet></Tagging>', b'<Other/>'):
        r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging',
                          body=body)
        assert_raw_error(r, 'MalformedXML', 400)
    many = ('<Tagging><TagSet>' + '<Tag><Key>k</Key><Value>v</Value></Tag>'
            * 12 + '</TagSet></Tagging>')
    r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging',
                      body=many.encode())
    err = assert_raw_error(r, 'InvalidTag', 400)
    assert err['Message'] == 'Object tags cannot be greater than 10'
    r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging',
                      body=b'<Tagging><TagSet><Tag><Key></Key><Value>v'
                      b'</Value></Tag></TagSet></Tagging>')
    assert_raw_error(r, 'InvalidTag', 400)
    body = (b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b'<TagSet><Tag><Key>a&#x3D;b</Key><Value>&#x20AC;</Value></Tag>'
            b'</TagSet></Tagging>')
    r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging', body=body)
    assert r.status == 200, r
    assert r.body == b''
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='r')) == \
        {'a=b': '\u20ac'}


def test_put_object_tagging_missing_or_denied(s3, alice, bob, bucket):
    with s3_error('NoSuchKey', 404):
        put_tags(alice, bucket, 'none', [('a', '1')])
    alice.put_object(Bucket=bucket, Key='o', Body=b'o')
    with s3_error('AccessDenied', 403):
        put_tags(bob, bucket, 'o', [('a', '1')])
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='o')) == {}


def test_put_object_tagging_multipart(s3, alice, bucket):
    up = alice.create_multipart_upload(Bucket=bucket, Key='mp')
    parts = []
    for n, data in ((1, b'a' * (5 * 1024 * 1024)), (2, b'tail')):
        r = alice.upload_part(Bucket=bucket, Key='mp', PartNumber=n,
                              UploadId=up['UploadId'], Body=data)
        parts.append({'PartNumber': n, 'ETag': r['ETag']})
    alice.complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': parts})
    before = alice.head_object(Bucket=bucket, Key='mp')
    put_tags(alice, bucket, 'mp', [('m', 'p')])
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='mp')) == \
        {'m': 'p'}
    after = alice.head_object(Bucket=bucket, Key='mp')
    assert after['ETag'] == before['ETag'] and after['ETag'].endswith('-2"')
    assert after['ContentLength'] == 5 * 1024 * 1024 + 4
    got = alice.get_object(Bucket=bucket, Key='mp', Range='bytes=-6')
    assert got['Body'].read() == b'aatail'
    listed = alice.list_objects_v2(Bucket=bucket, Prefix='mp')['Contents']
    assert listed[0]['ETag'] == before['ETag']


# PutBucketTagging, DeleteBucketTagging

def put_bucket_tags(client, bucket, tags):
    return client.put_bucket_tagging(
        Bucket=bucket,
        Tagging={'TagSet': [{'Key': k, 'Value': v} for k, v in tags]})


def test_bucket_tagging_round_trip(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='o', Body=b'o')
    r = put_bucket_tags(alice, bucket, [('team', 'storage'), ('e', ''),
                                        ('caf\u00e9', 'x/y@z')])
    assert r['ResponseMetadata']['HTTPStatusCode'] == 200
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == \
        {'team': 'storage', 'e': '', 'caf\u00e9': 'x/y@z'}
    # replaced whole; the objects keep theirs, and the bucket its objects
    put_bucket_tags(alice, bucket, [('only', '1')])
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == {'only': '1'}
    assert tagset(alice.get_object_tagging(Bucket=bucket, Key='o')) == {}
    assert alice.get_object(Bucket=bucket, Key='o')['Body'].read() == b'o'
    r = alice.delete_bucket_tagging(Bucket=bucket)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    with s3_error('NoSuchTagSet', 404):
        alice.get_bucket_tagging(Bucket=bucket)
    # deleting no tags is no error
    r = alice.delete_bucket_tagging(Bucket=bucket)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204


def test_bucket_tagging_fifty(s3, alice, bucket):
    tags = [(f'key-{i:02d}', 'v' * 256) for i in range(50)]
    put_bucket_tags(alice, bucket, tags)
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == dict(tags)
    with s3_error('InvalidTag', 400):
        put_bucket_tags(alice, bucket, tags + [('one-more', 'v')])
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == dict(tags)
    # every worker sees them, whatever bucket record it had cached
    for _ in range(6):
        fresh = s3.client(s3.alice)
        assert tagset(fresh.get_bucket_tagging(Bucket=bucket)) == dict(tags)


def test_bucket_tagging_invalid(s3, alice, bucket):
    put_bucket_tags(alice, bucket, [('keep', '1')])
    for tags in ([('aws:x', '1')], [('a', '1'), ('a', '2')],
                 [('k' * 129, 'v')], [('k', 'v' * 257)], [('k', 'a|b')]):
        with s3_error('InvalidTag', 400):
            put_bucket_tags(alice, bucket, tags)
    path = f'/{bucket}'
    for body in (b'', b'<Tagging/>', b'<Other/>'):
        r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging',
                          body=body, headers={'Content-MD5': md5_b64(body)})
        assert_raw_error(r, 'MalformedXML', 400)
    body = (b'<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag>'
            b'</TagSet></Tagging>')
    r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging', body=body)
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert 'Content-MD5' in err['Message']
    r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging', body=body,
                      headers={'Content-MD5': md5_b64(b'other')})
    assert_raw_error(r, 'BadDigest', 400)
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == {'keep': '1'}
    r = s3raw.request(s3, s3.alice, 'PUT', path, query='tagging', body=body,
                      headers={'Content-MD5': md5_b64(body)})
    assert r.status == 200, r
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == {'a': 'b'}


def test_bucket_tagging_denied_and_missing(s3, alice, bob, bucket,
                                           new_bucket_name):
    put_bucket_tags(alice, bucket, [('a', '1')])
    with s3_error('AccessDenied', 403):
        put_bucket_tags(bob, bucket, [('b', '2')])
    with s3_error('AccessDenied', 403):
        bob.delete_bucket_tagging(Bucket=bucket)
    with s3_error('AccessDenied', 403):
        bob.get_bucket_tagging(Bucket=bucket)
    assert tagset(alice.get_bucket_tagging(Bucket=bucket)) == {'a': '1'}
    with s3_error('NoSuchBucket', 404):
        put_bucket_tags(alice, new_bucket_name, [('a', '1')])
    with s3_error('NoSuchBucket', 404):
        alice.delete_bucket_tagging(Bucket=new_bucket_name)
