import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { DefinitionsDirectory, resolvePublishedSet } from '../../src/definitions/store';
import { DEFINITIONS_BUCKET, DEFINITIONS_PREFIX, harnessPerTest, UPLOADS_BUCKET } from '../support/harness';
import { watchExit } from '../support/process-exit';
import { EICAR } from '../support/signatures';

const harness = harnessPerTest();

test('a daemon killed between two scans is detected and started again', async () => {
  const h = await harness();
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  expect((await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })) as object).toMatchObject({
    status: 'INFECTED',
  });
  const firstPid = h.scanner.engine.daemon.pid;

  const exit = await watchExit(firstPid as number);
  process.kill(firstPid as number, 'SIGKILL');
  await exit.exited;
  const second = await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' });

  expect(second).toMatchObject({ status: 'INFECTED' });
  expect(h.scanner.engine.daemon.pid).toBeDefined();
  expect(h.scanner.engine.daemon.pid).not.toBe(firstPid);
  expect(h.metrics.daemonStarts).toHaveLength(2);
});

test('clamd killed in the middle of a scan fails that scan with a retryable named error; the next scan works', async () => {
  const h = await harness();
  await h.scanner.prepare();
  const pid = h.scanner.engine.daemon.pid as number;
  const exit = await watchExit(pid);
  async function* slowSource() {
    yield Buffer.alloc(64 * 1024, 0x41);
    process.kill(pid, 'SIGKILL');
    await exit.exited;
    yield Buffer.from(EICAR);
  }

  await expect(
    h.scanner.engine.daemon.client.scanStream(slowSource(), { timeoutMs: 5_000 }),
  ).rejects.toMatchObject({
    name: 'DaemonConnectionError',
  });
  await h.s3.put(UPLOADS_BUCKET, 'after.txt', EICAR);
  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'after.txt' })).toMatchObject({ status: 'INFECTED' });
  expect(h.scanner.engine.daemon.pid).not.toBe(pid);
});

test('content that ends before its announced length is never judged', async () => {
  const h = await harness();
  await h.scanner.prepare();
  async function* shortSource() {
    yield Buffer.from('only part of it');
  }

  await expect(
    h.scanner.engine.daemon.client.scanStream(shortSource(), { expectedBytes: 1000, timeoutMs: 5_000 }),
  ).rejects.toMatchObject({
    name: 'ObjectReadError',
    message: expect.stringContaining('read 15 bytes of 1000'),
  });
});

test('a source that fails mid-stream gives ObjectReadError, not a verdict', async () => {
  const h = await harness();
  await h.scanner.prepare();
  async function* failingSource(): AsyncGenerator<Buffer> {
    yield Buffer.from('first chunk');
    throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  }

  await expect(
    h.scanner.engine.daemon.client.scanStream(failingSource(), { timeoutMs: 5_000 }),
  ).rejects.toMatchObject({
    name: 'ObjectReadError',
    message: expect.stringContaining('socket hang up'),
  });
});

test('no definitions under the prefix gives DefinitionsNotPublishedError saying where it looked', async () => {
  const h = await harness({ definitions: false });
  await h.s3.put(UPLOADS_BUCKET, 'file.txt', 'x');

  await expect(h.handler({ bucket: UPLOADS_BUCKET, key: 'file.txt' })).rejects.toMatchObject({
    name: 'DefinitionsNotPublishedError',
    message: expect.stringContaining(`s3://${DEFINITIONS_BUCKET}/${DEFINITIONS_PREFIX}/`),
  });
});

test('a database clamd cannot load gives DaemonStartupError with clamd own explanation', async () => {
  const h = await harness();
  await h.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/broken.ndb`, 'this is not a signature\n');

  await expect(h.scanner.prepare()).rejects.toMatchObject({
    name: 'DaemonStartupError',
    message: expect.stringMatching(/clamd exited .*broken\.ndb/s),
  });
});

test('a daemon that does not answer within the start timeout gives DaemonStartupError', async () => {
  const h = await harness({ env: { CLAMD_START_TIMEOUT_MS: '100' } });
  // About half a million hash signatures take clamd well over 100 ms to load.
  const lines = Array.from(
    { length: 500_000 },
    (_, i) => `${i.toString(16).padStart(32, '0')}:${1000 + i}:Sig${i}`,
  );
  await h.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/large.hdb`, `${lines.join('\n')}\n`);

  await expect(h.scanner.prepare()).rejects.toMatchObject({
    name: 'DaemonStartupError',
    message: expect.stringContaining('did not answer PING within 100 ms'),
  });
  expect(h.scanner.engine.daemon.isAlive()).toBe(false);
});

test('concurrent first invocations start a single daemon', async () => {
  const h = await harness();
  const keys = Array.from({ length: 8 }, (_, i) => `cold/${i}.txt`);
  await Promise.all(keys.map((key) => h.s3.put(UPLOADS_BUCKET, key, 'clean')));

  const results = await Promise.all(keys.map((key) => h.handler({ bucket: UPLOADS_BUCKET, key })));

  expect(results.every((r) => (r as { status: string }).status === 'CLEAN')).toBe(true);
  expect(h.metrics.daemonStarts).toHaveLength(1);
});

test('after a restart of the process, definitions already present are not downloaded again', async () => {
  const h = await harness();
  await h.scanner.prepare();
  await h.scanner.shutdown();
  const location = { bucket: DEFINITIONS_BUCKET, prefix: DEFINITIONS_PREFIX };
  // A new process on the same instance keeps /tmp, and so the files fetched before.
  const again = new DefinitionsDirectory(h.scanner.engine.definitionsDir.root);

  const sync = await again.sync(h.s3.client, location, await resolvePublishedSet(h.s3.client, location));

  expect(sync).toMatchObject({ changed: false, downloaded: [] });
});

test('a changed file is the only one downloaded; a removed file leaves the set', async () => {
  const h = await harness();
  await h.scanner.prepare();
  const location = { bucket: DEFINITIONS_BUCKET, prefix: DEFINITIONS_PREFIX };
  await h.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/extra.ndb`, 'Other:0:*:414243444546\n');
  await h.s3.client.send(
    new DeleteObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/test.hdb` }),
  );

  const sync = await h.scanner.engine.definitionsDir.sync(
    h.s3.client,
    location,
    await resolvePublishedSet(h.s3.client, location),
  );

  expect(sync).toMatchObject({ changed: true, downloaded: ['extra.ndb'] });
  const dir = h.scanner.engine.definitionsDir.databaseDir;
  expect((await readdir(dir)).sort()).toEqual(['extra.ndb', 'lambda-av-policy.ndb', 'test.ndb']);
  expect(await readFile(path.join(dir, 'extra.ndb'), 'utf8')).toBe('Other:0:*:414243444546\n');
});
