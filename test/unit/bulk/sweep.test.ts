import { EMPTY_COUNTS } from '../../../src/bulk/batch-event';
import type { BulkScanSummary } from '../../../src/bulk/report';
import type { BulkScanPlan } from '../../../src/bulk/request';
import { reportSweep, type SweepMetrics, sweepOutcome, sweepRequest } from '../../../src/bulk/sweep';
import { parseScanEvent } from '../../../src/handlers/scan-event';

function summary(counts: Partial<typeof EMPTY_COUNTS>, failedBatches = 0): BulkScanSummary {
  const all = { ...EMPTY_COUNTS, ...counts };
  return {
    bucket: 'uploads',
    prefix: '',
    mode: 'unscanned',
    source: 'listing',
    objects: Object.values(all).reduce((a, b) => a + b, 0),
    counts: all,
    unchanged: {
      'already-scanned': all.UNCHANGED,
      current: 0,
      'not-modified-since': 0,
      'too-recent': 0,
      'filtered-out': 0,
      archived: 0,
    },
    failed: { batches: failedBatches, objects: failedBatches * 3 },
    infected: [],
    report: { bucket: 'reports', prefix: 'bulk-scan/x' },
  };
}

class Recorded implements SweepMetrics {
  readonly reports: Array<[string, number]> = [];
  async sweepReported(bucket: string, unscanned: number): Promise<void> {
    this.reports.push([bucket, unscanned]);
  }
}

const plan = (sweep: boolean) => ({ plan: { sweep } as Partial<BulkScanPlan> });

test('every object the sweep did not leave unchanged was without a verdict: scanned, SKIPPED and PROCESSING_ERROR alike', () => {
  const outcome = sweepOutcome(
    summary({ CLEAN: 2, INFECTED: 1, SKIPPED: 1, PROCESSING_ERROR: 1, UNCHANGED: 7 }),
    false,
  );

  expect(outcome).toEqual({ unscanned: 5, published: true });
});

test('a complete sweep that found nothing publishes its 0: the metric shows the sweep ran', () => {
  expect(sweepOutcome(summary({ UNCHANGED: 4 }), false)).toEqual({ unscanned: 0, published: true });
});

test('an incomplete sweep publishes only what it found, never a 0 for a bucket it did not see whole', () => {
  expect(sweepOutcome(summary({ UNCHANGED: 4 }, 1), false)).toEqual({ unscanned: 0, published: false });
  expect(sweepOutcome(summary({ UNCHANGED: 4 }), true)).toEqual({ unscanned: 0, published: false });
  expect(sweepOutcome(summary({ CLEAN: 2 }, 1), true)).toEqual({ unscanned: 2, published: true });
});

test('reportSweep publishes a sweep count per bucket and adds the outcome to the summary', async () => {
  const metrics = new Recorded();

  const result = await reportSweep(summary({ CLEAN: 3, UNCHANGED: 1 }), plan(true), () => metrics);

  expect(metrics.reports).toEqual([['uploads', 3]]);
  expect(result.sweep).toEqual({ unscanned: 3, published: true });
});

test('reportSweep leaves other bulk scans alone: no metric, no sweep field', async () => {
  const metrics = new Recorded();

  const result = await reportSweep(summary({ CLEAN: 3 }), plan(false), () => metrics);

  expect(metrics.reports).toEqual([]);
  expect(result).not.toHaveProperty('sweep');
});

test('a failure to publish fails the report, so the execution fails instead of ending unreported', async () => {
  const failing: SweepMetrics = {
    sweepReported: () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' })),
  };

  await expect(reportSweep(summary({}), plan(true), () => failing)).rejects.toThrow('denied');
});

test('the sweep request is an unscanned bulk scan with a window back from the start, marked as the sweep', () => {
  expect(sweepRequest('uploads', 'PT78M')).toEqual({
    bucket: 'uploads',
    mode: 'unscanned',
    modifiedBefore: 'PT78M',
    sweep: true,
    trigger: 'sweep',
  });
});

test('the plan task reads the execution start time; a malformed one is refused by name', () => {
  const event = {
    bulkScan: { bucket: 'uploads' },
    limits: { maxConcurrency: '2', batchSize: '5', reportBucket: 'r' },
  };

  expect(parseScanEvent({ ...event, startTime: '2026-03-31T12:00:00.123Z' })).toMatchObject({
    kind: 'bulk-plan',
    startTime: Date.parse('2026-03-31T12:00:00.123Z'),
  });
  expect(() => parseScanEvent({ ...event, startTime: 'noon' })).toThrow(
    expect.objectContaining({
      name: 'InvalidEventError',
      message: 'startTime must be an ISO 8601 time, got "noon"',
    }),
  );
});
