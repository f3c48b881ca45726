/**
 * Summary of repeated measurements. `p99` is the nearest-rank 99th percentile (the maximum below
 * 100 runs); `q1`/`q3` the quartiles (the spread); `ciLow`/`ciHigh` a distribution-free 95 %
 * confidence interval of the median (see `medianInterval`). Runs saved before the spread was
 * recorded lack the last four.
 */
export interface Stats {
  readonly n: number;
  readonly median: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly q1?: number;
  readonly q3?: number;
  readonly ciLow?: number;
  readonly ciHigh?: number;
}

export function summarise(values: readonly number[]): Stats {
  if (values.length === 0) throw new Error('no measurements to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (rank: number) => sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  const interval = medianInterval(sorted.length);
  return {
    n: sorted.length,
    median: round(median),
    p99: round(at(Math.ceil(0.99 * sorted.length) - 1)),
    min: round(at(0)),
    max: round(at(sorted.length - 1)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    q1: round(quantile(sorted, 0.25)),
    q3: round(quantile(sorted, 0.75)),
    ciLow: round(at(interval.low)),
    ciHigh: round(at(interval.high)),
  };
}

/** Linear interpolation between the order statistics around `p` (what spreadsheets call QUARTILE). */
function quantile(sorted: readonly number[], p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const low = sorted[below] as number;
  const high = sorted[Math.min(sorted.length - 1, below + 1)] as number;
  return low + (high - low) * (position - below);
}

/**
 * Zero-based ranks of the order statistics that bound the median with at least 95 % confidence,
 * whatever the distribution: the median lies between the j-th and k-th smallest of n runs with
 * probability P(j <= B < k) for B ~ Binomial(n, 1/2). The narrowest symmetric pair that reaches
 * 95 % is chosen; below 6 runs no pair does, and the whole range is given.
 */
export function medianInterval(n: number): {
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
} {
  // P(B = i) for i = 0..n, built iteratively to stay exact for the run counts used here.
  const pmf: number[] = [2 ** -n];
  for (let i = 1; i <= n; i++) pmf.push(((pmf[i - 1] as number) * (n - i + 1)) / i);
  let best = { low: 0, high: n - 1, confidence: 1 - 2 * (pmf[0] as number) };
  for (let j = 0; 2 * j < n - 1; j++) {
    // The interval [x(j+1), x(n-j)] in 1-based ranks covers the median unless B <= j or B >= n - j.
    let outside = 0;
    for (let i = 0; i <= j; i++) outside += 2 * (pmf[i] as number);
    const confidence = 1 - outside;
    if (confidence < 0.95) break;
    best = { low: j, high: n - 1 - j, confidence };
  }
  return best;
}

/** Three significant decimals are plenty for milliseconds and MiB/s. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** `a / b`, rounded; what the report calls "x times". */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.POSITIVE_INFINITY : Math.round((a / b) * 100) / 100;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

export const MiB = 2 ** 20;
export const KiB = 2 ** 10;

export function sizeLabel(bytes: number): string {
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  return `${+(bytes / KiB).toFixed(1)} KiB`;
}
