"""Debian's S3 clients list a bucket as the model says: aws cli (`s3 ls
--recursive`, `s3 ls` with its delimiter), rclone (`lsf -R`, v1 and v2
listings, path style and virtual-host style) and s3cmd (`ls -r`).

Small page sizes make every client page through the listing.
Virtual-host style needs BUCKET.s3.test to reach nginx without DNS: the
clients are pointed at nginx itself as their HTTP proxy (nginx takes the
absolute-form request line, and the Host header names the bucket).
"""

import shutil

import pytest

from lib.checks import etag, unique_bucket
from lib.clients import (AWS, RCLONE, S3CMD, aws_env, base_env, rclone_env,
                         run, s3cmd_config)
from lib.listing import Model
from lib.server import DOMAIN

# rclone's listing page size: small, so every listing pages
LIST_CHUNK = 7

# keys all three clients can represent (no '//', no leading or trailing
# '/', no '.' or '..' segment, no control characters)
KEYS = [
    'a', 'a-', 'a.b/c', 'a/b', 'a/b/c', 'a0', 'a b/c d', 'a+b', 'a%2Bb',
    '100%', 'caf\u00e9/\u65e5\u672c/\u8a9e', '\U0001f600', 'x&y', 'q=1',
    'deep/1/2/3/4', 'dir/sub/file', 'e\u0301', 'sp ace', 'plus+/x',
] + [f'many/{i:03d}' for i in range(45)]


@pytest.fixture(scope='module')
def listed(s3):
    client = s3.client(s3.alice, pool=8)
    b = unique_bucket('cl')
    client.create_bucket(Bucket=b)
    m = Model()
    for k in KEYS:
        body = k.encode()[:7]
        client.put_object(Bucket=b, Key=k, Body=body)
        m.put(k, len(body), etag(body))
    return b, m


def parse_aws_ls(out):
    """`aws s3 ls` lines: 'YYYY-MM-DD HH:MM:SS SIZE(10) KEY' and
    '<27 blanks>PRE PREFIX'."""
    files, pres = [], []
    for line in out.split('\n'):
        if not line:
            continue
        if line.lstrip().startswith('PRE '):
            pres.append(line.lstrip()[4:])
        else:
            size, key = line[20:30], line[31:]
            files.append((key, int(size)))
    return files, pres


@pytest.mark.parametrize('page_size', [7, 1000])
def test_aws_ls_recursive(s3, listed, tmp_path, page_size):
    b, m = listed
    out = run([AWS, '--endpoint-url', s3.endpoint, 's3', 'ls', '--recursive',
               '--page-size', str(page_size), f's3://{b}'],
              aws_env(s3, tmp_path))
    files, pres = parse_aws_ls(out)
    assert pres == []
    assert files == [(k, m.objects[k][0]) for k in m.sorted_keys()]


@pytest.mark.parametrize('prefix', ['', 'a', 'a/', 'many/0', 'caf\u00e9/'])
def test_aws_ls_delimiter(s3, listed, tmp_path, prefix):
    b, m = listed
    out = run([AWS, '--endpoint-url', s3.endpoint, 's3', 'ls',
               '--page-size', '3', f's3://{b}/{prefix}'],
              aws_env(s3, tmp_path))
    files, pres = parse_aws_ls(out)
    # aws prints names relative to the prefix's last '/'
    base = prefix[:prefix.rfind('/') + 1]
    want = m.all_entries(prefix, '/')
    assert pres == [n[len(base):] for kind, n in want if kind == 'P']
    assert [f[0] for f in files] == \
        [n[len(base):] for kind, n in want if kind == 'K']


def test_aws_ls_virtual_host(s3, listed, tmp_path):
    b, m = listed
    env = aws_env(s3, tmp_path)
    env['HTTP_PROXY'] = env['http_proxy'] = s3.endpoint
    cfg = tmp_path / 'aws-config'
    cfg.write_text('[default]\ns3 =\n  addressing_style = virtual\n')
    env['AWS_CONFIG_FILE'] = str(cfg)
    out = run([AWS, '--endpoint-url', f'http://{DOMAIN}:{s3.port}', 's3',
               'ls', '--recursive', '--page-size', '10', f's3://{b}'], env)
    files, _ = parse_aws_ls(out)
    assert [f[0] for f in files] == m.sorted_keys()


@pytest.mark.parametrize('path_style', [True, False],
                         ids=['path', 'vhost'])
@pytest.mark.parametrize('version', [1, 2])
def test_rclone_lsf_recursive(s3, listed, tmp_path, version, path_style):
    b, m = listed
    env = rclone_env(s3, tmp_path, path_style, version, LIST_CHUNK)
    out = run([RCLONE, 'lsf', '-R', '--files-only', '--format', 'ps',
               '--separator', '\t', f'x:{b}'], env)
    got = [tuple(line.rsplit('\t', 1)) for line in out.split('\n') if line]
    got = [(p, int(s)) for p, s in got]
    want = [(k, m.objects[k][0]) for k in m.sorted_keys()]
    # rclone sorts nothing with lsf: it prints in listing order per
    # directory, so compare as sets and check the count
    assert sorted(got) == sorted(want)
    assert len(got) == len(want)


@pytest.mark.parametrize('version', [1, 2])
def test_rclone_lsf_directory(s3, listed, tmp_path, version):
    """rclone lsf of one level: a delimiter '/' listing."""
    b, m = listed
    env = rclone_env(s3, tmp_path, True, version, chunk=3)
    for d in ('', 'a/', 'deep/1/'):
        out = run([RCLONE, 'lsf', f'x:{b}/{d}'], env)
        got = [line for line in out.split('\n') if line]
        want = [n[len(d):] for _, n in m.all_entries(d, '/')]
        assert sorted(got) == sorted(want), d


@pytest.mark.parametrize('path_style', [True, False],
                         ids=['path', 'vhost'])
def test_s3cmd_ls_recursive(s3, listed, tmp_path, path_style):
    b, m = listed
    cfg = s3cmd_config(s3, tmp_path, path_style)
    out = run([S3CMD, '-c', str(cfg), 'ls', '-r', f's3://{b}'],
              base_env(tmp_path))
    got = []
    mark = f's3://{b}/'
    for line in out.split('\n'):
        if mark in line:
            head, key = line.split(mark, 1)
            got.append((key, int(head.split()[-1])))
    assert got == [(k, m.objects[k][0]) for k in m.sorted_keys()]


def test_clients_installed():
    """auto/deps installs them: a missing one is a failure, not a skip."""
    missing = [p for p in (AWS, RCLONE, S3CMD) if not shutil.which(p)]
    assert not missing, f'not installed: {missing} (run auto/deps)'
