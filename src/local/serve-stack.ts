import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
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
import { Scanner } from '../scan/scanner';
import { makeOwnedDir } from '../util/owned-dirs';
import { startLocalCloudWatch } from './cloudwatch-server';
import { ExecutionLog } from './execution-store';
import { renderHistoryPage, summarise } from './history-page';
import { localLambdaClient, startLocalLambda } from './lambda-server';
import { LOCAL_ACCOUNT, LOCAL_REGION, objectCreatedEvent } from './object-created-event';
import { LOCAL_S3_CREDENTIALS, localS3Client, startLocalS3Server } from './s3-server';
import { type LocalStepFunctionsServer, startLocalStepFunctions } from './sfn-server';
import { BULK_SCAN_STATE_MACHINE, SCAN_STATE_MACHINE, UPDATE_STATE_MACHINE } from './step-functions';

export const SERVE_SCANNER_FUNCTION = 'lambda-av-scanner';
export const SERVE_UPDATER_FUNCTION = 'lambda-av-updater';
export const SERVE_SCAN_MACHINE = 'lambda-av-scan';
export const SERVE_UPDATE_MACHINE = 'lambda-av-update-definitions';
export const SERVE_CANARY_BUCKET = 'lambda-av-canary';
export const SERVE_BULK_MACHINE = 'lambda-av-bulk-scan';
/** Where the bulk scan machine's ResultWriter puts its reports. */
export const SERVE_BULK_REPORTS_BUCKET = 'lambda-av-bulk-reports';

export interface ServeOptions {
  /** Objects, tags and execution history are kept here across restarts; else in a temporary directory. */
  readonly dataDir?: string;
  /**
   * The history page listens on `port`, S3 on `port + 1`, Step Functions on `port + 2`, Lambda on
   * `port + 3`, CloudWatch on `port + 4`; 0 puts each on a free port.
   */
  readonly port: number;
  /** Buckets where an upload starts a scan, as the EventBridge rule does in AWS. */
  readonly buckets: readonly string[];
  readonly definitions: {
    /** Publish these database files, replacing what the data directory had. */
    readonly replaceWith?: string;
    /** Where to take definitions from when none are published yet (a first start). */
    readonly whenNonePublished: () => Promise<string>;
  };
  /** The scanner's and the updater's settings (MAX_FILE_SIZE, CLAMAV_MIRROR_URL, status names, ...). */
  readonly env: Env;
  /** Told about each execution that ended (the command prints a line per scan). */
  readonly onExecutionEnded?: (line: string) => void;
}

export interface ServeEndpoints {
  readonly page: string;
  readonly s3: string;
  readonly sfn: string;
  readonly lambda: string;
  /** Where the update workflow's canary publishes its metrics (PutMetricData). */
  readonly cloudwatch: string;
}

/**
 * The embedded stack kept running (`lambda-av serve`): an S3-compatible endpoint whose uploads to
 * the scanned buckets start the scan state machine with the EventBridge event AWS would send; the
 * local Step Functions endpoint with the scan and update state machines; the local Lambda endpoint
 * with the scanner (a real clamd, warm) and the updater; and the scan history page. Everything
 * listens on 127.0.0.1 only.
 */
export class ServeStack {
  private constructor(
    readonly endpoints: ServeEndpoints,
    readonly config: Config,
    /** clamd's version line for the loaded definitions, and the set's id. */
    readonly definitions: string | undefined,
    private readonly sfnServer: LocalStepFunctionsServer,
    /** What `stop` undoes, in the order it was set up. */
    private readonly cleanups: ReadonlyArray<() => Promise<unknown>>,
  ) {}

  get stateMachineArns(): { readonly scan: string; readonly update: string; readonly bulk: string } {
    const arns = this.sfnServer.stateMachineArns;
    return {
      scan: arns[SERVE_SCAN_MACHINE] as string,
      update: arns[SERVE_UPDATE_MACHINE] as string,
      bulk: arns[SERVE_BULK_MACHINE] as string,
    };
  }

  /** What an application needs to use this stack with its SDK code unchanged. */
  environment(buckets: readonly string[]): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_S3: this.endpoints.s3,
      AWS_ENDPOINT_URL_SFN: this.endpoints.sfn,
      AWS_ENDPOINT_URL_LAMBDA: this.endpoints.lambda,
      AWS_ENDPOINT_URL_CLOUDWATCH: this.endpoints.cloudwatch,
      // s3rver accepts this key pair only; the other local endpoints accept any.
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      // s3rver stores streamed uploads with the SDK's default checksums in aws-chunked framing.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
      LAMBDA_AV_STATE_MACHINE_ARN: this.stateMachineArns.scan,
      LAMBDA_AV_UPDATE_STATE_MACHINE_ARN: this.stateMachineArns.update,
      LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN: this.stateMachineArns.bulk,
      LAMBDA_AV_FUNCTION_NAME: SERVE_SCANNER_FUNCTION,
      LAMBDA_AV_BUCKET: buckets[0] ?? '',
    };
  }

  static async start(options: ServeOptions): Promise<ServeStack> {
    const scratchData = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await makeOwnedDir(os.tmpdir(), 'lambda-av-serve-data-'));
    await mkdir(dataDir, { recursive: true });
    // clamd's socket lives in the work area, and a unix socket's path must stay short.
    const workDir = await makeOwnedDir(os.tmpdir(), 'lambda-av-serve-work-');
    const port = (offset: number) => (options.port === 0 ? 0 : options.port + offset);
    const cleanups: Array<() => Promise<unknown>> = [];
    if (scratchData) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));
    try {
      let sfnServer: LocalStepFunctionsServer | undefined;
      const buckets = new Set(options.buckets);
      const s3Server = await startLocalS3Server({
        directory: path.join(dataDir, 's3'),
        port: port(1),
        onObjectCreated: (object) => {
          if (!buckets.has(object.bucket) || !sfnServer) return;
          const scanArn = sfnServer.stateMachineArns[SERVE_SCAN_MACHINE] as string;
          sfnServer.startExecution(scanArn, JSON.stringify(objectCreatedEvent(object)));
        },
      });
      cleanups.push(() => s3Server.stop());
      const s3 = localS3Client(s3Server.endpoint);
      cleanups.push(async () => s3.destroy());
      for (const bucket of [LOCAL_DEFINITIONS_BUCKET, ...buckets]) await ensureBucket(s3, bucket);
      const { replaceWith, whenNonePublished } = options.definitions;
      if (replaceWith !== undefined) {
        await publishDefinitionsDirectory(s3, LOCAL_DEFINITIONS_BUCKET, replaceWith);
      } else if (!(await hasPublishedDefinitions(s3, LOCAL_DEFINITIONS_BUCKET))) {
        await publishDefinitionsDirectory(s3, LOCAL_DEFINITIONS_BUCKET, await whenNonePublished());
      }

      // The update workflow's canary writes its objects here and publishes its metrics to the
      // local CloudWatch endpoint.
      await ensureBucket(s3, SERVE_CANARY_BUCKET);
      await ensureBucket(s3, SERVE_BULK_REPORTS_BUCKET);
      const cloudwatch = await startLocalCloudWatch({ port: port(4) });
      cleanups.push(() => cloudwatch.stop());
      const cloudwatchClient = new CloudWatchClient({
        endpoint: cloudwatch.endpoint,
        region: LOCAL_REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      cleanups.push(async () => cloudwatchClient.destroy());

      const settings = (workArea: string, extra: Env = {}) =>
        loadConfig({
          ...options.env,
          CLAMAV_BUCKET_NAME: LOCAL_DEFINITIONS_BUCKET,
          PATH_TO_AV_DEFINITIONS: '',
          CANARY_BUCKET_NAME: SERVE_CANARY_BUCKET,
          AV_WORK_DIR: path.join(workDir, workArea),
          ...extra,
        });
      const config = settings('scanner', { AWS_LAMBDA_FUNCTION_NAME: SERVE_SCANNER_FUNCTION });
      const scanner = new Scanner({
        config,
        s3,
        logger: quietLogger,
        metrics: noMetrics,
        diesWithParent: true,
      });
      cleanups.push(() => scanner.shutdown());
      const updater = createUpdateDefinitionsHandler({
        config: settings('updater'),
        s3,
        metrics: noMetrics,
        canaryMetrics: new CloudWatchCanaryMetrics(cloudwatchClient),
      });
      let scanHandler: (event: unknown) => Promise<unknown> = async () => undefined;
      const lambdaServer = await startLocalLambda(
        {
          [SERVE_SCANNER_FUNCTION]: (event) => scanHandler(event),
          [SERVE_UPDATER_FUNCTION]: async (event) => {
            const result = await updater(event);
            // In AWS warm scanners notice a new set at their next check; here the one scanner
            // switches at once, so the canary and the next upload use it.
            if ('changed' in result && result.changed) await scanner.refresh();
            return result;
          },
        },
        { port: port(3) },
      );
      cleanups.push(() => lambdaServer.stop());
      const lambda = localLambdaClient(lambdaServer.endpoint);
      cleanups.push(async () => lambda.destroy());
      // A bulk scan with sweep: true (what the scheduled sweep starts) reports its
      // count to the local CloudWatch endpoint.
      scanHandler = createScanFileHandler({
        config,
        scanner,
        lambda,
        sweepMetrics: new CloudWatchSweepMetrics(cloudwatchClient),
      });

      const functionArn = (name: string) =>
        `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
      const scanMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${SERVE_SCAN_MACHINE}`;
      const scanSubstitutions = {
        ScannerFunctionArn: functionArn(SERVE_SCANNER_FUNCTION),
        MaxFileSize: String(config.maxFileSize),
      };
      sfnServer = await startLocalStepFunctions(
        {
          [SERVE_SCAN_MACHINE]: SCAN_STATE_MACHINE,
          [SERVE_UPDATE_MACHINE]: UPDATE_STATE_MACHINE,
          // `lambda-av scan-bucket` against serve: the bulk scan of a whole bucket, locally.
          [SERVE_BULK_MACHINE]: BULK_SCAN_STATE_MACHINE,
        },
        {
          lambda,
          s3,
          substitutions: {
            ...scanSubstitutions,
            UpdaterFunctionArn: functionArn(SERVE_UPDATER_FUNCTION),
            ScanStateMachineArn: scanMachineArn,
            BulkScanStateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${SERVE_BULK_MACHINE}`,
            BulkBatchSize: '100',
            BulkMaxConcurrency: '4',
            ReportBucket: SERVE_BULK_REPORTS_BUCKET,
            // The Standard scan machine, as deployed by default: the canary follows its executions.
            CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
          },
          // The update workflow's canary scans through the scan state machine (a nested execution).
          stateMachines: { [scanMachineArn]: { file: SCAN_STATE_MACHINE, substitutions: scanSubstitutions } },
          port: port(2),
          store: new ExecutionLog(path.join(dataDir, 'executions.jsonl')),
          ...(options.onExecutionEnded
            ? {
                onExecutionEnded: (record) =>
                  options.onExecutionEnded?.(describeEnded(summarise(record, config.statusNames))),
              }
            : {}),
        },
      );
      const sfn = sfnServer;
      cleanups.push(() => sfn.stop({ abort: true }));

      const endpoints = {
        s3: s3Server.endpoint,
        sfn: sfnServer.endpoint,
        lambda: lambdaServer.endpoint,
        cloudwatch: cloudwatch.endpoint,
      };
      const page = http.createServer((request, response) => {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          response.writeHead(405, { allow: 'GET, HEAD' }).end();
        } else if ((request.url ?? '/').split('?')[0] !== '/') {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the history is at /\n');
        } else {
          const html = renderHistoryPage(sfn.executions(), config.statusNames, {
            endpoints: {
              S3: endpoints.s3,
              'Step Functions': endpoints.sfn,
              Lambda: endpoints.lambda,
              CloudWatch: endpoints.cloudwatch,
            },
          });
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          response.end(request.method === 'HEAD' ? undefined : html);
        }
      });
      await new Promise<void>((resolve, reject) => {
        page.once('error', reject);
        page.listen(port(0), '127.0.0.1', resolve);
      });
      cleanups.push(async () => {
        page.closeAllConnections();
        await new Promise((resolve) => page.close(resolve));
      });
      const pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;

      // A warm scanner before the first upload: definitions problems show now, not on a scan.
      const prepared = await scanner.prepare();
      return new ServeStack({ page: pageUrl, ...endpoints }, config, prepared.definitions, sfn, cleanups);
    } catch (error) {
      await undo(cleanups);
      throw error;
    }
  }

  /**
   * Stops everything: executions still running end ABORTED, clamd stops, the work area goes, and
   * without --data-dir the data too.
   */
  async stop(): Promise<void> {
    await undo(this.cleanups);
  }
}

async function undo(cleanups: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => undefined);
}

function describeEnded(row: ReturnType<typeof summarise>): string {
  const outcome = row.verdict
    ? `${row.verdict}${row.signature ? ` ${row.signature}` : ''}`
    : `${row.status}${row.error ? ` (${row.error})` : ''}`;
  const took = row.durationMs === undefined ? '' : ` [${row.durationMs} ms]`;
  return `${row.stateMachine}${row.object ? ` ${row.object}` : ''}: ${outcome}${took}`;
}
