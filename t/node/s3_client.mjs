/*
 * aws-sdk-js v3 against ngx_s3, driven by t/s3/test_node_sdk.py.
 *
 * Environment: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET (an
 * empty bucket the caller owns), S3_REGION (default us-east-1).
 *
 * Every check is a named step, run in order and independent of the
 * others (each uses its own keys).  One JSON line per step goes to stdout:
 * {"step": name, "ok": true, "wrote": {key: {"sha256", "size"}}} or
 * {"step": name, "ok": false, "error": ..., "wrote": ...}; "wrote" holds
 * the SHA-256 of the bytes the step sent for each object it leaves, which
 * the wrapper reads back with another client.  The exit status is 1 when
 * any step failed.  The pytest wrapper finds the step names in this file:
 * each is a string literal after `step(`.
 */

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { AwsCrc32 } from '@aws-crypto/crc32';
import { AwsCrc32c } from '@aws-crypto/crc32c';
import {
    CopyObjectCommand, DeleteObjectsCommand, GetBucketCorsCommand,
    GetBucketLocationCommand, GetObjectCommand, GetObjectTaggingCommand,
    HeadObjectCommand, ListObjectsV2Command, PutBucketCorsCommand,
    PutObjectCommand, PutObjectTaggingCommand, S3Client,
    paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const MiB = 1024 * 1024;
const steps = [];
let wrote = {};

function step(name, fn) {
    steps.push({ name, fn });
}

/* the step's object key now holds data: reported for the wrapper */

function written(key, data) {
    wrote[key] = { sha256: createHash('sha256').update(data).digest('hex'),
                   size: data.length };
}

function check(cond, what) {
    if (!cond) {
        throw new Error(what);
    }
}

function equal(got, want, what) {
    check(got === want, `${what}: got ${JSON.stringify(got)}, `
                        + `want ${JSON.stringify(want)}`);
}

function sameBytes(got, want, what) {
    check(Buffer.compare(Buffer.from(got), want) === 0,
          `${what}: ${got.length} bytes differ from the ${want.length} `
          + 'bytes sent');
}

/* deterministic bytes, different for every (seed, length) */

function bytes(len, seed) {
    const out = Buffer.alloc(len);
    let x = seed * 2654435761 >>> 0;

    for (let i = 0; i < len; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        out[i] = x >>> 24;
    }

    return out;
}

async function digest(Hash, data) {
    const h = new Hash();
    h.update(data);
    return Buffer.from(await h.digest()).toString('base64');
}

const checksums = {
    CRC32: (d) => digest(AwsCrc32, d),
    CRC32C: (d) => digest(AwsCrc32c, d),
    CRC64NVME: (d) => digest(Crc64Nvme, d),
    SHA256: async (d) => createHash('sha256').update(d).digest('base64'),
};

function md5Etag(data) {
    return `"${createHash('md5').update(data).digest('hex')}"`;
}

function client(options = {}) {
    return new S3Client({
        endpoint: process.env.S3_ENDPOINT,
        region: process.env.S3_REGION || 'us-east-1',
        forcePathStyle: true,
        credentials: {
            accessKeyId: process.env.S3_ACCESS_KEY,
            secretAccessKey: process.env.S3_SECRET_KEY,
        },
        maxAttempts: 1,
        ...options,
    });
}

/* the headers of the last request as it went on the wire (signed) */

function wireHeaders(c) {
    const seen = {};

    c.middlewareStack.add((next) => async (args) => {
        Object.assign(seen, args.request.headers);
        return next(args);
    }, { step: 'deserialize', name: 'ngxS3WireHeaders' });

    return seen;
}

async function getBytes(c, bucket, key, extra = {}) {
    const r = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key,
                                                  ...extra }));
    return { r, body: Buffer.from(await r.Body.transformToByteArray()) };
}

/* GETs bytes [first, last] of key and compares them with data's */

async function sameRange(c, bucket, key, data, first, last) {
    const range = `bytes=${first}-${last}`;
    const { r, body } = await getBytes(c, bucket, key, { Range: range });

    equal(r.ContentRange, `bytes ${first}-${last}/${data.length}`,
          `ContentRange of ${range}`);
    sameBytes(body, data.subarray(first, last + 1), `GET ${range}`);
}

const s3 = client();
const B = process.env.S3_BUCKET;

step('put-buffer-crc32', async () => {
    const c = client();
    const seen = wireHeaders(c);
    const data = bytes(100000, 1);
    const crc = await checksums.CRC32(data);

    const r = await c.send(new PutObjectCommand({ Bucket: B, Key: 'buf',
                                                  Body: data }));
    written('buf', data);
    equal(seen['x-amz-checksum-crc32'], crc, 'x-amz-checksum-crc32 sent');
    equal(r.ETag, md5Etag(data), 'ETag');
    equal(r.ChecksumCRC32, crc, 'ChecksumCRC32 answered');

    const { body } = await getBytes(s3, B, 'buf');
    sameBytes(body, data, 'GET');
    await sameRange(s3, B, 'buf', data, 65530, 65545);
});

step('put-stream-aws-chunked-trailer', async () => {
    const c = client();
    const seen = wireHeaders(c);
    const data = bytes(300000, 2);
    const chunks = [];

    for (let off = 0; off < data.length; off += 65536) {
        chunks.push(data.subarray(off, off + 65536));
    }

    const r = await c.send(new PutObjectCommand({
        Bucket: B, Key: 'stream', Body: Readable.from(chunks),
        ContentLength: data.length,
    }));
    written('stream', data);
    equal(seen['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-content-sha256 sent');
    check(/aws-chunked/.test(seen['content-encoding'] || ''),
          `content-encoding sent: ${seen['content-encoding']}`);
    equal(seen['x-amz-trailer'], 'x-amz-checksum-crc32', 'x-amz-trailer');
    equal(r.ETag, md5Etag(data), 'ETag');
    equal(r.ChecksumCRC32, await checksums.CRC32(data),
          'ChecksumCRC32 answered');

    const { r: g, body } = await getBytes(s3, B, 'stream');
    sameBytes(body, data, 'GET');
    await sameRange(s3, B, 'stream', data, 65000, 140000);
    check(!/aws-chunked/.test(g.ContentEncoding || ''),
          `aws-chunked stored as Content-Encoding: ${g.ContentEncoding}`);
});

/* PutObject with ChecksumAlgorithm alg, GetObject with ChecksumMode */

function putChecksum(alg) {
    return async () => {
        const c = client();
        const seen = wireHeaders(c);
        const key = `alg-${alg}`;
        const data = bytes(70000, alg.length);
        const want = await checksums[alg](data);
        const field = `Checksum${alg}`;

        const r = await c.send(new PutObjectCommand({
            Bucket: B, Key: key, Body: data, ChecksumAlgorithm: alg,
        }));
        written(key, data);
        equal(seen[`x-amz-checksum-${alg.toLowerCase()}`], want,
              'checksum header sent');
        equal(r[field], want, `${field} answered by PUT`);

        const { r: g, body } = await getBytes(c, B, key,
                                              { ChecksumMode: 'ENABLED' });
        sameBytes(body, data, 'GET');
        equal(g[field], want, `${field} answered by GET`);
    };
}

step('put-checksum-sha256', putChecksum('SHA256'));
step('put-checksum-crc32c', putChecksum('CRC32C'));
step('put-checksum-crc64nvme', putChecksum('CRC64NVME'));

step('get-checksum-mode-enabled', async () => {
    const data = bytes(5000, 7);
    const crc = await checksums.CRC32(data);

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'ck', Body: data }));

    const { r, body } = await getBytes(s3, B, 'ck',
                                       { ChecksumMode: 'ENABLED' });
    sameBytes(body, data, 'GET');
    equal(r.ChecksumCRC32, crc, 'ChecksumCRC32');

    /* the SDK asks for checksums on every GET unless told otherwise */
    const c = client({ responseChecksumValidation: 'WHEN_REQUIRED' });
    const seen = wireHeaders(c);
    const { r: plain } = await getBytes(c, B, 'ck');
    equal(seen['x-amz-checksum-mode'], undefined, 'x-amz-checksum-mode sent');
    equal(plain.ChecksumCRC32, undefined, 'ChecksumCRC32 without the mode');
});

step('head-object', async () => {
    const data = bytes(1234, 8);

    await s3.send(new PutObjectCommand({
        Bucket: B, Key: 'head', Body: data, ContentType: 'text/x-node',
        Metadata: { color: 'blue' },
    }));

    const r = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'head' }));
    equal(r.ContentLength, data.length, 'ContentLength');
    equal(r.ETag, md5Etag(data), 'ETag');
    equal(r.ContentType, 'text/x-node', 'ContentType');
    equal(r.Metadata.color, 'blue', 'Metadata');
});

step('copy-object', async () => {
    const data = bytes(40000, 9);

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'copy-src',
                                         Body: data }));

    const r = await s3.send(new CopyObjectCommand({
        Bucket: B, Key: 'copy-dst', CopySource: `${B}/copy-src`,
    }));
    written('copy-dst', data);
    equal(r.CopyObjectResult.ETag, md5Etag(data), 'CopyObjectResult.ETag');

    const { body } = await getBytes(s3, B, 'copy-dst');
    sameBytes(body, data, 'GET of the copy');
});

step('delete-objects', async () => {
    const keys = ['del/1', 'del/2', 'del/3'];

    for (const k of keys) {
        await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }));
    }

    const r = await s3.send(new DeleteObjectsCommand({
        Bucket: B,
        Delete: { Objects: [...keys, 'del/missing'].map((k) => ({ Key: k })) },
    }));
    equal((r.Errors || []).length, 0, 'Errors');
    equal(JSON.stringify(r.Deleted.map((d) => d.Key).sort()),
          JSON.stringify([...keys, 'del/missing'].sort()), 'Deleted');

    const l = await s3.send(new ListObjectsV2Command({ Bucket: B,
                                                       Prefix: 'del/' }));
    equal(l.KeyCount, 0, 'KeyCount after the delete');
});

step('object-tagging', async () => {
    const tags = [{ Key: 'project', Value: 'ngx s3' },
                  { Key: 'tier', Value: 'gold+1' }];

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'tagged',
                                         Body: 'tags' }));
    await s3.send(new PutObjectTaggingCommand({
        Bucket: B, Key: 'tagged', Tagging: { TagSet: tags },
    }));

    const r = await s3.send(new GetObjectTaggingCommand({ Bucket: B,
                                                          Key: 'tagged' }));
    const got = r.TagSet.map((t) => `${t.Key}=${t.Value}`).sort();
    equal(JSON.stringify(got), JSON.stringify(['project=ngx s3',
                                               'tier=gold+1']), 'TagSet');
});

step('list-objects-v2', async () => {
    const keys = ['ls/a', 'ls/b/1', 'ls/b/2', 'ls/c', 'ls/d+e', 'ls/f g'];

    for (const k of keys) {
        await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }));
    }

    const r = await s3.send(new ListObjectsV2Command({
        Bucket: B, Prefix: 'ls/', Delimiter: '/',
    }));
    equal(JSON.stringify((r.Contents || []).map((o) => o.Key)),
          JSON.stringify(['ls/a', 'ls/c', 'ls/d+e', 'ls/f g']), 'Contents');
    equal(JSON.stringify((r.CommonPrefixes || []).map((p) => p.Prefix)),
          JSON.stringify(['ls/b/']), 'CommonPrefixes');

    const paged = [];

    for await (const page of paginateListObjectsV2(
        { client: s3, pageSize: 2 }, { Bucket: B, Prefix: 'ls/' }))
    {
        check((page.Contents || []).length <= 2, 'page larger than 2');
        paged.push(...(page.Contents || []).map((o) => o.Key));
    }

    equal(JSON.stringify(paged), JSON.stringify(keys), 'paged listing');
});

step('multipart-lib-storage', async () => {
    const data = bytes(11 * MiB + 12345, 11);
    const up = new Upload({
        client: s3,
        params: { Bucket: B, Key: 'mpu', Body: data },
        partSize: 5 * MiB,
        queueSize: 2,
        leavePartsOnError: false,
    });

    const r = await up.done();
    written('mpu', data);
    check(/^"[0-9a-f]{32}-3"$/.test(r.ETag), `ETag ${r.ETag}`);

    const { body } = await getBytes(s3, B, 'mpu');
    sameBytes(body, data, 'GET');

    /* across the first parts' boundary, and the last part alone */
    await sameRange(s3, B, 'mpu', data, 5 * MiB - 100, 5 * MiB + 99);
    await sameRange(s3, B, 'mpu', data, 10 * MiB, data.length - 1);
});

step('multipart-lib-storage-stream', async () => {
    const data = bytes(6 * MiB, 12);
    const up = new Upload({
        client: s3,
        params: { Bucket: B, Key: 'mpu-stream',
                  Body: Readable.from([data.subarray(0, 3 * MiB),
                                       data.subarray(3 * MiB)]) },
        partSize: 5 * MiB,
    });

    await up.done();
    written('mpu-stream', data);

    const { body } = await getBytes(s3, B, 'mpu-stream');
    sameBytes(body, data, 'GET');
    await sameRange(s3, B, 'mpu-stream', data, 5 * MiB - 1, 5 * MiB);
});

step('presigned-get', async () => {
    const data = bytes(3000, 13);

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'pre get',
                                         Body: data }));

    const url = await getSignedUrl(s3, new GetObjectCommand({
        Bucket: B, Key: 'pre get',
    }), { expiresIn: 300 });
    check(url.includes('X-Amz-Signature='), `not presigned: ${url}`);

    const r = await fetch(url);
    equal(r.status, 200, `status of ${url}`);
    sameBytes(Buffer.from(await r.arrayBuffer()), data, 'presigned GET');
});

/*
 * A presigned PutObject has no body when it is signed: by default the SDK
 * signs the CRC32 of an empty body into the URL, and S3 refuses any other
 * body.  The documented way out is to presign with
 * requestChecksumCalculation WHEN_REQUIRED.
 */

step('presigned-put', async () => {
    const data = bytes(4000, 14);
    const c = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    const url = await getSignedUrl(c, new PutObjectCommand({
        Bucket: B, Key: 'pre-put',
    }), { expiresIn: 300 });
    check(!url.includes('x-amz-checksum-'), `checksum in ${url}`);

    const r = await fetch(url, { method: 'PUT', body: data });
    equal(r.status, 200, `status of ${url}: ${await r.text()}`);
    written('pre-put', data);

    const { body } = await getBytes(s3, B, 'pre-put');
    sameBytes(body, data, 'GET after the presigned PUT');
});

step('presigned-put-empty-crc32-refused', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({
        Bucket: B, Key: 'pre-put-crc',
    }), { expiresIn: 300 });
    check(url.includes('x-amz-checksum-crc32=AAAAAA%3D%3D'),
          `no empty-body CRC32 in ${url}`);

    const r = await fetch(url, { method: 'PUT', body: 'not empty' });
    const text = await r.text();
    equal(r.status, 400, `status: ${text}`);
    check(text.includes('<Code>BadDigest</Code>'), `answer: ${text}`);
});

step('conditional-put-if-none-match', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'once', Body: 'one',
                                         IfNoneMatch: '*' }));

    let err = null;

    try {
        await s3.send(new PutObjectCommand({ Bucket: B, Key: 'once',
                                             Body: 'two', IfNoneMatch: '*' }));
    } catch (e) {
        err = e;
    }

    check(err !== null, 'the second PUT with If-None-Match: * succeeded');
    equal(err.$metadata.httpStatusCode, 412, 'status');
    equal(err.name, 'PreconditionFailed', 'error code');

    const { body } = await getBytes(s3, B, 'once');
    sameBytes(body, Buffer.from('one'), 'GET');
});

step('get-bucket-location', async () => {
    const r = await s3.send(new GetBucketLocationCommand({ Bucket: B }));
    const region = process.env.S3_REGION || 'us-east-1';

    /* S3 answers an empty LocationConstraint for us-east-1 */
    equal(r.LocationConstraint, region === 'us-east-1' ? undefined : region,
          'LocationConstraint');
});

step('bucket-cors', async () => {
    const rule = {
        AllowedMethods: ['GET', 'PUT'],
        AllowedOrigins: ['https://example.com'],
        AllowedHeaders: ['*'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 600,
    };

    await s3.send(new PutBucketCorsCommand({
        Bucket: B, CORSConfiguration: { CORSRules: [rule] },
    }));

    const r = await s3.send(new GetBucketCorsCommand({ Bucket: B }));
    equal(r.CORSRules.length, 1, 'number of rules');

    const got = r.CORSRules[0];

    for (const f of Object.keys(rule)) {
        equal(JSON.stringify(got[f]), JSON.stringify(rule[f]), f);
    }
});

async function main() {
    let failed = 0;

    for (const s of steps) {
        wrote = {};

        try {
            await s.fn();
            console.log(JSON.stringify({ step: s.name, ok: true, wrote }));
        } catch (e) {
            failed++;
            console.log(JSON.stringify({
                step: s.name, ok: false,
                error: `${e.name}: ${e.message}`
                       + (e.$metadata ? ` (HTTP ${e.$metadata.httpStatusCode})`
                                      : ''),
                wrote,
            }));
        }
    }

    return failed ? 1 : 0;
}

process.exitCode = await main();
