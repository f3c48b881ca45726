import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Duration } from 'aws-cdk-lib';
import { resolveSweep } from '../../../infra/sweep-settings';
import type { BulkScanSummary } from '../../../src/bulk/report';
import { sweepRequest } from '../../../src/bulk/sweep';
import { CloudWatchSweepMetrics } from '../../../src/bulk/sweep-metrics';
import { createScanFileHandler } from '../../../src/handlers/scan-file';
import { type LocalCloudWatchServer, startLocalCloudWatch } from '../../../src/local/cloudwatch-server';
import { BULK_SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  statesEntered,
  type Workflow,
} from '../../support/workflow';

// The scheduled sweep on the real parts: the request the schedule rule sends (its settle window
// derived as the construct derives it), statemachine/bulk-scan.asl.json run by the local runner,
// the scanner's handler with clamd, lambda-av's S3 endpoint, and the sweep's count sent with
// PutMetricData to the local CloudWatch endpoint. Old uploads are made by moving their
// LastModified back in the endpoint's store.

const REPORTS = 'bulk-reports';
const FAST = { ScanBatch: 5, InventoryScanBatch: 5, Plan: 5, Summarise: 5 };
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** What the construct puts in each sweep rule's input with the default retry budget and timeouts. */
const SWEEP = resolveSweep(undefined, {
  retryBudget: Duration.minutes(30),
  scannerTimeout: Duration.minutes(8),
}) as NonNullable<ReturnType<typeof resolveSweep>>;

let h: Harness;
let wf: Workflow;
let cloudwatch: LocalCloudWatchServer;
let clients: Array<{ destroy(): void }>;

async function startSweepStack(cloudwatchServer: LocalCloudWatchServer): Promise<void> {
  const cw = new CloudWatchClient({
    endpoint: cloudwatchServer.endpoint,
    region: 'us-east-1',
    credentials: cloudwatchServer.credentials,
    maxAttempts: 1,
  });
  const lambda = new LambdaClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
  clients = [cw, lambda];
  const handler = createScanFileHandler({
    config: h.config,
    scanner: h.scanner,
    lambda,
    sweepMetrics: new CloudWatchSweepMetrics(cw),
  });
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: handler },
    {
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        BulkMaxConcurrency: '4',
        BulkBatchSize: '2',
        ReportBucket: REPORTS,
      },
      retryIntervalOverrides: FAST,
    },
  );
}

beforeEach(async () => {
  h = await startHarness();
  await h.s3.createBucket(REPORTS);
  cloudwatch = await startLocalCloudWatch();
});
afterEach(async () => {
  await wf?.stop();
  for (const client of clients ?? []) client.destroy();
  await cloudwatch.stop();
  await h.stop();
});

/** An upload `ageMs` old, with tags if given. */
async function upload(key: string, body: string, ageMs: number, tags?: Record<string, string>) {
  await h.s3.put(UPLOADS_BUCKET, key, body, tags);
  if (ageMs > 0) await h.s3.backdate(UPLOADS_BUCKET, key, ageMs);
}

const sweepCounts = () =>
  cloudwatch.datapoints
    .filter((d) => d.metricName === 'SweepUnscannedObjects')
    .map((d) => ({ namespace: d.namespace, dimensions: d.dimensions, value: d.value, unit: d.unit }));

test('the default settle window is twice the retry budget, the scanner timeout and a margin: PT78M', () => {
  expect(SWEEP.modifiedBefore).toBe('PT78M');
});

test('the sweep scans only old objects without a verdict, tags them, publishes their count, and leaves tagged and recent uploads alone', async () => {
  await startSweepStack(cloudwatch);
  const settle = SWEEP.settleWindow.toMilliseconds();
  await upload('old/scanned.txt', 'done', 3 * HOUR, {
    'av-status': 'CLEAN',
    'av-timestamp': '1',
    owner: 'a',
  });
  await upload('old/lost.txt', 'hello', 3 * HOUR, { owner: 'b' });
  await upload('old/lost-eicar.com', EICAR, 2 * HOUR);
  await upload('old/just-settled.txt', 'settled', settle + 5 * MINUTE);
  await upload('recent/settling.txt', 'in flight', settle - 5 * MINUTE);
  await upload('recent/new.txt', 'just uploaded', 0);

  const startedBefore = Date.now();
  const result = await wf.run(BULK_SCAN_STATE_MACHINE, sweepRequest(UPLOADS_BUCKET, SWEEP.modifiedBefore));
  const endedAfter = Date.now();

  expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
  expect(statesEntered(result)).toEqual(['Plan', 'Source', 'ScanListing', 'Summarise', 'Outcome', 'Scanned']);
  const summary = result.output as BulkScanSummary;
  expect(summary).toMatchObject({
    mode: 'unscanned',
    trigger: 'sweep',
    objects: 6,
    counts: { CLEAN: 2, INFECTED: 1, UNSCANNABLE: 0, SKIPPED: 0, PROCESSING_ERROR: 0, UNCHANGED: 3 },
    unchanged: { 'already-scanned': 1, 'too-recent': 2 },
    sweep: { unscanned: 3, published: true },
  });
  // The window is counted back from the execution's start ($$.Execution.StartTime).
  const cutoff = Date.parse(summary.modifiedBefore as string);
  expect(cutoff).toBeGreaterThanOrEqual(startedBefore - settle - 1000);
  expect(cutoff).toBeLessThanOrEqual(endedAfter - settle);

  expect(await h.tags('old/lost.txt')).toMatchObject({ owner: 'b', 'av-status': 'CLEAN' });
  expect(await h.tags('old/lost-eicar.com')).toMatchObject({ 'av-status': 'INFECTED' });
  expect(await h.tags('old/just-settled.txt')).toMatchObject({ 'av-status': 'CLEAN' });
  expect(await h.tags('old/scanned.txt')).toEqual({ 'av-status': 'CLEAN', 'av-timestamp': '1', owner: 'a' });
  expect(await h.tags('recent/settling.txt')).toEqual({});
  expect(await h.tags('recent/new.txt')).toEqual({});
  expect(sweepCounts()).toEqual([
    {
      namespace: 'LambdaAV',
      dimensions: { service: 'lambda-av', Bucket: UPLOADS_BUCKET },
      value: 3,
      unit: 'Count',
    },
  ]);
});

test('the sweep repairs what it finds: the next sweep finds nothing and publishes 0, so the metric shows it ran', async () => {
  await startSweepStack(cloudwatch);
  await upload('old/lost.txt', 'hello', 3 * HOUR);
  await upload('recent/new.txt', 'just uploaded', 0);

  const first = await wf.run(BULK_SCAN_STATE_MACHINE, sweepRequest(UPLOADS_BUCKET, SWEEP.modifiedBefore));
  const second = await wf.run(BULK_SCAN_STATE_MACHINE, sweepRequest(UPLOADS_BUCKET, SWEEP.modifiedBefore));

  expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expect((second.output as BulkScanSummary).sweep).toEqual({ unscanned: 0, published: true });
  expect(sweepCounts().map((d) => d.value)).toEqual([1, 0]);
  expect(await h.tags('recent/new.txt')).toEqual({});
});

test("a filtered bucket's sweep leaves what its upload rule skips on purpose: not scanned, not counted", async () => {
  await startSweepStack(cloudwatch);
  await upload('incoming/lost.pdf', 'hello', 3 * HOUR);
  await upload('incoming/notes.txt', 'not a pdf', 3 * HOUR);
  await upload('elsewhere/other.pdf', 'other prefix', 3 * HOUR);

  const result = await wf.run(
    BULK_SCAN_STATE_MACHINE,
    sweepRequest(UPLOADS_BUCKET, SWEEP.modifiedBefore, { prefixes: ['incoming/'], suffixes: ['.pdf'] }),
  );

  expect(result.status).toBe('SUCCEEDED');
  expect(result.output).toMatchObject({
    objects: 3,
    unchanged: { 'filtered-out': 2 },
    sweep: { unscanned: 1, published: true },
  });
  expect(await h.tags('incoming/lost.pdf')).toMatchObject({ 'av-status': 'CLEAN' });
  expect(await h.tags('incoming/notes.txt')).toEqual({});
  expect(await h.tags('elsewhere/other.pdf')).toEqual({});
  expect(sweepCounts().map((d) => d.value)).toEqual([1]);
});

test('a bulk scan that is not a sweep publishes no sweep count', async () => {
  await startSweepStack(cloudwatch);
  await upload('old/lost.txt', 'hello', 3 * HOUR);

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET });

  expect(result.status).toBe('SUCCEEDED');
  expect(result.output).not.toHaveProperty('sweep');
  expect(sweepCounts()).toEqual([]);
});

test('a sweep whose count cannot be published fails its execution (an alarm sees it), with the objects already tagged', async () => {
  await startSweepStack({ ...cloudwatch, endpoint: 'http://127.0.0.1:9' });
  await upload('old/lost.txt', 'hello', 3 * HOUR);

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, sweepRequest(UPLOADS_BUCKET, SWEEP.modifiedBefore));

  expect(result.status).toBe('FAILED');
  expect(statesEntered(result).at(-1)).toBe('Summarise');
  expect(await h.tags('old/lost.txt')).toMatchObject({ 'av-status': 'CLEAN' });
  expect(sweepCounts()).toEqual([]);
});

test('a malformed modifiedBefore is refused by the Plan task with InvalidEventError, before anything is listed', async () => {
  await startSweepStack(cloudwatch);

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, {
    ...sweepRequest(UPLOADS_BUCKET, SWEEP.modifiedBefore),
    modifiedBefore: 'an hour ago',
  });

  expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidEventError' });
  expect(result.cause).toContain('modifiedBefore must be an ISO 8601 time');
  expect(statesEntered(result)).toEqual(['Plan', 'RequestRefused']);
});
