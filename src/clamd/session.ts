import net from 'node:net';
import { ClamdProtocolError, DaemonConnectionError, ObjectReadError, ScanTimeoutError } from '../errors';
import {
  INSTREAM_END,
  instreamChunkHeader,
  parseScanReply,
  type StreamScanOptions,
  type StreamScanResult,
  scanTimeout,
  untilStopped,
} from './protocol';

/**
 * One clamd connection kept open for many scans (clamd's `zIDSESSION`): a directory of small
 * files pays clamd's accept, connection set-up and teardown once per session instead of once per
 * file, which is most of clamd's cost per small file besides the scan itself.
 *
 * One command at a time: clamd answers pipelined commands out of order, and when it drops a
 * session (a stream over `StreamMaxLength`) the answers of the commands still queued are lost.
 * The same guarantees as `ClamdClient.scanStream` hold: a verdict is asked for only after every
 * byte of the content was sent; content that fails or ends short makes the session be dropped
 * without the terminating chunk, so clamd never judges partial content.
 */
export class ClamdSession {
  private received = '';
  private nextId = 1;
  private pending: { readonly id: number; settle: (reply: string | Error) => void } | undefined;
  private closedBy: Error | undefined;
  private readonly waiters: Array<() => void> = [];

  private constructor(
    private readonly socket: net.Socket,
    private readonly socketPath: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.receive(text));
    socket.on('drain', () => this.wake());
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('clamd closed the session')));
  }

  static open(socketPath: string, timeoutMs = 5_000): Promise<ClamdSession> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DaemonConnectionError(`cannot connect to clamd at ${socketPath} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new DaemonConnectionError(`cannot connect to clamd at ${socketPath}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.write('zIDSESSION\0');
        resolve(new ClamdSession(socket, socketPath));
      });
    });
  }

  /** False once clamd or this side ended the session: open another. */
  get usable(): boolean {
    return this.closedBy === undefined && !this.socket.destroyed;
  }

  /** Streams `source` to clamd with INSTREAM on this session and returns clamd's verdict. */
  async scanStream(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: StreamScanOptions,
  ): Promise<StreamScanResult> {
    if (this.pending) throw new Error('ClamdSession runs one command at a time');
    if (!this.usable) throw this.connectionError();
    const id = this.nextId++;
    const reply = new Promise<string | Error>((resolve) => {
      this.pending = { id, settle: resolve };
    });
    const timer = setTimeout(() => {
      this.settle(scanTimeout(options.timeoutMs));
      this.socket.destroy();
    }, options.timeoutMs);
    let bytes = 0;
    let answered = false;
    void reply.then(() => {
      answered = true;
      this.wake();
    });
    // The command, the chunks and the terminator leave in as few writes as the socket's buffer
    // allows: a small file is one write.
    let corked = false;
    const cork = () => {
      if (!corked) this.socket.cork();
      corked = true;
    };
    const uncork = () => {
      if (corked) this.socket.uncork();
      corked = false;
    };
    try {
      cork();
      this.socket.write('zINSTREAM\0');
      for await (const chunk of untilStopped(source, reply)) {
        if (answered) break; // clamd gave up early (size limit): its answer says why
        const header = instreamChunkHeader(chunk);
        if (header === undefined) continue;
        bytes += chunk.byteLength;
        cork();
        this.socket.write(header);
        this.socket.write(chunk);
        if (this.socket.writableNeedDrain) uncork();
        while (!answered && this.socket.writableNeedDrain) {
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      }
      if (!answered) {
        if (options.expectedBytes !== undefined && bytes !== options.expectedBytes) {
          throw new ObjectReadError(
            `read ${bytes} bytes of ${options.expectedBytes}: the content changed while it was read`,
          );
        }
        cork();
        this.socket.write(INSTREAM_END);
      }
      uncork();
      const answer = await reply;
      if (answer instanceof Error) throw answer;
      return { verdict: parseScanReply(answer), bytes };
    } catch (error) {
      // Whatever clamd holds of this stream must never be judged, and the session's state is
      // unknown: drop it.
      this.destroy();
      if (error instanceof ClamdProtocolError || error instanceof DaemonConnectionError) throw error;
      if (error instanceof ObjectReadError || error instanceof ScanTimeoutError) throw error;
      throw new ObjectReadError(
        `reading the content failed after ${bytes} bytes: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        { cause: error },
      );
    } finally {
      uncork();
      clearTimeout(timer);
      this.pending = undefined;
    }
  }

  /** Ends the session politely (clamd's `zEND`). */
  close(): void {
    if (this.usable) this.socket.end('zEND\0');
    this.closedBy ??= new Error('the session was closed');
  }

  /** Drops the connection at once; a command in progress fails. */
  destroy(): void {
    this.fail(new Error('the session was dropped'));
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.received += text;
    for (let end = this.received.indexOf('\0'); end >= 0; end = this.received.indexOf('\0')) {
      const line = this.received.slice(0, end).trim();
      this.received = this.received.slice(end + 1);
      // In a session clamd prefixes each answer with the number of the command it answers.
      const match = /^(\d+): (.*)$/s.exec(line);
      if (!this.pending || !match || Number(match[1]) !== this.pending.id) {
        this.settle(
          new ClamdProtocolError(`unexpected answer from clamd in a session: ${JSON.stringify(line)}`),
        );
        this.socket.destroy();
        return;
      }
      this.settle(match[2] as string);
    }
  }

  private settle(reply: string | Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.settle(reply);
  }

  private fail(error: Error): void {
    this.closedBy ??= error;
    this.settle(this.connectionError());
    this.wake();
  }

  private connectionError(): DaemonConnectionError {
    const why = this.closedBy?.message ?? 'the session is closed';
    return new DaemonConnectionError(`clamd session at ${this.socketPath} ended: ${why}`, {
      cause: this.closedBy,
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
