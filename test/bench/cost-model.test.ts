import {
  costPerObject,
  guardDutyPerObject,
  requestClassOf,
  type ScanUsage,
} from '../../bench/lib/cost-model';
import { stepFunctionsLogBytes } from '../../bench/lib/sfn-log-bytes';
import { PRICES } from '../../bench/prices';
import { SCAN_STATE_MACHINE } from '../../src/local/step-functions';

const MiB = 2 ** 20;

const standard: ScanUsage = {
  path: 'standard-event',
  bytes: MiB,
  size: '1 MiB',
  runs: 1,
  transitions: 2,
  executionMs: 750,
  lambdaInvocations: 1,
  lambdaBilledMs: 700,
  requests: { 'S3.GetObject': 1, 'S3.HeadObject': 1, 'S3.GetObjectTagging': 1, 'S3.PutObjectTagging': 1 },
  queueRequests: 0,
  pipeRequests: 0,
  bucketEvents: 2,
  logBytes: { lambda: 1024, stepFunctions: 0 },
  traces: 1,
  tagsAdded: 2,
};
const options = { architecture: 'x86_64', memoryMiB: 2048, expressMemoryMiB: 64 } as const;

test('a Standard scan is priced by its transitions, GB-seconds, requests by class, events, logs, trace and tags', () => {
  const cost = costPerObject(standard, PRICES, options);

  expect(cost.stepFunctions).toBeCloseTo(2 * 0.000025, 12);
  expect(cost.lambda).toBeCloseTo(0.0000002 + 0.7 * 2 * 0.0000166667, 12);
  expect(cost.s3Requests).toBeCloseTo(3 * 0.0000004 + 0.000005, 12);
  expect(cost.events).toBeCloseTo(2 * 0.000001, 12);
  expect(cost.queue).toBe(0);
  expect(cost.logs).toBeCloseTo((1024 / 2 ** 30) * 0.5, 15);
  expect(cost.tracing).toBeCloseTo(0.000005, 12);
  expect(cost.tags).toBeCloseTo(2 * 0.000001, 12);
  expect(cost.total).toBeCloseTo(
    cost.stepFunctions +
      cost.lambda +
      cost.s3Requests +
      cost.events +
      cost.queue +
      cost.logs +
      cost.tracing +
      cost.tags,
    15,
  );
  // Per million 1 MiB objects: $50 of transitions, $23.53 of Lambda, 1 GiB of logs $0.48, and so on.
  expect(cost.total * 1e6).toBeCloseTo(50 + 23.53 + 6.2 + 2 + 0.48 + 5 + 2, 1);
});

test('arm64 is priced at its own GB-second rate', () => {
  const x86 = costPerObject(standard, PRICES, options);
  const arm = costPerObject(standard, PRICES, { ...options, architecture: 'arm64' });

  expect(x86.lambda - arm.lambda).toBeCloseTo(0.7 * 2 * (0.0000166667 - 0.0000133334), 12);
});

test('an Express scan pays per execution and for its duration rounded up to 100 ms in 64 MB chunks, not per transition', () => {
  const express: ScanUsage = {
    ...standard,
    path: 'express-event',
    transitions: 4,
    executionMs: 701,
    queueRequests: 3,
    pipeRequests: 1,
  };

  const cost = costPerObject(express, PRICES, options);

  expect(cost.stepFunctions).toBeCloseTo(0.000001 + 0.8 * (64 / 1024) * 0.00001667, 12);
  expect(cost.queue).toBeCloseTo(3 * 0.0000004 + 0.0000004, 12);
});

test('a request the model has no price for stops the cost section', () => {
  expect(requestClassOf('S3.PutObjectTagging')).toBe('s3Put');
  expect(requestClassOf('S3.HeadObject')).toBe('s3Get');
  expect(() => requestClassOf('S3.DeleteObject')).toThrow(/no price for S3.DeleteObject/);
  expect(() => costPerObject({ ...standard, requests: { 'SNS.Publish': 1 } }, PRICES, options)).toThrow(
    /SNS.Publish/,
  );
});

test("GuardDuty's price for an object is per object plus per GB scanned", () => {
  expect(guardDutyPerObject(MiB, PRICES) * 1e6).toBeCloseTo(215 + 0.09 * (1e6 / 1024), 6);
  expect(guardDutyPerObject(0, PRICES)).toBeCloseTo(0.000215, 12);
});

describe('Step Functions log bytes', () => {
  const arn = 'arn:aws:states:us-east-1:123456789012:execution:lambda-av-scan:x';
  const result = { bucket: 'uploads', key: 'a.pdf', status: 'CLEAN' };
  const succeeded = [
    { type: 'ExecutionStarted', input: { detail: { object: { key: 'a.pdf' } } } },
    { type: 'StateEntered', state: 'ReadInput', input: { detail: {} } },
    { type: 'StateExited', state: 'ReadInput', output: { detail: {} } },
    { type: 'StateEntered', state: 'Scan', input: { detail: {} } },
    { type: 'StateExited', state: 'Scan', output: result },
    { type: 'ExecutionSucceeded', output: result },
  ];

  test('at level ALL every event is a record, a Task adding its scheduled, started and succeeded records', () => {
    const all = stepFunctionsLogBytes(SCAN_STATE_MACHINE, succeeded, arn, 'ALL');
    const withoutTask = stepFunctionsLogBytes(SCAN_STATE_MACHINE, succeeded.slice(0, 3), arn, 'ALL');

    // Nine records of at least ~150 bytes each (envelope and ARN), the Lambda response among them.
    expect(all).toBeGreaterThan(9 * 150);
    expect(all - withoutTask).toBeGreaterThan(1000);
  });

  test('at level ERROR a successful execution writes nothing and a failed one its failure', () => {
    const failed = [
      ...succeeded.slice(0, 4),
      { type: 'StateFailed', state: 'Scan', error: 'DaemonStartupError', cause: 'clamd did not start' },
      { type: 'ExecutionFailed', error: 'DaemonStartupError', cause: 'clamd did not start' },
    ];

    expect(stepFunctionsLogBytes(SCAN_STATE_MACHINE, succeeded, arn, 'ERROR')).toBe(0);
    expect(stepFunctionsLogBytes(SCAN_STATE_MACHINE, failed, arn, 'ERROR')).toBeGreaterThan(300);
  });
});
