"""repld on its own: the upload ops of the journal into the catalog's "u"
and "x" entries, and ListMultipartUploads answered on the listing socket
(core/s3_listproto.h), without nginx.  Journal frames are written here
the way core/s3_journal.c writes them; the client-side tests of the same
listing (through nginx, boto3, aws cli) are t/s3/test_multipart_clients.py.
"""

import os
import re
import socket
import struct
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from lib.server import Repld

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

PUT_OBJECT, CREATE_UPLOAD, ABORT_UPLOAD, COMPLETE_UPLOAD = 1, 8, 9, 10
UPLOAD_OPS = (CREATE_UPLOAD, ABORT_UPLOAD, COMPLETE_UPLOAD)


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def hlc_of(ms, counter=0):
    return (ms << 16) | counter


def now_hlc(counter=0):
    return hlc_of(int(time.time() * 1000), counter)


def frame(op, bucket, key, hlc, upload_id=b'', size=0, md5=b'\0' * 16,
          parts=0):
    def s(b):
        return struct.pack('<H', len(b)) + b
    payload = (struct.pack('<BQQ', op, hlc, size) + md5 + s(bucket.encode())
               + s(key.encode()))
    if op in UPLOAD_OPS:
        payload += s(upload_id.encode())
    if op == COMPLETE_UPLOAD:
        payload += struct.pack('<I', parts)
    return struct.pack('<II', len(payload), crc32c(payload)) + payload


class Journal:
    """One journal file of a live writer (this process)."""

    def __init__(self, data, ms=None):
        d = data / 'journal'
        d.mkdir(exist_ok=True)
        ms = ms or int(time.time() * 1000)
        self.path = d / f'{os.getpid()}-{ms}.jnl'
        while self.path.exists():
            ms += 1
            self.path = d / f'{os.getpid()}-{ms}.jnl'
        self.path.touch()

    def write(self, *frames):
        with open(self.path, 'ab') as f:
            f.write(b''.join(frames))


def uid(n):
    return f'{n:032x}'


def ask(data, query, bucket='bkt', owner='alice'):
    """One listing on repld's socket: (status, XML root)."""
    def s(b):
        return struct.pack('<H', len(b)) + b
    payload = (b'\x01' + s(bucket.encode()) + s(owner.encode())
               + s(b'req-1') + s(query.encode()))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(str(data / 'repld.list.sock'))
        c.sendall(struct.pack('<I', len(payload)) + payload)
        buf = b''
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) >= 4 and len(buf) >= 4 + struct.unpack(
                    '<I', buf[:4])[0]:
                break
    n, = struct.unpack('<I', buf[:4])
    status, = struct.unpack('<H', buf[4:6])
    body = buf[6:4 + n]
    return status, ET.fromstring(body)


def uploads_of(root):
    return [(u.find(NS + 'Key').text, u.find(NS + 'UploadId').text)
            for u in root.findall(NS + 'Upload')]


def prefixes_of(root):
    return [p.find(NS + 'Prefix').text
            for p in root.findall(NS + 'CommonPrefixes')]


def marker(root):
    return quote(text(root, 'NextKeyMarker'), safe='')


def text(root, tag):
    e = root.find(NS + tag)
    return None if e is None else (e.text or '')


@pytest.fixture
def data(tmp_path):
    d = tmp_path / 'data'
    (d / 'buckets').mkdir(parents=True)
    (d / 'journal').mkdir()
    return d


@pytest.fixture
def repld(tmp_path, data):
    r = Repld(tmp_path, data)
    r.extra = 'reconcile_interval 0\n'
    yield r
    if r.running:
        r.stop()
    assert not r.problems(), r.problems()


UPLOADS = [('a/1', uid(1)), ('a/2', uid(2)), ('b', uid(3)), ('b', uid(9)),
           ('b+c', uid(4)), ('c', uid(5)), ('d/e/f', uid(6))]


def fill(data, uploads=UPLOADS):
    j = Journal(data)
    j.write(*[frame(CREATE_UPLOAD, 'bkt', k, now_hlc(i), u)
              for i, (k, u) in enumerate(uploads)])
    return j


def test_create_and_abort(repld, data):
    j = fill(data)
    repld.start()
    status, root = ask(data, 'uploads')
    assert status == 200
    assert root.tag == NS + 'ListMultipartUploadsResult'
    assert uploads_of(root) == sorted(UPLOADS, key=lambda u: (
        u[0].encode(), u[1]))
    assert text(root, 'IsTruncated') == 'false'
    assert text(root, 'MaxUploads') == '1000'
    assert text(root, 'Bucket') == 'bkt'
    up = root.find(NS + 'Upload')
    assert up.find(NS + 'Owner/' + NS + 'ID').text == 'alice'
    assert up.find(NS + 'Initiator/' + NS + 'DisplayName').text == 'alice'
    assert up.find(NS + 'StorageClass').text == 'STANDARD'
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z',
                        up.find(NS + 'Initiated').text)

    j.write(frame(ABORT_UPLOAD, 'bkt', 'b', now_hlc(100), uid(3)))
    status, root = ask(data, 'uploads')
    assert ('b', uid(3)) not in uploads_of(root)
    assert len(uploads_of(root)) == len(UPLOADS) - 1

    # idempotent: the same frames again (a restart replays after cursors)
    j.write(frame(CREATE_UPLOAD, 'bkt', 'b', now_hlc(1), uid(3)),
            frame(ABORT_UPLOAD, 'bkt', 'b', now_hlc(100), uid(3)))
    status, root = ask(data, 'uploads')
    assert len(uploads_of(root)) == len(UPLOADS) - 1


def test_abort_applied_before_a_late_create(repld, data):
    """The abort's frame is in an older journal file than the create's:
    the "x" entry keeps the create from bringing the upload back."""
    older = Journal(data, ms=int(time.time() * 1000) - 5000)
    newer = Journal(data)
    hlc = now_hlc()
    older.write(frame(ABORT_UPLOAD, 'bkt', 'k', hlc + 1, uid(7)))
    newer.write(frame(CREATE_UPLOAD, 'bkt', 'k', hlc, uid(7)))
    repld.start()
    status, root = ask(data, 'uploads')
    assert status == 200 and uploads_of(root) == []


def test_prefix_delimiter(repld, data):
    fill(data)
    repld.start()
    _, root = ask(data, 'uploads&delimiter=/')
    assert prefixes_of(root) == ['a/', 'd/']
    assert uploads_of(root) == [('b', uid(3)), ('b', uid(9)),
                                ('b+c', uid(4)), ('c', uid(5))]
    assert text(root, 'Delimiter') == '/'
    _, root = ask(data, 'uploads&prefix=d/&delimiter=/')
    assert prefixes_of(root) == ['d/e/'] and uploads_of(root) == []
    _, root = ask(data, 'uploads&prefix=a/')
    assert uploads_of(root) == [('a/1', uid(1)), ('a/2', uid(2))]
    assert text(root, 'Prefix') == 'a/'
    # a delimiter inside an upload id must not roll anything up
    _, root = ask(data, 'uploads&delimiter=0')
    assert prefixes_of(root) == []


def test_encoding_type_url(repld, data):
    fill(data)
    repld.start()
    _, root = ask(data, 'uploads&encoding-type=url&prefix=b')
    assert text(root, 'EncodingType') == 'url'
    assert [k for k, _ in uploads_of(root)] == ['b', 'b', 'b%2Bc']


def test_markers_and_paging(repld, data):
    fill(data)
    repld.start()
    everything = uploads_of(ask(data, 'uploads')[1])

    # key-marker alone: every upload of that key is skipped
    _, root = ask(data, 'uploads&key-marker=b')
    assert uploads_of(root) == everything[4:]
    # with upload-id-marker: that key's uploads with a greater id stay
    _, root = ask(data, f'uploads&key-marker=b&upload-id-marker={uid(3)}')
    assert uploads_of(root) == everything[3:]
    # upload-id-marker without key-marker is ignored
    _, root = ask(data, f'uploads&upload-id-marker={uid(3)}')
    assert uploads_of(root) == everything

    for page in (1, 2, 3):
        got, query = [], f'uploads&max-uploads={page}'
        for _ in range(20):
            _, root = ask(data, query)
            got += uploads_of(root)
            assert len(uploads_of(root)) <= page
            assert text(root, 'MaxUploads') == str(page)
            if text(root, 'IsTruncated') == 'false':
                break
            query = (f'uploads&max-uploads={page}'
                     f'&key-marker={marker(root)}'
                     f'&upload-id-marker={text(root, "NextUploadIdMarker")}')
        assert got == everything, page

    # paging with a delimiter: a CommonPrefix as the last entry
    got, query = [], 'uploads&max-uploads=1&delimiter=/'
    for _ in range(20):
        _, root = ask(data, query)
        got += prefixes_of(root) + [k for k, _ in uploads_of(root)]
        if text(root, 'IsTruncated') == 'false':
            break
        query = ('uploads&max-uploads=1&delimiter=/'
                 f'&key-marker={marker(root)}'
                 f'&upload-id-marker={text(root, "NextUploadIdMarker")}')
    assert got == ['a/', 'b', 'b', 'b+c', 'c', 'd/']


def test_max_uploads_bounds(repld, data):
    fill(data)
    repld.start()
    _, root = ask(data, 'uploads&max-uploads=5000')
    assert text(root, 'MaxUploads') == '1000'
    _, root = ask(data, 'uploads&max-uploads=0')
    assert uploads_of(root) == [] and text(root, 'IsTruncated') == 'false'
    status, root = ask(data, 'uploads&max-uploads=x')
    assert status == 400
    assert root.find('Code').text == 'InvalidArgument'
    assert root.find('ArgumentName').text == 'max-uploads'


def test_complete_publishes_the_object(repld, data):
    j = fill(data)
    md5 = bytes(range(16))
    j.write(frame(COMPLETE_UPLOAD, 'bkt', 'c', now_hlc(200), uid(5),
                  size=3 << 20, md5=md5, parts=3),
            frame(PUT_OBJECT, 'bkt', 'plain', now_hlc(201), size=5,
                  md5=md5))
    repld.start()
    _, root = ask(data, 'uploads')
    assert ('c', uid(5)) not in uploads_of(root)
    _, root = ask(data, 'list-type=2')
    etags = {c.find(NS + 'Key').text: c.find(NS + 'ETag').text
             for c in root.findall(NS + 'Contents')}
    assert etags == {'c': '"%s-3"' % md5.hex(), 'plain': '"%s"' % md5.hex()}
    sizes = [c.find(NS + 'Size').text for c in root.findall(NS + 'Contents')]
    assert sizes == [str(3 << 20), '5']


def test_bad_upload_frame_is_not_applied(repld, data):
    """A create-upload frame without its upload id is a bad frame."""
    j = Journal(data)
    good = frame(CREATE_UPLOAD, 'bkt', 'k', now_hlc(), uid(1))
    payload = good[8:-2 - 32]
    bad = struct.pack('<II', len(payload), crc32c(payload)) + payload
    j.write(good, bad)
    repld.start()
    _, root = ask(data, 'uploads')
    assert uploads_of(root) == [('k', uid(1))]
    assert 'bad frame' in repld.log.read_text()


def test_reconcile_removes_an_upload_without_directory(repld, data):
    """An old "u" entry whose mpu/<id>/upload is gone (its abort's frame
    was lost) goes at the next pass; a young one stays (a creation in
    flight journals before it renames its directory)."""
    j = Journal(data)
    old = hlc_of(int(time.time() * 1000) - 3600 * 1000)
    j.write(frame(CREATE_UPLOAD, 'bkt', 'old', old, uid(1)),
            frame(CREATE_UPLOAD, 'bkt', 'young', now_hlc(), uid(2)))
    repld.extra = 'reconcile_at_start off\nreconcile_interval 0\n'
    repld.start()
    assert uploads_of(ask(data, 'uploads')[1]) == [('old', uid(1)),
                                                    ('young', uid(2))]
    repld.stop()
    repld.extra = 'reconcile_interval 0\n'
    offset = repld.log_offset()
    repld.start()
    deadline = time.monotonic() + 10
    while 'reconcile: pass done' not in repld.log_text(offset):
        assert time.monotonic() < deadline, repld.log_text(offset)
        time.sleep(0.05)
    assert uploads_of(ask(data, 'uploads')[1]) == [('young', uid(2))]
    assert 'upload "bkt" %s removed' % uid(1) in repld.log_text(offset)


def test_end_is_final_whatever_the_hlc(repld, data):
    """A completion stamped by another worker's clock may sort below the
    creation: the upload still ends."""
    j = Journal(data)
    hlc = now_hlc(10)
    j.write(frame(CREATE_UPLOAD, 'bkt', 'k', hlc, uid(1)),
            frame(COMPLETE_UPLOAD, 'bkt', 'k', hlc - 5, uid(1), size=1,
                  parts=1),
            frame(CREATE_UPLOAD, 'bkt', 'k2', hlc, uid(2)),
            frame(ABORT_UPLOAD, 'bkt', 'k2', hlc - 5, uid(2)))
    repld.start()
    assert uploads_of(ask(data, 'uploads')[1]) == []
