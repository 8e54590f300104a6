"""Faults of repld under a live nginx (a separate nginx + repld pair,
`own_s3`, so that the session's repld is never touched):

- repld stopped or killed: LIST answers 503 ServiceUnavailable within a
  second, naming repld; GET, PUT, DELETE, ListBuckets go on;
- repld restarted: listings are complete again, changes made while it was
  down included, with no manual step;
- repld killed -9 at random moments while it ingests a large backlog: after
  a final restart the listing equals the model;
- the journal stays bounded: workers rotate at s3_journal_size and repld
  deletes the sealed files it applied;
- a worker killed between the journal append and the rename of an abort
  or completion leaves the upload whole in mpu/: the next reconciliation
  pass lists it again (the frame's "x" entry does not hide it).

FAULT_SEED=N reproduces the random kill moments.
"""

import concurrent.futures
import hashlib
import os
import random
import signal
import time

import pytest
from botocore.exceptions import ClientError

from lib import s3raw
from lib.checks import etag, unique_bucket
from lib.listing import Model, check_v1, check_v2, list_all_keys
from lib.server import module_directive
from test_uploads import ABORT_UPLOAD, COMPLETE_UPLOAD, Journal, frame, \
    now_hlc

SEED = int(os.environ.get('FAULT_SEED',
                          random.SystemRandom().randrange(1 << 32)))
WORKERS = 2                    # worker_processes in conf/nginx.conf.in
LIST_TIMEOUT = 2.0 if module_directive('s3_list_timeout') else None


@pytest.fixture
def srv(own_s3):
    """own_s3 with its repld running at the start and at the end of the
    test, whatever the test did to it."""
    if not own_s3.repld.running:
        own_s3.repld.start()
    yield own_s3
    if own_s3.repld.running:
        return
    own_s3.repld.start()


@pytest.fixture
def client(srv):
    return srv.client(srv.alice, pool=16)


def parallel(fn, items, threads=8):
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        return list(ex.map(fn, items))


def list_error(client, bucket, v2=True):
    """Runs one LIST expected to fail; returns (error response, seconds)."""
    t0 = time.monotonic()
    with pytest.raises(ClientError) as ei:
        if v2:
            client.list_objects_v2(Bucket=bucket)
        else:
            client.list_objects(Bucket=bucket)
    return ei.value.response, time.monotonic() - t0


def assert_unavailable(resp, elapsed, bound=1.0):
    code = resp['Error']['Code']
    status = resp['ResponseMetadata']['HTTPStatusCode']
    msg = resp['Error'].get('Message', '')
    assert (status, code) == (503, 'ServiceUnavailable'), resp
    assert 'repld' in msg, f'the message does not name repld: {msg!r}'
    assert elapsed < bound, f'503 after {elapsed:.2f}s (bound {bound}s)'


@pytest.mark.parametrize('how', ['sigterm', 'sigkill'])
def test_repld_down_list_503_data_path_works(srv, client, how):
    b = unique_bucket('down')
    client.create_bucket(Bucket=b)
    client.put_object(Bucket=b, Key='before', Body=b'1')
    client.put_object(Bucket=b, Key='gone', Body=b'2')
    assert list_all_keys(client, b) == ['before', 'gone']

    srv.repld.stop(signal.SIGTERM if how == 'sigterm' else signal.SIGKILL)

    for v2 in (True, False):
        resp, elapsed = list_error(client, b, v2)
        assert_unavailable(resp, elapsed)
    # raw: an S3 error document
    t0 = time.monotonic()
    r = s3raw.request(srv, srv.alice, 'GET', f'/{b}', query='list-type=2')
    assert time.monotonic() - t0 < 1.0
    assert r.status == 503 and r.code == 'ServiceUnavailable', r

    # the data path goes on
    client.put_object(Bucket=b, Key='while-down', Body=b'wd')
    client.put_object(Bucket=b, Key='before', Body=b'overwritten')
    client.delete_object(Bucket=b, Key='gone')
    assert client.get_object(Bucket=b, Key='while-down')['Body'].read() == \
        b'wd'
    assert client.head_object(Bucket=b, Key='before')['ContentLength'] == 11
    client.head_bucket(Bucket=b)
    names = [x['Name'] for x in client.list_buckets()['Buckets']]
    assert b in names
    b2 = unique_bucket('down2')
    client.create_bucket(Bucket=b2)
    client.put_object(Bucket=b2, Key='k', Body=b'')
    assert b2 in [x['Name'] for x in client.list_buckets()['Buckets']]

    srv.repld.start()
    # complete at once after the restart: no manual step, no waiting
    r = client.list_objects_v2(Bucket=b)
    assert [(c['Key'], c['Size']) for c in r['Contents']] == \
        [('before', 11), ('while-down', 2)], r.get('Contents')
    assert r['Contents'][0]['ETag'] == etag(b'overwritten')
    assert list_all_keys(client, b2) == ['k']


def test_list_503_fast_without_socket(srv, client):
    """The socket file gone too (repld never started on this node)."""
    b = unique_bucket('nosock')
    client.create_bucket(Bucket=b)
    srv.repld.stop()
    sock = srv.repld.sock
    if sock.exists():
        sock.unlink()
    resp, elapsed = list_error(client, b)
    assert_unavailable(resp, elapsed)


def test_list_repld_hung_times_out(srv, client):
    """repld stopped (SIGSTOP) with its socket open: the LIST gives up
    after s3_list_timeout with a 503, and works again once repld goes on."""
    b = unique_bucket('hung')
    client.create_bucket(Bucket=b)
    client.put_object(Bucket=b, Key='k', Body=b'')
    bound = (LIST_TIMEOUT or 10.0) + 1.5
    os.kill(srv.repld.pid, signal.SIGSTOP)
    try:
        resp, elapsed = list_error(client, b)
        assert_unavailable(resp, elapsed, bound)
        client.put_object(Bucket=b, Key='k2', Body=b'')   # not blocked
    finally:
        os.kill(srv.repld.pid, signal.SIGCONT)
    assert list_all_keys(client, b) == ['k', 'k2']


def test_repld_restart_during_listing_pages(srv, client):
    """A paged listing across a repld restart: the token still works."""
    b = unique_bucket('tok')
    client.create_bucket(Bucket=b)
    keys = [f'k{i:03d}' for i in range(30)]
    parallel(lambda k: client.put_object(Bucket=b, Key=k, Body=b''), keys)
    r = client.list_objects_v2(Bucket=b, MaxKeys=10)
    srv.repld.restart()
    got = [c['Key'] for c in r['Contents']]
    while r['IsTruncated']:
        r = client.list_objects_v2(
            Bucket=b, MaxKeys=10, ContinuationToken=r['NextContinuationToken'])
        got += [c['Key'] for c in r['Contents']]
    assert got == keys


def test_kill9_while_ingesting_backlog(srv, client):
    """5,000 changes made while repld is down, then repld killed -9 a few
    times at random moments while it catches up; after a final restart the
    listing is the model's."""
    rng = random.Random(SEED)
    b = unique_bucket('backlog')
    client.create_bucket(Bucket=b)
    model = Model()
    # a few keys listed before the outage, some deleted during it
    first = [f'pre/{i:03d}' for i in range(50)]
    parallel(lambda k: client.put_object(Bucket=b, Key=k, Body=b'p'), first)
    for k in first:
        model.put(k, 1, etag(b'p'))
    assert list_all_keys(client, b) == sorted(first)

    srv.repld.stop(signal.SIGKILL)
    keys = [f'd{i % 97:02d}/{rng.randrange(1 << 40):010x}-{i}'
            for i in range(5000)]

    def put(k):
        body = hashlib.sha1(k.encode()).digest()[:len(k) % 17]
        client.put_object(Bucket=b, Key=k, Body=body)
        return k, body
    t0 = time.monotonic()
    for k, body in parallel(put, keys, threads=16):
        model.put(k, len(body), etag(body))
    doomed = first[::3] + keys[::50]
    parallel(lambda k: client.delete_object(Bucket=b, Key=k), doomed)
    for k in doomed:
        model.delete(k)
    fill = time.monotonic() - t0

    kills = []
    for _ in range(4):
        delay = rng.uniform(0.0, 0.4)
        srv.repld.start(wait=False)
        time.sleep(delay)           # the random moment of the kill
        kills.append((round(delay, 3), srv.repld.pid))
        srv.repld.kill()
    srv.repld.start()
    t0 = time.monotonic()
    got = list_all_keys(client, b)
    caught_up = time.monotonic() - t0
    want = model.sorted_keys()
    if got != want:
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        pytest.fail(f'FAULT_SEED={SEED} kills (delay, pid) {kills}: '
                    f'{len(got)} keys listed, {len(want)} expected; '
                    f'missing {missing[:5]} ({len(missing)}), '
                    f'extra {extra[:5]} ({len(extra)})')
    # sizes and ETags too, with and without a delimiter
    check_v2(client, b, model, None, None, 1000, None)
    check_v1(client, b, model, 'd1', '/', 7, None)
    print(f'FAULT_SEED={SEED} fill {fill:.1f}s, kills {kills}, '
          f'first listing after restart {caught_up:.2f}s')


def test_kill9_while_writing(srv, client):
    """repld killed -9 at random moments while PUTs and DELETEs go on;
    every acknowledged change is listed in the end."""
    rng = random.Random(SEED + 1)
    b = unique_bucket('live')
    client.create_bucket(Bucket=b)
    model = Model()
    kills = []

    def writer(lane):
        done = []
        r = random.Random(SEED + 100 + lane)
        for i in range(300):
            k = f'l{lane}/{i:04d}'
            client.put_object(Bucket=b, Key=k, Body=b'v')
            done.append(('put', k))
            if i % 5 == 4:
                victim = f'l{lane}/{r.randrange(i):04d}'
                client.delete_object(Bucket=b, Key=victim)
                done.append(('delete', victim))
        return done

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        futs = [ex.submit(writer, lane) for lane in range(4)]
        while not all(f.done() for f in futs):
            time.sleep(rng.uniform(0.05, 0.3))
            kills.append(srv.repld.pid)
            srv.repld.kill()
            srv.repld.start(wait=rng.random() < 0.5)
        for f in futs:
            for op, k in f.result():
                if op == 'put':
                    model.put(k, 1, etag(b'v'))
                else:
                    model.delete(k)
    if not srv.repld.running:
        srv.repld.start()
    srv.repld.wait_ready()
    assert len(kills) > 0
    got = list_all_keys(client, b)
    want = model.sorted_keys()
    assert got == want, (f'FAULT_SEED={SEED}: {len(kills)} kills; '
                         f'missing {sorted(set(want) - set(got))[:5]}, '
                         f'extra {sorted(set(got) - set(want))[:5]}')


def journal_bytes(data):
    d = data / 'journal'
    return sum(p.stat().st_size for p in d.iterdir() if p.is_file()), \
        sorted(p.name for p in d.iterdir())


def test_journal_is_bounded(srv, client):
    """With s3_journal_size 256k, writing far more than that (1 KiB keys)
    leaves at most a few files' worth on disk once repld caught up."""
    limit = 256 * 1024
    assert srv.journal_size == '256k'
    b = unique_bucket('jnl')
    client.create_bucket(Bucket=b)
    keys = [f'{i:05d}/' + 'j' * 1000 for i in range(4000)]
    parallel(lambda k: client.put_object(Bucket=b, Key=k, Body=b''), keys,
             threads=16)
    written = len(keys) * (len(keys[0]) + 60)
    assert written > 12 * limit
    # read-your-writes: this listing waits until everything is applied
    assert len(list_all_keys(client, b)) == len(keys)
    # an open file per worker (< limit + one frame), sealed files not yet
    # deleted; repld deletes the applied ones
    bound = 3 * limit * WORKERS
    deadline = time.monotonic() + 10
    while True:
        total, names = journal_bytes(srv.data)
        if total <= bound:
            break
        if time.monotonic() > deadline:
            pytest.fail(f'DATA/journal holds {total} bytes in {len(names)} '
                        f'files after {written} bytes written; bound {bound} '
                        f'(s3_journal_size {limit}, {WORKERS} workers): '
                        f'{names[:20]}')
        time.sleep(0.1)
    # the trimmed files were applied: everything is still listed
    assert list_all_keys(client, b, prefix='03') == \
        [k for k in keys if k.startswith('03')]


def test_journal_not_trimmed_while_repld_down(srv, client):
    """Files are deleted only once applied: with repld down, rotated files
    stay, and repld applies them all after a restart."""
    b = unique_bucket('jdown')
    client.create_bucket(Bucket=b)
    srv.repld.stop()
    keys = [f'{i:05d}/' + 'q' * 1000 for i in range(800)]
    parallel(lambda k: client.put_object(Bucket=b, Key=k, Body=b''), keys,
             threads=16)
    total, names = journal_bytes(srv.data)
    assert total >= len(keys) * 1000, (total, names)
    srv.repld.start()
    assert list_all_keys(client, b) == keys


def test_list_buckets_without_repld(srv, client):
    b = unique_bucket('lb')
    client.create_bucket(Bucket=b)
    before = client.list_buckets()
    srv.repld.stop(signal.SIGKILL)
    during = client.list_buckets()
    assert during['Buckets'] == before['Buckets']
    assert during['Owner'] == before['Owner']
    client.delete_bucket(Bucket=b)
    assert b not in [x['Name'] for x in client.list_buckets()['Buckets']]
    srv.repld.start()
    after = client.list_buckets()
    assert b not in [x['Name'] for x in after['Buckets']]
    from botocore.exceptions import ClientError as CE
    with pytest.raises(CE) as ei:
        client.list_objects_v2(Bucket=b)
    assert ei.value.response['Error']['Code'] == 'NoSuchBucket'


def test_bucket_deleted_while_repld_down(srv, client):
    """A bucket emptied, deleted and recreated while repld is down lists
    empty afterwards (its old keys are not resurrected)."""
    b = unique_bucket('bd')
    client.create_bucket(Bucket=b)
    client.put_object(Bucket=b, Key='old', Body=b'')
    assert list_all_keys(client, b) == ['old']
    srv.repld.stop(signal.SIGKILL)
    client.delete_object(Bucket=b, Key='old')
    client.delete_bucket(Bucket=b)
    client.create_bucket(Bucket=b)
    client.put_object(Bucket=b, Key='new', Body=b'')
    srv.repld.start()
    assert list_all_keys(client, b) == ['new']


def uploads_listed(client, bucket):
    r = client.list_multipart_uploads(Bucket=bucket)
    return {u['UploadId']: u['Key'] for u in r.get('Uploads', [])}


def reconcile(srv):
    """Restarts repld and waits for the end of its first pass."""
    off = srv.repld.log_offset()
    srv.repld.restart()
    # a pass takes well under a second here; the bound is for a loaded CI
    deadline = time.monotonic() + 30
    while 'reconcile: pass done' not in srv.repld.log_text(off):
        assert time.monotonic() < deadline, srv.repld.log_text(off)
        time.sleep(0.05)
    return srv.repld.log_text(off)


@pytest.mark.parametrize('op', [COMPLETE_UPLOAD, ABORT_UPLOAD],
                         ids=['complete', 'abort'])
def test_upload_whose_end_was_killed_is_listed_again(srv, client, op):
    """The state a worker killed during CompleteMultipartUpload (or
    AbortMultipartUpload) leaves after its journal append and before its
    rename: the frame is applied (the upload ends in the catalog) while
    mpu/<id> is whole and the object is the old one.  A pass lists the
    upload again; an upload completed for real whose directory is still
    in mpu/ (killed after publishing) stays unlisted."""
    b = unique_bucket('killed')
    client.create_bucket(Bucket=b)
    client.put_object(Bucket=b, Key='k', Body=b'old')
    part = b'p' * 1000

    done = client.create_multipart_upload(Bucket=b, Key='done')['UploadId']
    e = client.upload_part(Bucket=b, Key='done', UploadId=done,
                           PartNumber=1, Body=part)['ETag']
    client.complete_multipart_upload(
        Bucket=b, Key='done', UploadId=done,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})
    (srv.data / 'buckets' / b / 'parts' / done).rename(
        srv.data / 'buckets' / b / 'mpu' / done)

    uid = client.create_multipart_upload(Bucket=b, Key='k')['UploadId']
    e = client.upload_part(Bucket=b, Key='k', UploadId=uid, PartNumber=1,
                           Body=part)['ETag']
    Journal(srv.data).write(frame(op, b, 'k', now_hlc(), uid,
                                  size=len(part), parts=1))
    assert uploads_listed(client, b) == {}       # the frame is applied

    log = reconcile(srv)
    assert uploads_listed(client, b) == {uid: 'k'}, log
    assert f'upload "{b}" {uid} listed again' in log
    assert client.get_object(Bucket=b, Key='k')['Body'].read() == b'old'
    got = client.list_objects_v2(Bucket=b)['Contents']
    assert [(o['Key'], o['Size'], o['ETag']) for o in got] == \
        [('done', len(part), got[0]['ETag']), ('k', 3, etag(b'old'))]

    # a second pass changes nothing
    assert uploads_listed(client, b) == {uid: 'k'}, reconcile(srv)

    # the upload works, and ends for good
    client.complete_multipart_upload(
        Bucket=b, Key='k', UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})
    assert client.get_object(Bucket=b, Key='k')['Body'].read() == part
    # the completed one: an abort finishes its rename, NoSuchUpload
    with pytest.raises(ClientError) as ei:
        client.abort_multipart_upload(Bucket=b, Key='done', UploadId=done)
    assert ei.value.response['Error']['Code'] == 'NoSuchUpload'
    assert uploads_listed(client, b) == {}, reconcile(srv)
    assert not (srv.data / 'buckets' / b / 'mpu' / uid).exists()
    assert not (srv.data / 'buckets' / b / 'mpu' / done).exists()


def test_no_problems_logged(srv):
    """repld's log from all the above: no crash or sanitizer report (the
    guard checks each test; this one reads the whole log once more)."""
    assert srv.repld.bad_lines(0) == []
