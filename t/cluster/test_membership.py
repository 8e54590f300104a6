"""Membership and leases in Redis, seen through every node's `s3ctl
cluster status` (docs/REPLICATION.md).  Each test puts back what it
broke, so they run in any order."""

import subprocess
import time
import uuid

from lib.cluster import HEARTBEAT_MS, LEASE_TTL_MS
from lib.server import s3ctl

TTL = LEASE_TTL_MS / 1000
CAUGHT_UP = 10     # seconds for a restarted peer's figures to reach 0


def figures(cluster, i, name):
    """(lag_changes, lag_ms, queue) of node name as node i shows it."""
    n = {n['name']: n for n in cluster.status(i)['nodes']}[name]
    return n['lag_changes'], n['lag_ms'], n['queue']


def test_every_node_live_everywhere(cluster):
    for i, name in enumerate(cluster.names):
        st = cluster.status(i)
        assert st['cluster'] == 'test'
        assert st['node'] == name
        assert st['node_id'] == cluster.ids[i]
        assert st['redis']['reachable'] is True
        nodes = {n['name']: n for n in st['nodes']}
        assert list(nodes) == [name] + [n for n in cluster.names
                                        if n != name]
        for j, other in enumerate(cluster.names):
            n = nodes[other]
            assert n['state'] == 'live'
            assert n['self'] is (other == name)
            assert n['id'] == cluster.ids[j]
            assert n['address'] == f'tcp://{cluster.addr(j)}:7000'
            assert 0 <= n['heartbeat_age_ms'] < 3 * HEARTBEAT_MS + 500
            # bytes do not replicate yet: nothing is invented
            assert n['fetch_bytes'] == 0
    # idle, every change acknowledged: no node is behind, seen from any
    cluster.wait(lambda: all(figures(cluster, i, n) == (0, 0, 0)
                             for i in range(len(cluster.nodes))
                             for n in cluster.names),
                 'no lag anywhere', CAUGHT_UP)


def test_text_form(cluster):
    cluster.wait(lambda: all(figures(cluster, 0, n) == (0, 0, 0)
                             for n in cluster.names),
                 'no lag on a', CAUGHT_UP)
    out = s3ctl('cluster', 'status', data=cluster.nodes[0].data).stdout
    assert 'redis' in out and 'reachable' in out
    rows = [ln[2:].split() for ln in out.splitlines()
            if ln[2:].split()[:1] and ln[2:].split()[0] in cluster.names]
    assert [r[0] for r in rows] == cluster.names
    assert out.splitlines()[3].startswith('* a ')
    for r in rows:
        assert r[3] == 'live' and r[5] == 'ago' and r[6:] == ['0'] * 4


def test_repld_killed_goes_lagging_then_gone_then_back(cluster):
    victim = cluster.nodes[2]
    victim.repld.kill()
    try:
        start = time.monotonic()
        seen = set()

        def gone():
            for i in (0, 1):
                seen.add(cluster.states(i)['c'])
            return all(cluster.states(i)['c'] == 'gone' for i in (0, 1))

        cluster.wait(gone, 'c gone on a and b', TTL + 3)
        assert 'lagging' in seen, seen
        assert time.monotonic() - start < TTL + 3
        # a killed repld cannot answer: s3ctl says so and fails
        p = s3ctl('cluster', 'status', data=victim.data, check=False)
        assert p.returncode == 2 and 'cannot reach repld' in p.stderr
    finally:
        victim.repld.start()
    cluster.wait(cluster.all_live, 'c live again everywhere', 10)


def test_partitioned_node_knows_it_is_behind(cluster):
    cluster.partition(1)
    try:
        def behind():
            st = cluster.status(1)
            return (st['redis']['reachable'] is False
                    and st['nodes'][0]['state'] == 'behind')

        cluster.wait(behind, 'b behind and Redis unreachable from b',
                     3 * HEARTBEAT_MS / 1000 + 3)
        cluster.wait(lambda: all(cluster.states(i)['b'] in ('lagging',
                                                             'gone')
                                 for i in (0, 2)),
                     'b lagging or gone on a and c', TTL + 3)
        assert cluster.states(0)['a'] == 'live'
    finally:
        cluster.heal(1)
    cluster.wait(cluster.all_live, 'b live again everywhere', 10)


def test_redis_killed_nodes_go_on_serving(cluster):
    cluster.kill_redis()
    try:
        for i in range(len(cluster.nodes)):
            cluster.wait(lambda: cluster.status(i)['redis']['reachable']
                         is False, f'node {i}: Redis unreachable', 5)
            out = s3ctl('cluster', 'status', data=cluster.nodes[i].data)
            assert 'Redis unreachable' in out.stdout
            me = cluster.names[i]
            cluster.wait(lambda: cluster.states(i)[me] == 'behind',
                         f'{me} behind', 3 * HEARTBEAT_MS / 1000 + 3)
            others = {k: v for k, v in cluster.states(i).items() if k != me}
            assert set(others.values()) == {'unknown'}, others
        for srv in cluster.nodes:
            s3 = srv.client(srv.admin)
            bucket = f'redis-down-{uuid.uuid4().hex[:8]}'
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key='k', Body=b'still here')
            assert s3.get_object(Bucket=bucket,
                                 Key='k')['Body'].read() == b'still here'
            keys = [o['Key'] for o in
                    s3.list_objects_v2(Bucket=bucket)['Contents']]
            assert keys == ['k']
            s3.delete_object(Bucket=bucket, Key='k')
            s3.delete_bucket(Bucket=bucket)
    finally:
        if cluster.redis_proc is None:
            cluster.start_redis()
    cluster.wait(cluster.all_live, 'every node live after Redis is back',
                 10)
    for i in range(len(cluster.nodes)):
        assert cluster.status(i)['redis']['reachable'] is True


def test_lease_in_redis(cluster):
    """The lease as documented: key, words, time to live."""
    key = 'ngx_s3:{test}:node:a'
    cli = ['redis-cli', '-h', cluster.redis_addr]
    val = subprocess.run(cli + ['GET', key], capture_output=True, text=True,
                         timeout=5).stdout.strip()
    words = dict(w.split('=', 1) for w in val.split()[1:])
    assert val.startswith('v1 ')
    assert words['id'] == cluster.ids[0] and words['name'] == 'a'
    assert words['state'] == 'live'
    assert words['ttl'] == str(LEASE_TTL_MS)
    pttl = int(subprocess.run(cli + ['PTTL', key], capture_output=True,
                              text=True, timeout=5).stdout)
    assert LEASE_TTL_MS - 3 * HEARTBEAT_MS - 500 < pttl <= LEASE_TTL_MS


def test_lag_of_a_stopped_peer_grows_then_returns_to_zero(cluster):
    """A counts what c has not acknowledged; every node shows it from
    a's lease; c back, every figure is 0 again on every node."""
    s3 = cluster.nodes[0].client(cluster.nodes[0].admin)
    bucket = f'lag-{uuid.uuid4().hex[:8]}'
    s3.create_bucket(Bucket=bucket)
    victim = cluster.nodes[2].repld
    victim.kill()
    try:
        cluster.wait(lambda: cluster.states(0)['c'] == 'gone', 'c gone on a',
                     TTL + 3)
        seen = []
        for n in range(1, 4):
            for k in range(5):
                s3.put_object(Bucket=bucket, Key=f'k{n}-{k}', Body=b'x')
            time.sleep(0.1)
            seen.append(cluster.wait(
                lambda n=n: (f := figures(cluster, 0, 'c'))[0] >= 5 * n
                and f, f'{5 * n} changes waiting for c on a', 5))
        changes = [f[0] for f in seen]
        ms = [f[1] for f in seen]
        assert changes[0] < changes[1] < changes[2], seen
        assert 0 < ms[0] < ms[1] < ms[2], seen
        # nothing can be sent to a repld that is not there
        assert all(f[2] == f[0] for f in seen), seen
        # b reads c's lag in a's lease; b itself has caught up
        cluster.wait(lambda: figures(cluster, 1, 'c')[0] >= changes[2],
                     "c's lag on b", 3 * HEARTBEAT_MS / 1000 + 3)
        cluster.wait(lambda: figures(cluster, 0, 'b') == (0, 0, 0),
                     'b up to date on a', 5)
    finally:
        victim.start()
    cluster.wait(lambda: all(figures(cluster, i, n) == (0, 0, 0)
                             for i in range(len(cluster.nodes))
                             for n in cluster.names),
                 'c caught up, as every node sees it', CAUGHT_UP)
    for k in [o['Key'] for o in s3.list_objects_v2(Bucket=bucket)['Contents']]:
        s3.delete_object(Bucket=bucket, Key=k)
    s3.delete_bucket(Bucket=bucket)
