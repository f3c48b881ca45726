import { BULK_SCAN_STATE_MACHINE, SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { forEachLimited } from '../../../src/util/limit';
import { type Harness, startHarness } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import { functionArn, SCANNER_FUNCTION, startWorkflow, type Workflow } from '../../support/workflow';

// The proof the issue asks for: a bucket of 5,000 small objects, mixed clean, infected, oversized
// and already tagged, scanned by the bulk workflow (its Distributed Map through the local adapter,
// batches of the default size) gets, object by object, the verdicts and tags that single-object
// scans (statemachine/scan.asl.json, one execution each) give the same objects in a twin bucket.

const OBJECTS = Number(process.env.BULK_PROOF_OBJECTS ?? 5000);
const MAX = 1024;
const BULK = 'bulk-proof';
const SINGLE = 'single-proof';
const REPORTS = 'bulk-reports';

type Kind = 'clean' | 'infected' | 'oversized' | 'tagged';

function kindOf(i: number): Kind {
  if (i % 50 === 0) return 'infected';
  if (i % 50 === 1) return 'oversized';
  if (i % 10 === 2) return 'tagged';
  return 'clean';
}

function bodyOf(i: number): string | Buffer {
  const kind = kindOf(i);
  if (kind === 'infected') return EICAR;
  if (kind === 'oversized') return Buffer.alloc(MAX + 1 + i, 7);
  return `object ${i}: ${'x'.repeat(i % 200)}`;
}

const keyOf = (i: number) =>
  `tenant-${i % 7}/${String(i).padStart(5, '0')}${i % 3 === 0 ? ' with space' : ''}.txt`;
const tagsOf = (i: number): Record<string, string> | undefined => {
  if (kindOf(i) === 'tagged') return { 'av-status': 'CLEAN', 'av-timestamp': '1', owner: 'team' };
  return i % 4 === 0 ? { owner: `team-${i % 5}` } : undefined;
};

let h: Harness;
let wf: Workflow;

beforeAll(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
  for (const bucket of [BULK, SINGLE, REPORTS]) await h.s3.createBucket(bucket);
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => h.handler(event) },
    {
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        MaxFileSize: String(MAX),
        BulkMaxConcurrency: '4',
        BulkBatchSize: '100',
        ReportBucket: REPORTS,
      },
    },
  );
  const indexes = Array.from({ length: OBJECTS }, (_, i) => i);
  await forEachLimited(indexes, 16, async (i) => {
    for (const bucket of [BULK, SINGLE]) await h.s3.put(bucket, keyOf(i), bodyOf(i), tagsOf(i));
  });
}, 300_000);
afterAll(async () => {
  await wf?.stop();
  await h?.stop();
});

test(`${OBJECTS} objects: the bulk scan gives every object the verdict and tags a single-object scan gives it`, async () => {
  const indexes = Array.from({ length: OBJECTS }, (_, i) => i);

  const bulk = await wf.run(BULK_SCAN_STATE_MACHINE, { bucket: BULK });
  await forEachLimited(
    indexes.filter((i) => kindOf(i) !== 'tagged'),
    8,
    async (i) => {
      const single = await wf.run(SCAN_STATE_MACHINE, { bucket: SINGLE, key: keyOf(i) });
      expect(single.status).toBe('SUCCEEDED');
    },
  );

  expect({ status: bulk.status, error: bulk.error, cause: bulk.cause?.slice(0, 500) }).toEqual({
    status: 'SUCCEEDED',
    error: undefined,
    cause: undefined,
  });
  const expected = { clean: 0, infected: 0, oversized: 0, tagged: 0 };
  for (const i of indexes) expected[kindOf(i)]++;
  expect(bulk.output).toMatchObject({
    objects: OBJECTS,
    counts: {
      CLEAN: expected.clean,
      INFECTED: expected.infected,
      SKIPPED: expected.oversized,
      UNSCANNABLE: 0,
      PROCESSING_ERROR: 0,
      UNCHANGED: expected.tagged,
    },
    failed: { batches: 0, objects: 0 },
  });
  const differences: string[] = [];
  await forEachLimited(indexes, 16, async (i) => {
    const [b, s] = [await h.s3.tagsOf(BULK, keyOf(i)), await h.s3.tagsOf(SINGLE, keyOf(i))];
    const { 'av-timestamp': bt, ...bulkTags } = b;
    const { 'av-timestamp': st, ...singleTags } = s;
    const same =
      JSON.stringify(bulkTags) === JSON.stringify(singleTags) && (bt === undefined) === (st === undefined);
    if (!same) differences.push(`${keyOf(i)}: bulk ${JSON.stringify(b)} single ${JSON.stringify(s)}`);
    if (kindOf(i) === 'tagged') expect(b).toEqual(tagsOf(i));
  });
  expect(differences).toEqual([]);
}, 600_000);
