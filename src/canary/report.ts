import type { StatusNames } from '../settings';

/** The canary's two objects: what each must come back as. */
export type CanaryExpectation = 'INFECTED' | 'CLEAN';

/**
 * One canary object's scan in the update workflow: its execution as the task reports it
 * (`startExecution.sync:2` for a Standard scan machine, `StartSyncExecution` for an Express one:
 * the same fields, the output parsed in the first and a string in the second), or the error that
 * kept it from ending.
 */
export interface CanaryScan {
  readonly expected: CanaryExpectation;
  readonly key?: string;
  readonly execution?: {
    readonly Status?: string;
    readonly Output?: unknown;
    readonly StartDate?: number | string;
    readonly StopDate?: number | string;
    readonly Error?: string;
    readonly Cause?: string;
  };
  readonly failure?: { readonly Error?: string; readonly Cause?: string };
}

export interface CanaryScanReport {
  readonly expected: CanaryExpectation;
  readonly key?: string;
  /** The verdict's configured name, when the scan execution ended with one. */
  readonly verdict?: string;
  readonly signature?: string;
  /** The scan execution, start to end. */
  readonly latencyMs?: number;
  /** Why this scan does not count as a detection. */
  readonly problem?: string;
}

export interface CanaryReport {
  /** True when EICAR came back INFECTED and the clean object CLEAN. */
  readonly detected: boolean;
  /** Why the canary could not run at all (its objects could not be written), if so. */
  readonly problem?: string;
  /** The slowest scan execution of the canary, start to end. */
  readonly latencyMs: number | undefined;
  readonly scans: readonly CanaryScanReport[];
}

/**
 * Judges a canary run. Each scan counts only if its execution ended with the expected verdict;
 * an execution that failed, or ended with another verdict (a PROCESSING_ERROR or UNSCANNABLE,
 * say), makes the canary undetected.
 */
export function judgeCanary(
  scans: readonly CanaryScan[],
  statusNames: StatusNames,
  failure?: string,
): CanaryReport {
  const reports = scans.map((scan) => judgeScan(scan, statusNames));
  const latencies = reports.map((r) => r.latencyMs).filter((ms): ms is number => ms !== undefined);
  const expected: CanaryExpectation[] = ['INFECTED', 'CLEAN'];
  const complete = expected.every((verdict) => reports.some((r) => r.expected === verdict));
  return {
    detected: failure === undefined && complete && reports.every((report) => report.problem === undefined),
    ...(failure !== undefined ? { problem: failure } : {}),
    latencyMs: latencies.length > 0 ? Math.max(...latencies) : undefined,
    scans: reports,
  };
}

function judgeScan(scan: CanaryScan, statusNames: StatusNames): CanaryScanReport {
  const base = { expected: scan.expected, ...(scan.key ? { key: scan.key } : {}) };
  const failure = scan.failure ?? (scan.execution?.Error ? scan.execution : undefined);
  const execution = scan.execution ?? {};
  const latencyMs = elapsedMs(execution.StartDate, execution.StopDate);
  const timing = latencyMs !== undefined ? { latencyMs } : {};
  if (failure) {
    return { ...base, ...timing, problem: `${failure.Error ?? 'Error'}: ${failure.Cause ?? ''}`.trim() };
  }
  if (execution.Status !== 'SUCCEEDED') {
    return {
      ...base,
      ...timing,
      problem: `the scan execution ended ${execution.Status ?? 'without a status'}`,
    };
  }
  const result = (typeof execution.Output === 'string' ? safeParse(execution.Output) : execution.Output) as
    | { status?: unknown; signature?: unknown; unscannable?: unknown }
    | undefined;
  const verdict = typeof result?.status === 'string' ? result.status : undefined;
  const signature = typeof result?.signature === 'string' ? result.signature : undefined;
  const judged = {
    ...base,
    ...(verdict ? { verdict } : {}),
    ...(signature ? { signature } : {}),
    ...timing,
  };
  if (verdict !== statusNames[scan.expected]) {
    return { ...judged, problem: `expected ${statusNames[scan.expected]}, got ${verdict ?? 'no verdict'}` };
  }
  // Under UNSCANNABLE_POLICY=block-as-infected, content clamd could not read is written INFECTED:
  // that proves nothing about detection.
  return result?.unscannable === true
    ? { ...judged, problem: `${verdict}, but only because clamd could not scan the object completely` }
    : judged;
}

/**
 * The time between two dates as a `.sync:2` task reports them. AWS documents no example of
 * their form there, so epoch seconds, epoch milliseconds and ISO 8601 are all accepted.
 */
export function elapsedMs(
  start: number | string | undefined,
  stop: number | string | undefined,
): number | undefined {
  const a = toEpochMs(start);
  const b = toEpochMs(stop);
  return a === undefined || b === undefined || b < a ? undefined : Math.round(b - a);
}

function toEpochMs(value: number | string | undefined): number | undefined {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
