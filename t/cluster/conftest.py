"""The cluster topology (t/lib/cluster.py), built once for every test
in t/cluster and torn down after the last, even when tests fail: the
tear-down fails when a process, a namespace or a link is left behind,
or when a log holds what it must not."""

import os
import shutil

import pytest

from lib.cluster import Cluster


@pytest.fixture(scope='session')
def cluster(tmp_path_factory):
    if os.geteuid() != 0 or shutil.which('ip') is None:
        pytest.skip('network namespaces need root and iproute2')
    cl = Cluster(tmp_path_factory.mktemp('cluster')).start()
    yield cl
    pids = [p for srv in cl.nodes for p in (srv.proc, srv.repld.proc)
            if p is not None] + [cl.redis_proc]
    pids = [p.pid for p in pids if p is not None]
    problems = cl.stop()
    alive = [pid for pid in pids if os.path.exists(f'/proc/{pid}')]
    left = cl.leftovers()
    assert not problems and not left and not alive, \
        f'problems: {problems}, left: {left}, alive: {alive}'


@pytest.fixture(autouse=True)
def _cluster_ready(request):
    """Every test starts from a cluster whose nodes are all live."""
    if 'cluster' not in request.fixturenames:
        yield
        return
    cl = request.getfixturevalue('cluster')
    cl.wait(cl.all_live, 'every node live before the test', 15)
    yield
