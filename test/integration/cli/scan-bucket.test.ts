import { execFile } from 'node:child_process';
import path from 'node:path';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import {
  type LocalStepFunctionsServer,
  localSfnClient,
  startLocalStepFunctions,
} from '../../../src/local/sfn-server';
import { BULK_SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import { functionArn, SCANNER_FUNCTION, startWorkflow, type Workflow } from '../../support/workflow';

// `lambda-av scan-bucket` as a user runs it (the real command in a child process) against the
// embedded stack: the scanner behind the local Lambda endpoint, the bulk scan machine behind the
// local Step Functions endpoint (StartExecution, ListMapRuns, DescribeMapRun, DescribeExecution).

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'lambda-av.js');
const REPORTS = 'bulk-reports';

let h: Harness;
let wf: Workflow;
let sfnServer: LocalStepFunctionsServer;
let env: Record<string, string>;

function lambdaAv(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: '1024' } });
  await h.s3.createBucket(REPORTS);
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => h.handler(event) },
    { s3: h.s3.client, substitutions: {} },
  );
  sfnServer = await startLocalStepFunctions(
    { 'lambda-av-bulk-scan': BULK_SCAN_STATE_MACHINE },
    {
      lambda: wf.lambda,
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        BulkMaxConcurrency: '2',
        BulkBatchSize: '2',
        ReportBucket: REPORTS,
      },
    },
  );
  env = {
    AWS_ENDPOINT_URL_SFN: sfnServer.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: sfnServer.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sfnServer.credentials.secretAccessKey,
    LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN: sfnServer.stateMachineArns['lambda-av-bulk-scan'] as string,
    LAMBDA_AV_POLL_INTERVAL_MS: '20',
  };
  await h.s3.put(UPLOADS_BUCKET, 'in/eicar.com', EICAR);
  for (let i = 0; i < 5; i++) await h.s3.put(UPLOADS_BUCKET, `in/clean-${i}.txt`, `clean ${i}`);
  await h.s3.put(UPLOADS_BUCKET, 'out/elsewhere.txt', 'x');
});
afterAll(async () => {
  await sfnServer.stop();
  await wf.stop();
  await h.stop();
});

test('scan-bucket --wait follows the Map Run and prints the verdicts counted; exit 1 when something is infected', async () => {
  const run = await lambdaAv(['scan-bucket', `s3://${UPLOADS_BUCKET}/in/`, '--wait']);

  expect(run.stderr).toBe('');
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(
    /^Started bulk scan of s3:\/\/uploads\/in\/: arn:aws:states:us-east-1:123456789012:execution:lambda-av-bulk-scan:/,
  );
  expect(run.stdout).toContain('Map Run SUCCEEDED: 6 of 6 objects done, 0 failed, 0 running, 0 pending');
  expect(run.stdout).toContain('Bulk scan of s3://uploads/in/ (unscanned): 6 objects');
  expect(run.stdout).toContain('  CLEAN 5, INFECTED 1, UNSCANNABLE 0, SKIPPED 0, PROCESSING_ERROR 0');
  expect(run.stdout).toContain('  INFECTED s3://uploads/in/eicar.com Eicar-Test-Signature.UNOFFICIAL');
  expect(run.stdout).toMatch(/Report: s3:\/\/bulk-reports\/bulk-scan\/.+\/manifest\.json/);
  expect(await h.tags('out/elsewhere.txt')).toEqual({});
});

test('a second unscanned run leaves every object as it is (--json); exit 0', async () => {
  const run = await lambdaAv(['scan-bucket', `s3://${UPLOADS_BUCKET}/in/`, '--wait', '--json']);

  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({
    status: 'SUCCEEDED',
    summary: { objects: 6, counts: { UNCHANGED: 6, CLEAN: 0 }, unchanged: { 'already-scanned': 6 } },
  });
});

test('usage errors name what is wrong: a bad mode, no state machine', async () => {
  const bad = await lambdaAv(['scan-bucket', `s3://${UPLOADS_BUCKET}`, '--mode', 'fresh']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--mode must be one of unscanned, stale, all');

  const saved = env.LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN;
  env.LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN = '';
  const none = await lambdaAv(['scan-bucket', `s3://${UPLOADS_BUCKET}`]);
  env.LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN = saved as string;
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('scan-bucket needs the bulk scan state machine');
});

test.each([
  [['--batch-size', '0'], '--batch-size must be a whole number from 1 to 500, got 0'],
  [['--batch-size', '501'], '--batch-size must be a whole number from 1 to 500, got 501'],
  [['--modified-after', 'garbage'], '--modified-after must be an ISO 8601 time'],
  [['--modified-after', 'PT1H', '--modified-before', 'PT2H'], 'must be earlier than --modified-before'],
  [
    ['--manifest', 's3://nope/x.json'],
    "--manifest must name an S3 Inventory's manifest.json ({bucket, key}: a bucket name and a key ending in manifest.json), got s3://nope/x.json",
  ],
])(
  'a request the workflow would refuse (%j) is refused before anything starts: exit 2',
  async (options, message) => {
    const sfn = localSfnClient(sfnServer);
    const stateMachineArn = env.LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN;
    const before = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.length;

    const run = await lambdaAv(['scan-bucket', `s3://${UPLOADS_BUCKET}`, ...options]);
    const after = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.length;
    sfn.destroy();

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).not.toContain('Started');
    expect(after).toBe(before);
  },
);
