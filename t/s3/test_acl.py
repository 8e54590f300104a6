"""Canned ACLs: x-amz-acl on CreateBucket, PutObject and
CreateMultipartUpload, Get/PutBucketAcl (ngx_http_s3_acl.c)."""

import pytest

from lib import s3raw
from lib.checks import (assert_not_stored, assert_raw_error, etag, s3_error,
                        unique_bucket)

ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
XSI = '{http://www.w3.org/2001/XMLSchema-instance}type'
XMLNS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

UNSUPPORTED = ['public-read-write', 'authenticated-read', 'aws-exec-read',
               'log-delivery-write']


def grants(resp):
    """The grants of a boto3 Get*Acl answer as (type, id or uri, perm)."""
    out = []
    for g in resp['Grants']:
        who = g['Grantee']
        out.append((who['Type'], who.get('ID') or who.get('URI'),
                    g['Permission']))
    return sorted(out)


PRIVATE = [('CanonicalUser', 'alice', 'FULL_CONTROL')]
PUBLIC_READ = sorted(PRIVATE + [('Group', ALL_USERS, 'READ')])


def test_new_bucket_is_private(s3, alice, bucket):
    resp = alice.get_bucket_acl(Bucket=bucket)
    assert resp['Owner'] == {'ID': 'alice', 'DisplayName': 'alice'}, resp
    assert grants(resp) == PRIVATE


def test_create_bucket_public_read(s3, alice):
    name = unique_bucket()
    alice.create_bucket(Bucket=name, ACL='public-read')
    assert grants(alice.get_bucket_acl(Bucket=name)) == PUBLIC_READ


def test_put_bucket_acl(s3, alice, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PUBLIC_READ
    alice.put_bucket_acl(Bucket=bucket, ACL='private')
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


@pytest.mark.parametrize('acl', ['bucket-owner-full-control',
                                 'bucket-owner-read'])
def test_owner_acls_are_private(s3, alice, bucket, acl):
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    alice.put_bucket_acl(Bucket=bucket, ACL=acl)
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


@pytest.mark.parametrize('acl', UNSUPPORTED)
def test_unsupported_canned_acl(s3, alice, bucket, acl):
    with s3_error('NotImplemented', 501) as ei:
        alice.put_bucket_acl(Bucket=bucket, ACL=acl)
    msg = ei.value.response['Error']['Message']
    assert acl in msg and 'public-read' in msg, msg
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


def test_unknown_canned_acl(s3, alice, bucket):
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}', query='acl=',
                      headers={'x-amz-acl': 'everyone'})
    assert_raw_error(r, 'InvalidArgument', 400)
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


def test_grant_headers_not_implemented(s3, alice, bucket):
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}', query='acl=',
                      headers={'x-amz-grant-read': f'uri="{ALL_USERS}"'})
    err = assert_raw_error(r, 'NotImplemented', 501)
    assert 'public-read' in err['Message'], err
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


def test_create_bucket_unsupported_acl(s3, alice):
    name = unique_bucket()
    with s3_error('NotImplemented', 501):
        alice.create_bucket(Bucket=name, ACL='public-read-write')
    with s3_error('NoSuchBucket', 404):
        alice.get_bucket_acl(Bucket=name)


def test_get_bucket_acl_xml(s3, alice, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}', query='acl=')
    assert r.status == 200, r
    root = r.xml()
    assert root.tag == XMLNS + 'AccessControlPolicy', r.body
    types = [g.attrib.get(XSI)
             for g in root.iter(XMLNS + 'Grantee')]
    assert types == ['CanonicalUser', 'Group'], r.body


def test_bucket_acl_other_owner(s3, alice, bob, bucket):
    with s3_error('AccessDenied', 403):
        bob.get_bucket_acl(Bucket=bucket)
    with s3_error('AccessDenied', 403):
        bob.put_bucket_acl(Bucket=bucket, ACL='public-read')
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


def test_bucket_acl_no_bucket(s3, alice):
    with s3_error('NoSuchBucket', 404):
        alice.put_bucket_acl(Bucket=unique_bucket(), ACL='public-read')


def test_put_object_acl_header(s3, alice, bucket):
    for key, acl, want in (('pub', 'public-read', PUBLIC_READ),
                           ('priv', 'private', PRIVATE)):
        r = alice.put_object(Bucket=bucket, Key=key, Body=b'x', ACL=acl)
        assert r['ResponseMetadata']['HTTPStatusCode'] == 200, r
        assert r['ETag'] == etag(b'x'), r
        assert grants(alice.get_object_acl(Bucket=bucket, Key=key)) \
            == want, key
    with s3_error('NotImplemented', 501):
        alice.put_object(Bucket=bucket, Key='no', Body=b'x',
                         ACL='authenticated-read')
    with s3_error('NoSuchKey', 404):
        alice.get_object(Bucket=bucket, Key='no')


def uploads(client, bucket):
    return [(u['Key'], u['UploadId']) for u in
            client.list_multipart_uploads(Bucket=bucket).get('Uploads', [])]


def test_create_upload_acl_header(s3, alice, bucket):
    """The ACL an upload was created with is the object's: see
    test_completed_upload_keeps_acl."""
    up = alice.create_multipart_upload(Bucket=bucket, Key='k',
                                       ACL='public-read')
    assert (up['Bucket'], up['Key']) == (bucket, 'k'), up
    assert uploads(alice, bucket) == [('k', up['UploadId'])]
    r = alice.abort_multipart_upload(Bucket=bucket, Key='k',
                                     UploadId=up['UploadId'])
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204, r
    with s3_error('NotImplemented', 501):
        alice.create_multipart_upload(Bucket=bucket, Key='k',
                                      ACL='public-read-write')
    assert uploads(alice, bucket) == []


def test_bucket_acl_cli(s3, tmp_path, bucket):
    from test_cli import aws
    import json
    aws(s3, tmp_path, 's3api', 'put-bucket-acl', '--bucket', bucket,
        '--acl', 'public-read')
    out = aws(s3, tmp_path, 's3api', 'get-bucket-acl', '--bucket', bucket)
    resp = json.loads(out.stdout)
    assert grants(resp) == PUBLIC_READ, resp


OWNER_GRANT = {'Grantee': {'Type': 'CanonicalUser', 'ID': 'alice'},
               'Permission': 'FULL_CONTROL'}
READ_GRANT = {'Grantee': {'Type': 'Group', 'URI': ALL_USERS},
              'Permission': 'READ'}


def test_object_acl_from_put(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='pub', Body=b'x', ACL='public-read')
    alice.put_object(Bucket=bucket, Key='priv', Body=b'x')
    resp = alice.get_object_acl(Bucket=bucket, Key='pub')
    assert resp['Owner'] == {'ID': 'alice', 'DisplayName': 'alice'}, resp
    assert grants(resp) == PUBLIC_READ
    assert grants(alice.get_object_acl(Bucket=bucket, Key='priv')) == PRIVATE


def test_put_object_acl(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='k', Body=b'data',
                     Metadata={'a': 'b'})
    alice.put_object_acl(Bucket=bucket, Key='k', ACL='public-read')
    assert grants(alice.get_object_acl(Bucket=bucket, Key='k')) \
        == PUBLIC_READ
    got = alice.get_object(Bucket=bucket, Key='k')
    assert got['Body'].read() == b'data' and got['Metadata'] == {'a': 'b'}
    alice.put_object_acl(Bucket=bucket, Key='k', ACL='private')
    assert grants(alice.get_object_acl(Bucket=bucket, Key='k')) == PRIVATE


def test_object_acl_no_key(s3, alice, bucket):
    with s3_error('NoSuchKey', 404):
        alice.put_object_acl(Bucket=bucket, Key='nope', ACL='public-read')
    with s3_error('NoSuchKey', 404):
        alice.get_object_acl(Bucket=bucket, Key='nope')
    assert_not_stored(s3, bucket, 'nope')


def test_object_acl_other_owner(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='k', Body=b'x')
    with s3_error('AccessDenied', 403):
        bob.get_object_acl(Bucket=bucket, Key='k')
    with s3_error('AccessDenied', 403):
        bob.put_object_acl(Bucket=bucket, Key='k', ACL='public-read')
    assert grants(alice.get_object_acl(Bucket=bucket, Key='k')) == PRIVATE


def test_completed_upload_keeps_acl(s3, alice, bucket):
    up = alice.create_multipart_upload(Bucket=bucket, Key='mp',
                                       ACL='public-read')
    part = alice.upload_part(Bucket=bucket, Key='mp', PartNumber=1,
                             UploadId=up['UploadId'], Body=b'x' * 10)
    alice.complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1,
                                    'ETag': part['ETag']}]})
    assert grants(alice.get_object_acl(Bucket=bucket, Key='mp')) \
        == PUBLIC_READ


@pytest.mark.parametrize('target', ['bucket', 'object'])
def test_put_acl_policy(s3, alice, bucket, target):
    kw = {'Bucket': bucket}
    if target == 'object':
        alice.put_object(Bucket=bucket, Key='k', Body=b'x')
        kw['Key'] = 'k'
    put = getattr(alice, f'put_{target}_acl')
    get = getattr(alice, f'get_{target}_acl')
    owner = {'ID': 'alice', 'DisplayName': 'alice'}
    put(AccessControlPolicy={'Owner': owner,
                             'Grants': [OWNER_GRANT, READ_GRANT]}, **kw)
    assert grants(get(**kw)) == PUBLIC_READ
    put(AccessControlPolicy={'Owner': owner, 'Grants': [OWNER_GRANT]},
        **kw)
    assert grants(get(**kw)) == PRIVATE


@pytest.mark.parametrize('extra', [
    [{'Grantee': {'Type': 'CanonicalUser', 'ID': 'bob'},
      'Permission': 'READ'}],
    [{'Grantee': {'Type': 'Group', 'URI': ALL_USERS},
      'Permission': 'WRITE'}],
    [{'Grantee': {'Type': 'Group', 'URI':
                  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'},
      'Permission': 'READ'}],
])
def test_put_acl_policy_unsupported(s3, alice, bucket, extra):
    owner = {'ID': 'alice', 'DisplayName': 'alice'}
    with s3_error('NotImplemented', 501) as ei:
        alice.put_bucket_acl(Bucket=bucket, AccessControlPolicy={
            'Owner': owner, 'Grants': [OWNER_GRANT] + extra})
    assert 'public-read' in ei.value.response['Error']['Message']
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


def test_put_acl_policy_without_owner_grant(s3, alice, bucket):
    with s3_error('NotImplemented', 501):
        alice.put_bucket_acl(Bucket=bucket, AccessControlPolicy={
            'Owner': {'ID': 'alice'}, 'Grants': [READ_GRANT]})
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PRIVATE


def test_put_acl_malformed(s3, alice, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}', query='acl=',
                      body=b'<AccessControlPolicy><Owner>')
    assert_raw_error(r, 'MalformedACLError', 400)
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == PUBLIC_READ


def test_object_acl_cli(s3, tmp_path, alice, bucket):
    from test_cli import aws
    import json
    alice.put_object(Bucket=bucket, Key='k', Body=b'x')
    aws(s3, tmp_path, 's3api', 'put-object-acl', '--bucket', bucket,
        '--key', 'k', '--acl', 'public-read')
    out = aws(s3, tmp_path, 's3api', 'get-object-acl', '--bucket', bucket,
              '--key', 'k')
    assert grants(json.loads(out.stdout)) == PUBLIC_READ


def test_bucket_acl_keeps_listing(s3, alice, bucket):
    # the new bucket record is journaled as a create-bucket frame: repld
    # must take its new hlc and keep the bucket's keys
    alice.put_object(Bucket=bucket, Key='a', Body=b'x')
    alice.put_bucket_acl(Bucket=bucket, ACL='public-read')
    alice.put_object(Bucket=bucket, Key='b', Body=b'x')
    keys = [o['Key'] for o in
            alice.list_objects_v2(Bucket=bucket).get('Contents', [])]
    assert keys == ['a', 'b'], keys
    created = [b['CreationDate'] for b in alice.list_buckets()['Buckets']
               if b['Name'] == bucket]
    alice.put_bucket_acl(Bucket=bucket, ACL='private')
    assert created == [b['CreationDate'] for b in
                       alice.list_buckets()['Buckets']
                       if b['Name'] == bucket]
