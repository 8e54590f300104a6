"""A data directory nginx cannot use is refused at start-up, by `nginx -t`
and by the start itself, with a message naming the directory, and not
at the first request: missing, not a directory, on a read-only
filesystem (a fresh one, and a store remounted read-only), not
searchable by the worker processes' user (the master runs as root, the
workers as `user nobody nogroup`: a store owned by another user with mode
0700, and a store under a directory the workers cannot enter).  A store
the workers can use passes, and serves requests as that user.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from faultsrv import FaultServer
from lib import s3raw

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0,
                               reason='needs root (mounts, other users)')
OTHER_UID = 4242


def refused(tmp, data, needle, **kw):
    """nginx -t and a start both fail, naming data and needle."""
    srv = FaultServer(tmp, data=data, repld=False, **kw)
    rc, out = srv.test_config()
    assert rc != 0, out
    assert f's3_store "{data}"' in out, out
    assert needle in out, out
    assert '[emerg]' in out, out

    srv.run_dir.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(['/usr/sbin/nginx', '-p', str(srv.run_dir), '-c',
                        str(srv.conf), '-e', str(srv.error_log)],
                       capture_output=True, text=True, timeout=30,
                       env=srv.nginx_env())
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert f's3_store "{data}"' in out and needle in out, out
    return out


@pytest.fixture
def world_tmp():
    """A directory every user may enter (pytest's own tmp is 0700)."""
    d = Path(tempfile.mkdtemp(prefix='ngx_s3_fault_', dir='/tmp'))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def mount(tmp_path):
    mounted = []

    def do(path, opts):
        path.mkdir(exist_ok=True)
        subprocess.run(['mount', '-t', 'tmpfs', '-o', opts, 'ngx_s3_ro',
                        str(path)], check=True, timeout=30)
        mounted.append(path)
        return path

    yield do
    for p in reversed(mounted):
        subprocess.run(['umount', str(p)], check=False, timeout=30)


def test_missing(tmp_path):
    refused(tmp_path, tmp_path / 'nowhere', 'No such file or directory')


def test_not_a_directory(tmp_path):
    f = tmp_path / 'file'
    f.write_text('not a store\n')
    refused(tmp_path, f, 'Not a directory')


@ROOT_ONLY
def test_read_only_filesystem(tmp_path, mount):
    data = mount(tmp_path / 'data', 'ro,size=1m')
    refused(tmp_path, data, 'Read-only file system')


@ROOT_ONLY
def test_store_remounted_read_only(tmp_path, mount):
    data = mount(tmp_path / 'data', 'size=4m')
    srv = FaultServer(tmp_path / 'first', data=data, repld=False)
    rc, out = srv.test_config()          # creates the layout
    assert rc == 0, out
    assert (data / 'FORMAT').exists()
    subprocess.run(['mount', '-o', 'remount,ro', str(data)], check=True,
                   timeout=30)
    refused(tmp_path / 'second', data, 'Read-only file system')


@ROOT_ONLY
def test_owned_by_another_user(world_tmp):
    data = world_tmp / 'data'
    data.mkdir(mode=0o700)
    os.chown(data, OTHER_UID, OTHER_UID)
    out = refused(world_tmp, data, 'user "nobody"',
                  user='nobody nogroup')
    assert f'may not search "{data}" (owner uid {OTHER_UID}' in out, out


@ROOT_ONLY
def test_parent_not_searchable(world_tmp):
    parent = world_tmp / 'private'
    parent.mkdir(mode=0o700)
    data = parent / 'data'
    data.mkdir(mode=0o755)
    out = refused(world_tmp, data, 'user "nobody"', user='nobody nogroup')
    assert f'may not search "{parent}"' in out, out


@ROOT_ONLY
def test_usable_by_the_workers(world_tmp):
    """The control: a root-owned 0755 store works with `user nobody`;
    its layout is given to nobody, and objects are written as nobody."""
    data = world_tmp / 'data'
    data.mkdir(mode=0o755)
    srv = FaultServer(world_tmp, data=data, repld=False,
                      user='nobody nogroup')
    rc, out = srv.test_config()
    assert rc == 0, out
    # s3ctl runs as root: nginx gives the user records to nobody at start
    alice = srv.add_user('alice')
    try:
        srv.start()
        assert s3raw.request(srv, alice, 'PUT', '/b1').status == 200
        r = s3raw.request(srv, alice, 'PUT', '/b1/k', body=b'hello')
        assert r.status == 200, r
        r = s3raw.request(srv, alice, 'GET', '/b1/k')
        assert r.status == 200 and r.body == b'hello'
        (f,) = srv.object_files('b1', 'k')
        assert f.stat().st_uid == 65534
    finally:
        problems = srv.stop()
    assert not problems, problems
