import { Readable } from 'node:stream';
import { AwsChunkedDecoder, STREAMING } from '../../../src/local/protocol/aws-chunked';
import { RequestRefusal } from '../../../src/local/protocol/refusal';
import { type SignedRequest, verifySignature } from '../../../src/local/protocol/sigv4';
import { signedHeaders } from '../../support/signed-request';

// The judges: the worked examples of AWS's S3 API reference ("Authenticating Requests (AWS
// Signature Version 4)": GET Object, PUT Object, a presigned URL, and a chunked upload, all with
// the documentation's example key pair and time), and the AWS SDK's own signer.

const EXAMPLE_KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const EXAMPLE_TIME = Date.UTC(2013, 4, 24, 0, 0, 0);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function headers(pairs: Record<string, string>): string[] {
  return Object.entries(pairs).flat();
}

const declaredHash = (_: 'header' | 'query', map: ReadonlyMap<string, string>) =>
  map.get('x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';

function verifyExample(request: SignedRequest, now = EXAMPLE_TIME) {
  return verifySignature(request, {
    credentials: EXAMPLE_KEYS,
    service: 's3',
    payloadHash: declaredHash,
    now,
  });
}

const GET_OBJECT: SignedRequest = {
  method: 'GET',
  rawPath: '/test.txt',
  rawQuery: '',
  rawHeaders: headers({
    Host: 'examplebucket.s3.amazonaws.com',
    Authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    Range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
  }),
};

test("AWS's GET Object example verifies", () => {
  expect(verifyExample(GET_OBJECT)).toMatchObject({
    mechanism: 'header',
    scope: '20130524/us-east-1/s3/aws4_request',
  });
});

test("AWS's PUT Object example verifies, its key's $ encoded as SigV4 encodes it", () => {
  const put: SignedRequest = {
    method: 'PUT',
    rawPath: '/test$file.text',
    rawQuery: '',
    rawHeaders: headers({
      Host: 'examplebucket.s3.amazonaws.com',
      Date: 'Fri, 24 May 2013 00:00:00 GMT',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    }),
  };

  expect(verifyExample(put).payloadHash).toBe(
    '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
  );
});

test("AWS's presigned URL example verifies within its 24 hours, and is refused after them", () => {
  const presigned: SignedRequest = {
    method: 'GET',
    rawPath: '/test.txt',
    rawQuery:
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    rawHeaders: headers({ Host: 'examplebucket.s3.amazonaws.com' }),
  };

  expect(verifyExample(presigned, EXAMPLE_TIME + 3_600_000).mechanism).toBe('query');
  expect(() => verifyExample(presigned, EXAMPLE_TIME + 86_401_000)).toThrow(/Request has expired/);
});

test.each([
  [
    'another secret',
    { credentials: { ...EXAMPLE_KEYS, secretAccessKey: 'not-the-secret' } },
    /SignatureDoesNotMatch|signature we calculated/,
  ],
  [
    'another key id',
    { credentials: { ...EXAMPLE_KEYS, accessKeyId: 'AKIAOTHER' } },
    /does not exist in our records/,
  ],
  ['a request 16 minutes late', { now: EXAMPLE_TIME + 16 * 60_000 }, /Signature expired/],
  ['another service', { service: 'states' }, /signed for service "s3"/],
])('the GET example is refused with %s', (_label, change, message) => {
  expect(() =>
    verifySignature(GET_OBJECT, {
      credentials: EXAMPLE_KEYS,
      service: 's3',
      payloadHash: declaredHash,
      now: EXAMPLE_TIME,
      ...change,
    }),
  ).toThrow(message);
});

test.each([
  ['the path', { rawPath: '/test.txt2' }],
  [
    'a signed header',
    { rawHeaders: GET_OBJECT.rawHeaders.map((value) => (value === 'bytes=0-9' ? 'bytes=0-99' : value)) },
  ],
  ['the query', { rawQuery: 'versionId=x' }],
  ['the method', { method: 'DELETE' }],
])('a change to %s after signing is refused', (_label, change) => {
  expect(() => verifyExample({ ...GET_OBJECT, ...change })).toThrow(RequestRefusal);
});

test('an x-amz-* header that was not signed is refused, as S3 refuses it', () => {
  const added = { ...GET_OBJECT, rawHeaders: [...GET_OBJECT.rawHeaders, 'x-amz-tagging', 'status=CLEAN'] };

  expect(() => verifyExample(added)).toThrow(
    /headers present in the request which were not signed: x-amz-tagging/,
  );
});

test('an unsigned request is refused before anything else', () => {
  expect(() =>
    verifyExample({ ...GET_OBJECT, rawHeaders: headers({ Host: 'examplebucket.s3.amazonaws.com' }) }),
  ).toThrow(/Missing Authentication Token/);
});

/** AWS's chunked upload example: 66,560 bytes of `a` in chunks of 64 KiB and 1 KiB, then the final empty chunk. */
function chunkedExample(signatures: readonly [string, string, string]) {
  const request: SignedRequest = {
    method: 'PUT',
    rawPath: '/examplebucket/chunkObject.txt',
    rawQuery: '',
    rawHeaders: headers({
      Host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      'x-amz-content-sha256': STREAMING.signed,
      'Content-Encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'Content-Length': '66824',
    }),
  };
  const body = Buffer.concat([
    Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`),
    Buffer.alloc(65_536, 'a'),
    Buffer.from(`\r\n400;chunk-signature=${signatures[1]}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from(`\r\n0;chunk-signature=${signatures[2]}\r\n\r\n`),
  ]);
  return { request, body };
}

const EXAMPLE_CHUNKS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
] as const;

async function decode(request: SignedRequest, body: Buffer, split = 1000): Promise<Buffer> {
  const decoder = new AwsChunkedDecoder(STREAMING.signed, verifyExample(request));
  const pieces = Array.from({ length: Math.ceil(body.length / split) }, (_, i) =>
    body.subarray(i * split, (i + 1) * split),
  );
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(decoder)) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

test("AWS's chunked upload example decodes, every chunk signature checked, however the bytes arrive", async () => {
  const { request, body } = chunkedExample(EXAMPLE_CHUNKS);

  expect(body.length).toBe(66_824);
  // Compared as bytes: Jest's deep equality walks a Buffer element by element.
  expect((await decode(request, body, 7)).equals(Buffer.alloc(66_560, 'a'))).toBe(true);
  expect((await decode(request, body, 100_000)).equals(Buffer.alloc(66_560, 'a'))).toBe(true);
});

test.each([
  ['a chunk signature', 0],
  ['the final chunk signature', 2],
])('a chunked upload with a wrong %s is refused', async (_label, index) => {
  const wrong = [...EXAMPLE_CHUNKS] as [string, string, string];
  wrong[index] = (wrong[index] as string).replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const { request, body } = chunkedExample(wrong);

  await expect(decode(request, body)).rejects.toThrow(/signature we calculated/);
});

test('a chunked upload whose bytes were changed after signing is refused', async () => {
  const { request, body } = chunkedExample(EXAMPLE_CHUNKS);
  body[200] = 'b'.charCodeAt(0);

  await expect(decode(request, body)).rejects.toThrow(/signature we calculated/);
});

test('a chunked upload cut short is refused', async () => {
  const { request, body } = chunkedExample(EXAMPLE_CHUNKS);

  await expect(decode(request, body.subarray(0, 40_000))).rejects.toThrow(/ended before its final chunk/);
});

test.each([
  [
    's3',
    'PUT',
    '/bucket/dir//a%20b/../c%2Bd%25.txt',
    { 'x-amz-meta-owner': 'me', 'content-type': 'text/plain' },
  ],
  ['s3', 'GET', '/bucket?list-type=2&prefix=a%20b&continuation-token=x%2By', {}],
  [
    'lambda',
    'POST',
    '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations',
    {},
  ],
  [
    'states',
    'POST',
    '/',
    { 'x-amz-target': 'AWSStepFunctions.ListExecutions', 'content-type': 'application/x-amz-json-1.0' },
  ],
])('what the AWS SDK signs verifies (%s %s %s)', async (service, method, path, extra) => {
  const server = {
    endpoint: 'http://127.0.0.1:4566',
    credentials: { accessKeyId: 'LAAVTEST', secretAccessKey: 'a/secret+key' },
  };
  const body = method === 'GET' ? '' : '{"any":"body"}';
  const signed = await signedHeaders(server, service, { method, path, headers: extra, body });
  const [rawPath = '', rawQuery = ''] = path.split('?');
  const bodyHash =
    signed['x-amz-content-sha256'] ??
    (await import('node:crypto')).createHash('sha256').update(body).digest('hex');

  const verified = verifySignature(
    { method, rawPath, rawQuery, rawHeaders: Object.entries(signed).flat() },
    { credentials: server.credentials, service, payloadHash: () => bodyHash },
  );

  expect(verified.accessKeyId).toBe('LAAVTEST');
});
