import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { RemoteError, ScanExecutionError } from '../errors';
import type { ObjectRef, ScanResult } from '../scan/contract';
import { scanExecutionName } from './execution-name';

export { ScanExecutionError };

export interface StartedScan {
  readonly executionArn: string;
  readonly name: string;
  /** True when this attempt had been started before (a retried upload workflow). */
  readonly alreadyStarted: boolean;
}

/** Starts the scan state machine on one object; idempotent per object version and attempt. */
export async function startScan(
  sfn: SFNClient,
  stateMachineArn: string,
  object: ObjectRef,
  options: { readonly attempt?: number } = {},
): Promise<StartedScan> {
  const name = scanExecutionName(object, options.attempt);
  try {
    const response = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(object) }),
    );
    return { executionArn: response.executionArn ?? '', name, alreadyStarted: false };
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    return { executionArn, name, alreadyStarted: true };
  }
}

/**
 * Scans one object with an Express scan state machine (`workflowType: WorkflowType.EXPRESS`): one
 * StartSyncExecution, which answers with the result. Express executions keep no history in Step
 * Functions, so startScan and waitForScan do not apply to them. For a client pointed at a custom
 * endpoint, build the SFNClient with `disableHostPrefix: true` (StartSyncExecution otherwise goes
 * to `sync-<endpoint host>`).
 */
export async function scanSync(
  sfn: SFNClient,
  stateMachineArn: string,
  object: ObjectRef,
): Promise<ScanResult> {
  const response = await sfn.send(
    new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify(object) }),
  );
  if (response.status !== 'SUCCEEDED') {
    throw new ScanExecutionError(
      response.executionArn ?? '',
      response.status ?? 'UNKNOWN',
      response.error,
      response.cause,
    );
  }
  return JSON.parse(response.output ?? 'null') as ScanResult;
}

/**
 * Scans one object through the scan state machine, whichever its type: a Standard machine gets a
 * named, idempotent execution that is then followed to its end; an Express machine answers
 * synchronously (scanSync). The type is asked once per machine.
 */
export async function scanThroughWorkflow(
  sfn: SFNClient,
  stateMachineArn: string,
  object: ObjectRef,
): Promise<ScanResult> {
  if ((await stateMachineType(sfn, stateMachineArn)) === 'EXPRESS')
    return scanSync(sfn, stateMachineArn, object);
  const { executionArn } = await startScan(sfn, stateMachineArn, object);
  return waitForScan(sfn, executionArn);
}

const types = new Map<string, Promise<string | undefined>>();

export function stateMachineType(sfn: SFNClient, stateMachineArn: string): Promise<string | undefined> {
  let type = types.get(stateMachineArn);
  if (!type) {
    type = sfn.send(new DescribeStateMachineCommand({ stateMachineArn })).then((machine) => machine.type);
    types.set(stateMachineArn, type);
    type.catch(() => types.delete(stateMachineArn));
  }
  return type;
}

/** Waits for a scan execution to end and returns its result: the execution's output (Standard machines only). */
export async function waitForScan(
  sfn: SFNClient,
  executionArn: string,
  options: { readonly pollIntervalMs?: number; readonly timeoutMs?: number } = {},
): Promise<ScanResult> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'SUCCEEDED') return JSON.parse(execution.output ?? 'null') as ScanResult;
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
      throw new ScanExecutionError(
        executionArn,
        execution.status ?? 'UNKNOWN',
        execution.error,
        execution.cause,
      );
    }
    if (Date.now() > deadline)
      throw new ScanExecutionError(executionArn, 'RUNNING', 'Timeout', 'gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 1_000));
  }
}

/** An error the scanner Lambda threw, under its name (DaemonStartupError, InvalidEventError...). */
export { RemoteError as ScannerFunctionError } from '../errors';

/**
 * The fast path: invokes the scanner Lambda directly (no execution, no history) and returns the
 * same result an execution would.
 */
export async function scanDirect(
  lambda: LambdaClient,
  functionName: string,
  object: ObjectRef,
): Promise<ScanResult> {
  const response = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(object)) }),
  );
  const payload = JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8') || 'null');
  if (response.FunctionError) {
    const { errorType, errorMessage } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
    throw new RemoteError(errorType ?? 'Unhandled', errorMessage ?? 'the scanner failed');
  }
  return payload as ScanResult;
}
