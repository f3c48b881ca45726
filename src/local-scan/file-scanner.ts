import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  openSync,
  type PathLike,
  readSync,
} from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClamdDaemon } from '../clamd/daemon';
import { daemonOptionsFor } from '../clamd/daemon-settings';
import { ClamdSession } from '../clamd/session';
import type { Config } from '../config';
import { isDatabaseFile } from '../definitions/database-files';
import { POLICY_DATABASE, POLICY_DATABASE_NAME } from '../definitions/policy';
import {
  ClamdProtocolError,
  DaemonConnectionError,
  ObjectNotFoundError,
  ObjectReadError,
  ScanTimeoutError,
} from '../errors';
import { exceedsScanLimit, type Judgement, judgementOf } from '../scan/verdict-rules';
import { describeFsError } from '../util/fs-error';
import { makeOwnedDir } from '../util/owned-dirs';

/** What a local scan found in one file. */
export interface FileScanOutcome extends Judgement {
  /** Bytes of the file, when it could be opened. */
  readonly size?: number;
  /** For PROCESSING_ERROR: the named error and what happened. */
  readonly error?: { readonly name: string; readonly message: string };
}

export interface LocalFileScannerOptions {
  /** A directory of ClamAV database files (.cvd, .cld, .ndb, ...). */
  readonly definitionsDir: string;
  /** MAX_FILE_SIZE, CLAMD_SCAN_TIMEOUT_MS, CLAMD_START_TIMEOUT_MS, CLAMAV_BIN_DIR as for the Lambda. */
  readonly config: Config;
  /** Directory under which the work area is created (and removed on stop). */
  readonly workRoot: string;
}

/** Files up to this size are read in one go; larger ones are streamed to clamd in chunks. */
const READ_WHOLE_LIMIT = 1024 * 1024;
/**
 * Another attempt on a fresh session or a restarted clamd, as the scan state machine retries a
 * DaemonConnectionError. Never after a ScanTimeoutError: content that keeps clamd busy past the
 * timeout would only keep it busy again.
 */
const CONNECTION_RETRIES = 2;

/**
 * Scans files on this machine with the scanner Lambda's engine: clamd started with the same
 * options (`daemonOptionsFor`), the definitions plus our policy signatures, each file streamed
 * with INSTREAM and judged by the same rules. Each worker keeps its own clamd session, so clamd's
 * threads scan several files at once.
 */
export class LocalFileScanner {
  private stopping = false;
  private shutdown: Promise<void> | undefined;
  private readonly workers = new Set<FileScanWorker>();

  private constructor(
    readonly daemon: ClamdDaemon,
    private readonly config: Config,
    private readonly workDir: string,
    /** clamd's version line: engine, and for official databases their version and date. */
    readonly definitions: string | undefined,
  ) {}

  static async start(options: LocalFileScannerOptions): Promise<LocalFileScanner> {
    const workDir = await makeOwnedDir(options.workRoot, 'lambda-av-scan-');
    try {
      const databaseDir = path.join(workDir, 'definitions');
      await linkDefinitions(options.definitionsDir, databaseDir);
      const daemon = new ClamdDaemon(daemonOptionsFor(options.config, workDir, databaseDir, true));
      await daemon.ensureRunning();
      const definitions = await daemon.client.version().catch(() => undefined);
      return new LocalFileScanner(daemon, options.config, workDir, definitions);
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A scanner for one file at a time, with its own clamd session. */
  worker(): FileScanWorker {
    const worker = new FileScanWorker(this, this.config);
    this.workers.add(worker);
    return worker;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /**
   * Drops every session, stops clamd and removes the work area (clamd's temporary files too).
   * Safe to call again: later calls wait for the first.
   */
  stop(): Promise<void> {
    this.stopping = true;
    this.shutdown ??= (async () => {
      for (const worker of this.workers) worker.close();
      await this.daemon.stop();
      await rm(this.workDir, { recursive: true, force: true });
    })();
    return this.shutdown;
  }

  /**
   * After a connection failure: whether another attempt may succeed. clamd that died or hung is
   * started again; clamd that is fine but dropped the stream says why (for example its temporary
   * directory is full), which is the file's failure, not the daemon's.
   */
  async recover(): Promise<{ readonly retry: true } | { readonly refused: string }> {
    if (this.stopping) return { refused: 'the scan was stopped' };
    if (await this.daemon.recoverIfUnresponsive()) {
      await this.daemon.ensureRunning();
      return { retry: true };
    }
    const refusal = await this.daemon.recentStreamError(50);
    return refusal === undefined ? { retry: true } : { refused: refusal };
  }

  /**
   * After clamd gave no verdict in time: a clamd that no longer answers is started again for the
   * files still to come; the file that timed out is not sent again.
   */
  async afterTimeout(): Promise<void> {
    if (this.stopping) return;
    if (await this.daemon.recoverIfUnresponsive()) await this.daemon.ensureRunning();
  }
}

export class FileScanWorker {
  private session: ClamdSession | undefined;

  constructor(
    private readonly scanner: LocalFileScanner,
    private readonly config: Config,
  ) {}

  /**
   * Scans one file (its path as bytes, or as text); every failure is a PROCESSING_ERROR outcome,
   * never CLEAN. An empty file is scanned like any other: clamd answers OK for no content.
   */
  async scan(file: PathLike): Promise<FileScanOutcome> {
    let size: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const content = openContent(file);
        size = content.size;
        try {
          if (exceedsScanLimit(content.size, this.config)) return { verdict: 'SKIPPED', size };
          this.session = this.session?.usable ? this.session : await this.openSession();
          const { verdict } = await this.session.scanStream(content.read(), {
            expectedBytes: content.size,
            timeoutMs: this.config.scanTimeoutMs,
          });
          return { ...judgementOf(verdict), size };
        } finally {
          content.close();
        }
      } catch (caught) {
        let error = caught;
        if (error instanceof ScanTimeoutError) {
          this.session = undefined;
          await this.scanner.afterTimeout();
        }
        if (error instanceof DaemonConnectionError) {
          this.session = undefined;
          const next = await this.scanner.recover();
          if ('retry' in next && attempt < CONNECTION_RETRIES) continue;
          if ('refused' in next) {
            error = new ClamdProtocolError(`clamd refused the file: ${next.refused}`, { cause: error });
          }
        }
        const failure = error instanceof Error ? error : new Error(String(error));
        return {
          verdict: 'PROCESSING_ERROR',
          ...(size !== undefined ? { size } : {}),
          error: { name: failure.name, message: failure.message },
        };
      }
    }
  }

  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }

  private async openSession(): Promise<ClamdSession> {
    if (this.scanner.stopped) throw new DaemonConnectionError('the scan was stopped');
    return ClamdSession.open(this.scanner.daemon.client.socketPath);
  }
}

interface FileContent {
  readonly size: number;
  /** The bytes, once: small files in one buffer, larger ones as a stream. */
  read(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Closes the file (and the stream, if any); safe to call more than once. */
  close(): void;
}

/**
 * Opens a regular file without following it into a FIFO or device (O_NONBLOCK: opening a FIFO
 * never waits for a writer). Small files are read here, synchronously: on a local disk that is
 * cheaper than a round trip through libuv's thread pool per call, and a few small reads block
 * the event loop for microseconds.
 */
function openContent(file: PathLike): FileContent {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    if (failure.code === 'ENOENT')
      throw new ObjectNotFoundError('the file no longer exists', { cause: error });
    throw new ObjectReadError(`cannot open the file: ${describeFsError(error)}`, { cause: error });
  }
  let stream: ReturnType<typeof createReadStream> | undefined;
  const close = () => {
    if (stream) stream.destroy();
    else if (fd >= 0) closeSync(fd);
    fd = -1;
  };
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ObjectReadError('not a regular file');
    const size = info.size;
    return {
      size,
      close,
      read: () => {
        if (size > READ_WHOLE_LIMIT) {
          // The stream owns the descriptor from here and closes it when it ends or is destroyed.
          stream = createReadStream('', { fd, highWaterMark: 256 * 1024 });
          return stream;
        }
        return [readWhole(fd, size)];
      },
    };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * Reads exactly `size` bytes and checks the file ends there: a file that grew or shrank while it
 * was read is an error, so a verdict never covers less than the whole file.
 */
function readWhole(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size + 1);
  let offset = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, null);
      if (read === 0) break;
      offset += read;
      if (offset > size) break;
    }
  } catch (error) {
    throw new ObjectReadError(`reading failed after ${offset} bytes: ${describeFsError(error)}`, {
      cause: error,
    });
  }
  if (offset !== size) {
    throw new ObjectReadError(`the file changed while it was read (${size} bytes expected, ${offset} found)`);
  }
  return buffer.subarray(0, size);
}

/**
 * The database directory clamd loads: a link to each database file of the source directory and
 * our policy signatures beside them, as the scanner Lambda's definitions directory has.
 */
async function linkDefinitions(sourceDir: string, databaseDir: string): Promise<void> {
  const names = (await readdir(sourceDir)).filter(isDatabaseFile);
  if (names.length === 0) throw new Error(`no ClamAV database files in ${sourceDir}`);
  await mkdir(databaseDir, { recursive: true });
  for (const name of names) await symlink(path.resolve(sourceDir, name), path.join(databaseDir, name));
  await writeFile(path.join(databaseDir, POLICY_DATABASE_NAME), POLICY_DATABASE);
}
