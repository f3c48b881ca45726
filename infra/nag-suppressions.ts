import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { addNagSuppressions } from './nag-metadata';

/** The parts of a LambdaAv whose findings are suppressed (the construct passes itself). */
export interface SuppressedParts {
  readonly scanner: lambda.Function;
  readonly updater: lambda.Function;
  readonly scanStateMachine: sfn.StateMachine;
  readonly updateStateMachine: sfn.StateMachine;
  readonly scanQueue: { readonly queue: sqs.IQueue } | undefined;
  readonly uploadDeadLetterQueue: sqs.Queue | undefined;
  /** The scheduled sweep, when on: the scanner then publishes its count. */
  readonly sweep: object | undefined;
  readonly infectedActionsWorkflow:
    | {
        readonly role: iam.IRole;
        readonly function: lambda.Function;
        readonly stateMachine: sfn.StateMachine;
        readonly deadLetterQueue: sqs.Queue;
      }
    | undefined;
}

/** IAM5 findings are reported as `Resource::<ARN as cdk-nag renders it>`; these match object ARNs `.../*`. */
const OBJECT_ARNS = { regex: '/^Resource::.+\\/\\*$/' };

const OBJECT_ARNS_REASON =
  'Object-level S3 actions on every object under the definitions prefix or of a scanned bucket: objects are uploaded with arbitrary keys, so no narrower resource exists. The actions themselves are listed one by one (no s3:* or s3:Get*).';

const STATE_MACHINE_STAR_REASON =
  'Added by CDK for the state machine logging and tracing: CloudWatch Logs vended log delivery (logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups) and X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets) support only Resource "*".';

/**
 * The cdk-nag AwsSolutions findings lambda-av accepts, each with its reason. Everything else must
 * pass (test/infra/cdk-nag.test.ts).
 */
export function addLambdaAvNagSuppressions(av: SuppressedParts): void {
  for (const role of [av.scanner.role, av.updater.role]) {
    if (role) {
      addNagSuppressions(
        role,
        [{ id: 'AwsSolutions-IAM5', reason: OBJECT_ARNS_REASON, appliesTo: [OBJECT_ARNS] }],
        true,
      );
    }
  }
  addNagSuppressions(
    av.scanStateMachine.role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'HeadObject (s3:GetObject, s3:GetObjectVersion) on every object of a scanned bucket: uploads have arbitrary keys.',
        appliesTo: [OBJECT_ARNS],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: STATE_MACHINE_STAR_REASON,
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
  if (!av.scanQueue) {
    addNagSuppressions(av.scanStateMachine, [
      {
        id: 'AwsSolutions-SF1',
        reason:
          'The Standard scan machine logs its failures (level ERROR, with their data): each execution keeps its whole history in Step Functions, where the console and `lambda-av history` read it, and logging every event again would add about 4 KiB of log ingestion to every scan (bench, section 6). The Express scan machine, which has no history but its log, logs ALL.',
      },
    ]);
  }
  addNagSuppressions(
    av.updateStateMachine.role,
    [
      { id: 'AwsSolutions-IAM5', reason: STATE_MACHINE_STAR_REASON, appliesTo: ['Resource::*'] },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "The canary's nested scan executions (startExecution.sync:2): DescribeExecution and StopExecution on the scan state machine's executions, whose names are generated per run, as AWS documents for nested workflows.",
        appliesTo: [
          {
            regex:
              '/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*:\\*$/',
          },
        ],
      },
    ],
    true,
  );
  if (av.sweep && av.scanner.role) {
    addNagSuppressions(
      av.scanner.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The scheduled sweep publishes its count of objects without a verdict with cloudwatch:PutMetricData, which has no resource type (IAM requires "*"); the statement is limited to the LambdaAV namespace with the cloudwatch:namespace condition.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
  if (av.updater.role) {
    addNagSuppressions(
      av.updater.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'cloudwatch:PutMetricData has no resource type (IAM requires "*"); the statement is limited to the LambdaAV namespace with the cloudwatch:namespace condition.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
  if (av.uploadDeadLetterQueue) {
    addNagSuppressions(av.uploadDeadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue of the upload rules: EventBridge leaves there the upload events it could not deliver to the scan workflow for a day; UploadEventsDeadLettersAlarm reports them and lambda-av redrive starts their scans. A dead-letter queue of its own would only move them once more.',
      },
    ]);
  }
  const actions = av.infectedActionsWorkflow;
  if (actions) {
    addNagSuppressions(
      actions.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The actions function reads, copies and deletes INFECTED objects of the buckets that ask for it, and writes them to the quarantine bucket: objects have arbitrary keys, so the object-level actions are on every object of those buckets, listed one by one.',
          appliesTo: [OBJECT_ARNS],
        },
      ],
      true,
    );
    addNagSuppressions(
      actions.stateMachine.role,
      [{ id: 'AwsSolutions-IAM5', reason: STATE_MACHINE_STAR_REASON, appliesTo: ['Resource::*'] }],
      true,
    );
    addNagSuppressions(actions.deadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue of the actions rule: EventBridge leaves there the INFECTED results it could not deliver to the actions workflow for a day, and InfectedActionDeadLettersAlarm reports them. A dead-letter queue of its own would only move them once more.',
      },
    ]);
  }
  for (const fn of [av.scanner, av.updater, ...(actions ? [actions.function] : [])]) {
    addNagSuppressions(fn, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'lambda.zip is built and tested for Node.js 22 (esbuild --target=node22, ClamAV bundled for it); nodejs22.x is a supported Lambda runtime. Moving to a newer runtime is a deliberate change with its own tests.',
      },
    ]);
  }
}

/**
 * The deploy-time update is started by CDK's AwsCustomResource, whose provider is a stack-wide
 * singleton Lambda (its construct id is fixed by CDK).
 */
export function suppressAwsCustomResourceProvider(scope: IConstruct): void {
  const provider = Stack.of(scope).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
  if (!provider) return;
  addNagSuppressions(
    provider,
    [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          "CDK's AwsCustomResource provider (starts the update workflow at deploy time, states:StartExecution on that state machine only) uses AWSLambdaBasicExecutionRole for its logs; it is CDK's construct, not ours to change.",
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
    ],
    true,
  );
}

const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/**
 * S3 EventBridge notifications on a bucket created in the same stack are set by CDK's
 * BucketNotificationsHandler, a stack-wide singleton Lambda with an AWS managed policy.
 */
export function suppressBucketNotificationsHandler(scope: IConstruct): void {
  const stack = Stack.of(scope);
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('BucketNotificationsHandler')) continue;
    addNagSuppressions(
      child,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "CDK's BucketNotificationsHandler (turns on EventBridge notifications of a scanned bucket created in this stack) uses AWSLambdaBasicExecutionRole for its logs; it is CDK's construct, not ours to change.",
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
      ],
      true,
    );
  }
}
