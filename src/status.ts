import type { StatusNames } from './config';

/** The four outcomes of a scan. Results and tags carry the configured name of each. */
export type Verdict = keyof StatusNames;

export const VERDICTS: readonly Verdict[] = ['CLEAN', 'INFECTED', 'SKIPPED', 'PROCESSING_ERROR'];
