"""The command-line clients: Debian's aws cli against nginx, and s3ctl
(users, journal tail)."""

import hashlib
import os
import re
import select
import signal
import subprocess
import time

import pytest

from lib.checks import assert_stored, md5_hex, s3_error, unique_bucket
from lib.server import S3CTL, parse_keys, s3ctl

AWS = '/usr/bin/aws'
MiB = 1024 * 1024


def aws(s3, tmp_path, *args, check=True):
    env = {
        'PATH': '/usr/bin:/bin',
        'HOME': str(tmp_path),
        'AWS_ACCESS_KEY_ID': s3.alice.access_key,
        'AWS_SECRET_ACCESS_KEY': s3.alice.secret_key,
        'AWS_DEFAULT_REGION': 'us-east-1',
        'AWS_CONFIG_FILE': str(tmp_path / 'no-aws-config'),
        'AWS_SHARED_CREDENTIALS_FILE': str(tmp_path / 'no-aws-credentials'),
        'AWS_PAGER': '',
        'AWS_EC2_METADATA_DISABLED': 'true',
    }
    p = subprocess.run([AWS, '--endpoint-url', s3.endpoint, *args],
                       capture_output=True, env=env, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f'aws {args} exited {p.returncode}: '
                             f'{p.stderr.decode(errors="replace")}')
    return p


def journal(data, *args):
    """Parsed `s3ctl journal tail` lines (keys and buckets must be plain)."""
    p = s3ctl('journal', 'tail', *args, data=data)
    return [JournalLine(ln) for ln in p.stdout.splitlines()], p


class JournalLine:
    def __init__(self, line):
        f = line.split(' ')
        # the upload ops end with the upload id, complete-upload also
        # with the part count (docs/CLI.md)
        extra = {'create-upload': 1, 'abort-upload': 1,
                 'complete-upload': 2}.get(f[2], 0)
        upload_op = extra != 0
        assert len(f) == 8 + extra, line
        self.file, self.op, self.bucket, self.key = f[0], f[2], f[4], f[5]
        self.offset, self.hlc, self.size = int(f[1]), int(f[3]), int(f[6])
        self.etag = f[7]
        self.upload_id = f[8] if upload_op else None

    def __repr__(self):
        return (f'<{self.op} {self.bucket} {self.key} {self.size} '
                f'{self.etag} @{self.file}:{self.offset}>')


# aws cli

def test_aws_cli_roundtrip(s3, alice, tmp_path):
    bucket = unique_bucket('cli')
    src = tmp_path / 'src.bin'
    data = os.urandom(7 * MiB)          # below the cli's multipart threshold
    src.write_bytes(data)

    p = aws(s3, tmp_path, 's3', 'mb', f's3://{bucket}')
    assert f'make_bucket: {bucket}' in p.stdout.decode()
    assert (s3.bucket_dir(bucket) / 'bucket').is_file()

    p = aws(s3, tmp_path, 's3', 'ls')
    assert re.search(rf'\s{re.escape(bucket)}$', p.stdout.decode(), re.M), \
        p.stdout

    aws(s3, tmp_path, 's3', 'cp', str(src), f's3://{bucket}/dir/x.bin')
    assert_stored(s3, bucket, 'dir/x.bin', len(data))
    head = alice.head_object(Bucket=bucket, Key='dir/x.bin')
    assert head['ETag'] == f'"{md5_hex(data)}"'

    p = aws(s3, tmp_path, 's3', 'cp', f's3://{bucket}/dir/x.bin', '-')
    assert hashlib.sha256(p.stdout).digest() == hashlib.sha256(data).digest()

    aws(s3, tmp_path, 's3', 'rm', f's3://{bucket}/dir/x.bin')
    with s3_error('404', 404):
        alice.head_object(Bucket=bucket, Key='dir/x.bin')
    assert s3.object_files(bucket, 'dir/x.bin') == []

    aws(s3, tmp_path, 's3', 'rb', f's3://{bucket}')
    assert not s3.bucket_dir(bucket).exists()
    p = aws(s3, tmp_path, 's3', 'ls')
    assert bucket not in p.stdout.decode()


def test_aws_cli_rb_non_empty_fails(s3, alice, bucket, tmp_path):
    alice.put_object(Bucket=bucket, Key='k', Body=b'x')
    p = aws(s3, tmp_path, 's3', 'rb', f's3://{bucket}', check=False)
    assert p.returncode != 0
    assert b'BucketNotEmpty' in p.stderr, p.stderr
    alice.head_bucket(Bucket=bucket)


def test_aws_cli_cp_missing_key_fails(s3, bucket, tmp_path):
    p = aws(s3, tmp_path, 's3', 'cp', f's3://{bucket}/none', '-',
            check=False)
    assert p.returncode != 0
    assert p.stdout == b''


def test_aws_s3api_metadata(s3, bucket, tmp_path):
    src = tmp_path / 'm.txt'
    src.write_bytes(b'metadata')
    aws(s3, tmp_path, 's3api', 'put-object', '--bucket', bucket, '--key', 'm',
        '--body', str(src), '--content-type', 'text/x-test',
        '--metadata', 'a=1,b=two')
    p = aws(s3, tmp_path, 's3api', 'head-object', '--bucket', bucket,
            '--key', 'm')
    out = p.stdout.decode()
    assert '"ContentType": "text/x-test"' in out, out
    assert '"a": "1"' in out and '"b": "two"' in out, out


# s3ctl users

def test_s3ctl_user_add_generates_keys(tmp_path):
    p = s3ctl('user', 'add', 'gen', data=tmp_path / 'd')
    ak, sk = parse_keys(p.stdout)
    assert re.fullmatch(r'[A-Z0-9]{20}', ak), ak
    assert re.fullmatch(r'[A-Za-z0-9+/]{40}', sk), sk
    p2 = s3ctl('user', 'add', 'gen2', data=tmp_path / 'd')
    assert parse_keys(p2.stdout)[0] != ak
    assert parse_keys(p2.stdout)[1] != sk


def test_s3ctl_user_list_sorted(tmp_path):
    d = tmp_path / 'd'
    keys = {}
    for name in ('zed', 'amy', 'mia'):
        keys[name] = parse_keys(s3ctl('user', 'add', name, data=d).stdout)[0]
    lines = s3ctl('user', 'list', data=d).stdout.splitlines()
    assert lines == [f'{n} {keys[n]}' for n in ('amy', 'mia', 'zed')]


def test_s3ctl_user_remove(tmp_path):
    d = tmp_path / 'd'
    s3ctl('user', 'add', 'one', data=d)
    s3ctl('user', 'add', 'two', data=d)
    s3ctl('user', 'remove', 'one', data=d)
    lines = s3ctl('user', 'list', data=d).stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == ['two']
    p = s3ctl('user', 'remove', 'one', data=d, check=False)
    assert p.returncode == 2
    assert p.stderr.startswith('s3ctl: '), p.stderr


def test_s3ctl_user_add_given_keys(tmp_path):
    d = tmp_path / 'd'
    p = s3ctl('user', 'add', 'given', '--access-key', 'AKIAGIVEN0000000001',
              '--secret-key', 'sk/with+chars', data=d)
    assert parse_keys(p.stdout) == ('AKIAGIVEN0000000001', 'sk/with+chars')
    assert s3ctl('user', 'list', data=d).stdout == \
        'given AKIAGIVEN0000000001\n'


def test_s3ctl_user_add_duplicate_fails(tmp_path):
    d = tmp_path / 'd'
    s3ctl('user', 'add', 'dup', '--access-key', 'AKIADUP0000000000001',
          data=d)
    p = s3ctl('user', 'add', 'dup', data=d, check=False)
    assert p.returncode == 2, p
    assert p.stderr.startswith('s3ctl: '), p.stderr
    p = s3ctl('user', 'add', 'other', '--access-key', 'AKIADUP0000000000001',
              data=d, check=False)
    assert p.returncode == 2, p
    assert s3ctl('user', 'list', data=d).stdout.count('\n') == 1


@pytest.mark.parametrize('args', [
    [],
    ['user'],
    ['user', 'add'],
    ['user', 'add', 'bad name!'],
    ['user', 'add', 'x', '--access-key', 'short'],
    ['user', 'add', 'x', '--access-key'],
    ['user', 'remove'],
    ['user', 'list', 'extra'],
    ['journal'],
    ['journal', 'tail', '-x'],
    ['frobnicate'],
])
def test_s3ctl_usage_errors(tmp_path, args):
    p = s3ctl(*args, data=tmp_path / 'd', check=False)
    assert p.returncode == 1, p
    assert p.stderr.startswith('s3ctl: ') or p.stderr.startswith('usage'), \
        p.stderr
    assert p.stdout == ''
    assert not (tmp_path / 'd').exists()      # checked before any change


def test_s3ctl_help(tmp_path):
    p = subprocess.run([str(S3CTL), '--help'], capture_output=True,
                       text=True)
    assert p.returncode == 0
    assert 'user add' in p.stdout and 'journal tail' in p.stdout


def test_s3ctl_data_dir_from_env(tmp_path):
    d = tmp_path / 'envdata'
    env = dict(os.environ, S3_DATA_DIR=str(d))
    s3ctl('user', 'add', 'envuser', env=env)
    assert (d / 'users').is_dir()
    assert s3ctl('user', 'list', data=d).stdout.startswith('envuser ')


def test_s3ctl_default_data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'S3_DATA_DIR'}
    p = subprocess.run([str(S3CTL), 'user', 'add', 'here'], cwd=tmp_path,
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / 'var/data/users').is_dir()


# s3ctl journal

def test_journal_tail_shows_object_changes(s3, alice):
    bucket = unique_bucket('jnl')
    body = b'journaled body'
    alice.create_bucket(Bucket=bucket)
    alice.put_object(Bucket=bucket, Key='j/key', Body=body)
    alice.delete_object(Bucket=bucket, Key='j/key')
    alice.delete_bucket(Bucket=bucket)

    lines, _ = journal(s3.data)
    mine = [ln for ln in lines if ln.bucket == bucket]
    ops = [ln.op for ln in mine]
    assert ops == ['create-bucket', 'put-object', 'delete-object',
                   'delete-bucket'], mine
    put = mine[1]
    assert put.key == 'j/key'
    assert put.size == len(body)
    assert put.etag == md5_hex(body)
    assert mine[2].key == 'j/key'
    assert mine[2].hlc > put.hlc


def test_journal_tail_offsets(s3, alice, bucket):
    for i in range(3):
        alice.put_object(Bucket=bucket, Key=f'o{i}', Body=b'x' * i)
    lines, _ = journal(s3.data)
    by_file = {}
    for ln in lines:
        by_file.setdefault(ln.file, []).append(ln.offset)
    for f, offsets in by_file.items():
        assert re.fullmatch(r'\d+-\d+\.jnl', f), f
        assert offsets[0] == 0, (f, offsets)
        assert offsets == sorted(set(offsets)), (f, offsets)


def test_journal_tail_user_changes(tmp_path):
    d = tmp_path / 'd'
    ak, _ = parse_keys(s3ctl('user', 'add', 'ju', data=d).stdout)
    s3ctl('user', 'remove', 'ju', data=d)
    lines, p = journal(d)
    # each s3ctl run seals the journal file it wrote
    assert [(ln.op, ln.bucket) for ln in lines] == [
        ('put-user', ak), ('seal', '""'),
        ('delete-user', ak), ('seal', '""')], p.stdout
    assert p.stderr == ''


def test_journal_tail_torn_tail(tmp_path):
    d = tmp_path / 'd'
    ak, _ = parse_keys(s3ctl('user', 'add', 'torn', data=d).stdout)
    files = list((d / 'journal').glob('*.jnl'))
    assert len(files) == 1, files
    # cut the closing seal frame short, as a crash mid-write would
    size = files[0].stat().st_size
    os.truncate(files[0], size - 10)
    lines, p = journal(d)
    assert [(ln.op, ln.bucket) for ln in lines] == [('put-user', ak)]
    assert p.returncode == 0
    assert p.stderr.count('torn') == 1, p.stderr


def test_journal_tail_bad_crc(tmp_path):
    d = tmp_path / 'd'
    s3ctl('user', 'add', 'crc1', data=d)
    files = list((d / 'journal').glob('*.jnl'))
    raw = bytearray(files[0].read_bytes())
    raw[8] ^= 0xff              # the first frame's payload: nothing reads
    files[0].write_bytes(bytes(raw))
    lines, p = journal(d)
    assert lines == []
    assert p.returncode == 0
    assert p.stderr.startswith('s3ctl: '), p.stderr


def test_journal_tail_empty_store(tmp_path):
    lines, p = journal(tmp_path / 'd')
    assert lines == [] and p.stderr == ''


def test_journal_tail_follow(s3, alice, bucket):
    proc = subprocess.Popen([str(S3CTL), '--data', str(s3.data), 'journal',
                             'tail', '-f'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        key = 'followed-' + bucket
        alice.put_object(Bucket=bucket, Key=key, Body=b'f')
        assert wait_for_line(proc, f' put-object {{}} {bucket} {key} ', 10)
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(10)
    assert rc == 0, proc.stderr.read()


def wait_for_line(proc, pattern, timeout):
    """Reads proc's stdout until a line matches pattern ({} = any hlc)."""
    before, after = pattern.split('{}')
    deadline = time.monotonic() + timeout
    buf = b''
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [],
                                    deadline - time.monotonic())
        if not ready:
            break
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        for line in buf.decode(errors='replace').splitlines():
            i = line.find(before)
            if i >= 0 and after in line[i + len(before):]:
                return True
    raise AssertionError(f'no line like {pattern!r} in {buf!r}')
