import type { StatusNames } from '../settings';
import type { UnscannableReason } from './unscannable';

/**
 * The scan contract: what flows between the layers, from an event to a verdict and its result.
 * handlers/scan-event.ts produces requests of these types, the scanner and scan/ act on them, handlers,
 * results/ and the clients pass the results on.
 */

/** One S3 object, or one version of it. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /**
   * The AWS account that owns the bucket, when it is not the deployment's own (a member account
   * of an organization hub, docs/organization.md): the object is read and tagged through that
   * account's member role. Absent: the deployment's own account.
   */
  readonly account?: string;
}

/**
 * An object as an EventBridge "Object Created" event names it. AWS documents that keys in S3
 * event notifications are URL-encoded (a space as `+`), but says nothing either way for
 * EventBridge events, and public reports disagree. So the key is kept exactly as the event
 * carries it, with what the event says about the object, and the object is found by matching
 * those facts (src/scan/resolve-object.ts), never by guessing the encoding.
 */
export interface EventObject {
  readonly bucket: string;
  /** `detail.object.key`, as written in the event. */
  readonly eventKey: string;
  readonly size?: number;
  /** Without the quotes S3 puts around ETags in HTTP headers. */
  readonly etag?: string;
  readonly versionId?: string;
  /** When the event happened (the event's `time`), ISO 8601. */
  readonly time?: string;
  /** The event's `account`: the account whose bucket sent it (EventBridge sets it, not the sender). */
  readonly account?: string;
}

/** What a scan or a tag request is about: an exact object, or one named by an event. */
export type ObjectTarget =
  | { readonly kind: 'ref'; readonly ref: ObjectRef }
  | { readonly kind: 'event'; readonly event: EventObject };

/** A verdict reached without scanning: over the size limit, or a failure the state machine caught. */
export interface TagRequest {
  readonly verdict: 'SKIPPED' | 'PROCESSING_ERROR';
  readonly target: ObjectTarget;
  readonly size?: number;
  /** Step Functions' description of a caught error: its name and cause. */
  readonly error?: { readonly name: string; readonly cause: string };
}

/**
 * The five outcomes of a scan. Results and tags carry the configured name of each; metrics carry
 * the verdict itself (the `Status` dimension), whatever the names and the policy.
 *
 * Where verdicts leave the scanner for other systems (result events, the GuardDuty-compatible
 * tag preset: not built yet), UNSCANNABLE is GuardDuty's `UNSUPPORTED`, never `THREATS_FOUND`.
 */
export type Verdict = keyof StatusNames;

export const VERDICTS: readonly Verdict[] = [
  'CLEAN',
  'INFECTED',
  'UNSCANNABLE',
  'SKIPPED',
  'PROCESSING_ERROR',
];

/** The result contract: what the handler returns and the state machine passes on. */
export interface ScanResult {
  /** The configured name of the verdict (FILE_STATUS_*; UNSCANNABLE_POLICY decides UNSCANNABLE's). */
  readonly status: string;
  /** The account owning the bucket, for an organization hub (docs/organization.md). */
  readonly account?: string;
  readonly bucket: string;
  readonly key: string;
  /** The version scanned and tagged, when S3 reports one. */
  readonly versionId?: string;
  /** Size of the object in bytes, when it was read. */
  readonly size?: number;
  /** Name of what clamd found, when infected or unscannable (its heuristic's name). */
  readonly signature?: string;
  /** clamd's version line: engine version, database version and its date. */
  readonly definitions?: string;
  /** The value written to the timestamp tag, in milliseconds since the epoch. */
  readonly timestamp?: number;
  /** Time from the start of the object's scan to its tags written. */
  readonly durationMs: number;
  /** For PROCESSING_ERROR: the error's name (one of the named errors). */
  readonly error?: string;
  /** For PROCESSING_ERROR: what happened. For an unscannable object: why it could not be scanned. */
  readonly reason?: string | UnscannableReason;
  /**
   * True when clamd could not scan the object completely, whatever status the policy wrote
   * (UNSCANNABLE, or INFECTED under `block-as-infected`).
   */
  readonly unscannable?: true;
  /** For `reason: 'limits-exceeded'`: which limit, as clamd names it. */
  readonly limit?: string;
}
