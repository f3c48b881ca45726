import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DefinitionLike, isBudgeted, mapRetriers } from '../../src/asl/retry-budget';

/**
 * A copy of a state machine definition whose budgeted retriers (those with `MaxDelaySeconds`,
 * src/asl/retry-budget.ts) wait `factor` times less: their `IntervalSeconds` and
 * `MaxDelaySeconds` are divided by it (the local runner takes fractional seconds), their
 * `MaxAttempts`, `BackoffRate` and `JitterStrategy` kept. The retries keep their shape (as many,
 * growing the same way up to the cap, with the same full jitter), and the whole budget shrinks by
 * the factor, so a test can run a burst against the real budget in a fraction of its time.
 *
 * The runner's `retryIntervalOverrides` cannot do this: it replaces every wait with one fixed
 * value and turns off backoff and jitter. Other retriers (about the object, or S3) are left as
 * they are.
 */
export function withScaledRetryWaits<T extends DefinitionLike>(definition: T, factor: number): T {
  if (!(factor > 0)) throw new Error(`the factor must be positive, got ${factor}`);
  return mapRetriers(definition, (retrier) =>
    isBudgeted(retrier)
      ? {
          ...retrier,
          IntervalSeconds: (retrier.IntervalSeconds ?? 1) / factor,
          MaxDelaySeconds: (retrier.MaxDelaySeconds as number) / factor,
        }
      : retrier,
  );
}

/**
 * Writes the scaled copy of an ASL file into `directory` (same name; placeholders kept, for
 * runLocalExecution to fill) and returns its path.
 */
export function writeScaledDefinition(file: string, factor: number, directory: string): string {
  const scaled = withScaledRetryWaits(JSON.parse(readFileSync(file, 'utf8')) as DefinitionLike, factor);
  const target = path.join(directory, path.basename(file));
  writeFileSync(target, `${JSON.stringify(scaled, null, 2)}\n`);
  return target;
}
