"""s3ctl snapshot create|restore (cli/s3ctl_snapshot.c,
core/s3_store_snapshot.c) against a real nginx + repld (own_s3):

- a snapshot taken while threads PUT, overwrite, DELETE and complete
  multipart uploads holds, for every key, a version that was acknowledged
  or being written while it ran (never one replaced before it started,
  never a key deleted before it started, every key left alone during it);
  restored into a new directory, a second nginx + repld serve exactly the
  manifest: the listing once repld's start-up reconciliation is done, and
  every object's bytes by SHA-256;
- the snapshot is made of hard links on one filesystem and of copies on
  another (a tmpfs the test mounts);
- restore refuses a directory that is not empty and a snapshot with a
  missing file, and writes nothing then.
"""

import hashlib
import os
import random
import subprocess
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.checks import unique_bucket
from lib.server import Server, s3ctl

MiB = 1024 * 1024
SEED_KEYS = 1500
LOAD_SECONDS = 4.0


def read_manifest(path):
    """(kind, fields) for each line of a MANIFEST, values decoded to
    bytes (keys) or str."""
    out = []
    for line in path.read_bytes().splitlines():
        kind, *tokens = line.split(b' ')
        fields = {}
        for t in tokens:
            name, value = t.split(b'=', 1)
            fields[name.decode()] = urllib.parse.unquote_to_bytes(value)
        out.append((kind.decode(), fields))
    return out


def manifest_objects(lines, bucket):
    """{key: (size, etag, hlc)} of bucket's object lines."""
    return {f['key'].decode(): (int(f['size']), f['etag'].decode(),
                                int(f['hlc']))
            for kind, f in lines
            if kind == 'object' and f['bucket'] == bucket.encode()}


def end_line(lines):
    assert lines[-1][0] == 'end', lines[-1]
    return {k: v.decode() for k, v in lines[-1][1].items()}


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Load:
    """Writer threads on disjoint keys for a bounded time.  history[key]
    is every change of the key in order: dicts with op (put, delete),
    start and ack (time.monotonic(); ack None while in flight or failed),
    sha and etag of a put."""

    def __init__(self, client, bucket, threads=3):
        self.client = client
        self.bucket = bucket
        self.threads = threads
        self.history = {}
        self.errors = []
        self.stop = threading.Event()
        self.workers = []

    def record(self, key, op, body=None):
        e = {'op': op, 'start': time.monotonic(), 'ack': None,
             'sha': sha(body) if body is not None else None, 'etag': None}
        self.history.setdefault(key, []).append(e)
        return e

    def put(self, key, body):
        e = self.record(key, 'put', body)
        r = self.client.put_object(Bucket=self.bucket, Key=key, Body=body)
        e['etag'] = r['ETag'].strip('"')
        e['ack'] = time.monotonic()

    def delete(self, key):
        e = self.record(key, 'delete')
        self.client.delete_object(Bucket=self.bucket, Key=key)
        e['ack'] = time.monotonic()

    def multipart(self, key, n):
        body1 = os.urandom(5 * MiB)
        body2 = f'{key} {n}'.encode() + os.urandom(100)
        e = self.record(key, 'put', body1 + body2)
        up = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        parts = []
        for i, body in enumerate((body1, body2), 1):
            r = self.client.upload_part(Bucket=self.bucket, Key=key,
                                        UploadId=up['UploadId'],
                                        PartNumber=i, Body=body)
            parts.append({'PartNumber': i, 'ETag': r['ETag']})
        r = self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=up['UploadId'],
            MultipartUpload={'Parts': parts})
        e['etag'] = r['ETag'].strip('"')
        e['ack'] = time.monotonic()

    def seed(self, keys):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: self.put(k, self.body(k, 0)), keys))

    def body(self, key, n):
        return f'{key} {n} '.encode() + os.urandom(random.randrange(8192))

    def run(self, tid, keys, deadline):
        rnd = random.Random(tid)
        n = 0
        try:
            while time.monotonic() < deadline and not self.stop.is_set():
                n += 1
                if tid == 0 and n % 10 == 0:
                    self.multipart(f'mp/{tid}', n)
                elif n % 4 == 0:
                    self.delete(rnd.choice(keys))
                elif n % 4 == 1:
                    self.put(f'new/{tid}/{n}', self.body(f'new {tid}', n))
                else:
                    key = rnd.choice(keys)
                    self.put(key, self.body(key, n))
        except Exception as e:
            self.errors.append(repr(e))

    def start(self, keys, seconds):
        deadline = time.monotonic() + seconds
        for tid in range(self.threads):
            mine = keys[tid::self.threads]
            t = threading.Thread(target=self.run, args=(tid, mine, deadline))
            t.start()
            self.workers.append(t)

    def join(self):
        for t in self.workers:
            t.join(LOAD_SECONDS + 60)
            assert not t.is_alive(), 'a writer did not stop'
        assert not self.errors, self.errors

    def check(self, objects, t0, t1):
        """objects, {key: (size, etag, hlc)} of a snapshot taken between
        t0 and t1, holds of each key a version acknowledged or in flight
        then; returns {key: sha} of the versions it holds."""
        held = {}
        assert set(objects) <= set(self.history), \
            set(objects) - set(self.history)
        for key, h in self.history.items():
            acked = [i for i, e in enumerate(h)
                     if e['ack'] is not None and e['ack'] < t0]
            first = acked[-1] if acked else 0
            window = [e for e in h[first:] if e['start'] < t1]
            if key in objects:
                etag = objects[key][1]
                match = [e for e in window
                         if e['op'] == 'put' and e['etag'] == etag]
                assert match, (key, etag, h)
                held[key] = match[-1]['sha']
            else:
                absent_ok = (not acked or h[first]['op'] == 'delete'
                             or any(e['op'] == 'delete' for e in window))
                assert absent_ok, (key, 'missing from the snapshot', h)
        return held


def start_restored(tmp_path, name):
    """nginx + repld on tmp_path/name/data, laid out by a restore; waits
    for repld's first reconciliation pass."""
    srv = Server(tmp_path / name)
    srv.start()
    deadline = time.monotonic() + 30
    while 'reconcile: pass done' not in srv.repld.log_text(0):
        assert time.monotonic() < deadline, srv.repld.log_text(0)
        time.sleep(0.05)
    return srv


def list_all(client, bucket):
    out = {}
    for page in client.get_paginator('list_objects_v2').paginate(
            Bucket=bucket):
        for o in page.get('Contents', []):
            out[o['Key']] = (o['Size'], o['ETag'].strip('"'))
    return out


def stop(srv):
    problems = srv.stop()
    assert not problems, '\n'.join(problems[:30])


def test_snapshot_under_writes_restores_every_object(own_s3, tmp_path):
    c = own_s3.client(own_s3.alice, pool=16)
    b = unique_bucket('snap')
    c.create_bucket(Bucket=b)
    load = Load(c, b)
    keys = [f'seed/{i:05d} é' for i in range(SEED_KEYS)]
    load.seed(keys)
    load.multipart('mp/0', 0)

    # an upload in progress is not part of a snapshot
    open_up = c.create_multipart_upload(Bucket=b, Key='open')
    c.upload_part(Bucket=b, Key='open', UploadId=open_up['UploadId'],
                  PartNumber=1, Body=b'in progress')

    load.start(keys, LOAD_SECONDS)
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        p = s3ctl('snapshot', 'create', tmp_path / 'snap', data=own_s3.data)
        t1 = time.monotonic()
    finally:
        load.join()

    assert 'by hard links' in p.stdout, p.stdout
    lines = read_manifest(tmp_path / 'snap' / 'MANIFEST')
    assert lines[0][0] == 'snapshot'
    end = end_line(lines)
    assert end['mode'] == 'link'
    assert int(end['objects']) == sum(k == 'object' for k, _ in lines)
    objects = manifest_objects(lines, b)
    held = load.check(objects, t0, t1)
    assert len(objects) > SEED_KEYS // 2, len(objects)
    assert objects['mp/0'][1].endswith('-2'), objects['mp/0']
    c.abort_multipart_upload(Bucket=b, Key='open',
                             UploadId=open_up['UploadId'])

    # a key nobody wrote since the seed is the seeded file itself
    quiet = next(k for k in keys if len(load.history[k]) == 1)
    src = own_s3.object_files(b, quiet)[0]
    snap_file = tmp_path / 'snap' / src.relative_to(own_s3.data)
    assert snap_file.stat().st_ino == src.stat().st_ino

    p = s3ctl('snapshot', 'restore', tmp_path / 'snap',
              tmp_path / 'restored' / 'data')
    assert f'{end["objects"]} objects' in p.stdout, p.stdout

    srv = start_restored(tmp_path, 'restored')
    try:
        r = srv.client(own_s3.alice, pool=16)
        assert list_all(r, b) == {k: (v[0], v[1])
                                  for k, v in objects.items()}
        assert r.list_multipart_uploads(Bucket=b).get('Uploads', []) == []

        def check(key):
            o = r.get_object(Bucket=b, Key=key)
            assert o['ETag'].strip('"') == objects[key][1], key
            assert sha(o['Body'].read()) == held[key], key
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(check, objects))
    finally:
        stop(srv)


@pytest.mark.skipif(os.geteuid() != 0, reason='mounting a tmpfs needs root')
def test_snapshot_to_another_filesystem_copies(own_s3, tmp_path):
    c = own_s3.client(own_s3.alice)
    b = unique_bucket('snapfs')
    c.create_bucket(Bucket=b)
    bodies = {f'k{i}': os.urandom(1000 + i) for i in range(20)}
    for k, v in bodies.items():
        c.put_object(Bucket=b, Key=k, Body=v)

    mnt = tmp_path / 'mnt'
    mnt.mkdir()
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=512m,mode=0755',
                    'ngx_s3_snap', str(mnt)], check=True, timeout=30)
    try:
        p = s3ctl('snapshot', 'create', mnt / 'snap', data=own_s3.data)
        assert 'by copies (another filesystem)' in p.stdout, p.stdout
        lines = read_manifest(mnt / 'snap' / 'MANIFEST')
        assert end_line(lines)['mode'] == 'copy'
        objects = manifest_objects(lines, b)
        assert set(objects) == set(bodies)

        src = own_s3.object_files(b, 'k0')[0]
        copy = mnt / 'snap' / src.relative_to(own_s3.data)
        assert copy.read_bytes() == src.read_bytes()
        assert copy.stat().st_dev != src.stat().st_dev

        # and back: restoring from the tmpfs copies too
        p = s3ctl('snapshot', 'restore', mnt / 'snap',
                  tmp_path / 'back' / 'data')
        assert 'by copies (another filesystem)' in p.stdout, p.stdout
    finally:
        subprocess.run(['umount', str(mnt)], check=True, timeout=30)

    srv = start_restored(tmp_path, 'back')
    try:
        r = srv.client(own_s3.alice)
        for k, v in bodies.items():
            assert r.get_object(Bucket=b, Key=k)['Body'].read() == v, k
    finally:
        stop(srv)


@pytest.fixture(scope='module')
def small_snapshot(own_s3, tmp_path_factory):
    """A snapshot of a bucket with a plain and a multipart object."""
    c = own_s3.client(own_s3.alice)
    b = unique_bucket('snapbad')
    c.create_bucket(Bucket=b)
    c.put_object(Bucket=b, Key='plain', Body=b'plain')
    up = c.create_multipart_upload(Bucket=b, Key='mp')
    r = c.upload_part(Bucket=b, Key='mp', UploadId=up['UploadId'],
                      PartNumber=1, Body=b'only part')
    c.complete_multipart_upload(
        Bucket=b, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': r['ETag']}]})
    snap = tmp_path_factory.mktemp('small') / 'snap'
    s3ctl('snapshot', 'create', snap, data=own_s3.data)
    return snap, b, up['UploadId']


def test_restore_refuses_a_directory_that_is_not_empty(small_snapshot,
                                                       tmp_path):
    snap, _, _ = small_snapshot
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'keep').write_text('mine')
    p = s3ctl('snapshot', 'restore', snap, data, check=False)
    assert p.returncode == 2, p
    assert 'is not empty' in p.stderr, p.stderr
    assert [e.name for e in data.iterdir()] == ['keep']


def test_restore_refuses_a_snapshot_with_a_missing_file(small_snapshot,
                                                        tmp_path):
    snap, b, upload_id = small_snapshot
    part = snap / 'buckets' / b / 'parts' / upload_id / '1'
    moved = tmp_path / 'part'
    os.rename(part, moved)
    try:
        p = s3ctl('snapshot', 'restore', snap, tmp_path / 'data',
                  check=False)
    finally:
        os.rename(moved, part)
    assert p.returncode == 2, p
    assert str(part) in p.stderr and 'nothing restored' in p.stderr, \
        p.stderr
    assert not (tmp_path / 'data').exists()

    # the manifest's own checks: a size that the record does not hold
    manifest = snap / 'MANIFEST'
    text = manifest.read_text()
    try:
        manifest.write_text(text.replace('key=plain size=5 ',
                                         'key=plain size=6 '))
        p = s3ctl('snapshot', 'restore', snap, tmp_path / 'data',
                  check=False)
    finally:
        manifest.write_text(text)
    assert p.returncode == 2, p
    assert 'does not match the manifest' in p.stderr, p.stderr
    assert not (tmp_path / 'data').exists()

    s3ctl('snapshot', 'restore', snap, tmp_path / 'data')


def test_snapshot_refuses_a_directory_that_is_not_empty(own_s3, tmp_path):
    (tmp_path / 'snap').mkdir()
    (tmp_path / 'snap' / 'x').write_text('x')
    p = s3ctl('snapshot', 'create', tmp_path / 'snap', data=own_s3.data,
              check=False)
    assert p.returncode == 2 and 'is not empty' in p.stderr, p
    p = s3ctl('snapshot', 'create', own_s3.data / 'snap', data=own_s3.data,
              check=False)
    assert p.returncode == 2 and 'inside the data directory' in p.stderr, p
