import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ClamdDaemon } from '../clamd/daemon';
import { daemonOptionsFor } from '../clamd/daemon-settings';
import type { Config } from '../config';
import { DefinitionsRefresher, type RefreshResult } from '../definitions/refresher';
import { DefinitionsDirectory, type DefinitionsLocation, resolvePublishedSet } from '../definitions/store';
import { DefinitionsNotPublishedError } from '../errors';
import type { logger } from '../logger';
import type { ScanMetrics } from './scan-metrics';

export interface WarmEngineOptions {
  readonly config: Config;
  readonly s3: S3Client;
  readonly metrics: ScanMetrics;
  readonly log: Pick<typeof logger, 'info' | 'warn' | 'error'>;
  readonly now: () => number;
  /** clamd dies with this process (local stacks; src/clamd/parent-death.ts). */
  readonly diesWithParent?: boolean;
}

export interface PrepareResult {
  /** True when this call fetched definitions and started clamd. */
  readonly coldStart: boolean;
  readonly daemonStartupMs?: number;
  readonly definitions: string | undefined;
}

/**
 * clamd and its definitions in one Lambda instance: fetched and started on first use, then kept.
 * Concurrent callers share one start. Its refresher (src/definitions/refresher.ts) keeps clamd on
 * the newest published set.
 */
export class WarmEngine {
  readonly daemon: ClamdDaemon;
  readonly definitionsDir: DefinitionsDirectory;
  private readonly location: DefinitionsLocation;
  private readonly refresher: DefinitionsRefresher;
  private preparing: Promise<PrepareResult> | undefined;

  constructor(private readonly options: WarmEngineOptions) {
    const { config, s3, metrics } = options;
    this.location = { bucket: config.definitionsBucket, prefix: config.definitionsPrefix };
    this.definitionsDir = new DefinitionsDirectory(path.join(config.workDir, 'definitions'));
    this.daemon = new ClamdDaemon(
      daemonOptionsFor(config, config.workDir, this.definitionsDir.databaseDir, options.diesWithParent),
    );
    this.refresher = new DefinitionsRefresher({
      daemon: this.daemon,
      directory: this.definitionsDir,
      s3,
      location: this.location,
      settings: config,
      published: () => resolvePublishedSet(s3, this.location),
      describe: () => this.describeDefinitions(),
      onDaemonStarted: (startupMs) => metrics.daemonStarted(startupMs),
      log: options.log,
      now: options.now,
    });
  }

  /** The loaded set as results name it: clamd's version line and the set's id. */
  get definitions(): string | undefined {
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

  /** Runs a scan so that a definitions switch waits for it (and it for the switch). */
  track<T>(scan: () => Promise<T>): Promise<T> {
    return this.refresher.track(scan);
  }

  /**
   * Looks for a newer published set and, if there is one, downloads it and switches clamd to it.
   * A failure leaves clamd on the definitions it has: scans go on, and the next check tries again.
   */
  refresh(): Promise<RefreshResult> {
    return this.refresher.refresh();
  }

  /**
   * Why clamd refused the bytes being sent, once it is known to be unresponsive or to have
   * closed the stream; undefined when clamd is fine (the failure was the object's read).
   */
  async refusal(): Promise<string | undefined> {
    if (await this.daemon.recoverIfUnresponsive()) return undefined;
    return (
      (await this.daemon.recentStreamError()) ?? 'clamd closed the connection while the object was being sent'
    );
  }

  async shutdown(): Promise<void> {
    await this.daemon.stop();
  }

  private async start(): Promise<PrepareResult> {
    const { config, s3, metrics, log } = this.options;
    this.refresher.markChecked();
    const set = await resolvePublishedSet(s3, this.location).catch((error: unknown) => {
      if (error instanceof DefinitionsNotPublishedError) metrics.definitionsMissing();
      throw error;
    });
    const sync = await this.definitionsDir.sync(s3, this.location, set, config.definitionsDownloadTimeoutMs);
    const start = await this.daemon.ensureRunning();
    await this.refresher.describeLoaded();
    await this.definitionsDir.prune();
    if (start.startupMs !== undefined) metrics.daemonStarted(start.startupMs);
    log.info('clamd started', {
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
}
