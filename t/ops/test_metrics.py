"""s3_metrics and s3_health on the admin listener, and maintenance mode
(ngx_http_s3_metrics.c, _probe.c, _health.c, _maintenance.c,
cli/s3ctl_maintenance.c), against a real nginx + repld of their own
(own_s3): these tests stop repld, fill the disk and refuse writes.
"""

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lib.checks import unique_bucket
from lib.server import Server, s3ctl

TOP = Path(__file__).resolve().parents[2]
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def get(url, timeout=5):
    """(status, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(srv):
    """{(name, labels): value} of one scrape of /metrics."""
    status, body = get(srv.admin_url + '/metrics')
    assert status == 200, body
    out = {}
    for line in body.splitlines():
        if not line or line.startswith('#'):
            continue
        m = LINE.match(line)
        assert m, f'not a Prometheus sample: {line!r}'
        out[(m.group(1), m.group(2) or '')] = float(m.group(3))
    return out


def value(sample, name, labels=''):
    return sample.get((name, labels), 0.0)


def ready(srv):
    status, body = get(srv.admin_url + '/health/ready')
    return status, json.loads(body)


def wait_for(cond, timeout=10, what='condition'):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f'{what}: not within {timeout}s')
        time.sleep(0.05)


@pytest.fixture
def srv(own_s3):
    """own_s3 with repld running and maintenance off, before and after."""
    if not own_s3.repld.running:
        own_s3.repld.start()
    s3ctl('maintenance', 'off', data=own_s3.data)
    yield own_s3
    s3ctl('maintenance', 'off', data=own_s3.data)
    if not own_s3.repld.running:
        own_s3.repld.start()


@pytest.fixture
def client(srv):
    return srv.client(srv.alice)


def test_counts_follow_known_traffic(srv, client):
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    n, m, body = 5, 3, b'x' * 4096

    before = scrape(srv)

    for i in range(n):
        client.put_object(Bucket=bucket, Key=f'k{i}', Body=body)
    for i in range(m):
        assert client.get_object(Bucket=bucket, Key='k0')['Body'].read() \
            == body
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket=bucket, Key='missing')
    assert e.value.response['Error']['Code'] == 'NoSuchKey'

    # the log phase runs once the answer is sent: a scrape may come first
    wait_for(lambda: value(scrape(srv), 's3_errors_total',
                           '{code="NoSuchKey"}')
             - value(before, 's3_errors_total', '{code="NoSuchKey"}') == 1
             and value(scrape(srv), 's3_request_duration_seconds_count',
                       '{op="GetObject"}')
             - value(before, 's3_request_duration_seconds_count',
                     '{op="GetObject"}') == m + 1,
             what='the last request is counted')
    after = scrape(srv)

    def diff(name, labels=''):
        return value(after, name, labels) - value(before, name, labels)

    assert diff('s3_requests_total', '{op="PutObject",status="2xx"}') == n
    assert diff('s3_requests_total', '{op="GetObject",status="2xx"}') == m
    assert diff('s3_requests_total', '{op="GetObject",status="4xx"}') == 1
    assert diff('s3_errors_total', '{code="NoSuchKey"}') == 1
    assert diff('s3_request_duration_seconds_count',
                '{op="PutObject"}') == n
    assert diff('s3_request_duration_seconds_bucket',
                '{op="GetObject",le="+Inf"}') == m + 1
    assert diff('s3_received_bytes_total') >= n * len(body)
    assert diff('s3_sent_bytes_total') >= m * len(body)
    assert value(after, 's3_repld_up') == 1
    assert value(after, 's3_disk_free_bytes') > 0

    # the catalog's figures, once repld has ingested the PUTs
    wait_for(lambda: value(scrape(srv), 's3_bucket_objects',
                           f'{{bucket="{bucket}"}}') == n,
             what='repld counts the objects')
    final = scrape(srv)
    assert value(final, 's3_bucket_bytes', f'{{bucket="{bucket}"}}') \
        == n * len(body)
    assert value(final, 's3_objects') >= n


def counts(srv, bucket):
    """(objects, bytes) of bucket, and (objects, bytes) in all, from one
    scrape."""
    s = scrape(srv)
    label = f'{{bucket="{bucket}"}}'
    return ((value(s, 's3_bucket_objects', label),
             value(s, 's3_bucket_bytes', label)),
            (value(s, 's3_objects'), value(s, 's3_bytes')))


def wait_counts(srv, bucket, want, total, what):
    """Waits for repld to count bucket as want = (objects, bytes) and all
    buckets as total."""
    return wait_for(lambda: counts(srv, bucket) == (want, total), what=what)


def test_counts_follow_overwrite_delete_and_bucket_deletion(srv, client):
    """repld keeps the counts as the catalog changes: each change moves
    them by exactly its difference, and a deleted bucket has no line."""
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    objects, size = counts(srv, bucket)[1]

    client.put_object(Bucket=bucket, Key='a', Body=b'a' * 100)
    client.put_object(Bucket=bucket, Key='b', Body=b'b' * 200)
    wait_counts(srv, bucket, (2, 300), (objects + 2, size + 300), 'puts')

    client.put_object(Bucket=bucket, Key='a', Body=b'a' * 50)
    wait_counts(srv, bucket, (2, 250), (objects + 2, size + 250),
                'an overwrite changes the bytes only')

    client.delete_object(Bucket=bucket, Key='b')
    wait_counts(srv, bucket, (1, 50), (objects + 1, size + 50), 'a delete')

    client.delete_object(Bucket=bucket, Key='a')
    client.delete_bucket(Bucket=bucket)
    wait_counts(srv, bucket, (0, 0), (objects, size), 'bucket deletion')
    assert f'bucket="{bucket}"' not in get(srv.admin_url + '/metrics')[1]


def test_counts_drop_a_recreated_buckets_old_objects(srv, client):
    """Delete the object and the bucket, create it again and put another,
    all while repld is down: the bucket's drop takes the old object out
    of the counts."""
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    objects, size = counts(srv, bucket)[1]
    client.put_object(Bucket=bucket, Key='old', Body=b'o' * 70)
    wait_counts(srv, bucket, (1, 70), (objects + 1, size + 70), 'the put')

    srv.repld.stop(signal.SIGKILL)
    client.delete_object(Bucket=bucket, Key='old')
    client.delete_bucket(Bucket=bucket)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key='new', Body=b'n' * 9)
    srv.repld.start()
    wait_counts(srv, bucket, (1, 9), (objects + 1, size + 9),
                'the new object only')


def test_counts_survive_a_restart(srv, client):
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    for i in range(3):
        client.put_object(Bucket=bucket, Key=f'k{i}', Body=b'x' * (i + 1))
    wait_for(lambda: counts(srv, bucket)[0] == (3, 6), what='the puts')
    before = counts(srv, bucket)

    off = srv.repld.log_offset()
    srv.repld.restart()
    assert counts(srv, bucket) == before
    assert 'catalog: counted ' in srv.repld.log_text(off)


def test_counts_follow_a_reconciliation_repair(srv, client):
    """A file removed behind repld's back is counted out once a pass has
    removed its entry (the restart counts the entry; the pass takes it
    out)."""
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    objects, size = counts(srv, bucket)[1]
    client.put_object(Bucket=bucket, Key='kept', Body=b'k' * 10)
    client.put_object(Bucket=bucket, Key='gone', Body=b'g' * 1000)
    wait_counts(srv, bucket, (2, 1010), (objects + 2, size + 1010),
                'the puts')

    files = srv.object_files(bucket, 'gone')
    assert files
    for f in files:
        f.unlink()

    off = srv.repld.log_offset()
    srv.repld.restart()
    wait_for(lambda: 'reconcile: pass done' in srv.repld.log_text(off),
             timeout=30, what='a reconciliation pass')
    assert counts(srv, bucket) == ((1, 10), (objects + 1, size + 10)), \
        srv.repld.log_text(off)


def test_counters_survive_reload(srv, client):
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    puts = '{op="PutObject",status="2xx"}'
    before = value(scrape(srv), 's3_requests_total', puts)

    client.put_object(Bucket=bucket, Key='k', Body=b'1')
    wait_for(lambda: value(scrape(srv), 's3_requests_total', puts)
             == before + 1, what='the PUT is counted')

    offset = srv.log_offset()
    srv.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: any('start worker process' in ln
                         for ln in srv.log_since(offset)),
             what='nginx reloads')

    client.put_object(Bucket=bucket, Key='k', Body=b'2')
    wait_for(lambda: value(scrape(srv), 's3_requests_total', puts)
             == before + 2, what='the count goes on after the reload')


def test_live_and_ready(srv):
    status, body = get(srv.admin_url + '/health/live')
    assert status == 200
    live = json.loads(body)
    assert live['status'] == 'live'
    status, doc = ready(srv)
    assert status == 200, doc
    assert doc['status'] == 'ready' and doc['reasons'] == []
    assert doc['repld'] == 'up' and doc['maintenance'] is False
    for k in ('objects', 'bytes', 'disk_used', 'disk_free'):
        assert k in doc['storage']
    assert doc['node_id'] == s3ctl('node', 'id',
                                   data=srv.data).stdout.split()[-1]


def test_ready_flips_on_repld_down(srv):
    srv.repld.stop()
    status, doc = ready(srv)
    assert status == 503
    assert 'repld unreachable' in doc['reasons']
    assert value(scrape(srv), 's3_repld_up') == 0
    assert get(srv.admin_url + '/health/live')[0] == 200
    srv.repld.start()
    assert ready(srv)[0] == 200


def test_maintenance_refuses_writes_only(srv, client):
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key='old', Body=b'kept')

    s3ctl('maintenance', 'on', '--message', 'disk swap until 14:00',
          data=srv.data)
    assert 'disk swap until 14:00' in s3ctl('maintenance', 'status',
                                            data=srv.data).stdout

    with pytest.raises(ClientError) as e:
        client.put_object(Bucket=bucket, Key='new', Body=b'refused')
    err = e.value.response
    assert err['ResponseMetadata']['HTTPStatusCode'] == 503
    assert err['Error']['Code'] == 'ServiceUnavailable'
    assert err['Error']['Message'] == 'disk swap until 14:00'
    assert err['ResponseMetadata']['HTTPHeaders']['retry-after'] == '60'
    assert srv.object_files(bucket, 'new') == []

    with pytest.raises(ClientError) as e:
        client.delete_object(Bucket=bucket, Key='old')
    assert e.value.response['Error']['Code'] == 'ServiceUnavailable'

    assert client.get_object(Bucket=bucket, Key='old')['Body'].read() \
        == b'kept'
    client.head_object(Bucket=bucket, Key='old')
    keys = [o['Key'] for o in client.list_objects_v2(
        Bucket=bucket).get('Contents', [])]
    assert keys == ['old']

    status, doc = ready(srv)
    assert status == 503
    assert 'maintenance: disk swap until 14:00' in doc['reasons']
    assert value(scrape(srv), 's3_maintenance') == 1

    # the state is a file: a restarted nginx keeps it
    assert srv.stop_nginx() == []
    srv.start(start_repld=False)
    with pytest.raises(ClientError) as e:
        client.put_object(Bucket=bucket, Key='new', Body=b'refused')
    assert e.value.response['Error']['Code'] == 'ServiceUnavailable'

    s3ctl('maintenance', 'off', data=srv.data)
    client.put_object(Bucket=bucket, Key='new', Body=b'taken')
    assert ready(srv)[0] == 200
    assert value(scrape(srv), 's3_maintenance') == 0


def test_ready_flips_on_full_disk(tmp_path):
    """A data directory on a 16 MiB tmpfs, filled past 90% and emptied."""
    srv = Server(tmp_path)
    srv.data.mkdir(parents=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=16m', 'tmpfs',
                    str(srv.data)], check=True, timeout=10)
    try:
        srv.start()
        assert ready(srv)[0] == 200
        filler = srv.data / 'filler'
        with open(filler, 'wb') as f:
            try:
                for _ in range(32):
                    f.write(b'\0' * (1 << 20))
                    f.flush()
            except OSError:
                pass
        status, doc = ready(srv)
        assert status == 503
        assert 'disk above 90%' in doc['reasons']
        assert value(scrape(srv), 's3_disk_used_ratio') >= 0.9
        filler.unlink()
        assert ready(srv)[0] == 200
    finally:
        problems = srv.stop()
        subprocess.run(['umount', str(srv.data)], timeout=10)
    assert problems == []
