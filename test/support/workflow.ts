import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  type LambdaServiceFault,
  type LocalFunction,
  type LocalLambdaServer,
  startLocalLambda,
} from '../../src/local/lambda-server';
import {
  type ExecutionResult,
  type LocalStepFunctionsOptions,
  runLocalExecution,
} from '../../src/local/step-functions';

export const SCANNER_FUNCTION = 'lambda-av-scanner';
export const UPDATER_FUNCTION = 'lambda-av-updater';
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
): Promise<Workflow> {
  const lambdaServer = await startLocalLambda(functions, fault ? { fault } : {});
  const lambda = new LambdaClient({
    endpoint: lambdaServer.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
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
