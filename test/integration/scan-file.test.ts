import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ScanResult } from '../../src/scan/contract';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { CLAM_EXE_SIGNATURE, CLAMAV_TESTFILES_DIR, EICAR, EICAR_SIGNATURE } from '../support/signatures';

const MAX = 4 * 1024 * 1024;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
});
afterAll(async () => {
  await h.stop();
});

async function scan(key: string): Promise<ScanResult> {
  return (await h.handler({ bucket: UPLOADS_BUCKET, key })) as ScanResult;
}

function zip(name: string, content: string): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zip-'));
  writeFileSync(path.join(dir, name), content);
  execFileSync('python3', [
    '-c',
    'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[2], sys.argv[3]); z.close()',
    path.join(dir, 'a.zip'),
    path.join(dir, name),
    name,
  ]);
  try {
    return readFileSync(path.join(dir, 'a.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a clean object is reported CLEAN and tagged with status and timestamp', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'clean.txt', 'just some harmless text');
  const before = Date.now();

  const result = await scan('clean.txt');

  expect(result).toMatchObject({ status: 'CLEAN', bucket: UPLOADS_BUCKET, key: 'clean.txt', size: 23 });
  expect(result.signature).toBeUndefined();
  expect(result.definitions).toMatch(/^ClamAV 1\.\d+\.\d+/);
  const tags = await h.tags('clean.txt');
  expect(tags['av-status']).toBe('CLEAN');
  expect(Number(tags['av-timestamp'])).toBeGreaterThanOrEqual(before);
  expect(Number(tags['av-timestamp'])).toBe(result.timestamp);
});

test('the EICAR test file is reported INFECTED with its signature', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);

  const result = await scan('eicar.com');

  expect(result.status).toBe('INFECTED');
  expect(result.signature).toBe(`${EICAR_SIGNATURE}.UNOFFICIAL`);
  expect((await h.tags('eicar.com'))['av-status']).toBe('INFECTED');
});

test('EICAR inside a zip and inside a gzip is found', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'eicar.zip', zip('eicar.com', EICAR));
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com.gz', gzipSync(Buffer.from(EICAR)));

  expect((await scan('eicar.zip')).status).toBe('INFECTED');
  expect((await scan('eicar.com.gz')).signature).toBe(`${EICAR_SIGNATURE}.UNOFFICIAL`);
});

test('every file of ClamAV test corpus is reported INFECTED', async () => {
  const files = readdirSync(CLAMAV_TESTFILES_DIR).sort();
  expect(files.length).toBeGreaterThan(30);
  for (const name of files) {
    await h.s3.put(UPLOADS_BUCKET, `corpus/${name}`, readFileSync(path.join(CLAMAV_TESTFILES_DIR, name)));
  }

  const results = await Promise.all(files.map((name) => scan(`corpus/${name}`)));

  const notInfected = results.filter((r) => r.status !== 'INFECTED').map((r) => `${r.key}: ${r.status}`);
  expect(notInfected).toEqual([]);
  expect(results.filter((r) => r.signature === `${CLAM_EXE_SIGNATURE}.UNOFFICIAL`).length).toBeGreaterThan(0);
});

test('a zero-byte object is scanned and CLEAN', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'empty', Buffer.alloc(0));

  const result = await scan('empty');

  expect(result).toMatchObject({ status: 'CLEAN', size: 0 });
});

test('an object of exactly MAX_FILE_SIZE bytes is fully scanned, EICAR at its very end is found', async () => {
  const body = Buffer.concat([Buffer.alloc(MAX - EICAR.length, 0x20), Buffer.from(EICAR)]);
  await h.s3.put(UPLOADS_BUCKET, 'at-limit.bin', body);

  const result = await scan('at-limit.bin');

  expect(result).toMatchObject({ status: 'INFECTED', size: MAX });
});

test('an object one byte over MAX_FILE_SIZE is SKIPPED and tagged so', async () => {
  await h.s3.put(
    UPLOADS_BUCKET,
    'over-limit.bin',
    Buffer.concat([Buffer.from(EICAR), Buffer.alloc(MAX + 1 - EICAR.length)]),
  );

  const result = await scan('over-limit.bin');

  expect(result).toMatchObject({ status: 'SKIPPED', size: MAX + 1 });
  expect((await h.tags('over-limit.bin'))['av-status']).toBe('SKIPPED');
});

test('the object owner tags are kept and only ours change', async () => {
  const owners = { project: 'apollo', 'cost-center': '42', 'av-status': 'stale' };
  await h.s3.put(UPLOADS_BUCKET, 'tagged.txt', 'content', owners);

  await scan('tagged.txt');

  const tags = await h.tags('tagged.txt');
  expect(tags).toMatchObject({ project: 'apollo', 'cost-center': '42', 'av-status': 'CLEAN' });
  expect(Object.keys(tags).sort()).toEqual(['av-status', 'av-timestamp', 'cost-center', 'project']);
});

test('an object whose tags leave no room for ours fails with a clear error and keeps all its tags', async () => {
  const owners = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`tag${i}`, `value${i}`]));
  await h.s3.put(UPLOADS_BUCKET, 'nine-tags.txt', EICAR, owners);

  const result = await scan('nine-tags.txt');

  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'TagLimitExceededError' });
  expect(result.reason).toMatch(/9 tags .* over S3's limit of 10/);
  expect(result.signature).toBe(`${EICAR_SIGNATURE}.UNOFFICIAL`);
  expect(await h.tags('nine-tags.txt')).toEqual(owners);
});

test('a missing object gives PROCESSING_ERROR with the reason', async () => {
  const result = await scan('does/not/exist.txt');

  expect(result).toMatchObject({
    status: 'PROCESSING_ERROR',
    error: 'ObjectNotFoundError',
    key: 'does/not/exist.txt',
  });
  expect(result.reason).toContain(`s3://${UPLOADS_BUCKET}/does/not/exist.txt does not exist`);
});

test.each([
  'with spaces/report final.pdf',
  'unicode/résumé-日本語-🦠.txt',
  'plus+sign/a+b=c.txt',
  'percent/100%25 sure %41.txt',
])('key %j is scanned directly and through an S3 event notification', async (key) => {
  await h.s3.put(UPLOADS_BUCKET, key, EICAR);
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

  const direct = await scan(key);
  const viaEvent = (await h.handler({
    Records: [{ eventSource: 'aws:s3', s3: { bucket: { name: UPLOADS_BUCKET }, object: { key: encoded } } }],
  })) as { results: ScanResult[] };

  expect(direct).toMatchObject({ key, status: 'INFECTED' });
  expect(viaEvent.results).toHaveLength(1);
  expect(viaEvent.results[0]).toMatchObject({ key, status: 'INFECTED' });
});

test('an EventBridge Object Created event is scanned', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'from eventbridge.txt', 'hello');

  const result = await h.handler({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: UPLOADS_BUCKET }, object: { key: 'from+eventbridge.txt', size: 5 } },
  });

  expect(result).toMatchObject({ key: 'from eventbridge.txt', status: 'CLEAN' });
});

test('an EventBridge event naming the null version (a bucket without versioning) reads and tags that version', async () => {
  // S3 calls an object stored without versioning the null version, which requests may name
  // (versionId=null); moto's events say "version-id": "null" for such objects, AWS's page shows
  // only versioned examples: with or without the field, the object is scanned.
  await h.s3.put(UPLOADS_BUCKET, 'null-version.com', EICAR, { owner: 'me' });

  const result = await h.handler({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: {
      bucket: { name: UPLOADS_BUCKET },
      object: { key: 'null-version.com', size: EICAR.length, 'version-id': 'null' },
    },
  });

  expect(result).toMatchObject({ key: 'null-version.com', status: 'INFECTED' });
  expect(await h.tags('null-version.com')).toMatchObject({ owner: 'me', 'av-status': 'INFECTED' });
});

test('concurrent scans on one warm instance all get their own verdict', async () => {
  const keys = Array.from({ length: 24 }, (_, i) => `concurrent/${i}.txt`);
  await Promise.all(
    keys.map((key, i) => h.s3.put(UPLOADS_BUCKET, key, i % 3 === 0 ? EICAR : `clean file ${i}`)),
  );
  const pid = h.scanner.engine.daemon.pid;

  const results = await Promise.all(keys.map((key) => scan(key)));

  results.forEach((result, i) => {
    expect(result).toMatchObject({ key: keys[i], status: i % 3 === 0 ? 'INFECTED' : 'CLEAN' });
  });
  expect(h.scanner.engine.daemon.pid).toBe(pid);
});

test('an event without a key is rejected with an error naming what is missing', async () => {
  await expect(h.handler({ bucket: UPLOADS_BUCKET })).rejects.toMatchObject({
    name: 'InvalidEventError',
    message: expect.stringContaining('key is missing'),
  });
});

test('metrics record each scan latency with its verdict and one daemon start', async () => {
  expect(h.metrics.daemonStarts).toHaveLength(1);
  expect(h.metrics.scans.map((s) => s.verdict)).toEqual(
    expect.arrayContaining(['CLEAN', 'INFECTED', 'SKIPPED', 'PROCESSING_ERROR']),
  );
});
