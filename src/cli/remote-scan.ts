import { LambdaClient } from '@aws-sdk/client-lambda';
import { createSfnClient } from '../aws-clients';
import { scanDirect, scanThroughWorkflow } from '../client/scan-client';
import type { CliSettings } from '../config';
import type { ObjectRef } from '../scan/contract';
import { forEachPulled } from '../util/limit';
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

/**
 * `--remote`: an execution of the deployed scan state machine per object, waited for (a Standard
 * machine), or run synchronously (an Express one).
 */
export async function scanRemote(
  options: RemoteScanOptions,
  stateMachineArn: string | undefined,
  settings: CliSettings,
) {
  if (!stateMachineArn) {
    throw new UsageError(
      '--remote needs the scan state machine: --state-machine ARN or LAMBDA_AV_STATE_MACHINE_ARN',
    );
  }
  const sfn = createSfnClient({ endpointOverride: settings.sfnEndpointOverride });
  try {
    await scanEach(options, (object) => scanThroughWorkflow(sfn, stateMachineArn, object));
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
  scan: (object: ObjectRef) => Promise<Parameters<typeof resultOf>[1]>,
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
