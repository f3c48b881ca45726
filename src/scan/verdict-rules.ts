import type { ClamdVerdict } from '../clamd/protocol';
import type { Verdict } from './contract';
import { type Unscannable, unscannableFinding } from './unscannable';

/** A verdict reached on content: what the result and the tag carry. */
export interface Judgement {
  readonly verdict: Verdict;
  /** What clamd found, when infected or unscannable (its heuristic's name). */
  readonly signature?: string;
  /** Why clamd could not scan the content completely, when UNSCANNABLE. */
  readonly unscannable?: Unscannable;
}

/**
 * The rules every scan path applies, so a file scanned on a workstation gets the verdict it gets
 * when uploaded: content over MAX_FILE_SIZE is SKIPPED without being read (never CLEAN), and
 * only clamd's answer to the complete content decides between CLEAN, INFECTED and UNSCANNABLE.
 */
export function exceedsScanLimit(size: number, settings: { readonly maxFileSize: number }): boolean {
  return size > settings.maxFileSize;
}

/**
 * clamd's answer to a complete stream as a verdict: OK is CLEAN; a FOUND that only says the
 * content could not be scanned completely (encrypted, over a limit, a format ClamAV skips, see
 * unscannable.ts) is UNSCANNABLE; any other FOUND is INFECTED.
 */
export function judgementOf(answer: ClamdVerdict): Judgement {
  if (!answer.infected) return { verdict: 'CLEAN' };
  const unscannable = unscannableFinding(answer.signature);
  return unscannable
    ? { verdict: 'UNSCANNABLE', signature: answer.signature, unscannable }
    : { verdict: 'INFECTED', signature: answer.signature };
}
