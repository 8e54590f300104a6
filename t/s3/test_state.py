"""s3ctl state export|import (cli/s3ctl_state.c): the buckets (owner,
ACL, tags, CORS rules) and users of one node, exported to a file of mode
0600 and imported into a fresh node, which then has the same buckets and
users (who can sign requests); each change is journaled; a second import
changes nothing, an import over a node that drifted puts the exported
attributes back and deletes nothing."""

import os
import stat
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from lib.checks import unique_bucket
from lib.server import Server, s3ctl

CORS = {'CORSRules': [
    {'ID': 'web', 'AllowedOrigins': ['https://app.example'],
     'AllowedMethods': ['GET', 'PUT'], 'AllowedHeaders': ['*'],
     'ExposeHeaders': ['ETag'], 'MaxAgeSeconds': 300},
    {'AllowedOrigins': ['*'], 'AllowedMethods': ['HEAD']},
]}
TAGS = [{'Key': 'team', 'Value': 'data eng'}, {'Key': 'env', 'Value': ''}]


@pytest.fixture(scope='module')
def fresh(tmp_path_factory):
    """A second nginx + repld with no users."""
    srv = Server(tmp_path_factory.mktemp('state_fresh'))
    srv.start()
    yield srv
    problems = srv.stop()
    assert not problems, '\n'.join(problems[:30])


def attrs(client, bucket):
    """What a client reads of a bucket's ACL, tags and CORS rules."""
    acl = client.get_bucket_acl(Bucket=bucket)
    grants = sorted((g['Grantee'].get('URI', g['Grantee'].get('ID')),
                     g['Permission']) for g in acl['Grants'])
    try:
        tags = client.get_bucket_tagging(Bucket=bucket)['TagSet']
    except ClientError as e:
        assert e.response['Error']['Code'] == 'NoSuchTagSet'
        tags = []
    try:
        cors = client.get_bucket_cors(Bucket=bucket)['CORSRules']
    except ClientError as e:
        assert e.response['Error']['Code'] == 'NoSuchCORSConfiguration'
        cors = []
    return (acl['Owner']['ID'], grants, sorted(t.items() for t in tags),
            cors)


def counts(out):
    """The counts of the import's summary line."""
    last = out.strip().splitlines()[-1]
    assert last.startswith('imported '), out
    words = last.split(': ', 1)[1].replace(',', '').split()
    return dict(zip(words[1::2], map(int, words[0::2])))


def test_state_export_import(s3, fresh, tmp_path):
    carol = s3.add_user('carol')
    c = s3.client(s3.alice)
    full = unique_bucket('full')
    plain = unique_bucket('plain')
    c.create_bucket(Bucket=full, ACL='public-read')
    c.put_bucket_tagging(Bucket=full, Tagging={'TagSet': TAGS})
    c.put_bucket_cors(Bucket=full, CORSConfiguration=CORS)
    s3.client(carol).create_bucket(Bucket=plain)
    before = {b: attrs(c if b == full else s3.client(carol), b)
              for b in (full, plain)}

    path = tmp_path / 'state'
    p = s3ctl('state', 'export', path, data=s3.data)
    assert 'secret keys' in p.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith('state version=1 ')
    assert f'secret_key={quote(carol.secret_key, safe="/")}' in text

    # repld stopped, so that the journal files it applies stay to be read
    fresh.repld.stop()
    try:
        p = s3ctl('state', 'import', path, data=fresh.data)
        tail = s3ctl('journal', 'tail', data=fresh.data).stdout
    finally:
        fresh.repld.start()
    n = counts(p.stdout)
    assert n['failed'] == 0 and n['updated'] == 0 and n['unchanged'] == 0
    assert f'bucket {full}: created' in p.stdout
    assert 'user carol: created' in p.stdout

    # journaled as s3ctl's user commands are
    assert any(' create-bucket ' in ln and f' {full} ' in ln
               for ln in tail.splitlines()), tail
    assert any(' put-user ' in ln and f' {carol.access_key} ' in ln
               for ln in tail.splitlines()), tail

    # the users sign requests on the fresh node; buckets read the same
    for user in (s3.alice, carol):
        names = {b['Name'] for b in
                 fresh.client(user).list_buckets()['Buckets']}
        assert (full in names) == (user is s3.alice), names
    assert attrs(fresh.client(s3.alice), full) == before[full]
    assert attrs(fresh.client(carol), plain) == before[plain]
    assert fresh.client(carol).list_objects_v2(Bucket=plain)['KeyCount'] == 0

    p = s3ctl('state', 'import', path, data=fresh.data)
    n = counts(p.stdout)
    assert n['created'] == 0 and n['updated'] == 0 and n['failed'] == 0
    assert n['unchanged'] >= 4

    # drift on the fresh node: tags and CORS changed, an extra bucket
    f = fresh.client(s3.alice)
    f.put_bucket_tagging(Bucket=full, Tagging={'TagSet': [
        {'Key': 'other', 'Value': 'x'}]})
    f.delete_bucket_cors(Bucket=full)
    f.put_bucket_acl(Bucket=full, ACL='private')
    extra = unique_bucket('extra')
    f.create_bucket(Bucket=extra)
    p = s3ctl('state', 'import', path, data=fresh.data)
    assert f'bucket {full}: updated' in p.stdout, p.stdout
    assert counts(p.stdout)['updated'] == 1
    assert attrs(f, full) == before[full]
    f.head_bucket(Bucket=extra)


def test_state_import_replaces_a_users_keys(s3, fresh, tmp_path):
    dave = s3.add_user('dave')
    path = tmp_path / 'state'
    s3ctl('state', 'export', path, data=s3.data)

    # the fresh node knows dave by other keys
    old = fresh.add_user('dave')
    p = s3ctl('state', 'import', path, data=fresh.data)
    assert 'user dave: updated' in p.stdout, p.stdout
    fresh.client(dave).list_buckets()
    with pytest.raises(ClientError) as e:
        fresh.client(old).list_buckets()
    assert e.value.response['Error']['Code'] == 'InvalidAccessKeyId'


def test_state_import_refuses_what_it_cannot_read(fresh, tmp_path):
    path = tmp_path / 'state'
    path.write_text('not a state file\n')
    p = s3ctl('state', 'import', path, data=fresh.data, check=False)
    assert p.returncode == 2 and 'not a state file' in p.stderr, p

    b = unique_bucket('bad')
    path.write_text('state version=1\n'
                    f'bucket name={b} owner=alice acl=public-read-write\n'
                    'user name=x access_key=short secret_key=s\n'
                    'end users=1 buckets=1\n')
    p = s3ctl('state', 'import', path, data=fresh.data, check=False)
    assert p.returncode == 2, p
    assert counts(p.stdout)['failed'] == 2, p.stdout
    assert not (fresh.data / 'buckets' / b).exists()

    path.write_text('state version=1\nend users=1 buckets=0\n')
    p = s3ctl('state', 'import', path, data=fresh.data, check=False)
    assert p.returncode == 2 and 'end line' in p.stderr, p
    assert not os.path.exists(fresh.data / 'users' / 'short')
