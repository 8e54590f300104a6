"""The data path part of `make bench`: ngx_s3 against plain nginx.

Two nginx instances on this machine, the same /usr/sbin/nginx, the same
http settings (2 worker processes, `sendfile on`, `aio threads`, thread
pool of 8, `client_body_buffer_size 128k`, no access log):

- ngx_s3: the module on one data directory, served twice: port A with
  `s3_fsync off` (compared with nginx, which does not fsync) and port C
  with `s3_fsync on` (the default; its figure is shown beside).  repld
  is not running: the data path never waits for it, and the hints the
  workers send after each PUT fail at once (ENOENT) and are dropped;
- plain nginx (port B): the same objects as static files under `root`,
  PUT through ngx_http_dav_module (`dav_methods PUT;
  create_full_put_path on;`).

Load: wrk (2 threads, 32 connections, BENCH_SECONDS per run, default 5)
with t/bench/replay.lua, which replays prepared requests, one per key,
cycling.  HEAD is replayed by t/bench/headload.c instead (same request
file, threads and connections): wrk 4.1 cannot do HEAD (wg/wrk#198).
ngx_s3's requests are presigned URLs made by boto3
(generate_presigned_url, SigV4 in the query string, valid for an hour):
every replayed request is fully checked by the module, one SHA-256 of
the canonical request and the HMAC of the signature, as an S3 client's
shared links or a CDN's origin fetches would be.  A presigned PUT signs
UNSIGNED-PAYLOAD, so the module hashes each body once, with MD5 (the
ETag); the bench URLs are made afresh before every wrk run.

Workloads, each run A B (C) in turn, BENCH_ROUNDS rounds (default 3);
each figure is the median of the rounds:

    GET 4 KiB (1,000 keys), HEAD 4 KiB (same keys), GET 1 MiB (100 keys),
    GET 64 MiB (1 key), PUT 4 KiB (1,000 keys), PUT 1 MiB (100 keys)

BENCH_S3_EXTRA adds directives to ngx_s3's locations (s3_audit_log's cost
was measured with it: docs/PERFORMANCE.md).

Before the timed runs, a few requests of every workload are sent with
http.client and their status and bodies checked; a wrk run with a
non-2xx answer fails the bench.  Peak RSS: VmHWM of each worker at the
end (the workers live through every run), and after each workload of
the first round, which shows whether it grows with the object size.
"""

import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / 't'))

import boto3                                     # noqa: E402
from botocore.config import Config               # noqa: E402

from lib.server import MODULE, NGINX, REGION, s3ctl  # noqa: E402

SECONDS = int(os.environ.get('BENCH_SECONDS', '5'))
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))
CONNECTIONS = int(os.environ.get('BENCH_CONNECTIONS', '32'))
WRK_THREADS = int(os.environ.get('BENCH_WRK_THREADS', '2'))
WORKERS = 2
BUCKET = 'bench'
REPLAY = TOP / 't' / 'bench' / 'replay.lua'
HEADLOAD = TOP / 'build' / 'bench-headload'

KIB = 1024
MIB = 1024 * 1024

# name, method, key prefix, keys, object size, target ratio
WORKLOADS = [
    ('GET 4 KiB', 'GET', 'g4k', 1000, 4 * KIB, 0.85),
    ('HEAD 4 KiB', 'HEAD', 'g4k', 1000, 4 * KIB, 0.90),
    ('GET 1 MiB', 'GET', 'g1m', 100, MIB, 0.95),
    ('GET 64 MiB', 'GET', 'g64m', 1, 64 * MIB, 0.95),
    ('PUT 4 KiB', 'PUT', 'p4k', 1000, 4 * KIB, 0.80),
    ('PUT 1 MiB', 'PUT', 'p1m', 100, MIB, 0.90),
]

# BENCH_S3_EXTRA: more directives in ngx_s3's locations, to measure what
# one costs (e.g. "s3_audit_log /tmp/audit.log;")
EXTRA = os.environ.get('BENCH_S3_EXTRA', '')

# BENCH_WORKLOADS: a comma-separated subset of the names above, to explore
ONLY = [w for w in os.environ.get('BENCH_WORKLOADS', '').split(',') if w]
if ONLY:
    WORKLOADS = [w for w in WORKLOADS if w[0] in ONLY]

BAD_LOG = re.compile(r'\[(alert|crit|emerg)\]')


def log(msg):
    print(f'bench: {msg}', flush=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def user_line():
    return 'root root' if os.geteuid() == 0 else ''


COMMON = """
daemon off;
master_process on;
worker_processes {workers};
{user}
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;

thread_pool default threads=8;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    sendfile on;
    aio threads;

    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    merge_slashes off;
    client_max_body_size 5g;
    client_body_buffer_size 128k;

{servers}
}}
"""

S3_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            s3_store {data};
            s3_fsync {fsync};
            {extra}
        }}
    }}
"""

PLAIN_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            root {root};
            dav_methods PUT;
            create_full_put_path on;
        }}
    }}
"""


class Nginx:
    """One nginx (master + WORKERS workers) with a configuration of ours."""

    def __init__(self, name, work, servers, module=False):
        self.name = name
        self.dir = work / name
        self.dir.mkdir(parents=True)
        self.conf = self.dir / 'nginx.conf'
        text = COMMON.format(workers=WORKERS,
                             user=f'user {user_line()};' if user_line()
                             else '',
                             dir=self.dir, servers=servers)
        if module:
            text = f'load_module {MODULE};\n' + text
        self.conf.write_text(text)
        self.proc = None

    def start(self, port):
        self.proc = subprocess.Popen(
            [NGINX, '-p', str(self.dir), '-c', str(self.conf),
             '-e', str(self.dir / 'error.log')],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.dir / 'stderr', 'wb'))
        deadline = time.monotonic() + 10
        import socket
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.name}: nginx exited: '
                                   + (self.dir / 'stderr').read_text())
            try:
                socket.create_connection(('127.0.0.1', port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f'{self.name}: nginx does not listen')
                time.sleep(0.05)
        deadline = time.monotonic() + 10
        while len(self.workers()) < WORKERS:
            if time.monotonic() > deadline:
                raise RuntimeError(f'{self.name}: workers did not start')
            time.sleep(0.05)

    def workers(self):
        try:
            text = Path(f'/proc/{self.proc.pid}/task/{self.proc.pid}/'
                        'children').read_text()
        except FileNotFoundError:
            return []
        return [int(p) for p in text.split()]

    def cpu_ns(self):
        """CPU time the workers and their thread pools have run, ns
        (schedstat: exact, where the ticks of /proc/PID/stat are 10 ms).
        A thread that ended in between is not counted: nginx's pool
        threads live as long as their worker."""
        total = 0
        for pid in self.workers():
            for task in Path(f'/proc/{pid}/task').iterdir():
                try:
                    total += int((task / 'schedstat').read_text().split()[0])
                except FileNotFoundError:
                    pass
        return total

    def peak_rss(self):
        """VmHWM of each worker, MiB."""
        out = []
        for pid in self.workers():
            with open(f'/proc/{pid}/status') as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        out.append(int(line.split()[1]) / 1024)
        return sorted(out)

    def stop(self):
        """Stops nginx; returns the [alert]/[crit]/[emerg] lines logged."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        try:
            text = (self.dir / 'error.log').read_text(errors='replace')
        except FileNotFoundError:
            return []
        return [ln for ln in text.splitlines() if BAD_LOG.search(ln)]


class Presigner:
    """Presigned URLs of one user, made by boto3 as an application
    would make them."""

    OPS = {'GET': 'get_object', 'HEAD': 'head_object', 'PUT': 'put_object',
           'BUCKET': 'create_bucket'}

    def __init__(self, access_key, secret_key):
        self.session = boto3.session.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            region_name=REGION)
        self.clients = {}

    def target(self, port, method, key=None):
        """path?query of a presigned URL for method on key (None: the
        bucket itself, for CreateBucket)."""
        c = self.clients.get(port)
        if c is None:
            c = self.session.client(
                's3', endpoint_url=f'http://127.0.0.1:{port}',
                config=Config(signature_version='s3v4',
                              s3={'addressing_style': 'path'}))
            self.clients[port] = c
        params = {'Bucket': BUCKET}
        if key is None:
            method = 'BUCKET'
        else:
            params['Key'] = key
        url = c.generate_presigned_url(self.OPS[method], Params=params,
                                       ExpiresIn=3600)
        return url[len(f'http://127.0.0.1:{port}'):]


def send(port, method, path, headers, body=b''):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    try:
        conn.putrequest(method, path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body or method == 'PUT':
            conn.putheader('Content-Length', str(len(body)))
        conn.endheaders(body if body else None)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class Bench:
    def __init__(self, work):
        self.work = work
        self.data = work / 'data'
        self.root = work / 'root'
        self.bodies = {}
        self.objects = {}               # prefix -> list of bytes per key
        self.results = {}               # (workload, side) -> [run dicts]
        self.peaks = {}                 # (workload, side) -> VmHWM, MiB

    # set-up

    def start(self):
        self.data.mkdir(parents=True)
        (self.root / BUCKET).mkdir(parents=True)
        self.port_a, self.port_b, self.port_c = (free_port(), free_port(),
                                                 free_port())
        s3_servers = (S3_SERVER.format(port=self.port_a, data=self.data,
                                       fsync='off', extra=EXTRA)
                      + S3_SERVER.format(port=self.port_c, data=self.data,
                                         fsync='on', extra=EXTRA))
        self.s3 = Nginx('ngx_s3', self.work, s3_servers, module=True)
        self.plain = Nginx('nginx', self.work,
                           PLAIN_SERVER.format(port=self.port_b,
                                               root=self.root))
        self.s3.start(self.port_a)
        self.plain.start(self.port_b)
        p = s3ctl('user', 'add', 'bench', data=self.data)
        keys = dict(line.split(' ', 1) for line in p.stdout.splitlines()
                    if line)
        self.signer = Presigner(keys['access_key'], keys['secret_key'])

    def stop(self):
        problems = []
        for n in (getattr(self, 's3', None), getattr(self, 'plain', None)):
            if n is not None:
                problems += [f'{n.name}: {ln}' for ln in n.stop()]
        return problems

    def s3_request(self, method, key=None, body=b''):
        host = {'Host': f'127.0.0.1:{self.port_a}'}
        return send(self.port_a, method,
                    self.signer.target(self.port_a, method, key), host, body)

    def fill(self):
        """The same objects in both: PUT into ngx_s3, files for nginx."""
        st, body = self.s3_request('PUT')
        if st != 200:
            raise RuntimeError(f'CreateBucket: {st} {body[:300]!r}')
        rnd = os.urandom(64 * MIB + 1000 * 4 * KIB)
        seen = set()
        for _, method, prefix, nkeys, size, _ in WORKLOADS:
            body = rnd[:size]
            self.bodies[prefix] = self.work / f'body-{prefix}'
            self.bodies[prefix].write_bytes(body)
            if method == 'PUT' or prefix in seen:
                continue
            seen.add(prefix)
            objs = []
            for i in range(nkeys):
                data = rnd[i * 4 * KIB:i * 4 * KIB + size] \
                    if size <= 4 * KIB else \
                    rnd[i * 4096:i * 4096 + size]
                key = f'{prefix}/{i:06d}'
                st, out = self.s3_request('PUT', key, data)
                if st != 200:
                    raise RuntimeError(f'PUT {key}: {st} {out[:300]!r}')
                f = self.root / BUCKET / prefix / f'{i:06d}'
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(data)
                objs.append(data)
            self.objects[prefix] = objs

    # requests

    def requests(self, side, method, prefix, nkeys):
        """Writes the request file of one wrk run; returns its path."""
        port = {'a': self.port_a, 'b': self.port_b, 'c': self.port_c}[side]
        lines = []
        for i in range(nkeys):
            key = f'{prefix}/{i:06d}'
            if side == 'b':
                target = f'/{BUCKET}/{key}'
            else:
                target = self.signer.target(port, method, key)
            lines.append(f'{method}\t{target}\tHost: 127.0.0.1:{port}')
        f = self.work / f'req-{side}-{method}-{prefix}'
        f.write_text('\n'.join(lines) + '\n')
        return f

    def check(self):
        """A few requests of every workload with http.client: right
        status, right bytes."""
        for name, method, prefix, nkeys, size, _ in WORKLOADS:
            for side, port in (('a', self.port_a), ('b', self.port_b),
                               ('c', self.port_c)):
                f = self.requests(side, method, prefix, min(nkeys, 3))
                for i, line in enumerate(f.read_text().splitlines()):
                    fields = line.split('\t')
                    headers = dict(x.split(': ', 1) for x in fields[2:])
                    body = self.bodies[prefix].read_bytes() \
                        if method == 'PUT' else b''
                    st, out = send(port, fields[0], fields[1], headers, body)
                    ok = 200 <= st < 300
                    if ok and method == 'GET':
                        ok = out == self.objects[prefix][i]
                    if ok and method == 'HEAD':
                        ok = out == b''
                    if not ok:
                        raise RuntimeError(f'{name} on {side}: {st} '
                                           f'{out[:300]!r}')

    # runs

    def wrk(self, side, method, prefix, nkeys):
        port = {'a': self.port_a, 'b': self.port_b, 'c': self.port_c}[side]
        reqs = self.requests(side, method, prefix, nkeys)
        body = str(self.bodies[prefix]) if method == 'PUT' else ''
        if method == 'HEAD':
            # wrk 4.1 waits for the body a HEAD answer announces (wg/wrk
            # issue #198): t/bench/headload.c replays the same requests
            cmd = [str(HEADLOAD), '127.0.0.1', str(port), str(SECONDS),
                   str(WRK_THREADS), str(CONNECTIONS), str(reqs)]
        else:
            cmd = ['wrk', f'-t{WRK_THREADS}', f'-c{CONNECTIONS}',
                   f'-d{SECONDS}s', '--timeout', '30s', '--latency',
                   '-s', str(REPLAY), f'http://127.0.0.1:{port}/', '--',
                   str(reqs), body]
        ngx = self.plain if side == 'b' else self.s3
        cpu = ngx.cpu_ns()
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=SECONDS + 120)
        cpu = ngx.cpu_ns() - cpu
        if p.returncode != 0:
            raise RuntimeError(f'wrk failed: {p.stderr}{p.stdout}')
        r = parse_wrk(p.stdout)
        r['cpu_us'] = cpu / 1000 / r['requests'] if r['requests'] else 0
        return r

    def run(self):
        total = ROUNDS * sum(3 if w[1] == 'PUT' else 2 for w in WORKLOADS)
        log(f'{total} wrk runs of {SECONDS} s ({ROUNDS} rounds, A B '
            f'interleaved)')
        for rnd in range(ROUNDS):
            for name, method, prefix, nkeys, size, _ in WORKLOADS:
                sides = ('a', 'b', 'c') if method == 'PUT' else ('a', 'b')
                for side in sides:
                    r = self.wrk(side, method, prefix, nkeys)
                    if r['non2xx'] or r['errors'].get('timeout'):
                        raise RuntimeError(
                            f'{name} on {side}: {r["non2xx"]} non-2xx '
                            f'answers, socket errors {r["errors"]}')
                    self.results.setdefault((name, side), []).append(r)
                    if rnd == 0:
                        ngx = self.plain if side == 'b' else self.s3
                        self.peaks[(name, side)] = max(ngx.peak_rss())
                    log(f'round {rnd + 1} {name:<10} {side}: '
                        f'{r["rps"]:>10,.0f} req/s  p50 {r["p50"]:.2f} ms'
                        f'  p99 {r["p99"]:.2f} ms'
                        f'  worker CPU {r["cpu_us"]:.1f} us/req')

    def rows(self):
        """(measure, ngx_s3, nginx, ratio, notes) rows."""
        rows = []
        for name, method, prefix, nkeys, size, target in WORKLOADS:
            a = self.results[(name, 'a')]
            b = self.results[(name, 'b')]
            ra = statistics.median(r['rps'] for r in a)
            rb = statistics.median(r['rps'] for r in b)
            ratio = ra / rb if rb else 0
            mark = '' if ratio >= target else '  MISSED'
            p50a = statistics.median(r['p50'] for r in a)
            p50b = statistics.median(r['p50'] for r in b)
            cpua = statistics.median(r['cpu_us'] for r in a)
            cpub = statistics.median(r['cpu_us'] for r in b)
            notes = [f'{nkeys} key{"s" if nkeys > 1 else ""}',
                     f'p50 {p50a:.2f} / {p50b:.2f} ms',
                     f'worker CPU {cpua:.1f} / {cpub:.1f} us/req']
            if size >= MIB:
                notes.append(f'{ra * size / MIB:,.0f} / '
                             f'{rb * size / MIB:,.0f} MiB/s')
            if method == 'PUT':
                c = self.results[(name, 'c')]
                rc = statistics.median(r['rps'] for r in c)
                notes.append(f's3_fsync on: {rc:,.0f} req/s '
                             f'({rc / rb if rb else 0:.2f}x)')
            spread = (max(r['rps'] for r in a) - min(r['rps'] for r in a)) \
                / ra * 100 if ra else 0
            notes.append(f'ngx_s3 spread {spread:.0f}%')
            label = name + (' (s3_fsync off vs dav)' if method == 'PUT'
                            else '')
            rows.append((label, f'{ra:,.0f} req/s', f'{rb:,.0f} req/s',
                         f'{ratio:.2f} (>= {target}){mark}',
                         ', '.join(notes)))
        rows.append(('worker peak RSS (VmHWM), 2 workers',
                     ' / '.join(f'{m:.1f}' for m in self.s3.peak_rss())
                     + ' MiB',
                     ' / '.join(f'{m:.1f}' for m in self.plain.peak_rss())
                     + ' MiB', '', 'after every data path run; '
                     + self.peak_growth()))
        return rows

    def peak_growth(self):
        """The larger worker's VmHWM after each workload of the first
        round: flat from 4 KiB to 64 MiB objects, or it grows with size."""
        steps = []
        for name, *_ in WORKLOADS:
            a = self.peaks.get((name, 'a'))
            b = self.peaks.get((name, 'b'))
            if a is not None and b is not None:
                steps.append(f'{name} {a:.1f} / {b:.1f}')
        return 'peak after each workload of round 1 (MiB): ' + \
            ', '.join(steps)


UNITS = {'': 1, 'us': 0.001, 'ms': 1, 's': 1000, 'm': 60000}


def parse_ms(text):
    m = re.match(r'([\d.]+)(us|ms|s|m)$', text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out):
    r = {'non2xx': 0, 'errors': {}}
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r'(\d+) requests in', line)
        if m:
            r['requests'] = int(m.group(1))
        elif line.startswith('Requests/sec:'):
            r['rps'] = float(line.split()[1])
        elif line.startswith('Non-2xx or 3xx responses:'):
            r['non2xx'] = int(line.split(':')[1])
        elif line.startswith('Socket errors:'):
            for part in line.split(':', 1)[1].split(','):
                k, v = part.split()
                r['errors'][k] = int(v)
        elif line.startswith('50%'):
            r['p50'] = parse_ms(line.split()[1])
        elif line.startswith('99%'):
            r['p99'] = parse_ms(line.split()[1])
    if 'rps' not in r or 'p50' not in r or 'requests' not in r:
        raise RuntimeError(f'cannot read wrk output:\n{out}')
    return r


def bench(work):
    """Runs the data path bench in work; returns (rows, problems)."""
    if shutil.which('wrk') is None:
        raise RuntimeError('wrk is not installed (auto/deps installs it)')
    subprocess.run(['cc', '-O2', '-Wall', '-pthread', 't/bench/headload.c',
                    '-o', str(HEADLOAD)], cwd=TOP, check=True)
    b = Bench(work)
    try:
        b.start()
        log('filling both sides (1,000 x 4 KiB, 100 x 1 MiB, 1 x 64 MiB)')
        b.fill()
        b.check()
        b.run()
        rows = b.rows()
    finally:
        problems = b.stop()
    return rows, problems


if __name__ == '__main__':
    import tempfile
    w = Path(tempfile.mkdtemp(prefix='ngx_s3_bench_', dir=TOP / 'build'))
    try:
        rows, problems = bench(w)
        for row in rows:
            print(' | '.join(row))
        print('problems:', problems)
    finally:
        shutil.rmtree(w, ignore_errors=True)
