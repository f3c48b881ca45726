import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowType } from '../../infra';
import { resolveSettings } from '../../infra/lambda-av-settings';
import { SCAN_LOG_LEVEL } from '../../infra/workflow-settings';
import { startLocalLambda } from '../../src/local/lambda-server';
import {
  runLocalExecution,
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
} from '../../src/local/step-functions';
import { makeContent } from '../lib/content';
import { type BenchContext, type Engine, rotate, uniqueKey } from '../lib/context';
import {
  type Prices,
  requestClassOf,
  type ScanUsage,
  WORKFLOW_PATHS,
  type WorkflowPath,
} from '../lib/cost-model';
import { stepFunctionsLogBytes } from '../lib/sfn-log-bytes';
import { round, sizeLabel, summarise } from '../lib/stats';
import { PRICES, PRICES_READ_ON } from '../prices';

export interface CostResult {
  readonly engine: Engine['id'];
  /** The objects' content: random bytes, like the compressed files most uploads are. */
  readonly content: 'random';
  /** The scanner's memory as the stack configures it by default (billed GB-seconds). */
  readonly memoryMiB: number;
  /** An Express scan execution's billed memory: one 64 MB chunk (a small definition and payload). */
  readonly expressMemoryMiB: number;
  readonly usage: readonly ScanUsage[];
  /** The prices this run was priced with (bench/prices.ts), kept with the figures. */
  readonly prices: Prices;
  readonly pricesReadOn: string;
}

const SCANNER = 'lambda-av-scanner';
const ACCOUNT = 'arn:aws:lambda:us-east-1:123456789012:function';
/** With Express: SendMessage (the rule's target), ReceiveMessage and DeleteMessage (the pipe). */
const QUEUE_REQUESTS_PER_UPLOAD = 3;

/**
 * What one scan uses on each workflow path, counted on the real parts: the scan state machines
 * run by the local runner, their Lambda task through the local Invoke API into the warm scanner,
 * every AWS request the machine and the scanner make counted by a middleware on their S3 client,
 * the scanner's log bytes counted by its log meter, the execution's log records estimated from
 * its history. Priced afterwards (bench/lib/cost-model.ts), so a saved run can be priced again.
 */
export async function measureCost(
  ctx: BenchContext,
  engine: Engine,
  sizes: readonly number[],
  runs: number,
): Promise<CostResult> {
  const settings = resolveSettings({});
  const express = resolveSettings({ workflowType: WorkflowType.EXPRESS }).expressQueue;
  if (!express) throw new Error('an Express stack has a scan queue');
  const memoryMiB = settings.scannerMemorySize;
  ctx.progress(
    `cost per scan, ${engine.id} set, ${sizes.map(sizeLabel).join(', ')}: ${runs} runs per workflow path`,
  );

  const durations: number[] = [];
  const server = await startLocalLambda({
    [SCANNER]: async (event) => {
      const started = performance.now();
      try {
        return await engine.scanner.handler(event);
      } finally {
        const ms = performance.now() - started;
        durations.push(ms);
        engine.scanner.logMeter.invocation(ms, memoryMiB);
      }
    },
  });
  const lambda = new LambdaClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: server.credentials,
    maxAttempts: 1,
  });
  const requests = new Map<string, number>();
  const s3 = engine.scanner.s3;
  const count =
    (service: string) =>
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    (args: unknown) => {
      const operation = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
      requests.set(operation, (requests.get(operation) ?? 0) + 1);
      return next(args);
    };
  s3.middlewareStack.add(count('S3') as never, { step: 'initialize', name: 'benchCostRequests' });
  engine.scanner.eventBridge.middlewareStack.add(count('EventBridge') as never, {
    step: 'initialize',
    name: 'benchCostRequests',
  });
  const substitutions = {
    ScannerFunctionArn: `${ACCOUNT}:${SCANNER}`,
    MaxFileSize: String(engine.scanner.config.maxFileSize),
    MaxReceiveCount: String(express.maxReceiveCount),
  };

  /** One scan of a fresh object on one path, and what it used. */
  const scanOnce = async (path: WorkflowPath, bytes: number): Promise<Sample> => {
    const key = uniqueKey(`cost-${path}`);
    await ctx.s3.putBuffer(ctx.bucket, key, makeContent(bytes));
    const input = await inputFor(ctx, path, key);
    requests.clear();
    durations.length = 0;
    engine.scanner.logMeter.begin();
    const file = path === 'express-event' ? SCAN_EXPRESS_STATE_MACHINE : SCAN_STATE_MACHINE;
    const started = performance.now();
    const result = await runLocalExecution(file, input, { lambda, s3, substitutions });
    const executionMs = performance.now() - started;
    const lambdaLogBytes = engine.scanner.logMeter.end();
    const status = (result.output as { status?: string } | undefined)?.status;
    if (result.status !== 'SUCCEEDED' || status !== 'CLEAN') {
      throw new Error(
        `cost, ${path} ${sizeLabel(bytes)}: ${result.status} ${status} ${result.error ?? ''} ${result.cause ?? ''}`,
      );
    }
    const tags = await ctx.s3.client.send(new GetObjectTaggingCommand({ Bucket: ctx.bucket, Key: key }));
    await ctx.s3.delete(ctx.bucket, key);
    // Every request must have a price (this throws for one the model does not know).
    for (const operation of requests.keys()) requestClassOf(operation);
    return {
      transitions: result.events.filter((event) => event.type === 'StateEntered').length,
      executionMs,
      lambdaInvocations: durations.length,
      lambdaBilledMs: durations.reduce((sum, ms) => sum + Math.ceil(ms), 0),
      requests: Object.fromEntries(requests),
      lambdaLogBytes,
      stepFunctionsLogBytes: stepFunctionsLogBytes(
        file,
        result.events,
        executionArn(path, key),
        SCAN_LOG_LEVEL[path === 'express-event' ? 'EXPRESS' : 'STANDARD'],
      ),
      tagsAdded: tags.TagSet?.length ?? 0,
    };
  };

  const samples = new Map<string, Sample[]>();
  try {
    // Unrecorded: the first execution of each machine validates its definition.
    for (const path of WORKFLOW_PATHS) await scanOnce(path, Math.min(...sizes));
    for (const bytes of sizes) {
      for (let run = 0; run < runs; run++) {
        for (const path of rotate(WORKFLOW_PATHS, run)) {
          const id = `${path} ${bytes}`;
          samples.set(id, [...(samples.get(id) ?? []), await scanOnce(path, bytes)]);
        }
      }
    }
  } finally {
    s3.middlewareStack.remove('benchCostRequests');
    engine.scanner.eventBridge.middlewareStack.remove('benchCostRequests');
    lambda.destroy();
    await server.stop();
  }

  const usage: ScanUsage[] = [];
  for (const bytes of sizes) {
    for (const path of WORKFLOW_PATHS) {
      const runsOf = samples.get(`${path} ${bytes}`) ?? [];
      const mean = (pick: (sample: Sample) => number) =>
        round(runsOf.reduce((sum, sample) => sum + pick(sample), 0) / runsOf.length);
      const median = (pick: (sample: Sample) => number) => summarise(runsOf.map(pick)).median;
      const operations = [...new Set(runsOf.flatMap((sample) => Object.keys(sample.requests)))].sort();
      const requestsPerScan = Object.fromEntries(
        operations.map((operation) => [operation, mean((sample) => sample.requests[operation] ?? 0)]),
      );
      const isExpress = path === 'express-event';
      usage.push({
        path,
        bytes,
        size: sizeLabel(bytes),
        runs: runsOf.length,
        transitions: mean((sample) => sample.transitions),
        executionMs: median((sample) => sample.executionMs),
        lambdaInvocations: mean((sample) => sample.lambdaInvocations),
        lambdaBilledMs: median((sample) => sample.lambdaBilledMs),
        requests: requestsPerScan,
        queueRequests: isExpress ? QUEUE_REQUESTS_PER_UPLOAD : 0,
        pipeRequests: isExpress ? 1 : 0,
        bucketEvents: path === 'standard-request' ? 0 : 1 + (requestsPerScan['S3.PutObjectTagging'] ?? 0),
        logBytes: {
          lambda: mean((sample) => sample.lambdaLogBytes),
          stepFunctions: mean((sample) => sample.stepFunctionsLogBytes),
        },
        traces: 1,
        tagsAdded: mean((sample) => sample.tagsAdded),
      });
    }
  }
  return {
    engine: engine.id,
    content: 'random',
    memoryMiB,
    expressMemoryMiB: 64,
    usage,
    prices: PRICES,
    pricesReadOn: PRICES_READ_ON,
  };
}

interface Sample {
  readonly transitions: number;
  readonly executionMs: number;
  readonly lambdaInvocations: number;
  readonly lambdaBilledMs: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly lambdaLogBytes: number;
  readonly stepFunctionsLogBytes: number;
  readonly tagsAdded: number;
}

const executionArn = (path: WorkflowPath, key: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:lambda-av-scan${path === 'express-event' ? '-express' : ''}:${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** The execution's input: the upload's EventBridge event (through the queue for Express) or a client's request. */
async function inputFor(ctx: BenchContext, path: WorkflowPath, key: string): Promise<unknown> {
  if (path === 'standard-request') return { bucket: ctx.bucket, key };
  const head = await ctx.s3.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: key }));
  const event = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${ctx.bucket}`],
    detail: {
      version: '0',
      bucket: { name: ctx.bucket },
      object: {
        key: encodeURIComponent(key).replace(/%2F/g, '/'),
        size: head.ContentLength,
        etag: head.ETag?.replace(/"/g, ''),
        sequencer: '00617F08299329D189',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '192.0.2.1',
      reason: 'PutObject',
    },
  };
  if (path === 'standard-event') return event;
  // What EventBridge Pipes hands the Express machine for one SQS message: a batch of one.
  return [
    {
      messageId: crypto.randomUUID(),
      receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
      body: JSON.stringify(event),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:lambda-av-scan-queue',
      awsRegion: 'us-east-1',
    },
  ];
}
