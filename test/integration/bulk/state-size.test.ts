import { BULK_SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { resultRecords } from '../../support/bulk-report';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { functionArn, SCANNER_FUNCTION, startWorkflow, type Workflow } from '../../support/workflow';

// A state's input and output (a Map child's too) are limited to 256 KiB: States.DataLimitExceeded
// past it. The largest batch is what MaxInputBytesPerBatch (128 KiB) lets in; with S3's longest
// keys (1,024 bytes) and an invocation that runs short of time twice, each batch goes round three
// times, its results and its remaining items side by side. Every state it passes through stays
// under the limit: the remaining items are carried once (statemachine/bulk-scan.asl.json,
// ScanBatch's ResultSelector).

const LIMIT = 256 * 1024;
/** What Step Functions' lambda:invoke adds around the function's answer (status, headers, version). */
const TASK_ENVELOPE = 2048;
const REPORTS = 'bulk-reports';
const OBJECTS = 130;

let h: Harness;
let wf: Workflow;
const sizes: Array<{ what: string; bytes: number }> = [];
/** Objects whose key a batch invocation's input or answer holds more than once. */
const carriedTwice: string[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: '1024' } });
  await h.s3.createBucket(REPORTS);
  const margin = h.config.scanTimeoutMs + 10_000;
  wf = await startWorkflow(
    {
      [SCANNER_FUNCTION]: async (event) => {
        const items = (event as { Items?: unknown[] }).Items;
        // A third of the largest batch per invocation: its time runs short twice.
        let allowed = items ? 40 : Number.POSITIVE_INFINITY;
        const response = await h.handler(event, {
          getRemainingTimeInMillis: () => (allowed-- > 0 ? margin + 1000 : margin - 1),
        });
        if (items) {
          carriedTwice.push(...twice(event), ...twice(response));
          sizes.push({ what: `batch invocation of ${items.length} items`, bytes: bytesOf(event) });
          sizes.push({ what: 'its answer, in the task result', bytes: bytesOf(response) + TASK_ENVELOPE });
        }
        return response;
      },
    },
    {
      s3: h.s3.client,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        BulkMaxConcurrency: '2',
        BulkBatchSize: '500',
        ReportBucket: REPORTS,
      },
    },
  );
}, 120_000);
afterAll(async () => {
  await wf?.stop();
  await h?.stop();
});

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** The objects (by the number in their key) named more than once in `value`. */
function twice(value: unknown): string[] {
  const numbers = [...JSON.stringify(value).matchAll(/\/(\d{4})-x/g)].map((m) => m[1] as string);
  return [...new Set(numbers.filter((n, i) => numbers.indexOf(n) !== i))];
}

/** A key of exactly 1,024 bytes (S3's longest), in folders. */
function longKey(i: number): string {
  const name = `${String(i).padStart(4, '0')}-`;
  const folders = Array.from({ length: 9 }, (_, n) => `${String(n)}${'k'.repeat(99)}`).join('/');
  const key = `${folders}/${name}`;
  return key + 'x'.repeat(1024 - Buffer.byteLength(key));
}

test('the largest batch of 1,024-byte keys goes round three times, every state under 256 KiB', async () => {
  for (let i = 0; i < OBJECTS; i++) await h.s3.put(UPLOADS_BUCKET, longKey(i), `file ${i}`);
  expect(Buffer.byteLength(longKey(0))).toBe(1024);

  const result = await wf.run(BULK_SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, scanConcurrency: 4 });

  expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
  const summary = result.output as { counts: Record<string, number>; report: { manifest: string } };
  expect(summary.counts).toMatchObject({ CLEAN: OBJECTS });
  // The first batch is as large as MaxInputBytesPerBatch allows, and went round three times.
  const largest = Math.max(...sizes.map((s) => Number(/of (\d+) items/.exec(s.what)?.[1] ?? 0)));
  expect(largest).toBeGreaterThan(100);
  expect(sizes.filter((s) => s.what === `batch invocation of ${largest} items`)).toHaveLength(1);
  expect(sizes.filter((s) => s.what.startsWith('batch invocation')).length).toBeGreaterThanOrEqual(3 + 1);
  // Each child's output, as the ResultWriter wrote it.
  for (const output of await childOutputs(summary.report.manifest)) {
    sizes.push({ what: 'a child workflow output', bytes: Buffer.byteLength(output) });
  }
  const over = sizes.filter((s) => s.bytes >= LIMIT);
  expect(over).toEqual([]);
  // Each object once, as an item or as a result: carrying the remaining items again (as
  // `previous.remaining`) would take such a batch to twice its 128 KiB.
  expect(carriedTwice).toEqual([]);
  expect(Math.max(...sizes.map((s) => s.bytes))).toBeGreaterThan(LIMIT / 2);
});

async function childOutputs(manifestKey: string): Promise<string[]> {
  return (await resultRecords(h.s3.client, REPORTS, manifestKey)).map((record) => String(record.Output));
}
