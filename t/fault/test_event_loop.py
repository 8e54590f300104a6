"""The event loop never waits for fsync: with fsync() and fdatasync()
made slow (t/fault/slow_fsync.c, LD_PRELOADed into nginx, 1.5 s per call
while a marker file exists), a PUT whose commit fsyncs (s3_fsync on)
takes seconds, and meanwhile GET and HEAD requests to the same, single
worker are answered within 200 ms each.  Were a sync made by the worker's
own thread, they would wait for it.
"""

import threading
import time
from pathlib import Path

from faultsrv import SLOW_FSYNC_MS
from lib import s3raw

LIMIT = 0.2                      # seconds for a GET during a slow fsync


def timed(srv, method, path, **kw):
    t0 = time.monotonic()
    r = s3raw.request(srv, srv.alice, method, path, **kw)
    return time.monotonic() - t0, r


def test_get_answered_while_commit_fsyncs(srv, shim):
    so, marker = shim
    (worker,) = srv.worker_pids()
    maps = Path(f'/proc/{worker}/maps').read_text()
    assert str(so) in maps, 'the shim is not loaded in the worker'

    assert s3raw.request(srv, srv.alice, 'PUT', '/slow').status == 200
    probe = b'p' * 4096
    assert s3raw.request(srv, srv.alice, 'PUT', '/slow/probe',
                         body=probe).status == 200

    marker.touch()
    hit = Path(str(marker) + '.hit')
    result = {}

    def put():
        result['t'], result['r'] = timed(srv, 'PUT', '/slow/big',
                                         body=b'b' * (1 << 20))

    t = threading.Thread(target=put, daemon=True)
    t.start()

    deadline = time.monotonic() + 10
    while not hit.exists():
        assert time.monotonic() < deadline, 'the PUT never reached fsync'
        assert t.is_alive(), f'the PUT ended before any fsync: {result}'
        time.sleep(0.005)

    times = []
    for _ in range(5):
        for method in ('GET', 'HEAD'):
            dt, r = timed(srv, method, '/slow/probe')
            assert r.status == 200, r
            if method == 'GET':
                assert r.body == probe
            times.append(dt)
    assert t.is_alive(), 'the PUT was not in its commit during the GETs'

    t.join(30)
    marker.unlink()
    assert not t.is_alive()
    assert result['r'].status == 200, result['r']
    assert result['t'] >= SLOW_FSYNC_MS / 1000, result['t']
    assert max(times) < LIMIT, \
        f'GET/HEAD during a slow fsync took {max(times) * 1000:.0f} ms ' \
        f'(all: {[round(x * 1000) for x in times]} ms)'
