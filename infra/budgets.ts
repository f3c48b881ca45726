import { Duration } from 'aws-cdk-lib';
import { DEFAULT_BUDGETS_MS } from '../src/settings';
import { checkInteger, LambdaAvPropsError } from './validation';

/**
 * What one invocation may spend, step by step. A function's timeout must hold all its steps with
 * margin: a cold scanner downloads the definitions, starts clamd and scans within one invocation,
 * and the updater restores the published set, runs freshclam, loads the new set in ClamAV and
 * uploads it within one.
 */
export interface Budgets {
  readonly definitionsDownload: Duration;
  readonly daemonStart: Duration;
  readonly scan: Duration;
  readonly freshclam: Duration;
  readonly verify: Duration;
}

export type BudgetProps = Partial<Budgets>;

/** Above the steps' sum: 10 %, and at least 10 s, for the handler's own work and S3 requests. */
export function withMargin(total: Duration): Duration {
  const seconds = total.toSeconds({ integral: false });
  return Duration.seconds(Math.ceil(seconds + Math.max(10, seconds * 0.1)));
}

/** The scanner's steps on a cold start, the longest invocation it has. */
export function scannerBudget(b: Budgets): Duration {
  return Duration.millis(
    b.definitionsDownload.toMilliseconds() + b.daemonStart.toMilliseconds() + b.scan.toMilliseconds(),
  );
}

/** The updater's steps: restore the published set, freshclam, verification, upload (as long as the restore). */
export function updaterBudget(b: Budgets): Duration {
  return Duration.millis(
    2 * b.definitionsDownload.toMilliseconds() + b.freshclam.toMilliseconds() + b.verify.toMilliseconds(),
  );
}

/**
 * An Express execution lasts at most 5 minutes and holds one scanner invocation: its default
 * budgets are shorter (a cold start with ClamAV's official set still fits).
 */
export const EXPRESS_BUDGETS_MS: Partial<Record<keyof Budgets, number>> = {
  definitionsDownload: 30_000,
  daemonStart: 90_000,
  scan: 60_000,
};

export function resolveBudgets(
  props: BudgetProps,
  defaults: Partial<Record<keyof Budgets, number>> = {},
): Budgets {
  const pick = (name: keyof Budgets, value: Duration | undefined): Duration => {
    const budget = value ?? Duration.millis(defaults[name] ?? DEFAULT_BUDGETS_MS[name]);
    checkInteger(`${name}Timeout (seconds)`, budget.toSeconds({ integral: false }), 1, 900);
    return budget;
  };
  return {
    definitionsDownload: pick('definitionsDownload', props.definitionsDownload),
    daemonStart: pick('daemonStart', props.daemonStart),
    scan: pick('scan', props.scan),
    freshclam: pick('freshclam', props.freshclam),
    verify: pick('verify', props.verify),
  };
}

/** Throws unless `timeout` holds `steps` with margin, naming the prop and every step. */
export function checkFits(
  name: string,
  timeout: Duration,
  steps: Record<string, Duration>,
  total: Duration,
): void {
  const needed = withMargin(total);
  if (timeout.toSeconds({ integral: false }) < needed.toSeconds()) {
    const list = Object.entries(steps)
      .map(([step, d]) => `${step} ${d.toSeconds({ integral: false })} s`)
      .join(' + ');
    throw new LambdaAvPropsError(
      `${name} (${timeout.toSeconds({ integral: false })} s) must hold ${list} = ${total.toSeconds({ integral: false })} s with margin, at least ${needed.toSeconds()} s`,
    );
  }
}
