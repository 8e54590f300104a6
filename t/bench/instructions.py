#!/usr/bin/python3
"""Instructions per request of nginx with the module, counted by
callgrind: a figure that repeats within about 0.3% from run to run
whatever else the machine is doing (the requests' dates and signatures
differ), where wall-clock rates on a shared 2-core box move by 20% or
more.  For each workload nginx (master and workers) runs under
valgrind --tool=callgrind twice, for N1 and then N2 boto3 requests; the
difference of the instruction totals of every nginx process, divided by
N2 - N1, is the cost of one request, start-up excluded.

    /usr/bin/python3 t/bench/instructions.py [CHECKOUT ...] [-- GET HEAD PUT]

Each CHECKOUT (default: this one) must have been built (make build); its
own t/lib and build/ are used, so two checkouts compare two versions of
the module.  Workloads: GET, HEAD (4 KiB object) and PUT (4 KiB, over 50
keys).  Takes about a minute per checkout.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

N1, N2 = 50, 550
BODY = b'x' * 4096


def totals(out):
    """The instruction totals of every callgrind file in out, summed."""
    n = 0
    for f in glob.glob(str(out / 'cg.*')):
        with open(f) as fh:
            for line in fh:
                if line.startswith(('summary:', 'totals:')):
                    n += int(line.split()[1])
                    break
    return n


def run(server, out, op, count):
    """Instructions of nginx for count requests of op, start-up included."""
    for f in glob.glob(str(out / 'cg.*')):
        os.unlink(f)
    tmp = Path(tempfile.mkdtemp(prefix='instr'))
    srv = server.Server(tmp)
    srv.start()
    try:
        s3 = srv.client(srv.add_user('alice'))
        s3.create_bucket(Bucket='b')
        s3.put_object(Bucket='b', Key='k', Body=BODY)
        for i in range(count):
            if op == 'GET':
                s3.get_object(Bucket='b', Key='k')['Body'].read()
            elif op == 'HEAD':
                s3.head_object(Bucket='b', Key='k')
            else:
                s3.put_object(Bucket='b', Key=f'k{i % 50}', Body=BODY)
    finally:
        problems = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        sys.exit(f'instructions: {problems}')
    return totals(out)


def measure(top, ops):
    """Prints the instructions per request of each op for checkout top."""
    os.environ['NGX_S3_MODULE'] = str(
        top / 'build/nginx-src/objs/ngx_http_s3_module.so')
    os.environ['S3CTL'] = str(top / 'build/s3ctl')
    os.environ['REPLD'] = str(top / 'build/repld')
    sys.path.insert(0, str(top / 't'))
    for name in [m for m in sys.modules if m == 'lib' or
                 m.startswith('lib.')]:
        del sys.modules[name]
    import lib.server as server
    sys.path.pop(0)

    out = Path(tempfile.mkdtemp(prefix='callgrind'))
    wrapper = out / 'nginx'
    wrapper.write_text('#!/bin/sh\nexec valgrind -q --tool=callgrind '
                       '--trace-children=yes '
                       f'--callgrind-out-file={out}/cg.%p '
                       f'{server.NGINX} "$@"\n')
    wrapper.chmod(0o755)
    server.NGINX = str(wrapper)

    for op in ops:
        a = run(server, out, op, N1)
        b = run(server, out, op, N2)
        print(f'{top}: {op} 4 KiB: {(b - a) / (N2 - N1):,.0f} '
              f'instructions/request', flush=True)
    shutil.rmtree(out, ignore_errors=True)


def main(argv):
    ops = ['GET', 'HEAD', 'PUT']
    if '--' in argv:
        ops = argv[argv.index('--') + 1:]
        argv = argv[:argv.index('--')]
    if shutil.which('valgrind') is None:
        sys.exit('instructions: valgrind is not installed')
    tops = [Path(a).resolve() for a in argv] or \
        [Path(__file__).resolve().parents[2]]
    for top in tops:
        measure(top, ops)


if __name__ == '__main__':
    main(sys.argv[1:])
