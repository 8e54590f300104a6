"""aws-sdk-js v3 (npm's @aws-sdk/client-s3, pinned in t/node/package-lock.json
at a release that sends a CRC32 with every upload and stream bodies as
aws-chunked with a trailer) against the server: t/node/s3_client.mjs runs
its named steps once, in one bucket, and each step is one test here, so a
failure names the operation.

`npm ci` fills t/node/node_modules when it is missing or older than the
lock file (from npm's cache when it has the packages).
"""

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
    assert r['ok'], r['error']


def test_node_sdk_exit_status(node_run):
    """Every step ran and the script's exit status says whether one
    failed."""
    _, results, p = node_run
    assert list(results) == STEPS, p.stderr[-3000:]
    failed = [s for s, r in results.items() if not r['ok']]
    assert p.returncode == (1 if failed else 0), p.stderr[-3000:]


def test_node_sdk_objects_on_disk(s3, node_run):
    """Each object an upload step wrote is one object file on disk (the
    steps themselves compare the bytes read back)."""
    bucket, results, _ = node_run
    keys = {
        'put-buffer-crc32': ('buf', 100000),
        'put-stream-aws-chunked-trailer': ('stream', 300000),
        'put-checksum-crc64nvme': ('alg-CRC64NVME', 70000),
        'presigned-put': ('pre-put', 4000),
    }
    for step, (key, size) in keys.items():
        if results[step]['ok']:
            assert_stored(s3, bucket, key, size)
