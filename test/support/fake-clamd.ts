import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A stand-in for clamd's zINSTREAM on a unix socket, for fast tests of the code around the
 * engine: it reads the chunked stream as clamd does and answers `stream: <signature> FOUND` when
 * the bytes hold a marker, `stream: OK` otherwise, or the reply it is told to give. The real
 * engine is tested in the integration tier.
 */
export interface FakeClamd {
  readonly socketPath: string;
  /** The streams received, as bytes, in order. */
  readonly streams: Buffer[];
  /** The next replies, overriding the marker rule (for example an error reply). */
  readonly replies: string[];
  stop(): Promise<void>;
}

export async function startFakeClamd(markers: Readonly<Record<string, string>>): Promise<FakeClamd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-fake-clamd-'));
  const socketPath = path.join(dir, 'clamd.sock');
  const streams: Buffer[] = [];
  const replies: string[] = [];
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let command = false;
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (!command) {
        const end = buffer.indexOf(0);
        if (end < 0) return;
        command = true;
        buffer = buffer.subarray(end + 1);
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          const stream = Buffer.concat(chunks);
          streams.push(stream);
          const found = Object.entries(markers).find(([marker]) => stream.includes(marker))?.[1];
          socket.end(`${replies.shift() ?? (found ? `stream: ${found} FOUND` : 'stream: OK')}\0`);
          return;
        }
        if (buffer.length < 4 + length) return;
        chunks.push(buffer.subarray(4, 4 + length));
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    streams,
    replies,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
