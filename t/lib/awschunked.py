"""An aws-chunked encoder (Content-Encoding: aws-chunked) for raw PUT
requests, in the three modes x-amz-content-sha256 names:

  STREAMING-AWS4-HMAC-SHA256-PAYLOAD           signed chunks
  STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER   signed chunks and trailer
  STREAMING-UNSIGNED-PAYLOAD-TRAILER           plain chunks and trailer

Chunk and trailer signatures are computed here from AWS's description
(sigv4-streaming, sigv4-streaming-trailers), independently of the
server's decoder: each signs "AWS4-HMAC-SHA256-PAYLOAD" (or "-TRAILER"),
the date, the scope, the previous signature (first the request's own)
and the hashes of what it covers.
"""

import hashlib
import hmac
import http.client
import re

from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from . import s3raw
from .server import REGION

SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
MODES = (SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER)

EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region=REGION, service='s3'):
    k = _hmac(('AWS4' + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, 'aws4_request')


class Chain:
    """The chain of signatures of one request's body."""

    def __init__(self, key, amz_date, scope, seed):
        self.key = key
        self.amz_date = amz_date
        self.scope = scope
        self.prev = seed

    def _sign(self, algorithm, hashes):
        sts = '\n'.join([algorithm, self.amz_date, self.scope, self.prev,
                         hashes])
        self.prev = hmac.new(self.key, sts.encode(),
                             hashlib.sha256).hexdigest()
        return self.prev

    def chunk(self, data):
        return self._sign('AWS4-HMAC-SHA256-PAYLOAD',
                          EMPTY_SHA256 + '\n'
                          + hashlib.sha256(data).hexdigest())

    def trailer(self, lines):
        return self._sign('AWS4-HMAC-SHA256-TRAILER',
                          hashlib.sha256(lines).hexdigest())


def encode(mode, chunks, trailers=(), chain=None, blank_before=False):
    """The aws-chunked body of chunks (a list of bytes) followed by the
    final chunk and, in the trailer modes, trailers [(name, value)].
    chain signs in the signed modes.  blank_before puts the empty line
    AWS's example has between the final chunk and the trailers."""
    out = bytearray()
    for data in list(chunks) + [b'']:
        out += f'{len(data):x}'.encode()
        if mode != UNSIGNED_TRAILER:
            out += f';chunk-signature={chain.chunk(data)}'.encode()
        out += b'\r\n'
        if data:
            out += data + b'\r\n'
    if mode == SIGNED:
        return bytes(out + b'\r\n')
    if blank_before:
        out += b'\r\n'
    lines = b''.join(f'{n}:{v}\n'.encode() for n, v in trailers)
    for n, v in trailers:
        out += f'{n}:{v}\r\n'.encode()
    if mode == SIGNED_TRAILER:
        out += f'x-amz-trailer-signature:{chain.trailer(lines)}\r\n'.encode()
    return bytes(out + b'\r\n')


def split(data, size):
    """data in chunks of size bytes, the last one shorter; none for no
    data (the final chunk is added by encode())."""
    return [data[i:i + size] for i in range(0, len(data), size)]


class Request:
    """A signed PUT whose aws-chunked body is made after the headers are
    signed, since the first chunk's signature chains from theirs."""

    def __init__(self, server, user, path, mode, query='', headers=None,
                 decoded_length=None, trailer=None):
        self.server = server
        self.path = path
        self.query = query
        self.mode = mode
        self.host = f'{server.host}:{server.port}'
        hdrs = {'Content-Encoding': 'aws-chunked'}
        if decoded_length is not None:
            hdrs['x-amz-decoded-content-length'] = str(decoded_length)
        if trailer is not None:
            hdrs['x-amz-trailer'] = trailer
        hdrs.update(headers or {})
        url = f'http://{self.host}{path}' + (f'?{query}' if query else '')
        aws = AWSRequest(method='PUT', url=url, data=b'', headers=hdrs)
        creds = Credentials(user.access_key, user.secret_key)
        s3raw.Signer(creds, REGION, mode).add_auth(aws)
        self.headers = dict(aws.headers.items())

        amz_date = self.headers['X-Amz-Date']
        seed = re.search(r'Signature=([0-9a-f]{64})',
                         self.headers['Authorization']).group(1)
        scope = f'{amz_date[:8]}/{REGION}/s3/aws4_request'
        key = signing_key(user.secret_key, amz_date[:8])
        self.chain = Chain(key, amz_date, scope, seed)

    def body(self, chunks, trailers=(), blank_before=False):
        return encode(self.mode, chunks, trailers, self.chain, blank_before)

    def send(self, body):
        target = self.path + (f'?{self.query}' if self.query else '')
        return s3raw.send(self.server, 'PUT', target, self.host,
                          self.headers, body)

    def send_chunked(self, body, piece=4096):
        """Sends body with Transfer-Encoding: chunked, no Content-Length,
        in HTTP chunks of piece bytes."""
        target = self.path + (f'?{self.query}' if self.query else '')
        conn = http.client.HTTPConnection(self.server.host, self.server.port,
                                          timeout=60)
        try:
            conn.putrequest('PUT', target, skip_host=True,
                            skip_accept_encoding=True)
            conn.putheader('Host', self.host)
            for k, v in self.headers.items():
                conn.putheader(k, v)
            conn.putheader('Transfer-Encoding', 'chunked')
            conn.endheaders()
            for i in range(0, len(body), piece):
                p = body[i:i + piece]
                conn.send(f'{len(p):x}\r\n'.encode() + p + b'\r\n')
            conn.send(b'0\r\n\r\n')
            r = conn.getresponse()
            return s3raw.Response(r.status, r.reason, r.headers, r.read())
        finally:
            conn.close()


def put(server, user, path, data, mode, chunk=8192, trailers=(),
        announce=True, **kw):
    """PUTs data in chunks of chunk bytes; trailers [(name, value)] are
    announced in x-amz-trailer unless announce is False."""
    trailer = ','.join(n for n, _ in trailers) if announce and trailers \
        else None
    kw.setdefault('decoded_length', len(data))
    req = Request(server, user, path, mode, trailer=trailer, **kw)
    return req.send(req.body(split(data, chunk), trailers))
