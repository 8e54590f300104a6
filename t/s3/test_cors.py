"""CORS: Get/Put/DeleteBucketCors, the preflight OPTIONS request and the
CORS headers of actual requests (ngx_http_s3_cors.c, core/s3_cors.c)."""

import json
import urllib.error
import urllib.request

import pytest

from lib import s3raw
from lib.checks import assert_raw_error, md5_b64, s3_error, unique_bucket


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


RULES = [
    {'ID': 'upload',
     'AllowedOrigins': ['https://*.example.com'],
     'AllowedMethods': ['PUT', 'POST'],
     'AllowedHeaders': ['x-amz-*', 'Content-Type'],
     'ExposeHeaders': ['ETag'],
     'MaxAgeSeconds': 3000},
    {'AllowedOrigins': ['*'],
     'AllowedMethods': ['GET', 'HEAD'],
     'ExposeHeaders': ['x-amz-request-id', 'ETag']},
]


@pytest.fixture
def cors_bucket(s3, alice, bucket):
    alice.put_bucket_cors(Bucket=bucket,
                          CORSConfiguration={'CORSRules': RULES})
    return bucket


def test_put_get_cors(s3, alice, cors_bucket):
    got = alice.get_bucket_cors(Bucket=cors_bucket)['CORSRules']
    assert got == RULES, got


def test_delete_cors(s3, alice, cors_bucket):
    resp = alice.delete_bucket_cors(Bucket=cors_bucket)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204, resp
    with s3_error('NoSuchCORSConfiguration', 404):
        alice.get_bucket_cors(Bucket=cors_bucket)


def test_put_cors_replaces(s3, alice, cors_bucket):
    rules = [{'AllowedOrigins': ['http://a.test'], 'AllowedMethods': ['GET']}]
    alice.put_bucket_cors(Bucket=cors_bucket,
                          CORSConfiguration={'CORSRules': rules})
    assert alice.get_bucket_cors(Bucket=cors_bucket)['CORSRules'] == rules


@pytest.mark.parametrize('rule,code,text', [
    ({'AllowedOrigins': ['*'], 'AllowedMethods': ['PATCH']},
     'InvalidRequest', 'Unsupported method is PATCH'),
    ({'AllowedOrigins': ['*'], 'AllowedMethods': ['get']},
     'InvalidRequest', 'Unsupported method is get'),
    ({'AllowedOrigins': ['http://*.*.test'], 'AllowedMethods': ['GET']},
     'InvalidRequest', 'more than one wildcard'),
    ({'AllowedOrigins': ['*'], 'AllowedMethods': ['GET'],
      'AllowedHeaders': ['x-*-*']},
     'InvalidRequest', 'more than one wildcard'),
])
def test_put_cors_invalid(s3, alice, bucket, rule, code, text):
    with s3_error(code, 400) as ei:
        alice.put_bucket_cors(Bucket=bucket,
                              CORSConfiguration={'CORSRules': [rule]})
    assert text in ei.value.response['Error']['Message']
    with s3_error('NoSuchCORSConfiguration', 404):
        alice.get_bucket_cors(Bucket=bucket)


def test_put_cors_too_many_rules(s3, alice, bucket):
    rule = {'AllowedOrigins': ['*'], 'AllowedMethods': ['GET']}
    alice.put_bucket_cors(Bucket=bucket,
                          CORSConfiguration={'CORSRules': [rule] * 100})
    with s3_error('MalformedXML', 400):
        alice.put_bucket_cors(Bucket=bucket,
                              CORSConfiguration={'CORSRules': [rule] * 101})
    assert len(alice.get_bucket_cors(Bucket=bucket)['CORSRules']) == 100


def test_put_cors_malformed(s3, bucket):
    body = b'<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>'
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}', query='cors=',
                      body=body, headers={'Content-MD5': md5_b64(body)})
    assert_raw_error(r, 'MalformedXML', 400)


def test_put_cors_needs_md5(s3, bucket):
    body = (b'<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>'
            b'<AllowedMethod>GET</AllowedMethod></CORSRule>'
            b'</CORSConfiguration>')
    r = s3raw.request(s3, s3.alice, 'PUT', f'/{bucket}', query='cors=',
                      body=body)
    assert_raw_error(r, 'InvalidRequest', 400)


def test_preflight_allowed(s3, cors_bucket):
    status, h, body = preflight(s3, cors_bucket, 'k', {
        'Origin': 'https://app.example.com',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'x-amz-date, content-type'})
    assert status == 200, (status, body)
    assert h['Access-Control-Allow-Origin'] == 'https://app.example.com'
    assert h['Access-Control-Allow-Methods'] == 'PUT, POST'
    assert h['Access-Control-Allow-Headers'] == 'x-amz-date, content-type'
    assert h['Access-Control-Expose-Headers'] == 'ETag'
    assert h['Access-Control-Max-Age'] == '3000'
    assert h['Access-Control-Allow-Credentials'] == 'true'
    assert 'Origin' in h['Vary']


def test_preflight_any_origin(s3, cors_bucket):
    status, h, _ = preflight(s3, cors_bucket, '', {
        'Origin': 'http://elsewhere.test',
        'Access-Control-Request-Method': 'GET'})
    assert status == 200
    assert h['Access-Control-Allow-Origin'] == '*'
    assert h['Access-Control-Allow-Methods'] == 'GET, HEAD'
    assert h.get('Access-Control-Allow-Credentials') is None
    assert h.get('Access-Control-Max-Age') is None


@pytest.mark.parametrize('headers', [
    {'Origin': 'https://app.example.com',
     'Access-Control-Request-Method': 'DELETE'},
    {'Origin': 'https://app.example.org',
     'Access-Control-Request-Method': 'PUT'},
    {'Origin': 'https://app.example.com',
     'Access-Control-Request-Method': 'PUT',
     'Access-Control-Request-Headers': 'authorization'},
    {'Origin': 'http://elsewhere.test',
     'Access-Control-Request-Method': 'GET',
     'Access-Control-Request-Headers': 'x-custom'},
])
def test_preflight_refused(s3, cors_bucket, headers):
    err = preflight_error(s3, cors_bucket, headers, 'AccessForbidden', 403)
    assert 'CORSResponse' in err['Message'], err


def test_actual_request_headers(s3, alice, cors_bucket):
    alice.put_object(Bucket=cors_bucket, Key='k', Body=b'data')
    r = s3raw.request(s3, s3.alice, 'GET', f'/{cors_bucket}/k',
                      headers={'Origin': 'http://elsewhere.test'})
    assert r.status == 200, r
    assert r.header('Access-Control-Allow-Origin') == '*'
    assert r.header('Access-Control-Expose-Headers') == 'x-amz-request-id, ETag'
    assert 'Origin' in r.header('Vary')


def test_actual_request_not_allowed(s3, alice, cors_bucket):
    # DELETE is in no rule: no CORS headers, the request itself goes on
    r = s3raw.request(s3, s3.alice, 'DELETE', f'/{cors_bucket}/k',
                      headers={'Origin': 'https://app.example.com'})
    assert r.status == 204, r
    assert r.header('Access-Control-Allow-Origin') is None


def test_no_origin_no_headers(s3, alice, cors_bucket):
    r = s3raw.request(s3, s3.alice, 'GET', f'/{cors_bucket}',
                      query='cors=')
    assert r.status == 200, r
    assert r.header('Access-Control-Allow-Origin') is None
    assert r.header('Vary') is None


def test_large_configuration(s3, alice, bucket):
    # 100 rules with long origins: a bucket record far past 4 KiB, read
    # through the record cache on every request
    rules = [{'ID': f'r{i}',
              'AllowedOrigins': [f'https://host{i}-{"x" * 200}.test'],
              'AllowedMethods': ['GET', 'PUT']} for i in range(100)]
    alice.put_bucket_cors(Bucket=bucket,
                          CORSConfiguration={'CORSRules': rules})
    for _ in range(3):
        assert alice.get_bucket_cors(Bucket=bucket)['CORSRules'] == rules
        status, h, _ = preflight(s3, bucket, 'k', {
            'Origin': f'https://host99-{"x" * 200}.test',
            'Access-Control-Request-Method': 'PUT'})
        assert status == 200
    assert bucket in [b['Name'] for b in alice.list_buckets()['Buckets']]
    alice.put_object(Bucket=bucket, Key='k', Body=b'x')
    alice.delete_object(Bucket=bucket, Key='k')
    alice.delete_bucket(Bucket=bucket)


def test_cors_cli(s3, tmp_path, bucket):
    from test_cli import aws
    conf = tmp_path / 'cors.json'
    conf.write_text(json.dumps({'CORSRules': RULES}))
    aws(s3, tmp_path, 's3api', 'put-bucket-cors', '--bucket', bucket,
        '--cors-configuration', f'file://{conf}')
    out = aws(s3, tmp_path, 's3api', 'get-bucket-cors', '--bucket', bucket)
    assert json.loads(out.stdout)['CORSRules'] == RULES
