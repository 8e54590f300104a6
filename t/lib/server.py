"""A real nginx with ngx_http_s3_module, on a free port, and repld beside
it, for the suite.

The configuration is rendered from conf/nginx.conf.in, the same template
`make run` uses, with the error log at info level in the test's tmp dir,
`s3_domain s3.test` so that virtual-host requests can be tested, and a
small `s3_journal_size` so that workers rotate their journal files (and
repld trims them) during the suite.  `s3_list_timeout 2s` is set when the
module has that directive.

repld (build/repld, or $REPLD) is started once nginx listens, as `make
run` does, with its log at info level next to nginx's; its log is checked
like nginx's, and an exit nobody asked for is a problem.

With netns, both run inside that network namespace (`ip netns exec`),
nginx listening on host:port there (t/lib/cluster.py).
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

# ... nor in repld's log or stderr
REPLD_BAD_LOG = re.compile(r'\[(alert|crit|emerg)\]|AddressSanitizer|'
                           r'LeakSanitizer|runtime error|Segmentation fault|'
                           r'core dumped|Assertion .* failed')

JOURNAL_SIZE = '256k'


def top_path(env, default):
    p = Path(os.environ.get(env, default))
    return p if p.is_absolute() else TOP / p


MODULE = top_path('NGX_S3_MODULE',
                  'build/nginx-src/objs/ngx_http_s3_module.so')
S3CTL = top_path('S3CTL', 'build/s3ctl')
REPLD = top_path('REPLD', 'build/repld')


def _listproto_name(macro, default):
    """A socket name from core/s3_listproto.h (the one place it is
    written), so that the suite follows a rename."""
    try:
        text = (TOP / 'core/s3_listproto.h').read_text()
    except FileNotFoundError:
        return default
    m = re.search(rf'#define\s+{macro}\s+"([^"]+)"', text)
    return m.group(1) if m else default


LIST_SOCK = _listproto_name('S3_LISTPROTO_LIST_SOCK', 'repld.list.sock')


def module_directive(name):
    """The contexts (NGX_HTTP_*_CONF flags) of one of the module's
    directives, read from its source, or None when it has no such
    directive."""
    for src in sorted((TOP / 'ngx_module').glob('*.c')):
        text = src.read_text(errors='replace')
        m = re.search(r'ngx_string\("' + re.escape(name) + r'"\),\s*([^,]+),',
                      text)
        if m:
            return m.group(1)
    return None


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


class Repld:
    """repld for one data directory: start, stop with a signal, kill -9,
    restart.  Exits that were not asked for (a crash) and bad log lines
    are collected by problems()."""

    def __init__(self, tmp, data, name='repld', prefix=()):
        self.tmp = Path(tmp)
        self.prefix = list(prefix)   # e.g. ip netns exec NS
        self.data = Path(data)
        self.conf = self.tmp / f'{name}.conf'
        self.log = self.tmp / f'{name}.log'
        self.stderr_log = self.tmp / f'{name}.stderr'
        self.sock = self.data / LIST_SOCK
        self.proc = None
        self.starts = 0
        self.exits = []              # problems: exits nobody asked for
        self.extra = ''              # more configuration lines

    def render(self):
        self.conf.write_text(f'# written by t/lib/server.py\n'
                             f'data_dir {self.data}\n'
                             f'log_file {self.log}\n'
                             f'log_level info\n' + self.extra)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, wait=True, timeout=10):
        if not REPLD.exists():
            raise RuntimeError(f'{REPLD} not built (make repld)')
        self.check_exit()
        assert not self.running, 'repld is already running'
        self.render()
        with open(self.stderr_log, 'ab') as err:
            self.proc = subprocess.Popen(
                self.prefix + [str(REPLD), '-c', str(self.conf)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        self.starts += 1
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=10):
        """Waits until repld accepts connections on its listing socket."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError(f'repld exited with {rc} at start-up:\n'
                                   + self.read_logs())
            if self.listening():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f'repld did not accept connections on '
                                   f'{self.sock} within {timeout}s:\n'
                                   + self.read_logs())
            time.sleep(0.02)

    def listening(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(0.5)
            s.connect(str(self.sock))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def check_exit(self):
        """Records an exit nobody asked for (a crash)."""
        if self.proc is not None and self.proc.poll() is not None:
            self.exits.append(f'repld (pid {self.proc.pid}) exited by itself '
                              f'with {self.proc.returncode}')
            self.proc = None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops repld with sig; returns its exit status (0 expected for
        SIGTERM and SIGINT, -9 for SIGKILL), or None when it was not
        running."""
        self.check_exit()
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exits.append(f'repld did not exit within {timeout}s of '
                              f'signal {sig}')
            rc = 'timeout'
        self.proc = None
        if sig in (signal.SIGTERM, signal.SIGINT) and rc != 0:
            self.exits.append(f'repld exited with {rc} after signal {sig}')
        return rc

    def kill(self):
        """kill -9."""
        return self.stop(signal.SIGKILL)

    def restart(self, timeout=10):
        self.stop()
        return self.start(timeout=timeout)

    def read_logs(self):
        out = []
        for p in (self.log, self.stderr_log):
            if p.exists():
                out.append(f'--- {p}\n' + p.read_text(errors='replace')[-8000:])
        return '\n'.join(out)

    def log_offset(self):
        try:
            return self.log.stat().st_size
        except FileNotFoundError:
            return 0

    def log_text(self, offset=0):
        try:
            with open(self.log, 'rb') as f:
                f.seek(offset)
                return f.read().decode(errors='replace')
        except FileNotFoundError:
            return ''

    def bad_lines(self, offset):
        lines = self.log_text(offset).splitlines()
        if offset == 0 and self.stderr_log.exists():
            lines += self.stderr_log.read_text(errors='replace').splitlines()
        return [ln for ln in lines if REPLD_BAD_LOG.search(ln)]

    def problems(self, offset=0):
        """Crashes since the start (or the whole session) and bad log
        lines since offset."""
        self.check_exit()
        out = list(self.exits)
        self.exits.clear()
        return out + self.bad_lines(offset)


class Server:
    def __init__(self, tmp, journal_size=JOURNAL_SIZE, repld=True,
                 netns=None, host='127.0.0.1', port=None):
        self.tmp = Path(tmp)
        self.netns = netns
        self.host = host
        self.prefix = ['ip', 'netns', 'exec', netns] if netns else []
        self.run_dir = self.tmp / 'run'
        self.data = self.tmp / 'data'
        self.error_log = self.tmp / 'error.log'
        self.stderr_log = self.tmp / 'nginx.stderr'
        self.conf = self.run_dir / 'nginx.conf'
        self.journal_size = journal_size
        self.port = port
        self.admin_port = None
        self.proc = None
        self.users = {}
        self.http_extra = []     # more http-level directives
        self.repld = (Repld(self.tmp, self.data, prefix=self.prefix)
                      if repld else None)

    # configuration and process

    @property
    def endpoint(self):
        return f'http://{self.host}:{self.port}'

    @property
    def admin_url(self):
        """The admin listener: /metrics and /health/*."""
        return f'http://{self.host}:{self.admin_port}'

    def render(self):
        self.admin_port = self.admin_port or free_port()
        if os.geteuid() == 0:
            user = 'root root'
        else:
            user = f'{getpass.getuser()} {grp.getgrgid(os.getgid()).gr_name}'
        values = {
            'MODULE': str(MODULE),
            'USER': user,
            'RUN': str(self.run_dir),
            'ERROR_LOG': f'{self.error_log} info',
            'LISTEN': self.host,
            'PORT': str(self.port),
            'ADMIN_LISTEN': self.host,
            'ADMIN_PORT': str(self.admin_port),
            'DATA': str(self.data),
            'S3_EXTRA': f's3_domain {DOMAIN};',
            'HTTP_EXTRA': '',
        }
        http, loc = list(self.http_extra), []
        if self.journal_size:
            http.append(f's3_journal_size {self.journal_size};')
        ctx = module_directive('s3_list_timeout')
        if ctx is not None:
            (loc if 'LOC_CONF' in ctx else http).append('s3_list_timeout 2s;')
        values['HTTP_EXTRA'] = ' '.join(http)
        values['S3_EXTRA'] = ' '.join([values['S3_EXTRA']] + loc)
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

    def start(self, start_repld=True):
        if not MODULE.exists():
            raise RuntimeError(f'{MODULE} not built (make module)')
        if not S3CTL.exists():
            raise RuntimeError(f'{S3CTL} not built (make repld)')
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.render()
        with open(self.stderr_log, 'wb') as err:
            self.proc = subprocess.Popen(
                self.prefix + [NGINX, '-p', str(self.run_dir), '-c', str(self.conf),
                 '-e', str(self.error_log)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                env=self.nginx_env())
        self.wait_port()
        # after nginx: it sweeps DATA/tmp when it starts (see auto/run)
        if self.repld is not None and start_repld:
            self.repld.start()

    def wait_port(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f'nginx exited with {self.proc.returncode}:\n'
                    + self.read_logs())
            try:
                socket.create_connection((self.host, self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError('nginx did not listen within '
                           f'{timeout}s:\n' + self.read_logs())

    def stop(self):
        """Stops nginx gracefully, then repld; returns a list of problems
        found."""
        problems = self.stop_nginx()
        if self.repld is not None:
            self.repld.stop()
            problems += self.repld.problems(0)
        return problems

    def stop_nginx(self):
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

    def log_offsets(self):
        """(nginx error log, repld log) offsets for problems_since()."""
        return (self.log_offset(),
                self.repld.log_offset() if self.repld else 0)

    def problems_since(self, offsets):
        """Bad nginx and repld log lines since offsets, and repld crashes."""
        out = [f'nginx: {ln}' for ln in self.bad_lines(offsets[0])]
        if self.repld is not None:
            out += [f'repld: {ln}'
                    for ln in self.repld.problems(offsets[1])]
        return out

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

    def client(self, user, pool=10, **s3_config):
        """A Debian boto3 S3 client for user, path style; pool: its
        connection pool size (for clients shared by threads)."""
        s3_config.setdefault('addressing_style', 'path')
        session = boto3.session.Session(
            aws_access_key_id=user.access_key,
            aws_secret_access_key=user.secret_key,
            region_name=REGION)
        return session.client(
            's3', endpoint_url=self.endpoint,
            config=Config(signature_version='s3v4', s3=s3_config,
                          retries={'total_max_attempts': 1},
                          max_pool_connections=pool,
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
        """What DATA/tmp holds: the store's own temp files, and request
        bodies in its one-digit level directories (client_body_temp_path
        tmp 1), which stay when empty."""
        out = []
        for e in (self.data / 'tmp').iterdir():
            if len(e.name) == 1 and e.is_dir():
                out += [f'{e.name}/{f}' for f in os.listdir(e)]
            else:
                out.append(e.name)
        return sorted(out)
