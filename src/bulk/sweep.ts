import type { KeyFilter } from '../scan/key-filter';
import type { BulkScanSummary, SweepOutcome } from './report';
import type { BulkScanPlan, BulkScanRequest } from './request';

// The scheduled sweep (issue 20): an `unscanned` bulk scan of a bucket the event path scans, over
// the objects old enough that the event path is done with them (modifiedBefore). An object it had
// to scan is one that reached it without a verdict: the event path lost it.

/** Where the sweep's count goes. */
export interface SweepMetrics {
  sweepReported(bucket: string, unscanned: number): Promise<void>;
}

/**
 * What the sweep found. A complete run (its Map Run succeeded, no batch failed) publishes its
 * count, 0 included, so the metric shows each sweep that ran. An incomplete one publishes only a
 * count above 0, a lower bound worth an alarm: a 0 from it would claim a bucket is whole when part
 * of it was never looked at (the failed execution raises its own alarm).
 */
export function sweepOutcome(summary: BulkScanSummary, mapFailed: boolean): SweepOutcome {
  const unscanned = summary.objects - summary.counts.UNCHANGED;
  const complete = !mapFailed && summary.failed.batches === 0;
  return { unscanned, published: complete || unscanned > 0 };
}

/**
 * For a sweep's summary (`plan.sweep` in the workflow's state): publishes its count when
 * `sweepOutcome` says so and adds the outcome to the summary. Other bulk scans pass through.
 * A failure to publish is thrown: the Summarise task fails, and with it the execution.
 */
export async function reportSweep(
  summary: BulkScanSummary,
  state: unknown,
  metrics: () => SweepMetrics,
): Promise<BulkScanSummary> {
  const { plan, mapFailure } = (state ?? {}) as { plan?: BulkScanPlan; mapFailure?: unknown };
  if (plan?.sweep !== true) return summary;
  const outcome = sweepOutcome(summary, mapFailure !== undefined);
  if (outcome.published) await metrics().sweepReported(summary.bucket, outcome.unscanned);
  return { ...summary, sweep: outcome };
}

/**
 * The request the sweep's schedule starts the bulk scan with: objects without a status tag,
 * last modified `modifiedBefore` (a window back from the execution's start) or earlier, and let
 * through by the bucket's upload `filter` when it has one.
 */
export function sweepRequest(
  bucket: string,
  modifiedBefore: string,
  filter?: KeyFilter,
  maxConcurrency?: number,
): BulkScanRequest {
  return {
    bucket,
    mode: 'unscanned',
    modifiedBefore,
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    ...(filter && Object.keys(filter).length > 0 ? { filter } : {}),
    sweep: true,
    trigger: 'sweep',
  };
}
