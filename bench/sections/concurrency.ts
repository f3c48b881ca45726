import { makeContent } from '../lib/content';
import { type BenchContext, type Engine, uniqueKey } from '../lib/context';
import { MiB, type Stats, sizeLabel, summarise } from '../lib/stats';

export interface ConcurrencyRow {
  readonly engine: Engine['id'];
  readonly size: string;
  readonly bytes: number;
  readonly concurrency: number;
  readonly scans: number;
  readonly seconds: number;
  readonly scansPerSecond: number;
  readonly MiBps: number;
  /** Each scan's own duration (handler call) at this concurrency. */
  readonly latency: Stats;
  /** Total throughput over the throughput of one scan at a time. */
  readonly speedup: number;
}

/**
 * Several warm invocations on one instance at once (one Node.js process, one clamd): `c` callers
 * each take the next object until `scans` objects are done.
 */
export async function measureConcurrency(
  ctx: BenchContext,
  engine: Engine,
  bytes: number,
  levels: readonly number[],
  scansPerLevel: (concurrency: number) => number,
): Promise<ConcurrencyRow[]> {
  const rows: ConcurrencyRow[] = [];
  for (const concurrency of levels) {
    const scans = scansPerLevel(concurrency);
    ctx.progress(`concurrency ${concurrency}, ${engine.id} set, ${sizeLabel(bytes)}: ${scans} scans`);
    const keys: string[] = [];
    for (let i = 0; i < scans; i++) {
      const key = uniqueKey('cc');
      await ctx.s3.putBuffer(ctx.bucket, key, makeContent(bytes));
      keys.push(key);
    }
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < keys.length) {
          const key = keys[next++] as string;
          const t = performance.now();
          await engine.scanner.scan(ctx.bucket, key);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const key of keys) await ctx.s3.delete(ctx.bucket, key);
    const scansPerSecond = Math.round((scans / seconds) * 100) / 100;
    rows.push({
      engine: engine.id,
      size: sizeLabel(bytes),
      bytes,
      concurrency,
      scans,
      seconds: Math.round(seconds * 1000) / 1000,
      scansPerSecond,
      MiBps: Math.round(((scans * bytes) / MiB / seconds) * 100) / 100,
      latency: summarise(latencies),
      speedup: Math.round((scansPerSecond / (rows[0]?.scansPerSecond ?? scansPerSecond)) * 100) / 100,
    });
  }
  return rows;
}
