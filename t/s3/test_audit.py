"""The audit log (ngx_http_s3_audit.c): one JSON line per write and per
denied request, with the fields docs/CONFIG.md lists, valid JSON whatever
the key holds, and a new file after `nginx -s reopen`.  A server of its
own, configured with s3_audit_log."""

import json
import os
import re
import signal
import time

import pytest
from botocore.exceptions import ClientError

from lib import s3raw
from lib.checks import unique_bucket
from lib.server import Server, s3ctl

FIELDS = {'time', 'request_id', 'user', 'access_key', 'remote_addr',
          'operation', 'bucket', 'key', 'status', 'error', 'bytes_in',
          'bytes_out'}
TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ngx_s3_audit')
    s = Server(tmp)
    s.audit = tmp / 'audit.log'
    s.http_extra.append(f's3_audit_log {s.audit};')
    try:
        s.start()
        s.alice = s.add_user('alice')
        s.bob = s.add_user('bob')
        yield s
    finally:
        problems = s.stop()
        assert not problems, problems


class Lines:
    """The lines the audit log gained since it was made."""

    def __init__(self, path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self, want, timeout=5):
        """Waits (bounded) for want new lines, then returns every new
        line parsed; the log-phase write follows the response."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.path.read_bytes()[self.offset:]
            lines = data.splitlines()
            if len(lines) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(0.1)
        data = self.path.read_bytes()[self.offset:]
        assert data == b'' or data.endswith(b'\n')
        out = []
        for raw in data.splitlines():
            line = json.loads(raw.decode('utf-8'))
            assert set(line) == FIELDS, line
            assert TIME.match(line['time']), line['time']
            assert len(line['request_id']) == 16
            assert line['remote_addr'] == '127.0.0.1'
            out.append(line)
        return out


def test_one_line_per_write(srv):
    c = srv.client(srv.alice)
    b = unique_bucket('audit')
    key = 'q"uote\\back\nnew\ttab\x01ctl/\u65e5\u672c'

    lines = Lines(srv.audit)
    c.create_bucket(Bucket=b)
    r = c.put_object(Bucket=b, Key=key, Body=b'x' * 4096)
    c.get_object(Bucket=b, Key=key)['Body'].read()
    c.head_object(Bucket=b, Key=key)
    c.list_objects_v2(Bucket=b)
    c.delete_object(Bucket=b, Key=key)
    got = lines.read(3)

    assert [g['operation'] for g in got] == [
        'CreateBucket', 'PutObject', 'DeleteObject']
    put = got[1]
    assert put['key'] == key
    assert put['bucket'] == b
    assert put['user'] == 'alice'
    assert put['access_key'] == srv.alice.access_key
    assert put['status'] == 200 and put['error'] == ''
    assert put['bytes_in'] > 4096
    assert put['bytes_out'] > 0
    assert put['request_id'] == \
        r['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']
    assert got[2]['status'] == 204


def test_denied_requests(srv):
    c = srv.client(srv.alice)
    b = unique_bucket('audit')
    lines = Lines(srv.audit)
    c.create_bucket(Bucket=b)
    c.put_object(Bucket=b, Key='private', Body=b'p')

    with pytest.raises(ClientError):
        srv.client(srv.bob).get_object(Bucket=b, Key='private')

    bad = s3raw.request(srv, srv.alice, 'PUT', f'/{b}/forged', body=b'z',
                        after_sign=lambda h: h.update(
                            {'x-amz-date': '20200101T000000Z'}))
    assert bad.status == 403

    anon = s3raw.request(srv, None, 'PUT', f'/{b}/anon', body=b'a')
    assert anon.status == 403

    got = lines.read(5)
    assert [g['operation'] for g in got[:2]] == ['CreateBucket', 'PutObject']
    got = got[2:]
    assert len(got) == 3, got

    assert got[0]['operation'] == 'GetObject'
    assert got[0]['user'] == 'bob' and got[0]['status'] == 403
    assert got[0]['error'] == 'AccessDenied'
    assert got[0]['key'] == 'private'

    # refused before it was authenticated: the operation is known, the
    # user is not, the access key it claimed is
    assert got[1]['operation'] == 'PutObject'
    assert got[1]['user'] == ''
    assert got[1]['access_key'] == srv.alice.access_key
    assert got[1]['error'] in ('SignatureDoesNotMatch',
                               'RequestTimeTooSkewed')

    assert got[2]['operation'] == 'PutObject'
    assert got[2]['access_key'] == '' and got[2]['error'] == 'AccessDenied'


def test_key_not_utf8(srv):
    """A key of bytes that are not UTF-8 still gives a valid JSON line,
    and the exact bytes back through surrogateescape."""
    c = srv.client(srv.alice)
    b = unique_bucket('audit')
    lines = Lines(srv.audit)
    c.create_bucket(Bucket=b)
    s3raw.request(srv, srv.alice, 'PUT', f'/{b}/bad%FF%C3(key', body=b'k')
    got = lines.read(2)

    assert len(got) == 2
    raw = got[1]['key'].encode('utf-8', 'surrogateescape')
    assert raw == b'bad\xff\xc3(key'


def test_reopen(srv):
    c = srv.client(srv.alice)
    b = unique_bucket('audit')
    c.create_bucket(Bucket=b)

    moved = srv.audit.with_name('audit.log.1')
    os.rename(srv.audit, moved)
    size = moved.stat().st_size

    os.kill(srv.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not srv.audit.exists():
        assert time.monotonic() < deadline, 'not reopened within 10s'
        time.sleep(0.05)

    # the workers reopen after the master: a PUT logged to the old file
    # until then would still be one line, but in the wrong file
    deadline = time.monotonic() + 10
    while True:
        c.put_object(Bucket=b, Key='after', Body=b'a')
        if srv.audit.stat().st_size > 0:
            break
        assert time.monotonic() < deadline, 'workers did not reopen'
        time.sleep(0.1)

    lines = Lines(srv.audit)
    lines.offset = 0
    got = lines.read(1)
    assert got[-1]['operation'] == 'PutObject'
    assert got[-1]['key'] == 'after'
    old = moved.read_bytes()[size:]
    assert all(json.loads(ln)['bucket'] == b for ln in old.splitlines())


def test_s3ctl_writes_its_actions(srv, tmp_path):
    log = tmp_path / 'admin-audit.log'
    s3ctl('--audit-log', log, 'user', 'add', 'carol', data=srv.data)
    s3ctl('--audit-log', log, 'user', 'remove', 'carol', data=srv.data)

    got = [json.loads(ln) for ln in log.read_text().splitlines()]
    assert [g['operation'] for g in got] == ['user add', 'user remove']
    for g in got:
        assert g['user'] == 'carol' and g['status'] == 0
        assert TIME.match(g['time'])
        assert g['source'] == 's3ctl'
