import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from './aws-clients';
import { defaultMaxScanSize } from './clamd/clamd-conf';
import { ClamdDaemon } from './clamd/daemon';
import type { Config } from './config';
import { syncDefinitions } from './definitions/store';
import { DaemonConnectionError } from './errors';
import type { TagRequest } from './events';
import { logger as defaultLogger } from './logger';
import { EmfScanMetrics, type ScanMetrics } from './metrics';
import type { ObjectRef } from './scan/object-ref';
import { type ScanDependencies, type ScanResult, scanAndTag, tagWithoutScan } from './scan/scan-object';
import type { Verdict } from './status';

export interface ScannerOptions {
  readonly config: Config;
  readonly s3?: S3Client;
  readonly metrics?: ScanMetrics;
  readonly logger?: Pick<typeof defaultLogger, 'info' | 'warn' | 'error'>;
}

export interface PrepareResult {
  /** True when this call fetched definitions and started clamd. */
  readonly coldStart: boolean;
  readonly daemonStartupMs?: number;
  readonly definitions: string | undefined;
}

/**
 * The warm scanner of one Lambda instance: definitions fetched and clamd started on first use,
 * then kept; concurrent callers share one preparation.
 */
export class Scanner {
  readonly daemon: ClamdDaemon;
  private readonly s3: S3Client;
  private readonly metrics: ScanMetrics;
  private readonly log: NonNullable<ScannerOptions['logger']>;
  private readonly databaseDir: string;
  private definitions: string | undefined;
  private preparing: Promise<PrepareResult> | undefined;

  constructor(private readonly options: ScannerOptions) {
    const { config } = options;
    this.s3 = options.s3 ?? createS3Client();
    this.metrics = options.metrics ?? new EmfScanMetrics();
    this.log = options.logger ?? defaultLogger;
    this.databaseDir = path.join(config.workDir, 'db');
    this.daemon = new ClamdDaemon({
      workDir: config.workDir,
      databaseDir: this.databaseDir,
      binDir: config.clamavBinDir,
      maxFileSize: config.maxFileSize,
      maxScanSize: defaultMaxScanSize(config.maxFileSize),
      startTimeoutMs: config.daemonStartTimeoutMs,
    });
  }

  /** Makes sure definitions are present and clamd answers; cheap when it already runs. */
  async prepare(): Promise<PrepareResult> {
    if (this.daemon.isAlive() && !this.preparing) return { coldStart: false, definitions: this.definitions };
    this.preparing ??= this.start().finally(() => {
      this.preparing = undefined;
    });
    return this.preparing;
  }

  async scan(object: ObjectRef): Promise<ScanResult> {
    await this.prepare();
    try {
      const { verdict, result } = await scanAndTag(this.scanDependencies(), object);
      return this.report(verdict, result);
    } catch (error) {
      if (error instanceof DaemonConnectionError && (await this.daemon.recoverIfUnresponsive())) {
        this.log.warn('clamd stopped answering; it will be started again on the next scan', {
          error: error.message,
        });
      }
      throw error;
    }
  }

  /** Tags an object SKIPPED or PROCESSING_ERROR without scanning it: no daemon is needed. */
  async tag(request: TagRequest): Promise<ScanResult> {
    const { verdict, result } = await tagWithoutScan(this.scanDependencies(), request);
    return this.report(verdict, result);
  }

  async shutdown(): Promise<void> {
    await this.daemon.stop();
  }

  private scanDependencies(): ScanDependencies {
    return {
      s3: this.s3,
      clamd: this.daemon.client,
      settings: this.options.config,
      definitions: this.definitions,
    };
  }

  private report(verdict: Verdict, result: ScanResult): ScanResult {
    this.metrics.scanCompleted(verdict, result.durationMs);
    const log = verdict === 'PROCESSING_ERROR' ? this.log.warn : this.log.info;
    log.call(this.log, 'scan finished', { ...result });
    return result;
  }

  private async start(): Promise<PrepareResult> {
    const { config } = this.options;
    const sync = await syncDefinitions(
      this.s3,
      { bucket: config.definitionsBucket, prefix: config.definitionsPrefix },
      this.databaseDir,
    );
    const start = await this.daemon.ensureRunning();
    this.definitions = await this.daemon.client.version().catch(() => undefined);
    if (start.startupMs !== undefined) this.metrics.daemonStarted(start.startupMs);
    this.log.info('clamd started', {
      startupMs: start.startupMs,
      definitions: this.definitions,
      files: sync.files,
      downloaded: sync.downloaded,
    });
    return { coldStart: start.started, daemonStartupMs: start.startupMs, definitions: this.definitions };
  }
}
