import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Object contents. Every object is unique (clamd skips content whose MD5 it already found clean,
 * so repeated content would measure its cache, not a scan):
 * - `random`: incompressible bytes, like compressed or encrypted uploads (archives, media, PDFs);
 * - `compressible`: log-like ASCII text, gzip compresses it about 5x.
 */
export type ContentKind = 'random' | 'compressible';

/** Bytes at the start of a content that make it unique. */
const NONCE_BYTES = 32;

/** A small deterministic generator (mulberry32): the same text on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const BLOCK = 1 << 20;
let textBlocks: Buffer[] | undefined;

/** Sixteen 1 MiB blocks of log lines; compressible contents are assembled from them. */
function textPool(): Buffer[] {
  if (textBlocks) return textBlocks;
  const next = mulberry32(20261125);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
  const methods = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
  const paths = ['/api/v1/items', '/api/v1/users', '/api/v2/orders', '/static/app.js', '/health', '/login'];
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', '-'];
  const statuses = ['200', '200', '200', '201', '204', '304', '404', '500'];
  textBlocks = [];
  for (let b = 0; b < 16; b++) {
    let text = '';
    let ms = Date.UTC(2026, 10, 25) + b * 3_600_000;
    while (text.length < BLOCK) {
      ms += Math.floor(next() * 50);
      const id = Math.floor(next() * 1e9).toString(16);
      text += `${new Date(ms).toISOString()} ${pick(levels)} req=${id} ${pick(methods)} ${pick(paths)}/${Math.floor(next() * 100_000)} ${pick(statuses)} ${Math.floor(next() * 50_000)}B ${Math.floor(next() * 900)}ms user=${pick(users)}\n`;
    }
    textBlocks.push(Buffer.from(text.slice(0, BLOCK), 'latin1'));
  }
  return textBlocks;
}

function nonce(kind: ContentKind): Buffer {
  if (kind === 'random') return randomBytes(NONCE_BYTES);
  return Buffer.from(`nonce=${randomBytes(12).toString('hex')} \n`.padEnd(NONCE_BYTES, ' '), 'latin1');
}

/** A unique content of `size` bytes held in memory (small objects). */
export function makeContent(size: number, kind: ContentKind = 'random'): Buffer {
  if (kind === 'random') return randomBytes(size);
  const pool = textPool();
  const out = Buffer.alloc(size);
  let offset = 0;
  const next = mulberry32(randomBytes(4).readUInt32BE());
  while (offset < size) offset += pool[Math.floor(next() * pool.length)]?.copy(out, offset) ?? 0;
  nonce(kind).copy(out, 0, 0, Math.min(NONCE_BYTES, size));
  return out;
}

/** Writes a unique content of `size` bytes to `file` in 1 MiB pieces (large objects). */
export async function writeContentFile(file: string, size: number, kind: ContentKind): Promise<void> {
  const stream = createWriteStream(file);
  const pool = kind === 'compressible' ? textPool() : [];
  const next = mulberry32(randomBytes(4).readUInt32BE());
  for (let offset = 0; offset < size; offset += BLOCK) {
    const length = Math.min(BLOCK, size - offset);
    const piece =
      kind === 'random'
        ? randomBytes(length)
        : (pool[Math.floor(next() * pool.length)] as Buffer).subarray(0, length);
    if (!stream.write(piece)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await renewContent(file, kind);
}

/** Makes a content file unique again by rewriting its first bytes; the rest stays the same. */
export async function renewContent(file: string, kind: ContentKind): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(nonce(kind), 0, NONCE_BYTES, 0);
  } finally {
    await handle.close();
  }
}
