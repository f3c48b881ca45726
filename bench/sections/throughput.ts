import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type ContentKind, renewContent, writeContentFile } from '../lib/content';
import { type BenchContext, type Engine, uniqueKey } from '../lib/context';
import { MiB, ratio, type Stats, sizeLabel, summarise, timed } from '../lib/stats';

export interface ThroughputRow {
  readonly engine: Engine['id'];
  readonly content: ContentKind;
  readonly size: string;
  readonly bytes: number;
  readonly runs: number;
  /** Whole handler (GET streamed into clamd, verdict, tags). */
  readonly handlerMiBps: Rate;
  /** clamd's own zINSTREAM of the same bytes from a local file: the ceiling. */
  readonly clamdMiBps: Rate;
  /** GetObject of the same object, body read and dropped: what S3 alone delivers. */
  readonly s3GetMiBps: Rate;
  /**
   * Medians, ms: until the last byte was handed to clamd's socket, and from there to the verdict
   * (clamd scanning the file it wrote the stream to), for the handler and for the local file.
   */
  readonly split: {
    readonly handlerTransferMs: number;
    readonly handlerAfterStreamMs: number;
    readonly clamdTransferMs: number;
    readonly clamdAfterStreamMs: number;
  };
  readonly handlerMs: Stats;
  readonly clamdMs: Stats;
  /** Median handler throughput over median clamd throughput. */
  readonly handlerOverClamd: number;
  /**
   * The same ratio with clamd's own scan time taken as equal for both (its run-to-run variance
   * is larger than the handler's overhead): clamd's median over clamd's median plus the handler's
   * extra time outside clamd's scan (handler minus its scan after the stream, minus the local
   * stream time).
   */
  readonly handlerOverClamdSameScan: number;
}

/** MiB/s at the median duration, and at the 99th-percentile (slow) duration. */
export interface Rate {
  readonly median: number;
  readonly p99: number;
}

const median = (values: number[]) => (values.length > 0 ? summarise(values).median : Number.NaN);

export interface ThroughputCase {
  readonly engine: Engine;
  readonly content: ContentKind;
  readonly bytes: number;
  readonly runs: number;
}

/**
 * Large objects through the handler, next to clamd scanning the same bytes from local disk. The
 * local file is the uploaded object with its first 32 bytes renewed (clamd would otherwise answer
 * from its cache of clean content); the two alternate which goes first.
 */
export async function measureThroughput(
  ctx: BenchContext,
  cases: readonly ThroughputCase[],
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const file = path.join(ctx.workDir, 'throughput-local');
  for (const { engine, content, bytes, runs } of cases) {
    ctx.progress(`throughput, ${engine.id} set, ${sizeLabel(bytes)} ${content}: ${runs} runs`);
    const handlerMs: number[] = [];
    const clamdMs: number[] = [];
    const getMs: number[] = [];
    const handlerTransfer: number[] = [];
    const handlerAfter: number[] = [];
    const clamdTransfer: number[] = [];
    const clamdAfter: number[] = [];
    for (let i = 0; i < runs; i++) {
      await writeContentFile(file, bytes, content);
      const key = uniqueKey('tp');
      await ctx.s3.putFile(ctx.bucket, key, file);
      await renewContent(file, content);
      const viaHandler = async () => {
        engine.timeline.begin();
        const { ms } = await timed(() => engine.scanner.scan(ctx.bucket, key));
        const { stream } = engine.timeline.end(0, 0);
        handlerMs.push(ms);
        if (stream) {
          handlerTransfer.push(stream.transfer);
          handlerAfter.push(stream.afterStream);
        }
      };
      const local = async () => {
        engine.timeline.begin();
        const { ms, value } = await timed(() =>
          engine.scanner.scanner.engine.daemon.client.scanStream(
            createReadStream(file, { highWaterMark: MiB }),
            {
              timeoutMs: 1_800_000,
            },
          ),
        );
        const { stream } = engine.timeline.end(0, 0);
        if (value.verdict.infected || value.bytes !== bytes)
          throw new Error(`local scan: ${JSON.stringify(value)}`);
        clamdMs.push(ms);
        if (stream) {
          clamdTransfer.push(stream.transfer);
          clamdAfter.push(stream.afterStream);
        }
      };
      const get = async () => {
        const { ms } = await timed(async () => {
          const response = await engine.scanner.s3.send(
            new GetObjectCommand({ Bucket: ctx.bucket, Key: key }),
          );
          for await (const _ of response.Body as AsyncIterable<Uint8Array>);
        });
        getMs.push(ms);
      };
      for (const step of i % 2 === 0 ? [viaHandler, local, get] : [local, get, viaHandler]) await step();
      await ctx.s3.delete(ctx.bucket, key);
    }
    await rm(file, { force: true });
    const mibps = (ms: number) => Math.round((bytes / MiB / (ms / 1000)) * 10) / 10;
    const rate = (stats: Stats): Rate => ({ median: mibps(stats.median), p99: mibps(stats.p99) });
    const handler = rate(summarise(handlerMs));
    const clamd = rate(summarise(clamdMs));
    rows.push({
      engine: engine.id,
      content,
      size: sizeLabel(bytes),
      bytes,
      runs,
      handlerMiBps: handler,
      clamdMiBps: clamd,
      s3GetMiBps: rate(summarise(getMs)),
      split: {
        handlerTransferMs: median(handlerTransfer),
        handlerAfterStreamMs: median(handlerAfter),
        clamdTransferMs: median(clamdTransfer),
        clamdAfterStreamMs: median(clamdAfter),
      },
      handlerMs: summarise(handlerMs),
      clamdMs: summarise(clamdMs),
      handlerOverClamd: ratio(handler.median, clamd.median),
      handlerOverClamdSameScan: ratio(
        summarise(clamdMs).median,
        summarise(clamdMs).median +
          summarise(handlerMs).median -
          median(handlerAfter) -
          median(clamdTransfer),
      ),
    });
  }
  return rows;
}
