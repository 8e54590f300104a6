"""A cluster on one machine for the tests: Redis on the host and N nodes
(nginx + repld, t/lib/server.py's Server), each in its own network
namespace.

    host:  bridge BR, 10.78.S.1/24, Redis on 10.78.S.1:6379
    node i: namespace NS-i, veth pair H<i> (host side, on the bridge) /
            N<i> (inside, 10.78.S.(10+i)/24), nginx on port 9000, repld's
            peers socket on port 7000

S (and the names' tag) comes from the pid, so that two suites running at
once on one machine do not meet.  Partitioning node i is its host-side
veth down (partition()/heal()).  Everything is removed by stop(), and
leftovers() says what was not.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from .server import Server, s3ctl

REDIS = '/usr/bin/redis-server'
HEARTBEAT_MS = 250
LEASE_TTL_MS = 2500
ACCESS_KEY = 'CLUSTERTESTADMIN0001'
SECRET_KEY = 'cluster-test-secret-key'


def ip(*args, check=True):
    return subprocess.run(['ip', *args], capture_output=True, text=True,
                          check=check, timeout=30)


class Cluster:
    def __init__(self, tmp, nodes=3):
        self.tmp = Path(tmp)
        self.tag = f'{os.getpid() % 1000:03d}'
        self.subnet = f'10.78.{os.getpid() % 250}'
        self.bridge = f's3t{self.tag}br'
        self.redis_addr = f'{self.subnet}.1'
        self.redis_proc = None
        self.names = [chr(ord('a') + i) for i in range(nodes)]
        self.nodes = []
        self.ids = []

    def netns(self, i):
        return f's3t{self.tag}-{i}'

    def veth(self, i):
        return f's3t{self.tag}h{i}'

    def addr(self, i):
        return f'{self.subnet}.{10 + i}'

    # set-up

    def start(self):
        try:
            self._network()
            self.start_redis()
            for i, name in enumerate(self.names):
                srv = Server(self.tmp / name, netns=self.netns(i),
                             host=self.addr(i), port=9000)
                srv.data.mkdir(parents=True)
                self.ids.append(s3ctl('node', 'id',
                                      data=srv.data).stdout.strip())
                self.nodes.append(srv)
            for i, srv in enumerate(self.nodes):
                srv.repld.extra = self.repld_conf(i)
                srv.http_extra = self.s3_nodes()
                srv.start()
            # added on one node, the user reaches the others by the stream
            admin = self.nodes[0].add_user('admin', '--access-key',
                                           ACCESS_KEY, '--secret-key',
                                           SECRET_KEY)
            deadline = time.monotonic() + 10
            for srv in self.nodes:
                while not (srv.data / 'users' / ACCESS_KEY).exists():
                    assert time.monotonic() < deadline, \
                        f'the admin user did not reach {srv.data}'
                    time.sleep(0.05)
                srv.admin = admin
        except BaseException:
            self.stop()
            raise
        return self

    def _network(self):
        ip('link', 'add', self.bridge, 'type', 'bridge')
        ip('addr', 'add', f'{self.redis_addr}/24', 'dev', self.bridge)
        ip('link', 'set', self.bridge, 'up')
        for i in range(len(self.names)):
            ns, host, inner = self.netns(i), self.veth(i), f's3t{self.tag}n{i}'
            ip('netns', 'add', ns)
            ip('link', 'add', host, 'type', 'veth', 'peer', 'name', inner)
            ip('link', 'set', inner, 'netns', ns)
            ip('link', 'set', host, 'master', self.bridge)
            ip('link', 'set', host, 'up')
            ip('-n', ns, 'addr', 'add', f'{self.addr(i)}/24', 'dev', inner)
            ip('-n', ns, 'link', 'set', inner, 'up')
            ip('-n', ns, 'link', 'set', 'lo', 'up')

    def repld_conf(self, i):
        lines = [f'redis {self.redis_addr}:6379',
                 'cluster test',
                 f'node {self.ids[i]} {self.names[i]} '
                 f'tcp://{self.addr(i)}:7000',
                 f'heartbeat_ms {HEARTBEAT_MS}',
                 f'lease_ttl_ms {LEASE_TTL_MS}']
        lines += [f'peer {self.ids[j]} {self.names[j]} '
                  f'tcp://{self.addr(j)}:7000'
                  for j in range(len(self.names)) if j != i]
        return '\n'.join(lines) + '\n'

    def s3_nodes(self):
        """nginx's s3_node lines: every node, from the data repld.conf's
        node and peer lines come from."""
        return [f's3_node {self.ids[j]} {self.addr(j)}:9000;'
                for j in range(len(self.names))]

    def start_redis(self):
        log = open(self.tmp / 'redis.log', 'ab')
        self.redis_proc = subprocess.Popen(
            [REDIS, '--bind', self.redis_addr, '--port', '6379',
             '--save', '', '--appendonly', 'no',
             # bound to the private bridge only
             '--protected-mode', 'no'],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 10
        while subprocess.run(['redis-cli', '-h', self.redis_addr, 'ping'],
                             capture_output=True, text=True,
                             timeout=5).stdout.strip() != 'PONG':
            assert self.redis_proc.poll() is None, 'redis-server exited'
            assert time.monotonic() < deadline, 'redis did not start'
            time.sleep(0.05)

    def kill_redis(self):
        self.redis_proc.kill()
        self.redis_proc.wait(10)
        self.redis_proc = None

    # faults

    def partition(self, i):
        ip('link', 'set', self.veth(i), 'down')

    def heal(self, i):
        ip('link', 'set', self.veth(i), 'up')

    # what the nodes say

    def status(self, i):
        """Node i's `s3ctl cluster status --json`, as a dict."""
        p = s3ctl('cluster', 'status', '--json', data=self.nodes[i].data)
        return json.loads(p.stdout)

    def states(self, i):
        """{name: state} as node i sees the cluster."""
        return {n['name']: n['state'] for n in self.status(i)['nodes']}

    def wait(self, cond, what, timeout):
        """Polls cond() until it is true; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            last = cond()
            if last:
                return last
            if time.monotonic() > deadline:
                raise AssertionError(f'{what}: not within {timeout}s; '
                                     f'states: {self.all_states()}')
            time.sleep(0.1)

    def all_states(self):
        out = {}
        for i, srv in enumerate(self.nodes):
            try:
                out[self.names[i]] = self.states(i)
            except (AssertionError, ValueError) as e:
                out[self.names[i]] = str(e)
        return out

    def all_live(self):
        return all(set(self.states(i).values()) == {'live'}
                   for i in range(len(self.nodes)))

    # tear-down

    def stop(self):
        """Stops every process and removes the network; returns the
        problems found in the logs."""
        problems = []
        for srv in self.nodes:
            problems += srv.stop()
        if self.redis_proc is not None:
            self.redis_proc.send_signal(signal.SIGTERM)
            try:
                self.redis_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.redis_proc.kill()
                self.redis_proc.wait()
            self.redis_proc = None
        for i in range(len(self.names)):
            # the pair goes with either end, at once with this one
            ip('link', 'delete', self.veth(i), check=False)
            ip('netns', 'delete', self.netns(i), check=False)
        ip('link', 'delete', self.bridge, check=False)
        return problems

    def leftovers(self):
        """Namespaces and links of this cluster still there."""
        prefix = f's3t{self.tag}'
        out = [ln for ln in ip('netns', 'list').stdout.splitlines()
               if ln.startswith(prefix)]
        out += [ln for ln in ip('-o', 'link').stdout.splitlines()
                if f' {prefix}' in ln]
        return out
