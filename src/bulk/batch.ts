import { GetObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';
import { resolvePublishedSet } from '../definitions/store';
import { DefinitionsReloadError, ObjectNotFoundError } from '../errors';
import type { ObjectRef, ScanResult } from '../scan/contract';
import { VERDICTS, type Verdict } from '../scan/contract';
import { candidateKeys } from '../scan/event-object';
import { passesFilter } from '../scan/key-filter';
import { resolveEventObject } from '../scan/resolve-object';
import { mapS3Error } from '../scan/s3-errors';
import type { Scanner } from '../scan/scanner';
import type { StatusNames } from '../settings';
import {
  type BatchEvent,
  type BatchInput,
  type BatchProgress,
  type BulkCountKey,
  type BulkCounts,
  EMPTY_COUNTS,
  type ItemResult,
} from './batch-event';
import { ARCHIVED_STORAGE_CLASSES, type BulkItem, parseBulkItem } from './bulk-item';
import type { BulkMetrics } from './bulk-metrics';
import { currentSince, decide, type ModeRules, type UnchangedReason } from './bulk-mode';

export interface BatchDependencies {
  readonly scanner: Scanner;
  readonly s3: S3Client;
  readonly config: Config;
  readonly metrics?: BulkMetrics;
  /** Milliseconds left in this invocation (Lambda's `getRemainingTimeInMillis`), when known. */
  readonly remainingMs?: () => number;
}

/** Time kept free at the end of an invocation, beyond one object's scan budget. */
const DEADLINE_MARGIN_MS = 10_000;

/**
 * Scans a batch of a bulk scan in one warm invocation, `scanConcurrency` objects at a time, each
 * through the same path as a single-object scan (Scanner.scan, Scanner.tag: verdicts, tags,
 * metrics and logs alike). Per object:
 * 1. objects not modified since `modifiedAfter`, modified at or after `modifiedBefore`, outside
 *    the bucket's scan `filter`, and archived ones (Glacier, Deep Archive) are left unchanged
 *    without a request;
 * 2. its tags are read, and the mode's rules (bulk-mode.ts) decide whether it is scanned;
 * 3. over MAX_FILE_SIZE it is tagged SKIPPED without being read (as the scan machine's
 *    TagSkipped), else scanned and tagged.
 *
 * A new object is started only while the invocation has time left for a whole scan; the items
 * not reached come back as `remaining`. A retryable failure (clamd gone) ends the invocation: it
 * is thrown when nothing was done yet (the workflow retries), else the items left come back as
 * `remaining` with the results so far.
 */
export async function scanBatch(deps: BatchDependencies, event: BatchEvent): Promise<BatchProgress> {
  const { config } = deps;
  const input = event.BatchInput;
  const rules: ModeRules = {
    mode: input.mode,
    statusTagKey: config.statusTagKey,
    timestampTagKey: config.timestampTagKey,
    statusNames: config.statusNames,
    maxFileSize: config.maxFileSize,
    ...(input.mode === 'stale' && event.Items.length > 0 ? { currentSince: await staleBefore(deps) } : {}),
  };
  const window: ModifiedWindow = {
    ...(input.modifiedAfter ? { after: Date.parse(input.modifiedAfter) } : {}),
    ...(input.modifiedBefore ? { before: Date.parse(input.modifiedBefore) } : {}),
  };
  const timeLeft = () =>
    deps.remainingMs === undefined
      ? Number.POSITIVE_INFINITY
      : deps.remainingMs() - config.scanTimeoutMs - DEADLINE_MARGIN_MS;

  const results: Array<ItemResult | undefined> = new Array(event.Items.length);
  const seen: Seen = {};
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < event.Items.length && failure === undefined && timeLeft() > 0) {
      const index = next++;
      try {
        results[index] = await scanItem(deps, rules, seen, input, window, event.Items[index]);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.scanConcurrency, event.Items.length) }, worker));
  const done = results.filter((result): result is ItemResult => result !== undefined);
  if (failure !== undefined && done.length === 0) throw failure;

  const counts = countResults(done);
  deps.metrics?.batchDone({ SCANNED: done.length - counts.UNCHANGED, UNCHANGED: counts.UNCHANGED });
  const previous = event.previous;
  const definitions = seen.definitions ?? previous?.definitions;
  return {
    report: {
      bucket: input.bucket,
      mode: input.mode,
      ...(definitions ? { definitions } : {}),
      counts: addCounts(previous?.counts ?? EMPTY_COUNTS, counts),
      results: [...(previous?.results ?? []), ...done],
    },
    remaining: event.Items.filter((_, index) => results[index] === undefined),
    batchInput: input,
  };
}

/** Milliseconds since the epoch: only objects last modified after `after` and before `before`. */
interface ModifiedWindow {
  readonly after?: number;
  readonly before?: number;
}

/** What the batch learns from its scans: the definitions clamd reported. */
interface Seen {
  definitions?: string;
}

async function scanItem(
  deps: BatchDependencies,
  rules: ModeRules,
  seen: Seen,
  input: BatchInput,
  window: ModifiedWindow,
  raw: unknown,
): Promise<ItemResult> {
  const { scanner } = deps;
  const { bucket } = input;
  const startedAt = performance.now();
  let item: BulkItem;
  try {
    item = parseBulkItem(raw);
  } catch (error) {
    const key = typeof (raw as { Key?: unknown })?.Key === 'string' ? (raw as { Key: string }).Key : '';
    return scanned(await scanner.notScanned({ bucket, key }, error, startedAt), rules.statusNames, seen);
  }
  let object: ObjectRef = { bucket, key: item.key, ...(item.versionId ? { versionId: item.versionId } : {}) };
  if (item.bucket !== undefined && item.bucket !== bucket) {
    const error = new ObjectNotFoundError(
      `the item names bucket ${item.bucket}, not the bulk scan's ${bucket}`,
    );
    return scanned(await scanner.notScanned(object, error, startedAt), rules.statusNames, seen);
  }
  if (window.after !== undefined && item.lastModified !== undefined && item.lastModified <= window.after) {
    return unchanged(object, 'not-modified-since');
  }
  if (window.before !== undefined && item.lastModified !== undefined && item.lastModified >= window.before) {
    return unchanged(object, 'too-recent');
  }
  if (input.filter && !passesFilter(input.filter, item.key, item.size)) {
    return unchanged(object, 'filtered-out');
  }
  if (item.storageClass !== undefined && ARCHIVED_STORAGE_CLASSES.has(item.storageClass)) {
    return unchanged(object, 'archived');
  }
  let tags: Record<string, string>;
  try {
    ({ object, tags } = await findWithTags(deps.s3, object, item));
  } catch (error) {
    return scanned(await scanner.notScanned(object, error, startedAt), rules.statusNames, seen);
  }
  const decision = decide(tags, item.size, rules);
  if (decision.action === 'leave') return unchanged(object, decision.reason, decision.status);
  const result =
    item.size !== undefined && item.size > rules.maxFileSize
      ? await scanner.tag({ verdict: 'SKIPPED', target: { kind: 'ref', ref: object }, size: item.size })
      : await scanner.scan(object);
  return scanned(result, rules.statusNames, seen);
}

/**
 * The object and its tags. The key is taken as the item gives it; if there is no such object
 * and the key reads differently form-decoded (an S3 Inventory lists keys URL-encoded, and AWS
 * does not say whether the ItemReader decodes them), the object is found by matching the
 * item's size and ETag (resolve-object.ts), so an encoded key never scans the wrong object.
 */
async function findWithTags(
  s3: S3Client,
  object: ObjectRef,
  item: BulkItem,
): Promise<{ object: ObjectRef; tags: Record<string, string> }> {
  try {
    return { object, tags: await readTagMap(s3, object) };
  } catch (error) {
    const mapped = mapS3Error(error, object);
    if (!(mapped instanceof ObjectNotFoundError) || candidateKeys(item.key).length < 2) throw mapped;
    const resolved = await resolveEventObject(s3, {
      bucket: object.bucket,
      eventKey: item.key,
      ...(item.size !== undefined ? { size: item.size } : {}),
      ...(item.etag ? { etag: item.etag } : {}),
      ...(item.versionId ? { versionId: item.versionId } : {}),
    });
    try {
      return { object: resolved.object, tags: await readTagMap(s3, resolved.object) };
    } catch (again) {
      throw mapS3Error(again, resolved.object);
    }
  }
}

async function readTagMap(s3: S3Client, object: ObjectRef): Promise<Record<string, string>> {
  const response = await s3.send(
    new GetObjectTaggingCommand({ Bucket: object.bucket, Key: object.key, VersionId: object.versionId }),
  );
  const tags: Record<string, string> = {};
  for (const tag of response.TagSet ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

/**
 * For `stale`: the definitions clamd has loaded must be the ones published, or rescanning would
 * stamp objects as current with an older set. The scanner is switched now if it is behind; if it
 * cannot switch, the batch fails with DefinitionsReloadError (retried by the workflow).
 */
async function staleBefore(deps: BatchDependencies): Promise<number> {
  const { scanner, config } = deps;
  const location = { bucket: config.definitionsBucket, prefix: config.definitionsPrefix };
  const published = await resolvePublishedSet(deps.s3, location);
  await scanner.prepare();
  if ((await scanner.engine.definitionsDir.active())?.id !== published.id) await scanner.refresh();
  const loaded = await scanner.engine.definitionsDir.active();
  if (loaded?.id !== published.id) {
    throw new DefinitionsReloadError(
      `clamd has definitions ${loaded?.id ?? '(none)'} loaded, not the published ${published.id}: a stale rescan with them would mark objects as current`,
    );
  }
  return currentSince(
    published.publishedAt,
    config.definitionsCheckIntervalSeconds * 1000,
    config.daemonStartTimeoutMs,
  );
}

function scanned(result: ScanResult, names: StatusNames, seen: Seen): ItemResult {
  const { bucket: _, definitions, reason, ...rest } = result;
  if (definitions) seen.definitions = definitions;
  return {
    ...rest,
    ...(reason !== undefined ? { reason: typeof reason === 'string' ? shortReason(reason) : reason } : {}),
    verdict: verdictOf(result, names),
  };
}

/** The longest reason a bulk result keeps, in characters. */
export const BULK_REASON_LIMIT = 300;

/**
 * A reason as a bulk result keeps it: at most BULK_REASON_LIMIT characters. A reason may quote the
 * object's key (up to 1,024 bytes), which the result holds beside it already, and a batch's
 * results must fit in a state's 256 KiB; the whole reason is in the scanner's log line.
 */
export function shortReason(reason: string): string {
  return reason.length <= BULK_REASON_LIMIT ? reason : `${reason.slice(0, BULK_REASON_LIMIT - 1)}…`;
}

function unchanged(object: ObjectRef, reason: UnchangedReason, status?: string): ItemResult {
  return {
    key: object.key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    unchanged: reason,
    ...(status !== undefined ? { status } : {}),
  };
}

/** The canonical verdict of a result, whatever the configured names and the unscannable policy. */
export function verdictOf(result: Pick<ScanResult, 'status' | 'unscannable'>, names: StatusNames): Verdict {
  if (result.unscannable) return 'UNSCANNABLE';
  return VERDICTS.find((verdict) => names[verdict] === result.status) ?? 'PROCESSING_ERROR';
}

export function countResults(results: readonly ItemResult[]): BulkCounts {
  const counts: Record<BulkCountKey, number> = { ...EMPTY_COUNTS };
  for (const result of results) counts['unchanged' in result ? 'UNCHANGED' : result.verdict]++;
  return counts;
}

export function addCounts(a: BulkCounts, b: BulkCounts): BulkCounts {
  const sum: Record<BulkCountKey, number> = { ...EMPTY_COUNTS };
  for (const key of Object.keys(sum) as BulkCountKey[]) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  return sum;
}
