import { GetObjectCommand, type GetObjectCommandOutput, type S3Client, type Tag } from '@aws-sdk/client-s3';
import type { ClamdClient } from '../clamd/protocol';
import {
  ClamdProtocolError,
  DaemonConnectionError,
  DaemonStartupError,
  ObjectNotFoundError,
  ObjectReadError,
  ScanTimeoutError,
  TagLimitExceededError,
} from '../errors';
import type { StatusNames, UnscannablePolicy } from '../settings';
import type { ObjectRef, ScanResult, Verdict } from './contract';
import { mapS3Error } from './s3-errors';
import { statusName } from './status-name';
import { readTags, readVersionTags, type TagsRead, writeMergedTags } from './tags';
import { unscannableFields } from './unscannable';
import { exceedsScanLimit, type Judgement, judgementOf } from './verdict-rules';

export interface ScanSettings {
  readonly statusNames: StatusNames;
  readonly unscannablePolicy: UnscannablePolicy;
  readonly statusTagKey: string;
  readonly timestampTagKey: string;
  readonly maxFileSize: number;
  readonly scanTimeoutMs: number;
}

export interface ScanDependencies {
  readonly s3: S3Client;
  readonly clamd: ClamdClient;
  readonly settings: ScanSettings;
  /** The definitions clamd has loaded, as reported in results. */
  readonly definitions: string | undefined;
  /**
   * After clamd dropped a stream: undefined when clamd itself is gone or hung (a retryable
   * daemon failure), else what it said about the stream it refused (a failure of this object).
   */
  readonly refusal?: () => Promise<string | undefined>;
  /**
   * After clamd gave no verdict in time: true when clamd no longer answers and was stopped (the
   * next scan starts a fresh one), false when it answers, so it was the object that kept it busy.
   */
  readonly replacedIfUnresponsive?: () => Promise<boolean>;
}

export interface ScanOutcome {
  readonly verdict: Verdict;
  readonly result: ScanResult;
}

/** Errors another attempt can fix: they are thrown to the caller (the state machine retries them). */
export function isRetryable(error: unknown): boolean {
  return error instanceof DaemonStartupError || error instanceof DaemonConnectionError;
}

/**
 * Scans one object and tags it. The object's bytes go from S3 straight into clamd's socket; an
 * object over the size limit is SKIPPED without its body being read. Any failure specific to the
 * object becomes a PROCESSING_ERROR result (tagged when the object can be tagged); failures of
 * the daemon are thrown, since another attempt can succeed.
 */
export async function scanAndTag(deps: ScanDependencies, object: ObjectRef): Promise<ScanOutcome> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  let scanned: ObjectRef = object;
  let existingTags: Promise<Tag[]> | undefined;
  let found: Judgement | undefined;
  let size: number | undefined;
  try {
    // The tags are read while the object is fetched and scanned: only the tag write waits for the
    // verdict. Read before the GET names a version, they are re-read if S3 served another one.
    const earlyTags = readVersionTags(deps.s3, object);
    earlyTags.catch(() => undefined);
    const response = await getObject(deps.s3, object);
    scanned = response.VersionId ? { ...object, versionId: response.VersionId } : object;
    size = response.ContentLength ?? 0;
    existingTags = tagsOfVersion(deps.s3, scanned, earlyTags).catch((error: unknown) =>
      Promise.reject(mapS3Error(error, scanned)),
    );
    existingTags.catch(() => undefined);
    found = await judge(deps, response, size);
    const timestamp = Date.now();
    await writeMergedTags(deps.s3, scanned, await existingTags, {
      [deps.settings.statusTagKey]: statusOf(deps, found.verdict),
      [deps.settings.timestampTagKey]: String(timestamp),
    }).catch((error: unknown) => Promise.reject(mapS3Error(error, scanned)));
    return {
      verdict: found.verdict,
      result: {
        ...resultBase(deps, scanned, found.verdict),
        size,
        ...(found.signature ? { signature: found.signature } : {}),
        ...(found.unscannable ? unscannableFields(found.unscannable) : {}),
        timestamp,
        durationMs: elapsed(),
      },
    };
  } catch (caught) {
    let error = caught;
    if (error instanceof ScanTimeoutError && (await deps.replacedIfUnresponsive?.())) {
      // clamd itself hung: nothing is known about the object, and a fresh clamd may scan it.
      error = new DaemonConnectionError(error.message, { cause: error });
    }
    if (error instanceof DaemonConnectionError && deps.refusal) {
      const refused = await deps.refusal();
      if (refused !== undefined) {
        error = new ClamdProtocolError(`clamd refused the object: ${refused}`, { cause: error });
      }
    }
    if (isRetryable(error)) throw error;
    const failure = asError(error);
    // A missing object cannot be tagged, and one with no room for our tags is left as it is.
    const cannotTag = failure instanceof TagLimitExceededError || failure instanceof ObjectNotFoundError;
    const tagged = cannotTag ? undefined : await tagVerdict(deps, scanned, 'PROCESSING_ERROR', existingTags);
    return {
      verdict: 'PROCESSING_ERROR',
      result: {
        ...resultBase(deps, scanned, 'PROCESSING_ERROR'),
        ...(size !== undefined ? { size } : {}),
        ...(found?.signature ? { signature: found.signature } : {}),
        ...(tagged && 'timestamp' in tagged ? { timestamp: tagged.timestamp } : {}),
        durationMs: elapsed(),
        error: failure.name,
        reason:
          tagged && 'failure' in tagged
            ? `${failure.message}; the object could not be tagged: ${tagged.failure.message}`
            : failure.message,
      },
    };
  }
}

/**
 * The tags of the version scanned: those read early when they are that version's (S3 answers
 * GetObjectTagging with the version it read), else read again for it. Without versioning both
 * answers name no version (or "null") and the early read stands, as a read after the GET would.
 */
async function tagsOfVersion(s3: S3Client, scanned: ObjectRef, early: Promise<TagsRead>): Promise<Tag[]> {
  const read = await early;
  if (scanned.versionId === undefined || read.versionId === scanned.versionId) return read.tags;
  return readTags(s3, scanned);
}

/** A verdict reached without scanning the object, to be written to its tags. */
export interface UnscannedVerdict {
  readonly verdict: 'SKIPPED' | 'PROCESSING_ERROR';
  readonly size?: number;
  /** Step Functions' description of a caught error: its name and cause. */
  readonly error?: { readonly name: string; readonly cause: string };
}

/**
 * Tags an object with a verdict reached without scanning it (SKIPPED over the size limit, or a
 * PROCESSING_ERROR the state machine caught), merged exactly as after a scan. A SKIPPED object
 * that cannot be tagged becomes a PROCESSING_ERROR, as after a scan. An object that turns out not
 * to exist is reported as ObjectNotFoundError, whatever error led here.
 */
export async function tagWithoutScan(
  deps: ScanDependencies,
  object: ObjectRef,
  request: UnscannedVerdict,
): Promise<ScanOutcome> {
  const startedAt = performance.now();
  const tagged = await tagVerdict(deps, object, request.verdict, undefined);
  const failed = 'failure' in tagged ? tagged.failure : undefined;
  const verdict: Verdict = failed ? 'PROCESSING_ERROR' : request.verdict;
  const caught = request.error ? `${request.error.name}: ${request.error.cause || '(no cause)'}` : undefined;
  const missing = failed instanceof ObjectNotFoundError;
  const reasons = missing
    ? [failed.message, ...(caught ? [`(${caught})`] : [])]
    : [
        ...(request.error ? [request.error.cause || request.error.name] : []),
        ...(failed ? [`the object could not be tagged: ${failed.message}`] : []),
      ];
  const error = missing ? failed.name : (request.error?.name ?? failed?.name);
  return {
    verdict,
    result: {
      ...resultBase(deps, object, verdict),
      ...(request.size !== undefined ? { size: request.size } : {}),
      ...('timestamp' in tagged ? { timestamp: tagged.timestamp } : {}),
      durationMs: Math.round(performance.now() - startedAt),
      ...(error ? { error } : {}),
      ...(reasons.length > 0 ? { reason: reasons.join(' ') } : {}),
    },
  };
}

/**
 * The result for an object that could not even be identified (an event whose key matches no
 * object): PROCESSING_ERROR, nothing tagged.
 */
export function unidentifiedResult(
  deps: Pick<ScanDependencies, 'settings' | 'definitions'>,
  where: { readonly bucket: string; readonly key: string },
  failure: Error,
  durationMs: number,
  caught?: UnscannedVerdict['error'],
): ScanOutcome {
  return {
    verdict: 'PROCESSING_ERROR',
    result: {
      ...resultBase(deps, where, 'PROCESSING_ERROR'),
      durationMs,
      error: failure.name,
      reason: caught ? `${failure.message} (${caught.name}: ${caught.cause})` : failure.message,
    },
  };
}

/** The object's content judged by the verdict rules (verdict-rules.ts), before it is tagged. */
async function judge(
  deps: ScanDependencies,
  response: GetObjectCommandOutput,
  size: number,
): Promise<Judgement> {
  const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  try {
    if (exceedsScanLimit(size, deps.settings)) return { verdict: 'SKIPPED' };
    if (!body) throw new ObjectReadError('S3 returned no body for the object');
    const { verdict } = await deps.clamd.scanStream(body, {
      expectedBytes: size,
      timeoutMs: deps.settings.scanTimeoutMs,
    });
    return judgementOf(verdict);
  } finally {
    // An unread or partly read body holds a connection open.
    body?.destroy?.();
  }
}

/** Tags an object with a verdict; returns the timestamp written, or why it could not be tagged. */
async function tagVerdict(
  deps: ScanDependencies,
  object: ObjectRef,
  verdict: Verdict,
  existingTags: Promise<Tag[]> | undefined,
): Promise<{ timestamp: number } | { failure: Error }> {
  try {
    const tags = await (existingTags ?? readTags(deps.s3, object));
    const timestamp = Date.now();
    await writeMergedTags(deps.s3, object, tags, {
      [deps.settings.statusTagKey]: statusOf(deps, verdict),
      [deps.settings.timestampTagKey]: String(timestamp),
    });
    return { timestamp };
  } catch (error) {
    return { failure: mapS3Error(error, object) };
  }
}

function resultBase(
  deps: Pick<ScanDependencies, 'settings' | 'definitions'>,
  object: ObjectRef,
  verdict: Verdict,
) {
  return {
    status: statusOf(deps, verdict),
    bucket: object.bucket,
    key: object.key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(deps.definitions ? { definitions: deps.definitions } : {}),
  };
}

function statusOf(deps: Pick<ScanDependencies, 'settings'>, verdict: Verdict): string {
  return statusName(deps.settings.statusNames, deps.settings.unscannablePolicy, verdict);
}

async function getObject(s3: S3Client, object: ObjectRef): Promise<GetObjectCommandOutput> {
  try {
    return await s3.send(
      new GetObjectCommand({ Bucket: object.bucket, Key: object.key, VersionId: object.versionId }),
    );
  } catch (error) {
    throw mapS3Error(error, object);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
