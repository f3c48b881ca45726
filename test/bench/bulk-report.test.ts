import {
  BULK_END,
  BULK_START,
  perMillionObjects,
  recommendBatchSize,
  replaceBulkSection,
} from '../../bench/lib/bulk-report';
import { PRICES } from '../../bench/prices';
import type { BulkResult } from '../../bench/sections/bulk';

const stats = (median: number) => ({ median }) as BulkResult['realistic']['batchMs'];
const row = (batchSize: number, objectsPerSecond: number) => ({
  batchSize,
  objects: 1000,
  seconds: 1000 / objectsPerSecond,
  objectsPerSecond,
  batchInvocations: Math.ceil(1000 / batchSize),
  outputBytesPerObject: 125,
});
const result: BulkResult = {
  engine: 'light',
  objectBytes: 1024,
  batchSize: 100,
  maxConcurrency: 4,
  scanConcurrency: 4,
  comparison: {
    objects: 5000,
    bulk: { seconds: 30, objectsPerSecond: 166 },
    single: { seconds: 40, objectsPerSecond: 125, concurrency: 16 },
  },
  sweep: [row(1, 100), row(10, 190), row(50, 200), row(100, 200), row(500, 200)],
  realistic: {
    engine: 'realistic',
    batchSize: 100,
    runs: 3,
    batchMs: stats(3000),
    singleMsPerObject: stats(50),
  },
  memoryMiB: 2048,
  prices: {
    standardTransition: PRICES.standardTransition,
    lambdaRequest: PRICES.lambdaRequest,
    lambdaGbSecondX86: PRICES.lambdaGbSecondX86,
    s3GetClassRequest: PRICES.s3GetClassRequest,
    s3PutClassRequest: PRICES.s3PutClassRequest,
  },
  pricesReadOn: '2026-11-30',
};

test('a million objects on paper: per batch of 100 three states and one invocation; per object four states for single executions', () => {
  const { bulk, single } = perMillionObjects(result);

  expect(bulk).toMatchObject({ transitions: 6 + 10_000 * 3, invocations: 10_002 });
  expect(bulk.gbSeconds).toBeCloseTo(1e6 * 0.03 * 2);
  expect(single).toMatchObject({ transitions: 4e6, invocations: 1e6 });
  expect(bulk.usd.stepFunctions).toBeCloseTo(30_006 * 0.000025);
  expect(single.usd.total).toBeGreaterThan(bulk.usd.total);
});

test('the batch size rule: the smallest size within 10 % of the cheapest cost per million', () => {
  expect(recommendBatchSize(result)).toBe(100);
  // With a heavy output per object, 500 no longer fits a quarter of the state limit: 100 is the
  // cheapest left, and 50 within 10 % of it.
  expect(
    recommendBatchSize({ ...result, sweep: result.sweep.map((r) => ({ ...r, outputBytesPerObject: 600 })) }),
  ).toBe(50);
});

test('section 7 replaces the earlier one between its markers, or goes before the Method', () => {
  const fresh = `${BULK_START}\nnew\n${BULK_END}`;

  expect(replaceBulkSection(`a\n${BULK_START}\nold\n${BULK_END}\nb`, fresh)).toBe(`a\n${fresh}\nb`);
  expect(replaceBulkSection('results\n## Method\ntext', fresh)).toBe(`results\n${fresh}\n\n## Method\ntext`);
});
