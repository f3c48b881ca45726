import { InvalidEventError } from '../errors';
import type { ScanResult, Verdict } from '../scan/contract';
import { type KeyFilter, parseKeyFilter } from '../scan/key-filter';
import { BULK_MODES, type BulkMode, type UnchangedReason } from './bulk-mode';

/**
 * What each batch of a bulk scan is told, the same for every batch (the Distributed Map's
 * `ItemBatcher.BatchInput`).
 */
export interface BatchInput {
  readonly bucket: string;
  readonly mode: BulkMode;
  /** ISO 8601: objects last modified at or before it are left unchanged (empty: none). */
  readonly modifiedAfter?: string;
  /** ISO 8601: objects last modified at or after it are left unchanged (empty: none). */
  readonly modifiedBefore?: string;
  /** Only objects the filter lets through are scanned (absent or `{}`: every object). */
  readonly filter?: KeyFilter;
  /** Objects of the batch scanned at once. */
  readonly scanConcurrency: number;
}

/**
 * A batch as the Distributed Map's ItemBatcher hands it to a child workflow: `{Items, BatchInput}`.
 * When one invocation could not finish the batch (its time ran out, or clamd went away after some
 * objects were done), the child invokes again with the items left and the results so far as
 * `previous`.
 */
export interface BatchEvent {
  readonly Items: readonly unknown[];
  readonly BatchInput: BatchInput;
  readonly previous?: BatchOutput;
}

export type BulkCountKey = Verdict | 'UNCHANGED';
export type BulkCounts = Readonly<Record<BulkCountKey, number>>;

/** A scanned (or tagged SKIPPED) object: the scan result without what the batch states once. */
export type ScannedItem = Omit<ScanResult, 'bucket' | 'definitions'> & { readonly verdict: Verdict };

/** An object the mode's rules left as it is: counted and reported, never tagged again. */
export interface UnchangedItem {
  readonly key: string;
  readonly versionId?: string;
  readonly unchanged: UnchangedReason;
  /** Its status tag, when it has one. */
  readonly status?: string;
}

export type ItemResult = ScannedItem | UnchangedItem;

/** A batch's results so far: the child workflow's output, and so one entry of the ResultWriter report. */
export interface BatchOutput {
  readonly bucket: string;
  readonly mode: BulkMode;
  /** The definitions clamd had loaded (the last invocation's), when any object was scanned. */
  readonly definitions?: string;
  readonly counts: BulkCounts;
  readonly results: readonly ItemResult[];
}

/**
 * What one invocation returns: the results so far, and the items not reached yet, which the child
 * workflow invokes again with. Each item is in the response once, either as a result or as
 * remaining: the child's state holds `report` as `previous` and `remaining` as `Items`, so it
 * never carries the remaining items twice (a state's input and output are limited to 256 KiB).
 */
export interface BatchProgress {
  readonly report: BatchOutput;
  readonly remaining: readonly unknown[];
  readonly batchInput: BatchInput;
}

export const EMPTY_COUNTS: BulkCounts = {
  CLEAN: 0,
  INFECTED: 0,
  UNSCANNABLE: 0,
  SKIPPED: 0,
  PROCESSING_ERROR: 0,
  UNCHANGED: 0,
};

export function isBatchEvent(event: Record<string, unknown>): boolean {
  return 'Items' in event && 'BatchInput' in event;
}

export function parseBatchEvent(event: Record<string, unknown>): BatchEvent {
  if (!Array.isArray(event.Items)) throw new InvalidEventError('a bulk scan batch needs Items (an array)');
  const input = event.BatchInput;
  if (typeof input !== 'object' || input === null) {
    throw new InvalidEventError('a bulk scan batch needs BatchInput (an object)');
  }
  const { bucket, mode, scanConcurrency } = input as Record<string, unknown>;
  const modifiedAfter = instantOf(input as Record<string, unknown>, 'modifiedAfter');
  const modifiedBefore = instantOf(input as Record<string, unknown>, 'modifiedBefore');
  const filter = parseKeyFilter((input as Record<string, unknown>).filter, 'BatchInput.filter');
  if (typeof bucket !== 'string' || bucket === '') {
    throw new InvalidEventError(`BatchInput.bucket must be a bucket name, got ${JSON.stringify(bucket)}`);
  }
  if (!(BULK_MODES as readonly unknown[]).includes(mode)) {
    throw new InvalidEventError(
      `BatchInput.mode must be one of ${BULK_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  if (
    typeof scanConcurrency !== 'number' ||
    !Number.isInteger(scanConcurrency) ||
    scanConcurrency < 1 ||
    scanConcurrency > 64
  ) {
    throw new InvalidEventError(
      `BatchInput.scanConcurrency must be 1-64, got ${JSON.stringify(scanConcurrency)}`,
    );
  }
  const previous = event.previous;
  return {
    Items: event.Items,
    BatchInput: {
      bucket,
      mode: mode as BulkMode,
      ...(modifiedAfter ? { modifiedAfter } : {}),
      ...(modifiedBefore ? { modifiedBefore } : {}),
      ...(Object.keys(filter).length > 0 ? { filter } : {}),
      scanConcurrency,
    },
    ...(typeof previous === 'object' && previous !== null ? { previous: previous as BatchOutput } : {}),
  };
}

/** An optional ISO 8601 time of BatchInput (an empty one is none). */
function instantOf(
  input: Record<string, unknown>,
  name: 'modifiedAfter' | 'modifiedBefore',
): string | undefined {
  const value = input[name] || undefined;
  if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
    throw new InvalidEventError(`BatchInput.${name} must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  }
  return value;
}
