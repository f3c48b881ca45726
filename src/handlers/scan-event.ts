import { type BatchEvent, isBatchEvent, parseBatchEvent } from '../bulk/batch-event';
import { type BulkScanLimits, parseLimits } from '../bulk/request';
import { ACCOUNT_ID } from '../config';
import { InvalidEventError } from '../errors';
import type { EventObject, ObjectRef, ObjectTarget, TagRequest } from '../scan/contract';

/**
 * What an invocation asks for:
 * - `direct`: `{bucket, key, versionId?}`, answered with one result;
 * - `s3-notification`: S3 event notification records, answered with `{results: [...]}`;
 * - `eventbridge`: an S3 "Object Created" event from EventBridge, answered with one result;
 * - `warmer`: `{"warmer": true}`, which starts the daemon and scans nothing;
 *
 * and a request of the scan state machine, which needs no daemon:
 * - `tag`: `{"tag": {"verdict", "object", "size"?, "error"?}}`, which tags an object SKIPPED or
 *   PROCESSING_ERROR exactly as a scan would, and answers with the scan result. `object` is
 *   `{bucket, key, versionId?}` or the EventBridge event the execution started with;
 *
 * and the bulk scan workflow's (statemachine/bulk-scan.asl.json):
 * - `batch`: `{Items, BatchInput, previous?}`, a batch as the Distributed Map's ItemBatcher hands it
 *   over, scanned in this invocation (src/bulk/batch.ts);
 * - `bulk-plan`: `{bulkScan, limits, execution, startTime?}`, the request checked and planned (no
 *   daemon); windows back from now are resolved against the execution's start time;
 * - `bulk-report`: `{bulkReport}`, the ResultWriter's report added up (no daemon).
 *
 * The state machines name their execution beside the request, for the result event:
 * `{"scan": <any request above>, "executionArn": "..."}`, or `executionArn` next to `tag`.
 */
export type ScanEvent = ScanRequest & { readonly executionArn?: string };

type ScanRequest =
  | { readonly kind: 'direct'; readonly object: ObjectRef }
  | { readonly kind: 's3-notification'; readonly objects: readonly ObjectRef[] }
  | { readonly kind: 'eventbridge'; readonly event: EventObject }
  | { readonly kind: 'warmer'; readonly fanOut: boolean }
  | { readonly kind: 'tag'; readonly request: TagRequest }
  | { readonly kind: 'batch'; readonly event: BatchEvent }
  | {
      readonly kind: 'bulk-plan';
      readonly request: unknown;
      readonly limits: BulkScanLimits;
      readonly execution: string;
      /** The execution's start (`$$.Execution.StartTime`), milliseconds; absent: the time of planning. */
      readonly startTime?: number;
    }
  | { readonly kind: 'bulk-report'; readonly state: unknown };

type Json = Record<string, unknown>;

export function parseScanEvent(event: unknown): ScanEvent {
  if (!isObject(event)) {
    throw new InvalidEventError(`expected a JSON object as the event, got ${describeValue(event)}`);
  }
  const { executionArn } = event;
  if (executionArn !== undefined && (typeof executionArn !== 'string' || !executionArn.startsWith('arn:'))) {
    throw new InvalidEventError(`executionArn must be an execution ARN, got ${describeValue(executionArn)}`);
  }
  const request = 'scan' in event ? parseRequest(event.scan) : parseRequest(event);
  return executionArn === undefined ? request : { ...request, executionArn };
}

function parseRequest(event: unknown): ScanRequest {
  if (!isObject(event)) {
    throw new InvalidEventError(`expected a JSON object as the request, got ${describeValue(event)}`);
  }
  if (event.warmer === true) {
    // A warmer invoked by another warmer must not fan out again.
    return { kind: 'warmer', fanOut: event.fanOut !== false };
  }
  if ('tag' in event) return { kind: 'tag', request: parseTagRequest(event.tag) };
  if (isBatchEvent(event)) return { kind: 'batch', event: parseBatchEvent(event) };
  if ('bulkScan' in event) {
    return {
      kind: 'bulk-plan',
      request: event.bulkScan,
      limits: parseLimits(event.limits),
      execution: typeof event.execution === 'string' && event.execution !== '' ? event.execution : 'manual',
      ...startTimeOf(event.startTime),
    };
  }
  if ('bulkReport' in event) return { kind: 'bulk-report', state: event.bulkReport };
  if ('Records' in event) return { kind: 's3-notification', objects: parseRecords(event.Records) };
  if (event.source === 'aws.s3' && 'detail' in event) {
    return { kind: 'eventbridge', event: parseEventBridge(event) };
  }
  if ('bucket' in event || 'key' in event) {
    return {
      kind: 'direct',
      object: {
        ...objectRef(event.bucket, event.key, event.versionId, 'the event'),
        ...accountOf(event.account, 'the event'),
      },
    };
  }
  throw new InvalidEventError(
    `unrecognised event: expected {bucket, key[, versionId]}, an S3 event notification (Records), an EventBridge "Object Created" event or {"warmer": true}; got keys ${JSON.stringify(Object.keys(event))}`,
  );
}

/**
 * Object keys in S3 event notifications are URL-encoded the way HTML forms are (documented by
 * AWS): a space is `+`, and anything else special is `%XX` (a literal `+` arrives as `%2B`).
 */
export function decodeEventKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new InvalidEventError(`object key ${JSON.stringify(key)} is not valid URL encoding`);
  }
}

function parseTagRequest(tag: unknown): TagRequest {
  if (!isObject(tag)) throw new InvalidEventError(`tag must be an object, got ${describeValue(tag)}`);
  const { verdict, size, error } = tag;
  if (verdict !== 'SKIPPED' && verdict !== 'PROCESSING_ERROR') {
    throw new InvalidEventError(
      `tag.verdict must be SKIPPED or PROCESSING_ERROR, got ${describeValue(verdict)}`,
    );
  }
  const target = parseTagTarget(tag.object);
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
    throw new InvalidEventError(`tag.size must be a byte count, got ${describeValue(size)}`);
  }
  const caught = isObject(error)
    ? { name: String(error.Error ?? 'States.TaskFailed'), cause: describeCause(error.Cause) }
    : undefined;
  return {
    verdict,
    target,
    ...(typeof size === 'number' ? { size } : {}),
    ...(caught ? { error: caught } : {}),
  };
}

/** The state machine passes its input: `{bucket, key, versionId?}` or an EventBridge event. */
function parseTagTarget(object: unknown): ObjectTarget {
  const target = isObject(object) ? object : {};
  if (target.source === 'aws.s3' && 'detail' in target) {
    return { kind: 'event', event: parseEventBridge(target) };
  }
  return {
    kind: 'ref',
    ref: {
      ...objectRef(target.bucket, target.key, target.versionId, 'tag.object'),
      ...accountOf(target.account, 'tag.object'),
    },
  };
}

/** A Lambda error's cause is its JSON payload; other causes are plain text. */
function describeCause(cause: unknown): string {
  if (typeof cause !== 'string') return cause === undefined ? '' : JSON.stringify(cause);
  try {
    const parsed: unknown = JSON.parse(cause);
    if (isObject(parsed) && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message itself
  }
  return cause;
}

function parseRecords(records: unknown): ObjectRef[] {
  if (!Array.isArray(records) || records.length === 0) {
    throw new InvalidEventError('S3 event notification has no Records');
  }
  return records.map((record: unknown, index) => {
    const where = `Records[${index}]`;
    if (!isObject(record) || !isObject(record.s3)) {
      throw new InvalidEventError(`${where} is not an S3 event record (no s3 member)`);
    }
    const bucket = isObject(record.s3.bucket) ? record.s3.bucket.name : undefined;
    const object = isObject(record.s3.object) ? record.s3.object : {};
    return objectRef(bucket, decodeIfString(object.key), object.versionId, where);
  });
}

function parseEventBridge(event: Json): EventObject {
  const where = 'EventBridge event detail';
  const detail = isObject(event.detail) ? event.detail : {};
  const bucket = isObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isObject(detail.object) ? detail.object : {};
  // The key stays as the event carries it: the scanner finds the object it stands for.
  const ref = objectRef(bucket, object.key, object['version-id'], where);
  const { size, etag } = object;
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
    throw new InvalidEventError(`${where}: object.size must be a byte count, got ${describeValue(size)}`);
  }
  if (etag !== undefined && typeof etag !== 'string') {
    throw new InvalidEventError(`${where}: object.etag must be a string, got ${describeValue(etag)}`);
  }
  return {
    bucket: ref.bucket,
    eventKey: ref.key,
    ...(typeof size === 'number' ? { size } : {}),
    ...(typeof etag === 'string' && etag !== '' ? { etag } : {}),
    ...(ref.versionId ? { versionId: ref.versionId } : {}),
    ...(typeof event.time === 'string' ? { time: event.time } : {}),
    ...accountOf(event.account, 'the event'),
  };
}

/**
 * The account that owns the object: an EventBridge event's `account` (set by EventBridge to the
 * account the event came from), or a direct request's. Only an organization hub uses it.
 */
function accountOf(account: unknown, where: string): { account?: string } {
  if (account === undefined) return {};
  if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) {
    throw new InvalidEventError(
      `${where}: account must be a 12-digit AWS account id, got ${describeValue(account)}`,
    );
  }
  return { account };
}

function objectRef(bucket: unknown, key: unknown, versionId: unknown, where: string): ObjectRef {
  const missing = [
    typeof bucket === 'string' && bucket !== '' ? undefined : describeField('bucket', bucket),
    typeof key === 'string' && key !== '' ? undefined : describeField('key', key),
  ].filter((problem) => problem !== undefined);
  if (missing.length > 0) throw new InvalidEventError(`${where}: ${missing.join('; ')}`);
  if (versionId !== undefined && versionId !== null && (typeof versionId !== 'string' || versionId === '')) {
    throw new InvalidEventError(
      `${where}: versionId must be a non-empty string, got ${describeValue(versionId)}`,
    );
  }
  return typeof versionId === 'string'
    ? { bucket: bucket as string, key: key as string, versionId }
    : { bucket: bucket as string, key: key as string };
}

function describeField(name: string, value: unknown): string {
  if (value === undefined) return `${name} is missing`;
  if (value === '') return `${name} is empty`;
  return `${name} must be a string, got ${describeValue(value)}`;
}

function decodeIfString(value: unknown): unknown {
  return typeof value === 'string' ? decodeEventKey(value) : value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${JSON.stringify(value)}`;
}

/** `$$.Execution.StartTime` as Step Functions gives it (ISO 8601); anything else is refused. */
function startTimeOf(value: unknown): { startTime?: number } {
  if (value === undefined) return {};
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw new InvalidEventError(`startTime must be an ISO 8601 time, got ${describeValue(value)}`);
  }
  return { startTime: parsed };
}
