import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  type LambdaServiceFault,
  type LocalFunction,
  type LocalLambdaServer,
  startLocalLambda,
} from '../../src/local/lambda-server';
import type { LocalCredentials } from '../../src/local/protocol/local-credentials';
import { type LocalStepFunctionsServer, startLocalStepFunctions } from '../../src/local/sfn-server';
import { LOCAL_NAMES } from '../../src/local/stack';
import {
  type ExecutionResult,
  type LocalStepFunctionsOptions,
  runLocalExecution,
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
} from '../../src/local/step-functions';
import type { Harness } from './harness';

export const SCANNER_FUNCTION = LOCAL_NAMES.scannerFunction;
export const UPDATER_FUNCTION = LOCAL_NAMES.updaterFunction;
export const functionArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

/** The local Lambda endpoint with our handlers behind it, and a runner for the ASL files. */
export interface Workflow {
  readonly lambdaServer: LocalLambdaServer;
  readonly lambda: LambdaClient;
  run(
    definitionFile: string,
    input: unknown,
    overrides?: Partial<LocalStepFunctionsOptions>,
  ): Promise<ExecutionResult>;
  stop(): Promise<void>;
}

export async function startWorkflow(
  functions: Record<string, LocalFunction>,
  base: Omit<LocalStepFunctionsOptions, 'lambda'>,
  fault?: (functionName: string, event: unknown) => LambdaServiceFault | undefined,
  credentials?: LocalCredentials,
): Promise<Workflow> {
  const lambdaServer = await startLocalLambda(functions, {
    ...(fault ? { fault } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const lambda = new LambdaClient({
    endpoint: lambdaServer.endpoint,
    region: 'us-east-1',
    credentials: lambdaServer.credentials,
    maxAttempts: 1,
  });
  return {
    lambdaServer,
    lambda,
    run: (definitionFile, input, overrides = {}) =>
      runLocalExecution(definitionFile, input, { ...base, lambda, ...overrides }),
    async stop() {
      lambda.destroy();
      await lambdaServer.stop();
    },
  };
}

/** The states entered, in order: the path an execution took. */
export function statesEntered(result: ExecutionResult): string[] {
  return result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state ?? '');
}

/** The deployed shape, locally: the scanner behind a Lambda endpoint and the scan machine behind a Step Functions endpoint. */
export interface ScanStack {
  readonly workflow: Workflow;
  readonly sfnServer: LocalStepFunctionsServer;
  readonly stateMachineArn: string;
  /** The Express scan machine (scan-express.asl.json), as `workflowType: WorkflowType.EXPRESS` deploys it. */
  readonly expressStateMachineArn: string;
  stop(): Promise<void>;
}

export async function startScanStack(h: Harness): Promise<ScanStack> {
  const workflow = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => h.handler(event) },
    { s3: h.s3.client, substitutions: {} },
    undefined,
    // One key pair for the stack's endpoints, as one account's credentials reach every service.
    h.s3.credentials,
  );
  const sfnServer = await startLocalStepFunctions(
    {
      'lambda-av-scan': SCAN_STATE_MACHINE,
      'lambda-av-scan-express': { file: SCAN_EXPRESS_STATE_MACHINE, type: 'EXPRESS' },
    },
    {
      lambda: workflow.lambda,
      s3: h.s3.client,
      credentials: h.s3.credentials,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        MaxFileSize: String(h.config.maxFileSize),
        MaxReceiveCount: '3',
      },
    },
  );
  return {
    workflow,
    sfnServer,
    stateMachineArn: sfnServer.stateMachineArns['lambda-av-scan'] as string,
    expressStateMachineArn: sfnServer.stateMachineArns['lambda-av-scan-express'] as string,
    async stop() {
      await sfnServer.stop();
      await workflow.stop();
    },
  };
}
