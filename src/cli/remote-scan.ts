import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { scanDirect, startScan, waitForScan } from '../client/scan-client';
import type { ObjectRef } from '../scan/object-ref';
import { forEachPulled } from './pool';
import type { FileResult, ScanReport } from './report';
import { failedResult, resultOf } from './scan-result';
import { UsageError } from './usage';

export interface RemoteScanOptions {
  readonly objects: readonly ObjectRef[];
  readonly concurrency: number;
  readonly report: ScanReport;
  /** The configured name of PROCESSING_ERROR. */
  readonly processingError: string;
}

/** `--remote`: an execution of the deployed scan state machine per object, waited for. */
export async function scanRemote(options: RemoteScanOptions, stateMachineArn: string | undefined) {
  if (!stateMachineArn) {
    throw new UsageError(
      '--remote needs the scan state machine: --state-machine ARN or LAMBDA_AV_STATE_MACHINE_ARN',
    );
  }
  const sfn = new SFNClient({});
  try {
    await scanEach(options, async (object) => {
      const { executionArn } = await startScan(sfn, stateMachineArn, object);
      return waitForScan(sfn, executionArn);
    });
  } finally {
    sfn.destroy();
  }
}

/** `--direct`: the deployed scanner function invoked per object. */
export async function scanViaLambda(options: RemoteScanOptions, functionName: string | undefined) {
  if (!functionName) {
    throw new UsageError('--direct needs the scanner function: --function NAME or LAMBDA_AV_FUNCTION_NAME');
  }
  const lambda = new LambdaClient({});
  try {
    await scanEach(options, (object) => scanDirect(lambda, functionName, object));
  } finally {
    lambda.destroy();
  }
}

async function scanEach(
  options: RemoteScanOptions,
  scan: (object: ObjectRef) => Promise<{ status: string; signature?: string; error?: string }>,
): Promise<void> {
  await forEachPulled(options.objects.values(), options.concurrency, async (object) => {
    const startedAt = performance.now();
    const where = `s3://${object.bucket}/${object.key}`;
    let result: FileResult;
    try {
      result = resultOf(where, await scan(object), startedAt);
    } catch (error) {
      result = failedResult(where, error, startedAt, options.processingError);
    }
    await options.report.add(result);
  });
}
