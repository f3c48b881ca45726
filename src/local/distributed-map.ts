import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RemoteError } from '../errors';

/**
 * The documented adapter that runs a Distributed Map locally.
 *
 * aws-local-stepfunctions validates `ItemReader`, `ItemBatcher` and `ResultWriter` but ignores
 * them at run time. Rather than interpret them, this adapter replaces each Distributed Map state
 * with a Task state of the same name (keeping its ResultSelector, ResultPath, OutputPath, Catch,
 * Retry and Next, which the runner applies as usual) whose `Parameters` carry the Map's
 * reader, batcher, writer and limits (their paths and templates evaluated by the runner). The
 * Task's local handler then does what Step Functions does, in this order:
 *
 * 1. ItemReader: lists the bucket (for `s3:listObjectsV2`, every page; items shaped as AWS documents
 *    them: `{Etag, Key, LastModified (epoch seconds), Size, StorageClass}`) or reads an S3
 *    Inventory (`s3:getObject` with `InputType: MANIFEST`: the manifest's gzipped CSV files, one
 *    item per row named by its `fileSchema`, values as text); a failure is `States.ItemReaderFailed`;
 * 2. ItemBatcher: groups the items into `{Items, BatchInput}` batches by `MaxItemsPerBatch` and
 *    `MaxInputBytesPerBatch`;
 * 3. runs the **unchanged ItemProcessor** over the batches with the runner's own inline Map, at
 *    `MaxConcurrency`; each child wrapped in a Parallel state whose Catch records a failed child
 *    instead of failing the run, as a Distributed Map does;
 * 4. ResultWriter: writes `manifest.json` and `SUCCEEDED_0.json` / `FAILED_0.json` (each record
 *    as AWS writes them with `Transformation: NONE`: `Input` and `Output` as JSON text, `Status`,
 *    names and times) under `<Prefix>/<map run id>/`;
 * 5. fails with `States.ExceedToleratedFailureThreshold` when more items failed than
 *    `ToleratedFailurePercentage` (or `ToleratedFailureCount`) allows, after writing the results;
 *    else answers `{MapRunArn, ResultWriterDetails: {Bucket, Key}}`.
 *
 * What it does not do: ItemSelector, ItemsPath, ReaderConfig other than MaxItems and
 * InputType MANIFEST, CSV/JSON files as item sources, result files split at 5 GB, redrives,
 * child executions' own histories. A Distributed Map using any of these is refused, not guessed.
 */

/** The resource of the Task standing in for a Distributed Map, and of the adapter's own tasks. */
export const LOCAL_RESOURCE_PREFIX = 'arn:aws:states:::lambda-av-local:';
const DISTRIBUTED_MAP_RESOURCE = `${LOCAL_RESOURCE_PREFIX}distributedMap`;
const CHILD_DONE_RESOURCE = `${LOCAL_RESOURCE_PREFIX}childDone`;

type Json = Record<string, unknown>;

interface MapState {
  readonly Type: string;
  readonly ItemReader?: Json;
  readonly ItemBatcher?: Json;
  readonly ResultWriter?: Json;
  readonly ItemProcessor?: {
    readonly ProcessorConfig?: { readonly Mode?: string };
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** Fields of a Map state the adapter keeps on the Task that stands in for it. */
const KEPT = [
  'Comment',
  'InputPath',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Retry',
  'Catch',
  'Next',
  'End',
];
/** Fields it turns into the Task's Parameters (their `...Path` forms too). */
const CONFIGURED = ['MaxConcurrency', 'ToleratedFailurePercentage', 'ToleratedFailureCount'];
const HANDLED = new Set([
  ...KEPT,
  ...CONFIGURED,
  ...CONFIGURED.map((name) => `${name}Path`),
  'Type',
  'Label',
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'ItemProcessor',
]);

/** A Distributed Map state replaced by the adapter: what its handler needs besides its Parameters. */
export interface DistributedMapSpec {
  readonly stateName: string;
  readonly label: string;
  readonly processor: Json;
}

/**
 * The definition with each Distributed Map state (at the top level: Step Functions runs them
 * there and in child workflows) replaced by its stand-in Task, and what each one needs.
 */
export function withLocalDistributedMaps(definition: Json): { definition: Json; maps: DistributedMapSpec[] } {
  const states = (definition.States ?? {}) as Record<string, MapState>;
  const maps: DistributedMapSpec[] = [];
  const replaced: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(states)) {
    const distributed = state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
    if (!distributed) {
      replaced[name] = state;
      continue;
    }
    const unsupported = Object.keys(state).filter((field) => !HANDLED.has(field));
    if (unsupported.length > 0) {
      throw new Error(
        `local Distributed Map ${name}: ${unsupported.join(', ')} not supported by src/local/distributed-map.ts`,
      );
    }
    const parameters: Json = { Label: state.Label ?? name };
    if (state.ItemReader) parameters.ItemReader = state.ItemReader;
    if (state.ItemBatcher) parameters.ItemBatcher = pathsToTemplate(state.ItemBatcher);
    if (state.ResultWriter) parameters.ResultWriter = state.ResultWriter;
    Object.assign(
      parameters,
      pathsToTemplate(pick(state, [...CONFIGURED, ...CONFIGURED.map((c) => `${c}Path`)])),
    );
    const { ProcessorConfig: _, ...processor } = state.ItemProcessor as Json;
    maps.push({ stateName: name, label: String(state.Label ?? name), processor });
    replaced[name] = {
      Type: 'Task',
      Resource: DISTRIBUTED_MAP_RESOURCE,
      Parameters: parameters,
      // A Map state has no timeout of its own; the runner would give a Task 60 s. (Node's timers
      // hold at most 2^31 - 1 ms: 2,000,000 s is about 23 days.)
      TimeoutSeconds: 2_000_000,
      ...pick(state, KEPT),
    };
  }
  return { definition: { ...definition, States: replaced }, maps };
}

/** `XPath: "$.a"` becomes `"X.$": "$.a"`, which the runner resolves in a Task's Parameters. */
function pathsToTemplate(fields: Json): Json {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) =>
      key.endsWith('Path') && key !== 'InputPath' ? [`${key.slice(0, -4)}.$`, value] : [key, value],
    ),
  );
}

function pick(state: Json, fields: readonly string[]): Json {
  return Object.fromEntries(fields.filter((field) => field in state).map((field) => [field, state[field]]));
}

/** A Map Run as DescribeMapRun shows it, kept up to date while the local run goes on. */
export interface LocalMapRun {
  readonly mapRunArn: string;
  readonly executionArn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly startDate: number;
  stopDate?: number;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number;
  readonly itemCounts: MapRunCounts;
  readonly executionCounts: MapRunCounts;
}

export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
}

export interface DistributedMapContext {
  readonly s3: S3Client;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  /** Where the Map Runs are kept for ListMapRuns and DescribeMapRun, when someone serves them. */
  readonly mapRuns?: Map<string, LocalMapRun>;
  /**
   * Runs a definition with the runner (with the caller's task bindings), `handlers` binding the
   * adapter's own tasks by state name.
   */
  readonly runInline: (
    definition: Json,
    input: unknown,
    handlers: Record<string, (input: unknown) => Promise<unknown>>,
  ) => Promise<{ status: string; output?: unknown; error?: string; cause?: string }>;
}

interface MapConfig {
  readonly Label: string;
  readonly ItemReader?: { Resource?: string; Parameters?: Json; ReaderConfig?: Json };
  readonly ItemBatcher?: { MaxItemsPerBatch?: number; MaxInputBytesPerBatch?: number; BatchInput?: unknown };
  readonly ResultWriter?: { Resource?: string; Parameters?: { Bucket?: string; Prefix?: string } };
  readonly MaxConcurrency?: number;
  readonly ToleratedFailurePercentage?: number;
  readonly ToleratedFailureCount?: number;
}

interface ChildRecord {
  readonly Status: 'SUCCEEDED' | 'FAILED';
  readonly [key: string]: unknown;
}

/** The stand-in Task's handler: one Distributed Map run, as described at the top of this file. */
export async function runDistributedMap(
  spec: DistributedMapSpec,
  config: MapConfig,
  context: DistributedMapContext,
): Promise<unknown> {
  const items = await readItems(context.s3, config).catch((error: Error) => {
    throw error instanceof RemoteError
      ? error
      : new RemoteError('States.ItemReaderFailed', error.message, { cause: error });
  });
  const batches = config.ItemBatcher ? batch(items, config.ItemBatcher) : items;
  const machine = context.stateMachineArn.split(':').pop() ?? 'local';
  const runId = crypto.randomUUID();
  const region = context.stateMachineArn.split(':').slice(3, 5).join(':');
  const mapRunArn = `arn:aws:states:${region}:mapRun:${machine}/${config.Label}:${runId}`;
  const counts = (total: number): MapRunCounts => ({
    pending: total,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    aborted: 0,
    total,
    resultsWritten: 0,
  });
  const run: LocalMapRun = {
    mapRunArn,
    executionArn: context.executionArn,
    status: 'RUNNING',
    startDate: Date.now() / 1000,
    maxConcurrency: config.MaxConcurrency ?? 0,
    toleratedFailurePercentage: config.ToleratedFailurePercentage ?? 0,
    toleratedFailureCount: config.ToleratedFailureCount ?? 0,
    itemCounts: counts(items.length),
    executionCounts: counts(batches.length),
  };
  context.mapRuns?.set(mapRunArn, run);
  const sizeOf = (input: unknown) =>
    config.ItemBatcher ? ((input as { Items?: unknown[] }).Items?.length ?? 0) : 1;

  const records: ChildRecord[] = [];
  const childDone = async (state: unknown) => {
    const { input, output, failure } = state as { input: unknown; output?: unknown[]; failure?: Json };
    const n = sizeOf(input);
    const now = new Date().toISOString();
    const record: ChildRecord = {
      ExecutionArn: `${context.stateMachineArn.replace(':stateMachine:', ':execution:')}/${config.Label}:${crypto.randomUUID()}`,
      Input: JSON.stringify(input),
      InputDetails: { Included: true },
      Name: crypto.randomUUID(),
      StateMachineArn: `${context.stateMachineArn}/${config.Label}`,
      StartDate: now,
      StopDate: now,
      ...(failure
        ? { Status: 'FAILED', Error: failure.Error, Cause: failure.Cause }
        : {
            Status: 'SUCCEEDED',
            Output: JSON.stringify(output?.[0] ?? null),
            OutputDetails: { Included: true },
          }),
    } as ChildRecord;
    records.push(record);
    const field = failure ? 'failed' : 'succeeded';
    run.itemCounts[field] += n;
    run.itemCounts.pending -= n;
    run.executionCounts[field] += 1;
    run.executionCounts.pending -= 1;
    return null;
  };
  const children = {
    StartAt: 'Children',
    States: {
      Children: {
        Type: 'Map',
        ItemsPath: '$.batches',
        MaxConcurrency: config.MaxConcurrency ?? 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Hold',
          States: {
            Hold: { Type: 'Pass', Parameters: { 'input.$': '$' }, Next: 'Child' },
            Child: {
              Type: 'Parallel',
              Branches: [spec.processor],
              InputPath: '$.input',
              ResultPath: '$.output',
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ChildFailed' }],
              Next: 'ChildSucceeded',
            },
            ChildSucceeded: { Type: 'Task', Resource: CHILD_DONE_RESOURCE, End: true },
            ChildFailed: { Type: 'Task', Resource: CHILD_DONE_RESOURCE, End: true },
          },
        },
        End: true,
      },
    },
  };
  const result = await context.runInline(
    children,
    { batches },
    { ChildSucceeded: childDone, ChildFailed: childDone },
  );
  if (result.status !== 'SUCCEEDED') {
    run.status = 'FAILED';
    throw new RemoteError(result.error ?? 'States.Runtime', result.cause ?? 'the local Map Run failed');
  }
  const failedItems = run.itemCounts.failed;
  const written = config.ResultWriter
    ? await writeResults(context.s3, config, mapRunArn, runId, records)
    : undefined;
  run.itemCounts.resultsWritten = written ? items.length : 0;
  run.stopDate = Date.now() / 1000;
  const percentage = items.length === 0 ? 0 : (100 * failedItems) / items.length;
  const tolerated =
    percentage <= (config.ToleratedFailurePercentage ?? 0) ||
    (config.ToleratedFailureCount !== undefined && failedItems <= config.ToleratedFailureCount);
  run.status = failedItems === 0 || tolerated ? 'SUCCEEDED' : 'FAILED';
  if (run.status === 'FAILED') {
    throw new RemoteError(
      'States.ExceedToleratedFailureThreshold',
      `The specified tolerated failure threshold was exceeded: ${failedItems} of ${items.length} items failed`,
    );
  }
  if (written) return { MapRunArn: mapRunArn, ResultWriterDetails: written };
  return records.map((record) => (record.Output === undefined ? record : JSON.parse(String(record.Output))));
}

async function readItems(s3: S3Client, config: MapConfig): Promise<unknown[]> {
  const reader = config.ItemReader;
  if (!reader) throw new RemoteError('States.Runtime', 'a local Distributed Map needs an ItemReader');
  const { Resource, Parameters = {}, ReaderConfig = {} } = reader;
  const unsupported = Object.keys(ReaderConfig).filter((key) => key !== 'MaxItems' && key !== 'InputType');
  if (unsupported.length > 0)
    throw new RemoteError('States.Runtime', `ReaderConfig ${unsupported.join(', ')} not supported locally`);
  let items: unknown[];
  if (Resource === 'arn:aws:states:::s3:listObjectsV2') {
    items = await listObjects(
      s3,
      String(Parameters.Bucket),
      typeof Parameters.Prefix === 'string' ? Parameters.Prefix : '',
    );
  } else if (Resource === 'arn:aws:states:::s3:getObject' && ReaderConfig.InputType === 'MANIFEST') {
    items = await readInventory(s3, String(Parameters.Bucket), String(Parameters.Key));
  } else {
    throw new RemoteError(
      'States.Runtime',
      `ItemReader ${Resource} ${JSON.stringify(ReaderConfig)} not supported locally`,
    );
  }
  const max = ReaderConfig.MaxItems;
  return typeof max === 'number' ? items.slice(0, max) : items;
}

async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<unknown[]> {
  const items: unknown[] = [];
  // ListObjectsV2, page by page, as Step Functions' ItemReader reads a bucket.
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      items.push({
        Etag: object.ETag,
        Key: object.Key,
        LastModified: Math.floor((object.LastModified?.getTime() ?? 0) / 1000),
        Size: object.Size,
        StorageClass: object.StorageClass ?? 'STANDARD',
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return items;
}

/** An S3 Inventory: its manifest.json names gzipped CSV files in its destination bucket. */
async function readInventory(s3: S3Client, bucket: string, key: string): Promise<unknown[]> {
  const read = async (b: string, k: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: b, Key: k }));
    return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  };
  const manifest = JSON.parse((await read(bucket, key)).toString('utf8')) as {
    destinationBucket?: string;
    fileFormat?: string;
    fileSchema?: string;
    files?: Array<{ key: string }>;
  };
  if (manifest.fileFormat !== 'CSV')
    throw new RemoteError('States.Runtime', `inventory format ${manifest.fileFormat} not supported locally`);
  const columns = (manifest.fileSchema ?? '').split(',').map((column) => column.trim());
  const destination = (manifest.destinationBucket ?? bucket).replace(/^arn:aws[a-z-]*:s3:::/, '');
  const items: unknown[] = [];
  for (const file of manifest.files ?? []) {
    for (const line of gunzipSync(await read(destination, file.key))
      .toString('utf8')
      .split('\n')) {
      if (line.trim() === '') continue;
      const values = csvFields(line);
      items.push(Object.fromEntries(columns.map((column, i) => [column, values[i] ?? ''])));
    }
  }
  return items;
}

function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Batches of at most MaxItemsPerBatch items and MaxInputBytesPerBatch bytes of JSON, in order. */
function batch(items: readonly unknown[], batcher: NonNullable<MapConfig['ItemBatcher']>): Json[] {
  const maxItems = batcher.MaxItemsPerBatch || Number.POSITIVE_INFINITY;
  const maxBytes = batcher.MaxInputBytesPerBatch || 262_144;
  const envelope = (list: unknown[]) => ({
    Items: list,
    ...(batcher.BatchInput !== undefined ? { BatchInput: batcher.BatchInput } : {}),
  });
  const batches: Json[] = [];
  let current: unknown[] = [];
  for (const item of items) {
    const next = [...current, item];
    if (
      current.length > 0 &&
      (next.length > maxItems || Buffer.byteLength(JSON.stringify(envelope(next))) > maxBytes)
    ) {
      batches.push(envelope(current));
      current = [item];
    } else {
      current = next;
    }
  }
  if (current.length > 0) batches.push(envelope(current));
  return batches;
}

async function writeResults(
  s3: S3Client,
  config: MapConfig,
  mapRunArn: string,
  runId: string,
  records: readonly ChildRecord[],
): Promise<{ Bucket: string; Key: string }> {
  const bucket = config.ResultWriter?.Parameters?.Bucket;
  if (!bucket)
    throw new RemoteError('States.ResultWriterFailed', 'ResultWriter.Parameters.Bucket is missing');
  const prefix = (config.ResultWriter?.Parameters?.Prefix ?? '').replace(/\/+$/, '');
  const base = prefix ? `${prefix}/${runId}` : runId;
  const files: Record<string, Array<{ Key: string; Size: number }>> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  try {
    for (const status of ['SUCCEEDED', 'FAILED'] as const) {
      const chosen = records.filter((record) => record.Status === status);
      if (chosen.length === 0) continue;
      const Key = `${base}/${status}_0.json`;
      const body = JSON.stringify(chosen);
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentType: 'application/json' }),
      );
      files[status]?.push({ Key, Size: Buffer.byteLength(body) });
    }
    const Key = `${base}/manifest.json`;
    const manifest = { DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: files };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key,
        Body: JSON.stringify(manifest),
        ContentType: 'application/json',
      }),
    );
    return { Bucket: bucket, Key };
  } catch (error) {
    throw new RemoteError('States.ResultWriterFailed', (error as Error).message, { cause: error });
  }
}
