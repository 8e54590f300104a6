"""Raw S3 requests: signed with botocore's S3SigV4Auth, sent with
http.client, so a test controls every byte on the wire (the Host header of
virtual-host requests, the payload hash, the date, unsigned requests).
"""

import datetime
import hashlib
import http.client
import xml.etree.ElementTree as ET
from urllib.parse import quote

from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .server import DOMAIN, REGION

UNSIGNED = 'UNSIGNED-PAYLOAD'


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def key_path(key):
    """Encodes a key for a URL path as botocore does."""
    return quote(key, safe='/~')


def object_path(bucket, key):
    return f'/{bucket}/{key_path(key)}'


class Signer(S3SigV4Auth):
    """S3SigV4Auth with an optional fixed payload hash and signing time."""

    def __init__(self, credentials, region=REGION, payload_hash=None,
                 when=None):
        super().__init__(credentials, 's3', region)
        self.payload_hash = payload_hash
        self.when = when

    def payload(self, request):
        if self.payload_hash is not None:
            return self.payload_hash
        return super().payload(request)

    def add_auth(self, request):
        if self.when is None:
            return super().add_auth(request)
        request.context['timestamp'] = self.when.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)
        return None


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers        # http.client.HTTPMessage
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def xml(self):
        return ET.fromstring(self.body)

    def error(self):
        """The children of an <Error> body as a dict (tag -> text)."""
        root = self.xml()
        assert strip_ns(root.tag) == 'Error', self.body
        return {strip_ns(c.tag): c.text for c in root}

    @property
    def code(self):
        return self.error().get('Code')

    def __repr__(self):
        return f'<Response {self.status} {self.body[:300]!r}>'


def strip_ns(tag):
    return tag.rsplit('}', 1)[-1]


def request(server, user, method, path, query='', body=b'', headers=None,
            host=None, payload_hash=None, when=None, region=REGION,
            sign=True, after_sign=None, wire_path=None):
    """Sends one request to server and returns a Response.

    path is the URL path, already percent-encoded (see object_path()).
    host defaults to the server's HOST:PORT (path style); pass vhost(server, b)
    for virtual-host style.  user None or sign False sends no
    Authorization.  after_sign(headers) may tamper with the signed
    headers before sending.  wire_path, when set, is sent instead of the
    path that was signed.
    """
    host = host or f'{server.host}:{server.port}'
    url = f'http://{host}{path}' + (f'?{query}' if query else '')
    hdrs = dict(headers or {})

    if user is not None and sign:
        creds = Credentials(user.access_key, user.secret_key)
        aws = AWSRequest(method=method, url=url, data=body, headers=hdrs)
        Signer(creds, region, payload_hash, when).add_auth(aws)
        hdrs = dict(aws.headers.items())

    if after_sign is not None:
        after_sign(hdrs)

    target = (wire_path or path) + (f'?{query}' if query else '')
    return send(server, method, target, host, hdrs, body)


def send(server, method, target, host, headers, body=b''):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        conn.putrequest(method, target, skip_host=True,
                        skip_accept_encoding=True)
        conn.putheader('Host', host)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body or method in ('PUT', 'POST'):
            conn.putheader('Content-Length', str(len(body)))
        conn.endheaders(body if body else None)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.reason, r.headers, data)
    finally:
        conn.close()


def vhost(server, bucket):
    return f'{bucket}.{DOMAIN}:{server.port}'


class VHostClient:
    """Virtual-host style requests for one user: the bucket goes in the
    Host header (BUCKET.s3.test:PORT, nginx has `s3_domain s3.test`), the
    connection goes to 127.0.0.1.  boto3 cannot do this without DNS for
    s3.test, hence raw requests."""

    def __init__(self, server, user):
        self.server = server
        self.user = user

    def request(self, method, bucket, key='', **kw):
        return request(self.server, self.user, method, '/' + key_path(key),
                       host=vhost(self.server, bucket), **kw)

    def put(self, bucket, key, body, **kw):
        return self.request('PUT', bucket, key, body=body, **kw)

    def get(self, bucket, key, **kw):
        return self.request('GET', bucket, key, **kw)

    def head(self, bucket, key='', **kw):
        return self.request('HEAD', bucket, key, **kw)

    def delete(self, bucket, key='', **kw):
        return self.request('DELETE', bucket, key, **kw)


def utcnow():
    return datetime.datetime.utcnow()
