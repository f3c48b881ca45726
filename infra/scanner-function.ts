import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { type DeployedSettingName, environmentOf } from '../src/settings';
import type { DefinitionsBucket } from './definitions-bucket';
import { type FunctionPartProps, lambdaAvFunction } from './lambda-av-function';

export interface ScannerFunctionProps extends FunctionPartProps {
  /** Read by the scanner: the published definitions. */
  readonly definitions: DefinitionsBucket;
  /** Where every final result is published ("Scan Result" events). */
  readonly resultEventBus: events.IEventBus;
  /** @default no reserved concurrency */
  readonly reservedConcurrency?: number;
  /** Instances kept initialised behind the `live` alias. @default none: the function is invoked unqualified */
  readonly provisionedConcurrency?: number;
}

/**
 * The scanner function: its log group, its role (read the definitions, publish results; the
 * scanned buckets are granted as they are added), the `live` alias with provisioned concurrency,
 * and the permission to invoke itself that the warmer's fan-out needs.
 *
 * A part of LambdaAv, not a construct node of its own: it adds its resources to the LambdaAv
 * (`scope`) under the ids they always had, so their logical IDs stay what they were when
 * LambdaAv created them itself. A node of its own would put its name in every resource's path,
 * and CloudFormation would replace the function and orphan its retained log group on the next
 * deploy (test/infra/template-fingerprint.test.ts holds the IDs).
 */
export class ScannerFunction {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  /** What the state machine and the warmer invoke: the `live` alias with provisioned concurrency, else the function. */
  readonly target: lambda.IFunction;

  constructor(
    private readonly scope: Construct,
    props: ScannerFunctionProps,
  ) {
    const { settings } = props;
    const made = lambdaAvFunction(scope, {
      ids: { logs: 'ScannerLogs', role: 'ScannerRole', function: 'Scanner' },
      description: 'lambda-av scanner: streams S3 objects into a memory-resident clamd and tags them',
      roleDescription: 'lambda-av scanner: reads the definitions, reads and tags the scanned buckets',
      handler: 'index.scanFileHandler',
      code: props.code,
      architecture: props.architecture,
      memorySize: settings.scannerMemorySize,
      timeout: settings.scannerTimeout,
      ephemeralStorageSize: settings.scannerEphemeralStorage,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: environmentOf({
        ...props.definitionsEnvironment,
        MAX_FILE_SIZE: String(settings.maxFileSize),
        DEFINITIONS_DOWNLOAD_TIMEOUT_MS: String(settings.budgets.definitionsDownload.toMilliseconds()),
        CLAMD_START_TIMEOUT_MS: String(settings.budgets.daemonStart.toMilliseconds()),
        CLAMD_SCAN_TIMEOUT_MS: String(settings.budgets.scan.toMilliseconds()),
        WARM_CONCURRENCY: String(settings.warmConcurrency),
        DEFINITIONS_CHECK_INTERVAL: String(settings.definitionsCheckSeconds),
        CLAMD_RELOAD_STRATEGY: settings.reloadStrategy,
        ...props.statusEnvironment,
        UNSCANNABLE_POLICY: settings.unscannablePolicy,
        METADATA_FILE_STATUS: settings.statusTagKey,
        METADATA_FILE_TIMESTAMP: settings.timestampTagKey,
      }),
    });
    this.function = made.function;
    this.role = made.role;
    this.function.addEnvironment(
      'RESULT_EVENT_BUS' satisfies DeployedSettingName,
      props.resultEventBus.eventBusName,
    );
    props.resultEventBus.grantPutEventsTo(this.role);
    props.definitions.grantRead(this.role);
    this.target =
      props.provisionedConcurrency !== undefined
        ? this.function.addAlias('live', { provisionedConcurrentExecutions: props.provisionedConcurrency })
        : this.function;
    if (settings.warmConcurrency > 1) this.grantSelfInvoke();
  }

  /**
   * The warmer fans out by invoking what it was invoked as: the function, or the `live` alias
   * with provisioned concurrency (the schedule invokes the alias). A grant through the function's
   * default role policy would be a dependency cycle (the function waits for that policy, the
   * policy names the function), so the permission lives in its own policy attached to the role.
   */
  private grantSelfInvoke(): void {
    const resources = [this.function.functionArn];
    if (this.target !== this.function) resources.push(this.target.functionArn);
    new iam.Policy(this.scope, 'ScannerSelfInvoke', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources })],
    });
  }
}
