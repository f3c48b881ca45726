import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DefinitionsDirectory, resolvePublishedSet } from '../../src/definitions/store';
import { updateDefinitions } from '../../src/definitions/updater';
import type { ScanResult } from '../../src/scan/contract';
import {
  DEFINITIONS_BUCKET,
  DEFINITIONS_PREFIX,
  type Harness,
  harnessPerTest,
  UPLOADS_BUCKET,
} from '../support/harness';
import { mirrorEnv, startTestMirror } from '../support/mirror';
import { watchExit } from '../support/process-exit';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../support/signatures';
import { checkGuarantees, expectNoStrayFiles, snapshot } from './guarantees';
import { record } from './ledger';

const harness = harnessPerTest();

type Middleware = Parameters<Harness['s3']['client']['middlewareStack']['add']>[0];

/** Changes what S3 answers for the objects of the uploads bucket, as a failing network or service would. */
function onUploadsGet(h: Harness, name: string, step: 'initialize' | 'deserialize', fault: Middleware) {
  (h.s3.client.middlewareStack.add as (m: Middleware, o: { step: string; name: string }) => void)(fault, {
    step,
    name,
  });
  return () => h.s3.client.middlewareStack.remove(name);
}

function isUploadsGet(context: { commandName?: string }, args: { input: unknown }): boolean {
  return (
    context.commandName === 'GetObjectCommand' &&
    (args.input as { Bucket?: string }).Bucket === UPLOADS_BUCKET
  );
}

async function* slowly(first: Buffer, pause: () => Promise<void>, rest: Buffer) {
  yield first;
  await pause();
  yield rest;
}

test('clamd killed in the middle of a scan: a retryable DaemonConnectionError, then the next scan works', async () => {
  const h = await harness();
  await h.s3.put(UPLOADS_BUCKET, 'victim.bin', Buffer.alloc(256 * 1024, 0x43), { keep: 'yes' });
  const before = await snapshot(h, UPLOADS_BUCKET, 'victim.bin');
  await h.scanner.prepare();
  const pid = h.scanner.engine.daemon.pid as number;
  const restore = onUploadsGet(h, 'killMidStream', 'initialize', (next, context) => async (args) => {
    const result = await next(args);
    if (!isUploadsGet(context, args)) return result;
    const output = result.output as { Body: Readable };
    const bytes = Buffer.from(
      await (
        output.Body as unknown as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray(),
    );
    output.Body = Readable.from(
      slowly(
        bytes.subarray(0, 64 * 1024),
        async () => {
          const watch = await watchExit(pid);
          process.kill(pid, 'SIGKILL');
          await watch.exited;
        },
        bytes.subarray(64 * 1024),
      ),
    );
    return result;
  });
  record('fault', 'clamd killed mid-scan');

  await expect(h.handler({ bucket: UPLOADS_BUCKET, key: 'victim.bin' })).rejects.toMatchObject({
    name: 'DaemonConnectionError',
  });
  restore();

  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'victim.bin' })).toMatchObject({ status: 'CLEAN' });
  expect(h.scanner.engine.daemon.pid).not.toBe(pid);
  await checkGuarantees(h, before);
});

test('clamd hanging: the scan times out with a clear error, the hung daemon is replaced', async () => {
  const h = await harness({ env: { CLAMD_SCAN_TIMEOUT_MS: '1500' } });
  await h.s3.put(UPLOADS_BUCKET, 'waiting.txt', 'content');
  const before = await snapshot(h, UPLOADS_BUCKET, 'waiting.txt');
  await h.scanner.prepare();
  const pid = h.scanner.engine.daemon.pid as number;
  process.kill(pid, 'SIGSTOP');
  record('fault', 'clamd hanging (SIGSTOP)');

  await expect(h.handler({ bucket: UPLOADS_BUCKET, key: 'waiting.txt' })).rejects.toMatchObject({
    name: 'DaemonConnectionError',
    message: 'clamd gave no answer within 1500 ms',
  });

  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'waiting.txt' })).toMatchObject({ status: 'CLEAN' });
  expect(h.scanner.engine.daemon.pid).not.toBe(pid);
  await checkGuarantees(h, before);
}, 30_000);

test.each([
  [
    'missing',
    async (_h: Harness) => undefined,
    'DefinitionsNotPublishedError',
    /no ClamAV database files found at s3:\/\/av-definitions\/clamav\//,
  ],
  [
    'corrupt',
    async (h: Harness) =>
      h.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/corrupt.ldb`, 'Broken;Target:0;0;zz\n'),
    'DaemonStartupError',
    /clamd exited .*corrupt\.ldb/s,
  ],
])(
  'definitions %s: a start-up error saying what is wrong, objects untouched',
  async (_label, damage, name, message) => {
    const h = await harness({ definitions: _label !== 'missing' });
    await damage(h);
    await h.s3.put(UPLOADS_BUCKET, 'file.txt', EICAR, { keep: 'yes' });
    const before = await snapshot(h, UPLOADS_BUCKET, 'file.txt');
    record('fault', `definitions ${_label}`);

    await expect(h.handler({ bucket: UPLOADS_BUCKET, key: 'file.txt' })).rejects.toMatchObject({
      name,
      message: expect.stringMatching(message),
    });

    expect(await h.s3.tagsOf(UPLOADS_BUCKET, 'file.txt')).toEqual(before.tags);
    expect(h.scanner.engine.daemon.isAlive()).toBe(false);
  },
);

test.each([
  ['truncated', (bytes: Buffer) => bytes.subarray(0, 20), /received 20 of \d+ bytes/],
  [
    'altered',
    (bytes: Buffer) => Buffer.from(bytes.toString().replace('Eicar', 'Zicar')),
    /SHA-256 [0-9a-f]+ does not match/,
  ],
])(
  'a half-uploaded or altered published file (%s) is refused and no partial set is activated',
  async (label, damage, message) => {
    const mirror = await startTestMirror();
    mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
    try {
      const h = await harness({
        definitions: false,
        env: mirrorEnv(mirror),
      });
      await updateDefinitions({ s3: h.s3.client, config: h.config });
      const location = { bucket: DEFINITIONS_BUCKET, prefix: DEFINITIONS_PREFIX };
      const set = await resolvePublishedSet(h.s3.client, location);
      const key = set.files[0]?.key as string;
      const stored = await h.s3.client.send(new GetObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: key }));
      const bytes = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
      await h.s3.client.send(
        new PutObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: key, Body: damage(bytes) }),
      );
      record('fault', `published definitions ${label}`);

      await expect(h.scanner.prepare()).rejects.toMatchObject({
        name: 'DaemonStartupError',
        message: expect.stringMatching(message),
      });

      expect(await new DefinitionsDirectory(h.scanner.engine.definitionsDir.root).active()).toBeUndefined();
      expect(readdirSync(path.join(h.scanner.engine.definitionsDir.root, 'sets'))).toEqual([]);
      record('guarantee', 'no partial definitions set activated');
    } finally {
      await mirror.stop();
    }
  },
);

test('S3 throttling (503 SlowDown) is retried by the SDK; when it persists the object gets PROCESSING_ERROR', async () => {
  const h = await harness();
  await h.s3.put(UPLOADS_BUCKET, 'throttled.txt', EICAR, { keep: 'yes' });
  const before = await snapshot(h, UPLOADS_BUCKET, 'throttled.txt');
  let failures = 2;
  const slowDown = () =>
    Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
  const restore = onUploadsGet(h, 'slowDown', 'deserialize', (next, context) => async (args) => {
    if (isUploadsGet(context, args) && failures-- > 0) throw slowDown();
    return next(args);
  });
  record('fault', 'S3 503 SlowDown, transient');

  const recovered = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'throttled.txt' })) as ScanResult;
  failures = 1_000;
  record('fault', 'S3 503 SlowDown, persistent');
  const failed = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'throttled.txt' })) as ScanResult;
  restore();

  expect(recovered.status).toBe('INFECTED');
  expect(failed).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectReadError' });
  expect(failed.reason).toContain('SlowDown');
  expect((await h.s3.tagsOf(UPLOADS_BUCKET, 'throttled.txt'))['av-status']).toBe('PROCESSING_ERROR');
  await checkGuarantees(h, before);
});

test('a connection reset in the middle of the object: ObjectReadError, never a verdict', async () => {
  const h = await harness();
  await h.s3.put(
    UPLOADS_BUCKET,
    'reset.bin',
    Buffer.concat([Buffer.alloc(128 * 1024, 0x41), Buffer.from(EICAR)]),
  );
  const before = await snapshot(h, UPLOADS_BUCKET, 'reset.bin');
  const restore = onUploadsGet(h, 'resetMidStream', 'initialize', (next, context) => async (args) => {
    const result = await next(args);
    if (!isUploadsGet(context, args)) return result;
    const output = result.output as { Body: Readable };
    // The real response is dropped with its connection, as a reset drops it.
    output.Body.destroy();
    output.Body = Readable.from(
      (async function* () {
        yield Buffer.alloc(16 * 1024, 0x41);
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      })(),
    );
    return result;
  });
  record('fault', 'connection reset mid-stream');

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'reset.bin' })) as ScanResult;
  restore();

  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectReadError' });
  expect(result.reason).toContain('ECONNRESET');
  await checkGuarantees(h, before);
});

test('S3 403 on the object: AccessDeniedError result naming the object', async () => {
  const h = await harness();
  await h.s3.put(UPLOADS_BUCKET, 'secret.txt', 'x');
  const before = await snapshot(h, UPLOADS_BUCKET, 'secret.txt');
  const restore = onUploadsGet(h, 'forbidden', 'initialize', (next, context) => async (args) => {
    if (isUploadsGet(context, args)) {
      throw Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
    }
    return next(args);
  });
  record('fault', 'S3 403 AccessDenied');

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'secret.txt' })) as ScanResult;
  restore();

  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'AccessDeniedError' });
  expect(result.reason).toContain(`access to s3://${UPLOADS_BUCKET}/secret.txt was denied`);
  await checkGuarantees(h, before);
});

test('the object deleted before its scan: ObjectNotFoundError, nothing tagged or created', async () => {
  const h = await harness();
  await h.s3.put(UPLOADS_BUCKET, 'gone.txt', 'x');
  await h.s3.client.send(new DeleteObjectCommand({ Bucket: UPLOADS_BUCKET, Key: 'gone.txt' }));
  record('fault', 'object deleted before the scan');

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'gone.txt' })) as ScanResult;

  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectNotFoundError' });
  await expect(h.s3.tagsOf(UPLOADS_BUCKET, 'gone.txt')).rejects.toMatchObject({ name: 'NoSuchKey' });
  await checkGuarantees(h, undefined);
});

describe('the work area nearly full', () => {
  let mountPoint: string;
  beforeAll(() => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-full-'));
    // A 4 MiB file system: room for the definitions and clamd's socket, not for what it extracts.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
  });
  afterAll(() => {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test('clamd cannot write its temporary files: PROCESSING_ERROR saying so, never CLEAN', async () => {
    const work = path.join(mountPoint, 'av');
    mkdirSync(work);
    const h = await harness({ env: { AV_WORK_DIR: work } });
    // clamd keeps each stream in a temporary file while it scans: 6 MiB cannot fit.
    await h.s3.put(UPLOADS_BUCKET, 'big.bin', Buffer.alloc(6 * 1024 * 1024, 0x61), { keep: 'yes' });
    const before = await snapshot(h, UPLOADS_BUCKET, 'big.bin');
    record('fault', 'work area nearly full');

    const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'big.bin' })) as ScanResult;

    expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ClamdProtocolError' });
    expect(result.reason).toMatch(/Can't write to (temporary )?file|Error writing to temporary file/);
    await checkGuarantees(h, before);
  });
});

test('scans during a concurrent definitions reload all get a verdict', async () => {
  let clock = Date.now();
  const h = await harness({ env: { CLAMD_RELOAD_STRATEGY: 'concurrent' }, now: () => clock });
  const keys = Array.from({ length: 16 }, (_, i) => `during-reload/${i}.txt`);
  await Promise.all(keys.map((key, i) => h.s3.put(UPLOADS_BUCKET, key, i % 2 ? EICAR : 'clean')));
  await h.scanner.prepare();
  await h.s3.put(
    DEFINITIONS_BUCKET,
    `${DEFINITIONS_PREFIX}/more.ndb`,
    `${bodySignature('More', 'unrelated pattern')}\n`,
  );
  clock += 301_000;
  record('fault', 'scans during a definitions reload');

  const results = (await Promise.all([
    h.scanner.refresh(),
    ...keys.map((key) => h.handler({ bucket: UPLOADS_BUCKET, key })),
  ])) as Array<{ refreshed?: boolean; status?: string }>;

  expect(results[0]).toMatchObject({ refreshed: true, strategy: 'concurrent' });
  for (const [i, result] of results.slice(1).entries()) {
    expect(result.status).toBe(i % 2 ? 'INFECTED' : 'CLEAN');
  }
  await checkGuarantees(h, undefined);
});

test('two updaters at once: what ends up published is one complete set that scanners load', async () => {
  const mirror = await startTestMirror();
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  try {
    const env = mirrorEnv(mirror);
    const h = await harness({ definitions: false, env });
    const second = { ...h.config, workDir: path.join(h.workDir, 'second-updater') };
    record('fault', 'two updaters at once');

    const outcomes = await Promise.allSettled([
      updateDefinitions({ s3: h.s3.client, config: h.config }),
      updateDefinitions({ s3: h.s3.client, config: second }),
    ]);

    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(outcome.reason).toMatchObject({ name: 'ConcurrentUpdateError' });
    }
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
    expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })).toMatchObject({
      status: 'INFECTED',
    });
    await expectNoStrayFiles(h);
  } finally {
    await mirror.stop();
  }
});
