import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { RESULT_DETAIL_TYPE } from '../../src/results/result-event';
import { zscan } from '../lib/clamd';
import { makeContent } from '../lib/content';
import { type BenchContext, type Engine, rotate, uniqueKey } from '../lib/context';
import { clamdscan, clamscan, originalMethod } from '../lib/original';
import { cpuMsOf } from '../lib/processes';
import { ratio, type Stats, sizeLabel, summarise, timed } from '../lib/stats';
import type { Timeline } from '../lib/timeline';

const TIMELINE_PARTS: ReadonlyArray<keyof Timeline> = [
  'beforeGet',
  'getHeaders',
  'getToStream',
  'streamAndScan',
  'tagRead',
  'verdictToPut',
  'tagWrite',
  'afterPut',
];

export interface LatencyRow {
  readonly engine: Engine['id'];
  readonly size: string;
  readonly bytes: number;
  readonly runs: number;
  /** Our whole handler: event in, GET streamed into clamd, verdict, tags written, result out. */
  readonly handler: Stats;
  /** Medians of where the handler's time went (see `Timeline`). */
  readonly handlerTimeline: Record<keyof Timeline, number>;
  /** Our scan step alone: GetObject streamed into clamd's socket (zINSTREAM) to the verdict. */
  readonly scanStep: Stats;
  /** The original's whole method with clamdscan against the same clamd. */
  readonly original: Stats;
  /** The original's scan step: HeadObject + GetObject into a temporary file, then clamdscan. */
  readonly originalStep: Stats;
  readonly originalPhases: { readonly download: Stats; readonly clamdscan: Stats; readonly tagging: Stats };
  /** clamd alone on the same kind of bytes already on local disk, streamed with zINSTREAM. */
  readonly clamdInstream: Stats;
  /** clamd alone, opening the local file itself (zSCAN): no bytes over the socket. */
  readonly clamdZscan: Stats;
  /** One GetObject of the object, body read to its end. */
  readonly s3Get: Stats;
  /** One PutObjectTagging with our two tags. */
  readonly s3PutTagging: Stats;
  /**
   * What the handler does besides the floor's three parts, each timed alone: the tag read it sends
   * beside the scan, and the result event it publishes after the tag write. Absent in runs saved
   * before they were measured.
   */
  readonly s3GetTagging?: Stats;
  readonly putEvents?: Stats;
  /**
   * clamd's CPU time (all its threads, from /proc) during one handler invocation and during one
   * zINSTREAM of a local file, mean per run: equal figures say the handler asked clamd for no more
   * work than the floor did, whatever the wall clock says.
   */
  readonly clamdCpuMs?: { readonly handler: number; readonly instream: number };
  /** One GET, one tagging write and clamd's own scan, medians added up: what no method can beat. */
  readonly floorMs: number;
  readonly originalOverHandler: number;
  readonly originalStepOverScanStep: number;
  readonly handlerOverFloor: number;
  /**
   * The same ratios taken run by run (each run's methods ran back to back, so a burst of other
   * load weighs on both sides of a ratio): their median and its 95 % confidence interval.
   */
  readonly paired?: { readonly handlerOverFloor: Stats; readonly originalOverHandler: Stats };
}

/** A result event's detail as the scanner publishes it for a CLEAN object (src/results/result-event.ts). */
function sampleResultDetail(bucket: string, key: string, size: number) {
  return {
    schemaVersion: 1,
    bucket,
    key,
    verdict: 'CLEAN',
    status: 'CLEAN',
    definitions: 'ClamAV 1.4.6/27473/Mon Nov 24 09:22:00 2026 (set bench-0123456789abcdef)',
    scannedAt: new Date().toISOString(),
    durationMs: 42,
    size,
  };
}

export interface ClamscanRow {
  readonly engine: Engine['id'];
  readonly size: string;
  readonly runs: number;
  /** The whole per-invocation method: the original's S3 requests with clamscan instead of clamdscan. */
  readonly method: Stats;
  readonly clamscan: Stats;
  /** Median of the per-invocation method over the median of our warm handler, same size. */
  readonly overHandler: number;
}

export interface LatencyPlan {
  readonly sizes: ReadonlyArray<{ readonly bytes: number; readonly runs: number }>;
  readonly clamscanRuns: number;
  /** Unrecorded runs before the first size. */
  readonly warmups: number;
}

type Sample = Record<string, number[]>;

/**
 * Warm latency on one engine, every method in the same run on the same clamd, interleaved run by
 * run (the order turns each run), each on content of its own.
 */
export async function measureLatency(
  ctx: BenchContext,
  engine: Engine,
  plan: LatencyPlan,
): Promise<{ rows: LatencyRow[]; clamscan: ClamscanRow }> {
  const { scanner } = engine;
  const socketPath = scanner.scanner.engine.daemon.client.socketPath;
  const clamdPid = () => scanner.scanner.engine.daemon.pid ?? 0;
  const scanWithClamdscan = clamdscan(engine.clamdscanConf);
  const rows: LatencyRow[] = [];
  const first = plan.sizes[0];
  if (!first) throw new Error('no sizes to measure');
  let handlerSmall: Stats | undefined;

  for (const { bytes, runs } of plan.sizes) {
    ctx.progress(`latency, ${engine.id} set, ${sizeLabel(bytes)}: ${runs} runs`);
    // Warm-up runs (not recorded) before the first size only: connections, JIT, clamd's threads.
    const warmups = bytes === first.bytes ? plan.warmups : 0;
    const total = runs + warmups;
    const objects: Array<{ handler: string; step: string; original: string }> = [];
    for (let i = 0; i < total; i++) {
      const keys = { handler: uniqueKey('lat-h'), step: uniqueKey('lat-s'), original: uniqueKey('lat-o') };
      for (const key of Object.values(keys)) await ctx.s3.putBuffer(ctx.bucket, key, makeContent(bytes));
      objects.push(keys);
    }
    const samples: Sample = {};
    const record = (name: string, ms: number, i: number) => {
      if (i < warmups) return;
      samples[name] ??= [];
      samples[name].push(ms);
    };
    const localFile = path.join(ctx.workDir, 'latency-local');
    for (let i = 0; i < total; i++) {
      const keys = objects[i] as (typeof objects)[number];
      const methods: Array<() => Promise<void>> = [
        async () => {
          engine.timeline.begin();
          const cpu = await cpuMsOf(clamdPid());
          const entry = performance.now();
          await scanner.scan(ctx.bucket, keys.handler);
          const exit = performance.now();
          record('clamdCpu.handler', (await cpuMsOf(clamdPid())) - cpu, i);
          record('handler', exit - entry, i);
          const { timeline } = engine.timeline.end(entry, exit);
          for (const [part, ms] of Object.entries(timeline ?? {})) record(`timeline.${part}`, ms, i);
        },
        async () => {
          const { ms } = await timed(async () => {
            const response = await scanner.s3.send(
              new GetObjectCommand({ Bucket: ctx.bucket, Key: keys.step }),
            );
            const { verdict } = await scanner.scanner.engine.daemon.client.scanStream(
              response.Body as AsyncIterable<Uint8Array>,
              { expectedBytes: response.ContentLength ?? 0, timeoutMs: 600_000 },
            );
            if (verdict.infected) throw new Error(`${keys.step}: ${verdict.signature}`);
          });
          record('scanStep', ms, i);
        },
        async () => {
          const timing = await originalMethod(ctx.s3.client, ctx.workDir, scanWithClamdscan, {
            bucket: ctx.bucket,
            key: keys.original,
          });
          record('original', timing.totalMs, i);
          record('originalStep', timing.downloadMs + timing.scanMs, i);
          record('download', timing.downloadMs, i);
          record('clamdscan', timing.scanMs, i);
          record('tagging', timing.taggingMs, i);
        },
        async () => {
          await writeFile(localFile, makeContent(bytes));
          const cpu = await cpuMsOf(clamdPid());
          const { ms } = await timed(async () => {
            const { verdict } = await scanner.scanner.engine.daemon.client.scanStream(
              createReadStream(localFile),
              {
                timeoutMs: 600_000,
              },
            );
            if (verdict.infected) throw new Error(`local file: ${verdict.signature}`);
          });
          record('clamdCpu.instream', (await cpuMsOf(clamdPid())) - cpu, i);
          record('instream', ms, i);
        },
        async () => {
          await writeFile(localFile, makeContent(bytes));
          record('zscan', (await timed(() => zscan(socketPath, localFile))).ms, i);
        },
        async () => {
          const { ms } = await timed(async () => {
            const response = await scanner.s3.send(
              new GetObjectCommand({ Bucket: ctx.bucket, Key: keys.handler }),
            );
            for await (const _ of response.Body as AsyncIterable<Uint8Array>);
          });
          record('get', ms, i);
        },
        async () => {
          const { ms } = await timed(() =>
            scanner.s3.send(
              new PutObjectTaggingCommand({
                Bucket: ctx.bucket,
                Key: keys.handler,
                Tagging: {
                  TagSet: [
                    { Key: 'av-status', Value: 'CLEAN' },
                    { Key: 'av-timestamp', Value: String(Date.now()) },
                  ],
                },
              }),
            ),
          );
          record('putTagging', ms, i);
        },
        async () => {
          const { ms } = await timed(() =>
            scanner.s3.send(new GetObjectTaggingCommand({ Bucket: ctx.bucket, Key: keys.step })),
          );
          record('getTagging', ms, i);
        },
        async () => {
          // An entry of the result event's size and shape, on the scanner's own client.
          const { ms } = await timed(() =>
            scanner.eventBridge.send(
              new PutEventsCommand({
                Entries: [
                  {
                    EventBusName: 'default',
                    Source: 'lambda-av',
                    DetailType: RESULT_DETAIL_TYPE,
                    Detail: JSON.stringify(sampleResultDetail(ctx.bucket, keys.step, bytes)),
                    Resources: [`arn:aws:s3:::${ctx.bucket}`],
                  },
                ],
              }),
            ),
          );
          record('putEvents', ms, i);
        },
      ];
      for (const method of rotate(methods, i)) await method();
    }
    for (const keys of objects) for (const key of Object.values(keys)) await ctx.s3.delete(ctx.bucket, key);
    await rm(localFile, { force: true });

    const s = (name: string) => summarise(samples[name] ?? []);
    const handler = s('handler');
    const floorMs = s('get').median + s('putTagging').median + s('instream').median;
    const sampleOf = (name: string, n: number) => (samples[name] ?? [])[n] ?? Number.NaN;
    const perRun = (ratioOf: (n: number) => number) =>
      summarise(Array.from({ length: runs }, (_, n) => Math.round(ratioOf(n) * 1000) / 1000));
    const mean = (name: string) => {
      const values = samples[name] ?? [];
      return Math.round((values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length)) * 100) / 100;
    };
    rows.push({
      engine: engine.id,
      size: sizeLabel(bytes),
      bytes,
      runs,
      handler,
      handlerTimeline: Object.fromEntries(
        TIMELINE_PARTS.map((part) => [part, s(`timeline.${part}`).median]),
      ) as Record<keyof Timeline, number>,
      scanStep: s('scanStep'),
      original: s('original'),
      originalStep: s('originalStep'),
      originalPhases: { download: s('download'), clamdscan: s('clamdscan'), tagging: s('tagging') },
      clamdInstream: s('instream'),
      clamdZscan: s('zscan'),
      s3Get: s('get'),
      s3PutTagging: s('putTagging'),
      s3GetTagging: s('getTagging'),
      putEvents: s('putEvents'),
      clamdCpuMs: { handler: mean('clamdCpu.handler'), instream: mean('clamdCpu.instream') },
      floorMs: Math.round(floorMs * 1000) / 1000,
      originalOverHandler: ratio(s('original').median, handler.median),
      originalStepOverScanStep: ratio(s('originalStep').median, s('scanStep').median),
      handlerOverFloor: ratio(handler.median, floorMs),
      paired: {
        handlerOverFloor: perRun(
          (n) =>
            sampleOf('handler', n) /
            (sampleOf('get', n) + sampleOf('putTagging', n) + sampleOf('instream', n)),
        ),
        originalOverHandler: perRun((n) => sampleOf('original', n) / sampleOf('handler', n)),
      },
    });
    if (bytes === first.bytes) handlerSmall = handler;
  }

  // Per-invocation clamscan loads the whole set each time: a few runs only, smallest size.
  ctx.progress(
    `per-invocation clamscan, ${engine.id} set, ${sizeLabel(first.bytes)}: ${plan.clamscanRuns} runs`,
  );
  const scanWithClamscan = clamscan(engine.databaseDir);
  const method: number[] = [];
  const scanOnly: number[] = [];
  for (let i = 0; i < plan.clamscanRuns; i++) {
    const key = uniqueKey('lat-c');
    await ctx.s3.putBuffer(ctx.bucket, key, makeContent(first.bytes));
    const timing = await originalMethod(ctx.s3.client, ctx.workDir, scanWithClamscan, {
      bucket: ctx.bucket,
      key,
    });
    method.push(timing.totalMs);
    scanOnly.push(timing.scanMs);
    await ctx.s3.delete(ctx.bucket, key);
  }
  const methodStats = summarise(method);
  return {
    rows,
    clamscan: {
      engine: engine.id,
      size: sizeLabel(first.bytes),
      runs: plan.clamscanRuns,
      method: methodStats,
      clamscan: summarise(scanOnly),
      overHandler: ratio(methodStats.median, (handlerSmall as Stats).median),
    },
  };
}
