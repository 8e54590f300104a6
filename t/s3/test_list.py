"""ListObjects v1 and ListObjectsV2 answered from repld's catalog: the
parameters one by one, the XML on the wire, errors, read-your-writes
across workers and pagination while other clients change the bucket."""

import concurrent.futures
import datetime
import random
import threading
import time
from urllib.parse import quote, unquote_plus

import pytest

from lib import s3raw
from lib.checks import assert_raw_error, etag, s3_error, unique_bucket
from lib.listing import Model, check_v1, check_v2, list_all_keys, ukey

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'


def raw_list(s3, bucket, user=None, **params):
    """GET /bucket?params (raw); returns the Response.  Values are
    percent-encoded here; pass list_type='2' for v2."""
    q = '&'.join(f'{k.replace("_", "-")}={quote(str(v), safe="")}'
                 for k, v in sorted(params.items()))
    return s3raw.request(s3, user or s3.alice, 'GET', f'/{bucket}', query=q)


def parse_result(resp):
    """A ListBucketResult as a dict: scalar children as text, Contents as
    a list of dicts (Owner as a dict), CommonPrefixes as a list of str."""
    assert resp.status == 200, resp
    root = resp.xml()
    assert root.tag == NS + 'ListBucketResult', resp.body[:300]
    out = {'Contents': [], 'CommonPrefixes': []}
    for child in root:
        tag = s3raw.strip_ns(child.tag)
        if tag == 'Contents':
            c = {}
            for f in child:
                ftag = s3raw.strip_ns(f.tag)
                if ftag == 'Owner':
                    c['Owner'] = {s3raw.strip_ns(o.tag): o.text for o in f}
                else:
                    c[ftag] = f.text or ''
            out['Contents'].append(c)
        elif tag == 'CommonPrefixes':
            out['CommonPrefixes'].append(child.find(NS + 'Prefix').text or '')
        else:
            assert tag not in out, f'{tag} twice in {resp.body[:500]!r}'
            out[tag] = child.text or ''
    return out


def put_keys(client, bucket, keys, body=None):
    def one(k):
        client.put_object(Bucket=bucket, Key=k,
                          Body=body if body is not None else k.encode())
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(one, keys))


@pytest.fixture(scope='module')
def pooled(s3):
    """alice's client with a connection pool for threads."""
    return s3.client(s3.alice, pool=16)


# basics


def test_empty_bucket(s3, alice, bucket):
    r = alice.list_objects_v2(Bucket=bucket)
    assert r['KeyCount'] == 0
    assert r['IsTruncated'] is False
    assert 'Contents' not in r and 'CommonPrefixes' not in r
    assert r['Name'] == bucket
    r = alice.list_objects(Bucket=bucket)
    assert r['IsTruncated'] is False
    assert 'Contents' not in r


def test_contents_fields(s3, alice, bucket):
    before = datetime.datetime.now(datetime.timezone.utc)
    alice.put_object(Bucket=bucket, Key='k1', Body=b'hello')
    alice.put_object(Bucket=bucket, Key='k0', Body=b'')
    after = datetime.datetime.now(datetime.timezone.utc)
    r = alice.list_objects_v2(Bucket=bucket)
    assert r['KeyCount'] == 2
    assert [c['Key'] for c in r['Contents']] == ['k0', 'k1']
    c0, c1 = r['Contents']
    assert (c0['Size'], c0['ETag']) == (0, etag(b''))
    assert (c1['Size'], c1['ETag']) == (5, etag(b'hello'))
    for c in r['Contents']:
        # LastModified has second (or ms) precision
        assert before - datetime.timedelta(seconds=2) <= c['LastModified'] \
            <= after + datetime.timedelta(seconds=2), c
        assert c['StorageClass'] == 'STANDARD'
        assert 'Owner' not in c          # v2: only with fetch-owner
    assert r['MaxKeys'] == 1000
    assert r['Name'] == bucket
    assert r['Prefix'] == ''


def test_overwrite_and_delete_are_listed(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='k', Body=b'one')
    alice.put_object(Bucket=bucket, Key='k', Body=b'second')
    r = alice.list_objects_v2(Bucket=bucket)
    assert [(c['Key'], c['Size'], c['ETag']) for c in r['Contents']] == \
        [('k', 6, etag(b'second'))]
    alice.delete_object(Bucket=bucket, Key='k')
    r = alice.list_objects_v2(Bucket=bucket)
    assert r['KeyCount'] == 0 and 'Contents' not in r


def test_binary_utf8_order(s3, alice, bucket):
    keys = ['a/b', 'a.b/', 'a-', 'a', 'a/', 'a0', 'A', '\U0001f600',
            '\uff5e', '\u00e9', 'e\u0301', 'a b', 'a+b', 'a%', '~', ' ']
    put_keys(alice, bucket, keys)
    r = alice.list_objects_v2(Bucket=bucket)
    assert [c['Key'] for c in r['Contents']] == sorted(keys, key=ukey)
    r = alice.list_objects_v2(Bucket=bucket, Delimiter='/')
    m = Model()
    for k in keys:
        m.put(k, 0, '')
    want = m.all_entries('', '/')
    assert [c['Key'] for c in r['Contents']] == \
        [n for kind, n in want if kind == 'K']
    assert [p['Prefix'] for p in r['CommonPrefixes']] == \
        [n for kind, n in want if kind == 'P']


def test_bucket_recreated_is_empty(s3, alice, new_bucket_name):
    b = new_bucket_name
    alice.create_bucket(Bucket=b)
    put_keys(alice, b, ['x', 'y/z'])
    for k in ('x', 'y/z'):
        alice.delete_object(Bucket=b, Key=k)
    alice.delete_bucket(Bucket=b)
    alice.create_bucket(Bucket=b)
    r = alice.list_objects_v2(Bucket=b)
    assert r['KeyCount'] == 0 and 'Contents' not in r, r
    alice.put_object(Bucket=b, Key='new', Body=b'')
    assert list_all_keys(alice, b) == ['new']


def test_long_key(s3, alice, bucket):
    key = 'k/' + 'x' * 1020 + 'yz'          # 1024 bytes, the maximum
    alice.put_object(Bucket=bucket, Key=key, Body=b'1')
    assert list_all_keys(alice, bucket) == [key]
    r = alice.list_objects_v2(Bucket=bucket, StartAfter=key[:-1])
    assert [c['Key'] for c in r['Contents']] == [key]


def test_no_such_bucket(s3, alice, new_bucket_name):
    with s3_error('NoSuchBucket', 404):
        alice.list_objects_v2(Bucket=new_bucket_name)
    with s3_error('NoSuchBucket', 404):
        alice.list_objects(Bucket=new_bucket_name)


def test_other_users_bucket_is_access_denied(s3, bob, bucket):
    with s3_error('AccessDenied', 403):
        bob.list_objects_v2(Bucket=bucket)
    with s3_error('AccessDenied', 403):
        bob.list_objects(Bucket=bucket)


def test_virtual_host_list(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='v/h', Body=b'')
    r = s3.vhost_client(s3.alice).request('GET', bucket,
                                          query='delimiter=%2F&list-type=2')
    res = parse_result(r)
    assert res['Name'] == bucket
    assert res['CommonPrefixes'] == ['v/']
    assert res['KeyCount'] == '1'


# max-keys, KeyCount, IsTruncated


@pytest.fixture(scope='module')
def big_bucket(s3, pooled):
    """1,005 keys k0000..k1004."""
    b = unique_bucket('big')
    pooled.create_bucket(Bucket=b)
    keys = [f'k{i:04d}' for i in range(1005)]
    put_keys(pooled, b, keys, body=b'')
    return b, keys


def test_max_keys_default_is_1000(s3, pooled, big_bucket):
    b, keys = big_bucket
    r = pooled.list_objects_v2(Bucket=b)
    assert r['KeyCount'] == 1000 and r['MaxKeys'] == 1000
    assert r['IsTruncated'] is True
    assert [c['Key'] for c in r['Contents']] == keys[:1000]
    r2 = pooled.list_objects_v2(Bucket=b,
                                ContinuationToken=r['NextContinuationToken'])
    assert [c['Key'] for c in r2['Contents']] == keys[1000:]
    assert r2['IsTruncated'] is False and r2['KeyCount'] == 5


def test_max_keys_over_1000_is_capped(s3, pooled, big_bucket):
    b, keys = big_bucket
    for v2 in (True, False):
        if v2:
            r = pooled.list_objects_v2(Bucket=b, MaxKeys=5000)
            assert r['KeyCount'] == 1000
        else:
            r = pooled.list_objects(Bucket=b, MaxKeys=5000)
        assert len(r['Contents']) == 1000, v2
        assert r['IsTruncated'] is True, v2
    r = pooled.list_objects(Bucket=b, MaxKeys=5000)
    # v1 without delimiter: resume from the last key
    r2 = pooled.list_objects(Bucket=b, Marker=r['Contents'][-1]['Key'])
    assert [c['Key'] for c in r2['Contents']] == keys[1000:]


def test_key_count_counts_prefixes(s3, alice, bucket):
    put_keys(alice, bucket, ['a/1', 'a/2', 'b', 'c/1', 'd'])
    r = alice.list_objects_v2(Bucket=bucket, Delimiter='/', MaxKeys=3)
    assert [c['Key'] for c in r['Contents']] == ['b']
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['a/', 'c/']
    assert r['KeyCount'] == 3 and r['IsTruncated'] is True
    r = alice.list_objects_v2(Bucket=bucket, Delimiter='/', MaxKeys=3,
                              ContinuationToken=r['NextContinuationToken'])
    assert [c['Key'] for c in r['Contents']] == ['d']
    assert r['KeyCount'] == 1 and r['IsTruncated'] is False
    assert 'CommonPrefixes' not in r


def test_truncated_exactly_at_the_end(s3, alice, bucket):
    put_keys(alice, bucket, ['a', 'b', 'c'])
    r = alice.list_objects_v2(Bucket=bucket, MaxKeys=3)
    assert r['IsTruncated'] is False and r['KeyCount'] == 3
    assert 'NextContinuationToken' not in r
    r = alice.list_objects(Bucket=bucket, MaxKeys=3, Delimiter='/')
    assert r['IsTruncated'] is False and 'NextMarker' not in r


def test_v1_next_marker_is_a_common_prefix(s3, alice, bucket):
    put_keys(alice, bucket, ['asdf', 'boo/bar', 'boo/baz/xyzzy',
                             'cquux/thud', 'cquux/bla'])
    r = alice.list_objects(Bucket=bucket, Delimiter='/', MaxKeys=1)
    assert [c['Key'] for c in r['Contents']] == ['asdf']
    assert r['NextMarker'] == 'asdf' and r['IsTruncated'] is True
    r = alice.list_objects(Bucket=bucket, Delimiter='/', MaxKeys=1,
                           Marker=r['NextMarker'])
    assert 'Contents' not in r
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['boo/']
    assert r['NextMarker'] == 'boo/' and r['IsTruncated'] is True
    r = alice.list_objects(Bucket=bucket, Delimiter='/', MaxKeys=1,
                           Marker=r['NextMarker'])
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['cquux/']
    assert r['IsTruncated'] is False and 'NextMarker' not in r


# start-after, continuation tokens


def test_start_after(s3, alice, bucket):
    put_keys(alice, bucket, ['a', 'b', 'c/d', 'e'])
    got = lambda r: [c['Key'] for c in r.get('Contents', [])]   # noqa: E731
    assert got(alice.list_objects_v2(Bucket=bucket, StartAfter='a')) == \
        ['b', 'c/d', 'e']
    assert got(alice.list_objects_v2(Bucket=bucket, StartAfter='b0')) == \
        ['c/d', 'e']
    assert got(alice.list_objects_v2(Bucket=bucket, StartAfter='e')) == []
    assert got(alice.list_objects_v2(Bucket=bucket, StartAfter='zzz')) == []
    assert got(alice.list_objects_v2(Bucket=bucket, StartAfter='')) == \
        ['a', 'b', 'c/d', 'e']
    # a start-after before the prefix excludes nothing
    assert got(alice.list_objects_v2(Bucket=bucket, Prefix='c/',
                                     StartAfter='a')) == ['c/d']
    r = alice.list_objects_v2(Bucket=bucket, StartAfter='a', MaxKeys=1)
    assert r['StartAfter'] == 'a'
    # the token wins over start-after
    r = alice.list_objects_v2(Bucket=bucket, StartAfter='a', MaxKeys=1,
                              ContinuationToken=r['NextContinuationToken'])
    assert got(r) == ['c/d'] and r['StartAfter'] == 'a'


def test_continuation_token_is_opaque_and_stable(s3, alice, bucket):
    put_keys(alice, bucket, ['t/1', 't/2', 't/3'])
    r = alice.list_objects_v2(Bucket=bucket, MaxKeys=1)
    tok = r['NextContinuationToken']
    assert tok and 't/1' not in tok, tok        # not the key in clear
    for _ in range(2):     # the same token answers the same page twice
        r2 = alice.list_objects_v2(Bucket=bucket, MaxKeys=1,
                                   ContinuationToken=tok)
        assert [c['Key'] for c in r2['Contents']] == ['t/2']
        assert r2['ContinuationToken'] == tok


def test_continuation_survives_deletion_of_last_key(s3, alice, bucket):
    put_keys(alice, bucket, ['a', 'b', 'c'])
    r = alice.list_objects_v2(Bucket=bucket, MaxKeys=2)
    alice.delete_object(Bucket=bucket, Key='b')
    r = alice.list_objects_v2(Bucket=bucket, MaxKeys=2,
                              ContinuationToken=r['NextContinuationToken'])
    assert [c['Key'] for c in r['Contents']] == ['c']


# errors


@pytest.mark.parametrize('query', [
    'list-type=2&max-keys=abc',
    'list-type=2&max-keys=-1',
    'list-type=2&max-keys=1x',
    'list-type=2&max-keys=99999999999999999999999',
    'max-keys=abc',
    'list-type=2&continuation-token=not-a-token',
    'list-type=2&encoding-type=base64',
    'encoding-type=bogus',
])
def test_invalid_arguments(s3, bucket, query):
    r = s3raw.request(s3, s3.alice, 'GET', f'/{bucket}', query=query)
    assert_raw_error(r, 'InvalidArgument', 400)


def test_invalid_token_via_boto3(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='x', Body=b'')
    for tok in ('AAAA', 'x' * 2000, '%%%'):
        with s3_error('InvalidArgument', 400):
            alice.list_objects_v2(Bucket=bucket, ContinuationToken=tok)


def test_token_of_other_bucket_is_rejected_or_harmless(s3, alice, bucket):
    """A token minted for another bucket must not leak or crash: a token
    only names the key to resume after (repld_list_token_encode()), so
    this bucket's listing resumes after that key."""
    other = unique_bucket()
    alice.create_bucket(Bucket=other)
    put_keys(alice, other, ['o1', 'o2'])
    put_keys(alice, bucket, ['b1', 'b2', 'p3'])
    tok = alice.list_objects_v2(Bucket=other, MaxKeys=1)[
        'NextContinuationToken']
    r = alice.list_objects_v2(Bucket=bucket, ContinuationToken=tok)
    assert [c['Key'] for c in r.get('Contents', [])] == ['p3'], r


# encoding-type=url, XML escaping, fetch-owner

ENC_KEYS = ['a+b', 'a b', 'a%2Bb', 'c\u00e9/\u65e5', '\U0001f600', 'x&y<z>',
            'q"\'', 'p?q=1#f', 'tab\there', 'plus+/space /x',
            'ctl\x01\x1fx']     # not representable in XML 1.0: url only


def test_encoding_type_url_via_boto3(s3, alice, bucket):
    """botocore asks for encoding-type=url and decodes with unquote_plus:
    a '+' must come back as %2B, a space as '+' or %20."""
    put_keys(alice, bucket, ENC_KEYS)
    r = alice.list_objects_v2(Bucket=bucket)
    assert [c['Key'] for c in r['Contents']] == sorted(ENC_KEYS, key=ukey)
    r = alice.list_objects_v2(Bucket=bucket, Delimiter=' ', Prefix='plus+')
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['plus+/space ']
    assert r['Prefix'] == 'plus+' and r['Delimiter'] == ' '
    # v1 paged with markers holding '+' and spaces
    m = Model()
    for k in ENC_KEYS:
        m.put(k, len(k.encode()), etag(k.encode()))
    for delim in (None, '+', ' ', '/'):
        check_v1(alice, bucket, m, None, delim, 1, None)
        check_v2(alice, bucket, m, None, delim, 1, None)


def test_encoding_type_url_raw(s3, alice, bucket):
    put_keys(alice, bucket, ENC_KEYS)
    for v in ('2', '1'):
        params = {'encoding_type': 'url', 'delimiter': ' ', 'prefix': 'plus+'}
        if v == '2':
            params['list_type'] = '2'
            params['start_after'] = 'plus'
        res = parse_result(raw_list(s3, bucket, **params))
        assert res.get('EncodingType') == 'url'
        assert unquote_plus(res['Prefix']) == 'plus+'
        assert '+' not in res['Prefix'], res['Prefix']      # %2B
        assert unquote_plus(res['Delimiter']) == ' '
        assert ' ' not in res['Delimiter']
        assert [unquote_plus(p) for p in res['CommonPrefixes']] == \
            ['plus+/space ']
        if v == '2':
            assert unquote_plus(res['StartAfter']) == 'plus'
    res = parse_result(raw_list(s3, bucket, list_type='2',
                                encoding_type='url'))
    keys = [c['Key'] for c in res['Contents']]
    assert [unquote_plus(k) for k in keys] == sorted(ENC_KEYS, key=ukey)
    for enc in keys:
        assert enc.isascii(), enc
        assert ' ' not in enc and '\t' not in enc and '\x01' not in enc, enc
    enc = dict(zip([unquote_plus(k) for k in keys], keys))
    assert '%2B' in enc['a+b'], enc['a+b']
    assert enc['a%2Bb'] in ('a%252Bb',), enc['a%2Bb']
    # v1 marker echoed encoded
    res = parse_result(raw_list(s3, bucket, encoding_type='url', marker='a+b',
                                max_keys=1, delimiter='/'))
    assert unquote_plus(res['Marker']) == 'a+b' and '+' not in res['Marker']
    assert unquote_plus(res['NextMarker']) == \
        unquote_plus(res['Contents'][0]['Key'] if res['Contents']
                     else res['CommonPrefixes'][0])


def test_xml_escaping_without_encoding_type(s3, alice, bucket):
    keys = ['x&y<z>', 'q"\'', 'c\u00e9/\u65e5', 'a b', 'a+b']
    put_keys(alice, bucket, keys)
    for v in ('2', '1'):
        params = {'list_type': '2'} if v == '2' else {}
        res = parse_result(raw_list(s3, bucket, **params))
        assert 'EncodingType' not in res
        assert [c['Key'] for c in res['Contents']] == sorted(keys, key=ukey)
        assert res['IsTruncated'] == 'false'
    res = parse_result(raw_list(s3, bucket, list_type='2', delimiter='<',
                                prefix='x&'))
    assert res['Prefix'] == 'x&' and res['Delimiter'] == '<'
    assert res['CommonPrefixes'] == ['x&y<']


def test_raw_v2_document(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='d/k', Body=b'abc')
    r = raw_list(s3, bucket, list_type='2', max_keys='5', delimiter='/')
    assert r.header('Content-Type').startswith('application/xml'), r.headers
    assert r.header('x-amz-request-id')
    res = parse_result(r)
    assert res['Name'] == bucket
    assert res['Prefix'] == ''
    assert res['MaxKeys'] == '5'
    assert res['KeyCount'] == '1'
    assert res['Delimiter'] == '/'
    assert res['IsTruncated'] == 'false'
    assert res['CommonPrefixes'] == ['d/']
    assert res['Contents'] == []
    assert 'NextContinuationToken' not in res
    res = parse_result(raw_list(s3, bucket, list_type='2'))
    c = res['Contents'][0]
    assert c['Key'] == 'd/k' and c['Size'] == '3'
    assert c['ETag'] == etag(b'abc')
    assert c['StorageClass'] == 'STANDARD'
    assert datetime.datetime.strptime(c['LastModified'],
                                      '%Y-%m-%dT%H:%M:%S.%fZ')


def test_fetch_owner(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='o', Body=b'')
    owner = alice.list_buckets()['Owner']
    r = alice.list_objects_v2(Bucket=bucket)
    assert 'Owner' not in r['Contents'][0]
    r = alice.list_objects_v2(Bucket=bucket, FetchOwner=True)
    assert r['Contents'][0]['Owner'] == owner, (r['Contents'][0], owner)
    r = alice.list_objects_v2(Bucket=bucket, FetchOwner=False)
    assert 'Owner' not in r['Contents'][0]
    # v1 always has the owner
    r = alice.list_objects(Bucket=bucket)
    assert r['Contents'][0]['Owner'] == owner


# read-your-writes, pagination under change


def test_read_your_writes_across_connections(s3, bucket):
    """PUT then LIST on a new connection each (nginx runs 2 workers, so
    either may take each): the listing has the key; DELETE then LIST: it
    has not."""
    rng = random.Random()
    for i in range(150):
        key = f'ryw/{i:03d}/{rng.randrange(1 << 30)}'
        r = s3raw.request(s3, s3.alice, 'PUT', s3raw.object_path(bucket, key),
                          body=b'x')
        assert r.status == 200, r
        res = parse_result(raw_list(s3, bucket, list_type='2',
                                    prefix=f'ryw/{i:03d}/'))
        assert [c['Key'] for c in res['Contents']] == [key], \
            f'iteration {i}: PUT {key} returned 200, then LIST: {res}'
        r = s3raw.request(s3, s3.alice, 'DELETE',
                          s3raw.object_path(bucket, key))
        assert r.status == 204, r
        res = parse_result(raw_list(s3, bucket, prefix=f'ryw/{i:03d}/'))
        assert res['Contents'] == [], \
            f'iteration {i}: DELETE {key} returned 204, then LIST (v1): {res}'


def test_read_your_writes_concurrent_writers(s3, pooled, bucket):
    """Several threads each PUT then immediately LIST their own key."""
    errors = []

    def worker(t):
        for i in range(40):
            key = f'w{t}/{i:03d}'
            pooled.put_object(Bucket=bucket, Key=key, Body=b'')
            got = [c['Key'] for c in pooled.list_objects_v2(
                Bucket=bucket, Prefix=key).get('Contents', [])]
            if got != [key]:
                errors.append(f'PUT {key} then LIST prefix={key}: {got}')
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        list(ex.map(worker, range(6)))
    assert not errors, errors[:5]
    assert len(list_all_keys(pooled, bucket)) == 240


@pytest.mark.parametrize('version,delimiter', [
    ('v2', None), ('v1', None), ('v2', '/'), ('v1', '/')])
def test_pagination_while_keys_change(s3, pooled, version, delimiter):
    """Paging (5 entries a page) while a thread adds and deletes other
    keys: no entry twice, every key that existed throughout listed, order
    increasing."""
    b = unique_bucket('pg')
    pooled.create_bucket(Bucket=b)
    # stable keys: even numbers, in 40 "dirs"; churn: odd numbers
    stable = [f'd{i % 40:02d}/k{i:04d}' for i in range(0, 800, 2)]
    put_keys(pooled, b, stable, body=b'')
    stable_set = set(stable)
    stop = threading.Event()
    churned = set()
    errors = []

    def churn():
        rng = random.Random()
        live = []
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if live and rng.random() < 0.45:
                    k = live.pop(rng.randrange(len(live)))
                    pooled.delete_object(Bucket=b, Key=k)
                else:
                    i = rng.randrange(1, 800, 2)
                    k = f'd{i % 40:02d}/k{i:04d}' if rng.random() < 0.5 \
                        else f'n{rng.randrange(40):02d}/x{i}'
                    pooled.put_object(Bucket=b, Key=k, Body=b'')
                    live.append(k)
                    churned.add(k)
            except Exception as e:   # noqa: BLE001
                errors.append(repr(e))
                return

    t = threading.Thread(target=churn, daemon=True)
    t.start()
    try:
        seen = []
        prefixes = []
        token = marker = None
        pages = 0
        while True:
            kw = {'Bucket': b, 'MaxKeys': 5}
            if delimiter:
                kw['Delimiter'] = delimiter
            if version == 'v2':
                if token:
                    kw['ContinuationToken'] = token
                r = pooled.list_objects_v2(**kw)
            else:
                if marker:
                    kw['Marker'] = marker
                r = pooled.list_objects(**kw)
            pages += 1
            assert pages < 1000, 'no end to the listing'
            keys = [c['Key'] for c in r.get('Contents', [])]
            cps = [p['Prefix'] for p in r.get('CommonPrefixes', [])]
            seen += keys
            prefixes += cps
            if not r['IsTruncated']:
                break
            if version == 'v2':
                token = r['NextContinuationToken']
            else:
                marker = r.get('NextMarker') or keys[-1]
    finally:
        stop.set()
        t.join(35)
    assert not errors, errors
    assert len(seen) == len(set(seen)), \
        f'keys listed twice: {[k for k in set(seen) if seen.count(k) > 1]}'
    assert len(prefixes) == len(set(prefixes)), f'prefixes twice: {prefixes}'
    entries = sorted(seen + prefixes, key=ukey)
    if delimiter is None:
        assert seen == sorted(seen, key=ukey), 'keys out of order'
        missing = stable_set - set(seen)
        assert not missing, f'{len(missing)} stable keys skipped: ' \
                            f'{sorted(missing)[:10]}'
        extra = set(seen) - stable_set - churned
        assert not extra, f'keys never written listed: {sorted(extra)[:10]}'
    else:
        dirs = {k.split('/')[0] + '/' for k in stable}
        assert dirs <= set(prefixes), sorted(dirs - set(prefixes))
        assert not seen, seen
        assert prefixes == [e for e in entries if e in set(prefixes)]
    assert len(churned) > 0
