"""A real nginx with ngx_http_s3_module, on a free port, for the suite.

The configuration is rendered from conf/nginx.conf.in, the same template
`make run` uses, with the error log at info level in the test's tmp dir and
`s3_domain s3.test` so that virtual-host requests can be tested.
"""

import getpass
import grp
import hashlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import boto3
from botocore.config import Config

TOP = Path(__file__).resolve().parents[2]
NGINX = os.environ.get('NGINX', '/usr/sbin/nginx')
DOMAIN = 's3.test'
REGION = 'us-east-1'

# what must never appear in the error log
BAD_LOG = re.compile(r'\[(alert|crit|emerg)\]|AddressSanitizer|'
                     r'LeakSanitizer|runtime error')


def top_path(env, default):
    p = Path(os.environ.get(env, default))
    return p if p.is_absolute() else TOP / p


MODULE = top_path('NGX_S3_MODULE',
                  'build/nginx-src/objs/ngx_http_s3_module.so')
S3CTL = top_path('S3CTL', 'build/s3ctl')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def s3ctl(*args, data=None, check=True, env=None):
    """Runs build/s3ctl; returns the CompletedProcess (text mode)."""
    cmd = [str(S3CTL)]
    if data is not None:
        cmd += ['--data', str(data)]
    cmd += [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=30)
    if check and p.returncode != 0:
        raise AssertionError(f'{cmd} exited {p.returncode}: {p.stderr}')
    return p


def parse_keys(out):
    """Parses the `access_key AK` / `secret_key SK` lines of user add."""
    keys = dict(line.split(' ', 1) for line in out.splitlines() if line)
    return keys['access_key'], keys['secret_key']


class User:
    def __init__(self, name, access_key, secret_key):
        self.name = name
        self.access_key = access_key
        self.secret_key = secret_key

    def __repr__(self):
        return f'User({self.name!r}, {self.access_key!r})'


class Server:
    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.run_dir = self.tmp / 'run'
        self.data = self.tmp / 'data'
        self.error_log = self.tmp / 'error.log'
        self.stderr_log = self.tmp / 'nginx.stderr'
        self.conf = self.run_dir / 'nginx.conf'
        self.port = None
        self.proc = None
        self.users = {}

    # configuration and process

    @property
    def endpoint(self):
        return f'http://127.0.0.1:{self.port}'

    def render(self):
        if os.geteuid() == 0:
            user = 'root root'
        else:
            user = f'{getpass.getuser()} {grp.getgrgid(os.getgid()).gr_name}'
        values = {
            'MODULE': str(MODULE),
            'USER': user,
            'RUN': str(self.run_dir),
            'ERROR_LOG': f'{self.error_log} info',
            'LISTEN': '127.0.0.1',
            'PORT': str(self.port),
            'DATA': str(self.data),
            'S3_EXTRA': f's3_domain {DOMAIN};',
        }
        text = (TOP / 'conf/nginx.conf.in').read_text()
        for k, v in values.items():
            text = text.replace(f'@{k}@', v)
        leftover = re.findall(r'@[A-Z_0-9]+@', text)
        assert not leftover, f'unrendered placeholders {leftover}'
        self.conf.write_text(text)

    def nginx_env(self):
        env = dict(os.environ)
        preload = os.environ.get('NGX_S3_LD_PRELOAD')
        if preload:
            env['LD_PRELOAD'] = preload
            env.setdefault('ASAN_OPTIONS', 'detect_leaks=0')
        return env

    def start(self):
        if not MODULE.exists():
            raise RuntimeError(f'{MODULE} not built (make module)')
        if not S3CTL.exists():
            raise RuntimeError(f'{S3CTL} not built (make repld)')
        self.run_dir.mkdir(parents=True)
        self.data.mkdir(parents=True)
        self.port = free_port()
        self.render()
        with open(self.stderr_log, 'wb') as err:
            self.proc = subprocess.Popen(
                [NGINX, '-p', str(self.run_dir), '-c', str(self.conf),
                 '-e', str(self.error_log)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                env=self.nginx_env())
        self.wait_port()

    def wait_port(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f'nginx exited with {self.proc.returncode}:\n'
                    + self.read_logs())
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError('nginx did not listen within '
                           f'{timeout}s:\n' + self.read_logs())

    def stop(self):
        """Stops nginx gracefully; returns a list of problems found."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append('nginx did not exit within 15s of SIGQUIT')
        if self.proc.returncode != 0:
            problems.append(f'nginx exited with {self.proc.returncode}')
        self.proc = None
        problems += self.bad_lines(0)
        return problems

    def read_logs(self):
        out = []
        for p in (self.error_log, self.stderr_log):
            if p.exists():
                out.append(f'--- {p}\n' + p.read_text(errors='replace'))
        return '\n'.join(out)

    def log_offset(self):
        try:
            return self.error_log.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset):
        try:
            with open(self.error_log, 'rb') as f:
                f.seek(offset)
                return f.read().decode(errors='replace').splitlines()
        except FileNotFoundError:
            return []

    def bad_lines(self, offset):
        lines = self.log_since(offset)
        if offset == 0 and self.stderr_log.exists():
            lines += self.stderr_log.read_text(errors='replace').splitlines()
        return [ln for ln in lines if BAD_LOG.search(ln)]

    # users and clients

    def add_user(self, name, *extra):
        p = s3ctl('user', 'add', name, *extra, data=self.data)
        user = User(name, *parse_keys(p.stdout))
        self.users[name] = user
        return user

    def remove_user(self, name):
        s3ctl('user', 'remove', name, data=self.data)
        self.users.pop(name, None)

    def client(self, user, **s3_config):
        """A Debian boto3 S3 client for user, path style."""
        s3_config.setdefault('addressing_style', 'path')
        session = boto3.session.Session(
            aws_access_key_id=user.access_key,
            aws_secret_access_key=user.secret_key,
            region_name=REGION)
        return session.client(
            's3', endpoint_url=self.endpoint,
            config=Config(signature_version='s3v4', s3=s3_config,
                          retries={'total_max_attempts': 1},
                          connect_timeout=5, read_timeout=120))

    def vhost_client(self, user):
        """Virtual-host style requests for user (see s3raw.VHostClient)."""
        from .s3raw import VHostClient
        return VHostClient(self, user)

    # the disk

    def bucket_dir(self, bucket):
        return self.data / 'buckets' / bucket

    def object_files(self, bucket, key):
        """Files under DATA/buckets/<bucket>/obj/ named sha256(key)."""
        if isinstance(key, str):
            key = key.encode()
        name = hashlib.sha256(key).hexdigest()
        root = self.bucket_dir(bucket) / 'obj'
        if not root.exists():
            return []
        return sorted(p for p in root.rglob(name) if p.is_file())

    def tmp_entries(self):
        return sorted(os.listdir(self.data / 'tmp'))
