import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type LocalS3, startLocalS3, uploadDirectory } from '../support/s3';
import { EICAR, writeTestDatabase } from '../support/signatures';

// The Lambda entry point exactly as deployed: configuration from the environment, the SDK's
// endpoint from AWS_ENDPOINT_URL_S3, clamd started on the first invocation.
let s3: LocalS3;
let workDir: string;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await startLocalS3();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'lambda-entry-'));
  await s3.createBucket('defs');
  await s3.createBucket('uploads');
  await writeTestDatabase(path.join(workDir, 'db-source'));
  await uploadDirectory(s3, 'defs', path.join(workDir, 'db-source'), '');
  Object.assign(process.env, {
    CLAMAV_BUCKET_NAME: 'defs',
    AV_WORK_DIR: path.join(workDir, 'av'),
    FILE_STATUS_INFECTED: 'quarantine',
    METADATA_FILE_STATUS: 'scan-result',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
  });
});

afterAll(async () => {
  process.env = saved;
  await s3.stop();
  await rm(workDir, { recursive: true, force: true });
});

test('index.scanFileHandler reads its configuration from the environment and scans', async () => {
  await s3.put('uploads', 'eicar.txt', EICAR);
  await jest.isolateModulesAsync(async () => {
    const index = await import('../../src/index');
    const { Scanner } = await import('../../src/scan/scanner');
    const prepare = jest.spyOn(Scanner.prototype, 'prepare');
    try {
      const result = await index.scanFileHandler({ bucket: 'uploads', key: 'eicar.txt' });

      expect(result).toMatchObject({ status: 'quarantine', signature: 'Eicar-Test-Signature.UNOFFICIAL' });
      expect(await s3.tagsOf('uploads', 'eicar.txt')).toMatchObject({ 'scan-result': 'quarantine' });
    } finally {
      const scanner = prepare.mock.contexts[0] as InstanceType<typeof Scanner> | undefined;
      await scanner?.shutdown();
      prepare.mockRestore();
    }
  });
});
