import { readFileSync } from 'node:fs';
import { placeholdersOf } from '../../../src/asl/placeholders';
import type { LambdaServiceFault } from '../../../src/local/lambda-server';
import { SCAN_EXPRESS_STATE_MACHINE } from '../../../src/local/step-functions';
import { objectCreatedEvent } from '../../support/events';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  statesEntered,
  type Workflow,
} from '../../support/workflow';

// The Express scan machine as EventBridge Pipes starts it: a batch of one SQS message whose body
// is the upload's EventBridge event, and the queue's delivery count. A failure fails the
// execution (the queue delivers the message again) until the last delivery, which tags it.

const MAX = 64 * 1024;
const DELIVERIES = 3;

let h: Harness;
let wf: Workflow;
let faults: LambdaServiceFault[] = [];

beforeEach(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
  faults = [];
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => h.handler(event) },
    {
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        MaxFileSize: String(MAX),
        MaxReceiveCount: String(DELIVERIES),
      },
      retryIntervalOverrides: { HeadObject: 5, HeadObjectVersion: 5, TagSkipped: 5, TagProcessingError: 5 },
    },
    () => faults.shift(),
  );
});
afterEach(async () => {
  await wf.stop();
  await h.stop();
});

/** What EventBridge Pipes sends for one SQS message (a batch, even of one). */
function pipesBatch(body: unknown, delivery: number) {
  return [
    {
      messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
      receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
      body: JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: String(delivery),
        SentTimestamp: '1545082649183',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1545082649185',
      },
      messageAttributes: {},
      md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:lambda-av-scan-queue',
      awsRegion: 'us-east-1',
    },
  ];
}

test('the placeholders are the scanner, the size limit and the queue deliveries', () => {
  expect(placeholdersOf(readFileSync(SCAN_EXPRESS_STATE_MACHINE, 'utf8'))).toEqual([
    'MaxFileSize',
    'MaxReceiveCount',
    'Partition',
    'ScannerFunctionArn',
  ]);
});

test('an upload event from the queue is scanned and tagged', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'in/a+b.pdf', EICAR);
  const event = await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'in/a+b.pdf');

  const result = await wf.run(SCAN_EXPRESS_STATE_MACHINE, pipesBatch(event, 1));

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['FromQueue', 'Unpack', 'ReadInput', 'Scan']);
  expect(result.output).toMatchObject({ status: 'INFECTED', key: 'in/a+b.pdf' });
  expect((await h.tags('in/a+b.pdf'))['av-status']).toBe('INFECTED');
});

test('a request started directly (StartSyncExecution) is scanned the same way', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'clean.txt', 'hello');

  const result = await wf.run(SCAN_EXPRESS_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'clean.txt' });

  expect(statesEntered(result)).toEqual([
    'FromQueue',
    'Direct',
    'ReadInput',
    'HeadObject',
    'CheckSize',
    'Scan',
  ]);
  expect(result.output).toMatchObject({ status: 'CLEAN' });
});

test('an object over the limit is tagged SKIPPED without being read', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'big.bin', Buffer.alloc(MAX + 1));

  const result = await wf.run(SCAN_EXPRESS_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'big.bin' });

  expect(statesEntered(result).at(-1)).toBe('TagSkipped');
  expect(result.output).toMatchObject({ status: 'SKIPPED', size: MAX + 1 });
});

test('a throttled scan before the last delivery fails the execution, leaving the object to the next delivery', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'file.txt', 'data');
  const event = await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'file.txt');
  faults = [{ status: 429, type: 'TooManyRequestsException' }];

  const result = await wf.run(SCAN_EXPRESS_STATE_MACHINE, pipesBatch(event, DELIVERIES - 1));

  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('Lambda.TooManyRequestsException');
  expect(statesEntered(result).slice(-2)).toEqual(['AfterError', 'Redeliver']);
  expect(await h.tags('file.txt')).toEqual({});
});

test('a failure on the last delivery is tagged PROCESSING_ERROR, and the execution succeeds', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'file.txt', 'data', { team: 'x' });
  const event = await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'file.txt');
  faults = [{ status: 429, type: 'TooManyRequestsException' }];

  const result = await wf.run(SCAN_EXPRESS_STATE_MACHINE, pipesBatch(event, DELIVERIES));

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result).slice(-2)).toEqual(['AfterError', 'TagProcessingError']);
  expect(result.output).toMatchObject({
    status: 'PROCESSING_ERROR',
    error: 'Lambda.TooManyRequestsException',
  });
  expect(await h.tags('file.txt')).toMatchObject({ team: 'x', 'av-status': 'PROCESSING_ERROR' });
});

test('deliveries until one succeeds, as the queue makes them: throttled twice, then scanned', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'burst.txt', 'data');
  const event = await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'burst.txt');
  faults = [
    { status: 429, type: 'TooManyRequestsException' },
    { status: 429, type: 'TooManyRequestsException' },
  ];

  const outcomes: string[] = [];
  for (let delivery = 1; delivery <= DELIVERIES; delivery++) {
    const result = await wf.run(SCAN_EXPRESS_STATE_MACHINE, pipesBatch(event, delivery));
    outcomes.push(result.status);
    if (result.status === 'SUCCEEDED') {
      expect(result.output).toMatchObject({ status: 'CLEAN' });
      break;
    }
  }

  expect(outcomes).toEqual(['FAILED', 'FAILED', 'SUCCEEDED']);
  expect((await h.tags('burst.txt'))['av-status']).toBe('CLEAN');
});
