import { ACCOUNT_ID, type RescanSetting } from '../config';
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
  /**
   * The account owning the bucket, on an organization hub (docs/organization.md): the objects
   * are listed, read and tagged through its member role. Absent: the hub's own account.
   */
  readonly account?: string;
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

/** Which objects a bulk scan looks at, as both the checked request and the plan carry it. */
interface BulkScanTarget {
  readonly bucket: string;
  /** The member account owning the bucket, when it is not the hub's own. */
  readonly account?: string;
  readonly prefix: string;
  readonly mode: BulkMode;
  readonly modifiedAfter?: string;
  readonly modifiedBefore?: string;
  readonly manifest?: { readonly bucket: string; readonly key: string };
  readonly trigger?: string;
  /** True for the scheduled sweep: the summary's count of objects without a verdict is published. */
  readonly sweep: boolean;
}

/** What the workflow runs: the request checked, defaults filled, limits applied. */
export interface BulkScanPlan extends BulkScanTarget {
  readonly filter?: KeyFilter;
  readonly maxConcurrency: number;
  /** True when the request asked for more than the deployment's limit. */
  readonly maxConcurrencyCapped: boolean;
  readonly batchSize: number;
  readonly toleratedFailurePercentage: number;
  readonly source: 'listing' | 'inventory';
  /** What every batch is told (ItemBatcher.BatchInput). */
  readonly batch: BatchInput;
  /** The ResultWriter's bucket and prefix; it adds `/<map run id>/manifest.json` and the result files. */
  readonly report: { readonly bucket: string; readonly prefix: string };
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

/** A bulk scan request that meets every rule; what is left to the deployment is not applied yet. */
export interface CheckedBulkScanRequest extends BulkScanTarget {
  readonly filter: KeyFilter;
  /** As asked; the deployment's limit caps it. */
  readonly maxConcurrency?: number;
  /** As asked; the deployment's batch size when absent. */
  readonly batchSize?: number;
  readonly toleratedFailurePercentage: number;
  readonly scanConcurrency: number;
}

/** How a caller names a field of the request in its messages (`batchSize`, or `--batch-size` for the command). */
export type RequestFieldNames = (field: keyof BulkScanRequest) => string;

/**
 * The rules a bulk scan request must meet, whatever the deployment: the workflow applies them to
 * its input (planBulkScan), and `lambda-av scan-bucket` before it starts an execution, so a
 * request the workflow would refuse is refused before it starts. Windows (`P30D`) resolve from
 * `now`. Throws an InvalidEventError naming the field as `names` calls it.
 */
export function checkBulkScanRequest(
  value: unknown,
  now: number,
  names: RequestFieldNames = (field) => field,
): CheckedBulkScanRequest {
  const request = asObject(value, 'the bulk scan request');
  const bucket = request.bucket;
  if (typeof bucket !== 'string' || !BUCKET_NAME.test(bucket)) {
    throw new InvalidEventError(
      `${names('bucket')} must be an S3 bucket name, got ${JSON.stringify(bucket)}`,
    );
  }
  const account = request.account;
  if (account !== undefined && (typeof account !== 'string' || !ACCOUNT_ID.test(account))) {
    throw new InvalidEventError(
      `${names('account')} must be a 12-digit AWS account id, got ${JSON.stringify(account)}`,
    );
  }
  const prefix = request.prefix ?? '';
  if (typeof prefix !== 'string')
    throw new InvalidEventError(`${names('prefix')} must be a string, got ${JSON.stringify(prefix)}`);
  const mode = request.mode ?? 'unscanned';
  if (!(BULK_MODES as readonly unknown[]).includes(mode)) {
    throw new InvalidEventError(
      `${names('mode')} must be one of ${BULK_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  const modifiedAfter =
    request.modifiedAfter === undefined
      ? undefined
      : resolveInstant(request.modifiedAfter, now, names('modifiedAfter'));
  const modifiedBefore =
    request.modifiedBefore === undefined
      ? undefined
      : resolveInstant(request.modifiedBefore, now, names('modifiedBefore'));
  if (modifiedAfter && modifiedBefore && Date.parse(modifiedAfter) >= Date.parse(modifiedBefore)) {
    throw new InvalidEventError(
      `${names('modifiedAfter')} (${modifiedAfter}) must be earlier than ${names('modifiedBefore')} (${modifiedBefore}): no object could be scanned`,
    );
  }
  const filter = parseKeyFilter(request.filter);
  const sweep = request.sweep ?? false;
  if (typeof sweep !== 'boolean') {
    throw new InvalidEventError(`${names('sweep')} must be true or false, got ${JSON.stringify(sweep)}`);
  }
  if (sweep && mode !== 'unscanned') {
    throw new InvalidEventError(
      `${names('sweep')} counts the objects found without a verdict: it needs mode unscanned, got ${JSON.stringify(mode)}`,
    );
  }
  const maxConcurrency = whole(request.maxConcurrency, names('maxConcurrency'), 1, 10_000);
  const batchSize = whole(request.batchSize, names('batchSize'), 1, MAX_BATCH_SIZE);
  const tolerated =
    whole(request.toleratedFailurePercentage, names('toleratedFailurePercentage'), 0, 100) ??
    DEFAULT_TOLERATED_FAILURE_PERCENTAGE;
  const scanConcurrency =
    whole(request.scanConcurrency, names('scanConcurrency'), 1, 64) ?? DEFAULT_SCAN_CONCURRENCY;
  const manifest =
    request.manifest === undefined ? undefined : inventoryManifest(request.manifest, names('manifest'));
  if (manifest && prefix !== '') {
    throw new InvalidEventError(
      `${names('prefix')} cannot be combined with ${names('manifest')}: an inventory lists what it lists`,
    );
  }
  const trigger = typeof request.trigger === 'string' && request.trigger !== '' ? request.trigger : undefined;
  return {
    bucket,
    ...(account ? { account } : {}),
    prefix,
    mode: mode as BulkMode,
    ...(modifiedAfter ? { modifiedAfter } : {}),
    ...(modifiedBefore ? { modifiedBefore } : {}),
    filter,
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    toleratedFailurePercentage: tolerated,
    scanConcurrency,
    ...(manifest ? { manifest } : {}),
    ...(trigger ? { trigger } : {}),
    sweep,
  };
}

/** The workflow's plan: the request checked (checkBulkScanRequest), defaults filled, the deployment's limits applied. */
export function planBulkScan(
  value: unknown,
  limits: BulkScanLimits,
  executionName: string,
  now: number = Date.now(),
): BulkScanPlan {
  const request = checkBulkScanRequest(value, now);
  const { bucket, account, mode, modifiedAfter, modifiedBefore, filter, manifest, trigger } = request;
  const asked = request.maxConcurrency ?? limits.maxConcurrency;
  return {
    bucket,
    ...(account ? { account } : {}),
    prefix: request.prefix,
    mode,
    ...(modifiedAfter ? { modifiedAfter } : {}),
    ...(modifiedBefore ? { modifiedBefore } : {}),
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    maxConcurrency: Math.min(asked, limits.maxConcurrency),
    maxConcurrencyCapped: asked > limits.maxConcurrency,
    batchSize: request.batchSize ?? limits.batchSize,
    toleratedFailurePercentage: request.toleratedFailurePercentage,
    source: manifest ? 'inventory' : 'listing',
    ...(manifest ? { manifest } : {}),
    // Every field present (an empty time is none): the ItemBatcher's BatchInput names each.
    batch: {
      bucket,
      account: account ?? '',
      mode,
      modifiedAfter: modifiedAfter ?? '',
      modifiedBefore: modifiedBefore ?? '',
      filter,
      scanConcurrency: request.scanConcurrency,
    },
    report: { bucket: limits.reportBucket, prefix: `bulk-scan/${executionName}` },
    ...(trigger ? { trigger } : {}),
    sweep: request.sweep,
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

function inventoryManifest(value: unknown, name: string): { bucket: string; key: string } {
  const manifest = asObject(value, name);
  const { bucket, key } = manifest;
  if (
    typeof bucket !== 'string' ||
    !BUCKET_NAME.test(bucket) ||
    typeof key !== 'string' ||
    !key.endsWith('manifest.json')
  ) {
    const given =
      typeof bucket === 'string' && typeof key === 'string' ? `s3://${bucket}/${key}` : JSON.stringify(value);
    throw new InvalidEventError(
      `${name} must name an S3 Inventory's manifest.json ({bucket, key}: a bucket name and a key ending in manifest.json), got ${given}`,
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
    ...(target.account ? { account: target.account } : {}),
    prefix: target.prefix,
    mode: 'stale',
    ...(target.window ? { modifiedAfter: target.window } : {}),
    trigger: definitions ? `definitions-update ${definitions}` : 'definitions-update',
  }));
}
