/** Summary of repeated measurements; `p99` is the nearest-rank 99th percentile (the maximum below 100 runs). */
export interface Stats {
  readonly n: number;
  readonly median: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export function summarise(values: readonly number[]): Stats {
  if (values.length === 0) throw new Error('no measurements to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (rank: number) => sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return {
    n: sorted.length,
    median: round(median),
    p99: round(at(Math.ceil(0.99 * sorted.length) - 1)),
    min: round(at(0)),
    max: round(at(sorted.length - 1)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
  };
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
