"""A full disk: the data directory is a small tmpfs (8 MiB) mounted by the
test (root only; unmounted in teardown).

- a PUT larger than the free space fails with an S3 error, status 507,
  Code InsufficientStorage, and leaves no object and no temp file; the
  store works again once space is freed; the same for a body sent with
  Transfer-Encoding: chunked, whose rest is read and dropped;
- a PUT whose body fits but whose commit (the record appended to the
  file) does not, gets the same 507 and leaves nothing either.
"""

import hashlib
import http.client
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from faultsrv import NO_SPACE, FaultServer
from lib import s3raw
from lib.checks import unique_bucket

SIZE = '8m'

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason='mounting a tmpfs needs root')


@pytest.fixture
def srv(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={SIZE},mode=0755',
                    'ngx_s3_full', str(data)], check=True, timeout=30)
    s = FaultServer(tmp_path, data=data, repld=False,
                    allow=[NO_SPACE])
    try:
        s.start()
        s.alice = s.add_user('alice')
        yield s
    finally:
        problems = s.stop()
        subprocess.run(['umount', str(data)], check=True, timeout=30)
        assert not problems, '\n'.join(problems[:30])


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def put(srv, path, body):
    return s3raw.request(srv, srv.alice, 'PUT', path, body=body)


def put_chunked(srv, path, body, piece=65536):
    """A PUT with Transfer-Encoding: chunked and no Content-Length."""
    host = f'127.0.0.1:{srv.port}'
    aws = AWSRequest(method='PUT', url=f'http://{host}{path}',
                     headers={'Transfer-Encoding': 'chunked'})
    creds = Credentials(srv.alice.access_key, srv.alice.secret_key)
    s3raw.Signer(creds, payload_hash=s3raw.UNSIGNED).add_auth(aws)
    conn = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=60)
    try:
        conn.putrequest('PUT', path, skip_host=True,
                        skip_accept_encoding=True)
        conn.putheader('Host', host)
        for k, v in aws.headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        for i in range(0, len(body), piece):
            chunk = body[i:i + piece]
            conn.send(b'%x\r\n%s\r\n' % (len(chunk), chunk))
        conn.send(b'0\r\n\r\n')
        r = conn.getresponse()
        return s3raw.Response(r.status, r.reason, r.headers, r.read())
    finally:
        conn.close()


def fill(srv, leave):
    """A file outside the store that leaves `leave` bytes free."""
    filler = srv.data / 'filler'
    n = free_bytes(srv.data) - leave
    assert n > 0
    with open(filler, 'wb') as f:
        f.write(b'\0' * n)
    assert free_bytes(srv.data) == leave, free_bytes(srv.data)
    return filler


def assert_nothing_left(srv, bucket, key):
    # the temp file goes with the request's pool, once nginx has closed
    # the connection (a lingering close after an early answer)
    deadline = time.monotonic() + 5
    while srv.tmp_entries():
        assert time.monotonic() < deadline, \
            f'temp files left in DATA/tmp: {srv.tmp_entries()}'
        time.sleep(0.02)
    assert srv.object_files(bucket, key) == []
    r = s3raw.request(srv, srv.alice, 'GET', s3raw.object_path(bucket, key))
    assert r.status == 404 and r.code == 'NoSuchKey', r


def s3_code(r):
    try:
        return ET.fromstring(r.body).findtext('Code')
    except ET.ParseError:
        return None


def works_again(srv, bucket, filler):
    filler.unlink()
    body = os.urandom(3 << 20)
    path = s3raw.object_path(bucket, 'after')
    r = put(srv, path, body)
    assert r.status == 200, r
    r = s3raw.request(srv, srv.alice, 'GET', path)
    assert r.status == 200 and r.body == body
    assert srv.tmp_entries() == []


def test_put_larger_than_free_space(srv):
    bucket = unique_bucket('full')
    assert put(srv, f'/{bucket}', b'').status == 200
    filler = fill(srv, 2 << 20)
    body = os.urandom(3 << 20)
    path = s3raw.object_path(bucket, 'big')

    r = put(srv, path, body)

    assert (r.status, s3_code(r)) == (507, 'InsufficientStorage'), r
    assert r.header('Content-Type') == 'application/xml', r
    assert_nothing_left(srv, bucket, 'big')
    works_again(srv, bucket, filler)


def test_chunked_put_larger_than_free_space(srv):
    """No Content-Length: the disk fills while the body streams; the rest
    of it is read and dropped, then the client hears 507."""
    bucket = unique_bucket('full')
    assert put(srv, f'/{bucket}', b'').status == 200
    filler = fill(srv, 2 << 20)
    body = os.urandom(6 << 20)
    path = s3raw.object_path(bucket, 'streamed')

    r = put_chunked(srv, path, body)

    assert (r.status, s3_code(r)) == (507, 'InsufficientStorage'), r
    assert_nothing_left(srv, bucket, 'streamed')
    works_again(srv, bucket, filler)


def test_commit_does_not_fit(srv):
    """The body fits exactly; appending the record needs one more page."""
    bucket = unique_bucket('full')
    assert put(srv, f'/{bucket}', b'').status == 200
    # a first object: the journal file gets its first page now
    assert put(srv, s3raw.object_path(bucket, 'first'), b'x').status == 200
    page = os.statvfs(srv.data).f_frsize
    body = os.urandom(256 * page)
    filler = fill(srv, len(body))
    path = s3raw.object_path(bucket, 'exact')

    r = put(srv, path, body)

    assert (r.status, s3_code(r)) == (507, 'InsufficientStorage'), r
    assert hashlib.md5(body).hexdigest() not in r.body.decode(errors='replace')
    assert_nothing_left(srv, bucket, 'exact')
    works_again(srv, bucket, filler)
