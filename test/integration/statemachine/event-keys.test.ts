import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { formEncodeKey, objectCreatedEvent } from '../../support/events';
import { type Harness, startHarness } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  statesEntered,
  type Workflow,
} from '../../support/workflow';

// AWS documents that keys in S3 event notifications are URL-encoded, and says nothing for
// EventBridge "Object Created" events. Whichever way AWS writes them, every upload must be
// scanned under its real key, and no other object tagged in its name.

const MAX = 64 * 1024;

let h: Harness;
let wf: Workflow;

beforeAll(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => h.handler(event) },
    {
      s3: h.s3.client,
      substitutions: { ScannerFunctionArn: functionArn(SCANNER_FUNCTION), MaxFileSize: String(MAX) },
      retryIntervalOverrides: { Scan: 5, TagSkipped: 5, TagProcessingError: 5 },
    },
  );
});
afterAll(async () => {
  await wf.stop();
  await h.stop();
});

// Each test has a bucket of its own, so it starts from an empty bucket.
let bucket: string;
let buckets = 0;
beforeEach(async () => {
  bucket = `uploads-${++buckets}`;
  await h.s3.createBucket(bucket);
});

async function keysInBucket(): Promise<string[]> {
  const page = await h.s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

/** The status tag of every object in the bucket; untagged objects are absent. */
async function statusTags(): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const key of await keysInBucket()) {
    const status = (await h.tags(key, bucket))['av-status'];
    if (status !== undefined) tags[key] = status;
  }
  return tags;
}

const KEYS = ['a+b.pdf', 'a b.pdf', '100%.txt', 'x:y=z&w;.txt', 'dossiers/résumé 日本 №1.pdf'];

describe.each(KEYS)('an upload named %j', (key) => {
  test.each([
    ['as written', (k: string) => k],
    ['form-encoded', formEncodeKey],
  ])('is scanned and tagged under its real key when the event carries the key %s', async (_, encode) => {
    await h.s3.put(bucket, key, EICAR, { owner: 'team-a' });
    const event = await objectCreatedEvent(h.s3.client, bucket, key, { eventKey: encode(key) });

    const result = await wf.run(SCAN_STATE_MACHINE, event);

    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result)).toEqual(['ReadInput', 'Scan']);
    expect(result.output).toMatchObject({ status: 'INFECTED', bucket: bucket, key });
    expect(await h.tags(key, bucket)).toMatchObject({ owner: 'team-a', 'av-status': 'INFECTED' });
    expect(await keysInBucket()).toEqual([key]);
  });
});

describe('when both readings of a key exist with different content', () => {
  beforeEach(async () => {
    await h.s3.put(bucket, 'a+b.pdf', EICAR);
    await h.s3.put(bucket, 'a b.pdf', 'a clean document, of another size');
  });

  test.each([
    ['"a+b.pdf" describing a+b.pdf (keys as written)', 'a+b.pdf', 'a+b.pdf', 'INFECTED'],
    ['"a%2Bb.pdf" describing a+b.pdf (keys encoded)', 'a%2Bb.pdf', 'a+b.pdf', 'INFECTED'],
    ['"a+b.pdf" describing a b.pdf (keys encoded)', 'a+b.pdf', 'a b.pdf', 'CLEAN'],
    ['"a b.pdf" describing a b.pdf (keys as written)', 'a b.pdf', 'a b.pdf', 'CLEAN'],
  ])('an event with key %s tags that object only', async (_, eventKey, real, status) => {
    const event = await objectCreatedEvent(h.s3.client, bucket, real, { eventKey });

    const result = await wf.run(SCAN_STATE_MACHINE, event);

    expect(result.output).toMatchObject({ status, key: real });
    expect(await statusTags()).toEqual({ [real]: status });
  });
});

test('with the same bytes under both readings, the object written nearer the event time is scanned', async () => {
  // Explicit times, a minute apart (LastModified has one-second resolution): 'a b.pdf' written
  // at the event's time, 'a+b.pdf' a minute later.
  await h.s3.put(bucket, 'a b.pdf', EICAR);
  await h.s3.put(bucket, 'a+b.pdf', EICAR);
  await h.s3.backdate(bucket, 'a b.pdf', 60_000);
  const earlier = new Date(Date.now() - 60_000).toISOString();
  const event = await objectCreatedEvent(h.s3.client, bucket, 'a+b.pdf', { time: earlier });

  const result = await wf.run(SCAN_STATE_MACHINE, event);

  expect(result.output).toMatchObject({ status: 'INFECTED', key: 'a b.pdf' });
  expect(await statusTags()).toEqual({ 'a b.pdf': 'INFECTED' });
});

test('an object overwritten since its event is not tagged in the event name; the execution succeeds', async () => {
  await h.s3.put(bucket, 'report.pdf', 'first version');
  const event = await objectCreatedEvent(h.s3.client, bucket, 'report.pdf');
  await h.s3.put(bucket, 'report.pdf', 'second, longer version of the report');

  const result = await wf.run(SCAN_STATE_MACHINE, event);

  expect(result.status).toBe('SUCCEEDED');
  expect(result.output).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectNotFoundError' });
  expect((result.output as { reason: string }).reason).toMatch(/size 36, not 13/);
  expect(await statusTags()).toEqual({});
});

test('an event whose object no longer exists ends in PROCESSING_ERROR naming ObjectNotFoundError', async () => {
  await h.s3.put(bucket, '100%.txt', 'short-lived');
  const event = await objectCreatedEvent(h.s3.client, bucket, '100%.txt');
  await h.s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: '100%.txt' }));

  const result = await wf.run(SCAN_STATE_MACHINE, event);

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['ReadInput', 'Scan']);
  expect(result.output).toMatchObject({
    status: 'PROCESSING_ERROR',
    key: '100%.txt',
    error: 'ObjectNotFoundError',
  });
  expect(await keysInBucket()).toEqual([]);
});

test('an event for an object over the limit is tagged SKIPPED without reading it or starting clamd', async () => {
  await h.scanner.shutdown();
  await h.s3.put(bucket, 'big file.bin', Buffer.concat([Buffer.from(EICAR), Buffer.alloc(MAX)]));
  const event = await objectCreatedEvent(h.s3.client, bucket, 'big file.bin', {
    eventKey: formEncodeKey('big file.bin'),
  });

  const result = await wf.run(SCAN_STATE_MACHINE, event);

  expect(statesEntered(result)).toEqual(['ReadInput', 'Scan']);
  expect(result.output).toMatchObject({ status: 'SKIPPED', key: 'big file.bin', size: MAX + EICAR.length });
  expect(await statusTags()).toEqual({ 'big file.bin': 'SKIPPED' });
  expect(h.scanner.engine.daemon.isAlive()).toBe(false);
});
