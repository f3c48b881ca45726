import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { placeholdersOf } from '../../../src/asl/placeholders';
import { DaemonStartupError } from '../../../src/errors';
import { BULK_SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { resultRecords } from '../../support/bulk-report';
import { formEncodeKey } from '../../support/events';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  statesEntered,
  type Workflow,
} from '../../support/workflow';

// The bulk scan workflow end to end on the real parts: statemachine/bulk-scan.asl.json run by the
// local runner (its Distributed Map through src/local/distributed-map.ts), the scanner's handler
// with clamd behind the local Lambda endpoint, lambda-av's S3 endpoint.

const MAX = 1024;
const REPORTS = 'bulk-reports';
const FAST = { ScanBatch: 5, InventoryScanBatch: 5, Plan: 5, Summarise: 5 };

let h: Harness;
let wf: Workflow;
/** Replaces the scanner's handler for a test (faults, a short deadline). */
let scanner: ((event: unknown) => Promise<unknown>) | undefined;

beforeEach(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
  await h.s3.createBucket(REPORTS);
  scanner = undefined;
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => (scanner ?? h.handler)(event) },
    {
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        BulkMaxConcurrency: '4',
        BulkBatchSize: '3',
        ReportBucket: REPORTS,
      },
      retryIntervalOverrides: FAST,
    },
  );
});
afterEach(async () => {
  await wf.stop();
  await h.stop();
});

interface Summary {
  objects: number;
  counts: Record<string, number>;
  unchanged: Record<string, number>;
  failed: { batches: number; objects: number };
  infected: Array<{ key: string; signature?: string }>;
  report: { bucket: string; manifest?: string };
  mapRunArn?: string;
}

async function bulk(input: Record<string, unknown>): Promise<Summary> {
  const result = await wf.run(BULK_SCAN_STATE_MACHINE, input);
  expect({ status: result.status, error: result.error, cause: result.cause }).toEqual({
    status: 'SUCCEEDED',
    error: undefined,
    cause: undefined,
  });
  return result.output as Summary;
}

/** Every record of the ResultWriter's report (the child workflows), as written. */
const reportRecords = (manifestKey: string) => resultRecords(h.s3.client, REPORTS, manifestKey);

async function seedMixed() {
  await h.s3.put(UPLOADS_BUCKET, 'a/clean.txt', 'hello', { owner: 'team-a' });
  await h.s3.put(UPLOADS_BUCKET, 'a/eicar.com', EICAR, { owner: 'team-b' });
  await h.s3.put(UPLOADS_BUCKET, 'a/big.bin', Buffer.alloc(MAX + 1, 1));
  await h.s3.put(UPLOADS_BUCKET, 'a/done.txt', 'x', { 'av-status': 'CLEAN', 'av-timestamp': '1' });
  await h.s3.put(UPLOADS_BUCKET, 'b/elsewhere.txt', 'other');
}

test('the placeholders are the scanner, the deployment limits and the report bucket', () => {
  expect(placeholdersOf(readFileSync(BULK_SCAN_STATE_MACHINE, 'utf8'))).toEqual([
    'BulkBatchSize',
    'BulkMaxConcurrency',
    'Partition',
    'ReportBucket',
    'ScannerFunctionArn',
  ]);
});

test('unscanned: each object under the prefix gets the verdict a single scan gives, tagged objects and other prefixes are left alone, the output counts them', async () => {
  await seedMixed();

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, prefix: 'a/' });

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['Plan', 'Source', 'ScanListing', 'Summarise', 'Outcome', 'Scanned']);
  const summary = result.output as Summary;
  expect(summary).toMatchObject({
    objects: 4,
    counts: { CLEAN: 1, INFECTED: 1, UNSCANNABLE: 0, SKIPPED: 1, PROCESSING_ERROR: 0, UNCHANGED: 1 },
    unchanged: { 'already-scanned': 1, current: 0, 'not-modified-since': 0, archived: 0 },
    failed: { batches: 0, objects: 0 },
    infected: [{ key: 'a/eicar.com', signature: 'Eicar-Test-Signature.UNOFFICIAL' }],
  });
  expect(await h.tags('a/clean.txt')).toMatchObject({ owner: 'team-a', 'av-status': 'CLEAN' });
  expect(await h.tags('a/eicar.com')).toMatchObject({ owner: 'team-b', 'av-status': 'INFECTED' });
  expect(await h.tags('a/big.bin')).toMatchObject({ 'av-status': 'SKIPPED' });
  expect(await h.tags('a/done.txt')).toEqual({ 'av-status': 'CLEAN', 'av-timestamp': '1' });
  expect(await h.tags('b/elsewhere.txt')).toEqual({});
  // Scans are reported as any scan is: the INFECTED one counts for the infected-objects alarm.
  expect(h.metrics.scans.map((s) => s.verdict).sort()).toEqual(['CLEAN', 'INFECTED', 'SKIPPED']);
});

test('the ResultWriter report holds every object of every batch with its verdict; batches are batchSize objects', async () => {
  await seedMixed();

  const summary = await bulk({ bucket: UPLOADS_BUCKET, prefix: 'a/' });

  const records = await reportRecords(summary.report.manifest as string);
  expect(records.map((r) => r.Status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const inputs = records.map((r) => JSON.parse(String(r.Input)) as { Items: Array<{ Key: string }> });
  expect(inputs.map((i) => i.Items.length).sort()).toEqual([1, 3]);
  const results = records.flatMap((r) => (JSON.parse(String(r.Output)) as { results: unknown[] }).results);
  expect(results).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ key: 'a/clean.txt', status: 'CLEAN', verdict: 'CLEAN' }),
      expect.objectContaining({
        key: 'a/eicar.com',
        status: 'INFECTED',
        signature: 'Eicar-Test-Signature.UNOFFICIAL',
      }),
      expect.objectContaining({ key: 'a/big.bin', status: 'SKIPPED', size: MAX + 1 }),
      { key: 'a/done.txt', unchanged: 'already-scanned', status: 'CLEAN' },
    ]),
  );
  expect(results).toHaveLength(4);
});

test('stale: rescans what was scanned before the published set (and errors, and foreign statuses), leaves current scans and SKIPPED still over the limit', async () => {
  const future = String(Date.now() + 3_600_000);
  await h.s3.put(UPLOADS_BUCKET, 'old-clean.txt', 'old', { 'av-status': 'CLEAN', 'av-timestamp': '1000' });
  await h.s3.put(UPLOADS_BUCKET, 'old-eicar.com', EICAR, { 'av-status': 'CLEAN', 'av-timestamp': '1000' });
  await h.s3.put(UPLOADS_BUCKET, 'new-clean.txt', 'new', { 'av-status': 'CLEAN', 'av-timestamp': future });
  await h.s3.put(UPLOADS_BUCKET, 'error.txt', 'e', {
    'av-status': 'PROCESSING_ERROR',
    'av-timestamp': future,
  });
  await h.s3.put(UPLOADS_BUCKET, 'foreign.txt', 'f', { 'av-status': 'OK', 'av-timestamp': future });
  await h.s3.put(UPLOADS_BUCKET, 'big.bin', Buffer.alloc(MAX + 1), {
    'av-status': 'SKIPPED',
    'av-timestamp': '1',
  });
  await h.s3.put(UPLOADS_BUCKET, 'untagged.txt', 'u');

  const summary = await bulk({ bucket: UPLOADS_BUCKET, mode: 'stale' });

  expect(summary.counts).toMatchObject({ CLEAN: 4, INFECTED: 1, UNCHANGED: 2 });
  expect(summary.unchanged).toMatchObject({ current: 2 });
  expect(await h.tags('old-eicar.com')).toMatchObject({ 'av-status': 'INFECTED' });
  expect(Number((await h.tags('old-clean.txt'))['av-timestamp'])).toBeGreaterThan(1000);
  expect(await h.tags('new-clean.txt')).toEqual({ 'av-status': 'CLEAN', 'av-timestamp': future });
  expect(await h.tags('big.bin')).toEqual({ 'av-status': 'SKIPPED', 'av-timestamp': '1' });
  for (const key of ['error.txt', 'foreign.txt', 'untagged.txt']) {
    expect(await h.tags(key)).toMatchObject({ 'av-status': 'CLEAN' });
  }
});

test('all: scans tagged objects again; modifiedAfter leaves objects not modified since, untouched', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'done.txt', 'x', { 'av-status': 'CLEAN', 'av-timestamp': '1' });

  const later = await bulk({
    bucket: UPLOADS_BUCKET,
    mode: 'all',
    modifiedAfter: new Date(Date.now() + 60_000).toISOString(),
  });
  expect(later.counts).toMatchObject({ CLEAN: 0, UNCHANGED: 1 });
  expect(later.unchanged).toMatchObject({ 'not-modified-since': 1 });
  expect(await h.tags('done.txt')).toEqual({ 'av-status': 'CLEAN', 'av-timestamp': '1' });

  const all = await bulk({ bucket: UPLOADS_BUCKET, mode: 'all', modifiedAfter: 'P1D' });
  expect(all.counts).toMatchObject({ CLEAN: 1, UNCHANGED: 0 });
  expect((await h.tags('done.txt'))['av-timestamp']).not.toBe('1');
});

test('an invocation that runs short of time hands back the objects it did not reach; the batch goes round again until done', async () => {
  for (let i = 0; i < 7; i++) await h.s3.put(UPLOADS_BUCKET, `f${i}.txt`, `file ${i}`);
  let invocations = 0;
  scanner = (event) => {
    invocations++;
    // Time for two objects' scans per invocation, then none.
    let allowed = 2;
    const margin = h.config.scanTimeoutMs + 10_000;
    return h.handler(event, { getRemainingTimeInMillis: () => (allowed-- > 0 ? margin + 1000 : margin - 1) });
  };

  const summary = await bulk({ bucket: UPLOADS_BUCKET, batchSize: 5, scanConcurrency: 1 });

  expect(summary.counts).toMatchObject({ CLEAN: 7 });
  // Plan, Summarise, and the batches of 5 and 2 in 3 + 1 invocations.
  expect(invocations).toBe(2 + 4);
  const records = await reportRecords(summary.report.manifest as string);
  const keys = records.flatMap((r) =>
    (JSON.parse(String(r.Output)) as { results: Array<{ key: string }> }).results.map((x) => x.key),
  );
  expect(keys.sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt', 'f6.txt']);
});

test('a batch that keeps failing fails its child; beyond toleratedFailurePercentage the run fails after the report is added up', async () => {
  for (let i = 0; i < 6; i++) await h.s3.put(UPLOADS_BUCKET, `f${i}.txt`, `file ${i}`);
  scanner = async (event) => {
    const items = (event as { Items?: Array<{ Key: string }> }).Items;
    if (items?.some((item) => item.Key === 'f0.txt')) throw new DaemonStartupError('clamd did not start');
    return h.handler(event);
  };

  const failing = await wf.run(BULK_SCAN_STATE_MACHINE, {
    bucket: UPLOADS_BUCKET,
    toleratedFailurePercentage: 10,
  });
  expect(failing).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
  const summarised = failing.events.find((e) => e.type === 'StateExited' && e.state === 'Summarise');
  expect(summarised?.output).toMatchObject({
    outcome: { summary: { counts: { CLEAN: 3 }, failed: { batches: 1, objects: 3 } } },
  });
  expect(await h.tags('f0.txt')).toEqual({});

  const tolerated = await bulk({ bucket: UPLOADS_BUCKET, toleratedFailurePercentage: 50 });
  expect(tolerated).toMatchObject({ counts: { UNCHANGED: 3 }, failed: { batches: 1, objects: 3 } });
});

test('an S3 Inventory manifest: its URL-encoded keys find their objects (matched by size and ETag)', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'docs/a b+c.txt', 'spaces and plus');
  await h.s3.put(UPLOADS_BUCKET, 'docs/eicar.com', EICAR);
  const etag = async (key: string) =>
    (await h.s3.client.send(new GetObjectCommand({ Bucket: UPLOADS_BUCKET, Key: key }))).ETag?.replace(
      /"/g,
      '',
    );
  const rows = [
    ['docs/a b+c.txt', 15],
    ['docs/eicar.com', EICAR.length],
  ].map(
    async ([key, size]) =>
      `"${UPLOADS_BUCKET}","${formEncodeKey(String(key))}","${size}","${await etag(String(key))}"`,
  );
  const csv = gzipSync(`${(await Promise.all(rows)).join('\n')}\n`);
  await h.s3.client.send(
    new PutObjectCommand({ Bucket: REPORTS, Key: 'inventory/data/1.csv.gz', Body: csv }),
  );
  const manifest = {
    sourceBucket: UPLOADS_BUCKET,
    destinationBucket: `arn:aws:s3:::${REPORTS}`,
    fileFormat: 'CSV',
    fileSchema: 'Bucket, Key, Size, ETag',
    files: [{ key: 'inventory/data/1.csv.gz' }],
  };
  await h.s3.client.send(
    new PutObjectCommand({ Bucket: REPORTS, Key: 'inventory/manifest.json', Body: JSON.stringify(manifest) }),
  );

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, {
    bucket: UPLOADS_BUCKET,
    manifest: { bucket: REPORTS, key: 'inventory/manifest.json' },
  });

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toContain('ScanInventory');
  expect(result.output).toMatchObject({
    source: 'inventory',
    counts: { CLEAN: 1, INFECTED: 1, PROCESSING_ERROR: 0 },
  });
  expect(await h.tags('docs/a b+c.txt')).toMatchObject({ 'av-status': 'CLEAN' });
});

test('an invalid request is refused before anything is listed, naming the field', async () => {
  const result = await wf.run(BULK_SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, mode: 'everything' });

  expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidEventError' });
  expect(result.cause).toContain('mode must be one of unscanned, stale, all');
  expect(statesEntered(result)).toEqual(['Plan', 'RequestRefused']);
});

test('maxConcurrency above the deployment cap is capped: upload scans keep their room', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'x.txt', 'x');

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, maxConcurrency: 500 });

  const plan = result.events.find((e) => e.type === 'StateExited' && e.state === 'Plan')?.output;
  expect(plan).toMatchObject({ plan: { maxConcurrency: 4, maxConcurrencyCapped: true } });
  const listed = await h.s3.client.send(new ListObjectsV2Command({ Bucket: REPORTS }));
  expect(listed.Contents?.some((o) => o.Key?.endsWith('/manifest.json'))).toBe(true);
});
