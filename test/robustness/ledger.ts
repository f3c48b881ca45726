import { appendFileSync } from 'node:fs';

/** `unscannable`: a case clamd could not scan completely, by reason and clamd's name for it. */
export type Category = 'input' | 'fault' | 'guarantee' | 'security' | 'unscannable';

/** The judges the project did not write (ROBUSTNESS.md, "Judges the project did not write"). */
export type Judge = 'cfn-lint' | 'iam-simulate' | 'moto';

/**
 * Counts what the robustness suite tried. Each record is a JSON line in the file named by
 * ROBUSTNESS_LEDGER (set by `npm run test:robustness`, which turns the counts into
 * ROBUSTNESS.md); without it, nothing is written.
 */
export function record(category: Category, name: string): void {
  write({ category, name });
}

/**
 * A figure a test measured (a burst's drain time, the retries it spent), reported in
 * ROBUSTNESS.md with its unit as this run measured it.
 */
export function measure(name: string, value: number, unit: string): void {
  write({ category: 'figure', name, value, unit });
}

/** A check a judge the project did not write made, by what it checked. */
export function judged(judge: Judge, checked: string): void {
  write({ category: 'judge', judge, name: checked });
}

/** What such a judge found that the project's own judges had not (the test asserts it). */
export function judgeFound(judge: Judge, finding: string): void {
  write({ category: 'judge-finding', judge, name: finding });
}

function write(entry: Record<string, unknown>): void {
  const file = process.env.ROBUSTNESS_LEDGER;
  if (file)
    appendFileSync(file, `${JSON.stringify({ ...entry, test: expect.getState().currentTestName })}\n`);
}
