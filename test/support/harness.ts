import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type Config, loadConfig } from '../../src/config';
import { createScanFileHandler } from '../../src/handlers/scan-file';
import type { Verdict } from '../../src/scan/contract';
import type { ScanMetrics } from '../../src/scan/scan-metrics';
import { Scanner, type ScannerOptions } from '../../src/scan/scanner';
import { startMotoS3 } from './moto';
import { type LocalS3, startLocalS3, uploadDirectory } from './s3';
import { writeTestDatabase } from './signatures';

export const DEFINITIONS_BUCKET = 'av-definitions';
export const DEFINITIONS_PREFIX = 'clamav';
export const UPLOADS_BUCKET = 'uploads';

/** Metrics kept in memory so tests can assert what would have been emitted. */
export class RecordingMetrics implements ScanMetrics {
  readonly scans: Array<{ verdict: Verdict; durationMs: number }> = [];
  readonly daemonStarts: number[] = [];
  definitionsMissingCount = 0;
  resultEventsFailed = 0;
  scanCompleted(verdict: Verdict, durationMs: number): void {
    this.scans.push({ verdict, durationMs });
  }
  daemonStarted(durationMs: number): void {
    this.daemonStarts.push(durationMs);
  }
  definitionsMissing(): void {
    this.definitionsMissingCount++;
  }
  resultEventFailed(): void {
    this.resultEventsFailed++;
  }
}

export const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface Harness {
  readonly s3: LocalS3;
  readonly config: Config;
  readonly scanner: Scanner;
  readonly metrics: RecordingMetrics;
  readonly workDir: string;
  readonly handler: ReturnType<typeof createScanFileHandler>;
  tags(key: string, bucket?: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra environment for `loadConfig`. */
  readonly env?: Record<string, string>;
  /** Publish the test database under the definitions prefix (default true). */
  readonly definitions?: boolean;
  readonly lambda?: LambdaClient;
  /** For result events (with RESULT_EVENT_BUS in `env`): a client of the local EventBridge. */
  readonly eventBridge?: EventBridgeClient;
  /** The scanner's clock, in milliseconds. */
  readonly now?: () => number;
  /** The scanner's logger (default: silent). */
  readonly logger?: ScannerOptions['logger'];
  /** Which S3: lambda-av's own endpoint (default), or moto's server where versions matter. */
  readonly s3?: 'local' | 'moto';
}

/** lambda-av's S3 endpoint with a definitions bucket holding test signatures and an uploads bucket, plus a Scanner. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const s3 = options.s3 === 'moto' ? await startMotoS3() : await startLocalS3();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-work-'));
  await s3.createBucket(DEFINITIONS_BUCKET);
  await s3.createBucket(UPLOADS_BUCKET);
  if (options.definitions !== false) {
    const dbDir = path.join(workDir, 'source-db');
    await writeTestDatabase(dbDir);
    await uploadDirectory(s3, DEFINITIONS_BUCKET, dbDir, DEFINITIONS_PREFIX);
    await rm(dbDir, { recursive: true });
  }
  const config = loadConfig({
    CLAMAV_BUCKET_NAME: DEFINITIONS_BUCKET,
    PATH_TO_AV_DEFINITIONS: DEFINITIONS_PREFIX,
    AV_WORK_DIR: path.join(workDir, 'av'),
    CLAMD_START_TIMEOUT_MS: '30000',
    ...options.env,
  });
  const metrics = new RecordingMetrics();
  const scanner = new Scanner({
    config,
    s3: s3.client,
    metrics,
    logger: options.logger ?? silentLogger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.eventBridge ? { eventBridge: options.eventBridge } : {}),
  });
  const lambda = options.lambda ?? new LambdaClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
  const handler = createScanFileHandler({ config, scanner, lambda });
  return {
    s3,
    config,
    scanner,
    metrics,
    workDir,
    handler,
    tags: (key, bucket = UPLOADS_BUCKET) => s3.tagsOf(bucket, key),
    async stop() {
      await scanner.shutdown();
      lambda.destroy();
      await s3.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * For test files that start a harness per test: `const harness = harnessPerTest();` then
 * `const h = await harness(options)`; every harness started is stopped after its test.
 */
export function harnessPerTest(): (options?: HarnessOptions) => Promise<Harness> {
  const started: Harness[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((h) => h.stop()));
  });
  return async (options) => {
    const h = await startHarness(options);
    started.push(h);
    return h;
  };
}
