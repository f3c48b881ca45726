import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { checkInteger, LambdaAvPropsError, quote } from './validation';

/** Daily. */
const DEFAULT_SWEEP_SCHEDULE = events.Schedule.rate(Duration.days(1));

/**
 * The scheduled sweep (docs/deploy.md, "Scheduled sweep"): an `unscanned` bulk scan of each bucket
 * scanned on upload, over the objects the event path should be done with, whose count of objects
 * found without a verdict raises SweepFoundUnscannedAlarm-<bucket>. Each sweep lists the whole
 * bucket and reads every object's tags (see docs/deploy.md for the cost).
 */
export class Sweep {
  /** A sweep of each bucket once a day (the default). */
  static daily(options?: SweepOptions): Sweep {
    return new Sweep(DEFAULT_SWEEP_SCHEDULE, options);
  }

  /** A sweep on `schedule`: a rate of at least one hour, or a cron expression (a quiet hour, say). */
  static onSchedule(schedule: events.Schedule, options?: SweepOptions): Sweep {
    return new Sweep(schedule, options);
  }

  /** No sweep. */
  static off(): Sweep {
    return new Sweep(undefined);
  }

  /** When each bucket is swept; undefined when the sweep is off. */
  readonly schedule?: events.Schedule;
  /** Batches each bucket's sweep runs at once; undefined: the default (SweepOptions). */
  readonly maxConcurrency?: number;

  private constructor(schedule: events.Schedule | undefined, options?: SweepOptions) {
    if (schedule !== undefined) this.schedule = schedule;
    if (options?.maxConcurrency !== undefined) this.maxConcurrency = options.maxConcurrency;
  }
}

/** How each bucket's sweep runs. */
export interface SweepOptions {
  /**
   * Batches (scanner invocations) each bucket's sweep runs at once, within
   * `bulkScan.maxConcurrency`. The sweeps of all buckets start together on the same schedule, and
   * a sweep mostly reads tags: one batch at a time keeps a small account's concurrency free (new
   * accounts may have a Lambda concurrency quota of 10, shared by every function).
   * @default 1
   */
  readonly maxConcurrency?: number;
}

/** The scheduled sweep, checked and with its defaults (infra/sweep.ts). */
export interface SweepSettings {
  /** When each bucket is swept. */
  readonly schedule: events.Schedule;
  /** Batches each bucket's sweep runs at once. */
  readonly maxConcurrency: number;
  /** How far back from a sweep's start an object must have been last modified to be swept. */
  readonly settleWindow: Duration;
  /** The same as the bulk request's `modifiedBefore` window back from the execution's start (`PT78M`). */
  readonly modifiedBefore: string;
}

/** What the event path may still be doing with an upload, from the settings that bound it. */
export interface EventPathBounds {
  /** The scan's retry budget (`retryBudget`). */
  readonly retryBudget: Duration;
  /** With Express: the queue's deliveries, the last one tagging PROCESSING_ERROR if it fails too. */
  readonly expressQueue?: { readonly visibilityTimeout: Duration; readonly maxReceiveCount: number };
  /** The scanner's timeout: the last attempt may start at the end of the retries and run this long. */
  readonly scannerTimeout: Duration;
}

/**
 * Time added to the event path's own bound: EventBridge's delivery of the upload's event, a
 * multipart upload whose LastModified is earlier than its completion, and the clocks of S3 and
 * Step Functions. A sweep that waits longer only leaves an object for the next sweep.
 */
export const SETTLE_MARGIN = Duration.minutes(10);

/** A sweep lists the whole bucket each run: not more often than this. */
const MIN_SWEEP_INTERVAL = Duration.hours(1);

/**
 * The sweep's settle window: no object is swept before the event path is surely done with it.
 * Standard: the retries' waits last the retry budget on average and at most twice as long (full
 * jitter, src/asl/retry-budget.ts). Express: the queue delivers the event maxReceiveCount times,
 * a visibility timeout apart. Then one last attempt, at most the scanner's timeout, and a margin.
 */
export function settleWindow(bounds: EventPathBounds): Duration {
  const retries = bounds.expressQueue
    ? bounds.expressQueue.visibilityTimeout.toSeconds() * bounds.expressQueue.maxReceiveCount
    : 2 * bounds.retryBudget.toSeconds();
  const seconds = retries + bounds.scannerTimeout.toSeconds() + SETTLE_MARGIN.toSeconds();
  return Duration.minutes(Math.ceil(seconds / 60));
}

/** `sweep` checked: off, or a schedule at most hourly, and the derived window. */
export function resolveSweep(option: Sweep | undefined, bounds: EventPathBounds): SweepSettings | undefined {
  if (option !== undefined && !(option instanceof Sweep)) {
    throw new LambdaAvPropsError(
      `sweep must be Sweep.daily(), Sweep.onSchedule(...) or Sweep.off(), got ${quote(option)}`,
    );
  }
  const sweep = option ?? Sweep.daily();
  if (sweep.schedule === undefined) return undefined;
  const { schedule } = sweep;
  if (!(schedule instanceof events.Schedule)) {
    throw new LambdaAvPropsError(`sweep.schedule must be an events.Schedule, got ${quote(schedule)}`);
  }
  const minutes = rateMinutes(schedule.expressionString);
  if (minutes !== undefined && minutes < MIN_SWEEP_INTERVAL.toMinutes()) {
    throw new LambdaAvPropsError(
      `sweep.schedule must not run more often than every ${MIN_SWEEP_INTERVAL.toHours()} hour (each sweep lists the whole bucket), got ${quote(schedule.expressionString)}`,
    );
  }
  const maxConcurrency = checkInteger('sweep.maxConcurrency', sweep.maxConcurrency ?? 1, 1, 10_000);
  const window = settleWindow(bounds);
  return { schedule, maxConcurrency, settleWindow: window, modifiedBefore: `PT${window.toMinutes()}M` };
}

/** The minutes of a `rate(...)` expression; undefined for `cron(...)`. */
function rateMinutes(expression: string): number | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!rate) return undefined;
  const unit = rate[2]?.replace(/s$/, '');
  return Number(rate[1]) * (unit === 'day' ? 1440 : unit === 'hour' ? 60 : 1);
}
