import type { BulkResult } from '../sections/bulk';
import { renderMarkdown, type Table } from './table';

/** Step Functions' limit on a state's input or output: a batch's output must stay below it. */
const STATE_LIMIT_BYTES = 256 * 1024;
/** The bulk scan machine's own states per execution: Plan, Source, ScanListing, Summarise, Outcome, Scanned. */
const PARENT_STATES = 6;

export interface PerMillion {
  readonly transitions: number;
  readonly invocations: number;
  readonly gbSeconds: number;
  readonly s3Get: number;
  readonly s3Put: number;
  readonly usd: {
    readonly stepFunctions: number;
    readonly lambda: number;
    readonly s3: number;
    readonly total: number;
  };
}

/**
 * A million objects on AWS, on paper, from the run's measurements: the bulk scan at its batch
 * size, and a Standard scan execution per object (the client-request path: ReadInput, HeadObject,
 * CheckSize, Scan), each priced with the run's prices.
 */
export function perMillionObjects(r: BulkResult): { bulk: PerMillion; single: PerMillion } {
  const p = r.prices;
  const gb = r.memoryMiB / 1024;
  const row = r.sweep.find((s) => s.batchSize === r.batchSize);
  const invocationsPerBatch = row ? row.batchInvocations / Math.ceil(row.objects / row.batchSize) : 1;
  // (1 when no batch ran short of time: the sweep's objects are small.)
  const batches = 1e6 / r.batchSize;
  const price = (
    transitions: number,
    invocations: number,
    gbSeconds: number,
    s3Get: number,
    s3Put: number,
  ): PerMillion => {
    const stepFunctions = transitions * p.standardTransition.usd;
    const lambda = invocations * p.lambdaRequest.usd + gbSeconds * p.lambdaGbSecondX86.usd;
    const s3 = s3Get * p.s3GetClassRequest.usd + s3Put * p.s3PutClassRequest.usd;
    return {
      transitions,
      invocations,
      gbSeconds,
      s3Get,
      s3Put,
      usd: { stepFunctions, lambda, s3, total: stepFunctions + lambda + s3 },
    };
  };
  return {
    // Per child: ScanBatch and MoreInBatch per invocation, BatchScanned once. Per object: its tags
    // read for the mode's rules, GetObject and the tags read again beside the scan, one tagging
    // write; per 1,000 objects one LIST page.
    bulk: price(
      PARENT_STATES + batches * (2 * invocationsPerBatch + 1),
      batches * invocationsPerBatch + 2,
      // The batch's measured time per object, at any batch size.
      1e6 * (r.realistic.batchMs.median / r.realistic.batchSize / 1000) * gb,
      3e6,
      1e6 + 1e6 / 1000,
    ),
    // HeadObject, GetObject, GetObjectTagging; PutObjectTagging; each invocation billed on its own.
    single: price(4e6, 1e6, 1e6 * (r.realistic.singleMsPerObject.median / 1000) * gb, 3e6, 1e6),
  };
}

/**
 * The batch size the rule in 7b picks from a run: the smallest size measured whose cost per
 * million objects on AWS (7c's model: its transitions and invocations, and the measured Lambda
 * time and S3 requests per object, the same at every size) is within 10 % of the cheapest size
 * measured, among sizes whose output stays under a quarter of the state limit.
 */
export function recommendBatchSize(r: BulkResult): number | undefined {
  const costs = r.sweep
    .filter((row) => row.outputBytesPerObject * row.batchSize <= STATE_LIMIT_BYTES / 4)
    .map((row) => ({
      size: row.batchSize,
      usd: perMillionObjects({ ...r, batchSize: row.batchSize }).bulk.usd.total,
    }));
  const cheapest = Math.min(...costs.map((c) => c.usd));
  return costs
    .filter((c) => c.usd <= 1.1 * cheapest)
    .map((c) => c.size)
    .sort((a, b) => a - b)[0];
}

const usd = (value: number) => value.toFixed(2);
const range = (values: readonly number[]) =>
  `${Math.min(...values).toFixed(0)} to ${Math.max(...values).toFixed(0)}`;
const count = (value: number) => Math.round(value).toLocaleString('en');

export function bulkTables(r: BulkResult): Table[] {
  const c = r.comparison;
  const comparison: Table = {
    title: `7a. Bulk scan against one scan execution per object, embedded stack (${c.objects.toLocaleString('en')} fresh 1 KiB objects, ${r.engine} set)`,
    columns: ['method', 'objects', 'seconds', 'objects/s'],
    rows: [
      [
        `bulk scan, batches of ${r.batchSize}, ${r.maxConcurrency} at once, ${r.scanConcurrency} objects at once each`,
        count(c.objects),
        c.bulk.seconds.toFixed(1),
        c.bulk.objectsPerSecond.toFixed(0),
      ],
      [
        `scan state machine, one execution per object, ${c.single.concurrency} at once`,
        count(c.objects),
        c.single.seconds.toFixed(1),
        c.single.objectsPerSecond.toFixed(0),
      ],
    ],
    notes: [
      `Both scan each object once through the same handler and clamd, with the same number of objects in flight (${c.single.concurrency}); every object ends CLEAN. The bulk scan's time includes listing the bucket, planning, writing the report and adding it up. Here the S3 requests per object (the same for both, plus one tags read for the bulk scan's mode) and clamd's work dominate, on 2 cores that the S3 endpoint, the runner, the handler and clamd share: the bulk scan runs at ${((c.bulk.objectsPerSecond / c.single.objectsPerSecond) * 100).toFixed(0)} % of the per-object executions' rate. What batching saves per object, here the runner's four states and a Lambda Invoke round trip per execution, is work that AWS bills (7c).`,
    ],
  };
  const sweep: Table = {
    title: `7b. Batch size: objects per second and what a batch's output weighs (${r.sweep[0]?.objects.toLocaleString('en') ?? 0} fresh 1 KiB objects per row)`,
    columns: [
      'batch size',
      'seconds',
      'objects/s',
      'scanner invocations',
      'output bytes per object',
      `output of a ${500}-object batch`,
    ],
    rows: r.sweep.map((row) => [
      String(row.batchSize),
      row.seconds.toFixed(1),
      row.objectsPerSecond.toFixed(0),
      String(row.batchInvocations),
      row.outputBytesPerObject.toFixed(0),
      `${((row.outputBytesPerObject * 500) / 1024).toFixed(0)} KiB of ${STATE_LIMIT_BYTES / 1024} KiB`,
    ]),
    notes: [
      `Batches of 10 and more ran at ${range(r.sweep.filter((row) => row.batchSize >= 10).map((row) => row.objectsPerSecond))} objects/s here, with no order by size (7a's 5,000 objects at the default size: ${r.comparison.bulk.objectsPerSecond.toFixed(0)} objects/s): beyond 10, the batch size saves little time locally. On AWS it saves transitions and invocations, 1/batch size of them (7c), while a larger batch makes each failure (retried and reported whole) and each invocation longer (${(r.realistic.batchMs.median / r.realistic.batchSize).toFixed(1)} ms per object on the realistic set here) and its output heavier (it holds every object's result and is carried between the child's invocations, under Step Functions' ${STATE_LIMIT_BYTES / 1024} KiB state limit).`,
      `The rule, applied to these figures: the smallest batch size whose cost per million objects on AWS (7c's model at that size) is within 10 % of the cheapest size measured, among sizes whose output stays under a quarter of the state limit. It gives ${recommendBatchSize(r) ?? 'none of the sizes measured'}; the default (src/bulk/request.ts) is ${r.batchSize}.`,
    ],
  };
  const m = perMillionObjects(r);
  const million: Table = {
    title: `7c. A million objects on AWS, on paper: bulk scan at batch size ${r.batchSize} against a Standard scan execution per object (scanner ${r.memoryMiB} MB, x86_64; USD at us-east-1 list prices)`,
    columns: [
      'method',
      'state transitions',
      'Lambda invocations',
      'Lambda GB-s',
      'S3 GET/HEAD',
      'S3 PUT/LIST',
      'Step Functions $',
      'Lambda $',
      'S3 requests $',
      'total $',
    ],
    rows: (
      [
        [`bulk scan, batches of ${r.batchSize}`, m.bulk],
        ['scan execution per object', m.single],
      ] as const
    ).map(([name, x]) => [
      name,
      count(x.transitions),
      count(x.invocations),
      count(x.gbSeconds),
      count(x.s3Get),
      count(x.s3Put),
      usd(x.usd.stepFunctions),
      usd(x.usd.lambda),
      usd(x.usd.s3),
      usd(x.usd.total),
    ]),
    notes: [
      `Lambda GB-s from the ${r.realistic.engine} set on this machine (${r.realistic.runs} runs): one invocation scanning a batch of ${r.realistic.batchSize} 1 KiB objects took ${r.realistic.batchMs.median.toFixed(0)} ms (median), ${(r.realistic.batchMs.median / r.realistic.batchSize).toFixed(1)} ms per object; the same objects scanned one invocation each took ${r.realistic.singleMsPerObject.median.toFixed(1)} ms per object (each rounded up to 1 ms as Lambda bills). A batch overlaps S3 round trips with clamd's work (${r.scanConcurrency} objects at once), which a single scan cannot.`,
      `State transitions: the bulk machine's ${PARENT_STATES} states per run, and per batch its child's ScanBatch and MoreInBatch per invocation and BatchScanned once (AWS bills each state entered in a Standard child workflow). A scan execution per object enters ReadInput, HeadObject, CheckSize and Scan.`,
      `S3: per object the bulk scan reads the tags for its mode, then GetObject and the tags again beside the scan, and writes them once; one LIST per 1,000 objects. Not included: the ResultWriter's few PUTs, the report's storage, logs (level ERROR), X-Ray, tags stored, and the fixed costs.`,
      `Prices (bench/prices.ts, read ${r.pricesReadOn}): ${Object.entries(r.prices)
        .map(
          ([name, price]) =>
            `${name} $${price.usd < 0.001 ? price.usd.toExponential(4) : price.usd} per ${price.unit} (${price.source})`,
        )
        .join('; ')}.`,
    ],
  };
  return [comparison, sweep, million];
}

/** The markers around section 7 in BENCHMARKS.md, so `--section bulk` can replace it alone. */
export const BULK_START = '<!-- bench section 7: bulk scans -->';
export const BULK_END = '<!-- end of bench section 7 -->';

/** Section 7 as Markdown between its markers, saying which run its figures come from. */
export function renderBulkMarkdown(r: BulkResult, provenance: string): string {
  return [
    BULK_START,
    '',
    `### 7. Bulk scans`,
    '',
    provenance,
    '',
    ...bulkTables(r).flatMap((t) => [renderMarkdown(t), '']),
    BULK_END,
  ].join('\n');
}

/** Puts section 7 into a page: in place of an earlier one, else before the Method. */
export function replaceBulkSection(page: string, section: string): string {
  const start = page.indexOf(BULK_START);
  const end = page.indexOf(BULK_END);
  if (start >= 0 && end > start)
    return `${page.slice(0, start)}${section}${page.slice(end + BULK_END.length)}`;
  const method = page.indexOf('\n## Method');
  return method >= 0
    ? `${page.slice(0, method)}\n${section}\n${page.slice(method)}`
    : `${page}\n${section}\n`;
}
