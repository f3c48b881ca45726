import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ScanResult } from '../../src/scan/contract';
import { writeZipBomb } from '../support/archive-bomb';
import { deferred } from '../support/deferred';
import { type Harness, harnessPerTest, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';

// The scanner Lambda's path (the real handler, the S3 endpoint, a real clamd) with the content that broke
// `lambda-av scan` (issue 25): the engine is shared, so both must get it right.

const harness = harnessPerTest();
let bomb: Buffer;

beforeAll(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-bomb-'));
  try {
    writeZipBomb(path.join(dir, 'bomb.zip'));
    bomb = readFileSync(path.join(dir, 'bomb.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const scan = (h: Harness, key: string) => h.handler({ bucket: UPLOADS_BUCKET, key }) as Promise<ScanResult>;

test('an empty object is CLEAN, and the objects scanned after it by the same clamd get their own verdicts', async () => {
  const h = await harness();
  await h.s3.put(UPLOADS_BUCKET, '__init__.py', Buffer.alloc(0), { owner: 'dev' });
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  await h.s3.put(UPLOADS_BUCKET, 'main.py', 'print(1)\n');

  const empty = await scan(h, '__init__.py');
  const infected = await scan(h, 'eicar.com');
  const clean = await scan(h, 'main.py');

  expect(empty).toMatchObject({ status: 'CLEAN', size: 0 });
  expect(empty.error).toBeUndefined();
  expect(infected).toMatchObject({ status: 'INFECTED', signature: 'Eicar-Test-Signature.UNOFFICIAL' });
  expect(clean).toMatchObject({ status: 'CLEAN', size: 9 });
  expect(await h.tags('__init__.py')).toMatchObject({ owner: 'dev', 'av-status': 'CLEAN' });
});

test("a zip bomb is UNSCANNABLE with the limit it exhausted, answered by clamd's own time limit in one attempt", async () => {
  // MaxScanSize 100 MiB (MAX_FILE_SIZE 2 MiB); clamd's MaxScanTime is half of the scan timeout.
  const h = await harness({ env: { MAX_FILE_SIZE: String(2 * 2 ** 20), CLAMD_SCAN_TIMEOUT_MS: '20000' } });
  await h.s3.put(UPLOADS_BUCKET, 'l3.zip', bomb, { owner: 'dev' });
  await h.scanner.prepare();
  const pid = h.scanner.engine.daemon.pid;

  const result = await scan(h, 'l3.zip');

  expect(result).toMatchObject({
    status: 'UNSCANNABLE',
    signature: expect.stringMatching(/^Heuristics\.Limits\.Exceeded\.Max(ScanSize|ScanTime|Files)$/),
    unscannable: true,
    reason: 'limits-exceeded',
  });
  expect(result.error).toBeUndefined();
  expect(await h.tags('l3.zip')).toMatchObject({ owner: 'dev', 'av-status': 'UNSCANNABLE' });
  expect(h.metrics.scans.map((s) => s.verdict)).toEqual(['UNSCANNABLE']);
  expect(h.scanner.engine.daemon.pid).toBe(pid);
}, 60_000);

test('a scan that times out while clamd still answers is a PROCESSING_ERROR result, not an error to retry', async () => {
  const h = await harness({ env: { CLAMD_SCAN_TIMEOUT_MS: '1500' } });
  await h.s3.put(UPLOADS_BUCKET, 'stalls.bin', Buffer.alloc(128 * 1024, 0x43), { owner: 'dev' });
  await h.scanner.prepare();
  const pid = h.scanner.engine.daemon.pid;
  // S3 sends the first part of the body, then nothing: the read stalls until the test ends.
  const released = deferred();
  async function* stalling(bytes: Buffer) {
    yield bytes.subarray(0, 64 * 1024);
    await released.promise;
    yield bytes.subarray(64 * 1024);
  }
  h.s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'GetObjectCommand') return result;
      const output = result.output as { Body: Readable & { transformToByteArray(): Promise<Uint8Array> } };
      output.Body = Readable.from(
        stalling(Buffer.from(await output.Body.transformToByteArray())),
      ) as typeof output.Body;
      return result;
    },
    { step: 'initialize', name: 'stallingBody' },
  );

  try {
    const result = await scan(h, 'stalls.bin');

    expect(result).toMatchObject({
      status: 'PROCESSING_ERROR',
      error: 'ScanTimeoutError',
      reason: 'clamd gave no answer within 1500 ms',
    });
    expect(await h.tags('stalls.bin')).toMatchObject({ owner: 'dev', 'av-status': 'PROCESSING_ERROR' });
    expect(h.scanner.engine.daemon.pid).toBe(pid);
  } finally {
    released.resolve();
  }
});
