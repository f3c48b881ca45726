import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { placeholdersOf } from '../../../src/asl/placeholders';
import { budgetedRetriers, expectedWaitSeconds, maximumWaits } from '../../../src/asl/retry-budget';
import { SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { withScaledRetryWaits, writeScaledDefinition } from '../../support/scaled-retries';

const scan = JSON.parse(readFileSync(SCAN_STATE_MACHINE, 'utf8'));

test('a scaled copy waits the factor less on each budgeted retry: same attempts, backoff and full jitter', () => {
  const scaled = withScaledRetryWaits(scan, 10);

  const before = budgetedRetriers(scan);
  const after = budgetedRetriers(scaled);
  expect(after.map((b) => b.state)).toEqual(before.map((b) => b.state));
  for (const [i, { retrier }] of after.entries()) {
    const original = before[i]?.retrier ?? retrier;
    const attempts = original.MaxAttempts ?? 0;
    expect(retrier).toEqual({
      ...original,
      IntervalSeconds: (original.IntervalSeconds ?? 1) / 10,
      MaxDelaySeconds: (original.MaxDelaySeconds ?? 0) / 10,
    });
    expect(maximumWaits(retrier, attempts)).toEqual(maximumWaits(original, attempts).map((w) => w / 10));
    expect(expectedWaitSeconds(retrier, attempts)).toBeCloseTo(expectedWaitSeconds(original, attempts) / 10);
  }
});

test('retriers that are not budgeted, and the original definition, are left as they are', () => {
  const text = JSON.stringify(scan);

  const scaled = withScaledRetryWaits(scan, 4);

  expect(JSON.stringify(scan)).toBe(text);
  expect(scaled.States.HeadObject).toEqual(scan.States.HeadObject);
  expect(scaled.States.Scan.Retry.slice(1)).toEqual(scan.States.Scan.Retry.slice(1));
  expect(() => withScaledRetryWaits(scan, 0)).toThrow('the factor must be positive, got 0');
});

test('the scaled file keeps its name and placeholders, for runLocalExecution to fill', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-scaled-'));
  try {
    const file = writeScaledDefinition(SCAN_STATE_MACHINE, 10, dir);

    expect(path.basename(file)).toBe('scan.asl.json');
    const text = readFileSync(file, 'utf8');
    expect(placeholdersOf(text)).toEqual(['MaxFileSize', 'Partition', 'ScannerFunctionArn']);
    expect(JSON.parse(text)).toEqual(withScaledRetryWaits(scan, 10));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
