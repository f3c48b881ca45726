import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { makeContent, writeContentFile } from '../lib/content';
import { type BenchContext, childEndpoints, rotate, uniqueKey } from '../lib/context';
import { createCpuQuota, lambdaVcpus } from '../lib/cpu-quota';
import { type PeakMemory, sampleTreeMemory } from '../lib/processes';
import { spawnTs } from '../lib/s3';
import { type Stats, sizeLabel, summarise } from '../lib/stats';
import { PRICES } from '../prices';

/** Latency and cost of one warm scan at one memory size. */
export interface MemorySizeRow {
  readonly memoryMiB: number;
  /** Lambda's CPU share at that size (one vCPU at 1,769 MB). */
  readonly vcpus: number;
  /** How the figure was obtained: under a CPU quota of `vcpus`, or computed from CPU time. */
  readonly how: 'cpu quota' | 'computed from CPU time' | 'no quota';
  readonly size: string;
  readonly bytes: number;
  readonly latency: Stats;
  /** CPU time of node and clamd per scan, mean. */
  readonly cpuMs: number;
  /** The median rounded up to the millisecond, as Lambda bills it. */
  readonly billedMs: number;
  /** x86_64 duration and request price of a million such scans, USD. */
  readonly usdPerMillion: number;
}

export interface ReloadPeak {
  readonly strategy: 'concurrent' | 'restart';
  readonly ms: number;
  readonly peak: PeakMemory;
}

export interface MemoryResult {
  readonly engine: 'realistic';
  readonly signatures: number;
  /** node and clamd after start-up and a few scans. */
  readonly atRest: PeakMemory;
  readonly scan: {
    readonly size: string;
    readonly bytes: number;
    readonly ms: number;
    readonly peak: PeakMemory;
  };
  readonly reloads: readonly ReloadPeak[];
  /** How CPU was limited, or why it could not be. */
  readonly cpuLimit: string;
  readonly sizes: readonly MemorySizeRow[];
}

export interface MemoryPlan {
  readonly sizes: ReadonlyArray<{ readonly bytes: number; readonly runs: number }>;
  readonly memoryMiB: readonly number[];
  /** The large object scanned while memory is sampled. */
  readonly scanBytes: number;
}

interface Answer {
  readonly ms: number;
  readonly nodeCpuMs?: number;
  readonly clamdCpuMs?: number;
  readonly clamdPid?: number;
}

/**
 * The scanner's memory with the realistic set (at rest, during a large scan, during a reload by
 * each strategy) and a warm scan's latency and cost at several memory sizes: the scanner runs in
 * a process of its own whose CPU, clamd's included, is limited as Lambda limits a function of that
 * size. Sizes whose share exceeds this machine's cores are computed from the CPU time measured
 * without a limit.
 */
export async function measureMemory(
  ctx: BenchContext,
  options: { readonly definitionsBucket: string; readonly prefix: string; readonly signatures: number },
  plan: MemoryPlan,
  cores: number,
): Promise<MemoryResult> {
  const quota = await createCpuQuota(`lambda-av-bench-${process.pid}`);
  const cpuLimit = 'unavailable' in quota ? `none (${quota.unavailable})` : quota.kind;
  const child = spawnTs(path.join(__dirname, '..', 'scanner-child.ts'), [
    JSON.stringify({
      ...childEndpoints(ctx),
      bucket: options.definitionsBucket,
      prefix: options.prefix,
      workDir: path.join(ctx.workDir, 'memory-scanner'),
    }),
  ]);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const replies = answers(child);
  const ask = async (command: object): Promise<Answer> => {
    child.stdin?.write(`${JSON.stringify(command)}\n`);
    return replies.next();
  };
  const limit = async (vcpus: number | undefined) => {
    if (!('unavailable' in quota)) await quota.limit(vcpus);
  };
  try {
    await replies.next();
    if (!('unavailable' in quota)) await quota.add(child.pid ?? 0);
    ctx.progress('memory: starting a scanner in a process of its own');
    await ask({ cmd: 'prepare' });

    const scanFresh = async (bytes: number) => {
      const key = uniqueKey('mem');
      await ctx.s3.putBuffer(ctx.bucket, key, makeContent(bytes));
      const answer = await ask({ cmd: 'scan', bucket: ctx.bucket, key });
      await ctx.s3.delete(ctx.bucket, key);
      return answer;
    };

    const restSampler = sampleTreeMemory(child.pid ?? 0);
    for (let i = 0; i < 5; i++) await scanFresh(1024);
    const atRest = await restSampler.stop();

    // Latency per memory size, the sizes interleaved run by run so the machine's load weighs on all.
    const settings = plan.memoryMiB.map((memoryMiB) => ({
      memoryMiB,
      vcpus: lambdaVcpus(memoryMiB),
      measured: !('unavailable' in quota) && lambdaVcpus(memoryMiB) < cores,
    }));
    const sizes: MemorySizeRow[] = [];
    for (const { bytes, runs } of plan.sizes) {
      ctx.progress(`memory: ${sizeLabel(bytes)} at ${plan.memoryMiB.join(', ')} MB, ${runs} runs`);
      const samples = new Map<number, Answer[]>();
      const unlimited: Answer[] = [];
      const variants = [...settings.filter((s) => s.measured).map((s) => s.vcpus), undefined];
      for (let i = 0; i < runs; i++) {
        for (const vcpus of rotate(variants, i)) {
          await limit(vcpus);
          const answer = await scanFresh(bytes);
          if (vcpus === undefined) unlimited.push(answer);
          else samples.set(vcpus, [...(samples.get(vcpus) ?? []), answer]);
        }
      }
      await limit(undefined);
      const cpuOf = (a: Answer) => (a.nodeCpuMs ?? 0) + (a.clamdCpuMs ?? 0);
      for (const setting of settings) {
        // Above this machine's cores no quota can show the share: a scan gets the larger of its
        // time on every core here and its CPU time spread over the share.
        const answers = setting.measured ? (samples.get(setting.vcpus) ?? []) : unlimited;
        const times = setting.measured
          ? answers.map((a) => a.ms)
          : answers.map((a) => Math.max(a.ms, cpuOf(a) / setting.vcpus));
        const latency = summarise(times);
        const billedMs = Math.ceil(latency.median);
        sizes.push({
          memoryMiB: setting.memoryMiB,
          vcpus: Math.round(setting.vcpus * 100) / 100,
          how: setting.measured
            ? 'cpu quota'
            : 'unavailable' in quota
              ? 'no quota'
              : 'computed from CPU time',
          size: sizeLabel(bytes),
          bytes,
          latency,
          cpuMs: Math.round((answers.reduce((sum, a) => sum + cpuOf(a), 0) / answers.length) * 100) / 100,
          billedMs,
          usdPerMillion:
            Math.round(
              (PRICES.lambdaRequest.usd +
                (billedMs / 1000) * (setting.memoryMiB / 1024) * PRICES.lambdaGbSecondX86.usd) *
                1e6 *
                100,
            ) / 100,
        });
      }
    }

    ctx.progress(`memory: resident memory during a ${sizeLabel(plan.scanBytes)} scan`);
    const file = path.join(ctx.workDir, 'memory-large');
    await writeContentFile(file, plan.scanBytes, 'compressible');
    const bigKey = uniqueKey('mem-large');
    await ctx.s3.putFile(ctx.bucket, bigKey, file);
    await rm(file, { force: true });
    const scanSampler = sampleTreeMemory(child.pid ?? 0);
    const big = await ask({ cmd: 'scan', bucket: ctx.bucket, key: bigKey });
    const scanPeak = await scanSampler.stop();
    await ctx.s3.delete(ctx.bucket, bigKey);

    const reloads: ReloadPeak[] = [];
    // The restart first: after a concurrent reload clamd keeps the second engine's memory
    // (docs/performance.md), so a restart measured after one would start from the doubled size
    // and report it as its own peak.
    for (const strategy of ['restart', 'concurrent'] as const) {
      ctx.progress(`memory: reload by ${strategy}`);
      const sampler = sampleTreeMemory(child.pid ?? 0);
      const { ms } = await ask({ cmd: 'reload', strategy });
      reloads.push({ strategy, ms, peak: await sampler.stop() });
    }

    return {
      engine: 'realistic',
      signatures: options.signatures,
      atRest,
      scan: { size: sizeLabel(plan.scanBytes), bytes: plan.scanBytes, ms: big.ms, peak: scanPeak },
      reloads,
      cpuLimit,
      sizes,
    };
  } finally {
    child.stdin?.end();
    await exited;
    if (!('unavailable' in quota)) await quota.remove();
  }
}

/** The child's answers in order, one JSON object per line; a child that exits fails the next one. */
function answers(child: ChildProcess): { next(): Promise<Answer> } {
  const lines: string[] = [];
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let text = '';
  let ended: Error | undefined;
  child.stdout?.on('data', (data: Buffer) => {
    text += data.toString('utf8');
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
      const line = text.slice(0, end);
      text = text.slice(end + 1);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  child.once('exit', (code) => {
    ended = new Error(`the scanner process exited (${code}) before answering`);
    for (const waiter of waiting.splice(0)) waiter.reject(ended);
  });
  return {
    async next() {
      const line =
        lines.shift() ??
        (await new Promise<string>((resolve, reject) => {
          if (ended) reject(ended);
          else waiting.push({ resolve, reject });
        }));
      return JSON.parse(line) as Answer;
    },
  };
}
