/**
 * Retry budgets of the scan state machine (issue: every upload gets a verdict under bursts).
 *
 * A retrier with `MaxDelaySeconds` is a budgeted one: the errors it catches (Lambda throttling
 * and service errors, a clamd that is still starting) say nothing about the object, so its
 * attempts are sized to last a whole budget rather than a fixed count. Its waits grow from
 * `IntervalSeconds` by `BackoffRate` up to `MaxDelaySeconds`, and with `JitterStrategy: FULL`
 * each wait is drawn uniformly between zero and that, so that throttled executions spread out
 * instead of retrying together. The budget is the expected total wait: the retries last that long
 * on average, and at most twice as long.
 */

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

interface StateLike {
  readonly Retry?: readonly Retrier[];
  readonly Branches?: readonly DefinitionLike[];
  readonly Iterator?: DefinitionLike;
  readonly ItemProcessor?: DefinitionLike;
  readonly [key: string]: unknown;
}

export interface DefinitionLike {
  readonly States: Readonly<Record<string, StateLike>>;
  readonly [key: string]: unknown;
}

/** The budget of a throttled or starting scan: at least 30 minutes (a burst drains meanwhile). */
export const DEFAULT_RETRY_BUDGET_SECONDS = 30 * 60;

/** ASL's defaults for the fields a retrier leaves out. */
const DEFAULTS = { IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 };

export const isBudgeted = (retrier: Retrier): boolean => retrier.MaxDelaySeconds !== undefined;

/** The longest wait before each retry, in order, for `attempts` retries. */
export function maximumWaits(retrier: Retrier, attempts: number): number[] {
  const interval = retrier.IntervalSeconds ?? DEFAULTS.IntervalSeconds;
  const rate = retrier.BackoffRate ?? DEFAULTS.BackoffRate;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  return Array.from({ length: attempts }, (_, i) => Math.min(cap, interval * rate ** i));
}

/** The expected total wait of `attempts` retries: half the longest with full jitter. */
export function expectedWaitSeconds(retrier: Retrier, attempts: number): number {
  const total = maximumWaits(retrier, attempts).reduce((sum, wait) => sum + wait, 0);
  return retrier.JitterStrategy === 'FULL' ? total / 2 : total;
}

/** The fewest retries whose expected total wait reaches `budgetSeconds`. */
export function attemptsForBudget(retrier: Retrier, budgetSeconds: number): number {
  let attempts = 0;
  while (expectedWaitSeconds(retrier, attempts) < budgetSeconds) attempts++;
  return attempts;
}

/** Every budgeted retrier of a definition, nested ones included, with the state it is on. */
export function budgetedRetriers(definition: DefinitionLike): Array<{ state: string; retrier: Retrier }> {
  const found: Array<{ state: string; retrier: Retrier }> = [];
  for (const [state, body] of Object.entries(definition.States)) {
    for (const retrier of body.Retry ?? []) if (isBudgeted(retrier)) found.push({ state, retrier });
    for (const inner of [...(body.Branches ?? []), body.Iterator, body.ItemProcessor]) {
      if (inner) found.push(...budgetedRetriers(inner));
    }
  }
  return found;
}

/**
 * A copy of `definition` with each retrier replaced by what `change` returns for it, in every
 * state, nested ones included (the one place that walks a definition's retriers).
 */
export function mapRetriers<T extends DefinitionLike>(
  definition: T,
  change: (retrier: Retrier) => Retrier,
): T {
  const copy = structuredClone(definition) as T;
  const visit = (states: Record<string, { Retry?: Retrier[] } & Record<string, unknown>>) => {
    for (const body of Object.values(states)) {
      if (body.Retry) body.Retry = body.Retry.map(change);
      for (const key of ['Branches', 'Iterator', 'ItemProcessor']) {
        const inner = body[key];
        for (const nested of Array.isArray(inner) ? inner : inner ? [inner] : []) {
          visit((nested as DefinitionLike).States as never);
        }
      }
    }
  };
  visit(copy.States as never);
  return copy;
}

/** A copy of `definition` whose budgeted retriers last `budgetSeconds` (their MaxAttempts set). */
export function withRetryBudget<T extends DefinitionLike>(definition: T, budgetSeconds: number): T {
  return mapRetriers(definition, (retrier) =>
    isBudgeted(retrier) ? { ...retrier, MaxAttempts: attemptsForBudget(retrier, budgetSeconds) } : retrier,
  );
}
