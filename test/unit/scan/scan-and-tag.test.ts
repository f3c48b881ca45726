import { ClamdClient } from '../../../src/clamd/protocol';
import { type ScanDependencies, scanAndTag } from '../../../src/scan/scan-object';
import { DEFAULT_STATUS_NAMES } from '../../../src/settings';
import { type FakeClamd, startFakeClamd } from '../../support/fake-clamd';
import { type FakeObject, fakeS3 } from '../../support/fake-s3';

const settings: ScanDependencies['settings'] = {
  statusNames: DEFAULT_STATUS_NAMES,
  unscannablePolicy: 'report',
  statusTagKey: 'av-status',
  timestampTagKey: 'av-timestamp',
  maxFileSize: 1024,
  scanTimeoutMs: 5_000,
};

let clamd: FakeClamd;
beforeAll(async () => {
  clamd = await startFakeClamd({
    'MALWARE-MARKER': 'Test.Marker',
    'ENCRYPTED-MARKER': 'Heuristics.Encrypted.Zip',
  });
});
afterAll(() => clamd.stop());

function setUp(objects: Record<string, FakeObject>) {
  const store = new Map(Object.entries(objects));
  const s3 = fakeS3(store);
  const deps: ScanDependencies = {
    s3: s3.client,
    clamd: new ClamdClient(clamd.socketPath),
    settings,
    definitions: 'ClamAV 1.4.6/27000 (set abc)',
  };
  return { deps, store, calls: s3.calls };
}

const tagsOf = (object: FakeObject | undefined) =>
  Object.fromEntries((object?.tags ?? []).map((tag) => [tag.Key, tag.Value]));

test('a clean object: CLEAN, merged into its tags, with the size, definitions and the timestamp it was tagged with', async () => {
  const { deps, store } = setUp({
    'b/k.txt': { body: Buffer.from('hello'), tags: [{ Key: 'owner', Value: 'me' }] },
  });

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'k.txt' });

  expect(verdict).toBe('CLEAN');
  expect(result).toEqual({
    status: 'CLEAN',
    bucket: 'b',
    key: 'k.txt',
    definitions: 'ClamAV 1.4.6/27000 (set abc)',
    size: 5,
    timestamp: expect.any(Number),
    durationMs: expect.any(Number),
  });
  expect(tagsOf(store.get('b/k.txt'))).toEqual({
    owner: 'me',
    'av-status': 'CLEAN',
    'av-timestamp': String(result.timestamp),
  });
  expect(clamd.streams.at(-1)?.toString('utf8')).toBe('hello');
});

test('a detected object: INFECTED with its signature, the version S3 served is the one named', async () => {
  const { deps, store } = setUp({
    'b/v.bin': { body: Buffer.from('xx MALWARE-MARKER xx'), tags: [], versionId: 'v2' },
  });

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'v.bin' });

  expect(verdict).toBe('INFECTED');
  expect(result).toMatchObject({ status: 'INFECTED', signature: 'Test.Marker', versionId: 'v2', size: 20 });
  expect(tagsOf(store.get('b/v.bin'))['av-status']).toBe('INFECTED');
});

test('a heuristic for content clamd could not read is UNSCANNABLE with its reason, never CLEAN', async () => {
  const { deps, store } = setUp({ 'b/e.zip': { body: Buffer.from('ENCRYPTED-MARKER'), tags: [] } });

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'e.zip' });

  expect(verdict).toBe('UNSCANNABLE');
  expect(result).toMatchObject({ status: 'UNSCANNABLE', signature: 'Heuristics.Encrypted.Zip' });
  expect(tagsOf(store.get('b/e.zip'))['av-status']).toBe('UNSCANNABLE');
});

test('an object over the size limit is SKIPPED without its body reaching clamd', async () => {
  const { deps, store } = setUp({ 'b/big': { body: Buffer.alloc(2048, 0x41), tags: [] } });
  const streamsBefore = clamd.streams.length;

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'big' });

  expect([verdict, result.size]).toEqual(['SKIPPED', 2048]);
  expect(clamd.streams).toHaveLength(streamsBefore);
  expect(tagsOf(store.get('b/big'))['av-status']).toBe('SKIPPED');
});

test('an error reply from clamd is a PROCESSING_ERROR naming ClamdProtocolError, tagged, never CLEAN', async () => {
  const { deps, store } = setUp({ 'b/x': { body: Buffer.from('abc'), tags: [] } });
  clamd.replies.push('INSTREAM size limit exceeded. ERROR');

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'x' });

  expect(verdict).toBe('PROCESSING_ERROR');
  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ClamdProtocolError', size: 3 });
  expect(tagsOf(store.get('b/x'))['av-status']).toBe('PROCESSING_ERROR');
});

test('a missing object is a PROCESSING_ERROR naming ObjectNotFoundError, and nothing is tagged', async () => {
  const { deps, calls } = setUp({});

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'gone' });

  expect(verdict).toBe('PROCESSING_ERROR');
  expect(result).toMatchObject({ error: 'ObjectNotFoundError' });
  expect(calls.filter((call) => call.startsWith('PutObjectTagging'))).toEqual([]);
});

test('an object with 9 tags of its own has no room for two more: TagLimitExceededError, its tags untouched', async () => {
  const owners = Array.from({ length: 9 }, (_, i) => ({ Key: `t${i}`, Value: String(i) }));
  const { deps, store } = setUp({ 'b/full': { body: Buffer.from('abc'), tags: owners } });

  const { verdict, result } = await scanAndTag(deps, { bucket: 'b', key: 'full' });

  expect(verdict).toBe('PROCESSING_ERROR');
  expect(result).toMatchObject({ error: 'TagLimitExceededError' });
  expect(store.get('b/full')?.tags).toEqual(owners);
});

test('clamd unreachable is thrown as DaemonConnectionError for a retry, and nothing is tagged', async () => {
  const { deps, calls } = setUp({ 'b/k': { body: Buffer.from('abc'), tags: [] } });

  await expect(
    scanAndTag({ ...deps, clamd: new ClamdClient('/nonexistent/clamd.sock') }, { bucket: 'b', key: 'k' }),
  ).rejects.toMatchObject({ name: 'DaemonConnectionError' });
  expect(calls.filter((call) => call.startsWith('PutObjectTagging'))).toEqual([]);
});

test('tags read before the GET from a newer version are read again for the version scanned, and merged into that one', async () => {
  const { deps, store, calls } = setUp({
    'b/doc': {
      body: Buffer.from('v2 content'),
      tags: [{ Key: 'owner', Value: 'v2-owner' }],
      versionId: 'v2',
    },
  });
  // A newer version was written between the tag read and the GET: the first, unversioned tag
  // read answers for it.
  let first = true;
  deps.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { VersionId?: string };
      if (context.commandName === 'GetObjectTaggingCommand' && input.VersionId === undefined && first) {
        first = false;
        return {
          response: {},
          output: { TagSet: [{ Key: 'owner', Value: 'v3-owner' }], VersionId: 'v3', $metadata: {} },
        } as never;
      }
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'newerVersion' },
  );

  const { result } = await scanAndTag(deps, { bucket: 'b', key: 'doc' });

  expect(result).toMatchObject({ status: 'CLEAN', versionId: 'v2' });
  expect(tagsOf(store.get('b/doc'))).toMatchObject({ owner: 'v2-owner', 'av-status': 'CLEAN' });
  expect(calls.filter((call) => call.startsWith('GetObjectTagging'))).toHaveLength(1);
});
