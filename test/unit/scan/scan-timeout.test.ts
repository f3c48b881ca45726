import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ClamdClient } from '../../../src/clamd/protocol';
import { type ScanDependencies, scanAndTag } from '../../../src/scan/scan-object';
import { DEFAULT_STATUS_NAMES } from '../../../src/settings';
import { type FakeObject, fakeS3 } from '../../support/fake-s3';

// What a scan does when clamd gives no verdict within CLAMD_SCAN_TIMEOUT_MS: never sent again as
// it is while clamd answers (content that kept it busy would again); retried on a fresh clamd when
// clamd itself hung. The real engine's side (a bomb, a hung clamd) is in the integration tier.

let dir: string;
let silent: net.Server;
let socketPath: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-silent-clamd-'));
  socketPath = path.join(dir, 'clamd.sock');
  // Takes the stream and never answers, as a clamd busy with a bomb.
  silent = net.createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function setUp(replaced: boolean) {
  const store = new Map<string, FakeObject>([['b/bomb.zip', { body: Buffer.from('PK...'), tags: [] }]]);
  const s3 = fakeS3(store);
  const checks: string[] = [];
  const deps: ScanDependencies = {
    s3: s3.client,
    clamd: new ClamdClient(socketPath),
    settings: {
      statusNames: DEFAULT_STATUS_NAMES,
      unscannablePolicy: 'report',
      statusTagKey: 'av-status',
      timestampTagKey: 'av-timestamp',
      maxFileSize: 1024,
      scanTimeoutMs: 200,
    },
    definitions: undefined,
    replacedIfUnresponsive: async () => {
      checks.push('ping');
      return replaced;
    },
  };
  return { deps, store, calls: s3.calls, checks };
}

test('clamd still answering: a PROCESSING_ERROR result naming ScanTimeoutError, tagged, not thrown for a retry', async () => {
  const { deps, store, checks } = setUp(false);

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'bomb.zip' });

  expect(verdict).toBe('PROCESSING_ERROR');
  expect(result).toMatchObject({ error: 'ScanTimeoutError', reason: 'clamd gave no answer within 200 ms' });
  expect(store.get('b/bomb.zip')?.tags).toEqual(
    expect.arrayContaining([{ Key: 'av-status', Value: 'PROCESSING_ERROR' }]),
  );
  expect(checks).toEqual(['ping']);
});

test('clamd no longer answering (stopped to be started again): a DaemonConnectionError to retry, nothing tagged', async () => {
  const { deps, calls } = setUp(true);

  await expect(scanAndTag(deps, { bucket: 'b', key: 'bomb.zip' })).rejects.toMatchObject({
    name: 'DaemonConnectionError',
    message: 'clamd gave no answer within 200 ms',
  });
  expect(calls.filter((call) => call.startsWith('PutObjectTagging'))).toEqual([]);
});
