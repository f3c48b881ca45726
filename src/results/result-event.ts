import type { ScanResult, Verdict } from '../scan/contract';
import { type InfectedAction, SERVICE_NAME, type StatusNames } from '../settings';

/** `source` of every event lambda-av publishes. */
export const EVENT_SOURCE = SERVICE_NAME;
/** `detail-type` of a scan's final result. */
export const RESULT_DETAIL_TYPE = 'Scan Result';
/** `detail-type` of an action's outcome on an INFECTED object (quarantine, delete). */
export const ACTION_DETAIL_TYPE = 'Infected Object Action';
/** Changes only when a field changes meaning or goes away; new fields may be added. */
export const RESULT_SCHEMA_VERSION = 1;

/** The `detail` of a "Scan Result" event (README, "Result events"). */
export interface ResultEventDetail {
  readonly schemaVersion: number;
  /** The account owning the bucket, on an organization hub (docs/organization.md); absent: the hub's own. */
  readonly account?: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** The canonical verdict: CLEAN, INFECTED, UNSCANNABLE, SKIPPED or PROCESSING_ERROR. */
  readonly verdict: Verdict;
  /** The configured name written to the status tag (FILE_STATUS_*, UNSCANNABLE_POLICY). */
  readonly status: string;
  readonly signature?: string;
  /** True when clamd could not scan the object completely, with why and which limit. */
  readonly unscannable?: true;
  readonly reason?: string;
  readonly limit?: string;
  /** For PROCESSING_ERROR: the error's name. */
  readonly error?: string;
  /** clamd's version line: engine, database version and date. */
  readonly definitions?: string;
  /** When the tags were written (ISO 8601). */
  readonly scannedAt?: string;
  readonly durationMs: number;
  readonly size?: number;
  /** The scan state machine execution that scanned it; absent for a direct invocation. */
  readonly executionArn?: string;
  /** What the stack's actions workflow will do with this INFECTED object; absent otherwise. */
  readonly action?: InfectedAction;
}

/** Where a result came from, beyond the scan itself. */
export interface ResultOrigin {
  readonly executionArn?: string;
}

/**
 * The event for one final result. The action is named only for an object tagged with the
 * INFECTED name (which `block-as-infected` also gives unscannable content): SKIPPED, UNSCANNABLE
 * under `report` and PROCESSING_ERROR objects are never acted on.
 */
export function resultEventDetail(
  verdict: Verdict,
  result: ScanResult,
  settings: {
    readonly statusNames: StatusNames;
    readonly infectedActions: Readonly<Record<string, InfectedAction>>;
  },
  origin: ResultOrigin = {},
): ResultEventDetail {
  const action =
    result.status === settings.statusNames.INFECTED ? settings.infectedActions[result.bucket] : undefined;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    ...(result.account !== undefined ? { account: result.account } : {}),
    bucket: result.bucket,
    key: result.key,
    ...(result.versionId !== undefined ? { versionId: result.versionId } : {}),
    verdict,
    status: result.status,
    ...(result.signature !== undefined ? { signature: result.signature } : {}),
    ...(result.unscannable ? { unscannable: true as const } : {}),
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    ...(result.limit !== undefined ? { limit: result.limit } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.definitions !== undefined ? { definitions: result.definitions } : {}),
    ...(result.timestamp !== undefined ? { scannedAt: new Date(result.timestamp).toISOString() } : {}),
    durationMs: result.durationMs,
    ...(result.size !== undefined ? { size: result.size } : {}),
    ...(origin.executionArn !== undefined ? { executionArn: origin.executionArn } : {}),
    ...(action !== undefined ? { action } : {}),
  };
}
