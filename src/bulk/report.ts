import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { InvalidEventError } from '../errors';
import { addCounts, countResults } from './batch';
import { type BatchOutput, type BulkCounts, EMPTY_COUNTS, type ItemResult } from './batch-event';
import { UNCHANGED_REASONS, type UnchangedReason } from './bulk-mode';
import { jsonValues } from './json-values';
import type { BulkScanPlan } from './request';

/** How many infected objects the execution's output names (the report names them all). */
export const INFECTED_LISTED = 100;

/** The bulk scan's outcome: the execution's output. */
export interface BulkScanSummary {
  readonly bucket: string;
  readonly prefix: string;
  readonly mode: string;
  readonly source: 'listing' | 'inventory';
  readonly trigger?: string;
  readonly modifiedAfter?: string;
  readonly modifiedBefore?: string;
  /** Objects with a result in the report: scanned, tagged SKIPPED or left unchanged. */
  readonly objects: number;
  /** Per verdict (canonical names), and UNCHANGED for objects the mode's rules left as they were. */
  readonly counts: BulkCounts;
  readonly unchanged: Readonly<Record<UnchangedReason, number>>;
  /** Batches whose child workflow failed (after its retries), and their objects: not scanned. */
  readonly failed: { readonly batches: number; readonly objects: number };
  /** The first INFECTED_LISTED infected objects; the report has every one. */
  readonly infected: ReadonlyArray<{
    readonly key: string;
    readonly versionId?: string;
    readonly signature?: string;
  }>;
  readonly definitions?: string;
  readonly mapRunArn?: string;
  /** The ResultWriter's report: every batch's results (the child workflows' outputs). */
  readonly report: { readonly bucket: string; readonly prefix: string; readonly manifest?: string };
  /** For the scheduled sweep: what it found and whether it was published (src/bulk/sweep.ts). */
  readonly sweep?: SweepOutcome;
}

/** What the scheduled sweep found (src/bulk/sweep.ts). */
export interface SweepOutcome {
  /**
   * Objects found without a verdict: every object with a result that the mode's rules, its age
   * or its storage class did not leave unchanged (scanned now, tagged SKIPPED, or a
   * PROCESSING_ERROR when it could not even be read).
   */
  readonly unscanned: number;
  /** Whether the count was published (SweepUnscannedObjects). */
  readonly published: boolean;
}

/** The ResultWriter's manifest.json, as far as the summary reads it. */
interface ResultManifest {
  readonly MapRunArn?: string;
  readonly DestinationBucket?: string;
  readonly ResultFiles?: Readonly<Record<string, ReadonlyArray<{ readonly Key?: string }>>>;
}

/**
 * `{"bulkReport": <the workflow's state>}`: reads the ResultWriter's report of the run (the
 * manifest the Map state's output names or, when the Map state failed, the one under the plan's
 * report prefix) and adds up every batch's results. The files are read as a stream of records,
 * a JSON array or JSON Lines alike, so a report of millions of objects is never held whole.
 * A record's `Output` and `Input` are read as JSON text or as JSON, whichever they are.
 */
export async function summariseBulkScan(s3: S3Client, state: unknown): Promise<BulkScanSummary> {
  const { plan, map } = state as {
    plan?: BulkScanPlan;
    map?: { ResultWriterDetails?: { Bucket?: string; Key?: string } };
  };
  if (!plan?.report) throw new InvalidEventError('bulkReport needs the workflow state with its plan');
  const bucket = map?.ResultWriterDetails?.Bucket ?? plan.report.bucket;
  const manifestKey =
    map?.ResultWriterDetails?.Key ?? (await findManifest(s3, plan.report.bucket, plan.report.prefix));
  let counts: BulkCounts = EMPTY_COUNTS;
  const unchanged = Object.fromEntries(UNCHANGED_REASONS.map((reason) => [reason, 0])) as Record<
    UnchangedReason,
    number
  >;
  const infected: Array<{ key: string; versionId?: string; signature?: string }> = [];
  const failed = { batches: 0, objects: 0 };
  let definitions: string | undefined;
  let manifest: ResultManifest | undefined;
  if (manifestKey) {
    manifest = JSON.parse(await readText(s3, bucket, manifestKey)) as ResultManifest;
    const files = manifest.ResultFiles ?? {};
    for (const [status, entries] of Object.entries(files)) {
      for (const entry of entries) {
        if (!entry.Key) continue;
        for await (const record of readRecords(s3, manifest.DestinationBucket ?? bucket, entry.Key)) {
          if (status === 'SUCCEEDED') {
            const output = jsonOf(record.Output) as BatchOutput | undefined;
            const results: readonly ItemResult[] = output?.results ?? [];
            counts = addCounts(counts, output?.counts ?? countResults(results));
            definitions = output?.definitions ?? definitions;
            for (const result of results) {
              if ('unchanged' in result) unchanged[result.unchanged]++;
              else if (result.verdict === 'INFECTED' && infected.length < INFECTED_LISTED) {
                infected.push({
                  key: result.key,
                  ...(result.versionId ? { versionId: result.versionId } : {}),
                  ...(result.signature ? { signature: result.signature } : {}),
                });
              }
            }
          } else {
            const input = jsonOf(record.Input) as { Items?: unknown[] } | undefined;
            failed.batches++;
            failed.objects += input?.Items?.length ?? 0;
          }
        }
      }
    }
  }
  return {
    bucket: plan.bucket,
    prefix: plan.prefix,
    mode: plan.mode,
    source: plan.source,
    ...(plan.trigger ? { trigger: plan.trigger } : {}),
    ...(plan.modifiedAfter ? { modifiedAfter: plan.modifiedAfter } : {}),
    ...(plan.modifiedBefore ? { modifiedBefore: plan.modifiedBefore } : {}),
    objects: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    unchanged,
    failed,
    infected,
    ...(definitions ? { definitions } : {}),
    ...(manifest?.MapRunArn ? { mapRunArn: manifest.MapRunArn } : {}),
    report: { bucket, prefix: plan.report.prefix, ...(manifestKey ? { manifest: manifestKey } : {}) },
  };
}

async function findManifest(s3: S3Client, bucket: string, prefix: string): Promise<string | undefined> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  return listed.Contents?.map((object) => object.Key ?? '').find((key) => key.endsWith('/manifest.json'));
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await response.Body?.transformToString('utf8')) ?? '';
}

async function* readRecords(
  s3: S3Client,
  bucket: string,
  key: string,
): AsyncGenerator<Record<string, unknown>> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = response.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) return;
  for await (const value of jsonValues(body)) {
    if (typeof value === 'object' && value !== null) yield value as Record<string, unknown>;
  }
}

function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
