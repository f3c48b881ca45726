import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { forEachLimited } from '../../src/util/limit';
import { startBareClamd } from '../lib/clamd';
import { makeContent } from '../lib/content';
import { type BenchContext, childEndpoints, uniqueKey } from '../lib/context';
import { type PeakMemory, sampleTreeMemory } from '../lib/processes';
import { firstLine, type PublishedSet, spawnTs } from '../lib/s3';
import { ratio, type Stats, summarise, timed } from '../lib/stats';

export interface ColdStartResult {
  readonly runs: number;
  readonly signatures: number;
  readonly setMiB: number;
  /** First invocation of a fresh instance: definitions from S3, clamd started, 1 KiB object scanned. */
  readonly toFirstVerdict: Stats;
  /** Parts of it: clamd spawn to PONG as the scanner reports it, and the first scan. */
  readonly daemonStart: Stats;
  readonly firstScan: Stats;
  /** What remains: reading the manifest, downloading and checking the files, writing clamd.conf. */
  readonly definitionsAndRest: Stats;
  /** The set downloaded from the same S3 by plain GetObjects, 4 at a time, no checks. */
  readonly download: Stats;
  /** clamd alone loading the same set from local disk, spawn to PONG. */
  readonly bareLoad: Stats;
  /** Median download + median bare load. */
  readonly floorMs: number;
  readonly overFloor: number;
  /** Peak resident memory of the scanner's process tree (node + clamd), over all runs. */
  readonly scannerPeak: PeakMemory;
  readonly bareClamdPeakMiB: number;
}

export interface ColdStartOptions {
  readonly runs: number;
  readonly databaseDir: string;
  readonly signatures: number;
  readonly published: PublishedSet;
  readonly definitionsBucket: string;
  readonly prefix: string;
}

/**
 * Cold starts of a fresh scanner process next to their floor (download + clamd's bare load),
 * interleaved run by run, with the page cache equally warm for all three.
 */
export async function measureColdStart(
  ctx: BenchContext,
  options: ColdStartOptions,
): Promise<ColdStartResult> {
  const cold: number[] = [];
  const daemon: number[] = [];
  const first: number[] = [];
  const rest: number[] = [];
  const download: number[] = [];
  const bare: number[] = [];
  let peak: PeakMemory = { treeMiB: 0, rootMiB: 0, childrenMiB: 0, samples: 0 };
  let barePeak = 0;
  for (let i = 0; i < options.runs; i++) {
    ctx.progress(`cold start, run ${i + 1} of ${options.runs}`);
    const runDir = path.join(ctx.workDir, `cold-${i}`);
    await mkdir(runDir, { recursive: true });
    try {
      // 1. The download alone.
      const target = path.join(runDir, 'download');
      await mkdir(target);
      download.push(
        (
          await timed(() =>
            forEachLimited(options.published.keys, 4, async (key) => {
              const response = await ctx.s3.client.send(
                new GetObjectCommand({ Bucket: options.definitionsBucket, Key: key }),
              );
              await pipeline(
                response.Body as Readable,
                createWriteStream(path.join(target, path.basename(key))),
              );
            }),
          )
        ).ms,
      );
      await rm(target, { recursive: true });

      // 2. clamd's bare load of the same set.
      let sampler: ReturnType<typeof sampleTreeMemory> | undefined;
      const clamd = await startBareClamd(options.databaseDir, path.join(runDir, 'bare'), (pid) => {
        sampler = sampleTreeMemory(pid);
      });
      bare.push(clamd.loadMs);
      await clamd.stop();
      barePeak = Math.max(barePeak, (await sampler?.stop())?.treeMiB ?? 0);

      // 3. A fresh scanner process's first invocation.
      const key = uniqueKey('cold');
      await ctx.s3.putBuffer(ctx.bucket, key, makeContent(1024));
      const child = spawnTs(path.join(__dirname, '..', 'cold-start-child.ts'), [
        JSON.stringify({
          ...childEndpoints(ctx),
          bucket: options.definitionsBucket,
          prefix: options.prefix,
          workDir: path.join(runDir, 'scanner'),
          objectBucket: ctx.bucket,
          objectKey: key,
        }),
      ]);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      let code: number | null;
      try {
        await firstLine(child, 'the cold-start process');
        const memory = sampleTreeMemory(child.pid ?? 0);
        const answer = firstLine<{ ms: number; daemonStartupMs: number; scanMs: number; status: string }>(
          child,
          'the cold-start process',
        );
        child.stdin?.write('go\n');
        const result = await answer;
        const tree = await memory.stop();
        if (tree.treeMiB > peak.treeMiB) peak = tree;
        cold.push(result.ms);
        daemon.push(result.daemonStartupMs);
        first.push(result.scanMs);
        rest.push(result.ms - result.daemonStartupMs - result.scanMs);
      } finally {
        child.stdin?.end();
        code = await exited;
      }
      // Checked after the block, so an earlier error is reported rather than replaced by this one.
      if (code !== 0) throw new Error(`the cold-start process exited with ${code}`);
      await ctx.s3.delete(ctx.bucket, key);
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  }
  const dl = summarise(download);
  const load = summarise(bare);
  const toFirstVerdict = summarise(cold);
  const floorMs = dl.median + load.median;
  return {
    runs: options.runs,
    signatures: options.signatures,
    setMiB: Math.round((options.published.bytes / 2 ** 20) * 10) / 10,
    toFirstVerdict,
    daemonStart: summarise(daemon),
    firstScan: summarise(first),
    definitionsAndRest: summarise(rest),
    download: dl,
    bareLoad: load,
    floorMs: Math.round(floorMs * 1000) / 1000,
    overFloor: ratio(toFirstVerdict.median, floorMs),
    scannerPeak: peak,
    bareClamdPeakMiB: barePeak,
  };
}
