"""repld --check-config on the cluster lines (conf/repld.conf)."""

import subprocess

import pytest

from lib.server import REPLD

BASE = ('redis 127.0.0.1:6379\ncluster demo\n'
        'node 0000000a a tcp://10.77.0.10:7000\n')


def check(tmp_path, text):
    conf = tmp_path / 'repld.conf'
    conf.write_text(f'data_dir {tmp_path}\n' + text)
    return subprocess.run([str(REPLD), '-c', str(conf), '--check-config'],
                          capture_output=True, text=True, timeout=10)


def test_valid(tmp_path):
    p = check(tmp_path, BASE + 'peer 0000000b b tcp://10.77.0.11:7000\n'
              'peer 0000000c c tcp://[::1]:7000\n'
              'heartbeat_ms 250\nlease_ttl_ms 1000\n')
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize('text, error', [
    (BASE + 'peer 0000000a b tcp://10.77.0.11:7000\n',
     'share the node id 0000000a'),
    (BASE + 'peer 0000000b a tcp://10.77.0.11:7000\n',
     'two nodes are called "a"'),
    (BASE + 'peer 0000000b b tcp://10.77.0.10:7000\n', 'share the address'),
    (BASE.replace('redis 127.0.0.1:6379\n', ''), 'needs "redis"'),
    (BASE.replace('cluster demo\n', ''), 'needs "cluster" and "node"'),
    (BASE + 'node 0000000b b tcp://10.77.0.11:7000\n', 'given twice'),
    (BASE + 'heartbeat_ms 1000\nlease_ttl_ms 3000\n', 'at least 4 times'),
    (BASE.replace('0000000a', '00000000'), 'invalid node id'),
    (BASE.replace('0000000a', 'xyz'), 'invalid node id'),
    (BASE.replace(' a tcp', ' a/b tcp'), 'invalid node name'),
    (BASE.replace('tcp://10.77.0.10:7000', 'ipc:///tmp/x'),
     'invalid node address'),
    (BASE.replace(':7000', ':70000'), 'invalid node address'),
    (BASE.replace('cluster demo', 'cluster a{b}'), 'invalid cluster name'),
    (BASE + 'peer 0000000b b\n', 'must be ID NAME ADDRESS'),
    (BASE + ''.join(f'peer 0000001{i} p{i} tcp://10.77.0.{20 + i}:7000\n'
                    for i in range(7)), 'more than 7 nodes'),
])
def test_refused(tmp_path, text, error):
    p = check(tmp_path, text)
    assert p.returncode == 1 and error in p.stderr, p.stderr


def test_data_directory_with_another_id(tmp_path):
    """A copied data directory has another node's id: repld refuses it."""
    (tmp_path / 'log').write_text('')
    conf = tmp_path / 'repld.conf'
    conf.write_text(f'data_dir {tmp_path}\nlog_file {tmp_path}/log\n'
                    + BASE)
    p = subprocess.run([str(REPLD), '-c', str(conf)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1
    assert 'configuration says 0000000a for node "a"' in \
        (tmp_path / 'log').read_text()
