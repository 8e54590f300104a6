"""s3ctl log-level: repld's log level read and changed without a restart
(an admin request, repld_admin_log_level()); a debug line appears once it
is debug, none once it is back at info, and SIGHUP keeps it."""

import signal
import time

import pytest

from lib.checks import unique_bucket
from lib.server import s3ctl


def wait_for(cond, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f'{what} within {timeout}s'
        time.sleep(0.05)


def debug_lines(srv, offset):
    return [ln for ln in srv.repld.log_text(offset).splitlines()
            if '[debug]' in ln]


def test_log_level(s3, tmp_path):
    audit = tmp_path / 'audit.log'
    c = s3.client(s3.alice)
    b = unique_bucket('loglevel')
    c.create_bucket(Bucket=b)

    assert s3ctl('log-level', data=s3.data).stdout == 'info\n'

    offset = s3.repld.log_offset()
    try:
        p = s3ctl('--audit-log', audit, 'log-level', 'debug', data=s3.data)
        assert p.stdout == 'debug\n'
        assert s3ctl('log-level', data=s3.data).stdout == 'debug\n'
        assert 'log level debug (was info)' in s3.repld.log_text(offset)

        # s3ctl journals in a file of its own: "journal: tailing ..."
        s3.add_user('dbg')
        s3.remove_user('dbg')
        wait_for(lambda: debug_lines(s3, offset), 'a debug line')

        # SIGHUP reopens the log at the level set, not the file's
        s3.repld.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert s3ctl('log-level', data=s3.data).stdout == 'debug\n'
    finally:
        s3ctl('log-level', 'info', data=s3.data)

    assert '"operation":"log-level debug"' in audit.read_text()

    offset = s3.repld.log_offset()
    s3.add_user('dbg2')
    s3.remove_user('dbg2')
    c.put_object(Bucket=b, Key='k2', Body=b'y')
    assert [o['Key'] for o in
            c.list_objects_v2(Bucket=b)['Contents']] == ['k2']

    # both of s3ctl's journal files applied (an info line each), and no
    # "tailing" debug line before them
    wait_for(lambda: s3.repld.log_text(offset).count('removing it') >= 2,
             "s3ctl's journals applied")
    assert debug_lines(s3, offset) == []


@pytest.mark.parametrize('level', ['verbose', 'DEBUG', 'x' * 40])
def test_log_level_refused(s3, level):
    p = s3ctl('log-level', level, data=s3.data, check=False)
    assert p.returncode in (1, 2)
    assert p.stdout == ''
    assert s3ctl('log-level', data=s3.data).stdout == 'info\n'
