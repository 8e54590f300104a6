"""CORS: Get/Put/DeleteBucketCors, the preflight OPTIONS request and the
CORS headers of actual requests (ngx_http_s3_cors.c, core/s3_cors.c)."""

import json
import urllib.error
import urllib.request

import pytest

from lib import s3raw
from lib.checks import assert_raw_error, s3_error, unique_bucket


def preflight(s3, bucket, key='', headers=None):
    """An unsigned OPTIONS request with urllib; returns (status, headers,
    body) whether it succeeded or not."""
    url = f'{s3.endpoint}/{bucket}/{key}'
    req = urllib.request.Request(url, method='OPTIONS',
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def preflight_error(s3, bucket, headers, code, status):
    r = s3raw.send(s3, 'OPTIONS', f'/{bucket}/k',
                   f'127.0.0.1:{s3.port}', headers)
    return assert_raw_error(r, code, status)


def test_no_cors_configuration(s3, alice, bucket):
    with s3_error('NoSuchCORSConfiguration', 404):
        alice.get_bucket_cors(Bucket=bucket)


def test_delete_without_configuration(s3, alice, bucket):
    resp = alice.delete_bucket_cors(Bucket=bucket)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204, resp


def test_cors_other_owner(s3, bob, bucket):
    with s3_error('AccessDenied', 403):
        bob.get_bucket_cors(Bucket=bucket)
    with s3_error('AccessDenied', 403):
        bob.delete_bucket_cors(Bucket=bucket)


def test_cors_no_bucket(s3, alice):
    with s3_error('NoSuchBucket', 404):
        alice.get_bucket_cors(Bucket=unique_bucket())


def test_preflight_needs_origin(s3, bucket):
    err = preflight_error(s3, bucket,
                          {'Access-Control-Request-Method': 'GET'},
                          'BadRequest', 400)
    assert 'Origin' in err['Message'], err


def test_preflight_needs_method(s3, bucket):
    preflight_error(s3, bucket, {'Origin': 'http://a.test'},
                    'BadRequest', 400)


def test_preflight_cors_not_enabled(s3, bucket):
    err = preflight_error(s3, bucket,
                          {'Origin': 'http://a.test',
                           'Access-Control-Request-Method': 'GET'},
                          'AccessForbidden', 403)
    assert 'not enabled' in err['Message'], err


def test_preflight_no_bucket(s3):
    preflight_error(s3, unique_bucket(),
                    {'Origin': 'http://a.test',
                     'Access-Control-Request-Method': 'GET'},
                    'AccessForbidden', 403)
