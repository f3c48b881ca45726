import { createHash } from 'node:crypto';
import { Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct, IDependable } from 'constructs';
import type { Settings } from './lambda-av-settings';
import { suppressAwsCustomResourceProvider } from './nag-suppressions';

export interface SchedulesProps {
  readonly settings: Settings;
  readonly updateStateMachine: sfn.IStateMachine;
  /** Its code and settings decide when a deployment starts an update. */
  readonly updater: lambda.Function;
  /** What the warmer invokes: the scanner's `live` alias or the function. */
  readonly scannerTarget: lambda.IFunction;
  /** @default true */
  readonly warmerEnabled?: boolean;
  /** @default true */
  readonly updateOnDeploy?: boolean;
  /** What must exist before a deployment's update can publish (the definitions bucket and its policy, both functions). */
  readonly updateNeeds: readonly IDependable[];
}

/**
 * When things run: the update workflow on its interval and once on deploy, and the warmer.
 *
 * A part of LambdaAv, not a construct node of its own, so its resources keep their logical IDs
 * (see ScannerFunction).
 */
export class Schedules {
  readonly updateRule: events.Rule;
  readonly warmerRule: events.Rule | undefined;
  /** Starts the update workflow when the stack is deployed (updateOnDeploy). */
  readonly updateOnDeploy: cr.AwsCustomResource | undefined;

  constructor(scope: Construct, props: SchedulesProps) {
    const { settings } = props;
    this.updateRule = new events.Rule(scope, 'UpdateSchedule', {
      description: 'lambda-av: update the ClamAV definitions',
      schedule: events.Schedule.rate(settings.updateInterval),
      targets: [
        new targets.SfnStateMachine(props.updateStateMachine, {
          input: events.RuleTargetInput.fromObject({}),
        }),
      ],
    });
    this.warmerRule =
      (props.warmerEnabled ?? true)
        ? new events.Rule(scope, 'WarmerSchedule', {
            description: `lambda-av: keep ${settings.warmConcurrency} scanner instance(s) warm`,
            schedule: events.Schedule.rate(settings.warmerInterval),
            targets: [
              new targets.LambdaFunction(props.scannerTarget, {
                event: events.RuleTargetInput.fromObject({ warmer: true }),
                // A missed warm-up is replaced by the next one; retrying it late only adds load.
                retryAttempts: 0,
              }),
            ],
          })
        : undefined;
    this.updateOnDeploy = (props.updateOnDeploy ?? true) ? startUpdateOnDeploy(scope, props) : undefined;
  }
}

/**
 * Starts the update workflow when the stack is created, and again when the updater's code or
 * settings change, so a new stack gets definitions before its first scans. The deployment only
 * starts the execution: it never waits for the update, so a slow or failed first update (ClamAV's
 * CDN refusing the account, say) cannot fail or roll back the deployment. Its outcome is in
 * that execution's history and in the alarms (no definitions published, definitions age).
 */
function startUpdateOnDeploy(scope: Construct, props: SchedulesProps): cr.AwsCustomResource {
  const updater = props.updater.node.defaultChild as lambda.CfnFunction;
  const stack = Stack.of(scope);
  // A change of either starts a new update: new ClamAV code may refuse the set, a new mirror
  // or database list gives another one. Only a hash of each: the updater's settings may hold a
  // mirror URL with a token, and this input lands in the custom resource's properties, the
  // stack's events and the update execution's logged input. The hash is of the template's view
  // of them (references as references), which changes whenever they do.
  const fingerprint = (value: unknown) =>
    Lazy.string({
      produce: () =>
        createHash('sha256')
          .update(JSON.stringify(stack.resolve(value)))
          .digest('hex'),
    });
  const input = stack.toJsonString({
    trigger: 'deploy',
    code: fingerprint(updater.code),
    settings: fingerprint(updater.environment),
  });
  const start: cr.AwsSdkCall = {
    service: 'SFN',
    action: 'startExecution',
    parameters: { stateMachineArn: props.updateStateMachine.stateMachineArn, input },
    physicalResourceId: cr.PhysicalResourceId.fromResponse('executionArn'),
  };
  const resource = new cr.AwsCustomResource(scope, 'UpdateOnDeploy', {
    onCreate: start,
    onUpdate: start,
    policy: cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [props.updateStateMachine.stateMachineArn],
      }),
    ]),
    installLatestAwsSdk: false,
  });
  // Only once the bucket, its policy and both functions exist can the update publish.
  resource.node.addDependency(...props.updateNeeds);
  suppressAwsCustomResourceProvider(scope);
  return resource;
}
