"""A worker killed (SIGKILL) at a random moment of a PUT or a multipart
upload that replaces an object: nothing acknowledged is lost, nothing
partial is ever served, nothing is left behind.

The loop (the crash fixture, run once for the module's two tests,
whichever runs first): 200 iterations against a separate nginx (1
worker, `s3_fsync on`) + repld pair, over 8 keys.  Every third
iteration replaces the key's object with a multipart upload
(CreateMultipartUpload, two or three UploadParts, all but the last exactly
5 MiB, then CompleteMultipartUpload), the others with a single PUT (small
objects, and a 1-2 MB one every fourth iteration), so multipart versions
replace single-PUT ones and the other way round.  The requests go from a
thread, each signed on its own connection and never retried, while the
test kills the worker after a random delay drawn from the durations of
unkilled requests (measured again every 10 iterations, in a bucket of
their own, as the load of the machine changes):

- a PUT: into the PUT, so the kill lands before, during and after the
  body transfer, the commit task and the answer;
- a multipart upload: into one of its steps, so the kill lands during the
  creation, a part (its body, its commit) or the completion, between two
  steps (the next one then goes to the respawned worker), or after the
  answer.  The completion is short but decides the outcome: it is drawn
  twice as often as another step.

The master respawns the worker.  Then the key reads back as exactly the
old or exactly the new bytes (SHA-256), with the ETag those bytes were
stored with (MD5 for a PUT, MD5 of the parts' MD5s and "-N" for a
multipart upload); exactly the new ones when the PUT or the completion had
been answered 200, exactly the old ones when the completion was never
sent.

test_kill_worker_during_put: after a reconciliation pass of repld, the
listing agrees with GET for every key (size and ETag); the temp files the
kills left in DATA/tmp are swept by a restart of nginx; repld removes the
journal files of the killed workers.

test_kills_leave_no_upload_behind, on what the loop left (after the same
reconciliation and restart, done once by whichever test comes first):
ListMultipartUploads lists every upload a kill left unfinished (and
besides only uploads whose creation was killed), each aborts, and once
the expiry sweep of the restart has run, DATA/buckets/<b>/mpu/ is empty
and parts/ holds exactly the parts of the current multipart objects.

FAULT_SEED=N reproduces a run.
"""
import collections
import hashlib
import http.client
import os
import random
import statistics
import threading
import time

import pytest
from botocore.exceptions import ClientError

from faultsrv import KILLED_WORKER, FaultServer
from lib import s3raw
from lib.checks import unique_bucket

SEED = int(os.environ.get('FAULT_SEED',
                          random.SystemRandom().randrange(1 << 32)))
ITERATIONS = 200
KEYS = 8
MULTIPART_EVERY = 3             # every third iteration is a multipart upload
PART = 5 << 20                  # the size of all parts but the last
MEASURED = 4                    # the times a kill's window is made of
MEASURE_EVERY = 10              # iterations between two measures
TIME_LIMIT = 60                 # seconds for the 200 iterations (~10-20)

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

# what a key holds: its bytes, the ETag they were stored with, and the
# upload that made them (None: a single PUT)
Version = collections.namedtuple('Version', 'body etag upload_id')


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    s = FaultServer(tmp_path_factory.mktemp('fault_crash'), workers=1,
                    s3_extra='s3_fsync on;', allow=[KILLED_WORKER])
    s.repld.extra = 'reconcile_interval 0\n'
    try:
        s.start()
        s.alice = s.add_user('alice')
        yield s
    finally:
        problems = s.stop()
        assert not problems, '\n'.join(problems[:30])


def sha(b):
    return hashlib.sha256(b).hexdigest()


def md5_etag(b):
    return f'"{hashlib.md5(b).hexdigest()}"'


def mp_etag(parts):
    md5s = b''.join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"'


class Put(threading.Thread):
    """One signed PUT (real payload SHA-256) on its own connection;
    outcome: the status, or the exception that ended it.  started is set
    as it is sent; phase is where it is ('sending', then 'answered')."""

    def __init__(self, srv, path, body):
        super().__init__(daemon=True)
        self.srv = srv
        self.body = body
        host = f'127.0.0.1:{srv.port}'
        creds = s3raw.Credentials(srv.alice.access_key, srv.alice.secret_key)
        req = s3raw.AWSRequest(method='PUT', url=f'http://{host}{path}',
                               data=body, headers={'Host': host})
        s3raw.Signer(creds).add_auth(req)
        self.headers = dict(req.headers.items())
        self.path = path
        self.status = None
        self.error = None
        self.elapsed = None
        self.started = threading.Event()
        self.phase = None

    def run(self):
        t0 = time.monotonic()
        self.phase = 'sending'
        self.started.set()
        conn = http.client.HTTPConnection('127.0.0.1', self.srv.port,
                                          timeout=30)
        try:
            conn.putrequest('PUT', self.path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in self.headers.items():
                conn.putheader(k, v)
            conn.putheader('Content-Length', str(len(self.body)))
            conn.endheaders(self.body)
            r = conn.getresponse()
            r.read()
            self.status = r.status
            self.phase = 'answered'
        except (OSError, http.client.HTTPException) as e:
            self.error = e
        finally:
            conn.close()
            self.elapsed = time.monotonic() - t0


class Multipart(threading.Thread):
    """CreateMultipartUpload, UploadPart for each part, then
    CompleteMultipartUpload: one signed request per step, each on its own
    connection, never retried; the sequence stops at the first failure.

    started[i] is set as step i is sent; statuses and times hold the
    answers and durations of the steps answered, error the exception that
    ended the sequence; phase is where it is (a step name while the step
    is sent, 'after ' and its name once answered)."""

    def __init__(self, srv, bucket, key, parts):
        super().__init__(daemon=True)
        self.srv = srv
        self.path = s3raw.object_path(bucket, key)
        self.parts = parts
        self.steps = (['create']
                      + [f'part {n}' for n in range(1, len(parts) + 1)]
                      + ['complete'])
        self.started = [threading.Event() for _ in self.steps]
        self.statuses = []
        self.times = []
        self.error = None
        self.upload_id = None
        self.etag = None                # the completion's answer
        self.last = None                # the last answer
        self.phase = None

    def step(self, method, query, body=b''):
        i = len(self.statuses)
        t0 = None

        def sending(headers):
            nonlocal t0
            self.phase = self.steps[i]
            self.started[i].set()
            t0 = time.monotonic()

        r = s3raw.request(self.srv, self.srv.alice, method, self.path,
                          query=query, body=body, after_sign=sending)
        self.times.append(time.monotonic() - t0)
        self.statuses.append(r.status)
        self.phase = f'after {self.steps[i]}'
        self.last = r
        return r.status == 200

    def run(self):
        try:
            self.sequence()
        except Exception as e:          # noqa: BLE001: checked by the test
            self.error = e
        finally:
            for e in self.started:      # a sequence ended early (asserted)
                e.set()

    def sequence(self):
        if not self.step('POST', 'uploads'):
            return
        self.upload_id = self.last.xml().find(f'{NS}UploadId').text
        q = f'uploadId={self.upload_id}'
        for n, data in enumerate(self.parts, 1):
            if not self.step('PUT', f'partNumber={n}&{q}', data):
                return
        xml = ''.join(f'<Part><PartNumber>{n}</PartNumber><ETag>'
                      f'{md5_etag(data)}</ETag></Part>'
                      for n, data in enumerate(self.parts, 1))
        body = f'<CompleteMultipartUpload>{xml}</CompleteMultipartUpload>'
        if self.step('POST', q, body.encode()):
            self.etag = self.last.xml().find(f'{NS}ETag').text

    def step_kind(self, i):
        """'create', 'part' (a full one), 'last' (the last part) or
        'complete': what step i's duration is measured as."""
        if i == 0:
            return 'create'
        if i == len(self.steps) - 1:
            return 'complete'
        return 'last' if i == len(self.parts) else 'part'

    def stopped_at(self):
        """The step that failed, or None when all were answered."""
        if self.error is None and len(self.statuses) == len(self.steps):
            return None
        return self.steps[len(self.statuses)]

    def describe(self):
        return (f'{len(self.parts)} parts, answers '
                f'{list(zip(self.steps, self.statuses))}, error '
                f'{self.error!r}, upload {self.upload_id}')


def get(srv, bucket, key):
    return s3raw.request(srv, srv.alice, 'GET',
                         s3raw.object_path(bucket, key))


def body_for(rng, it):
    if it % 4 == 3:
        n = rng.randrange(1 << 20, 2 << 20)
    else:
        n = rng.randrange(1, 64 << 10)
    return rng.randbytes(n)


def parts_for(rng):
    n = 3 if rng.random() < 0.25 else 2
    return ([rng.randbytes(PART) for _ in range(n - 1)]
            + [rng.randbytes(rng.randrange(1, 64 << 10))])


def kill_during(srv, thread, started, delay):
    """Starts thread, waits until started is set, sleeps delay and kills
    the worker; waits for the thread and for the master to respawn the
    worker.  Returns the thread's phase at the moment of the kill."""
    (worker,) = srv.worker_pids()
    thread.start()
    assert started.wait(30), 'the step to kill did not start within 30s'
    time.sleep(delay)               # the random moment of the kill
    phase = thread.phase
    os.kill(worker, 9)
    thread.join(60)
    assert not thread.is_alive(), 'requests still running 60s after the kill'
    srv.wait_workers(exclude=[worker])
    return phase


def kill_moment(phase):
    """Where a multipart upload was when the kill came, from its phase."""
    if phase == 'after complete':
        return 'multipart after the answer'
    if phase.startswith('after'):
        return 'multipart between steps'
    return f'multipart during {phase.split()[0]}'


def wait_reconciled(srv, offset, timeout=30):
    """Waits for the end of the reconciliation pass repld starts with."""
    deadline = time.monotonic() + timeout
    while 'reconcile: pass done' not in srv.repld.log_text(offset):
        if time.monotonic() > deadline:
            raise AssertionError(f'repld did not finish a reconciliation '
                                 f'pass within {timeout}s')
        time.sleep(0.05)


def listing(srv, bucket):
    cl = srv.client(srv.alice)
    out = {}
    for page in cl.get_paginator('list_objects_v2').paginate(Bucket=bucket):
        for o in page.get('Contents', []):
            out[o['Key']] = (o['Size'], o['ETag'])
    return out


def uploads_listed(srv, bucket):
    cl = srv.client(srv.alice)
    out = {}
    pages = cl.get_paginator('list_multipart_uploads').paginate(Bucket=bucket)
    for page in pages:
        for u in page.get('Uploads', []):
            out[u['UploadId']] = u['Key']
    return out


def upload_dirs(srv, bucket, where):
    """The upload directories in DATA/buckets/<bucket>/<where> (mpu or
    parts), each with its files."""
    root = srv.bucket_dir(bucket) / where
    if not root.exists():
        return {}
    return {d.name: sorted(os.listdir(d)) for d in root.iterdir()}


class Crash:
    """The loop's state: the keys' versions, the uploads that kills left
    unfinished, and what happened, for the counts."""

    def __init__(self, srv, bucket, probe, rng):
        self.srv = srv
        self.bucket = bucket
        self.probe = probe
        self.rng = rng
        self.keys = [f'k{i}/obj' for i in range(KEYS)]
        self.state = {}
        self.durations = collections.defaultdict(list)
        self.window = {}
        self.unfinished = {}            # upload id -> (key, what happened)
        self.uploads = {}               # every upload id seen -> its story
        self.outcomes = collections.Counter()
        self.kills = collections.Counter()
        self.settled = False

    def first_versions(self):
        """A PUT per key, then a multipart upload on half of them."""
        for i, key in enumerate(self.keys):
            body = body_for(self.rng, i)
            p = Put(self.srv, s3raw.object_path(self.bucket, key), body)
            p.run()
            assert p.status == 200, p.error
            self.state[key] = Version(body, md5_etag(body), None)
            if i % 2:
                parts = parts_for(self.rng)
                mp = Multipart(self.srv, self.bucket, key, parts)
                mp.run()
                assert mp.etag == mp_etag(parts), mp.describe()
                self.state[key] = Version(b''.join(parts), mp.etag,
                                          mp.upload_id)
                self.uploads[mp.upload_id] = 'first version'

    def measure(self):
        """An unkilled PUT of each size and an unkilled multipart upload,
        to a bucket of their own: how long a PUT and each upload step take
        now, as the load of the machine changes.  A kill's window is twice
        the median of the last MEASURED times of its PUT or step."""
        for it in (0, 3):
            body = body_for(self.rng, it)
            p = Put(self.srv, s3raw.object_path(self.probe, 'probe'), body)
            p.run()
            assert p.status == 200, p.error
            self.durations[len(body) >= 1 << 20].append(p.elapsed)
        parts = parts_for(self.rng)
        mp = Multipart(self.srv, self.probe, 'probe', parts)
        mp.run()
        assert mp.etag == mp_etag(parts), mp.describe()
        for n, t in enumerate(mp.times):
            self.durations[mp.step_kind(n)].append(t)
        for k, v in self.durations.items():
            self.window[k] = statistics.median(v[-MEASURED:]) * 2

    def put(self, key, it):
        new = body_for(self.rng, it)
        put = Put(self.srv, s3raw.object_path(self.bucket, key), new)
        delay = self.rng.uniform(0, self.window[len(new) >= 1 << 20])
        phase = kill_during(self.srv, put, put.started, delay)
        self.kills[f'PUT {phase}'] += 1
        ctx = (f'PUT delay {delay * 1000:.1f} ms, status {put.status} '
               f'error {put.error!r}')
        if put.status is not None:
            assert put.status == 200, ctx
            self.outcomes['PUT answered'] += 1
        else:
            self.outcomes['PUT killed'] += 1
        return (Version(new, md5_etag(new), None), put.status == 200,
                True, ctx)

    def multipart(self, key):
        parts = parts_for(self.rng)
        mp = Multipart(self.srv, self.bucket, key, parts)
        weights = [2 if s == 'complete' else 1 for s in mp.steps]
        i = self.rng.choices(range(len(mp.steps)), weights)[0]
        delay = self.rng.uniform(0, self.window[mp.step_kind(i)])
        phase = kill_during(self.srv, mp, mp.started[i], delay)
        self.kills[kill_moment(phase)] += 1
        ctx = (f'multipart, kill {delay * 1000:.1f} ms into '
               f'{mp.steps[i]}, in phase {phase!r}: {mp.describe()}')
        assert all(s == 200 for s in mp.statuses), ctx
        assert mp.error is None or isinstance(
            mp.error, (OSError, http.client.HTTPException)), ctx
        stopped = mp.stopped_at()
        self.outcomes[f'multipart killed in {stopped.split()[0]}'
                      if stopped else 'multipart answered'] += 1
        if stopped is None:
            assert mp.etag == mp_etag(parts), ctx
        new = Version(b''.join(parts), mp_etag(parts), mp.upload_id)
        return new, stopped is None, stopped == 'complete', ctx

    def iteration(self, it):
        if it % MEASURE_EVERY == 0:
            self.measure()
        key = self.keys[it % KEYS]
        old = self.state[key]
        if it % MULTIPART_EVERY == MULTIPART_EVERY - 1:
            new, answered, maybe, ctx = self.multipart(key)
        else:
            new, answered, maybe, ctx = self.put(key, it)
        ctx = f'iteration {it}, key {key}, seed {SEED}, {ctx}'

        r = get(self.srv, self.bucket, key)
        assert r.status == 200, (ctx, r)
        got = sha(r.body)
        assert got in (sha(old.body), sha(new.body)), \
            f'{ctx}: read {len(r.body)} bytes, neither old ' \
            f'({len(old.body)}) nor new ({len(new.body)})'
        now = new if got == sha(new.body) else old
        assert r.header('ETag') == now.etag, ctx
        if answered:
            assert now is new, f'{ctx}: acknowledged, but old bytes'
        elif now is new:
            assert maybe, f'{ctx}: never completed, but new bytes'
            self.outcomes['unanswered published'] += 1
        elif new.upload_id is not None:
            self.unfinished[new.upload_id] = (key, ctx)
        if new.upload_id is not None:
            self.uploads[new.upload_id] = \
                f'{ctx}, read {"new" if now is new else "old"} bytes'
        if now is new and old.upload_id is not None:
            self.uploads[old.upload_id] += f'; replaced in {ctx}'
        if now is new and (old.upload_id is None) != (new.upload_id is None):
            self.outcomes['multipart over PUT' if new.upload_id
                          else 'PUT over multipart'] += 1
        self.state[key] = now

    def check_listing(self):
        """The listing, once repld has reconciled the catalog with the disk
        (a worker killed between its journal append and its rename leaves
        the catalog ahead of the disk until a pass), agrees with GET."""
        expect = {k: (len(v.body), v.etag) for k, v in self.state.items()}
        before = listing(self.srv, self.bucket)
        stale = sorted(k for k in self.keys if before.get(k) != expect[k])
        print(f'listing before reconciliation: {len(stale)} of {KEYS} keys '
              f'differ from GET: {stale}')
        off = self.srv.repld.log_offset()
        self.srv.repld.restart()
        wait_reconciled(self.srv, off)
        assert listing(self.srv, self.bucket) == expect, f'seed {SEED}'
        self.check_keys()

    def settle(self):
        """The listing reconciled and checked, then nginx restarted and
        checked (the expiry sweep the upload checks wait for runs after
        that start): once, by whichever test comes first."""
        if not self.settled:
            self.check_listing()
            self.check_restart()
            self.settled = True

    def check_keys(self):
        for k, v in self.state.items():
            r = get(self.srv, self.bucket, k)
            assert r.status == 200, (k, r)
            assert r.body == v.body, k
            assert r.header('ETag') == v.etag, k

    def abort_uploads(self):
        """ListMultipartUploads lists every upload a kill left unfinished,
        and besides only uploads whose creation was killed; each aborts,
        but a creation killed between its journal append and its rename,
        which repld lists until it is 10 s old (REPLD_UPLOAD_YOUNG_MS).
        Then mpu/ only holds the parts of completions killed after they
        published their object.  Returns the problems found."""
        problems = []
        listed = uploads_listed(self.srv, self.bucket)
        problems += [f'upload {u} of {k}, left unfinished, not listed by '
                     f'ListMultipartUploads ({ctx})'
                     for u, (k, ctx) in self.unfinished.items()
                     if listed.get(u) != k]
        strays = listed.keys() - self.unfinished.keys()
        problems += [f'upload {u} of {listed[u]} listed, but finished'
                     for u in strays & self.uploads.keys()]
        if len(strays) > self.outcomes['multipart killed in create']:
            problems.append(f'uploads listed that no killed creation '
                            f'explains: {strays}')

        on_disk = upload_dirs(self.srv, self.bucket, 'mpu')
        todo = dict(listed)
        todo.update({u: k for u, (k, _) in self.unfinished.items()})
        cl = self.srv.client(self.srv.alice)
        phantoms = set()
        for uid, key in todo.items():
            try:
                cl.abort_multipart_upload(Bucket=self.bucket, Key=key,
                                          UploadId=uid)
            except ClientError as e:
                if (e.response['Error']['Code'] == 'NoSuchUpload'
                        and uid in strays and uid not in on_disk):
                    phantoms.add(uid)
                    continue
                problems.append(f'upload {uid} of {key} (on disk: '
                                f'{on_disk.get(uid)}) does not abort: '
                                f'{e.response["Error"]}')
        print(f'uploads: {len(self.unfinished)} left unfinished, '
              f'{len(strays)} of killed creations ({len(phantoms)} not on '
              f'disk), aborted')

        if not uploads_listed(self.srv, self.bucket).keys() <= phantoms:
            problems.append(f'uploads listed after the aborts: '
                            f'{uploads_listed(self.srv, self.bucket)}')
        current = {v.upload_id for v in self.state.values()}
        problems += [f'mpu/{u} left after the aborts, holding {files}: '
                     f'{self.story(u)}'
                     for u, files in upload_dirs(self.srv, self.bucket,
                                                 'mpu').items()
                     if u not in current]
        return problems

    def story(self, upload_id):
        return self.uploads.get(upload_id, 'an upload the client never saw')

    def check_restart(self):
        """The temp files of the killed requests are swept by the next
        start of nginx."""
        self.srv.restart_nginx()
        assert self.srv.tmp_entries() == [], self.srv.tmp_entries()
        self.check_keys()

    def check_swept(self):
        """Once the expiry sweep of the last start of nginx (1 s after it)
        has finished the interrupted completions and removed the parts no
        object names, mpu/ is empty and parts/ holds the parts of the
        current multipart objects.  Returns the problems found."""
        current = {v.upload_id for v in self.state.values() if v.upload_id}
        deadline = time.monotonic() + 5
        while True:
            mpu = upload_dirs(self.srv, self.bucket, 'mpu')
            parts = upload_dirs(self.srv, self.bucket, 'parts')
            if not mpu and parts.keys() == current:
                break
            if time.monotonic() > deadline:
                return ([f'mpu/{u} left, holding {files}: {self.story(u)}'
                         for u, files in mpu.items()]
                        + [f'parts/{u} left, named by no object, holding '
                           f'{files}: {self.story(u)}'
                           for u, files in parts.items()
                           if u not in current]
                        + [f'parts/{u} of a current object missing'
                           for u in current - parts.keys()])
            time.sleep(0.1)
        return [f'tmp/{e} left' for e in self.srv.tmp_entries()]


@pytest.fixture(scope='module')
def crash(srv):
    """The kill loop, run once for both tests below (each iteration checks
    what GET reads back): the Crash it leaves, its kills checked to have
    hit requests in flight and missed some."""
    bucket, probe = unique_bucket('crash'), unique_bucket('crashprobe')
    for b in (bucket, probe):
        srv.client(srv.alice).create_bucket(Bucket=b)
    c = Crash(srv, bucket, probe, random.Random(SEED))
    c.first_versions()
    for _ in range(MEASURED - 1):
        c.measure()

    t_start = time.monotonic()
    for it in range(ITERATIONS):
        assert time.monotonic() - t_start < TIME_LIMIT, \
            f'{it} iterations took more than {TIME_LIMIT}s (seed {SEED})'
        c.iteration(it)
    print(f'\nseed {SEED}: {time.monotonic() - t_start:.1f}s\n'
          f'outcomes: {dict(sorted(c.outcomes.items()))}\n'
          f'kills: {dict(sorted(c.kills.items()))}')

    o = c.outcomes
    puts = o['PUT answered'] + o['PUT killed']
    assert o['PUT killed'] >= puts // 20, o
    assert o['PUT answered'] >= puts // 20, o
    assert o['multipart killed in part'] >= 5, o
    assert o['multipart killed in complete'] >= 3, o
    assert o['multipart answered'] >= 5, o
    assert o['multipart over PUT'] >= 1 and o['PUT over multipart'] >= 1, o
    return c


def test_kill_worker_during_put(srv, crash):
    crash.settle()

    # the journal files of the dead workers are removed once applied
    deadline = time.monotonic() + 15
    while True:
        files = os.listdir(srv.data / 'journal')
        if len(files) <= 2:
            break
        assert time.monotonic() < deadline, \
            f'{len(files)} journal files left 15s after the last kill'
        time.sleep(0.1)


def test_kills_leave_no_upload_behind(crash):
    """After the loop: the uploads the kills left are listed and abort,
    and no part file is left that no object or upload owns."""
    crash.settle()
    problems = crash.abort_uploads()
    problems += crash.check_swept()
    assert not problems, f'seed {SEED}:\n' + '\n'.join(problems)
