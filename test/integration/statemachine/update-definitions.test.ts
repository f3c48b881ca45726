import { readFileSync } from 'node:fs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { placeholdersOf } from '../../../src/asl/placeholders';
import { CloudWatchCanaryMetrics } from '../../../src/canary/canary-metrics';
import { createUpdateDefinitionsHandler } from '../../../src/handlers/update-definitions';
import { type LocalCloudWatchServer, startLocalCloudWatch } from '../../../src/local/cloudwatch-server';
import type { LambdaServiceFault } from '../../../src/local/lambda-server';
import {
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
} from '../../../src/local/step-functions';
import { DEFINITIONS_BUCKET, DEFINITIONS_PREFIX, type Harness, startHarness } from '../../support/harness';
import { mirrorEnv, startTestMirror, type TestMirror } from '../../support/mirror';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  statesEntered,
  UPDATER_FUNCTION,
  type Workflow,
} from '../../support/workflow';

// The scheduled workflow end to end on the real parts: the updater (freshclam against a local
// mirror), then the canary through the real scan state machine (a nested execution) and the
// scanner with clamd, then the canary's metrics to a local CloudWatch endpoint.

const CANARY_BUCKET = 'lambda-av-canary-test';
const SCAN_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-scan';
const FAST = {
  UpdateDefinitions: 5,
  PrepareCanary: 5,
  ReportCanary: 5,
  Scan: 5,
  HeadObject: 5,
  TagSkipped: 5,
  TagProcessingError: 5,
};

let h: Harness;
let mirror: TestMirror;
let cloudwatch: LocalCloudWatchServer;
let cloudwatchClient: CloudWatchClient;
let wf: Workflow;
/** When set, every scanner invocation fails with it: however many retries the scan machine's budget allows. */
let fault: LambdaServiceFault | undefined;
const ages: number[] = [];

beforeEach(async () => {
  mirror = await startTestMirror();
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  cloudwatch = await startLocalCloudWatch();
  cloudwatchClient = new CloudWatchClient({
    endpoint: cloudwatch.endpoint,
    region: 'us-east-1',
    credentials: cloudwatch.credentials,
  });
  h = await startHarness({
    definitions: false,
    env: { ...mirrorEnv(mirror), CANARY_BUCKET_NAME: CANARY_BUCKET, DEFINITIONS_CHECK_INTERVAL: '0' },
  });
  await h.s3.createBucket(CANARY_BUCKET);
  ages.length = 0;
  fault = undefined;
  const updater = createUpdateDefinitionsHandler({
    config: h.config,
    s3: h.s3.client,
    metrics: { definitionsAge: (hours) => ages.push(hours), definitionsMissing: () => undefined },
    canaryMetrics: new CloudWatchCanaryMetrics(cloudwatchClient),
  });
  wf = await startWorkflow(
    { [UPDATER_FUNCTION]: (event) => updater(event), [SCANNER_FUNCTION]: (event) => h.handler(event) },
    {
      s3: h.s3.client,
      substitutions: {
        UpdaterFunctionArn: functionArn(UPDATER_FUNCTION),
        ScanStateMachineArn: SCAN_MACHINE_ARN,
        CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
        BulkScanStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-bulk-scan',
      },
      stateMachines: {
        [SCAN_MACHINE_ARN]: {
          file: SCAN_STATE_MACHINE,
          substitutions: { ScannerFunctionArn: functionArn(SCANNER_FUNCTION), MaxFileSize: '1048576' },
        },
      },
      retryIntervalOverrides: FAST,
    },
    (functionName) => (functionName === SCANNER_FUNCTION ? fault : undefined),
  );
});
afterEach(async () => {
  await wf.stop();
  await h.stop();
  cloudwatchClient.destroy();
  await cloudwatch.stop();
  await mirror.stop();
});

/** What the workflow published with PutMetricData, by metric name. */
function published(): Record<string, Array<{ value: number; unit?: string; dimensions: object }>> {
  const metrics: Record<string, Array<{ value: number; unit?: string; dimensions: object }>> = {};
  for (const point of cloudwatch.datapoints) {
    expect(point.namespace).toBe('LambdaAV');
    metrics[point.metricName] ??= [];
    metrics[point.metricName]?.push({
      value: point.value,
      ...(point.unit ? { unit: point.unit } : {}),
      dimensions: point.dimensions,
    });
  }
  return metrics;
}

const CANARY_STATES = [
  'PrepareCanary',
  'Canary',
  'ScanCanaryObject',
  'CanaryObjectScanned',
  'ReportCanary',
  'CheckResult',
];

test('the placeholders are the updater, the scan state machine, how the canary starts it and the bulk scan machine rescans start', () => {
  expect(placeholdersOf(readFileSync(UPDATE_STATE_MACHINE, 'utf8'))).toEqual([
    'BulkScanStateMachineArn',
    'CanaryScanResource',
    'Partition',
    'ScanStateMachineArn',
    'UpdaterFunctionArn',
  ]);
});

test('an update publishes, then the canary scans EICAR and a clean object through the scan machine: detected', async () => {
  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(
    expect.arrayContaining(['UpdateDefinitions', ...CANARY_STATES, 'Updated']),
  );
  expect(result.output).toMatchObject({
    changed: true,
    files: [{ name: 'test.ndb' }],
    canary: {
      detected: true,
      scans: [
        { expected: 'INFECTED', verdict: 'INFECTED', signature: `${EICAR_SIGNATURE}.UNOFFICIAL` },
        { expected: 'CLEAN', verdict: 'CLEAN' },
      ],
    },
  });
  const metrics = published();
  expect(metrics.CanaryDetected).toEqual([{ value: 1, unit: 'Count', dimensions: { service: 'lambda-av' } }]);
  expect(metrics.CanaryScanLatency).toHaveLength(2);
  for (const latency of metrics.CanaryScanLatency ?? []) {
    expect(latency).toMatchObject({ unit: 'Milliseconds', dimensions: { service: 'lambda-av' } });
    expect(latency.value).toBeGreaterThan(0);
  }
  // The canary's scans went through the whole scan machine and were tagged like uploads...
  expect((await h.tags('lambda-av-canary/eicar.com', CANARY_BUCKET))['av-status']).toBe('INFECTED');
  expect((await h.tags('lambda-av-canary/clean.txt', CANARY_BUCKET))['av-status']).toBe('CLEAN');
  // ...but are not uploads: no ScanLatency, so neither the infected-objects alarm nor upload latency sees them.
  expect(h.metrics.scans).toEqual([]);
  expect(ages).toHaveLength(1);
});

test('a new set that no longer detects EICAR publishes, and the canary reports CanaryDetected 0', async () => {
  await wf.run(UPDATE_STATE_MACHINE, {});
  mirror.set('test.ndb', `${bodySignature('Something-Else', 'lambda-av: not EICAR')}\n`);

  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('SUCCEEDED');
  expect(result.output).toMatchObject({
    changed: true,
    canary: {
      detected: false,
      scans: [
        { expected: 'INFECTED', verdict: 'CLEAN', problem: 'expected INFECTED, got CLEAN' },
        { verdict: 'CLEAN' },
      ],
    },
  });
  expect(published().CanaryDetected?.map((point) => point.value)).toEqual([1, 0]);
});

test('a canary scan that errors gives CanaryDetected 0, and the execution still succeeds with its metrics', async () => {
  await wf.run(UPDATE_STATE_MACHINE, {});
  // Every scanner invocation of the next run fails: the scan executions end FAILED.
  fault = { status: 500, type: 'ServiceException' };

  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(expect.arrayContaining(['CanaryObjectNotScanned', 'Updated']));
  expect(statesEntered(result)).not.toContain('CanaryObjectScanned');
  expect(result.output).toMatchObject({
    changed: false,
    canary: {
      detected: false,
      scans: [
        { expected: 'INFECTED', problem: expect.stringMatching(/^States.TaskFailed: /) },
        { expected: 'CLEAN', problem: expect.stringMatching(/^States.TaskFailed: /) },
      ],
    },
  });
  expect(published().CanaryDetected?.map((point) => point.value)).toEqual([1, 0]);
});

test('a failed update still runs the canary, then fails the execution with the updater named error', async () => {
  await wf.run(UPDATE_STATE_MACHINE, {});
  mirror.set('test.ndb', 'garbage\n');

  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('DefinitionsUpdateError');
  expect(result.cause).toContain('freshclam failed');
  expect(statesEntered(result)).toEqual(expect.arrayContaining([...CANARY_STATES, 'UpdateFailed']));
  expect(result.events.some((e) => e.type === 'StateRetried' && e.state === 'UpdateDefinitions')).toBe(false);
  // The last good set is still published, and still detects.
  expect(published().CanaryDetected?.map((point) => point.value)).toEqual([1, 1]);
});

test('a mirror cool-down runs the canary and ends in CoolingDown, successfully', async () => {
  await wf.run(UPDATE_STATE_MACHINE, {});
  mirror.rateLimit(true);

  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(expect.arrayContaining([...CANARY_STATES, 'CoolingDown']));
  expect(result.output).toMatchObject({
    changed: false,
    coolDown: { until: expect.any(String) },
    canary: { detected: true },
  });
  expect(published().CanaryDetected).toHaveLength(2);
});

test('the published set is the one the update result names', async () => {
  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  const manifest = await h.s3.client.send(
    new GetObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/manifest.json` }),
  );
  expect(JSON.parse((await manifest.Body?.transformToString()) ?? '{}').version).toBe(
    (result.output as { version: string }).version,
  );
});

test('with an Express scan machine the canary starts it with StartSyncExecution: detected', async () => {
  const expressArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-scan-express';

  const result = await wf.run(
    UPDATE_STATE_MACHINE,
    {},
    {
      substitutions: {
        UpdaterFunctionArn: functionArn(UPDATER_FUNCTION),
        ScanStateMachineArn: expressArn,
        CanaryScanResource: 'arn:aws:states:::aws-sdk:sfn:startSyncExecution',
        BulkScanStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-bulk-scan',
      },
      stateMachines: {
        [expressArn]: {
          file: SCAN_EXPRESS_STATE_MACHINE,
          substitutions: {
            ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
            MaxFileSize: '1048576',
            MaxReceiveCount: '3',
          },
        },
      },
    },
  );

  expect(result.status).toBe('SUCCEEDED');
  expect(result.output).toMatchObject({
    canary: { detected: true, scans: [{ verdict: 'INFECTED' }, { verdict: 'CLEAN' }] },
  });
  expect(published().CanaryDetected?.map((point) => point.value)).toEqual([1]);
});
