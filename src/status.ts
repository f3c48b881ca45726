import type { StatusNames, UnscannablePolicy } from './settings';

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

/**
 * The status written to the object's tag and the result for a verdict: its configured name,
 * except that `block-as-infected` writes UNSCANNABLE content as INFECTED (the behaviour before
 * UNSCANNABLE existed), so buckets that block only INFECTED keep blocking it.
 */
export function statusName(names: StatusNames, policy: UnscannablePolicy, verdict: Verdict): string {
  return verdict === 'UNSCANNABLE' && policy === 'block-as-infected' ? names.INFECTED : names[verdict];
}
