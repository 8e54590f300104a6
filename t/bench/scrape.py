#!/usr/bin/python3
"""The cost of a metrics scrape on a large catalog: BENCH_KEYS objects
(default 100,000) filled through the store's code (t/bench/fill.c),
ingested by repld, then BENCH_REPEAT (20) scrapes of /metrics timed
(median, max).  The per-bucket counts come from repld, which once scanned
the catalog for them on every scrape (repld_catalog_count.c now keeps
them); REPLD_BEFORE=path/to/another/repld times that binary too, on the
same catalog, for a comparison.  repld is started twice: the second
start counts the catalog's objects, and its log line says how long.

    /usr/bin/python3 t/bench/scrape.py
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / 't'))
sys.path.insert(0, str(TOP / 't' / 'bench'))

import lib.server                                # noqa: E402
from lib.server import Server                    # noqa: E402
from listing import build_filler                 # noqa: E402

KEYS = int(os.environ.get('BENCH_KEYS', '100000'))
REPEAT = int(os.environ.get('BENCH_REPEAT', '20'))
INGEST_TIMEOUT = 60 + KEYS / 1000
LINE = 's3_bucket_objects{bucket="bench"} '


def scrape(srv):
    t0 = time.monotonic()
    with urllib.request.urlopen(srv.admin_url + '/metrics', timeout=30) as r:
        body = r.read().decode()
    return time.monotonic() - t0, body


def objects(body):
    for line in body.splitlines():
        if line.startswith(LINE):
            return int(line[len(LINE):])
    return 0


def measure(srv, repld, what):
    lib.server.REPLD = Path(repld)
    off = srv.repld.log_offset()
    srv.repld.start(timeout=INGEST_TIMEOUT)
    deadline = time.monotonic() + INGEST_TIMEOUT
    while objects(scrape(srv)[1]) != KEYS + 1:            # and "~last"
        if time.monotonic() > deadline:
            raise RuntimeError(f'{what}: not all {KEYS + 1} keys counted')
        time.sleep(0.1)
    times = [scrape(srv)[0] for _ in range(REPEAT)]
    counted = [line for line in srv.repld.log_text(off).splitlines()
               if 'catalog: counted' in line]
    srv.repld.stop()
    print(f'{what}: scrape median {statistics.median(times) * 1000:.1f} ms,'
          f' max {max(times) * 1000:.1f} ms over {REPEAT}'
          + (f'; {counted[0].split("] ", 1)[-1]}' if counted else ''),
          flush=True)


def main():
    filler = build_filler()
    with tempfile.TemporaryDirectory(dir=TOP / 'build') as work:
        srv = Server(Path(work), journal_size=None)
        srv.start(start_repld=False)
        try:
            srv.add_user('bench')
            subprocess.run([str(filler), str(srv.data), 'bench', 'bench',
                            str(KEYS), '100', '2'], check=True,
                           timeout=60 + KEYS / 2000)
            this = lib.server.REPLD
            measure(srv, this, f'{KEYS} objects, this repld, ingested')
            measure(srv, this, f'{KEYS} objects, this repld, restarted')
            if os.environ.get('REPLD_BEFORE'):
                measure(srv, os.environ['REPLD_BEFORE'],
                        f'{KEYS} objects, {os.environ["REPLD_BEFORE"]}')
        finally:
            problems = srv.stop()
        if problems:
            raise RuntimeError(f'problems: {problems}')


if __name__ == '__main__':
    main()
