"""Object and bucket tagging, x-amz-tagging and x-amz-tagging-count
(ngx_http_s3_tagging.c, core/s3_store_attrs.c)."""

import time

from lib import s3raw
from lib.checks import assert_raw_error, assert_stored, etag, s3_error


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
