"""The per-worker cache of user and bucket records (ngx_http_s3_cache.c):
while the worker's clock reads the same millisecond, a record is checked
once, yet a change is seen at once by the worker that made it, and as
soon as its clock moves by every other worker."""

import socket
import threading
import time

import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lib import s3raw
from lib.checks import unique_bucket
from lib.server import Server

COARSE = 0.1                            # timer_resolution of coarse_s3, s


class CoarseClock(Server):
    """A server whose workers' clock moves every COARSE seconds, so that a
    record checked once stays trusted that long."""

    def render(self):
        super().render()
        text = self.conf.read_text()
        self.conf.write_text(f'timer_resolution {int(COARSE * 1000)}ms;\n'
                             + text)


@pytest.fixture(scope='module')
def coarse_s3(tmp_path_factory):
    srv = CoarseClock(tmp_path_factory.mktemp('ngx_s3_coarse'))
    try:
        srv.start()
        srv.alice = srv.add_user('alice')
        yield srv
    finally:
        assert srv.stop() == []


def signed(s3, user, method, path):
    """The bytes of a signed request without a body, keep-alive."""
    host = f'127.0.0.1:{s3.port}'
    req = AWSRequest(method=method, url=f'http://{host}{path}',
                     headers={'Host': host})
    s3raw.Signer(Credentials(user.access_key, user.secret_key)).add_auth(req)
    lines = [f'{method} {path} HTTP/1.1']
    lines += [f'{k}: {v}' for k, v in req.headers.items()]
    if method in ('PUT', 'POST'):
        lines.append('Content-Length: 0')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


def answer(f, method):
    """Reads one answer from f; returns its status."""
    status = int(f.readline().split()[1])
    length = 0
    for line in iter(f.readline, b'\r\n'):
        name, value = line.split(b':', 1)
        if name.strip().lower() == b'content-length':
            length = int(value)
    if method != 'HEAD' and status != 204:
        f.read(length)
    return status


def pipeline(s3, requests):
    """Sends requests in one write on one connection (one worker, one
    turn of its event loop where it can); returns their statuses."""
    with socket.create_connection(('127.0.0.1', s3.port), 10) as sock:
        sock.sendall(b''.join(r for _, r in requests))
        with sock.makefile('rb') as f:
            return [answer(f, method) for method, _ in requests]


def own_change(s3):
    for _ in range(10):
        name = unique_bucket()
        s3.client(s3.alice).create_bucket(Bucket=name)
        head = ('HEAD', signed(s3, s3.alice, 'HEAD', f'/{name}'))
        delete = ('DELETE', signed(s3, s3.alice, 'DELETE', f'/{name}'))
        assert pipeline(s3, [head, head, delete, head, head]) \
            == [200, 200, 204, 404, 404]


def test_own_change_is_seen_by_the_next_request(s3):
    own_change(s3)


def test_own_change_is_seen_when_the_clock_is_coarse(coarse_s3):
    own_change(coarse_s3)


def test_other_process_change_with_a_coarse_clock(coarse_s3):
    s3 = coarse_s3
    name = unique_bucket('coarse')
    user = s3.add_user(name)
    s3.client(user).create_bucket(Bucket=name)
    head = ('HEAD', signed(s3, user, 'HEAD', f'/{name}'))
    assert pipeline(s3, [head] * 4) == [200] * 4
    s3.remove_user(name)
    time.sleep(COARSE * 1.5)
    assert pipeline(s3, [head] * 4) == [403] * 4


def test_other_process_change_is_seen_within_a_millisecond(s3):
    name = unique_bucket('cached')
    user = s3.add_user(name)
    c = s3.client(user)
    c.create_bucket(Bucket=name)
    get = ('HEAD', signed(s3, user, 'HEAD', f'/{name}'))
    stop = threading.Event()

    def load():
        # keeps the user's and the bucket's records hot in both workers
        while not stop.is_set():
            pipeline(s3, [get] * 20)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        s3.remove_user(name)
        time.sleep(0.002)
        for _ in range(50):
            st = s3raw.request(s3, user, 'HEAD', f'/{name}').status
            assert st == 403, st
    finally:
        stop.set()
        for t in threads:
            t.join()
