"""XML request bodies (ngx_http_s3_read_xml_body()), through
CompleteMultipartUpload: read whole from memory or nginx's temp file,
bounded, checked against x-amz-content-sha256 and Content-MD5, parsed
strictly (core/s3_xml.c)."""

import base64
import hashlib
import zlib

import pytest

from lib.checks import assert_raw_error, assert_tmp_clean
from lib.s3raw import UNSIGNED, object_path, request

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'
MAX_BODY = 4 * 1024 * 1024


def mp_etag(parts):
    md5s = b''.join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"'


def start(client, bucket, key, datas):
    uid = client.create_multipart_upload(Bucket=bucket, Key=key)['UploadId']
    etags = [client.upload_part(Bucket=bucket, Key=key, UploadId=uid,
                                PartNumber=i, Body=d)['ETag']
             for i, d in enumerate(datas, 1)]
    return uid, etags


def doc(etags, pad=''):
    parts = ''.join(f'<Part><ETag>{e}</ETag><PartNumber>{i}</PartNumber>'
                    f'</Part>' for i, e in enumerate(etags, 1))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/'
            f'2006-03-01/">{pad}{parts}</CompleteMultipartUpload>').encode()


def post(s3, bucket, key, uid, body, **kw):
    return request(s3, s3.alice, 'POST', object_path(bucket, key),
                   query=f'uploadId={uid}', body=body, **kw)


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_body_in_nginx_temp_file(s3, alice, bucket):
    """A body over client_body_buffer_size (128k) is read back from the
    temp file nginx wrote it to."""
    uid, etags = start(alice, bucket, 'big-doc', [b'one'])
    body = doc(etags, pad='<!--' + 'x' * 300000 + '-->\n')
    r = post(s3, bucket, 'big-doc', uid, body)
    assert r.status == 200, r
    assert r.xml().find(NS + 'ETag').text == mp_etag([b'one'])
    got = alice.get_object(Bucket=bucket, Key='big-doc')['Body'].read()
    assert got == b'one'
    assert_tmp_clean(s3)


def test_body_over_the_limit(s3, alice, bucket):
    uid, etags = start(alice, bucket, 'huge', [b'one'])
    body = doc(etags, pad=' ' * MAX_BODY)
    assert len(body) > MAX_BODY
    r = post(s3, bucket, 'huge', uid, body)
    assert_raw_error(r, 'MalformedXML', 400)

    # exactly the limit is read and parsed
    body = doc(etags)
    body = body.replace(b'<Part>', b' ' * (MAX_BODY - len(body)) + b'<Part>')
    assert len(body) == MAX_BODY
    r = post(s3, bucket, 'huge', uid, body)
    assert r.status == 200, r


def test_payload_hash_checked(s3, alice, bucket):
    uid, etags = start(alice, bucket, 'sha', [b'one'])
    body = doc(etags)
    other = hashlib.sha256(body + b' ').hexdigest()
    r = post(s3, bucket, 'sha', uid, body, payload_hash=other)
    assert_raw_error(r, 'XAmzContentSHA256Mismatch', 400)
    r = post(s3, bucket, 'sha', uid, body, payload_hash=UNSIGNED)
    assert r.status == 200, r


def test_content_md5_checked(s3, alice, bucket):
    uid, etags = start(alice, bucket, 'md5', [b'one'])
    body = doc(etags)
    r = post(s3, bucket, 'md5', uid, body,
             headers={'Content-MD5': md5_b64(body + b' ')})
    assert_raw_error(r, 'BadDigest', 400)
    for bad in ('nothex', 'A' * 24, md5_b64(body)[:-2]):
        r = post(s3, bucket, 'md5', uid, body, headers={'Content-MD5': bad})
        assert_raw_error(r, 'InvalidDigest', 400)
    r = post(s3, bucket, 'md5', uid, body,
             headers={'Content-MD5': md5_b64(body)})
    assert r.status == 200, r


@pytest.mark.parametrize('body', [
    b'',
    b'<CompleteMultipartUpload>',
    b'<!DOCTYPE x [<!ENTITY e "x">]><CompleteMultipartUpload>'
    b'<Part><ETag>&e;</ETag><PartNumber>1</PartNumber></Part>'
    b'</CompleteMultipartUpload>',
    b'<CompleteMultipartUpload><Part><ETag><![CDATA[x]]></ETag>'
    b'<PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
    b'<CompleteMultipartUpload><Part><ETag>x</ETag>'
    b'<PartNumber>99999999999</PartNumber></Part></CompleteMultipartUpload>',
    b'<CompleteMultipartUpload><Part><ETag>x</ETag></Part>'
    b'</CompleteMultipartUpload>',
    b'<CompleteMultipartUpload><Part><ETag>x\0</ETag>'
    b'<PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
    b'<Complete><Part><ETag>x</ETag><PartNumber>1</PartNumber></Part>'
    b'</Complete>',
])
def test_malformed(s3, alice, bucket, body):
    uid, etags = start(alice, bucket, 'bad', [b'one'])
    r = post(s3, bucket, 'bad', uid, body)
    assert_raw_error(r, 'MalformedXML', 400)
    # the upload survived
    r = post(s3, bucket, 'bad', uid, doc(etags))
    assert r.status == 200, r


def test_ten_thousand_parts(s3, alice, bucket):
    """The longest list S3 takes is parsed; one more part is refused."""
    uid, etags = start(alice, bucket, 'many', [b'one'])
    fake = '"' + '0' * 32 + '"'
    body = doc(etags + [fake] * 9999)
    assert len(body) < MAX_BODY
    r = post(s3, bucket, 'many', uid, body)
    assert_raw_error(r, 'InvalidPart', 400)
    r = post(s3, bucket, 'many', uid, doc(etags + [fake] * 10000))
    assert_raw_error(r, 'MalformedXML', 400)


def test_entities_and_prefixes(s3, alice, bucket):
    uid, etags = start(alice, bucket, 'ent', [b'one'])
    e = etags[0].strip('"')
    body = (f'<s3:CompleteMultipartUpload xmlns:s3="http://s3.amazonaws.com/'
            f'doc/2006-03-01/">\r\n  <!-- hand written -->\r\n'
            f'  <s3:Part><s3:PartNumber> 1 </s3:PartNumber>'
            f'<s3:ETag>&#34;{e[:4]}&#x{ord(e[4]):x};{e[5:]}&quot;</s3:ETag>'
            f'<s3:Unknown a="&amp;"><x/></s3:Unknown></s3:Part>\r\n'
            f'</s3:CompleteMultipartUpload>\r\n').encode()
    r = post(s3, bucket, 'ent', uid, body)
    assert r.status == 200, r
    assert r.xml().find(NS + 'ETag').text == mp_etag([b'one'])


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()


def test_checksum_header_checked(s3, alice, bucket):
    uid, etags = start(alice, bucket, 'crc', [b'one'])
    body = doc(etags)
    r = post(s3, bucket, 'crc', uid, body,
             headers={'x-amz-checksum-crc32': crc32_b64(body + b' ')})
    err = assert_raw_error(r, 'BadDigest', 400)
    assert err['Message'] == ('The CRC32 you specified did not match the '
                              'calculated checksum.')
    r = post(s3, bucket, 'crc', uid, body,
             headers={'x-amz-checksum-crc32': 'AAAA'})
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert err['Message'] == ('Value for x-amz-checksum-crc32 header is '
                              'invalid.')
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    r = post(s3, bucket, 'crc', uid, body,
             headers={'x-amz-checksum-crc32': crc32_b64(body),
                      'x-amz-checksum-sha256': sha})
    err = assert_raw_error(r, 'InvalidRequest', 400)
    assert 'Multiple checksum Types' in err['Message']
    r = post(s3, bucket, 'crc', uid, body,
             headers={'x-amz-checksum-sha256': sha})
    assert r.status == 200, r
