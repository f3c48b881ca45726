import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SCAN_STATE_MACHINE } from '../../src/local/step-functions';
import { eventually, type Served, startServe } from '../support/serve';
import { EICAR } from '../support/signatures';

// A client the project did not write: Debian's AWS CLI (package awscli, 2.9), against `lambda-av
// serve`. It predates the AWS_ENDPOINT_URL_* variables, so every call names its endpoint; a pyenv
// `aws` may come first on PATH, so the Debian one is called by its path.
const AWS = '/usr/bin/aws';

let root: string;
let served: Served;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function aws(service: 's3' | 'sfn' | 'lambda', args: readonly string[]): Promise<CliRun> {
  const endpoint = {
    s3: served.env.AWS_ENDPOINT_URL_S3,
    sfn: served.env.AWS_ENDPOINT_URL_SFN,
    lambda: served.env.AWS_ENDPOINT_URL_LAMBDA,
  }[service] as string;
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: root,
    AWS_ACCESS_KEY_ID: served.env.AWS_ACCESS_KEY_ID as string,
    AWS_SECRET_ACCESS_KEY: served.env.AWS_SECRET_ACCESS_KEY as string,
    AWS_DEFAULT_REGION: 'us-east-1',
    // No configuration files, no pager, and never the instance metadata service.
    AWS_CONFIG_FILE: path.join(root, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'no-credentials'),
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return new Promise((resolve) => {
    execFile(
      AWS,
      ['--endpoint-url', endpoint, '--output', 'json', ...args],
      { env, cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

async function statusTag(key: string): Promise<string | undefined> {
  const run = await aws('s3', ['s3api', 'get-object-tagging', '--bucket', 'uploads', '--key', key]);
  if (run.code !== 0) return undefined;
  const { TagSet } = JSON.parse(run.stdout) as { TagSet: Array<{ Key: string; Value: string }> };
  return TagSet.find((tag) => tag.Key === 'av-status')?.Value;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-aws-cli-'));
  mkdirSync(path.join(root, 'files'));
  writeFileSync(path.join(root, 'files', 'clean report.txt'), 'nothing to see here\n');
  writeFileSync(path.join(root, 'files', 'eicar.com'), EICAR);
  served = await startServe(['--test-signatures']);
}, 120_000);
afterAll(async () => {
  await served?.stop();
  await rm(root, { recursive: true, force: true });
});

test('aws s3 cp of a clean file and EICAR: get-object-tagging shows each verdict', async () => {
  const clean = await aws('s3', [
    's3',
    'cp',
    path.join(root, 'files', 'clean report.txt'),
    's3://uploads/cli/clean report.txt',
  ]);
  const eicar = await aws('s3', [
    's3',
    'cp',
    path.join(root, 'files', 'eicar.com'),
    's3://uploads/cli/eicar.com',
  ]);

  expect([clean.code, eicar.code]).toEqual([0, 0]);
  expect(await eventually(() => statusTag('cli/clean report.txt'))).toBe('CLEAN');
  expect(await eventually(() => statusTag('cli/eicar.com'))).toBe('INFECTED');
});

test('aws stepfunctions start-execution, describe-execution, list-executions and get-execution-history', async () => {
  await aws('s3', ['s3', 'cp', path.join(root, 'files', 'eicar.com'), 's3://uploads/sfn/eicar.com']);
  const arn = served.env.LAMBDA_AV_STATE_MACHINE_ARN as string;

  const started = await aws('sfn', [
    'stepfunctions',
    'start-execution',
    '--state-machine-arn',
    arn,
    '--name',
    'from-the-aws-cli',
    '--input',
    JSON.stringify({ bucket: 'uploads', key: 'sfn/eicar.com' }),
  ]);
  const { executionArn } = JSON.parse(started.stdout) as { executionArn: string };
  const described = await eventually(async () => {
    const run = await aws('sfn', ['stepfunctions', 'describe-execution', '--execution-arn', executionArn]);
    const execution = JSON.parse(run.stdout) as { status: string; output?: string };
    return execution.status === 'RUNNING' ? undefined : execution;
  });
  const listed = await aws('sfn', ['stepfunctions', 'list-executions', '--state-machine-arn', arn]);
  const history = await aws('sfn', [
    'stepfunctions',
    'get-execution-history',
    '--execution-arn',
    executionArn,
  ]);

  expect(started.code).toBe(0);
  expect(executionArn).toBe(`${arn.replace(':stateMachine:', ':execution:')}:from-the-aws-cli`);
  expect(described.status).toBe('SUCCEEDED');
  expect(JSON.parse(described.output ?? '')).toMatchObject({
    status: 'INFECTED',
    key: 'sfn/eicar.com',
    signature: 'Eicar-Test-Signature.UNOFFICIAL',
  });
  expect(JSON.parse(listed.stdout).executions).toEqual(
    expect.arrayContaining([expect.objectContaining({ executionArn, status: 'SUCCEEDED' })]),
  );
  const events = (JSON.parse(history.stdout) as { events: Array<Record<string, unknown>> }).events;
  // The Task states of the scan machine, from its ASL file: the history names the ones it ran.
  const tasks = Object.entries(
    JSON.parse(readFileSync(SCAN_STATE_MACHINE, 'utf8')).States as Record<string, { Type: string }>,
  )
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
  const tasksEntered = events
    .filter((event) => event.type === 'TaskStateEntered')
    .map((event) => (event.stateEnteredEventDetails as { name: string }).name);
  expect(events[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
  expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
  expect(tasksEntered.length).toBeGreaterThan(0);
  expect(tasksEntered.filter((name) => !tasks.includes(name))).toEqual([]);
});

test('aws lambda invoke of the scanner with {bucket, key}', async () => {
  await aws('s3', ['s3', 'cp', path.join(root, 'files', 'eicar.com'), 's3://uploads/lambda/eicar.com']);

  const run = await aws('lambda', [
    'lambda',
    'invoke',
    '--function-name',
    served.env.LAMBDA_AV_FUNCTION_NAME as string,
    '--cli-binary-format',
    'raw-in-base64-out',
    '--payload',
    JSON.stringify({ bucket: 'uploads', key: 'lambda/eicar.com' }),
    path.join(root, 'response.json'),
  ]);

  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ StatusCode: 200 });
  expect(JSON.parse(readFileSync(path.join(root, 'response.json'), 'utf8'))).toMatchObject({
    status: 'INFECTED',
    bucket: 'uploads',
    key: 'lambda/eicar.com',
    signature: 'Eicar-Test-Signature.UNOFFICIAL',
  });
});

test.each([
  ['sfn', ['stepfunctions', 'list-activities'], /does not support ListActivities/],
  [
    'sfn',
    [
      'stepfunctions',
      'create-state-machine',
      '--name',
      'x',
      '--definition',
      '{}',
      '--role-arn',
      'arn:aws:iam::1:role/x',
    ],
    /does not support CreateStateMachine/,
  ],
  [
    'lambda',
    ['lambda', 'list-aliases', '--function-name', 'lambda-av-scanner'],
    /does not support ListAliases/,
  ],
  [
    'lambda',
    ['lambda', 'invoke', '--function-name', 'no-such-function', path.join(os.tmpdir(), 'unused.json')],
    /Function not found: no-such-function/,
  ],
  ['s3', ['s3api', 'get-bucket-encryption', '--bucket', 'uploads'], /does not implement GetBucketEncryption/],
  [
    's3',
    ['s3api', 'put-object-legal-hold', '--bucket', 'uploads', '--key', 'k', '--legal-hold', 'Status=ON'],
    /does not implement PutObjectLegal/,
  ],
] as const)(
  'what the local endpoints do not support is refused by name, never left hanging: %s %j',
  async (service, args, message) => {
    const run = await aws(service, args);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
  },
);
