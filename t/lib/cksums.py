"""S3's flexible checksums computed in Python, independently of
core/s3_cksum.c: raw bytes (CRCs big-endian) and the base64 they travel
in, keyed by the algorithm's name in upper case."""

import base64
import hashlib
import zlib

from awscrt import checksums


def crc64nvme(data):
    crc = 0xffffffffffffffff
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x9a6c9329ac4bc9b5 if crc & 1 else 0)
    return crc ^ 0xffffffffffffffff


RAW = {
    'CRC32': lambda d: zlib.crc32(d).to_bytes(4, 'big'),
    'CRC32C': lambda d: checksums.crc32c(d).to_bytes(4, 'big'),
    'CRC64NVME': lambda d: crc64nvme(d).to_bytes(8, 'big'),
    'SHA1': lambda d: hashlib.sha1(d).digest(),
    'SHA256': lambda d: hashlib.sha256(d).digest(),
}


def b64(raw):
    return base64.b64encode(raw).decode()


def cksum(algo, data):
    """The base64 checksum of data; algo in any case."""
    return b64(RAW[algo.upper()](data))
