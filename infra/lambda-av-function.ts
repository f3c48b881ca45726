import type { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../src/metrics';
import type { FunctionEnvironment } from '../src/settings';
import type { Settings } from './lambda-av-settings';

/** What the scanner and the updater parts both take from LambdaAv. */
export interface FunctionPartProps {
  readonly code: lambda.Code;
  readonly architecture: lambda.Architecture;
  readonly settings: Settings;
  /** Where the definitions and the canary are (the scanner's and the updater's alike). */
  readonly definitionsEnvironment: FunctionEnvironment;
  /** The status names: the scanner tags with them, the updater judges the canary's verdicts by them. */
  readonly statusEnvironment: FunctionEnvironment;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export interface LambdaAvFunctionProps {
  /** The construct ids of the log group, the role and the function (their logical IDs follow from them). */
  readonly ids: { readonly logs: string; readonly role: string; readonly function: string };
  readonly description: string;
  readonly roleDescription: string;
  /** `index.<export>` of lambda.zip. */
  readonly handler: string;
  readonly code: lambda.Code;
  readonly architecture: lambda.Architecture;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** @default Lambda's 512 MiB */
  readonly ephemeralStorageSize?: Size;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One of lambda-av's functions (scanner, updater, actions): Node.js 22 on lambda.zip, with a log
 * group of its own (retention and removal policy set, unlike Lambda's implicit one) and a role of
 * its own that may write only to it. The caller grants the rest.
 */
export function lambdaAvFunction(
  scope: Construct,
  props: LambdaAvFunctionProps,
): { readonly function: lambda.Function; readonly role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, props.ids.logs, {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  const role = new iam.Role(scope, props.ids.role, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, props.ids.function, {
    description: props.description,
    code: props.code,
    handler: props.handler,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: props.architecture,
    memorySize: props.memorySize,
    timeout: props.timeout,
    ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
    ...(props.reservedConcurrentExecutions !== undefined
      ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
      : {}),
    role,
    logGroup,
    environment: props.environment,
  });
  return { function: fn, role };
}

/**
 * PutMetricData in the LambdaAV namespace and no other. The action has no resource type, so IAM
 * needs "*"; the `cloudwatch:namespace` condition is the limit (cdk-nag reasons in nag-suppressions.ts).
 */
export function putLambdaAvMetrics(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
  });
}
