"""A graceful stop (SIGQUIT) waits for the commits in flight: a worker
shutting down exits as soon as no timer is left, and a PUT whose commit
task runs in the thread pool has no timer of its own, so the task holds
one (ngx_http_s3_task.c).  Without it the worker exited mid-commit and
logged "[alert] open socket #N left in connection M" (seen after a wrk
load of 4 KiB PUTs).

The commit is made slow by t/fault/slow_fsync.c (s3_fsync on, 1.5 s per
fsync while a marker file exists); the 4 KiB PUT is sent in one write
with its headers, so nginx calls the body handler from within
ngx_http_read_client_request_body(), as under wrk.  nginx is stopped
while the PUT is in its commit, the client either waiting for the
answer or gone.
"""

import signal
import socket
import time
from pathlib import Path

import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lib import s3raw


def raw_put(srv, user, path, body):
    """A signed PUT, request line to the last body byte, as bytes."""
    host = f'127.0.0.1:{srv.port}'
    aws = AWSRequest(method='PUT', url=f'http://{host}{path}', data=body,
                     headers={'Content-Length': str(len(body))})
    creds = Credentials(user.access_key, user.secret_key)
    s3raw.Signer(creds).add_auth(aws)
    head = f'PUT {path} HTTP/1.1\r\nHost: {host}\r\n'
    head += ''.join(f'{k}: {v}\r\n' for k, v in aws.headers.items()
                    if k.lower() != 'host')
    return (head + '\r\n').encode() + body


@pytest.mark.parametrize('client', ['waits', 'closes'])
def test_quit_during_commit(srv, shim, client):
    so, marker = shim
    assert s3raw.request(srv, srv.alice, 'PUT', '/quit').status == 200

    marker.touch()
    hit = Path(str(marker) + '.hit')

    sock = socket.create_connection(('127.0.0.1', srv.port), 5)
    try:
        sock.sendall(raw_put(srv, srv.alice, '/quit/obj', b'q' * 4096))

        deadline = time.monotonic() + 10
        while not hit.exists():
            assert time.monotonic() < deadline, 'the PUT never reached fsync'
            time.sleep(0.005)

        if client == 'closes':
            sock.close()

        srv.proc.send_signal(signal.SIGQUIT)

        if client == 'waits':
            sock.settimeout(15)
            answer = b''
            while b'\r\n\r\n' not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
            assert answer.startswith(b'HTTP/1.1 200 '), answer

        srv.proc.wait(15)
    finally:
        sock.close()
        marker.unlink(missing_ok=True)

    assert srv.proc.returncode == 0
    problems = srv.check_logs(0)
    assert not problems, '\n'.join(problems[:30])
