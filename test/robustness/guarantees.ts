import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { EICAR } from '../../src/local-scan/test-signatures';
import type { Harness } from '../support/harness';
import { record } from './ledger';

export interface ObjectState {
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
  readonly tags: Record<string, string>;
}

export async function snapshot(h: Harness, bucket: string, key: string): Promise<ObjectState> {
  return { bucket, key, sha256: await digestOf(h, bucket, key), tags: await h.s3.tagsOf(bucket, key) };
}

async function digestOf(h: Harness, bucket: string, key: string): Promise<string> {
  const response = await h.s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return createHash('sha256')
    .update((await response.Body?.transformToByteArray()) ?? new Uint8Array())
    .digest('hex');
}

const SCAN_TAGS = ['av-status', 'av-timestamp'];

/**
 * What must hold after every case: the object's bytes and its other tags are unchanged, no stray
 * files are left in the work area, and the daemon scans again.
 */
export async function checkGuarantees(h: Harness, before: ObjectState | undefined): Promise<void> {
  if (before) {
    expect(await digestOf(h, before.bucket, before.key)).toBe(before.sha256);
    record('guarantee', 'object bytes unchanged');
    const owners = (tags: Record<string, string>) =>
      Object.fromEntries(Object.entries(tags).filter(([key]) => !SCAN_TAGS.includes(key)));
    expect(owners(await h.s3.tagsOf(before.bucket, before.key))).toEqual(owners(before.tags));
    record('guarantee', 'other tags unchanged');
  }
  await expectNoStrayFiles(h);
  record('guarantee', 'no stray files in the work area');
  await h.scanner.prepare();
  const eicar = (async function* () {
    yield Buffer.from(EICAR);
  })();
  const { verdict } = await h.scanner.engine.daemon.client.scanStream(eicar, { timeoutMs: 10_000 });
  expect(verdict).toMatchObject({ infected: true });
  record('guarantee', 'daemon usable again');
}

/**
 * The work area holds clamd's files, the active set, an empty temporary directory and, where an
 * updater ran, its restored databases.
 */
export async function expectNoStrayFiles(h: Harness): Promise<void> {
  const work = h.config.workDir;
  const allowed = new Set(['clamd.conf', 'clamd.sock', 'tmp', 'definitions', 'updater']);
  for (const name of await readdir(work).catch(() => [] as string[]))
    expect({ name, allowed: allowed.has(name) }).toEqual({ name, allowed: true });
  expect(await readdir(path.join(work, 'tmp')).catch(() => [])).toEqual([]);
  const definitions = path.join(work, 'definitions');
  const entries = await readdir(definitions).catch(() => [] as string[]);
  expect(entries.filter((name) => !['current', 'current.json', 'sets'].includes(name))).toEqual([]);
  const sets = await readdir(path.join(definitions, 'sets')).catch(() => [] as string[]);
  expect(sets.length).toBeLessThanOrEqual(1);
  for (const set of sets) {
    const files = await readdir(path.join(definitions, 'sets', set));
    expect(files.filter((name) => name.endsWith('.partial'))).toEqual([]);
  }
}
