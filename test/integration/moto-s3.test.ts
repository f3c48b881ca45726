import {
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { judged } from '../robustness/ledger';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';

// Where S3's semantics matter, the scanner runs against moto's S3 (a judge the project did not
// write; lambda-av's own S3 endpoint keeps no versions).

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ s3: 'moto' });
  await h.s3.client.send(
    new PutBucketVersioningCommand({
      Bucket: UPLOADS_BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
}, 120_000);
afterAll(async () => {
  await h?.stop();
});
afterEach(() => {
  judged('moto', expect.getState().currentTestName ?? 'S3');
});

const tagsOfVersion = async (key: string, versionId: string) =>
  Object.fromEntries(
    (
      (
        await h.s3.client.send(
          new GetObjectTaggingCommand({ Bucket: UPLOADS_BUCKET, Key: key, VersionId: versionId }),
        )
      ).TagSet ?? []
    ).map((tag) => [tag.Key, tag.Value]),
  );

async function putVersion(key: string, body: string, tagging?: string): Promise<string> {
  const put = await h.s3.client.send(
    new PutObjectCommand({
      Bucket: UPLOADS_BUCKET,
      Key: key,
      Body: body,
      ...(tagging ? { Tagging: tagging } : {}),
    }),
  );
  if (!put.VersionId) throw new Error('moto kept no version');
  return put.VersionId;
}

test('the version named is scanned and tagged; the newer version is left untouched', async () => {
  const infected = await putVersion('versions/a.txt', EICAR);
  const clean = await putVersion('versions/a.txt', 'hello', 'owner=team-a');

  const result = await h.scanner.scan({ bucket: UPLOADS_BUCKET, key: 'versions/a.txt', versionId: infected });

  expect(result).toMatchObject({ status: 'INFECTED', versionId: infected });
  expect(await tagsOfVersion('versions/a.txt', infected)).toMatchObject({ 'av-status': 'INFECTED' });
  expect(await tagsOfVersion('versions/a.txt', clean)).toEqual({ owner: 'team-a' });
});

test('a deleted version is a PROCESSING_ERROR naming ObjectNotFoundError; the other versions keep their tags', async () => {
  const kept = await putVersion('versions/b.txt', 'kept', 'owner=team-b');
  const gone = await putVersion('versions/b.txt', 'gone');
  await h.s3.client.send(
    new DeleteObjectCommand({ Bucket: UPLOADS_BUCKET, Key: 'versions/b.txt', VersionId: gone }),
  );

  const result = await h.scanner.scan({ bucket: UPLOADS_BUCKET, key: 'versions/b.txt', versionId: gone });

  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectNotFoundError' });
  const versions = await h.s3.client.send(
    new ListObjectVersionsCommand({ Bucket: UPLOADS_BUCKET, Prefix: 'versions/b.txt' }),
  );
  expect(versions.Versions?.map((v) => v.VersionId)).toEqual([kept]);
  expect(await tagsOfVersion('versions/b.txt', kept)).toEqual({ owner: 'team-b' });
});

test('tags sent with PutObject are kept beside the verdict', async () => {
  const version = await putVersion('tagged/upload.txt', 'hello', 'owner=team-c&project=x%20y');

  const result = await h.scanner.scan({ bucket: UPLOADS_BUCKET, key: 'tagged/upload.txt' });

  expect(result).toMatchObject({ status: 'CLEAN', versionId: version });
  expect(await tagsOfVersion('tagged/upload.txt', version)).toEqual({
    owner: 'team-c',
    project: 'x y',
    'av-status': 'CLEAN',
    'av-timestamp': expect.any(String),
  });
});

test('S3 allows 10 tags: 8 of the uploader’s leave room for the verdict; 9 give TagLimitExceededError and keep all 9', async () => {
  const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}=v${i}`).join('&');
  const eight = await putVersion('limit/eight.txt', 'hello', tags(8));
  const nine = await putVersion('limit/nine.txt', 'hello', tags(9));

  const roomy = await h.scanner.scan({ bucket: UPLOADS_BUCKET, key: 'limit/eight.txt' });
  const full = await h.scanner.scan({ bucket: UPLOADS_BUCKET, key: 'limit/nine.txt' });

  expect(roomy).toMatchObject({ status: 'CLEAN' });
  expect(Object.keys(await tagsOfVersion('limit/eight.txt', eight))).toHaveLength(10);
  expect(full).toMatchObject({ status: 'PROCESSING_ERROR', error: 'TagLimitExceededError' });
  expect(Object.keys(await tagsOfVersion('limit/nine.txt', nine)).sort()).toEqual([
    't0',
    't1',
    't2',
    't3',
    't4',
    't5',
    't6',
    't7',
    't8',
  ]);
});
