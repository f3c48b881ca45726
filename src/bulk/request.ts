import type { RescanSetting } from '../config';
import { InvalidEventError } from '../errors';
import { type KeyFilter, parseKeyFilter } from '../scan/key-filter';
import { RESCAN_WINDOW } from '../settings';
import type { BatchInput } from './batch-event';
import { BULK_MODES, type BulkMode } from './bulk-mode';

/**
 * The bulk scan workflow's input (statemachine/bulk-scan.asl.json):
 * `{bucket, prefix?, mode?, modifiedAfter?, modifiedBefore?, filter?, maxConcurrency?, batchSize?, manifest?, sweep?, ...}`.
 */
export interface BulkScanRequest {
  readonly bucket: string;
  readonly prefix?: string;
  /** @default 'unscanned' */
  readonly mode?: BulkMode;
  /** An ISO 8601 time, or a window back from now: `P30D`, `PT12H`, `PT90M`. */
  readonly modifiedAfter?: string;
  /**
   * Objects last modified at or after it are left unchanged: an ISO 8601 time, or a window back
   * from now (the execution's start). The sweep leaves the uploads the event path is still on.
   */
  readonly modifiedBefore?: string;
  /**
   * Only objects this filter lets through (the bucket's upload `ScanFilter`, which the sweep
   * passes so that it never counts an object the upload rule leaves alone on purpose).
   */
  readonly filter?: KeyFilter;
  /** Batches scanned at once (child workflows); capped by the deployment's limit. */
  readonly maxConcurrency?: number;
  /** Objects per batch (one scanner invocation). */
  readonly batchSize?: number;
  /** An S3 Inventory's `manifest.json` to read the objects from, instead of listing the bucket. */
  readonly manifest?: { readonly bucket: string; readonly key: string };
  /** Share of batches that may fail before the whole run fails. */
  readonly toleratedFailurePercentage?: number;
  /** Objects of one batch scanned at once. */
  readonly scanConcurrency?: number;
  /** Who asked: `cli`, `definitions-update`, ... (kept in the output). */
  readonly trigger?: string;
  /**
   * The scheduled sweep (issue 20): an `unscanned` scan whose count of objects found without a
   * verdict is published as the SweepUnscannedObjects metric.
   * @default false
   */
  readonly sweep?: boolean;
}

/** The deployment's limits, which the workflow passes with each request. */
export interface BulkScanLimits {
  /** The most batches at once: room left for upload scans in the scanner's concurrency. */
  readonly maxConcurrency: number;
  /** The batch size when the request names none. */
  readonly batchSize: number;
  /** Where the ResultWriter puts the report. */
  readonly reportBucket: string;
}

/** What the workflow runs: the request checked, defaults filled, limits applied. */
export interface BulkScanPlan {
  readonly bucket: string;
  readonly prefix: string;
  readonly mode: BulkMode;
  readonly modifiedAfter?: string;
  readonly modifiedBefore?: string;
  readonly filter?: KeyFilter;
  readonly maxConcurrency: number;
  /** True when the request asked for more than the deployment's limit. */
  readonly maxConcurrencyCapped: boolean;
  readonly batchSize: number;
  readonly toleratedFailurePercentage: number;
  readonly source: 'listing' | 'inventory';
  readonly manifest?: { readonly bucket: string; readonly key: string };
  /** What every batch is told (ItemBatcher.BatchInput). */
  readonly batch: BatchInput;
  /** The ResultWriter's bucket and prefix; it adds `/<map run id>/manifest.json` and the result files. */
  readonly report: { readonly bucket: string; readonly prefix: string };
  readonly trigger?: string;
  /** True for the scheduled sweep: the summary's count of objects without a verdict is published. */
  readonly sweep: boolean;
}

/**
 * Chosen by measurement (BENCHMARKS.md, section 7b, `recommendBatchSize` in bench/lib/bulk-report.ts):
 * the smallest batch whose cost per million objects on AWS is within 10 % of the cheapest size
 * measured, its output (one result per object, carried between the child's invocations) far below
 * Step Functions' 256 KiB state limit. Larger batches save little more and make each failure and
 * each invocation bigger.
 */
export const DEFAULT_BATCH_SIZE = 100;
/** A batch's output must stay below 256 KiB: about 300 bytes per object's result, with room. */
export const MAX_BATCH_SIZE = 500;
/** Objects of a batch scanned at once: S3 round trips overlap clamd's work (BENCHMARKS.md). */
export const DEFAULT_SCAN_CONCURRENCY = 4;
export const DEFAULT_TOLERATED_FAILURE_PERCENTAGE = 5;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function planBulkScan(
  value: unknown,
  limits: BulkScanLimits,
  executionName: string,
  now: number = Date.now(),
): BulkScanPlan {
  const request = asObject(value, 'the bulk scan request');
  const bucket = request.bucket;
  if (typeof bucket !== 'string' || !BUCKET_NAME.test(bucket)) {
    throw new InvalidEventError(`bucket must be an S3 bucket name, got ${JSON.stringify(bucket)}`);
  }
  const prefix = request.prefix ?? '';
  if (typeof prefix !== 'string')
    throw new InvalidEventError(`prefix must be a string, got ${JSON.stringify(prefix)}`);
  const mode = request.mode ?? 'unscanned';
  if (!(BULK_MODES as readonly unknown[]).includes(mode)) {
    throw new InvalidEventError(`mode must be one of ${BULK_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  const modifiedAfter =
    request.modifiedAfter === undefined
      ? undefined
      : resolveInstant(request.modifiedAfter, now, 'modifiedAfter');
  const modifiedBefore =
    request.modifiedBefore === undefined
      ? undefined
      : resolveInstant(request.modifiedBefore, now, 'modifiedBefore');
  if (modifiedAfter && modifiedBefore && Date.parse(modifiedAfter) >= Date.parse(modifiedBefore)) {
    throw new InvalidEventError(
      `modifiedAfter (${modifiedAfter}) must be earlier than modifiedBefore (${modifiedBefore}): no object could be scanned`,
    );
  }
  const filter = parseKeyFilter(request.filter);
  const filtered = Object.keys(filter).length > 0;
  const sweep = request.sweep ?? false;
  if (typeof sweep !== 'boolean') {
    throw new InvalidEventError(`sweep must be true or false, got ${JSON.stringify(sweep)}`);
  }
  if (sweep && mode !== 'unscanned') {
    throw new InvalidEventError(
      `sweep counts the objects found without a verdict: it needs mode unscanned, got ${JSON.stringify(mode)}`,
    );
  }
  const asked = whole(request.maxConcurrency, 'maxConcurrency', 1, 10_000) ?? limits.maxConcurrency;
  const batchSize = whole(request.batchSize, 'batchSize', 1, MAX_BATCH_SIZE) ?? limits.batchSize;
  const tolerated =
    whole(request.toleratedFailurePercentage, 'toleratedFailurePercentage', 0, 100) ??
    DEFAULT_TOLERATED_FAILURE_PERCENTAGE;
  const scanConcurrency =
    whole(request.scanConcurrency, 'scanConcurrency', 1, 64) ?? DEFAULT_SCAN_CONCURRENCY;
  const manifest = request.manifest === undefined ? undefined : inventoryManifest(request.manifest);
  if (manifest && prefix !== '') {
    throw new InvalidEventError('prefix cannot be combined with manifest: an inventory lists what it lists');
  }
  const trigger = typeof request.trigger === 'string' && request.trigger !== '' ? request.trigger : undefined;
  return {
    bucket,
    prefix,
    mode: mode as BulkMode,
    ...(modifiedAfter ? { modifiedAfter } : {}),
    ...(modifiedBefore ? { modifiedBefore } : {}),
    ...(filtered ? { filter } : {}),
    maxConcurrency: Math.min(asked, limits.maxConcurrency),
    maxConcurrencyCapped: asked > limits.maxConcurrency,
    batchSize,
    toleratedFailurePercentage: tolerated,
    source: manifest ? 'inventory' : 'listing',
    ...(manifest ? { manifest } : {}),
    // Every field present (an empty time is none): the ItemBatcher's BatchInput names each.
    batch: {
      bucket,
      mode: mode as BulkMode,
      modifiedAfter: modifiedAfter ?? '',
      modifiedBefore: modifiedBefore ?? '',
      filter,
      scanConcurrency,
    },
    report: { bucket: limits.reportBucket, prefix: `bulk-scan/${executionName}` },
    ...(trigger ? { trigger } : {}),
    sweep,
  };
}

/** The workflow passes its limits as text (they are deployment-time substitutions). */
export function parseLimits(value: unknown): BulkScanLimits {
  const limits = asObject(value, 'limits');
  const number = (name: string, max: number) => {
    const raw = limits[name];
    const parsed = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    return whole(parsed, `limits.${name}`, 1, max) ?? 0;
  };
  const reportBucket = limits.reportBucket;
  if (typeof reportBucket !== 'string' || reportBucket === '') {
    throw new InvalidEventError(
      `limits.reportBucket must be a bucket name, got ${JSON.stringify(reportBucket)}`,
    );
  }
  return {
    maxConcurrency: number('maxConcurrency', 10_000),
    batchSize: number('batchSize', MAX_BATCH_SIZE),
    reportBucket,
  };
}

/** An ISO 8601 time as given (normalised), or a window back from `now`. */
export function resolveInstant(value: unknown, now: number, name = 'modifiedAfter'): string {
  if (typeof value === 'string') {
    const window = RESCAN_WINDOW.exec(value);
    if (window) {
      const [, days, hours, minutes] = window;
      const ms = (Number(days ?? 0) * 24 + Number(hours ?? 0)) * 3_600_000 + Number(minutes ?? 0) * 60_000;
      return new Date(now - ms).toISOString();
    }
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed) && /^\d{4}-\d{2}-\d{2}/.test(value)) return new Date(parsed).toISOString();
  }
  throw new InvalidEventError(
    `${name} must be an ISO 8601 time (2026-01-31T00:00:00Z) or a window back from now (P30D, PT12H, PT90M), got ${JSON.stringify(value)}`,
  );
}

function inventoryManifest(value: unknown): { bucket: string; key: string } {
  const manifest = asObject(value, 'manifest');
  const { bucket, key } = manifest;
  if (
    typeof bucket !== 'string' ||
    !BUCKET_NAME.test(bucket) ||
    typeof key !== 'string' ||
    !key.endsWith('manifest.json')
  ) {
    throw new InvalidEventError(
      `manifest must be {bucket, key} of an S3 Inventory's manifest.json, got ${JSON.stringify(value)}`,
    );
  }
  return { bucket, key };
}

function whole(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidEventError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(`${what} must be a JSON object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * The "stale" bulk scans the update workflow starts after publishing a new set: one per target,
 * objects modified within its window (resolved when each scan is planned).
 */
export function rescanRequests(
  targets: readonly RescanSetting[],
  definitions: string | undefined,
): BulkScanRequest[] {
  return targets.map((target) => ({
    bucket: target.bucket,
    prefix: target.prefix,
    mode: 'stale',
    ...(target.window ? { modifiedAfter: target.window } : {}),
    trigger: definitions ? `definitions-update ${definitions}` : 'definitions-update',
  }));
}
