"""Assertions shared by the tests: S3 errors from boto3 and raw responses,
and what an object must look like on disk."""

import base64
import hashlib
import itertools
import secrets
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError

RECORD_MAGIC = b'ngxs3rec'
RECORD_TRAILER_LEN = 16

_names = itertools.count()


def unique_bucket(prefix='t'):
    """A bucket name no other test uses."""
    return f'{prefix}{next(_names)}-{secrets.token_hex(4)}'


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def etag(data):
    return f'"{md5_hex(data)}"'


@contextmanager
def s3_error(code, status):
    """Expects the boto3 call in the block to fail with code and status."""
    with pytest.raises(ClientError) as ei:
        yield ei
    resp = ei.value.response
    assert resp['Error']['Code'] == code, resp
    assert resp['ResponseMetadata']['HTTPStatusCode'] == status, resp


def assert_raw_error(resp, code, status):
    """A raw response is an S3 error document with code and status."""
    assert resp.status == status, resp
    assert (resp.header('Content-Type') or '').startswith('application/xml'), \
        resp.headers
    err = resp.error()
    assert err.get('Code') == code, resp
    for field in ('Message', 'RequestId'):
        assert err.get(field), f'no {field} in {resp.body!r}'
    assert 'Resource' in err, f'no Resource in {resp.body!r}'
    assert err['RequestId'] == resp.header('x-amz-request-id'), \
        (err['RequestId'], resp.headers)
    return err


def assert_stored(s3, bucket, key, size):
    """Exactly one object file for (bucket, key), with the data and a
    record trailer after it."""
    files = s3.object_files(bucket, key)
    assert len(files) == 1, (bucket, key, files)
    st = files[0].stat()
    assert st.st_size >= size + RECORD_TRAILER_LEN, (st.st_size, size)
    with open(files[0], 'rb') as f:
        f.seek(-RECORD_TRAILER_LEN, 2)
        assert f.read(len(RECORD_MAGIC)) == RECORD_MAGIC, files[0]
    return files[0]


def assert_not_stored(s3, bucket, key):
    assert s3.object_files(bucket, key) == [], (bucket, key)


def assert_tmp_clean(s3):
    assert s3.tmp_entries() == [], f'leftovers in {s3.data}/tmp'
