import { createReadStream, type PathLike } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CloudWatchSweepMetrics } from '../bulk/sweep-metrics';
import { CloudWatchCanaryMetrics } from '../canary/canary-metrics';
import { type Config, type Env, loadConfig } from '../config';
import { createScanFileHandler } from '../handlers/scan-file';
import { createUpdateDefinitionsHandler } from '../handlers/update-definitions';
import {
  ensureBucket,
  hasPublishedDefinitions,
  LOCAL_DEFINITIONS_BUCKET,
  noMetrics,
  publishDefinitionsDirectory,
  quietLogger,
} from '../local-scan/local-definitions';
import type { ScanResult } from '../scan/contract';
import { Scanner } from '../scan/scanner';
import { claimDir, makeOwnedDir } from '../util/owned-dirs';
import { printable } from '../util/printable';
import { localCloudWatchClient, startLocalCloudWatch } from './cloudwatch-server';
import { ExecutionLog } from './execution-store';
import { summarise } from './history-page';
import { startHistoryServer } from './history-server';
import { localLambdaClient, startLocalLambda } from './lambda-server';
import { type CreatedObject, LOCAL_ACCOUNT, LOCAL_REGION, objectCreatedEvent } from './object-created-event';
import { dataDirCredentials, type LocalCredentials, newLocalCredentials } from './protocol/local-credentials';
import { type LocalS3Server, localS3Client, startLocalS3Server } from './s3-server';
import { type LocalStepFunctionsServer, startLocalStepFunctions } from './sfn-server';
import {
  BULK_SCAN_STATE_MACHINE,
  type ExecutionResult,
  runLocalExecution,
  SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
} from './step-functions';

/** The names of the local stack's functions, state machines and buckets (one place for each). */
export const LOCAL_NAMES = {
  scannerFunction: 'lambda-av-scanner',
  updaterFunction: 'lambda-av-updater',
  scanMachine: 'lambda-av-scan',
  updateMachine: 'lambda-av-update-definitions',
  bulkMachine: 'lambda-av-bulk-scan',
  canaryBucket: 'lambda-av-canary',
  /** Where the bulk scan machine's ResultWriter puts its reports. */
  bulkReportsBucket: 'lambda-av-bulk-reports',
  /** Where `scan --workflow` uploads the files it scans (not scanned on upload: it runs each execution itself). */
  workflowBucket: 'lambda-av-scans',
} as const;

/** The stack's own buckets: never scanned on upload. */
export const STACK_BUCKETS: readonly string[] = [
  LOCAL_DEFINITIONS_BUCKET,
  LOCAL_NAMES.canaryBucket,
  LOCAL_NAMES.bulkReportsBucket,
  LOCAL_NAMES.workflowBucket,
];

/** A file scanned through the workflow: its verdict and the execution that gave it. */
export interface LocalScan {
  readonly result: ScanResult;
  readonly execution: ExecutionResult;
}

export interface LocalStackOptions {
  /** Objects, tags, executions and the credentials are kept here across restarts; else in a temporary directory. */
  readonly dataDir?: string;
  /**
   * The history page listens on `port`, S3 on `port + 1`, Step Functions on `port + 2`, Lambda on
   * `port + 3`, CloudWatch on `port + 4`; 0 (the default) puts each on a free port.
   */
  readonly port?: number;
  /** Buckets where an upload starts a scan, as the EventBridge rule does in AWS. */
  readonly buckets?: readonly string[];
  readonly definitions: {
    /** Publish these database files, replacing what the data directory had. */
    readonly replaceWith?: string;
    /** Where to take definitions from when none are published yet (a first start). */
    readonly whenNonePublished?: () => Promise<string>;
  };
  /** The scanner's and the updater's settings (MAX_FILE_SIZE, CLAMAV_MIRROR_URL, status names, ...). */
  readonly env?: Env;
  /** Told about each execution that ended, as one printable line (`serve` prints a line per scan). */
  readonly onExecutionEnded?: (line: string) => void;
  /** Serve the scan history page (`serve`). */
  readonly historyPage?: boolean;
}

export interface LocalStackEndpoints {
  /** The history page, when served. */
  readonly page?: string;
  readonly s3: string;
  readonly sfn: string;
  readonly lambda: string;
  /** Where the update workflow's canary publishes its metrics (PutMetricData). */
  readonly cloudwatch: string;
}

/** What stop() undoes, in reverse order of set-up. */
type Cleanups = Array<() => Promise<unknown>>;

/**
 * The whole workflow on one machine (`lambda-av serve`, and `lambda-av scan --workflow`), on
 * 127.0.0.1 only: lambda-av's S3 endpoint, whose uploads to the scanned buckets start the scan
 * state machine with the EventBridge event AWS would send; the local Step Functions endpoint with
 * the scan, update and bulk scan state machines; the local Lambda endpoint with the scanner (a
 * real clamd, warm) and the updater; a CloudWatch endpoint for the canary's and the sweep's
 * metrics; and, for `serve`, the scan history page. Every endpoint requires requests signed with
 * the stack's credentials (random, kept in the data directory).
 */
export class LocalStack {
  private constructor(
    readonly endpoints: LocalStackEndpoints,
    readonly credentials: LocalCredentials,
    readonly config: Config,
    /** clamd's version line for the loaded definitions, and the set's id. */
    readonly definitions: string | undefined,
    readonly scanner: Scanner,
    readonly s3: S3Client,
    private readonly lambda: LambdaClient,
    private readonly sfnServer: LocalStepFunctionsServer,
    private readonly cleanups: Cleanups,
  ) {}

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const cleanups: Cleanups = [];
    try {
      const dirs = await claimDirectories(options, cleanups);
      const port = (offset: number) => (options.port ? options.port + offset : 0);
      const scanned = new Set(options.buckets ?? []);
      const events = new ObjectCreatedEvents(scanned);
      const storage = await startStorage(dirs, port(1), events, options, cleanups);
      const cloudwatch = await startCloudWatch(dirs.credentials, port(4), cleanups);
      const config = scannerConfig(options.env ?? {}, dirs.workDir, 'scanner', {
        AWS_LAMBDA_FUNCTION_NAME: LOCAL_NAMES.scannerFunction,
      });
      const functions = await startFunctions(
        dirs,
        config,
        storage.s3,
        cloudwatch,
        options.env ?? {},
        port(3),
        cleanups,
      );
      const sfnServer = await startWorkflows(
        dirs,
        config,
        storage.s3,
        functions.lambda,
        port(2),
        options,
        cleanups,
      );
      events.startScansWith(sfnServer);
      const endpoints = {
        s3: storage.server.endpoint,
        sfn: sfnServer.endpoint,
        lambda: functions.endpoint,
        cloudwatch: cloudwatch.endpoint,
      };
      const page = options.historyPage
        ? await startPage(port(0), sfnServer, config, endpoints, cleanups)
        : undefined;
      scanWhatWasLeftUnscanned(storage.server, scanned, config.statusTagKey, events);
      // A warm scanner before the first upload: definitions problems show now, not on a scan.
      const prepared = await functions.scanner.prepare();
      return new LocalStack(
        { ...(page ? { page } : {}), ...endpoints },
        dirs.credentials,
        config,
        prepared.definitions,
        functions.scanner,
        storage.s3,
        functions.lambda,
        sfnServer,
        cleanups,
      );
    } catch (error) {
      await undo(cleanups);
      throw error;
    }
  }

  get stateMachineArns(): { readonly scan: string; readonly update: string; readonly bulk: string } {
    const arns = this.sfnServer.stateMachineArns;
    return {
      scan: arns[LOCAL_NAMES.scanMachine] as string,
      update: arns[LOCAL_NAMES.updateMachine] as string,
      bulk: arns[LOCAL_NAMES.bulkMachine] as string,
    };
  }

  /** What an application needs to use this stack with its SDK code unchanged. */
  environment(buckets: readonly string[]): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_S3: this.endpoints.s3,
      AWS_ENDPOINT_URL_SFN: this.endpoints.sfn,
      AWS_ENDPOINT_URL_LAMBDA: this.endpoints.lambda,
      AWS_ENDPOINT_URL_CLOUDWATCH: this.endpoints.cloudwatch,
      // Every endpoint requires requests signed with this pair.
      AWS_ACCESS_KEY_ID: this.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.credentials.secretAccessKey,
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      LAMBDA_AV_STATE_MACHINE_ARN: this.stateMachineArns.scan,
      LAMBDA_AV_UPDATE_STATE_MACHINE_ARN: this.stateMachineArns.update,
      LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN: this.stateMachineArns.bulk,
      LAMBDA_AV_FUNCTION_NAME: LOCAL_NAMES.scannerFunction,
      LAMBDA_AV_BUCKET: buckets[0] ?? '',
    };
  }

  /**
   * `scan --workflow`: uploads a file as an object and runs the scan state machine on it, waiting
   * for its end; `signal` aborts the execution.
   */
  async scanFile(key: string, file: PathLike, signal?: AbortSignal): Promise<LocalScan> {
    const { size } = await stat(file);
    const bucket = LOCAL_NAMES.workflowBucket;
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }),
    );
    const execution = await runLocalExecution(
      SCAN_STATE_MACHINE,
      { bucket, key },
      {
        lambda: this.lambda,
        s3: this.s3,
        substitutions: scanSubstitutions(this.config),
        ...(signal ? { signal } : {}),
      },
    );
    if (execution.status !== 'SUCCEEDED') {
      throw new Error(`the scan execution failed: ${execution.error}: ${execution.cause}`);
    }
    return { result: execution.output as ScanResult, execution };
  }

  /** Waits until every execution started so far has ended. */
  settled(): Promise<void> {
    return this.sfnServer.settled();
  }

  /**
   * Stops everything: executions still running end ABORTED, clamd stops, the work area goes, and
   * without a data directory the data too.
   */
  async stop(): Promise<void> {
    await undo(this.cleanups);
  }
}

interface Directories {
  readonly dataDir: string;
  /** clamd's socket lives in the work area, and a unix socket's path must stay short: under the temp dir. */
  readonly workDir: string;
  readonly credentials: LocalCredentials;
}

/**
 * The data directory (kept, and claimed so a second server cannot use it at once; or a temporary
 * one) and the work area. Directories of a previous run that died are reclaimed first, killing
 * what still runs from them (its clamd).
 */
async function claimDirectories(options: LocalStackOptions, cleanups: Cleanups): Promise<Directories> {
  const workDir = await makeOwnedDir(os.tmpdir(), 'lambda-av-serve-work-');
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  if (options.dataDir === undefined) {
    const dataDir = await makeOwnedDir(os.tmpdir(), 'lambda-av-serve-data-');
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    return { dataDir, workDir, credentials: newLocalCredentials() };
  }
  await mkdir(options.dataDir, { recursive: true });
  cleanups.push(await claimDir(options.dataDir));
  return { dataDir: options.dataDir, workDir, credentials: await dataDirCredentials(options.dataDir) };
}

/**
 * New objects of the scanned buckets, turned into scan executions with the event S3 sends to
 * EventBridge. Events before the Step Functions endpoint is up wait for it.
 */
class ObjectCreatedEvents {
  private sfn: LocalStepFunctionsServer | undefined;
  private readonly waiting: CreatedObject[] = [];

  constructor(private readonly scanned: ReadonlySet<string>) {}

  created(object: CreatedObject): void {
    if (!this.scanned.has(object.bucket)) return;
    if (this.sfn) this.startScan(this.sfn, object);
    else this.waiting.push(object);
  }

  startScansWith(sfn: LocalStepFunctionsServer): void {
    this.sfn = sfn;
    for (const object of this.waiting.splice(0)) this.startScan(sfn, object);
  }

  private startScan(sfn: LocalStepFunctionsServer, object: CreatedObject): void {
    const scanArn = sfn.stateMachineArns[LOCAL_NAMES.scanMachine] as string;
    sfn.startExecution(scanArn, JSON.stringify(objectCreatedEvent(object)));
  }
}

/** lambda-av's S3 endpoint on the data directory, its buckets, and the definitions published in it. */
async function startStorage(
  dirs: Directories,
  port: number,
  events: ObjectCreatedEvents,
  options: LocalStackOptions,
  cleanups: Cleanups,
): Promise<{ server: LocalS3Server; s3: S3Client }> {
  const server = await startLocalS3Server({
    directory: path.join(dirs.dataDir, 's3'),
    port,
    credentials: dirs.credentials,
    onObjectCreated: (object) => events.created(object),
  });
  cleanups.push(() => server.stop());
  const s3 = localS3Client(server);
  cleanups.push(async () => s3.destroy());
  for (const bucket of [...STACK_BUCKETS, ...(options.buckets ?? [])]) await ensureBucket(s3, bucket);
  const { replaceWith, whenNonePublished } = options.definitions;
  if (replaceWith !== undefined) {
    await publishDefinitionsDirectory(s3, LOCAL_DEFINITIONS_BUCKET, replaceWith);
  } else if (!(await hasPublishedDefinitions(s3, LOCAL_DEFINITIONS_BUCKET))) {
    if (!whenNonePublished) throw new Error('no definitions: none are published, and none were given');
    await publishDefinitionsDirectory(s3, LOCAL_DEFINITIONS_BUCKET, await whenNonePublished());
  }
  return { server, s3 };
}

/** The CloudWatch endpoint the update workflow's canary and the sweep publish their metrics to. */
async function startCloudWatch(
  credentials: LocalCredentials,
  port: number,
  cleanups: Cleanups,
): Promise<{ endpoint: string; client: CloudWatchClient }> {
  const server = await startLocalCloudWatch({ port, credentials });
  cleanups.push(() => server.stop());
  const client = localCloudWatchClient(server);
  cleanups.push(async () => client.destroy());
  return { endpoint: server.endpoint, client };
}

function scannerConfig(env: Env, workDir: string, workArea: string, extra: Env = {}): Config {
  return loadConfig({
    ...env,
    CLAMAV_BUCKET_NAME: LOCAL_DEFINITIONS_BUCKET,
    PATH_TO_AV_DEFINITIONS: '',
    CANARY_BUCKET_NAME: LOCAL_NAMES.canaryBucket,
    AV_WORK_DIR: path.join(workDir, workArea),
    ...extra,
  });
}

/** The scanner (a real clamd, which dies with this process) and the updater behind the Lambda endpoint. */
async function startFunctions(
  dirs: Directories,
  config: Config,
  s3: S3Client,
  cloudwatch: { client: CloudWatchClient },
  env: Env,
  port: number,
  cleanups: Cleanups,
): Promise<{ scanner: Scanner; lambda: LambdaClient; endpoint: string }> {
  const scanner = new Scanner({ config, s3, logger: quietLogger, metrics: noMetrics, diesWithParent: true });
  cleanups.push(() => scanner.shutdown());
  const updater = createUpdateDefinitionsHandler({
    config: scannerConfig(env, dirs.workDir, 'updater'),
    s3,
    metrics: noMetrics,
    canaryMetrics: new CloudWatchCanaryMetrics(cloudwatch.client),
  });
  let scanHandler: (event: unknown) => Promise<unknown> = async () => undefined;
  const server = await startLocalLambda(
    {
      [LOCAL_NAMES.scannerFunction]: (event) => scanHandler(event),
      [LOCAL_NAMES.updaterFunction]: async (event) => {
        const result = await updater(event);
        // In AWS warm scanners notice a new set at their next check; here the one scanner
        // switches at once, so the canary and the next upload use it.
        if ('changed' in result && result.changed) await scanner.refresh();
        return result;
      },
    },
    { port, credentials: dirs.credentials },
  );
  cleanups.push(() => server.stop());
  const lambda = localLambdaClient(server);
  cleanups.push(async () => lambda.destroy());
  // A bulk scan with sweep: true (what the scheduled sweep starts) reports its count to CloudWatch.
  scanHandler = createScanFileHandler({
    config,
    scanner,
    lambda,
    sweepMetrics: new CloudWatchSweepMetrics(cloudwatch.client),
  });
  return { scanner, lambda, endpoint: server.endpoint };
}

const functionArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
const machineArn = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;

function scanSubstitutions(config: Config): Record<string, string> {
  return {
    ScannerFunctionArn: functionArn(LOCAL_NAMES.scannerFunction),
    MaxFileSize: String(config.maxFileSize),
  };
}

/** The Step Functions endpoint with the scan, update and bulk scan machines; executions kept in the data directory. */
async function startWorkflows(
  dirs: Directories,
  config: Config,
  s3: S3Client,
  lambda: LambdaClient,
  port: number,
  options: LocalStackOptions,
  cleanups: Cleanups,
): Promise<LocalStepFunctionsServer> {
  const scan = scanSubstitutions(config);
  const { onExecutionEnded } = options;
  const server = await startLocalStepFunctions(
    {
      [LOCAL_NAMES.scanMachine]: SCAN_STATE_MACHINE,
      [LOCAL_NAMES.updateMachine]: UPDATE_STATE_MACHINE,
      // `lambda-av scan-bucket` against serve: the bulk scan of a whole bucket, locally.
      [LOCAL_NAMES.bulkMachine]: BULK_SCAN_STATE_MACHINE,
    },
    {
      lambda,
      s3,
      credentials: dirs.credentials,
      substitutions: {
        ...scan,
        UpdaterFunctionArn: functionArn(LOCAL_NAMES.updaterFunction),
        ScanStateMachineArn: machineArn(LOCAL_NAMES.scanMachine),
        BulkScanStateMachineArn: machineArn(LOCAL_NAMES.bulkMachine),
        BulkBatchSize: '100',
        BulkMaxConcurrency: '4',
        ReportBucket: LOCAL_NAMES.bulkReportsBucket,
        // The Standard scan machine, as deployed by default: the canary follows its executions.
        CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
      },
      // The update workflow's canary scans through the scan state machine (a nested execution).
      stateMachines: {
        [machineArn(LOCAL_NAMES.scanMachine)]: { file: SCAN_STATE_MACHINE, substitutions: scan },
      },
      port,
      store: new ExecutionLog(path.join(dirs.dataDir, 'executions.jsonl')),
      ...(onExecutionEnded
        ? {
            onExecutionEnded: (record) =>
              onExecutionEnded(describeEnded(summarise(record, config.statusNames))),
          }
        : {}),
    },
  );
  cleanups.push(() => server.stop({ abort: true }));
  return server;
}

async function startPage(
  port: number,
  sfn: LocalStepFunctionsServer,
  config: Config,
  endpoints: Omit<LocalStackEndpoints, 'page'>,
  cleanups: Cleanups,
): Promise<string> {
  const page = await startHistoryServer({
    port,
    executions: () => sfn.executions(),
    statusNames: config.statusNames,
    endpoints: {
      S3: endpoints.s3,
      'Step Functions': endpoints.sfn,
      Lambda: endpoints.lambda,
      CloudWatch: endpoints.cloudwatch,
    },
  });
  cleanups.push(() => page.stop());
  return page.url;
}

/**
 * After a crash or `kill -9`, objects of the scanned buckets may never have been scanned: their
 * execution was cut off (it is now FAILED in the history), or the server died between the upload
 * and the execution's start. Every object of a scanned bucket without the status tag is scanned
 * now, with the event its upload would have sent. An object being scanned when it stopped cleanly
 * is scanned again, which only writes the same tag.
 */
function scanWhatWasLeftUnscanned(
  server: LocalS3Server,
  scanned: ReadonlySet<string>,
  statusTagKey: string,
  events: ObjectCreatedEvents,
): void {
  for (const bucket of scanned) {
    for (const object of server.store.keys(bucket, '', '')) {
      if (object.tags.some(([key]) => key === statusTagKey)) continue;
      events.created({
        bucket,
        key: object.key,
        size: object.size,
        etag: object.etag,
        eventName: 'ObjectCreated:Put',
      });
    }
  }
}

async function undo(cleanups: Cleanups): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => undefined);
}

/** One line per ended execution, safe for a terminal: a key's control characters are escaped, never written. */
function describeEnded(row: ReturnType<typeof summarise>): string {
  const outcome = row.verdict
    ? `${row.verdict}${row.signature ? ` ${row.signature}` : ''}`
    : `${row.status}${row.error ? ` (${row.error})` : ''}`;
  const took = row.durationMs === undefined ? '' : ` [${row.durationMs} ms]`;
  return printable(`${row.stateMachine}${row.object ? ` ${row.object}` : ''}: ${outcome}${took}`);
}
