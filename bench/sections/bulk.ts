import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BatchOutput, BatchProgress } from '../../src/bulk/batch-event';
import { DEFAULT_BATCH_SIZE, DEFAULT_SCAN_CONCURRENCY } from '../../src/bulk/request';
import { startLocalLambda } from '../../src/local/lambda-server';
import {
  BULK_SCAN_STATE_MACHINE,
  runLocalExecution,
  SCAN_STATE_MACHINE,
} from '../../src/local/step-functions';
import { forEachLimited } from '../../src/util/limit';
import { makeContent } from '../lib/content';
import type { BenchContext, Engine } from '../lib/context';
import { KiB, type Stats, summarise } from '../lib/stats';
import { PRICES, PRICES_READ_ON, type Price } from '../prices';

/** One bulk scan of fresh objects at one batch size, on the embedded stack. */
export interface BulkRow {
  readonly batchSize: number;
  readonly objects: number;
  readonly seconds: number;
  readonly objectsPerSecond: number;
  /** Scanner invocations for the batches (the plan and the summary not counted). */
  readonly batchInvocations: number;
  /** The largest batch output (a child workflow's output) per object in it, in bytes. */
  readonly outputBytesPerObject: number;
}

export interface BulkResult {
  readonly engine: Engine['id'];
  readonly objectBytes: number;
  /** The deployment default the section measured and recommends (src/bulk/request.ts). */
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly scanConcurrency: number;
  /** The same fresh objects' twins: one bulk scan against one scan execution each. */
  readonly comparison: {
    readonly objects: number;
    readonly bulk: { readonly seconds: number; readonly objectsPerSecond: number };
    readonly single: {
      readonly seconds: number;
      readonly objectsPerSecond: number;
      readonly concurrency: number;
    };
  };
  readonly sweep: readonly BulkRow[];
  /**
   * On the realistic set, what Lambda would bill: one batch invocation of `batchSize` objects,
   * against the same number of single-object invocations (their durations added up).
   */
  readonly realistic: {
    readonly engine: Engine['id'];
    readonly batchSize: number;
    readonly runs: number;
    readonly batchMs: Stats;
    readonly singleMsPerObject: Stats;
  };
  readonly memoryMiB: number;
  readonly prices: Readonly<Record<BulkPriceName, Price>>;
  readonly pricesReadOn: string;
}

export type BulkPriceName =
  | 'standardTransition'
  | 'lambdaRequest'
  | 'lambdaGbSecondX86'
  | 's3GetClassRequest'
  | 's3PutClassRequest';

const SCANNER = 'lambda-av-scanner';
const REPORTS = 'bench-bulk-reports';
const MAX_CONCURRENCY = 4;
/** The scanner's default memory in the stack (scannerMemorySize). */
const MEMORY_MIB = 2048;

export interface BulkPlan {
  readonly objects: number;
  readonly sweepObjects: number;
  readonly sweep: readonly number[];
  readonly realisticRuns: number;
}

/**
 * Bulk scans on the embedded stack (lambda-av's S3 endpoint, the local runner with the Distributed Map adapter,
 * our handler behind the local Lambda endpoint; light set): objects per second for one bulk scan
 * of fresh small objects against one scan execution per object, and across batch sizes; then on
 * the realistic set the invocation time Lambda would bill for a batch against single scans.
 */
export async function measureBulk(
  ctx: BenchContext,
  light: Engine,
  realistic: Engine,
  plan: BulkPlan,
): Promise<BulkResult> {
  await ctx.s3.createBucket(REPORTS);
  let batchCalls = 0;
  const server = await startLocalLambda({
    [SCANNER]: (event) => {
      if (Array.isArray((event as { Items?: unknown }).Items)) batchCalls++;
      return light.scanner.handler(event);
    },
    [`${SCANNER}-realistic`]: (event) => realistic.scanner.handler(event),
  });
  const lambda = new LambdaClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: server.credentials,
    maxAttempts: 1,
  });
  const options = (s3: S3Client, batchSize: number) => ({
    lambda,
    s3,
    substitutions: {
      ScannerFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${SCANNER}`,
      MaxFileSize: String(light.scanner.config.maxFileSize),
      BulkMaxConcurrency: String(MAX_CONCURRENCY),
      BulkBatchSize: String(batchSize),
      ReportBucket: REPORTS,
    },
  });
  let run = 0;
  const seed = async (objects: number): Promise<string> => {
    const prefix = `bulk-${run++}-${Date.now().toString(36)}/`;
    await forEachLimited(
      Array.from({ length: objects }, (_, i) => i),
      16,
      (i) => ctx.s3.putBuffer(ctx.bucket, `${prefix}${String(i).padStart(6, '0')}`, makeContent(KiB)),
    );
    return prefix;
  };
  const bulkScan = async (prefix: string, objects: number, batchSize: number): Promise<BulkRow> => {
    batchCalls = 0;
    const started = performance.now();
    const result = await runLocalExecution(
      BULK_SCAN_STATE_MACHINE,
      { bucket: ctx.bucket, prefix, mode: 'all', batchSize },
      options(light.scanner.s3, batchSize),
    );
    const seconds = (performance.now() - started) / 1000;
    const output = result.output as
      | { counts?: Record<string, number>; report?: { manifest?: string } }
      | undefined;
    if (result.status !== 'SUCCEEDED' || output?.counts?.CLEAN !== objects) {
      throw new Error(
        `bulk scan: ${result.status} ${JSON.stringify(output?.counts)} ${result.error ?? ''} ${result.cause ?? ''}`,
      );
    }
    const outputs = await reportOutputs(light.scanner.s3, output.report?.manifest ?? '');
    return {
      batchSize,
      objects,
      seconds,
      objectsPerSecond: objects / seconds,
      batchInvocations: batchCalls,
      outputBytesPerObject: Math.max(...outputs.map((o) => o.bytes / Math.max(1, o.objects))),
    };
  };

  try {
    ctx.progress(`bulk scans: ${plan.objects} fresh objects, one bulk scan against one execution each`);
    const bulkPrefix = await seed(plan.objects);
    const singlePrefix = await seed(plan.objects);
    const bulk = await bulkScan(bulkPrefix, plan.objects, DEFAULT_BATCH_SIZE);
    const singleConcurrency = MAX_CONCURRENCY * DEFAULT_SCAN_CONCURRENCY;
    const started = performance.now();
    await forEachLimited(
      Array.from({ length: plan.objects }, (_, i) => i),
      singleConcurrency,
      async (i) => {
        const result = await runLocalExecution(
          SCAN_STATE_MACHINE,
          { bucket: ctx.bucket, key: `${singlePrefix}${String(i).padStart(6, '0')}` },
          options(light.scanner.s3, DEFAULT_BATCH_SIZE),
        );
        if (result.status !== 'SUCCEEDED') throw new Error(`single scan: ${result.error} ${result.cause}`);
      },
    );
    const singleSeconds = (performance.now() - started) / 1000;

    const sweep: BulkRow[] = [];
    for (const batchSize of plan.sweep) {
      ctx.progress(`bulk scans: batch size ${batchSize}, ${plan.sweepObjects} fresh objects`);
      sweep.push(await bulkScan(await seed(plan.sweepObjects), plan.sweepObjects, batchSize));
    }

    ctx.progress(
      `bulk scans: a batch of ${DEFAULT_BATCH_SIZE} on the realistic set against single invocations`,
    );
    const batchMs: number[] = [];
    const singleMs: number[] = [];
    for (let r = 0; r < plan.realisticRuns; r++) {
      const prefix = await seed(2 * DEFAULT_BATCH_SIZE);
      const keys = Array.from(
        { length: 2 * DEFAULT_BATCH_SIZE },
        (_, i) => `${prefix}${String(i).padStart(6, '0')}`,
      );
      const items = keys.slice(0, DEFAULT_BATCH_SIZE).map((Key) => ({ Key, Size: KiB }));
      const t = performance.now();
      const output = (await realistic.scanner.handler({
        Items: items,
        BatchInput: {
          bucket: ctx.bucket,
          mode: 'all',
          modifiedAfter: '',
          scanConcurrency: DEFAULT_SCAN_CONCURRENCY,
        },
      })) as BatchProgress;
      batchMs.push(performance.now() - t);
      if (output.report.counts.CLEAN !== DEFAULT_BATCH_SIZE)
        throw new Error(`batch: ${JSON.stringify(output.report.counts)}`);
      let total = 0;
      for (const key of keys.slice(DEFAULT_BATCH_SIZE)) {
        const s = performance.now();
        await realistic.scanner.scan(ctx.bucket, key);
        total += Math.ceil(performance.now() - s);
      }
      singleMs.push(total / DEFAULT_BATCH_SIZE);
    }

    return {
      engine: light.id,
      objectBytes: KiB,
      batchSize: DEFAULT_BATCH_SIZE,
      maxConcurrency: MAX_CONCURRENCY,
      scanConcurrency: DEFAULT_SCAN_CONCURRENCY,
      comparison: {
        objects: plan.objects,
        bulk: { seconds: bulk.seconds, objectsPerSecond: bulk.objectsPerSecond },
        single: {
          seconds: singleSeconds,
          objectsPerSecond: plan.objects / singleSeconds,
          concurrency: singleConcurrency,
        },
      },
      sweep,
      realistic: {
        engine: realistic.id,
        batchSize: DEFAULT_BATCH_SIZE,
        runs: plan.realisticRuns,
        batchMs: summarise(batchMs),
        singleMsPerObject: summarise(singleMs),
      },
      memoryMiB: MEMORY_MIB,
      pricesReadOn: PRICES_READ_ON,
      prices: {
        standardTransition: PRICES.standardTransition,
        lambdaRequest: PRICES.lambdaRequest,
        lambdaGbSecondX86: PRICES.lambdaGbSecondX86,
        s3GetClassRequest: PRICES.s3GetClassRequest,
        s3PutClassRequest: PRICES.s3PutClassRequest,
      },
    };
  } finally {
    lambda.destroy();
    await server.stop();
  }
}

/** Each child workflow's output in the report: its size in bytes and how many objects it holds. */
async function reportOutputs(
  s3: S3Client,
  manifestKey: string,
): Promise<Array<{ bytes: number; objects: number }>> {
  const read = async (key: string) =>
    (await (await s3.send(new GetObjectCommand({ Bucket: REPORTS, Key: key }))).Body?.transformToString()) ??
    '';
  const manifest = JSON.parse(await read(manifestKey)) as {
    ResultFiles: { SUCCEEDED: Array<{ Key: string }> };
  };
  const out: Array<{ bytes: number; objects: number }> = [];
  for (const file of manifest.ResultFiles.SUCCEEDED) {
    for (const record of JSON.parse(await read(file.Key)) as Array<{ Output: string }>) {
      out.push({
        bytes: Buffer.byteLength(record.Output),
        objects: (JSON.parse(record.Output) as BatchOutput).results.length,
      });
    }
  }
  return out;
}
