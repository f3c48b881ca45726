import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SCAN_STATE_MACHINE } from '../../src/local/step-functions';
import {
  awsCli,
  type ClientRun,
  curl,
  curlSigned,
  type LocalService,
  statusAndBody,
} from '../support/aws-cli';
import { eventually, type Served, startServe } from '../support/serve';
import { EICAR } from '../support/signatures';

// A client the project did not write: Debian's AWS CLI (package awscli, 2.9), against `lambda-av
// serve` (test/support/aws-cli.ts).

let root: string;
let served: Served;

function aws(service: LocalService, args: readonly string[]): Promise<ClientRun> {
  return awsCli(served.env, root, service, args);
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

describe('the Step Functions endpoint answers bad input as AWS does', () => {
  /** A StartExecution or ListExecutions body sent as is, signed by curl. */
  async function sfnRaw(
    operation: string,
    body: string,
  ): Promise<{ status: number; type: string; message: string }> {
    const run = statusAndBody(
      await curl(
        [
          ...curlSigned(served.env, 'states'),
          '-w',
          '\n%{http_code}',
          '-H',
          `x-amz-target: AWSStepFunctions.${operation}`,
          '-H',
          'content-type: application/x-amz-json-1.0',
          '--data-binary',
          body,
          `${served.env.AWS_ENDPOINT_URL_SFN}/`,
        ],
        root,
      ),
    );
    const answer = JSON.parse(run.body) as { __type: string; message: string };
    return { status: run.status, type: answer.__type, message: answer.message };
  }

  test('an input over 256 KiB is a ValidationException (aws stepfunctions start-execution --input file://)', async () => {
    writeFileSync(path.join(root, 'big.json'), JSON.stringify({ padding: 'x'.repeat(2 ** 20) }));

    const run = await aws('sfn', [
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      served.env.LAMBDA_AV_STATE_MACHINE_ARN as string,
      '--input',
      `file://${path.join(root, 'big.json')}`,
    ]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/ValidationException.*Member must have length less than or equal to 262144/);
  });

  test.each([
    [
      'an input that is a JSON object, not a string',
      'StartExecution',
      () =>
        JSON.stringify({
          stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN,
          input: { bucket: 'uploads' },
        }),
      'SerializationException',
    ],
    ['a null body', 'StartExecution', () => 'null', 'SerializationException'],
    ['a body that is not JSON', 'StartExecution', () => '{"stateMachineArn":', 'SerializationException'],
    ['no state machine', 'StartExecution', () => '{}', 'ValidationException'],
    [
      'a name with a space',
      'StartExecution',
      () => JSON.stringify({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN, name: 'a b' }),
      'InvalidName',
    ],
    [
      'a nextToken that is not one of ours',
      'ListExecutions',
      () => JSON.stringify({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN, nextToken: 'garbage' }),
      'InvalidToken',
    ],
    [
      'maxResults over 1000',
      'ListExecutions',
      () => JSON.stringify({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN, maxResults: 5000 }),
      'ValidationException',
    ],
    [
      'maxResults that is not a number',
      'ListExecutions',
      () => JSON.stringify({ stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN, maxResults: 'ten' }),
      'SerializationException',
    ],
  ])('%s: %s is refused with the error AWS gives', async (_label, operation, body, type) => {
    const answer = await sfnRaw(operation, body());

    expect(answer).toMatchObject({ status: 400, type });
  });

  test('aws stepfunctions list-executions pages with nextToken (page size 2) and lists each execution once', async () => {
    const arn = served.env.LAMBDA_AV_STATE_MACHINE_ARN as string;
    const whole = JSON.parse(
      (await aws('sfn', ['stepfunctions', 'list-executions', '--state-machine-arn', arn])).stdout,
    );
    const paged = await aws('sfn', [
      'stepfunctions',
      'list-executions',
      '--state-machine-arn',
      arn,
      '--page-size',
      '2',
    ]);
    const names = (JSON.parse(paged.stdout).executions as Array<{ name: string }>).map(
      (execution) => execution.name,
    );

    expect(whole.executions.length).toBeGreaterThan(2);
    expect(names).toEqual(whole.executions.map((execution: { name: string }) => execution.name));
  });
});
