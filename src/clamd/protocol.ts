import net from 'node:net';
import { ClamdProtocolError, DaemonConnectionError, ObjectReadError, ScanTimeoutError } from '../errors';

/** What clamd said about one stream. */
export type ClamdVerdict =
  | { readonly infected: false }
  | { readonly infected: true; readonly signature: string };

export interface StreamScanResult {
  readonly verdict: ClamdVerdict;
  /** Bytes sent to clamd: the whole content, or the scan would have failed. */
  readonly bytes: number;
}

export interface StreamScanOptions {
  /** The content's length as announced by its source; a shorter or longer stream is never judged. */
  readonly expectedBytes?: number;
  /** No verdict within this: a ScanTimeoutError. */
  readonly timeoutMs: number;
}

/**
 * INSTREAM's framing of one chunk: its length as 4 bytes, big-endian, then its bytes. A chunk of
 * length 0 is the stream's terminator, so an empty chunk from the source (an empty file read in
 * one go, a reader's empty read) is never framed: `undefined`. Sent, it would end the stream there
 * and clamd would judge only what came before it; in a session the real terminator would then be
 * read as the next command, and every later answer would belong to the wrong file.
 */
export function instreamChunkHeader(chunk: Uint8Array): Buffer | undefined {
  if (chunk.byteLength === 0) return undefined;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(chunk.byteLength);
  return header;
}

/** INSTREAM's terminator: a chunk of length 0. */
export const INSTREAM_END = Buffer.alloc(4);

const STOPPED = Symbol('stopped');

/**
 * The chunks of `source` until it ends or `stop` settles, whichever comes first: a source that
 * stalls (an S3 body that stops sending) cannot hold a scan past its timeout or past clamd's
 * early answer. The source is then released (`return()`: a stream is destroyed) without waiting
 * for it. Content already in memory (a sync iterable) cannot stall and is read as it is.
 */
export function untilStopped(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  stop: Promise<unknown>,
): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (!(Symbol.asyncIterator in source)) return source;
  return {
    async *[Symbol.asyncIterator]() {
      const chunks = source[Symbol.asyncIterator]();
      const stopped: Promise<typeof STOPPED> = stop.then(
        () => STOPPED,
        () => STOPPED,
      );
      try {
        for (;;) {
          const next = chunks.next();
          // A read still pending when the scan stops may fail later: that is no longer anyone's error.
          next.catch(() => undefined);
          const read = await Promise.race([next, stopped]);
          if (read === STOPPED || read.done) return;
          yield read.value;
        }
      } finally {
        Promise.resolve(chunks.return?.()).catch(() => undefined);
      }
    },
  };
}

/** What a stream's scan gets when clamd has not answered within `timeoutMs`. */
export function scanTimeout(timeoutMs: number): ScanTimeoutError {
  return new ScanTimeoutError(`clamd gave no answer within ${timeoutMs} ms`);
}

/**
 * A client of clamd's socket protocol: `z`-prefixed, NUL-terminated commands (no shell, no
 * `clamdscan` process), one connection per command so concurrent scans never share a socket.
 */
export class ClamdClient {
  constructor(readonly socketPath: string) {}

  async ping(timeoutMs = 1_000): Promise<void> {
    const reply = await this.command('PING', timeoutMs);
    if (reply !== 'PONG') throw new ClamdProtocolError(`clamd answered PING with ${JSON.stringify(reply)}`);
  }

  /** clamd's version line, e.g. `ClamAV 1.4.6/27473/Mon Nov 24 09:22:00 2026`: engine/database version/date. */
  async version(timeoutMs = 5_000): Promise<string> {
    return this.command('VERSION', timeoutMs);
  }

  async reload(timeoutMs = 5_000): Promise<void> {
    const reply = await this.command('RELOAD', timeoutMs);
    if (reply !== 'RELOADING')
      throw new ClamdProtocolError(`clamd answered RELOAD with ${JSON.stringify(reply)}`);
  }

  /**
   * Streams `source` to clamd with INSTREAM and returns its verdict. A verdict is only asked for
   * once every byte was sent: if the source fails or ends short, the connection is dropped without
   * the terminating chunk, so clamd never judges partial content.
   */
  async scanStream(source: AsyncIterable<Uint8Array>, options: StreamScanOptions): Promise<StreamScanResult> {
    const connection = await Connection.open(this.socketPath, options.timeoutMs, scanTimeout);
    let bytes = 0;
    try {
      connection.write(Buffer.from('zINSTREAM\0'));
      for await (const chunk of untilStopped(source, connection.ended)) {
        if (connection.replied) break; // clamd gave up early (size limit): its reply says why
        const header = instreamChunkHeader(chunk);
        if (header === undefined) continue;
        bytes += chunk.byteLength;
        connection.write(header, chunk);
        await connection.drained();
      }
      if (!connection.replied) {
        if (options.expectedBytes !== undefined && bytes !== options.expectedBytes) {
          throw new ObjectReadError(
            `read ${bytes} bytes of ${options.expectedBytes}: the content ended early`,
          );
        }
        connection.write(INSTREAM_END);
      }
      const verdict = parseScanReply(await connection.reply());
      return { verdict, bytes };
    } catch (error) {
      if (error instanceof ObjectReadError || error instanceof ClamdProtocolError) throw error;
      if (error instanceof DaemonConnectionError || error instanceof ScanTimeoutError) throw error;
      throw new ObjectReadError(`reading the content failed after ${bytes} bytes: ${describe(error)}`, {
        cause: error,
      });
    } finally {
      connection.close();
    }
  }

  private async command(name: string, timeoutMs: number): Promise<string> {
    const connection = await Connection.open(this.socketPath, timeoutMs);
    try {
      connection.write(Buffer.from(`z${name}\0`));
      return await connection.reply();
    } finally {
      connection.close();
    }
  }
}

/** Turns clamd's answer to INSTREAM into a verdict; anything but OK or FOUND is an error. */
export function parseScanReply(reply: string): ClamdVerdict {
  const found = /^stream: (.+) FOUND$/.exec(reply);
  if (found?.[1]) return { infected: true, signature: found[1] };
  if (reply === 'stream: OK') return { infected: false };
  throw new ClamdProtocolError(`clamd could not scan the stream: ${reply}`);
}

/** One socket connection: writes with back-pressure, collects the NUL-terminated reply. */
class Connection {
  private received = '';
  private done = false;
  private failure: Error | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;
  private endedNow: () => void = () => undefined;
  /** Settles once clamd has answered, the connection failed or timed out, or it was closed. */
  readonly ended = new Promise<void>((resolve) => {
    this.endedNow = resolve;
  });

  private constructor(
    private readonly socket: net.Socket,
    private readonly socketPath: string,
    timeoutMs: number,
    timedOut: (timeoutMs: number) => Error,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.received += text;
      if (this.received.includes('\0')) this.finish();
    });
    socket.on('error', (error) => this.finish(error));
    socket.on('close', () => this.finish());
    socket.on('drain', () => this.wake());
    this.timer = setTimeout(() => this.finish(timedOut(timeoutMs)), timeoutMs);
  }

  /** `timedOut`: the error when clamd has not answered in time (a command's: clamd is unresponsive). */
  static open(
    socketPath: string,
    timeoutMs: number,
    timedOut: (timeoutMs: number) => Error = (ms) =>
      new DaemonConnectionError(`clamd gave no answer within ${ms} ms`),
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const onError = (error: Error) =>
        reject(
          new DaemonConnectionError(`cannot connect to clamd at ${socketPath}: ${error.message}`, {
            cause: error,
          }),
        );
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new Connection(socket, socketPath, timeoutMs, timedOut));
      });
    });
  }

  /** True once clamd has answered (or the connection ended): nothing more should be sent. */
  get replied(): boolean {
    return this.done;
  }

  write(...buffers: Uint8Array[]): void {
    if (this.done) return;
    this.socket.cork();
    for (const buffer of buffers) this.socket.write(buffer);
    this.socket.uncork();
  }

  async drained(): Promise<void> {
    while (!this.done && this.socket.writableNeedDrain) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async reply(): Promise<string> {
    while (!this.done) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const end = this.received.indexOf('\0');
    if (end >= 0) return this.received.slice(0, end).trim();
    throw (
      this.failure ??
      new DaemonConnectionError(
        `clamd at ${this.socketPath} closed the connection without an answer${this.received ? `: ${this.received.trim()}` : ''}`,
      )
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.done = true;
    this.socket.destroy();
    this.wake();
  }

  private finish(error?: Error): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    if (error && !this.received.includes('\0')) {
      this.failure =
        error instanceof DaemonConnectionError || error instanceof ScanTimeoutError
          ? error
          : new DaemonConnectionError(`connection to clamd failed: ${error.message}`, { cause: error });
    }
    this.wake();
  }

  private wake(): void {
    if (this.done) this.endedNow();
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
