import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CloudWatchCanaryMetrics } from '../../../src/canary/canary-metrics';
import { createUpdateDefinitionsHandler } from '../../../src/handlers/update-definitions';
import { type LocalCloudWatchServer, startLocalCloudWatch } from '../../../src/local/cloudwatch-server';
import {
  type LocalStepFunctionsServer,
  localSfnClient,
  startLocalStepFunctions,
} from '../../../src/local/sfn-server';
import {
  BULK_SCAN_STATE_MACHINE,
  SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
} from '../../../src/local/step-functions';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { mirrorEnv, startTestMirror, type TestMirror } from '../../support/mirror';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  UPDATER_FUNCTION,
  type Workflow,
} from '../../support/workflow';

// Rescan after new definitions, end to end on the real parts: the update workflow publishes a set
// (freshclam against a local mirror), its canary detects, and it starts a "stale" bulk scan of
// each configured target through the local Step Functions endpoint; the rescan finds what the old
// set missed and reports it like any detection (tag, the INFECTED metric the alarm counts).

const CANARY_BUCKET = 'lambda-av-canary-test';
const REPORTS = 'bulk-reports';
const ARN = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;

let h: Harness;
let mirror: TestMirror;
let cloudwatch: LocalCloudWatchServer;
let cloudwatchClient: CloudWatchClient;
let wf: Workflow;
let sfnServer: LocalStepFunctionsServer;
let sfn: SFNClient;

beforeEach(async () => {
  mirror = await startTestMirror();
  cloudwatch = await startLocalCloudWatch();
  cloudwatchClient = new CloudWatchClient({
    endpoint: cloudwatch.endpoint,
    region: 'us-east-1',
    credentials: cloudwatch.credentials,
  });
  h = await startHarness({
    definitions: false,
    env: {
      ...mirrorEnv(mirror),
      CANARY_BUCKET_NAME: CANARY_BUCKET,
      DEFINITIONS_CHECK_INTERVAL: '0',
      BULK_RESCAN_TARGETS: JSON.stringify([{ bucket: UPLOADS_BUCKET, prefix: 'recent/', window: 'P30D' }]),
    },
  });
  await h.s3.createBucket(CANARY_BUCKET);
  await h.s3.createBucket(REPORTS);
  const updater = createUpdateDefinitionsHandler({
    config: h.config,
    s3: h.s3.client,
    metrics: { definitionsAge: () => undefined, definitionsMissing: () => undefined },
    canaryMetrics: new CloudWatchCanaryMetrics(cloudwatchClient),
  });
  wf = await startWorkflow(
    { [UPDATER_FUNCTION]: (event) => updater(event), [SCANNER_FUNCTION]: (event) => h.handler(event) },
    { s3: h.s3.client, substitutions: {} },
  );
  const substitutions = {
    UpdaterFunctionArn: functionArn(UPDATER_FUNCTION),
    ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
    ScanStateMachineArn: ARN('lambda-av-scan'),
    BulkScanStateMachineArn: ARN('lambda-av-bulk-scan'),
    CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
    MaxFileSize: '1048576',
    BulkMaxConcurrency: '2',
    BulkBatchSize: '10',
    ReportBucket: REPORTS,
  };
  sfnServer = await startLocalStepFunctions(
    {
      'lambda-av-update': UPDATE_STATE_MACHINE,
      'lambda-av-scan': SCAN_STATE_MACHINE,
      'lambda-av-bulk-scan': BULK_SCAN_STATE_MACHINE,
    },
    {
      lambda: wf.lambda,
      s3: h.s3.client,
      substitutions,
      stateMachines: { [ARN('lambda-av-scan')]: { file: SCAN_STATE_MACHINE, substitutions } },
      retryIntervalOverrides: { UpdateDefinitions: 5, PrepareCanary: 5, ReportCanary: 5, PlanRescans: 5 },
    },
  );
  sfn = localSfnClient(sfnServer);
});
afterEach(async () => {
  sfn.destroy();
  await sfnServer.stop();
  await wf.stop();
  await h.stop();
  cloudwatchClient.destroy();
  await cloudwatch.stop();
  await mirror.stop();
});

async function runUpdate(): Promise<Record<string, unknown>> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: ARN('lambda-av-update'), input: '{}' }),
  );
  await sfnServer.settled();
  await sfnServer.settled(); // the rescans it started
  const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  expect({ status: done.status, error: done.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
  return JSON.parse(done.output ?? '{}') as Record<string, unknown>;
}

async function bulkExecutions() {
  const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN('lambda-av-bulk-scan') }));
  return Promise.all(
    (listed.executions ?? []).map(async (e) => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      return { status: d.status, input: JSON.parse(d.input ?? '{}'), output: JSON.parse(d.output ?? 'null') };
    }),
  );
}

test('a new set the canary proved starts a stale bulk scan of each target: what the old set missed is found and reported like any detection', async () => {
  // Scanned earlier by a set that did not know EICAR: tagged CLEAN with an old timestamp.
  const old = { 'av-status': 'CLEAN', 'av-timestamp': '1000' };
  await h.s3.put(UPLOADS_BUCKET, 'recent/eicar.com', EICAR, { ...old, owner: 'team-a' });
  await h.s3.put(UPLOADS_BUCKET, 'recent/clean.txt', 'hello', old);
  await h.s3.put(UPLOADS_BUCKET, 'archive/eicar.com', EICAR, old);
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);

  const output = await runUpdate();

  expect(output).toMatchObject({ changed: true, canary: { detected: true } });
  expect(output.rescans).toEqual([
    { executionArn: expect.stringContaining(':execution:lambda-av-bulk-scan:') },
  ]);
  const [rescan] = await bulkExecutions();
  expect(rescan).toMatchObject({
    status: 'SUCCEEDED',
    input: { bucket: UPLOADS_BUCKET, prefix: 'recent/', mode: 'stale', modifiedAfter: 'P30D' },
    output: {
      mode: 'stale',
      counts: { INFECTED: 1, CLEAN: 1, UNCHANGED: 0 },
      infected: [{ key: 'recent/eicar.com' }],
    },
  });
  expect(rescan?.output.trigger).toMatch(/^definitions-update /);
  expect(await h.tags('recent/eicar.com')).toMatchObject({ owner: 'team-a', 'av-status': 'INFECTED' });
  expect(h.metrics.scans.filter((s) => s.verdict === 'INFECTED')).toHaveLength(1);
  // Outside the targets nothing is touched.
  expect(await h.tags('archive/eicar.com')).toEqual(old);
});

test('an update that publishes nothing new starts no rescan', async () => {
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  await runUpdate();
  const first = (await bulkExecutions()).length;

  const output = await runUpdate();

  expect(output).toMatchObject({ changed: false });
  expect(output.rescans).toBeUndefined();
  expect((await bulkExecutions()).length).toBe(first);
});
