import { readdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClamdSession } from '../../../src/clamd/session';
import { loadConfig } from '../../../src/config';
import { LocalFileScanner } from '../../../src/local-scan/file-scanner';
import { isRunning } from '../../support/cli';
import { watchExit } from '../../support/process-exit';
import { EICAR, writeTestDatabase } from '../../support/signatures';

let root: string;
let definitionsDir: string;
let workRoot: string;
let scanner: LocalFileScanner;
const MAX_FILE_SIZE = 4096;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-file-scanner-'));
  definitionsDir = path.join(root, 'db');
  workRoot = path.join(root, 'work');
  await writeTestDatabase(definitionsDir);
  await mkdir(workRoot);
  scanner = await LocalFileScanner.start({
    definitionsDir,
    workRoot,
    config: loadConfig({
      CLAMAV_BUCKET_NAME: 'unused',
      MAX_FILE_SIZE: String(MAX_FILE_SIZE),
      CLAMD_START_TIMEOUT_MS: '30000',
    }),
  });
});
afterAll(async () => {
  await scanner.stop();
  await rm(root, { recursive: true, force: true });
});

/** Chunks as a stream delivers them (the one-shot client takes async sources only). */
async function* chunks(parts: readonly Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

function file(name: string, content: string | Buffer): string {
  const target = path.join(root, name);
  writeFileSync(target, content);
  return target;
}

test('one worker scans file after file on its clamd session', async () => {
  const worker = scanner.worker();
  const files = Array.from({ length: 12 }, (_, i) =>
    i % 3 === 0 ? file(`e${i}.com`, EICAR) : file(`c${i}.txt`, `clean ${i}`),
  );

  const outcomes = [];
  for (const target of files) outcomes.push(await worker.scan(target));

  expect(outcomes.map((o) => o.verdict)).toEqual(
    files.map((f) => (f.endsWith('.com') ? 'INFECTED' : 'CLEAN')),
  );
  expect(outcomes[0]).toEqual({
    verdict: 'INFECTED',
    signature: 'Eicar-Test-Signature.UNOFFICIAL',
    size: 68,
  });
});

test('a file over MAX_FILE_SIZE is SKIPPED, never read', async () => {
  const outcome = await scanner.worker().scan(file('big.bin', Buffer.alloc(MAX_FILE_SIZE + 1)));

  expect(outcome).toEqual({ verdict: 'SKIPPED', size: MAX_FILE_SIZE + 1 });
});

test('clamd killed between two scans is started again and the scan still gets its verdict', async () => {
  const worker = scanner.worker();
  const eicar = file('again.com', EICAR);
  expect((await worker.scan(eicar)).verdict).toBe('INFECTED');
  const firstPid = scanner.daemon.pid as number;

  const exit = await watchExit(firstPid);
  process.kill(firstPid, 'SIGKILL');
  await exit.exited;
  const outcome = await worker.scan(eicar);

  expect(outcome.verdict).toBe('INFECTED');
  expect(scanner.daemon.pid).toBeDefined();
  expect(scanner.daemon.pid).not.toBe(firstPid);
});

test('an empty file is CLEAN, and every file after it on the same session gets its own verdict', async () => {
  const worker = scanner.worker();
  const files = [
    file('first.com', EICAR),
    file('__init__.py', ''),
    file('main.py', 'print(1)\n'),
    file('empty.txt', Buffer.alloc(0)),
    file('last.com', EICAR),
  ];

  const outcomes = [];
  for (const target of files) outcomes.push(await worker.scan(target));

  expect(outcomes).toEqual([
    { verdict: 'INFECTED', signature: 'Eicar-Test-Signature.UNOFFICIAL', size: 68 },
    { verdict: 'CLEAN', size: 0 },
    { verdict: 'CLEAN', size: 9 },
    { verdict: 'CLEAN', size: 0 },
    { verdict: 'INFECTED', signature: 'Eicar-Test-Signature.UNOFFICIAL', size: 68 },
  ]);
});

test('a file whose name is not UTF-8 is opened by its bytes and scanned', async () => {
  const name = Buffer.concat([
    Buffer.from(`${root}/bad`),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('utf8.com'),
  ]);
  writeFileSync(name, EICAR);

  expect(await scanner.worker().scan(name)).toEqual({
    verdict: 'INFECTED',
    signature: 'Eicar-Test-Signature.UNOFFICIAL',
    size: 68,
  });
});

test("clamd's log line of a verdict is not taken for a refusal of the next stream", async () => {
  await expect(
    scanner.daemon.client.scanStream(chunks([Buffer.from(EICAR)]), { timeoutMs: 5_000 }),
  ).resolves.toMatchObject({ verdict: { infected: true } });

  // clamd logs "instream(local): Eicar-Test-Signature.UNOFFICIAL FOUND" as it answers.
  expect(await scanner.daemon.recentStreamError(500)).toBeUndefined();
});

test('a missing file is a PROCESSING_ERROR saying so', async () => {
  const outcome = await scanner.worker().scan(path.join(root, 'no-such-file'));

  expect(outcome).toMatchObject({
    verdict: 'PROCESSING_ERROR',
    error: { name: 'ObjectNotFoundError', message: 'the file no longer exists' },
  });
});

describe('a clamd session', () => {
  const open = () => ClamdSession.open(scanner.daemon.client.socketPath);

  test('content that fails mid-stream is never judged, and the session is dropped', async () => {
    const session = await open();
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from(EICAR.slice(0, 30));
      throw new Error('disk read failed');
    }

    await expect(session.scanStream(failing(), { timeoutMs: 5_000 })).rejects.toMatchObject({
      name: 'ObjectReadError',
      message: expect.stringContaining('disk read failed'),
    });
    expect(session.usable).toBe(false);
    await expect(session.scanStream([Buffer.from('x')], { timeoutMs: 5_000 })).rejects.toMatchObject({
      name: 'DaemonConnectionError',
    });
  });

  test('content shorter than announced is never judged', async () => {
    const session = await open();

    await expect(
      session.scanStream([Buffer.from(EICAR)], { expectedBytes: 1000, timeoutMs: 5_000 }),
    ).rejects.toMatchObject({
      name: 'ObjectReadError',
      message: expect.stringContaining('68 bytes of 1000'),
    });
  });

  test('a stream over StreamMaxLength is refused by clamd: an error, not a verdict', async () => {
    const session = await open();
    async function* long() {
      for (let i = 0; i < 4; i++) yield Buffer.alloc(4096, 0x41);
    }

    const failure = await session.scanStream(long(), { timeoutMs: 5_000 }).then(
      () => undefined,
      (error: Error) => error,
    );

    // clamd answers and closes the session; when the close beats its answer to us (our write
    // fails with EPIPE), the failure is the connection's, which the file scanner then explains
    // from clamd's log. Either way: an error, never a verdict.
    expect(['ClamdProtocolError', 'DaemonConnectionError']).toContain(failure?.name);
    expect(session.usable).toBe(false);
  });

  test('an empty chunk inside the content does not end the stream: the whole content is judged', async () => {
    const session = await open();
    const split = [Buffer.from(EICAR.slice(0, 20)), Buffer.alloc(0), Buffer.from(EICAR.slice(20))];

    const inSession = await session.scanStream(split, { timeoutMs: 5_000 });
    const oneShot = await scanner.daemon.client.scanStream(chunks(split), { timeoutMs: 5_000 });
    const next = await session.scanStream([Buffer.alloc(0)], { timeoutMs: 5_000 });

    expect(inSession).toEqual({
      verdict: { infected: true, signature: 'Eicar-Test-Signature.UNOFFICIAL' },
      bytes: 68,
    });
    expect(oneShot).toEqual(inSession);
    expect(next).toEqual({ verdict: { infected: false }, bytes: 0 });
  });

  test('answers each of several scans in turn', async () => {
    const session = await open();

    const first = await session.scanStream([Buffer.from(EICAR)], { timeoutMs: 5_000 });
    const second = await session.scanStream([Buffer.from('fine')], { timeoutMs: 5_000 });
    session.close();

    expect(first.verdict).toEqual({ infected: true, signature: 'Eicar-Test-Signature.UNOFFICIAL' });
    expect(second).toEqual({ verdict: { infected: false }, bytes: 4 });
  });
});

test('a scan that times out is not sent again; a clamd that stopped answering is replaced for the next file', async () => {
  const hung = await LocalFileScanner.start({
    definitionsDir,
    workRoot,
    config: loadConfig({
      CLAMAV_BUCKET_NAME: 'unused',
      CLAMD_SCAN_TIMEOUT_MS: '1500',
      CLAMD_START_TIMEOUT_MS: '30000',
    }),
  });
  try {
    const worker = hung.worker();
    const target = file('waits.com', EICAR);
    const pid = hung.daemon.pid as number;
    process.kill(pid, 'SIGSTOP');

    const timedOut = await worker.scan(target);
    const next = await worker.scan(target);

    expect(timedOut).toEqual({
      verdict: 'PROCESSING_ERROR',
      size: 68,
      error: { name: 'ScanTimeoutError', message: 'clamd gave no answer within 1500 ms' },
    });
    expect(hung.daemon.pid).not.toBe(pid);
    expect(next.verdict).toBe('INFECTED');
  } finally {
    await hung.stop();
  }
});

test('stop ends clamd and removes the work area', async () => {
  const before = readdirSync(workRoot);
  const other = await LocalFileScanner.start({
    definitionsDir,
    workRoot,
    config: loadConfig({ CLAMAV_BUCKET_NAME: 'unused' }),
  });
  const pid = other.daemon.pid as number;
  expect(readdirSync(workRoot)).toHaveLength(before.length + 1);

  await other.stop();

  expect(isRunning(pid)).toBe(false);
  expect(readdirSync(workRoot)).toEqual(before);
});
