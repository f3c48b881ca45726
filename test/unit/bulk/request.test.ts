import { parseBulkItem } from '../../../src/bulk/bulk-item';
import {
  checkBulkScanRequest,
  planBulkScan,
  rescanRequests,
  resolveInstant,
} from '../../../src/bulk/request';
import { loadConfig } from '../../../src/config';

const limits = { maxConcurrency: 8, batchSize: 100, reportBucket: 'reports' };
const NOW = Date.parse('2026-03-31T12:00:00Z');

test('defaults: unscanned, the whole bucket, the deployment batch size and cap, a report under bulk-scan/<execution>', () => {
  expect(planBulkScan({ bucket: 'uploads' }, limits, 'run-1', NOW)).toEqual({
    bucket: 'uploads',
    prefix: '',
    mode: 'unscanned',
    maxConcurrency: 8,
    maxConcurrencyCapped: false,
    batchSize: 100,
    toleratedFailurePercentage: 5,
    source: 'listing',
    batch: {
      bucket: 'uploads',
      account: '',
      mode: 'unscanned',
      modifiedAfter: '',
      modifiedBefore: '',
      filter: {},
      scanConcurrency: 4,
    },
    report: { bucket: 'reports', prefix: 'bulk-scan/run-1' },
    sweep: false,
  });
});

test('a window back from now, a manifest, and a cap that wins over the request', () => {
  const plan = planBulkScan(
    {
      bucket: 'uploads',
      mode: 'stale',
      modifiedAfter: 'P30D',
      maxConcurrency: 50,
      manifest: { bucket: 'inv', key: 'a/manifest.json' },
    },
    limits,
    'run-2',
    NOW,
  );

  expect(plan).toMatchObject({
    modifiedAfter: '2026-03-01T12:00:00.000Z',
    maxConcurrency: 8,
    maxConcurrencyCapped: true,
    source: 'inventory',
    manifest: { bucket: 'inv', key: 'a/manifest.json' },
    batch: { mode: 'stale', modifiedAfter: '2026-03-01T12:00:00.000Z' },
  });
});

test('the sweep: modifiedBefore a window back from the execution start, in the plan and every batch', () => {
  const plan = planBulkScan(
    { bucket: 'uploads', mode: 'unscanned', modifiedBefore: 'PT78M', sweep: true, trigger: 'sweep' },
    limits,
    'sweep-1',
    NOW,
  );

  expect(plan).toMatchObject({
    modifiedBefore: '2026-03-31T10:42:00.000Z',
    sweep: true,
    trigger: 'sweep',
    batch: { mode: 'unscanned', modifiedAfter: '', modifiedBefore: '2026-03-31T10:42:00.000Z' },
  });
  expect(plan).not.toHaveProperty('modifiedAfter');
});

test('modifiedAfter and modifiedBefore together bound the objects from both sides', () => {
  const plan = planBulkScan(
    { bucket: 'uploads', modifiedAfter: '2026-03-01T00:00:00Z', modifiedBefore: 'P1D' },
    limits,
    'run-3',
    NOW,
  );

  expect(plan.batch).toMatchObject({
    modifiedAfter: '2026-03-01T00:00:00.000Z',
    modifiedBefore: '2026-03-30T12:00:00.000Z',
  });
});

test.each([
  [{}, 'bucket must be an S3 bucket name'],
  [{ bucket: 'uploads', mode: 'fresh' }, 'mode must be one of unscanned, stale, all'],
  [{ bucket: 'uploads', batchSize: 501 }, 'batchSize must be a whole number from 1 to 500'],
  [{ bucket: 'uploads', maxConcurrency: 0 }, 'maxConcurrency must be a whole number from 1'],
  [{ bucket: 'uploads', modifiedAfter: 'last week' }, 'modifiedAfter must be an ISO 8601 time'],
  [{ bucket: 'uploads', modifiedBefore: '73 minutes' }, 'modifiedBefore must be an ISO 8601 time'],
  [
    { bucket: 'uploads', modifiedAfter: 'PT1H', modifiedBefore: 'PT2H' },
    'modifiedAfter (2026-03-31T11:00:00.000Z) must be earlier than modifiedBefore (2026-03-31T10:00:00.000Z)',
  ],
  [{ bucket: 'uploads', sweep: 'yes' }, 'sweep must be true or false, got "yes"'],
  [
    { bucket: 'uploads', mode: 'stale', sweep: true },
    'sweep counts the objects found without a verdict: it needs mode unscanned',
  ],
  [
    { bucket: 'uploads', prefix: 'a/', manifest: { bucket: 'inv', key: 'm/manifest.json' } },
    'prefix cannot be combined',
  ],
  [
    { bucket: 'uploads', manifest: { bucket: 'inv', key: 'list.csv' } },
    "manifest must name an S3 Inventory's manifest.json ({bucket, key}: a bucket name and a key ending in manifest.json), got s3://inv/list.csv",
  ],
])('refused: %j', (request, message) => {
  expect(() => planBulkScan(request, limits, 'x', NOW)).toThrow(message);
});

test('windows: days, hours, minutes; ISO times are normalised', () => {
  expect(resolveInstant('PT12H', NOW)).toBe('2026-03-31T00:00:00.000Z');
  expect(resolveInstant('PT90M', NOW)).toBe('2026-03-31T10:30:00.000Z');
  expect(resolveInstant('2026-01-02', NOW)).toBe('2026-01-02T00:00:00.000Z');
});

test('rescan targets become stale bulk scans with their window, tagged with the definitions that caused them', () => {
  const config = loadConfig({
    CLAMAV_BUCKET_NAME: 'defs',
    BULK_RESCAN_TARGETS: '[{"bucket": "uploads", "prefix": "in/", "window": "P30D"}, {"bucket": "archive"}]',
  });

  expect(rescanRequests(config.updater.rescanTargets, 'v42')).toEqual([
    {
      bucket: 'uploads',
      prefix: 'in/',
      mode: 'stale',
      modifiedAfter: 'P30D',
      trigger: 'definitions-update v42',
    },
    { bucket: 'archive', prefix: '', mode: 'stale', trigger: 'definitions-update v42' },
  ]);
  expect(() =>
    loadConfig({ CLAMAV_BUCKET_NAME: 'd', BULK_RESCAN_TARGETS: '[{"bucket": "u", "window": "30 days"}]' }),
  ).toThrow('BULK_RESCAN_TARGETS must be a JSON array');
});

test('items from a listing and from an inventory read alike', () => {
  expect(
    parseBulkItem({
      Etag: '"abc"',
      Key: 'a b',
      LastModified: 1_700_000_000,
      Size: 5,
      StorageClass: 'STANDARD',
    }),
  ).toEqual({
    key: 'a b',
    etag: 'abc',
    lastModified: 1_700_000_000_000,
    size: 5,
    storageClass: 'STANDARD',
  });
  expect(
    parseBulkItem({
      Bucket: 'b',
      Key: 'a+b',
      Size: '12',
      LastModifiedDate: '2026-01-01T00:00:00.000Z',
      VersionId: 'null',
    }),
  ).toEqual({
    bucket: 'b',
    key: 'a+b',
    size: 12,
    lastModified: Date.parse('2026-01-01T00:00:00.000Z'),
  });
  expect(() => parseBulkItem({ Size: 1 })).toThrow('a bulk scan item needs a Key');
});

test('the rules name each field as the caller names it, and leave the limits to the deployment', () => {
  const options = (field: string) => `--${field}`;

  expect(() => checkBulkScanRequest({ bucket: 'uploads', batchSize: 0 }, NOW, options)).toThrow(
    '--batchSize must be a whole number from 1 to 500, got 0',
  );
  expect(checkBulkScanRequest({ bucket: 'uploads', maxConcurrency: 9000 }, NOW)).toMatchObject({
    maxConcurrency: 9000,
  });
  expect(planBulkScan({ bucket: 'uploads', maxConcurrency: 9000 }, limits, 'x', NOW)).toMatchObject({
    maxConcurrency: limits.maxConcurrency,
    maxConcurrencyCapped: true,
  });
});
