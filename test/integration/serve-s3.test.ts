import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsCli, curl, curlSigned, type LocalService, statusAndBody } from '../support/aws-cli';
import { eventually, type Served, startServe } from '../support/serve';
import { EICAR } from '../support/signatures';
import { signedHeaders } from '../support/signed-request';

// S3's semantics where s3rver differed, checked with the AWS CLI, curl and the SDK against
// `lambda-av serve`: writes are atomic (an overwrite replaces bytes, ETag and tags only when it
// completes; one cut off changes nothing), tags given with an upload are kept, and listings page.

let root: string;
let dataDir: string;
let served: Served;
let s3: S3Client;

const aws = (service: LocalService, args: readonly string[]) => awsCli(served.env, root, service, args);

async function tagsOf(bucket: string, key: string): Promise<Record<string, string>> {
  const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries(TagSet.map((tag) => [tag.Key, tag.Value]));
}

async function headOf(bucket: string, key: string): Promise<{ ETag: string; ContentLength: number }> {
  const run = await aws('s3', ['s3api', 'head-object', '--bucket', bucket, '--key', key]);
  if (run.code !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  const file = path.join(root, `read-${Math.random().toString(36).slice(2)}`);
  const run = await aws('s3', ['s3api', 'get-object', '--bucket', bucket, '--key', key, file]);
  if (run.code !== 0) throw new Error(run.stderr);
  return readFileSync(file);
}

/** Bytes being received: what is in the store's tmp/ now. */
function receiving(): number {
  const tmp = path.join(dataDir, 's3', 'tmp');
  return readdirSync(tmp).reduce((total, name) => total + statSync(path.join(tmp, name)).size, 0);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-serve-s3-'));
  dataDir = path.join(root, 'data');
  writeFileSync(path.join(root, 'clean.txt'), 'a clean report\n');
  served = await startServe(['--test-signatures', '--data-dir', dataDir]);
  s3 = new S3Client({
    endpoint: served.env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    credentials: {
      accessKeyId: served.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: served.env.AWS_SECRET_ACCESS_KEY as string,
    },
    forcePathStyle: true,
  });
  expect((await aws('s3', ['s3', 'mb', 's3://quiet'])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  s3?.destroy();
  await served?.stop();
  await rm(root, { recursive: true, force: true });
});

test('an overwrite cut off mid-upload changes nothing: the old bytes, ETag and CLEAN tag stay, readable throughout', async () => {
  await aws('s3', ['s3', 'cp', path.join(root, 'clean.txt'), 's3://uploads/atomic.txt']);
  expect(await eventually(async () => (await tagsOf('uploads', 'atomic.txt'))['av-status'])).toBe('CLEAN');
  const before = await headOf('uploads', 'atomic.txt');
  const tagsBefore = await tagsOf('uploads', 'atomic.txt');
  const body = Buffer.concat([Buffer.from(EICAR), Buffer.alloc(20 * 2 ** 20, 0x41)]);
  const route = '/uploads/atomic.txt';
  const headers = await signedHeaders(
    { endpoint: served.env.AWS_ENDPOINT_URL_S3 as string, credentials: s3.config.credentials as never },
    's3',
    { method: 'PUT', path: route, headers: { 'content-length': String(body.length) } },
    { unsignedPayload: true },
  );
  const request = http.request(`${served.env.AWS_ENDPOINT_URL_S3}${route}`, { method: 'PUT', headers });
  const failed = new Promise<void>((resolve) => request.on('error', () => resolve()));

  // 6 MB of the new object, starting with EICAR, reach the server; the rest never comes.
  request.write(body.subarray(0, 6 * 2 ** 20));
  await eventually(async () => (receiving() >= 6 * 2 ** 20 ? true : undefined));
  const during = await bytesOf('uploads', 'atomic.txt');
  const duringHead = await headOf('uploads', 'atomic.txt');
  request.destroy();
  await failed;
  await eventually(async () => (receiving() === 0 ? true : undefined));

  expect(during.toString()).toBe('a clean report\n');
  expect(duringHead.ETag).toBe(before.ETag);
  expect((await bytesOf('uploads', 'atomic.txt')).toString()).toBe('a clean report\n');
  expect(await headOf('uploads', 'atomic.txt')).toMatchObject({ ETag: before.ETag, ContentLength: 15 });
  expect(tagsBefore['av-status']).toBe('CLEAN');
  expect(await tagsOf('uploads', 'atomic.txt')).toEqual(tagsBefore);
});

test('a completed overwrite replaces the bytes, the ETag and the tags: the new object has its own tags, or none', async () => {
  await aws('s3', [
    's3api',
    'put-object',
    '--bucket',
    'quiet',
    '--key',
    'tags.txt',
    '--body',
    path.join(root, 'clean.txt'),
    '--tagging',
    'status=CLEAN&owner=me',
  ]);
  const first = await headOf('quiet', 'tags.txt');
  const firstTags = await tagsOf('quiet', 'tags.txt');

  writeFileSync(path.join(root, 'eicar.com'), EICAR);
  await aws('s3', [
    's3api',
    'put-object',
    '--bucket',
    'quiet',
    '--key',
    'tags.txt',
    '--body',
    path.join(root, 'eicar.com'),
  ]);
  const second = await headOf('quiet', 'tags.txt');
  const secondTags = await tagsOf('quiet', 'tags.txt');
  await aws('s3', [
    's3api',
    'put-object',
    '--bucket',
    'quiet',
    '--key',
    'tags.txt',
    '--body',
    path.join(root, 'eicar.com'),
    '--tagging',
    'project=x',
  ]);

  expect(firstTags).toEqual({ status: 'CLEAN', owner: 'me' });
  expect(second.ETag).not.toBe(first.ETag);
  expect(second.ContentLength).toBe(EICAR.length);
  expect(secondTags).toEqual({});
  expect(await tagsOf('quiet', 'tags.txt')).toEqual({ project: 'x' });
});

test("tags given with an upload are kept beside the scan's", async () => {
  writeFileSync(path.join(root, 'eicar.com'), EICAR);

  const put = await aws('s3', [
    's3api',
    'put-object',
    '--bucket',
    'uploads',
    '--key',
    'owned/eicar.com',
    '--body',
    path.join(root, 'eicar.com'),
    '--tagging',
    'owner=me&project=x',
  ]);
  const tags = await eventually(async () => {
    const current = await tagsOf('uploads', 'owned/eicar.com');
    return current['av-status'] ? current : undefined;
  });

  expect(put.code).toBe(0);
  expect(tags).toEqual({
    owner: 'me',
    project: 'x',
    'av-status': 'INFECTED',
    'av-timestamp': expect.stringMatching(/^\d+$/),
  });
});

test('S3 conditional writes: If-None-Match * writes once, If-Match only over the version named', async () => {
  const first = await s3.send(
    new PutObjectCommand({ Bucket: 'quiet', Key: 'once.txt', Body: 'one', IfNoneMatch: '*' }),
  );
  const again = await s3
    .send(new PutObjectCommand({ Bucket: 'quiet', Key: 'once.txt', Body: 'two', IfNoneMatch: '*' }))
    .catch((error: Error) => error);
  const stale = await s3
    .send(
      new PutObjectCommand({
        Bucket: 'quiet',
        Key: 'once.txt',
        Body: 'three',
        IfMatch: '"0123456789abcdef0123456789abcdef"',
      }),
    )
    .catch((error: Error) => error);
  const current = await s3.send(
    new PutObjectCommand({ Bucket: 'quiet', Key: 'once.txt', Body: 'four', IfMatch: first.ETag }),
  );

  expect(again).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
  expect(stale).toMatchObject({ name: 'PreconditionFailed' });
  expect(current.ETag).not.toBe(first.ETag);
  expect((await bytesOf('quiet', 'once.txt')).toString()).toBe('four');
});

describe('a bucket of 1,005 objects', () => {
  const keys = Array.from(
    { length: 1005 },
    (_, i) => `many/${i % 7 === 0 ? 'sub/' : ''}${String(i).padStart(4, '0')}.txt`,
  );

  beforeAll(async () => {
    for (let i = 0; i < keys.length; i += 25) {
      await Promise.all(
        keys
          .slice(i, i + 25)
          .map((key) => s3.send(new PutObjectCommand({ Bucket: 'quiet', Key: key, Body: key }))),
      );
    }
  }, 180_000);

  test('aws s3 ls --recursive lists every object (it pages through ListObjectsV2)', async () => {
    const run = await aws('s3', ['s3', 'ls', '--recursive', 's3://quiet/many/']);

    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1005);
  });

  test('the SDK paginator reads pages of 100 in key order, every key once', async () => {
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 100 },
      { Bucket: 'quiet', Prefix: 'many/' },
    )) {
      pages++;
      seen.push(...(page.Contents ?? []).map((object) => object.Key as string));
    }

    expect(pages).toBe(11);
    expect(seen).toEqual([...keys].sort());
  });

  test('with a delimiter, a common prefix counts once and the pages still cover every key once', async () => {
    const contents: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: 'quiet',
          Prefix: 'many/',
          Delimiter: '/',
          MaxKeys: 50,
          ContinuationToken: token,
        }),
      );
      contents.push(...(page.Contents ?? []).map((object) => object.Key as string));
      prefixes.push(...(page.CommonPrefixes ?? []).map((common) => common.Prefix as string));
      token = page.NextContinuationToken;
    } while (token);

    expect(prefixes).toEqual(['many/sub/']);
    expect(contents).toEqual(keys.filter((key) => !key.startsWith('many/sub/')).sort());
  });

  test('a continuation token that is not one of ours is InvalidArgument', async () => {
    // The query in SigV4's order: curl 7.88 signs it as written.
    const run = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 's3'),
          '-w',
          '\n%{http_code}',
          `${served.env.AWS_ENDPOINT_URL_S3}/quiet?continuation-token=garbage&list-type=2`,
        ],
        root,
      ),
    );

    expect(run.body).toContain('The continuation token provided is incorrect');
    expect(run.status).toBe(400);
  });
});
