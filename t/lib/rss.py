"""Memory of nginx workers, from /proc: what a request costs them."""

import os


def children(pid):
    """The pids of pid's children (the master's workers and helpers)."""
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass
    kids = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            kids.append(int(d))
    return kids


def status(pid):
    """VmRSS and VmHWM of pid, in KiB, and its process title."""
    out = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            name, _, value = line.partition(':')
            if name in ('VmRSS', 'VmHWM'):
                out[name] = int(value.split()[0])
    with open(f'/proc/{pid}/cmdline', 'rb') as f:
        out['title'] = f.read().replace(b'\0', b' ').decode().strip()
    return out


def workers(master_pid):
    """{pid: status} of the nginx worker processes of master_pid."""
    out = {}
    for pid in children(master_pid):
        try:
            st = status(pid)
        except FileNotFoundError:
            continue
        if 'worker process' in st['title']:
            out[pid] = st
    return out


def growth(before, after):
    """[(pid, rss before, rss after, hwm before, hwm after)] in KiB, for
    the workers alive in both snapshots."""
    return [(pid, before[pid]['VmRSS'], after[pid]['VmRSS'],
             before[pid]['VmHWM'], after[pid]['VmHWM'])
            for pid in sorted(before) if pid in after]


def part_body(number, size, block):
    """Part number's bytes: block (random, 1 MiB) repeated, each copy
    stamped with the part number and its offset, so that no two parts and
    no two MiB of a part are alike."""
    out = bytearray()
    for off in range(0, size, len(block)):
        stamp = f'{number:05d}:{off:012d}:'.encode()
        out += stamp + block[len(stamp):]
    return bytes(out[:size])


def upload_streamed(client, bucket, key, size, part_size):
    """Uploads size bytes made on the fly in parts of part_size (one part
    in memory at a time); returns the seconds it took.  Checks the
    completed object's size and ETag part count."""
    import time
    block = os.urandom(1 << 20)
    start = time.monotonic()
    up = client.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for n, off in enumerate(range(0, size, part_size), 1):
        body = part_body(n, min(part_size, size - off), block)
        r = client.upload_part(Bucket=bucket, Key=key, PartNumber=n,
                               UploadId=up['UploadId'], Body=body)
        parts.append({'PartNumber': n, 'ETag': r['ETag']})
        del body
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=up['UploadId'],
        MultipartUpload={'Parts': parts})
    secs = time.monotonic() - start
    head = client.head_object(Bucket=bucket, Key=key)
    assert head['ContentLength'] == size, head
    assert head['ETag'].endswith(f'-{len(parts)}"'), head['ETag']
    return secs
