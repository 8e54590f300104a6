"""aws-chunked PUT bodies (ngx_http_s3_body.c over core/s3_chunked.c):
the three STREAMING- modes are decoded as they stream, chunk and trailer
signatures checked, the trailer's checksum verified and stored; only the
decoded bytes are kept, and nothing at all on any error."""

import os

import pytest

from lib import awschunked, rss, s3raw
from lib.awschunked import SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER
from lib.checks import (assert_not_stored, assert_raw_error, assert_stored,
                        assert_tmp_clean, etag)
from lib.cksums import cksum

MiB = 1024 * 1024


def trailer(algo, data):
    return [(f'x-amz-checksum-{algo}', cksum(algo, data))]


def path(bucket, key):
    return s3raw.object_path(bucket, key)


def get(s3, bucket, key, **headers):
    return s3raw.request(s3, s3.alice, 'GET', path(bucket, key),
                         headers=headers)


def assert_object(s3, bucket, key, data):
    got = get(s3, bucket, key)
    assert got.status == 200, got
    assert got.body == data
    assert got.header('ETag') == etag(data)
    assert_stored(s3, bucket, key, len(data))
    assert_tmp_clean(s3)


def request(s3, bucket, key, mode, data, **kw):
    return awschunked.Request(s3, s3.alice, path(bucket, key), mode,
                              decoded_length=len(data), **kw)


# the three modes


@pytest.mark.parametrize('size', [0, 1, 8192, 3 * 8192 + 17])
def test_signed(s3, bucket, size):
    data = os.urandom(size)
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data, SIGNED)
    assert r.status == 200, r
    assert r.header('ETag') == etag(data)
    assert_object(s3, bucket, 'k', data)


@pytest.mark.parametrize('mode', [SIGNED_TRAILER, UNSIGNED_TRAILER])
@pytest.mark.parametrize('algo', ['crc32', 'crc32c', 'crc64nvme', 'sha256'])
def test_trailer_checksum(s3, bucket, mode, algo):
    data = os.urandom(20000)
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data, mode,
                       trailers=trailer(algo, data))
    assert r.status == 200, r
    assert r.header(f'x-amz-checksum-{algo}') == cksum(algo, data)
    assert r.header('x-amz-checksum-type') == 'FULL_OBJECT'
    assert_object(s3, bucket, 'k', data)

    got = get(s3, bucket, 'k', **{'x-amz-checksum-mode': 'ENABLED'})
    assert got.header(f'x-amz-checksum-{algo}') == cksum(algo, data)
    got = get(s3, bucket, 'k')
    assert got.header(f'x-amz-checksum-{algo}') is None


@pytest.mark.parametrize('mode', [SIGNED_TRAILER, UNSIGNED_TRAILER])
def test_trailer_mode_without_trailer(s3, bucket, mode):
    data = b'no trailer at all'
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data, mode)
    assert r.status == 200, r
    assert_object(s3, bucket, 'k', data)


def test_blank_line_before_trailers(s3, bucket):
    """AWS's own example has an empty line before the trailers."""
    data = os.urandom(9000)
    req = request(s3, bucket, 'k', SIGNED_TRAILER, data,
                  trailer='x-amz-checksum-crc32')
    r = req.send(req.body(awschunked.split(data, 8192),
                          trailer('crc32', data), blank_before=True))
    assert r.status == 200, r
    assert_object(s3, bucket, 'k', data)


def test_sdk_checksum_algorithm_agrees(s3, bucket):
    data = b'sdk headers'
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data,
                       UNSIGNED_TRAILER, trailers=trailer('crc32c', data),
                       headers={'x-amz-sdk-checksum-algorithm': 'CRC32C'})
    assert r.status == 200, r
    assert r.header('x-amz-checksum-crc32c') == cksum('crc32c', data)


def test_sdk_checksum_algorithm_disagrees(s3, bucket):
    data = b'sdk headers'
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data,
                       UNSIGNED_TRAILER, trailers=trailer('crc32c', data),
                       headers={'x-amz-sdk-checksum-algorithm': 'CRC32'})
    assert_raw_error(r, 'InvalidRequest', 400)
    assert_not_stored(s3, bucket, 'k')


def test_content_encoding_without_aws_chunked(s3, bucket):
    data = b'gzip bytes, say'
    r = awschunked.put(s3, s3.alice, path(bucket, 'gz'), data, SIGNED,
                       headers={'Content-Encoding': 'aws-chunked, gzip'})
    assert r.status == 200, r
    assert get(s3, bucket, 'gz').header('Content-Encoding') == 'gzip'

    r = awschunked.put(s3, s3.alice, path(bucket, 'plain'), data, SIGNED)
    assert r.status == 200, r
    assert get(s3, bucket, 'plain').header('Content-Encoding') is None


def test_transfer_encoding_chunked(s3, bucket):
    """No Content-Length: HTTP chunks carry the aws-chunked body."""
    data = os.urandom(50000)
    req = request(s3, bucket, 'te', UNSIGNED_TRAILER, data,
                  trailer='x-amz-checksum-crc32')
    r = req.send_chunked(req.body(awschunked.split(data, 8192),
                                  trailer('crc32', data)), piece=1000)
    assert r.status == 200, r
    assert r.header('x-amz-checksum-crc32') == cksum('crc32', data)
    assert_object(s3, bucket, 'te', data)


def test_upload_part(s3, alice, bucket):
    first = os.urandom(5 * MiB)
    last = os.urandom(1000)
    up = alice.create_multipart_upload(Bucket=bucket, Key='mp')
    uid = up['UploadId']
    parts = []
    for n, data in enumerate([first, last], 1):
        mode = SIGNED if n == 1 else UNSIGNED_TRAILER
        req = awschunked.Request(s3, s3.alice, path(bucket, 'mp'), mode,
                                 query=f'partNumber={n}&uploadId={uid}',
                                 decoded_length=len(data))
        r = req.send(req.body(awschunked.split(data, 64 * 1024)))
        assert r.status == 200, r
        assert r.header('ETag') == etag(data)
        parts.append({'PartNumber': n, 'ETag': r.header('ETag')})
    alice.complete_multipart_upload(Bucket=bucket, Key='mp', UploadId=uid,
                                    MultipartUpload={'Parts': parts})
    got = alice.get_object(Bucket=bucket, Key='mp')
    assert got['Body'].read() == first + last


@pytest.mark.skipif(bool(os.environ.get('NGX_S3_LD_PRELOAD')),
                    reason='release pass only: RSS under ASan means little')
def test_big_body_streams(s3, bucket):
    """20 MiB in 64 KiB signed chunks: stored whole, and no worker grows
    by anything near the body's size."""
    data = os.urandom(20 * MiB)
    before = rss.workers(s3.proc.pid)
    r = awschunked.put(s3, s3.alice, path(bucket, 'big'), data,
                       SIGNED_TRAILER, chunk=64 * 1024,
                       trailers=trailer('crc32c', data))
    after = rss.workers(s3.proc.pid)
    assert r.status == 200, r
    assert r.header('ETag') == etag(data)
    assert_object(s3, bucket, 'big', data)
    for pid, r0, r1, h0, h1 in rss.growth(before, after):
        assert max(r1 - r0, h1 - h0) < 8 * 1024, (pid, r0, r1, h0, h1)


# refused bodies: nothing is stored, an older object keeps its bytes


@pytest.fixture
def old(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='k', Body=b'old bytes')
    return b'old bytes'


def assert_kept(s3, bucket, old):
    assert get(s3, bucket, 'k').body == old
    assert_tmp_clean(s3)


@pytest.mark.parametrize('mode', [SIGNED, SIGNED_TRAILER])
def test_bad_chunk_signature(s3, bucket, old, mode):
    data = os.urandom(3 * 8192)
    req = request(s3, bucket, 'k', mode, data)
    body = bytearray(req.body(awschunked.split(data, 8192)))
    body[8192 + 200] ^= 1      # the first chunk's data
    assert_raw_error(req.send(bytes(body)), 'SignatureDoesNotMatch', 403)
    assert_kept(s3, bucket, old)


def test_chunk_signed_with_another_key(s3, bucket, old):
    data = b'x' * 100
    req = request(s3, bucket, 'k', SIGNED, data)
    req.chain.key = awschunked.signing_key('not the secret', '20200101')
    r = req.send(req.body([data]))
    assert_raw_error(r, 'SignatureDoesNotMatch', 403)
    assert_kept(s3, bucket, old)


def test_bad_trailer_signature(s3, bucket, old):
    data = b'y' * 100
    req = request(s3, bucket, 'k', SIGNED_TRAILER, data,
                  trailer='x-amz-checksum-crc32')
    body = req.body([data], trailer('crc32', data))
    sig = body.rindex(b'x-amz-trailer-signature:') + 24
    body = body[:sig] + (b'0' if body[sig:sig + 1] != b'0' else b'1') \
        + body[sig + 1:]
    assert_raw_error(req.send(body), 'SignatureDoesNotMatch', 403)
    assert_kept(s3, bucket, old)


@pytest.mark.parametrize('mode', [SIGNED_TRAILER, UNSIGNED_TRAILER])
def test_wrong_trailer_checksum(s3, bucket, old, mode):
    data = os.urandom(10000)
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data, mode,
                       trailers=trailer('crc32', b'other bytes'))
    err = assert_raw_error(r, 'BadDigest', 400)
    assert 'CRC32' in err['Message']
    assert_kept(s3, bucket, old)


def test_invalid_trailer_value(s3, bucket, old):
    data = b'z' * 10
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data,
                       UNSIGNED_TRAILER,
                       trailers=[('x-amz-checksum-crc32', 'not base64!')])
    assert_raw_error(r, 'InvalidRequest', 400)
    assert_kept(s3, bucket, old)


def test_announced_trailer_missing(s3, bucket, old):
    data = b'z' * 10
    req = request(s3, bucket, 'k', UNSIGNED_TRAILER, data,
                  trailer='x-amz-checksum-crc32')
    assert_raw_error(req.send(req.body([data])), 'MalformedTrailerError',
                     400)
    assert_kept(s3, bucket, old)


def test_trailer_not_announced(s3, bucket, old):
    data = b'z' * 10
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data,
                       UNSIGNED_TRAILER, trailers=trailer('crc32', data),
                       announce=False)
    assert_raw_error(r, 'MalformedTrailerError', 400)
    assert_kept(s3, bucket, old)


def test_unsupported_x_amz_trailer(s3, bucket, old):
    data = b'z' * 10
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data,
                       UNSIGNED_TRAILER,
                       trailers=[('x-amz-checksum-sha10', 'AAAA')])
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert 'x-amz-trailer' in err['Message']
    assert_kept(s3, bucket, old)


def test_checksum_header_and_trailer(s3, bucket, old):
    data = b'z' * 10
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data,
                       UNSIGNED_TRAILER, trailers=trailer('crc32', data),
                       headers={'x-amz-checksum-crc32': cksum('crc32',
                                                              data)})
    assert_raw_error(r, 'InvalidRequest', 400)
    assert_kept(s3, bucket, old)


@pytest.mark.parametrize('mode', awschunked.MODES)
def test_truncated_body(s3, bucket, old, mode):
    """The body ends (Content-Length reached) before the final chunk."""
    data = os.urandom(3 * 8192)
    req = request(s3, bucket, 'k', mode, data)
    body = req.body(awschunked.split(data, 8192))
    r = req.send(body[:len(body) // 2])
    err = assert_raw_error(r, 'IncompleteBody', 400)
    assert err['Message'] == 'The request body terminated unexpectedly'
    assert_kept(s3, bucket, old)


@pytest.mark.parametrize('declared', [0, 99, 101, 5000])
def test_wrong_decoded_length(s3, bucket, old, declared):
    data = b'd' * 100
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data, SIGNED,
                       decoded_length=declared)
    assert_raw_error(r, 'IncompleteBody', 400)
    assert_kept(s3, bucket, old)


def test_missing_decoded_length(s3, bucket, old):
    data = b'd' * 100
    req = awschunked.Request(s3, s3.alice, path(bucket, 'k'), SIGNED)
    assert_raw_error(req.send(req.body([data])), 'MissingContentLength',
                     411)
    assert_kept(s3, bucket, old)


def test_decoded_length_over_5_gib(s3, bucket, old):
    data = b'd' * 100
    r = awschunked.put(s3, s3.alice, path(bucket, 'k'), data, SIGNED,
                       decoded_length=5 * 1024 * MiB + 1)
    assert_raw_error(r, 'EntityTooLarge', 400)
    assert_kept(s3, bucket, old)


def test_bytes_after_the_end(s3, bucket, old):
    data = b'e' * 100
    req = request(s3, bucket, 'k', SIGNED, data)
    r = req.send(req.body([data]) + b'more')
    assert_raw_error(r, 'IncompleteBody', 400)
    assert_kept(s3, bucket, old)


@pytest.mark.parametrize('damage', [
    (b'\r\n0;', b'\n0;'),                    # a bare LF
    (b';chunk-signature=', b';chunk-sig='),  # no signature extension
])
def test_malformed_framing(s3, bucket, old, damage):
    data = b'f' * 100
    req = request(s3, bucket, 'k', SIGNED, data)
    body = req.body([data]).replace(*damage)
    assert_raw_error(req.send(body), 'IncompleteBody', 400)
    assert_kept(s3, bucket, old)
