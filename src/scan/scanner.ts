import path from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { createEventBridgeClient, createS3Client } from '../aws-clients';
import { ClamdDaemon } from '../clamd/daemon';
import { daemonOptionsFor } from '../clamd/daemon-settings';
import type { Config } from '../config';
import { DefinitionsRefresher, type RefreshResult } from '../definitions/refresher';
import { DefinitionsDirectory, type DefinitionsLocation, resolvePublishedSet } from '../definitions/store';
import { DaemonConnectionError, DefinitionsNotPublishedError } from '../errors';
import { logger as defaultLogger } from '../logger';
import { BusPublisher, type EventPublisher } from '../results/publisher';
import { RESULT_DETAIL_TYPE, type ResultOrigin, resultEventDetail } from '../results/result-event';
import type { EventObject, ObjectRef, ScanResult, TagRequest, Verdict } from './contract';
import { type ResolvedObject, resolveEventObject } from './resolve-object';
import { EmfScanMetrics, type ScanMetrics } from './scan-metrics';
import {
  isRetryable,
  type ScanDependencies,
  scanAndTag,
  tagWithoutScan,
  unidentifiedResult,
} from './scan-object';

export interface ScannerOptions {
  readonly config: Config;
  readonly s3?: S3Client;
  /** For result events, when RESULT_EVENT_BUS names a bus. */
  readonly eventBridge?: EventBridgeClient;
  readonly metrics?: ScanMetrics;
  readonly logger?: Pick<typeof defaultLogger, 'info' | 'warn' | 'error'>;
  /** The clock, in milliseconds (tests move it to make a definitions check due). */
  readonly now?: () => number;
}

export interface PrepareResult {
  /** True when this call fetched definitions and started clamd. */
  readonly coldStart: boolean;
  readonly daemonStartupMs?: number;
  readonly definitions: string | undefined;
}

/**
 * The warm scanner of one Lambda instance: definitions fetched and clamd started on first use,
 * then kept. Concurrent callers share one preparation. Its refresher (src/definitions/refresher.ts)
 * keeps clamd on the newest published set; the scanner scans, tags and reports.
 */
export class Scanner {
  readonly daemon: ClamdDaemon;
  readonly definitionsDir: DefinitionsDirectory;
  /** The scanner's S3 client (bulk scans read tags and reports with it too). */
  readonly s3: S3Client;
  private readonly metrics: ScanMetrics;
  /** Where final results are published, if anywhere. */
  private readonly results: EventPublisher | undefined;
  private readonly log: NonNullable<ScannerOptions['logger']>;
  private readonly now: () => number;
  private readonly location: DefinitionsLocation;
  private readonly refresher: DefinitionsRefresher;
  private preparing: Promise<PrepareResult> | undefined;

  constructor(private readonly options: ScannerOptions) {
    const { config } = options;
    this.s3 = options.s3 ?? createS3Client();
    this.metrics = options.metrics ?? new EmfScanMetrics();
    this.results =
      config.resultEventBus === undefined
        ? undefined
        : new BusPublisher({
            client: options.eventBridge ?? createEventBridgeClient(),
            bus: config.resultEventBus,
            onFailure: () => this.metrics.resultEventFailed(),
          });
    this.log = options.logger ?? defaultLogger;
    this.now = options.now ?? Date.now;
    this.location = { bucket: config.definitionsBucket, prefix: config.definitionsPrefix };
    this.definitionsDir = new DefinitionsDirectory(path.join(config.workDir, 'definitions'));
    this.daemon = new ClamdDaemon(daemonOptionsFor(config, config.workDir, this.definitionsDir.databaseDir));
    this.refresher = new DefinitionsRefresher({
      daemon: this.daemon,
      directory: this.definitionsDir,
      s3: this.s3,
      location: this.location,
      settings: config,
      published: () => resolvePublishedSet(this.s3, this.location),
      describe: () => this.describeDefinitions(),
      onDaemonStarted: (startupMs) => this.metrics.daemonStarted(startupMs),
      log: this.log,
      now: this.now,
    });
  }

  /** The loaded set as results name it: clamd's version line and the set's id. */
  private get definitions(): string | undefined {
    return this.refresher.definitions;
  }

  /**
   * Makes sure definitions are present and clamd answers; cheap when it already runs, except
   * when a definitions check is due.
   */
  async prepare(): Promise<PrepareResult> {
    await this.refresher.gate();
    if (!this.daemon.isAlive() || this.preparing) {
      this.preparing ??= this.start().finally(() => {
        this.preparing = undefined;
      });
      return this.preparing;
    }
    if (this.refresher.checkDue()) await this.refresh();
    return { coldStart: false, definitions: this.definitions };
  }

  async scan(object: ObjectRef, origin: ResultOrigin = {}): Promise<ScanResult> {
    await this.prepare();
    return this.refresher.track(async () => {
      try {
        const { verdict, result } = await scanAndTag(this.scanDependencies(), object);
        return await this.report(verdict, result, origin);
      } catch (error) {
        if (error instanceof DaemonConnectionError) {
          this.log.warn('clamd stopped answering; it will be started again on the next scan', {
            error: error.message,
          });
        }
        throw error;
      }
    });
  }

  /**
   * Scans the object an EventBridge event names, once found by matching the event
   * (src/scan/resolve-object.ts). One over the size limit is tagged SKIPPED without being read
   * and without starting clamd; one that matches nothing is a PROCESSING_ERROR, nothing tagged.
   */
  async scanEvent(event: EventObject, origin: ResultOrigin = {}): Promise<ScanResult> {
    const startedAt = performance.now();
    let resolved: ResolvedObject;
    try {
      resolved = await resolveEventObject(this.s3, event);
    } catch (error) {
      return this.unidentified(event, error, startedAt, origin);
    }
    if (resolved.size > this.options.config.maxFileSize) {
      return this.tag(
        { verdict: 'SKIPPED', target: { kind: 'ref', ref: resolved.object }, size: resolved.size },
        origin,
      );
    }
    return this.scan(resolved.object, origin);
  }

  /** Tags an object SKIPPED or PROCESSING_ERROR without scanning it: no daemon is needed. */
  async tag(request: TagRequest, origin: ResultOrigin = {}): Promise<ScanResult> {
    const startedAt = performance.now();
    let object: ObjectRef;
    if (request.target.kind === 'event') {
      try {
        object = (await resolveEventObject(this.s3, request.target.event)).object;
      } catch (error) {
        return this.unidentified(request.target.event, error, startedAt, origin, request.error);
      }
    } else {
      object = request.target.ref;
    }
    const { verdict, result } = await tagWithoutScan(this.scanDependencies(), object, request);
    return this.report(verdict, result, origin);
  }

  /**
   * The result for an object a caller could not even look at (a bulk scan that cannot read its
   * tags, say): PROCESSING_ERROR, nothing tagged, logged and counted like any scan. A retryable
   * failure is thrown instead.
   */
  notScanned(object: ObjectRef, error: unknown, startedAt: number): Promise<ScanResult> {
    return this.unidentified({ bucket: object.bucket, eventKey: object.key }, error, startedAt, {});
  }

  /**
   * Looks for a newer published set and, if there is one, downloads it and switches clamd to it.
   * A failure leaves clamd on the definitions it has: scans go on, and the next check tries again.
   */
  refresh(): Promise<RefreshResult> {
    return this.refresher.refresh();
  }

  async shutdown(): Promise<void> {
    await this.daemon.stop();
  }

  private async start(): Promise<PrepareResult> {
    this.refresher.markChecked();
    const set = await resolvePublishedSet(this.s3, this.location).catch((error: unknown) => {
      if (error instanceof DefinitionsNotPublishedError) this.metrics.definitionsMissing();
      throw error;
    });
    const sync = await this.definitionsDir.sync(
      this.s3,
      this.location,
      set,
      this.options.config.definitionsDownloadTimeoutMs,
    );
    const start = await this.daemon.ensureRunning();
    await this.refresher.describeLoaded();
    await this.definitionsDir.prune();
    if (start.startupMs !== undefined) this.metrics.daemonStarted(start.startupMs);
    this.log.info('clamd started', {
      startupMs: start.startupMs,
      definitions: this.definitions,
      files: set.files.map((file) => file.name),
      downloaded: sync.downloaded,
    });
    return { coldStart: start.started, daemonStartupMs: start.startupMs, definitions: this.definitions };
  }

  private async describeDefinitions(): Promise<string | undefined> {
    const set = await this.definitionsDir.active();
    const version = await this.daemon.client.version().catch(() => undefined);
    return version && set ? `${version} (set ${set.id})` : version;
  }

  private scanDependencies(): ScanDependencies {
    return {
      s3: this.s3,
      clamd: this.daemon.client,
      settings: this.options.config,
      definitions: this.definitions,
      refusal: async () =>
        (await this.daemon.recoverIfUnresponsive())
          ? undefined
          : ((await this.daemon.recentStreamError()) ??
            'clamd closed the connection while the object was being sent'),
    };
  }

  /** An event whose object could not be found (or looked up): a per-object failure, thrown by nothing. */
  private unidentified(
    event: EventObject,
    error: unknown,
    startedAt: number,
    origin: ResultOrigin,
    caught?: TagRequest['error'],
  ): Promise<ScanResult> {
    if (isRetryable(error)) throw error;
    const failure = error instanceof Error ? error : new Error(String(error));
    const { verdict, result } = unidentifiedResult(
      this.scanDependencies(),
      { bucket: event.bucket, key: event.eventKey },
      failure,
      Math.round(performance.now() - startedAt),
      caught,
    );
    return this.report(verdict, result, origin);
  }

  /**
   * Every final result: metrics, a log line, and the result event. The tags are written before
   * this: a result that cannot be published (ResultPublishError, after retries) keeps its verdict.
   */
  private async report(verdict: Verdict, result: ScanResult, origin: ResultOrigin): Promise<ScanResult> {
    // The canary's objects are not uploads: the update workflow reports them itself.
    const upload = result.bucket !== this.options.config.canaryBucket;
    if (upload) this.metrics.scanCompleted(verdict, result.durationMs);
    const log = verdict === 'PROCESSING_ERROR' ? this.log.warn : this.log.info;
    // `timestamp` is a key the structured logger keeps for itself (it would drop ours and warn).
    const { timestamp, ...fields } = result;
    log.call(this.log, 'scan finished', {
      ...fields,
      ...(timestamp !== undefined ? { scannedAt: timestamp } : {}),
      ...(origin.executionArn !== undefined ? { executionArn: origin.executionArn } : {}),
    });
    if (upload && this.results) {
      const detail = resultEventDetail(verdict, result, this.options.config, origin);
      await this.results.publish(RESULT_DETAIL_TYPE, detail, [`arn:aws:s3:::${result.bucket}`]);
    }
    return result;
  }
}
