"""aws-sdk-js v3 (npm's @aws-sdk/client-s3, pinned in t/node/package-lock.json
at a release that sends a CRC32 with every upload and stream bodies as
aws-chunked with a trailer) against the server: t/node/s3_client.mjs runs
its named steps once, in one bucket, and each step is one test here, so a
failure names the operation and the SDK's error.  The steps compare what
they read back (whole and ranged GETs) with what they sent; each reports
the SHA-256 of every object it leaves, and test_node_sdk_bytes_read_back
reads those objects again with boto3 and finds them on disk.

`npm ci` fills t/node/node_modules when it is missing or older than the
lock file (from npm's cache when it has the packages).
"""

import hashlib
import json
import re
import shutil
import subprocess

import pytest

from lib.checks import assert_stored, unique_bucket
from lib.server import REGION, TOP

NODE_DIR = TOP / 't/node'
SCRIPT = NODE_DIR / 's3_client.mjs'
STEPS = re.findall(r"^step\('([a-z0-9-]+)'", SCRIPT.read_text(), re.M)

# the objects the steps leave, and whether one object file holds the
# bytes (a multipart object's are in its parts): a Buffer body sent with
# x-amz-checksum-crc32, a stream body sent aws-chunked with a trailer,
# the other checksums, a copy, lib-storage multipart uploads of a Buffer
# and of a stream, a presigned PUT
WRITTEN = [
    ('put-buffer-crc32', 'buf', True),
    ('put-stream-aws-chunked-trailer', 'stream', True),
    ('put-checksum-sha256', 'alg-SHA256', True),
    ('put-checksum-crc32c', 'alg-CRC32C', True),
    ('put-checksum-crc64nvme', 'alg-CRC64NVME', True),
    ('copy-object', 'copy-dst', True),
    ('multipart-lib-storage', 'mpu', False),
    ('multipart-lib-storage-stream', 'mpu-stream', False),
    ('presigned-put', 'pre-put', True),
]


def npm_ci():
    """Installs the locked packages unless node_modules is up to date."""
    stamp = NODE_DIR / 'node_modules/.package-lock.json'
    lock = NODE_DIR / 'package-lock.json'
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    p = subprocess.run(['npm', 'ci', '--prefer-offline', '--no-audit',
                        '--no-fund', '--loglevel=error'],
                       cwd=NODE_DIR, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, f'npm ci failed:\n{p.stderr[-3000:]}'


@pytest.fixture(scope='module')
def node_run(s3, tmp_path_factory):
    """The script's run: (bucket, {step: result}, CompletedProcess)."""
    if shutil.which('node') is None or shutil.which('npm') is None:
        pytest.fail('node and npm are not installed (run auto/deps)')
    npm_ci()
    client = s3.client(s3.alice)
    bucket = unique_bucket('node')
    client.create_bucket(Bucket=bucket)
    home = tmp_path_factory.mktemp('node-home')
    env = {
        'PATH': '/usr/bin:/bin',
        'HOME': str(home),
        'AWS_CONFIG_FILE': str(home / 'no-aws-config'),
        'AWS_SHARED_CREDENTIALS_FILE': str(home / 'no-aws-credentials'),
        'S3_ENDPOINT': s3.endpoint,
        'S3_ACCESS_KEY': s3.alice.access_key,
        'S3_SECRET_KEY': s3.alice.secret_key,
        'S3_BUCKET': bucket,
        'S3_REGION': REGION,
    }
    p = subprocess.run(['node', str(SCRIPT)], cwd=NODE_DIR, env=env,
                       capture_output=True, text=True, timeout=600)
    results = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        results[r['step']] = r
    return bucket, results, p


@pytest.mark.parametrize('step', STEPS)
def test_node_sdk(node_run, step):
    _, results, p = node_run
    assert step in results, \
        f'step {step} did not run (exit {p.returncode}):\n{p.stderr[-3000:]}'
    r = results[step]
    assert r['ok'], f'step {step} failed: {r["error"]}'


def test_node_sdk_exit_status(node_run):
    """Every step ran, in order, and the script exited 0."""
    _, results, p = node_run
    assert list(results) == STEPS, p.stderr[-3000:]
    failed = [f'{s}: {r["error"]}' for s, r in results.items()
              if not r['ok']]
    assert not failed, '\n'.join(failed)
    assert p.returncode == 0, p.stderr[-3000:]


@pytest.mark.parametrize('step,key,one_file', WRITTEN)
def test_node_sdk_bytes_read_back(s3, node_run, step, key, one_file):
    """What the step sent for key reads back through boto3 (SHA-256 of
    the whole object), and is on disk."""
    bucket, results, p = node_run
    r = results.get(step)
    assert r is not None, f'step {step} did not run:\n{p.stderr[-3000:]}'
    assert key in r['wrote'], \
        f'step {step} wrote {r["wrote"]}, error {r.get("error")}'
    sent = r['wrote'][key]
    body = s3.client(s3.alice).get_object(Bucket=bucket,
                                          Key=key)['Body'].read()
    assert (len(body), hashlib.sha256(body).hexdigest()) \
        == (sent['size'], sent['sha256']), f'{key} written by {step}'
    assert_stored(s3, bucket, key, sent['size'] if one_file else 0)
