import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SCAN_EXPRESS_STATE_MACHINE, SCAN_STATE_MACHINE } from '../../src/local/step-functions';
import {
  type DeliveredEvent,
  type LocalEventBridgeServer,
  type PutEventsFault,
  startLocalEventBridge,
} from '../support/eventbridge-server';
import { objectCreatedEvent } from '../support/events';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { encryptPdf, minimalPdf } from '../support/pdf';
import { EICAR } from '../support/signatures';
import { functionArn, SCANNER_FUNCTION, startWorkflow, type Workflow } from '../support/workflow';

const MAX = 64 * 1024;
const BUS = 'lambda-av-results';
const EXECUTION = /^arn:aws:states:us-east-1:123456789012:execution:scan(-express)?:/;

let bus: LocalEventBridgeServer;
let faults: Array<PutEventsFault | undefined>;
let h: Harness;
let eventBridge: EventBridgeClient;
let wf: Workflow;

beforeEach(async () => {
  faults = [];
  bus = await startLocalEventBridge({ fault: () => faults.shift() });
  eventBridge = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'us-east-1',
    credentials: bus.credentials,
  });
  h = await startHarness({
    env: { MAX_FILE_SIZE: String(MAX), RESULT_EVENT_BUS: BUS, INFECTED_ACTIONS: '{"uploads": "quarantine"}' },
    eventBridge,
  });
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: h.handler },
    {
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        MaxFileSize: String(MAX),
        MaxReceiveCount: '3',
      },
      retryIntervalOverrides: { Scan: 5, TagSkipped: 5, TagProcessingError: 5, HeadObject: 5 },
    },
  );
});
afterEach(async () => {
  await wf.stop();
  await h.stop();
  eventBridge.destroy();
  await bus.stop();
});

const only = (): DeliveredEvent => {
  expect(bus.events).toHaveLength(1);
  return bus.events[0] as DeliveredEvent;
};

test('CLEAN: the scan machine publishes one "Scan Result" with the object, verdict, definitions, time and execution', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'docs/report.txt', 'quarterly figures');

  const run = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'docs/report.txt' });

  const event = only();
  expect(event).toMatchObject({
    source: 'lambda-av',
    'detail-type': 'Scan Result',
    bus: BUS,
    resources: ['arn:aws:s3:::uploads'],
  });
  expect(event.detail).toEqual({
    schemaVersion: 1,
    bucket: UPLOADS_BUCKET,
    key: 'docs/report.txt',
    verdict: 'CLEAN',
    status: 'CLEAN',
    definitions: expect.stringMatching(/ClamAV/),
    scannedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    durationMs: expect.any(Number),
    size: 17,
    executionArn: expect.stringMatching(EXECUTION),
  });
  expect(run.output).toMatchObject({ status: 'CLEAN' });
  // No action is named for a clean object, even in a bucket that quarantines.
  expect(event.detail).not.toHaveProperty('action');
});

test('INFECTED from an upload event: the signature, and the bucket’s action on infected objects', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'in/eicar.com', EICAR);
  const upload = await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'in/eicar.com');

  await wf.run(SCAN_STATE_MACHINE, upload);

  expect(only().detail).toMatchObject({
    verdict: 'INFECTED',
    status: 'INFECTED',
    signature: expect.stringMatching(/Eicar/),
    action: 'quarantine',
    executionArn: expect.stringMatching(EXECUTION),
  });
  expect(await h.tags('in/eicar.com')).toMatchObject({ 'av-status': 'INFECTED' });
});

test('UNSCANNABLE: the reason travels with the event, and no action is named', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'payslip.pdf', encryptPdf(minimalPdf(), { user: 'u', owner: 'o' }));

  await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'payslip.pdf' });

  const { detail } = only();
  expect(detail).toMatchObject({
    verdict: 'UNSCANNABLE',
    status: 'UNSCANNABLE',
    unscannable: true,
    reason: 'encrypted',
    signature: expect.stringMatching(/Heuristics\.Encrypted/),
  });
  expect(detail).not.toHaveProperty('action');
});

test('SKIPPED over the size limit: published by the tagging state, never acted on', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'big.bin', Buffer.concat([Buffer.from(EICAR), Buffer.alloc(MAX)]));

  await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'big.bin' });

  const { detail } = only();
  expect(detail).toMatchObject({
    verdict: 'SKIPPED',
    status: 'SKIPPED',
    size: MAX + EICAR.length,
    executionArn: expect.stringMatching(EXECUTION),
  });
  expect(detail).not.toHaveProperty('action');
});

test('PROCESSING_ERROR for a missing object: the error is named in the event', async () => {
  await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'gone.txt' });

  expect(only().detail).toMatchObject({
    verdict: 'PROCESSING_ERROR',
    status: 'PROCESSING_ERROR',
    key: 'gone.txt',
    error: 'ObjectNotFoundError',
    executionArn: expect.stringMatching(EXECUTION),
  });
});

test('the direct fast path publishes the same event, without an execution', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'direct.com', EICAR);

  const result = await h.handler({ bucket: UPLOADS_BUCKET, key: 'direct.com' });

  const { detail } = only();
  expect(detail).toMatchObject({ verdict: 'INFECTED', key: 'direct.com', action: 'quarantine' });
  expect(detail).not.toHaveProperty('executionArn');
  expect(result).toMatchObject({ status: 'INFECTED' });
});

test('an Express execution publishes with its own execution ARN', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'x.txt', 'fine');

  await wf.run(SCAN_EXPRESS_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'x.txt' });

  expect(only().detail).toMatchObject({
    verdict: 'CLEAN',
    executionArn: expect.stringMatching(/:execution:scan-express:/),
  });
});

test('an entry EventBridge refuses once is published on the next attempt, and nothing is counted', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'once.txt', 'fine');
  faults = [{ kind: 'entry', errorCode: 'ThrottlingException' }];

  await h.handler({ bucket: UPLOADS_BUCKET, key: 'once.txt' });

  expect(only().detail).toMatchObject({ verdict: 'CLEAN', key: 'once.txt' });
  expect(h.metrics.resultEventsFailed).toBe(0);
});

test('a result that cannot be published keeps its tag, is counted, and fails with ResultPublishError', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'lost.com', EICAR, { owner: 'team-a' });
  faults = Array.from({ length: 3 }, () => ({ kind: 'entry', errorCode: 'InternalFailure' }) as const);

  const direct = h.handler({ bucket: UPLOADS_BUCKET, key: 'lost.com' });

  await expect(direct).rejects.toMatchObject({
    name: 'ResultPublishError',
    message: expect.stringMatching(/after 3 attempts: EventBridge refused the event: InternalFailure/),
  });
  expect(bus.events).toHaveLength(0);
  expect(h.metrics.resultEventsFailed).toBe(1);
  expect(await h.tags('lost.com')).toMatchObject({ owner: 'team-a', 'av-status': 'INFECTED' });
});

test('in the scan machine, a result never published is retried, then fails the execution without tagging PROCESSING_ERROR over the verdict', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'stuck.com', EICAR);
  // Every attempt of every scan: the request itself fails (the SDK retries those too).
  faults = Array.from(
    { length: 100 },
    () => ({ kind: 'request', status: 500, type: 'InternalException' }) as const,
  );

  const run = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'stuck.com' });

  expect(run).toMatchObject({ status: 'FAILED', error: 'ResultPublishError' });
  expect(run.events.filter((e) => e.type === 'StateRetried' && e.state === 'Scan')).toHaveLength(3);
  expect(run.events.some((e) => e.type === 'StateEntered' && e.state === 'TagProcessingError')).toBe(false);
  expect(await h.tags('stuck.com')).toMatchObject({ 'av-status': 'INFECTED' });
  expect(h.metrics.resultEventsFailed).toBe(4);
}, 60_000);

test('without RESULT_EVENT_BUS nothing is published (local scans)', async () => {
  const quiet = await startHarness({ eventBridge });
  try {
    await quiet.s3.put(UPLOADS_BUCKET, 'a.txt', 'fine');
    await quiet.handler({ bucket: UPLOADS_BUCKET, key: 'a.txt' });
    expect(bus.requests).toBe(0);
  } finally {
    await quiet.stop();
  }
});
