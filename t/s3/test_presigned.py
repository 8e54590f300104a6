"""Presigned URLs: SigV4 in the query string (ngx_http_s3_auth.c)."""

import datetime
import hashlib
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from botocore.auth import SIGV4_TIMESTAMP, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lib import s3raw
from lib.checks import assert_not_stored, assert_raw_error, assert_stored
from lib.clients import AWS, aws_env, run
from lib.server import REGION, User

WEEK = 604800


class QuerySigner(S3SigV4QueryAuth):
    """botocore's presigner with a chosen signing time and, optionally,
    the payload hash taken from a signed x-amz-content-sha256 header."""

    def __init__(self, credentials, expires, when=None, region=REGION,
                 signed_payload=False):
        super().__init__(credentials, 's3', region, expires=expires)
        self.when = when or s3raw.utcnow()
        self.signed_payload = signed_payload

    def payload(self, request):
        if self.signed_payload:
            return request.headers['X-Amz-Content-SHA256']
        return super().payload(request)

    def add_auth(self, request):
        request.context['timestamp'] = self.when.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


def presign(s3, method, path, user=None, expires=3600, when=None,
            headers=None, **kw):
    """The target (path?query) of a presigned URL and the headers that go
    with it."""
    user = user or s3.alice
    req = AWSRequest(method=method, url=f'http://127.0.0.1:{s3.port}{path}',
                     headers=dict(headers or {}))
    creds = Credentials(user.access_key, user.secret_key)
    QuerySigner(creds, expires, when, **kw).add_auth(req)
    parts = urlsplit(req.url)
    return f'{parts.path}?{parts.query}', dict(req.headers.items())


def send(s3, method, target, headers=None, body=b''):
    return s3raw.send(s3, method, target, f'127.0.0.1:{s3.port}',
                      dict(headers or {}), body)


def send_url(s3, method, url, body=b''):
    parts = urlsplit(url)
    return send(s3, method, f'{parts.path}?{parts.query}', body=body)


def edit_query(target, drop=(), **values):
    """target with query parameters dropped or replaced, order kept."""
    path, query = target.split('?', 1)
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
              if k not in drop]
    params = [(k, values.pop(k, v)) for k, v in params]
    params += list(values.items())
    return f'{path}?' + urlencode(params, quote_via=quote, safe='-_.~')


# the clients' own presigners


def test_boto3_presigned_get(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='p/get', Body=b'presigned body')
    url = alice.generate_presigned_url(
        'get_object', Params={'Bucket': bucket, 'Key': 'p/get'})
    r = send_url(s3, 'GET', url)
    assert r.status == 200, r
    assert r.body == b'presigned body'


def test_boto3_presigned_head(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='h', Body=b'12345')
    url = alice.generate_presigned_url(
        'head_object', Params={'Bucket': bucket, 'Key': 'h'})
    r = send_url(s3, 'HEAD', url)
    assert r.status == 200, r
    assert r.header('Content-Length') == '5'


def test_boto3_presigned_put(s3, alice, bucket):
    url = alice.generate_presigned_url(
        'put_object', Params={'Bucket': bucket, 'Key': 'up'})
    body = b'uploaded through a presigned URL'
    r = send_url(s3, 'PUT', url, body=body)
    assert r.status == 200, r
    assert r.header('ETag') == '"%s"' % hashlib.md5(body).hexdigest()
    assert alice.get_object(Bucket=bucket, Key='up')['Body'].read() == body
    assert_stored(s3, bucket, 'up', len(body))


def test_boto3_presigned_delete(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='del', Body=b'x')
    url = alice.generate_presigned_url(
        'delete_object', Params={'Bucket': bucket, 'Key': 'del'})
    r = send_url(s3, 'DELETE', url)
    assert r.status == 204, r
    assert_not_stored(s3, bucket, 'del')


def test_boto3_presigned_list(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='listed', Body=b'x')
    url = alice.generate_presigned_url(
        'list_objects_v2', Params={'Bucket': bucket})
    r = send_url(s3, 'GET', url)
    assert r.status == 200, r
    assert b'<Key>listed</Key>' in r.body


def test_aws_cli_presign(s3, alice, bucket, tmp_path):
    alice.put_object(Bucket=bucket, Key='cli key', Body=b'from the cli')
    url = run([AWS, '--endpoint-url', s3.endpoint, 's3', 'presign',
               f's3://{bucket}/cli key', '--expires-in', '600'],
              aws_env(s3, tmp_path)).strip()
    assert 'X-Amz-Signature=' in url, url
    r = send_url(s3, 'GET', url)
    assert r.status == 200, r
    assert r.body == b'from the cli'


def test_presigned_put_with_signed_payload_hash(s3, alice, bucket):
    # x-amz-content-sha256 signed: the body must match it
    body = b'the body that was hashed'
    target, headers = presign(
        s3, 'PUT', s3raw.object_path(bucket, 'sh'), signed_payload=True,
        headers={'X-Amz-Content-SHA256': s3raw.sha256_hex(body)})
    assert 'x-amz-content-sha256' in target
    r = send(s3, 'PUT', target, headers, body=b'another body, same size!')
    assert_raw_error(r, 'XAmzContentSHA256Mismatch', 400)
    assert_not_stored(s3, bucket, 'sh')
    r = send(s3, 'PUT', target, headers, body=body)
    assert r.status == 200, r
    assert alice.get_object(Bucket=bucket, Key='sh')['Body'].read() == body


# time


def test_expired_url_is_access_denied(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='old', Body=b'secret')
    when = s3raw.utcnow() - datetime.timedelta(hours=2)
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'old'),
                        expires=3600, when=when)
    r = send(s3, 'GET', target)
    err = assert_raw_error(r, 'AccessDenied', 403)
    assert err['Message'] == 'Request has expired'
    assert b'secret' not in r.body
    # as S3: the URL's lifetime, when it ended, and the server's clock
    assert err['X-Amz-Expires'] == '3600'
    expired = datetime.datetime.strptime(err['Expires'],
                                         '%Y-%m-%dT%H:%M:%SZ')
    server = datetime.datetime.strptime(err['ServerTime'],
                                        '%Y-%m-%dT%H:%M:%SZ')
    assert abs((expired - when.replace(tzinfo=None)).total_seconds()
               - 3600) < 2, (expired, when)
    assert abs((server - s3raw.utcnow().replace(tzinfo=None))
               .total_seconds()) < 5, server


def test_url_expired_a_second_ago(s3, alice, bucket):
    when = s3raw.utcnow() - datetime.timedelta(seconds=11)
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'),
                        expires=10, when=when)
    err = assert_raw_error(send(s3, 'GET', target), 'AccessDenied', 403)
    assert err['Message'] == 'Request has expired'


def test_url_valid_for_a_while_still_works(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='young', Body=b'ok')
    when = s3raw.utcnow() - datetime.timedelta(hours=2)
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'young'),
                        expires=3 * 3600, when=when)
    r = send(s3, 'GET', target)
    assert r.status == 200, r
    assert r.body == b'ok'


def test_expires_zero_has_expired(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'),
                        expires=0)
    err = assert_raw_error(send(s3, 'GET', target), 'AccessDenied', 403)
    assert err['Message'] == 'Request has expired'


def test_url_from_the_future_is_not_yet_valid(s3, bucket):
    when = s3raw.utcnow() + datetime.timedelta(hours=1)
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'),
                        when=when)
    err = assert_raw_error(send(s3, 'GET', target), 'AccessDenied', 403)
    assert err['Message'] == 'Request is not yet valid'


def test_boto3_expires_over_a_week(s3, alice, bucket):
    url = alice.generate_presigned_url(
        'get_object', Params={'Bucket': bucket, 'Key': 'k'},
        ExpiresIn=WEEK + 1)
    err = assert_raw_error(send_url(s3, 'GET', url),
                           'AuthorizationQueryParametersError', 400)
    assert err['Message'] == (
        'X-Amz-Expires must be less than a week (in seconds); that is, '
        'the given X-Amz-Expires must be less than 604800 seconds')


def test_expires_a_week_is_accepted(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='week', Body=b'w')
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'week'),
                        expires=WEEK)
    assert send(s3, 'GET', target).status == 200


@pytest.mark.parametrize('value, message', [
    ('-5', 'X-Amz-Expires must be non-negative'),
    ('ten', 'X-Amz-Expires should be a number'),
    ('', 'X-Amz-Expires should be a number'),
])
def test_bad_expires(s3, bucket, value, message):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    r = send(s3, 'GET', edit_query(target, **{'X-Amz-Expires': value}))
    err = assert_raw_error(r, 'AuthorizationQueryParametersError', 400)
    assert err['Message'] == message


# tampering and malformed parameters


def test_tampered_signature(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='t', Body=b'secret')
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 't'))
    sig = dict(parse_qsl(target.split('?', 1)[1]))['X-Amz-Signature']
    bad = ('0' if sig[0] != '0' else '1') + sig[1:]
    r = send(s3, 'GET', edit_query(target, **{'X-Amz-Signature': bad}))
    assert_raw_error(r, 'SignatureDoesNotMatch', 403)
    assert b'secret' not in r.body


def test_signed_path_is_checked(s3, alice, bucket):
    alice.put_object(Bucket=bucket, Key='other', Body=b'secret')
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'mine'))
    query = target.split('?', 1)[1]
    r = send(s3, 'GET', s3raw.object_path(bucket, 'other') + '?' + query)
    assert_raw_error(r, 'SignatureDoesNotMatch', 403)
    assert b'secret' not in r.body


def test_signed_method_is_checked(s3, alice, bucket):
    # a GET URL does not allow a PUT
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'm'))
    r = send(s3, 'PUT', target, body=b'overwrite')
    assert_raw_error(r, 'SignatureDoesNotMatch', 403)
    assert_not_stored(s3, bucket, 'm')


def test_added_query_parameter_is_checked(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    r = send(s3, 'GET', edit_query(target, **{'response-content-type': 'x'}))
    assert_raw_error(r, 'SignatureDoesNotMatch', 403)


def test_bad_secret(s3, bucket):
    bad = User('x', s3.alice.access_key, 'not-the-secret')
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'), user=bad)
    assert_raw_error(send(s3, 'GET', target), 'SignatureDoesNotMatch', 403)


def test_unknown_access_key(s3, bucket):
    nobody = User('x', 'AKNOSUCHKEY000000000', 'x' * 40)
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'),
                        user=nobody)
    assert_raw_error(send(s3, 'GET', target), 'InvalidAccessKeyId', 403)


@pytest.mark.parametrize('param', [
    'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
    'X-Amz-SignedHeaders', 'X-Amz-Signature'])
def test_missing_parameter(s3, bucket, param):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    r = send(s3, 'GET', edit_query(target, drop=(param,)))
    err = assert_raw_error(r, 'AuthorizationQueryParametersError', 400)
    assert 'requires the X-Amz-Algorithm, X-Amz-Credential' in \
        err['Message']


def test_other_algorithm(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    r = send(s3, 'GET', edit_query(target,
                                   **{'X-Amz-Algorithm': 'AWS4-HMAC-SHA1'}))
    err = assert_raw_error(r, 'AuthorizationQueryParametersError', 400)
    assert err['Message'] == \
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'


def test_bad_date(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    r = send(s3, 'GET', edit_query(target,
                                   **{'X-Amz-Date': '2024-01-01T00:00:00Z'}))
    err = assert_raw_error(r, 'AuthorizationQueryParametersError', 400)
    assert 'ISO8601' in err['Message']


def test_wrong_region(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'),
                        region='eu-west-3')
    err = assert_raw_error(send(s3, 'GET', target),
                           'AuthorizationQueryParametersError', 400)
    assert "the region 'eu-west-3' is wrong; expecting 'us-east-1'" in \
        err['Message']


def test_credential_date_must_match(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    cred = dict(parse_qsl(target.split('?', 1)[1]))['X-Amz-Credential']
    ak, _, rest = cred.split('/', 2)
    r = send(s3, 'GET', edit_query(
        target, **{'X-Amz-Credential': f'{ak}/20200101/{rest}'}))
    err = assert_raw_error(r, 'AuthorizationQueryParametersError', 400)
    assert 'Date is not the same as X-Amz-Date' in err['Message']


def test_query_and_header_auth_together(s3, bucket):
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'k'))
    path, query = target.split('?', 1)
    r = s3raw.request(s3, s3.alice, 'GET', path, query=query)
    err = assert_raw_error(r, 'InvalidArgument', 400)
    assert err['Message'].startswith('Only one auth mechanism allowed')


def test_security_token_is_refused(s3, alice, bucket):
    # there are no temporary credentials here: no token can be valid
    alice.put_object(Bucket=bucket, Key='tok', Body=b'secret')
    target, _ = presign(s3, 'GET', s3raw.object_path(bucket, 'tok'))
    r = send(s3, 'GET', edit_query(target,
                                   **{'X-Amz-Security-Token': 'abc'}))
    assert_raw_error(r, 'AccessDenied', 403)
    assert b'secret' not in r.body
