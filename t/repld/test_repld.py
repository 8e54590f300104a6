"""repld on its own: configuration, catalog, sockets, Redis check, clean
shutdown.  (Ingest and listings under nginx: t/s3/test_list*.py and
t/repld/test_catalog_faults.py.)"""

import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from lib.server import TOP, free_port, top_path
from test_uploads import (CREATE_UPLOAD, Journal, ask, frame, now_hlc, uid,
                          uploads_of)

REPLD = top_path('REPLD', 'build/repld')
AF_SP = 1
NN_PUSH = 5 * 16


def write_conf(tmp_path, text):
    conf = tmp_path / 'repld.conf'
    conf.write_text(text)
    return conf


def check(conf):
    return subprocess.run([str(REPLD), '-c', str(conf), '--check-config'],
                          capture_output=True, text=True, timeout=10)


@pytest.fixture
def data(tmp_path):
    d = tmp_path / 'data'
    d.mkdir()
    return d


class Repld:
    def __init__(self, conf, log):
        self.log = log
        self.proc = subprocess.Popen([str(REPLD), '-c', str(conf)],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)

    def wait_log(self, text, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists() and text in self.log.read_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        log = self.log.read_text() if self.log.exists() else ''
        err = self.proc.stderr.read() if self.proc.poll() is not None else ''
        raise AssertionError(f'{text!r} not logged:\n{log}{err}')

    def wait_stats(self, pattern, timeout=5):
        """Asks for the stats line (SIGUSR1) until one matches pattern."""
        deadline = time.monotonic() + timeout
        stats = []
        while time.monotonic() < deadline:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.05)
            stats = [ln for ln in self.log.read_text().splitlines()
                     if 'stats:' in ln]
            if stats and re.search(pattern, stats[-1]):
                return
        raise AssertionError(f'{pattern!r} not in the stats: {stats[-1:]}')

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(10)


@pytest.fixture
def repld(tmp_path, data):
    started = []

    def start(extra=''):
        log = tmp_path / f'repld{len(started)}.log'
        conf = write_conf(tmp_path, f'data_dir {data}\nlog_file {log}\n'
                                    f'log_level debug\n{extra}')
        r = Repld(conf, log)
        started.append(r)
        return r

    yield start
    for r in started:
        if r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()


def test_check_config_ok(tmp_path, data):
    conf = write_conf(tmp_path, f'# comment\n\n  data_dir {data}  \n'
                                'log_level info\nredis 127.0.0.1:6379\n'
                                'listen tcp://127.0.0.1:5555\n')
    p = check(conf)
    assert p.returncode == 0, p.stderr
    assert 'test is successful' in p.stderr
    assert not (data / 'catalog').exists()    # checking changes nothing


def test_sample_config_is_valid_syntax(tmp_path, data):
    text = (TOP / 'conf/repld.conf').read_text()
    text = text.replace('data_dir /var/lib/ngx_s3', f'data_dir {data}')
    p = check(write_conf(tmp_path, text))
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize('text,message', [
    ('', 'no data_dir'),
    ('data_dir /nonexistent/dir\n', 'not a directory'),
    ('data_dir {data}\nbogus 1\n', ':2: unknown directive "bogus"'),
    ('data_dir {data}\nlog_level loud\n', 'invalid log_level'),
    ('data_dir {data}\nredis localhost\n', 'invalid redis'),
    ('data_dir {data}\nredis localhost:0\n', 'invalid redis'),
    ('data_dir {data}\nredis localhost:99999\n', 'invalid redis'),
    ('data_dir {data}\nlisten http://x\n', 'must start with ipc://'),
    ('data_dir\n', 'needs a value'),
])
def test_check_config_errors(tmp_path, data, text, message):
    p = check(write_conf(tmp_path, text.format(data=data)))
    assert p.returncode == 1, p
    assert p.stderr.startswith('repld: '), p.stderr
    assert message in p.stderr, p.stderr


def test_usage_errors(tmp_path):
    for args in ([], ['-c'], ['--frob']):
        p = subprocess.run([str(REPLD), *args], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 1, (args, p)
        assert p.stderr.startswith('repld: '), p.stderr
    p = subprocess.run([str(REPLD), '-c', str(tmp_path / 'none.conf')],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert 'cannot open' in p.stderr


def journal_upload(data, key, n):
    """Journals the creation of upload uid(n) of key in bucket bkt: what
    the listing socket answers once repld has taken it in."""
    Journal(data).write(frame(CREATE_UPLOAD, 'bkt', key, now_hlc(), uid(n)))
    return (key, uid(n))


def test_start_and_sigterm(repld, data):
    """repld takes in the journal written before it started and answers
    it on its listing socket; SIGTERM stops it cleanly."""
    up = journal_upload(data, 'before', 1)
    r = repld()
    r.wait_log('started')
    assert (data / 'catalog' / 'CURRENT').is_file()
    assert (data / 'FORMAT').is_file()
    status, root = ask(data, 'uploads')
    assert status == 200, root
    assert uploads_of(root) == [up]
    assert (data / 'repld.sock').exists()
    assert (data / 'repld.hint.sock').exists()
    assert r.stop(signal.SIGTERM) == 0
    log = r.log.read_text()
    assert 'SIGTERM: shutting down' in log
    assert '[error]' not in log
    # repld_server_close() removes its socket files
    assert not (data / 'repld.list.sock').exists()
    assert not (data / 'repld.hint.sock').exists()


def test_sigint_and_restart(repld, data):
    r = repld()
    r.wait_log('started')
    up = journal_upload(data, 'k', 1)
    assert uploads_of(ask(data, 'uploads')[1]) == [up]
    assert r.stop(signal.SIGINT) == 0
    r2 = repld()                      # catalog reopened, socket rebound
    r2.wait_log('started')
    assert 'opened (new)' not in r2.log.read_text()
    assert uploads_of(ask(data, 'uploads')[1]) == [up]
    assert r2.stop() == 0


def test_one_repld_per_data_dir(repld):
    r = repld()
    r.wait_log('started')
    r2 = repld('listen ipc://' + str(r.log.parent / 'other.sock') + '\n')
    assert r2.proc.wait(10) == 1
    assert 'cannot open the catalog' in r2.log.read_text()
    assert r.proc.poll() is None
    assert r.stop() == 0


def test_hints_are_drained(repld, data):
    """The nanomsg socket takes messages (each a hint to read the journal)
    and repld counts them, and goes on taking in the journal and answering
    listings."""
    nn = ctypes.CDLL(ctypes.util.find_library('nanomsg') or 'libnanomsg.so.5')
    r = repld()
    r.wait_log('started')
    s = nn.nn_socket(AF_SP, NN_PUSH)
    assert s >= 0
    try:
        assert nn.nn_connect(s, f'ipc://{data}/repld.sock'.encode()) >= 0
        up = journal_upload(data, 'hinted', 1)
        for msg in (b'one', b'three', b'fivefive'):
            assert nn.nn_send(s, msg, len(msg), 0) == len(msg)
        r.wait_stats(r'journal 1 frames, .* hints 3$')
    finally:
        nn.nn_close(s)
    assert uploads_of(ask(data, 'uploads')[1]) == [up]
    assert r.stop() == 0
    log = r.log.read_text()
    assert '(3 hints received)' in log
    assert '[error]' not in log


def test_redis_unreachable_is_not_fatal(repld, data):
    port = free_port()
    r = repld(f'redis 127.0.0.1:{port}\n')
    r.wait_log('started')
    assert f'redis 127.0.0.1:{port}: cannot connect' in r.log.read_text()
    up = journal_upload(data, 'k', 1)
    assert uploads_of(ask(data, 'uploads')[1]) == [up]
    assert r.stop() == 0


def redis_info(port, section):
    """INFO section from the Redis on port, as a dict."""
    with socket.create_connection(('127.0.0.1', port), 5) as c:
        c.sendall(f'INFO {section}\r\n'.encode())
        buf = b''
        while b'\r\n' not in buf or len(buf) < resp_bulk_len(buf):
            chunk = c.recv(65536)
            assert chunk, buf
            buf += chunk
    lines = buf.decode().split('\r\n')[1:]
    return dict(ln.split(':', 1) for ln in lines if ':' in ln)


def resp_bulk_len(reply):
    """The length of a whole RESP bulk string reply ($N, data, CRLF)."""
    head = reply.index(b'\r\n')
    assert reply.startswith(b'$'), reply
    return head + 2 + int(reply[1:head]) + 2


def test_redis_ping(repld, tmp_path):
    """repld connects to the Redis configured and sends it a PING (seen
    from Redis's side) and says so."""
    if not shutil.which('redis-server', path='/usr/bin'):
        pytest.fail('redis-server is not installed (run auto/deps)')
    port = free_port()
    redis = subprocess.Popen(['/usr/bin/redis-server', '--port', str(port),
                              '--bind', '127.0.0.1', '--save', '',
                              '--appendonly', 'no', '--dir', str(tmp_path)],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), 0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, 'redis did not start'
                time.sleep(0.02)
        assert 'cmdstat_ping' not in redis_info(port, 'commandstats')
        r = repld(f'redis 127.0.0.1:{port}\n')
        # "started" alone also matches "reconcile: pass started", which
        # may come before the PING
        r.wait_log(f'redis 127.0.0.1:{port}: connected, PING: PONG')
        ping = redis_info(port, 'commandstats').get('cmdstat_ping', '')
        assert ping.startswith('calls=1,'), f'cmdstat_ping: {ping!r}'
        assert r.stop() == 0
    finally:
        redis.terminate()
        redis.wait(10)


def test_log_to_stderr(tmp_path, data):
    conf = write_conf(tmp_path, f'data_dir {data}\n')
    p = subprocess.Popen([str(REPLD), '-c', str(conf)],
                         stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()          # the first notice: started
    p.send_signal(signal.SIGTERM)
    rest = p.stderr.read()
    assert p.wait(10) == 0
    assert '[notice]' in line and 'started' in line, line
    assert '[debug]' not in line + rest
    assert os.path.exists(data / 'catalog')
