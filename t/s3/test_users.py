"""Users and ownership: buckets belong to their creator; users are managed
with s3ctl while nginx runs."""

import secrets

from lib.checks import assert_stored, s3_error, unique_bucket
from lib.server import User, s3ctl


def test_bob_is_denied_everything_on_alices_bucket(s3, alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key='doc', Body=b'alice only')

    with s3_error('403', 403):
        bob.head_bucket(Bucket=bucket)
    with s3_error('AccessDenied', 403):
        bob.get_object(Bucket=bucket, Key='doc')
    with s3_error('403', 403):
        bob.head_object(Bucket=bucket, Key='doc')
    with s3_error('AccessDenied', 403):
        bob.put_object(Bucket=bucket, Key='doc', Body=b'bob was here')
    with s3_error('AccessDenied', 403):
        bob.delete_object(Bucket=bucket, Key='doc')
    with s3_error('AccessDenied', 403):
        bob.delete_bucket(Bucket=bucket)

    got = alice.get_object(Bucket=bucket, Key='doc')
    assert got['Body'].read() == b'alice only'
    assert_stored(s3, bucket, 'doc', len(b'alice only'))


def test_bob_is_denied_missing_key_in_alices_bucket(s3, bob, bucket):
    # no information about which keys exist
    with s3_error('AccessDenied', 403):
        bob.get_object(Bucket=bucket, Key='no-such-key')


def test_list_buckets_shows_only_own(s3, alice, bob, bucket):
    mine = unique_bucket('bob')
    bob.create_bucket(Bucket=mine)
    bob_names = [b['Name'] for b in bob.list_buckets()['Buckets']]
    alice_names = [b['Name'] for b in alice.list_buckets()['Buckets']]
    assert bucket not in bob_names
    assert mine in bob_names
    assert bucket in alice_names
    assert mine not in alice_names


def test_new_user_works_at_once(s3):
    user = s3.add_user(unique_bucket('carol'))
    c = s3.client(user)
    assert c.list_buckets()['Buckets'] == []
    name = unique_bucket()
    c.create_bucket(Bucket=name)
    c.put_object(Bucket=name, Key='k', Body=b'carol')
    assert c.get_object(Bucket=name, Key='k')['Body'].read() == b'carol'


def test_user_with_given_keys(s3):
    ak = 'GIVEN' + secrets.token_hex(8).upper()
    p = s3ctl('user', 'add', unique_bucket('dave'), '--access-key', ak,
              '--secret-key', 'given/secret+key=42', data=s3.data)
    assert f'access_key {ak}' in p.stdout.splitlines()
    c = s3.client(User('dave', ak, 'given/secret+key=42'))
    assert c.list_buckets()['ResponseMetadata']['HTTPStatusCode'] == 200
    bad = s3.client(User('dave', ak, 'given/secret+key=43'))
    with s3_error('SignatureDoesNotMatch', 403):
        bad.list_buckets()


def test_removed_user_is_invalid_access_key(s3):
    name = unique_bucket('eve')
    user = s3.add_user(name)
    c = s3.client(user)
    for _ in range(8):
        c.list_buckets()                 # works, and is cached by workers
    s3.remove_user(name)
    for _ in range(8):
        with s3_error('InvalidAccessKeyId', 403):
            c.list_buckets()
    # the removed user's access key is gone from the listing
    listed = s3ctl('user', 'list', data=s3.data).stdout
    assert user.access_key not in listed


def test_readded_key_with_new_secret(s3):
    name = unique_bucket('erin')
    ak = 'ERIN' + secrets.token_hex(8).upper()
    s3ctl('user', 'add', name, '--access-key', ak, '--secret-key',
          'first-secret', data=s3.data)
    old = s3.client(User(name, ak, 'first-secret'))
    for _ in range(8):
        old.list_buckets()
    s3.remove_user(name)
    s3ctl('user', 'add', name, '--access-key', ak, '--secret-key',
          'second-secret', data=s3.data)
    for _ in range(8):
        with s3_error('SignatureDoesNotMatch', 403):
            old.list_buckets()
    new = s3.client(User(name, ak, 'second-secret'))
    assert new.list_buckets()['ResponseMetadata']['HTTPStatusCode'] == 200


def test_removed_user_cannot_write(s3, alice, bucket):
    name = unique_bucket('mallory')
    user = s3.add_user(name)
    c = s3.client(user)
    own = unique_bucket()
    c.create_bucket(Bucket=own)
    s3.remove_user(name)
    with s3_error('InvalidAccessKeyId', 403):
        c.put_object(Bucket=own, Key='k', Body=b'x')
    assert s3.object_files(own, 'k') == []
