"""ListObjects v1 and v2 against a model of S3's listing rules
(lib/listing.py): thousands of random puts and deletes of adversarial keys
through boto3, then every combination of prefix x delimiter x max-keys x
start-after, paged all the way through (continuation tokens for v2,
markers for v1), every page compared with the model.

Seeded: LIST_SEED=N reproduces a run; the seed is in every failure
message.  LIST_OPS sets the number of operations (default 3000).
"""

import concurrent.futures
import hashlib
import itertools
import os
import random
import time

import pytest

from lib.checks import unique_bucket
from lib.listing import Model, check_v1, check_v2, ukey

SEED = int(os.environ.get('LIST_SEED', random.SystemRandom().randrange(1 << 32)))
OPS = int(os.environ.get('LIST_OPS', '3000'))
THREADS = 8

# keys whose order and roll-up S3 clients depend on
FIXED_KEYS = [
    'a', 'a/', 'a/b', 'a/b/', 'a/b/c', 'a.b/', 'a.b/c', 'a-', 'a-/x', 'a0',
    'a//b', 'a//', '/a', '/x', '//', 'a/x', 'a/xb', 'a/x/y', 'a/b/x/c',
    'ab', 'abb', 'b', 'b/x', 'bb/x', 'x/x/', 'a b', 'a+b', 'a%2Bb', '%', '+',
    ' ', 'a ', 'é', 'é/x', 'e\u0301', '日本/語', '日本/語/x', '\U0001f600',
    '\U0001f600/x', '\uff5e', '\uff5e/x', 'a\u00e9', 'Z', '~', 'a&b<c>"d\'',
    'a/\U0001f600', 'a/\uff5e', 'q?x=1', 'a.', 'a..b', '.', '..', 'a/./b',
]
ALPHABET = ['a', 'b', '/', '.', '-', '+', ' ', '%', 'é', '日', '\U0001f600',
            '\uff5e', 'x', '0', '//', '/x', 'ab']

PREFIXES = ['', 'a', 'a/', '\u00e9', 'q-no-such-prefix']
DELIMITERS = [None, '/', '.', 'b', '/x']
MAX_KEYS = [1, 2, 7, 1000]
START_AFTER = [None, 'a/', 'a/b', 'a-z', '\uff5e']


def universe(rng):
    keys = set(FIXED_KEYS)
    while len(keys) < 260:
        n = rng.randint(1, 6)
        keys.add(''.join(rng.choice(ALPHABET) for _ in range(n)))
    return sorted(keys, key=ukey)


@pytest.fixture(scope='module')
def populated(s3):
    """A bucket after OPS random puts and deletes, and its model."""
    client = s3.client(s3.alice, pool=THREADS * 2)
    rng = random.Random(SEED)
    bucket = unique_bucket('lm')
    client.create_bucket(Bucket=bucket)
    keys = universe(rng)
    ops = []
    for _ in range(OPS):
        k = rng.choice(keys)
        if rng.random() < 0.65:
            body = rng.randbytes(rng.randint(0, 24))
            ops.append(('put', k, body))
        else:
            ops.append(('delete', k, None))

    # the keys are split among threads: each key's operations stay in
    # order, so the final state is the model's whatever the interleaving
    lanes = [[] for _ in range(THREADS)]
    lane_of = {k: i % THREADS for i, k in enumerate(keys)}
    for op in ops:
        lanes[lane_of[op[1]]].append(op)

    def run(lane):
        for op, k, body in lane:
            if op == 'put':
                client.put_object(Bucket=bucket, Key=k, Body=body)
            else:
                client.delete_object(Bucket=bucket, Key=k)

    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        for f in [ex.submit(run, lane) for lane in lanes]:
            f.result()

    model = Model()
    for op, k, body in ops:
        if op == 'put':
            model.put(k, len(body), f'"{hashlib.md5(body).hexdigest()}"')
        else:
            model.delete(k)
    return client, bucket, model


def test_model_sanity():
    """The model itself, on the examples of the AWS documentation and the
    orderings S3 clients rely on."""
    m = Model()
    for k in ['a', 'a/', 'a/b', 'a.b/', 'a-', 'a0', 'sample.jpg',
              'photos/2006/January/sample.jpg',
              'photos/2006/February/sample2.jpg',
              'photos/2006/February/sample3.jpg']:
        m.put(k, 1, '"x"')
    assert m.sorted_keys()[:6] == ['a', 'a-', 'a.b/', 'a/', 'a/b', 'a0']
    assert m.all_entries('photos/2006/', '/') == [
        ('P', 'photos/2006/February/'), ('P', 'photos/2006/January/')]
    assert m.all_entries('', '/') == [
        ('K', 'a'), ('K', 'a-'), ('P', 'a.b/'), ('P', 'a/'), ('K', 'a0'),
        ('P', 'photos/'), ('K', 'sample.jpg')]
    # resuming after a common prefix skips its keys
    assert m.all_entries('', '/', marker='a/')[0] == ('K', 'a0')
    c, p, t, last = m.page('', '/', 4)
    assert (c, p, t, last) == ([('a', 1, '"x"'), ('a-', 1, '"x"')],
                               ['a.b/', 'a/'], True, 'a/')
    assert m.all_entries('', 'b/', None)[:3] == [
        ('K', 'a'), ('K', 'a-'), ('P', 'a.b/')]
    assert ukey('\uff5e') < ukey('\U0001f600')


@pytest.mark.parametrize('version', ['v2', 'v1'])
def test_listing_matrix(populated, version):
    client, bucket, model = populated
    combos = list(itertools.product(PREFIXES, DELIMITERS, MAX_KEYS,
                                    START_AFTER))
    check = check_v2 if version == 'v2' else check_v1
    start = time.monotonic()

    def one(combo):
        prefix, delim, mk, sa = combo
        try:
            return check(client, bucket, model, prefix, delim, mk, sa)
        except AssertionError as e:
            raise AssertionError(f'LIST_SEED={SEED} {version} '
                                 f'prefix={prefix!r} delimiter={delim!r} '
                                 f'max_keys={mk} start_after={sa!r}: '
                                 f'{e}') from None

    failures = []
    requests = 0
    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        for combo, fut in zip(combos, [ex.submit(one, c) for c in combos]):
            try:
                requests += fut.result()
            except AssertionError as e:
                failures.append(str(e))
    elapsed = time.monotonic() - start
    print(f'LIST_SEED={SEED}: {len(combos)} combinations, {requests} '
          f'requests in {elapsed:.1f}s, {len(model.objects)} keys')
    assert not failures, (f'{len(failures)} of {len(combos)} combinations '
                          f'failed (LIST_SEED={SEED}); the first ones:\n'
                          + '\n\n'.join(failures[:5]))


def test_bucket_order_is_binary_utf8(populated):
    """The whole bucket in one listing: binary UTF-8 order, every key with
    its size and ETag."""
    client, bucket, model = populated
    r = client.list_objects_v2(Bucket=bucket)
    got = [(c['Key'], c['Size'], c['ETag']) for c in r.get('Contents', [])]
    want = [(k,) + model.objects[k] for k in model.sorted_keys()]
    assert not r['IsTruncated']
    assert got == want, f'LIST_SEED={SEED}'
