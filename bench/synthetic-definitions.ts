import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * A synthetic signature set in ClamAV's formats, generated deterministically (fixed seed), for
 * measurements that need a database of realistic size without ClamAV's official files. The
 * `official` scale matches the official set's composition: 3.5M .hdb + 1.5M .hsb + 1M .mdb hash
 * signatures, 300k .ndb body signatures (~20 % with wildcards), 30k .ldb logical signatures
 * (~2 % with a PCRE subsignature).
 */
export const SCALES = {
  official: { hdb: 3_500_000, hsb: 1_500_000, mdb: 1_000_000, ndb: 300_000, ldb: 30_000 },
  medium: { hdb: 700_000, hsb: 300_000, mdb: 200_000, ndb: 60_000, ldb: 6_000 },
  small: { hdb: 35_000, hsb: 15_000, mdb: 10_000, ndb: 3_000, ldb: 300 },
} as const;

export type Scale = keyof typeof SCALES;

/**
 * xorshift128+: fast, and the same sequence for the same seed on every machine. The 64-bit state
 * is kept as two 32-bit halves each (BigInt arithmetic made the official scale take a minute).
 */
function random(seed: number) {
  const mask = (1n << 64n) - 1n;
  const init0 = (BigInt(seed) | 1n) & mask;
  const init1 = (0x9e3779b97f4a7c15n ^ BigInt(seed)) & mask;
  let s0hi = Number(init0 >> 32n) >>> 0;
  let s0lo = Number(init0 & 0xffffffffn) >>> 0;
  let s1hi = Number(init1 >> 32n) >>> 0;
  let s1lo = Number(init1 & 0xffffffffn) >>> 0;
  return () => {
    let xhi = s0hi;
    let xlo = s0lo;
    const yhi = s1hi;
    const ylo = s1lo;
    s0hi = yhi;
    s0lo = ylo;
    // x ^= x << 23
    xhi = (xhi ^ ((xhi << 23) | (xlo >>> 9))) >>> 0;
    xlo = (xlo ^ (xlo << 23)) >>> 0;
    // s1 = x ^ y ^ (x >> 17) ^ (y >> 26)
    s1hi = (xhi ^ yhi ^ (xhi >>> 17) ^ (yhi >>> 26)) >>> 0;
    s1lo = (xlo ^ ylo ^ ((xlo >>> 17) | (xhi << 15)) ^ ((ylo >>> 26) | (yhi << 6))) >>> 0;
    return ((s1lo + ylo) >>> 0) / 2 ** 32;
  };
}

export async function writeSyntheticDefinitions(dir: string, scale: Scale, seed = 20261125): Promise<number> {
  await mkdir(dir, { recursive: true });
  const next = random(seed);
  const scratch = Buffer.alloc(64);
  const hex = (bytes: number) => {
    for (let i = 0; i < bytes; i++) scratch[i] = Math.floor(next() * 256);
    return scratch.toString('hex', 0, bytes);
  };
  const counts = SCALES[scale];
  let total = 0;
  const write = async (name: string, count: number, line: (i: number) => string) => {
    const stream = createWriteStream(path.join(dir, name));
    // Lines are written in batches: one write per line made the official scale slow.
    let batch = '';
    for (let i = 0; i < count; i++) {
      batch += `${line(i)}\n`;
      if (batch.length < 1 << 20 && i < count - 1) continue;
      const ok = stream.write(batch);
      batch = '';
      if (!ok) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    total += count;
  };
  await write('synthetic.hdb', counts.hdb, (i) => `${hex(16)}:${1000 + (i % 500_000)}:Synthetic.Hdb-${i}`);
  await write('synthetic.hsb', counts.hsb, (i) => `${hex(32)}:${2000 + (i % 500_000)}:Synthetic.Hsb-${i}`);
  await write('synthetic.mdb', counts.mdb, (i) => `${4096 + (i % 65_536)}:${hex(16)}:Synthetic.Mdb-${i}`);
  await write('synthetic.ndb', counts.ndb, (i) => {
    const body = hex(12 + Math.floor(next() * 20));
    const withWildcard = next() < 0.2 ? `${body.slice(0, 8)}{-20}${body.slice(8)}` : body;
    return `Synthetic.Ndb-${i}:0:*:${withWildcard}`;
  });
  await write('synthetic.ldb', counts.ldb, (i) => {
    const a = hex(8);
    const b = hex(10);
    if (next() < 0.02)
      return `Synthetic.Ldb-${i};Engine:81-255,Target:0;0&1&2;${a};${b};0/${hex(6)}[0-9a-f]{4}/`;
    return `Synthetic.Ldb-${i};Engine:51-255,Target:0;0&1;${a};${b}`;
  });
  return total;
}
