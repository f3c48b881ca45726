import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaClient } from '../aws-clients';
import { scanBatch } from '../bulk/batch';
import type { BatchProgress } from '../bulk/batch-event';
import { type BulkMetrics, EmfBulkMetrics } from '../bulk/bulk-metrics';
import { type BulkScanSummary, summariseBulkScan } from '../bulk/report';
import { type BulkScanPlan, planBulkScan } from '../bulk/request';
import { reportSweep, type SweepMetrics } from '../bulk/sweep';
import { CloudWatchSweepMetrics } from '../bulk/sweep-metrics';
import { type Config, getConfig } from '../config';
import type { ScanResult } from '../scan/contract';
import { Scanner } from '../scan/scanner';
import { parseScanEvent } from './scan-event';
import { type WarmerState, type WarmResult, warm } from './warmer';

export interface ScanFileDependencies {
  readonly config: Config;
  readonly scanner: Scanner;
  readonly lambda: LambdaClient;
  /** What bulk scan batches report (default: EMF lines). */
  readonly bulkMetrics?: BulkMetrics;
  /** Where the scheduled sweep publishes its count (default: PutMetricData, client built on first use). */
  readonly sweepMetrics?: SweepMetrics;
}

/** The part of Lambda's context the handler reads: the ARN it was invoked as (with its alias). */
export interface InvocationContext {
  readonly invokedFunctionArn?: string;
  /** Milliseconds left before the function times out: a bulk batch stops starting scans in time. */
  readonly getRemainingTimeInMillis?: () => number;
}

export type ScanFileResponse =
  | ScanResult
  | { readonly results: ScanResult[] }
  | WarmResult
  | BatchProgress
  | BulkScanPlan
  | BulkScanSummary;

/**
 * The scanner Lambda: parses the event, scans each object on the warm daemon, returns results.
 * Per-object failures come back as PROCESSING_ERROR results; an invalid event and daemon
 * failures are thrown as named errors, so the caller (Step Functions, Lambda's async retries)
 * can tell them apart.
 */
export function createScanFileHandler(deps: ScanFileDependencies) {
  const warmerState: WarmerState = { definitionsMissingLogged: false };
  const bulkMetrics = deps.bulkMetrics ?? new EmfBulkMetrics();
  let sweepMetrics = deps.sweepMetrics;
  const sweep = () => {
    sweepMetrics ??= new CloudWatchSweepMetrics(new CloudWatchClient({}));
    return sweepMetrics;
  };
  return async (event: unknown, context?: InvocationContext): Promise<ScanFileResponse> => {
    const request = parseScanEvent(event);
    const origin = request.executionArn === undefined ? {} : { executionArn: request.executionArn };
    switch (request.kind) {
      case 'warmer':
        return warm(
          deps.scanner,
          deps.lambda,
          deps.config,
          request.fanOut,
          warmerState,
          context?.invokedFunctionArn,
        );
      case 'direct':
        return deps.scanner.scan(request.object, origin);
      case 'eventbridge':
        return deps.scanner.scanEvent(request.event, origin);
      case 'tag':
        return deps.scanner.tag(request.request, origin);
      case 's3-notification':
        return {
          results: await Promise.all(request.objects.map((object) => deps.scanner.scan(object, origin))),
        };
      case 'batch': {
        const remaining = context?.getRemainingTimeInMillis;
        return scanBatch(
          {
            scanner: deps.scanner,
            s3: deps.scanner.s3,
            config: deps.config,
            metrics: bulkMetrics,
            ...(remaining ? { remainingMs: () => remaining.call(context) } : {}),
          },
          request.event,
        );
      }
      case 'bulk-plan':
        return planBulkScan(request.request, request.limits, request.execution, request.startTime);
      case 'bulk-report':
        return reportSweep(await summariseBulkScan(deps.scanner.s3, request.state), request.state, sweep);
    }
  };
}

let defaults: ScanFileDependencies | undefined;

/** Built on the first invocation and kept for the life of the instance: that is what keeps clamd warm. */
function defaultDependencies(): ScanFileDependencies {
  if (!defaults) {
    const config = getConfig();
    defaults = { config, scanner: new Scanner({ config }), lambda: createLambdaClient() };
  }
  return defaults;
}

let handler: ReturnType<typeof createScanFileHandler> | undefined;

export const scanFileHandler = (event: unknown, context?: InvocationContext): Promise<ScanFileResponse> => {
  handler ??= createScanFileHandler(defaultDependencies());
  return handler(event, context);
};
