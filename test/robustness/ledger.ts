import { appendFileSync } from 'node:fs';

/** `unscannable`: a case clamd could not scan completely, by reason and clamd's name for it. */
export type Category = 'input' | 'fault' | 'guarantee' | 'security' | 'unscannable';

/**
 * Counts what the robustness suite tried. Each record is a JSON line in the file named by
 * ROBUSTNESS_LEDGER (set by `npm run test:robustness`, which turns the counts into
 * ROBUSTNESS.md); without it, nothing is written.
 */
export function record(category: Category, name: string): void {
  const file = process.env.ROBUSTNESS_LEDGER;
  if (file)
    appendFileSync(file, `${JSON.stringify({ category, name, test: expect.getState().currentTestName })}\n`);
}
