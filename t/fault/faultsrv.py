"""A Server (t/lib/server.py) for the fault tests: its own nginx + repld
pair, with the number of workers, the `user` line, LD_PRELOAD and extra
location directives under the test's control; nginx can be restarted on
the same data directory (which may be a mount point made by the test);
the workers can be found and killed.

Its logs are checked by the test itself (check_logs()), with the lines the
fault provokes on purpose allowed: "worker process N exited on signal 9"
after a SIGKILL, "No space left on device" on a full disk.
"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from lib.server import BAD_LOG, NGINX, Server

TOP = Path(__file__).resolve().parents[2]


SLOW_FSYNC_MS = 1500          # an fsync() under t/fault/slow_fsync.c


class FaultServer(Server):
    def __init__(self, tmp, workers=2, user=None, preload=None,
                 s3_extra='', repld=True, data=None, allow=()):
        super().__init__(tmp, repld=repld)
        if data is not None:
            self.data = Path(data)
            if self.repld is not None:
                self.repld.data = self.data
                self.repld.sock = self.data / self.repld.sock.name
        self.workers = workers
        self.user = user
        self.preload = preload
        self.s3_extra = s3_extra
        self.allow = [re.compile(a) for a in allow]

    def render(self):
        super().render()
        text = self.conf.read_text()
        text, n = re.subn(r'(?m)^worker_processes \d+;',
                          f'worker_processes {self.workers};', text)
        assert n == 1, 'worker_processes not found in conf/nginx.conf.in'
        if self.user is not None:
            text, n = re.subn(r'(?m)^user [^;]*;', f'user {self.user};', text)
            assert n == 1, 'user not found in conf/nginx.conf.in'
        if self.s3_extra:
            text, n = re.subn(r'(s3_store [^;]*;)',
                              lambda m: m.group(1) + ' ' + self.s3_extra,
                              text)
            assert n == 1, 's3_store not found in conf/nginx.conf.in'
        self.conf.write_text(text)

    def nginx_env(self):
        env = super().nginx_env()
        if self.preload:
            env['LD_PRELOAD'] = ':'.join(
                p for p in (env.get('LD_PRELOAD'), str(self.preload)) if p)
        return env

    def start(self, start_repld=True):
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port()
        self.render()
        self.start_nginx()
        if self.repld is not None and start_repld:
            self.repld.start()

    def start_nginx(self):
        with open(self.stderr_log, 'ab') as err:
            self.proc = subprocess.Popen(
                [NGINX, '-p', str(self.run_dir), '-c', str(self.conf),
                 '-e', str(self.error_log)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                env=self.nginx_env())
        self.wait_port()
        self.wait_workers()

    def restart_nginx(self):
        """Stops nginx (SIGQUIT) and starts it again: a first start, which
        sweeps DATA/tmp."""
        self.stop_nginx_only()
        self.start_nginx()

    def stop_nginx_only(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError('nginx did not exit within 15s of SIGQUIT')
        self.proc = None

    def test_config(self):
        """nginx -t on the rendered configuration: (returncode, output)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port()
        self.render()
        p = subprocess.run([NGINX, '-t', '-p', str(self.run_dir), '-c',
                            str(self.conf), '-e', str(self.error_log)],
                           capture_output=True, text=True, timeout=30,
                           env=self.nginx_env())
        return p.returncode, p.stdout + p.stderr

    # workers

    def worker_pids(self):
        try:
            text = Path(f'/proc/{self.proc.pid}/task/{self.proc.pid}/'
                        'children').read_text()
        except FileNotFoundError:
            return []
        return sorted(int(p) for p in text.split())

    def wait_workers(self, exclude=(), timeout=10):
        """Waits until `workers` workers run, none of them in exclude
        (killed ones); returns their pids."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f'nginx exited with {self.proc.returncode}'
                                   ':\n' + self.read_logs()[-3000:])
            pids = [p for p in self.worker_pids() if p not in exclude]
            if len(pids) == self.workers and all(worker_ready(p)
                                                 for p in pids):
                return pids
            if time.monotonic() > deadline:
                raise RuntimeError(f'{self.workers} workers did not start '
                                   f'within {timeout}s (have {pids})')
            time.sleep(0.005)

    def kill_workers(self):
        """SIGKILL to every worker; waits for the master to respawn them."""
        pids = self.worker_pids()
        for p in pids:
            os.kill(p, signal.SIGKILL)
        return self.wait_workers(exclude=pids)

    # logs

    def unexpected(self, lines):
        return [ln for ln in lines
                if BAD_LOG.search(ln)
                and not any(a.search(ln) for a in self.allow)]

    def check_logs(self, offset=0):
        """Bad lines since offset that no allow pattern explains."""
        out = [f'nginx: {ln}' for ln in self.unexpected(
            self.log_since(offset))]
        if self.repld is not None:
            out += [f'repld: {ln}' for ln in self.repld.problems(0)]
        return out

    def stop(self):
        problems = []
        try:
            self.stop_nginx_only()
        except RuntimeError as e:
            problems.append(str(e))
        if self.repld is not None:
            self.repld.stop()
        return problems + self.check_logs(0)


def worker_ready(pid):
    """A respawned worker is ready once it runs nginx's event loop: its
    title is "nginx: worker process"."""
    try:
        return b'worker process' in Path(f'/proc/{pid}/cmdline').read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


KILLED_WORKER = r'worker process \d+ exited on signal 9'
NO_SPACE = r'No space left on device'
