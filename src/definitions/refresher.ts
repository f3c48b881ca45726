import os from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClamdDaemon } from '../clamd/daemon';
import type { ReloadStrategyChoice } from '../settings';
import { chooseReloadMethod, type ReloadMethod } from './reload-strategy';
import type { DefinitionsDirectory, DefinitionsLocation, DefinitionsSet } from './store';

/** The parts of clamd's lifecycle a refresh uses. */
export type RefreshDaemon = Pick<
  ClamdDaemon,
  'reload' | 'stop' | 'ensureRunning' | 'isAlive' | 'residentBytes'
>;

/** The parts of the local definitions directory a refresh uses. */
export type RefreshDirectory = Pick<
  DefinitionsDirectory,
  'active' | 'activeDir' | 'sync' | 'activate' | 'prune'
>;

export interface RefreshSettings {
  /** DEFINITIONS_CHECK_INTERVAL */
  readonly definitionsCheckIntervalSeconds: number;
  /** DEFINITIONS_DOWNLOAD_TIMEOUT_MS */
  readonly definitionsDownloadTimeoutMs: number;
  /** CLAMD_RELOAD_STRATEGY */
  readonly reloadStrategy: ReloadStrategyChoice;
  /** The instance's memory in MiB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE); unset: half the machine's. */
  readonly memoryLimitMb: number | undefined;
}

export interface DefinitionsRefresherOptions {
  readonly daemon: RefreshDaemon;
  readonly directory: RefreshDirectory;
  readonly s3: S3Client;
  readonly location: DefinitionsLocation;
  readonly settings: RefreshSettings;
  /** The set published now (resolvePublishedSet). */
  readonly published: () => Promise<DefinitionsSet>;
  /** After clamd is on the new set: describes it (clamd's version line) for results and logs. */
  readonly describe: () => Promise<string | undefined>;
  /** Each clamd start, with its startup time (the DaemonStartupTime metric). */
  readonly onDaemonStarted: (startupMs: number) => void;
  readonly log: {
    info(message: string, fields: Record<string, unknown>): void;
    error(message: string, fields: Record<string, unknown>): void;
  };
  /** The clock, in milliseconds. */
  readonly now: () => number;
  /** This process's resident memory (a reload's peak counts it). */
  readonly processBytes?: () => number;
}

export interface RefreshResult {
  readonly refreshed: boolean;
  readonly strategy?: ReloadMethod;
  readonly definitions: string | undefined;
}

/**
 * Keeps a warm scanner's clamd on the newest published definitions. At most every
 * DEFINITIONS_CHECK_INTERVAL seconds it looks for a newer set and, if there is one, downloads it
 * and switches clamd to it without a cold start: a concurrent reload when a second engine fits in
 * memory, else a restart once the scans in flight are done (new scans wait at the gate meanwhile).
 * A failure leaves clamd on the definitions it has: scans go on, and the next check tries again.
 */
export class DefinitionsRefresher {
  private loaded: string | undefined;
  private lastCheck = 0;
  private refreshing: Promise<RefreshResult> | undefined;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  /** While clamd is restarted onto new definitions, new scans wait for this. */
  private restarting: Promise<unknown> | undefined;

  constructor(private readonly options: DefinitionsRefresherOptions) {}

  /** The loaded set as results name it (clamd's version line and the set's id). */
  get definitions(): string | undefined {
    return this.loaded;
  }

  /** A cold start looks at the published set itself: the next check is an interval from now. */
  markChecked(): void {
    this.lastCheck = this.options.now();
  }

  /** Names the set clamd runs on, once it answers on it. */
  async describeLoaded(): Promise<string | undefined> {
    this.loaded = await this.options.describe();
    return this.loaded;
  }

  checkDue(): boolean {
    return (
      this.options.now() - this.lastCheck >= this.options.settings.definitionsCheckIntervalSeconds * 1000
    );
  }

  /** Resolves at once, or once a restart onto new definitions is over. */
  async gate(): Promise<void> {
    await this.restarting;
  }

  /** Counts a scan in flight until `done`: a restart waits for those. */
  async track<T>(scan: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await scan();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** One refresh at a time: concurrent callers share it. */
  refresh(): Promise<RefreshResult> {
    this.refreshing ??= this.switchDefinitions().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async switchDefinitions(): Promise<RefreshResult> {
    const { directory, daemon, log } = this.options;
    this.lastCheck = this.options.now();
    const previousDir = await directory.activeDir();
    const previousSet = await directory.active();
    try {
      const set = await this.options.published();
      if (set.id === previousSet?.id) return { refreshed: false, definitions: this.definitions };
      const sync = await directory.sync(
        this.options.s3,
        this.options.location,
        set,
        this.options.settings.definitionsDownloadTimeoutMs,
      );
      const strategy = await this.reloadMethod();
      try {
        if (strategy === 'concurrent') await daemon.reload();
        else await this.restartDaemon();
      } catch (error) {
        // Back to the set clamd still has (concurrent reload) or can start with (restart).
        if (previousDir && previousSet) await directory.activate(previousDir, previousSet);
        if (!daemon.isAlive()) await daemon.ensureRunning();
        throw error;
      }
      await this.describeLoaded();
      await directory.prune();
      log.info('definitions refreshed', {
        definitions: this.definitions,
        strategy,
        downloaded: sync.downloaded,
      });
      return { refreshed: true, strategy, definitions: this.definitions };
    } catch (error) {
      log.error('definitions refresh failed; scanning goes on with the loaded definitions', {
        error: (error as Error).message,
        definitions: this.definitions,
      });
      await directory.prune(previousDir);
      return { refreshed: false, definitions: this.definitions };
    }
  }

  private async reloadMethod(): Promise<ReloadMethod> {
    const { settings } = this.options;
    return chooseReloadMethod({
      setting: settings.reloadStrategy,
      clamdBytes: await this.options.daemon.residentBytes(),
      processBytes: (this.options.processBytes ?? (() => process.memoryUsage().rss))(),
      limitBytes: (settings.memoryLimitMb ?? Math.floor(os.totalmem() / 2 ** 20)) * 2 ** 20,
    });
  }

  /** Restarts clamd on the new set once scans in flight are done; new scans wait meanwhile. */
  private async restartDaemon(): Promise<void> {
    let open = () => {};
    this.restarting = new Promise<void>((resolve) => {
      open = resolve;
    });
    try {
      if (this.inFlight > 0) {
        this.options.log.info('clamd restarts once the scans in flight are done', { scans: this.inFlight });
        await new Promise<void>((resolve) => {
          this.drained = resolve;
        });
      }
      this.drained = undefined;
      await this.options.daemon.stop();
      const start = await this.options.daemon.ensureRunning();
      if (start.startupMs !== undefined) this.options.onDaemonStarted(start.startupMs);
    } finally {
      this.restarting = undefined;
      open();
    }
  }
}
