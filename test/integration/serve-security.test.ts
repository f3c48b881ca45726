import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { awsCli, curl, curlSigned, type LocalService, statusAndBody } from '../support/aws-cli';
import { eventually, type Served, startServe } from '../support/serve';
import { EICAR } from '../support/signatures';
import { signedHeaders } from '../support/signed-request';

// `lambda-av serve` tried as a hostile user and a hostile web page would try it, with clients
// the project did not write: the AWS CLI, curl (its own --aws-sigv4 signing), the AWS SDK. Every
// request stays inside the data directory, every request must be signed with the printed
// credentials, and web pages are refused on every endpoint.

let root: string;
let dataDir: string;
let outside: string;
let served: Served;
let s3: S3Client;
/** Enough `../` to leave any directory, then the absolute path: what a traversal would reach. */
let traversal: string;
const W = ['-w', '\n%{http_code}'];

const aws = (service: LocalService, args: readonly string[], env: Record<string, string> = {}) =>
  awsCli(served.env, root, service, args, env);
const endpoint = (service: 's3' | 'sfn' | 'lambda' | 'cloudwatch') =>
  served.env[
    {
      s3: 'AWS_ENDPOINT_URL_S3',
      sfn: 'AWS_ENDPOINT_URL_SFN',
      lambda: 'AWS_ENDPOINT_URL_LAMBDA',
      cloudwatch: 'AWS_ENDPOINT_URL_CLOUDWATCH',
    }[service]
  ] as string;
const credentials = () => ({
  accessKeyId: served.env.AWS_ACCESS_KEY_ID as string,
  secretAccessKey: served.env.AWS_SECRET_ACCESS_KEY as string,
});

async function statusTag(key: string, bucket = 'uploads'): Promise<string | undefined> {
  const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return TagSet.find((tag) => tag.Key === 'av-status')?.Value;
}

/** Every file under a directory, relative to it. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The sentinel outside the data directory is exactly as the test made it. */
function expectOutsideUntouched(): void {
  expect(filesUnder(outside)).toEqual(['victim-dir/keep.txt', 'victim.txt']);
  expect(readFileSync(path.join(outside, 'victim.txt'), 'utf8')).toBe('untouched');
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-security-'));
  dataDir = path.join(root, 'data');
  outside = path.join(root, 'outside');
  mkdirSync(path.join(outside, 'victim-dir'), { recursive: true });
  writeFileSync(path.join(outside, 'victim.txt'), 'untouched');
  writeFileSync(path.join(outside, 'victim-dir', 'keep.txt'), 'kept');
  writeFileSync(path.join(root, 'payload.txt'), 'written by an attacker');
  writeFileSync(path.join(root, 'eicar.com'), EICAR);
  traversal = `${'../'.repeat(12)}${outside.slice(1)}`;
  served = await startServe(['--test-signatures', '--data-dir', dataDir]);
  s3 = new S3Client({
    endpoint: endpoint('s3'),
    region: 'us-east-1',
    credentials: credentials(),
    forcePathStyle: true,
  });
  expect((await aws('s3', ['s3', 'mb', 's3://quiet'])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  s3?.destroy();
  await served?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('requests stay inside the data directory', () => {
  test('aws s3 cp to a key of ../ segments stores that key, and nothing outside', async () => {
    const key = `${traversal}/pwned`;

    const copied = await aws('s3', ['s3', 'cp', path.join(root, 'payload.txt'), `s3://quiet/${key}`]);
    const read = await aws('s3', [
      's3api',
      'get-object',
      '--bucket',
      'quiet',
      '--key',
      key,
      path.join(root, 'back.txt'),
    ]);
    const listed = await aws('s3', ['s3api', 'list-objects-v2', '--bucket', 'quiet', '--prefix', '../']);

    expect([copied.code, read.code]).toEqual([0, 0]);
    expect(readFileSync(path.join(root, 'back.txt'), 'utf8')).toBe('written by an attacker');
    expect(JSON.parse(listed.stdout).Contents.map((object: { Key: string }) => object.Key)).toEqual([key]);
    expectOutsideUntouched();
  });

  test('UploadPart with a traversing part number or upload id is refused; nothing outside changes', async () => {
    const created = await aws('s3', ['s3api', 'create-multipart-upload', '--bucket', 'quiet', '--key', 'mp']);
    const { UploadId } = JSON.parse(created.stdout) as { UploadId: string };
    const target = encodeURIComponent(`${traversal}/victim.txt`);
    const url = (query: string) => `${endpoint('s3')}/quiet/mp?${query}`;
    const put = (query: string) =>
      curl(
        [...curlSigned(served.env, 's3'), ...W, '-X', 'PUT', '--data-binary', 'overwritten', url(query)],
        root,
      );

    const byPart = statusAndBody(await put(`partNumber=${target}&uploadId=${UploadId}`));
    const byUpload = statusAndBody(
      await put(`partNumber=1&uploadId=${encodeURIComponent(`${traversal}/victim-dir`)}`),
    );

    expect(byPart).toMatchObject({
      status: 400,
      body: expect.stringContaining('<Code>InvalidArgument</Code>'),
    });
    expect(byUpload).toMatchObject({
      status: 404,
      body: expect.stringContaining('<Code>NoSuchUpload</Code>'),
    });
    expectOutsideUntouched();
  });

  test('CompleteMultipartUpload and AbortMultipartUpload with a traversing upload id delete nothing', async () => {
    const uploadId = encodeURIComponent(`${traversal}/victim-dir`);
    const parts =
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>';

    const completed = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 's3'),
          ...W,
          '-X',
          'POST',
          '--data-binary',
          parts,
          `${endpoint('s3')}/quiet/mp?uploadId=${uploadId}`,
        ],
        root,
      ),
    );
    const aborted = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 's3'),
          ...W,
          '-X',
          'DELETE',
          `${endpoint('s3')}/quiet/mp?uploadId=${uploadId}`,
        ],
        root,
      ),
    );

    expect([completed.status, aborted.status]).toEqual([404, 404]);
    expect(completed.body).toContain('<Code>NoSuchUpload</Code>');
    expectOutsideUntouched();
  });

  test('a copy source naming a file outside is a key like any other: NoSuchKey', async () => {
    const copied = await aws('s3', [
      's3api',
      'copy-object',
      '--bucket',
      'quiet',
      '--key',
      'stolen.txt',
      '--copy-source',
      `quiet/${traversal}/victim.txt`,
    ]);

    expect(copied.code).not.toBe(0);
    expect(copied.stderr).toMatch(/NoSuchKey/);
    expectOutsideUntouched();
  });

  test('a POST form whose key field traverses stores that key, and nothing outside', async () => {
    const key = `${traversal}/form-pwned`;
    const post = await createPresignedPost(s3, { Bucket: 'quiet', Key: key, Expires: 600 });
    const fields = Object.entries(post.fields).flatMap(([name, value]) => ['-F', `${name}=${value}`]);

    const sent = statusAndBody(
      await curl([...W, ...fields, '-F', `file=@${path.join(root, 'payload.txt')}`, post.url], root),
    );
    const read = await aws('s3', ['s3api', 'head-object', '--bucket', 'quiet', '--key', key]);

    expect(sent.status).toBe(204);
    expect(JSON.parse(read.stdout)).toMatchObject({ ContentLength: 22 });
    expectOutsideUntouched();
  });

  test('every file the server wrote is inside its data directory', () => {
    const stored = filesUnder(dataDir);

    expect(stored.length).toBeGreaterThan(5);
    expect(stored.every((file) => !file.startsWith('..'))).toBe(true);
    expect(filesUnder(root).filter((file) => !/^(data|outside)\//.test(file))).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/pwned|stolen/)]),
    );
  });
});

describe('every request is signed with the printed credentials', () => {
  test.each([
    ['s3', 'GET', '/uploads?list-type=2', {}],
    ['s3', 'PUT', '/uploads/unsigned.txt', {}],
    [
      'sfn',
      'POST',
      '/',
      { 'x-amz-target': 'AWSStepFunctions.ListStateMachines', 'content-type': 'application/x-amz-json-1.0' },
    ],
    ['lambda', 'POST', '/2015-03-31/functions/lambda-av-scanner/invocations', {}],
    ['lambda', 'GET', '/2015-03-31/functions/', {}],
    [
      'cloudwatch',
      'POST',
      '/',
      {
        'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms',
        'content-type': 'application/x-amz-json-1.0',
      },
    ],
  ] as const)('an unsigned request to %s (%s %s) is refused', async (service, method, route, headers) => {
    const args = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);

    const run = statusAndBody(
      await curl(
        [
          ...W,
          '-X',
          method,
          ...args,
          ...(method === 'GET' ? [] : ['--data-binary', '{}']),
          `${endpoint(service)}${route}`,
        ],
        root,
      ),
    );

    expect(run.status).toBe(403);
    expect(run.body).toMatch(/Missing Authentication Token|must be signed/);
  });

  test.each([
    ['s3', ['s3', 'ls', 's3://uploads/'], /SignatureDoesNotMatch/],
    ['sfn', ['stepfunctions', 'list-state-machines'], /InvalidSignatureException/],
    ['lambda', ['lambda', 'list-functions'], /InvalidSignatureException/],
  ] as const)('the AWS CLI with a wrong secret is refused by %s', async (service, args, error) => {
    const run = await aws(service, args, { AWS_SECRET_ACCESS_KEY: 'not-the-printed-secret' });

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(error);
  });

  test('curl signing with the printed credentials (--aws-sigv4) reaches every endpoint', async () => {
    const sfn = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 'states'),
          ...W,
          '-H',
          'x-amz-target: AWSStepFunctions.ListStateMachines',
          '-H',
          'content-type: application/x-amz-json-1.0',
          '--data-binary',
          '{}',
          `${endpoint('sfn')}/`,
        ],
        root,
      ),
    );
    const listed = statusAndBody(
      await curl([...curlSigned(served.env, 's3'), ...W, `${endpoint('s3')}/uploads?list-type=2`], root),
    );

    expect(sfn.status).toBe(200);
    expect(JSON.parse(sfn.body).stateMachines).toHaveLength(3);
    expect(listed.status).toBe(200);
  });

  test('a URL presigned by the AWS CLI works with curl; the same URL for another key, or expired, is refused', async () => {
    await aws('s3', ['s3', 'cp', path.join(root, 'payload.txt'), 's3://quiet/presigned.txt']);
    const presigned = (await aws('s3', ['s3', 'presign', 's3://quiet/presigned.txt'])).stdout.trim();
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { Sha256 } = await import('../support/signed-request');
    const signer = new SignatureV4({
      credentials: credentials(),
      region: 'us-east-1',
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    const url = new URL(presigned);
    const old = await signer.presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host },
        query: {},
      },
      { signingDate: new Date(Date.now() - 2 * 3_600_000), expiresIn: 60 },
    );
    const expiredUrl = `${endpoint('s3')}${old.path}?${new URLSearchParams(old.query as Record<string, string>)}`;

    const good = statusAndBody(await curl([...W, presigned], root));
    const moved = statusAndBody(await curl([...W, presigned.replace('/presigned.txt', '/victim.txt')], root));
    const expired = statusAndBody(await curl([...W, expiredUrl], root));

    expect(good).toEqual({ status: 200, body: 'written by an attacker' });
    expect(moved.status).toBe(403);
    expect(moved.body).toContain('SignatureDoesNotMatch');
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('Request has expired');
  });

  test('the SDK streams an upload in aws-chunked framing with a CRC32 trailer: stored exactly, and scanned', async () => {
    const { Readable } = await import('node:stream');
    const body = Buffer.concat([Buffer.from(EICAR), Buffer.alloc(3 * 2 ** 20, 0x20)]);
    const sdkDefaults = new S3Client({
      endpoint: endpoint('s3'),
      region: 'us-east-1',
      credentials: credentials(),
      forcePathStyle: true,
    });

    await sdkDefaults.send(
      new PutObjectCommand({
        Bucket: 'uploads',
        Key: 'streamed/eicar.bin',
        Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
        ContentLength: body.length,
      }),
    );
    const back = await aws('s3', [
      's3api',
      'get-object',
      '--bucket',
      'uploads',
      '--key',
      'streamed/eicar.bin',
      path.join(root, 'streamed.bin'),
    ]);
    sdkDefaults.destroy();

    expect(back.code).toBe(0);
    expect(readFileSync(path.join(root, 'streamed.bin')).equals(body)).toBe(true);
    expect(await eventually(() => statusTag('streamed/eicar.bin'))).toBe('INFECTED');
  });

  test('an aws-chunked upload whose trailing checksum does not match is refused, and stores nothing', async () => {
    const chunked = '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    const headers = await signedHeaders({ endpoint: endpoint('s3'), credentials: credentials() }, 's3', {
      method: 'PUT',
      path: '/quiet/bad-trailer.txt',
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '5',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
    });
    const { host: _, ...sent } = headers;

    const response = await fetch(`${endpoint('s3')}/quiet/bad-trailer.txt`, {
      method: 'PUT',
      headers: sent,
      body: chunked,
    });
    const head = await aws('s3', ['s3api', 'head-object', '--bucket', 'quiet', '--key', 'bad-trailer.txt']);

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>BadDigest</Code>');
    expect(head.stderr).toMatch(/Not Found|404/);
  });
});

describe('form POSTs need a valid policy', () => {
  const fake = () => {
    const file = path.join(root, 'fake.ndb');
    writeFileSync(file, 'Fake-Signature:0:*:6e6f7468696e67\n');
    return file;
  };

  test("the issue's cross-origin form POST of fake definitions is refused; EICAR is still found", async () => {
    const run = statusAndBody(
      await curl(
        [
          ...W,
          '-X',
          'POST',
          '-H',
          'Origin: http://evil.example',
          '-F',
          'key=test.ndb',
          '-F',
          `file=@${fake()}`,
          `${endpoint('s3')}/lambda-av-definitions`,
        ],
        root,
      ),
    );
    await aws('s3', ['s3', 'cp', path.join(root, 'eicar.com'), 's3://uploads/after-form/eicar.com']);

    expect(run.status).toBe(403);
    expect(run.body).toContain('cross-origin');
    expect(await eventually(() => statusTag('after-form/eicar.com'))).toBe('INFECTED');
  });

  test('a form POST with no policy is refused, even from no web page', async () => {
    const run = statusAndBody(
      await curl(
        [...W, '-F', 'key=test.ndb', '-F', `file=@${fake()}`, `${endpoint('s3')}/lambda-av-definitions`],
        root,
      ),
    );

    expect(run.status).toBe(403);
    expect(run.body).toContain('needs a policy');
  });

  test.each([
    [
      'a policy changed after signing',
      (fields: Record<string, string>) => ({
        ...fields,
        Policy: Buffer.from('{"expiration":"2100-01-01T00:00:00Z","conditions":[]}').toString('base64'),
      }),
      'SignatureDoesNotMatch',
    ],
    [
      'a key outside the policy',
      (fields: Record<string, string>) => ({ ...fields, key: 'elsewhere.ndb' }),
      'Policy Condition failed',
    ],
    [
      'a field the policy does not name',
      (fields: Record<string, string>) => ({ ...fields, 'x-amz-meta-extra': 'x' }),
      'Extra input fields',
    ],
  ])('a form POST with %s is refused', async (_label, change, message) => {
    const post = await createPresignedPost(s3, { Bucket: 'uploads', Key: 'form/ok.txt', Expires: 600 });
    const fields = Object.entries(change(post.fields)).flatMap(([name, value]) => ['-F', `${name}=${value}`]);

    const run = statusAndBody(await curl([...W, ...fields, '-F', `file=@${fake()}`, post.url], root));

    expect(run.status).toBe(403);
    expect(run.body).toContain(message);
  });

  test('a form POST with an expired policy is refused', async () => {
    const post = await createPresignedPost(s3, { Bucket: 'uploads', Key: 'form/late.txt', Expires: -60 });
    const fields = Object.entries(post.fields).flatMap(([name, value]) => ['-F', `${name}=${value}`]);

    const run = statusAndBody(await curl([...W, ...fields, '-F', `file=@${fake()}`, post.url], root));

    expect(run.status).toBe(403);
    expect(run.body).toContain('Policy expired');
  });

  test('a form POST with a valid policy (the SDK made it) uploads, and the upload is scanned', async () => {
    const post = await createPresignedPost(s3, { Bucket: 'uploads', Key: 'form/eicar.com', Expires: 600 });
    const fields = Object.entries(post.fields).flatMap(([name, value]) => ['-F', `${name}=${value}`]);

    const run = statusAndBody(
      await curl([...W, ...fields, '-F', `file=@${path.join(root, 'eicar.com')}`, post.url], root),
    );

    expect(run.status).toBe(204);
    expect(await eventually(() => statusTag('form/eicar.com'))).toBe('INFECTED');
  });
});

describe('web pages are refused on every endpoint', () => {
  const signedRequests = {
    s3: { method: 'GET', path: '/uploads?list-type=2', headers: {} },
    sfn: {
      method: 'POST',
      path: '/',
      headers: {
        'x-amz-target': 'AWSStepFunctions.ListStateMachines',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    },
    lambda: { method: 'GET', path: '/2015-03-31/functions/', headers: {} },
    cloudwatch: {
      method: 'POST',
      path: '/',
      headers: {
        'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    },
  } as const;
  const signingName = { s3: 's3', sfn: 'states', lambda: 'lambda', cloudwatch: 'monitoring' } as const;

  test.each(Object.keys(signedRequests) as Array<keyof typeof signedRequests>)(
    'a correctly signed request from a page (Origin, Sec-Fetch-Site: cross-site) to %s is refused',
    async (service) => {
      const request = signedRequests[service];
      const headers = await signedHeaders(
        { endpoint: endpoint(service), credentials: credentials() },
        signingName[service],
        request,
      );
      const { host: _, ...sent } = headers;
      const send = (extra: Record<string, string>) =>
        fetch(`${endpoint(service)}${request.path}`, {
          method: request.method,
          headers: { ...sent, ...extra },
          ...('body' in request ? { body: request.body } : {}),
        });

      const plain = await send({});
      const fromPage = await send({ origin: 'http://evil.example' });
      const fetchMetadata = await send({ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' });

      expect(plain.status).toBe(200);
      expect([fromPage.status, fetchMetadata.status]).toEqual([403, 403]);
      expect(fromPage.headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  test.each(['s3', 'sfn', 'lambda', 'cloudwatch'] as const)(
    'a CORS preflight to %s is refused, with no CORS header',
    async (service) => {
      const response = await fetch(`${endpoint(service)}/`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'PUT' },
      });

      expect(response.status).toBe(403);
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    },
  );

  test("a page's text/plain POST to the Lambda endpoint runs nothing", async () => {
    await aws('s3', ['s3', 'cp', path.join(root, 'eicar.com'), 's3://quiet/xo/eicar.com']);

    const run = statusAndBody(
      await curl(
        [
          ...W,
          '-H',
          'Origin: http://evil.example',
          '-H',
          'content-type: text/plain',
          '--data-binary',
          '{"bucket":"quiet","key":"xo/eicar.com"}',
          `${endpoint('lambda')}/2015-03-31/functions/lambda-av-scanner/invocations`,
        ],
        root,
      ),
    );

    expect(run.status).toBe(403);
    expect(await statusTag('xo/eicar.com', 'quiet')).toBeUndefined();
  });

  test('a name of a page that resolves to 127.0.0.1 (DNS rebinding) is refused, signed or not', async () => {
    const port = new URL(endpoint('s3')).port;

    const run = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 's3'),
          ...W,
          '-H',
          `Host: rebind.evil.example:${port}`,
          `${endpoint('s3')}/uploads?list-type=2`,
        ],
        root,
      ),
    );

    expect(run.status).toBe(403);
    expect(run.body).toContain('is not this endpoint');
  });

  test('the history page answers the browser, and refuses other pages and foreign names', async () => {
    const page = /scan history\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(served.cli.stdout())?.[1] as string;
    const port = new URL(page).port;

    const opened = await fetch(page);
    const fromPage = await fetch(page, {
      headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    const rebound = statusAndBody(await curl([...W, '-H', `Host: rebind.evil.example:${port}`, page], root));

    expect(opened.status).toBe(200);
    expect(opened.headers.get('x-frame-options')).toBe('DENY');
    expect(fromPage.status).toBe(403);
    expect(rebound.status).toBe(403);
  });
});

describe('bad input gets a clear error for that request, and the stack keeps running', () => {
  test('a key of 1,024 bytes and one with a 245-byte segment are stored, scanned and read back; 1,025 bytes is KeyTooLongError', async () => {
    const long = `long/${'k'.repeat(1024 - 'long/'.length - '.com'.length)}.com`;
    const segment = `seg/${'s'.repeat(241)}.com`;

    const stored = await Promise.all(
      [long, segment].map((key) =>
        aws('s3', ['s3', 'cp', path.join(root, 'eicar.com'), `s3://uploads/${key}`]),
      ),
    );
    const tooLong = await aws('s3', [
      's3api',
      'put-object',
      '--bucket',
      'uploads',
      '--key',
      `${long}x`,
      '--body',
      path.join(root, 'eicar.com'),
    ]);

    expect(Buffer.byteLength(long)).toBe(1024);
    expect(stored.map((run) => run.code)).toEqual([0, 0]);
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toMatch(/KeyTooLongError/);
    expect(await eventually(() => statusTag(long))).toBe('INFECTED');
    expect(await eventually(() => statusTag(segment))).toBe('INFECTED');
  });

  test('keys are never normalised: ./a/./b, sub/../up and dbl//slash.com are three keys, each scanned', async () => {
    const keys = ['norm/./a/./b.com', 'norm/sub/../up.com', 'norm/dbl//slash.com'];
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: EICAR }));
    }
    const listed = await aws('s3', ['s3api', 'list-objects-v2', '--bucket', 'uploads', '--prefix', 'norm/']);

    expect(
      JSON.parse(listed.stdout)
        .Contents.map((object: { Key: string }) => object.Key)
        .sort(),
    ).toEqual([...keys].sort());
    for (const key of keys) expect(await eventually(() => statusTag(key))).toBe('INFECTED');
  });

  test('malformed bodies get their S3 and Step Functions errors', async () => {
    const created = JSON.parse(
      (await aws('s3', ['s3api', 'create-multipart-upload', '--bucket', 'quiet', '--key', 'bad-xml'])).stdout,
    );

    const xml = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 's3'),
          ...W,
          '-X',
          'POST',
          '--data-binary',
          '<not xml',
          `${endpoint('s3')}/quiet/bad-xml?uploadId=${created.UploadId}`,
        ],
        root,
      ),
    );
    const nullBody = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 'states'),
          ...W,
          '-H',
          'x-amz-target: AWSStepFunctions.StartExecution',
          '-H',
          'content-type: application/x-amz-json-1.0',
          '--data-binary',
          'null',
          `${endpoint('sfn')}/`,
        ],
        root,
      ),
    );

    expect(xml).toMatchObject({ status: 400, body: expect.stringContaining('MalformedXML') });
    expect(nullBody.status).toBe(400);
    expect(JSON.parse(nullBody.body)).toMatchObject({ __type: 'SerializationException' });
  });

  test('after all of this the stack still scans', async () => {
    await aws('s3', ['s3', 'cp', path.join(root, 'eicar.com'), 's3://uploads/still/eicar.com']);

    expect(await eventually(() => statusTag('still/eicar.com'))).toBe('INFECTED');
    expect(served.cli.child.exitCode).toBeNull();
    expect(
      execFileSync('ps', ['-o', 'stat=', '-p', String(served.cli.child.pid)])
        .toString()
        .trim(),
    ).not.toMatch(/^Z/);
  });
});

describe("serve's log", () => {
  test('escapes control characters in keys: a key cannot forge a line or hide a verdict', async () => {
    const key = 'report.pdf: CLEAN [5 ms]\nlambda-av-scan s3://uploads/x.pdf: CLEAN\x1b[2K\r.com';

    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: EICAR }));
    await eventually(() => statusTag(key));
    const line = await eventually(async () =>
      served.cli
        .stdout()
        .split('\n')
        .find((text) => text.includes('report.pdf: CLEAN')),
    );

    expect(line).toContain(
      'report.pdf: CLEAN [5 ms]\\nlambda-av-scan s3://uploads/x.pdf: CLEAN\\e[2K\\r.com: INFECTED',
    );
    expect(
      served.cli
        .stdout()
        .split('\n')
        .filter((text) => text.startsWith('lambda-av-scan s3://uploads/x.pdf')),
    ).toEqual([]);
    expect(served.cli.stdout()).not.toContain('\x1b');
  });
});
