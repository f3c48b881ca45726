import path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { type Config, loadConfig } from '../../src/config';
import { createScanFileHandler } from '../../src/handlers/scan-file';
import type { LocalEndpoint } from '../../src/local/protocol/local-credentials';
import { localS3Client } from '../../src/local/s3-server';
import type { ScanResult, Verdict } from '../../src/scan/contract';
import type { ScanMetrics } from '../../src/scan/scan-metrics';
import { Scanner } from '../../src/scan/scanner';
import { LogMeter } from './log-meter';

/** A logger that writes nothing; the cost section has it count the bytes it would have written. */
function meteredLogger(meter: LogMeter) {
  const at =
    (level: string) =>
    (message: unknown, ...extra: unknown[]): void => {
      const fields = extra.find((item): item is Record<string, unknown> => typeof item === 'object');
      meter.line(level, String(message), fields ?? {});
    };
  return { info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

/** Metrics kept in memory: the benchmark reads clamd's start time from them. */
export class BenchMetrics implements ScanMetrics {
  readonly daemonStarts: number[] = [];
  constructor(private readonly meter: LogMeter) {}
  scanCompleted(verdict: Verdict, durationMs: number): void {
    this.meter.scanMetric(verdict, durationMs);
  }
  daemonStarted(durationMs: number): void {
    this.daemonStarts.push(durationMs);
  }
  definitionsMissing(): void {}
  resultEventFailed(): void {}
}

export interface BenchScanner {
  readonly config: Config;
  readonly scanner: Scanner;
  readonly metrics: BenchMetrics;
  /** What the scanner's log lines and metrics would weigh in CloudWatch Logs (silent otherwise). */
  readonly logMeter: LogMeter;
  /** The S3 client the scanner uses (one per Lambda instance, kept warm). */
  readonly s3: S3Client;
  /** The client its result events go through, as in the stack (every result is published). */
  readonly eventBridge: EventBridgeClient;
  readonly handler: ReturnType<typeof createScanFileHandler>;
  /** Runs the handler on a direct event and checks the object came out CLEAN. */
  scan(bucket: string, key: string): Promise<ScanResult>;
  stop(): Promise<void>;
}

/**
 * Our scanner Lambda as one warm instance runs it: `createScanFileHandler` with a `Scanner`,
 * its definitions published in the local S3 under `prefix`. Logs and metrics are kept out of the
 * output (in Lambda a log line is one write to stdout); the log meter can count their bytes.
 */
export function createBenchScanner(options: {
  /** The S3 endpoint and its credentials. */
  readonly s3: LocalEndpoint;
  readonly bucket: string;
  readonly prefix: string;
  readonly workDir: string;
  /** The local EventBridge the results are published to. */
  readonly eventBridge: LocalEndpoint;
}): BenchScanner {
  const config = loadConfig({
    CLAMAV_BUCKET_NAME: options.bucket,
    PATH_TO_AV_DEFINITIONS: options.prefix,
    AV_WORK_DIR: path.join(options.workDir, 'av'),
    CLAMD_START_TIMEOUT_MS: '900000',
    RESULT_EVENT_BUS: 'default',
  });
  const s3 = localS3Client(options.s3);
  const logMeter = new LogMeter();
  const metrics = new BenchMetrics(logMeter);
  const eventBridge = new EventBridgeClient({
    endpoint: options.eventBridge.endpoint,
    region: 'us-east-1',
    credentials: options.eventBridge.credentials,
  });
  const scanner = new Scanner({ config, s3, eventBridge, metrics, logger: meteredLogger(logMeter) });
  // The warmer's fan-out is never used here; this endpoint is never contacted.
  const lambda = new LambdaClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
  // Bulk batches' EMF lines kept out of the output, as the scanner's own metrics are.
  const handler = createScanFileHandler({ config, scanner, lambda, bulkMetrics: { batchDone() {} } });
  return {
    config,
    scanner,
    metrics,
    logMeter,
    s3,
    eventBridge,
    handler,
    async scan(bucket, key) {
      const result = (await handler({ bucket, key })) as ScanResult;
      if (result.status !== 'CLEAN') {
        throw new Error(
          `s3://${bucket}/${key}: ${result.status} ${result.error ?? ''} ${result.reason ?? ''}`,
        );
      }
      return result;
    },
    async stop() {
      await scanner.shutdown();
      lambda.destroy();
      eventBridge.destroy();
      s3.destroy();
    },
  };
}
