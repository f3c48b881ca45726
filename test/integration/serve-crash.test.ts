import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { childProcesses, runCli } from '../support/cli';
import { watchExit } from '../support/process-exit';
import { eventually, type Served, startServe } from '../support/serve';
import { EICAR } from '../support/signatures';
import { signedHeaders } from '../support/signed-request';

// `lambda-av serve` killed with SIGKILL in the middle of its work, then started again on the same
// data directory: what was half-written is gone, what was running comes back FAILED and its object
// is scanned, and the previous run's clamd and work directories are gone. Then a second serve
// that cannot have its ports or its data directory: a clear error, nothing left behind.

let root: string;
let scratch: string;
let dataDir: string;
let served: Served | undefined;

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

async function executionsOf(sfn: SFNClient, env: Record<string, string>): Promise<ExecutionListItem[]> {
  const { executions = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: env.LAMBDA_AV_STATE_MACHINE_ARN }),
  );
  return executions;
}

/** Bytes the store is receiving now (its tmp/). */
function receiving(): number {
  const tmp = path.join(dataDir, 's3', 'tmp');
  return readdirSync(tmp).reduce((total, name) => total + statSync(path.join(tmp, name)).size, 0);
}

const workDirs = () =>
  readdirSync(scratch)
    .filter((name) => name.startsWith('lambda-av-'))
    .sort();

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-crash-'));
  scratch = path.join(root, 'tmp');
  dataDir = path.join(root, 'data');
  mkdirSync(scratch);
});
afterAll(async () => {
  await served?.stop();
  await rm(root, { recursive: true, force: true });
});

test('after kill -9: the half-written upload is gone, the running execution is FAILED and its object scanned, the old clamd and work area are gone', async () => {
  served = await startServe(['--test-signatures', '--data-dir', dataDir], { TMPDIR: scratch });
  const first = served;
  const { s3, sfn } = clients(first.env);
  const [clamd] = childProcesses(first.cli.child.pid as number, 'clamd');
  expect(clamd).toBeDefined();
  // clamd stopped: the scan of the next upload waits, its execution RUNNING, until the kill.
  process.kill(clamd as number, 'SIGSTOP');
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'crash/eicar.com', Body: EICAR }));
  const running = await eventually(async () =>
    (await executionsOf(sfn, first.env)).find((execution) => execution.status === 'RUNNING'),
  );
  // A 10 MB upload of which 2 MB arrive.
  const route = '/uploads/crash/partial.bin';
  const headers = await signedHeaders(
    {
      endpoint: first.env.AWS_ENDPOINT_URL_S3 as string,
      credentials: clients(first.env).s3.config.credentials as never,
    },
    's3',
    { method: 'PUT', path: route, headers: { 'content-length': String(10 * 2 ** 20) } },
    { unsignedPayload: true },
  );
  const partial = http.request(`${first.env.AWS_ENDPOINT_URL_S3}${route}`, { method: 'PUT', headers });
  partial.on('error', () => undefined);
  partial.write(Buffer.alloc(2 * 2 ** 20, 0x42));
  await eventually(async () => (receiving() >= 2 * 2 ** 20 ? true : undefined));
  const previousWorkDirs = workDirs();
  const serveExit = await watchExit(first.cli.child.pid as number);
  const clamdExit = await watchExit(clamd as number);

  first.cli.child.kill('SIGKILL');
  await Promise.all([serveExit.exited, clamdExit.exited, first.cli.exited]);
  partial.destroy();
  s3.destroy();
  sfn.destroy();
  served = await startServe(['--data-dir', dataDir], { TMPDIR: scratch });
  const again = clients(served.env);
  const interrupted = await again.sfn.send(
    new DescribeExecutionCommand({ executionArn: running.executionArn }),
  );
  const tags = await eventually(async () => {
    const { TagSet = [] } = await again.s3.send(
      new GetObjectTaggingCommand({ Bucket: 'uploads', Key: 'crash/eicar.com' }),
    );
    return TagSet.find((tag) => tag.Key === 'av-status') ? TagSet : undefined;
  });
  const half = await again.s3
    .send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'crash/partial.bin' }))
    .catch((error: Error) => error);
  const rescans = (await executionsOf(again.sfn, served.env)).filter(
    (execution) => execution.executionArn !== running.executionArn,
  );
  again.s3.destroy();
  again.sfn.destroy();

  expect(previousWorkDirs.length).toBeGreaterThanOrEqual(1);
  expect(workDirs().filter((name) => previousWorkDirs.includes(name))).toEqual([]);
  expect(interrupted).toMatchObject({
    status: 'FAILED',
    error: 'States.Runtime',
    cause: expect.stringMatching(/stopped while this execution ran/),
  });
  expect(tags.find((tag) => tag.Key === 'av-status')?.Value).toBe('INFECTED');
  expect(rescans.length).toBeGreaterThanOrEqual(1);
  expect(half).toMatchObject({ name: 'NotFound' });
  expect(receiving()).toBe(0);
}, 240_000);

test('a second serve on busy ports, or on a data directory in use, fails with a clear error and leaves nothing behind', async () => {
  if (!served) throw new Error('the first test left no serve running');
  const before = workDirs();
  const s3Port = Number(new URL(served.env.AWS_ENDPOINT_URL_S3 as string).port);

  const busy = await runCli(['serve', '--test-signatures', '--port', String(s3Port - 1)], {
    TMPDIR: scratch,
  });
  const inUse = await runCli(['serve', '--test-signatures', '--port', '0', '--data-dir', dataDir], {
    TMPDIR: scratch,
  });

  expect(busy.code).toBe(2);
  expect(busy.stderr).toContain(`lambda-av: PortInUseError: port ${s3Port} on 127.0.0.1 is in use`);
  expect(busy.stderr).not.toMatch(/\n\s+at /);
  expect(inUse.code).toBe(2);
  expect(inUse.stderr).toMatch(/DataDirInUseError: .* is in use by another lambda-av serve \(pid \d+\)/);
  expect(workDirs()).toEqual(before);
  expect(childProcesses(served.cli.child.pid as number, 'clamd')).toHaveLength(1);
}, 180_000);
