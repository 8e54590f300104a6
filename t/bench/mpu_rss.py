#!/usr/bin/python3
"""bench: the memory of nginx workers while a 2 GiB object is uploaded
in 64 MiB parts (CreateMultipartUpload, UploadPart x 32,
CompleteMultipartUpload through boto3).  The body is made on the fly:
nothing of it is written to /tmp.  Prints each worker's VmRSS and VmHWM
before and after, and exits 1 when one grew by 16 MiB or more.

    t/bench/mpu_rss.py [SIZE_MIB [PART_MIB]]

Starts its own nginx + repld (as the test suite does).  The same check
runs in the suite as t/s3/test_multipart_clients.py::test_mpu_worker_rss
(release pass only).
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib import rss                       # noqa: E402
from lib.server import Server             # noqa: E402

LIMIT_KIB = 16 * 1024


def main():
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    part_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    with tempfile.TemporaryDirectory(prefix='mpu_rss') as tmp:
        srv = Server(Path(tmp))
        srv.start()
        try:
            srv.alice = srv.add_user('alice')
            client = srv.client(srv.alice)
            client.create_bucket(Bucket='rss')
            before = rss.workers(srv.proc.pid)
            secs = rss.upload_streamed(client, 'rss', 'big',
                                       size_mib << 20, part_mib << 20)
            after = rss.workers(srv.proc.pid)
            client.delete_object(Bucket='rss', Key='big')
        finally:
            problems = srv.stop()
    print(f'{size_mib} MiB in {part_mib} MiB parts: {secs:.1f} s, '
          f'{size_mib / secs:.0f} MiB/s')
    bad = 0
    for pid, r0, r1, h0, h1 in rss.growth(before, after):
        grew = max(r1 - r0, h1 - h0)
        print(f'worker {pid}: VmRSS {r0} -> {r1} KiB, VmHWM {h0} -> {h1} '
              f'KiB, growth {grew} KiB')
        bad += grew >= LIMIT_KIB
    for p in problems:
        print('problem:', p)
    return 1 if bad or problems else 0


if __name__ == '__main__':
    os.chdir(Path(__file__).resolve().parent.parent)
    sys.exit(main())
