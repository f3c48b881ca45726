import type { StatusNames, UnscannablePolicy } from '../settings';
import type { Verdict } from './contract';

/**
 * The status written to the object's tag and the result for a verdict: its configured name,
 * except that `block-as-infected` writes UNSCANNABLE content as INFECTED (the behaviour before
 * UNSCANNABLE existed), so buckets that block only INFECTED keep blocking it.
 */
export function statusName(names: StatusNames, policy: UnscannablePolicy, verdict: Verdict): string {
  return verdict === 'UNSCANNABLE' && policy === 'block-as-infected' ? names.INFECTED : names[verdict];
}
