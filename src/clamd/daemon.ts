import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonStartupError, DefinitionsReloadError } from '../errors';
import { resolveTool, toolEnvironment } from './binaries';
import { renderClamdConf } from './clamd-conf';
import { diesWithThisProcess } from './parent-death';
import { ClamdClient } from './protocol';

export interface ClamdDaemonOptions {
  /** Work area: clamd's configuration, socket and temporary files live here. */
  readonly workDir: string;
  /** Directory holding the database files clamd loads. */
  readonly databaseDir: string;
  readonly binDir: string | undefined;
  readonly maxFileSize: number;
  readonly maxScanSize: number;
  /** clamd's MaxScanTime (src/clamd/clamd-conf.ts): default, that of the default scan timeout. */
  readonly maxScanTimeMs?: number;
  readonly startTimeoutMs: number;
  /**
   * Start clamd so the kernel kills it when this process dies (src/clamd/parent-death.ts): for
   * local scans and the local stack, where an orphaned clamd would go on using memory and CPU.
   */
  readonly diesWithParent?: boolean;
}

export interface DaemonStart {
  /** True when this call started clamd (a cold start of the daemon). */
  readonly started: boolean;
  /** Time from spawn to the first PONG, when started. */
  readonly startupMs?: number;
}

/** Most recent output kept from clamd, to explain a failed start. */
const OUTPUT_TAIL = 4_000;

/**
 * One clamd process kept resident for the life of the Lambda instance. `ensureRunning` is safe to
 * call from concurrent invocations: they share a single start, and a daemon that has died is
 * detected and started again.
 */
export class ClamdDaemon {
  readonly client: ClamdClient;
  private process: ChildProcess | undefined;
  private starting: Promise<DaemonStart> | undefined;
  private output = '';
  private readonly outputListeners = new Set<(text: string) => void>();
  private partialLine = '';
  private lastRefusal: { readonly text: string; readonly at: number } | undefined;

  constructor(private readonly options: ClamdDaemonOptions) {
    this.client = new ClamdClient(path.join(options.workDir, 'clamd.sock'));
  }

  get pid(): number | undefined {
    return this.isAlive() ? this.process?.pid : undefined;
  }

  isAlive(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  async ensureRunning(): Promise<DaemonStart> {
    if (this.starting) return this.starting;
    if (this.isAlive()) return { started: false };
    this.starting = this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * After a failed scan: if clamd no longer answers PING, stop it so the next `ensureRunning`
   * starts a fresh one instead of trusting a hung process.
   */
  async recoverIfUnresponsive(): Promise<boolean> {
    if (!this.isAlive()) return true;
    try {
      await this.client.ping(2_000);
      return false;
    } catch {
      await this.stop();
      return true;
    }
  }

  /**
   * Asks clamd to load its database directory again (zRELOAD) and waits until it has switched
   * to the new engine. With `ConcurrentDatabaseReload yes` clamd keeps scanning with the old
   * engine meanwhile, and keeps it if the new database fails to load: that is an error here.
   */
  async reload(timeoutMs = this.options.startTimeoutMs): Promise<void> {
    let seen = '';
    let listener: ((text: string) => void) | undefined;
    const outcome = new Promise<void>((resolve, reject) => {
      listener = (text) => {
        seen += text;
        if (/Activating the newly loaded database/.test(seen)) resolve();
        const failed = /Database reload failed[^\n]*/.exec(seen);
        if (failed)
          reject(new DefinitionsReloadError(`clamd could not load the new definitions: ${seen.trim()}`));
      };
      this.outputListeners.add(listener);
    });
    try {
      await this.client.reload();
      const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new DefinitionsReloadError(`clamd did not finish reloading within ${timeoutMs} ms`);
      });
      await Promise.race([outcome, timer]);
    } finally {
      if (listener) this.outputListeners.delete(listener);
    }
  }

  /**
   * What clamd said about a stream it refused just now (for example
   * `Can't write to file ERROR` when its temporary directory is full). clamd logs it as it drops
   * the connection, so the line may arrive a moment after the client saw the connection close:
   * this waits up to `waitMs` for it.
   */
  async recentStreamError(waitMs = 500): Promise<string | undefined> {
    const fresh = () =>
      this.lastRefusal && Date.now() - this.lastRefusal.at < 2_000 ? this.lastRefusal.text : undefined;
    const deadline = Date.now() + waitMs;
    while (fresh() === undefined && Date.now() < deadline) await sleep(20);
    return fresh();
  }

  private noteRefusals(text: string): void {
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      // e.g. "ERROR: <time> -> INSTREAM: Can't write to temporary file." or
      // "instream(local): Can't write to file ERROR". clamd logs its verdicts in the same form
      // ("instream(local): Eicar-Test-Signature FOUND"): those are answers, not refusals, and
      // taken for one they would name another file's virus as this file's failure.
      const refusal = /(?:instream\([^)]*\)|INSTREAM): (.+)$/.exec(line)?.[1];
      if (refusal && !/ (?:FOUND|OK)$/.test(refusal)) this.lastRefusal = { text: refusal, at: Date.now() };
    }
  }

  /** Resident memory of clamd, in bytes: what a concurrent reload would need once more. */
  async residentBytes(): Promise<number | undefined> {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  }

  /** Stops clamd and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    // A stopped (hung) process only acts on the SIGTERM once it runs again.
    child.kill('SIGCONT');
    const killed = await Promise.race([
      exited.then(() => true),
      sleep(5_000, undefined, { ref: false }).then(() => false),
    ]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  private async start(): Promise<DaemonStart> {
    const { workDir, databaseDir, binDir, startTimeoutMs } = this.options;
    const tempDir = path.join(workDir, 'tmp');
    const confPath = path.join(workDir, 'clamd.conf');
    await mkdir(tempDir, { recursive: true });
    // Leftovers of a daemon that died mid-scan would otherwise fill the work area.
    await rm(tempDir, { recursive: true, force: true });
    await mkdir(tempDir, { recursive: true });
    await writeFile(
      confPath,
      renderClamdConf({
        socketPath: this.client.socketPath,
        databaseDir,
        tempDir,
        maxFileSize: this.options.maxFileSize,
        maxScanSize: this.options.maxScanSize,
        ...(this.options.maxScanTimeMs !== undefined ? { maxScanTimeMs: this.options.maxScanTimeMs } : {}),
      }),
    );

    const clamd = resolveTool('clamd', binDir);
    const tool = this.options.diesWithParent ? diesWithThisProcess(clamd) : clamd;
    const startedAt = performance.now();
    this.output = '';
    const child = spawn(tool.file, [...tool.args, `--config-file=${confPath}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: toolEnvironment(tool),
    });
    this.process = child;
    const collect = (data: Buffer) => {
      const text = data.toString('utf8');
      this.output = (this.output + text).slice(-OUTPUT_TAIL);
      this.noteRefusals(text);
      for (const listener of this.outputListeners) listener(text);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

    const deadline = startedAt + startTimeoutMs;
    for (;;) {
      const failure = await Promise.race([spawnError, sleep(20).then(() => undefined)]);
      if (failure) throw this.failed(`clamd could not be started from ${clamd.file}: ${failure.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw this.failed(`clamd exited (${child.exitCode ?? child.signalCode}) while starting`);
      }
      try {
        await this.client.ping(1_000);
        return { started: true, startupMs: Math.round(performance.now() - startedAt) };
      } catch {
        // Not listening yet: clamd opens its socket only after the whole database is loaded.
      }
      if (performance.now() > deadline) {
        await this.stop();
        throw this.failed(`clamd did not answer PING within ${startTimeoutMs} ms`);
      }
    }
  }

  private failed(message: string): DaemonStartupError {
    if (this.process && !this.isAlive()) this.process = undefined;
    const output = this.output.trim();
    return new DaemonStartupError(output ? `${message}; clamd said: ${output}` : message);
  }
}
