import type { StatusNames } from '../settings';

/**
 * What a bulk scan does with an object that already has a verdict:
 * - `unscanned`: scans only objects without a status tag;
 * - `stale`: also rescans objects whose scan predates the definitions now published (and
 *   objects whose last attempt was a PROCESSING_ERROR, which no definitions judged);
 * - `all`: scans every object.
 */
export const BULK_MODES = ['unscanned', 'stale', 'all'] as const;
export type BulkMode = (typeof BULK_MODES)[number];

/** Why a bulk scan left an object as it is: counted and reported, never tagged again. */
export const UNCHANGED_REASONS = [
  'already-scanned',
  'current',
  'not-modified-since',
  // Modified at or after `modifiedBefore`: an upload the event path may still be scanning.
  'too-recent',
  // Outside the bucket's scan filter: its upload rule leaves it unscanned on purpose.
  'filtered-out',
  'archived',
] as const;
export type UnchangedReason = (typeof UNCHANGED_REASONS)[number];

export interface ModeRules {
  readonly mode: BulkMode;
  readonly statusTagKey: string;
  readonly timestampTagKey: string;
  readonly statusNames: StatusNames;
  readonly maxFileSize: number;
  /**
   * For `stale`: a scan whose timestamp is at or after this instant (milliseconds) was made with
   * the definitions loaded now. Before it, it may have used an older set.
   */
  readonly currentSince?: number;
}

export type ModeDecision =
  | { readonly action: 'scan' }
  | { readonly action: 'leave'; readonly reason: UnchangedReason; readonly status: string };

/**
 * Decides from an object's tags (and its size) whether a bulk scan scans it. Only the status and
 * timestamp tags matter: the owner's tags are never read as verdicts.
 */
export function decide(
  tags: Readonly<Record<string, string>>,
  size: number | undefined,
  rules: ModeRules,
): ModeDecision {
  const status = tags[rules.statusTagKey];
  if (rules.mode === 'all' || status === undefined) return { action: 'scan' };
  if (rules.mode === 'unscanned') return { action: 'leave', reason: 'already-scanned', status };
  const names = rules.statusNames;
  // A status we did not write (names changed since, or someone else's) judges nothing.
  if (status === names.PROCESSING_ERROR || !Object.values(names).includes(status)) return { action: 'scan' };
  // SKIPPED depends on the size limit, not on the definitions: still over it, still SKIPPED.
  if (status === names.SKIPPED) {
    return size !== undefined && size > rules.maxFileSize
      ? { action: 'leave', reason: 'current', status }
      : { action: 'scan' };
  }
  const scannedAt = Number(tags[rules.timestampTagKey]);
  const current =
    Number.isFinite(scannedAt) && rules.currentSince !== undefined && scannedAt >= rules.currentSince;
  return current ? { action: 'leave', reason: 'current', status } : { action: 'scan' };
}

/**
 * For `stale`: from when a scan used the set published at `publishedAt`. A warm scanner looks for
 * a new set every `checkIntervalMs` and switches within `switchMs` (clamd's start or reload
 * budget), so scans of that window may still have used the previous set: they count as stale.
 * Without a publication time every scan counts as stale.
 */
export function currentSince(
  publishedAt: string | undefined,
  checkIntervalMs: number,
  switchMs: number,
): number {
  const published = publishedAt === undefined ? Number.NaN : Date.parse(publishedAt);
  return Number.isNaN(published) ? Number.POSITIVE_INFINITY : published + checkIntervalMs + switchMs;
}
