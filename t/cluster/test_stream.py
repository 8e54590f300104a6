"""The metadata change stream (docs/REPLICATION.md, step 2): what one
node journals reaches every peer's catalog (LIST) and disk (HEAD) within
a bounded wait, converges under concurrent writes, partitions and
killed replds.  Bytes are not copied yet: GET of a version whose bytes
are elsewhere answers 503 SlowDown with Retry-After."""

import concurrent.futures
import subprocess
import sys
import time
import uuid

import botocore.exceptions
import pytest

from lib.cluster import ACCESS_KEY, SECRET_KEY
from lib.server import REGION, s3ctl

WAIT = 10          # seconds a change may take to reach every node


def name(prefix):
    return f'{prefix}-{uuid.uuid4().hex[:10]}'


def until(cond, what, timeout=WAIT):
    """Polls cond() until it returns a true value, which it returns;
    fails after timeout seconds.  Prints the delay observed."""
    start = time.monotonic()
    while True:
        try:
            last = cond()
        except botocore.exceptions.ClientError as e:
            last = None
            err = e
        else:
            err = None
        if last:
            print(f'{what}: {1000 * (time.monotonic() - start):.0f} ms')
            return last
        if time.monotonic() - start > timeout:
            raise AssertionError(f'{what}: not within {timeout}s ({err})')
        time.sleep(0.05)


INSIDE = """
import sys, boto3
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2],
                  aws_access_key_id=sys.argv[3],
                  aws_secret_access_key=sys.argv[4],
                  config=Config(s3={'addressing_style': 'path'}))
op, bucket, key = sys.argv[5:8]
if op == 'put':
    s3.put_object(Bucket=bucket, Key=key, Body=sys.argv[8].encode())
else:
    s3.delete_object(Bucket=bucket, Key=key)
"""


def inside(cluster, i, *args):
    """A request to node i from inside its namespace: a partitioned
    node is cut off from the host too."""
    subprocess.run(['ip', 'netns', 'exec', cluster.netns(i), sys.executable,
                    '-c', INSIDE, cluster.nodes[i].endpoint, REGION,
                    ACCESS_KEY, SECRET_KEY, *args], check=True, timeout=30)


def clients(cluster):
    return [srv.client(srv.admin) for srv in cluster.nodes]


def head(s3, bucket, key):
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as e:
        if e.response['Error']['Code'] in ('404', 'NoSuchKey'):
            return None
        raise


def keys(s3, bucket):
    try:
        out = s3.list_objects_v2(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        if e.response['Error']['Code'] == 'NoSuchBucket':
            return None
        raise
    return {o['Key']: o['ETag'] for o in out.get('Contents', [])}


def has_bucket(s3, bucket):
    return bucket in [b['Name'] for b in s3.list_buckets()['Buckets']]


@pytest.fixture
def bucket(cluster):
    s3 = clients(cluster)
    b = name('stream')
    s3[0].create_bucket(Bucket=b)
    for c in s3[1:]:
        until(lambda c=c: has_bucket(c, b), f'bucket {b} everywhere')
    return b


def test_put_then_head_list_get_everywhere(cluster, bucket):
    s3 = clients(cluster)
    r = s3[0].put_object(Bucket=bucket, Key='dir/k', Body=b'x' * 1000,
                         ContentType='text/x-test',
                         Metadata={'colour': 'blue'}, Tagging='a=1&b=2')
    for i, c in enumerate(s3[1:], 1):
        h = until(lambda c=c: head(c, bucket, 'dir/k'),
                  f'HEAD on {cluster.names[i]}')
        assert h['ETag'] == r['ETag']
        assert h['ContentLength'] == 1000
        assert h['ContentType'] == 'text/x-test'
        assert h['Metadata'] == {'colour': 'blue'}
        assert h['ResponseMetadata']['HTTPHeaders'][
            'x-amz-tagging-count'] == '2'
        tags = c.get_object_tagging(Bucket=bucket, Key='dir/k')['TagSet']
        assert sorted((t['Key'], t['Value']) for t in tags) == \
            [('a', '1'), ('b', '2')]
        until(lambda c=c: keys(c, bucket) == {'dir/k': r['ETag']},
              f'LIST on {cluster.names[i]}')

        # the bytes are not here: never served, the client told to retry
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object(Bucket=bucket, Key='dir/k')
        err = e.value.response
        assert err['ResponseMetadata']['HTTPStatusCode'] == 503
        assert err['Error']['Code'] == 'SlowDown'
        assert 'replicated' in err['Error']['Message']
        assert err['ResponseMetadata']['HTTPHeaders']['retry-after'] == '1'

        # nor copied from
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.copy_object(Bucket=bucket, Key='copy',
                          CopySource={'Bucket': bucket, 'Key': 'dir/k'})
        assert e.value.response['Error']['Code'] == 'SlowDown'

    # the origin still serves its bytes
    assert s3[0].get_object(Bucket=bucket,
                            Key='dir/k')['Body'].read() == b'x' * 1000

    s3[0].delete_object(Bucket=bucket, Key='dir/k')
    for i, c in enumerate(s3[1:], 1):
        until(lambda c=c: head(c, bucket, 'dir/k') is None
              and keys(c, bucket) == {}, f'delete on {cluster.names[i]}')


def test_bucket_create_and_delete(cluster):
    s3 = clients(cluster)
    b = name('bkt')
    s3[1].create_bucket(Bucket=b)
    for c in (s3[0], s3[2]):
        until(lambda c=c: has_bucket(c, b), 'CreateBucket everywhere')
        assert keys(c, b) == {}
    s3[1].delete_bucket(Bucket=b)
    for c in (s3[0], s3[2]):
        until(lambda c=c: not has_bucket(c, b) and keys(c, b) is None,
              'DeleteBucket everywhere')


def test_acl_and_tagging_changes(cluster, bucket):
    s3 = clients(cluster)
    s3[0].put_object(Bucket=bucket, Key='k', Body=b'v')
    until(lambda: head(s3[2], bucket, 'k'), 'put on c')
    s3[0].put_object_acl(Bucket=bucket, Key='k', ACL='public-read')
    s3[0].put_object_tagging(Bucket=bucket, Key='k',
                             Tagging={'TagSet': [{'Key': 't',
                                                  'Value': 'v'}]})
    for c in s3[1:]:
        until(lambda c=c: c.get_object_tagging(
            Bucket=bucket, Key='k')['TagSet'] == [{'Key': 't',
                                                    'Value': 'v'}],
            'tagging everywhere')
        grants = c.get_object_acl(Bucket=bucket, Key='k')['Grants']
        assert any(g['Grantee'].get('URI', '').endswith('AllUsers')
                   for g in grants), grants

    # a change made on a node holding only the record travels back
    s3[1].put_object_tagging(Bucket=bucket, Key='k',
                             Tagging={'TagSet': [{'Key': 'from',
                                                  'Value': 'b'}]})
    until(lambda: s3[0].get_object_tagging(
        Bucket=bucket, Key='k')['TagSet'] == [{'Key': 'from',
                                                'Value': 'b'}],
        'tagging made on b reaches a')
    # and a keeps its bytes
    assert s3[0].get_object(Bucket=bucket, Key='k')['Body'].read() == b'v'

    s3[0].put_bucket_tagging(Bucket=bucket, Tagging={
        'TagSet': [{'Key': 'bt', 'Value': '1'}]})
    until(lambda: s3[2].get_bucket_tagging(Bucket=bucket)['TagSet']
          == [{'Key': 'bt', 'Value': '1'}], 'bucket tagging on c')


def test_multipart_completion(cluster, bucket):
    s3 = clients(cluster)
    up = s3[0].create_multipart_upload(Bucket=bucket, Key='mp')
    parts = []
    for n in (1, 2):
        body = bytes([n]) * (5 * 1024 * 1024 if n == 1 else 10)
        r = s3[0].upload_part(Bucket=bucket, Key='mp', PartNumber=n,
                              UploadId=up['UploadId'], Body=body)
        parts.append({'PartNumber': n, 'ETag': r['ETag']})
    r = s3[0].complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': parts})
    for c in s3[1:]:
        h = until(lambda c=c: head(c, bucket, 'mp'), 'multipart object')
        assert h['ETag'] == r['ETag'] and r['ETag'].endswith('-2"')
        assert h['ContentLength'] == 5 * 1024 * 1024 + 10
        until(lambda c=c: keys(c, bucket) == {'mp': r['ETag']},
              'multipart in LIST')
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object(Bucket=bucket, Key='mp', PartNumber=1)
        assert e.value.response['Error']['Code'] == 'SlowDown'


def test_user_added_on_a_signs_on_b(cluster):
    srv = cluster.nodes[0]
    u = srv.add_user(name('user'))
    c = cluster.nodes[1].client(u)
    until(lambda: c.list_buckets() is not None, 'new user accepted on b')
    s3ctl('user', 'remove', u.name, data=srv.data)

    def refused():
        try:
            c.list_buckets()
        except botocore.exceptions.ClientError as e:
            return e.response['Error']['Code'] == 'InvalidAccessKeyId'
        return False

    until(refused, 'removed user refused on b')


def test_concurrent_puts_converge(cluster, bucket):
    s3 = clients(cluster)
    for round_ in range(5):
        key = f'race-{round_}'
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            futs = [ex.submit(s3[i].put_object, Bucket=bucket, Key=key,
                              Body=f'from {i}'.encode()) for i in (0, 1)]
            etags = {f.result()['ETag'] for f in futs}

        def agreed():
            hs = [head(c, bucket, key) for c in s3]
            if None in hs:
                return None
            seen = {(h['ETag'], h['LastModified']) for h in hs}
            lists = [keys(c, bucket).get(key) for c in s3]
            return len(seen) == 1 and len(set(lists)) == 1 \
                and lists[0] == hs[0]['ETag'] and hs[0]
        h = until(agreed, f'{key}: one winner everywhere')
        assert h['ETag'] in etags


def test_partition_with_writes_on_both_sides(cluster, bucket):
    s3 = clients(cluster)
    for k in ('both', 'gone'):
        s3[0].put_object(Bucket=bucket, Key=k, Body=b'before')
    until(lambda: all(head(c, bucket, 'gone') for c in s3), 'before')
    cluster.partition(2)
    try:
        s3[0].put_object(Bucket=bucket, Key='a-side', Body=b'a')
        inside(cluster, 2, 'put', bucket, 'c-side', 'c')
        s3[0].put_object(Bucket=bucket, Key='both', Body=b'a wrote')
        time.sleep(0.01)
        inside(cluster, 2, 'put', bucket, 'both', 'c wrote later')
        inside(cluster, 2, 'delete', bucket, 'gone')
        time.sleep(1)
        assert head(s3[0], bucket, 'c-side') is None
        assert head(s3[1], bucket, 'gone') is not None
    finally:
        cluster.heal(2)

    seen = []

    def converged():
        ls = [keys(c, bucket) for c in s3]
        seen[:] = ls
        if not all(ls[0] == x for x in ls):
            return False
        for k in ls[0]:
            hs = {(h['ETag'], h['LastModified'])
                  for h in (head(c, bucket, k) for c in s3)}
            if len(hs) != 1:
                return False
        return ls[0]
    try:
        final = until(converged, 'every listing and HEAD agree after '
                      'healing', 30)
    except AssertionError:
        raise AssertionError(f'listings: {seen}')
    assert set(final) == {'a-side', 'c-side', 'both'}
    assert s3[2].get_object(Bucket=bucket,
                            Key='both')['Body'].read() == b'c wrote later'


@pytest.mark.parametrize('victim', [0, 1], ids=['sender', 'receiver'])
def test_repld_killed_in_a_stream_of_writes(cluster, bucket, victim):
    s3 = clients(cluster)
    rd = cluster.nodes[victim].repld
    written = {}
    deadline = time.monotonic() + 30
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        def writer():
            for n in range(150):
                assert time.monotonic() < deadline
                k = f'k{n:03d}'
                written[k] = s3[0].put_object(Bucket=bucket, Key=k,
                                              Body=k.encode())['ETag']
                if n % 7 == 0:
                    s3[0].delete_object(Bucket=bucket, Key=k)
                    del written[k]
        fut = ex.submit(writer)
        time.sleep(0.3)
        rd.kill()
        time.sleep(0.5)
        rd.start()
        fut.result(60)
    for i, c in enumerate(s3):
        until(lambda c=c: keys(c, bucket) == written,
              f'{cluster.names[i]} lists every acknowledged write', 30)
    cluster.wait(cluster.all_live, 'every node live again', 10)
