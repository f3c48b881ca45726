import type { Price, PriceName } from '../prices';

/**
 * The three ways an object reaches the scanner, as deployed:
 * - `standard-event`: an upload's EventBridge event starts the Standard scan machine;
 * - `standard-request`: a client starts it with `{bucket, key}` (startScan, `lambda-av scan --remote`);
 * - `express-event`: with `workflowType: 'EXPRESS'`, the upload's event goes through the SQS queue
 *   and the pipe into the Express scan machine.
 */
export type WorkflowPath = 'standard-event' | 'standard-request' | 'express-event';

export const WORKFLOW_PATHS: readonly WorkflowPath[] = [
  'standard-event',
  'standard-request',
  'express-event',
];

export type Architecture = 'x86_64' | 'arm64';

/** What one scan used, measured on the real parts (per scan; medians or means over the runs). */
export interface ScanUsage {
  readonly path: WorkflowPath;
  readonly bytes: number;
  readonly size: string;
  readonly runs: number;
  /** States entered per execution (StateEntered events): what Standard bills. */
  readonly transitions: number;
  /** The execution, start to end, ms (median): what Express bills, rounded up to 100 ms. */
  readonly executionMs: number;
  readonly lambdaInvocations: number;
  /** The scanner's invocations, each rounded up to 1 ms as Lambda bills them, summed (median). */
  readonly lambdaBilledMs: number;
  /** AWS requests made for the scan, by `Service.Operation` (mean): the scanner's and the machine's. */
  readonly requests: Readonly<Record<string, number>>;
  /**
   * Express only, from the design (no local SQS): SendMessage (the rule's target), ReceiveMessage
   * and DeleteMessage (the pipe, batch size 1) per upload; and one pipe request.
   */
  readonly queueRequests: number;
  readonly pipeRequests: number;
  /**
   * Events the bucket sends to EventBridge for the upload: Object Created, and Object Tags Added
   * for each tag write (a bucket sending to EventBridge sends every type). None when a client
   * starts the scan (the bucket need not send events).
   */
  readonly bucketEvents: number;
  /** Bytes written to CloudWatch Logs: the scanner's lines, and the state machine's (estimated). */
  readonly logBytes: { readonly lambda: number; readonly stepFunctions: number };
  /** X-Ray traces recorded (the scan machine has tracing on). */
  readonly traces: number;
  /** Tags the scan added to the object (stored, and billed, every month the object is kept). */
  readonly tagsAdded: number;
}

/** US dollars per object, by what is billed. */
export interface CostBreakdown {
  readonly stepFunctions: number;
  readonly lambda: number;
  readonly s3Requests: number;
  readonly events: number;
  readonly queue: number;
  readonly logs: number;
  readonly tracing: number;
  /** The scan's tags stored for one month. */
  readonly tags: number;
  readonly total: number;
}

export type Prices = Readonly<Record<PriceName, Price>>;

export interface CostOptions {
  readonly architecture: Architecture;
  /** The scanner function's configured memory (the stack's scannerMemorySize). */
  readonly memoryMiB: number;
  /** The Express execution's memory, billed in 64 MB chunks (a small definition and payload: one chunk). */
  readonly expressMemoryMiB: number;
}

type RequestClass = 's3Get' | 's3Put' | 'event' | 'lambdaInvoke';

/**
 * The price class of every request the scan path makes. A request missing here stops the cost
 * section: a new call must be priced, not left out.
 */
const REQUEST_CLASSES: Readonly<Record<string, RequestClass>> = {
  'S3.GetObject': 's3Get',
  'S3.HeadObject': 's3Get',
  'S3.GetObjectTagging': 's3Get',
  'S3.PutObjectTagging': 's3Put',
  'S3.PutObject': 's3Put',
  'S3.CopyObject': 's3Put',
  'S3.ListObjectsV2': 's3Put',
  'EventBridge.PutEvents': 'event',
  'Lambda.Invoke': 'lambdaInvoke',
};

export function requestClassOf(operation: string): RequestClass {
  const found = REQUEST_CLASSES[operation];
  if (!found)
    throw new Error(`the cost model has no price for ${operation}: add it to bench/lib/cost-model.ts`);
  return found;
}

const GiB = 2 ** 30;
const ceilTo = (value: number, step: number) => Math.ceil(value / step) * step;

export function costPerObject(usage: ScanUsage, prices: Prices, options: CostOptions): CostBreakdown {
  const express = usage.path.startsWith('express');
  const count = (wanted: RequestClass) =>
    Object.entries(usage.requests)
      .filter(([operation]) => requestClassOf(operation) === wanted)
      .reduce((sum, [, n]) => sum + n, 0);

  const stepFunctions = express
    ? prices.expressRequest.usd +
      (ceilTo(usage.executionMs, 100) / 1000) *
        (ceilTo(options.expressMemoryMiB, 64) / 1024) *
        prices.expressGbSecond.usd
    : usage.transitions * prices.standardTransition.usd;
  const gbSecond =
    options.architecture === 'arm64' ? prices.lambdaGbSecondArm64.usd : prices.lambdaGbSecondX86.usd;
  const lambda =
    (usage.lambdaInvocations + count('lambdaInvoke')) * prices.lambdaRequest.usd +
    (usage.lambdaBilledMs / 1000) * (options.memoryMiB / 1024) * gbSecond;
  const s3Requests =
    count('s3Get') * prices.s3GetClassRequest.usd + count('s3Put') * prices.s3PutClassRequest.usd;
  const events =
    count('event') * prices.eventBridgeCustomEvent.usd + usage.bucketEvents * prices.eventBridgeS3Event.usd;
  const queue = usage.queueRequests * prices.sqsRequest.usd + usage.pipeRequests * prices.pipesRequest.usd;
  const logs = ((usage.logBytes.lambda + usage.logBytes.stepFunctions) / GiB) * prices.logsIngestionGb.usd;
  const tracing = usage.traces * prices.xrayTrace.usd;
  const tags = usage.tagsAdded * prices.s3TagMonth.usd;
  return {
    stepFunctions,
    lambda,
    s3Requests,
    events,
    queue,
    logs,
    tracing,
    tags,
    total: stepFunctions + lambda + s3Requests + events + queue + logs + tracing + tags,
  };
}

/** GuardDuty Malware Protection for S3 on the same object: per object evaluated plus per GB scanned. */
export function guardDutyPerObject(bytes: number, prices: Prices): number {
  return prices.guardDutyObject.usd + (bytes / GiB) * prices.guardDutyGb.usd;
}
