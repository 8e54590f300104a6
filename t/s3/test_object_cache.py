"""The per-worker cache of open object files (s3_object_cache,
ngx_module/ngx_http_s3_open.c): GET and HEAD of a cached object read
through a descriptor the worker keeps, checked by one fstatat() of the
path.  A new version, new tags, a delete are seen at once by every
worker; the cache lets go of a file when it is deleted by the worker,
`inactive` after its last read, and never holds objects over `size`.
What the workers hold is read from /proc/PID/fd."""

import hashlib
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from lib import s3raw
from lib.checks import unique_bucket
from lib.server import NGINX, Server

INACTIVE = 1.0                           # s, inactive= of cached_s3


class CacheServer(Server):
    """A server with an s3_object_cache line of the test's and 2 workers
    (the default of conf/nginx.conf.in)."""

    def __init__(self, tmp, directive, head=''):
        super().__init__(tmp)
        self.directive = directive
        self.head = head

    def render(self):
        super().render()
        text = self.conf.read_text()
        text = text.replace('http {', f'http {{\n    {self.directive}', 1)
        self.conf.write_text(self.head + text)

    def worker_pids(self):
        text = Path(f'/proc/{self.proc.pid}/task/{self.proc.pid}/'
                    'children').read_text()
        return sorted(int(p) for p in text.split())

    def held(self):
        """Object files the workers hold open: (pid, target) pairs."""
        out = []
        for pid in self.worker_pids():
            for fd in os.listdir(f'/proc/{pid}/fd'):
                try:
                    target = os.readlink(f'/proc/{pid}/fd/{fd}')
                except FileNotFoundError:
                    continue
                if '/obj/' in target and target.startswith(str(self.data)):
                    out.append((pid, target))
        return out


def start(tmp_path_factory, name, directive, head=''):
    srv = CacheServer(tmp_path_factory.mktemp(name), directive, head)
    srv.start()
    srv.alice = srv.add_user('alice')
    return srv


@pytest.fixture(scope='module')
def cached_s3(tmp_path_factory):
    srv = start(tmp_path_factory, 'ngx_s3_ocache',
                f's3_object_cache max=64 size=64k '
                f'inactive={int(INACTIVE * 1000)}ms;')
    try:
        yield srv
    finally:
        assert srv.stop() == []


def get(srv, bucket, key, method='GET'):
    return s3raw.request(srv, srv.alice, method,
                         s3raw.object_path(bucket, key))


def read_everywhere(srv, bucket, key, times=8):
    """GETs on fresh connections, which land on both workers."""
    return [get(srv, bucket, key) for _ in range(times)]


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def bucket(cached_s3):
    name = unique_bucket('ocache')
    cached_s3.client(cached_s3.alice).create_bucket(Bucket=name)
    return name


def test_reads_go_through_held_files(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    cl.put_object(Bucket=bucket, Key='k', Body=b'one')
    for r in read_everywhere(cached_s3, bucket, 'k'):
        assert (r.status, r.body) == (200, b'one')
    (path,) = cached_s3.object_files(bucket, 'k')
    held = cached_s3.held()
    assert held and all(t == str(path) for _, t in held), held


def test_new_version_seen_at_once_by_every_worker(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    for i in range(20):
        body = f'version {i}'.encode() * (i + 1)
        etag = cl.put_object(Bucket=bucket, Key='k', Body=body)['ETag']
        for r in read_everywhere(cached_s3, bucket, 'k', 4):
            assert (r.status, r.body, r.header('ETag')) == (200, body, etag)
        h = get(cached_s3, bucket, 'k', 'HEAD')
        assert h.header('Content-Length') == str(len(body))


def test_same_size_rewrites_are_told_apart(cached_s3, bucket):
    """Versions of one size, written as fast as possible: the inode, not
    the size or the clock, tells them apart."""
    cl = cached_s3.client(cached_s3.alice)
    for i in range(30):
        body = b'%08d' % i
        cl.put_object(Bucket=bucket, Key='same', Body=body)
        assert get(cached_s3, bucket, 'same').body == body


def test_tags_and_acl_changes_are_seen(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    cl.put_object(Bucket=bucket, Key='t', Body=b'x')
    read_everywhere(cached_s3, bucket, 't')
    cl.put_object_tagging(Bucket=bucket, Key='t',
                          Tagging={'TagSet': [{'Key': 'a', 'Value': 'b'}]})
    for r in read_everywhere(cached_s3, bucket, 't', 4):
        assert r.header('x-amz-tagging-count') == '1'
    cl.put_object_acl(Bucket=bucket, Key='t', ACL='public-read')
    anon = s3raw.request(cached_s3, None, 'GET',
                         s3raw.object_path(bucket, 't'))
    assert (anon.status, anon.body) == (200, b'x')


def test_delete_seen_and_file_let_go(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    cl.put_object(Bucket=bucket, Key='d', Body=b'bytes')
    read_everywhere(cached_s3, bucket, 'd')
    (path,) = cached_s3.object_files(bucket, 'd')
    assert any(t == str(path) for _, t in cached_s3.held())
    cl.delete_object(Bucket=bucket, Key='d')
    for r in read_everywhere(cached_s3, bucket, 'd', 4):
        assert r.status == 404 and r.code == 'NoSuchKey'
    # whichever worker still holds it lets go within `inactive`
    wait_for(lambda: not any(str(path) in t for _, t in cached_s3.held()),
             INACTIVE * 3 + 2, 'a deleted object file is still held')


def test_idle_entries_are_closed(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    cl.put_object(Bucket=bucket, Key='idle', Body=b'z')
    read_everywhere(cached_s3, bucket, 'idle')
    (path,) = cached_s3.object_files(bucket, 'idle')
    assert any(t == str(path) for _, t in cached_s3.held())
    wait_for(lambda: not any(t == str(path) for _, t in cached_s3.held()),
             INACTIVE * 3 + 2, 'an idle entry is still open')
    assert get(cached_s3, bucket, 'idle').body == b'z'


def test_objects_of_size_are_held(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    cl.put_object(Bucket=bucket, Key='edge', Body=b'e' * 64 * 1024)
    read_everywhere(cached_s3, bucket, 'edge')
    (path,) = cached_s3.object_files(bucket, 'edge')
    assert any(t == str(path) for _, t in cached_s3.held())


def test_larger_objects_are_not_held(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    big = os.urandom(64 * 1024 + 1)
    cl.put_object(Bucket=bucket, Key='big', Body=big)
    for r in read_everywhere(cached_s3, bucket, 'big', 4):
        assert r.body == big
    (path,) = cached_s3.object_files(bucket, 'big')
    # a request closes its file just after its answer: shorter than
    # `inactive`, which a held file would stay
    wait_for(lambda: not any(t == str(path) for _, t in cached_s3.held()),
             INACTIVE / 2, 'an object over size= is held')


def test_max_entries(cached_s3, bucket):
    cl = cached_s3.client(cached_s3.alice)
    for i in range(100):
        cl.put_object(Bucket=bucket, Key=f'm{i}', Body=b'm')
    for i in range(100):
        assert get(cached_s3, bucket, f'm{i}').body == b'm'
    per_worker = {}
    for pid, _ in cached_s3.held():
        per_worker[pid] = per_worker.get(pid, 0) + 1
    assert per_worker and max(per_worker.values()) <= 64, per_worker


def test_concurrent_readers_of_a_replaced_object(cached_s3, bucket):
    """Readers on both workers while a writer replaces the object: every
    answer is one whole version, and its ETag is that version's."""
    cl = cached_s3.client(cached_s3.alice)
    versions = {}

    def put(body):
        # known before the PUT: a reader may see it before the answer
        versions[f'"{hashlib.md5(body).hexdigest()}"'] = body
        cl.put_object(Bucket=bucket, Key='c', Body=body)

    put(b'v0' * 1000)
    stop = threading.Event()
    bad = []

    def reader():
        while not stop.is_set():
            r = get(cached_s3, bucket, 'c')
            want = versions.get(r.header('ETag'))
            if r.status != 200 or r.body != want:
                bad.append((r.status, r.header('ETag'), len(r.body)))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(1, 40):
            put((b'v%d' % i) * 1000)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not bad, bad[:5]


def test_off(tmp_path_factory):
    srv = start(tmp_path_factory, 'ngx_s3_ocache_off', 's3_object_cache off;')
    try:
        name = unique_bucket('ocacheoff')
        cl = srv.client(srv.alice)
        cl.create_bucket(Bucket=name)
        cl.put_object(Bucket=name, Key='k', Body=b'k')
        for r in read_everywhere(srv, name, 'k', 4):
            assert r.body == b'k'
        # well under the default inactive=10s a held file would stay
        wait_for(lambda: srv.held() == [], 2, 'a file held with cache off')
    finally:
        assert srv.stop() == []


def test_max_lowered_to_a_quarter_of_the_open_files_limit(tmp_path_factory):
    srv = start(tmp_path_factory, 'ngx_s3_ocache_nofile',
                's3_object_cache max=1000;', 'worker_rlimit_nofile 200;\n')
    try:
        wait_for(lambda: 'lowered to 50' in srv.error_log.read_text(), 5,
                 'no notice of the lowered max')
    finally:
        assert srv.stop() == []


@pytest.mark.parametrize('args, needle', [
    ('max=0', 'invalid "s3_object_cache" parameter "max=0"'),
    ('size=1m', '"s3_object_cache" must have the "max" parameter'),
    ('max=10 inactive=0', 'invalid "s3_object_cache" parameter "inactive=0"'),
    ('max=10 bogus=1', 'invalid "s3_object_cache" parameter "bogus=1"'),
])
def test_bad_directive(tmp_path, args, needle):
    srv = CacheServer(tmp_path, f's3_object_cache {args};')
    srv.run_dir.mkdir(parents=True)
    srv.data.mkdir(parents=True)
    srv.port = 1
    srv.render()
    p = subprocess.run([NGINX, '-t', '-p', str(srv.run_dir), '-c',
                        str(srv.conf), '-e', str(srv.error_log)],
                       capture_output=True, text=True, timeout=30,
                       env=srv.nginx_env())
    assert p.returncode != 0
    assert re.search(re.escape(needle), p.stderr), p.stderr
