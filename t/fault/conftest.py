"""Fixtures of the fault tests that make the disk slow: slow_fsync.c,
LD_PRELOADed into nginx, makes fsync() and fdatasync() take
SLOW_FSYNC_MS while a marker file exists."""

import subprocess
from pathlib import Path

import pytest

from faultsrv import SLOW_FSYNC_MS, FaultServer


@pytest.fixture
def shim(tmp_path):
    """(the shim library, its marker file)"""
    marker = tmp_path / 'slow'
    so = tmp_path / 'slow_fsync.so'
    src = Path(__file__).with_name('slow_fsync.c')
    subprocess.run(['cc', '-shared', '-fPIC', '-O2', '-Wall', '-Werror',
                    f'-DSLOW_FSYNC_MARKER="{marker}"',
                    f'-DSLOW_FSYNC_MS={SLOW_FSYNC_MS}', str(src), '-o',
                    str(so), '-ldl'], check=True, timeout=60)
    return so, marker


@pytest.fixture
def srv(tmp_path, shim):
    """One worker with the shim and s3_fsync on, no repld, user alice."""
    s = FaultServer(tmp_path / 'srv', workers=1, preload=shim[0],
                    s3_extra='s3_fsync on;', repld=False)
    try:
        s.start()
        s.alice = s.add_user('alice')
        yield s
    finally:
        problems = s.stop()
        assert not problems, '\n'.join(problems[:30])
