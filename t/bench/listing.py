"""The listing part of `make bench` (t/bench/run).

Starts nginx with the module (repld stopped), fills a bucket with
BENCH_KEYS small objects (default 1,000,000, spread over BENCH_DIRS "dirs",
default 1000) through the store's own code (t/bench/fill.c), then starts
repld and measures:

- ingest: journal -> catalog, keys/s (from repld's start, with
  reconcile_at_start off, until a LIST shows the journal's last key);
- a restart of repld with its default reconciliation at start, until a
  LIST answers (the pass itself runs in the background, reconcile_step
  units per 200 ms tick, so it is not waited for);
- one 1,000-key page (median, p90 of BENCH_REPEAT requests, default 50):
  the first page, pages at random start-after points, a delimiter=/ page of
  the bucket's root (1000 common prefixes), a prefix=dNNNN/ delimiter=/
  page (one dir);
- a complete listing of every key in pages of 1000 (continuation tokens);
- LIST throughput with wrk (8 connections, 5 s) when wrk is installed;
- repld's RSS and peak RSS (/proc), the catalog's size on disk.

Requests are signed with botocore once and sent with http.client on one
keep-alive connection; the time is from the send to the last byte of the
body.  Every step has a time limit.  BENCH_THREADS sets the filler's
threads.
"""

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / 't'))

from botocore.auth import S3SigV4Auth            # noqa: E402
from botocore.awsrequest import AWSRequest       # noqa: E402
from botocore.credentials import Credentials     # noqa: E402

from lib.server import Server                    # noqa: E402

KEYS = int(os.environ.get('BENCH_KEYS', '1000000'))
DIRS = int(os.environ.get('BENCH_DIRS', '1000'))
REPEAT = int(os.environ.get('BENCH_REPEAT', '50'))
THREADS = int(os.environ.get('BENCH_THREADS', str(os.cpu_count() or 2)))
BUCKET = 'bench'
NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

FILL_TIMEOUT = 60 + KEYS / 2000          # seconds
INGEST_TIMEOUT = 60 + KEYS / 1000
LIST_ALL_TIMEOUT = 60 + KEYS / 2000
RECONCILE_TIMEOUT = 60 + KEYS / 2000


def log(msg):
    print(f'bench: {msg}', flush=True)


def build_filler():
    out = TOP / 'build' / 'bench-fill'
    out.parent.mkdir(exist_ok=True)
    cmd = ['cc', '-O2', '-D_GNU_SOURCE', '-Icore'] \
        + sorted(str(p.relative_to(TOP)) for p in (TOP / 'core').glob('*.c')) \
        + ['t/bench/fill.c', '-lcrypto', '-lpthread', '-o', str(out)]
    subprocess.run(cmd, cwd=TOP, check=True)
    return out


class Client:
    """Signs with botocore, sends with http.client (keep-alive)."""

    def __init__(self, srv, user):
        self.srv = srv
        self.creds = Credentials(user.access_key, user.secret_key)
        self.conn = None

    def sign(self, query):
        url = f'{self.srv.endpoint}/{BUCKET}' + (f'?{query}' if query else '')
        req = AWSRequest(method='GET', url=url, data=b'')
        S3SigV4Auth(self.creds, 's3', 'us-east-1').add_auth(req)
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() != 'host'}
        return f'/{BUCKET}' + (f'?{query}' if query else ''), headers

    def send(self, target, headers):
        """Returns (seconds, status, body)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection('127.0.0.1',
                                                   self.srv.port, timeout=120)
        t0 = time.perf_counter()
        self.conn.putrequest('GET', target, skip_host=True,
                             skip_accept_encoding=True)
        self.conn.putheader('Host', f'127.0.0.1:{self.srv.port}')
        for k, v in headers.items():
            self.conn.putheader(k, v)
        self.conn.endheaders()
        r = self.conn.getresponse()
        body = r.read()
        t = time.perf_counter() - t0
        if r.getheader('Connection', '').lower() == 'close':
            self.conn.close()
            self.conn = None
        return t, r.status, body

    def get(self, query):
        return self.send(*self.sign(query))


def q(**params):
    return '&'.join(f'{k.replace("_", "-")}={quote(str(v), safe="")}'
                    for k, v in sorted(params.items()))


def parse(body):
    root = ET.fromstring(body)
    keys = [c.find(NS + 'Key').text for c in root.findall(NS + 'Contents')]
    cps = [c.find(NS + 'Prefix').text
           for c in root.findall(NS + 'CommonPrefixes')]
    tok = root.find(NS + 'NextContinuationToken')
    trunc = root.find(NS + 'IsTruncated').text == 'true'
    return keys, cps, (tok.text if tok is not None else None), trunc


def timed_page(cl, query, repeat, expect):
    """Median and p90 (ms) of repeat sends of one signed request."""
    target, headers = cl.sign(query)
    times = []
    for _ in range(repeat):
        t, status, body = cl.send(target, headers)
        if status != 200:
            raise RuntimeError(f'{query}: {status} {body[:300]!r}')
        times.append(t)
    keys, cps, _, _ = parse(body)
    if len(keys) + len(cps) != expect:
        raise RuntimeError(f'{query}: {len(keys)} keys + {len(cps)} '
                           f'prefixes, expected {expect}')
    return stats(times)


def stats(times):
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    return statistics.median(times) * 1000, p90 * 1000


def rss(pid):
    out = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmHWM:')):
                out[line.split(':')[0]] = int(line.split()[1]) / 1024
    return out


def worker_peaks(srv):
    """VmHWM of each nginx worker, MiB, sorted."""
    text = Path(f'/proc/{srv.proc.pid}/task/{srv.proc.pid}/'
                'children').read_text()
    return sorted(rss(int(p))['VmHWM'] for p in text.split())


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except FileNotFoundError:
                pass
    return total


def wrk_rate(srv, cl, query, seconds=5):
    wrk = shutil.which('wrk')
    if not wrk:
        return None
    target, headers = cl.sign(query)
    headers = dict(headers, Host=f'127.0.0.1:{srv.port}')
    lua = ''.join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    with tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False) as f:
        f.write(lua)
        script = f.name
    try:
        p = subprocess.run([wrk, '-t2', '-c8', f'-d{seconds}s', '-s', script,
                            f'{srv.endpoint}{target}'], capture_output=True,
                           text=True, timeout=seconds + 30)
    finally:
        os.unlink(script)
    rate = None
    for line in p.stdout.splitlines():
        if line.startswith('Requests/sec:'):
            rate = float(line.split()[1])
        if 'Non-2xx' in line:
            raise RuntimeError(f'wrk: {line}')
    return rate


def bench(work):
    """Runs the listing bench in work; returns (rows, problems), rows of
    (measure, value, notes)."""
    filler = build_filler()
    rows = []

    srv = Server(work, journal_size=None)
    srv.start(start_repld=False)
    try:
        user = srv.add_user('bench')

        log(f'filling {KEYS} keys over {DIRS} dirs ({THREADS} threads)')
        t0 = time.monotonic()
        p = subprocess.run([str(filler), str(srv.data), BUCKET, 'bench',
                            str(KEYS), str(DIRS), str(THREADS)],
                           capture_output=True, text=True,
                           timeout=FILL_TIMEOUT)
        if p.returncode != 0:
            raise RuntimeError(f'bench-fill failed: {p.stderr}')
        fill_s = time.monotonic() - t0
        log(p.stdout.strip())
        jbytes = du(srv.data / 'journal')
        rows.append(('fill through the store (no HTTP, fsync off)',
                     f'{KEYS / fill_s:,.0f} keys/s', f'{fill_s:.1f} s'))

        cl = Client(srv, user)
        log('starting repld (reconcile_at_start off); waiting until it '
            'lists "~last"')
        srv.repld.extra = 'reconcile_at_start off\n'
        t0 = time.monotonic()
        srv.repld.start(wait=False)
        target, headers = cl.sign(q(list_type=2, prefix='~last'))
        deadline = t0 + INGEST_TIMEOUT
        while True:
            try:
                _, status, body = cl.send(target, headers)
            except (ConnectionError, http.client.HTTPException):
                cl.conn = None
                status, body = 0, b''
            if status == 200 and parse(body)[0] == ['~last']:
                break
            if status not in (200, 503, 0):
                raise RuntimeError(f'LIST: {status} {body[:300]!r}')
            if not srv.repld.running:
                raise RuntimeError('repld exited:\n' + srv.repld.read_logs())
            if time.monotonic() > deadline:
                raise RuntimeError(f'repld did not ingest {KEYS} keys '
                                   f'within {INGEST_TIMEOUT:.0f}s')
            time.sleep(0.02)
        ingest_s = time.monotonic() - t0
        rows.append(('journal ingest into the catalog',
                     f'{(KEYS + 1) / ingest_s:,.0f} keys/s',
                     f'{ingest_s:.2f} s ({jbytes / 2**20:.0f} MiB journal)'))
        mem = rss(srv.repld.pid)
        rows.append(('repld RSS after ingest',
                     f'{mem["VmRSS"]:.1f} MiB',
                     f'peak {mem["VmHWM"]:.1f} MiB'))

        log('restarting repld with its full reconciliation at start')
        srv.repld.stop()
        srv.repld.extra = ''
        t0 = time.monotonic()
        srv.repld.start(timeout=RECONCILE_TIMEOUT)
        _, status, body = cl.get(q(list_type=2, prefix='~last'))
        if status != 200 or parse(body)[0] != ['~last']:
            raise RuntimeError(f'after the restart: {status} {body[:300]!r}')
        rec_s = time.monotonic() - t0
        rows.append(('repld restart until a LIST answers',
                     f'{rec_s:.2f} s',
                     'reconcile_at_start on (default): the pass runs in '
                     'the background, after the sockets open'))

        page = min(1000, KEYS)
        log('timing single pages')
        med, p90 = timed_page(cl, q(list_type=2), REPEAT, page)
        rows.append(('first 1000-key page (v2)', f'{med:.2f} ms',
                     f'p90 {p90:.2f} ms, n={REPEAT}'))

        rng = random.Random(1)
        times = []
        for _ in range(REPEAT):
            i = rng.randrange(max(1, KEYS - 2 * page))
            sa = f'd{i % DIRS:04d}/k{i:09d}'
            t, status, body = cl.get(q(list_type=2, start_after=sa))
            if status != 200:
                raise RuntimeError(f'{status} {body[:300]!r}')
            times.append(t)
        med, p90 = stats(times)
        rows.append(('1000-key page at a random start-after (v2)',
                     f'{med:.2f} ms', f'p90 {p90:.2f} ms, n={REPEAT}'))

        times = []
        for _ in range(REPEAT):
            i = rng.randrange(max(1, KEYS - 2 * page))
            t, status, body = cl.get(q(marker=f'd{i % DIRS:04d}/k{i:09d}'))
            if status != 200:
                raise RuntimeError(f'{status} {body[:300]!r}')
            times.append(t)
        med, p90 = stats(times)
        rows.append(('1000-key page at a random marker (v1)',
                     f'{med:.2f} ms', f'p90 {p90:.2f} ms, n={REPEAT}'))

        ndirs = min(DIRS, KEYS)
        med, p90 = timed_page(cl, q(list_type=2, delimiter='/'), REPEAT,
                              min(1000, ndirs + 1))
        rows.append((f'delimiter=/ at the root ({min(1000, ndirs)} common '
                     f'prefixes, each skipping {KEYS // max(1, ndirs)} keys)',
                     f'{med:.2f} ms', f'p90 {p90:.2f} ms, n={REPEAT}'))

        per_dir = KEYS // DIRS
        med, p90 = timed_page(cl, q(list_type=2, delimiter='/',
                                    prefix='d0007/'),
                              REPEAT, min(1000, per_dir))
        rows.append((f'prefix=d0007/ delimiter=/ ({min(1000, per_dir)} '
                     'keys)', f'{med:.2f} ms',
                     f'p90 {p90:.2f} ms, n={REPEAT}'))

        before = worker_peaks(srv)
        log('listing everything')
        t0 = time.monotonic()
        token = None
        total = 0
        pages = 0
        page_times = []
        last = None
        while True:
            params = {'list_type': 2}
            if token:
                params['continuation_token'] = token
            t, status, body = cl.get(q(**params))
            if status != 200:
                raise RuntimeError(f'{status} {body[:300]!r}')
            page_times.append(t)
            keys, _, token, trunc = parse(body)
            if keys and last is not None and keys[0].encode() <= \
                    last.encode():
                raise RuntimeError(f'order broken at {keys[0]!r}')
            if keys:
                last = keys[-1]
            total += len(keys)
            pages += 1
            if not trunc:
                break
            if time.monotonic() - t0 > LIST_ALL_TIMEOUT:
                raise RuntimeError('the complete listing took too long')
        all_s = time.monotonic() - t0
        if total != KEYS + 1:
            raise RuntimeError(f'listed {total} keys, expected {KEYS + 1}')
        med, p90 = stats(page_times)
        rows.append((f'complete listing, {pages} pages of 1000',
                     f'{all_s:.2f} s',
                     f'{total / all_s:,.0f} keys/s; page median '
                     f'{med:.2f} ms, p90 {p90:.2f} ms'))

        rate = wrk_rate(srv, cl, q(list_type=2, max_keys=100))
        if rate is not None:
            rows.append(('LIST throughput, 100-key pages, wrk 8 connections',
                         f'{rate:,.0f} req/s', '2 nginx workers, 1 repld'))

        rows.append(('nginx worker peak RSS (VmHWM): before the complete '
                     'listing / after it and the wrk run',
                     ' / '.join(f'{m:.1f}' for m in before) + ' MiB -> '
                     + ' / '.join(f'{m:.1f}' for m in worker_peaks(srv))
                     + ' MiB',
                     f'{pages} pages answered; the worker relays repld\'s '
                     'answer, it does not grow with the keys listed'))

        mem = rss(srv.repld.pid)
        rows.append(('repld RSS after the listings', f'{mem["VmRSS"]:.1f} MiB',
                     f'peak {mem["VmHWM"]:.1f} MiB'))
        rows.append(('catalog on disk (DATA/catalog)',
                     f'{du(srv.data / "catalog") / 2**20:.1f} MiB',
                     f'{du(srv.data / "catalog") / max(1, KEYS):.0f} '
                     'bytes/key'))
    finally:
        problems = srv.stop()
        if problems:
            log('problems in the logs: ' + '; '.join(problems[:10]))

    return rows, problems
