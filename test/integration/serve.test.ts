import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { childProcesses, isRunning } from '../support/cli';
import { mirrorEnv, startTestMirror, type TestMirror } from '../support/mirror';
import { eventually, type Served, startServe } from '../support/serve';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../support/signatures';

// `lambda-av serve` as users run it, used by an application through the environment it prints.

let root: string;
let dataDir: string;
let scratch: string;
let mirror: TestMirror;
let served: Served;
let s3: S3Client;
let sfn: SFNClient;
const REPO = path.join(__dirname, '..', '..');
const UPDATED = 'content only the updated definitions detect';

/** Clients of the test itself, pointed at the endpoints serve printed. */
function clients(env: Record<string, string>) {
  const common = {
    region: 'us-east-1',
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  };
  return {
    s3: new S3Client({ ...common, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true }),
    sfn: new SFNClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_SFN }),
  };
}

async function statusTag(key: string): Promise<string | undefined> {
  const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: 'uploads', Key: key }));
  return TagSet.find((tag) => tag.Key === 'av-status')?.Value;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-serve-test-'));
  dataDir = path.join(root, 'data');
  scratch = path.join(root, 'tmp');
  mkdirSync(scratch);
  mirror = await startTestMirror();
  mirror.set('serve.ndb', `${bodySignature('Mirror-Signature', UPDATED)}\n`);
  // EICAR too, for the update workflow's canary.
  mirror.set('eicar.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  served = await startServe(
    ['--test-signatures', '--data-dir', dataDir, '--write-env', path.join(root, 'app.env')],
    { TMPDIR: scratch, ...mirrorEnv(mirror, ['serve.ndb', 'eicar.ndb']) },
  );
  ({ s3, sfn } = clients(served.env));
}, 120_000);
afterAll(async () => {
  s3?.destroy();
  sfn?.destroy();
  await served?.stop();
  await mirror?.stop();
  await rm(root, { recursive: true, force: true });
});

test('prints the environment an application needs, and --write-env holds the same', () => {
  expect(served.env).toEqual({
    AWS_ENDPOINT_URL_S3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    AWS_ENDPOINT_URL_SFN: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    AWS_ENDPOINT_URL_LAMBDA: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    AWS_ENDPOINT_URL_CLOUDWATCH: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    // A key pair of this data directory's own: random, as AWS's are shaped.
    AWS_ACCESS_KEY_ID: expect.stringMatching(/^LAAV[A-Z2-7]{16}$/),
    AWS_SECRET_ACCESS_KEY: expect.stringMatching(/^[A-Za-z0-9+/]{40}$/),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    LAMBDA_AV_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-scan',
    LAMBDA_AV_UPDATE_STATE_MACHINE_ARN:
      'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-update-definitions',
    LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN:
      'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-bulk-scan',
    LAMBDA_AV_FUNCTION_NAME: 'lambda-av-scanner',
    LAMBDA_AV_BUCKET: 'uploads',
  });
  const file = readFileSync(path.join(root, 'app.env'), 'utf8');
  expect(file).toBe(
    Object.entries(served.env)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );
});

test('an application configured by that environment alone uploads, scans through both paths and reads tags', async () => {
  // Only the system's basics and what serve printed: nothing else tells the SDK where to go.
  const env = { PATH: process.env.PATH ?? '', HOME: root, ...served.env };

  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'test', 'support', 'upload-app.ts')],
      { cwd: REPO, env, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
  const seen = JSON.parse(output);

  expect(seen.waited).toMatchObject({
    status: 'INFECTED',
    key: 'app/invoice+eicar.com',
    signature: 'Eicar-Test-Signature.UNOFFICIAL',
  });
  expect(seen.direct).toMatchObject({ status: 'CLEAN', key: 'app/report 1.txt' });
  expect(seen.uploadTags.clean['av-status']).toBe('CLEAN');
  expect(seen.uploadTags.infected['av-status']).toBe('INFECTED');
});

test('an upload starts the scan state machine with the EventBridge event AWS sends', async () => {
  const key = 'events/a b+c.txt';
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: 'harmless' }));

  const execution = await eventually(async () => {
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN }),
    );
    for (const item of executions) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
      if (described.status === 'SUCCEEDED' && described.input?.includes('a+b%2Bc.txt')) return described;
    }
    return undefined;
  });

  expect(JSON.parse(execution.input ?? '')).toMatchObject({
    'detail-type': 'Object Created',
    source: 'aws.s3',
    resources: ['arn:aws:s3:::uploads'],
    detail: {
      bucket: { name: 'uploads' },
      object: { key: 'events/a+b%2Bc.txt', size: 8, etag: expect.stringMatching(/^[0-9a-f]{32}$/) },
      reason: 'PutObject',
    },
  });
  expect(JSON.parse(execution.output ?? '')).toMatchObject({ status: 'CLEAN', key });
  expect(await statusTag(key)).toBe('CLEAN');
});

test('the update workflow (with its canary) runs on demand, and scans use what it published', async () => {
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'before.txt', Body: UPDATED }));
  expect(await eventually(() => statusTag('before.txt'))).toBe('CLEAN');

  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: served.env.LAMBDA_AV_UPDATE_STATE_MACHINE_ARN }),
  );
  const update = await eventually(async () => {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return described.status === 'RUNNING' ? undefined : described;
  }, 60_000);
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'after.txt', Body: UPDATED }));

  expect(update.status).toBe('SUCCEEDED');
  // The update, then its canary: EICAR and a clean object through the scan state machine.
  expect(JSON.parse(update.output ?? '')).toMatchObject({ changed: true, canary: { detected: true } });
  expect(await eventually(() => statusTag('after.txt'))).toBe('INFECTED');
}, 90_000);

test('Ctrl-C stops clamd and leaves no temporary files; the data directory brings everything back', async () => {
  const { executions: before = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN }),
  );
  const clamd = childProcesses(served.cli.child.pid as number, 'clamd');
  expect(clamd).toHaveLength(1);

  const code = await served.stop();
  expect(code).toBe(130);
  expect(served.cli.stderr()).toContain('lambda-av serve: stopping');
  expect(isRunning(clamd[0] as number)).toBe(false);
  expect(readdirSync(scratch)).toEqual([]);

  // No definitions anywhere but in the data directory: the set the update published is used.
  const empty = path.join(root, 'empty');
  mkdirSync(empty);
  served = await startServe(['--data-dir', dataDir], {
    TMPDIR: scratch,
    CLAMAV_SYSTEM_DATABASE_DIR: empty,
    LAMBDA_AV_CACHE_DIR: empty,
  });
  s3.destroy();
  sfn.destroy();
  ({ s3, sfn } = clients(served.env));
  const { executions: after = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN }),
  );
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'after-restart.txt', Body: UPDATED }));

  expect(after.map((e) => e.executionArn).sort()).toEqual(before.map((e) => e.executionArn).sort());
  expect(after.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  expect(await statusTag('app/invoice+eicar.com')).toBe('INFECTED');
  expect(await eventually(() => statusTag('after-restart.txt'))).toBe('INFECTED');
}, 120_000);
