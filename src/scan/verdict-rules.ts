import type { ClamdVerdict } from '../clamd/protocol';
import type { Verdict } from '../status';

/** A verdict reached on content: what the result and the tag carry. */
export interface Judgement {
  readonly verdict: Verdict;
  /** What clamd found, when infected. */
  readonly signature?: string;
}

/**
 * The rules every scan path applies, so a file scanned on a workstation gets the verdict it gets
 * when uploaded: content over MAX_FILE_SIZE is SKIPPED without being read (never CLEAN), and
 * only clamd's answer to the complete content decides between CLEAN and INFECTED.
 */
export function exceedsScanLimit(size: number, settings: { readonly maxFileSize: number }): boolean {
  return size > settings.maxFileSize;
}

/**
 * clamd's answer to a complete stream as a verdict. Any FOUND is INFECTED, heuristics included:
 * `Heuristics.Limits.Exceeded.*` and `Heuristics.Encrypted.*` mean clamd could not scan it all.
 */
export function judgementOf(answer: ClamdVerdict): Judgement {
  return answer.infected ? { verdict: 'INFECTED', signature: answer.signature } : { verdict: 'CLEAN' };
}
